package compress

import (
	"encoding/binary"

	"github.com/klauspost/compress/zstd"
)

// frameInfo is what walking a zstd frame's structure tells before any block
// is decoded.
type frameInfo struct {
	window      uint64 // bytes of history the frame needs
	contentSize uint64 // declared content size, if hasSize
	hasSize     bool
	firstBlock  int // offset of the first block header
}

// zstd frame constants (RFC 8878, section 3.1.1).
const (
	zstdMagic    = 0xFD2FB528
	maxBlockSize = 128 << 10
	blockRaw     = 0
	blockRLE     = 1
	blockComp    = 2
)

// walkFrame reads the zstd frame header at the start of frame and hops over
// its block headers to find where the frame ends, without decoding anything.
// It runs before the decoder for three reasons: truncation, trailing data and
// a second frame are reported as such instead of as whatever the zstd decoder
// makes of them; the window and the frame's own content size are checked
// against the limits and the SKYZ header before any allocation; and features
// this format does not use (skippable frames, dictionaries) are refused
// outright. The cost is one pass over the block headers, a few bytes per
// 128 KiB block.
func walkFrame(frame []byte, lim Limits, plainSize uint64) (frameInfo, error) {
	var fi frameInfo
	if len(frame) == 0 {
		return fi, errorf(ErrTruncated, "the input ends after the header; the zstd frame is missing")
	}
	if len(frame) < 4 {
		return fi, errorf(ErrTruncated, "the zstd frame is cut off in its magic number (%s present)", size(uint64(len(frame))))
	}
	if m := binary.LittleEndian.Uint32(frame); m != zstdMagic {
		if m&0xFFFFFFF0 == 0x184D2A50 {
			return fi, errorf(ErrCorrupt, "found a zstd skippable frame (magic %#010x); the format allows exactly one zstd frame", m)
		}
		return fi, errorf(ErrCorrupt, "zstd magic is %#010x, want %#010x", m, uint32(zstdMagic))
	}
	pos := 4
	need := func(n int, what string) error {
		if len(frame)-pos < n {
			return errorf(ErrTruncated, "the zstd frame is cut off in its %s at offset %d", what, HeaderSize+pos)
		}
		return nil
	}

	if err := need(1, "frame header"); err != nil {
		return fi, err
	}
	fhd := frame[pos]
	pos++
	single := fhd&(1<<5) != 0
	// Bit 4 is "unused" and bit 3 "reserved" in zstd; an encoder never sets
	// them, so a set bit is damage, and refusing it keeps every accepted
	// frame canonical.
	if fhd&(1<<4) != 0 {
		return fi, errorf(ErrCorrupt, "zstd frame header descriptor %#04x has the unused bit set", fhd)
	}
	if fhd&(1<<3) != 0 {
		return fi, errorf(ErrCorrupt, "zstd frame header descriptor %#04x has the reserved bit set", fhd)
	}
	hasChecksum := fhd&(1<<2) != 0
	didSize := [4]int{0, 1, 2, 4}[fhd&3]
	fcsSize := [4]int{0, 2, 4, 8}[fhd>>6]
	if fcsSize == 0 && single {
		fcsSize = 1
	}

	if !single {
		if err := need(1, "window descriptor"); err != nil {
			return fi, err
		}
		wd := frame[pos]
		pos++
		base := uint64(1) << (10 + wd>>3)
		fi.window = base + base/8*uint64(wd&7)
	}
	if didSize > 0 {
		if err := need(didSize, "dictionary ID"); err != nil {
			return fi, err
		}
		var id uint32
		for i := range didSize {
			id |= uint32(frame[pos+i]) << (8 * i)
		}
		pos += didSize
		if id != 0 {
			return fi, errorf(ErrCorrupt, "the zstd frame needs dictionary %d; the format uses no dictionaries", id)
		}
	}
	if fcsSize > 0 {
		if err := need(fcsSize, "content size"); err != nil {
			return fi, err
		}
		b := frame[pos : pos+fcsSize]
		pos += fcsSize
		switch fcsSize {
		case 1:
			fi.contentSize = uint64(b[0])
		case 2:
			fi.contentSize = uint64(binary.LittleEndian.Uint16(b)) + 256
		case 4:
			fi.contentSize = uint64(binary.LittleEndian.Uint32(b))
		case 8:
			fi.contentSize = binary.LittleEndian.Uint64(b)
		}
		fi.hasSize = true
	}
	if single {
		// A single-segment frame's window is its whole content.
		fi.window = max(fi.contentSize, zstd.MinWindowSize)
	}

	// Blocks: a 3-byte little-endian header (bit 0 last, bits 1-2 type,
	// bits 3-23 size), then the block's content.
	fi.firstBlock = pos
	blockMax := min(fi.window, maxBlockSize)
	for {
		if err := need(3, "block header"); err != nil {
			return fi, err
		}
		bh := uint32(frame[pos]) | uint32(frame[pos+1])<<8 | uint32(frame[pos+2])<<16
		pos += 3
		last := bh&1 != 0
		typ := (bh >> 1) & 3
		bsize := uint64(bh >> 3)
		if bsize > blockMax {
			return fi, errorf(ErrCorrupt, "zstd block at offset %d has size %s; the most a block may hold here is %s", HeaderSize+pos-3, size(bsize), size(blockMax))
		}
		var content int
		switch typ {
		case blockRaw, blockComp:
			content = int(bsize)
		case blockRLE:
			content = 1
		default:
			return fi, errorf(ErrCorrupt, "zstd block at offset %d has the reserved block type 3", HeaderSize+pos-3)
		}
		if err := need(content, "block content"); err != nil {
			return fi, err
		}
		pos += content
		if last {
			break
		}
	}
	if hasChecksum {
		if err := need(4, "checksum"); err != nil {
			return fi, err
		}
		pos += 4
	}
	if pos != len(frame) {
		return fi, errorf(ErrTrailingData, "the zstd frame ends at offset %d but the input has %s more", HeaderSize+pos, size(uint64(len(frame)-pos)))
	}

	// Only now the frame's claims: a blob with two frames or cut short is
	// reported as that, not as whatever its first frame header says.
	if fi.hasSize && fi.contentSize != plainSize {
		if fi.contentSize > plainSize {
			return fi, errorf(ErrTooLarge, "the zstd frame declares %s of content; the header declares %s", size(fi.contentSize), size(plainSize))
		}
		return fi, errorf(ErrSizeMismatch, "the zstd frame declares %s of content; the header declares %s", size(fi.contentSize), size(plainSize))
	}
	if fi.window > lim.MaxWindow {
		return fi, errorf(ErrTooLarge, "the zstd frame needs a %s window; the limit is %s", size(fi.window), size(lim.MaxWindow))
	}
	return fi, nil
}
