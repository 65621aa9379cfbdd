// Package disk is the SKYAIFS on-disk format: the byte layout of every
// structure, an encoder for each, and a decoder that validates every field
// (checksum, magic, ranges, internal consistency) and returns an error
// wrapping ErrCorrupt for anything it does not accept. Decoders never panic
// and never allocate more than the structure's fixed size, whatever the
// input; they are fuzzed (fuzz_test.go).
//
// The disk is an array of 4096-byte blocks:
//
//	block 0                   superblock
//	journal (J blocks)        one metadata transaction: descriptor, copies, commit
//	block bitmap (B blocks)   one bit per disk block: 1 = in use
//	inode table (I blocks)    16 inodes of 256 bytes per block
//	data area                 file data, directory buckets, extent chains
//
// All integers are little-endian. Every metadata block and every inode
// carries a CRC32C (Castagnoli) checksum. docs/SKYAIFS.md gives every field
// with its offset; this package is the executable form of that document.
package disk

import (
	"errors"
	"fmt"
	"hash/crc32"
)

// ErrCorrupt is wrapped by every decoding failure: the bytes are not a valid
// encoding of the structure asked for.
var ErrCorrupt = errors.New("skyaifs: corrupt metadata")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is CRC32C of b.
func Checksum(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// blockChecksum is the checksum of a headed block: CRC32C over the block
// with its checksum field (bytes 4..8) taken as zero.
func blockChecksum(b []byte) uint32 {
	var zero [4]byte
	c := crc32.Update(0, castagnoli, b[:4])
	c = crc32.Update(c, castagnoli, zero[:])
	return crc32.Update(c, castagnoli, b[8:])
}

// Magic numbers of the headed metadata blocks (the first 4 bytes, read as a
// little-endian uint32).
const (
	MagicBitmap     uint32 = 0x4d42_4b53 // "SKBM"
	MagicBucket     uint32 = 0x4244_4b53 // "SKDB"
	MagicExtents    uint32 = 0x5458_4b53 // "SKXT"
	MagicDescriptor uint32 = 0x444a_4b53 // "SKJD"
	MagicCommit     uint32 = 0x434a_4b53 // "SKJC"
)

// checkHeader validates the magic and the checksum of a headed block.
func checkHeader(b []byte, magic uint32, what string) error {
	if len(b) != BlockSize {
		return corrupt("%s: %d bytes, want %d", what, len(b), BlockSize)
	}
	if m := le.Uint32(b); m != magic {
		return corrupt("%s: magic %#x, want %#x", what, m, magic)
	}
	if got, want := le.Uint32(b[4:]), blockChecksum(b); got != want {
		return corrupt("%s: checksum %#x, computed %#x", what, got, want)
	}
	return nil
}

// sealHeader writes magic and the checksum into a headed block; it must be
// the last change to b.
func sealHeader(b []byte, magic uint32) {
	le.PutUint32(b, magic)
	le.PutUint32(b[4:], blockChecksum(b))
}

// allZero reports whether b holds only zero bytes.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func crcUpdate(c uint32, b []byte) uint32 { return crc32.Update(c, castagnoli, b) }
