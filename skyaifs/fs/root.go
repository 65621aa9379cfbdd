package fs

import (
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// Dir is a directory used as the root of a namespace: every path given to
// its methods is resolved inside the directory's subtree, and nothing
// outside it can be named, through ".." or through symbolic links (an
// absolute link target starts from the Dir; ".." at the Dir stays there).
// The FS's own methods are those of the Dir of its root directory.
//
// A Dir names its directory by inode number and generation: if the
// directory is removed, every call fails with ESTALE (even if the inode
// number is reused). Dirs are safe for concurrent use.
type Dir struct {
	fs   *FS    // immutable
	ino  uint64 // immutable
	gen  uint32 // immutable
	cred *Cred  // who acts (nil: trusted, no checks); immutable
	// at, atGen: the directory relative paths start from (At); 0 for ino itself.
	// Immutable.
	at    uint64
	atGen uint32
	// fence: the directory a client mounts somewhere in a larger tree of its own
	// (Fence); 0 for none. Immutable.
	fence uint64
}

// Root returns the Dir of the filesystem's root directory.
func (f *FS) Root() *Dir { return &Dir{fs: f, ino: disk.RootIno} }

// Sub returns the directory path (resolved inside d, following symbolic
// links) as a Dir of its own: a confined view of that subtree.
func (d *Dir) Sub(path string) (*Dir, error) {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("sub"); err != nil {
		return nil, err
	}
	n, err := d.existing(path, true)
	if err != nil {
		return nil, wrap("sub", path, err)
	}
	if n.Type() != disk.TypeDir {
		return nil, wrap("sub", path, unix.ENOTDIR)
	}
	if err := d.cred.check(n, permExec); err != nil {
		return nil, wrap("sub", path, err) // as chdir: the new root must be searchable
	}
	return &Dir{fs: f, ino: n.Ino, gen: n.Generation, cred: d.cred}, nil
}

// At returns a Dir with d's root, acting as d does, whose relative paths start
// from the directory path (resolved in d, following symbolic links), as a
// process's working directory does: ".." and absolute links still stop at d's
// root, which confines it exactly as d. A client whose paths would be longer than
// a request carries (a deep working directory) names them from such a Dir. Like
// Sub, the directory is held by inode and generation: once it is removed, every
// relative path is ESTALE.
func (d *Dir) At(path string) (*Dir, error) {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("at"); err != nil {
		return nil, err
	}
	n, err := d.existing(path, true)
	if err != nil {
		return nil, wrap("at", path, err)
	}
	if n.Type() != disk.TypeDir {
		return nil, wrap("at", path, unix.ENOTDIR)
	}
	if err := d.cred.check(n, permExec); err != nil {
		return nil, wrap("at", path, err) // as chdir: it must be searchable
	}
	nd := *d
	nd.at, nd.atGen = n.Ino, n.Generation
	if n.Ino == d.ino {
		nd.at = 0
	}
	return &nd, nil
}

// Fence returns a Dir like d whose paths report leaving the directory path
// (resolved in d, following links) instead of resolving on: ".." from that
// directory, and a symbolic link with an absolute target anywhere, fail with EREMOTE.
// It is for a client that shows the directory as a mount point in a tree of its own
// (the Linux personality's /tmp): there ".." leads into the client's tree and an
// absolute link starts at the client's root, so the client resolves such paths
// itself. Confinement is unchanged: nothing resolves outside d either way.
func (d *Dir) Fence(path string) (*Dir, error) {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("fence"); err != nil {
		return nil, err
	}
	n, err := d.existing(path, true)
	if err != nil {
		return nil, wrap("fence", path, err)
	}
	if n.Type() != disk.TypeDir {
		return nil, wrap("fence", path, unix.ENOTDIR)
	}
	nd := *d
	nd.fence = n.Ino
	return &nd, nil
}

// start returns the directory d's relative paths start from.
func (d *Dir) start() (uint64, error) {
	if d.at == 0 {
		return d.ino, nil
	}
	if err := d.fs.live(d.at, d.atGen); err != nil {
		return 0, err
	}
	return d.at, nil
}

// Sub is Root().Sub(path).
func (f *FS) Sub(path string) (*Dir, error) { return f.Root().Sub(path) }

// valid checks that d's directory still exists (the root always does).
func (d *Dir) valid() error {
	return d.fs.live(d.ino, d.gen)
}

// live checks that directory ino of generation gen still exists (the root always
// does): ESTALE if not.
func (f *FS) live(ino uint64, gen uint32) error {
	if ino == disk.RootIno {
		return nil
	}
	if ino >= uint64(len(f.inodeUsed)) || !f.inodeUsed[ino] {
		return unix.ESTALE
	}
	n, err := f.getInode(ino)
	if err != nil {
		return err
	}
	if n.Generation != gen || n.Type() != disk.TypeDir || n.Nlink == 0 {
		return unix.ESTALE
	}
	return nil
}

// The FS's namespace operations are its root Dir's; see the Dir methods.

// Mkdir creates directory path with permissions perm.
func (f *FS) Mkdir(path string, perm uint32) error { return f.Root().Mkdir(path, perm) }

// Symlink creates path as a symbolic link to target.
func (f *FS) Symlink(target, path string) error { return f.Root().Symlink(target, path) }

// Readlink returns the target of symbolic link path.
func (f *FS) Readlink(path string) (string, error) { return f.Root().Readlink(path) }

// Stat describes the file path names, following a final symbolic link.
func (f *FS) Stat(path string) (Stat, error) { return f.Root().Stat(path) }

// Lstat is Stat without following a final symbolic link.
func (f *FS) Lstat(path string) (Stat, error) { return f.Root().Lstat(path) }

// Readdir lists directory path, sorted by name.
func (f *FS) Readdir(path string) ([]DirEntry, error) { return f.Root().Readdir(path) }

// Unlink removes the name path of a non-directory.
func (f *FS) Unlink(path string) error { return f.Root().Unlink(path) }

// Rmdir removes empty directory path.
func (f *FS) Rmdir(path string) error { return f.Root().Rmdir(path) }

// Link makes newpath another name for the non-directory oldpath.
func (f *FS) Link(oldpath, newpath string) error { return f.Root().Link(oldpath, newpath) }

// Rename moves oldpath to newpath atomically, replacing newpath if it exists.
func (f *FS) Rename(oldpath, newpath string) error { return f.Root().Rename(oldpath, newpath) }

// Truncate sets the size of file path.
func (f *FS) Truncate(path string, size int64) error { return f.Root().Truncate(path, size) }

// Chmod sets the permission bits of path.
func (f *FS) Chmod(path string, perm uint32) error { return f.Root().Chmod(path, perm) }

// Chown sets the owner and group of path.
func (f *FS) Chown(path string, uid, gid uint32) error { return f.Root().Chown(path, uid, gid) }

// Lchown sets the owner and group of path without following a final symbolic link.
func (f *FS) Lchown(path string, uid, gid uint32) error { return f.Root().Lchown(path, uid, gid) }

// Create creates or truncates path and opens it for reading and writing.
func (f *FS) Create(path string, perm uint32) (*File, error) { return f.Root().Create(path, perm) }

// Open opens path for reading.
func (f *FS) Open(path string) (*File, error) { return f.Root().Open(path) }

// OpenFile opens path with os-style flags (see Dir.OpenFile).
func (f *FS) OpenFile(path string, flags int, perm uint32) (*File, error) {
	return f.Root().OpenFile(path, flags, perm)
}

// ReadFile returns the contents of file path.
func (f *FS) ReadFile(path string) ([]byte, error) { return f.Root().ReadFile(path) }

// WriteFile creates or truncates path and writes data to it (not synced).
func (f *FS) WriteFile(path string, data []byte, perm uint32) error {
	return f.Root().WriteFile(path, data, perm)
}
