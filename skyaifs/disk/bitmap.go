package disk

const (
	bitmapHeader = 32
	bmIndex      = 8
)

// EncodeBitmap returns bitmap block index holding bits (BitsPerBitmapBlock/8
// bytes; bit i of byte k is disk block index*BitsPerBitmapBlock + 8k + i).
func EncodeBitmap(index uint64, bits []byte) []byte {
	b := make([]byte, BlockSize)
	le.PutUint64(b[bmIndex:], index)
	copy(b[bitmapHeader:], bits)
	sealHeader(b, MagicBitmap)
	return b
}

// DecodeBitmap validates bitmap block index of a disk of sb.Blocks blocks
// and returns its bits (a slice of b). Bits for blocks past the end of the
// disk must be zero.
func DecodeBitmap(b []byte, index uint64, sb *Superblock) ([]byte, error) {
	if err := checkHeader(b, MagicBitmap, "bitmap block"); err != nil {
		return nil, err
	}
	if got := le.Uint64(b[bmIndex:]); got != index {
		return nil, corrupt("bitmap block %d: records index %d", index, got)
	}
	if !allZero(b[16:bitmapHeader]) {
		return nil, corrupt("bitmap block %d: reserved bytes are not zero", index)
	}
	bits := b[bitmapHeader:]
	first := index * BitsPerBitmapBlock
	for i := uint64(0); i < BitsPerBitmapBlock; i++ {
		if first+i < sb.Blocks {
			i = sb.Blocks - first - 1 // skip to the first bit past the end
			continue
		}
		if bits[i/8]&(1<<(i%8)) != 0 {
			return nil, corrupt("bitmap block %d: marks block %d past the end of the disk in use", index, first+i)
		}
	}
	return bits, nil
}
