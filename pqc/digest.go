package pqc

import (
	"crypto/sha3"
	"hash"
)

// Sum512 returns the SHA3-512 digest (FIPS 202) of b. Its 256-bit collision
// resistance against quantum attackers is what NIST level 5 requires of a digest.
func Sum512(b []byte) [64]byte {
	return sha3.Sum512(b)
}

// NewHash512 returns a new streaming SHA3-512 hash, for inputs too large to hold in
// memory. Its Sum equals [Sum512] of everything written.
func NewHash512() hash.Hash {
	return sha3.New512()
}
