package audit

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

// TestSingleByteMutation: for random logs and any single-byte change to the file (a
// byte altered, deleted or inserted), Verify fails — unless the change is in the
// unsealed tail and Verify is not strict, which is what an unsealed tail means. A log
// that verifies is therefore byte for byte the one that was sealed.
func TestSingleByteMutation(t *testing.T) {
	ka, _ := testKeys(t)
	trust := NewTrustRoot(ka.Public())
	rapid.Check(t, func(rt *rapid.T) {
		batch := rapid.IntRange(0, 5).Draw(rt, "batch")
		l, err := NewLog(ka, batch, clock())
		if err != nil {
			rt.Fatal(err)
		}
		text := rapid.RuneFrom([]rune("abcz-. é✓\n\x00"))
		n := rapid.IntRange(0, 12).Draw(rt, "events")
		for range n {
			kind := Kind(rapid.IntRange(int(KindLoad), int(KindOther)).Draw(rt, "kind"))
			subject := rapid.StringOfN(text, 0, 16, MaxSubject).Draw(rt, "subject")
			version := rapid.StringOfN(text, 0, 8, MaxVersion).Draw(rt, "version")
			detail := rapid.StringOfN(text, 0, 40, MaxDetail).Draw(rt, "detail")
			if _, err := l.Append(kind, subject, version, detail); err != nil {
				rt.Fatal(err)
			}
			if rapid.IntRange(0, 9).Draw(rt, "seal now") == 0 {
				if err := l.Seal(); err != nil {
					rt.Fatal(err)
				}
			}
		}
		if rapid.IntRange(0, 3).Draw(rt, "unsealed end") != 0 {
			if err := l.Seal(); err != nil {
				rt.Fatal(err)
			}
		}
		orig := l.Bytes()
		rep, err := Verify(orig, trust)
		if err != nil {
			rt.Fatalf("the log as written does not verify: %v", err)
		}
		_, strictErr := Verify(orig, trust, Strict())
		if (strictErr == nil) != (rep.Unsealed == 0 && rep.Records > 0) {
			rt.Fatalf("strict verification of the log as written: %v (report %+v)", strictErr, rep)
		}

		for range 8 {
			pos := rapid.IntRange(0, len(orig)-1).Draw(rt, "pos")
			mut := bytes.Clone(orig)
			switch rapid.IntRange(0, 2).Draw(rt, "how") {
			case 0:
				mut[pos] ^= byte(rapid.IntRange(1, 255).Draw(rt, "xor"))
			case 1:
				mut = append(mut[:pos], mut[pos+1:]...)
			default:
				b := byte(rapid.IntRange(0, 255).Draw(rt, "byte"))
				mut = append(mut[:pos], append([]byte{b}, orig[pos:]...)...)
			}
			if bytes.Equal(mut, orig) {
				continue // inserting or deleting a byte in a run of equal bytes
			}
			if _, err := Verify(mut, trust, Strict()); err == nil {
				rt.Fatalf("a changed log verifies strictly (change at byte %d of %d)", pos, len(orig))
			} else {
				checkVerifyError(rt, err, rep.Records+1)
			}
			if _, err := Verify(mut, trust); err == nil && pos < rep.SealedSize {
				rt.Fatalf("a change at byte %d, inside the sealed %d bytes, verifies", pos, rep.SealedSize)
			}
		}
	})
}
