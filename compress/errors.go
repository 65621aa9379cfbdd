package compress

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by ParseHeader, Decode and
// DecodeInto wraps exactly one of them (match with errors.Is); the wrapping
// message gives the details. Errors for a corrupt zstd frame also wrap the
// zstd package's own error where there is one.
var (
	// ErrBadMagic: the input does not start with "SKYZ".
	ErrBadMagic = errors.New("compress: bad magic")
	// ErrVersion: the header's format version is not one this package reads.
	ErrVersion = errors.New("compress: unsupported format version")
	// ErrHeader: a header field that must be zero (flags, reserved) is not.
	ErrHeader = errors.New("compress: invalid header")
	// ErrTruncated: the input ends inside the header or inside the zstd frame.
	ErrTruncated = errors.New("compress: truncated input")
	// ErrCorrupt: the zstd frame is malformed or fails zstd's own checks.
	ErrCorrupt = errors.New("compress: corrupt zstd frame")
	// ErrTooLarge: the declared plain size exceeds Limits.MaxPlainSize, the
	// frame needs a window over Limits.MaxWindow, or the frame produces (or
	// declares) more data than the header declares.
	ErrTooLarge = errors.New("compress: too large")
	// ErrSizeMismatch: the frame produces (or declares) less data than the
	// header declares.
	ErrSizeMismatch = errors.New("compress: size mismatch")
	// ErrRatio: the declared plain size divided by the frame's size exceeds
	// Limits.MaxRatio.
	ErrRatio = errors.New("compress: compression ratio over the limit")
	// ErrDigest: the decoded data does not hash to the header's SHA3-512.
	ErrDigest = errors.New("compress: digest mismatch")
	// ErrTrailingData: bytes follow the end of the zstd frame (including a
	// second frame).
	ErrTrailingData = errors.New("compress: trailing data after the zstd frame")
	// ErrShortBuffer: DecodeInto's destination is smaller than the declared
	// plain size.
	ErrShortBuffer = errors.New("compress: destination buffer too small")
	// ErrLevel: Encode was given a Level that is not one of the constants.
	ErrLevel = errors.New("compress: unknown compression level")
)

// sentinels lists the decoding errors; tests check that every failure wraps
// exactly one of them.
var sentinels = []error{
	ErrBadMagic, ErrVersion, ErrHeader, ErrTruncated, ErrCorrupt, ErrTooLarge,
	ErrSizeMismatch, ErrRatio, ErrDigest, ErrTrailingData, ErrShortBuffer,
}

// errorf wraps sentinel with a formatted explanation.
func errorf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
}

// size renders a byte count for error messages: exact binary units where the
// count is a whole number of them ("256 MiB"), otherwise one decimal plus the
// exact count ("1.5 KiB (1536 bytes)"), so a message is readable and still
// precise.
func size(n uint64) string {
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	if n < 1024 {
		if n == 1 {
			return "1 byte"
		}
		return fmt.Sprintf("%d bytes", n)
	}
	unit, i := uint64(1024), 0
	for i+1 < len(units) && n >= unit*1024 {
		unit *= 1024
		i++
	}
	if n%unit == 0 {
		return fmt.Sprintf("%d %s", n/unit, units[i])
	}
	return fmt.Sprintf("%.1f %s (%d bytes)", float64(n)/float64(unit), units[i], n)
}
