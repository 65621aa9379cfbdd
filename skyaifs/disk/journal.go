package disk

// The journal holds at most one transaction, always starting at its first
// block: a descriptor listing the home block of each metadata block in the
// transaction, a copy of each of those blocks, and a commit block whose
// checksum covers the descriptor and every copy. docs/SKYAIFS.md gives the
// protocol and why it is crash-safe.

// MaxTxnBlocks is the most metadata blocks one transaction can hold (as many
// home block numbers as fit in the descriptor).
const MaxTxnBlocks = (BlockSize - descHeader) / 8

const (
	descHeader = 24
	jSeq       = 8
	jCount     = 16
	jPayload   = 24
	commitEnd  = 28
)

// Descriptor opens a transaction in the journal.
type Descriptor struct {
	Seq   uint64   // transaction sequence number
	Homes []uint64 // where each copy belongs; distinct, 1..MaxTxnBlocks of them
}

// Encode returns the descriptor block.
func (d *Descriptor) Encode() []byte {
	b := make([]byte, BlockSize)
	le.PutUint64(b[jSeq:], d.Seq)
	le.PutUint32(b[jCount:], uint32(len(d.Homes)))
	for i, h := range d.Homes {
		le.PutUint64(b[descHeader+8*i:], h)
	}
	sealHeader(b, MagicDescriptor)
	return b
}

// DecodeDescriptor validates and decodes a descriptor: checksum, count, and
// home blocks that are distinct and lie after the journal (the superblock
// and the journal are never journaled).
func DecodeDescriptor(b []byte, sb *Superblock) (*Descriptor, error) {
	if err := checkHeader(b, MagicDescriptor, "journal descriptor"); err != nil {
		return nil, err
	}
	d := &Descriptor{Seq: le.Uint64(b[jSeq:])}
	n := le.Uint32(b[jCount:])
	if n == 0 || n > MaxTxnBlocks || uint64(n)+2 > sb.JournalBlocks {
		return nil, corrupt("journal descriptor: %d blocks", n)
	}
	if le.Uint32(b[jCount+4:]) != 0 || !allZero(b[descHeader+8*int(n):]) {
		return nil, corrupt("journal descriptor: reserved bytes are not zero")
	}
	seen := make(map[uint64]bool, n)
	d.Homes = make([]uint64, n)
	for i := range d.Homes {
		h := le.Uint64(b[descHeader+8*i:])
		if h < sb.BitmapStart || h >= sb.Blocks || seen[h] {
			return nil, corrupt("journal descriptor: home block %d invalid or repeated", h)
		}
		seen[h] = true
		d.Homes[i] = h
	}
	return d, nil
}

// Commit closes a transaction: it is valid only if Payload is the CRC32C of
// the descriptor block followed by every copy, in order.
type Commit struct {
	Seq     uint64
	Count   uint32
	Payload uint32
}

// Encode returns the commit block.
func (c *Commit) Encode() []byte {
	b := make([]byte, BlockSize)
	le.PutUint64(b[jSeq:], c.Seq)
	le.PutUint32(b[jCount:], c.Count)
	le.PutUint32(b[jPayload:], c.Payload)
	sealHeader(b, MagicCommit)
	return b
}

// DecodeCommit validates and decodes a commit block.
func DecodeCommit(b []byte) (*Commit, error) {
	if err := checkHeader(b, MagicCommit, "journal commit"); err != nil {
		return nil, err
	}
	if le.Uint32(b[jCount+4:]) != 0 || !allZero(b[commitEnd:]) {
		return nil, corrupt("journal commit: reserved bytes are not zero")
	}
	return &Commit{Seq: le.Uint64(b[jSeq:]), Count: le.Uint32(b[jCount:]), Payload: le.Uint32(b[jPayload:])}, nil
}

// PayloadChecksum is the commit checksum of a descriptor block and copies.
func PayloadChecksum(desc []byte, copies [][]byte) uint32 {
	c := Checksum(desc)
	for _, b := range copies {
		c = crcUpdate(c, b)
	}
	return c
}
