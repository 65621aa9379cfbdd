package compress

import (
	"bytes"
	"errors"
	"testing"
)

func flipBit(b []byte, bit int) []byte {
	c := bytes.Clone(b)
	c[bit/8] ^= 1 << (bit % 8)
	return c
}

func TestParseHeader(t *testing.T) {
	plain := []byte("header test")
	enc := mustEncode(t, plain, LevelDefault)
	h, err := ParseHeader(enc)
	if err != nil {
		t.Fatal(err)
	}
	if h.Version != 1 || h.PlainSize != uint64(len(plain)) || h.FrameOffset != 80 {
		t.Fatalf("got %+v", h)
	}
	if string(enc[:4]) != "SKYZ" {
		t.Fatalf("magic %q", enc[:4])
	}
	// The header alone parses: nothing after it is checked.
	if _, err := ParseHeader(enc[:HeaderSize]); err != nil {
		t.Fatal(err)
	}
}

func TestFlipMagic(t *testing.T) {
	enc := mustEncode(t, []byte("magic"), LevelDefault)
	for bit := 0; bit < 4*8; bit++ {
		_, err := Decode(flipBit(enc, bit), DefaultLimits)
		wantErr(t, err, ErrBadMagic)
		_, err = ParseHeader(flipBit(enc, bit))
		wantErr(t, err, ErrBadMagic)
	}
	_, err := Decode([]byte("X"), DefaultLimits)
	wantErr(t, err, ErrBadMagic)
	t.Log(err)
}

func TestFlipVersion(t *testing.T) {
	enc := mustEncode(t, []byte("version"), LevelDefault)
	for bit := offVersion * 8; bit < offVersion*8+8; bit++ {
		_, err := Decode(flipBit(enc, bit), DefaultLimits)
		wantErr(t, err, ErrVersion)
	}
}

func TestFlipFlags(t *testing.T) {
	enc := mustEncode(t, []byte("flags"), LevelDefault)
	for bit := offFlags * 8; bit < offFlags*8+8; bit++ {
		_, err := Decode(flipBit(enc, bit), DefaultLimits)
		wantErr(t, err, ErrHeader)
	}
}

func TestFlipReserved(t *testing.T) {
	enc := mustEncode(t, []byte("reserved"), LevelDefault)
	for bit := offReserved * 8; bit < offPlainSize*8; bit++ {
		_, err := Decode(flipBit(enc, bit), DefaultLimits)
		wantErr(t, err, ErrHeader)
	}
}

// TestFlipPlainSize flips every bit of the declared size. A small change is
// caught against the zstd frame's own content size; a large one by the
// limits.
func TestFlipPlainSize(t *testing.T) {
	plain := textData(3000)
	enc := mustEncode(t, plain, LevelDefault)
	for i := range 64 {
		bit := offPlainSize*8 + i
		declared := uint64(len(plain)) ^ 1<<i
		_, err := Decode(flipBit(enc, bit), DefaultLimits)
		switch {
		case declared > DefaultLimits.MaxPlainSize:
			wantErr(t, err, ErrTooLarge)
		case declared < uint64(len(plain)):
			wantErr(t, err, ErrTooLarge) // the frame declares more content
			if !bytes.Contains([]byte(err.Error()), []byte("zstd frame declares")) {
				t.Fatalf("unexpected message %v", err)
			}
		default:
			wantErr(t, err, ErrSizeMismatch) // the frame declares less
		}
	}
	// With the frame's content size out of play (a frame that does not
	// declare it), a larger declared size hits the ratio limit or is found
	// short; a smaller one is found too long.
	frame := streamFrame(t, plain, 0)
	for i := range 40 {
		declared := uint64(len(plain)) ^ 1<<i
		blob := wrapRaw(declared, [64]byte{}, frame)
		_, err := Decode(blob, DefaultLimits)
		switch {
		case declared > DefaultLimits.MaxPlainSize:
			wantErr(t, err, ErrTooLarge)
		case declared > 1000*uint64(len(frame)):
			wantErr(t, err, ErrRatio)
		case declared > uint64(len(plain)):
			wantErr(t, err, ErrSizeMismatch)
		default:
			wantErr(t, err, ErrTooLarge)
		}
	}
}

func TestFlipDigest(t *testing.T) {
	enc := mustEncode(t, textData(5000), LevelDefault)
	for bit := offDigest * 8; bit < HeaderSize*8; bit++ {
		_, err := Decode(flipBit(enc, bit), DefaultLimits)
		wantErr(t, err, ErrDigest)
	}
}

// TestTruncate cuts a small blob at every position: each prefix is
// reported as truncated, never as anything else.
func TestTruncate(t *testing.T) {
	for _, plain := range [][]byte{nil, []byte("truncate me"), textData(200 << 10)} {
		enc := mustEncode(t, plain, LevelBest)
		step := 1
		if len(enc) > 4096 {
			step = 7 // the large case has many blocks; sample every 7th cut
		}
		for n := 0; n < len(enc); n += step {
			_, err := Decode(enc[:n], DefaultLimits)
			wantErr(t, err, ErrTruncated)
			if n < HeaderSize {
				_, err := ParseHeader(enc[:n])
				wantErr(t, err, ErrTruncated)
			}
		}
	}
}

func TestErrorMessages(t *testing.T) {
	enc := mustEncode(t, []byte("messages"), LevelDefault)
	huge := wrapRaw(3<<30, [64]byte{}, enc[HeaderSize:])
	_, err := Decode(huge, DefaultLimits)
	wantErr(t, err, ErrTooLarge)
	const want = "declares 3 GiB of plain data; the limit is 256 MiB"
	if !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("message %q does not say %q", err, want)
	}
	if errors.Unwrap(err) != ErrTooLarge {
		t.Fatalf("%v does not wrap the sentinel directly", err)
	}
}
