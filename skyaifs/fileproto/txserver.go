package fileproto

import (
	"encoding/binary"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path"
	"strings"

	"github.com/skyscope-os/skyscope/skyaifs/twophase"
	"golang.org/x/sys/unix"
)

// The participant side of the two-phase commit "create a kernel object bound to a
// new file" (skyaifs/twophase; docs/SKYAIFS.md "Two-phase commit"). The coordinator
// is a trusted task acting for the kernel (it makes the kernel object); skyaifsd
// reserves the file and keeps its log in the filesystem itself:
//
//	/.twophase/TXID.log   state (1 byte), size (u64), target path: the participant's
//	                      twophase.Store, rewritten and fsynced at every change
//	/.twophase/TXID.data  the reserved file: size bytes, written (so its blocks are
//	                      allocated) and fsynced before PREPARED is logged
//
// COMMIT renames the reservation to its path; ABORT unlinks it. Both are idempotent
// (they run again after a crash between the logged decision and the acknowledgement).
// A transaction's log is kept after it is decided, until the coordinator, having
// logged END, tells the participant to forget it (LabelTxForget): before that, a
// participant that forgot a committed transaction would answer a resent COMMIT with
// an abort (presumed abort). Forgetting removes the log (and any leftover of it) and
// is durable before FORGOT is answered.

// txDir is where the participant keeps its logs and reservations.
const txDir = "/.twophase"

// txRecord is a participant log record.
type txRecord struct {
	state twophase.State
	size  uint64
	path  string
}

func txName(id uint64, ext string) string { return fmt.Sprintf("%s/%016x.%s", txDir, id, ext) }

// loadTx reads transaction id's log; a missing log is the zero record (NONE).
func (s *Server) loadTx(id uint64) (txRecord, error) {
	b, err := s.fs.ReadFile(txName(id, "log"))
	if errors.Is(err, iofs.ErrNotExist) {
		return txRecord{}, nil
	}
	if err != nil {
		return txRecord{}, err
	}
	r, ok := decodeTxRecord(b)
	if !ok {
		return txRecord{}, fmt.Errorf("fileproto: transaction %#x: malformed log", id)
	}
	return r, nil
}

// encodeTxRecord is a participant log record's bytes.
func encodeTxRecord(r txRecord) []byte {
	b := append([]byte{byte(r.state)}, binary.LittleEndian.AppendUint64(nil, r.size)...)
	return append(b, r.path...)
}

// decodeTxRecord checks and decodes a participant log record: a known state, a size
// within MaxBoundSize, and a path (1…PathMax bytes without NUL) once prepared.
func decodeTxRecord(b []byte) (txRecord, bool) {
	if len(b) < 9 || len(b) > 9+PathMax || b[0] > byte(twophase.Aborted) {
		return txRecord{}, false
	}
	r := txRecord{state: twophase.State(b[0]), size: binary.LittleEndian.Uint64(b[1:]), path: string(b[9:])}
	if r.size > MaxBoundSize || strings.IndexByte(r.path, 0) >= 0 || (r.state == twophase.Prepared && r.path == "") {
		return txRecord{}, false
	}
	return r, true
}

// saveTx writes and fsyncs transaction id's log.
func (s *Server) saveTx(id uint64, r txRecord) error {
	if err := s.fs.Mkdir(txDir, 0o700); err != nil && !errors.Is(err, iofs.ErrExist) {
		return err
	}
	b := encodeTxRecord(r)
	// Written beside and renamed over the log, so that a crash leaves the old
	// record or the new one, never an empty or torn one.
	tmp := txName(id, "tmp")
	if err := s.fs.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	if err := s.fs.Rename(tmp, txName(id, "log")); err != nil {
		return err
	}
	return s.fs.Sync()
}

// txStore is a transaction's log as the twophase package sees it: Load answers from
// the record read before the participant was made (so a read error is the request's
// error, never a NONE that would make a prepared participant abort).
type txStore struct {
	s   *Server
	id  uint64
	rec *txRecord
}

// Load implements twophase.Store.
func (t txStore) Load() twophase.State { return t.rec.state }

// Save implements twophase.Store: the participant's log replaced and fsynced; NONE
// (the participant forgets a finished transaction) removes it.
func (t txStore) Save(st twophase.State) error {
	if st == twophase.None {
		if err := t.s.forgetTx(t.id); err != nil {
			return err
		}
		*t.rec = txRecord{}
		return nil
	}
	r := *t.rec
	r.state = st
	if err := t.s.saveTx(t.id, r); err != nil {
		return err
	}
	*t.rec = r
	return nil
}

// forgetTx removes transaction id's log, and a log record or reservation a crash may
// have left beside it, and makes the removal durable.
func (s *Server) forgetTx(id uint64) error {
	for _, ext := range []string{"tmp", "data", "log"} {
		if err := s.fs.Unlink(txName(id, ext)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
	}
	return s.fs.Sync()
}

// tx serves a two-phase request from the coordinator: it recovers the transaction's
// participant from its log, hands it the message and answers with what it sends.
func (s *Server) tx(cl *client, r request, paths []string) (unix.Errno, uint64, uint64) {
	if s.c.Coordinator == 0 || cl.badge != s.c.Coordinator {
		return unix.EPERM, 0, 0
	}
	rec, err := s.loadTx(r.handle)
	if err != nil {
		return errnoOf(err), 0, 0
	}
	if r.label == LabelTxInquire {
		return 0, uint64(rec.state), 0
	}
	var msg twophase.Msg
	switch r.label {
	case LabelTxPrepare:
		msg = twophase.Prepare
		if rec.state == twophase.None {
			rec.size, rec.path = r.off, paths[0]
		}
	case LabelTxDecide:
		msg = twophase.Msg(r.arg)
	case LabelTxForget:
		msg = twophase.Forget
		if rec.state == twophase.Prepared {
			return unix.EBUSY, 0, 0 // undecided: the coordinator has not ended it
		}
	}
	var sent twophase.Msg
	store := txStore{s, r.handle, &rec}
	vote := func() bool { return s.reserve(r.handle, rec) == nil }
	apply := func(commit bool) error { return s.applyTx(r.handle, rec, commit) }
	p, err := twophase.NewParticipant(store, func(m twophase.Msg) { sent = m }, vote, apply)
	if err == nil {
		err = p.Receive(msg)
	}
	if err != nil {
		return errnoOf(err), 0, 0
	}
	return 0, uint64(sent), 0
}

// reserve is the vote: the path must be free and its directory exist; the
// reservation is written in full and fsynced, so a YES means the space is held.
func (s *Server) reserve(id uint64, rec txRecord) error {
	if p := path.Clean("/" + rec.path); p == txDir || strings.HasPrefix(p, txDir+"/") {
		return unix.EINVAL // the participant's own log is not a place for files
	}
	if _, err := s.fs.Lstat(rec.path); !errors.Is(err, iofs.ErrNotExist) {
		return unix.EEXIST
	}
	if err := s.fs.Mkdir(txDir, 0o700); err != nil && !errors.Is(err, iofs.ErrExist) {
		return err
	}
	f, err := s.fs.OpenFile(txName(id, "data"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteAt(make([]byte, rec.size), 0); err != nil {
		s.fs.Unlink(txName(id, "data"))
		return err
	}
	return f.Sync()
}

// applyTx makes the decision take effect, idempotently: COMMIT moves the reservation
// to its path (done already if it is gone and the path exists), ABORT removes it.
func (s *Server) applyTx(id uint64, rec txRecord, commit bool) error {
	data := txName(id, "data")
	_, err := s.fs.Lstat(data)
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return nil // applied before a crash, or never reserved (an abort)
	case err != nil:
		return err
	case commit:
		err = s.fs.Rename(data, rec.path)
	default:
		err = s.fs.Unlink(data)
	}
	if err != nil {
		return err
	}
	return s.fs.Sync()
}
