package audit

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/skyscope-os/skyscope/pqc"
)

// Magic is the first 8 bytes of every log file.
const Magic = "SKYAUDIT"

// HeaderSize is the size of the file header: [Magic], then [FormatVersion] as a
// 4-byte big-endian integer.
const HeaderSize = len(Magic) + 4

// lengthSize is the size of the big-endian length prefix before each record.
const lengthSize = 4

// Signer signs seals. *pqc.PrivateKey is a Signer; so can be a key vault that signs
// without handing out its keys. Sign must return an ML-DSA-87 signature of msg for
// domain that verifies with the public key whose id ID returns.
type Signer interface {
	Sign(domain string, msg []byte) ([]byte, error)
	ID() pqc.KeyID
}

var _ Signer = (*pqc.PrivateKey)(nil)

// Log is an audit log being written. It is safe for concurrent use; records are
// numbered in the order their Append calls take the log's lock.
type Log struct {
	mu      sync.Mutex
	signer  Signer
	batch   int
	now     func() time.Time
	buf     []byte // the whole file: header, then length-prefixed records
	next    uint64 // sequence number of the next record
	prev    [DigestSize]byte
	pending int // records since the last seal
	sealed  bool
}

// NewLog returns an empty log whose seals signer signs. After every batch records
// (seals not counted) the log seals itself; batch 0 seals only when Seal is called.
// now is the clock records are stamped with (time.Now if nil).
func NewLog(signer Signer, batch int, now func() time.Time) (*Log, error) {
	if signer == nil {
		return nil, errors.New("audit: NewLog needs a signer")
	}
	if batch < 0 {
		return nil, fmt.Errorf("audit: batch size %d; want 0 (seal on demand only) or more", batch)
	}
	if now == nil {
		now = time.Now
	}
	buf := make([]byte, HeaderSize, 4096)
	copy(buf, Magic)
	binary.BigEndian.PutUint32(buf[len(Magic):], FormatVersion)
	return &Log{signer: signer, batch: batch, now: now, buf: buf}, nil
}

// Append adds an event record and returns it. It refuses, with an error wrapping
// [ErrField] and without changing the log, a kind that is not an event kind (KindSeal
// is written only by Seal), and a subject, version or detail that is longer than its
// limit (MaxSubject, MaxVersion, MaxDetail) or not valid UTF-8.
//
// If the record completes a batch, Append seals the log. Should signing fail, the
// record stays appended (the log is append-only) and Append returns it with an error
// wrapping [ErrSign]; the next Append or Seal tries to seal again.
func (l *Log) Append(kind Kind, subject, version, detail string) (Record, error) {
	if kind == KindSeal {
		return Record{}, fmt.Errorf("%w: kind seal is written by Seal only", ErrField)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r := Record{Seq: l.next, Time: l.now().UnixNano(), Kind: kind, Subject: subject, Version: version,
		Detail: detail, Prev: l.prev}
	if err := l.add(&r); err != nil {
		return Record{}, err
	}
	l.pending++
	if l.batch > 0 && l.pending >= l.batch {
		if err := l.seal(); err != nil {
			return r, fmt.Errorf("record %d appended, but %w", r.Seq, err)
		}
	}
	return r, nil
}

// Seal appends a seal covering every record so far, unless the last record is
// already a seal. Sealing an empty log writes a seal of no records, which records
// who started the log and when. Errors wrap [ErrSign].
func (l *Log) Seal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seal()
}

func (l *Log) seal() error {
	if l.sealed {
		return nil
	}
	r := Record{Seq: l.next, Time: l.now().UnixNano(), Kind: KindSeal, Prev: l.prev, Count: l.next,
		Signer: l.signer.ID()}
	msg, err := r.sealMessage()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSign, err)
	}
	sig, err := l.signer.Sign(DomainAudit, msg)
	if err != nil {
		return fmt.Errorf("%w: signing the seal at record %d with key %s: %w", ErrSign, r.Seq, r.Signer.Short(), err)
	}
	if len(sig) != pqc.SignatureSize {
		return fmt.Errorf("%w: the signer returned a %d-byte signature for the seal at record %d; %s signatures are %d bytes",
			ErrSign, len(sig), r.Seq, pqc.SignatureAlgorithm, pqc.SignatureSize)
	}
	r.Signature = sig
	if err := l.add(&r); err != nil {
		return fmt.Errorf("%w: %v", ErrSign, err)
	}
	l.pending = 0
	return nil
}

// add encodes r, appends it to the file and makes it the chain's head.
func (l *Log) add(r *Record) error {
	b, err := r.Encode()
	if err != nil {
		return err
	}
	l.buf = binary.BigEndian.AppendUint32(l.buf, uint32(len(b)))
	l.buf = append(l.buf, b...)
	l.prev = pqc.Sum512(b)
	l.next++
	l.sealed = r.Kind == KindSeal
	return nil
}

// Bytes returns the log file: the header, then each record as a 4-byte big-endian
// length and the record's canonical encoding (docs/AUDIT.md). The log only grows: the
// result of an earlier call is a prefix of a later one's, so a writer persists a log
// by appending Bytes()[n:] to a file of n bytes.
func (l *Log) Bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return bytes.Clone(l.buf)
}

// Len returns the number of records in the log, seals included.
func (l *Log) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.next)
}
