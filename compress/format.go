package compress

import "encoding/binary"

// Layout of the fixed header. Offsets are part of the on-disk format; see
// docs/COMPRESSION.md.
const (
	// Magic opens every SKYZ blob.
	Magic = "SKYZ"
	// FormatVersion is the only header version this package writes and reads.
	FormatVersion = 1
	// HeaderSize is the size of the fixed header; the zstd frame starts here.
	HeaderSize = 80

	offVersion   = 4
	offFlags     = 5
	offReserved  = 6
	offPlainSize = 8
	offDigest    = 16
)

// Header is the parsed fixed header of a SKYZ blob.
type Header struct {
	// Version is the format version; ParseHeader accepts only FormatVersion.
	Version uint8
	// PlainSize is the declared size of the plain data. It is only a claim:
	// Decode checks it against Limits and against what the frame produces.
	PlainSize uint64
	// Digest is the declared SHA3-512 of the plain data.
	Digest [64]byte
	// FrameOffset is where the zstd frame starts in the blob (HeaderSize).
	FrameOffset int
}

// ParseHeader parses and checks the fixed header at the start of data. It
// guarantees that a returned Header came from a blob with the right magic,
// a supported version and zero flags and reserved bytes; it checks nothing
// after the header (the frame may be absent) and applies no Limits.
//
// Fields are checked in order, and the first field that is cut off yields
// ErrTruncated, so any prefix of a valid blob shorter than HeaderSize is
// reported as truncated rather than as a bad field.
func ParseHeader(data []byte) (Header, error) {
	for i := range len(Magic) {
		if i >= len(data) {
			return Header{}, truncatedHeader(data)
		}
		if data[i] != Magic[i] {
			return Header{}, errorf(ErrBadMagic, "starts with %q, want %q", data[:min(len(data), len(Magic))], Magic)
		}
	}
	if len(data) <= offVersion {
		return Header{}, truncatedHeader(data)
	}
	if v := data[offVersion]; v != FormatVersion {
		return Header{}, errorf(ErrVersion, "header has version %d; this decoder reads version %d", v, FormatVersion)
	}
	if len(data) <= offFlags {
		return Header{}, truncatedHeader(data)
	}
	// Flags and reserved bytes must be zero so that a future version can give
	// them meaning without an old decoder silently misreading the blob.
	if f := data[offFlags]; f != 0 {
		return Header{}, errorf(ErrHeader, "flags byte is %#04x; it must be 0", f)
	}
	for i := offReserved; i < offPlainSize; i++ {
		if i >= len(data) {
			return Header{}, truncatedHeader(data)
		}
		if data[i] != 0 {
			return Header{}, errorf(ErrHeader, "reserved byte %d is %#04x; it must be 0", i, data[i])
		}
	}
	if len(data) < HeaderSize {
		return Header{}, truncatedHeader(data)
	}
	h := Header{
		Version:     data[offVersion],
		PlainSize:   binary.LittleEndian.Uint64(data[offPlainSize:]),
		FrameOffset: HeaderSize,
	}
	copy(h.Digest[:], data[offDigest:HeaderSize])
	return h, nil
}

func truncatedHeader(data []byte) error {
	return errorf(ErrTruncated, "the input is %s, shorter than the %d-byte header", size(uint64(len(data))), HeaderSize)
}

// appendHeader appends the fixed header for plain data of the given size and
// digest.
func appendHeader(dst []byte, plainSize uint64, digest [64]byte) []byte {
	dst = append(dst, Magic...)
	dst = append(dst, FormatVersion, 0, 0, 0)
	dst = binary.LittleEndian.AppendUint64(dst, plainSize)
	return append(dst, digest[:]...)
}
