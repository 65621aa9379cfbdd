package fileproto

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/twophase"
)

// The coordinator side of "create a kernel object bound to a new file". The kernel has
// no disk and cannot wait on a file server, so the coordinator is a trusted task
// acting for the kernel: it holds the memory budget the object is made from and the
// file endpoint with the coordinator badge. Its durable log is a file of its own on
// SKYAIFS (/.coordinator/TXID: begun, decision, end), replaced atomically and fsynced
// at every change, so it survives the same crashes the participant's log does.
//
// The object made here is a persistent memory region: frames of the coordinator's,
// whose contents live in the new file. The file must exist, with its space reserved,
// exactly when the region's transaction committed; an aborted one leaves neither.

// CoordinatorDir is where a coordinator keeps its logs.
const CoordinatorDir = "/.coordinator"

// ErrCrashed is returned when a coordinator's Crash hook stops it (tests).
var ErrCrashed = errors.New("fileproto: coordinator stopped (simulated crash)")

// Tx is one two-phase transaction of a coordinator task.
type Tx struct {
	C    *Client
	ID   uint64 // not 0; unique per coordinator
	Path string // the new file
	Size uint64 // its size (at most MaxBoundSize)
	// Crash, if set, is asked before every durable step and message; true stops the
	// coordinator there, as a crash would (tests).
	Crash func() bool
}

func (t *Tx) logPath() string { return fmt.Sprintf("%s/%016x", CoordinatorDir, t.ID) }

// load reads the coordinator's log (the zero record if there is none).
func (t *Tx) load() (twophase.CoordinatorLog, error) {
	f, err := t.C.Open(t.logPath(), os.O_RDONLY, 0)
	if errors.Is(err, iofs.ErrNotExist) {
		return twophase.CoordinatorLog{}, nil
	}
	if err != nil {
		return twophase.CoordinatorLog{}, err
	}
	defer f.Close()
	b := make([]byte, 4)
	n, err := f.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return twophase.CoordinatorLog{}, err
	}
	r, ok := decodeCoordLog(b[:n])
	if !ok {
		return twophase.CoordinatorLog{}, fmt.Errorf("fileproto: coordinator log %s malformed", t.logPath())
	}
	return r, nil
}

// encodeCoordLog is a coordinator log record's three bytes: begun, decision, end.
func encodeCoordLog(r twophase.CoordinatorLog) []byte {
	b := []byte{0, byte(r.Decision), 0}
	if r.Begun {
		b[0] = 1
	}
	if r.End {
		b[2] = 1
	}
	return b
}

// decodeCoordLog checks and decodes a coordinator log record: exactly three bytes,
// flags 0 or 1, no decision or COMMIT or ABORT, and nothing decided or ended that
// was not begun (nor ended undecided).
func decodeCoordLog(b []byte) (twophase.CoordinatorLog, bool) {
	if len(b) != 3 || b[0] > 1 || b[2] > 1 || (b[1] != 0 && b[1] != byte(twophase.Commit) && b[1] != byte(twophase.Abort)) {
		return twophase.CoordinatorLog{}, false
	}
	r := twophase.CoordinatorLog{Begun: b[0] == 1, Decision: twophase.Msg(b[1]), End: b[2] == 1}
	if (!r.Begun && r.Decision != 0) || (r.End && r.Decision == 0) {
		return twophase.CoordinatorLog{}, false
	}
	return r, true
}

// coordStore is the coordinator's log as twophase sees it.
type coordStore struct {
	t   *Tx
	rec twophase.CoordinatorLog
}

// Load implements twophase.Store: the record read when the transaction was recovered.
func (s *coordStore) Load() twophase.CoordinatorLog { return s.rec }

// Save implements twophase.Store: the record written beside the log, renamed over it
// and fsynced.
func (s *coordStore) Save(r twophase.CoordinatorLog) error {
	t := s.t
	if t.Crash != nil && t.Crash() {
		return ErrCrashed
	}
	if err := t.C.Mkdir(CoordinatorDir, 0o700); err != nil && !errors.Is(err, iofs.ErrExist) {
		return err
	}
	b := encodeCoordLog(r)
	tmp := t.logPath() + ".tmp"
	f, err := t.C.Open(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		f.Close()
		return err
	}
	if err := t.C.Rename(tmp, t.logPath()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil { // every change before it, the rename included
		f.Close()
		return err
	}
	s.rec = r
	return f.Close()
}

// send delivers one message to the participant and returns its answer.
func (t *Tx) send(m twophase.Msg) (twophase.Msg, error) {
	if t.Crash != nil && t.Crash() {
		return 0, ErrCrashed
	}
	var r uint64
	var err error
	switch m {
	case twophase.Prepare:
		if err := t.C.putPaths(t.Path); err != nil {
			return 0, err
		}
		r, _, err = t.C.call(LabelTxPrepare, t.ID, t.Size, uint64(len(t.Path)))
	case twophase.Commit, twophase.Abort:
		r, _, err = t.C.call(LabelTxDecide, t.ID, uint64(m), 0)
	case twophase.Forget:
		r, _, err = t.C.call(LabelTxForget, t.ID, 0, 0)
	default:
		return 0, fmt.Errorf("fileproto: the coordinator does not send %v", m)
	}
	if err != nil {
		return 0, err
	}
	if a := twophase.Msg(r); a != twophase.Yes && a != twophase.No && a != twophase.Ack && a != twophase.Forgot {
		return 0, fmt.Errorf("%w: participant answered %v", ErrProtocol, a)
	}
	return twophase.Msg(r), nil
}

// Run begins the transaction, or recovers it from the coordinator's log after a
// crash, and drives it until the participant acknowledged the decision and forgot the
// transaction, and returns the decision (Commit: the file exists, reserved, at Path).
// Nothing of a finished transaction is left on the participant's side. The
// coordinator's own log of an aborted transaction is removed too (presumed abort: no
// record means ABORT); that of a committed one stays, as the record that Path was made
// by this transaction (Run again answers Commit from it, and the shell re-binds its
// region), until Forget. An error leaves the logs as the last durable step wrote them:
// Run again (after a restart) to finish.
func (t *Tx) Run() (twophase.Msg, error) {
	if t.ID == 0 || t.Size > MaxBoundSize {
		return 0, fmt.Errorf("fileproto: transaction id 0 or size %d over %d", t.Size, MaxBoundSize)
	}
	rec, err := t.load()
	if err != nil {
		return 0, err
	}
	store := &coordStore{t: t, rec: rec}
	var queue []twophase.Msg
	c, err := twophase.NewCoordinator(store, func(m twophase.Msg) { queue = append(queue, m) })
	if err != nil {
		return 0, err
	}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		answer, err := t.send(m)
		if err != nil {
			// The participant is unreachable: as the coordinator's timer, which
			// aborts an undecided transaction and sends a decision again later (here:
			// when Run is called again).
			if c.Decision() == 0 && !errors.Is(err, ErrCrashed) {
				if terr := c.Timeout(); terr != nil {
					return 0, terr
				}
			}
			return c.Decision(), err
		}
		if err := c.Receive(answer); err != nil {
			return c.Decision(), err
		}
	}
	if !c.Done() || !c.Forgotten() {
		return c.Decision(), fmt.Errorf("fileproto: transaction %#x not acknowledged and forgotten", t.ID)
	}
	if c.Decision() == twophase.Abort {
		if err := t.removeLog(); err != nil {
			return c.Decision(), err
		}
	}
	return c.Decision(), nil
}

// Forget finishes the transaction (as Run) and removes the coordinator's log of it:
// the caller needs no record that Path was made by it any more (the shell: the
// region's file was removed). Run afterwards begins a new transaction.
func (t *Tx) Forget() error {
	rec, err := t.load()
	if err != nil {
		return err
	}
	if !rec.Begun {
		return nil
	}
	if _, err := t.Run(); err != nil {
		return err
	}
	return t.removeLog()
}

// removeLog removes the coordinator's log of the transaction (and a record a crash
// left beside it), durably. Safety does not need the sync — a log that comes back
// after a crash says END, and Run with it only makes the participant forget again —
// but without it a finished transaction's log would outlive a crash.
func (t *Tx) removeLog() error {
	if t.Crash != nil && t.Crash() {
		return ErrCrashed
	}
	for _, p := range []string{t.logPath() + ".tmp", t.logPath()} {
		if err := t.C.Remove(p); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
	}
	return t.C.Sync()
}

// BindRegion makes the kernel object of a committed transaction: a region of frames
// (from untyped ut) at va in the caller's address space, holding the file's contents.
// The coordinator calls it after Run returned Commit, and again after each restart
// (the frames die with the task; the file is what persists).
func (t *Tx) BindRegion(e *user.Env, slots *user.Slots, ut, cs, as abi.CPtr, va uint64) (*user.Region, error) {
	pages := (t.Size + abi.PageSize - 1) / abi.PageSize
	r, err := e.NewRegion(slots, ut, cs, as, va, 0, max(pages, 1))
	if err != nil {
		return nil, err
	}
	f, err := t.C.Open(t.Path, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, t.Size)
	if n, err := f.ReadAt(b, 0); uint64(n) != t.Size {
		return nil, fmt.Errorf("fileproto: bound file %s: %d of %d bytes: %v", t.Path, n, t.Size, err)
	}
	e.Store(r.OutputVA(), b)
	return r, nil
}

// TxState asks the participant what its log says of transaction id (LabelTxInquire).
func (c *Client) TxState(id uint64) (twophase.State, error) {
	r, _, err := c.call(LabelTxInquire, id, 0, 0)
	if err != nil {
		return 0, err
	}
	if r > uint64(twophase.Aborted) {
		return 0, fmt.Errorf("%w: transaction state %d", ErrProtocol, r)
	}
	return twophase.State(r), nil
}
