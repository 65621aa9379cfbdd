package disk

import (
	"encoding/binary"
	"fmt"
)

var le = binary.LittleEndian

// Format constants.
const (
	// BlockSize is the size of every block.
	BlockSize = 4096
	// Version is the format version this package reads and writes.
	Version = 1
	// InodeSize is the size of one inode; InodesPerBlock fit in a block.
	InodeSize      = 256
	InodesPerBlock = BlockSize / InodeSize
	// RootIno is the root directory's inode number. Inode 0 means "none".
	RootIno = 1
	// MinBlocks is the smallest disk Mkfs accepts (1 MiB).
	MinBlocks = 256
	// MinJournal and MaxJournal bound the journal's size in blocks.
	MinJournal = 128
	MaxJournal = 2 + MaxTxnBlocks
	// BitsPerBitmapBlock is how many disk blocks one bitmap block covers.
	BitsPerBitmapBlock = (BlockSize - bitmapHeader) * 8
)

// Feature flags of Superblock.Features. A feature changes what some
// structures may contain; a reader that does not know a flag set on a disk
// refuses the disk (DecodeSuperblock) instead of misreading it, while a disk
// without the flag is exactly the format of the code before the feature.
const (
	// FeatureEncryption: inodes may carry FlagEncrypted (encryption policies
	// on directories, encrypted file data with crypt extension and tag
	// blocks). Set on an existing filesystem the first time a policy is set.
	FeatureEncryption uint32 = 1 << 0
	// KnownFeatures are the flags this code reads.
	KnownFeatures = FeatureEncryption
)

// superMagic opens block 0.
var superMagic = [8]byte{'S', 'K', 'Y', 'A', 'I', 'F', 'S', 0}

// Superblock describes the disk's geometry. It is written once, by mkfs, and
// never changes afterwards (free counts are derived from the bitmap at mount),
// so no crash can tear it.
type Superblock struct {
	Blocks        uint64   // disk size in blocks
	Inodes        uint64   // inode table slots (numbers 1..Inodes-1 are usable)
	JournalStart  uint64   // first journal block (always 1)
	JournalBlocks uint64   // journal length
	BitmapStart   uint64   // first bitmap block
	BitmapBlocks  uint64   // bitmap length
	InodeStart    uint64   // first inode table block
	InodeBlocks   uint64   // inode table length (Inodes / InodesPerBlock)
	DataStart     uint64   // first data-area block
	HashSeed      uint64   // seed of the directory name hash
	UUID          [16]byte // identifies this filesystem
	Created       int64    // mkfs time, ns since the Unix epoch
	Features      uint32   // Feature* flags in use on this disk
}

// Geometry computes a superblock's layout fields for a disk of blocks blocks
// and inodes inode slots (0 chooses one inode per 4 blocks). It fails if the
// disk is too small or the inode count is unusable.
func Geometry(blocks, inodes uint64) (Superblock, error) {
	if blocks < MinBlocks {
		return Superblock{}, fmt.Errorf("disk of %d blocks: at least %d needed", blocks, MinBlocks)
	}
	if blocks > 1<<40 {
		return Superblock{}, fmt.Errorf("disk of %d blocks: at most 2^40 supported", blocks)
	}
	if inodes == 0 {
		inodes = blocks / 4
	}
	inodes = (inodes + InodesPerBlock - 1) / InodesPerBlock * InodesPerBlock
	if inodes < 4*InodesPerBlock {
		inodes = 4 * InodesPerBlock
	}
	if inodes > 1<<32 {
		return Superblock{}, fmt.Errorf("%d inodes: at most 2^32 supported", inodes)
	}
	j := min(max(blocks/32, MinJournal), MaxJournal)
	s := Superblock{Blocks: blocks, Inodes: inodes, JournalStart: 1, JournalBlocks: j}
	s.BitmapStart = s.JournalStart + j
	s.BitmapBlocks = (blocks + BitsPerBitmapBlock - 1) / BitsPerBitmapBlock
	s.InodeStart = s.BitmapStart + s.BitmapBlocks
	s.InodeBlocks = inodes / InodesPerBlock
	s.DataStart = s.InodeStart + s.InodeBlocks
	if s.DataStart+16 > blocks {
		return Superblock{}, fmt.Errorf("disk of %d blocks: metadata needs %d, leaving no room for data", blocks, s.DataStart)
	}
	return s, nil
}

// Superblock field offsets.
const (
	sbVersion   = 8
	sbBlockSize = 12
	sbBlocks    = 16
	sbInodes    = 24
	sbJStart    = 32
	sbJBlocks   = 40
	sbBStart    = 48
	sbBBlocks   = 56
	sbIStart    = 64
	sbIBlocks   = 72
	sbDStart    = 80
	sbRoot      = 88
	sbSeed      = 96
	sbUUID      = 104
	sbCreated   = 120
	sbFlags     = 128
	sbEnd       = 132
	sbCRC       = BlockSize - 4
)

// Encode returns the superblock's block.
func (s *Superblock) Encode() []byte {
	b := make([]byte, BlockSize)
	copy(b, superMagic[:])
	le.PutUint32(b[sbVersion:], Version)
	le.PutUint32(b[sbBlockSize:], BlockSize)
	le.PutUint64(b[sbBlocks:], s.Blocks)
	le.PutUint64(b[sbInodes:], s.Inodes)
	le.PutUint64(b[sbJStart:], s.JournalStart)
	le.PutUint64(b[sbJBlocks:], s.JournalBlocks)
	le.PutUint64(b[sbBStart:], s.BitmapStart)
	le.PutUint64(b[sbBBlocks:], s.BitmapBlocks)
	le.PutUint64(b[sbIStart:], s.InodeStart)
	le.PutUint64(b[sbIBlocks:], s.InodeBlocks)
	le.PutUint64(b[sbDStart:], s.DataStart)
	le.PutUint64(b[sbRoot:], RootIno)
	le.PutUint64(b[sbSeed:], s.HashSeed)
	copy(b[sbUUID:], s.UUID[:])
	le.PutUint64(b[sbCreated:], uint64(s.Created))
	le.PutUint32(b[sbFlags:], s.Features)
	le.PutUint32(b[sbCRC:], Checksum(b[:sbCRC]))
	return b
}

// DecodeSuperblock validates and decodes block 0: magic, version, block size,
// checksum, zero reserved bytes, and a geometry identical to what Geometry
// computes for the recorded size and inode count.
func DecodeSuperblock(b []byte) (*Superblock, error) {
	if len(b) != BlockSize {
		return nil, corrupt("superblock: %d bytes, want %d", len(b), BlockSize)
	}
	if [8]byte(b[:8]) != superMagic {
		return nil, corrupt("superblock: bad magic %q (not a SKYAIFS disk)", b[:8])
	}
	if got, want := le.Uint32(b[sbCRC:]), Checksum(b[:sbCRC]); got != want {
		return nil, corrupt("superblock: checksum %#x, computed %#x", got, want)
	}
	if v := le.Uint32(b[sbVersion:]); v != Version {
		return nil, corrupt("superblock: format version %d, this code reads %d", v, Version)
	}
	if bs := le.Uint32(b[sbBlockSize:]); bs != BlockSize {
		return nil, corrupt("superblock: block size %d, want %d", bs, BlockSize)
	}
	if r := le.Uint64(b[sbRoot:]); r != RootIno {
		return nil, corrupt("superblock: root inode %d, want %d", r, RootIno)
	}
	if f := le.Uint32(b[sbFlags:]); f&^KnownFeatures != 0 {
		return nil, corrupt("superblock: unknown feature flags %#x (the disk was made by a newer SKYAIFS; use a newer skyctl or kernel)", f&^KnownFeatures)
	}
	if !allZero(b[sbEnd:sbCRC]) {
		return nil, corrupt("superblock: reserved bytes are not zero")
	}
	s := &Superblock{
		Blocks: le.Uint64(b[sbBlocks:]), Inodes: le.Uint64(b[sbInodes:]),
		JournalStart: le.Uint64(b[sbJStart:]), JournalBlocks: le.Uint64(b[sbJBlocks:]),
		BitmapStart: le.Uint64(b[sbBStart:]), BitmapBlocks: le.Uint64(b[sbBBlocks:]),
		InodeStart: le.Uint64(b[sbIStart:]), InodeBlocks: le.Uint64(b[sbIBlocks:]),
		DataStart: le.Uint64(b[sbDStart:]), HashSeed: le.Uint64(b[sbSeed:]),
		UUID: [16]byte(b[sbUUID : sbUUID+16]), Created: int64(le.Uint64(b[sbCreated:])),
		Features: le.Uint32(b[sbFlags:]),
	}
	g, err := Geometry(s.Blocks, s.Inodes)
	if err != nil {
		return nil, corrupt("superblock: %v", err)
	}
	g.HashSeed, g.UUID, g.Created, g.Features = s.HashSeed, s.UUID, s.Created, s.Features
	if g != *s {
		return nil, corrupt("superblock: layout %+v does not match the geometry of %d blocks and %d inodes", *s, s.Blocks, s.Inodes)
	}
	return s, nil
}

// InodeBlock returns the inode table block holding inode ino and the byte
// offset of the inode in it.
func (s *Superblock) InodeBlock(ino uint64) (blk uint64, off int) {
	return s.InodeStart + ino/InodesPerBlock, int(ino%InodesPerBlock) * InodeSize
}

// IsData reports whether block n lies in the data area.
func (s *Superblock) IsData(n uint64) bool { return n >= s.DataStart && n < s.Blocks }
