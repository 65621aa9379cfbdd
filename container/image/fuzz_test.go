package image_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/image"
)

func writeFile(dir, name string, b []byte) error {
	return os.WriteFile(filepath.Join(dir, name), b, 0o644)
}

// FuzzInspect: Inspect and Verify never panic on any input, refuse what is not a
// well-formed image, and agree: whatever Verify accepts, Inspect reads the same.
// Seeds: testdata/fuzz/FuzzInspect (a valid image, truncations, garbage).
func FuzzInspect(f *testing.F) {
	fx := newFixture(f)
	f.Add(fx.signed)
	f.Add(fx.signed[:len(fx.signed)/2])
	f.Add([]byte{0xa4, 0x01, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		info, ierr := image.Inspect(b)
		v, verr := image.Verify(b, fx.trust, fx.store, compress.DefaultLimits)
		if verr == nil {
			if ierr != nil {
				t.Fatalf("Verify accepts what Inspect refuses: %v", ierr)
			}
			if info.Image.Name != v.Name() || info.Digest != v.Digest() {
				t.Fatalf("Inspect and Verify disagree")
			}
		}
		if ierr == nil && (info.Descriptor == nil || info.Descriptor.Check() != nil || info.Image.Check() != nil) {
			t.Fatalf("Inspect returned an unchecked image")
		}
	})
}

// TestSeedCorpus: the committed seeds still mean what their names say: the valid
// image reads back (its packages were signed afresh, so only Inspect can check it),
// the damaged ones are refused.
func TestSeedCorpus(t *testing.T) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzInspect", name))
		if err != nil {
			t.Fatal(err)
		}
		_, arg, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(arg, "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return []byte(s)
	}
	if info, err := image.Inspect(read("valid")); err != nil || info.Image.Name != "web" || len(info.Descriptor.Image) != 2 {
		t.Errorf("valid: %+v %v", info, err)
	}
	for _, name := range []string{"truncated", "short-map", "empty"} {
		if _, err := image.Inspect(read(name)); !errors.Is(err, image.ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
