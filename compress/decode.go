package compress

import (
	"bytes"
	"crypto/sha3"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/klauspost/compress/zstd"
)

// Decode verifies and decompresses a SKYZ blob under lim (zero fields mean
// DefaultLimits). It returns the plain data only if all of these hold: the
// header is valid; the declared size is within lim.MaxPlainSize and within
// lim.MaxRatio times the frame's size; the blob holds exactly one zstd frame
// and nothing after it; the frame's window is within lim.MaxWindow; the frame
// decodes without error to exactly the declared size; and the result hashes
// to the declared SHA3-512. Otherwise it returns nil and an error wrapping
// one of the sentinels. It allocates the declared size only after the
// header and the frame's structure passed their checks.
func Decode(data []byte, lim Limits) ([]byte, error) {
	h, err := check(data, lim)
	if err != nil {
		return nil, err
	}
	out := make([]byte, h.PlainSize)
	if err := decodeFrame(out, data[h.FrameOffset:], lim.normalized()); err != nil {
		return nil, err
	}
	if err := verify(out, h); err != nil {
		return nil, err
	}
	return out, nil
}

// DecodeInto is Decode writing into dst, for callers that own the
// destination memory (a shared memory region, a reused buffer). It returns
// the plain size and writes dst[:n] only; it refuses, with ErrShortBuffer and
// without writing anything, a dst shorter than the declared plain size. On
// an error found once decoding began it returns 0 and zeroes
// dst[:declared size], so unverified bytes never remain visible there; dst
// beyond the declared size is never touched. dst must not overlap data.
func DecodeInto(dst []byte, data []byte, lim Limits) (int, error) {
	h, err := check(data, lim)
	if err != nil {
		return 0, err
	}
	if uint64(len(dst)) < h.PlainSize {
		return 0, errorf(ErrShortBuffer, "the header declares %s; the destination holds %s", size(h.PlainSize), size(uint64(len(dst))))
	}
	out := dst[:h.PlainSize]
	err = decodeFrame(out, data[h.FrameOffset:], lim.normalized())
	if err == nil {
		err = verify(out, h)
	}
	if err != nil {
		clear(out)
		return 0, err
	}
	return len(out), nil
}

// check runs every test that needs no decoding: the header, the declared
// size against the limits, the frame's structure, and the ratio.
func check(data []byte, lim Limits) (Header, error) {
	lim = lim.normalized()
	h, err := ParseHeader(data)
	if err != nil {
		return h, err
	}
	if h.PlainSize > lim.MaxPlainSize {
		return h, errorf(ErrTooLarge, "the header declares %s of plain data; the limit is %s", size(h.PlainSize), size(lim.MaxPlainSize))
	}
	if h.PlainSize > math.MaxInt {
		return h, errorf(ErrTooLarge, "the header declares %s of plain data; this machine addresses at most %s", size(h.PlainSize), size(math.MaxInt))
	}
	frame := data[h.FrameOffset:]
	if _, err := walkFrame(frame, lim, h.PlainSize); err != nil {
		return h, err
	}
	// The ratio is plain/frame, compared as plain > MaxRatio*frame in 128
	// bits so no limit can overflow. walkFrame guarantees len(frame) > 0.
	flen := uint64(len(frame))
	hi, lo := bits.Mul64(lim.MaxRatio, flen)
	if hi == 0 && h.PlainSize > lo {
		ratio := (h.PlainSize + flen - 1) / flen
		return h, errorf(ErrRatio, "the header declares %s of plain data in a zstd frame of %s (%d:1); the limit is %d:1", size(h.PlainSize), size(flen), ratio, lim.MaxRatio)
	}
	return h, nil
}

// decodeFrame decodes the zstd frame into out, which has exactly the
// declared size, and fails unless the frame produces exactly len(out) bytes.
//
// It uses zstd's single-goroutine streaming decoder rather than DecodeAll:
// the stream decoder writes only into out (DecodeAll appends, and may grow a
// buffer past the declared size before noticing), its memory is one window
// however long the output, and reading at most len(out)+1 bytes stops a
// frame that expands past its declared size after at most one extra block.
func decodeFrame(out, frame []byte, lim Limits) error {
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxWindow(lim.MaxWindow),
		// For streams this option caps the window too; the same bound keeps
		// the decoder from ever using more than MaxWindow of history.
		zstd.WithDecoderMaxMemory(lim.MaxWindow),
		// Never take the decoder's shortcut of decoding a whole in-memory
		// buffer at once, which would bypass the stream's bounds.
		zstd.WithDecodeBuffersBelow(0),
	)
	if err != nil {
		return fmt.Errorf("%w: creating the zstd decoder: %w", ErrCorrupt, err)
	}
	defer dec.Close()
	if err := dec.Reset(bytes.NewReader(frame)); err != nil {
		return zstdError(err, 0, uint64(len(out)))
	}

	// io.Reader allows (0, nil); the zstd decoder never returns it, but a
	// loop over untrusted input must end regardless.
	const maxIdle = 16
	n, idle := 0, 0
	for n < len(out) {
		m, err := dec.Read(out[n:])
		n += m
		if err == io.EOF {
			return errorf(ErrSizeMismatch, "the zstd frame produces %s; the header declares %s", size(uint64(n)), size(uint64(len(out))))
		}
		if err != nil {
			return zstdError(err, uint64(n), uint64(len(out)))
		}
		if m > 0 {
			idle = 0
		} else if idle++; idle > maxIdle {
			return errorf(ErrCorrupt, "the zstd decoder stopped making progress after %s", size(uint64(n)))
		}
	}
	// One more byte: the frame must end exactly here.
	var extra [1]byte
	for range maxIdle {
		m, err := dec.Read(extra[:])
		if m > 0 {
			return errorf(ErrTooLarge, "the zstd frame produces more than the %s the header declares", size(uint64(len(out))))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return zstdError(err, uint64(n), uint64(len(out)))
		}
	}
	return errorf(ErrCorrupt, "the zstd decoder stopped making progress after %s", size(uint64(n)))
}

// zstdError classifies an error from the zstd decoder after it produced
// `got` of `want` bytes.
func zstdError(err error, got, want uint64) error {
	switch {
	case errors.Is(err, zstd.ErrFrameSizeMismatch):
		return fmt.Errorf("%w: the zstd frame ends after %s; the header declares %s: %w", ErrSizeMismatch, size(got), size(want), err)
	case errors.Is(err, zstd.ErrFrameSizeExceeded):
		return fmt.Errorf("%w: the zstd frame produces more than the %s the header declares: %w", ErrTooLarge, size(want), err)
	case errors.Is(err, zstd.ErrWindowSizeExceeded), errors.Is(err, zstd.ErrDecoderSizeExceeded):
		return fmt.Errorf("%w: the zstd frame exceeds the decoder's window limit: %w", ErrTooLarge, err)
	}
	return fmt.Errorf("%w: after %s of output: %w", ErrCorrupt, size(got), err)
}

// verify checks the decoded data against the header's digest.
func verify(out []byte, h Header) error {
	if got := sha3.Sum512(out); got != h.Digest {
		return errorf(ErrDigest, "the data hashes to SHA3-512 %x…; the header declares %x…", got[:8], h.Digest[:8])
	}
	return nil
}
