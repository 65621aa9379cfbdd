package pqc

import (
	"crypto/sha3"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
)

// detRand returns a deterministic byte stream for label, so that test keys (and the
// committed fuzz seeds made from them) are the same on every run.
func detRand(label string) io.Reader {
	h := sha3.NewSHAKE256()
	h.Write([]byte("skyscope pqc test randomness: " + label))
	return h
}

var (
	testKeysOnce sync.Once
	testKeyA     *PrivateKey
	testKeyB     *PrivateKey
	testKEMKey   *KEMPrivateKey
)

// testKeys returns two fixed ML-DSA-87 keys and one fixed ML-KEM-1024 key, generated
// once per test binary.
func testKeys(t testing.TB) (a, b *PrivateKey, kem *KEMPrivateKey) {
	t.Helper()
	testKeysOnce.Do(func() {
		var err error
		if testKeyA, err = GenerateKey(detRand("key A")); err != nil {
			panic(err)
		}
		if testKeyB, err = GenerateKey(detRand("key B")); err != nil {
			panic(err)
		}
		seed := make([]byte, KEMPrivateKeySize)
		io.ReadFull(detRand("KEM key"), seed)
		if testKEMKey, err = ParseKEMPrivateKey(seed); err != nil {
			panic(err)
		}
	})
	return testKeyA, testKeyB, testKEMKey
}

// wantErr fails t unless err wraps kind and its message contains every one of parts.
func wantErr(t testing.TB, err, kind error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one wrapping %q", kind)
	}
	if !errors.Is(err, kind) {
		t.Fatalf("error %q does not wrap %q", err, kind)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// flipBit returns a copy of b with bit i flipped.
func flipBit(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i/8] ^= 1 << (i % 8)
	return c
}
