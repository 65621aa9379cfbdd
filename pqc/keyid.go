package pqc

import (
	"crypto/sha3"
	"encoding/hex"
)

// KeyID identifies a public key: it is the SHA3-256 digest of the key's byte encoding
// ([PublicKey.Bytes] or [KEMPublicKey.Bytes]). Two different keys have different ids
// (barring a SHA3-256 collision), and the id of a private key is the id of its public
// key, so a key file, a log line and an error message all name a key the same way.
type KeyID [32]byte

func keyIDOf(publicKeyBytes []byte) KeyID {
	return KeyID(sha3.Sum256(publicKeyBytes))
}

// String returns the full id as 64 lowercase hex digits.
func (id KeyID) String() string {
	return hex.EncodeToString(id[:])
}

// Short returns the first 8 hex digits of the id followed by "…", the form used in
// messages meant for people. It is not unique enough to select a key by; use String
// for that.
func (id KeyID) Short() string {
	return hex.EncodeToString(id[:4]) + "…"
}
