package modpkg

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pqc"
)

// Signature domains (FIPS 204 context strings): a signature made for one part never
// verifies as another's.
const (
	DomainPackage  = "skyscope/package/v1"
	DomainManifest = "skyscope/manifest/v1"
	DomainBinary   = "skyscope/binary/v1"
)

// MaxPackageSize bounds the package bytes Verify reads.
const MaxPackageSize = MaxBinary + 1<<20

// Errors, one per check; Verify wraps them with what it found. Match with errors.Is.
var (
	ErrMalformed         = errors.New("malformed package")
	ErrUntrustedKey      = errors.New("signing key not in the trust root")
	ErrPackageSignature  = errors.New("package signature does not verify")
	ErrManifestSignature = errors.New("manifest signature does not verify")
	ErrManifest          = errors.New("invalid manifest")
	ErrBinary            = errors.New("binary does not decompress")
	ErrBinarySignature   = errors.New("binary signature does not verify")
	ErrBinaryMismatch    = errors.New("binary does not match the manifest")
)

// envelope is the package: the manifest and binary with their signatures. The package
// signature covers the canonical encoding of every other field.
type envelope struct {
	Format      int    `cbor:"1,keyasint"`
	Signer      []byte `cbor:"2,keyasint"`
	Manifest    []byte `cbor:"3,keyasint"` // canonical encoding of a Manifest
	ManifestSig []byte `cbor:"4,keyasint"`
	Binary      []byte `cbor:"5,keyasint"` // the plain binary in the compress format
	BinarySig   []byte `cbor:"6,keyasint"`
	PackageSig  []byte `cbor:"7,keyasint,omitempty"`
}

var codec = canon.New(canon.Limits{MaxNesting: 4, MaxArray: MaxCaps + 4, MaxMapPairs: 32})

// decodeCanonical decodes b into v and requires b to be v's canonical encoding, so
// that every package and manifest has exactly one byte form.
func decodeCanonical(b []byte, v any) error { return codec.Unmarshal(b, v) }

// EncodeManifest returns m's canonical encoding.
func EncodeManifest(m *Manifest) ([]byte, error) { return canon.Marshal(m) }

// DecodeManifest decodes and checks a canonical manifest encoding.
func DecodeManifest(b []byte) (*Manifest, error) {
	var m Manifest
	if err := decodeCanonical(b, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrManifest, err)
	}
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	return &m, nil
}

// Pack builds a package of binary described by m, signed by key: it fills in m's
// Format, Signer, BinarySize and BinaryDigest, compresses the binary at level and
// signs the binary, the manifest and the package.
func Pack(key *pqc.PrivateKey, m Manifest, binary []byte, level compress.Level) ([]byte, error) {
	id := key.ID()
	digest := pqc.Sum512(binary)
	m.Format, m.Signer, m.BinarySize, m.BinaryDigest = FormatVersion, id[:], uint64(len(binary)), digest[:]
	if err := m.Check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	mb, err := EncodeManifest(&m)
	if err != nil {
		return nil, err
	}
	z, err := compress.Encode(binary, level)
	if err != nil {
		return nil, err
	}
	env := envelope{Format: FormatVersion, Signer: id[:], Manifest: mb, Binary: z}
	if env.ManifestSig, err = key.Sign(DomainManifest, mb); err != nil {
		return nil, err
	}
	if env.BinarySig, err = key.Sign(DomainBinary, binary); err != nil {
		return nil, err
	}
	body, err := canon.Marshal(&env)
	if err != nil {
		return nil, err
	}
	if env.PackageSig, err = key.Sign(DomainPackage, body); err != nil {
		return nil, err
	}
	return canon.Marshal(&env)
}

// Verified is a package whose every check passed. Only Verify makes one.
type Verified struct {
	manifest  Manifest
	binary    []byte
	digest    [64]byte
	binarySig []byte
}

// BinarySignature returns the signature over the plain binary (domain DomainBinary, by
// the manifest's signer), for a verifier further down — the kernel checks it again
// before it caches the image.
func (v *Verified) BinarySignature() []byte { return v.binarySig }

// Manifest returns the verified manifest.
func (v *Verified) Manifest() Manifest {
	m := v.manifest
	m.Caps = append([]string(nil), m.Caps...)
	return m
}

// Binary returns the verified plain binary. Callers must not modify it.
func (v *Verified) Binary() []byte { return v.binary }

// PackageDigest returns SHA3-512 of the package bytes (what a repository index lists).
func (v *Verified) PackageDigest() [64]byte { return v.digest }

// Inspect decodes a package without verifying anything, for tools that show what a
// package claims. Nothing it returns may be trusted.
func Inspect(pkg []byte) (*Manifest, *compress.Header, error) {
	var env envelope
	if len(pkg) > MaxPackageSize {
		return nil, nil, fmt.Errorf("%w: %d bytes; at most %d", ErrMalformed, len(pkg), MaxPackageSize)
	}
	if err := decodeCanonical(pkg, &env); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	m, err := DecodeManifest(env.Manifest)
	if err != nil {
		return nil, nil, err
	}
	h, err := compress.ParseHeader(env.Binary)
	if err != nil {
		return m, nil, fmt.Errorf("%w: %v", ErrBinary, err)
	}
	return m, &h, nil
}

// Verify checks a package against the trust root and returns its manifest and plain
// binary. The checks run in this order, and the first failure is returned: the
// encoding; the signer is in the trust root; the package signature; the manifest
// signature and the manifest itself; the binary decompresses within limits and its
// compression digest matches; the binary signature; the binary is the one the manifest
// names (size and SHA3-512).
func Verify(pkg []byte, trust *TrustRoot, lim compress.Limits) (*Verified, error) {
	return VerifyWith(pkg, trust, lim, func(blob []byte, l compress.Limits) ([]byte, error) { return compress.Decode(blob, l) })
}

// Decoder decompresses a package's binary within limits: compress.Decode in the
// caller's own process, or a request to the compression service.
type Decoder func(blob []byte, lim compress.Limits) ([]byte, error)

// VerifyWith is Verify with the binary decompressed by decode. The checks, their order
// and their errors are Verify's; decode runs only after the package and manifest
// signatures verified, and its output is trusted no more than its input: the binary
// signature and the manifest's size and digest are checked on what it returns.
func VerifyWith(pkg []byte, trust *TrustRoot, lim compress.Limits, decode Decoder) (*Verified, error) {
	if len(pkg) > MaxPackageSize {
		return nil, fmt.Errorf("%w: %d bytes; at most %d", ErrMalformed, len(pkg), MaxPackageSize)
	}
	var env envelope
	if err := decodeCanonical(pkg, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if env.Format != FormatVersion {
		return nil, fmt.Errorf("%w: format %d; this build reads format %d", ErrMalformed, env.Format, FormatVersion)
	}
	key, err := trust.Key(env.Signer)
	if err != nil {
		return nil, err
	}
	sig := env.PackageSig
	env.PackageSig = nil
	body, err := canon.Marshal(&env)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if key.Verify(DomainPackage, body, sig) != nil {
		return nil, fmt.Errorf("%w with key %s", ErrPackageSignature, key.ID().Short())
	}
	if key.Verify(DomainManifest, env.Manifest, env.ManifestSig) != nil {
		return nil, fmt.Errorf("%w with key %s", ErrManifestSignature, key.ID().Short())
	}
	m, err := DecodeManifest(env.Manifest)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(m.Signer, env.Signer) {
		return nil, fmt.Errorf("%w: the manifest names signer %x…, the package %x…", ErrManifest, m.Signer[:4], env.Signer[:4])
	}
	if lim.MaxPlainSize > m.BinarySize {
		lim.MaxPlainSize = m.BinarySize
	}
	binary, err := decode(env.Binary, lim)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBinary, err)
	}
	if key.Verify(DomainBinary, binary, env.BinarySig) != nil {
		return nil, fmt.Errorf("%w with key %s", ErrBinarySignature, key.ID().Short())
	}
	if d := pqc.Sum512(binary); uint64(len(binary)) != m.BinarySize || !bytes.Equal(d[:], m.BinaryDigest) {
		return nil, fmt.Errorf("%w: binary of %d bytes with digest %x…; the manifest names %d bytes with digest %x…",
			ErrBinaryMismatch, len(binary), d[:4], m.BinarySize, m.BinaryDigest[:4])
	}
	return &Verified{manifest: *m, binary: binary, digest: pqc.Sum512(pkg), binarySig: env.BinarySig}, nil
}

// TrustRoot is the set of public keys whose signatures are accepted.
type TrustRoot struct {
	keys map[pqc.KeyID]*pqc.PublicKey
}

// NewTrustRoot returns a trust root of keys.
func NewTrustRoot(keys ...*pqc.PublicKey) *TrustRoot {
	t := &TrustRoot{keys: map[pqc.KeyID]*pqc.PublicKey{}}
	for _, k := range keys {
		t.keys[k.ID()] = k
	}
	return t
}

// Key returns the trusted key with id, or an error wrapping ErrUntrustedKey that names
// the key.
func (t *TrustRoot) Key(id []byte) (*pqc.PublicKey, error) {
	var kid pqc.KeyID
	if len(id) != len(kid) {
		return nil, fmt.Errorf("%w: signer key id of %d bytes", ErrMalformed, len(id))
	}
	copy(kid[:], id)
	if t != nil {
		if k, ok := t.keys[kid]; ok {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: key %s", ErrUntrustedKey, kid.Short())
}
