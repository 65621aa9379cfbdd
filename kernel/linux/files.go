package linux

import (
	"encoding/binary"
	"path"
	"sort"
	"strings"
	"unsafe"

	"github.com/skyscope-os/skyscope/kernel"
	"golang.org/x/sys/unix"
)

// A read-only file tree (the boot bundle's files, like an initramfs) until SKYAIFS
// exists: openat, read, pread64, lseek, close, fstat/newfstatat, getdents64,
// readlinkat, faccessat, getcwd and chdir. Writes fail with EROFS.

// FileTree is a read-only file tree (the boot bundle's files) with its directories
// indexed; processes share one.
type FileTree struct {
	files map[string][]byte
	dirs  map[string][]string // each directory's entries, sorted
	tmp   *tmpfs              // the writable /tmp, shared by the tree's processes
	svc   *fileService        // SKYAIFS behind /tmp (UseFileService), or nil
}

// NewFileTree indexes files (clean relative paths without a leading slash → contents).
func NewFileTree(files map[string][]byte) *FileTree {
	t := &FileTree{files: files, dirs: map[string][]string{"": nil}, tmp: newTmpfs()}
	seen := map[string]bool{}
	for name := range files {
		for dir, base := path.Split(name); ; dir, base = path.Split(strings.TrimSuffix(dir, "/")) {
			d := strings.TrimSuffix(dir, "/")
			if !seen[d+"/"+base] {
				seen[d+"/"+base] = true
				t.dirs[d] = append(t.dirs[d], base)
			}
			if d == "" {
				break
			}
		}
	}
	if !contains(t.dirs[""], tmpRoot) {
		t.dirs[""] = append(t.dirs[""], tmpRoot)
	}
	for d := range t.dirs {
		sort.Strings(t.dirs[d])
	}
	return t
}

// File returns the contents of the file at name (a clean path without a leading
// slash) and whether it exists.
func (t *FileTree) File(name string) ([]byte, bool) {
	b, ok := t.files[strings.TrimPrefix(path.Clean("/"+name), "/")]
	return b, ok
}

// SetFiles gives the process the read-only file tree files with working directory cwd.
func (p *Process) SetFiles(files map[string][]byte, cwd string) { p.SetTree(NewFileTree(files), cwd) }

// SetTree gives the process a shared read-only file tree with working directory cwd.
func (p *Process) SetTree(t *FileTree, cwd string) {
	p.fs = t
	p.cwd = strings.Trim(path.Clean("/"+cwd), "/")
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// resolve turns a path argument (relative to dirfd, AT_FDCWD being the working
// directory) into a clean tree path, following symbolic links (only /tmp has any).
func (p *Process) resolve(k *kernel.Kernel, t *kernel.TCB, dirfd int64, va uint64) (string, uint64) {
	return p.resolveAt(k, t, dirfd, va, true, slashFollow)
}

// resolveLink is resolve for calls that act on a link itself (lstat, readlink,
// unlink, rename, link, symlink, mkdir): a link in the last component is not followed.
func (p *Process) resolveLink(k *kernel.Kernel, t *kernel.TCB, dirfd int64, va uint64) (string, uint64) {
	return p.resolveAt(k, t, dirfd, va, false, slashFollow)
}

// What a trailing slash asks of the last component. Linux's answers differ by call.
const (
	slashNone     = iota // the caller looks at it itself (mkdir, unlinkat)
	slashFollow          // a directory, following a link (open, stat, even lstat)
	slashNoFollow        // the name itself a directory if it exists (rename)
	slashCreate          // a new non-directory: ENOENT, or EEXIST if it exists (link, symlink)
	slashReadlink        // readlink: a followed link is no link (EINVAL), a file ENOTDIR
	slashLinkFrom        // link's old name: a directory (EPERM: no hard links to one) or ENOTDIR
)

// slashPath is a path of the current call written with a trailing slash.
type slashPath struct {
	name string
	mode int
}

// slashAnswer is the call's result for a trailing-slash path in mode whose name
// exists (as a directory if dir) or not; done says the call ends with it.
func slashAnswer(mode int, exists, dir bool) (res uint64, done bool) {
	switch mode {
	case slashFollow, slashNoFollow:
		if exists && !dir {
			return errno(unix.ENOTDIR), true
		}
	case slashCreate:
		if exists {
			return errno(unix.EEXIST), true
		}
		return errno(unix.ENOENT), true
	case slashReadlink:
		switch {
		case !exists:
			return errno(unix.ENOENT), true
		case dir:
			return errno(unix.EINVAL), true
		}
		return errno(unix.ENOTDIR), true
	case slashLinkFrom:
		switch {
		case !exists:
			return errno(unix.ENOENT), true
		case dir:
			return errno(unix.EPERM), true
		}
		return errno(unix.ENOTDIR), true
	}
	return 0, false
}

// resolveAt is resolve (last: follow a link in the last component) and resolveLink.
// A path ending in a slash (or "/.") names a directory, as on Linux; mode says what
// that demands (slashFollow and the rest). For SKYAIFS, remote checks it with a Stat
// before the call's requests; for the trees in memory it is checked here.
func (p *Process) resolveAt(k *kernel.Kernel, t *kernel.TCB, dirfd int64, va uint64, last bool, mode int) (string, uint64) {
	name, e := p.lexical(k, t, dirfd, va, last)
	if e != 0 {
		return name, e
	}
	slash := len(p.dirOnly) > 0 && p.dirOnly[len(p.dirOnly)-1].name == name
	if slash {
		p.dirOnly[len(p.dirOnly)-1].mode = mode
		if mode == slashNone {
			p.dirOnly = p.dirOnly[:len(p.dirOnly)-1]
			slash = false
		}
	}
	if p.remoteAt(k, t, name) != nil {
		return name, 0 // SKYAIFS follows its own links; remote checks the slash
	}
	if slash {
		p.dirOnly = p.dirOnly[:len(p.dirOnly)-1] // checked here, not by a request
		at := name
		if mode != slashNoFollow && mode != slashCreate {
			// A trailing slash follows a link in the last component even for the
			// calls that otherwise act on the link itself (lstat("link/")).
			last = true
			if at, e = p.follow(k, t, name, true); e != 0 {
				return "", e
			}
		}
		isDir, ok := p.exists(at)
		if res, done := slashAnswer(mode, ok, isDir); done {
			return "", res
		}
	}
	name, e = p.follow(k, t, name, last)
	if e == 0 && p.underFile(name) {
		return "", errno(unix.ENOTDIR) // "file/x": Linux stops at the file
	}
	return name, e
}

// underFile reports whether a directory of name, above its last component, is an
// existing non-directory.
func (p *Process) underFile(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		if isDir, ok := p.exists(name[:i]); ok && !isDir {
			return true
		}
	}
	return false
}

// lastDots returns 1 if a path argument's last component is ".", 2 if "..", else 0:
// calls that remove or rename a name refuse those (cleaning would turn them into the
// directory itself or its parent).
func lastDots(name string) int {
	name = strings.TrimRight(name, "/")
	switch name[strings.LastIndexByte(name, '/')+1:] {
	case ".":
		return 1
	case "..":
		return 2
	}
	return 0
}

// endsInDir reports whether a path argument's last component must be a directory:
// it ends in "/" or "/." (which cleaning removes).
func endsInDir(name string) bool {
	return strings.HasSuffix(name, "/") || strings.HasSuffix(name, "/.")
}

// lexical turns a path argument into a clean tree path, without following links
// except where a ".." goes back over one (dotdot) — or, when SKYAIFS could not
// finish the call's paths (thread.physical), every link, the last one if last.
func (p *Process) lexical(k *kernel.Kernel, t *kernel.TCB, dirfd int64, va uint64, last bool) (string, uint64) {
	p.tooLong = false
	name, ok := p.cstring(k, t, va)
	switch {
	case !ok && p.tooLong:
		return "", errno(unix.ENAMETOOLONG)
	case !ok:
		return "", errno(unix.EFAULT)
	case name == "":
		return "", errno(unix.ENOENT) // an empty path names nothing (AT_EMPTY_PATH is handled by the callers)
	}
	base := p.cwd
	if !strings.HasPrefix(name, "/") && dirfd != unix.AT_FDCWD {
		f := p.fileOf(uint64(dirfd), kindDir)
		if f == nil {
			return "", errno(unix.EBADF)
		}
		base = f.path
	}
	if strings.HasPrefix(name, "/") {
		base = ""
	}
	physical := false
	if th := p.threads[t]; th != nil {
		physical = th.physical
	}
	clean, e := p.walk(k, t, base, name, physical, last)
	if e != 0 {
		return "", e
	}
	p.slashEnd = clean != "" && endsInDir(name)
	p.lastDots = lastDots(name)
	if p.slashEnd {
		p.dirOnly = append(p.dirOnly, slashPath{clean, slashFollow})
	}
	return clean, 0
}

func (p *Process) cstring(k *kernel.Kernel, t *kernel.TCB, va uint64) (string, bool) {
	var out []byte
	var b [64]byte
	for len(out) < 4096 {
		if !k.CopyIn(t, va, b[:1]) {
			return "", false
		}
		if b[0] == 0 {
			return string(out), true
		}
		out = append(out, b[0])
		va++
	}
	p.tooLong = true // the caller reports ENAMETOOLONG, as Linux does past PATH_MAX
	return "", false
}

func (p *Process) exists(name string) (isDir, ok bool) {
	if name == "dev/null" {
		return false, true
	}
	if inTmp(name) {
		n := p.fs.tmp.nodes[name]
		return n != nil && n.dir, n != nil
	}
	if _, ok := p.fs.files[name]; ok {
		return false, true
	}
	_, ok = p.fs.dirs[name]
	return true, ok
}

func sysOpenat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	fd := openat(p, k, t, a)
	if th := p.threads[t]; th != nil && th.fifoNext != nil && fd != pending {
		fd = p.openRemoteFifo(k, t, th) // the Stat ended at once: join the FIFO now
	}
	if int64(fd) >= 0 && fd < maxFDs && p.files[int(fd)] != nil {
		// F_GETFL reports O_NONBLOCK as opened (Go's os.OpenFile looks).
		p.files[int(fd)].status |= a[2] & unix.O_NONBLOCK
	}
	return fd
}

func openat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	flags := a[2]
	resolve := p.resolve
	if th := p.threads[t]; th != nil && th.physical &&
		(flags&unix.O_NOFOLLOW != 0 || flags&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT|unix.O_EXCL) {
		// Resolving every link itself (SKYAIFS answered EREMOTE), the personality
		// must leave a final one to the open, which refuses it.
		resolve = p.resolveLink
	}
	name, e := resolve(k, t, int64(int32(a[0])), a[1])
	if flags&unix.O_CREAT != 0 && p.slashEnd && (e == 0 || e == errno(unix.ENOTDIR)) {
		return errno(unix.EISDIR) // Linux refuses to create "x/" before looking at x
	}
	if e != 0 {
		return e
	}
	if name == "dev/null" {
		return p.newFile(&file{kind: kindNull, path: name})
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return p.openRemote(k, t, s, name, flags, a[3])
	}
	if inTmp(name) || p.fs.tmp.links > 0 {
		// O_CREAT|O_EXCL and O_NOFOLLOW look at a link itself, not where it points.
		if flags&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT|unix.O_EXCL || flags&unix.O_NOFOLLOW != 0 {
			ln, e := p.resolveLink(k, t, int64(int32(a[0])), a[1])
			if e != 0 {
				return e
			}
			if n := p.fs.tmp.nodes[ln]; n != nil && n.link != "" {
				if flags&unix.O_EXCL != 0 && flags&unix.O_CREAT != 0 {
					return errno(unix.EEXIST)
				}
				return errno(unix.ELOOP)
			}
		}
		if inTmp(name) {
			return p.openTmp(k, t, name, flags, a[3])
		}
	}
	isDir, ok := p.exists(name)
	if flags&(unix.O_WRONLY|unix.O_RDWR|unix.O_CREAT|unix.O_TRUNC) != 0 {
		if ok || flags&unix.O_CREAT != 0 {
			return errno(unix.EROFS)
		}
		return errno(unix.ENOENT)
	}
	if !ok {
		return errno(unix.ENOENT)
	}
	if isDir {
		return p.newFile(&file{kind: kindDir, path: name})
	}
	if flags&unix.O_DIRECTORY != 0 {
		return errno(unix.ENOTDIR)
	}
	return p.newFile(&file{kind: kindRegular, path: name, data: p.fs.files[name]})
}

func (p *Process) fileRead(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64, off int64, advance bool) uint64 {
	if off < 0 {
		return errno(unix.EINVAL)
	}
	data := f.contents()
	if off >= int64(len(data)) {
		return 0
	}
	m := min(n, uint64(int64(len(data))-off))
	if !k.CopyOut(t, buf, data[off:off+int64(m)]) {
		return errno(unix.EFAULT)
	}
	if advance {
		f.off += int64(m)
	}
	return m
}

func sysPread(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if f := p.fileOf(a[0], kindRemote); f != nil {
		return p.readRemote(k, t, f, a[1], a[2], int64(a[3]), false)
	}
	if f := p.fileOf(a[0], kindTmp); f != nil {
		return p.tmpRead(k, t, f, a[1], a[2], int64(a[3]), false)
	}
	f := p.fileOf(a[0], kindRegular)
	if f == nil {
		if p.isPipe(a[0]) {
			return errno(unix.ESPIPE) // pipes and FIFOs have no offsets
		}
		return errno(unix.EBADF)
	}
	return p.fileRead(k, t, f, a[1], a[2], int64(a[3]), false)
}

func sysLseek(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if f := p.fileOf(a[0], kindRemote); f != nil {
		return p.lseekRemote(k, t, f, int64(a[1]), a[2])
	}
	f := p.fileOf(a[0], kindRegular)
	if f == nil {
		f = p.fileOf(a[0], kindTmp)
	}
	if f == nil {
		if d := p.fileOf(a[0], kindDir); d != nil {
			return seekDir(d, int64(a[1]), a[2])
		}
		return errno(unix.ESPIPE)
	}
	off := int64(a[1])
	switch a[2] {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		off += f.off
	case unix.SEEK_END:
		off += int64(len(f.contents()))
	default:
		return errno(unix.EINVAL)
	}
	if off < 0 {
		return errno(unix.EINVAL)
	}
	f.off = off
	return uint64(off)
}

// stat fills a struct stat (x/sys/unix's Stat_t layout) for a tree entry.
func (p *Process) stat(k *kernel.Kernel, t *kernel.TCB, name string, va uint64) uint64 {
	if name == "dev/null" {
		var st unix.Stat_t
		st.Dev, st.Nlink, st.Blksize, st.Ino = 1, 1, 4096, inode(name)
		st.Mode, st.Rdev = unix.S_IFCHR|0o666, unix.Mkdev(1, 3)
		st.Uid, st.Gid = p.seenOwner(0, 0)
		b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
		if !k.CopyOut(t, va, b) {
			return errno(unix.EFAULT)
		}
		return 0
	}
	if inTmp(name) {
		n := p.fs.tmp.nodes[name]
		if n == nil {
			return errno(unix.ENOENT)
		}
		return p.statTmp(k, t, n, va)
	}
	isDir, ok := p.exists(name)
	if !ok {
		return errno(unix.ENOENT)
	}
	var st unix.Stat_t
	st.Dev, st.Nlink, st.Blksize = 1, 1, 4096
	st.Ino = inode(name)
	st.Uid, st.Gid = p.seenOwner(0, 0) // the boot bundle is the machine root's
	if isDir {
		st.Mode = unix.S_IFDIR | 0o555
		st.Nlink = 2
	} else {
		st.Mode = unix.S_IFREG | 0o555
		st.Size = int64(len(p.fs.files[name]))
		st.Blocks = (st.Size + 511) / 512
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
	if !k.CopyOut(t, va, b) {
		return errno(unix.EFAULT)
	}
	return 0
}

func inode(name string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 1099511628211
	}
	return h | 1
}

func sysFstat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	fd := a[0]
	if p.fileOf(fd, kindConsole) != nil {
		var st unix.Stat_t
		st.Mode, st.Rdev, st.Blksize = unix.S_IFCHR|0o620, 0x8800, 1024
		b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
		if !k.CopyOut(t, a[1], b) {
			return errno(unix.EFAULT)
		}
		return 0
	}
	if fd < 1024 {
		if f := p.files[int(fd)]; f != nil && f.rs != nil {
			return p.statRemote(k, t, f.rs, f.path, true, f, a[1])
		}
		if f := p.files[int(fd)]; f != nil && (f.kind == kindTmp || f.pipe != nil && f.node != nil) {
			return p.statTmp(k, t, f.node, a[1])
		}
		if f := p.files[int(fd)]; f != nil && (f.kind == kindRegular || f.kind == kindDir || f.kind == kindNull) {
			return p.stat(k, t, f.path, a[1])
		}
		if f := p.files[int(fd)]; f != nil {
			var st unix.Stat_t
			st.Mode = unix.S_IFIFO | 0o600
			b := unsafe.Slice((*byte)(unsafe.Pointer(&st)), unsafe.Sizeof(st))
			if !k.CopyOut(t, a[1], b) {
				return errno(unix.EFAULT)
			}
			return 0
		}
	}
	return errno(unix.EBADF)
}

func sysNewfstatat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[3]&unix.AT_EMPTY_PATH != 0 {
		if name, ok := p.cstring(k, t, a[1]); ok && name == "" {
			return sysFstat(p, k, t, [6]uint64{a[0], a[2]})
		}
	}
	resolve := p.resolve
	if a[3]&unix.AT_SYMLINK_NOFOLLOW != 0 {
		resolve = p.resolveLink
	}
	name, e := resolve(k, t, int64(int32(a[0])), a[1])
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		// A trailing slash follows a final link even for lstat, as on Linux.
		follow := a[3]&unix.AT_SYMLINK_NOFOLLOW == 0 || p.slashEnd
		return p.statRemote(k, t, s, name, follow, nil, a[2])
	}
	return p.stat(k, t, name, a[2])
}

func sysFaccessat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	name, e := p.resolve(k, t, int64(int32(a[0])), a[1])
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return accessRemote(p, k, t, s, name)
	}
	if _, ok := p.exists(name); !ok {
		return errno(unix.ENOENT)
	}
	if a[2]&unix.W_OK != 0 && !inTmp(name) {
		return errno(unix.EROFS)
	}
	return 0
}

func sysReadlinkat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	name, e := p.resolveAt(k, t, int64(int32(a[0])), a[1], false, slashReadlink)
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return p.readlinkRemote(k, t, s, name, a[2], a[3])
	}
	if name == "proc/self/exe" { // os.Executable: the program's place in the tree
		exe := p.exe
		n := min(uint64(len(exe)), a[3])
		if !k.CopyOut(t, a[2], []byte(exe)[:n]) {
			return errno(unix.EFAULT)
		}
		return n
	}
	if n := p.fs.tmp.nodes[name]; n != nil && n.link != "" {
		m := min(uint64(len(n.link)), a[3])
		if !k.CopyOut(t, a[2], []byte(n.link)[:m]) {
			return errno(unix.EFAULT)
		}
		return m
	}
	if _, ok := p.exists(name); !ok {
		return errno(unix.ENOENT)
	}
	return errno(unix.EINVAL) // not a symbolic link
}

func sysGetdents64(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	f := p.fileOf(a[0], kindDir)
	if f == nil {
		return errno(unix.EBADF)
	}
	if f.rs != nil {
		return p.getdentsRemote(k, t, f, a[1], a[2])
	}
	entries := p.fs.dirs[f.path]
	tmp := inTmp(f.path)
	if tmp {
		entries, _ = p.tmpEntries(f.path)
	}
	var out []byte
	for ; f.off < int64(len(entries)); f.off++ {
		name := entries[f.off]
		full := strings.TrimPrefix(f.path+"/"+name, "/")
		typ := byte(unix.DT_REG)
		if isDir, _ := p.exists(full); isDir {
			typ = unix.DT_DIR
		} else if n := p.fs.tmp.nodes[full]; tmp && n != nil && n.link != "" {
			typ = unix.DT_LNK
		} else if tmp && n != nil && n.fifo {
			typ = unix.DT_FIFO
		}
		ino := inode(full)
		if n := p.fs.tmp.nodes[full]; tmp && n != nil {
			ino = n.ino
		}
		reclen := (19 + len(name) + 1 + 7) &^ 7
		if uint64(len(out)+reclen) > a[2] {
			if len(out) == 0 {
				return errno(unix.EINVAL)
			}
			break
		}
		rec := make([]byte, reclen)
		binary.LittleEndian.PutUint64(rec[0:], ino)
		binary.LittleEndian.PutUint64(rec[8:], uint64(f.off+1))
		binary.LittleEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = typ
		copy(rec[19:], name)
		out = append(out, rec...)
	}
	if len(out) > 0 && !k.CopyOut(t, a[1], out) {
		return errno(unix.EFAULT)
	}
	return uint64(len(out))
}

func sysChdir(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	name, e := p.resolve(k, t, unix.AT_FDCWD, a[0])
	if e != 0 {
		return e
	}
	if p.remoteAt(k, t, name) != nil {
		// SKYAIFS would follow the links on its side; the working directory is kept
		// as the directory itself, so that ".." from it is its parent.
		if name, e = p.physical(k, t, name); e != 0 {
			return e
		}
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return chdirRemote(p, k, t, s, name)
	}
	if isDir, ok := p.exists(name); !ok {
		return errno(unix.ENOENT)
	} else if !isDir {
		return errno(unix.ENOTDIR)
	}
	p.cwd = name
	return 0
}

func sysGetcwd(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	cwd := "/" + p.cwd + "\x00"
	if len(cwd) > 4096 {
		// Linux's getcwd cannot give a path longer than PATH_MAX (Go's os.Getwd then
		// finds the directory by walking "..").
		return errno(unix.ENAMETOOLONG)
	}
	if a[1] < uint64(len(cwd)) {
		return errno(unix.ERANGE)
	}
	if !k.CopyOut(t, a[0], []byte(cwd)) {
		return errno(unix.EFAULT)
	}
	return uint64(len(cwd))
}

func sysFchdir(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	f := p.fileOf(a[0], kindDir)
	if f == nil {
		return errno(unix.ENOTDIR)
	}
	p.cwd = f.path
	return 0
}
