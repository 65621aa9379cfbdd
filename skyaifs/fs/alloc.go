package fs

import (
	"fmt"
	"math/bits"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// Block and inode allocation.
//
// f.used is the block bitmap as the allocator sees it: the on-disk bitmap
// blocks (metadata, journaled) hold the transaction's view, in which freed
// blocks are already clear; f.used keeps them set until the freeing
// transaction commits, so a block freed and reused in one transaction can
// never receive new data while the committed state still points at it.

func (f *FS) isUsed(n uint64) bool { return f.used[n/8]&(1<<(n%8)) != 0 }

// loadBitmap reads and validates the bitmap blocks.
func (f *FS) loadBitmap() error {
	sb := f.sb
	per := uint64(disk.BitsPerBitmapBlock / 8)
	f.used = make([]byte, sb.BitmapBlocks*per)
	for i := range sb.BitmapBlocks {
		b, err := f.readMeta(sb.BitmapStart + i)
		if err != nil {
			return err
		}
		bits, err := disk.DecodeBitmap(b, i, sb)
		if err != nil {
			return err
		}
		copy(f.used[i*per:], bits)
	}
	for n := range sb.DataStart {
		if !f.isUsed(n) {
			return fmt.Errorf("%w: bitmap marks metadata block %d free", disk.ErrCorrupt, n)
		}
	}
	for n := sb.DataStart; n < sb.Blocks; n++ {
		if !f.isUsed(n) {
			f.nfree++
		}
	}
	return nil
}

// setBits sets or clears the bits of blocks [n, n+count) in their on-disk
// bitmap block (the run must lie in one bitmap block); every bit must
// change, or the bitmap is corrupt.
func (f *FS) setBits(n uint64, count int, on bool) error {
	idx := n / disk.BitsPerBitmapBlock
	first := n % disk.BitsPerBitmapBlock
	if first+uint64(count) > disk.BitsPerBitmapBlock {
		return fmt.Errorf("bit run %d+%d crosses a bitmap block", n, count)
	}
	home := f.sb.BitmapStart + idx
	old, err := f.readMeta(home)
	if err != nil {
		return err
	}
	bm, err := disk.DecodeBitmap(old, idx, f.sb)
	if err != nil {
		return err
	}
	nb := append([]byte(nil), bm...)
	for bit := first; bit < first+uint64(count); bit++ {
		if (nb[bit/8]&(1<<(bit%8)) != 0) == on {
			state := map[bool]string{true: "in use", false: "free"}[on]
			return fmt.Errorf("%w: block %d is already marked %s", disk.ErrCorrupt, idx*disk.BitsPerBitmapBlock+bit, state)
		}
		if on {
			nb[bit/8] |= 1 << (bit % 8)
		} else {
			nb[bit/8] &^= 1 << (bit % 8)
		}
	}
	f.writeMeta(home, disk.EncodeBitmap(idx, nb))
	return nil
}

// allocRun allocates up to want consecutive free blocks, searching from goal
// (and wrapping around). It returns the first block and how many it got
// (at least 1), or ENOSPC.
func (f *FS) allocRun(goal uint64, want int) (uint64, int, error) {
	sb := f.sb
	if f.nfree == 0 {
		return 0, 0, unix.ENOSPC
	}
	if goal < sb.DataStart || goal >= sb.Blocks {
		goal = sb.DataStart
	}
	start, ok := f.findFree(goal, sb.Blocks)
	if !ok {
		if start, ok = f.findFree(sb.DataStart, goal); !ok {
			return 0, 0, unix.ENOSPC
		}
	}
	// The run ends at the first used block, at want, or where the bitmap
	// block ends (one bitmap block changes per run).
	limit := min(uint64(want), sb.Blocks-start, disk.BitsPerBitmapBlock-start%disk.BitsPerBitmapBlock)
	n := uint64(1)
	for n < limit && !f.isUsed(start+n) {
		n++
	}
	if err := f.setBits(start, int(n), true); err != nil {
		return 0, 0, err
	}
	for b := start; b < start+n; b++ {
		f.used[b/8] |= 1 << (b % 8)
		f.fresh[b] = true
	}
	f.nfree -= n
	f.onUndo(func() {
		for b := start; b < start+n; b++ {
			f.used[b/8] &^= 1 << (b % 8)
			delete(f.fresh, b)
		}
		f.nfree += n
	})
	return start, int(n), nil
}

// findFree returns the first clear bit in [from, to).
func (f *FS) findFree(from, to uint64) (uint64, bool) {
	for n := from; n < to; {
		if n%64 == 0 && n+64 <= to {
			w := uint64(0)
			for i := range 8 {
				w |= uint64(f.used[n/8+uint64(i)]) << (8 * i)
			}
			if w == ^uint64(0) {
				n += 64
				continue
			}
			return n + uint64(bits.TrailingZeros64(^w)), true
		}
		if !f.isUsed(n) {
			return n, true
		}
		n++
	}
	return 0, false
}

// findFreeRun returns the start of the first run of want free blocks in one
// bitmap block at or after goal (wrapping around), if there is one.
func (f *FS) findFreeRun(goal, want uint64) (uint64, bool) {
	sb := f.sb
	if goal < sb.DataStart || goal >= sb.Blocks {
		goal = sb.DataStart
	}
	for _, r := range [][2]uint64{{goal, sb.Blocks}, {sb.DataStart, goal}} {
		for n := r[0]; n < r[1]; {
			s, ok := f.findFree(n, r[1])
			if !ok {
				break
			}
			e := s + 1
			for e < sb.Blocks && e-s < want && !f.isUsed(e) && e%disk.BitsPerBitmapBlock != 0 {
				e++
			}
			if e-s == want {
				return s, true
			}
			n = e
		}
	}
	return 0, false
}

// freeBlock frees block n in the running transaction; it stays unallocatable
// until the transaction commits.
func (f *FS) freeBlock(n uint64) error { return f.freeRun(n, 1) }

// freeRun frees blocks [start, start+count) like freeBlock.
func (f *FS) freeRun(start, count uint64) error {
	if !f.sb.IsData(start) || count > f.sb.Blocks-start {
		return fmt.Errorf("%w: freeing blocks %d+%d outside the data area", disk.ErrCorrupt, start, count)
	}
	l := len(f.pendingFree)
	f.onUndo(func() { f.pendingFree = f.pendingFree[:l] })
	for n := start; n < start+count; {
		k := min(start+count-n, disk.BitsPerBitmapBlock-n%disk.BitsPerBitmapBlock)
		if err := f.setBits(n, int(k), false); err != nil {
			return err
		}
		for b := n; b < n+k; b++ {
			f.pendingFree = append(f.pendingFree, b)
		}
		n += k
	}
	return nil
}

// loadInodes scans the inode table: it records which slots are in use and
// returns the orphans (in use, no links). Any corrupt inode fails the mount.
func (f *FS) loadInodes() ([]uint64, error) {
	sb := f.sb
	f.inodeUsed = make([]bool, sb.Inodes)
	var orphans []uint64
	const batch = 64
	buf := make([]byte, batch*block.Size)
	for first := uint64(0); first < sb.InodeBlocks; first += batch {
		n := min(batch, sb.InodeBlocks-first)
		if err := f.dev.ReadBlocks(sb.InodeStart+first, buf[:n*block.Size]); err != nil {
			return nil, err
		}
		for i := range n * disk.InodesPerBlock {
			ino := first*disk.InodesPerBlock + i
			raw := buf[i*disk.InodeSize : (i+1)*disk.InodeSize]
			if ino == 0 {
				if !allZero(raw) {
					return nil, fmt.Errorf("%w: inode slot 0 is not zero", disk.ErrCorrupt)
				}
				continue
			}
			in, _, err := disk.DecodeInode(raw, ino, sb)
			if err != nil {
				return nil, err
			}
			if in == nil {
				f.nfreeInodes++
				continue
			}
			f.inodeUsed[ino] = true
			if in.Nlink == 0 {
				orphans = append(orphans, ino)
			}
		}
	}
	if !f.inodeUsed[disk.RootIno] {
		return nil, fmt.Errorf("%w: the root inode is free", disk.ErrCorrupt)
	}
	return orphans, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// allocInode returns a free inode number, marked in use.
// The search starts after the last inode handed out (next-fit), so creating
// many files costs O(1) per file instead of a scan from the start.
func (f *FS) allocInode() (uint64, error) {
	span := f.sb.Inodes - (disk.RootIno + 1)
	for i := range span {
		ino := disk.RootIno + 1 + (f.inoHint+i)%span
		if !f.inodeUsed[ino] {
			f.inodeUsed[ino] = true
			f.nfreeInodes--
			hint := f.inoHint
			f.inoHint = ino - disk.RootIno
			f.onUndo(func() { f.inodeUsed[ino] = false; f.nfreeInodes++; f.inoHint = hint })
			return ino, nil
		}
	}
	return 0, unix.ENOSPC
}
