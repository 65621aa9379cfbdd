package fs

import (
	"fmt"
	"slices"
	"strings"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// Directories (format in disk/bucket.go): extendible hashing. The buckets
// are the directory's file blocks 0..k-1; dirIndex maps each (depth, prefix)
// to its file block, so a lookup reads one bucket whatever the directory's
// size.

type dirIndex struct {
	where  map[uint64]uint64 // depth<<32 | prefix -> file block
	depths []uint8           // depths present, ascending
}

func bucketKey(depth uint8, prefix uint32) uint64 { return uint64(depth)<<32 | uint64(prefix) }

func (x *dirIndex) add(depth uint8, prefix uint32, lb uint64) {
	x.where[bucketKey(depth, prefix)] = lb
	if i, found := slices.BinarySearch(x.depths, depth); !found {
		x.depths = slices.Insert(x.depths, i, depth)
	}
}

// find returns the file block of the bucket that holds hash h.
func (x *dirIndex) find(h uint32) (uint64, bool) {
	for _, d := range x.depths {
		p := uint32(0)
		if d > 0 {
			p = h >> (32 - uint32(d))
		}
		if lb, ok := x.where[bucketKey(d, p)]; ok {
			return lb, true
		}
	}
	return 0, false
}

// index returns directory n's index, reading every bucket on first use.
func (f *FS) index(n *inode) (*dirIndex, error) {
	if x, ok := f.dirs[n.Ino]; ok {
		return x, nil
	}
	x := &dirIndex{where: map[uint64]uint64{}}
	var cover uint64
	for lb := uint64(0); lb < n.Size/block.Size; lb++ {
		k, err := f.bucket(n, lb)
		if err != nil {
			return nil, err
		}
		if _, dup := x.where[bucketKey(k.Depth, k.Prefix)]; dup {
			return nil, fmt.Errorf("%w: directory %d has two buckets for depth %d prefix %#x", disk.ErrCorrupt, n.Ino, k.Depth, k.Prefix)
		}
		x.add(k.Depth, k.Prefix, lb)
		cover += 1 << (32 - uint64(k.Depth))
	}
	if cover != 1<<32 {
		return nil, fmt.Errorf("%w: directory %d's buckets do not cover the hash space", disk.ErrCorrupt, n.Ino)
	}
	f.dirs[n.Ino] = x
	return x, nil
}

// bucket reads and decodes file block lb of directory n.
func (f *FS) bucket(n *inode, lb uint64) (*disk.Bucket, error) {
	p := n.lookupBlock(lb)
	if p == 0 {
		return nil, fmt.Errorf("%w: directory %d has a hole at block %d", disk.ErrCorrupt, n.Ino, lb)
	}
	if k, ok := f.buckets[p]; ok && k.Dir == n.Ino {
		return cloneBucket(k), nil
	}
	b, err := f.readMeta(p)
	if err != nil {
		return nil, err
	}
	k, err := disk.DecodeBucket(b, n.Ino, f.sb)
	if err != nil {
		return nil, err
	}
	f.buckets[p] = cloneBucket(k)
	return k, nil
}

// cloneBucket copies a bucket so that the caller may change it freely.
func cloneBucket(k *disk.Bucket) *disk.Bucket {
	c := *k
	c.Entries = append([]disk.DirEntry(nil), k.Entries...)
	return &c
}

func (f *FS) putBucket(n *inode, lb uint64, k *disk.Bucket) {
	p := n.lookupBlock(lb)
	f.writeMeta(p, k.Encode())
	f.buckets[p] = cloneBucket(k)
}

// lookup finds name in directory n.
func (f *FS) lookup(n *inode, name string) (disk.DirEntry, error) {
	x, err := f.index(n)
	if err != nil {
		return disk.DirEntry{}, err
	}
	lb, ok := x.find(disk.Hash(f.sb.HashSeed, name))
	if !ok {
		return disk.DirEntry{}, fmt.Errorf("%w: directory %d has no bucket for %q", disk.ErrCorrupt, n.Ino, name)
	}
	k, err := f.bucket(n, lb)
	if err != nil {
		return disk.DirEntry{}, err
	}
	for _, e := range k.Entries {
		if e.Name == name {
			return e, nil
		}
	}
	return disk.DirEntry{}, unix.ENOENT
}

// dirAdd adds an entry (the name must not exist), splitting full buckets.
func (f *FS) dirAdd(n *inode, e disk.DirEntry) error {
	x, err := f.index(n)
	if err != nil {
		return err
	}
	h := disk.Hash(f.sb.HashSeed, e.Name)
	for {
		lb, ok := x.find(h)
		if !ok {
			return fmt.Errorf("%w: directory %d has no bucket for %q", disk.ErrCorrupt, n.Ino, e.Name)
		}
		k, err := f.bucket(n, lb)
		if err != nil {
			return err
		}
		if k.Used()+disk.EntrySize(len(e.Name)) <= disk.BucketSpace {
			k.Entries = append(k.Entries, e)
			f.putBucket(n, lb, k)
			return f.touchDir(n)
		}
		if k.Depth == disk.MaxDepth {
			return unix.ENOSPC
		}
		if err := f.split(n, x, lb, k); err != nil {
			return err
		}
	}
}

// split divides full bucket k (file block lb) into two of one more bit.
func (f *FS) split(n *inode, x *dirIndex, lb uint64, k *disk.Bucket) error {
	nlb := n.Size / block.Size
	if _, err := f.mapBlocks(n, nlb, 1); err != nil {
		return err
	}
	n.Size += block.Size
	lo := &disk.Bucket{Dir: n.Ino, Depth: k.Depth + 1, Prefix: k.Prefix << 1}
	hi := &disk.Bucket{Dir: n.Ino, Depth: k.Depth + 1, Prefix: k.Prefix<<1 | 1}
	for _, e := range k.Entries {
		if disk.Selects(hi.Depth, hi.Prefix, disk.Hash(f.sb.HashSeed, e.Name)) {
			hi.Entries = append(hi.Entries, e)
		} else {
			lo.Entries = append(lo.Entries, e)
		}
	}
	f.putBucket(n, lb, lo)
	f.putBucket(n, nlb, hi)
	delete(x.where, bucketKey(k.Depth, k.Prefix))
	x.add(lo.Depth, lo.Prefix, lb)
	x.add(hi.Depth, hi.Prefix, nlb)
	return f.putInode(n)
}

// dirRemove removes name from directory n.
func (f *FS) dirRemove(n *inode, name string) error {
	return f.dirEdit(n, name, func(k *disk.Bucket, i int) { k.Entries = slices.Delete(k.Entries, i, i+1) })
}

// dirReplace points existing entry name at another inode.
func (f *FS) dirReplace(n *inode, name string, ino uint64, typ uint8) error {
	return f.dirEdit(n, name, func(k *disk.Bucket, i int) { k.Entries[i].Ino, k.Entries[i].Type = ino, typ })
}

func (f *FS) dirEdit(n *inode, name string, edit func(k *disk.Bucket, i int)) error {
	x, err := f.index(n)
	if err != nil {
		return err
	}
	lb, ok := x.find(disk.Hash(f.sb.HashSeed, name))
	if !ok {
		return fmt.Errorf("%w: directory %d has no bucket for %q", disk.ErrCorrupt, n.Ino, name)
	}
	k, err := f.bucket(n, lb)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(k.Entries, func(e disk.DirEntry) bool { return e.Name == name })
	if i < 0 {
		return unix.ENOENT
	}
	edit(k, i)
	f.putBucket(n, lb, k)
	return f.touchDir(n)
}

// touchDir updates a directory's times after a change to its entries.
func (f *FS) touchDir(n *inode) error {
	now := f.opts.now().UnixNano()
	n.Mtime, n.Ctime = now, now
	return f.putInode(n)
}

// entries returns every entry of directory n, sorted by name.
func (f *FS) entries(n *inode) ([]disk.DirEntry, error) {
	var all []disk.DirEntry
	for lb := uint64(0); lb < n.Size/block.Size; lb++ {
		k, err := f.bucket(n, lb)
		if err != nil {
			return nil, err
		}
		all = append(all, k.Entries...)
	}
	slices.SortFunc(all, func(a, b disk.DirEntry) int { return strings.Compare(a.Name, b.Name) })
	return all, nil
}

// isEmpty reports whether directory n has no entries.
func (f *FS) isEmpty(n *inode) (bool, error) {
	for lb := uint64(0); lb < n.Size/block.Size; lb++ {
		k, err := f.bucket(n, lb)
		if err != nil {
			return false, err
		}
		if len(k.Entries) > 0 {
			return false, nil
		}
	}
	return true, nil
}

// initDir gives a new directory its first bucket.
func (f *FS) initDir(n *inode) error {
	if _, err := f.mapBlocks(n, 0, 1); err != nil {
		return err
	}
	n.Size = block.Size
	f.putBucket(n, 0, &disk.Bucket{Dir: n.Ino})
	return f.putInode(n)
}
