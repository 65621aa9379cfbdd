// Package fsck checks a SKYAIFS disk and repairs what it can.
//
// Check verifies every invariant the filesystem relies on:
//
//   - the superblock decodes (checksum, magic, version, geometry);
//   - the journal holds no transaction, or one that is applied first (in
//     check-only mode it is applied to fsck's view, not to the disk);
//   - every bitmap block, inode, extent chain block and directory bucket
//     decodes (checksums, ranges, ownership, hash placement, names);
//   - every block is owned at most once (metadata region, file data,
//     directory buckets, extent chains);
//   - directories: no holes, buckets cover the hash space exactly once,
//     entries name live inodes of the type the entry records, every
//     directory is named exactly once, its parent field names the
//     directory that names it, and everything is reachable from the root;
//   - link counts: a file's count is its number of names, a directory's is
//     2 plus its subdirectories;
//   - the bitmap marks exactly the owned blocks;
//   - encrypted files: the crypt extension and every tag index and tag
//     block decode and belong to the file (inode and generation), and
//     exactly the mapped file blocks have a nonce and tag.
//
// In-use inodes with no links and no names are orphans left by a crash while
// the file was open; they are not problems (mount frees them), and repair
// frees them too.
//
// Repair (Options.Repair) replays the journal, then fixes: corrupt inodes and
// inodes whose blocks conflict with earlier ones are cleared; directories
// with bad buckets or bad entries are rebuilt from their valid entries;
// directories named twice lose the extra names; unreachable files and
// directories are linked into the root as "lost+found.INO"; link counts and
// parent fields are set; stale tag entries of encrypted files (for blocks not
// mapped) are cleared; an encrypted file whose extension, tag index or tag blocks do not
// decode, or with a mapped block without a tag (unreadable anyway), is
// cleared; the bitmap is rewritten. fsck needs no keys: it checks the
// structure, not the ciphertext (reading the file does that). A superblock that does not
// decode, or a root directory that is lost, cannot be repaired.
package fsck

import (
	"errors"
	"fmt"
	"slices"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/journal"
)

// Options select what Check does.
type Options struct {
	// Repair writes fixes to the disk.
	Repair bool
}

// Report is the outcome of a check.
type Report struct {
	// Problems found, one clear sentence each. With Repair, each was fixed
	// unless Unrepaired says otherwise.
	Problems []string
	// Notes are facts that are not problems (journal replayed, orphans).
	Notes []string
	// Files, Dirs, Symlinks count the live inodes; UsedBlocks the blocks owned.
	Files, Dirs, Symlinks int
	UsedBlocks            uint64
	// Repaired reports that fixes were written.
	Repaired bool
}

// Clean reports whether no problems were found.
func (r *Report) Clean() bool { return len(r.Problems) == 0 }

// ErrUnrepairable is wrapped by Check's error when the disk cannot be
// checked or repaired at all (no valid superblock, no root directory).
var ErrUnrepairable = errors.New("fsck: filesystem cannot be repaired")

type checker struct {
	dev     block.Device
	sb      *disk.Superblock
	repair  bool
	rep     *Report
	overlay map[uint64][]byte // journal copies (check mode) and fixes (repair mode)

	inodes  map[uint64]*disk.Inode // live, valid inodes
	chains  map[uint64][]uint64    // extent chain blocks per inode
	owner   map[uint64]uint64      // data-area block -> owning inode
	cleared map[uint64]bool        // inodes to clear (repair) / found invalid
	dirents map[uint64][]disk.DirEntry
	rebuild map[uint64]bool // directories to rebuild from dirents
	dirty   map[uint64]bool // inodes to write back
}

func (c *checker) problem(format string, args ...any) {
	c.rep.Problems = append(c.rep.Problems, fmt.Sprintf(format, args...))
}

func (c *checker) read(n uint64) ([]byte, error) {
	if b, ok := c.overlay[n]; ok {
		return b, nil
	}
	b := make([]byte, block.Size)
	return b, c.dev.ReadBlocks(n, b)
}

// Check examines (and with opts.Repair, repairs) the filesystem on dev. It
// returns an error for device failures and for disks it cannot make sense of
// (wrapping ErrUnrepairable); everything else is in the report.
func Check(dev block.Device, opts Options) (*Report, error) {
	c := &checker{dev: dev, repair: opts.Repair, rep: &Report{}, overlay: map[uint64][]byte{},
		inodes: map[uint64]*disk.Inode{}, chains: map[uint64][]uint64{}, owner: map[uint64]uint64{},
		cleared: map[uint64]bool{}, dirents: map[uint64][]disk.DirEntry{}, rebuild: map[uint64]bool{}, dirty: map[uint64]bool{}}
	b := make([]byte, block.Size)
	if err := dev.ReadBlocks(0, b); err != nil {
		return nil, err
	}
	sb, err := disk.DecodeSuperblock(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnrepairable, err)
	}
	if sb.Blocks != dev.Blocks() {
		return nil, fmt.Errorf("%w: superblock says %d blocks, the device has %d", ErrUnrepairable, sb.Blocks, dev.Blocks())
	}
	c.sb = sb
	if c.repair {
		t, err := journal.Replay(dev, sb)
		if err != nil {
			return nil, err
		}
		if t != nil {
			c.rep.Notes = append(c.rep.Notes, fmt.Sprintf("journal: replayed transaction %d (%d blocks)", t.Seq, len(t.Homes)))
		}
	} else {
		t, err := journal.Read(dev, sb)
		if err != nil {
			return nil, err
		}
		if t != nil {
			for i, h := range t.Homes {
				c.overlay[h] = t.Copies[i]
			}
			c.rep.Notes = append(c.rep.Notes, fmt.Sprintf("journal: holds committed transaction %d (%d blocks), checked as applied", t.Seq, len(t.Homes)))
		}
	}
	if err := c.scanInodes(); err != nil {
		return nil, err
	}
	if err := c.claimBlocks(); err != nil {
		return nil, err
	}
	if err := c.scanDirs(); err != nil {
		return nil, err
	}
	if err := c.connectivity(); err != nil {
		return nil, err
	}
	if err := c.finish(); err != nil {
		return nil, err
	}
	return c.rep, nil
}

// scanInodes decodes the inode table and every extent chain.
func (c *checker) scanInodes() error {
	sb := c.sb
	for blk := range sb.InodeBlocks {
		b, err := c.read(sb.InodeStart + blk)
		if err != nil {
			return err
		}
		for i := range uint64(disk.InodesPerBlock) {
			ino := blk*disk.InodesPerBlock + i
			raw := b[i*disk.InodeSize : (i+1)*disk.InodeSize]
			if ino == 0 {
				if !allZero(raw) {
					c.problem("inode slot 0 is not zero")
					c.cleared[0] = true
				}
				continue
			}
			n, count, err := disk.DecodeInode(raw, ino, sb)
			if err != nil {
				c.problem("%v; the inode is cleared", err)
				c.cleared[ino] = true
				continue
			}
			if n == nil {
				continue
			}
			var chain []uint64
			for next, idx := n.Chain, uint32(0); next != 0 && err == nil; idx++ {
				if idx >= disk.MaxChainBlocks || slices.Contains(chain, next) {
					err = fmt.Errorf("inode %d: extent chain too long or looping", ino)
					break
				}
				var cb []byte
				if cb, err = c.read(next); err != nil {
					return err
				}
				var x *disk.ExtentBlock
				if x, err = disk.DecodeExtentBlock(cb, ino, idx, sb); err == nil {
					chain = append(chain, next)
					n.Extents = append(n.Extents, x.Extents...)
					next = x.Next
				}
			}
			if err == nil && uint32(len(n.Extents)) != count {
				err = fmt.Errorf("inode %d: %d extents in the chain, %d recorded", ino, len(n.Extents), count)
			}
			if err == nil {
				err = disk.CheckExtents(n, sb)
			}
			if err == nil && n.Flags&disk.FlagEncrypted != 0 && n.Type() == disk.TypeFile {
				var extra []uint64
				if extra, err = c.scanCrypt(n); err == nil {
					chain = append(chain, extra...)
				}
			}
			if err != nil {
				c.problem("%v; the inode is cleared", err)
				c.cleared[ino] = true
				continue
			}
			c.inodes[ino] = n
			c.chains[ino] = chain
			switch n.Type() {
			case disk.TypeFile:
				c.rep.Files++
			case disk.TypeDir:
				c.rep.Dirs++
			case disk.TypeLink:
				c.rep.Symlinks++
			}
		}
	}
	return nil
}

// blocksOf lists every disk block inode ino owns.
func (c *checker) blocksOf(ino uint64) []uint64 {
	var bs []uint64
	for _, e := range c.inodes[ino].Extents {
		for i := range uint64(e.Length) {
			bs = append(bs, e.Physical+i)
		}
	}
	return append(bs, c.chains[ino]...)
}

// claimBlocks gives each block to the first inode (by number) that owns it;
// a later owner is a problem and is cleared.
func (c *checker) claimBlocks() error {
	inos := c.sortedInodes()
	for _, ino := range inos {
		bs := c.blocksOf(ino)
		conflict := ""
		seen := map[uint64]bool{}
		for _, b := range bs {
			if o, ok := c.owner[b]; ok {
				conflict = fmt.Sprintf("block %d is owned by inode %d and inode %d", b, o, ino)
				break
			}
			if seen[b] {
				conflict = fmt.Sprintf("inode %d owns block %d twice", ino, b)
				break
			}
			seen[b] = true
		}
		if conflict != "" {
			c.problem("%s; inode %d is cleared", conflict, ino)
			c.drop(ino)
			continue
		}
		for _, b := range bs {
			c.owner[b] = ino
		}
	}
	return nil
}

func (c *checker) drop(ino uint64) {
	if _, ok := c.inodes[ino]; ok {
		for _, b := range c.blocksOf(ino) {
			if c.owner[b] == ino {
				delete(c.owner, b)
			}
		}
	}
	c.cleared[ino] = true
	delete(c.inodes, ino)
	delete(c.chains, ino)
}

func (c *checker) sortedInodes() []uint64 {
	inos := make([]uint64, 0, len(c.inodes))
	for ino := range c.inodes {
		inos = append(inos, ino)
	}
	slices.Sort(inos)
	return inos
}

// scanDirs decodes every directory's buckets and checks its entries.
func (c *checker) scanDirs() error {
	for _, ino := range c.sortedInodes() {
		n := c.inodes[ino]
		if n.Type() != disk.TypeDir {
			continue
		}
		bad := false
		if n.Size == 0 || n.Size%block.Size != 0 {
			c.problem("directory %d: size %d is not a positive number of blocks", ino, n.Size)
			bad = true
		}
		var ents []disk.DirEntry
		names := map[string]bool{}
		var cover uint64
		keys := map[uint64]bool{}
		for lb := uint64(0); lb < n.Size/block.Size; lb++ {
			p := lookup(n, lb)
			if p == 0 {
				c.problem("directory %d: hole at block %d", ino, lb)
				bad = true
				continue
			}
			b, err := c.read(p)
			if err != nil {
				return err
			}
			k, err := disk.DecodeBucket(b, ino, c.sb)
			if err != nil {
				c.problem("directory %d block %d: %v", ino, lb, err)
				bad = true
				continue
			}
			key := uint64(k.Depth)<<32 | uint64(k.Prefix)
			if keys[key] {
				c.problem("directory %d: two buckets for depth %d prefix %#x", ino, k.Depth, k.Prefix)
				bad = true
			}
			keys[key] = true
			cover += 1 << (32 - uint64(k.Depth))
			for _, e := range k.Entries {
				if names[e.Name] {
					c.problem("directory %d: %q appears twice", ino, e.Name)
					bad = true
					continue
				}
				names[e.Name] = true
				ents = append(ents, e)
			}
		}
		if !bad && cover != 1<<32 {
			c.problem("directory %d: buckets do not cover the hash space exactly once", ino)
			bad = true
		}
		keep := ents[:0]
		for _, e := range ents {
			t, ok := c.inodes[e.Ino]
			switch {
			case !ok:
				c.problem("directory %d: %q names inode %d, which is free or invalid; the entry is removed", ino, e.Name, e.Ino)
				bad = true
			case disk.EntryType(t.Type()) != e.Type:
				c.problem("directory %d: %q has type %d, inode %d has type %d; the entry is corrected", ino, e.Name, e.Type, e.Ino, disk.EntryType(t.Type()))
				e.Type = disk.EntryType(t.Type())
				keep = append(keep, e)
				bad = true
			case e.Ino == disk.RootIno:
				c.problem("directory %d: %q names the root directory; the entry is removed", ino, e.Name)
				bad = true
			default:
				keep = append(keep, e)
			}
		}
		c.dirents[ino] = keep
		if bad {
			c.rebuild[ino] = true
		}
	}
	return nil
}

func lookup(n *disk.Inode, lb uint64) uint64 {
	for _, e := range n.Extents {
		if uint64(e.Logical) <= lb && lb < e.End() {
			return e.Physical + lb - uint64(e.Logical)
		}
	}
	return 0
}

// connectivity walks the tree from the root, checking that each directory
// is named once and knows its parent, and counts links.
func (c *checker) connectivity() error {
	root, ok := c.inodes[disk.RootIno]
	if !ok || root.Type() != disk.TypeDir {
		return fmt.Errorf("%w: the root directory is lost", ErrUnrepairable)
	}
	links := map[uint64]uint32{}
	reached := map[uint64]bool{}
	var visit func(dir uint64)
	visit = func(dir uint64) {
		reached[dir] = true
		queue := []uint64{dir}
		for len(queue) > 0 {
			d := queue[0]
			queue = queue[1:]
			links[d] += 2
			keep := c.dirents[d][:0]
			for _, e := range c.dirents[d] {
				t := c.inodes[e.Ino]
				if t.Type() == disk.TypeDir {
					if reached[e.Ino] {
						c.problem("directory %d is named a second time, as %q in directory %d; the name is removed", e.Ino, e.Name, d)
						c.rebuild[d] = true
						continue
					}
					reached[e.Ino] = true
					links[d]++
					if t.Parent != d {
						c.problem("directory %d: parent is %d, but directory %d names it", e.Ino, t.Parent, d)
						t.Parent = d
						c.dirty[e.Ino] = true
					}
					queue = append(queue, e.Ino)
				} else {
					reached[e.Ino] = true
					links[e.Ino]++
				}
				keep = append(keep, e)
			}
			c.dirents[d] = keep
		}
	}
	visit(disk.RootIno)
	if root.Parent != disk.RootIno {
		c.problem("root directory: parent is %d, not itself", root.Parent)
		root.Parent = disk.RootIno
		c.dirty[disk.RootIno] = true
	}
	for _, ino := range c.sortedInodes() {
		n := c.inodes[ino]
		if reached[ino] {
			continue
		}
		if n.Nlink == 0 {
			c.rep.Notes = append(c.rep.Notes, fmt.Sprintf("inode %d is an orphan (unlinked while open); mount frees it", ino))
			if c.repair {
				c.drop(ino)
			}
			continue
		}
		name := fmt.Sprintf("lost+found.%d", ino)
		c.problem("inode %d is in use but no directory reachable from the root names it; it is linked as /%s", ino, name)
		c.dirents[disk.RootIno] = append(c.dirents[disk.RootIno], disk.DirEntry{Name: name, Ino: ino, Type: disk.EntryType(n.Type())})
		c.rebuild[disk.RootIno] = true
		if n.Type() == disk.TypeDir {
			links[disk.RootIno]++
			n.Parent = disk.RootIno
			c.dirty[ino] = true
			visit(ino)
		} else {
			reached[ino] = true
			links[ino]++
		}
	}
	for _, ino := range c.sortedInodes() {
		n := c.inodes[ino]
		if !reached[ino] {
			continue
		}
		if n.Nlink != links[ino] {
			c.problem("inode %d: link count %d, but %d links found", ino, n.Nlink, links[ino])
			n.Nlink = links[ino]
			c.dirty[ino] = true
		}
	}
	return nil
}

// scanCrypt checks encrypted file n's crypt extension, tag index blocks and
// tag blocks and returns their block numbers (owned by n). An error clears
// the file.
func (c *checker) scanCrypt(n *disk.Inode) ([]uint64, error) {
	b, err := c.read(n.Crypt)
	if err != nil {
		return nil, err
	}
	x, err := disk.DecodeCryptExt(b, n.Ino, n.Generation, c.sb)
	if err != nil {
		return nil, err
	}
	blocks := []uint64{n.Crypt}
	tags := map[uint64]uint64{} // tag block position -> disk block
	for i, p := range x.Index {
		if p == 0 {
			continue
		}
		raw, err := c.read(p)
		if err != nil {
			return nil, err
		}
		ti, err := disk.DecodeTagIndex(raw, n.Ino, n.Generation, uint32(i), c.sb)
		if err != nil {
			return nil, err
		}
		if ti.Empty() {
			return nil, fmt.Errorf("inode %d: tag index block %d points to no tag block", n.Ino, i)
		}
		blocks = append(blocks, p)
		for j, t := range ti.Tags {
			if t != 0 {
				tags[uint64(i)*disk.TagsPerIndex+uint64(j)] = t
			}
		}
	}
	mapped := map[uint64]bool{}
	for _, e := range n.Extents {
		for lb := uint64(e.Logical); lb < e.End(); lb++ {
			if tags[lb/disk.TagsPerBlock] == 0 {
				return nil, fmt.Errorf("inode %d: file block %d is mapped but has no tag block", n.Ino, lb)
			}
			mapped[lb] = true
		}
	}
	for _, idx := range sortedKeys(tags) {
		t := tags[idx]
		raw, err := c.read(t)
		if err != nil {
			return nil, err
		}
		tb, err := disk.DecodeTagBlock(raw, n.Ino, n.Generation, uint32(idx))
		if err != nil {
			return nil, err
		}
		stale := false
		for j := range tb.Entries {
			lb := idx*disk.TagsPerBlock + uint64(j)
			switch z := tb.Entries[j].IsZero(); {
			case mapped[lb] && z:
				return nil, fmt.Errorf("inode %d: file block %d is mapped but has no nonce and tag", n.Ino, lb)
			case !mapped[lb] && !z:
				c.problem("inode %d: tag entry for file block %d, which is not mapped; the entry is cleared", n.Ino, lb)
				tb.Entries[j] = disk.TagEntry{}
				stale = true
			}
		}
		if stale && c.repair {
			c.overlay[t] = tb.Encode()
		}
		blocks = append(blocks, t)
	}
	return blocks, nil
}
