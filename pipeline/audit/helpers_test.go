package audit

import (
	"crypto/sha3"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"github.com/skyscope-os/skyscope/pqc"
)

// detRand is a deterministic randomness source, so test keys (and the fuzz seeds
// signed with them) are the same on every run.
func detRand(label string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte("skyscope audit test randomness: " + label))
	return h
}

var (
	keysOnce     sync.Once
	keyA, keyB   *pqc.PrivateKey
	detA, detB   *detSigner
	errKeysSetup error
)

// testKeys returns two fixed key pairs: A, which tests trust, and B, which they do not.
func testKeys(t testing.TB) (a, b *pqc.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		if keyA, errKeysSetup = pqc.GenerateKey(detRand("key A")); errKeysSetup != nil {
			return
		}
		if keyB, errKeysSetup = pqc.GenerateKey(detRand("key B")); errKeysSetup != nil {
			return
		}
		detA, detB = newDetSigner(keyA), newDetSigner(keyB)
	})
	if errKeysSetup != nil {
		t.Fatal(errKeysSetup)
	}
	return keyA, keyB
}

// detSigners returns deterministic signers for keys A and B.
func detSigners(t testing.TB) (a, b *detSigner) {
	testKeys(t)
	return detA, detB
}

// detSigner is a Signer that is not a *pqc.PrivateKey, as a key vault would be: it
// signs deterministically (FIPS 204 deterministic variant), so the logs it seals are
// byte-for-byte reproducible, which committed fuzz seeds need.
type detSigner struct {
	sk *mldsa87.PrivateKey
	id pqc.KeyID
}

func newDetSigner(priv *pqc.PrivateKey) *detSigner {
	var buf [mldsa87.PrivateKeySize]byte
	copy(buf[:], priv.Bytes())
	sk := new(mldsa87.PrivateKey)
	sk.Unpack(&buf)
	return &detSigner{sk: sk, id: priv.ID()}
}

func (s *detSigner) Sign(domain string, msg []byte) ([]byte, error) {
	sig := make([]byte, mldsa87.SignatureSize)
	if err := mldsa87.SignTo(s.sk, msg, []byte(domain), false, sig); err != nil {
		return nil, err
	}
	return sig, nil
}

func (s *detSigner) ID() pqc.KeyID { return s.id }

// failSigner fails, or returns a signature of the wrong size.
type failSigner struct {
	id      pqc.KeyID
	fail    bool
	sigSize int
}

func (s *failSigner) Sign(string, []byte) ([]byte, error) {
	if s.fail {
		return nil, errors.New("vault unavailable")
	}
	return make([]byte, s.sigSize), nil
}

func (s *failSigner) ID() pqc.KeyID { return s.id }

// epoch is the fixed start of test clocks.
var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock returns a clock that starts at epoch and advances 1ms per reading.
func clock() func() time.Time {
	t := epoch
	return func() time.Time {
		t = t.Add(time.Millisecond)
		return t
	}
}

// event is an Append call.
type event struct {
	kind                     Kind
	subject, version, detail string
}

// events returns n varied events.
func events(n int) []event {
	kinds := []Kind{KindLoad, KindRefuse, KindUpdateStart, KindUpdateCommit, KindRollback, KindKeyUse, KindOther}
	subjects := []string{"hello", "shell", "netstack", "fs-ext2", "", "clock"}
	var es []event
	for i := range n {
		e := event{kind: kinds[i%len(kinds)], subject: subjects[i%len(subjects)]}
		if i%3 != 2 {
			e.version = "1." + string(rune('0'+i%10)) + ".0"
		}
		switch e.kind {
		case KindRefuse:
			e.detail = "package signature does not verify with key 3f2a9c1d…"
		case KindRollback:
			e.detail = "new version failed to initialise: exit status 2"
		case KindOther:
			e.detail = "données: ünïcödé ✓"
		}
		es = append(es, e)
	}
	return es
}

// buildLog appends es to a new log sealed by signer every batch records and, if
// sealEnd, seals it at the end.
func buildLog(t testing.TB, signer Signer, batch int, es []event, sealEnd bool) *Log {
	t.Helper()
	l, err := NewLog(signer, batch, clock())
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if _, err := l.Append(e.kind, e.subject, e.version, e.detail); err != nil {
			t.Fatal(err)
		}
	}
	if sealEnd {
		if err := l.Seal(); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// frames splits a well-formed log file into its records' encodings.
func frames(t testing.TB, b []byte) [][]byte {
	t.Helper()
	var fs [][]byte
	for off := HeaderSize; off < len(b); {
		n := int(binary.BigEndian.Uint32(b[off:]))
		fs = append(fs, b[off+4:off+4+n])
		off += 4 + n
	}
	return fs
}

// header returns the header of a format-1 log.
func header() []byte {
	h := []byte(Magic)
	return binary.BigEndian.AppendUint32(h, FormatVersion)
}

// assemble makes a log file of records' encodings.
func assemble(fs [][]byte) []byte {
	b := header()
	for _, f := range fs {
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}

// offsets returns the offset of each record's length prefix in a log file, and the
// file's length last.
func offsets(t testing.TB, b []byte) []int {
	var offs []int
	off := HeaderSize
	for _, f := range frames(t, b) {
		offs = append(offs, off)
		off += 4 + len(f)
	}
	return append(offs, off)
}

func decode(t testing.TB, b []byte) Record {
	t.Helper()
	r, err := DecodeRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func encode(t testing.TB, r Record) []byte {
	t.Helper()
	b, err := r.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// resign returns r as a seal signed by s (Signer and Signature replaced).
func resign(t testing.TB, r Record, s Signer) Record {
	t.Helper()
	r.Signer = s.ID()
	msg, err := r.sealMessage()
	if err != nil {
		t.Fatal(err)
	}
	if r.Signature, err = s.Sign(DomainAudit, msg); err != nil {
		t.Fatal(err)
	}
	return r
}

// rechain recomputes every Prev from record from on (and re-signs seals with s, if
// s is not nil), as an attacker who can rewrite the log but not sign would, or as one
// who holds s.
func rechain(t testing.TB, fs [][]byte, from int, s Signer) [][]byte {
	t.Helper()
	out := append([][]byte(nil), fs...)
	for i := from; i < len(out); i++ {
		r := decode(t, out[i])
		if i == 0 {
			r.Prev = [DigestSize]byte{}
		} else {
			r.Prev = pqc.Sum512(out[i-1])
		}
		r.Seq = uint64(i)
		if r.Kind == KindSeal {
			r.Count = uint64(i)
			if s != nil {
				r = resign(t, r, s)
			}
		}
		out[i] = encode(t, r)
	}
	return out
}

// wantErr checks that err wraps kind, is an *Error naming record, and mentions parts.
func wantErr(t testing.TB, err, kind error, record int, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one wrapping %q at record %d", kind, record)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q does not wrap %q", err, kind)
	}
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %q is not an *audit.Error", err)
	}
	if ae.Record != record {
		t.Errorf("error %q names record %d, want %d", err, ae.Record, record)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

var sentinels = []error{ErrNotLog, ErrVersion, ErrTruncated, ErrMalformed, ErrSequence, ErrChain,
	ErrSealCount, ErrUntrustedKey, ErrSealSignature, ErrUnsealed}

// fataler is what testing.TB and *rapid.T have in common.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// checkVerifyError checks that a Verify error is an *Error wrapping a sentinel and
// naming a record in range.
func checkVerifyError(t fataler, err error, nrecords int) {
	t.Helper()
	var ae *Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %q is not an *audit.Error", err)
	}
	if ae.Record < -1 || ae.Record > nrecords {
		t.Fatalf("error %q names record %d of a log of at most %d", err, ae.Record, nrecords)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %q wraps none of the package's sentinel errors", err)
}
