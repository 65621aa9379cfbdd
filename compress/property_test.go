package compress

import (
	"bytes"
	"testing"

	"pgregory.net/rapid"
)

// genPlain draws plain data of several shapes: arbitrary bytes, text over a
// small alphabet (compressible), and runs of repeated chunks (long matches).
func genPlain(t *rapid.T) []byte {
	switch rapid.IntRange(0, 2).Draw(t, "shape") {
	case 0:
		return rapid.SliceOfN(rapid.Byte(), 0, 3000).Draw(t, "bytes")
	case 1:
		alphabet := rapid.SliceOfN(rapid.Byte(), 1, 6).Draw(t, "alphabet")
		idx := rapid.SliceOfN(rapid.IntRange(0, len(alphabet)-1), 0, 5000).Draw(t, "text")
		b := make([]byte, len(idx))
		for i, j := range idx {
			b[i] = alphabet[j]
		}
		return b
	default:
		chunk := rapid.SliceOfN(rapid.Byte(), 1, 64).Draw(t, "chunk")
		n := rapid.IntRange(0, 200).Draw(t, "repeats")
		return bytes.Repeat(chunk, n)
	}
}

// propLimits lifts the ratio limit: a drawn run of one byte may compress
// beyond 1000:1, and the property is about integrity, not the limits.
var propLimits = Limits{MaxRatio: 1 << 62}

func TestPropertyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := genPlain(t)
		level := rapid.SampledFrom(levels).Draw(t, "level")
		enc := mustEncode(t, x, level)
		got, err := Decode(enc, propLimits)
		if err != nil {
			t.Fatalf("Decode(Encode(x)): %v", err)
		}
		if !bytes.Equal(got, x) {
			t.Fatalf("Decode(Encode(x)) != x")
		}
	})
}

// mutate applies one drawn mutation to a copy of b.
func mutate(t *rapid.T, b []byte, i int) []byte {
	b = bytes.Clone(b)
	label := func(s string) string { return s + string(rune('0'+i)) }
	if len(b) == 0 {
		return append(b, rapid.SliceOfN(rapid.Byte(), 1, 8).Draw(t, label("append")+"-empty")...)
	}
	pos := rapid.IntRange(0, len(b)-1).Draw(t, label("pos"))
	switch rapid.IntRange(0, 6).Draw(t, label("kind")) {
	case 0: // flip one bit
		b[pos] ^= 1 << rapid.IntRange(0, 7).Draw(t, label("bit"))
	case 1: // overwrite a byte
		b[pos] = rapid.Byte().Draw(t, label("byte"))
	case 2: // truncate
		b = b[:pos]
	case 3: // append
		b = append(b, rapid.SliceOfN(rapid.Byte(), 1, 16).Draw(t, label("append"))...)
	case 4: // insert
		ins := rapid.SliceOfN(rapid.Byte(), 1, 8).Draw(t, label("insert"))
		b = append(b[:pos], append(ins, b[pos:]...)...)
	case 5: // delete a range
		n := rapid.IntRange(1, len(b)-pos).Draw(t, label("delete"))
		b = append(b[:pos], b[pos+n:]...)
	default: // swap two bytes
		q := rapid.IntRange(0, len(b)-1).Draw(t, label("swap"))
		b[pos], b[q] = b[q], b[pos]
	}
	return b
}

// TestPropertyMutation: any mutation of a valid encoding decodes to exactly
// the original or fails with one sentinel error. (A mutation may leave the
// plain data unchanged, e.g. swapping two equal bytes; then decoding
// succeeds, and must return x.)
func TestPropertyMutation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		x := genPlain(t)
		level := rapid.SampledFrom(levels).Draw(t, "level")
		enc := mustEncode(t, x, level)
		m := enc
		for i := range rapid.IntRange(1, 3).Draw(t, "mutations") {
			m = mutate(t, m, i)
		}
		got, err := Decode(m, propLimits)
		if err != nil {
			if n := sentinelCount(err); n != 1 {
				t.Fatalf("%v wraps %d sentinels", err, n)
			}
			// DecodeInto agrees.
			dst := make([]byte, len(x)+16)
			if n, err2 := DecodeInto(dst, m, propLimits); err2 == nil {
				t.Fatalf("Decode failed with %v but DecodeInto returned %d bytes", err, n)
			}
			return
		}
		if !bytes.Equal(got, x) {
			t.Fatalf("a mutated encoding decoded to different data (%d bytes, want %d)", len(got), len(x))
		}
	})
}
