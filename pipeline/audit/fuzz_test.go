package audit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/pqc"
)

// fuzzSeeds returns the seed corpora of the fuzz targets, by target and name. Seeds
// named valid-… are accepted (by Verify without Strict, or by DecodeRecord); the others
// are refused. Every seed is deterministic: the keys come from fixed randomness and
// the seals are signed deterministically, so the committed files can be checked.
func fuzzSeeds(t testing.TB) map[string]map[string][]byte {
	a, db := detSigners(t)
	// Seals are large (an ML-DSA-87 signature is 4,627 bytes), so most seeds are
	// variations of a log with one seal: events 0 … 3, and the seal at record 4.
	small := buildLog(t, a, 0, events(4), true).Bytes()
	fs := frames(t, small)
	offs := offsets(t, small)
	replace := func(i int, f []byte) []byte {
		out := append([][]byte(nil), fs...)
		out[i] = f
		return assemble(out)
	}
	altered := decode(t, fs[1])
	altered.Detail = "forged"
	junkSig := decode(t, fs[4])
	junkSig.Signature = bytes.Repeat([]byte("S"), pqc.SignatureSize)
	miscount := decode(t, fs[4])
	miscount.Count = 3
	miscount = resign(t, miscount, a)
	renumbered := decode(t, fs[2])
	renumbered.Seq = 1
	sealOfNothing := buildLog(t, a, 0, nil, true).Bytes()
	twoSeals := buildLog(t, a, 2, events(3), true).Bytes() // seals at 2 and 4

	verify := map[string][]byte{
		"valid-sealed":            small,
		"valid-two-seals":         twoSeals,
		"valid-unsealed-tail":     twoSeals[:offsets(t, twoSeals)[4]],
		"valid-seal-of-nothing":   sealOfNothing,
		"valid-header-only":       header(),
		"valid-dropped-last-seal": small[:offs[4]],
		"altered-detail":          replace(1, encode(t, altered)),
		"removed-record":          assemble(append(append([][]byte(nil), fs[:1]...), fs[2:]...)),
		"reordered":               assemble(append(append([][]byte(nil), fs[0], fs[2], fs[1]), fs[3:]...)),
		"duplicated-record":       assemble(append(append([][]byte(nil), fs[:2]...), fs[1:]...)),
		"duplicate-seq":           replace(2, encode(t, renumbered)),
		"junk-seal-signature":     replace(4, encode(t, junkSig)),
		"seal-count":              replace(4, encode(t, miscount)),
		"untrusted-signer":        buildLog(t, db, 0, events(1), true).Bytes(),
		"truncated-mid-record":    small[:offs[2]+30],
		"truncated-length-prefix": small[:offs[2]+2],
		"truncated-mid-seal":      small[:len(small)-1],
		"trailing-byte":           append(bytes.Clone(small), 0),
		"zero-length":             append(header(), 0, 0, 0, 0),
		"huge-length":             append(header(), 0xff, 0xff, 0xff, 0xff),
		"bad-magic":               append([]byte("SKYAUDIX"), small[8:]...),
		"version-2":               append([]byte("SKYAUDIT\x00\x00\x00\x02"), small[12:]...),
		"empty":                   {},
	}

	decodeSeeds := map[string][]byte{
		"valid-event":   fs[1],
		"valid-first":   fs[0],
		"valid-seal":    fs[4],
		"valid-minimal": encode(t, Record{Kind: KindOther}),
	}
	for name, r := range decodeRefusals(t, fs[1], fs[4]) {
		if name == "too big" { // 8 KiB of zeros says nothing a fuzzer needs told
			continue
		}
		decodeSeeds[strings.ReplaceAll(name, " ", "-")] = r.b
	}
	return map[string]map[string][]byte{"FuzzVerify": verify, "FuzzDecodeRecord": decodeSeeds}
}

func fuzzFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

// TestFuzzSeeds checks that the committed seed corpora are the ones fuzzSeeds makes,
// and that each seed is accepted or refused as its name says.
func TestFuzzSeeds(t *testing.T) {
	write := os.Getenv("AUDIT_WRITE_FUZZ_SEEDS") == "1"
	ka, _ := testKeys(t)
	trust := NewTrustRoot(ka.Public())
	for target, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		if write {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for name, data := range seeds {
			var err error
			if target == "FuzzVerify" {
				_, err = Verify(data, trust)
			} else {
				_, err = DecodeRecord(data)
			}
			if (err == nil) != strings.HasPrefix(name, "valid-") {
				t.Errorf("%s seed %s: error %v", target, name, err)
			}
			path := filepath.Join(dir, name)
			want := fuzzFile(data)
			if write {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("seed %s is missing or stale; run AUDIT_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzSeeds ./pipeline/audit", path)
			}
		}
	}
}

// FuzzVerify: Verify never panics; every refusal is an *Error wrapping a sentinel; and
// whatever it accepts, the sealed part is a prefix of a log the trusted key sealed (a
// seed): the fuzzer cannot make a seal verify.
func FuzzVerify(f *testing.F) {
	ka, _ := testKeys(f)
	trust := NewTrustRoot(ka.Public())
	seeds := fuzzSeeds(f)["FuzzVerify"]
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Verify(data, trust)
		srep, serr := Verify(data, trust, Strict())
		if err != nil {
			checkVerifyError(t, err, len(data))
			if serr == nil {
				t.Fatalf("refused (%v), but accepted with Strict", err)
			}
			return
		}
		if rep.Records != rep.Sealed+rep.Unsealed || rep.Seals > rep.Sealed || rep.SealedSize > len(data) ||
			(rep.Seals == 0) != (rep.Sealed == 0) {
			t.Fatalf("inconsistent report %+v", rep)
		}
		sealed := data[:rep.SealedSize]
		known := false
		for _, s := range seeds {
			known = known || bytes.HasPrefix(s, sealed)
		}
		if !known {
			t.Fatalf("accepted a sealed log of %d records that the trusted key did not seal", rep.Sealed)
		}
		switch {
		case rep.Unsealed == 0 && rep.Records > 0:
			if serr != nil || srep.Records != rep.Records {
				t.Fatalf("a fully sealed log is refused with Strict: %v", serr)
			}
		case !errors.Is(serr, ErrUnsealed):
			t.Fatalf("a log with an unsealed tail: Strict gives %v", serr)
		}
	})
}

// FuzzDecodeRecord: DecodeRecord never panics, refuses with ErrMalformed, and accepts
// only canonical encodings: what it accepts encodes back to exactly the input.
func FuzzDecodeRecord(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRecord(data)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %q does not wrap ErrMalformed", err)
			}
			return
		}
		again, err := r.Encode()
		if err != nil || !bytes.Equal(again, data) {
			t.Fatalf("accepted a record that does not re-encode to itself: %v", err)
		}
		if r.Digest() != pqc.Sum512(data) {
			t.Fatal("Digest is not SHA3-512 of the encoding")
		}
	})
}
