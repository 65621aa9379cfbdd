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

// checkTx checks agreement on the final disk: the coordinator's decision, its log and
// the file agree; the participant forgot the transaction (it answers NONE and none of
// its files is left: log, record, reservation); the coordinator's log stays only for
// a commit (saying END).
func checkTx(t *testing.T, what string, mem *block.Mem, out txOutcome) {
	t.Helper()
	if !out.ran || out.err != nil || out.stateErr != nil {
		t.Fatalf("%s: coordinator ran %v: %v, state %v", what, out.ran, out.err, out.stateErr)
	}
	f := mountImage(t, mem.Image())
	st, err := f.Stat(txPath)
	for _, ext := range []string{"data", "log", "tmp"} {
		if _, err := f.Lstat(fmt.Sprintf("/.twophase/%016x.%s", txID, ext)); !errors.Is(err, iofs.ErrNotExist) {
			t.Errorf("%s: the participant's %s is left over: %v", what, ext, err)
		}
	}
	if out.state != twophase.None {
		t.Errorf("%s: the participant did not forget the transaction: %v", what, out.state)
	}
	coordLog, coordErr := f.ReadFile(fmt.Sprintf("%s/%016x", CoordinatorDir, txID))
	switch out.decision {
	case twophase.Commit:
		if err != nil || st.Size != txSize {
			t.Errorf("%s: committed, but %s: size %d, %v", what, txPath, st.Size, err)
		}
		if r, ok := decodeCoordLog(coordLog); coordErr != nil || !ok || r.Decision != twophase.Commit || !r.End {
			t.Errorf("%s: committed, coordinator log %q %v", what, coordLog, coordErr)
		}
		if out.bindErr != nil || len(out.bound) == 0 {
			t.Errorf("%s: committed, region not bound: %v", what, out.bindErr)
		}
	case twophase.Abort:
		if !errors.Is(err, iofs.ErrNotExist) {
			t.Errorf("%s: aborted, but %s exists: %v", what, txPath, err)
		}
		if !errors.Is(coordErr, iofs.ErrNotExist) {
			t.Errorf("%s: aborted, but the coordinator's log is left: %q %v", what, coordLog, coordErr)
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
	if out.err != nil || out.decision != twophase.Abort || out.state != twophase.None {
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

// TestTwoPhaseLogsCleaned: after N transactions (committed and aborted) the
// participant's log directory holds nothing and the coordinator's holds only the
// committed ones' records (what re-binds their regions), which Forget removes; a
// prepared, undecided transaction is not forgotten (EBUSY) and its log stays.
func TestTwoPhaseLogsCleaned(t *testing.T) {
	const n = 8
	var errs []error
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	var afterRuns, afterForget []string
	var coordAfterRuns []string
	ls := func(f *skyfs.FS, dir string) []string {
		es, err := f.Readdir(dir)
		if err != nil && !errors.Is(err, iofs.ErrNotExist) {
			errf("readdir %s: %v", dir, err)
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Name)
		}
		return names
	}
	var server *skyfs.FS
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error {
			server = f
			if err := f.WriteFile("/taken", []byte("x"), 0o644); err != nil {
				return err
			}
			return s.AddClient(coordBadge, f.Root())
		},
		clients: []clientSpec{{coordBadge, func(e *user.Env) {
			c, err := attach(e, 2)
			if err != nil {
				errf("attach: %v", err)
				return
			}
			var committed []*Tx
			for i := range n {
				p := fmt.Sprintf("/r%d", i)
				if i%3 == 2 {
					p = "/taken" // votes NO
				}
				tx := &Tx{C: c, ID: uint64(100 + i), Path: p, Size: 5000}
				d, err := tx.Run()
				if err != nil {
					errf("transaction %d: %v", i, err)
					continue
				}
				if (d == twophase.Commit) != (i%3 != 2) {
					errf("transaction %d: %v", i, d)
				}
				if d == twophase.Commit {
					committed = append(committed, tx)
				}
			}
			// A prepared transaction the coordinator stops at (crashes) after PREPARE.
			steps := 0
			stuck := &Tx{C: c, ID: 999, Path: "/stuck", Size: 100, Crash: func() bool { steps++; return steps > 2 }}
			if _, err := stuck.Run(); !errors.Is(err, ErrCrashed) {
				errf("the stuck transaction: %v", err)
			}
			if st, err := c.TxState(999); err != nil || st != twophase.Prepared {
				errf("the stuck transaction's participant: %v %v", st, err)
			}
			if _, _, err := c.call(LabelTxForget, 999, 0, 0); !errors.Is(err, unix.EBUSY) {
				errf("forgetting a prepared transaction: %v, want EBUSY", err)
			}
			afterRuns = ls(server, "/.twophase")
			coordAfterRuns = ls(server, CoordinatorDir)
			for _, tx := range committed {
				if err := tx.Forget(); err != nil {
					errf("forget %#x: %v", tx.ID, err)
				}
				if err := tx.Forget(); err != nil {
					errf("forget %#x again: %v", tx.ID, err)
				}
			}
			// The stuck one finishes (presumed abort) and leaves nothing either.
			stuck.Crash = nil
			if d, err := stuck.Run(); err != nil || d != twophase.Abort {
				errf("recovering the stuck transaction: %v %v", d, err)
			}
			afterForget = append(ls(server, "/.twophase"), ls(server, CoordinatorDir)...)
		}}}}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	// Left after the runs: only the stuck transaction's log and reservation on the
	// participant's side; on the coordinator's, the committed ones and the stuck one.
	want := []string{fmt.Sprintf("%016x.data", 999), fmt.Sprintf("%016x.log", 999)}
	if fmt.Sprint(afterRuns) != fmt.Sprint(want) {
		t.Errorf("after %d transactions the participant's logs hold %v, want only %v", n, afterRuns, want)
	}
	var wantCoord []string
	for i := range n {
		if i%3 != 2 {
			wantCoord = append(wantCoord, fmt.Sprintf("%016x", 100+i))
		}
	}
	wantCoord = append(wantCoord, fmt.Sprintf("%016x", 999))
	if fmt.Sprint(coordAfterRuns) != fmt.Sprint(wantCoord) {
		t.Errorf("the coordinator's logs hold %v, want %v", coordAfterRuns, wantCoord)
	}
	if len(afterForget) != 0 {
		t.Errorf("after Forget the logs hold %v", afterForget)
	}
}
