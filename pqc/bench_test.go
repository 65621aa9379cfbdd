package pqc

import "testing"

func BenchmarkSign(b *testing.B) {
	a, _, _ := testKeys(b)
	msg := make([]byte, 1024)
	for b.Loop() {
		if _, err := a.Sign(manifestDomain, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	a, _, _ := testKeys(b)
	msg := make([]byte, 1024)
	sig, err := a.Sign(manifestDomain, msg)
	if err != nil {
		b.Fatal(err)
	}
	pub := a.Public()
	for b.Loop() {
		if err := pub.Verify(manifestDomain, msg, sig); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkKEM measures one key establishment: encapsulate and decapsulate.
func BenchmarkKEM(b *testing.B) {
	_, _, k := testKeys(b)
	pub := k.Public()
	for b.Loop() {
		_, ct := pub.Encapsulate()
		if _, err := k.Decapsulate(ct); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGenerateKey(b *testing.B) {
	for b.Loop() {
		if _, err := GenerateKey(nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParsePrivateKey measures loading a private key, including the full
// consistency check (recomputing t = A·s1 + s2).
func BenchmarkParsePrivateKey(b *testing.B) {
	a, _, _ := testKeys(b)
	enc := a.Bytes()
	for b.Loop() {
		if _, err := ParsePrivateKey(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDeriveKey(b *testing.B) {
	secret := make([]byte, 32)
	for b.Loop() {
		DeriveKey(secret, "skyscope/bench/v1", []byte("context"), 32)
	}
}
