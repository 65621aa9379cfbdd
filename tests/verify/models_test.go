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

// TestLockModel (seed verification target 6, ResourceLockManager): exclusion and
// release of a dead holder's locks with one kill at any moment, and no deadlock with
// no kill (a possible kill would end a circular wait and hide it).
func TestLockModel(t *testing.T) {
	m := model(t, "locks.pml")
	spincheck.Verify(t, m, spincheck.Options{})
	spincheck.Verify(t, m, spincheck.Options{Defines: []string{"NKILLS=0"}})
}

// TestLockModelSeededBugs: each guard of the lock manager removed gives a
// counterexample.
func TestLockModelSeededBugs(t *testing.T) {
	m := model(t, "locks.pml")
	for _, bug := range []struct {
		defines []string
		want    string
	}{
		{[]string{"BUG_NO_EXCL_CHECK"}, "assertion violated ((in_excl"},
		{[]string{"BUG_NO_ORDER", "NKILLS=0"}, "invalid end state"},
		{[]string{"BUG_NO_DEATH_RELEASE"}, "invalid end state"},
	} {
		t.Run(bug.defines[0], func(t *testing.T) {
			spincheck.Refute(t, m, spincheck.Options{Defines: bug.defines}, bug.want)
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
