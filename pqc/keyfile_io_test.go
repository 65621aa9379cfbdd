package pqc

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestWriteLoadKeyPair(t *testing.T) {
	a, _, k := testKeys(t)
	dir := t.TempDir()
	if err := WriteKeyPair(dir, "release", a); err != nil {
		t.Fatal(err)
	}
	if err := WriteKEMKeyPair(dir, "transport", k); err != nil {
		t.Fatal(err)
	}

	pub, err := LoadPublicKey(filepath.Join(dir, "release.pub"))
	if err != nil || !pub.Equal(a.Public()) {
		t.Fatalf("LoadPublicKey: %v", err)
	}
	priv, err := LoadPrivateKey(filepath.Join(dir, "release.key"))
	if err != nil || !bytes.Equal(priv.Bytes(), a.Bytes()) {
		t.Fatalf("LoadPrivateKey: %v", err)
	}
	kpub, err := LoadKEMPublicKey(filepath.Join(dir, "transport.pub"))
	if err != nil || !kpub.Equal(k.Public()) {
		t.Fatalf("LoadKEMPublicKey: %v", err)
	}
	kpriv, err := LoadKEMPrivateKey(filepath.Join(dir, "transport.key"))
	if err != nil || !bytes.Equal(kpriv.Bytes(), k.Bytes()) {
		t.Fatalf("LoadKEMPrivateKey: %v", err)
	}

	sig, err := priv.Sign(manifestDomain, []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Verify(manifestDomain, []byte("m"), sig); err != nil {
		t.Fatal(err)
	}

	// The files hold exactly the documented encodings, and nothing else is left in
	// the directory (no temporary files).
	want := map[string][]byte{
		"release.key":   encoder(t)(EncodePrivateKeyFile(a)),
		"release.pub":   encoder(t)(EncodePublicKeyFile(a.Public())),
		"transport.key": encoder(t)(EncodeKEMPrivateKeyFile(k)),
		"transport.pub": encoder(t)(EncodeKEMPublicKeyFile(k.Public())),
	}
	assertDir(t, dir, want)
}

// assertDir fails t unless dir holds exactly the files in want, with those contents.
func assertDir(t *testing.T, dir string, want map[string][]byte) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("directory holds %q, want %d files", names, len(want))
	}
	for name, data := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s does not hold the expected key file", name)
		}
	}
}

func TestWriteKeyPairModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	a, _, _ := testKeys(t)
	dir := t.TempDir()
	if err := WriteKeyPair(dir, "k", a); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]fs.FileMode{"k.key": 0o600, "k.pub": 0o644} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != mode {
			t.Errorf("%s has mode %v, want %v", name, st.Mode(), mode)
		}
	}
}

func TestWriteKeyPairRefusesOverwrite(t *testing.T) {
	a, b, _ := testKeys(t)
	for _, existing := range []string{"k.key", "k.pub"} {
		t.Run(existing, func(t *testing.T) {
			dir := t.TempDir()
			old := []byte("precious old key")
			if err := os.WriteFile(filepath.Join(dir, existing), old, 0o600); err != nil {
				t.Fatal(err)
			}
			err := WriteKeyPair(dir, "k", a)
			wantErr(t, err, fs.ErrExist, existing, "refusing to overwrite")
			// Nothing written, nothing replaced.
			assertDir(t, dir, map[string][]byte{existing: old})
		})
	}
	t.Run("second pair", func(t *testing.T) {
		dir := t.TempDir()
		if err := WriteKeyPair(dir, "k", a); err != nil {
			t.Fatal(err)
		}
		wantErr(t, WriteKeyPair(dir, "k", b), fs.ErrExist)
		priv, err := LoadPrivateKey(filepath.Join(dir, "k.key"))
		if err != nil || priv.ID() != a.ID() {
			t.Fatalf("first key pair was replaced: %v", err)
		}
	})
}

func TestWriteKeyPairBadArguments(t *testing.T) {
	a, _, _ := testKeys(t)
	dir := t.TempDir()
	for _, name := range []string{"", ".", "..", "a/b", "../k", "a\\b", "a\x00b"} {
		if err := WriteKeyPair(dir, name, a); err == nil {
			t.Errorf("WriteKeyPair accepted name %q", name)
		}
	}
	wantErr(t, WriteKeyPair(dir, "k", nil), ErrUninitialized)
	wantErr(t, WriteKEMKeyPair(dir, "k", nil), ErrUninitialized)
	if err := WriteKeyPair(filepath.Join(dir, "missing"), "k", a); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteKeyPair into a missing directory: %v", err)
	}
	assertDir(t, dir, nil)
}

// TestLoadKeyFileRefuses checks every refusal of the loaders, each as its own case.
func TestLoadKeyFileRefuses(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission cases need Unix permission bits")
	}
	a, b, k := testKeys(t)
	dir := t.TempDir()
	if err := WriteKeyPair(dir, "sig", a); err != nil {
		t.Fatal(err)
	}
	if err := WriteKEMKeyPair(dir, "kem", k); err != nil {
		t.Fatal(err)
	}
	path := func(name string) string { return filepath.Join(dir, name) }
	write := func(name string, data []byte, mode fs.FileMode) string {
		p := path(name)
		if err := os.WriteFile(p, data, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask may have cleared bits
			t.Fatal(err)
		}
		return p
	}
	privData, _ := os.ReadFile(path("sig.key"))
	pubData, _ := os.ReadFile(path("sig.pub"))
	aid, bid := a.ID(), b.ID()

	loadPub := func(p string) error { _, err := LoadPublicKey(p); return err }
	loadPriv := func(p string) error { _, err := LoadPrivateKey(p); return err }
	loadKEMPriv := func(p string) error { _, err := LoadKEMPrivateKey(p); return err }

	mode644 := write("open.key", privData, 0o644)
	mode640 := write("group.key", privData, 0o640)
	mode604 := write("world.key", privData, 0o604)
	mode620 := write("groupwrite.key", privData, 0o620)
	spaced := write("my key.key", privData, 0o644)
	kemOpen := write("kemopen.key", encoder(t)(EncodeKEMPrivateKeyFile(k)), 0o644)
	if err := os.Mkdir(path("dir.key"), 0o700); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		load func(string) error
		path string
		kind error
		want string // the whole message, or a part of it if partial
		part bool
	}{
		{"private key readable by all", loadPriv, mode644, ErrInsecurePermissions,
			"key file " + mode644 + " has mode 0644; run chmod 600 " + mode644, false},
		{"private key readable by group", loadPriv, mode640, ErrInsecurePermissions, "has mode 0640; run chmod 600", true},
		{"private key readable by others", loadPriv, mode604, ErrInsecurePermissions, "has mode 0604; run chmod 600", true},
		{"private key writable by group", loadPriv, mode620, ErrInsecurePermissions, "has mode 0620; run chmod 600", true},
		{"path needing quotes", loadPriv, spaced, ErrInsecurePermissions, "run chmod 600 '" + spaced + "'", true},
		{"KEM private key readable by all", loadKEMPriv, kemOpen, ErrInsecurePermissions, "has mode 0644", true},
		{"KEM public key for signatures", loadPub, path("kem.pub"), ErrWrongAlgorithm,
			path("kem.pub") + " holds an ML-KEM-1024 key; an ML-DSA-87 key is needed", false},
		{"KEM private key for signatures", loadPriv, path("kem.key"), ErrWrongAlgorithm,
			path("kem.key") + " holds an ML-KEM-1024 key; an ML-DSA-87 key is needed", false},
		{"public file as private key", loadPriv, write("pub-as.key", pubData, 0o600), ErrWrongKind, "holds a public ML-DSA-87 key; a private key is needed", true},
		// A .pub file (mode 0644) loaded as a private key is a mix-up, not a
		// permission problem: say so.
		{"public file with open mode as private key", loadPriv, path("sig.pub"), ErrWrongKind,
			path("sig.pub") + " holds a public ML-DSA-87 key; a private key is needed (load the matching .key file)", false},
		{"private file as public key", loadPub, path("sig.key"), ErrWrongKind, "holds a private ML-DSA-87 key; a public key is needed", true},
		{"unknown version", loadPub, write("v2.pub", keyFileBytes(2, "ML-DSA-87", "public", aid[:], a.Public().Bytes()), 0o644), ErrUnsupportedVersion, "format version 2", true},
		{"key id mismatch", loadPub, write("id.pub", keyFileBytes(1, "ML-DSA-87", "public", bid[:], a.Public().Bytes()), 0o644), ErrKeyIDMismatch, "records key id " + bid.Short(), true},
		{"wrong key length", loadPub, write("short.pub", keyFileBytes(1, "ML-DSA-87", "public", aid[:], a.Public().Bytes()[:2000]), 0o644), ErrMalformedKey, "is 2000 bytes; it must be 2592 bytes", true},
		{"trailing bytes", loadPub, write("trail.pub", append(bytes.Clone(pubData), '\n'), 0o644), ErrMalformedKeyFile, "has 1 trailing byte after the key file map", true},
		{"too large", loadPub, write("big.pub", make([]byte, MaxKeyFileSize+1), 0o644), ErrMalformedKeyFile, "more than any key file", true},
		{"directory", loadPriv, path("dir.key"), ErrMalformedKeyFile, "is not a regular file", true},
		{"missing", loadPub, path("missing.pub"), fs.ErrNotExist, "missing.pub", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.load(tt.path)
			wantErr(t, err, tt.kind, tt.want)
			if !tt.part && err.Error() != tt.want {
				t.Errorf("error = %q, want exactly %q", err, tt.want)
			}
		})
	}
}

func TestLoadPrivateKeyAcceptsOwnerOnlyModes(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits")
	}
	a, _, _ := testKeys(t)
	dir := t.TempDir()
	if err := WriteKeyPair(dir, "k", a); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "k.key")
	for _, mode := range []fs.FileMode{0o600, 0o400} {
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadPrivateKey(p); err != nil {
			t.Errorf("mode %04o: %v", mode, err)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"x.key":           "x.key",
		"/etc/skyscope/k": "/etc/skyscope/k",
		"my key.key":      "'my key.key'",
		"it's.key":        `'it'\''s.key'`,
		"$(rm -rf ~).key": "'$(rm -rf ~).key'",
		"":                "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
