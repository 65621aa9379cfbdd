package compress

import "github.com/klauspost/compress/zstd"

// Limits bounds what Decode and DecodeInto accept, and so the memory and
// time an untrusted blob can cost. A zero field means the corresponding
// DefaultLimits value (never "unlimited"); to lift a limit, set it to
// math.MaxUint64.
type Limits struct {
	// MaxPlainSize is the largest declared plain size accepted, in bytes.
	// Decode allocates the declared size, so this caps its output buffer.
	MaxPlainSize uint64
	// MaxWindow is the largest zstd window accepted, in bytes. The decoder
	// keeps one window of history (plus about 256 KiB), so this caps its
	// working memory. Values below zstd's minimum window of 1 KiB act as
	// 1 KiB; values above zstd's maximum (3.75 TiB) act as that maximum.
	MaxWindow uint64
	// MaxRatio is the largest accepted ratio of declared plain size to the
	// size of the zstd frame (rounded up), so a small blob cannot make the
	// decoder allocate and work for a large output.
	MaxRatio uint64
}

// Default limit values; see DefaultLimits.
const (
	defaultMaxPlainSize = 256 << 20
	defaultMaxWindow    = 8 << 20
	defaultMaxRatio     = 1000
)

// DefaultLimits are the limits used for module binaries, and the values that
// replace zero fields of any Limits:
//
//   - MaxPlainSize 256 MiB: far above any module, small enough to allocate.
//   - MaxWindow 8 MiB: the window Encode uses at every level, and the size
//     zstd recommends every decoder support.
//   - MaxRatio 1000: executable code compresses about 2-5:1; 1000:1 leaves
//     room for large zero-filled sections while making a blob pay at least
//     1 KiB of input per MiB it asks the decoder to produce.
var DefaultLimits = Limits{
	MaxPlainSize: defaultMaxPlainSize,
	MaxWindow:    defaultMaxWindow,
	MaxRatio:     defaultMaxRatio,
}

// zstd's largest window: (1<<41) + 7*(1<<38) bytes.
const maxZstdWindow = 1<<41 + 7<<38

// normalized replaces zero fields with the defaults (the constants, not the
// DefaultLimits variable, so a caller who modifies DefaultLimits cannot turn
// zero into "unlimited") and clamps the window into zstd's range.
func (l Limits) normalized() Limits {
	if l.MaxPlainSize == 0 {
		l.MaxPlainSize = defaultMaxPlainSize
	}
	if l.MaxWindow == 0 {
		l.MaxWindow = defaultMaxWindow
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = defaultMaxRatio
	}
	l.MaxWindow = max(l.MaxWindow, zstd.MinWindowSize)
	l.MaxWindow = min(l.MaxWindow, maxZstdWindow)
	return l
}
