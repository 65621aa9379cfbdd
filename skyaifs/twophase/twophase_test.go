package twophase

import (
	"os"
	"slices"
	"testing"

	"github.com/skyscope-os/skyscope/internal/spincheck"
	"pgregory.net/rapid"
)

const modelFile = "twophase.pml"

// TestTwoPhaseModel (seed verification target 5): with up to 3 crashes of either side
// at any step (and 4 in a second run), both sides commit or both abort, the
// coordinator commits only on a durable YES, recovery reaches the same decision; and
// under weak fairness both sides finish (ltl terminates).
func TestTwoPhaseModel(t *testing.T) {
	spincheck.Verify(t, modelFile, spincheck.Options{})
	spincheck.Verify(t, modelFile, spincheck.Options{Mode: spincheck.Liveness, LTL: "terminates"})
	spincheck.Verify(t, modelFile, spincheck.Options{Defines: []string{"NCRASH=4"}})
	spincheck.Verify(t, modelFile, spincheck.Options{Mode: spincheck.Liveness, LTL: "terminates", Defines: []string{"NCRASH=4"}})
}

// TestTwoPhaseModelSeededBugs: four bugs that break agreement (a participant that
// forgets before the coordinator logged END among them), and one that breaks
// termination, each give a counterexample.
func TestTwoPhaseModelSeededBugs(t *testing.T) {
	for _, bug := range []string{"BUG_COMMIT_ON_TIMEOUT", "BUG_NO_PREPARE_LOG", "BUG_PRESUME_COMMIT", "BUG_EARLY_FORGET"} {
		t.Run(bug, func(t *testing.T) {
			spincheck.Refute(t, modelFile, spincheck.Options{Defines: []string{bug}}, "assertion violated")
		})
	}
	t.Run("BUG_IGNORE_INQUIRY", func(t *testing.T) {
		spincheck.Verify(t, modelFile, spincheck.Options{Defines: []string{"BUG_IGNORE_INQUIRY"}}) // safe, but…
		spincheck.Refute(t, modelFile, spincheck.Options{Mode: spincheck.Liveness, LTL: "terminates", Defines: []string{"BUG_IGNORE_INQUIRY"}}, "acceptance cycle")
	})
}

// TestTwoPhaseModelDrift: the model's messages and participant states are the code's.
func TestTwoPhaseModelDrift(t *testing.T) {
	b, err := os.ReadFile(modelFile)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	for _, c := range []struct {
		mtype string
		code  []string
	}{{"msg", msgNames[:]}, {"slog", stateNames[:]}} {
		names, err := spincheck.Mtype(src, c.mtype)
		if err != nil {
			t.Fatalf("%s: %v", modelFile, err)
		}
		if !slices.Equal(names, c.code) {
			t.Errorf("mtype:%s %v, code %v", c.mtype, names, c.code)
		}
	}
}

// memStore is a durable log that survives the harness's crashes; check runs before
// each record is saved.
type memStore[L any] struct {
	rec   L
	check func(L)
}

func (s *memStore[L]) Load() L { return s.rec }
func (s *memStore[L]) Save(l L) error {
	if s.check != nil {
		s.check(l)
	}
	s.rec = l
	return nil
}

// world is the harness: both sides, their logs, the channels between them (two
// messages each; a send to a full channel is lost, as in the model), and the
// participant's reservation (what Apply keeps or releases).
type world struct {
	t          *rapid.T
	klog       memStore[CoordinatorLog]
	slog       memStore[State]
	k          *Coordinator
	s          *Participant
	toK, toS   []Msg
	voteYes    bool
	reserved   bool  // the file the participant reserved while preparing
	kdec       Msg   // ghost: the coordinator's decision, never forgotten
	sdecided   State // ghost: the participant's decision, kept when it forgets
	sforgot    bool  // ghost: the participant removed its log
	kDone      bool
	applyCalls int
}

func (w *world) sendToK(m Msg) {
	if len(w.toK) < 2 {
		w.toK = append(w.toK, m)
	}
}

func (w *world) sendToS(m Msg) {
	if len(w.toS) < 2 {
		w.toS = append(w.toS, m)
	}
}

func (w *world) must(err error) {
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) startK() {
	k, err := NewCoordinator(&w.klog, w.sendToS)
	w.must(err)
	w.k = k
}

func (w *world) startS() {
	s, err := NewParticipant(&w.slog, w.sendToK, func() bool {
		if w.voteYes {
			w.reserved = true
		}
		return w.voteYes
	}, func(commit bool) error {
		w.applyCalls++
		w.reserved = commit
		return nil
	})
	w.must(err)
	w.s = s
}

// check is the agreement the model asserts, at every step.
func (w *world) check() {
	if st := w.slog.rec; st == Committed || st == Aborted {
		w.sdecided = st
	}
	switch st := w.slog.rec; {
	case st == Committed && w.kdec != Commit:
		w.t.Fatalf("the participant committed; the coordinator decided %v", w.kdec)
	case st == Aborted && w.kdec == Commit:
		w.t.Fatal("the participant aborted; the coordinator decided COMMIT")
	case st == Aborted && w.reserved:
		w.t.Fatal("aborted, but the reservation is kept")
	}
}

// TestTwoPhaseCrashes drives both sides through random schedules: message
// deliveries, timeouts, lost messages and crashes of either side at any step (a crash
// loses the side's volatile state and the messages on their way to it; its log
// stays). At every step the sides agree (the participant commits only if the
// coordinator decided COMMIT, aborts only if it did not; the coordinator decides
// COMMIT only while the participant's log says PREPARED; the participant forgets only
// after the coordinator logged END, and logs nothing after). Once the crashes stop, a
// fair run ends with both sides done, the participant's log removed, and the
// reservation kept exactly when committed.
func TestTwoPhaseCrashes(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		w := &world{t: rt, voteYes: rapid.Bool().Draw(rt, "vote")}
		w.slog.check = func(st State) {
			if st == None && w.slog.rec != None {
				if !w.klog.rec.End {
					rt.Fatalf("the participant forgot %v before the coordinator logged END", w.slog.rec)
				}
				w.sforgot = true
			}
			if w.sforgot && st != None {
				rt.Fatalf("the participant logged %v after it forgot the transaction", st)
			}
		}
		w.klog.check = func(l CoordinatorLog) {
			if l.Decision == Commit && w.slog.rec != Prepared && w.kdec != Commit {
				rt.Fatalf("the coordinator decided COMMIT while the participant's log says %v", w.slog.rec)
			}
			if l.Decision != 0 && w.kdec == 0 {
				w.kdec = l.Decision
			}
		}
		w.startS()
		w.startK()
		crashes := rapid.IntRange(0, 4).Draw(rt, "crashes")
		for step := 0; step < 40; step++ {
			switch rapid.IntRange(0, 6).Draw(rt, "event") {
			case 0, 1:
				if len(w.toK) > 0 {
					m := w.toK[0]
					w.toK = w.toK[1:]
					w.must(w.k.Receive(m))
				}
			case 2, 3:
				if len(w.toS) > 0 {
					m := w.toS[0]
					w.toS = w.toS[1:]
					w.must(w.s.Receive(m))
				}
			case 4:
				w.must(w.k.Timeout())
				w.s.Timeout()
			case 5:
				if crashes > 0 {
					crashes--
					w.toK = nil
					w.startK()
				}
			case 6:
				if crashes > 0 {
					crashes--
					w.toS = nil
					w.startS()
				}
			}
			w.check()
		}
		// The system stays up now: deliver everything, time out when idle.
		for i := 0; !(w.k.Done() && w.k.Forgotten() && w.sforgot && len(w.toK) == 0 && len(w.toS) == 0); i++ {
			if i > 200 {
				rt.Fatalf("no end: coordinator %+v, participant %v, in flight %v %v", w.klog.rec, w.slog.rec, w.toK, w.toS)
			}
			switch {
			case len(w.toS) > 0:
				m := w.toS[0]
				w.toS = w.toS[1:]
				w.must(w.s.Receive(m))
			case len(w.toK) > 0:
				m := w.toK[0]
				w.toK = w.toK[1:]
				w.must(w.k.Receive(m))
			default:
				w.must(w.k.Timeout())
				w.s.Timeout()
			}
			w.check()
		}
		if (w.sdecided == Committed) != w.reserved || (w.sdecided == Committed) != (w.kdec == Commit) {
			rt.Fatalf("participant decided %v, coordinator %v, reservation kept = %v", w.sdecided, w.kdec, w.reserved)
		}
	})
}
