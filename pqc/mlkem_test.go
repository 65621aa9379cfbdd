package pqc

import (
	"bytes"
	"testing"
)

func TestKEMRoundTrip(t *testing.T) {
	_, _, k := testKeys(t)
	fresh, err := GenerateKEMKey()
	if err != nil {
		t.Fatal(err)
	}
	for name, priv := range map[string]*KEMPrivateKey{"fixed": k, "generated": fresh} {
		t.Run(name, func(t *testing.T) {
			shared, ct := priv.Public().Encapsulate()
			if len(shared) != KEMSharedKeySize || len(ct) != KEMCiphertextSize {
				t.Fatalf("Encapsulate gave %d-byte secret, %d-byte ciphertext; want %d, %d", len(shared), len(ct), KEMSharedKeySize, KEMCiphertextSize)
			}
			got, err := priv.Decapsulate(ct)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, shared) {
				t.Fatal("decapsulated secret differs from encapsulated secret")
			}
			shared2, ct2 := priv.Public().Encapsulate()
			if bytes.Equal(shared, shared2) || bytes.Equal(ct, ct2) {
				t.Fatal("two encapsulations gave the same secret or ciphertext")
			}
		})
	}
	if k.ID() == fresh.ID() {
		t.Fatal("two KEM keys have the same id")
	}
}

// TestKEMImplicitRejection checks that an altered ciphertext decapsulates, without an
// error, to a secret unrelated to the real one (FIPS 203 implicit rejection), and
// that this is deterministic, as it must be for the sender to be unable to tell.
func TestKEMImplicitRejection(t *testing.T) {
	_, _, k := testKeys(t)
	shared, ct := k.Public().Encapsulate()
	seen := map[string]bool{string(shared): true}
	for _, bit := range []int{0, 1, 7, 8, 1000, KEMCiphertextSize * 4, KEMCiphertextSize*8 - 1} {
		bad := flipBit(ct, bit)
		got, err := k.Decapsulate(bad)
		if err != nil {
			t.Fatalf("bit %d: Decapsulate of an altered ciphertext returned error %v; implicit rejection returns a key", bit, err)
		}
		if len(got) != KEMSharedKeySize {
			t.Fatalf("bit %d: rejection key is %d bytes", bit, len(got))
		}
		if seen[string(got)] {
			t.Fatalf("bit %d: altered ciphertext gave the real secret or a repeated one", bit)
		}
		seen[string(got)] = true
		again, _ := k.Decapsulate(bad)
		if !bytes.Equal(again, got) {
			t.Fatalf("bit %d: implicit rejection is not deterministic", bit)
		}
	}
	// Another key also decapsulates to something else.
	other, _ := GenerateKEMKey()
	if got, _ := other.Decapsulate(ct); bytes.Equal(got, shared) {
		t.Fatal("another key decapsulates to the same secret")
	}
}

func TestKEMMalformedCiphertext(t *testing.T) {
	_, _, k := testKeys(t)
	_, ct := k.Public().Encapsulate()
	for _, c := range [][]byte{nil, ct[:len(ct)-1], append(bytes.Clone(ct), 0)} {
		_, err := k.Decapsulate(c)
		wantErr(t, err, ErrMalformedCiphertext, "must be 1568 bytes")
	}
	_, err := new(KEMPrivateKey).Decapsulate(ct)
	wantErr(t, err, ErrUninitialized)
	if s, c := new(KEMPublicKey).Encapsulate(); s != nil || c != nil {
		t.Fatal("zero-value key encapsulated")
	}
}

func TestKEMKeyEncoding(t *testing.T) {
	_, _, k := testKeys(t)
	pubBytes := k.Public().Bytes()
	pub, err := ParseKEMPublicKey(pubBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(k.Public()) || !bytes.Equal(pub.Bytes(), pubBytes) || pub.ID() != k.ID() {
		t.Fatal("KEM public key does not survive encoding")
	}
	priv, err := ParseKEMPrivateKey(k.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(priv.Bytes(), k.Bytes()) || !priv.Public().Equal(k.Public()) {
		t.Fatal("KEM private key does not survive encoding")
	}
	shared, ct := pub.Encapsulate()
	if got, _ := priv.Decapsulate(ct); !bytes.Equal(got, shared) {
		t.Fatal("parsed keys do not agree")
	}

	tests := []struct {
		name  string
		parse func([]byte) error
		in    []byte
		want  string
	}{
		{"public empty", parsePub, nil, "must be 1568 bytes"},
		{"public short", parsePub, pubBytes[:100], "must be 1568 bytes"},
		// 12-bit coefficient 0xfff = 4095 is not reduced modulo q = 3329.
		{"public coefficient not reduced", parsePub, append([]byte{0xff, 0x0f}, pubBytes[2:]...), "not canonically encoded"},
		{"private empty", parsePriv, nil, "must be 64 bytes"},
		{"private long", parsePriv, make([]byte, 65), "must be 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.parse(tt.in), ErrMalformedKey, tt.want)
		})
	}
}

func parsePub(b []byte) error  { _, err := ParseKEMPublicKey(b); return err }
func parsePriv(b []byte) error { _, err := ParseKEMPrivateKey(b); return err }
