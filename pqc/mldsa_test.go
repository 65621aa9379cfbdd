package pqc

import (
	"bytes"
	"crypto/sha3"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

const (
	manifestDomain = "skyscope/manifest/v1"
	packageDomain  = "skyscope/package/v1"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	a, _, _ := testKeys(t)
	tests := []struct {
		name   string
		domain string
		msg    []byte
	}{
		{"empty message", manifestDomain, nil},
		{"short message", manifestDomain, []byte("hello")},
		{"long message", packageDomain, bytes.Repeat([]byte{0xa5}, 1<<20)},
		{"one-byte domain", "x", []byte("m")},
		{"longest domain", strings.Repeat("d", MaxDomainSize), []byte("m")},
		{"binary domain", "\x00\xff\x80", []byte("m")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := a.Sign(tt.domain, tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != SignatureSize {
				t.Fatalf("signature is %d bytes, want %d", len(sig), SignatureSize)
			}
			if err := a.Public().Verify(tt.domain, tt.msg, sig); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestSignIsHedged(t *testing.T) {
	a, _, _ := testKeys(t)
	s1, _ := a.Sign(manifestDomain, []byte("m"))
	s2, _ := a.Sign(manifestDomain, []byte("m"))
	if bytes.Equal(s1, s2) {
		t.Fatal("two signatures of the same message are equal; signing should be randomized")
	}
	for _, s := range [][]byte{s1, s2} {
		if err := a.Public().Verify(manifestDomain, []byte("m"), s); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDomainSeparation(t *testing.T) {
	a, _, _ := testKeys(t)
	msg := []byte("the same bytes, two meanings")
	sig, err := a.Sign(manifestDomain, msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, other := range []string{packageDomain, "skyscope/manifest/v2", "skyscope/manifest/v1 ", "Skyscope/manifest/v1", "skyscope/manifest/"} {
		wantErr(t, a.Public().Verify(other, msg, sig), ErrBadSignature, a.ID().Short())
	}
}

// forEachBit calls f for every step-th bit of an n-byte value (step is
// multiplied by 7 with -short), on all CPUs: flipping every bit of a signature means
// tens of thousands of verifications.
func forEachBit(t *testing.T, n, step int, f func(bit int) error) {
	if testing.Short() {
		step *= 7 // 7 is coprime with 8, so every bit position within a byte is still hit
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	errs := make([]error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for bit := w * step; bit < n*8; bit += workers * step {
				if err := f(bit); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// checkFails returns nil if err is a signature failure and describes the problem
// otherwise.
func checkFails(what string, bit int, err error) error {
	if err == nil {
		return fmt.Errorf("flipping bit %d of the %s: signature still verifies", bit, what)
	}
	if !strings.Contains(err.Error(), "signature does not verify with key") {
		return fmt.Errorf("flipping bit %d of the %s: unexpected error %q", bit, what, err)
	}
	return nil
}

func TestVerifyFailsOnAnyFlippedBit(t *testing.T) {
	a, _, _ := testKeys(t)
	pub := a.Public()
	msg := []byte("skyscope release 1.0 manifest: 64 bytes of content to be signed!")
	sig, err := a.Sign(manifestDomain, msg)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("message", func(t *testing.T) {
		forEachBit(t, len(msg), 1, func(bit int) error {
			return checkFails("message", bit, pub.Verify(manifestDomain, flipBit(msg, bit), sig))
		})
	})
	t.Run("signature", func(t *testing.T) {
		forEachBit(t, len(sig), 1, func(bit int) error {
			return checkFails("signature", bit, pub.Verify(manifestDomain, msg, flipBit(sig, bit)))
		})
	})
	t.Run("domain", func(t *testing.T) {
		forEachBit(t, len(manifestDomain), 1, func(bit int) error {
			d := string(flipBit([]byte(manifestDomain), bit))
			return checkFails("domain", bit, pub.Verify(d, msg, sig))
		})
	})
}

func TestVerifyWrongKeyNamesKey(t *testing.T) {
	a, b, _ := testKeys(t)
	sig, err := a.Sign(manifestDomain, []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	err = b.Public().Verify(manifestDomain, []byte("m"), sig)
	want := "signature does not verify with key " + b.ID().Short()
	wantErr(t, err, ErrBadSignature, want)
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}
}

func TestVerifyWrongSignatureLength(t *testing.T) {
	a, _, _ := testKeys(t)
	sig, _ := a.Sign(manifestDomain, []byte("m"))
	for _, s := range [][]byte{nil, sig[:len(sig)-1], append(append([]byte(nil), sig...), 0)} {
		wantErr(t, a.Public().Verify(manifestDomain, []byte("m"), s), ErrBadSignature, a.ID().Short(), "signatures are 4627")
	}
}

func TestInvalidDomain(t *testing.T) {
	a, _, _ := testKeys(t)
	sig, _ := a.Sign(manifestDomain, []byte("m"))
	for _, d := range []string{"", strings.Repeat("d", MaxDomainSize+1)} {
		_, err := a.Sign(d, []byte("m"))
		wantErr(t, err, ErrInvalidDomain)
		wantErr(t, a.Public().Verify(d, []byte("m"), sig), ErrInvalidDomain)
	}
}

func TestZeroValueKeysDoNotPanic(t *testing.T) {
	var nilPriv *PrivateKey
	var nilPub *PublicKey
	_, err := nilPriv.Sign(manifestDomain, nil)
	wantErr(t, err, ErrUninitialized)
	_, err = new(PrivateKey).Sign(manifestDomain, nil)
	wantErr(t, err, ErrUninitialized)
	wantErr(t, nilPub.Verify(manifestDomain, nil, nil), ErrUninitialized)
	wantErr(t, new(PublicKey).Verify(manifestDomain, nil, nil), ErrUninitialized)
	if nilPub.Bytes() != nil || nilPriv.Bytes() != nil || nilPriv.Public() != nil || nilPub.ID() != (KeyID{}) {
		t.Error("nil keys should encode to nil and have the zero id")
	}
	_, err = EncodePublicKeyFile(new(PublicKey))
	wantErr(t, err, ErrUninitialized)
	_, err = EncodePrivateKeyFile(new(PrivateKey))
	wantErr(t, err, ErrUninitialized)
}

func TestPublicKeyEncoding(t *testing.T) {
	a, b, _ := testKeys(t)
	enc := a.Public().Bytes()
	if len(enc) != PublicKeySize {
		t.Fatalf("public key is %d bytes, want %d", len(enc), PublicKeySize)
	}
	pub, err := ParsePublicKey(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(a.Public()) || pub.Equal(b.Public()) || !bytes.Equal(pub.Bytes(), enc) {
		t.Fatal("public key does not survive encoding")
	}
	enc[0] ^= 1 // Bytes returns a copy
	if !bytes.Equal(a.Public().Bytes(), pub.Bytes()) {
		t.Fatal("modifying the result of Bytes changed the key")
	}
	sig, _ := a.Sign(manifestDomain, []byte("m"))
	if err := pub.Verify(manifestDomain, []byte("m"), sig); err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, PublicKeySize - 1, PublicKeySize + 1, PrivateKeySize} {
		_, err := ParsePublicKey(make([]byte, n))
		wantErr(t, err, ErrMalformedKey, "must be 2592 bytes")
	}
}

func TestPrivateKeyEncoding(t *testing.T) {
	a, _, _ := testKeys(t)
	enc := a.Bytes()
	if len(enc) != PrivateKeySize {
		t.Fatalf("private key is %d bytes, want %d", len(enc), PrivateKeySize)
	}
	if skEtaOffset+skEtaSize+skT0Size != PrivateKeySize {
		t.Fatal("private key layout constants do not add up to PrivateKeySize")
	}
	priv, err := ParsePrivateKey(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(priv.Bytes(), enc) || !priv.Public().Equal(a.Public()) || priv.ID() != a.ID() {
		t.Fatal("private key does not survive encoding")
	}
	sig, err := priv.Sign(manifestDomain, []byte("m"))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Public().Verify(manifestDomain, []byte("m"), sig); err != nil {
		t.Fatal(err)
	}
}

func TestParsePrivateKeyRefuses(t *testing.T) {
	a, _, _ := testKeys(t)
	good := a.Bytes()
	modify := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	tests := []struct {
		name string
		key  []byte
		want string
	}{
		{"empty", nil, "must be 4896 bytes"},
		{"short", good[:PrivateKeySize-1], "must be 4896 bytes"},
		{"long", append(bytes.Clone(good), 0), "must be 4896 bytes"},
		{"public key instead", a.Public().Bytes(), "must be 4896 bytes"},
		// The first s1 coefficient field holds η−c; 7 would mean c = −5, outside [−2, 2].
		{"s1 coefficient out of range", modify(func(b []byte) { b[skEtaOffset] |= 7 }), "coefficient 0 is out of range"},
		{"s2 coefficient out of range", modify(func(b []byte) { b[skEtaOffset+skEtaSize-1] |= 0xe0 }), "coefficient 3839 is out of range"},
		// ρ determines A, so t = A·s1 + s2 changes and the stored t0 no longer fits.
		{"rho altered", modify(func(b []byte) { b[0] ^= 1 }), "t0 coefficient 0 does not match"},
		{"tr altered", modify(func(b []byte) { b[skTROffset] ^= 1 }), "public-key hash does not match"},
		{"s1 altered in range", modify(func(b []byte) {
			// Swap one coefficient for another valid value: t changes.
			v := b[skEtaOffset] & 7
			b[skEtaOffset] = b[skEtaOffset]&^7 | (v+1)%5
		}), "does not match its secret vectors"},
		{"s2 altered in range", modify(func(b []byte) {
			// s2 polynomial 0, coefficient 0 changes by ±1: so does t coefficient 0.
			off := skEtaOffset + 7*96
			v := b[off] & 7
			b[off] = b[off]&^7 | (v+1)%5
		}), "t0 coefficient 0 does not match"},
		{"t0 replaced", modify(func(b []byte) {
			r := sha3.SumSHAKE256([]byte("garbage t0"), skT0Size)
			copy(b[skEtaOffset+skEtaSize:], r)
		}), "t0 coefficient 0 does not match"},
		{"t0 last bit flipped", modify(func(b []byte) { b[PrivateKeySize-1] ^= 0x80 }), "t0 coefficient 2047 does not match"},
		{"t0 first bit flipped", modify(func(b []byte) { b[skEtaOffset+skEtaSize] ^= 1 }), "t0 coefficient 0 does not match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrivateKey(tt.key)
			wantErr(t, err, ErrMalformedKey, tt.want)
		})
	}
}

func TestKeyID(t *testing.T) {
	a, b, _ := testKeys(t)
	id := a.Public().ID()
	if want := KeyID(sha3.Sum256(a.Public().Bytes())); id != want {
		t.Fatalf("ID() = %s, want SHA3-256 of the public key %s", id, want)
	}
	if id == b.ID() {
		t.Fatal("two keys have the same id")
	}
	s := id.String()
	if len(s) != 64 || strings.ToLower(s) != s {
		t.Fatalf("String() = %q, want 64 lowercase hex digits", s)
	}
	if dec, err := hex.DecodeString(s); err != nil || !bytes.Equal(dec, id[:]) {
		t.Fatalf("String() = %q does not decode to the id", s)
	}
	if short := id.Short(); short != s[:8]+"…" {
		t.Fatalf("Short() = %q, want %q", short, s[:8]+"…")
	}
	if got := (KeyID{0x3f, 0x2a, 0x9c, 0x1d, 0xff}).Short(); got != "3f2a9c1d…" {
		t.Fatalf("Short() = %q, want 3f2a9c1d…", got)
	}
}

// TestSignVerifyProperty checks, for random messages and domains, that signatures
// verify for their own (domain, message) and not for another domain or message.
func TestSignVerifyProperty(t *testing.T) {
	a, _, _ := testKeys(t)
	pub := a.Public()
	rapid.Check(t, func(t *rapid.T) {
		domain := string(rapid.SliceOfN(rapid.Byte(), 1, MaxDomainSize).Draw(t, "domain"))
		other := string(rapid.SliceOfN(rapid.Byte(), 1, MaxDomainSize).Draw(t, "other"))
		msg := rapid.SliceOf(rapid.Byte()).Draw(t, "msg")
		sig, err := a.Sign(domain, msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := pub.Verify(domain, msg, sig); err != nil {
			t.Fatal(err)
		}
		if other != domain {
			if err := pub.Verify(other, msg, sig); err == nil {
				t.Fatalf("signature for domain %q verifies for %q", domain, other)
			}
		}
		if err := pub.Verify(domain, append(bytes.Clone(msg), 0), sig); err == nil {
			t.Fatal("signature verifies for an extended message")
		}
	})
}

func TestGenerateKeyReadError(t *testing.T) {
	_, err := GenerateKey(bytes.NewReader(make([]byte, 5)))
	if err == nil || !strings.Contains(err.Error(), "generating ML-DSA-87 key") {
		t.Fatalf("GenerateKey with a short reader: err = %v", err)
	}
	k, err := GenerateKey(nil) // crypto/rand
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := testKeys(t)
	if k.ID() == a.ID() {
		t.Fatal("a random key equals a fixed test key")
	}
}

// TestCheckT0MatchesCircl checks this package's recomputation of t = A·s1 + s2 against
// circl: the t1 it derives must be the t1 in circl's public key, for many keys.
func TestCheckT0MatchesCircl(t *testing.T) {
	n := 20
	if testing.Short() {
		n = 3
	}
	for i := 0; i < n; i++ {
		k, err := GenerateKey(detRand("checkT0 " + fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		bad, t1 := checkT0(k.Bytes())
		if bad >= 0 {
			t.Fatalf("key %d: t0 coefficient %d of a freshly generated key does not match", i, bad)
		}
		pk := k.Public().Bytes()
		for r := range t1 {
			for j := range t1[r] {
				if want := unpackBits(pk[32:], r*dsaN+j, 10); t1[r][j] != want {
					t.Fatalf("key %d: t1[%d][%d] = %d, circl has %d", i, r, j, t1[r][j], want)
				}
			}
		}
	}
}

// TestEveryPrivateKeyBitMatters flips single bits across the private key encoding:
// every flip outside K (bytes 32..63, the signing seed, which any value is valid for)
// must be refused.
func TestEveryPrivateKeyBitMatters(t *testing.T) {
	a, _, _ := testKeys(t)
	good := a.Bytes()
	// Every 13th bit (13 is prime, so the tested bits fall on every bit position and
	// in every field).
	forEachBit(t, len(good), 13, func(bit int) error {
		_, err := ParsePrivateKey(flipBit(good, bit))
		if bit/8 >= 32 && bit/8 < 64 { // in K
			if err != nil {
				return fmt.Errorf("bit %d (in K) refused: %v", bit, err)
			}
			return nil
		}
		if err == nil {
			return fmt.Errorf("bit %d (byte %d) flipped, key still accepted", bit, bit/8)
		}
		return nil
	})
}

// TestConcurrentUse backs the documented promise that keys are safe for concurrent
// use (run with -race).
func TestConcurrentUse(t *testing.T) {
	a, _, k := testKeys(t)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				msg := []byte{byte(g), byte(i)}
				sig, err := a.Sign(manifestDomain, msg)
				if err == nil {
					err = a.Public().Verify(manifestDomain, msg, sig)
				}
				if err == nil {
					shared, ct := k.Public().Encapsulate()
					var got []byte
					if got, err = k.Decapsulate(ct); err == nil && !bytes.Equal(got, shared) {
						err = fmt.Errorf("KEM secrets differ")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
