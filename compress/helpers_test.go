package compress

import (
	"bytes"
	"crypto/sha3"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

var levels = []Level{LevelFastest, LevelDefault, LevelBetter, LevelBest}

// fataler is what the helpers need of a *testing.T or a *rapid.T.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

// mustEncode encodes plain or fails the test.
func mustEncode(t fataler, plain []byte, level Level) []byte {
	t.Helper()
	enc, err := Encode(plain, level)
	if err != nil {
		t.Fatalf("Encode(%d bytes, %v): %v", len(plain), level, err)
	}
	return enc
}

// wrap puts a SKYZ header declaring plain in front of an arbitrary frame,
// to build blobs Encode would never produce.
func wrap(plain, frame []byte) []byte {
	return wrapRaw(uint64(len(plain)), sha3.Sum512(plain), frame)
}

// wrapRaw builds a blob with any declared size and digest.
func wrapRaw(plainSize uint64, digest [64]byte, frame []byte) []byte {
	return append(appendHeader(nil, plainSize, digest), frame...)
}

// sentinelCount reports how many of the package's sentinels err wraps.
func sentinelCount(err error) int {
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	return n
}

// wantErr fails unless err wraps want and no other sentinel.
func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	if n := sentinelCount(err); n != 1 {
		t.Fatalf("%v wraps %d sentinels, want exactly 1", err, n)
	}
}

// randomData is incompressible.
func randomData(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// textData is repetitive but not degenerate: log-like lines with counters,
// compressing roughly 10-20:1, well inside DefaultLimits.MaxRatio.
func textData(n int) []byte {
	words := []string{"module", "capability", "kernel", "endpoint", "page", "fault", "reply", "thread", "irq", "map"}
	b := make([]byte, 0, n+64)
	for i := 0; len(b) < n; i++ {
		b = fmt.Appendf(b, "%08d %s %s[%d] = %#x\n", i, words[i%len(words)], words[(i*7)%len(words)], i%97, i*i)
	}
	return b[:n]
}

// streamFrame compresses plain with zstd's streaming encoder, which writes
// no content size into the frame, so the decoder cannot know the size in
// advance. window 0 means the library's default.
func streamFrame(t testing.TB, plain []byte, window int) []byte {
	t.Helper()
	opts := []zstd.EOption{zstd.WithEncoderConcurrency(1)}
	if window != 0 {
		opts = append(opts, zstd.WithWindowSize(window))
	}
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	// Flushing before Close starts the frame before the encoder knows the
	// total, as a real stream would; otherwise it encodes a lone block with
	// EncodeAll, which declares the size.
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := walkFrame(buf.Bytes(), Limits{MaxWindow: 1 << 40}.normalized(), uint64(len(plain)))
	if err != nil {
		t.Fatalf("streamFrame: %v", err)
	}
	if fi.hasSize {
		t.Fatalf("streamFrame: the frame declares its size")
	}
	return buf.Bytes()
}
