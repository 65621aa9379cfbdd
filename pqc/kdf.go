package pqc

import (
	"crypto/sha3"
	"encoding/binary"
)

// kdfLabel starts every DeriveKey input, so that SHAKE256 outputs computed here can
// never equal SHAKE256 outputs computed for any other purpose that does not start
// its input with the same label. The "v1" is there so that a future change of the
// encoding gets a new label instead of silently different keys.
const kdfLabel = "skyscope-kdf-v1"

// DeriveKey derives n bytes of key material from secret for one purpose and context,
// with SHAKE256 (FIPS 202, 256-bit security: NIST level 5). The input to SHAKE256 is
//
//	"skyscope-kdf-v1"                    15 bytes, ASCII, no length prefix (it is fixed)
//	len(purpose) as uint64, big-endian   8 bytes
//	purpose                              len(purpose) bytes
//	len(context) as uint64, big-endian   8 bytes
//	context                              len(context) bytes
//	len(secret)  as uint64, big-endian   8 bytes
//	secret                               len(secret) bytes
//
// and the output is its first n bytes. Because every variable field is preceded by its
// length, the input can be parsed back into exactly one (purpose, context, secret)
// triple, so two different triples never give the same input: ("ab", "c") and
// ("a", "bc") derive unrelated keys, unlike with plain concatenation. Give each use of a
// secret its own purpose, such as "skyscope/disk-key/v1", and put whatever the key is
// bound to (a device id, a session transcript) in context.
//
// As with any extendable-output function, DeriveKey(s, p, c, m) is a prefix of
// DeriveKey(s, p, c, n) when m < n: never use one (purpose, context) pair for keys of
// two lengths. n must not be negative; a negative n is a programming error and panics,
// as make([]byte, n) does.
func DeriveKey(secret []byte, purpose string, context []byte, n int) []byte {
	if n < 0 {
		panic("pqc.DeriveKey: negative output length")
	}
	h := sha3.NewSHAKE256()
	var lenBuf [8]byte
	writeField := func(b []byte) {
		binary.BigEndian.PutUint64(lenBuf[:], uint64(len(b)))
		h.Write(lenBuf[:])
		h.Write(b)
	}
	h.Write([]byte(kdfLabel))
	writeField([]byte(purpose))
	writeField(context)
	writeField(secret)
	out := make([]byte, n)
	h.Read(out)
	return out
}
