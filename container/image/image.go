// Package image is the container image format: a signed bundle (the seeds'
// ImageBuildService output) of a container descriptor template and references, by
// SHA3-512 digest, to the signed module packages (pipeline/modpkg) the container runs.
// docs/CONTAINERS.md describes the encoding field by field.
//
// An image does not carry its packages: it pins them. Verify takes a Store that
// holds package bytes by digest (a repository folder, a boot bundle) and checks that
// every package the descriptor names is there, is exactly the pinned bytes, verifies
// on its own and is the module and version the descriptor says. The only way to get a
// usable image is Verify, whose result (Verified) has unexported fields: code that
// instantiates containers (container/runtime.Instantiate) takes a *Verified, so an
// image or package whose checks did not all pass never reaches container creation.
package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

// FormatVersion is the version of the image and envelope encodings this package
// writes and reads.
const FormatVersion = 1

// Domain is the signature domain (FIPS 204 context string) of container images: a
// signature made for a package, descriptor or index never verifies as an image's.
const Domain = "skyscope/image/v1"

// Size limits on the untrusted bytes Inspect and Verify read.
const (
	MaxSourceLen  = 512
	MaxImageSize  = descriptor.MaxSignedSize + 4<<10
	MaxSignedSize = MaxImageSize + 8<<10
)

// Image is the signed body of a container image. Its canonical encoding
// (deterministic CBOR, integer keys) is what the envelope signature covers.
type Image struct {
	// Format is FormatVersion.
	Format int `cbor:"1,keyasint"`
	// Name is the image's name; it is also the name of the container the template
	// describes.
	Name string `cbor:"2,keyasint"`
	// Version is the image's version, not 0.0.0.
	Version modpkg.Version `cbor:"3,keyasint"`
	// Descriptor is the container descriptor template, signed (descriptor.Sign): its
	// Image list pins the packages by digest and its Entry names the modules started.
	Descriptor []byte `cbor:"4,keyasint"`
	// Source says where the image came from (for example the OCI manifest digest it
	// was imported from): printable text, at most MaxSourceLen bytes; informational.
	Source string `cbor:"5,keyasint,omitempty"`
}

// envelope is a signed image.
type envelope struct {
	// Format is FormatVersion.
	Format int `cbor:"1,keyasint"`
	// Signer is the key id of the signing key (SHA3-256 of its public key).
	Signer []byte `cbor:"2,keyasint"`
	// Image is the canonical encoding of an Image.
	Image []byte `cbor:"3,keyasint"`
	// Signature is ML-DSA-87 over Image, context Domain.
	Signature []byte `cbor:"4,keyasint"`
}

var codec = canon.New(canon.Limits{MaxNesting: 4, MaxArray: 16, MaxMapPairs: 16})

// Errors, one per kind of failure; the messages wrapping them name the check and the
// module that failed. Match with errors.Is.
var (
	ErrMalformed      = errors.New("malformed container image")
	ErrInvalid        = errors.New("invalid container image")
	ErrUntrustedKey   = errors.New("image signing key not in the trust root")
	ErrSignature      = errors.New("container image signature does not verify")
	ErrDescriptor     = errors.New("image descriptor does not verify")
	ErrMissingPackage = errors.New("referenced package not found")
	ErrPackageDigest  = errors.New("package does not match its digest")
	ErrPackage        = errors.New("referenced package does not verify")
	ErrPackageModule  = errors.New("package is not the module the image names")
)

// Check reports the first way img is not a well-formed image body (the descriptor
// bytes are checked by Verify, not here).
func (img *Image) Check() error {
	switch {
	case img.Format != FormatVersion:
		return fmt.Errorf("%w: format %d; this build reads format %d", ErrInvalid, img.Format, FormatVersion)
	case !validName(img.Name):
		return fmt.Errorf("%w: name %q: want 1–%d characters of a–z, 0–9 and -, starting with a letter", ErrInvalid, img.Name, descriptor.MaxNameLen)
	case img.Version == (modpkg.Version{}):
		return fmt.Errorf("%w: image %s has version 0.0.0", ErrInvalid, img.Name)
	case len(img.Descriptor) == 0 || len(img.Descriptor) > descriptor.MaxSignedSize:
		return fmt.Errorf("%w: descriptor of %d bytes; want 1–%d", ErrInvalid, len(img.Descriptor), descriptor.MaxSignedSize)
	case len(img.Source) > MaxSourceLen || strings.IndexFunc(img.Source, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0:
		return fmt.Errorf("%w: source: want at most %d bytes of printable text", ErrInvalid, MaxSourceLen)
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > descriptor.MaxNameLen || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') }) < 0
}

// Build signs template with key (descriptor.Sign) and returns the image: name and
// version from the arguments, the template's name set to name, source as given. The
// template's Image list must already pin every package by digest (see Refs).
func Build(key *pqc.PrivateKey, name string, version modpkg.Version, template *descriptor.Descriptor, source string) ([]byte, error) {
	d := *template
	d.Name = name
	signedDesc, err := descriptor.Sign(key, &d)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDescriptor, err)
	}
	img := Image{Format: FormatVersion, Name: name, Version: version, Descriptor: signedDesc, Source: source}
	if err := img.Check(); err != nil {
		return nil, err
	}
	body, err := canon.Marshal(&img)
	if err != nil {
		return nil, err
	}
	sig, err := key.Sign(Domain, body)
	if err != nil {
		return nil, err
	}
	id := key.ID()
	return canon.Marshal(&envelope{Format: FormatVersion, Signer: id[:], Image: body, Signature: sig})
}

// Refs returns the module references that pin pkgs (package bytes): each package's
// module name and version from its manifest (read, not verified: Verify checks them)
// and the SHA3-512 of its bytes.
func Refs(pkgs ...[]byte) ([]descriptor.ModuleRef, error) {
	refs := make([]descriptor.ModuleRef, 0, len(pkgs))
	for i, p := range pkgs {
		m, _, err := modpkg.Inspect(p)
		if err != nil {
			return nil, fmt.Errorf("package %d: %w", i+1, err)
		}
		d := pqc.Sum512(p)
		refs = append(refs, descriptor.ModuleRef{Module: m.Name, Version: m.Version, Digest: d[:]})
	}
	return refs, nil
}

// Store holds module packages by the SHA3-512 digest of their bytes.
type Store interface {
	// Package returns the package with digest d, or an error wrapping
	// ErrMissingPackage.
	Package(d [64]byte) ([]byte, error)
}

// MapStore is a Store in memory.
type MapStore map[[64]byte][]byte

// Package implements Store.
func (s MapStore) Package(d [64]byte) ([]byte, error) {
	if p, ok := s[d]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("%w: no package with digest %x…", ErrMissingPackage, d[:8])
}

// Add puts pkg in the store and returns its digest.
func (s MapStore) Add(pkg []byte) [64]byte {
	d := pqc.Sum512(pkg)
	s[d] = pkg
	return d
}

// PackageExt is the file name extension of module packages in a folder (as in a
// repository: NAME-VERSION.skypkg).
const PackageExt = ".skypkg"

// OpenDir reads every *.skypkg file of dir into a MapStore.
func OpenDir(dir string) (MapStore, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*"+PackageExt))
	if err != nil {
		return nil, err
	}
	s := MapStore{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		s.Add(b)
	}
	return s, nil
}

// Info is what an image says about itself, read without verifying anything.
type Info struct {
	Image            Image
	Signer           pqc.KeyID              // the key the image envelope names
	Descriptor       *descriptor.Descriptor // the template (checked, not verified)
	DescriptorSigner pqc.KeyID              // the key the descriptor envelope names
	Digest           [64]byte               // SHA3-512 of the signed image bytes
}

// decode reads the envelope and the image body, and checks the body.
func decode(signed []byte) (*envelope, *Image, error) {
	if len(signed) > MaxSignedSize {
		return nil, nil, fmt.Errorf("%w: %d bytes; at most %d", ErrMalformed, len(signed), MaxSignedSize)
	}
	var env envelope
	if err := codec.Unmarshal(signed, &env); err != nil {
		return nil, nil, fmt.Errorf("%w: envelope: %v", ErrMalformed, err)
	}
	if env.Format != FormatVersion {
		return nil, nil, fmt.Errorf("%w: envelope format %d; this build reads format %d", ErrMalformed, env.Format, FormatVersion)
	}
	if len(env.Signer) != len(pqc.KeyID{}) {
		return nil, nil, fmt.Errorf("%w: signer key id of %d bytes; want %d", ErrMalformed, len(env.Signer), len(pqc.KeyID{}))
	}
	if len(env.Image) > MaxImageSize {
		return nil, nil, fmt.Errorf("%w: image body of %d bytes; at most %d", ErrMalformed, len(env.Image), MaxImageSize)
	}
	var img Image
	if err := codec.Unmarshal(env.Image, &img); err != nil {
		return nil, nil, fmt.Errorf("%w: image: %v", ErrMalformed, err)
	}
	return &env, &img, nil
}

// Inspect decodes a signed image without trusting it: the body, the template and the
// keys named. It checks the encodings and the template's rules, nothing else; use
// Verify before acting on the result.
func Inspect(signed []byte) (*Info, error) {
	env, img, err := decode(signed)
	if err != nil {
		return nil, err
	}
	if err := img.Check(); err != nil {
		return nil, err
	}
	d, did, err := descriptor.Inspect(img.Descriptor)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDescriptor, err)
	}
	info := &Info{Image: *img, Descriptor: d, DescriptorSigner: did, Digest: pqc.Sum512(signed)}
	copy(info.Signer[:], env.Signer)
	return info, nil
}

// Verified is an image whose every check passed, with its verified descriptor and
// packages. Only Verify makes one.
type Verified struct {
	img     Image
	desc    *descriptor.Verified
	modules map[string]*modpkg.Verified // by module name; every module of the descriptor's image
	signer  pqc.KeyID
	digest  [64]byte
}

// Name returns the image's name.
func (v *Verified) Name() string { return v.img.Name }

// Version returns the image's version.
func (v *Verified) Version() modpkg.Version { return v.img.Version }

// Source returns where the image says it came from.
func (v *Verified) Source() string { return v.img.Source }

// Signer returns the id of the key that signed the image.
func (v *Verified) Signer() pqc.KeyID { return v.signer }

// Digest returns SHA3-512 of the signed image bytes, which identifies the image.
func (v *Verified) Digest() [64]byte { return v.digest }

// Descriptor returns the verified descriptor template.
func (v *Verified) Descriptor() *descriptor.Verified { return v.desc }

// Module returns the verified package of module name (nil if the image has none).
func (v *Verified) Module(name string) *modpkg.Verified { return v.modules[name] }

// Entry returns the verified packages of the modules started with the container, in
// the descriptor's order.
func (v *Verified) Entry() []*modpkg.Verified {
	d := v.desc.Descriptor()
	out := make([]*modpkg.Verified, len(d.Entry))
	for i, e := range d.Entry {
		out[i] = v.modules[e]
	}
	return out
}

// Verify checks a signed image against trust and the packages in store, and returns
// the image. The checks run in this order, and the first failure is returned: the
// envelope's encoding and format; the signer is in trust (ErrUntrustedKey, naming the
// key); the signature (ErrSignature); the body's encoding and rules (ErrMalformed,
// ErrInvalid); the descriptor template verifies against trust and names the image's
// name (ErrDescriptor, wrapping the descriptor's own error); then for each module the
// template pins, in order: the store has its package (ErrMissingPackage), the bytes
// are the pinned digest (ErrPackageDigest), the package verifies against trust with
// lim (ErrPackage, wrapping modpkg's error), and its manifest is the module and version
// pinned (ErrPackageModule). Every error names the module it is about.
func Verify(signed []byte, trust map[pqc.KeyID]*pqc.PublicKey, store Store, lim compress.Limits) (*Verified, error) {
	env, img, err := decode(signed)
	if err != nil {
		return nil, err
	}
	var id pqc.KeyID
	copy(id[:], env.Signer)
	key, ok := trust[id]
	if !ok || key == nil {
		return nil, fmt.Errorf("%w: key %s", ErrUntrustedKey, id)
	}
	if err := key.Verify(Domain, env.Image, env.Signature); err != nil {
		return nil, fmt.Errorf("%w with key %s: %v", ErrSignature, id.Short(), err)
	}
	if err := img.Check(); err != nil {
		return nil, err
	}
	dv, err := descriptor.Verify(img.Descriptor, trust)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDescriptor, err)
	}
	d := dv.Descriptor()
	if d.Name != img.Name {
		return nil, fmt.Errorf("%w: the template is for container %q, the image is %q", ErrDescriptor, d.Name, img.Name)
	}
	keys := make([]*pqc.PublicKey, 0, len(trust))
	for _, k := range trust {
		if k != nil {
			keys = append(keys, k)
		}
	}
	root := modpkg.NewTrustRoot(keys...)
	mods := make(map[string]*modpkg.Verified, len(d.Image))
	for _, ref := range d.Image {
		var dg [64]byte
		copy(dg[:], ref.Digest)
		pkg, err := store.Package(dg)
		if err != nil {
			return nil, fmt.Errorf("module %s %s: %w", ref.Module, ref.Version, err)
		}
		if got := pqc.Sum512(pkg); got != dg {
			return nil, fmt.Errorf("module %s %s: %w: the store's package has digest %x…, the image pins %x…",
				ref.Module, ref.Version, ErrPackageDigest, got[:8], dg[:8])
		}
		mv, err := modpkg.Verify(pkg, root, lim)
		if err != nil {
			return nil, fmt.Errorf("module %s %s: %w: %w", ref.Module, ref.Version, ErrPackage, err)
		}
		if m := mv.Manifest(); m.Name != ref.Module || m.Version != ref.Version {
			return nil, fmt.Errorf("module %s %s: %w: the package is %s %s", ref.Module, ref.Version, ErrPackageModule, m.Name, m.Version)
		}
		mods[ref.Module] = mv
	}
	return &Verified{img: *img, desc: dv, modules: mods, signer: id, digest: pqc.Sum512(signed)}, nil
}

// Modules returns the names of the image's modules, in the template's order.
func (v *Verified) Modules() []string {
	d := v.desc.Descriptor()
	names := make([]string, len(d.Image))
	for i, r := range d.Image {
		names[i] = r.Module
	}
	return slices.Clip(names)
}
