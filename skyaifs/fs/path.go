package fs

import (
	"fmt"
	"strings"

	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// maxSymlinks is how many symbolic links one path resolution follows before
// failing with ELOOP (Linux's limit).
const maxSymlinks = 40

// resolved is the outcome of walking a path to its last component.
type resolved struct {
	dir    *inode // the directory holding the last component
	name   string // the last component ("" for "/")
	ino    uint64 // the inode it names, 0 if it does not exist
	trail  bool   // the path ended in "/" (the target must be a directory)
	parent uint64 // dir.Ino
}

// walk resolves path inside d (a relative one from d's start, see At). Intermediate symbolic links are always
// followed; the last component is followed when follow is set. Paths are
// taken from d's root whether or not they start with "/".
//
// Confinement: d's root is the top of everything the walk can reach. ".."
// at the root stays at the root, and an absolute symlink target starts again
// from the root, so no path, however it combines "..", symlinks and names,
// resolves to an inode outside d's subtree. This holds under the FS lock,
// so no concurrent rename can open a gap between a check and a use.
func (d *Dir) walk(path string, follow bool) (resolved, error) {
	if err := d.valid(); err != nil {
		return resolved{}, err
	}
	start := d.ino
	if !strings.HasPrefix(path, "/") {
		var err error
		if start, err = d.start(); err != nil {
			return resolved{}, err // its directory is gone
		}
	}
	links := 0
	return d.fs.walkFrom(d.cred, d.ino, d.fence, start, path, follow, &links)
}

// walkFrom is walk from directory start inside root, acting as c: every directory
// the walk looks a name up in needs c's search permission. With a fence (not 0, see
// Fence), ".." from the fence directory and a symbolic link with an absolute target
// end the walk with EREMOTE.
func (f *FS) walkFrom(c *Cred, root, fence, start uint64, path string, follow bool, links *int) (resolved, error) {
	if strings.HasPrefix(path, "/") {
		start = root
	}
	if len(path) > 4096 {
		return resolved{}, unix.ENAMETOOLONG
	}
	if strings.IndexByte(path, 0) >= 0 {
		// A Linux path cannot hold NUL; a name with one would be stored and then
		// refused by the bucket decoder, leaving its directory unreadable.
		return resolved{}, unix.EINVAL
	}
	trail := strings.HasSuffix(path, "/")
	var parts []string
	for _, p := range strings.Split(path, "/") {
		if p != "" && p != "." {
			parts = append(parts, p)
		}
	}
	cur, err := f.getInode(start)
	if err != nil {
		return resolved{}, err
	}
	if len(parts) == 0 {
		return resolved{dir: cur, ino: cur.Ino, trail: true, parent: cur.Ino}, nil
	}
	for i, p := range parts {
		last := i == len(parts)-1
		if cur.Type() != disk.TypeDir {
			return resolved{}, unix.ENOTDIR
		}
		if len(p) > disk.MaxName {
			return resolved{}, unix.ENAMETOOLONG
		}
		if err := c.check(cur, permExec); err != nil {
			return resolved{}, err
		}
		if p == ".." {
			if cur.Ino == fence {
				return resolved{}, unix.EREMOTE // above the client's mount: its to resolve
			}
			up := cur.Parent
			if cur.Ino == root {
				up = root // the root is its own parent: nothing above it can be named
			}
			next, err := f.getInode(up)
			if err != nil {
				return resolved{}, err
			}
			if last {
				// ".." as the last component names a directory that has no
				// entry we could edit; callers that edit refuse it.
				return resolved{dir: next, name: "..", ino: next.Ino, trail: true, parent: next.Ino}, nil
			}
			cur = next
			continue
		}
		e, err := f.lookup(cur, p)
		if err == unix.ENOENT {
			if last {
				return resolved{dir: cur, name: p, trail: trail, parent: cur.Ino}, nil
			}
			return resolved{}, unix.ENOENT
		}
		if err != nil {
			return resolved{}, err
		}
		if e.Type == disk.EntLink && (!last || follow || trail) {
			*links++
			if *links > maxSymlinks {
				return resolved{}, unix.ELOOP
			}
			ln, err := f.getInode(e.Ino)
			if err != nil {
				return resolved{}, err
			}
			target, err := f.readlink(ln)
			if err != nil {
				return resolved{}, err
			}
			if fence != 0 && strings.HasPrefix(target, "/") {
				return resolved{}, unix.EREMOTE // from the client's root, not this one
			}
			rest := strings.Join(parts[i+1:], "/")
			if trail {
				rest += "/"
			}
			if rest != "" {
				target += "/" + rest
			}
			return f.walkFrom(c, root, fence, cur.Ino, target, follow, links)
		}
		if last {
			return resolved{dir: cur, name: p, ino: e.Ino, trail: trail, parent: cur.Ino}, nil
		}
		next, err := f.getInode(e.Ino)
		if err != nil {
			return resolved{}, err
		}
		if next.Type() == disk.TypeDir && next.Parent != cur.Ino {
			// A directory is named only by its parent; anything else is a
			// corrupt tree (possibly a cycle).
			return resolved{}, fmt.Errorf("%w: directory %d is named in directory %d but its parent is %d", disk.ErrCorrupt, next.Ino, cur.Ino, next.Parent)
		}
		cur = next
	}
	panic("unreachable")
}

// readlink returns a symbolic link's target.
func (f *FS) readlink(n *inode) (string, error) {
	if n.Type() != disk.TypeLink {
		return "", unix.EINVAL
	}
	b := make([]byte, n.Size)
	if err := f.readData(n, 0, b); err != nil {
		return "", err
	}
	return string(b), nil
}
