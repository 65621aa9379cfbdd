package fs

import (
	"io"
	iofs "io/fs"
	"os"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// File is an open regular file (or directory, for Stat and Sync). Its
// methods are safe for concurrent use (they take the FS lock); the offset
// used by Read, Write and Seek is shared by all users of the File.
type File struct {
	fs     *FS
	ino    uint64 // immutable
	path   string // for error messages; immutable
	flags  int    // immutable
	off    int64  // protected by fs.mu
	closed bool   // protected by fs.mu
}

// Open flags are the os package's: os.O_RDONLY, O_WRONLY, O_RDWR, O_CREATE,
// O_EXCL, O_TRUNC, O_APPEND.
const accMode = os.O_RDONLY | os.O_WRONLY | os.O_RDWR

// Create creates or truncates path and opens it for reading and writing.
func (d *Dir) Create(path string, perm uint32) (*File, error) {
	return d.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, perm)
}

// Open opens path for reading.
func (d *Dir) Open(path string) (*File, error) { return d.OpenFile(path, os.O_RDONLY, 0) }

// OpenFile opens path with os-style flags, creating it with permissions perm
// under O_CREATE. Directories can be opened read-only.
func (d *Dir) OpenFile(path string, flags int, perm uint32) (*File, error) {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("open"); err != nil {
		return nil, err
	}
	var ino uint64
	err := f.do(func() error {
		r, err := d.walk(path, true)
		if err != nil {
			return err
		}
		if r.ino == 0 {
			if flags&os.O_CREATE == 0 {
				return unix.ENOENT
			}
			n, err := f.create(d.cred, r, disk.TypeFile|perm&disk.PermMask)
			if err != nil {
				return err
			}
			ino = n.Ino
			return nil
		}
		if flags&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL {
			return unix.EEXIST
		}
		n, err := f.getInode(r.ino)
		if err != nil {
			return err
		}
		if r.trail && n.Type() != disk.TypeDir {
			return unix.ENOTDIR
		}
		if n.Type() == disk.TypeDir && (flags&accMode != os.O_RDONLY || flags&os.O_TRUNC != 0) {
			return unix.EISDIR
		}
		if n.Type() == disk.TypeFifo {
			return unix.ENXIO // no data to open here: its readers and writers meet in a personality
		}
		if err := d.cred.check(n, openAccess(flags)); err != nil {
			return err
		}
		if flags&os.O_TRUNC != 0 && flags&accMode != os.O_RDONLY && n.Size > 0 {
			if err := f.truncate(n, 0); err != nil {
				return err
			}
		}
		ino = n.Ino
		return nil
	})
	if err != nil {
		return nil, wrap("open", path, err)
	}
	f.open[ino]++
	return &File{fs: f, ino: ino, path: path, flags: flags}, nil
}

// check validates the handle for an operation wanting read or write access.
func (h *File) check(op string, write bool) (*inode, error) {
	f := h.fs
	if err := f.usable(op); err != nil {
		return nil, err
	}
	if h.closed {
		return nil, &iofs.PathError{Op: op, Path: h.path, Err: iofs.ErrClosed}
	}
	acc := h.flags & accMode
	if (write && acc == os.O_RDONLY) || (!write && acc == os.O_WRONLY) {
		return nil, &iofs.PathError{Op: op, Path: h.path, Err: unix.EBADF}
	}
	n, err := f.getInode(h.ino)
	if err != nil {
		return nil, wrap(op, h.path, err)
	}
	return n, nil
}

// ReadAt reads len(b) bytes at offset off (pread). It returns io.EOF when it
// reads fewer because the file ends.
func (h *File) ReadAt(b []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	return h.readAtLocked(b, off)
}

func (h *File) readAtLocked(b []byte, off int64) (int, error) {
	n, err := h.check("read", false)
	if err != nil {
		return 0, err
	}
	if n.Type() == disk.TypeDir {
		return 0, &iofs.PathError{Op: "read", Path: h.path, Err: unix.EISDIR}
	}
	if off < 0 {
		return 0, &iofs.PathError{Op: "read", Path: h.path, Err: unix.EINVAL}
	}
	if uint64(off) >= n.Size {
		return 0, io.EOF
	}
	k := int(min(uint64(len(b)), n.Size-uint64(off)))
	if err := h.fs.readData(n, uint64(off), b[:k]); err != nil {
		return 0, wrap("read", h.path, err)
	}
	if k < len(b) {
		return k, io.EOF
	}
	return k, nil
}

// Read reads from the file offset.
func (h *File) Read(b []byte) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	k, err := h.readAtLocked(b, h.off)
	h.off += int64(k)
	if err == io.EOF && k > 0 {
		err = nil
	}
	return k, err
}

// WriteAt writes b at offset off (pwrite), extending the file as needed.
// Large writes are several operations: a crash (or ENOSPC) in the middle
// leaves a prefix of the write, and the count returned says how much.
func (h *File) WriteAt(b []byte, off int64) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	return h.writeAtLocked(b, off)
}

func (h *File) writeAtLocked(b []byte, off int64) (int, error) {
	f := h.fs
	if _, err := h.check("write", true); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &iofs.PathError{Op: "write", Path: h.path, Err: unix.EINVAL}
	}
	done := 0
	for done < len(b) || len(b) == 0 {
		var k int
		err := f.do(func() error {
			n, err := f.getInode(h.ino)
			if err != nil {
				return err
			}
			at := uint64(off) + uint64(done)
			chunk := b[done:min(len(b), done+writeChunk*block.Size-int(at%block.Size))]
			k, err = f.writeAt(n, chunk, at)
			return err
		})
		done += k
		if err != nil {
			return done, wrap("write", h.path, err)
		}
		if k == 0 && len(b) > 0 {
			return done, wrap("write", h.path, unix.ENOSPC) // no progress: never spin
		}
		if len(b) == 0 {
			break
		}
	}
	return done, nil
}

// Write writes at the file offset (at the end under O_APPEND).
func (h *File) Write(b []byte) (int, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if h.flags&os.O_APPEND != 0 {
		if n, err := h.check("write", true); err != nil {
			return 0, err
		} else {
			h.off = int64(n.Size)
		}
	}
	k, err := h.writeAtLocked(b, h.off)
	h.off += int64(k)
	return k, err
}

// writeAt writes b at offset off of n within the running operation. It may
// write less than len(b) (fragmented free space); it returns how much it
// wrote.
func (f *FS) writeAt(n *inode, b []byte, off uint64) (int, error) {
	if n.Type() == disk.TypeDir {
		return 0, unix.EISDIR
	}
	end := off + uint64(len(b))
	if end > disk.MaxFileBlocks*block.Size || end < off {
		return 0, unix.EFBIG
	}
	if len(b) == 0 {
		return 0, nil
	}
	if n.crypt != nil {
		return f.writeAtCrypt(n, b, off)
	}
	first := off / block.Size
	last := (end - 1) / block.Size
	// Blocks that are holes now get freshly allocated blocks, whose old
	// contents (another file's, once) must never show: they start as zeros.
	fresh := map[uint64]bool{}
	for lb := first; lb <= last; lb++ {
		if n.lookupBlock(lb) == 0 {
			fresh[lb] = true
		}
	}
	got, err := f.mapBlocks(n, first, int(last-first+1))
	if got == 0 {
		return 0, err
	}
	written := 0
	for lb := first; lb < first+uint64(got); lb++ {
		p := n.lookupBlock(lb)
		in := 0
		if lb == first {
			in = int(off % block.Size)
		}
		k := min(block.Size-in, len(b)-written)
		var blk []byte
		if in == 0 && k == block.Size {
			blk = make([]byte, block.Size)
		} else if fresh[lb] {
			blk = make([]byte, block.Size)
		} else if blk, err = f.readBlock(p); err != nil {
			return 0, err
		}
		copy(blk[in:], b[written:written+k])
		f.writeBlockData(p, blk)
		written += k
	}
	if e := off + uint64(written); e > n.Size {
		n.Size = e
	}
	now := f.opts.now().UnixNano()
	n.Mtime, n.Ctime = now, now
	return written, f.putInode(n)
}

// Seek sets the offset for Read and Write.
func (h *File) Seek(offset int64, whence int) (int64, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	n, err := h.check("seek", false)
	if err != nil && h.flags&accMode == os.O_WRONLY {
		n, err = h.check("seek", true)
	}
	if err != nil {
		return 0, err
	}
	var base int64
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		base = h.off
	case io.SeekEnd:
		base = int64(n.Size)
	default:
		return 0, &iofs.PathError{Op: "seek", Path: h.path, Err: unix.EINVAL}
	}
	if base+offset < 0 {
		return 0, &iofs.PathError{Op: "seek", Path: h.path, Err: unix.EINVAL}
	}
	h.off = base + offset
	return h.off, nil
}

// Truncate sets the file's size (ftruncate).
func (h *File) Truncate(size int64) error {
	f := h.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := h.check("truncate", true); err != nil {
		return err
	}
	return wrap("truncate", h.path, f.do(func() error {
		n, err := f.getInode(h.ino)
		if err != nil {
			return err
		}
		return f.truncate(n, size)
	}))
}

// Stat describes the open file.
func (h *File) Stat() (Stat, error) {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.usable("stat"); err != nil {
		return Stat{}, err
	}
	if h.closed {
		return Stat{}, &iofs.PathError{Op: "stat", Path: h.path, Err: iofs.ErrClosed}
	}
	n, err := h.fs.getInode(h.ino)
	if err != nil {
		return Stat{}, wrap("stat", h.path, err)
	}
	return statOf(n), nil
}

// Sync (fsync) returns once the file's data and metadata, and every change
// made before the call, are durable.
func (h *File) Sync() error {
	h.fs.mu.Lock()
	defer h.fs.mu.Unlock()
	if err := h.fs.usable("fsync"); err != nil {
		return err
	}
	if h.closed {
		return &iofs.PathError{Op: "fsync", Path: h.path, Err: iofs.ErrClosed}
	}
	return wrap("fsync", h.path, h.fs.commit())
}

// Close releases the handle; an unlinked file's blocks are freed when its
// last handle closes.
func (h *File) Close() error {
	f := h.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if h.closed {
		return &iofs.PathError{Op: "close", Path: h.path, Err: iofs.ErrClosed}
	}
	h.closed = true
	if f.closed || f.broken != nil {
		return nil
	}
	f.open[h.ino]--
	if f.open[h.ino] > 0 {
		return nil
	}
	delete(f.open, h.ino)
	return wrap("close", h.path, f.do(func() error { return f.maybeFree(h.ino) }))
}

// ReadFile returns the contents of file path.
func (d *Dir) ReadFile(path string) ([]byte, error) {
	h, err := d.Open(path)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	st, err := h.Stat()
	if err != nil {
		return nil, err
	}
	b := make([]byte, st.Size)
	k, err := h.ReadAt(b, 0)
	if err != nil && !(err == io.EOF && k == len(b)) {
		return nil, err
	}
	return b[:k], nil
}

// WriteFile creates or truncates path and writes data to it (not synced).
func (d *Dir) WriteFile(path string, data []byte, perm uint32) error {
	h, err := d.Create(path, perm)
	if err != nil {
		return err
	}
	if _, err := h.WriteAt(data, 0); err != nil {
		h.Close()
		return err
	}
	return h.Close()
}

// linkErr wraps an error of a two-path operation as *fs.LinkError.
func linkErr(op, oldpath, newpath string, err error) error {
	if err == nil {
		return nil
	}
	pe := wrap(op, oldpath, err).(*iofs.PathError)
	return &os.LinkError{Op: op, Old: oldpath, New: newpath, Err: pe.Err}
}
