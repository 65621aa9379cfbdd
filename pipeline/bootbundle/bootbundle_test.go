package bootbundle

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/repo"
	"github.com/skyscope-os/skyscope/pqc"
)

var (
	once       sync.Once
	root, evil *pqc.PrivateKey
)

func keys() {
	once.Do(func() {
		root, _ = pqc.GenerateKey(rand.Reader)
		evil, _ = pqc.GenerateKey(rand.Reader)
	})
}

func program(name string) Program {
	return Program{Entry: name, Binary: bytes.Repeat([]byte("program "+name+" text; "), 300)}
}

func build(t *testing.T, key *pqc.PrivateKey) []byte {
	t.Helper()
	b, err := Build(key, []Program{program("init"), program("shell"), program("sort.test")},
		map[string][]byte{"usr/share/a.txt": []byte("A"), "testdata/b": []byte("B")}, "/src/sort", Options{})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func trust() *modpkg.TrustRoot { keys(); return modpkg.NewTrustRoot(root.Public()) }

func TestBuildOpen(t *testing.T) {
	keys()
	c, err := Open(build(t, root), trust(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Programs) != 3 || !bytes.Equal(c.Programs["sort.test"], program("sort.test").Binary) ||
		string(c.Files["usr/share/a.txt"]) != "A" || c.Cwd != "/src/sort" || c.Files[CwdFile] != nil {
		t.Fatalf("contents %+v", c)
	}
	if strings.Join(c.Modules, ",") != "files 1.0.0,init 1.0.0,shell 1.0.0,sort-test 1.0.0" {
		t.Fatalf("modules %v", c.Modules)
	}
}

// TestOpenRefuses: every way to alter a bundle is refused, naming the entry.
func TestOpenRefuses(t *testing.T) {
	keys()
	good := build(t, root)
	entries, err := readTar(good)
	if err != nil {
		t.Fatal(err)
	}
	rebuild := func(edit func(map[string][]byte)) []byte {
		m := map[string][]byte{}
		for k, v := range entries {
			m[k] = append([]byte(nil), v...)
		}
		edit(m)
		var order []string
		for k := range m {
			order = append(order, k)
		}
		var b bytes.Buffer
		if err := writeTar(&b, m, order); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	other := build(t, evil)
	otherEntries, _ := readTar(other)
	cases := []struct {
		name   string
		bundle []byte
		want   error
		text   string
	}{
		{"signed by a key the kernel does not trust", other, modpkg.ErrUntrustedKey, "index.skyidx"},
		{"no index", rebuild(func(m map[string][]byte) { delete(m, IndexName) }), nil, "not signed"},
		{"flipped bit in a package", rebuild(func(m map[string][]byte) { m["shell-1.0.0.skypkg"][300] ^= 1 }), repo.ErrMismatch, "shell-1.0.0.skypkg"},
		{"package from another signer's bundle", rebuild(func(m map[string][]byte) { m["shell-1.0.0.skypkg"] = otherEntries["shell-1.0.0.skypkg"] }), repo.ErrMismatch, "shell"},
		{"unsigned extra file", rebuild(func(m map[string][]byte) { m["backdoor"] = []byte("x") }), nil, "backdoor is not a signed package"},
		{"package not in the index", rebuild(func(m map[string][]byte) {
			m["extra-1.0.0.skypkg"] = m["shell-1.0.0.skypkg"]
		}), nil, "extra-1.0.0.skypkg holds shell"},
		{"flipped bit in the index", rebuild(func(m map[string][]byte) { m[IndexName][200] ^= 1 }), nil, "index.skyidx"},
		{"truncated archive", good[:len(good)/2], nil, "boot bundle"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Open(c.bundle, trust(), time.Now())
			if err == nil {
				t.Fatalf("accepted: %v", got.Modules)
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v; want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q lacks %q", err, c.text)
			}
		})
	}
	if _, err := Open(good, trust(), time.Now().Add(11*365*24*time.Hour)); !errors.Is(err, repo.ErrExpired) {
		t.Errorf("expired bundle: %v", err)
	}
}

func TestPackageName(t *testing.T) {
	for in, want := range map[string]string{"sort.test": "sort-test", "Hello": "hello", "9lives": "p-9lives", "a__b": "a-b"} {
		if got := PackageName(in); got != want {
			t.Errorf("PackageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzOpen(f *testing.F) {
	keys()
	good, err := Build(root, []Program{program("init")}, nil, "", Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:512])
	tr := trust()
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := Open(b, tr, time.Now()); err == nil && !bytes.Equal(b, good) {
			// A bundle whose tar framing differs but whose signed contents are the
			// same is fine; anything else must not open.
			if !bytes.Equal(c.Programs["init"], program("init").Binary) || len(c.Programs) != 1 {
				t.Fatalf("opened a bundle with other contents: %v", c.Modules)
			}
		}
	})
}
