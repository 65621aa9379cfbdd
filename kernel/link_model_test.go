package kernel

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/internal/spincheck"
)

// linkModel is the Promela model of link setup and revocation (seed verification
// target 4), next to link.go and container/runtime's descriptor check it models.
const linkModel = "link.pml"

// TestLinkModel checks link.pml exhaustively (two containers each asking once, a
// revocation and a destruction at any moment, every descriptor and policy choice):
// no end exists unless both descriptors and the policy allow it, after revoke no end
// remains anywhere, a destroyed side leaves no end; the assertions, then each as an
// ltl property.
func TestLinkModel(t *testing.T) {
	spincheck.Verify(t, linkModel, spincheck.Options{})
	for _, p := range []string{"allowed", "no_stale", "no_dead"} {
		spincheck.Verify(t, linkModel, spincheck.Options{LTL: p})
	}
}

// TestLinkModelSeededBugs: each guard of the link code removed in the model (each a
// mutation of a check in link.go, container_abi.go or container/runtime) gives a
// counterexample, with the assertions and with the ltl property it breaks.
func TestLinkModelSeededBugs(t *testing.T) {
	for _, bug := range []struct{ define, ltl, want string }{
		{"BUG_NO_POLICY", "allowed", "assertion violated ((desc[0]&&desc[1])&&policy)"},
		{"BUG_ONE_SIDED", "allowed", "assertion violated ((desc[0]&&desc[1])&&policy)"},
		{"BUG_NO_LINKABLE", "no_dead", "assertion violated"},
		{"BUG_REVOKE_ONE_END", "no_stale", "assertion violated"},
		{"BUG_MOVE_END", "no_stale", "assertion violated"},
	} {
		t.Run(bug.define, func(t *testing.T) {
			spincheck.Refute(t, linkModel, spincheck.Options{Defines: []string{bug.define}}, bug.want)
			spincheck.Refute(t, linkModel, spincheck.Options{Defines: []string{bug.define}, LTL: bug.ltl}, "assertion violated")
		})
	}
}

// modelLinkStates reads the link state names and TRANS(from, to) steps of a model's
// source.
func modelLinkStates(src string) (names []string, trans map[string]bool, err error) {
	names, err = spincheck.Mtype(src, "link")
	return names, spincheck.Transitions(src), err
}

// codeLinkStates returns LinkState's names and linkNext's transitions.
func codeLinkStates() (names []string, trans map[string]bool) {
	trans = map[string]bool{}
	for s := LinkState(0); s < numLinkStates; s++ {
		names = append(names, s.String())
		for _, n := range linkNext[s] {
			trans[s.String()+"→"+n.String()] = true
		}
	}
	return names, trans
}

// compareLinkModel lists the differences between a model source and the Go states.
func compareLinkModel(src string) []string {
	mNames, mTrans, err := modelLinkStates(src)
	if err != nil {
		return []string{err.Error()}
	}
	cNames, cTrans := codeLinkStates()
	var diffs []string
	if !slices.Equal(mNames, cNames) {
		diffs = append(diffs, fmt.Sprintf("states: model %v, code %v", mNames, cNames))
	}
	for tr := range cTrans {
		if !mTrans[tr] {
			diffs = append(diffs, fmt.Sprintf("transition %s is in linkNext but the model never takes it", tr))
		}
	}
	for tr := range mTrans {
		if !cTrans[tr] {
			diffs = append(diffs, fmt.Sprintf("transition %s is in the model but linkNext does not allow it", tr))
		}
	}
	return diffs
}

// TestLinkModelMatchesCode fails when link.pml and link.go drift apart: the model's
// mtype:link must list exactly LinkState's names, in order, and its TRANS steps must
// be exactly linkNext's transitions.
func TestLinkModelMatchesCode(t *testing.T) {
	src, err := os.ReadFile(linkModel)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range compareLinkModel(string(src)) {
		t.Error(d)
	}
}

// TestLinkModelDriftIsSeen: the comparison notices a renamed state, an extra
// transition and a missing one (so that it cannot pass on a parse that finds
// nothing).
func TestLinkModelDriftIsSeen(t *testing.T) {
	b, err := os.ReadFile(linkModel)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	for what, changed := range map[string]string{
		"a renamed state":      strings.Replace(src, "Revoked };", "Gone };", 1),
		"an extra transition":  src + "\nproctype X() { TRANS(Revoked, Live) }\n",
		"a missing transition": strings.ReplaceAll(src, "TRANS(None, Live)", "skip"),
	} {
		if changed == src {
			t.Fatalf("%s: the edit did not apply", what)
		}
		if len(compareLinkModel(changed)) == 0 {
			t.Errorf("%s was not seen", what)
		}
	}
}

// TestLinkSetStateRefusesIllegalTransitions: setState follows linkNext and panics on
// any other transition. (TestContainerIsolationModel checks that a made link is
// Live and a revoked one Revoked.)
func TestLinkSetStateRefusesIllegalTransitions(t *testing.T) {
	for from := LinkState(0); from < numLinkStates; from++ {
		for to := LinkState(0); to < numLinkStates; to++ {
			l := &Link{state: from}
			legal := slices.Contains(linkNext[from], to)
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				l.setState(to)
				return false
			}()
			if panicked == legal {
				t.Errorf("%v → %v: legal %v, panicked %v", from, to, legal, panicked)
			}
		}
	}
}
