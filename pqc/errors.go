package pqc

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns for bad input wraps exactly one of
// them, so callers can tell the cases apart with errors.Is while the message itself
// carries the context (which key, which file, what to do).
var (
	// ErrBadSignature means a signature does not verify: it was not made by the key,
	// was made for another domain or message, or was altered.
	ErrBadSignature = errors.New("signature does not verify")

	// ErrInvalidDomain means a signature domain is empty or longer than 255 bytes,
	// the limit of a FIPS 204 context string.
	ErrInvalidDomain = errors.New("invalid signature domain")

	// ErrMalformedKey means raw key bytes are not a valid key: wrong length, not
	// canonically encoded, or internally inconsistent.
	ErrMalformedKey = errors.New("malformed key")

	// ErrMalformedCiphertext means an ML-KEM ciphertext has the wrong length.
	ErrMalformedCiphertext = errors.New("malformed ciphertext")

	// ErrMalformedKeyFile means a key file is not a well-formed key file: not CBOR,
	// not the expected map, duplicate or unknown fields, trailing bytes, too large,
	// or not in canonical (deterministic) encoding.
	ErrMalformedKeyFile = errors.New("malformed key file")

	// ErrUnsupportedVersion means a key file has a format version this build does not
	// read.
	ErrUnsupportedVersion = errors.New("unsupported key file version")

	// ErrWrongAlgorithm means a key file holds a key for another algorithm than the
	// one needed.
	ErrWrongAlgorithm = errors.New("wrong key algorithm")

	// ErrWrongKind means a key file holds a public key where a private key is needed,
	// or the reverse.
	ErrWrongKind = errors.New("wrong key kind")

	// ErrKeyIDMismatch means the key id recorded in a key file is not the id of the
	// key it holds.
	ErrKeyIDMismatch = errors.New("key id does not match key")

	// ErrInsecurePermissions means a private key file can be read or written by users
	// other than its owner.
	ErrInsecurePermissions = errors.New("insecure key file permissions")

	// ErrUninitialized means a method was called on a nil or zero-value key.
	ErrUninitialized = errors.New("uninitialized key")
)

// kindError is an error with a sentinel kind and a full human-readable message.
// It exists so that messages read naturally ("key file x.key has mode 0644; run chmod
// 600 x.key") instead of being prefixed by the sentinel's text, while errors.Is still
// finds the sentinel and errors.As still finds any underlying cause.
type kindError struct {
	kind error
	err  error // the message, possibly wrapping a cause with %w
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.kind, e.err} }

// errorf returns an error that wraps kind and whose message is fmt.Errorf(format,
// args...); %w in format wraps a cause as well.
func errorf(kind error, format string, args ...any) error {
	return &kindError{kind: kind, err: fmt.Errorf(format, args...)}
}
