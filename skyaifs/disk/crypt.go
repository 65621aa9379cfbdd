package disk

import "fmt"

// Encryption at rest: the crypt extension block of an encrypted file and its
// tag blocks (docs/SKYAIFS.md, "Encryption at rest").
//
// An encrypted file's data blocks hold AES-256-GCM ciphertext only. What is
// needed to open them lives in journaled metadata, so that a data block and
// its nonce and tag change in the same transaction:
//
//   - the crypt extension block (SKCX): the key id, the file's data key
//     sealed under that key (the "wrapped key"), and the table of tag index
//     blocks;
//   - tag index blocks (SKCI): tables of tag blocks;
//   - tag blocks (SKCT): for each file block, the 12-byte nonce and the
//     16-byte GCM tag of its current ciphertext (all zero for a hole).
//
// Tag block t covers file blocks [t*TagsPerBlock, (t+1)*TagsPerBlock); it is
// entry t mod TagsPerIndex of tag index block t / TagsPerIndex. A pointer of
// 0 (in the extension or an index block) means none of those file blocks is
// mapped. Two levels keep the extension one block while allowing files of
// about 140 GiB; a file under 288 MiB has one index block.

// KeyID names a key-encryption key (KEK): the key the key vault derives for
// a purpose. It is stored, never secret.
type KeyID [16]byte

// Crypt sizes and limits.
const (
	// NonceSize and TagSize are AES-GCM's standard nonce and tag sizes.
	NonceSize = 12
	TagSize   = 16
	// TagEntrySize is one file block's nonce followed by its tag.
	TagEntrySize = NonceSize + TagSize
	// DataKeySize is a file's AES-256 data key.
	DataKeySize = 32
	// WrappedKeySize is the data key sealed with AES-256-GCM (ciphertext
	// and tag).
	WrappedKeySize = DataKeySize + TagSize
	// TagsPerBlock is how many file blocks one tag block covers.
	TagsPerBlock = (BlockSize - tagHeader) / TagEntrySize
	// MaxIndexBlocks is the size of the extension's table of tag index
	// blocks; TagsPerIndex the tag blocks one index block points to.
	MaxIndexBlocks = (BlockSize - cxTable) / 8
	TagsPerIndex   = (BlockSize - indexHeader) / 8
	// MaxCryptFileBlocks bounds an encrypted file (about 140 GiB).
	MaxCryptFileBlocks = MaxIndexBlocks * TagsPerIndex * TagsPerBlock
	// AlgAES256GCM is the only data and key-wrapping algorithm.
	AlgAES256GCM = 1
)

// Magic numbers of the crypt blocks.
const (
	MagicCrypt    uint32 = 0x5843_4b53 // "SKCX"
	MagicTagIndex uint32 = 0x4943_4b53 // "SKCI"
	MagicTags     uint32 = 0x5443_4b53 // "SKCT"
)

// TagEntry is one file block's nonce and tag; all zero for a hole.
type TagEntry [TagEntrySize]byte

// IsZero reports whether the entry is unused.
func (e *TagEntry) IsZero() bool { return *e == TagEntry{} }

// CryptExt is an encrypted file's crypt extension block.
type CryptExt struct {
	Ino        uint64               // owner
	Generation uint32               // owner's generation: a reused slot's stale block does not decode
	Alg        uint8                // AlgAES256GCM
	KeyID      KeyID                // which KEK sealed the data key
	WrapNonce  [NonceSize]byte      // nonce of the sealing
	WrappedKey [WrappedKeySize]byte // the data key, sealed under the KEK
	Index      []uint64             // tag index blocks, 0 for none; the last is not 0
}

// Crypt extension offsets.
const (
	cxIno     = 8
	cxGen     = 16
	cxAlg     = 20
	cxKeyID   = 24
	cxNonce   = cxKeyID + 16               // 40
	cxWrapped = cxNonce + NonceSize        // 52
	cxCount   = cxWrapped + WrappedKeySize // 100
	cxTable   = 112
)

// Encode returns the block.
func (x *CryptExt) Encode() []byte {
	b := make([]byte, BlockSize)
	le.PutUint64(b[cxIno:], x.Ino)
	le.PutUint32(b[cxGen:], x.Generation)
	b[cxAlg] = x.Alg
	copy(b[cxKeyID:], x.KeyID[:])
	copy(b[cxNonce:], x.WrapNonce[:])
	copy(b[cxWrapped:], x.WrappedKey[:])
	le.PutUint32(b[cxCount:], uint32(len(x.Index)))
	for i, t := range x.Index {
		le.PutUint64(b[cxTable+8*i:], t)
	}
	sealHeader(b, MagicCrypt)
	return b
}

// DecodeCryptExt validates and decodes the crypt extension of inode ino,
// generation gen.
func DecodeCryptExt(b []byte, ino uint64, gen uint32, sb *Superblock) (*CryptExt, error) {
	if err := checkHeader(b, MagicCrypt, "crypt extension"); err != nil {
		return nil, err
	}
	x := &CryptExt{Ino: le.Uint64(b[cxIno:]), Generation: le.Uint32(b[cxGen:]), Alg: b[cxAlg],
		KeyID: KeyID(b[cxKeyID : cxKeyID+16]), WrapNonce: [NonceSize]byte(b[cxNonce:cxWrapped]),
		WrappedKey: [WrappedKeySize]byte(b[cxWrapped:cxCount])}
	count := le.Uint32(b[cxCount:])
	switch {
	case x.Ino != ino || x.Generation != gen:
		return nil, corrupt("crypt extension: belongs to inode %d generation %d, expected inode %d generation %d", x.Ino, x.Generation, ino, gen)
	case x.Alg != AlgAES256GCM:
		return nil, corrupt("crypt extension of inode %d: unknown algorithm %d", ino, x.Alg)
	case !allZero(b[cxAlg+1 : cxKeyID]), !allZero(b[cxCount+4 : cxTable]):
		return nil, corrupt("crypt extension of inode %d: reserved bytes are not zero", ino)
	case count > MaxIndexBlocks:
		return nil, corrupt("crypt extension of inode %d: %d tag index blocks, at most %d", ino, count, MaxIndexBlocks)
	case !allZero(b[cxTable+8*int(count):]):
		return nil, corrupt("crypt extension of inode %d: bytes after the index table are not zero", ino)
	}
	x.Index = make([]uint64, count)
	if err := getPointers(x.Index, b[cxTable:], sb); err != nil {
		return nil, corrupt("crypt extension of inode %d: %v", ino, err)
	}
	if count > 0 && x.Index[count-1] == 0 {
		return nil, corrupt("crypt extension of inode %d: the index table ends with an empty slot", ino)
	}
	return x, nil
}

// getPointers decodes len(dst) block pointers, each 0 or in the data area.
func getPointers(dst []uint64, b []byte, sb *Superblock) error {
	for i := range dst {
		t := le.Uint64(b[8*i:])
		if t != 0 && !sb.IsData(t) {
			return fmt.Errorf("block pointer %d outside the data area", t)
		}
		dst[i] = t
	}
	return nil
}

// TagIndex is one tag index block of an encrypted file.
type TagIndex struct {
	Ino        uint64
	Generation uint32
	Index      uint32               // position in the extension's table
	Tags       [TagsPerIndex]uint64 // tag block Index*TagsPerIndex + j, 0 for none
}

// Tag index offsets.
const (
	indexHeader = 32
)

// Encode returns the block.
func (t *TagIndex) Encode() []byte {
	b := make([]byte, BlockSize)
	le.PutUint64(b[tagIno:], t.Ino)
	le.PutUint32(b[tagGen:], t.Generation)
	le.PutUint32(b[tagIndex:], t.Index)
	for i, p := range t.Tags {
		le.PutUint64(b[indexHeader+8*i:], p)
	}
	sealHeader(b, MagicTagIndex)
	return b
}

// Empty reports whether the index points to no tag block.
func (t *TagIndex) Empty() bool { return t.Tags == [TagsPerIndex]uint64{} }

// DecodeTagIndex validates and decodes tag index block index of inode ino,
// generation gen.
func DecodeTagIndex(b []byte, ino uint64, gen, index uint32, sb *Superblock) (*TagIndex, error) {
	if err := checkHeader(b, MagicTagIndex, "tag index block"); err != nil {
		return nil, err
	}
	t := &TagIndex{Ino: le.Uint64(b[tagIno:]), Generation: le.Uint32(b[tagGen:]), Index: le.Uint32(b[tagIndex:])}
	switch {
	case t.Ino != ino || t.Generation != gen || t.Index != index:
		return nil, corrupt("tag index block: belongs to inode %d generation %d position %d, expected inode %d generation %d position %d",
			t.Ino, t.Generation, t.Index, ino, gen, index)
	case !allZero(b[tagIndex+4 : indexHeader]):
		return nil, corrupt("tag index block of inode %d: reserved bytes are not zero", ino)
	}
	if err := getPointers(t.Tags[:], b[indexHeader:], sb); err != nil {
		return nil, corrupt("tag index block of inode %d: %v", ino, err)
	}
	return t, nil
}

// TagBlock is one block of an encrypted file's nonces and tags.
type TagBlock struct {
	Ino        uint64
	Generation uint32
	Index      uint32 // covers file blocks from Index*TagsPerBlock
	Entries    [TagsPerBlock]TagEntry
}

// Tag block offsets.
const (
	tagIno    = 8
	tagGen    = 16
	tagIndex  = 20
	tagHeader = 32
)

// Encode returns the block.
func (t *TagBlock) Encode() []byte {
	b := make([]byte, BlockSize)
	le.PutUint64(b[tagIno:], t.Ino)
	le.PutUint32(b[tagGen:], t.Generation)
	le.PutUint32(b[tagIndex:], t.Index)
	for i := range t.Entries {
		copy(b[tagHeader+i*TagEntrySize:], t.Entries[i][:])
	}
	sealHeader(b, MagicTags)
	return b
}

// DecodeTagBlock validates and decodes tag block index of inode ino,
// generation gen.
func DecodeTagBlock(b []byte, ino uint64, gen, index uint32) (*TagBlock, error) {
	if err := checkHeader(b, MagicTags, "tag block"); err != nil {
		return nil, err
	}
	t := &TagBlock{Ino: le.Uint64(b[tagIno:]), Generation: le.Uint32(b[tagGen:]), Index: le.Uint32(b[tagIndex:])}
	switch {
	case t.Ino != ino || t.Generation != gen || t.Index != index:
		return nil, corrupt("tag block: belongs to inode %d generation %d position %d, expected inode %d generation %d position %d",
			t.Ino, t.Generation, t.Index, ino, gen, index)
	case !allZero(b[tagIndex+4 : tagHeader]), !allZero(b[tagHeader+TagsPerBlock*TagEntrySize:]):
		return nil, corrupt("tag block of inode %d: reserved bytes are not zero", ino)
	}
	for i := range t.Entries {
		t.Entries[i] = TagEntry(b[tagHeader+i*TagEntrySize : tagHeader+(i+1)*TagEntrySize])
	}
	return t, nil
}
