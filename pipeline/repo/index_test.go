package repo

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

var (
	once        sync.Once
	key, stray  *pqc.PrivateKey
	pkgs        map[string][]byte // "name version" → package
	epoch       = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	programText = bytes.Repeat([]byte("text of a program, not very repetitive 0123456789 "), 50)
)

func setup(t testing.TB) {
	once.Do(func() {
		var err error
		if key, err = pqc.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
		if stray, err = pqc.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
		pkgs = map[string][]byte{}
		for _, nv := range []string{"hello 1.0.0", "hello 1.1.0", "shell 2.0.0"} {
			f := strings.Fields(nv)
			v, _ := modpkg.ParseVersion(f[1])
			bin := append([]byte(nv), programText...)
			p, err := modpkg.Pack(key, modpkg.Manifest{Name: f[0], Version: v, Entry: f[0], MemoryLimit: 1 << 20}, bin, compress.LevelFastest)
			if err != nil {
				panic(err)
			}
			pkgs[nv] = p
		}
	})
}

func entry(nv string) Entry {
	f := strings.Fields(nv)
	v, _ := modpkg.ParseVersion(f[1])
	d := pqc.Sum512(pkgs[nv])
	return Entry{Name: f[0], Version: v, Digest: d[:]}
}

func client(now time.Time) *Client {
	c := NewClient(modpkg.NewTrustRoot(key.Public()))
	c.Now = func() time.Time { return now }
	return c
}

func sign(t *testing.T, k *pqc.PrivateKey, serial uint64, expires time.Time, nvs ...string) []byte {
	t.Helper()
	var es []Entry
	for _, nv := range nvs {
		es = append(es, entry(nv))
	}
	b, err := Sign(k, serial, expires, es)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIndexAndPackages(t *testing.T) {
	setup(t)
	c := client(epoch)
	idx, err := c.LoadIndex(sign(t, key, 5, epoch.Add(24*time.Hour), "shell 2.0.0", "hello 1.1.0", "hello 1.0.0"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := idx.Latest("hello"); v.String() != "1.1.0" || idx.Entries[0].Name != "hello" {
		t.Fatalf("index %+v", idx)
	}
	v, err := c.VerifyPackage(pkgs["hello 1.1.0"])
	if err != nil || v.Manifest().Version.String() != "1.1.0" {
		t.Fatalf("VerifyPackage: %v", err)
	}
	c.Installed("hello", v.Manifest().Version)

	cases := []struct {
		name string
		run  func() error
		want error
	}{
		{"older package than installed", func() error { _, err := c.VerifyPackage(pkgs["hello 1.0.0"]); return err }, ErrRollback},
		{"older index serial", func() error { _, err := c.LoadIndex(sign(t, key, 4, epoch.Add(time.Hour), "hello 1.0.0")); return err }, ErrRollback},
		{"expired index", func() error {
			_, err := c.LoadIndex(sign(t, key, 6, epoch.Add(-time.Second), "hello 1.1.0"))
			return err
		}, ErrExpired},
		{"index signed by a key not in the trust root", func() error {
			_, err := c.LoadIndex(sign(t, stray, 7, epoch.Add(time.Hour), "hello 1.1.0"))
			return err
		}, modpkg.ErrUntrustedKey},
		{"flipped bit in the index", func() error {
			b := sign(t, key, 8, epoch.Add(time.Hour), "hello 1.1.0")
			b[len(b)/3] ^= 1
			_, err := c.LoadIndex(b)
			return err
		}, ErrSignature},
	}
	for _, tc := range cases {
		if err := tc.run(); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v; want %v", tc.name, err, tc.want)
		}
	}

	// Mix and match: a newer index that lists a different package under hello 1.1.0.
	c2 := client(epoch)
	es := []Entry{entry("hello 1.1.0")}
	es[0].Digest = append([]byte(nil), es[0].Digest...)
	es[0].Digest[0] ^= 1
	b, err := Sign(key, 9, epoch.Add(time.Hour), es)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.LoadIndex(b); err != nil {
		t.Fatal(err)
	}
	if _, err := c2.VerifyPackage(pkgs["hello 1.1.0"]); !errors.Is(err, ErrMismatch) {
		t.Errorf("mixed package: %v", err)
	}
	if _, err := c2.VerifyPackage(pkgs["shell 2.0.0"]); !errors.Is(err, ErrNotListed) {
		t.Errorf("unlisted package: %v", err)
	}
}

func TestSignRefusesDuplicates(t *testing.T) {
	setup(t)
	if _, err := Sign(key, 1, epoch, []Entry{entry("hello 1.0.0"), entry("hello 1.0.0")}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("duplicate entries: %v", err)
	}
}

func FuzzLoadIndex(f *testing.F) {
	setup(f)
	good, err := Sign(key, 1, epoch.Add(time.Hour), []Entry{entry("hello 1.0.0")})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		c := client(epoch)
		if _, err := c.LoadIndex(b); err == nil && !bytes.Equal(b, good) {
			t.Fatal("accepted an index the trusted key did not sign")
		}
	})
}
