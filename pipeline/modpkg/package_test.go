package modpkg

import (
	"bytes"
	"crypto/rand"
	"errors"
	mathrand "math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/pipeline/canon"
	"github.com/skyscope-os/skyscope/pqc"
)

var (
	keysOnce       sync.Once
	signer, other  *pqc.PrivateKey
	testBinary     = programLike(1, 100_000)
	anotherBinary  = programLike(2, 100_000)
	defaultLimitsT = compress.DefaultLimits
)

// programLike returns n bytes that compress about as well as program text.
func programLike(seed uint64, n int) []byte {
	r := mathrand.New(mathrand.NewPCG(seed, 0))
	words := []string{"\x7fELF", "MOVQ", "CALL", "runtime.", "main.", "\x00\x00\x00", "RET", "fmt.Println"}
	var b bytes.Buffer
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(byte(r.IntN(256)))
	}
	return b.Bytes()[:n]
}

func keys(t testing.TB) (*pqc.PrivateKey, *pqc.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if signer, err = pqc.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
		if other, err = pqc.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
	return signer, other
}

func testManifest(name, version string) Manifest {
	v, err := ParseVersion(version)
	if err != nil {
		panic(err)
	}
	return Manifest{Name: name, Version: v, Entry: name, Caps: []string{"console"}, MemoryLimit: 64 << 20}
}

func pack(t testing.TB, key *pqc.PrivateKey, m Manifest, bin []byte) []byte {
	t.Helper()
	p, err := Pack(key, m, bin, compress.LevelDefault)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func trust(t testing.TB) *TrustRoot {
	k, _ := keys(t)
	return NewTrustRoot(k.Public())
}

func TestPackVerify(t *testing.T) {
	k, _ := keys(t)
	p := pack(t, k, testManifest("hello", "1.2.3"), testBinary)
	v, err := Verify(p, trust(t), defaultLimitsT)
	if err != nil {
		t.Fatal(err)
	}
	m := v.Manifest()
	if m.Name != "hello" || m.Version.String() != "1.2.3" || !bytes.Equal(v.Binary(), testBinary) || v.PackageDigest() != pqc.Sum512(p) {
		t.Fatalf("verified %+v", m)
	}
	if again := pack(t, k, testManifest("hello", "1.2.3"), testBinary); len(again) != len(p) {
		t.Fatalf("packing twice gave %d and %d bytes", len(p), len(again))
	}
}

// resign re-signs a modified envelope with key, as an attacker holding a trusted key
// (or a bug in the packer) would: it isolates the check after the package signature.
func resign(t *testing.T, key *pqc.PrivateKey, env envelope) []byte {
	t.Helper()
	env.PackageSig = nil
	body, err := canon.Marshal(&env)
	if err != nil {
		t.Fatal(err)
	}
	if env.PackageSig, err = key.Sign(DomainPackage, body); err != nil {
		t.Fatal(err)
	}
	out, err := canon.Marshal(&env)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func open(t *testing.T, p []byte) envelope {
	t.Helper()
	var env envelope
	if err := decodeCanonical(p, &env); err != nil {
		t.Fatal(err)
	}
	return env
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i%len(c)] ^= 0x10
	return c
}

// TestTampering: every kind of tampering is refused with the error of the check that
// catches it, and each check is needed: the cases after the package signature are
// re-signed, so only the later check stands between them and a process.
func TestTampering(t *testing.T) {
	k, o := keys(t)
	good := pack(t, k, testManifest("hello", "1.2.3"), testBinary)
	second := pack(t, k, testManifest("other", "1.0.0"), anotherBinary)
	env, env2 := open(t, good), open(t, second)

	cases := []struct {
		name string
		pkg  func() []byte
		want error
		text string
	}{
		{"flipped bit in the manifest", func() []byte { e := env; e.Manifest = flip(e.Manifest, 40); return enc(t, e) }, ErrPackageSignature, "does not verify with key"},
		{"flipped bit in the binary", func() []byte { e := env; e.Binary = flip(e.Binary, 500); return enc(t, e) }, ErrPackageSignature, ""},
		{"flipped bit in the package signature", func() []byte { e := env; e.PackageSig = flip(e.PackageSig, 9); return enc(t, e) }, ErrPackageSignature, ""},
		{"flipped bit in the manifest signature", func() []byte { e := env; e.ManifestSig = flip(e.ManifestSig, 9); return enc(t, e) }, ErrPackageSignature, ""},
		{"flipped bit in the binary signature", func() []byte { e := env; e.BinarySig = flip(e.BinarySig, 9); return enc(t, e) }, ErrPackageSignature, ""},
		{"manifest swapped between packages", func() []byte { e := env; e.Manifest, e.ManifestSig = env2.Manifest, env2.ManifestSig; return enc(t, e) }, ErrPackageSignature, ""},
		{"binary swapped between packages", func() []byte { e := env; e.Binary, e.BinarySig = env2.Binary, env2.BinarySig; return enc(t, e) }, ErrPackageSignature, ""},
		{"key not in the trust root", func() []byte { return pack(t, o, testManifest("hello", "1.2.3"), testBinary) }, ErrUntrustedKey, "key " + o.ID().Short()},
		{"signer field names another key", func() []byte { e := env; id := o.ID(); e.Signer = id[:]; return enc(t, e) }, ErrUntrustedKey, ""},
		{"truncated package", func() []byte { return good[:len(good)/2] }, ErrMalformed, ""},
		{"trailing bytes", func() []byte { return append(append([]byte(nil), good...), 0) }, ErrMalformed, ""},
		// Re-signed: the package signature verifies, a later check must refuse.
		{"bad manifest signature (re-signed package)", func() []byte { e := env; e.ManifestSig = flip(e.ManifestSig, 9); return resign(t, k, e) }, ErrManifestSignature, ""},
		{"manifest swapped (re-signed package)", func() []byte {
			e := env
			e.Manifest, e.ManifestSig = env2.Manifest, env2.ManifestSig
			return resign(t, k, e)
		}, ErrBinaryMismatch, ""},
		{"bad binary signature (re-signed package)", func() []byte { e := env; e.BinarySig = flip(e.BinarySig, 9); return resign(t, k, e) }, ErrBinarySignature, ""},
		{"binary swapped (re-signed package)", func() []byte { e := env; e.Binary, e.BinarySig = env2.Binary, env2.BinarySig; return resign(t, k, e) }, ErrBinaryMismatch, ""},
		{"corrupted zstd stream (re-signed package)", func() []byte { e := env; e.Binary = flip(e.Binary, 300); return resign(t, k, e) }, ErrBinary, ""},
		{"truncated zstd stream (re-signed package)", func() []byte { e := env; e.Binary = e.Binary[:len(e.Binary)-20]; return resign(t, k, e) }, ErrBinary, ""},
		{"compression bomb (re-signed package)", func() []byte {
			e := env
			bomb, err := compress.Encode(make([]byte, 64<<20), compress.LevelDefault)
			if err != nil {
				t.Fatal(err)
			}
			e.Binary = bomb
			return resign(t, k, e)
		}, ErrBinary, ""},
		{"unsupported format", func() []byte { e := env; e.Format = 2; return resign(t, k, e) }, ErrMalformed, "format 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Verify(c.pkg(), trust(t), defaultLimitsT)
			if v != nil || !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, %v; want %v", v, err, c.want)
			}
			if c.text != "" && !strings.Contains(err.Error(), c.text) {
				t.Fatalf("error %q lacks %q", err, c.text)
			}
		})
	}
}

func enc(t *testing.T, e envelope) []byte {
	t.Helper()
	b, err := canon.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestManifestChecks(t *testing.T) {
	k, _ := keys(t)
	for _, c := range []struct {
		name string
		edit func(*Manifest)
	}{
		{"bad name", func(m *Manifest) { m.Name = "Hello World" }},
		{"no memory limit", func(m *Manifest) { m.MemoryLimit = 0 }},
		{"budget without period", func(m *Manifest) { m.CPUBudget = 5 }},
		{"duplicate capability", func(m *Manifest) { m.Caps = []string{"console", "console"} }},
		{"entry with a slash", func(m *Manifest) { m.Entry = "bin/x" }},
		{"future ABI", func(m *Manifest) { m.MinABI = ABIVersion + 1 }},
	} {
		m := testManifest("hello", "1.0.0")
		c.edit(&m)
		if _, err := Pack(k, m, testBinary, compress.LevelFastest); !errors.Is(err, ErrManifest) {
			t.Errorf("%s: Pack: %v", c.name, err)
		}
	}
}

func TestVersions(t *testing.T) {
	for _, bad := range []string{"", "1", "1.2", "1.2.3.4", "01.2.3", "a.b.c", "0.0.0", "-1.0.0"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q) accepted", bad)
		}
	}
	a, _ := ParseVersion("1.2.3")
	b, _ := ParseVersion("1.10.0")
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Fatal("Compare")
	}
}

func TestInspect(t *testing.T) {
	k, _ := keys(t)
	p := pack(t, k, testManifest("hello", "2.0.1"), testBinary)
	m, h, err := Inspect(p)
	if err != nil || m.Version.String() != "2.0.1" || h.PlainSize != uint64(len(testBinary)) {
		t.Fatalf("Inspect: %+v %+v %v", m, h, err)
	}
}

func FuzzVerify(f *testing.F) {
	k, _ := keys(f)
	good := pack(f, k, testManifest("hello", "1.2.3"), []byte("tiny program"))
	f.Add(good)
	f.Add(good[:100])
	f.Add([]byte{0xa0})
	tr := NewTrustRoot(k.Public())
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Verify(b, tr, defaultLimitsT)
		if err == nil && !bytes.Equal(b, good) {
			// Only a package signed by the trusted key can verify; the fuzzer cannot make one.
			t.Fatalf("accepted a package other than the one signed: %+v", v.Manifest())
		}
		Inspect(b)
	})
}

func FuzzDecodeManifest(f *testing.F) {
	m := testManifest("hello", "1.2.3")
	m.Format, m.Signer, m.BinarySize, m.BinaryDigest = FormatVersion, make([]byte, 32), 10, make([]byte, 64)
	b, err := EncodeManifest(&m)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err != nil {
			return
		}
		again, err := EncodeManifest(m)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted a manifest that does not re-encode to itself")
		}
	})
}
