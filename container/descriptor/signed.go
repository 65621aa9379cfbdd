package descriptor

import (
	"fmt"

	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pqc"
)

// Domain is the signature domain (FIPS 204 context string) of container descriptors:
// a signature made for anything else never verifies as a descriptor's.
const Domain = "skyscope/container/v1"

// Size limits on the untrusted bytes Decode and Verify read.
const (
	MaxDescriptorSize = 256 << 10
	MaxSignedSize     = MaxDescriptorSize + 8<<10
)

// envelope is a signed descriptor.
type envelope struct {
	// Format is FormatVersion.
	Format int `cbor:"1,keyasint"`
	// Signer is the key id of the signing key (SHA3-256 of its public key).
	Signer []byte `cbor:"2,keyasint"`
	// Descriptor is the canonical encoding of a Descriptor.
	Descriptor []byte `cbor:"3,keyasint"`
	// Signature is ML-DSA-87 over Descriptor, context Domain.
	Signature []byte `cbor:"4,keyasint"`
}

// Nesting: descriptor → namespaces → network list → NIC → allow list.
var codec = canon.New(canon.Limits{MaxNesting: 8, MaxArray: MaxList, MaxMapPairs: 16})

// Encode checks d and returns its canonical encoding.
func Encode(d *Descriptor) ([]byte, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	return canon.Marshal(d)
}

// Decode decodes a canonical descriptor encoding and checks it. Input that is not
// exactly the canonical encoding of what it decodes to is refused.
func Decode(b []byte) (*Descriptor, error) {
	if len(b) > MaxDescriptorSize {
		return nil, fmt.Errorf("%w: %d bytes; at most %d", ErrMalformed, len(b), MaxDescriptorSize)
	}
	var d Descriptor
	if err := codec.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Sign checks d and returns it signed by key: an envelope of its canonical encoding,
// the key's id and an ML-DSA-87 signature with domain Domain.
func Sign(key *pqc.PrivateKey, d *Descriptor) ([]byte, error) {
	b, err := Encode(d)
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(Domain, b)
	if err != nil {
		return nil, err
	}
	id := key.ID()
	return canon.Marshal(&envelope{Format: FormatVersion, Signer: id[:], Descriptor: b, Signature: sig})
}

// Verified is a descriptor whose every check passed. Only Verify makes one.
type Verified struct {
	desc   Descriptor
	signer pqc.KeyID
	digest [64]byte
}

// Descriptor returns a copy of the verified descriptor.
func (v *Verified) Descriptor() *Descriptor { return v.desc.clone() }

// Signer returns the id of the key that signed the descriptor.
func (v *Verified) Signer() pqc.KeyID { return v.signer }

// Digest returns SHA3-512 of the descriptor's canonical encoding, which identifies it.
func (v *Verified) Digest() [64]byte { return v.digest }

// Verify checks a signed descriptor against trust and returns the descriptor. The
// checks run in this order, and the first failure is returned: the envelope's
// encoding and format; the signer is in trust (the error names its key id); the
// signature; the descriptor's encoding and every rule of Check.
func Verify(signed []byte, trust map[pqc.KeyID]*pqc.PublicKey) (*Verified, error) {
	if len(signed) > MaxSignedSize {
		return nil, fmt.Errorf("%w: %d bytes; at most %d", ErrMalformed, len(signed), MaxSignedSize)
	}
	var env envelope
	if err := codec.Unmarshal(signed, &env); err != nil {
		return nil, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if env.Format != FormatVersion {
		return nil, fmt.Errorf("%w: envelope format %d; this build reads format %d", ErrMalformed, env.Format, FormatVersion)
	}
	var id pqc.KeyID
	if len(env.Signer) != len(id) {
		return nil, fmt.Errorf("%w: signer key id of %d bytes; want %d", ErrMalformed, len(env.Signer), len(id))
	}
	copy(id[:], env.Signer)
	key, ok := trust[id]
	if !ok || key == nil {
		return nil, fmt.Errorf("%w: key %s", ErrUntrustedKey, id)
	}
	if err := key.Verify(Domain, env.Descriptor, env.Signature); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	d, err := Decode(env.Descriptor)
	if err != nil {
		return nil, err
	}
	return &Verified{desc: *d, signer: id, digest: pqc.Sum512(env.Descriptor)}, nil
}

// Inspect decodes a signed descriptor without trusting it: the descriptor (checked
// like Decode checks it) and the key id the envelope names. Nothing is verified; use
// Verify before acting on the result.
func Inspect(signed []byte) (*Descriptor, pqc.KeyID, error) {
	var id pqc.KeyID
	if len(signed) > MaxSignedSize {
		return nil, id, fmt.Errorf("%w: %d bytes; at most %d", ErrMalformed, len(signed), MaxSignedSize)
	}
	var env envelope
	if err := codec.Unmarshal(signed, &env); err != nil {
		return nil, id, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if env.Format != FormatVersion || len(env.Signer) != len(id) {
		return nil, id, fmt.Errorf("%w: envelope format %d, signer of %d bytes", ErrMalformed, env.Format, len(env.Signer))
	}
	copy(id[:], env.Signer)
	d, err := Decode(env.Descriptor)
	return d, id, err
}
