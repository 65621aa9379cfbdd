package compress

import (
	"bytes"
	"errors"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// zstdEncodeAll compresses plain with a zstd encoder built from opts.
func zstdEncodeAll(t testing.TB, plain []byte, opts ...zstd.EOption) []byte {
	t.Helper()
	enc, err := zstd.NewWriter(nil, append([]zstd.EOption{zstd.WithEncoderConcurrency(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(plain, nil)
}

// TestFlipFrame flips every bit of the zstd frame of small blobs. Each
// mutant must fail or decode to exactly the original. Some flips are
// harmless, because zstd encodings are not canonical: a larger window
// descriptor, a single-segment flag on an empty frame, bits of an entropy
// table that no symbol uses; those decode to the same data, which the digest
// confirms.
func TestFlipFrame(t *testing.T) {
	for _, plain := range [][]byte{textData(3000), randomData(700, 9), nil} {
		for _, level := range levels {
			enc := mustEncode(t, plain, level)
			passed := 0
			for bit := HeaderSize * 8; bit < len(enc)*8; bit++ {
				got, err := Decode(flipBit(enc, bit), DefaultLimits)
				if err == nil {
					if !bytes.Equal(got, plain) {
						t.Fatalf("%v: flipping bit %d decoded to different data without an error", level, bit)
					}
					passed++
					continue
				}
				if n := sentinelCount(err); n != 1 {
					t.Fatalf("%v wraps %d sentinels", err, n)
				}
			}
			t.Logf("%v, %d bytes: %d of %d single-bit flips decode to the same data", level, len(plain), passed, (len(enc)-HeaderSize)*8)
		}
	}
}

// TestCorruptBlock damages compressed data in the middle of a block: zstd's
// own checks (or its checksum) refuse it as corrupt.
func TestCorruptBlock(t *testing.T) {
	plain := textData(50 << 10)
	enc := mustEncode(t, plain, LevelDefault)
	mid := HeaderSize + (len(enc)-HeaderSize)/2
	for bit := 0; bit < 8; bit++ {
		_, err := Decode(flipBit(enc, mid*8+bit), DefaultLimits)
		wantErr(t, err, ErrCorrupt)
	}
}

// TestDigestOnlyCatches damages a frame without zstd's checksum in its raw
// (stored) data, where nothing but the SHA3-512 can notice.
func TestDigestOnlyCatches(t *testing.T) {
	plain := randomData(4000, 5) // incompressible: stored as a raw block
	frame := zstdEncodeAll(t, plain, zstd.WithEncoderCRC(false))
	blob := wrap(plain, frame)
	if _, err := Decode(blob, DefaultLimits); err != nil {
		t.Fatal(err)
	}
	bad := flipBit(blob, (len(blob)-10)*8)
	_, err := Decode(bad, DefaultLimits)
	wantErr(t, err, ErrDigest)
	t.Log(err)
}

// TestDigestValidFrame pairs a header with a valid frame of other data of
// the same size.
func TestDigestValidFrame(t *testing.T) {
	a, b := textData(1000), randomData(1000, 6)
	encA, encB := mustEncode(t, a, LevelDefault), mustEncode(t, b, LevelDefault)
	blob := append(bytes.Clone(encA[:HeaderSize]), encB[HeaderSize:]...)
	_, err := Decode(blob, DefaultLimits)
	wantErr(t, err, ErrDigest)
}

func TestTrailingData(t *testing.T) {
	enc := mustEncode(t, textData(2000), LevelDefault)
	for _, tail := range [][]byte{{0}, []byte("x"), make([]byte, 100), enc} {
		_, err := Decode(append(bytes.Clone(enc), tail...), DefaultLimits)
		wantErr(t, err, ErrTrailingData)
	}
	// An empty frame followed by data.
	empty := mustEncode(t, nil, LevelDefault)
	_, err := Decode(append(empty, 1, 2, 3), DefaultLimits)
	wantErr(t, err, ErrTrailingData)
	t.Log(err)
}

// TestTwoFrames: zstd streams may concatenate frames, and the zstd decoder
// would happily join them; the format allows exactly one.
func TestTwoFrames(t *testing.T) {
	p1, p2 := textData(3000), []byte("second frame")
	f1, f2 := zstdEncodeAll(t, p1), zstdEncodeAll(t, p2)
	frames := append(bytes.Clone(f1), f2...)
	for _, declared := range [][]byte{p1, append(bytes.Clone(p1), p2...)} {
		_, err := Decode(wrap(declared, frames), DefaultLimits)
		wantErr(t, err, ErrTrailingData)
	}
	// A second frame that is empty adds no output but is still refused.
	empty := zstdEncodeAll(t, nil, zstd.WithZeroFrames(true))
	_, err := Decode(wrap(p1, append(bytes.Clone(f1), empty...)), DefaultLimits)
	wantErr(t, err, ErrTrailingData)
}

func TestWindowTooLarge(t *testing.T) {
	plain := textData(100 << 10)
	// A streamed frame declares the encoder's full window.
	frame := streamFrame(t, plain, 16<<20)
	blob := wrap(plain, frame)
	_, err := Decode(blob, DefaultLimits)
	wantErr(t, err, ErrTooLarge)
	t.Log(err)
	if got, err := Decode(blob, Limits{MaxWindow: 16 << 20}); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("with a 16 MiB window limit: %v", err)
	}

	// A single-segment frame's window is its whole content.
	big := textData(9 << 20)
	single := wrap(big, zstdEncodeAll(t, big, zstd.WithSingleSegment(true)))
	_, err = Decode(single, DefaultLimits)
	wantErr(t, err, ErrTooLarge)
	t.Log(err)
	if got, err := Decode(single, Limits{MaxWindow: 16 << 20}); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("with a 16 MiB window limit: %v", err)
	}
}

// TestDecoderWindowLimit checks the second line of defence: the zstd
// decoder itself is configured with the window limit, should the frame
// walker ever let a frame through.
func TestDecoderWindowLimit(t *testing.T) {
	plain := textData(100 << 10)
	frame := streamFrame(t, plain, 1<<20)
	lim := Limits{MaxWindow: 64 << 10}.normalized()
	err := decodeFrame(make([]byte, len(plain)), frame, lim)
	wantErr(t, err, ErrTooLarge)
	t.Log(err)
}

func TestSkippableFrame(t *testing.T) {
	plain := []byte("skippable")
	skip := []byte{0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4}
	_, err := Decode(wrap(plain, append(skip, zstdEncodeAll(t, plain)...)), DefaultLimits)
	wantErr(t, err, ErrCorrupt)
	// After the frame, a skippable frame is trailing data.
	_, err = Decode(wrap(plain, append(zstdEncodeAll(t, plain), skip...)), DefaultLimits)
	wantErr(t, err, ErrTrailingData)
}

func TestBadZstdMagic(t *testing.T) {
	_, err := Decode(wrap(nil, []byte("not zstd at all")), DefaultLimits)
	wantErr(t, err, ErrCorrupt)
}

func TestDictionaryFrame(t *testing.T) {
	plain := textData(2000)
	frame := zstdEncodeAll(t, plain, zstd.WithEncoderDictRaw(7, textData(5000)))
	_, err := Decode(wrap(plain, frame), DefaultLimits)
	wantErr(t, err, ErrCorrupt)
	t.Log(err)
}

func TestFrameHeaderBits(t *testing.T) {
	enc := mustEncode(t, []byte("frame header bits"), LevelDefault)
	fhd := HeaderSize + 4
	for _, bit := range []int{3, 4} { // reserved, unused
		_, err := Decode(flipBit(enc, fhd*8+bit), DefaultLimits)
		wantErr(t, err, ErrCorrupt)
	}
}

func TestReservedBlockType(t *testing.T) {
	enc := mustEncode(t, []byte("abc"), LevelDefault)
	fi, err := walkFrame(enc[HeaderSize:], DefaultLimits.normalized(), 3)
	if err != nil {
		t.Fatal(err)
	}
	enc[HeaderSize+fi.firstBlock] |= 3 << 1
	_, err = Decode(enc, DefaultLimits)
	wantErr(t, err, ErrCorrupt)
	t.Log(err)
}

func TestOversizedBlock(t *testing.T) {
	// A raw block that says it holds more than zstd's 128 KiB maximum.
	frame := []byte{0x28, 0xB5, 0x2F, 0xFD, 0x00, 0x58} // no size, 8 MiB window
	bh := uint32(1) | uint32(0)<<1 | uint32(200<<10)<<3
	frame = append(frame, byte(bh), byte(bh>>8), byte(bh>>16))
	frame = append(frame, make([]byte, 200<<10)...)
	_, err := Decode(wrap(make([]byte, 200<<10), frame), DefaultLimits)
	wantErr(t, err, ErrCorrupt)
	t.Log(err)
}

func TestMissingFrame(t *testing.T) {
	enc := mustEncode(t, []byte("x"), LevelDefault)
	_, err := Decode(enc[:HeaderSize], DefaultLimits)
	wantErr(t, err, ErrTruncated)
}

func TestRatio(t *testing.T) {
	plain := textData(64 << 10)
	enc := mustEncode(t, plain, LevelBest)
	frameLen := uint64(len(enc) - HeaderSize)
	ratio := (uint64(len(plain)) + frameLen - 1) / frameLen
	if _, err := Decode(enc, Limits{MaxRatio: ratio}); err != nil {
		t.Fatalf("at exactly the ratio %d: %v", ratio, err)
	}
	_, err := Decode(enc, Limits{MaxRatio: ratio - 1})
	wantErr(t, err, ErrRatio)
	t.Log(err)
	if !errors.Is(err, ErrRatio) {
		t.Fatal(err)
	}
}
