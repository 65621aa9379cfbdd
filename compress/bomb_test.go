package compress

import (
	"bytes"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

const bombSize = 2 << 30 // 2 GiB of zeros

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

var bomb = sync.OnceValues(func() ([]byte, error) {
	return makeBomb(false)
})

// makeBomb streams 2 GiB of zeros through the zstd encoder, giving a valid
// frame of a few hundred KiB. With declareSize the frame header states the
// 2 GiB content size.
func makeBomb(declareSize bool) ([]byte, error) {
	var buf bytes.Buffer
	w, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	if declareSize {
		w.ResetContentSize(&buf, bombSize)
	} else {
		w.Reset(&buf)
	}
	if _, err := io.CopyN(w, zeroReader{}, bombSize); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// allocated runs f and reports the bytes it allocated on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("building the bomb streams 2 GiB through the encoder")
	}
	frame, err := bomb()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("bomb: a %s frame of %s of zeros", size(uint64(len(frame))), size(bombSize))
	// Refusals must cost far less than the output: allow a window and a
	// few MiB of decoder state.
	const budget = 16 << 20

	check := func(t *testing.T, blob []byte, lim Limits, want error) {
		t.Helper()
		var err error
		start := time.Now()
		a := allocated(func() { _, err = Decode(blob, lim) })
		wantErr(t, err, want)
		t.Logf("%v after %v, %s allocated", err, time.Since(start), size(a))
		if a > budget {
			t.Fatalf("refusing the bomb allocated %s; the budget is %s", size(a), size(budget))
		}
		dst := make([]byte, 1<<20)
		a = allocated(func() { _, err = DecodeInto(dst, blob, lim) })
		wantErr(t, err, want)
		if a > budget {
			t.Fatalf("DecodeInto allocated %s refusing the bomb", size(a))
		}
	}

	// The header tells the truth: 2 GiB is over the size limit, and with
	// the size limit raised, over the ratio limit.
	honest := wrapRaw(bombSize, [64]byte{}, frame)
	t.Run("true size over the limit", func(t *testing.T) {
		check(t, honest, DefaultLimits, ErrTooLarge)
	})
	t.Run("true size over the ratio", func(t *testing.T) {
		check(t, honest, Limits{MaxPlainSize: 4 << 30}, ErrRatio)
	})

	// The header lies: it declares a small size, so it passes both limits,
	// and the decoder must stop one byte past it.
	for _, declared := range []uint64{0, 1, 1 << 20} {
		t.Run("lying header "+size(declared), func(t *testing.T) {
			check(t, wrapRaw(declared, [64]byte{}, frame), DefaultLimits, ErrTooLarge)
		})
	}
}

// TestBombDeclaredInFrame: the zstd frame itself declares 2 GiB while the
// header declares 1 MiB; the mismatch is refused before any decoding.
func TestBombDeclaredInFrame(t *testing.T) {
	if testing.Short() {
		t.Skip("building the bomb streams 2 GiB through the encoder")
	}
	frame, err := makeBomb(true)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := walkFrame(frame, Limits{MaxWindow: 1 << 30}.normalized(), bombSize)
	if err != nil || !fi.hasSize || fi.contentSize != bombSize {
		t.Fatalf("the bomb frame does not declare its size: %+v %v", fi, err)
	}
	var derr error
	a := allocated(func() { _, derr = Decode(wrapRaw(1<<20, [64]byte{}, frame), DefaultLimits) })
	wantErr(t, derr, ErrTooLarge)
	t.Logf("%v; %s allocated", derr, size(a))
	if a > 1<<20 {
		t.Fatalf("allocated %s before refusing", size(a))
	}
}
