package pqc

import (
	"bytes"
	"crypto/sha3"
	"encoding/binary"
	"encoding/hex"
	"testing"

	"pgregory.net/rapid"
)

// TestDeriveKeyEncoding checks DeriveKey against the encoding written in its doc
// comment, built independently here.
func TestDeriveKeyEncoding(t *testing.T) {
	secret, purpose, context := []byte("secret"), "skyscope/disk-key/v1", []byte{1, 2, 3}
	var in []byte
	in = append(in, "skyscope-kdf-v1"...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(purpose)))
	in = append(in, purpose...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(context)))
	in = append(in, context...)
	in = binary.BigEndian.AppendUint64(in, uint64(len(secret)))
	in = append(in, secret...)
	want := sha3.SumSHAKE256(in, 64)
	if got := DeriveKey(secret, purpose, context, 64); !bytes.Equal(got, want) {
		t.Fatalf("DeriveKey = %x, want %x", got, want)
	}
}

// TestDeriveKeyGolden pins one output, so that a change to the encoding, which would
// silently change every derived key, fails loudly.
func TestDeriveKeyGolden(t *testing.T) {
	got := hex.EncodeToString(DeriveKey([]byte("secret"), "skyscope/test/v1", []byte("context"), 32))
	const want = "169628e6e36fc8908bc3f104a60a3479efbb4d197fa09881e54fc9ae513004a3" // also computed with Python hashlib.shake_256
	if got != want {
		t.Fatalf("DeriveKey golden output = %s, want %s", got, want)
	}
}

func TestDeriveKeyLengths(t *testing.T) {
	for _, n := range []int{0, 1, 32, 64, 1000} {
		if got := DeriveKey([]byte("s"), "p", nil, n); len(got) != n {
			t.Errorf("DeriveKey(n=%d) returned %d bytes", n, len(got))
		}
	}
	// Documented: shorter outputs are prefixes of longer ones.
	if !bytes.Equal(DeriveKey([]byte("s"), "p", nil, 16), DeriveKey([]byte("s"), "p", nil, 32)[:16]) {
		t.Error("a shorter output is not a prefix of a longer one")
	}
	defer func() {
		if recover() == nil {
			t.Error("DeriveKey with negative n did not panic")
		}
	}()
	DeriveKey(nil, "p", nil, -1)
}

// TestDeriveKeyDistinct derives keys for many (purpose, context, secret) triples,
// including every way of splitting the same bytes between the fields, which
// plain concatenation would map to the same input, and checks that all differ.
func TestDeriveKeyDistinct(t *testing.T) {
	type triple struct {
		purpose         string
		context, secret []byte
	}
	var triples []triple
	add := func(p string, c, s []byte) { triples = append(triples, triple{p, c, s}) }

	// The brief's example: "ab"+"c" against "a"+"bc", in both field pairs.
	add("ab", []byte("c"), []byte("k"))
	add("a", []byte("bc"), []byte("k"))
	add("p", []byte("ab"), []byte("c"))
	add("p", []byte("a"), []byte("bc"))
	// Every split of one string into purpose ‖ context ‖ secret.
	const s = "abcdefgh"
	for i := 0; i <= len(s); i++ {
		for j := i; j <= len(s); j++ {
			add(s[:i], []byte(s[i:j]), []byte(s[j:]))
		}
	}
	// Length prefixes that look like data: a context holding what an encoded
	// length and a field would look like.
	fake := binary.BigEndian.AppendUint64(nil, 1)
	add("p", append(bytes.Clone(fake), 'x'), nil)
	add("p", nil, append(bytes.Clone(fake), 'x'))
	// Empty versus absent: nil and empty slices are the same input, on purpose.
	add("", nil, nil)
	// Many purposes and contexts.
	for i := 0; i < 200; i++ {
		add("skyscope/purpose/"+string(rune('a'+i%26))+string(rune('a'+i/26)), []byte{byte(i), byte(i >> 8)}, []byte("one secret"))
	}

	seen := map[string]triple{}
	for _, tr := range triples {
		k := string(DeriveKey(tr.secret, tr.purpose, tr.context, 32))
		if prev, dup := seen[k]; dup {
			if prev.purpose == tr.purpose && bytes.Equal(prev.context, tr.context) && bytes.Equal(prev.secret, tr.secret) {
				continue
			}
			t.Fatalf("DeriveKey collision: %+v and %+v", prev, tr)
		}
		seen[k] = tr
	}
	if len(seen) < 240 {
		t.Fatalf("only %d distinct triples tested", len(seen))
	}
	if !bytes.Equal(DeriveKey(nil, "p", nil, 32), DeriveKey([]byte{}, "p", []byte{}, 32)) {
		t.Error("nil and empty inputs should derive the same key")
	}
}

// TestDeriveKeyInjective checks with random triples that two derivations agree exactly
// when their (purpose, context, secret) triples are equal.
func TestDeriveKeyInjective(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gen := rapid.SliceOfN(rapid.Byte(), 0, 6)
		p1, c1, s1 := string(gen.Draw(t, "p1")), gen.Draw(t, "c1"), gen.Draw(t, "s1")
		p2, c2, s2 := string(gen.Draw(t, "p2")), gen.Draw(t, "c2"), gen.Draw(t, "s2")
		same := p1 == p2 && bytes.Equal(c1, c2) && bytes.Equal(s1, s2)
		k1, k2 := DeriveKey(s1, p1, c1, 32), DeriveKey(s2, p2, c2, 32)
		if bytes.Equal(k1, k2) != same {
			t.Fatalf("(%q,%x,%x) and (%q,%x,%x): keys equal = %v, triples equal = %v", p1, c1, s1, p2, c2, s2, !same, same)
		}
	})
}
