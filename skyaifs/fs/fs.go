// Package fs is the SKYAIFS filesystem: files, directories and symbolic
// links on a block.Device, crash-safe through a metadata journal with
// ordered data.
//
// # Design
//
// Every change to metadata (inodes, directory buckets, extent chains, the
// block bitmap) is made to an in-memory copy of its block and recorded in
// the running transaction. File data is buffered too. A transaction commits
// on Fsync, Sync, Unmount, or when it grows large; commit (txn.go) writes the
// data blocks first, flushes, then logs the metadata blocks in the journal
// and writes them home (package journal). This is ext4's data=ordered: a
// committed inode never points at blocks whose data has not reached the disk,
// and a block freed by a transaction is not reused until that transaction
// has committed, so no file can ever show another file's old data.
//
// Every operation is atomic with respect to crashes (it lies entirely inside
// one transaction) and with respect to errors: an operation that fails
// undoes its changes to the in-memory state (the undo log in txn.go) before
// returning, so a failed call changes nothing.
//
// Rejected alternatives: copy-on-write (a B-tree of everything, as in btrfs)
// gives cheap snapshots but needs reference-counted trees and garbage
// collection, far more code than a one-transaction journal; soft updates
// need precise dependency tracking per block.
//
// Encrypted files (crypt.go) are the one place with copy-on-write: the data
// blocks only, so that each block changes together with its nonce and
// authentication tag, which are journaled metadata.
//
// # Guarantees
//
// File.Sync (fsync) returns after the file's data and metadata, and every
// other change made before it (including the names of the file), are
// durable. Sync does the same for everything. Without them, a crash keeps
// a prefix of the operations in the order they were made, at the
// granularity of transactions.
//
// # Errors
//
// Errors are *fs.PathError (io/fs) or *os.LinkError (Link, Rename) wrapping a syscall.Errno
// from golang.org/x/sys/unix (ENOENT, EEXIST, ENOTDIR, EISDIR, ENOTEMPTY,
// EINVAL, ENOSPC, ENAMETOOLONG, ELOOP, EPERM, EBADF, EFBIG, EBUSY, EIO), so
// callers can test either errors.Is(err, unix.ENOTEMPTY) or
// errors.Is(err, fs.ErrNotExist). EIO also wraps disk.ErrCorrupt when
// corrupt metadata was found, or the block device's error.
//
// # Concurrency
//
// An FS is safe for concurrent use; one mutex (FS.mu) serialises all
// operations. There is no lock order to keep.
package fs

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/journal"
	"golang.org/x/sys/unix"
)

// Options tune Mkfs and Mount. The zero value is usable.
type Options struct {
	// Inodes is the inode table size for Mkfs (0: one per 4 blocks).
	Inodes uint64
	// Now is the clock for timestamps (nil: time.Now).
	Now func() time.Time
	// UID and GID own new files and directories (the service maps container
	// identities onto them later).
	UID, GID uint32
	// Seed, if not zero, fixes Mkfs's directory hash seed and UUID (tests
	// use it for reproducible images).
	Seed uint64
	// Keys provides the key-encryption keys of encrypted directories and
	// files (crypt.go). Nil: encrypted files cannot be read, written or
	// created (ErrNoKey); everything else works.
	Keys KeyProvider
	// DirtyLimit bounds the file data (bytes) buffered since the last commit:
	// an operation that finds this much buffered commits the running
	// transaction first, so a writer that never calls fsync still works in
	// bounded memory (0: 16 MiB). A service derives it from its memory budget.
	DirtyLimit uint64
	// CacheLimit bounds the metadata blocks (bytes) kept cached: past it, the
	// clean ones are dropped (they are on disk). 0: 256 MiB. It is raised to
	// what one transaction needs.
	CacheLimit uint64

	// defragExtents, if not zero, replaces defragAbove's threshold (tests
	// use it to exercise rewriteWindow on small files).
	defragExtents int
	// tinyCaches drops the caches whenever it may (tests: nothing read may
	// depend on what happens to be cached).
	tinyCaches bool
}

// FS is a mounted filesystem.
type FS struct {
	mu   sync.Mutex
	dev  block.Device     // immutable
	sb   *disk.Superblock // immutable, except that SetEncryption replaces it (under mu) to set a feature flag
	opts Options          // immutable

	// Metadata cache (txn.go). Protected by mu.
	meta  map[uint64][]byte // block -> current contents
	dirty map[uint64]bool   // blocks changed by the running transaction
	data  map[uint64][]byte // file data blocks written since the last commit
	undo  []func()          // the running operation's undo log; nil outside an operation
	inOp  bool
	seq   uint64 // sequence number of the next transaction
	// dataLimit and cacheLimit are DirtyLimit and CacheLimit in blocks (limits).
	dataLimit, cacheLimit int
	usage                 Usage // commits and the peak of buffered data
	// broken is set when a commit failed: the on-disk state is unknown until
	// the next mount replays the journal, so every later call fails.
	broken error

	// Allocators (alloc.go). Protected by mu.
	used        []byte   // block bitmap as of the last commit plus this transaction's allocations
	nfree       uint64   // clear bits in used
	pendingFree []uint64 // blocks freed by the running transaction
	cursor      uint64   // where the next new file's search for free blocks starts
	inodeUsed   []bool   // inode slot in use
	nfreeInodes uint64
	inoHint     uint64 // allocInode's next-fit position
	// fresh holds the blocks allocated by the running transaction: nothing
	// committed points at them, so encrypted data may be rewritten there in
	// place (crypt.go). Cleared at commit.
	fresh map[uint64]bool

	// Decoded caches, rebuilt from meta on demand. Protected by mu.
	inodes  map[uint64]*inode
	dirs    map[uint64]*dirIndex
	buckets map[uint64]*disk.Bucket // decoded directory buckets by disk block
	open    map[uint64]int          // open File handles per inode
	keys    map[uint64]*fileKey     // unwrapped data keys of encrypted files, by inode
	closed  bool
}

// Stat describes a file, like struct stat.
type Stat struct {
	Ino        uint64
	Mode       uint32 // type | permissions (disk.TypeFile, TypeDir, TypeLink)
	Nlink      uint32
	UID, GID   uint32
	Size       uint64
	Blocks     uint64 // 4096-byte blocks allocated to data (and extent chain, crypt extension and tag blocks)
	Generation uint32
	Encrypted  bool // an encrypted file, or a directory with an encryption policy
	Atime      time.Time
	Mtime      time.Time
	Ctime      time.Time
	Btime      time.Time
}

// IsDir reports whether the file is a directory.
func (s Stat) IsDir() bool { return s.Mode&disk.TypeMask == disk.TypeDir }

// DirEntry is one name in a directory.
type DirEntry struct {
	Name string
	Ino  uint64
	Mode uint32 // type bits only
}

// Statfs describes the filesystem, like struct statfs.
type Statfs struct {
	BlockSize   uint64
	Blocks      uint64 // whole disk
	DataBlocks  uint64 // the data area
	FreeBlocks  uint64
	Inodes      uint64 // usable inode numbers
	FreeInodes  uint64
	MaxName     uint64
	JournalSize uint64 // blocks
}

// Mkfs writes an empty filesystem (a root directory, mode 0755) on dev,
// replacing whatever it held.
func Mkfs(dev block.Device, opts Options) error {
	sb, err := disk.Geometry(dev.Blocks(), opts.Inodes)
	if err != nil {
		return err
	}
	now := opts.now()
	sb.Created = now.UnixNano()
	if opts.Seed != 0 {
		sb.HashSeed = opts.Seed
		binary.LittleEndian.PutUint64(sb.UUID[:], opts.Seed)
		binary.LittleEndian.PutUint64(sb.UUID[8:], ^opts.Seed)
	} else {
		var r [24]byte
		if _, err := rand.Read(r[:]); err != nil {
			return err
		}
		sb.HashSeed = binary.LittleEndian.Uint64(r[:])
		sb.UUID = [16]byte(r[8:])
	}
	zero := make([]byte, 64*block.Size)
	// Clear the journal and the inode table (free inodes are zero bytes).
	for _, r := range [][2]uint64{{sb.JournalStart, sb.JournalBlocks}, {sb.InodeStart, sb.InodeBlocks}} {
		for b := r[0]; b < r[0]+r[1]; b += 64 {
			n := min(64, r[0]+r[1]-b)
			if err := dev.WriteBlocks(b, zero[:n*block.Size]); err != nil {
				return err
			}
		}
	}
	// Bitmap: the metadata region and the root's first bucket are in use.
	rootBlk := sb.DataStart
	bits := make([]byte, sb.BitmapBlocks*block.Size)
	for b := uint64(0); b <= rootBlk; b++ {
		bits[b/8] |= 1 << (b % 8)
	}
	per := uint64(disk.BitsPerBitmapBlock / 8)
	for i := range sb.BitmapBlocks {
		if err := dev.WriteBlocks(sb.BitmapStart+i, disk.EncodeBitmap(i, bits[i*per:(i+1)*per])); err != nil {
			return err
		}
	}
	root := disk.Inode{Ino: disk.RootIno, Mode: disk.TypeDir | 0o755, UID: opts.UID, GID: opts.GID, Nlink: 2,
		Size: block.Size, Atime: sb.Created, Mtime: sb.Created, Ctime: sb.Created, Btime: sb.Created,
		Generation: 1, Parent: disk.RootIno, Extents: []disk.Extent{{Logical: 0, Length: 1, Physical: rootBlk}}}
	blk, off := sb.InodeBlock(disk.RootIno)
	ib := make([]byte, block.Size)
	root.Encode(ib[off:])
	if err := dev.WriteBlocks(blk, ib); err != nil {
		return err
	}
	bucket := disk.Bucket{Dir: disk.RootIno}
	if err := dev.WriteBlocks(rootBlk, bucket.Encode()); err != nil {
		return err
	}
	if err := dev.Flush(); err != nil {
		return err
	}
	// The superblock goes last: a crash during mkfs leaves no valid filesystem.
	return dev.WriteFUA(0, sb.Encode())
}

func (o Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// Mount opens the filesystem on dev: it validates the superblock, replays
// the journal, loads the block bitmap and the inode table, and frees orphans
// (inodes no directory names, left by a crash while they were open). It
// refuses a disk whose metadata it finds corrupt (run fsck). The caller keeps
// ownership of dev and closes it after Unmount.
func Mount(dev block.Device, opts Options) (*FS, error) {
	b := make([]byte, block.Size)
	if err := dev.ReadBlocks(0, b); err != nil {
		return nil, eio("mount", err)
	}
	sb, err := disk.DecodeSuperblock(b)
	if err != nil {
		return nil, eio("mount", err)
	}
	if sb.Blocks != dev.Blocks() {
		return nil, eio("mount", fmt.Errorf("%w: superblock says %d blocks, device has %d", disk.ErrCorrupt, sb.Blocks, dev.Blocks()))
	}
	t, err := journal.Replay(dev, sb)
	if err != nil {
		return nil, eio("mount", err)
	}
	f := &FS{dev: dev, sb: sb, opts: opts, seq: 1,
		meta: map[uint64][]byte{}, dirty: map[uint64]bool{}, data: map[uint64][]byte{},
		inodes: map[uint64]*inode{}, dirs: map[uint64]*dirIndex{}, buckets: map[uint64]*disk.Bucket{}, open: map[uint64]int{},
		fresh: map[uint64]bool{}, keys: map[uint64]*fileKey{}}
	f.limits()
	if t != nil {
		f.seq = t.Seq + 1
	} else {
		// A fresh random sequence number, so a transaction of this mount
		// never shares its number with an old one whose copies and commit
		// block may still sit in the journal (the payload checksum already
		// tells them apart; this makes even identical descriptors unlikely).
		var r [8]byte
		if _, err := rand.Read(r[:]); err != nil {
			return nil, eio("mount", err)
		}
		f.seq = binary.LittleEndian.Uint64(r[:]) >> 1
	}
	if err := f.loadBitmap(); err != nil {
		return nil, eio("mount", err)
	}
	orphans, err := f.loadInodes()
	if err != nil {
		return nil, eio("mount", err)
	}
	root, err := f.getInode(disk.RootIno)
	if err != nil {
		return nil, eio("mount", err)
	}
	if root.Type() != disk.TypeDir {
		return nil, eio("mount", fmt.Errorf("%w: root inode is not a directory", disk.ErrCorrupt))
	}
	f.cursor = sb.DataStart
	if len(orphans) > 0 {
		for _, ino := range orphans {
			if err := f.do(func() error { return f.freeInode(ino) }); err != nil {
				return nil, eio("mount", err)
			}
		}
		if err := f.commit(); err != nil {
			return nil, eio("mount", err)
		}
	}
	return f, nil
}

// Unmount commits everything, frees unlinked files that were still open, and
// makes the FS unusable. Open Files become invalid.
func (f *FS) Unmount() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("unmount"); err != nil {
		return err
	}
	for ino := range f.open {
		delete(f.open, ino)
		if err := f.do(func() error { return f.maybeFree(ino) }); err != nil {
			return wrap("unmount", "/", err)
		}
	}
	if err := f.commit(); err != nil {
		return wrap("unmount", "/", err)
	}
	// Everything is checkpointed: retire the logged transaction so the next
	// mount has nothing to replay and fsck sees the disk as it is.
	if err := journal.Retire(f.dev, f.sb); err != nil {
		f.broken = err
		return wrap("unmount", "/", err)
	}
	f.closed = true
	return nil
}

// Sync makes every change made so far durable.
func (f *FS) Sync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("sync"); err != nil {
		return err
	}
	return wrap("sync", "/", f.commit())
}

// Statfs reports sizes and free space.
func (f *FS) Statfs() (Statfs, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("statfs"); err != nil {
		return Statfs{}, err
	}
	return Statfs{BlockSize: block.Size, Blocks: f.sb.Blocks, DataBlocks: f.sb.Blocks - f.sb.DataStart,
		FreeBlocks: f.nfree + uint64(len(f.pendingFree)), Inodes: f.sb.Inodes - 1, FreeInodes: f.nfreeInodes,
		MaxName: disk.MaxName, JournalSize: f.sb.JournalBlocks}, nil
}

// Superblock returns a copy of the superblock.
func (f *FS) Superblock() disk.Superblock {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.sb
}

// usable fails if the FS was unmounted or broken by a failed commit.
func (f *FS) usable(op string) error {
	if f.closed {
		return &fs.PathError{Op: op, Path: "/", Err: unix.EBADF}
	}
	if f.broken != nil {
		return &fs.PathError{Op: op, Path: "/", Err: ioError{f.broken}}
	}
	return nil
}

// ioError is EIO carrying its cause: errors.Is matches both unix.EIO and the
// cause (disk.ErrCorrupt, block.ErrGone, ...).
type ioError struct{ cause error }

func (e ioError) Error() string { return "input/output error: " + e.cause.Error() }
func (e ioError) Unwrap() []error {
	return []error{unix.EIO, e.cause}
}

func eio(op string, err error) error {
	return &fs.PathError{Op: op, Path: "/", Err: ioError{err}}
}

// wrap turns an internal error into a *fs.PathError: errno values pass
// through, anything else (device errors, corruption) becomes EIO.
func wrap(op, path string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	var en unix.Errno
	if errors.As(err, &en) {
		return &fs.PathError{Op: op, Path: path, Err: err}
	}
	return &fs.PathError{Op: op, Path: path, Err: ioError{err}}
}
