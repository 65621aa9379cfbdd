package pqc

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// A minimal hand-written CBOR encoder, independent of the library the package uses,
// to build key files byte by byte as docs/KEYFILES.md describes them, and to build
// the malformed files the decoder must refuse.

func cborHead(major byte, n uint64) []byte {
	switch {
	case n < 24:
		return []byte{major<<5 | byte(n)}
	case n <= 0xff:
		return []byte{major<<5 | 24, byte(n)}
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16([]byte{major<<5 | 25}, uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, uint32(n))
	default:
		return binary.BigEndian.AppendUint64([]byte{major<<5 | 27}, n)
	}
}

func cborUint(n uint64) []byte  { return cborHead(0, n) }
func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }
func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }
func cborMap(items ...[]byte) []byte {
	out := cborHead(5, uint64(len(items)/2))
	for _, it := range items {
		out = append(out, it...)
	}
	return out
}

// keyFileBytes builds a key file exactly as docs/KEYFILES.md specifies.
func keyFileBytes(version uint64, alg, kind string, id, key []byte) []byte {
	return cborMap(
		cborUint(1), cborUint(version),
		cborUint(2), cborText(alg),
		cborUint(3), cborText(kind),
		cborUint(4), cborBytes(id),
		cborUint(5), cborBytes(key),
	)
}

// encoder returns a function that passes through an Encode*KeyFile result and fails t
// on error, so that encodings can be used inline.
func encoder(t testing.TB) func([]byte, error) []byte {
	return func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
}

func TestKeyFileRoundTrip(t *testing.T) {
	a, _, k := testKeys(t)
	mustEncode := encoder(t)
	pubFile := mustEncode(EncodePublicKeyFile(a.Public()))
	privFile := mustEncode(EncodePrivateKeyFile(a))
	kemPubFile := mustEncode(EncodeKEMPublicKeyFile(k.Public()))
	kemPrivFile := mustEncode(EncodeKEMPrivateKeyFile(k))

	pub, err := DecodePublicKeyFile(pubFile)
	if err != nil || !pub.Equal(a.Public()) {
		t.Fatalf("public key file: %v", err)
	}
	priv, err := DecodePrivateKeyFile(privFile)
	if err != nil || !bytes.Equal(priv.Bytes(), a.Bytes()) {
		t.Fatalf("private key file: %v", err)
	}
	kpub, err := DecodeKEMPublicKeyFile(kemPubFile)
	if err != nil || !kpub.Equal(k.Public()) {
		t.Fatalf("KEM public key file: %v", err)
	}
	kpriv, err := DecodeKEMPrivateKeyFile(kemPrivFile)
	if err != nil || !bytes.Equal(kpriv.Bytes(), k.Bytes()) {
		t.Fatalf("KEM private key file: %v", err)
	}
	// Deterministic: encoding again gives the same bytes.
	if again := mustEncode(EncodePublicKeyFile(pub)); !bytes.Equal(again, pubFile) {
		t.Fatal("public key file encoding is not deterministic")
	}
	if again := mustEncode(EncodePrivateKeyFile(priv)); !bytes.Equal(again, privFile) {
		t.Fatal("private key file encoding is not deterministic")
	}
}

// TestKeyFileLayout checks the encoder against the byte-by-byte description in
// docs/KEYFILES.md, so the document and the code cannot drift apart.
func TestKeyFileLayout(t *testing.T) {
	a, _, k := testKeys(t)
	mustEncode := encoder(t)
	aid, kid := a.ID(), k.ID()
	tests := []struct {
		name   string
		got    []byte
		want   []byte
		header string // the fixed bytes before the key id, as hex in the document
		size   int
	}{
		{"ML-DSA-87 public", mustEncode(EncodePublicKeyFile(a.Public())),
			keyFileBytes(1, "ML-DSA-87", "public", aid[:], a.Public().Bytes()),
			"a5 01 01 02 69 4d 4c 2d 44 53 41 2d 38 37 03 66 70 75 62 6c 69 63 04 58 20", 2653},
		{"ML-DSA-87 private", mustEncode(EncodePrivateKeyFile(a)),
			keyFileBytes(1, "ML-DSA-87", "private", aid[:], a.Bytes()),
			"a5 01 01 02 69 4d 4c 2d 44 53 41 2d 38 37 03 67 70 72 69 76 61 74 65 04 58 20", 4958},
		{"ML-KEM-1024 public", mustEncode(EncodeKEMPublicKeyFile(k.Public())),
			keyFileBytes(1, "ML-KEM-1024", "public", kid[:], k.Public().Bytes()),
			"a5 01 01 02 6b 4d 4c 2d 4b 45 4d 2d 31 30 32 34 03 66 70 75 62 6c 69 63 04 58 20", 1631},
		{"ML-KEM-1024 private", mustEncode(EncodeKEMPrivateKeyFile(k)),
			keyFileBytes(1, "ML-KEM-1024", "private", kid[:], k.Bytes()),
			"a5 01 01 02 6b 4d 4c 2d 4b 45 4d 2d 31 30 32 34 03 67 70 72 69 76 61 74 65 04 58 20", 127},
	}
	keyHeads := map[string][]byte{
		"ML-DSA-87 public":    {0x05, 0x59, 0x0a, 0x20},
		"ML-DSA-87 private":   {0x05, 0x59, 0x13, 0x20},
		"ML-KEM-1024 public":  {0x05, 0x59, 0x06, 0x20},
		"ML-KEM-1024 private": {0x05, 0x58, 0x40},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !bytes.Equal(tt.got, tt.want) {
				t.Fatalf("encoder output differs from the documented layout")
			}
			if len(tt.got) != tt.size {
				t.Errorf("file is %d bytes, document says %d", len(tt.got), tt.size)
			}
			header := hexBytes(tt.header)
			if !bytes.HasPrefix(tt.got, header) {
				t.Errorf("file starts % x, document says %s", tt.got[:len(header)], tt.header)
			}
			kh := keyHeads[tt.name]
			if off := len(header) + 32; !bytes.Equal(tt.got[off:off+len(kh)], kh) {
				t.Errorf("key field starts % x, document says % x", tt.got[off:off+len(kh)], kh)
			}
		})
	}
}

func hexBytes(s string) []byte {
	var out []byte
	for _, f := range bytes.Fields([]byte(s)) {
		var b byte
		for _, c := range f {
			b <<= 4
			switch {
			case c >= '0' && c <= '9':
				b |= c - '0'
			default:
				b |= c - 'a' + 10
			}
		}
		out = append(out, b)
	}
	return out
}

// TestDecodeKeyFileRefuses checks every refusal of the key file decoder, each as its
// own case, by sentinel and message.
func TestDecodeKeyFileRefuses(t *testing.T) {
	a, b, k := testKeys(t)
	aid, bid, kid := a.ID(), b.ID(), k.ID()
	pubKey, privKey := a.Public().Bytes(), a.Bytes()
	pubFile := keyFileBytes(1, "ML-DSA-87", "public", aid[:], pubKey)
	privFile := keyFileBytes(1, "ML-DSA-87", "private", aid[:], privKey)
	kemPubFile := keyFileBytes(1, "ML-KEM-1024", "public", kid[:], k.Public().Bytes())

	badCoeff := bytes.Clone(privKey)
	badCoeff[skEtaOffset] |= 7
	badKEM := append([]byte{0xff, 0x0f}, k.Public().Bytes()[2:]...)
	tagged := append([]byte{0xd9, 0xd9, 0xf7}, pubFile...) // tag 55799, "self-described CBOR"
	indefinite := append([]byte{0xbf}, pubFile[1:]...)
	indefinite = append(indefinite, 0xff)
	nonMinimal := append([]byte{0xa5, 0x01, 0x18, 0x01}, pubFile[3:]...) // version 1 as 18 01
	reordered := cborMap(
		cborUint(2), cborText("ML-DSA-87"),
		cborUint(1), cborUint(1),
		cborUint(3), cborText("public"),
		cborUint(4), cborBytes(aid[:]),
		cborUint(5), cborBytes(pubKey),
	)
	duplicate := cborMap(
		cborUint(1), cborUint(1),
		cborUint(2), cborText("ML-DSA-87"),
		cborUint(3), cborText("public"),
		cborUint(4), cborBytes(aid[:]),
		cborUint(5), cborBytes(pubKey),
		cborUint(5), cborBytes(b.Public().Bytes()),
	)
	unknownField := cborMap(
		cborUint(1), cborUint(1),
		cborUint(2), cborText("ML-DSA-87"),
		cborUint(3), cborText("public"),
		cborUint(4), cborBytes(aid[:]),
		cborUint(5), cborBytes(pubKey),
		cborUint(6), cborText("comment"),
	)
	futureVersion := cborMap(
		cborUint(1), cborUint(2),
		cborUint(6), cborText("a field from the future"),
	)
	textKeys := cborMap(
		cborText("1"), cborUint(1),
		cborText("2"), cborText("ML-DSA-87"),
		cborText("3"), cborText("public"),
		cborText("4"), cborBytes(aid[:]),
		cborText("5"), cborBytes(pubKey),
	)
	algAsBytes := cborMap(
		cborUint(1), cborUint(1),
		cborUint(2), cborBytes([]byte("ML-DSA-87")),
		cborUint(3), cborText("public"),
		cborUint(4), cborBytes(aid[:]),
		cborUint(5), cborBytes(pubKey),
	)
	missingKey := cborMap(
		cborUint(1), cborUint(1),
		cborUint(2), cborText("ML-DSA-87"),
		cborUint(3), cborText("public"),
		cborUint(4), cborBytes(aid[:]),
	)

	decPub := func(b []byte) error { _, err := DecodePublicKeyFile(b); return err }
	decPriv := func(b []byte) error { _, err := DecodePrivateKeyFile(b); return err }
	decKEMPub := func(b []byte) error { _, err := DecodeKEMPublicKeyFile(b); return err }
	decKEMPriv := func(b []byte) error { _, err := DecodeKEMPrivateKeyFile(b); return err }

	tests := []struct {
		name   string
		decode func([]byte) error
		data   []byte
		kind   error
		want   string
	}{
		{"KEM key for signatures", decPub, kemPubFile, ErrWrongAlgorithm, "key file holds an ML-KEM-1024 key; an ML-DSA-87 key is needed"},
		{"signature key for KEM", decKEMPub, pubFile, ErrWrongAlgorithm, "key file holds an ML-DSA-87 key; an ML-KEM-1024 key is needed"},
		{"unknown algorithm", decPub, keyFileBytes(1, "Ed25519", "public", aid[:], pubKey), ErrWrongAlgorithm, `unknown algorithm "Ed25519"`},
		{"private file as public", decPub, privFile, ErrWrongKind, "holds a private ML-DSA-87 key; a public key is needed"},
		{"public file as private", decPriv, pubFile, ErrWrongKind, "holds a public ML-DSA-87 key; a private key is needed"},
		{"KEM public file as private", decKEMPriv, kemPubFile, ErrWrongKind, "holds a public ML-KEM-1024 key; a private key is needed"},
		{"unknown kind", decPub, keyFileBytes(1, "ML-DSA-87", "secret", aid[:], pubKey), ErrWrongKind, `unknown kind "secret"`},
		{"version 2", decPub, keyFileBytes(2, "ML-DSA-87", "public", aid[:], pubKey), ErrUnsupportedVersion, "format version 2; this build reads only version 1"},
		{"version 0", decPub, keyFileBytes(0, "ML-DSA-87", "public", aid[:], pubKey), ErrUnsupportedVersion, "format version 0"},
		{"future version with new fields", decPub, futureVersion, ErrUnsupportedVersion, "format version 2"},
		{"missing version", decPub, cborMap(cborUint(2), cborText("ML-DSA-87")), ErrMalformedKeyFile, "no format version"},
		{"key id of another key", decPub, keyFileBytes(1, "ML-DSA-87", "public", bid[:], pubKey), ErrKeyIDMismatch, "records key id " + bid.Short() + " but holds key " + aid.Short()},
		{"private key id of another key", decPriv, keyFileBytes(1, "ML-DSA-87", "private", bid[:], privKey), ErrKeyIDMismatch, "records key id " + bid.Short()},
		{"KEM key id of another key", decKEMPub, keyFileBytes(1, "ML-KEM-1024", "public", aid[:], k.Public().Bytes()), ErrKeyIDMismatch, "holds key " + kid.Short()},
		{"key id too short", decPub, keyFileBytes(1, "ML-DSA-87", "public", aid[:31], pubKey), ErrMalformedKeyFile, "key id is 31 bytes; it must be 32 bytes"},
		{"public key too short", decPub, keyFileBytes(1, "ML-DSA-87", "public", aid[:], pubKey[:PublicKeySize-1]), ErrMalformedKey, "ML-DSA-87 public key is 2591 bytes; it must be 2592 bytes"},
		{"public key too long", decPub, keyFileBytes(1, "ML-DSA-87", "public", aid[:], append(bytes.Clone(pubKey), 0)), ErrMalformedKey, "is 2593 bytes"},
		{"private key too short", decPriv, keyFileBytes(1, "ML-DSA-87", "private", aid[:], privKey[:100]), ErrMalformedKey, "ML-DSA-87 private key is 100 bytes; it must be 4896 bytes"},
		{"KEM private key too long", decKEMPriv, keyFileBytes(1, "ML-KEM-1024", "private", kid[:], make([]byte, 65)), ErrMalformedKey, "is 65 bytes; it must be 64 bytes"},
		{"missing key", decPub, missingKey, ErrMalformedKey, "public key is 0 bytes"},
		{"private key out of range", decPriv, keyFileBytes(1, "ML-DSA-87", "private", aid[:], badCoeff), ErrMalformedKey, "out of range"},
		{"KEM public key not reduced", decKEMPub, keyFileBytes(1, "ML-KEM-1024", "public", kid[:], badKEM), ErrMalformedKey, "not canonically encoded"},
		{"trailing byte", decPub, append(bytes.Clone(pubFile), 0), ErrMalformedKeyFile, "has 1 trailing byte after the key file map"},
		{"trailing key file", decPub, append(bytes.Clone(pubFile), pubFile...), ErrMalformedKeyFile, "has 2653 trailing bytes"},
		{"duplicate field", decPub, duplicate, ErrMalformedKeyFile, "duplicated field"},
		{"unknown field", decPub, unknownField, ErrMalformedKeyFile, "field that version 1 key files do not have"},
		{"text field names", decPub, textKeys, ErrMalformedKeyFile, ""},
		{"algorithm as bytes", decPub, algAsBytes, ErrMalformedKeyFile, ""},
		{"fields out of order", decPub, reordered, ErrMalformedKeyFile, "canonical"},
		{"non-minimal integer", decPub, nonMinimal, ErrMalformedKeyFile, "canonical"},
		{"indefinite-length map", decPub, indefinite, ErrMalformedKeyFile, "not a valid skyscope key file"},
		{"tagged", decPub, tagged, ErrMalformedKeyFile, "not a valid skyscope key file"},
		{"empty", decPub, nil, ErrMalformedKeyFile, "not a valid skyscope key file"},
		{"truncated", decPub, pubFile[:len(pubFile)-1], ErrMalformedKeyFile, "not a valid skyscope key file"},
		{"PEM text", decPub, []byte("-----BEGIN PUBLIC KEY-----\n"), ErrMalformedKeyFile, "not a valid skyscope key file"},
		{"array", decPub, []byte{0x81, 0x01}, ErrMalformedKeyFile, "not a valid skyscope key file"},
		{"too large", decPub, make([]byte, MaxKeyFileSize+1), ErrMalformedKeyFile, "more than any key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantErr(t, tt.decode(tt.data), tt.kind, tt.want)
		})
	}
}
