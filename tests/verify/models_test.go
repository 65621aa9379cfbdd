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
