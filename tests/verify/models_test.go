package verify

import (
	"path/filepath"
	"testing"

	"github.com/skyscope-os/skyscope/internal/spincheck"
)

// The design models of docs/models: protocols whose Go code does not exist yet. Each
// is checked exhaustively at its bounds and with each seeded bug.

func model(t *testing.T, name string) string {
	return filepath.Join(moduleRoot(t), "docs", "models", name)
}

// TestLinkModel (seed verification target 4, inter-container links): no end is
// delivered unless both descriptors and the system policy allow it, and after a
// revoke no live end remains: the assertions, then each as an ltl property.
func TestLinkModel(t *testing.T) {
	m := model(t, "link.pml")
	spincheck.Verify(t, m, spincheck.Options{})
	spincheck.Verify(t, m, spincheck.Options{LTL: "allowed"})
	spincheck.Verify(t, m, spincheck.Options{LTL: "no_stale"})
}

// TestLinkModelSeededBugs: each check of the link protocol removed gives a
// counterexample, with the assertions and with the ltl property it breaks.
func TestLinkModelSeededBugs(t *testing.T) {
	m := model(t, "link.pml")
	for _, bug := range []struct{ define, ltl string }{
		{"BUG_NO_POLICY", "allowed"},
		{"BUG_ONE_SIDED", "allowed"},
		{"BUG_REVOKE_ONE_END", "no_stale"},
		{"BUG_MOVE_END", "no_stale"},
	} {
		t.Run(bug.define, func(t *testing.T) {
			spincheck.Refute(t, m, spincheck.Options{Defines: []string{bug.define}}, "assertion violated")
			spincheck.Refute(t, m, spincheck.Options{Defines: []string{bug.define}, LTL: bug.ltl}, "assertion violated")
		})
	}
}

// TestTwoPhaseModel (seed verification target 5, kernel↔SKYAIFS two-phase commit):
// with up to 3 crashes of either side at any step (and 4 in a second run), both sides
// commit or both abort, K commits only on a durable YES, recovery reaches the same
// decision; and under weak fairness both sides finish (ltl terminates).
func TestTwoPhaseModel(t *testing.T) {
	m := model(t, "twophase.pml")
	spincheck.Verify(t, m, spincheck.Options{})
	spincheck.Verify(t, m, spincheck.Options{Mode: spincheck.Liveness, LTL: "terminates"})
	spincheck.Verify(t, m, spincheck.Options{Defines: []string{"NCRASH=4"}})
	spincheck.Verify(t, m, spincheck.Options{Mode: spincheck.Liveness, LTL: "terminates", Defines: []string{"NCRASH=4"}})
}

// TestTwoPhaseModelSeededBugs: three bugs that break agreement, and one that breaks
// termination, each give a counterexample.
func TestTwoPhaseModelSeededBugs(t *testing.T) {
	m := model(t, "twophase.pml")
	for _, bug := range []string{"BUG_COMMIT_ON_TIMEOUT", "BUG_NO_PREPARE_LOG", "BUG_PRESUME_COMMIT"} {
		t.Run(bug, func(t *testing.T) {
			spincheck.Refute(t, m, spincheck.Options{Defines: []string{bug}}, "assertion violated")
		})
	}
	t.Run("BUG_IGNORE_INQUIRY", func(t *testing.T) {
		spincheck.Verify(t, m, spincheck.Options{Defines: []string{"BUG_IGNORE_INQUIRY"}}) // safe, but…
		spincheck.Refute(t, m, spincheck.Options{Mode: spincheck.Liveness, LTL: "terminates", Defines: []string{"BUG_IGNORE_INQUIRY"}}, "acceptance cycle")
	})
}
