// Package audit is the module pipeline's audit log: an append-only, hash-chained,
// signed record of every load, refusal, update, rollback and key use.
//
// Each record names the SHA3-512 digest of the record before it, so a record cannot
// be altered, removed, inserted or moved without breaking the chain at the record
// after it. Every few records (the batch size given to [NewLog]) and whenever
// [Log.Seal] is called, the log appends a seal: a record whose ML-DSA-87 signature
// (NIST level 5, domain [DomainAudit]) covers the seal itself, and through its
// previous-record digest and count every record before it. Seals are links of the
// chain like any other record, so a seal cannot be dropped or replaced without
// [Verify] noticing either. Records after the last seal are not yet authenticated;
// Verify reports them as an unsealed tail, an error with [Strict] and a warning
// otherwise.
//
// What the chain cannot show by itself is truncation at a seal: a log cut just after
// one of its seals is a valid, shorter log. A reader that must detect it compares
// [Report.Records] (or [Report.Head]) with a count or digest it remembered from an
// earlier verification.
//
// docs/AUDIT.md describes the file format byte by byte.
package audit

import (
	"errors"
	"fmt"
)

// DomainAudit is the signature domain (FIPS 204 context string) of seals: a seal's
// signature never verifies as a package's, manifest's or index's, nor theirs as a
// seal's.
const DomainAudit = "skyscope/audit/v1"

// FormatVersion is the log file format this package writes and reads.
const FormatVersion = 1

// Errors, one per check; [Verify] wraps them in an [*Error] that names the record and
// says what was wrong. Match with errors.Is.
var (
	ErrNotLog        = errors.New("not an audit log")
	ErrVersion       = errors.New("unsupported audit log format version")
	ErrTruncated     = errors.New("log truncated mid-record")
	ErrMalformed     = errors.New("malformed record")
	ErrSequence      = errors.New("sequence number out of order")
	ErrChain         = errors.New("previous-record digest does not match")
	ErrSealCount     = errors.New("seal count does not match its position")
	ErrUntrustedKey  = errors.New("seal signed by a key not in the trust root")
	ErrSealSignature = errors.New("seal signature does not verify")
	ErrUnsealed      = errors.New("unsealed tail")
	ErrField         = errors.New("invalid record field")
	ErrSign          = errors.New("sealing failed")
)

// Error is a failed check of a log: Record is the failing record's position in the
// file, counted from 0 (which, in a valid log, is its sequence number), or -1 for the
// header. It wraps Err, one of the package's sentinel errors, and the underlying
// cause if there is one.
type Error struct {
	Record int
	Err    error
	msg    string
	cause  error
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the sentinel error and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.cause}
}

// recordErr returns an *Error for record i (-1: the header) with kind and a message
// made from format and args.
func recordErr(i int, kind, cause error, format string, args ...any) *Error {
	return &Error{Record: i, Err: kind, cause: cause, msg: fmt.Sprintf(format, args...)}
}
