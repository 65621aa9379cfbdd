package compress

import (
	"bytes"
	"errors"
	"math"
	"sync"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	// Long runs of one byte compress far beyond 1000:1, so they need a
	// larger MaxRatio; everything else decodes under the defaults.
	zeroLimits := Limits{MaxRatio: math.MaxUint64}
	cases := []struct {
		name  string
		plain []byte
		lim   Limits
	}{
		{"empty", []byte{}, DefaultLimits},
		{"one byte", []byte{'x'}, DefaultLimits},
		{"small", []byte("hello, deep compression"), DefaultLimits},
		{"1KiB text", textData(1 << 10), DefaultLimits},
		{"64KiB random", randomData(64<<10, 1), DefaultLimits},
		{"129KiB text", textData(129 << 10), DefaultLimits}, // more than one block
		{"5MiB random", randomData(5<<20, 2), DefaultLimits},
		{"9MiB text", textData(9 << 20), DefaultLimits}, // more than one window
		{"3MiB zeros", make([]byte, 3<<20), zeroLimits},
	}
	for _, c := range cases {
		for _, level := range levels {
			t.Run(c.name+"/"+level.String(), func(t *testing.T) {
				enc := mustEncode(t, c.plain, level)
				got, err := Decode(enc, c.lim)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if !bytes.Equal(got, c.plain) {
					t.Fatalf("Decode returned %d bytes that differ from the %d encoded", len(got), len(c.plain))
				}
				if got == nil {
					t.Fatalf("Decode returned nil data without an error")
				}
				h, err := ParseHeader(enc)
				if err != nil {
					t.Fatalf("ParseHeader: %v", err)
				}
				if h.PlainSize != uint64(len(c.plain)) || h.Version != FormatVersion || h.FrameOffset != HeaderSize {
					t.Fatalf("header %+v does not describe %d bytes", h, len(c.plain))
				}
				// Encode's frames fit the default window limit, whatever
				// the zstd library's defaults become (the 9 MiB case
				// exceeds one window, so its frame is not single-segment).
				fi, err := walkFrame(enc[HeaderSize:], c.lim.normalized(), h.PlainSize)
				if err != nil {
					t.Fatal(err)
				}
				if fi.window > DefaultLimits.MaxWindow {
					t.Fatalf("window %s over the default limit", size(fi.window))
				}
			})
		}
	}
}

func TestZerosNeedRatio(t *testing.T) {
	enc := mustEncode(t, make([]byte, 3<<20), LevelDefault)
	_, err := Decode(enc, DefaultLimits)
	wantErr(t, err, ErrRatio)
	t.Log(err)
}

func TestDeterministic(t *testing.T) {
	plain := append(textData(300<<10), randomData(200<<10, 3)...)
	for _, level := range levels {
		first := mustEncode(t, plain, level)
		// Concurrent encodes force fresh encoders out of the pool next to
		// reused ones; all must agree byte for byte.
		var wg sync.WaitGroup
		outs := make([][]byte, 4)
		for i := range outs {
			wg.Go(func() { outs[i] = mustEncode(t, plain, level) })
		}
		wg.Wait()
		for i, o := range outs {
			if !bytes.Equal(o, first) {
				t.Fatalf("%v: encode %d differs from the first", level, i)
			}
		}
	}
}

func TestEncodeLevelInvalid(t *testing.T) {
	for _, l := range []Level{0, -1, LevelBest + 1} {
		if _, err := Encode([]byte("x"), l); err == nil || !errors.Is(err, ErrLevel) {
			t.Errorf("Encode at %v: got %v, want ErrLevel", l, err)
		}
	}
}

// TestEncodeSmallWindow: small inputs get small windows, so decoding them
// allocates little.
func TestEncodeSmallWindow(t *testing.T) {
	for _, level := range levels {
		small := mustEncode(t, []byte("tiny"), level)
		fi, err := walkFrame(small[HeaderSize:], DefaultLimits.normalized(), 4)
		if err != nil {
			t.Fatalf("%v: %v", level, err)
		}
		if fi.window > 1<<10 {
			t.Errorf("%v: a 4-byte input got a %d-byte window", level, fi.window)
		}
	}
}

func TestDecodeInto(t *testing.T) {
	plain := textData(100 << 10)
	enc := mustEncode(t, plain, LevelDefault)

	t.Run("exact", func(t *testing.T) {
		dst := make([]byte, len(plain))
		n, err := DecodeInto(dst, enc, DefaultLimits)
		if err != nil || n != len(plain) || !bytes.Equal(dst, plain) {
			t.Fatalf("got n=%d err=%v, equal=%v", n, err, bytes.Equal(dst, plain))
		}
	})
	t.Run("larger", func(t *testing.T) {
		dst := bytes.Repeat([]byte{0xAA}, len(plain)+100)
		n, err := DecodeInto(dst, enc, DefaultLimits)
		if err != nil || n != len(plain) || !bytes.Equal(dst[:n], plain) {
			t.Fatalf("got n=%d err=%v", n, err)
		}
		if !bytes.Equal(dst[n:], bytes.Repeat([]byte{0xAA}, 100)) {
			t.Fatalf("DecodeInto wrote past the plain size")
		}
	})
	t.Run("short", func(t *testing.T) {
		dst := bytes.Repeat([]byte{0xAA}, len(plain)-1)
		n, err := DecodeInto(dst, enc, DefaultLimits)
		wantErr(t, err, ErrShortBuffer)
		if n != 0 || !bytes.Equal(dst, bytes.Repeat([]byte{0xAA}, len(plain)-1)) {
			t.Fatalf("a refused DecodeInto returned %d or wrote to dst", n)
		}
		t.Log(err)
	})
	t.Run("empty", func(t *testing.T) {
		n, err := DecodeInto(nil, mustEncode(t, nil, LevelFastest), DefaultLimits)
		if err != nil || n != 0 {
			t.Fatalf("got n=%d err=%v", n, err)
		}
	})
	t.Run("digest failure zeroes dst", func(t *testing.T) {
		bad := bytes.Clone(enc)
		bad[offDigest] ^= 1
		dst := bytes.Repeat([]byte{0xAA}, len(plain)+10)
		n, err := DecodeInto(dst, bad, DefaultLimits)
		wantErr(t, err, ErrDigest)
		if n != 0 {
			t.Fatalf("n = %d on error", n)
		}
		if !bytes.Equal(dst[:len(plain)], make([]byte, len(plain))) {
			t.Fatalf("unverified output left in dst")
		}
		if !bytes.Equal(dst[len(plain):], bytes.Repeat([]byte{0xAA}, 10)) {
			t.Fatalf("DecodeInto touched dst past the plain size")
		}
	})
}

func TestLimitsNormalized(t *testing.T) {
	got := Limits{}.normalized()
	if got != DefaultLimits {
		t.Fatalf("zero Limits became %+v, want %+v", got, DefaultLimits)
	}
	got = Limits{MaxWindow: 1, MaxPlainSize: 5, MaxRatio: 7}.normalized()
	if got.MaxWindow != 1<<10 || got.MaxPlainSize != 5 || got.MaxRatio != 7 {
		t.Fatalf("got %+v", got)
	}
	if got := (Limits{MaxWindow: math.MaxUint64}).normalized().MaxWindow; got != maxZstdWindow {
		t.Fatalf("huge window became %d", got)
	}
	// A lifted window limit still builds a decoder.
	enc := mustEncode(t, []byte("abc"), LevelDefault)
	lim := Limits{MaxWindow: math.MaxUint64, MaxPlainSize: math.MaxUint64, MaxRatio: math.MaxUint64}
	if _, err := Decode(enc, lim); err != nil {
		t.Fatal(err)
	}
}

func TestSizeString(t *testing.T) {
	for n, want := range map[uint64]string{
		0:             "0 bytes",
		1:             "1 byte",
		1023:          "1023 bytes",
		1024:          "1 KiB",
		1536:          "1.5 KiB (1536 bytes)",
		256 << 20:     "256 MiB",
		3 << 30:       "3 GiB",
		math.MaxInt64: "8.0 EiB (9223372036854775807 bytes)",
	} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}
