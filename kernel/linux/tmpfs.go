package linux

import (
	"sort"
	"strings"
	"unsafe"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"golang.org/x/sys/unix"
)

// /tmp is a writable file system in memory, shared by the machine's processes (as
// Linux's tmpfs), next to the read-only tree from the boot bundle: programs — and Go's
// own tests, through t.TempDir and os.CreateTemp — make, write, rename and remove files
// and directories there. It is not persistent (SKYAIFS will be) and is bounded.

// tmpRoot is the writable directory's path in the tree.
const tmpRoot = "tmp"

// maxTmpBytes bounds what /tmp holds, data and names together.
const maxTmpBytes = 64 << 20

type tnode struct {
	dir      bool
	link     string // a symbolic link: its target
	nlink    int    // names the node has (hard links)
	data     []byte
	mode     uint32
	mtime    int64
	children map[string]bool // directories: names of entries
	ino      uint64
	uid, gid uint32 // the owner, as the machine's ids (what its creator's ids map to)
	fifo     bool   // a named pipe (mknod): its data is in pipe, never in data
	pipe     *pipe  // a FIFO's pipe while any end of it is open
	// remote: a SKYAIFS FIFO's stand-in, kept by the service while an end is open
	remote *fileService
}

type tmpfs struct {
	nodes map[string]*tnode
	bytes uint64
	next  uint64
	links int // symbolic links in existence: none means no path needs following
}

func newTmpfs() *tmpfs {
	fs := &tmpfs{nodes: map[string]*tnode{}, next: 1 << 40}
	fs.nodes[tmpRoot] = &tnode{dir: true, mode: 0o1777, children: map[string]bool{}, ino: fs.next}
	return fs
}

// inTmp reports whether a tree path lies in /tmp.
func inTmp(name string) bool { return name == tmpRoot || strings.HasPrefix(name, tmpRoot+"/") }

func splitPath(name string) (string, string) {
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		return "", name
	}
	return name[:i], name[i+1:]
}

// create makes a node at name in an existing /tmp directory.
func (fs *tmpfs) create(name string, dir bool, mode uint32, now int64, owner kernel.IDs) (*tnode, uint64) {
	parent, base := splitPath(name)
	pd := fs.nodes[parent]
	switch {
	case pd == nil:
		return nil, errno(unix.ENOENT)
	case !pd.dir:
		return nil, errno(unix.ENOTDIR)
	case fs.nodes[name] != nil:
		return nil, errno(unix.EEXIST)
	case len(base) > 255:
		return nil, errno(unix.ENAMETOOLONG)
	case fs.bytes+uint64(len(name)) > maxTmpBytes:
		return nil, errno(unix.ENOSPC)
	}
	fs.next++
	n := &tnode{dir: dir, mode: mode & 0o7777, mtime: now, ino: fs.next, nlink: 1, uid: owner.UID, gid: owner.GID}
	if dir {
		n.children = map[string]bool{}
	}
	fs.nodes[name] = n
	pd.children[base] = true
	pd.mtime = now
	fs.bytes += uint64(len(name))
	return n, 0
}

func (fs *tmpfs) remove(name string, now int64) {
	n := fs.nodes[name]
	parent, base := splitPath(name)
	delete(fs.nodes, name)
	if pd := fs.nodes[parent]; pd != nil {
		delete(pd.children, base)
		pd.mtime = now
	}
	fs.bytes -= uint64(len(name))
	if n.nlink--; n.nlink <= 0 {
		fs.bytes -= uint64(len(n.data)) + uint64(len(n.link))
		if n.link != "" {
			fs.links--
		}
	}
}

// maxLinkHops bounds how many symbolic links one path may go through (Linux: 40).
const maxLinkHops = 40

// follow resolves symbolic links in a clean tree path of the trees in memory: in
// every component but the last always, in the last if last is set. A target's ".."
// is taken as Linux takes it (dotdot).
func (p *Process) follow(k *kernel.Kernel, t *kernel.TCB, name string, last bool) (string, uint64) {
	fs := p.fs.tmp
	dirOnly := false // a followed last link's target ended in a slash: it names a directory
	for hops := 0; fs.links > 0; {
		comps := strings.Split(name, "/")
		cur, moved := "", false
		for i, c := range comps {
			next := c
			if cur != "" {
				next = cur + "/" + c
			}
			n := fs.nodes[next]
			if n == nil || n.link == "" || (i == len(comps)-1 && !last) {
				cur = next
				continue
			}
			if hops++; hops > maxLinkHops {
				return "", errno(unix.ELOOP)
			}
			target := n.link
			rest := strings.Join(comps[i+1:], "/")
			if rest == "" {
				dirOnly = endsInDir(target)
			}
			var e uint64
			if name, e = p.dotdot(k, t, cur, target+"/"+rest); e != 0 {
				return "", e
			}
			moved = true
			break
		}
		if !moved {
			break
		}
	}
	if isDir, ok := p.exists(name); dirOnly && ok && !isDir {
		return "", errno(unix.ENOTDIR) // a link to "file/", as Linux answers it
	}
	return name, 0
}

func sysSymlinkat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	target, ok := p.cstring(k, t, a[0])
	switch {
	case !ok:
		return errno(unix.EFAULT)
	case target == "":
		return errno(unix.ENOENT)
	}
	name, e := p.resolveAt(k, t, int64(int32(a[1])), a[2], false, slashCreate)
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		if len(target) > fileproto.PathMax {
			return errno(unix.ENAMETOOLONG)
		}
		return p.symlinkRemote(k, t, s, target, name)
	}
	if !inTmp(name) {
		return p.outsideTmp(name, unix.EEXIST, unix.EROFS)
	}
	fs := p.fs.tmp
	if fs.bytes+uint64(len(target)) > maxTmpBytes {
		return errno(unix.ENOSPC)
	}
	n, e := fs.create(name, false, 0o777, p.now(k), p.machineIDs())
	if e != 0 {
		return e
	}
	n.link = target
	fs.bytes += uint64(len(target))
	fs.links++
	return 0
}

func sysLinkat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	from, e := p.resolveAt(k, t, int64(int32(a[0])), a[1], a[4]&unix.AT_SYMLINK_FOLLOW != 0, slashLinkFrom)
	if e != 0 {
		return e
	}
	to, e := p.resolveAt(k, t, int64(int32(a[2])), a[3], false, slashCreate)
	if e != 0 {
		return e
	}
	if !inTmp(from) || !inTmp(to) {
		return errno(unix.EXDEV)
	}
	if s := p.remoteAt(k, t, from); s != nil {
		a, b := remotePath(from), remotePath(to)
		return p.remote(k, t, s, &rcall{label: fileproto.LabelLink, mr: [3]uint64{uint64(len(a)), uint64(len(b))},
			put: [][]byte{[]byte(a), []byte(b)}, lens: []int{0, 1}, done: simple})
	}
	fs := p.fs.tmp
	n := fs.nodes[from]
	switch {
	case n == nil:
		return errno(unix.ENOENT)
	case n.dir:
		return errno(unix.EPERM)
	case fs.nodes[to] != nil:
		return errno(unix.EEXIST)
	}
	parent, base := splitPath(to)
	pd := fs.nodes[parent]
	if pd == nil || !pd.dir {
		return errno(unix.ENOENT)
	}
	fs.nodes[to] = n
	pd.children[base] = true
	pd.mtime = p.now(k)
	fs.bytes += uint64(len(to))
	n.nlink++
	return 0
}

// resize sets a file's length, refusing to grow /tmp past its bound.
func (fs *tmpfs) resize(n *tnode, size uint64) uint64 {
	old := uint64(len(n.data))
	if size > old && fs.bytes+size-old > maxTmpBytes {
		return errno(unix.ENOSPC)
	}
	switch {
	case size <= old:
		clear(n.data[size:old]) // growing again later must read zeros
		n.data = n.data[:size]
	case size <= uint64(cap(n.data)):
		n.data = n.data[:size]
		clear(n.data[old:])
	default:
		grown := make([]byte, size, max(size, 2*uint64(cap(n.data))))
		copy(grown, n.data)
		n.data = grown
	}
	fs.bytes = fs.bytes + size - old
	return 0
}

// now returns the wall-clock time in Unix nanoseconds.
func (p *Process) now(k *kernel.Kernel) int64 { return p.wall() + int64(k.Now()) }

// openTmp serves openat in /tmp.
func (p *Process) openTmp(k *kernel.Kernel, t *kernel.TCB, name string, flags, mode uint64) uint64 {
	fs := p.fs.tmp
	n := fs.nodes[name]
	acc := flags & unix.O_ACCMODE
	switch {
	case n == nil && flags&unix.O_CREAT == 0:
		return errno(unix.ENOENT)
	case n != nil && flags&unix.O_CREAT != 0 && flags&unix.O_EXCL != 0:
		return errno(unix.EEXIST)
	case n == nil:
		var e uint64
		if n, e = fs.create(name, false, uint32(mode), p.now(k), p.machineIDs()); e != 0 {
			return e
		}
	}
	if n.dir {
		if acc != unix.O_RDONLY {
			return errno(unix.EISDIR)
		}
		return p.newFile(&file{kind: kindDir, path: name})
	}
	if n.fifo {
		return p.openFifo(k, t, name, n, flags)
	}
	if flags&unix.O_DIRECTORY != 0 {
		return errno(unix.ENOTDIR)
	}
	if flags&unix.O_TRUNC != 0 && acc != unix.O_RDONLY {
		fs.resize(n, 0)
		n.mtime = p.now(k)
	}
	return p.newFile(&file{kind: kindTmp, path: name, node: n, flags: flags})
}

func (p *Process) tmpRead(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64, off int64, advance bool) uint64 {
	if f.flags&unix.O_ACCMODE == unix.O_WRONLY {
		return errno(unix.EBADF)
	}
	return p.fileRead(k, t, f, buf, n, off, advance)
}

func (p *Process) tmpWrite(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64, off int64, advance bool) uint64 {
	if f.flags&unix.O_ACCMODE == unix.O_RDONLY {
		return errno(unix.EBADF)
	}
	nd := f.node
	if advance && f.flags&unix.O_APPEND != 0 {
		off = int64(len(nd.data))
	}
	n = min(n, 1<<24)
	if off < 0 || uint64(off)+n > maxTmpBytes {
		return errno(unix.EFBIG)
	}
	b := make([]byte, n)
	if !k.CopyIn(t, buf, b) {
		return errno(unix.EFAULT)
	}
	if end := uint64(off) + n; end > uint64(len(nd.data)) {
		if e := p.fs.tmp.resize(nd, end); e != 0 {
			return e
		}
	}
	copy(nd.data[off:], b)
	nd.mtime = p.now(k)
	if advance {
		f.off = off + int64(n)
	}
	return n
}

// statTmp fills a struct stat for a /tmp node.
func (p *Process) statTmp(k *kernel.Kernel, t *kernel.TCB, n *tnode, va uint64) uint64 {
	var st unix.Stat_t
	st.Dev, st.Blksize, st.Ino = 2, 4096, n.ino
	if n.remote != nil {
		st.Dev = 3 // a SKYAIFS FIFO's stand-in: the device its stat reports (linuxStat)
	}
	st.Nlink = uint64(max(n.nlink, 1))
	switch {
	case n.dir:
		st.Mode = unix.S_IFDIR | n.mode
		st.Nlink = 2
	case n.link != "":
		st.Mode = unix.S_IFLNK | 0o777
		st.Size = int64(len(n.link))
	case n.fifo:
		st.Mode = unix.S_IFIFO | n.mode
	default:
		st.Mode = unix.S_IFREG | n.mode
		st.Size = int64(len(n.data))
		st.Blocks = (st.Size + 511) / 512
	}
	st.Mtim = unix.NsecToTimespec(n.mtime)
	st.Ctim, st.Atim = st.Mtim, st.Mtim
	st.Uid, st.Gid = p.seenOwner(n.uid, n.gid)
	b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
	if !k.CopyOut(t, va, b) {
		return errno(unix.EFAULT)
	}
	return 0
}

// tmpEntries lists a /tmp directory, sorted.
func (p *Process) tmpEntries(name string) ([]string, bool) {
	n := p.fs.tmp.nodes[name]
	if n == nil || !n.dir {
		return nil, false
	}
	out := make([]string, 0, len(n.children))
	for c := range n.children {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, true
}

// outsideTmp is the error for making or changing name outside /tmp, where the tree
// is read-only: ifExists when name exists, ifMissing when it does not.
func (p *Process) outsideTmp(name string, ifExists, ifMissing unix.Errno) uint64 {
	if _, ok := p.exists(name); ok {
		return errno(ifExists)
	}
	return errno(ifMissing)
}

func sysMkdirat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	name, e := p.resolveAt(k, t, int64(int32(a[0])), a[1], false, slashNone)
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return mkdirRemote(p, k, t, s, name, a[2])
	}
	if !inTmp(name) {
		return p.outsideTmp(name, unix.EEXIST, unix.EROFS)
	}
	_, e = p.fs.tmp.create(name, true, uint32(a[2]), p.now(k), p.machineIDs())
	return e
}

func sysUnlinkat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	// A trailing slash is looked at here, on the name itself (a link is not followed):
	// unlink of "x/" always fails, rmdir of "x/" needs x to be a directory.
	name, e := p.resolveAt(k, t, int64(int32(a[0])), a[1], false, slashNone)
	if e != 0 {
		return e
	}
	switch {
	case p.lastDots != 0 && a[2]&unix.AT_REMOVEDIR == 0:
		return errno(unix.EISDIR) // unlink(".") as Linux answers it
	case p.lastDots == 1:
		return errno(unix.EINVAL) // rmdir(".")
	case p.lastDots == 2:
		return errno(unix.ENOTEMPTY) // rmdir("..")
	}
	slash := p.slashEnd
	if s := p.remoteAt(k, t, name); s != nil {
		if slash && name != tmpRoot {
			return p.remote(k, t, s, statCall(name, false, func(r reply) (*rcall, uint64) {
				if r.errno != 0 {
					return r.fail()
				}
				if e := unlinkSlash(recMode(r.statRecord())&unix.S_IFMT == unix.S_IFDIR, a[2]); e != 0 {
					return nil, e
				}
				return unlinkCall(name, a[2]), 0
			}))
		}
		return unlinkRemote(p, k, t, s, name, a[2])
	}
	if !inTmp(name) {
		return p.outsideTmp(name, unix.EROFS, unix.ENOENT)
	}
	fs := p.fs.tmp
	n := fs.nodes[name]
	if n != nil && slash {
		if e := unlinkSlash(n.dir, a[2]); e != 0 {
			return e
		}
	}
	switch {
	case n == nil:
		return errno(unix.ENOENT)
	case name == tmpRoot:
		return errno(unix.EBUSY)
	case a[2]&unix.AT_REMOVEDIR != 0 && !n.dir:
		return errno(unix.ENOTDIR)
	case a[2]&unix.AT_REMOVEDIR == 0 && n.dir:
		return errno(unix.EISDIR)
	case n.dir && len(n.children) > 0:
		return errno(unix.ENOTEMPTY)
	}
	fs.remove(name, p.now(k))
	return 0
}

// unlinkSlash is Linux's answer for unlinkat of an existing name written with a
// trailing slash: rmdir needs a directory (ENOTDIR), unlink always fails (EISDIR for a
// directory, ENOTDIR for anything else); 0 lets the call go on.
func unlinkSlash(dir bool, flags uint64) uint64 {
	switch {
	case flags&unix.AT_REMOVEDIR != 0 && dir:
		return 0
	case flags&unix.AT_REMOVEDIR == 0 && dir:
		return errno(unix.EISDIR)
	}
	return errno(unix.ENOTDIR)
}

func sysRenameat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	return sysRenameat2(p, k, t, [6]uint64{a[0], a[1], a[2], a[3], 0})
}

func sysRenameat2(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	from, e := p.resolveAt(k, t, int64(int32(a[0])), a[1], false, slashNoFollow)
	if e != 0 {
		return e
	}
	dots := p.lastDots
	to, e := p.resolveAt(k, t, int64(int32(a[2])), a[3], false, slashNoFollow)
	if e != 0 {
		return e
	}
	if dots != 0 || p.lastDots != 0 {
		return errno(unix.EBUSY) // rename of or onto "." or "..", as Linux answers it
	}
	if !inTmp(from) || !inTmp(to) {
		return errno(unix.EROFS)
	}
	if a[4]&^uint64(unix.RENAME_NOREPLACE) != 0 {
		return errno(unix.EINVAL)
	}
	if s := p.remoteAt(k, t, from); s != nil {
		if from == tmpRoot || to == tmpRoot {
			return errno(unix.EBUSY)
		}
		return p.renameRemote(k, t, s, from, to, a[4])
	}
	fs := p.fs.tmp
	src := fs.nodes[from]
	switch {
	case src == nil:
		return errno(unix.ENOENT)
	case from == tmpRoot || to == tmpRoot:
		return errno(unix.EBUSY)
	case from == to:
		return 0
	case strings.HasPrefix(to, from+"/"):
		return errno(unix.EINVAL) // a directory into itself
	}
	if dst := fs.nodes[to]; dst != nil {
		switch {
		case a[4]&unix.RENAME_NOREPLACE != 0:
			return errno(unix.EEXIST)
		case dst.dir && !src.dir:
			return errno(unix.EISDIR)
		case !dst.dir && src.dir:
			return errno(unix.ENOTDIR)
		case dst.dir && len(dst.children) > 0:
			return errno(unix.ENOTEMPTY)
		}
		fs.remove(to, p.now(k))
	}
	parent, base := splitPath(to)
	pd := fs.nodes[parent]
	if pd == nil || !pd.dir {
		return errno(unix.ENOENT)
	}
	// Move the node and, for a directory, everything under it.
	now := p.now(k)
	var moves []string
	for n := range fs.nodes {
		if n == from || strings.HasPrefix(n, from+"/") {
			moves = append(moves, n)
		}
	}
	for _, n := range moves {
		moved := to + strings.TrimPrefix(n, from)
		fs.nodes[moved] = fs.nodes[n]
		delete(fs.nodes, n)
		fs.bytes += uint64(len(moved)) - uint64(len(n)) // names are charged: a longer one costs more
	}
	fp, fb := splitPath(from)
	if fpd := fs.nodes[fp]; fpd != nil {
		delete(fpd.children, fb)
		fpd.mtime = now
	}
	pd.children[base] = true
	pd.mtime = now
	for _, f := range p.files { // open files keep working under their new names
		if f != nil && (f.path == from || strings.HasPrefix(f.path, from+"/")) {
			f.path = to + strings.TrimPrefix(f.path, from)
		}
	}
	if under(p.cwd, from) {
		p.cwd = to + p.cwd[len(from):] // so does the working directory
	}
	return 0
}

func sysTruncate(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	name, e := p.resolve(k, t, unix.AT_FDCWD, a[0])
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return truncateRemote(p, k, t, s, name, a[1])
	}
	if !inTmp(name) {
		return p.outsideTmp(name, unix.EROFS, unix.ENOENT)
	}
	n := p.fs.tmp.nodes[name]
	switch {
	case n == nil:
		return errno(unix.ENOENT)
	case n.dir:
		return errno(unix.EISDIR)
	case int64(a[1]) < 0 || a[1] > maxTmpBytes, n.fifo:
		return errno(unix.EINVAL) // a FIFO's data is never in the node
	}
	if e := p.fs.tmp.resize(n, a[1]); e != 0 {
		return e
	}
	n.mtime = p.now(k)
	return 0
}

func sysFtruncate(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if f := p.fileOf(a[0], kindRemote); f != nil {
		return ftruncateRemote(p, k, t, f, a[1])
	}
	f := p.fileOf(a[0], kindTmp)
	if f == nil {
		if p.fileOf(a[0], kindRegular) != nil {
			return errno(unix.EROFS)
		}
		if p.isPipe(a[0]) {
			return errno(unix.EINVAL) // as Linux answers for a pipe or FIFO
		}
		return errno(unix.EBADF)
	}
	if f.flags&unix.O_ACCMODE == unix.O_RDONLY {
		return errno(unix.EINVAL)
	}
	if int64(a[1]) < 0 || a[1] > maxTmpBytes {
		return errno(unix.EFBIG)
	}
	if e := p.fs.tmp.resize(f.node, a[1]); e != 0 {
		return e
	}
	f.node.mtime = p.now(k)
	return 0
}

// sysFsync: SKYAIFS files and directories are made durable; the in-memory /tmp and the
// read-only tree are always "synced".
func sysFsync(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[0] < maxFDs && p.files[int(a[0])] != nil {
		if f := p.files[int(a[0])]; f.rs != nil {
			return fsyncRemote(p, k, t, f)
		}
		return 0
	}
	return errno(unix.EBADF)
}

func sysFchmodat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	name, e := p.resolve(k, t, int64(int32(a[0])), a[1])
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return chmodRemote(p, k, t, s, name, a[2])
	}
	return p.chmod(name, a[2])
}

// sysFchmodat2 serves fchmodat2 (Linux 6.6), which Go uses for chmod with
// AT_SYMLINK_NOFOLLOW (os.Root's Chmod): without it Go reports EOPNOTSUPP. A link in
// the last component is not changed — Linux answers EOPNOTSUPP for it too — anything
// else is, as fchmodat does. AT_EMPTY_PATH with an empty path is fchmod of dirfd.
func sysFchmodat2(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	flags := a[3]
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return errno(unix.EINVAL)
	}
	if flags&unix.AT_EMPTY_PATH != 0 {
		var b [1]byte
		if !k.CopyIn(t, a[1], b[:]) {
			return errno(unix.EFAULT)
		}
		if b[0] == 0 {
			return sysFchmod(p, k, t, [6]uint64{a[0], a[2]})
		}
	}
	if flags&unix.AT_SYMLINK_NOFOLLOW == 0 {
		return sysFchmodat(p, k, t, a)
	}
	name, e := p.resolveLink(k, t, int64(int32(a[0])), a[1])
	if e != 0 {
		return e
	}
	mode := a[2]
	if s := p.remoteAt(k, t, name); s != nil {
		// Ask what the name is without following it, then change it if it is no link.
		return p.remote(k, t, s, statCall(name, false, func(r reply) (*rcall, uint64) {
			if r.errno != 0 {
				return r.fail()
			}
			if recMode(r.statRecord())&unix.S_IFMT == unix.S_IFLNK {
				return nil, errno(unix.EOPNOTSUPP)
			}
			return pathCall(fileproto.LabelChmod, name, mode&0o7777, 0, simple), 0
		}))
	}
	if n := p.fs.tmp.nodes[name]; inTmp(name) && n != nil && n.link != "" {
		return errno(unix.EOPNOTSUPP)
	}
	return p.chmod(name, mode)
}

func sysFchmod(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[0] >= 1024 || p.files[int(a[0])] == nil {
		return errno(unix.EBADF)
	}
	if f := p.files[int(a[0])]; f.rs != nil {
		return chmodRemote(p, k, t, f.rs, f.path, a[1])
	}
	return p.chmod(p.files[int(a[0])].path, a[1])
}

func (p *Process) chmod(name string, mode uint64) uint64 {
	if !inTmp(name) {
		return p.outsideTmp(name, unix.EROFS, unix.ENOENT)
	}
	n := p.fs.tmp.nodes[name]
	if n == nil {
		return errno(unix.ENOENT)
	}
	if !p.owns(n) {
		return errno(unix.EPERM)
	}
	n.mode = uint32(mode) & 0o7777
	return 0
}

// sysUtimensat sets a /tmp node's modification time: the one given, or now
// (UTIME_NOW, or no times); UTIME_OMIT leaves it. Access times are not kept.
func sysUtimensat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	var name string
	if a[1] == 0 { // futimens: the file open at dirfd
		if a[0] >= 1024 || p.files[int(a[0])] == nil {
			return errno(unix.EBADF)
		}
		name = p.files[int(a[0])].path
	} else {
		var e uint64
		if name, e = p.resolve(k, t, int64(int32(a[0])), a[1]); e != 0 {
			return e
		}
	}
	if !inTmp(name) {
		return errno(unix.EROFS)
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return p.utimesRemote(k, t, s, name, a[2])
	}
	n := p.fs.tmp.nodes[name]
	if n == nil {
		return errno(unix.ENOENT)
	}
	mtime := p.now(k)
	if a[2] != 0 { // struct timespec times[2]: access, then modification
		var b [32]byte
		if !k.CopyIn(t, a[2], b[:]) {
			return errno(unix.EFAULT)
		}
		sec, nsec := int64(le64(b[16:])), int64(le64(b[24:]))
		switch nsec {
		case unix.UTIME_OMIT:
			return 0
		case unix.UTIME_NOW:
		default:
			if nsec < 0 || nsec >= 1e9 {
				return errno(unix.EINVAL)
			}
			mtime = sec*1e9 + nsec
		}
	}
	n.mtime = mtime
	return 0
}
