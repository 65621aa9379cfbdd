package registry

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/internal/spincheck"
)

// The model's bounds: NCLIENTS clients calling NCALLS times each, throughout up to
// NUPDATES updates (a second one only after the first rolled back).
const modelFile = "registry.pml"

// TestRegistryModel (seed verification target 10) checks registry.pml with spin,
// exhaustively at its default bounds (2 clients × 2 calls, 2 updates): every
// assertion (no call reaches a V2 that did not report Ready or while V1 still
// receives; the registry switches only to a ready, live V2; rollback leaves V1 alive
// and current; every call answered exactly once) and no invalid end state (a client
// blocked forever is a lost call). Then the one_receiver property, and, under weak
// fairness, that every client gets all its answers (ltl completes, 1 update). Without
// -short it also checks 3 clients.
func TestRegistryModel(t *testing.T) {
	spincheck.Verify(t, modelFile, spincheck.Options{})
	spincheck.Verify(t, modelFile, spincheck.Options{LTL: "one_receiver"})
	spincheck.Verify(t, modelFile, spincheck.Options{Mode: spincheck.Liveness, LTL: "completes", Defines: []string{"NUPDATES=1"}})
	if !testing.Short() {
		spincheck.Verify(t, modelFile, spincheck.Options{Defines: []string{"NCLIENTS=3", "NCALLS=1"}})
	}
}

// TestRegistryModelSeededBugs: the model with one guard of the update removed must
// have a counterexample; otherwise the model would pass whatever the protocol did.
func TestRegistryModelSeededBugs(t *testing.T) {
	for _, bug := range []struct{ define, want string }{
		{"BUG_NO_READY_CHECK", "assertion violated v2_ready"},
		{"BUG_NO_DRAIN_WAIT", "assertion violated"},
		{"BUG_NO_RESUME", "assertion violated ((current==1)&&(v1_live==1))"},
	} {
		t.Run(bug.define, func(t *testing.T) {
			spincheck.Refute(t, modelFile, spincheck.Options{Defines: []string{bug.define}}, bug.want)
		})
	}
}

// modelPhases reads the phase names and TRANS(from, to) steps of a model's source.
func modelPhases(src string) (names []string, trans map[string]bool, err error) {
	names, err = spincheck.Mtype(src, "phase")
	return names, spincheck.Transitions(src), err
}

// codePhases returns Phase's names and phaseNext as the model spells them.
func codePhases() (names []string, trans map[string]bool) {
	trans = map[string]bool{}
	for p := Phase(0); p < numPhases; p++ {
		names = append(names, p.String())
		for _, q := range phaseNext[p] {
			trans[p.String()+"→"+q.String()] = true
		}
	}
	return names, trans
}

// TestModelMatchesCode fails when registry.pml and the Go state machine drift apart:
// the model's mtype:phase must list exactly Phase's names, in order, its TRANS steps
// must be exactly phaseNext's transitions, and its outcome numbers registry.go's.
func TestModelMatchesCode(t *testing.T) {
	src, err := os.ReadFile(modelFile)
	if err != nil {
		t.Fatal(err)
	}
	mNames, mTrans, err := modelPhases(string(src))
	if err != nil {
		t.Fatal(err)
	}
	cNames, cTrans := codePhases()
	if !slices.Equal(mNames, cNames) {
		t.Errorf("phases: model %v, code %v", mNames, cNames)
	}
	for tr := range cTrans {
		if !mTrans[tr] {
			t.Errorf("transition %s is in phaseNext but the model never takes it", tr)
		}
	}
	for tr := range mTrans {
		if !cTrans[tr] {
			t.Errorf("transition %s is in the model but phaseNext does not allow it", tr)
		}
	}
	// The outcomes the model records are registry.go's.
	outcomes := map[string]uint64{"UPDATED": Updated, "CRASHED": Crashed, "SELF_TEST": SelfTest, "TIMED_OUT": TimedOut, "NO_PROGRAM": NoProgram}
	for name, want := range outcomes {
		m := regexp.MustCompile(`(?m)^#define ` + name + `\s+(\d+)\s*$`).FindStringSubmatch(string(src))
		if m == nil || m[1] != fmt.Sprint(want) {
			t.Errorf("outcome %s: model %v, code %d", name, m, want)
		}
	}
}

// TestModelDriftIsSeen: the comparison of TestModelMatchesCode notices a renamed
// phase and an extra transition (so that it cannot pass on a parse that finds
// nothing).
func TestModelDriftIsSeen(t *testing.T) {
	src, err := os.ReadFile(modelFile)
	if err != nil {
		t.Fatal(err)
	}
	cNames, cTrans := codePhases()
	renamed := strings.Replace(string(src), "Resuming };", "Restarting };", 1)
	names, _, err := modelPhases(renamed)
	if err != nil || slices.Equal(names, cNames) {
		t.Errorf("a renamed phase was not seen: %v %v", names, err)
	}
	extra := string(src) + "\nproctype X() { TRANS(Serving, Switching) }\n"
	_, trans, _ := modelPhases(extra)
	if len(trans) != len(cTrans)+1 {
		t.Errorf("an extra transition was not seen: %d model transitions, %d in the code", len(trans), len(cTrans))
	}
}

// TestSetPhaseRefusesIllegalTransitions: setPhase follows phaseNext and panics on any
// other transition.
func TestSetPhaseRefusesIllegalTransitions(t *testing.T) {
	for from := Phase(0); from < numPhases; from++ {
		for to := Phase(0); to < numPhases; to++ {
			r := &Registry{phase: from}
			legal := slices.Contains(phaseNext[from], to)
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				r.setPhase(to)
				return false
			}()
			if panicked == legal {
				t.Errorf("%v → %v: legal %v, panicked %v", from, to, legal, panicked)
			}
		}
	}
}
