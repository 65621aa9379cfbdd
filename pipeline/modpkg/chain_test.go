package modpkg

import (
	"errors"
	"strings"
	"testing"
)

// TestEachSignatureIsNeeded (seed verification target 8): for each of the three
// signatures of the chain, a package in which that one signature is wrong and every
// other check would pass is refused by that check, with an error that names it and
// the key. Each signature is broken two ways: a flipped bit, and a valid signature by
// the same trusted key over the same bytes made for another part (its domain), which
// only domain separation refuses. The manifest and binary cases re-sign the package,
// so that the package signature, checked first, does not hide them.
func TestEachSignatureIsNeeded(t *testing.T) {
	k, _ := keys(t)
	good := pack(t, k, testManifest("hello", "1.2.3"), testBinary)
	if _, err := Verify(good, trust(t), defaultLimitsT); err != nil {
		t.Fatalf("the unbroken package: %v", err)
	}
	env := open(t, good)
	sign := func(domain string, msg []byte) []byte {
		s, err := k.Sign(domain, msg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	packageBody := func(e envelope) []byte { e.PackageSig = nil; return enc(t, e) }
	cases := []struct {
		name  string
		pkg   []byte
		want  error
		check string
	}{
		{"package signature flipped", func() []byte { e := env; e.PackageSig = flip(e.PackageSig, 100); return enc(t, e) }(),
			ErrPackageSignature, "package signature"},
		{"package signature made as a manifest signature", func() []byte {
			e := env
			e.PackageSig = sign(DomainManifest, packageBody(e))
			return enc(t, e)
		}(), ErrPackageSignature, "package signature"},
		{"manifest signature flipped", func() []byte { e := env; e.ManifestSig = flip(e.ManifestSig, 100); return resign(t, k, e) }(),
			ErrManifestSignature, "manifest signature"},
		{"manifest signature made as a binary signature", func() []byte {
			e := env
			e.ManifestSig = sign(DomainBinary, e.Manifest)
			return resign(t, k, e)
		}(), ErrManifestSignature, "manifest signature"},
		{"binary signature flipped", func() []byte { e := env; e.BinarySig = flip(e.BinarySig, 100); return resign(t, k, e) }(),
			ErrBinarySignature, "binary signature"},
		{"binary signature made as a manifest signature", func() []byte {
			e := env
			e.BinarySig = sign(DomainManifest, testBinary)
			return resign(t, k, e)
		}(), ErrBinarySignature, "binary signature"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v, err := Verify(c.pkg, trust(t), defaultLimitsT)
			if v != nil || !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, %v; want %v", v, err, c.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.check) || !strings.Contains(msg, k.ID().Short()) {
				t.Fatalf("error %q does not name the check (%s) and the key %s", msg, c.check, k.ID().Short())
			}
		})
	}
}
