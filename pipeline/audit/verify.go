package audit

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/skyscope-os/skyscope/pqc"
)

// TrustRoot is the set of keys whose seals are accepted, by key id.
type TrustRoot map[pqc.KeyID]*pqc.PublicKey

// NewTrustRoot returns a trust root of keys.
func NewTrustRoot(keys ...*pqc.PublicKey) TrustRoot {
	t := TrustRoot{}
	for _, k := range keys {
		t[k.ID()] = k
	}
	return t
}

// key returns the trusted key with id, or nil. A map entry under another key's id is
// ignored, so a mis-built trust root cannot make a seal verify under a false name.
func (t TrustRoot) key(id pqc.KeyID) *pqc.PublicKey {
	if k := t[id]; k != nil && k.ID() == id {
		return k
	}
	return nil
}

// Option changes how [Verify] checks a log.
type Option func(*options)

type options struct {
	strict bool
}

// Strict makes records after the last seal (an unsealed tail), and a log with no
// seal, an error wrapping [ErrUnsealed] instead of a warning.
func Strict() Option { return func(o *options) { o.strict = true } }

// Report describes a log that [Verify] checked. When Verify fails, it describes the
// records before the failing one.
type Report struct {
	// Records is the number of records, seals included.
	Records int
	// Seals is the number of seals.
	Seals int
	// Kinds counts the records of each kind.
	Kinds map[Kind]int
	// Signers are the ids of the keys that signed seals, in the order of their first seal.
	Signers []pqc.KeyID
	// First and Last are the times of the first and the last record (zero if there are
	// no records).
	First, Last time.Time
	// Sealed is the number of records up to and including the last seal: the
	// authenticated part of the log. SealedSize is its size in bytes, header included:
	// logBytes[:SealedSize] is a log that verifies with Strict.
	Sealed, SealedSize int
	// Unsealed is the number of records after the last seal.
	Unsealed int
	// Head is the digest of the last record (zero if there are no records): the Prev
	// the next record will have.
	Head [DigestSize]byte
	// Warnings are findings that are not failures: an unsealed tail (unless Strict),
	// and time going backwards between records.
	Warnings []string
}

// Verify checks a whole log file against trust, in order, and returns the first
// failure as an [*Error] that names the record and wraps one of: [ErrNotLog] or
// [ErrVersion] (the header); [ErrTruncated] (the file ends inside a length prefix or a
// record); [ErrMalformed] (a record is not a canonical, well-formed record);
// [ErrSequence] (sequence numbers are not 0, 1, 2, …); [ErrChain] (a record's
// previous-record digest is not the digest of the record before it, or not zero in
// record 0); [ErrSealCount] (a seal does not cover exactly the records before it);
// [ErrUntrustedKey] and [ErrSealSignature] (a seal's signer is not in trust, or its
// signature does not verify); and, with [Strict], [ErrUnsealed] (the log does not end
// with a seal).
func Verify(logBytes []byte, trust TrustRoot, opts ...Option) (Report, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	rep := Report{Kinds: map[Kind]int{}}
	if len(logBytes) < HeaderSize || string(logBytes[:len(Magic)]) != Magic {
		return rep, recordErr(-1, ErrNotLog, nil, "%v: the file does not start with %q", ErrNotLog, Magic)
	}
	if v := binary.BigEndian.Uint32(logBytes[len(Magic):]); v != FormatVersion {
		return rep, recordErr(-1, ErrVersion, nil, "%v: the file is format %d; this build reads format %d", ErrVersion, v, FormatVersion)
	}
	rep.SealedSize = HeaderSize

	var (
		prev       [DigestSize]byte
		signers    = map[pqc.KeyID]bool{}
		backwards  int
		firstBack  int
		lastSealAt = -1
	)
	off := HeaderSize
	for i := 0; off < len(logBytes); i++ {
		rest := len(logBytes) - off
		if rest < lengthSize {
			return rep, recordErr(i, ErrTruncated, nil,
				"record %d: %v: the file ends %d bytes into its 4-byte length prefix", i, ErrTruncated, rest)
		}
		n := int(binary.BigEndian.Uint32(logBytes[off:]))
		if n == 0 || n > MaxRecordSize {
			return rep, recordErr(i, ErrMalformed, nil,
				"record %d: %v: length prefix %d; a record is 1 … %d bytes", i, ErrMalformed, n, MaxRecordSize)
		}
		if n > rest-lengthSize {
			return rep, recordErr(i, ErrTruncated, nil,
				"record %d: %v: its length prefix says %d bytes, the file has %d more", i, ErrTruncated, n, rest-lengthSize)
		}
		body := logBytes[off+lengthSize : off+lengthSize+n]
		r, err := DecodeRecord(body)
		if err != nil {
			return rep, recordErr(i, ErrMalformed, err, "record %d: %v", i, err)
		}
		if err := checkSeq(i, r.Seq); err != nil {
			return rep, err
		}
		if r.Prev != prev {
			if i == 0 {
				return rep, recordErr(i, ErrChain, nil,
					"record 0: %v (record 0 must name the zero digest; records before it were removed)", ErrChain)
			}
			return rep, recordErr(i, ErrChain, nil, "record %d: %v (record %d was altered or removed)", i, ErrChain, i-1)
		}
		if r.Kind == KindSeal {
			if err := checkSeal(i, &r, trust); err != nil {
				return rep, err
			}
		}

		// The record is good: account for it.
		prev = pqc.Sum512(body)
		off += lengthSize + n
		t := r.TimeValue()
		if i == 0 {
			rep.First = t
		} else if t.Before(rep.Last) {
			if backwards == 0 {
				firstBack = i
			}
			backwards++
		}
		rep.Last = t
		rep.Records++
		rep.Kinds[r.Kind]++
		rep.Head = prev
		if r.Kind == KindSeal {
			rep.Seals++
			if !signers[r.Signer] {
				signers[r.Signer] = true
				rep.Signers = append(rep.Signers, r.Signer)
			}
			rep.Sealed, rep.SealedSize, lastSealAt = rep.Records, off, i
		}
		rep.Unsealed = rep.Records - rep.Sealed
	}

	if backwards > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("time goes backwards at %s, first at record %d (the clock was set back)", count(uint64(backwards)), firstBack))
	}
	if rep.Unsealed > 0 || rep.Records == 0 {
		var msg string
		switch {
		case rep.Records == 0:
			msg = fmt.Sprintf("%v: the log is empty, without even a seal", ErrUnsealed)
		case lastSealAt < 0:
			msg = fmt.Sprintf("%v: %s and no seal", ErrUnsealed, count(uint64(rep.Unsealed)))
		default:
			msg = fmt.Sprintf("%v: %s after the last seal (record %d)", ErrUnsealed, count(uint64(rep.Unsealed)), lastSealAt)
		}
		if o.strict {
			return rep, recordErr(rep.Sealed, ErrUnsealed, nil, "record %d: %s", rep.Sealed, msg)
		}
		rep.Warnings = append(rep.Warnings, msg)
	}
	return rep, nil
}

// checkSeq checks that record i has sequence number i.
func checkSeq(i int, seq uint64) error {
	want := uint64(i)
	var why string
	switch {
	case seq == want:
		return nil
	case i > 0 && seq == want-1:
		why = fmt.Sprintf("a duplicate of record %d's", i-1)
	case seq < want:
		why = "records were reordered or replayed"
	default:
		why = fmt.Sprintf("%s missing before it, or records were reordered", count(seq-want))
	}
	return recordErr(i, ErrSequence, nil, "record %d: %v: sequence number %d, want %d (%s)", i, ErrSequence, seq, want, why)
}

// checkSeal checks the seal at record i: it covers exactly the records before it,
// its signer is trusted, and its signature verifies.
func checkSeal(i int, r *Record, trust TrustRoot) error {
	if r.Count != uint64(i) {
		return recordErr(i, ErrSealCount, nil, "seal at record %d: %v: it claims to cover %d records, %d precede it",
			i, ErrSealCount, r.Count, i)
	}
	key := trust.key(r.Signer)
	if key == nil {
		return recordErr(i, ErrUntrustedKey, nil, "seal at record %d is signed by key %s, which is not in the trust root",
			i, r.Signer.Short())
	}
	msg, err := r.sealMessage()
	if err != nil {
		return recordErr(i, ErrMalformed, err, "seal at record %d: %v: %v", i, ErrMalformed, err)
	}
	if err := key.Verify(DomainAudit, msg, r.Signature); err != nil {
		return recordErr(i, ErrSealSignature, err, "seal at record %d does not verify with key %s", i, key.ID().Short())
	}
	return nil
}

// count returns "1 record" or "n records".
func count(n uint64) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}
