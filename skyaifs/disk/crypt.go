package disk

// Encryption at rest: the crypt extension block of an encrypted file and its
// tag blocks (docs/SKYAIFS.md, "Encryption at rest").
//
// An encrypted file's data blocks hold AES-256-GCM ciphertext only. What is
// needed to open them lives in journaled metadata, so that a data block and
// its nonce and tag change in the same transaction:
//
//   - the crypt extension block (SKCX): the key id, the file's data key
//     sealed under that key (the "wrapped key"), and the table of tag blocks;
//   - tag blocks (SKCT): for each file block, the 12-byte nonce and the
//     16-byte GCM tag of its current ciphertext (all zero for a hole).
//
// Tag block i covers file blocks [i*TagsPerBlock, (i+1)*TagsPerBlock); a
// pointer of 0 in the table means none of them is mapped.

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
	// MaxTagBlocks is the size of the extension's tag block table.
	MaxTagBlocks = (BlockSize - cxTable) / 8
	// MaxCryptFileBlocks bounds an encrypted file (about 282 MiB): its tag
	// table must fit in the one extension block.
	MaxCryptFileBlocks = MaxTagBlocks * TagsPerBlock
	// AlgAES256GCM is the only data and key-wrapping algorithm.
	AlgAES256GCM = 1
)

// Magic numbers of the crypt blocks.
const (
	MagicCrypt uint32 = 0x5843_4b53 // "SKCX"
	MagicTags  uint32 = 0x5443_4b53 // "SKCT"
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
	Tags       []uint64             // tag block per index, 0 for none; the last is not 0
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
	le.PutUint32(b[cxCount:], uint32(len(x.Tags)))
	for i, t := range x.Tags {
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
	case count > MaxTagBlocks:
		return nil, corrupt("crypt extension of inode %d: %d tag blocks, at most %d", ino, count, MaxTagBlocks)
	case !allZero(b[cxTable+8*int(count):]):
		return nil, corrupt("crypt extension of inode %d: bytes after the tag table are not zero", ino)
	}
	x.Tags = make([]uint64, count)
	for i := range x.Tags {
		t := le.Uint64(b[cxTable+8*i:])
		if t != 0 && !sb.IsData(t) {
			return nil, corrupt("crypt extension of inode %d: tag block %d outside the data area", ino, t)
		}
		x.Tags[i] = t
	}
	if count > 0 && x.Tags[count-1] == 0 {
		return nil, corrupt("crypt extension of inode %d: the tag table ends with an empty slot", ino)
	}
	return x, nil
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
