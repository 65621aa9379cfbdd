package pqc

import (
	"bytes"
	"crypto/mlkem"
	"fmt"
)

// Sizes of ML-KEM-1024 encodings, in bytes.
const (
	// KEMPublicKeySize is the length of [KEMPublicKey.Bytes].
	KEMPublicKeySize = mlkem.EncapsulationKeySize1024
	// KEMPrivateKeySize is the length of [KEMPrivateKey.Bytes] (the 64-byte seed d ‖ z).
	KEMPrivateKeySize = mlkem.SeedSize
	// KEMCiphertextSize is the length of every ciphertext [KEMPublicKey.Encapsulate]
	// returns.
	KEMCiphertextSize = mlkem.CiphertextSize1024
	// KEMSharedKeySize is the length of every shared secret.
	KEMSharedKeySize = mlkem.SharedKeySize
)

// KEMAlgorithm is the name of the key-establishment algorithm, as written in key files
// and messages.
const KEMAlgorithm = "ML-KEM-1024"

// KEMPublicKey is an ML-KEM-1024 (FIPS 203) encapsulation key, NIST level 5. It is
// immutable and safe for concurrent use.
type KEMPublicKey struct {
	k  *mlkem.EncapsulationKey1024
	id KeyID
}

// KEMPrivateKey is an ML-KEM-1024 (FIPS 203) decapsulation key, NIST level 5. It is
// immutable and safe for concurrent use.
type KEMPrivateKey struct {
	k   *mlkem.DecapsulationKey1024
	pub *KEMPublicKey
}

// GenerateKEMKey returns a new ML-KEM-1024 key pair drawn from crypto/rand.
func GenerateKEMKey() (*KEMPrivateKey, error) {
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", KEMAlgorithm, err)
	}
	return newKEMPrivateKey(dk), nil
}

func newKEMPrivateKey(dk *mlkem.DecapsulationKey1024) *KEMPrivateKey {
	ek := dk.EncapsulationKey()
	return &KEMPrivateKey{k: dk, pub: &KEMPublicKey{k: ek, id: keyIDOf(ek.Bytes())}}
}

// Public returns the encapsulation key of priv, or nil if priv is nil or a zero value.
func (priv *KEMPrivateKey) Public() *KEMPublicKey {
	if priv == nil {
		return nil
	}
	return priv.pub
}

// ID returns the id of priv's public key.
func (priv *KEMPrivateKey) ID() KeyID {
	return priv.Public().ID()
}

// Encapsulate returns a fresh random shared secret ([KEMSharedKeySize] bytes) and the
// ciphertext ([KEMCiphertextSize] bytes) that lets only the holder of the private key
// recover it. Send the ciphertext; derive keys from the secret with [DeriveKey]. It
// returns nils for a nil or zero-value key.
func (pub *KEMPublicKey) Encapsulate() (shared, ciphertext []byte) {
	if pub == nil || pub.k == nil {
		return nil, nil
	}
	return pub.k.Encapsulate()
}

// Decapsulate returns the shared secret that ciphertext carries. A ciphertext of the
// wrong length is an error wrapping [ErrMalformedCiphertext]; any other ciphertext
// yields a secret, and one that was altered yields an unrelated pseudo-random secret
// (FIPS 203 implicit rejection), so tampering shows up as a failure of whatever the
// secret keys, never as a distinguishable error here.
func (priv *KEMPrivateKey) Decapsulate(ciphertext []byte) ([]byte, error) {
	if priv == nil || priv.k == nil {
		return nil, errorf(ErrUninitialized, "decapsulating with a nil or zero-value %s private key", KEMAlgorithm)
	}
	if len(ciphertext) != KEMCiphertextSize {
		return nil, errorf(ErrMalformedCiphertext, "%s ciphertext is %d bytes; it must be %d bytes", KEMAlgorithm, len(ciphertext), KEMCiphertextSize)
	}
	shared, err := priv.k.Decapsulate(ciphertext)
	if err != nil {
		return nil, errorf(ErrMalformedCiphertext, "decapsulating with key %s: %w", priv.ID().Short(), err)
	}
	return shared, nil
}

// Bytes returns the FIPS 203 encoding of pub ([KEMPublicKeySize] bytes).
func (pub *KEMPublicKey) Bytes() []byte {
	if pub == nil || pub.k == nil {
		return nil
	}
	return pub.k.Bytes()
}

// ID returns the id of pub: SHA3-256 of [KEMPublicKey.Bytes].
func (pub *KEMPublicKey) ID() KeyID {
	if pub == nil {
		return KeyID{}
	}
	return pub.id
}

// Equal reports whether pub and other are the same key.
func (pub *KEMPublicKey) Equal(other *KEMPublicKey) bool {
	if pub == nil || other == nil || pub.k == nil || other.k == nil {
		return pub == other
	}
	return bytes.Equal(pub.k.Bytes(), other.k.Bytes())
}

// ParseKEMPublicKey parses the FIPS 203 encoding of an ML-KEM-1024 encapsulation key.
// It returns an error wrapping [ErrMalformedKey] if b has the wrong length or fails the
// FIPS 203 modulus check (a coefficient not reduced modulo q), so every key it accepts
// re-encodes to exactly b.
func ParseKEMPublicKey(b []byte) (*KEMPublicKey, error) {
	if len(b) != KEMPublicKeySize {
		return nil, errorf(ErrMalformedKey, "%s public key is %d bytes; it must be %d bytes", KEMAlgorithm, len(b), KEMPublicKeySize)
	}
	ek, err := mlkem.NewEncapsulationKey1024(b)
	if err != nil {
		return nil, errorf(ErrMalformedKey, "%s public key is not canonically encoded: %w", KEMAlgorithm, err)
	}
	return &KEMPublicKey{k: ek, id: keyIDOf(b)}, nil
}

// Bytes returns the private key as its 64-byte FIPS 203 seed (d ‖ z), from which the
// whole key pair is derived. It is secret.
func (priv *KEMPrivateKey) Bytes() []byte {
	if priv == nil || priv.k == nil {
		return nil
	}
	return priv.k.Bytes()
}

// ParseKEMPrivateKey parses a private key from its 64-byte seed, as returned by
// [KEMPrivateKey.Bytes]. Every 64-byte string is a valid seed; any other length is an
// error wrapping [ErrMalformedKey].
func ParseKEMPrivateKey(b []byte) (*KEMPrivateKey, error) {
	if len(b) != KEMPrivateKeySize {
		return nil, errorf(ErrMalformedKey, "%s private key is %d bytes; it must be %d bytes", KEMAlgorithm, len(b), KEMPrivateKeySize)
	}
	dk, err := mlkem.NewDecapsulationKey1024(b)
	if err != nil {
		return nil, errorf(ErrMalformedKey, "%s private key: %w", KEMAlgorithm, err)
	}
	return newKEMPrivateKey(dk), nil
}
