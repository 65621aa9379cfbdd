package fs

import (
	"fmt"
	"slices"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/journal"
)

// Transactions.
//
// One transaction runs at a time; it collects the metadata blocks changed by
// whole operations (f.dirty) and the file data written by them (f.data).
// An operation runs inside do(), which first commits the running transaction
// if the operation might not fit in what is left of the journal (opBudget),
// and which undoes the operation's in-memory changes if it fails.
//
// commit:
//  1. data blocks are written to their places;
//  2-4. journal.Commit: log + flush, commit record (FUA), checkpoint + flush.
//
// Blocks freed by the transaction become allocatable only after step 4
// (alloc.go), so ordered data never lands in a block that the committed
// state still gives to another file.

const (
	// opBudget is the most metadata blocks one operation may dirty: two
	// directories' buckets (one split each), two directories' and two
	// files' inode blocks, their extent chains, bitmap blocks. Write splits
	// large writes into chunks (writeChunk) to stay under it.
	opBudget = 48
	// defaultDirtyLimit is Options.DirtyLimit's default: commit when 16 MiB
	// of file data are buffered.
	defaultDirtyLimit = 16 << 20
	// defaultCacheLimit is Options.CacheLimit's default: 256 MiB of cached
	// metadata blocks.
	defaultCacheLimit = 256 << 20
	// writeChunk is the most file blocks one write operation allocates.
	writeChunk = 16
)

// capacity returns how many metadata blocks one transaction may hold.
func (f *FS) capacity() int {
	return min(int(f.sb.JournalBlocks)-2, disk.MaxTxnBlocks)
}

// do runs op as one atomic operation: on error, every change op made to the
// in-memory state is undone.
func (f *FS) do(op func() error) error {
	if f.inOp {
		panic("skyaifs: nested operation (an operation must be one atomic unit)")
	}
	if len(f.dirty)+opBudget > f.capacity() || len(f.data) >= f.dataLimit {
		if err := f.commit(); err != nil {
			return err
		}
	}
	if len(f.inodes)+len(f.dirs) > f.cacheLimit {
		// The decoded caches grow with every inode and directory touched; between
		// operations nothing holds their entries, and they are rebuilt from the
		// metadata blocks on demand (as after a failed operation, below).
		clear(f.inodes)
		clear(f.dirs)
	}
	f.inOp, f.undo = true, f.undo[:0]
	err := op()
	f.usage.PeakData = max(f.usage.PeakData, uint64(len(f.data))*block.Size)
	if err == nil && len(f.dirty) > f.capacity() {
		err = fmt.Errorf("operation dirtied %d metadata blocks, over the journal's %d", len(f.dirty), f.capacity())
	}
	if err != nil {
		for i := len(f.undo) - 1; i >= 0; i-- {
			f.undo[i]()
		}
		// Decoded caches may hold state the undo removed from the blocks.
		clear(f.inodes)
		clear(f.dirs)
		clear(f.buckets)
	}
	f.inOp, f.undo = false, f.undo[:0]
	return err
}

// onUndo registers how to reverse a change made by the running operation.
func (f *FS) onUndo(u func()) {
	if f.inOp {
		f.undo = append(f.undo, u)
	}
}

// readMeta returns the current contents of metadata block n (cached; the
// caller must not modify it, use writeMeta).
func (f *FS) readMeta(n uint64) ([]byte, error) {
	if b, ok := f.meta[n]; ok {
		return b, nil
	}
	if n >= f.sb.Blocks {
		return nil, fmt.Errorf("%w: metadata block %d past the end of the disk", disk.ErrCorrupt, n)
	}
	b := make([]byte, block.Size)
	if err := f.dev.ReadBlocks(n, b); err != nil {
		return nil, err
	}
	if len(f.meta) >= f.cacheLimit && len(f.dirty) < len(f.meta)/2 {
		for k := range f.meta { // drop clean blocks; they are on disk
			if !f.dirty[k] {
				delete(f.meta, k)
			}
		}
		clear(f.buckets)
	}
	f.meta[n] = b
	return b, nil
}

// writeMeta replaces metadata block n's contents in the running transaction.
func (f *FS) writeMeta(n uint64, b []byte) {
	old, had := f.meta[n]
	wasDirty := f.dirty[n]
	f.onUndo(func() {
		if had {
			f.meta[n] = old
		} else {
			delete(f.meta, n)
		}
		if !wasDirty {
			delete(f.dirty, n)
		}
	})
	f.meta[n] = b
	f.dirty[n] = true
	delete(f.buckets, n) // putBucket re-adds the bucket it wrote
}

// commit makes the running transaction durable (see the top of this file).
// A failure leaves the FS broken: what reached the disk is settled by the
// journal replay at the next mount.
func (f *FS) commit() error {
	if f.broken != nil {
		return f.broken
	}
	if len(f.dirty) == 0 && len(f.data) == 0 {
		return nil
	}
	if err := f.commitData(); err != nil {
		f.broken = err
		return err
	}
	homes := make([]uint64, 0, len(f.dirty))
	for n := range f.dirty {
		homes = append(homes, n)
	}
	slices.Sort(homes)
	copies := make([][]byte, len(homes))
	for i, n := range homes {
		copies[i] = f.meta[n]
	}
	if len(homes) > 0 {
		if err := journal.Commit(f.dev, f.sb, f.seq, homes, copies); err != nil {
			f.broken = err
			return err
		}
		f.seq++
	} else if err := f.dev.Flush(); err != nil {
		f.broken = err
		return err
	}
	clear(f.dirty)
	clear(f.fresh)
	f.usage.Commits++
	for _, n := range f.pendingFree {
		f.used[n/8] &^= 1 << (n % 8)
		delete(f.meta, n)
		delete(f.buckets, n)
	}
	f.nfree += uint64(len(f.pendingFree))
	f.pendingFree = f.pendingFree[:0]
	return nil
}

// commitData writes the buffered data blocks (runs of consecutive blocks in
// one request) and forgets them.
func (f *FS) commitData() error {
	if len(f.data) == 0 {
		return nil
	}
	blks := make([]uint64, 0, len(f.data))
	for n := range f.data {
		blks = append(blks, n)
	}
	slices.Sort(blks)
	for i := 0; i < len(blks); {
		j := i + 1
		for j < len(blks) && blks[j] == blks[j-1]+1 && j-i < 256 {
			j++
		}
		buf := make([]byte, 0, (j-i)*block.Size)
		for _, n := range blks[i:j] {
			buf = append(buf, f.data[n]...)
		}
		if err := f.dev.WriteBlocks(blks[i], buf); err != nil {
			return err
		}
		i = j
	}
	clear(f.data)
	// A map keeps its buckets after clear: a new one gives back the memory the
	// largest transaction's index took.
	f.data = map[uint64][]byte{}
	return nil
}

// limits derives the commit and cache bounds from the options: at least one
// write operation's worth of data (so every operation can run) and enough
// metadata blocks for a full transaction plus what an operation reads.
func (f *FS) limits() {
	d := f.opts.DirtyLimit
	if d == 0 {
		d = defaultDirtyLimit
	}
	f.dataLimit = max(1, int(d/block.Size))
	c := f.opts.CacheLimit
	if c == 0 {
		c = defaultCacheLimit
	}
	f.cacheLimit = max(2*f.capacity()+4*opBudget, int(c/block.Size))
	if f.opts.tinyCaches {
		f.cacheLimit = 1
	}
}

// Usage is what the FS holds in memory (FS.Usage).
type Usage struct {
	// Data is the file data buffered in the running transaction (bytes); PeakData
	// the most it held since the mount. Both stay below DirtyLimit plus one
	// operation's data (at most a write chunk of 64 KiB, more for an encrypted
	// file's rewritten window).
	Data, PeakData uint64
	// Meta is the metadata cached (bytes), DirtyMeta the part the running
	// transaction changed.
	Meta, DirtyMeta uint64
	// Commits counts the transactions committed since the mount.
	Commits uint64
	// DirtyLimit and CacheLimit are the bounds in force (bytes).
	DirtyLimit, CacheLimit uint64
}

// Usage reports what the FS holds in memory, so a service can show (and tests
// check) that uncommitted data stays bounded.
func (f *FS) Usage() Usage {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.usage
	u.Data = uint64(len(f.data)) * block.Size
	u.Meta = uint64(len(f.meta)) * block.Size
	u.DirtyMeta = uint64(len(f.dirty)) * block.Size
	u.DirtyLimit = uint64(f.dataLimit) * block.Size
	u.CacheLimit = uint64(f.cacheLimit) * block.Size
	return u
}
