package fileproto

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"golang.org/x/sys/unix"
)

// Client is a task's connection to the file server. Its errors are *fs.PathError
// (or *os.LinkError for Rename) wrapping a unix.Errno, as the filesystem's own are,
// so errors.Is(err, fs.ErrNotExist) and errors.Is(err, unix.ENOTEMPTY) work. It is for
// the one thread its Env belongs to.
type Client struct {
	e    *user.Env
	ep   abi.CPtr // the server's endpoint, Write and Grant, with the client's badge
	va   uint64   // the buffer in the client's address space
	size uint64   // its size in bytes
}

// ErrProtocol is wrapped by errors about replies that break the protocol (a server
// that is not a SKYAIFS file server, or a confused one).
var ErrProtocol = errors.New("fileproto: malformed reply")

// Attach gives the server at ep the buffer r (MinBufferPages to MaxBufferPages
// writable pages, no read-only ones) and returns the client. Like the block client
// it grants only a read-only capability to the buffer's capability space, made in
// the free slot scratch of cs and deleted afterwards.
func Attach(e *user.Env, ep abi.CPtr, r *user.Region, cs, scratch abi.CPtr) (*Client, error) {
	if r.InPages != 0 || r.OutPages < MinBufferPages || r.OutPages > MaxBufferPages {
		return nil, fmt.Errorf("fileproto: a buffer of %d to %d writable pages is needed", MinBufferPages, MaxBufferPages)
	}
	if err := e.Copy(cs, scratch, cs, r.CSpace, abi.RightRead); err != nil {
		return nil, err
	}
	defer e.Delete(cs, scratch)
	e.SetMR(0, r.OutPages)
	e.SetCap(0, scratch)
	c := &Client{e: e, ep: ep, va: r.OutputVA(), size: r.OutPages * abi.PageSize}
	if _, _, err := c.callN(LabelAttach, 1, 1); err != nil {
		return nil, &iofs.PathError{Op: "attach", Path: "", Err: err}
	}
	return c, nil
}

// callN makes a request whose words are set, with nw words and nc capabilities, and
// returns the reply's results or its errno.
func (c *Client) callN(label uint64, nw, nc int) (uint64, uint64, error) {
	e := c.e
	if _, err := e.Call(c.ep, abi.NewMsgInfo(label, nw, nc)); err != nil {
		// The server is not there (ended, or the endpoint revoked).
		return 0, 0, fmt.Errorf("%w: file server: %w", unix.EIO, err)
	}
	if en := unix.Errno(e.MR(0)); en != 0 {
		return 0, 0, en
	}
	return e.MR(1), e.MR(2), nil
}

// call sets three words and makes a request.
func (c *Client) call(label, w0, w1, w2 uint64) (uint64, uint64, error) {
	c.e.SetMR(0, w0)
	c.e.SetMR(1, w1)
	c.e.SetMR(2, w2)
	return c.callN(label, 3, 0)
}

// putPaths stores the paths one after the other at the start of the buffer.
func (c *Client) putPaths(paths ...string) error {
	total := 0
	for _, p := range paths {
		if len(p) > PathMax {
			return unix.ENAMETOOLONG
		}
		total += len(p)
	}
	if uint64(total) > c.size {
		return unix.ENAMETOOLONG
	}
	off := c.va
	for _, p := range paths {
		c.e.Store(off, []byte(p))
		off += uint64(len(p))
	}
	return nil
}

// pathCall stores path and makes request label with the path's length in MR0 and
// w1, w2 in MR1, MR2.
func (c *Client) pathCall(op, path string, label, w1, w2 uint64) (uint64, uint64, error) {
	if err := c.putPaths(path); err != nil {
		return 0, 0, &iofs.PathError{Op: op, Path: path, Err: err}
	}
	r1, r2, err := c.call(label, uint64(len(path)), w1, w2)
	if err != nil {
		return 0, 0, &iofs.PathError{Op: op, Path: path, Err: err}
	}
	return r1, r2, nil
}

// File is an open file of the server's.
type File struct {
	c    *Client
	h    uint64
	path string
}

// Open opens path with os.O_* flags (O_RDONLY, O_WRONLY, O_RDWR, O_CREATE, O_EXCL,
// O_TRUNC, O_APPEND), creating it with permissions perm under O_CREATE.
func (c *Client) Open(path string, flags int, perm uint32) (*File, error) {
	w, ok := wireFlags(flags)
	if !ok {
		return nil, &iofs.PathError{Op: "open", Path: path, Err: unix.EINVAL}
	}
	if err := c.putPaths(path); err != nil {
		return nil, &iofs.PathError{Op: "open", Path: path, Err: err}
	}
	h, _, err := c.call(LabelOpen, w, uint64(perm), uint64(len(path)))
	if err != nil {
		return nil, &iofs.PathError{Op: "open", Path: path, Err: err}
	}
	return &File{c: c, h: h, path: path}, nil
}

// Handle returns the server's number for the file.
func (f *File) Handle() uint64 { return f.h }

// FileWithHandle returns a File for a handle number (for tools and tests that pass
// handles around; the server honours only its own client's handles).
func (c *Client) FileWithHandle(h uint64, path string) *File { return &File{c: c, h: h, path: path} }

func (f *File) err(op string, err error) error {
	return &iofs.PathError{Op: op, Path: f.path, Err: err}
}

// ReadAt reads len(b) bytes at off (pread), in requests of at most the buffer's size.
// Like io.ReaderAt it returns io.EOF when fewer bytes are left.
func (f *File) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, f.err("read", unix.EINVAL)
	}
	done := 0
	for done < len(b) {
		want := min(uint64(len(b)-done), f.c.size)
		n, eof, err := f.c.call(LabelPread, f.h, uint64(off)+uint64(done), want)
		if err != nil {
			return done, f.err("read", err)
		}
		if n > want {
			return done, f.err("read", ErrProtocol)
		}
		f.c.e.Load(f.c.va, b[done:done+int(n)])
		done += int(n)
		if eof == 1 || n == 0 {
			return done, io.EOF
		}
	}
	return done, nil
}

// WriteAt writes b at off (pwrite), in requests of at most the buffer's size.
func (f *File) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, f.err("write", unix.EINVAL)
	}
	done := 0
	for done < len(b) {
		want := min(uint64(len(b)-done), f.c.size)
		f.c.e.Store(f.c.va, b[done:done+int(want)])
		n, _, err := f.c.call(LabelPwrite, f.h, uint64(off)+uint64(done), want)
		if err != nil {
			return done, f.err("write", err)
		}
		if n != want {
			return done + int(min(n, want)), f.err("write", io.ErrShortWrite)
		}
		done += int(n)
	}
	return done, nil
}

// Stat describes the open file.
func (f *File) Stat() (skyfs.Stat, error) {
	if _, _, err := f.c.call(LabelFstat, f.h, 0, 0); err != nil {
		return skyfs.Stat{}, f.err("stat", err)
	}
	return f.c.loadStat(), nil
}

// Sync makes the file's data and metadata, and every change before it, durable.
func (f *File) Sync() error {
	if _, _, err := f.c.call(LabelFsync, f.h, 0, 0); err != nil {
		return f.err("sync", err)
	}
	return nil
}

// Truncate sets the file's size.
func (f *File) Truncate(size int64) error {
	if size < 0 {
		return f.err("truncate", unix.EINVAL)
	}
	if _, _, err := f.c.call(LabelFtrunc, f.h, uint64(size), 0); err != nil {
		return f.err("truncate", err)
	}
	return nil
}

// Close closes the file; the handle is invalid afterwards.
func (f *File) Close() error {
	if _, _, err := f.c.call(LabelClose, f.h, 0, 0); err != nil {
		return f.err("close", err)
	}
	return nil
}

func (c *Client) loadStat() skyfs.Stat {
	var b [StatSize]byte
	c.e.Load(c.va, b[:])
	return getStat(b[:])
}

// Stat describes path, following a final symbolic link.
func (c *Client) Stat(path string) (skyfs.Stat, error) {
	if _, _, err := c.pathCall("stat", path, LabelStat, 1, 0); err != nil {
		return skyfs.Stat{}, err
	}
	return c.loadStat(), nil
}

// Lstat describes path without following a final symbolic link.
func (c *Client) Lstat(path string) (skyfs.Stat, error) {
	if _, _, err := c.pathCall("lstat", path, LabelStat, 0, 0); err != nil {
		return skyfs.Stat{}, err
	}
	return c.loadStat(), nil
}

// ReadDir lists a directory, sorted by name, without "." and "..", one buffer-full
// page per request.
func (c *Client) ReadDir(path string) ([]skyfs.DirEntry, error) {
	var all []skyfs.DirEntry
	after := ""
	for {
		if err := c.putPaths(path, after); err != nil {
			return nil, &iofs.PathError{Op: "readdir", Path: path, Err: err}
		}
		n, more, err := c.call(LabelReaddir, uint64(len(path)), uint64(len(after)), 0)
		if err != nil {
			return nil, &iofs.PathError{Op: "readdir", Path: path, Err: err}
		}
		page := make([]byte, c.size)
		c.e.Load(c.va, page)
		es, ok := parseDirents(page, n)
		if !ok || (len(es) > 0 && after != "" && es[0].Name <= after) || (more == 1 && len(es) == 0) {
			return nil, &iofs.PathError{Op: "readdir", Path: path, Err: ErrProtocol}
		}
		all = append(all, es...)
		if more == 0 {
			return all, nil
		}
		after = es[len(es)-1].Name
	}
}

// Mkdir makes a directory.
func (c *Client) Mkdir(path string, perm uint32) error {
	_, _, err := c.pathCall("mkdir", path, LabelMkdir, uint64(perm), 0)
	return err
}

// Mkfifo makes a named pipe at path (LabelMkfifo).
func (c *Client) Mkfifo(path string, perm uint32) error {
	_, _, err := c.pathCall("mkfifo", path, LabelMkfifo, uint64(perm), 0)
	return err
}

// Remove removes a file, symbolic link or empty directory, as os.Remove does.
func (c *Client) Remove(path string) error {
	_, _, err := c.pathCall("remove", path, LabelRemove, RemoveAny, 0)
	return err
}

// Rename renames oldpath to newpath atomically, replacing newpath if it exists.
func (c *Client) Rename(oldpath, newpath string) error {
	lerr := func(err error) error { return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err} }
	if err := c.putPaths(oldpath, newpath); err != nil {
		return lerr(err)
	}
	if _, _, err := c.call(LabelRename, uint64(len(oldpath)), uint64(len(newpath)), 0); err != nil {
		return lerr(err)
	}
	return nil
}

// Truncate sets the size of the file at path.
func (c *Client) Truncate(path string, size int64) error {
	if size < 0 {
		return &iofs.PathError{Op: "truncate", Path: path, Err: unix.EINVAL}
	}
	_, _, err := c.pathCall("truncate", path, LabelTruncate, uint64(size), 0)
	return err
}

// Symlink makes path a symbolic link to target.
func (c *Client) Symlink(target, path string) error {
	if err := c.putPaths(target, path); err != nil {
		return &iofs.PathError{Op: "symlink", Path: path, Err: err}
	}
	if _, _, err := c.call(LabelSymlink, uint64(len(target)), uint64(len(path)), 0); err != nil {
		return &iofs.PathError{Op: "symlink", Path: path, Err: err}
	}
	return nil
}

// Readlink returns a symbolic link's target.
func (c *Client) Readlink(path string) (string, error) {
	n, _, err := c.pathCall("readlink", path, LabelReadlink, 0, 0)
	if err != nil {
		return "", err
	}
	if n > PathMax {
		return "", &iofs.PathError{Op: "readlink", Path: path, Err: ErrProtocol}
	}
	b := make([]byte, n)
	c.e.Load(c.va, b)
	return string(b), nil
}

// Chmod sets the permissions of path.
func (c *Client) Chmod(path string, perm uint32) error {
	_, _, err := c.pathCall("chmod", path, LabelChmod, uint64(perm), 0)
	return err
}

// Chown sets the owner and group of path (machine ids; IDUnchanged leaves one),
// following a final symbolic link.
func (c *Client) Chown(path string, uid, gid uint32) error {
	_, _, err := c.pathCall("chown", path, LabelChown, uint64(uid)|uint64(gid)<<32, 0)
	return err
}

// Lchown is Chown of a final symbolic link itself.
func (c *Client) Lchown(path string, uid, gid uint32) error {
	_, _, err := c.pathCall("lchown", path, LabelChown, uint64(uid)|uint64(gid)<<32, ChownNoFollow)
	return err
}

// Chdir makes directory path the session's working directory: relative paths start
// there from now on (until the next Attach).
func (c *Client) Chdir(path string) error {
	_, _, err := c.pathCall("chdir", path, LabelChdir, 0, 0)
	return err
}

// Fence makes the session report paths that leave directory path, through ".." from
// it or an absolute link target, with EREMOTE (until the next Attach): for a client
// that shows path as a mount point in a tree of its own.
func (c *Client) Fence(path string) error {
	_, _, err := c.pathCall("fence", path, LabelFence, 0, 0)
	return err
}

// Chtimes sets the access and modification times of path (Unix nanoseconds;
// int64(UtimeOmit) leaves one as it is).
func (c *Client) Chtimes(path string, atime, mtime int64) error {
	_, _, err := c.pathCall("chtimes", path, LabelUtimes, uint64(atime), uint64(mtime))
	return err
}

// Link makes newpath a hard link to the file at oldpath.
func (c *Client) Link(oldpath, newpath string) error {
	if err := c.putPaths(oldpath, newpath); err != nil {
		return &os.LinkError{Op: "link", Old: oldpath, New: newpath, Err: err}
	}
	if _, _, err := c.call(LabelLink, uint64(len(oldpath)), uint64(len(newpath)), 0); err != nil {
		return &os.LinkError{Op: "link", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// Statfs describes the filesystem (df).
func (c *Client) Statfs() (skyfs.Statfs, error) {
	if _, _, err := c.call(LabelStatfs, 0, 0, 0); err != nil {
		return skyfs.Statfs{}, &iofs.PathError{Op: "statfs", Path: "/", Err: err}
	}
	var b [StatfsSize]byte
	c.e.Load(c.va, b[:])
	return getStatfs(b[:]), nil
}

// Sync makes every change so far durable.
func (c *Client) Sync() error {
	if _, _, err := c.call(LabelSync, 0, 0, 0); err != nil {
		return &iofs.PathError{Op: "sync", Path: "/", Err: err}
	}
	return nil
}

// Close closes every file the client has open and detaches its buffer.
func (c *Client) Close() error {
	if _, _, err := c.call(LabelDetach, 0, 0, 0); err != nil {
		return &iofs.PathError{Op: "detach", Path: "", Err: err}
	}
	return nil
}
