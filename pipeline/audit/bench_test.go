package audit

import "testing"

// BenchmarkAppend appends events to a log that never seals (batch 0): encoding,
// SHA3-512 chaining and the copy into the file.
func BenchmarkAppend(b *testing.B) {
	ka, _ := testKeys(b)
	l, err := NewLog(ka, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := l.Append(KindLoad, "netstack", "2.4.1", "verified against index serial 42"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSeal appends one event and seals it: almost all of it is the ML-DSA-87
// signature (hedged, with *pqc.PrivateKey as the signer).
func BenchmarkSeal(b *testing.B) {
	ka, _ := testKeys(b)
	l, err := NewLog(ka, 0, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := l.Append(KindUpdateCommit, "netstack", "2.4.1", ""); err != nil {
			b.Fatal(err)
		}
		if err := l.Seal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify verifies a log of 1,024 events sealed every 16.
func BenchmarkVerify(b *testing.B) {
	a, _ := detSigners(b)
	ka, _ := testKeys(b)
	log := buildLog(b, a, 16, events(1024), true).Bytes()
	trust := NewTrustRoot(ka.Public())
	b.SetBytes(int64(len(log)))
	for b.Loop() {
		if _, err := Verify(log, trust, Strict()); err != nil {
			b.Fatal(err)
		}
	}
}
