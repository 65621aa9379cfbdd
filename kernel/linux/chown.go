package linux

import (
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"golang.org/x/sys/unix"
)

// Ownership: chown, fchown, lchown and fchownat, with Linux's rules. The ids a
// process gives are its container's; the personality maps them to the machine's
// through the container's mapping (as it maps the process's own ids), and an id the
// container cannot name is EINVAL, as Linux answers for an id outside the caller's
// user namespace. What may change is decided on the machine's ids: the machine's
// root anything; a file's owner may "set" its own uid and set the group to its own
// group or the file's present one (there are no supplementary groups: getgroups is
// empty); anything else is EPERM. A non-directory loses its set-user-id bit, and its
// set-group-id bit if group-executable. For SKYAIFS the server decides with the
// same rules for the session's credentials (fileproto.LabelChown); in memory the
// personality does.

// fdcwdWord is AT_FDCWD as a system call's argument word (an int, so 32 bits).
const fdcwdWord = uint64(1<<32 + unix.AT_FDCWD)

// idUnchanged is the uid or gid that leaves an id as it is (Linux's -1).
const idUnchanged = ^uint32(0)

// machineOwner maps a chown's uid and gid (the caller's container's ids) to the
// machine's; ok is false if the container cannot name one.
func (p *Process) machineOwner(uid, gid uint32) (muid, mgid uint32, ok bool) {
	if p.task == nil {
		return uid, gid, true
	}
	c := p.task.Container()
	muid, mgid = uid, gid
	if uid != idUnchanged {
		if muid, ok = c.OutsideID(abi.IDUser, uid); !ok {
			return 0, 0, false
		}
	}
	if gid != idUnchanged {
		if mgid, ok = c.OutsideID(abi.IDGroup, gid); !ok {
			return 0, 0, false
		}
	}
	return muid, mgid, true
}

// mayChown is Linux's chown_ok and chgrp_ok for a caller with machine ids who
// (mapped: whether its uid is mapped at all) on a node owned by ouid:ogid.
func mayChown(who kernel.IDs, mapped bool, ouid, ogid, uid, gid uint32) bool {
	if !mapped {
		return false // an unmapped uid is "nobody" of every container: it owns nothing
	}
	if who.UID == 0 {
		return true
	}
	if uid != idUnchanged && (who.UID != ouid || uid != ouid) {
		return false
	}
	return gid == idUnchanged || who.UID == ouid && (gid == who.GID || gid == ogid)
}

// chownArgs turns the uid and gid words of a chown call into machine ids, or the
// call's error.
func (p *Process) chownArgs(a, b uint64) (uint32, uint32, uint64) {
	uid, gid, ok := p.machineOwner(uint32(a), uint32(b))
	if !ok {
		return 0, 0, errno(unix.EINVAL)
	}
	return uid, gid, 0
}

func sysChown(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	return sysFchownat(p, k, t, [6]uint64{fdcwdWord, a[0], a[1], a[2], 0})
}

func sysLchown(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	return sysFchownat(p, k, t, [6]uint64{fdcwdWord, a[0], a[1], a[2], unix.AT_SYMLINK_NOFOLLOW})
}

func sysFchown(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[0] >= maxFDs || p.files[int(a[0])] == nil {
		return errno(unix.EBADF)
	}
	uid, gid, e := p.chownArgs(a[1], a[2])
	if e != 0 {
		return e
	}
	f := p.files[int(a[0])]
	if f.rs != nil {
		return p.remote(k, t, f.rs, chownCall(f.path, uid, gid, true))
	}
	switch f.kind {
	case kindTmp, kindRegular, kindDir, kindNull:
		return p.chown(f.path, uid, gid)
	}
	return errno(unix.EBADF) // pipes, the console: nothing the personality keeps an owner for
}

// sysFchownat serves fchownat (dirfd, path, uid, gid, flags): AT_SYMLINK_NOFOLLOW
// changes a final link itself, AT_EMPTY_PATH with an empty path the file open at
// dirfd (or the working directory for AT_FDCWD).
func sysFchownat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	flags := a[4]
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return errno(unix.EINVAL)
	}
	if flags&unix.AT_EMPTY_PATH != 0 {
		var b [1]byte
		if !k.CopyIn(t, a[1], b[:]) {
			return errno(unix.EFAULT)
		}
		if b[0] == 0 {
			if int32(a[0]) == unix.AT_FDCWD {
				return p.chownName(k, t, a, true, true)
			}
			return sysFchown(p, k, t, [6]uint64{a[0], a[2], a[3]})
		}
	}
	return p.chownName(k, t, a, false, flags&unix.AT_SYMLINK_NOFOLLOW == 0)
}

// chownName serves fchownat of the path at a[1] (or, if cwd is set, of the working
// directory).
func (p *Process) chownName(k *kernel.Kernel, t *kernel.TCB, a [6]uint64, cwd, follow bool) uint64 {
	var name string
	var e uint64
	switch {
	case cwd:
		name = p.cwd
	case follow:
		name, e = p.resolve(k, t, int64(int32(a[0])), a[1])
	default:
		name, e = p.resolveLink(k, t, int64(int32(a[0])), a[1])
	}
	if e != 0 {
		return e
	}
	uid, gid, e := p.chownArgs(a[2], a[3])
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		// A trailing slash follows a final link even for lchown, as on Linux.
		return p.remote(k, t, s, chownCall(name, uid, gid, follow || !cwd && p.slashEnd))
	}
	return p.chown(name, uid, gid)
}

// chownCall is the LabelChown request for a tree path.
func chownCall(name string, uid, gid uint32, follow bool) *rcall {
	flags := uint64(fileproto.ChownNoFollow)
	if follow {
		flags = 0
	}
	return pathCall(fileproto.LabelChown, name, uint64(uid)|uint64(gid)<<32, flags, simple)
}

// chown changes the owner of the node at name (resolved: a link there is changed
// itself) of the trees in memory; the read-only tree is EROFS.
func (p *Process) chown(name string, uid, gid uint32) uint64 {
	if !inTmp(name) {
		return p.outsideTmp(name, unix.EROFS, unix.ENOENT)
	}
	n := p.fs.tmp.nodes[name]
	if n == nil {
		return errno(unix.ENOENT)
	}
	who, mapped := p.machineIDs(), true
	if p.task != nil {
		_, mapped, _ = p.task.OutsideIDs()
	}
	if !mayChown(who, mapped, n.uid, n.gid, uid, gid) {
		return errno(unix.EPERM)
	}
	if uid != idUnchanged {
		n.uid = uid
	}
	if gid != idUnchanged {
		n.gid = gid
	}
	if !n.dir && n.link == "" {
		n.mode &^= unix.S_ISUID
		if n.mode&unix.S_IXGRP != 0 {
			n.mode &^= unix.S_ISGID
		}
	}
	return 0
}
