package audit

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pqc"
)

// Kind is what a record reports. The values are part of the file format.
type Kind uint8

// Record kinds. The zero Kind is invalid, so a record whose kind was never set is
// refused rather than written as something it is not.
const (
	KindLoad         Kind = 1 // a module was verified and loaded
	KindRefuse       Kind = 2 // a package, index or request was refused
	KindUpdateStart  Kind = 3 // a live update began
	KindUpdateCommit Kind = 4 // a live update completed
	KindRollback     Kind = 5 // an update was undone
	KindKeyUse       Kind = 6 // a private key signed something
	KindOther        Kind = 7 // anything else
	KindSeal         Kind = 8 // a seal; written only by Log.Seal
)

var kindNames = [...]string{
	KindLoad:         "load",
	KindRefuse:       "refuse",
	KindUpdateStart:  "update-start",
	KindUpdateCommit: "update-commit",
	KindRollback:     "rollback",
	KindKeyUse:       "key-use",
	KindOther:        "other",
	KindSeal:         "seal",
}

// String returns the kind's name ("load", "update-commit", …), or "kind(N)" for a
// value that is not a kind.
func (k Kind) String() string {
	if k.valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

func (k Kind) valid() bool { return k >= KindLoad && k <= KindSeal }

// Limits on a record's fields, in bytes.
const (
	MaxSubject = 64  // module name or other subject
	MaxVersion = 32  // version string
	MaxDetail  = 256 // free text
)

// DigestSize is the size of a SHA3-512 digest, the link between records.
const DigestSize = 64

// MaxRecordSize bounds a record's canonical encoding (a seal, the largest record, is
// about 4,750 bytes); a length prefix above it is refused before anything is read.
const MaxRecordSize = 8192

// Record is one entry of the log. Seq, Time, Kind and Prev are in every record;
// Subject, Version and Detail in events only; Count, Signer and Signature in seals
// only.
type Record struct {
	// Seq is the record's position in the log: 0 for the first record, then one more
	// for each record (seals included).
	Seq uint64
	// Time is when the record was appended, in Unix nanoseconds.
	Time int64
	// Kind is what the record reports.
	Kind Kind
	// Subject is what the event is about, usually a module name; at most MaxSubject
	// bytes of UTF-8.
	Subject string
	// Version is the version string involved, if any; at most MaxVersion bytes of UTF-8.
	Version string
	// Detail is free text, such as a refusal's reason; at most MaxDetail bytes of UTF-8.
	Detail string
	// Prev is the SHA3-512 digest of the previous record's canonical encoding, or 64 zero
	// bytes in record 0.
	Prev [DigestSize]byte
	// Count is, in a seal, the number of records before it (which is its Seq): the seal
	// covers records 0 … Count-1.
	Count uint64
	// Signer is, in a seal, the id of the key that signed it.
	Signer pqc.KeyID
	// Signature is, in a seal, the ML-DSA-87 signature (domain DomainAudit) of the seal's
	// canonical encoding without the signature; see docs/AUDIT.md.
	Signature []byte
}

// TimeValue returns r.Time as a time.Time.
func (r Record) TimeValue() time.Time { return time.Unix(0, r.Time) }

// wire is a record's CBOR form. Which keys are present depends on the values
// (omitempty), so each record has exactly one encoding.
type wire struct {
	Seq     uint64 `cbor:"1,keyasint"`
	Time    int64  `cbor:"2,keyasint"`
	Kind    uint64 `cbor:"3,keyasint"`
	Subject string `cbor:"4,keyasint,omitempty"`
	Version string `cbor:"5,keyasint,omitempty"`
	Detail  string `cbor:"6,keyasint,omitempty"`
	Prev    []byte `cbor:"7,keyasint"`
	Count   uint64 `cbor:"8,keyasint,omitempty"`
	Signer  []byte `cbor:"9,keyasint,omitempty"`
	Sig     []byte `cbor:"10,keyasint,omitempty"`
}

var codec = canon.New(canon.Limits{MaxNesting: 4, MaxArray: 16, MaxMapPairs: 16})

func (r *Record) wire() wire {
	w := wire{Seq: r.Seq, Time: r.Time, Kind: uint64(r.Kind), Subject: r.Subject, Version: r.Version,
		Detail: r.Detail, Prev: r.Prev[:], Count: r.Count}
	if r.Kind == KindSeal {
		w.Signer = r.Signer[:]
		w.Sig = r.Signature
	}
	return w
}

// check reports the first way r is not a well-formed record, without the chain and
// signature checks that need the rest of the log.
func (r *Record) check() error {
	if !r.Kind.valid() {
		return fmt.Errorf("kind %d is not a record kind (1 … %d)", uint8(r.Kind), uint8(KindSeal))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"subject", r.Subject, MaxSubject}, {"version", r.Version, MaxVersion}, {"detail", r.Detail, MaxDetail}} {
		if len(f.v) > f.max {
			return fmt.Errorf("%s is %d bytes; at most %d", f.name, len(f.v), f.max)
		}
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%s is not valid UTF-8", f.name)
		}
	}
	if r.Kind == KindSeal {
		if r.Subject != "" || r.Version != "" || r.Detail != "" {
			return fmt.Errorf("a seal has no subject, version or detail")
		}
		if len(r.Signature) != pqc.SignatureSize {
			return fmt.Errorf("seal signature is %d bytes; %s signatures are %d bytes",
				len(r.Signature), pqc.SignatureAlgorithm, pqc.SignatureSize)
		}
		return nil
	}
	if r.Count != 0 || r.Signer != (pqc.KeyID{}) || len(r.Signature) != 0 {
		return fmt.Errorf("an event (%s) has a seal's count, signer or signature", r.Kind)
	}
	return nil
}

// Encode returns r's canonical encoding (deterministic CBOR with integer keys; see
// docs/AUDIT.md), whose SHA3-512 digest the next record names. It refuses, with an
// error wrapping [ErrField], a record that [DecodeRecord] would refuse.
func (r Record) Encode() ([]byte, error) {
	if err := r.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrField, err)
	}
	w := r.wire()
	return canon.Marshal(&w)
}

// Digest returns the SHA3-512 digest of r's canonical encoding: the Prev of the
// record after r. It is the zero digest if r cannot be encoded.
func (r Record) Digest() [DigestSize]byte {
	b, err := r.Encode()
	if err != nil {
		return [DigestSize]byte{}
	}
	return pqc.Sum512(b)
}

// sealMessage returns what a seal's signature covers: the seal's canonical encoding
// without its signature (key 10).
func (r *Record) sealMessage() ([]byte, error) {
	w := r.wire()
	w.Sig = nil
	return canon.Marshal(&w)
}

// DecodeRecord decodes one record's canonical encoding (without the length prefix of
// the log file) and checks it on its own: b must be exactly the canonical encoding of
// a well-formed record (no unknown, duplicate or misordered keys, shortest integer
// forms, fields within their limits and valid UTF-8, seal fields in seals only). It
// does not check the chain or a seal's signature; [Verify] does. Errors wrap
// [ErrMalformed].
func DecodeRecord(b []byte) (Record, error) {
	if len(b) > MaxRecordSize {
		return Record{}, fmt.Errorf("%w: %d bytes; at most %d", ErrMalformed, len(b), MaxRecordSize)
	}
	var w wire
	if err := codec.Unmarshal(b, &w); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(w.Prev) != DigestSize {
		return Record{}, fmt.Errorf("%w: previous-record digest is %d bytes; it must be %d", ErrMalformed, len(w.Prev), DigestSize)
	}
	if w.Kind == 0 || w.Kind > uint64(KindSeal) {
		return Record{}, fmt.Errorf("%w: kind %d is not a record kind (1 … %d)", ErrMalformed, w.Kind, uint8(KindSeal))
	}
	r := Record{Seq: w.Seq, Time: w.Time, Kind: Kind(w.Kind), Subject: w.Subject, Version: w.Version,
		Detail: w.Detail, Count: w.Count, Signature: w.Sig}
	copy(r.Prev[:], w.Prev)
	if r.Kind == KindSeal {
		if len(w.Signer) != len(r.Signer) {
			return Record{}, fmt.Errorf("%w: seal signer key id is %d bytes; it must be %d", ErrMalformed, len(w.Signer), len(r.Signer))
		}
		copy(r.Signer[:], w.Signer)
	} else if len(w.Signer) != 0 {
		return Record{}, fmt.Errorf("%w: an event (%s) has a seal's signer", ErrMalformed, r.Kind)
	}
	if err := r.check(); err != nil {
		return Record{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return r, nil
}
