package disk

// File types and permission bits of Inode.Mode, with the values POSIX
// st_mode uses so they pass through stat unchanged.
const (
	TypeMask uint32 = 0o170000
	TypeFile uint32 = 0o100000
	TypeDir  uint32 = 0o040000
	TypeLink uint32 = 0o120000
	// TypeFifo is a named pipe: a name and an owner, never data (what passes
	// through it stays with the processes that have it open).
	TypeFifo uint32 = 0o010000
	PermMask uint32 = 0o7777
)

// Limits of one file.
const (
	// InlineExtents extents live in the inode itself; more go to a chain of
	// extent blocks.
	InlineExtents = 10
	// ExtentsPerBlock extents fit in one extent chain block.
	ExtentsPerBlock = (BlockSize - extentHeader) / extentSize
	// MaxChainBlocks bounds a file's extent chain, so that rewriting the
	// chain fits in one journal transaction.
	MaxChainBlocks = 8
	// MaxExtents is the most extents one file can have.
	MaxExtents = InlineExtents + MaxChainBlocks*ExtentsPerBlock
	// MaxFileBlocks is the largest logical block number plus one.
	MaxFileBlocks = 1 << 32
	// MaxSymlink is the longest symlink target.
	MaxSymlink = BlockSize - 1
)

// Extent maps Length consecutive file blocks starting at file block Logical
// to disk blocks starting at Physical. File blocks no extent covers are holes
// and read as zeros.
type Extent struct {
	Logical  uint32
	Length   uint32
	Physical uint64
}

// End returns the file block after the extent.
func (e Extent) End() uint64 { return uint64(e.Logical) + uint64(e.Length) }

const extentSize = 16

func putExtent(b []byte, e Extent) {
	le.PutUint32(b, e.Logical)
	le.PutUint32(b[4:], e.Length)
	le.PutUint64(b[8:], e.Physical)
}

func getExtent(b []byte) Extent {
	return Extent{Logical: le.Uint32(b), Length: le.Uint32(b[4:]), Physical: le.Uint64(b[8:])}
}

// Inode is a file, directory or symbolic link. A free inode slot is all zero
// bytes.
type Inode struct {
	Ino        uint64 // its own number, checked on decode to catch misplaced writes
	Mode       uint32 // type | permissions
	UID, GID   uint32
	Nlink      uint32   // directory entries naming it (+1 for a directory's own ".", + subdirectories' "..")
	Size       uint64   // bytes
	Atime      int64    // ns; SKYAIFS is noatime: set at creation only
	Mtime      int64    // ns
	Ctime      int64    // ns
	Btime      int64    // ns, creation
	Generation uint32   // bumped each time the slot is reused
	Parent     uint64   // directories: the parent directory (the root is its own parent)
	Chain      uint64   // first extent chain block, 0 if all extents are inline
	Extents    []Extent // sorted by Logical, not overlapping; len = the extent count

	// Flags holds Flag* bits. FlagEncrypted needs FeatureEncryption on the
	// superblock and takes the last inline extent slot for Crypt or Policy.
	Flags uint32
	// Crypt is an encrypted file's crypt extension block (FlagEncrypted on
	// a regular file): the wrapped data key and the tag blocks.
	Crypt uint64
	// Policy is the key an encrypted directory's new files and
	// subdirectories are encrypted under (FlagEncrypted on a directory).
	Policy KeyID
}

// Inode flags.
const (
	// FlagEncrypted: a regular file whose data is encrypted (Crypt names its
	// crypt extension), or a directory with an encryption policy (Policy)
	// that everything created in it inherits. Never on a symlink.
	FlagEncrypted uint32 = 1 << 0
	knownFlags           = FlagEncrypted
)

// InlineCap returns how many extents the inode itself holds: one slot fewer
// when FlagEncrypted uses the last slot for Crypt or Policy.
func (n *Inode) InlineCap() int {
	if n.Flags&FlagEncrypted != 0 {
		return InlineExtents - 1
	}
	return InlineExtents
}

// MaxExtentCount returns the most extents this inode can have.
func (n *Inode) MaxExtentCount() int { return n.InlineCap() + MaxChainBlocks*ExtentsPerBlock }

// Type returns the type bits of Mode.
func (n *Inode) Type() uint32 { return n.Mode & TypeMask }

// Inode field offsets.
const (
	inMode    = 0
	inUID     = 4
	inGID     = 8
	inNlink   = 12
	inSize    = 16
	inAtime   = 24
	inMtime   = 32
	inCtime   = 40
	inBtime   = 48
	inGen     = 56
	inNext    = 60
	inParent  = 64
	inChain   = 72
	inExtents = 80
	inIno     = inExtents + InlineExtents*extentSize // 240
	inFlags   = inIno + 8                            // 248
	inCRC     = InodeSize - 4                        // 252
	// inCryptSlot is the last inline extent slot, which holds Crypt (u64,
	// then 8 zero bytes) or Policy when FlagEncrypted is set.
	inCryptSlot = inExtents + (InlineExtents-1)*extentSize // 224
)

// Encode writes the inode into dst (InodeSize bytes): the fixed fields and
// the first InlineExtents extents; the rest belong in the chain
// (EncodeExtentBlock).
func (n *Inode) Encode(dst []byte) {
	b := dst[:InodeSize]
	clear(b)
	le.PutUint32(b[inMode:], n.Mode)
	le.PutUint32(b[inUID:], n.UID)
	le.PutUint32(b[inGID:], n.GID)
	le.PutUint32(b[inNlink:], n.Nlink)
	le.PutUint64(b[inSize:], n.Size)
	le.PutUint64(b[inAtime:], uint64(n.Atime))
	le.PutUint64(b[inMtime:], uint64(n.Mtime))
	le.PutUint64(b[inCtime:], uint64(n.Ctime))
	le.PutUint64(b[inBtime:], uint64(n.Btime))
	le.PutUint32(b[inGen:], n.Generation)
	le.PutUint32(b[inNext:], uint32(len(n.Extents)))
	le.PutUint64(b[inParent:], n.Parent)
	le.PutUint64(b[inChain:], n.Chain)
	for i, e := range n.Extents[:min(len(n.Extents), n.InlineCap())] {
		putExtent(b[inExtents+i*extentSize:], e)
	}
	if n.Flags&FlagEncrypted != 0 {
		if n.Type() == TypeDir {
			copy(b[inCryptSlot:], n.Policy[:])
		} else {
			le.PutUint64(b[inCryptSlot:], n.Crypt)
		}
	}
	le.PutUint64(b[inIno:], n.Ino)
	le.PutUint32(b[inFlags:], n.Flags)
	le.PutUint32(b[inCRC:], Checksum(b[:inCRC]))
}

// DecodeInode validates and decodes inode slot ino from src (InodeSize
// bytes). It returns nil, nil for a free slot (all zero). The extents it
// returns are the inline ones; when the inode has more, ExtentCount says how
// many and the caller reads the chain (DecodeExtentBlock) and then calls
// CheckExtents on the whole list.
func DecodeInode(src []byte, ino uint64, sb *Superblock) (n *Inode, count uint32, err error) {
	if len(src) != InodeSize {
		return nil, 0, corrupt("inode %d: %d bytes, want %d", ino, len(src), InodeSize)
	}
	if allZero(src) {
		return nil, 0, nil
	}
	if got, want := le.Uint32(src[inCRC:]), Checksum(src[:inCRC]); got != want {
		return nil, 0, corrupt("inode %d: checksum %#x, computed %#x", ino, got, want)
	}
	n = &Inode{
		Mode: le.Uint32(src[inMode:]), UID: le.Uint32(src[inUID:]), GID: le.Uint32(src[inGID:]),
		Nlink: le.Uint32(src[inNlink:]), Size: le.Uint64(src[inSize:]),
		Atime: int64(le.Uint64(src[inAtime:])), Mtime: int64(le.Uint64(src[inMtime:])),
		Ctime: int64(le.Uint64(src[inCtime:])), Btime: int64(le.Uint64(src[inBtime:])),
		Generation: le.Uint32(src[inGen:]), Parent: le.Uint64(src[inParent:]),
		Chain: le.Uint64(src[inChain:]), Ino: le.Uint64(src[inIno:]),
	}
	count = le.Uint32(src[inNext:])
	if n.Ino != ino {
		return nil, 0, corrupt("inode %d: records number %d (misplaced write?)", ino, n.Ino)
	}
	n.Flags = le.Uint32(src[inFlags:])
	if n.Flags&^knownFlags != 0 {
		return nil, 0, corrupt("inode %d: unknown flags %#x", ino, n.Flags)
	}
	switch n.Type() {
	case TypeFile, TypeDir, TypeLink, TypeFifo:
	default:
		return nil, 0, corrupt("inode %d: mode %#o has no valid file type", ino, n.Mode)
	}
	if n.Flags&FlagEncrypted != 0 {
		switch {
		case sb.Features&FeatureEncryption == 0:
			return nil, 0, corrupt("inode %d: encrypted, but the superblock lacks the encryption feature", ino)
		case n.Type() == TypeLink || n.Type() == TypeFifo:
			return nil, 0, corrupt("inode %d: an encrypted symlink or FIFO", ino)
		case n.Type() == TypeDir:
			n.Policy = KeyID(src[inCryptSlot : inCryptSlot+16])
		default:
			n.Crypt = le.Uint64(src[inCryptSlot:])
			if !sb.IsData(n.Crypt) || le.Uint64(src[inCryptSlot+8:]) != 0 {
				return nil, 0, corrupt("inode %d: crypt extension block %d outside the data area", ino, n.Crypt)
			}
		}
	}
	if n.Mode&^(TypeMask|PermMask) != 0 {
		return nil, 0, corrupt("inode %d: mode %#o has unknown bits", ino, n.Mode)
	}
	if count > uint32(n.MaxExtentCount()) {
		return nil, 0, corrupt("inode %d: %d extents, at most %d", ino, count, n.MaxExtentCount())
	}
	if (count > uint32(n.InlineCap())) != (n.Chain != 0) {
		return nil, 0, corrupt("inode %d: %d extents but extent chain block %d", ino, count, n.Chain)
	}
	if n.Chain != 0 && !sb.IsData(n.Chain) {
		return nil, 0, corrupt("inode %d: extent chain block %d outside the data area", ino, n.Chain)
	}
	if n.Type() == TypeDir {
		if n.Parent == 0 || n.Parent >= sb.Inodes {
			return nil, 0, corrupt("inode %d: directory's parent %d out of range", ino, n.Parent)
		}
	} else if n.Parent != 0 {
		return nil, 0, corrupt("inode %d: non-directory with parent %d", ino, n.Parent)
	}
	if n.Type() == TypeFifo && (n.Size != 0 || count != 0) {
		return nil, 0, corrupt("inode %d: a FIFO with %d bytes in %d extents", ino, n.Size, count)
	}
	if n.Type() == TypeLink && (n.Size == 0 || n.Size > MaxSymlink) {
		return nil, 0, corrupt("inode %d: symlink of %d bytes", ino, n.Size)
	}
	if n.Size > MaxFileBlocks*BlockSize {
		return nil, 0, corrupt("inode %d: size %d over the limit", ino, n.Size)
	}
	inline := min(int(count), n.InlineCap())
	n.Extents = make([]Extent, inline, count)
	for i := range inline {
		n.Extents[i] = getExtent(src[inExtents+i*extentSize:])
	}
	if !allZero(src[inExtents+inline*extentSize : inExtents+n.InlineCap()*extentSize]) {
		return nil, 0, corrupt("inode %d: unused extent slots are not zero", ino)
	}
	if count <= uint32(n.InlineCap()) {
		if err := CheckExtents(n, sb); err != nil {
			return nil, 0, err
		}
	}
	return n, count, nil
}

// CheckExtents validates a complete extent list: non-empty extents, sorted
// and not overlapping in the file, inside the data area on disk, and none
// past the file's size.
func CheckExtents(n *Inode, sb *Superblock) error {
	var next uint64
	limit := (n.Size + BlockSize - 1) / BlockSize
	for i, e := range n.Extents {
		switch {
		case e.Length == 0:
			return corrupt("inode %d: extent %d is empty", n.Ino, i)
		case uint64(e.Logical) < next:
			return corrupt("inode %d: extent %d (file block %d) overlaps or is out of order", n.Ino, i, e.Logical)
		case e.End() > limit:
			return corrupt("inode %d: extent %d ends at file block %d, past the size %d", n.Ino, i, e.End(), n.Size)
		case !sb.IsData(e.Physical) || e.Physical+uint64(e.Length) > sb.Blocks:
			return corrupt("inode %d: extent %d (disk blocks %d+%d) outside the data area", n.Ino, i, e.Physical, e.Length)
		}
		next = e.End()
	}
	return nil
}

// Extent chain blocks.
const (
	extentHeader = 32
	xtIno        = 8
	xtIndex      = 16
	xtCount      = 20
	xtNext       = 24
)

// ExtentBlock is one block of an inode's extent chain.
type ExtentBlock struct {
	Ino     uint64   // owner
	Index   uint32   // position in the chain, from 0
	Next    uint64   // next chain block, 0 at the end
	Extents []Extent // at most ExtentsPerBlock
}

// Encode returns the block.
func (x *ExtentBlock) Encode() []byte {
	b := make([]byte, BlockSize)
	le.PutUint64(b[xtIno:], x.Ino)
	le.PutUint32(b[xtIndex:], x.Index)
	le.PutUint32(b[xtCount:], uint32(len(x.Extents)))
	le.PutUint64(b[xtNext:], x.Next)
	for i, e := range x.Extents {
		putExtent(b[extentHeader+i*extentSize:], e)
	}
	sealHeader(b, MagicExtents)
	return b
}

// DecodeExtentBlock validates and decodes chain block index of inode ino.
// The extents' own ranges are checked by CheckExtents on the whole list.
func DecodeExtentBlock(b []byte, ino uint64, index uint32, sb *Superblock) (*ExtentBlock, error) {
	if err := checkHeader(b, MagicExtents, "extent block"); err != nil {
		return nil, err
	}
	x := &ExtentBlock{Ino: le.Uint64(b[xtIno:]), Index: le.Uint32(b[xtIndex:]), Next: le.Uint64(b[xtNext:])}
	count := le.Uint32(b[xtCount:])
	switch {
	case x.Ino != ino || x.Index != index:
		return nil, corrupt("extent block: belongs to inode %d position %d, expected inode %d position %d", x.Ino, x.Index, ino, index)
	case count == 0 || count > ExtentsPerBlock:
		return nil, corrupt("extent block of inode %d: %d extents", ino, count)
	case x.Next != 0 && !sb.IsData(x.Next):
		return nil, corrupt("extent block of inode %d: next block %d outside the data area", ino, x.Next)
	case !allZero(b[extentHeader+int(count)*extentSize:]):
		return nil, corrupt("extent block of inode %d: bytes after the extents are not zero", ino)
	}
	x.Extents = make([]Extent, count)
	for i := range x.Extents {
		x.Extents[i] = getExtent(b[extentHeader+i*extentSize:])
	}
	return x, nil
}
