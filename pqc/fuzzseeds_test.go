package pqc

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzSeeds returns the committed seed corpora: for each fuzz target, file name →
// input. The keys are the fixed test keys, so the seeds are the same on every run.
func fuzzSeeds(t testing.TB) map[string]map[string][]byte {
	a, b, k := testKeys(t)
	enc := encoder(t)
	aid, bid, kid := a.ID(), b.ID(), k.ID()
	pub := enc(EncodePublicKeyFile(a.Public()))
	priv := enc(EncodePrivateKeyFile(a))
	kemPub := enc(EncodeKEMPublicKeyFile(k.Public()))
	kemPriv := enc(EncodeKEMPrivateKeyFile(k))

	flip := func(data []byte, i int) []byte { return flipBit(data, i*8) }
	common := func(valid []byte, kind string, key []byte) map[string][]byte {
		return map[string][]byte{
			"trailing-byte":  append(bytes.Clone(valid), 0),
			"truncated":      valid[:len(valid)-1],
			"version-2":      keyFileBytes(2, "ML-DSA-87", kind, aid[:], key),
			"id-mismatch":    keyFileBytes(1, "ML-DSA-87", kind, bid[:], key),
			"short-id":       keyFileBytes(1, "ML-DSA-87", kind, aid[:31], key),
			"short-key":      keyFileBytes(1, "ML-DSA-87", kind, aid[:], key[:len(key)-1]),
			"unknown-alg":    keyFileBytes(1, "ML-DSA-65", kind, aid[:], key),
			"key-bit-flip":   flip(valid, len(valid)-1),
			"header-flip":    flip(valid, 1),
			"non-minimal":    append([]byte{0xa5, 0x01, 0x18, 0x01}, valid[3:]...),
			"indefinite-map": append(append([]byte{0xbf}, valid[1:]...), 0xff),
			"duplicate-field": cborMap(
				cborUint(1), cborUint(1), cborUint(1), cborUint(1),
				cborUint(2), cborText("ML-DSA-87"), cborUint(3), cborText(kind),
				cborUint(4), cborBytes(aid[:]), cborUint(5), cborBytes(key)),
			"unknown-field": cborMap(
				cborUint(1), cborUint(1), cborUint(2), cborText("ML-DSA-87"),
				cborUint(3), cborText(kind), cborUint(4), cborBytes(aid[:]),
				cborUint(5), cborBytes(key), cborUint(6), cborUint(0)),
			"empty":   {},
			"garbage": []byte("-----BEGIN PRIVATE KEY-----"),
		}
	}

	pubSeeds := common(pub, "public", a.Public().Bytes())
	pubSeeds["valid-ml-dsa-87"] = pub
	pubSeeds["valid-ml-kem-1024"] = kemPub
	pubSeeds["private-file"] = priv
	pubSeeds["kem-coefficient-not-reduced"] = keyFileBytes(1, "ML-KEM-1024", "public", kid[:],
		append([]byte{0xff, 0x0f}, k.Public().Bytes()[2:]...))

	badCoeff := a.Bytes()
	badCoeff[skEtaOffset] |= 7
	badTR := a.Bytes()
	badTR[skTROffset] ^= 1
	privSeeds := common(priv, "private", a.Bytes())
	privSeeds["valid-ml-dsa-87"] = priv
	privSeeds["valid-ml-kem-1024"] = kemPriv
	privSeeds["public-file"] = pub
	privSeeds["coefficient-out-of-range"] = keyFileBytes(1, "ML-DSA-87", "private", aid[:], badCoeff)
	privSeeds["tr-mismatch"] = keyFileBytes(1, "ML-DSA-87", "private", aid[:], badTR)
	privSeeds["kem-id-mismatch"] = keyFileBytes(1, "ML-KEM-1024", "private", aid[:], k.Bytes())

	return map[string]map[string][]byte{
		"FuzzDecodePublicKeyFile":  pubSeeds,
		"FuzzDecodePrivateKeyFile": privSeeds,
	}
}

// fuzzFile is the "go test fuzz v1" corpus file format for one []byte argument.
func fuzzFile(data []byte) []byte {
	return fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", data)
}

// TestFuzzSeeds checks that the committed seed corpora are present and current. To
// (re)write them after changing the key file format, run
//
//	PQC_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzSeeds ./pqc
//
// Other files in the corpus directories (inputs the fuzzer found) are left alone.
func TestFuzzSeeds(t *testing.T) {
	write := os.Getenv("PQC_WRITE_FUZZ_SEEDS") == "1"
	for target, seeds := range fuzzSeeds(t) {
		dir := filepath.Join("testdata", "fuzz", target)
		if write {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for name, data := range seeds {
			// Exactly the seeds named valid-* are accepted, so the corpus really
			// holds both valid files and near misses.
			if accepted := seedAccepted(target, data); accepted != strings.HasPrefix(name, "valid-") {
				t.Errorf("%s seed %s: accepted = %v", target, name, accepted)
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
				t.Errorf("seed %s is missing or stale; run PQC_WRITE_FUZZ_SEEDS=1 go test -run TestFuzzSeeds ./pqc", path)
			}
		}
	}
}

func seedAccepted(target string, data []byte) bool {
	if target == "FuzzDecodePublicKeyFile" {
		_, err1 := DecodePublicKeyFile(data)
		_, err2 := DecodeKEMPublicKeyFile(data)
		return err1 == nil || err2 == nil
	}
	_, err1 := DecodePrivateKeyFile(data)
	_, err2 := DecodeKEMPrivateKeyFile(data)
	return err1 == nil || err2 == nil
}
