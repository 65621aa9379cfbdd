package fs

import (
	"os"

	"golang.org/x/sys/unix"
)

// Cred is who acts through a Dir, in the machine's ids: the file service maps a
// container task's ids to the machine's (the kernel's Container.OutsideID, from
// user space ContainerMapID) before it builds the client's Dirs, so a container's
// root (inside uid 0) acts as an unprivileged machine uid and has no authority over
// the machine's files.
//
// A Dir without a Cred (Root, Sub of such a Dir) checks nothing: it is the
// filesystem's own trusted view, used by the host tools, fsck and the service's
// machine-root clients, and by everything written before owners were checked.
type Cred struct {
	UID, GID uint32
}

// Permission bits a check asks for, as in a mode's owner, group or other triple.
const (
	modeSticky = 0o1000 // restricted deletion: only owners remove names
	modeSetgid = 0o2000
	modeSetuid = 0o4000
	permRead   = 4
	permWrite  = 2
	permExec   = 1
)

// As returns a Dir for the same directory whose operations act as c: path lookup
// needs search permission on every directory it passes, reading and writing need
// the file's read and write bits, creating and removing names needs write and search
// on the directory (and, in a sticky directory, owning the name's file or the
// directory), new files and directories are owned by c, only the owner (or machine
// root) may chmod, and chown follows Linux's rules (Chown). Machine root (UID 0) passes every
// permission check, as Linux's CAP_DAC_OVERRIDE; a container's root never is UID 0.
//
// Checks are made once, when a name is resolved or a file opened: an open File keeps
// the access it was opened with, as in POSIX.
func (d *Dir) As(c Cred) *Dir {
	nd := *d
	nd.cred = &c
	return &nd
}

// may reports whether c has every bit of want on n. A nil c is the trusted view.
func (c *Cred) may(n *inode, want uint32) bool {
	if c == nil || c.UID == 0 {
		return true
	}
	mode := n.Mode & 0o777
	var bits uint32
	switch {
	case n.UID == c.UID:
		bits = mode >> 6
	case n.GID == c.GID:
		bits = mode >> 3 & 7
	default:
		bits = mode & 7
	}
	return bits&want == want
}

// check is may as an error: EACCES when refused.
func (c *Cred) check(n *inode, want uint32) error {
	if !c.may(n, want) {
		return unix.EACCES
	}
	return nil
}

// owns reports whether c may change n's attributes (chmod): its owner or root.
func (c *Cred) owns(n *inode) bool {
	return c == nil || c.UID == 0 || c.UID == n.UID
}

// mayChown checks that c may set n's owner to uid and group to gid (IDUnchanged
// for either leaves it), as Linux's chown_ok and chgrp_ok: machine root may do
// anything; the owner may "set" its own uid and set the group to its own group or
// the file's present one. There are no supplementary groups.
func (c *Cred) mayChown(n *inode, uid, gid uint32) error {
	if c == nil || c.UID == 0 {
		return nil
	}
	if uid != IDUnchanged && (c.UID != n.UID || uid != n.UID) {
		return unix.EPERM
	}
	if gid != IDUnchanged && (c.UID != n.UID || gid != c.GID && gid != n.GID) {
		return unix.EPERM
	}
	return nil
}

// mayUnlink checks that c may remove the name of child from dir: write and search
// on dir, and in a sticky directory (mode 01000, as /tmp) also owning child or dir.
func (c *Cred) mayUnlink(dir, child *inode) error {
	if err := c.check(dir, permWrite|permExec); err != nil {
		return err
	}
	if dir.Mode&modeSticky != 0 && !c.owns(child) && !c.owns(dir) {
		return unix.EACCES
	}
	return nil
}

// owner returns the owner and group of a file c creates.
func (f *FS) owner(c *Cred) (uint32, uint32) {
	if c == nil {
		return f.opts.UID, f.opts.GID
	}
	return c.UID, c.GID
}

// openAccess is the permission an open with os-style flags needs on an existing
// file.
func openAccess(flags int) uint32 {
	var want uint32
	switch flags & accMode {
	case os.O_RDONLY:
		want = permRead
	case os.O_WRONLY:
		want = permWrite
	default:
		want = permRead | permWrite
	}
	if flags&os.O_TRUNC != 0 {
		want |= permWrite
	}
	return want
}
