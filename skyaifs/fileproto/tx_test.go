package fileproto

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/twophase"
	"golang.org/x/sys/unix"
)

const (
	txID   = 7
	txPath = "/region"
	txSize = 10_000
)

// txOutcome is what a coordinator task saw.
type txOutcome struct {
	ran      bool
	decision twophase.Msg
	err      error
	state    twophase.State // the participant's, asked afterwards
	stateErr error
	bound    []byte // the region's first bytes, when committed
	bindErr  error
}

// coordinator is a coordinator task running transaction txID (crash, if set, stops
// it at a step) and, after a commit, binding its region.
func coordinator(out *txOutcome, path string, crash func() bool) func(e *user.Env) {
	return func(e *user.Env) {
		defer func() { out.ran = true }()
		c, err := attach(e, 2)
		if err != nil {
			out.err = err
			return
		}
		tx := &Tx{C: c, ID: txID, Path: path, Size: txSize, Crash: crash}
		out.decision, out.err = tx.Run()
		if out.err != nil {
			return
		}
		out.state, out.stateErr = c.TxState(txID)
		if out.decision == twophase.Commit {
			slots := &user.Slots{Next: 120, Limit: 256}
			r, err := tx.BindRegion(e, slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace, abi.FrameWindow+0x100_0000)
			if out.bindErr = err; err == nil {
				out.bound = make([]byte, 16)
				e.Load(r.OutputVA(), out.bound)
			}
		}
	}
}

func coordWorld(dev block.Device, out *txOutcome, path string, crash func() bool) *world {
	return &world{dev: dev,
		setup: func(f *skyfs.FS, s *Server) error {
			if err := f.WriteFile("/taken", []byte("x"), 0o644); err != nil {
				return err
			}
			return s.AddClient(coordBadge, f.Root())
		},
		clients: []clientSpec{{coordBadge, coordinator(out, path, crash)}}}
}

// checkTx checks agreement on the final disk: the coordinator's decision, the
// participant's log and the file agree, no reservation is left, fsck is clean.
func checkTx(t *testing.T, what string, mem *block.Mem, out txOutcome) {
	t.Helper()
	if !out.ran || out.err != nil || out.stateErr != nil {
		t.Fatalf("%s: coordinator ran %v: %v, state %v", what, out.ran, out.err, out.stateErr)
	}
	f := mountImage(t, mem.Image())
	st, err := f.Stat(txPath)
	_, resErr := f.Lstat(fmt.Sprintf("/.twophase/%016x.data", txID))
	if !errors.Is(resErr, iofs.ErrNotExist) {
		t.Errorf("%s: the reservation is left over: %v", what, resErr)
	}
	switch out.decision {
	case twophase.Commit:
		if err != nil || st.Size != txSize {
			t.Errorf("%s: committed, but %s: size %d, %v", what, txPath, st.Size, err)
		}
		if out.state != twophase.Committed {
			t.Errorf("%s: committed, participant logged %v", what, out.state)
		}
		if out.bindErr != nil || len(out.bound) == 0 {
			t.Errorf("%s: committed, region not bound: %v", what, out.bindErr)
		}
	case twophase.Abort:
		if !errors.Is(err, iofs.ErrNotExist) {
			t.Errorf("%s: aborted, but %s exists: %v", what, txPath, err)
		}
		if out.state != twophase.Aborted {
			t.Errorf("%s: aborted, participant logged %v", what, out.state)
		}
	default:
		t.Errorf("%s: no decision", what)
	}
}

// TestTwoPhaseBoundRegion: a transaction commits (the file exists at its size, the
// participant logged COMMITTED, the region holds the file's contents); one whose path
// is taken gets a NO vote and aborts, leaving nothing; only the coordinator's badge
// may run transactions.
func TestTwoPhaseBoundRegion(t *testing.T) {
	mem := formatted(t)
	var out txOutcome
	coordWorld(mem, &out, txPath, nil).run(t)
	checkTx(t, "commit", mem, out)

	mem = formatted(t)
	out = txOutcome{}
	coordWorld(mem, &out, "/taken", nil).run(t)
	if out.err != nil || out.decision != twophase.Abort || out.state != twophase.Aborted {
		t.Errorf("taken path: decision %v, state %v, %v", out.decision, out.state, out.err)
	}

	var refused unix.Errno
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error { return s.AddClient(0x101, f.Root()) },
		clients: []clientSpec{{0x101, func(e *user.Env) {
			if _, err := attach(e, 2); err != nil {
				return
			}
			refused = raw(e, LabelTxInquire, txID, 0, 0)
		}}}}
	w.run(t)
	if refused != unix.EPERM {
		t.Errorf("a client without the coordinator's badge: %v", refused)
	}
}

// TestTwoPhaseCoordinatorCrash: the coordinator stops (crashes) before each of its
// durable steps and messages in turn; a restarted coordinator recovers from its log
// and finishes, and both sides agree (presumed abort before the decision, the logged
// decision after it).
func TestTwoPhaseCoordinatorCrash(t *testing.T) {
	// Count the steps of an uncrashed run.
	steps := 0
	var out txOutcome
	coordWorld(formatted(t), &out, txPath, func() bool { steps++; return false }).run(t)
	if out.err != nil || out.decision != twophase.Commit || steps < 4 {
		t.Fatalf("uncrashed run: %v, %v after %d steps", out.decision, out.err, steps)
	}
	outcomes := map[twophase.Msg]int{}
	for k := range steps {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			mem := formatted(t)
			n := 0
			var first txOutcome
			coordWorld(mem, &first, txPath, func() bool { n++; return n > k }).run(t)
			if !errors.Is(first.err, ErrCrashed) {
				t.Fatalf("the coordinator did not stop at step %d: %v", k, first.err)
			}
			var again txOutcome
			coordWorld(mem, &again, txPath, nil).run(t)
			checkTx(t, "recovered", mem, again)
			outcomes[again.decision]++
		})
	}
	if outcomes[twophase.Commit] == 0 || outcomes[twophase.Abort] == 0 {
		t.Errorf("crash points led only to %v", outcomes)
	}
}

// TestTwoPhasePowerCut: the power is cut under the block server after n block writes,
// for every n across the transaction, so the participant (and the coordinator, whose
// log is on the same disk) stop at every write; after the restart the coordinator
// recovers and both sides agree.
func TestTwoPhasePowerCut(t *testing.T) {
	mem := formatted(t)
	rec := block.NewRecorder(mem)
	var out txOutcome
	coordWorld(rec, &out, txPath, nil).run(t)
	if out.err != nil || out.decision != twophase.Commit {
		t.Fatalf("uncut run: %v %v", out.decision, out.err)
	}
	writes := 0
	for _, op := range rec.Ops() {
		writes += op.Blocks()
	}
	outcomes := map[twophase.Msg]int{}
	for n := 1; n < writes; n++ {
		mem := formatted(t)
		cut := block.NewCutAfter(mem, uint64(n))
		var first txOutcome
		coordWorld(cut, &first, txPath, nil).run(t)
		if !cut.Cut() {
			t.Fatalf("the power was not cut after %d of %d writes", n, writes)
		}
		var again txOutcome
		coordWorld(mem, &again, txPath, nil).run(t)
		checkTx(t, fmt.Sprintf("cut after %d of %d writes", n, writes), mem, again)
		outcomes[again.decision]++
	}
	if outcomes[twophase.Commit] == 0 || outcomes[twophase.Abort] == 0 {
		t.Errorf("cut points led only to %v", outcomes)
	}
	t.Logf("%d cut points: %v", writes-1, outcomes)
}

// TestTwoPhaseKillServer: skyaifsd is killed as the coordinator reaches each of its
// steps in turn (the writes it made stay on the disk, as after a crash of the task
// alone); after a restart the coordinator recovers and both sides agree, and both
// outcomes occur across the kill points.
func TestTwoPhaseKillServer(t *testing.T) {
	steps := 0
	var out txOutcome
	coordWorld(formatted(t), &out, txPath, func() bool { steps++; return false }).run(t)
	if out.err != nil || steps < 4 {
		t.Fatalf("unkilled run: %v after %d steps", out.err, steps)
	}
	outcomes := map[twophase.Msg]int{}
	for k := 1; k <= steps; k++ {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			mem := formatted(t)
			n, killed := 0, false
			var first txOutcome
			w := coordWorld(mem, &first, txPath, func() bool { n++; return false })
			w.supervise = func(e *user.Env, fsd uint64) {
				for n < k && !first.ran {
					e.Yield()
					e.Compute(1_000)
				}
				killed = e.Kill(abi.InitSlotSystem, fsd) == nil
			}
			w.run(t)
			if !killed {
				t.Fatal("skyaifsd was not killed")
			}
			var again txOutcome
			coordWorld(mem, &again, txPath, nil).run(t)
			checkTx(t, "recovered", mem, again)
			outcomes[again.decision]++
		})
	}
	if outcomes[twophase.Commit] == 0 || outcomes[twophase.Abort] == 0 {
		t.Errorf("kill points led only to %v", outcomes)
	}
	t.Logf("kill points: %v", outcomes)
}

// TestDetachedRequests: after a Detach, every request but Attach is refused (the
// supervisor's Ended aside, EPERM from a client) and the server keeps serving: none
// reaches for the buffer the session no longer has (TxInquire and TxDecide did, and
// crashed the server, before they required an attached buffer).
func TestDetachedRequests(t *testing.T) {
	var errs []error
	done, checked := false, false
	detached := func(e *user.Env) {
		defer func() { done = true }()
		c, err := attach(e, 2)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if err := c.Close(); err != nil {
			errs = append(errs, err)
			return
		}
		for label := uint64(LabelOpen); label < labelEnd; label++ {
			if got := raw(e, label, 1, uint64(twophase.Commit), 0); got == 0 {
				errs = append(errs, fmt.Errorf("request %#x after detaching succeeded", label))
			}
		}
	}
	other := func(e *user.Env) {
		for !done {
			e.Yield()
			e.Compute(10_000)
		}
		c, err := attach(e, 2)
		if err == nil {
			_, err = c.Stat("/")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("another client afterwards: %w", err))
		}
		checked = true
	}
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error {
			if err := s.AddClient(coordBadge, f.Root()); err != nil {
				return err
			}
			return s.AddClient(0x101, f.Root())
		},
		clients: []clientSpec{{coordBadge, detached}, {0x101, other}}}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if !checked {
		t.Error("the server stopped serving")
	}
}
