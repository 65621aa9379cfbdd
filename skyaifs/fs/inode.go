package fs

import (
	"fmt"
	"slices"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// inode is a decoded inode with its whole extent list and the blocks of its
// extent chain. It is a cache of the inode table and chain blocks: every
// change is written back with putInode within the same operation.
type inode struct {
	disk.Inode
	chain []uint64       // extent chain blocks, in order
	crypt *disk.CryptExt // an encrypted file's crypt extension; nil otherwise
	// tagIdx holds the decoded tag index blocks of crypt.Index (nil where
	// the pointer is 0).
	tagIdx []*disk.TagIndex
}

// getInode returns inode ino, decoding and validating it on first use.
func (f *FS) getInode(ino uint64) (*inode, error) {
	if n, ok := f.inodes[ino]; ok {
		return n, nil
	}
	if ino == 0 || ino >= f.sb.Inodes {
		return nil, fmt.Errorf("%w: inode number %d out of range", disk.ErrCorrupt, ino)
	}
	blk, off := f.sb.InodeBlock(ino)
	b, err := f.readMeta(blk)
	if err != nil {
		return nil, err
	}
	d, count, err := disk.DecodeInode(b[off:off+disk.InodeSize], ino, f.sb)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, fmt.Errorf("%w: inode %d is free but named", disk.ErrCorrupt, ino)
	}
	n := &inode{Inode: *d}
	for next, idx := d.Chain, uint32(0); next != 0; idx++ {
		if idx >= disk.MaxChainBlocks {
			return nil, fmt.Errorf("%w: inode %d: extent chain longer than %d blocks", disk.ErrCorrupt, ino, disk.MaxChainBlocks)
		}
		cb, err := f.readMeta(next)
		if err != nil {
			return nil, err
		}
		x, err := disk.DecodeExtentBlock(cb, ino, idx, f.sb)
		if err != nil {
			return nil, err
		}
		n.chain = append(n.chain, next)
		n.Extents = append(n.Extents, x.Extents...)
		next = x.Next
	}
	if uint32(len(n.Extents)) != count {
		return nil, fmt.Errorf("%w: inode %d: %d extents found, %d recorded", disk.ErrCorrupt, ino, len(n.Extents), count)
	}
	if err := disk.CheckExtents(&n.Inode, f.sb); err != nil {
		return nil, err
	}
	if n.Flags&disk.FlagEncrypted != 0 && n.Type() == disk.TypeFile {
		if err := f.loadCrypt(n); err != nil {
			return nil, err
		}
	}
	f.inodes[ino] = n
	return n, nil
}

// putInode writes n back: the inode table slot and the extent chain,
// allocating or freeing chain blocks as the extent count changed.
func (f *FS) putInode(n *inode) error {
	need := 0
	if inl := n.InlineCap(); len(n.Extents) > inl {
		need = (len(n.Extents) - inl + disk.ExtentsPerBlock - 1) / disk.ExtentsPerBlock
	}
	if need > disk.MaxChainBlocks {
		return unix.EFBIG
	}
	for len(n.chain) > need {
		if err := f.freeBlock(n.chain[len(n.chain)-1]); err != nil {
			return err
		}
		n.chain = n.chain[:len(n.chain)-1]
	}
	for len(n.chain) < need {
		goal := uint64(0)
		if len(n.Extents) > 0 {
			goal = n.Extents[len(n.Extents)-1].Physical
		}
		b, _, err := f.allocRun(goal, 1)
		if err != nil {
			return err
		}
		n.chain = append(n.chain, b)
	}
	n.Chain = 0
	if need > 0 {
		n.Chain = n.chain[0]
	}
	rest := n.Extents[min(len(n.Extents), n.InlineCap()):]
	for i, cb := range n.chain {
		x := disk.ExtentBlock{Ino: n.Ino, Index: uint32(i)}
		k := min(len(rest), disk.ExtentsPerBlock)
		x.Extents, rest = rest[:k], rest[k:]
		if i+1 < len(n.chain) {
			x.Next = n.chain[i+1]
		}
		enc := x.Encode()
		if old, ok := f.meta[cb]; !ok || string(old) != string(enc) {
			f.writeMeta(cb, enc)
		}
	}
	if n.crypt != nil {
		enc := n.crypt.Encode()
		if old, ok := f.meta[n.Crypt]; !ok || string(old) != string(enc) {
			f.writeMeta(n.Crypt, enc)
		}
	}
	blk, off := f.sb.InodeBlock(n.Ino)
	old, err := f.readMeta(blk)
	if err != nil {
		return err
	}
	nb := append([]byte(nil), old...)
	n.Inode.Encode(nb[off : off+disk.InodeSize])
	f.writeMeta(blk, nb)
	f.inodes[n.Ino] = n
	return nil
}

// newInode allocates an inode of the given mode, owned by who c says (see owner).
func (f *FS) newInode(c *Cred, mode uint32, parent uint64) (*inode, error) {
	ino, err := f.allocInode()
	if err != nil {
		return nil, err
	}
	blk, off := f.sb.InodeBlock(ino)
	old, err := f.readMeta(blk)
	if err != nil {
		return nil, err
	}
	if !allZero(old[off : off+disk.InodeSize]) {
		return nil, fmt.Errorf("%w: free inode %d is not zero", disk.ErrCorrupt, ino)
	}
	now := f.opts.now().UnixNano()
	uid, gid := f.owner(c)
	n := &inode{Inode: disk.Inode{Ino: ino, Mode: mode, UID: uid, GID: gid, Nlink: 1,
		Atime: now, Mtime: now, Ctime: now, Btime: now, Parent: parent, Generation: f.seqGen()}}
	if mode&disk.TypeMask == disk.TypeDir {
		n.Nlink = 2
	}
	return n, f.putInode(n)
}

// seqGen is a generation number for a new inode: the transaction sequence
// number is unique enough to tell a reused slot from its previous life.
func (f *FS) seqGen() uint32 { return uint32(f.seq) }

// freeInode releases inode ino and all its blocks.
func (f *FS) freeInode(ino uint64) error {
	n, err := f.getInode(ino)
	if err != nil {
		return err
	}
	if err := f.truncateBlocks(n, 0); err != nil {
		return err
	}
	for _, cb := range n.chain {
		if err := f.freeBlock(cb); err != nil {
			return err
		}
	}
	if n.crypt != nil {
		if err := f.freeCrypt(n); err != nil {
			return err
		}
	}
	blk, off := f.sb.InodeBlock(ino)
	old, err := f.readMeta(blk)
	if err != nil {
		return err
	}
	nb := append([]byte(nil), old...)
	clear(nb[off : off+disk.InodeSize])
	f.writeMeta(blk, nb)
	delete(f.inodes, ino)
	delete(f.dirs, ino)
	f.inodeUsed[ino] = false
	f.nfreeInodes++
	f.onUndo(func() { f.inodeUsed[ino] = true; f.nfreeInodes-- })
	return nil
}

// maybeFree frees inode ino if nothing names it and no File has it open.
func (f *FS) maybeFree(ino uint64) error {
	n, err := f.getInode(ino)
	if err != nil {
		return err
	}
	if n.Nlink == 0 && f.open[ino] == 0 {
		return f.freeInode(ino)
	}
	return nil
}

// lookupBlock returns the disk block holding file block lb, or 0 for a hole.
func (n *inode) lookupBlock(lb uint64) uint64 {
	i, _ := slices.BinarySearchFunc(n.Extents, lb, func(e disk.Extent, lb uint64) int {
		switch {
		case e.End() <= lb:
			return -1
		case uint64(e.Logical) > lb:
			return 1
		}
		return 0
	})
	if i < len(n.Extents) && uint64(n.Extents[i].Logical) <= lb && lb < n.Extents[i].End() {
		e := n.Extents[i]
		return e.Physical + lb - uint64(e.Logical)
	}
	return 0
}

// mapBlocks allocates disk blocks for the holes among file blocks
// [lb, lb+count) and returns how many of the file blocks from lb on are now
// mapped (at least one, unless an error is returned). It may map fewer than
// count when free space is fragmented.
func (f *FS) mapBlocks(n *inode, lb uint64, count int) (int, error) {
	done := 0
	for done < count {
		cur := lb + uint64(done)
		if n.lookupBlock(cur) != 0 {
			done++
			continue
		}
		if cur >= disk.MaxFileBlocks {
			return done, unix.EFBIG
		}
		// Hole run: up to the next extent.
		run := count - done
		i := slices.IndexFunc(n.Extents, func(e disk.Extent) bool { return uint64(e.Logical) > cur })
		if i >= 0 {
			run = min(run, int(uint64(n.Extents[i].Logical)-cur))
		}
		if len(n.Extents) >= n.MaxExtentCount() {
			return done, unix.EFBIG
		}
		goal := f.cursor
		if j := i - 1; i < 0 && len(n.Extents) > 0 {
			j = len(n.Extents) - 1
			goal = n.Extents[j].Physical + uint64(n.Extents[j].Length) + cur - n.Extents[j].End()
		} else if j >= 0 {
			goal = n.Extents[j].Physical + uint64(n.Extents[j].Length) + cur - n.Extents[j].End()
		}
		start, got, err := f.allocRun(goal, run)
		if err != nil {
			return done, err
		}
		f.cursor = start + uint64(got)
		n.insertExtent(disk.Extent{Logical: uint32(cur), Length: uint32(got), Physical: start})
		done += got
		if len(f.dirty)+opBudget/2 > f.capacity() {
			break // fragmented: let the caller commit before going on
		}
	}
	return done, nil
}

// insertExtent adds e (covering a hole) to the sorted list, merging it with
// neighbours that continue it both in the file and on disk.
func (n *inode) insertExtent(e disk.Extent) {
	i, _ := slices.BinarySearchFunc(n.Extents, e.Logical, func(x disk.Extent, l uint32) int {
		if x.Logical < l {
			return -1
		}
		return 1
	})
	n.Extents = slices.Insert(n.Extents, i, e)
	if i+1 < len(n.Extents) {
		a, b := n.Extents[i], n.Extents[i+1]
		if a.End() == uint64(b.Logical) && a.Physical+uint64(a.Length) == b.Physical && uint64(a.Length)+uint64(b.Length) < 1<<32 {
			n.Extents[i].Length += b.Length
			n.Extents = slices.Delete(n.Extents, i+1, i+2)
		}
	}
	if i > 0 {
		a, b := n.Extents[i-1], n.Extents[i]
		if a.End() == uint64(b.Logical) && a.Physical+uint64(a.Length) == b.Physical && uint64(a.Length)+uint64(b.Length) < 1<<32 {
			n.Extents[i-1].Length += b.Length
			n.Extents = slices.Delete(n.Extents, i, i+1)
		}
	}
}

// truncateBlocks frees every file block at or past keep.
func (f *FS) truncateBlocks(n *inode, keep uint64) error {
	for len(n.Extents) > 0 {
		e := &n.Extents[len(n.Extents)-1]
		if e.End() <= keep {
			break
		}
		first := max(keep, uint64(e.Logical))
		if err := f.freeRun(e.Physical+first-uint64(e.Logical), e.End()-first); err != nil {
			return err
		}
		if first == uint64(e.Logical) {
			n.Extents = n.Extents[:len(n.Extents)-1]
		} else {
			e.Length = uint32(first - uint64(e.Logical))
		}
	}
	return nil
}

// blockCount returns the blocks allocated to n.
func (n *inode) blockCount() uint64 {
	c := uint64(len(n.chain))
	if n.crypt != nil {
		c++
		for _, ti := range n.tagIdx {
			if ti == nil {
				continue
			}
			c++
			for _, t := range ti.Tags {
				if t != 0 {
					c++
				}
			}
		}
	}
	for _, e := range n.Extents {
		c += uint64(e.Length)
	}
	return c
}

// readData fills buf with file bytes from offset off (which the caller has
// clipped to the size). Holes read as zeros; buffered data wins over disk.
func (f *FS) readData(n *inode, off uint64, buf []byte) error {
	if n.crypt != nil {
		return f.readDataCrypt(n, off, buf)
	}
	for len(buf) > 0 {
		lb := off / block.Size
		in := int(off % block.Size)
		p := n.lookupBlock(lb)
		switch {
		case p == 0:
			k := min(len(buf), block.Size-in)
			clear(buf[:k])
			buf, off = buf[k:], off+uint64(k)
			continue
		case f.data[p] != nil:
			k := copy(buf, f.data[p][in:])
			buf, off = buf[k:], off+uint64(k)
			continue
		}
		// A run of consecutive disk blocks, none buffered: one request.
		run := 1
		for uint64(run)*block.Size < uint64(in+len(buf)) && run < 256 {
			q := n.lookupBlock(lb + uint64(run))
			if q != p+uint64(run) || f.data[q] != nil {
				break
			}
			run++
		}
		tmp := make([]byte, run*block.Size)
		if err := f.dev.ReadBlocks(p, tmp); err != nil {
			return err
		}
		k := copy(buf, tmp[in:])
		buf, off = buf[k:], off+uint64(k)
	}
	return nil
}

// writeBlockData sets file block data (a whole block) for disk block p in
// the running transaction's buffered data.
func (f *FS) writeBlockData(p uint64, b []byte) {
	old, had := f.data[p]
	f.onUndo(func() {
		if had {
			f.data[p] = old
		} else {
			delete(f.data, p)
		}
	})
	f.data[p] = b
}

// readBlock returns a copy of disk block p as the file sees it.
func (f *FS) readBlock(p uint64) ([]byte, error) {
	b := make([]byte, block.Size)
	if d := f.data[p]; d != nil {
		copy(b, d)
		return b, nil
	}
	return b, f.dev.ReadBlocks(p, b)
}
