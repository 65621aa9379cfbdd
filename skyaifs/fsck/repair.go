package fsck

import (
	"fmt"
	"slices"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
)

// finish rebuilds directories, writes inodes, and checks (and rewrites) the
// bitmap. In check-only mode it only compares the bitmap.
func (c *checker) finish() error {
	if c.repair {
		for _, ino := range sortedKeys(c.rebuild) {
			if err := c.rebuildDir(ino); err != nil {
				return err
			}
		}
		for _, ino := range sortedKeys(c.cleared) {
			if err := c.putInode(ino, nil); err != nil {
				return err
			}
		}
		for _, ino := range sortedKeys(c.dirty) {
			if n, ok := c.inodes[ino]; ok && !c.rebuild[ino] {
				if err := c.putInode(ino, n); err != nil {
					return err
				}
			}
		}
	}
	if err := c.checkBitmap(); err != nil {
		return err
	}
	c.rep.UsedBlocks = c.sb.DataStart + uint64(len(c.owner))
	if !c.repair || c.rep.Clean() {
		return nil
	}
	for _, n := range sortedKeys(c.overlay) {
		if err := c.dev.WriteBlocks(n, c.overlay[n]); err != nil {
			return err
		}
	}
	if err := c.dev.Flush(); err != nil {
		return err
	}
	c.rep.Repaired = true
	return nil
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	ks := make([]uint64, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// putInode writes inode ino (nil: a free slot) into the repair overlay.
func (c *checker) putInode(ino uint64, n *disk.Inode) error {
	blk, off := c.sb.InodeBlock(ino)
	old, err := c.read(blk)
	if err != nil {
		return err
	}
	b := append([]byte(nil), old...)
	if n == nil {
		clear(b[off : off+disk.InodeSize])
	} else {
		n.Encode(b[off : off+disk.InodeSize])
	}
	c.overlay[blk] = b
	return nil
}

// allocBlock takes the lowest unowned data block for inode ino.
func (c *checker) allocBlock(ino uint64, from *uint64) (uint64, error) {
	for b := max(*from, c.sb.DataStart); b < c.sb.Blocks; b++ {
		if _, used := c.owner[b]; !used {
			c.owner[b] = ino
			*from = b + 1
			return b, nil
		}
	}
	return 0, fmt.Errorf("fsck: no free block left to rebuild directory %d", ino)
}

// rebuildDir lays directory ino's valid entries out in fresh buckets,
// reusing its old blocks first.
func (c *checker) rebuildDir(ino uint64) error {
	n := c.inodes[ino]
	var buckets []*disk.Bucket
	buckets = append(buckets, &disk.Bucket{Dir: ino})
	for _, e := range c.dirents[ino] {
		h := disk.Hash(c.sb.HashSeed, e.Name)
		for {
			i := slices.IndexFunc(buckets, func(k *disk.Bucket) bool { return disk.Selects(k.Depth, k.Prefix, h) })
			k := buckets[i]
			if k.Used()+disk.EntrySize(len(e.Name)) <= disk.BucketSpace {
				k.Entries = append(k.Entries, e)
				break
			}
			if k.Depth == disk.MaxDepth {
				c.problem("directory %d: no room for %q; the entry is dropped", ino, e.Name)
				break
			}
			lo := &disk.Bucket{Dir: ino, Depth: k.Depth + 1, Prefix: k.Prefix << 1}
			hi := &disk.Bucket{Dir: ino, Depth: k.Depth + 1, Prefix: k.Prefix<<1 | 1}
			for _, x := range k.Entries {
				if disk.Selects(hi.Depth, hi.Prefix, disk.Hash(c.sb.HashSeed, x.Name)) {
					hi.Entries = append(hi.Entries, x)
				} else {
					lo.Entries = append(lo.Entries, x)
				}
			}
			buckets[i] = lo
			buckets = append(buckets, hi)
		}
	}
	// Release the old blocks, then allocate the lowest free ones.
	for _, b := range c.blocksOf(ino) {
		delete(c.owner, b)
	}
	var from uint64
	n.Extents = n.Extents[:0]
	for i, k := range buckets {
		b, err := c.allocBlock(ino, &from)
		if err != nil {
			return err
		}
		c.overlay[b] = k.Encode()
		if l := len(n.Extents); l > 0 && n.Extents[l-1].Physical+uint64(n.Extents[l-1].Length) == b {
			n.Extents[l-1].Length++
		} else {
			n.Extents = append(n.Extents, disk.Extent{Logical: uint32(i), Length: 1, Physical: b})
		}
	}
	n.Size = uint64(len(buckets)) * block.Size
	var chain []uint64
	if len(n.Extents) > n.InlineCap() {
		rest := n.Extents[n.InlineCap():]
		for len(rest) > 0 {
			b, err := c.allocBlock(ino, &from)
			if err != nil {
				return err
			}
			chain = append(chain, b)
			rest = rest[min(len(rest), disk.ExtentsPerBlock):]
		}
		if len(chain) > disk.MaxChainBlocks {
			return fmt.Errorf("fsck: rebuilt directory %d is too fragmented", ino)
		}
		rest = n.Extents[n.InlineCap():]
		for i, b := range chain {
			x := disk.ExtentBlock{Ino: ino, Index: uint32(i)}
			k := min(len(rest), disk.ExtentsPerBlock)
			x.Extents, rest = rest[:k], rest[k:]
			if i+1 < len(chain) {
				x.Next = chain[i+1]
			}
			c.overlay[b] = x.Encode()
		}
	}
	c.chains[ino] = chain
	n.Chain = 0
	if len(chain) > 0 {
		n.Chain = chain[0]
	}
	return c.putInode(ino, n)
}

// checkBitmap compares the bitmap with the owned blocks.
func (c *checker) checkBitmap() error {
	sb := c.sb
	per := uint64(disk.BitsPerBitmapBlock)
	var leaked, unmarked uint64
	example := [2]uint64{}
	for i := range sb.BitmapBlocks {
		raw, err := c.read(sb.BitmapStart + i)
		if err != nil {
			return err
		}
		bits, err := disk.DecodeBitmap(raw, i, sb)
		if err != nil {
			c.problem("%v; the bitmap block is rewritten", err)
			bits = nil
		}
		want := make([]byte, per/8)
		for j := range per {
			n := i*per + j
			if n >= sb.Blocks {
				break
			}
			_, owned := c.owner[n]
			if n < sb.DataStart || owned {
				want[j/8] |= 1 << (j % 8)
			}
		}
		if bits == nil {
			c.overlay[sb.BitmapStart+i] = disk.EncodeBitmap(i, want)
			continue
		}
		if string(bits) == string(want) {
			continue
		}
		for j := range per {
			got, w := bits[j/8]&(1<<(j%8)) != 0, want[j/8]&(1<<(j%8)) != 0
			if got && !w {
				if leaked == 0 {
					example[0] = i*per + j
				}
				leaked++
			} else if w && !got {
				if unmarked == 0 {
					example[1] = i*per + j
				}
				unmarked++
			}
		}
		c.overlay[sb.BitmapStart+i] = disk.EncodeBitmap(i, want)
	}
	if leaked > 0 {
		c.problem("bitmap: %d blocks marked in use belong to nothing (first: %d); they are freed", leaked, example[0])
	}
	if unmarked > 0 {
		c.problem("bitmap: %d blocks in use are marked free (first: %d); they are marked", unmarked, example[1])
	}
	return nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
