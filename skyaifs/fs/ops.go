package fs

import (
	"time"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// Namespace operations. Each is one atomic operation (do): it either
// completes or, on error, changes nothing.

// Mkdir creates directory path with permissions perm.
func (d *Dir) Mkdir(path string, perm uint32) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("mkdir"); err != nil {
		return err
	}
	return wrap("mkdir", path, f.do(func() error {
		r, err := d.walk(path, false)
		if err != nil {
			return err
		}
		if r.ino != 0 || r.name == "" || r.name == ".." {
			return unix.EEXIST
		}
		if err := d.cred.check(r.dir, permWrite|permExec); err != nil {
			return err
		}
		n, err := f.newInode(d.cred, disk.TypeDir|perm&disk.PermMask, r.dir.Ino)
		if err != nil {
			return err
		}
		if err := f.initDir(n); err != nil {
			return err
		}
		if err := f.inherit(r.dir, n); err != nil {
			return err
		}
		if err := f.dirAdd(r.dir, disk.DirEntry{Name: r.name, Ino: n.Ino, Type: disk.EntDir}); err != nil {
			return err
		}
		r.dir.Nlink++
		return f.putInode(r.dir)
	}))
}

// create makes a regular file or symlink named by r (which must not exist), as c.
func (f *FS) create(c *Cred, r resolved, mode uint32) (*inode, error) {
	if r.name == "" || r.name == ".." {
		return nil, unix.EEXIST
	}
	if r.trail {
		return nil, unix.EISDIR
	}
	if !disk.ValidName(r.name) {
		return nil, unix.EINVAL
	}
	if err := c.check(r.dir, permWrite|permExec); err != nil {
		return nil, err
	}
	n, err := f.newInode(c, mode, 0)
	if err != nil {
		return nil, err
	}
	if err := f.inherit(r.dir, n); err != nil {
		return nil, err
	}
	if err := f.dirAdd(r.dir, disk.DirEntry{Name: r.name, Ino: n.Ino, Type: disk.EntryType(mode & disk.TypeMask)}); err != nil {
		return nil, err
	}
	return n, nil
}

// Symlink creates path as a symbolic link to target (1..disk.MaxSymlink
// bytes, not checked for existence).
func (d *Dir) Symlink(target, path string) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("symlink"); err != nil {
		return err
	}
	if len(target) == 0 || len(target) > disk.MaxSymlink {
		return wrap("symlink", path, unix.ENAMETOOLONG)
	}
	return wrap("symlink", path, f.do(func() error {
		r, err := d.walk(path, false)
		if err != nil {
			return err
		}
		if r.ino != 0 {
			return unix.EEXIST
		}
		n, err := f.create(d.cred, r, disk.TypeLink|0o777)
		if err != nil {
			return err
		}
		_, err = f.writeAt(n, []byte(target), 0)
		return err
	}))
}

// Mkfifo makes a named pipe at path with permissions perm: an inode with no data
// (the processes that open it keep what passes through; the Linux personality joins
// the opens of one inode).
func (d *Dir) Mkfifo(path string, perm uint32) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("mkfifo"); err != nil {
		return err
	}
	return wrap("mkfifo", path, f.do(func() error {
		r, err := d.walk(path, false)
		if err != nil {
			return err
		}
		if r.ino != 0 {
			return unix.EEXIST
		}
		_, err = f.create(d.cred, r, disk.TypeFifo|perm&disk.PermMask)
		return err
	}))
}

// Readlink returns the target of symbolic link path.
func (d *Dir) Readlink(path string) (string, error) {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("readlink"); err != nil {
		return "", err
	}
	r, err := d.walk(path, false)
	if err == nil && r.ino == 0 {
		err = unix.ENOENT
	}
	if err != nil {
		return "", wrap("readlink", path, err)
	}
	n, err := f.getInode(r.ino)
	if err != nil {
		return "", wrap("readlink", path, err)
	}
	s, err := f.readlink(n)
	return s, wrap("readlink", path, err)
}

// Stat describes the file path names, following a final symbolic link.
func (d *Dir) Stat(path string) (Stat, error) { return d.stat("stat", path, true) }

// Lstat is Stat without following a final symbolic link.
func (d *Dir) Lstat(path string) (Stat, error) { return d.stat("lstat", path, false) }

func (d *Dir) stat(op, path string, follow bool) (Stat, error) {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable(op); err != nil {
		return Stat{}, err
	}
	n, err := d.existing(path, follow)
	if err != nil {
		return Stat{}, wrap(op, path, err)
	}
	return statOf(n), nil
}

// existing resolves path to an existing inode.
func (d *Dir) existing(path string, follow bool) (*inode, error) {
	f := d.fs
	r, err := d.walk(path, follow)
	if err != nil {
		return nil, err
	}
	if r.ino == 0 {
		return nil, unix.ENOENT
	}
	n, err := f.getInode(r.ino)
	if err != nil {
		return nil, err
	}
	if r.trail && n.Type() != disk.TypeDir {
		return nil, unix.ENOTDIR
	}
	return n, nil
}

func statOf(n *inode) Stat {
	return Stat{Ino: n.Ino, Mode: n.Mode, Nlink: n.Nlink, UID: n.UID, GID: n.GID, Size: n.Size,
		Blocks: n.blockCount(), Generation: n.Generation, Encrypted: n.Flags&disk.FlagEncrypted != 0,
		Atime: time.Unix(0, n.Atime), Mtime: time.Unix(0, n.Mtime), Ctime: time.Unix(0, n.Ctime), Btime: time.Unix(0, n.Btime)}
}

// Readdir lists directory path, sorted by name ("." and ".." not included).
func (d *Dir) Readdir(path string) ([]DirEntry, error) {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("readdir"); err != nil {
		return nil, err
	}
	n, err := d.existing(path, true)
	if err != nil {
		return nil, wrap("readdir", path, err)
	}
	if n.Type() != disk.TypeDir {
		return nil, wrap("readdir", path, unix.ENOTDIR)
	}
	if err := d.cred.check(n, permRead); err != nil {
		return nil, wrap("readdir", path, err)
	}
	es, err := f.entries(n)
	if err != nil {
		return nil, wrap("readdir", path, err)
	}
	out := make([]DirEntry, len(es))
	for i, e := range es {
		out[i] = DirEntry{Name: e.Name, Ino: e.Ino, Mode: map[uint8]uint32{disk.EntFile: disk.TypeFile, disk.EntDir: disk.TypeDir, disk.EntLink: disk.TypeLink, disk.EntFifo: disk.TypeFifo}[e.Type]}
	}
	return out, nil
}

// Unlink removes the name path of a non-directory. The file's blocks are
// freed when no name and no open File refers to it any more.
func (d *Dir) Unlink(path string) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("unlink"); err != nil {
		return err
	}
	return wrap("unlink", path, f.do(func() error {
		r, err := d.walk(path, false)
		if err != nil {
			return err
		}
		if r.ino == 0 {
			return unix.ENOENT
		}
		n, err := f.getInode(r.ino)
		if err != nil {
			return err
		}
		if n.Type() == disk.TypeDir {
			return unix.EISDIR
		}
		if r.trail {
			return unix.ENOTDIR
		}
		if err := d.cred.mayUnlink(r.dir, n); err != nil {
			return err
		}
		if err := f.dirRemove(r.dir, r.name); err != nil {
			return err
		}
		return f.dropLink(n)
	}))
}

// dropLink removes one name of non-directory n.
func (f *FS) dropLink(n *inode) error {
	n.Nlink--
	n.Ctime = f.opts.now().UnixNano()
	if err := f.putInode(n); err != nil {
		return err
	}
	return f.maybeFree(n.Ino)
}

// Rmdir removes empty directory path.
func (d *Dir) Rmdir(path string) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("rmdir"); err != nil {
		return err
	}
	return wrap("rmdir", path, f.do(func() error {
		r, err := d.walk(path, false)
		if err != nil {
			return err
		}
		switch {
		case r.name == "":
			return unix.EBUSY
		case r.name == "..":
			return unix.ENOTEMPTY
		case r.ino == 0:
			return unix.ENOENT
		}
		n, err := f.getInode(r.ino)
		if err != nil {
			return err
		}
		if n.Type() != disk.TypeDir {
			return unix.ENOTDIR
		}
		if err := d.cred.mayUnlink(r.dir, n); err != nil {
			return err
		}
		if empty, err := f.isEmpty(n); err != nil {
			return err
		} else if !empty {
			return unix.ENOTEMPTY
		}
		if err := f.dirRemove(r.dir, r.name); err != nil {
			return err
		}
		r.dir.Nlink--
		if err := f.putInode(r.dir); err != nil {
			return err
		}
		n.Nlink = 0
		if err := f.putInode(n); err != nil {
			return err
		}
		return f.maybeFree(n.Ino)
	}))
}

// Link makes newpath another name for the non-directory oldpath.
func (d *Dir) Link(oldpath, newpath string) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("link"); err != nil {
		return err
	}
	return linkErr("link", oldpath, newpath, f.do(func() error {
		n, err := d.existing(oldpath, false)
		if err != nil {
			return err
		}
		if n.Type() == disk.TypeDir {
			return unix.EPERM
		}
		r, err := d.walk(newpath, false)
		if err != nil {
			return err
		}
		if r.ino != 0 || r.name == "" || r.name == ".." {
			return unix.EEXIST
		}
		if r.trail {
			return unix.ENOENT
		}
		if n.Nlink == ^uint32(0) {
			return unix.EMLINK
		}
		if err := d.cred.check(r.dir, permWrite|permExec); err != nil {
			return err
		}
		if err := allowedIn(r.dir, n); err != nil {
			return err
		}
		if err := f.dirAdd(r.dir, disk.DirEntry{Name: r.name, Ino: n.Ino, Type: disk.EntryType(n.Type())}); err != nil {
			return err
		}
		n.Nlink++
		n.Ctime = f.opts.now().UnixNano()
		return f.putInode(n)
	}))
}

// Rename moves oldpath to newpath atomically, replacing newpath if it exists
// (a file by a file, a directory by a directory only if the target is empty).
// At every moment, including after a crash, newpath names either its old
// file or the moved one.
func (d *Dir) Rename(oldpath, newpath string) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("rename"); err != nil {
		return err
	}
	return linkErr("rename", oldpath, newpath, f.do(func() error { return d.rename(oldpath, newpath) }))
}

func (d *Dir) rename(oldpath, newpath string) error {
	f := d.fs
	src, err := d.walk(oldpath, false)
	if err != nil {
		return err
	}
	if src.name == "" || src.name == ".." {
		return unix.EBUSY
	}
	if src.ino == 0 {
		return unix.ENOENT
	}
	dst, err := d.walk(newpath, false)
	if err != nil {
		return err
	}
	if dst.name == "" || dst.name == ".." {
		return unix.EBUSY
	}
	n, err := f.getInode(src.ino)
	if err != nil {
		return err
	}
	isDir := n.Type() == disk.TypeDir
	if (src.trail || dst.trail) && !isDir {
		return unix.ENOTDIR
	}
	if dst.ino == src.ino {
		return nil // the same file: POSIX says do nothing
	}
	if err := d.cred.mayUnlink(src.dir, n); err != nil {
		return err
	}
	if err := d.cred.check(dst.dir, permWrite|permExec); err != nil {
		return err
	}
	if dst.ino != 0 && d.cred != nil {
		victim, err := f.getInode(dst.ino)
		if err != nil {
			return err
		}
		if err := d.cred.mayUnlink(dst.dir, victim); err != nil {
			return err
		}
	}
	if dst.dir.Ino != src.dir.Ino {
		if err := allowedIn(dst.dir, n); err != nil {
			return err
		}
	}
	if isDir {
		// The target's directory must not be the moved directory or inside it.
		for a := dst.dir.Ino; ; {
			if a == n.Ino {
				return unix.EINVAL
			}
			if a == disk.RootIno {
				break
			}
			an, err := f.getInode(a)
			if err != nil {
				return err
			}
			a = an.Parent
		}
	}
	typ := disk.EntryType(n.Type())
	if dst.ino != 0 {
		old, err := f.getInode(dst.ino)
		if err != nil {
			return err
		}
		switch {
		case isDir && old.Type() != disk.TypeDir:
			return unix.ENOTDIR
		case !isDir && old.Type() == disk.TypeDir:
			return unix.EISDIR
		}
		if isDir {
			if empty, err := f.isEmpty(old); err != nil {
				return err
			} else if !empty {
				return unix.ENOTEMPTY
			}
		}
		if err := f.dirReplace(dst.dir, dst.name, n.Ino, typ); err != nil {
			return err
		}
		if isDir {
			dst.dir.Nlink-- // the replaced directory's ".."
			old.Nlink = 0
			if err := f.putInode(old); err != nil {
				return err
			}
			if err := f.maybeFree(old.Ino); err != nil {
				return err
			}
		} else if err := f.dropLink(old); err != nil {
			return err
		}
	} else {
		if !disk.ValidName(dst.name) {
			return unix.EINVAL
		}
		if err := f.dirAdd(dst.dir, disk.DirEntry{Name: dst.name, Ino: n.Ino, Type: typ}); err != nil {
			return err
		}
	}
	// src.dir may be the same directory as dst.dir; re-fetch so both edits
	// apply to one cached inode.
	sdir, err := f.getInode(src.dir.Ino)
	if err != nil {
		return err
	}
	if err := f.dirRemove(sdir, src.name); err != nil {
		return err
	}
	if isDir && sdir.Ino != dst.dir.Ino {
		sdir.Nlink--
		if err := f.putInode(sdir); err != nil {
			return err
		}
		ddir, err := f.getInode(dst.dir.Ino)
		if err != nil {
			return err
		}
		ddir.Nlink++
		if err := f.putInode(ddir); err != nil {
			return err
		}
		n.Parent = ddir.Ino
	}
	n.Ctime = f.opts.now().UnixNano()
	if err := f.putInode(n); err != nil {
		return err
	}
	if isDir && dst.ino != 0 {
		ddir, err := f.getInode(dst.dir.Ino)
		if err != nil {
			return err
		}
		return f.putInode(ddir)
	}
	return nil
}

// Truncate sets the size of file path.
func (d *Dir) Truncate(path string, size int64) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("truncate"); err != nil {
		return err
	}
	return wrap("truncate", path, f.do(func() error {
		n, err := d.existing(path, true)
		if err != nil {
			return err
		}
		if err := d.cred.check(n, permWrite); err != nil {
			return err
		}
		return f.truncate(n, size)
	}))
}

// truncate sets regular file n's size; blocks past it are freed and the
// tail of the last block is zeroed, so a later extension reads zeros.
func (f *FS) truncate(n *inode, size int64) error {
	switch {
	case n.Type() == disk.TypeDir:
		return unix.EISDIR
	case n.Type() != disk.TypeFile:
		return unix.EINVAL
	case size < 0:
		return unix.EINVAL
	case uint64(size) > disk.MaxFileBlocks*block.Size,
		n.crypt != nil && uint64(size) > disk.MaxCryptFileBlocks*block.Size:
		return unix.EFBIG
	}
	ns := uint64(size)
	if ns < n.Size {
		if err := f.truncateBlocks(n, (ns+block.Size-1)/block.Size); err != nil {
			return err
		}
		if n.crypt != nil {
			if err := f.truncateCrypt(n, ns); err != nil {
				return err
			}
		} else if in := ns % block.Size; in != 0 {
			if p := n.lookupBlock(ns / block.Size); p != 0 {
				b, err := f.readBlock(p)
				if err != nil {
					return err
				}
				clear(b[in:])
				f.writeBlockData(p, b)
			}
		}
	}
	n.Size = ns
	now := f.opts.now().UnixNano()
	n.Mtime, n.Ctime = now, now
	return f.putInode(n)
}

// Chmod sets the permission bits of path.
// Acting as a Cred, only the file's owner or machine root may (EPERM).
func (d *Dir) Chmod(path string, perm uint32) error {
	return d.setattr("chmod", path, func(n *inode) error {
		if !d.cred.owns(n) {
			return unix.EPERM
		}
		n.Mode = n.Mode&disk.TypeMask | perm&disk.PermMask
		return nil
	})
}

// TimeOmit, as an argument of Chtimes, leaves that time as it is.
const TimeOmit = -1 << 63

// Chtimes sets the access and modification times of path (Unix nanoseconds; TimeOmit
// leaves one as it is), following a final symbolic link, as utimensat does.
func (d *Dir) Chtimes(path string, atime, mtime int64) error {
	return d.setattr("chtimes", path, func(n *inode) error {
		// Setting explicit times is the owner's (or machine root's) right, as in
		// POSIX; this does not offer the write-permission case of UTIME_NOW.
		if !d.cred.owns(n) {
			return unix.EPERM
		}
		if atime != TimeOmit {
			n.Atime = atime
		}
		if mtime != TimeOmit {
			n.Mtime = mtime
		}
		return nil
	})
}

// IDUnchanged, as the uid or gid of Chown or Lchown, leaves that id as it is
// (Linux's -1).
const IDUnchanged = ^uint32(0)

// Chown sets the owner and group of path (IDUnchanged leaves one), following a
// final symbolic link, with Linux's rules: acting as a Cred that is not machine
// root, the owner may set the uid only to itself and the group only to its own or
// the file's present group; anything else, and anyone else, is EPERM. Giving files
// away would let a container's root escape its quota of ownership, and taking them
// is the authority it must not have. A non-directory loses its set-user-id bit and,
// if group-executable, its set-group-id bit, as on Linux (a file given to another
// owner must not run with that owner's rights by surprise).
func (d *Dir) Chown(path string, uid, gid uint32) error {
	return d.chown("chown", path, uid, gid, true)
}

// Lchown is Chown of a final symbolic link itself.
func (d *Dir) Lchown(path string, uid, gid uint32) error {
	return d.chown("lchown", path, uid, gid, false)
}

func (d *Dir) chown(op, path string, uid, gid uint32, follow bool) error {
	return d.setattrAt(op, path, follow, func(n *inode) error {
		if err := d.cred.mayChown(n, uid, gid); err != nil {
			return err
		}
		if uid != IDUnchanged {
			n.UID = uid
		}
		if gid != IDUnchanged {
			n.GID = gid
		}
		if n.Type() != disk.TypeDir {
			n.Mode &^= modeSetuid
			if n.Mode&0o010 != 0 {
				n.Mode &^= modeSetgid
			}
		}
		return nil
	})
}

func (d *Dir) setattr(op, path string, set func(*inode) error) error {
	return d.setattrAt(op, path, true, set)
}

func (d *Dir) setattrAt(op, path string, follow bool, set func(*inode) error) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable(op); err != nil {
		return err
	}
	return wrap(op, path, f.do(func() error {
		n, err := d.existing(path, follow)
		if err != nil {
			return err
		}
		if err := set(n); err != nil {
			return err
		}
		n.Ctime = f.opts.now().UnixNano()
		return f.putInode(n)
	}))
}
