package pqc

import (
	"bytes"
	"errors"
	"testing"
)

// keyFileSentinels are the sentinels a key file decoding error may wrap: every
// refusal must be one of them, so that callers can always classify it.
var keyFileSentinels = []error{
	ErrMalformedKeyFile, ErrUnsupportedVersion, ErrWrongAlgorithm, ErrWrongKind,
	ErrMalformedKey, ErrKeyIDMismatch,
}

func checkRefusal(t *testing.T, what string, err error) {
	t.Helper()
	for _, s := range keyFileSentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("%s: error %q wraps none of the package's sentinel errors", what, err)
}

// checkReencodes fails t unless encoding the decoded key gives back data exactly.
func checkReencodes(t *testing.T, what string, data []byte, reencoded []byte, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: accepted key does not re-encode: %v", what, err)
	}
	if !bytes.Equal(reencoded, data) {
		t.Fatalf("%s: accepted %d bytes that re-encode to %d different bytes", what, len(data), len(reencoded))
	}
}

// FuzzDecodePublicKeyFile checks that the public key file decoders never panic, that
// they accept only canonical files (anything accepted re-encodes to the same bytes),
// and that every refusal is classified. Seeds: testdata/fuzz/FuzzDecodePublicKeyFile,
// made by TestFuzzSeeds.
func FuzzDecodePublicKeyFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := DecodePublicKeyFile(data)
		if err == nil {
			re, err := EncodePublicKeyFile(pub)
			checkReencodes(t, "ML-DSA-87", data, re, err)
		} else {
			checkRefusal(t, "ML-DSA-87", err)
		}
		kpub, kerr := DecodeKEMPublicKeyFile(data)
		if kerr == nil {
			re, err := EncodeKEMPublicKeyFile(kpub)
			checkReencodes(t, "ML-KEM-1024", data, re, err)
		} else {
			checkRefusal(t, "ML-KEM-1024", kerr)
		}
		if err == nil && kerr == nil {
			t.Fatal("one file accepted as both an ML-DSA-87 and an ML-KEM-1024 key")
		}
	})
}

// FuzzDecodePrivateKeyFile is FuzzDecodePublicKeyFile for private key files. Seeds:
// testdata/fuzz/FuzzDecodePrivateKeyFile, made by TestFuzzSeeds.
func FuzzDecodePrivateKeyFile(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		priv, err := DecodePrivateKeyFile(data)
		if err == nil {
			re, err := EncodePrivateKeyFile(priv)
			checkReencodes(t, "ML-DSA-87", data, re, err)
		} else {
			checkRefusal(t, "ML-DSA-87", err)
		}
		kpriv, kerr := DecodeKEMPrivateKeyFile(data)
		if kerr == nil {
			re, err := EncodeKEMPrivateKeyFile(kpriv)
			checkReencodes(t, "ML-KEM-1024", data, re, err)
		} else {
			checkRefusal(t, "ML-KEM-1024", kerr)
		}
		if err == nil && kerr == nil {
			t.Fatal("one file accepted as both an ML-DSA-87 and an ML-KEM-1024 key")
		}
	})
}
