package pqc

import (
	"bytes"
	"crypto/sha3"
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

// Sizes of ML-DSA-87 encodings, in bytes.
const (
	// PublicKeySize is the length of [PublicKey.Bytes].
	PublicKeySize = mldsa87.PublicKeySize
	// PrivateKeySize is the length of [PrivateKey.Bytes].
	PrivateKeySize = mldsa87.PrivateKeySize
	// SignatureSize is the length of every signature [PrivateKey.Sign] returns.
	SignatureSize = mldsa87.SignatureSize
	// MaxDomainSize is the longest signature domain: a FIPS 204 context string is at
	// most 255 bytes.
	MaxDomainSize = 255
)

// SignatureAlgorithm is the name of the signature algorithm, as written in key files
// and messages.
const SignatureAlgorithm = "ML-DSA-87"

// PublicKey is an ML-DSA-87 (FIPS 204) public key, NIST level 5. It is immutable and
// safe for concurrent use.
type PublicKey struct {
	k  *mldsa87.PublicKey
	b  []byte // packed encoding, kept because Bytes and ID are needed often
	id KeyID
}

// PrivateKey is an ML-DSA-87 (FIPS 204) private key, NIST level 5. It is immutable and
// safe for concurrent use.
type PrivateKey struct {
	k   *mldsa87.PrivateKey
	pub *PublicKey // derived once: computing t1 from s1 and s2 costs a matrix product
}

// GenerateKey returns a new ML-DSA-87 key pair whose 32-byte seed is read from rand
// (crypto/rand.Reader if rand is nil). The key is only as good as rand: pass nil
// outside tests.
func GenerateKey(rand io.Reader) (*PrivateKey, error) {
	_, sk, err := mldsa87.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", SignatureAlgorithm, err)
	}
	return newPrivateKey(sk), nil
}

func newPrivateKey(sk *mldsa87.PrivateKey) *PrivateKey {
	// Round-trip the derived public key through its encoding so that it shares no
	// cached state (the expanded matrix A) with the private key.
	pkBytes := sk.Public().(*mldsa87.PublicKey).Bytes()
	pub, err := ParsePublicKey(pkBytes)
	if err != nil {
		// Every PublicKeySize-byte string is a valid public key; this cannot happen.
		return &PrivateKey{k: sk}
	}
	return &PrivateKey{k: sk, pub: pub}
}

// Public returns the public key of priv, or nil if priv is nil or a zero value.
func (priv *PrivateKey) Public() *PublicKey {
	if priv == nil {
		return nil
	}
	return priv.pub
}

// ID returns the id of priv's public key.
func (priv *PrivateKey) ID() KeyID {
	return priv.Public().ID()
}

// checkDomain reports whether domain can be a FIPS 204 context string. An empty
// domain is refused because it would give up domain separation.
func checkDomain(domain string) error {
	if domain == "" {
		return errorf(ErrInvalidDomain, "signature domain is empty; use a purpose string such as %q", "skyscope/manifest/v1")
	}
	if len(domain) > MaxDomainSize {
		return errorf(ErrInvalidDomain, "signature domain is %d bytes; FIPS 204 allows at most %d", len(domain), MaxDomainSize)
	}
	return nil
}

// Sign returns an ML-DSA-87 signature of msg for domain, which is used as the FIPS 204
// context string: the signature verifies only with the same domain, so one made for
// "skyscope/manifest/v1" never verifies as "skyscope/package/v1". domain must be 1 to
// 255 bytes. Signing is hedged (FIPS 204 default): it mixes fresh randomness from
// crypto/rand into the signature, so signing the same message twice gives different
// signatures, both valid.
func (priv *PrivateKey) Sign(domain string, msg []byte) ([]byte, error) {
	if priv == nil || priv.k == nil {
		return nil, errorf(ErrUninitialized, "signing with a nil or zero-value %s private key", SignatureAlgorithm)
	}
	if err := checkDomain(domain); err != nil {
		return nil, err
	}
	sig := make([]byte, SignatureSize)
	if err := mldsa87.SignTo(priv.k, msg, []byte(domain), true, sig); err != nil {
		return nil, fmt.Errorf("signing with key %s: %w", priv.ID().Short(), err)
	}
	return sig, nil
}

// Verify returns nil if sig is a valid ML-DSA-87 signature of msg for domain by pub.
// Otherwise it returns an error wrapping [ErrBadSignature] that names the key ("signature
// does not verify with key 3f2a9c1d…"), or one wrapping [ErrInvalidDomain] if domain
// could not have been signed.
func (pub *PublicKey) Verify(domain string, msg, sig []byte) error {
	if pub == nil || pub.k == nil {
		return errorf(ErrUninitialized, "verifying with a nil or zero-value %s public key", SignatureAlgorithm)
	}
	if err := checkDomain(domain); err != nil {
		return err
	}
	if len(sig) != SignatureSize {
		return errorf(ErrBadSignature, "%w with key %s: signature is %d bytes, %s signatures are %d bytes",
			ErrBadSignature, pub.id.Short(), len(sig), SignatureAlgorithm, SignatureSize)
	}
	if !mldsa87.Verify(pub.k, msg, []byte(domain), sig) {
		return errorf(ErrBadSignature, "%w with key %s (domain %q)", ErrBadSignature, pub.id.Short(), domain)
	}
	return nil
}

// Bytes returns the FIPS 204 encoding of pub (pkEncode, [PublicKeySize] bytes). The
// caller may modify the result.
func (pub *PublicKey) Bytes() []byte {
	if pub == nil {
		return nil
	}
	return bytes.Clone(pub.b)
}

// ID returns the id of pub: SHA3-256 of [PublicKey.Bytes]. It is the zero KeyID for
// a nil or zero-value key.
func (pub *PublicKey) ID() KeyID {
	if pub == nil {
		return KeyID{}
	}
	return pub.id
}

// Equal reports whether pub and other are the same key.
func (pub *PublicKey) Equal(other *PublicKey) bool {
	if pub == nil || other == nil {
		return pub == other
	}
	return bytes.Equal(pub.b, other.b)
}

// ParsePublicKey parses the FIPS 204 encoding of an ML-DSA-87 public key, as returned
// by [PublicKey.Bytes]. It fails, with an error wrapping [ErrMalformedKey], only if b
// has the wrong length: every string of [PublicKeySize] bytes encodes a public key.
// ParsePublicKey(b).Bytes() equals b.
func ParsePublicKey(b []byte) (*PublicKey, error) {
	if len(b) != PublicKeySize {
		return nil, errorf(ErrMalformedKey, "%s public key is %d bytes; it must be %d bytes", SignatureAlgorithm, len(b), PublicKeySize)
	}
	var buf [PublicKeySize]byte
	copy(buf[:], b)
	k := new(mldsa87.PublicKey)
	k.Unpack(&buf)
	return &PublicKey{k: k, b: buf[:], id: keyIDOf(buf[:])}, nil
}

// Bytes returns the FIPS 204 encoding of priv (skEncode, [PrivateKeySize] bytes). It
// is secret: anyone who has it can sign as priv.
func (priv *PrivateKey) Bytes() []byte {
	if priv == nil || priv.k == nil {
		return nil
	}
	return priv.k.Bytes()
}

// Layout of the FIPS 204 private key encoding for ML-DSA-87 (skEncode):
// ρ (32) ‖ K (32) ‖ tr (64) ‖ s1 (l=7 polynomials) ‖ s2 (k=8 polynomials) ‖ t0 (k=8
// polynomials), where each s1/s2 polynomial has 256 coefficients of 3 bits (η=2) and
// each t0 polynomial 256 coefficients of 13 bits.
const (
	skTROffset  = 64
	skTRSize    = 64
	skEtaOffset = 128
	skEtaPolys  = 7 + 8
	skEtaSize   = skEtaPolys * 256 * 3 / 8
	skT0Size    = 8 * 256 * 13 / 8
)

// ParsePrivateKey parses the FIPS 204 encoding of an ML-DSA-87 private key, as
// returned by [PrivateKey.Bytes]. A private key's encoding is redundant, and
// ParsePrivateKey checks all of it: it returns an error wrapping [ErrMalformedKey] if b
// has the wrong length, a secret coefficient of s1 or s2 is out of range, the stored
// t0 is not the one s1, s2 and ρ determine, or the embedded public-key hash tr does
// not match the public key. Only the 32-byte signing seed K cannot be checked (any
// value is valid). A key that ParsePrivateKey accepts re-encodes to exactly b.
func ParsePrivateKey(b []byte) (*PrivateKey, error) {
	if len(b) != PrivateKeySize {
		return nil, errorf(ErrMalformedKey, "%s private key is %d bytes; it must be %d bytes", SignatureAlgorithm, len(b), PrivateKeySize)
	}
	// FIPS 204 lets skDecode produce out-of-range coefficients from malformed input;
	// circl decodes and re-encodes them without complaint, so check them here: each
	// 3-bit field holds η−c for c in [−η, η], that is a value in 0..4.
	eta := b[skEtaOffset : skEtaOffset+skEtaSize]
	for i := 0; i < skEtaPolys*dsaN; i++ {
		if unpackBits(eta, i, 3) > 4 {
			return nil, errorf(ErrMalformedKey, "%s private key is not canonically encoded: secret coefficient %d is out of range", SignatureAlgorithm, i)
		}
	}

	// circl does not check t0 against the rest of the key: with a slightly corrupted
	// t0 the key still signs, and most of its signatures even verify, so the damage
	// would surface later as occasional bad signatures.
	if bad, _ := checkT0(b); bad >= 0 {
		return nil, errorf(ErrMalformedKey, "%s private key is inconsistent: its t0 coefficient %d does not match its secret vectors (the key is corrupted)", SignatureAlgorithm, bad)
	}

	var buf [PrivateKeySize]byte
	copy(buf[:], b)
	sk := new(mldsa87.PrivateKey)
	sk.Unpack(&buf)
	priv := newPrivateKey(sk)
	if priv.pub == nil {
		return nil, errorf(ErrMalformedKey, "%s private key: cannot derive its public key", SignatureAlgorithm)
	}

	// tr must be SHAKE256(pk, 64 bytes): it binds every signature to the public key.
	tr := sha3.SumSHAKE256(priv.pub.b, skTRSize)
	if subtle.ConstantTimeCompare(tr, b[skTROffset:skTROffset+skTRSize]) != 1 {
		return nil, errorf(ErrMalformedKey, "%s private key is inconsistent: its public-key hash does not match its public key (the key is corrupted)", SignatureAlgorithm)
	}

	return priv, nil
}
