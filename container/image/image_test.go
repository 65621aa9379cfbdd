package image_test

import (
	"bytes"
	"errors"
	mathrand "math/rand/v2"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

func newKey(t testing.TB, seed byte) *pqc.PrivateKey {
	var s [32]byte
	s[0] = seed
	k, err := pqc.GenerateKey(mathrand.NewChaCha8(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pack(t testing.TB, key *pqc.PrivateKey, name, entry string) []byte {
	t.Helper()
	v := modpkg.Version{Major: 1}
	p, err := modpkg.Pack(key, modpkg.Manifest{Name: name, Version: v, Entry: entry, MemoryLimit: 1 << 20, MinABI: 1},
		bytes.Repeat([]byte(name+" binary "), 64), compress.LevelFastest)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func template(refs []descriptor.ModuleRef, entry ...string) *descriptor.Descriptor {
	return &descriptor.Descriptor{Format: descriptor.FormatVersion, Name: "placeholder", Image: refs, Entry: entry,
		Limits: descriptor.Limits{Memory: 8 << 20, MaxTasks: 4, CPUPriority: 100, CPUBudget: 20_000_000, CPUPeriod: 100_000_000}}
}

// fixture is a key, two packages in a store and an image of them.
type fixture struct {
	key    *pqc.PrivateKey
	trust  map[pqc.KeyID]*pqc.PublicKey
	store  image.MapStore
	pkgs   [][]byte
	signed []byte
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{key: newKey(t, 1), store: image.MapStore{}}
	f.trust = map[pqc.KeyID]*pqc.PublicKey{f.key.ID(): f.key.Public()}
	f.pkgs = [][]byte{pack(t, f.key, "web", "webd"), pack(t, f.key, "tools", "sh")}
	for _, p := range f.pkgs {
		f.store.Add(p)
	}
	refs, err := image.Refs(f.pkgs...)
	if err != nil {
		t.Fatal(err)
	}
	f.signed, err = image.Build(f.key, "web", modpkg.Version{Major: 2, Minor: 1}, template(refs, "web"), "test fixture")
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestBuildVerifyInspect: a built image verifies with its packages and says what it
// holds; Inspect reads the same without trust.
func TestBuildVerifyInspect(t *testing.T) {
	f := newFixture(t)
	v, err := image.Verify(f.signed, f.trust, f.store, compress.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name() != "web" || v.Version() != (modpkg.Version{Major: 2, Minor: 1}) || v.Source() != "test fixture" || v.Signer() != f.key.ID() {
		t.Errorf("verified %s %s %q %s", v.Name(), v.Version(), v.Source(), v.Signer())
	}
	if got := v.Modules(); strings.Join(got, ",") != "web,tools" {
		t.Errorf("modules %v", got)
	}
	if e := v.Entry(); len(e) != 1 || e[0].Manifest().Entry != "webd" || v.Module("tools") == nil || v.Module("nope") != nil {
		t.Errorf("entry %v", e)
	}
	if d := v.Descriptor().Descriptor(); d.Name != "web" || d.Limits.Memory != 8<<20 {
		t.Errorf("descriptor %+v", d)
	}
	info, err := image.Inspect(f.signed)
	if err != nil {
		t.Fatal(err)
	}
	if info.Image.Name != "web" || info.Signer != f.key.ID() || info.DescriptorSigner != f.key.ID() ||
		len(info.Descriptor.Image) != 2 || info.Digest != v.Digest() {
		t.Errorf("inspect %+v", info)
	}
}

// otherStore returns other bytes for every digest: a store that lies.
type otherStore struct{ b []byte }

func (s otherStore) Package([64]byte) ([]byte, error) { return s.b, nil }

// TestVerifyRefuses: every check of Verify, each with its own error naming what failed.
func TestVerifyRefuses(t *testing.T) {
	f := newFixture(t)
	other := newKey(t, 2)
	lim := compress.DefaultLimits

	flip := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		c[at] ^= 1
		return c
	}
	// An image pinning a package signed by a key the verifier does not trust.
	foreign := pack(t, other, "web", "webd")
	refs, _ := image.Refs(foreign)
	foreignImg, err := image.Build(f.key, "web", modpkg.Version{Major: 1}, template(refs, "web"), "")
	if err != nil {
		t.Fatal(err)
	}
	fstore := image.MapStore{}
	fstore.Add(foreign)
	// An image whose reference names another module than the package is.
	refs, _ = image.Refs(f.pkgs[0])
	refs[0].Module = "api"
	renamed, err := image.Build(f.key, "web", modpkg.Version{Major: 1}, template(refs, "api"), "")
	if err != nil {
		t.Fatal(err)
	}
	otherSigned, err := image.Build(other, "web", modpkg.Version{Major: 1}, template(refs, "api"), "")
	if err != nil {
		t.Fatal(err)
	}
	// A tampered package byte: its digest no longer matches what the image pins.
	tampered := image.MapStore{}
	tampered.Add(flip(f.pkgs[0], len(f.pkgs[0])-10))
	tampered.Add(f.pkgs[1])

	for _, c := range []struct {
		what   string
		signed []byte
		store  image.Store
		want   error
		says   string
	}{
		{"garbage", []byte("not an image"), f.store, image.ErrMalformed, "envelope"},
		{"an untrusted signer", otherSigned, f.store, image.ErrUntrustedKey, other.ID().String()},
		{"a flipped signature byte", flip(f.signed, len(f.signed)-5), f.store, image.ErrSignature, ""},
		{"a flipped body byte", flip(f.signed, 80), f.store, nil, ""},
		{"a missing package", f.signed, image.MapStore{}, image.ErrMissingPackage, "module web 1.0.0"},
		{"a tampered package (its digest is not the pinned one)", f.signed, tampered, image.ErrMissingPackage, "module web 1.0.0"},
		{"a lying store", f.signed, otherStore{f.pkgs[1]}, image.ErrPackageDigest, "module web"},
		{"a package signed by an untrusted key", foreignImg, fstore, image.ErrPackage, "signing key not in the trust root"},
		{"a package of another module", renamed, f.store, image.ErrPackageModule, "the package is web 1.0.0"},
	} {
		v, err := image.Verify(c.signed, f.trust, c.store, lim)
		if err == nil || v != nil {
			t.Errorf("%s: verified", c.what)
			continue
		}
		if c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.what, err, c.want)
		}
		if !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %q does not say %q", c.what, err, c.says)
		}
	}
}

// TestTemplateChecks: Build refuses a template the descriptor rules refuse, and
// Verify refuses a descriptor signed by an untrusted key or made for another name.
func TestTemplateChecks(t *testing.T) {
	f := newFixture(t)
	refs, _ := image.Refs(f.pkgs...)
	if _, err := image.Build(f.key, "web", modpkg.Version{Major: 1}, template(refs, "nope"), ""); !errors.Is(err, descriptor.ErrInvalid) {
		t.Errorf("entry not in the image: %v", err)
	}
	if _, err := image.Build(f.key, "Web", modpkg.Version{Major: 1}, template(refs, "web"), ""); err == nil {
		t.Errorf("bad name built")
	}
	if _, err := image.Build(f.key, "web", modpkg.Version{}, template(refs, "web"), ""); !errors.Is(err, image.ErrInvalid) {
		t.Errorf("version 0.0.0: %v", err)
	}
	if _, err := image.Build(f.key, "web", modpkg.Version{Major: 1}, template(refs, "web"), "a\nb"); !errors.Is(err, image.ErrInvalid) {
		t.Errorf("unprintable source: %v", err)
	}

	// Re-sign a body whose descriptor is signed by another key, or names another container.
	other := newKey(t, 3)
	for _, c := range []struct {
		what   string
		signer *pqc.PrivateKey
		name   string
		says   string
	}{
		{"descriptor by an untrusted key", other, "web", "signing key not in the trust root"},
		{"descriptor for another container", f.key, "db", `container "db"`},
	} {
		d := template(refs, "web")
		d.Name = c.name
		sd, err := descriptor.Sign(c.signer, d)
		if err != nil {
			t.Fatal(err)
		}
		signed := resign(t, f.key, image.Image{Format: 1, Name: "web", Version: modpkg.Version{Major: 1}, Descriptor: sd})
		if _, err := image.Verify(signed, f.trust, f.store, compress.DefaultLimits); !errors.Is(err, image.ErrDescriptor) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%s: %v", c.what, err)
		}
	}
}

// resign signs an arbitrary image body the way Build does.
func resign(t *testing.T, key *pqc.PrivateKey, img image.Image) []byte {
	t.Helper()
	body, err := canon.Marshal(&img)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := key.Sign(image.Domain, body)
	if err != nil {
		t.Fatal(err)
	}
	id := key.ID()
	b, err := canon.Marshal(&struct {
		Format    int    `cbor:"1,keyasint"`
		Signer    []byte `cbor:"2,keyasint"`
		Image     []byte `cbor:"3,keyasint"`
		Signature []byte `cbor:"4,keyasint"`
	}{1, id[:], body, sig})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenDir: a folder of *.skypkg files is a store; other files are ignored.
func TestOpenDir(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	for i, p := range f.pkgs {
		if err := writeFile(dir, []string{"a", "b"}[i]+image.PackageExt, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := writeFile(dir, "notes.txt", []byte("ignored")); err != nil {
		t.Fatal(err)
	}
	s, err := image.OpenDir(dir)
	if err != nil || len(s) != 2 {
		t.Fatalf("OpenDir: %d packages, %v", len(s), err)
	}
	if _, err := image.Verify(f.signed, f.trust, s, compress.DefaultLimits); err != nil {
		t.Error(err)
	}
}
