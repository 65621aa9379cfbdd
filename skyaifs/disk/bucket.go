package disk

import (
	"encoding/binary"
	"hash/fnv"
)

// Directories are extendible hash tables. A directory's data blocks are
// buckets; a bucket of depth d holds exactly the names whose 32-bit hash has
// Prefix as its top d bits. The buckets of a directory cover every hash
// exactly once. A full bucket splits into two of depth d+1 (the one with the
// next bit 0 keeps its block, the other gets a new block at the end of the
// directory), so an insert rewrites at most three blocks however large the
// directory grows.
const (
	// MaxName is the longest name.
	MaxName = 255
	// MaxDepth is the deepest a bucket can split.
	MaxDepth = 32
	// BucketSpace is the room for entries in one bucket.
	BucketSpace = BlockSize - bucketHeader

	bucketHeader = 32
	bkIno        = 8
	bkDepth      = 16
	bkCount      = 18
	bkPrefix     = 20
	entryHeader  = 10
)

// Entry types in a directory entry (a cache of the inode's type, checked by
// fsck).
const (
	EntFile uint8 = 1
	EntDir  uint8 = 2
	EntLink uint8 = 3
	EntFifo uint8 = 4
)

// EntryType returns the entry type for an inode type (0 if none).
func EntryType(inodeType uint32) uint8 {
	switch inodeType {
	case TypeFile:
		return EntFile
	case TypeDir:
		return EntDir
	case TypeLink:
		return EntLink
	case TypeFifo:
		return EntFifo
	}
	return 0
}

// DirEntry names inode Ino.
type DirEntry struct {
	Name string
	Ino  uint64
	Type uint8
}

// EntrySize returns the bytes an entry with a name of n bytes takes.
func EntrySize(n int) int { return entryHeader + n }

// Bucket is one directory block.
type Bucket struct {
	Dir     uint64 // the directory's inode number
	Depth   uint8  // hash bits this bucket is selected by
	Prefix  uint32 // their value (< 1<<Depth)
	Entries []DirEntry
}

// Used returns the bytes the bucket's entries take.
func (k *Bucket) Used() int {
	n := 0
	for _, e := range k.Entries {
		n += EntrySize(len(e.Name))
	}
	return n
}

// Hash is the directory hash of name under the filesystem's seed: FNV-1a
// 64 over the seed and the name, folded to 32 bits. The seed is random per
// filesystem so names cannot be chosen offline to collide.
func Hash(seed uint64, name string) uint32 {
	h := fnv.New64a()
	var s [8]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	h.Write(s[:])
	h.Write([]byte(name))
	v := h.Sum64()
	return uint32(v>>32) ^ uint32(v)
}

// Selects reports whether a hash belongs in a bucket of this depth and prefix.
func Selects(depth uint8, prefix uint32, hash uint32) bool {
	if depth == 0 {
		return true
	}
	return hash>>(32-uint32(depth)) == prefix
}

// ValidName reports whether name can be a directory entry: 1..MaxName bytes,
// no '/' or NUL, not "." or "..".
func ValidName(name string) bool {
	if len(name) == 0 || len(name) > MaxName || name == "." || name == ".." {
		return false
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return false
		}
	}
	return true
}

// Encode returns the bucket's block. The entries must fit (Used() <=
// BucketSpace).
func (k *Bucket) Encode() []byte {
	b := make([]byte, BlockSize)
	le.PutUint64(b[bkIno:], k.Dir)
	b[bkDepth] = k.Depth
	le.PutUint16(b[bkCount:], uint16(len(k.Entries)))
	le.PutUint32(b[bkPrefix:], k.Prefix)
	p := bucketHeader
	for _, e := range k.Entries {
		le.PutUint64(b[p:], e.Ino)
		b[p+8] = e.Type
		b[p+9] = uint8(len(e.Name))
		copy(b[p+entryHeader:], e.Name)
		p += EntrySize(len(e.Name))
	}
	sealHeader(b, MagicBucket)
	return b
}

// DecodeBucket validates and decodes a bucket of directory dir: checksum,
// owner, depth and prefix, every entry (valid name, known type, inode number
// in range, hash matching the prefix), no duplicate names, zero bytes after
// the last entry.
func DecodeBucket(b []byte, dir uint64, sb *Superblock) (*Bucket, error) {
	if err := checkHeader(b, MagicBucket, "directory bucket"); err != nil {
		return nil, err
	}
	k := &Bucket{Dir: le.Uint64(b[bkIno:]), Depth: b[bkDepth], Prefix: le.Uint32(b[bkPrefix:])}
	count := int(le.Uint16(b[bkCount:]))
	switch {
	case k.Dir != dir:
		return nil, corrupt("directory bucket: belongs to inode %d, expected %d", k.Dir, dir)
	case k.Depth > MaxDepth:
		return nil, corrupt("directory %d bucket: depth %d", dir, k.Depth)
	case k.Depth < 32 && uint64(k.Prefix) >= 1<<k.Depth:
		return nil, corrupt("directory %d bucket: prefix %#x too wide for depth %d", dir, k.Prefix, k.Depth)
	case b[bkDepth+1] != 0 || !allZero(b[24:bucketHeader]):
		return nil, corrupt("directory %d bucket: reserved bytes are not zero", dir)
	case count > BucketSpace/EntrySize(1):
		return nil, corrupt("directory %d bucket: %d entries cannot fit", dir, count)
	}
	k.Entries = make([]DirEntry, 0, count)
	seen := make(map[string]bool, count)
	p := bucketHeader
	for i := range count {
		if p+entryHeader > BlockSize {
			return nil, corrupt("directory %d bucket: entry %d runs past the block", dir, i)
		}
		e := DirEntry{Ino: le.Uint64(b[p:]), Type: b[p+8]}
		n := int(b[p+9])
		if p+entryHeader+n > BlockSize {
			return nil, corrupt("directory %d bucket: entry %d runs past the block", dir, i)
		}
		e.Name = string(b[p+entryHeader : p+entryHeader+n])
		switch {
		case !ValidName(e.Name):
			return nil, corrupt("directory %d: invalid name %q", dir, e.Name)
		case e.Ino == 0 || e.Ino >= sb.Inodes:
			return nil, corrupt("directory %d: %q names inode %d, out of range", dir, e.Name, e.Ino)
		case e.Type < EntFile || e.Type > EntFifo:
			return nil, corrupt("directory %d: %q has type %d", dir, e.Name, e.Type)
		case seen[e.Name]:
			return nil, corrupt("directory %d: %q appears twice", dir, e.Name)
		case !Selects(k.Depth, k.Prefix, Hash(sb.HashSeed, e.Name)):
			return nil, corrupt("directory %d: %q is in the wrong bucket", dir, e.Name)
		}
		seen[e.Name] = true
		k.Entries = append(k.Entries, e)
		p += EntrySize(n)
	}
	if !allZero(b[p:]) {
		return nil, corrupt("directory %d bucket: bytes after the last entry are not zero", dir)
	}
	return k, nil
}
