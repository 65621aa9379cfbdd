package descriptor

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// seed reads one committed seed input (go test fuzz v1, one []byte).
func seed(t *testing.T, target, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz", target, name))
	if err != nil {
		t.Fatal(err)
	}
	_, arg, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(arg, "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s/%s: %v", target, name, err)
	}
	return []byte(s)
}

// The committed seeds still mean what their names say (the keys are deterministic).
func TestSeedCorpus(t *testing.T) {
	for _, name := range []string{"valid", "minimal"} {
		if _, err := Decode(seed(t, "FuzzDecode", name)); err != nil {
			t.Errorf("FuzzDecode/%s: %v", name, err)
		}
		if _, err := Verify(seed(t, "FuzzVerify", name), trust()); err != nil {
			t.Errorf("FuzzVerify/%s: %v", name, err)
		}
	}
	if _, err := Verify(seed(t, "FuzzVerify", "untrusted-key"), trust()); !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("FuzzVerify/untrusted-key: %v", err)
	}
	if _, err := Verify(seed(t, "FuzzVerify", "signed-invalid"), trust()); !errors.Is(err, ErrInvalid) {
		t.Errorf("FuzzVerify/signed-invalid: %v", err)
	}
}

// FuzzDecode: Decode never panics, and what it accepts is a valid descriptor whose
// canonical encoding is exactly the input.
func FuzzDecode(f *testing.F) {
	f.Add(encode(f, valid()))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("unclassified error %v", err)
			}
			return
		}
		if err := d.Check(); err != nil {
			t.Fatalf("Decode accepted an invalid descriptor: %v", err)
		}
		again, err := Encode(d)
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("re-encoding differs from the accepted input (err %v)", err)
		}
		_ = d.SubsetOf(d.clone())
	})
}

// FuzzVerify: Verify and Inspect never panic, what Verify accepts was signed by the
// trusted key over a descriptor that decodes, and Inspect reads it the same.
func FuzzVerify(f *testing.F) {
	k, _ := keys()
	s, err := Sign(k, valid())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(s)
	tr := trust()
	f.Fuzz(func(t *testing.T, b []byte) {
		d, id, ierr := Inspect(b)
		if ierr == nil && (d.Check() != nil) {
			t.Fatalf("Inspect returned an invalid descriptor")
		}
		v, err := Verify(b, tr)
		if err == nil && (ierr != nil || id != v.Signer()) {
			t.Fatalf("Verify accepts what Inspect reads otherwise: %v, signer %s", ierr, id)
		}
		if err != nil {
			for _, kind := range []error{ErrMalformed, ErrInvalid, ErrUntrustedKey, ErrSignature} {
				if errors.Is(err, kind) {
					return
				}
			}
			t.Fatalf("unclassified error %v", err)
		}
		if v.Signer() != k.ID() {
			t.Fatalf("accepted a descriptor signed by %s", v.Signer())
		}
		if err := v.Descriptor().Check(); err != nil {
			t.Fatal(err)
		}
	})
}
