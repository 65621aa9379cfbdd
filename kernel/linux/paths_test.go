package linux_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// pathsProgram exercises, as the machine's root, what Linux gives that cleaning
// paths as text does not: ".." after a symbolic link (relative and absolute links,
// from the working directory, at the top of /tmp, through every kind of call), a
// file or a missing name before "..", a loop; directories nested deeper than
// PATH_MAX, reached from the working directory and from directory descriptors, with
// getcwd's ENAMETOOLONG; chown, lchown, fchown and fchownat with the set-id bits.
// Its log must be the same whichever back end serves /tmp.
func pathsProgram(log *[]string) func(l linuxProg) {
	return func(l linuxProg) {
		m := newMem(l, log)
		note := m.note
		call := l.call
		str := m.str
		read := func(what string, dirfd uint64, name string) {
			fd := call(unix.SYS_OPENAT, dirfd, str(0, name), unix.O_RDONLY, 0)
			if int64(fd) < 0 {
				note(what, fd)
				return
			}
			n := call(unix.SYS_READ, fd, m.base+4096, 64)
			b := make([]byte, max(int64(n), 0))
			l.p.Load(m.base+4096, b)
			*m.log = append(*m.log, what+"="+string(b))
			call(unix.SYS_CLOSE, fd)
		}
		write := func(name, data string) {
			fd := call(unix.SYS_OPENAT, atcwd, str(0, name), unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, 0o644)
			l.p.Store(m.base+4096, []byte(data))
			call(unix.SYS_WRITE, fd, m.base+4096, uint64(len(data)))
			call(unix.SYS_CLOSE, fd)
		}
		var st [144]byte
		stat := func(name string, flags uint64) (r uint64, uid, gid, mode uint32, size uint64) {
			r = call(unix.SYS_NEWFSTATAT, atcwd, str(0, name), m.base+2048, flags)
			l.p.Load(m.base+2048, st[:])
			return r, binary.LittleEndian.Uint32(st[28:]), binary.LittleEndian.Uint32(st[32:]), binary.LittleEndian.Uint32(st[24:]), binary.LittleEndian.Uint64(st[48:])
		}
		exists := func(what, name string) {
			r, _, _, _, _ := stat(name, unix.AT_SYMLINK_NOFOLLOW)
			note(what, r)
		}

		// ".." after a link.
		for _, d := range []string{"/tmp/p", "/tmp/p/b", "/tmp/p/b/c"} {
			call(unix.SYS_MKDIRAT, atcwd, str(0, d), 0o755)
		}
		write("/tmp/p/b/target", "in b")
		write("/tmp/p/target", "in p")
		call(unix.SYS_SYMLINKAT, str(100, "b/c"), atcwd, str(0, "/tmp/p/a"))
		call(unix.SYS_SYMLINKAT, str(100, "/tmp/p/b/c"), atcwd, str(0, "/tmp/p/abs"))
		call(unix.SYS_SYMLINKAT, str(100, "c/.."), atcwd, str(0, "/tmp/p/b/up"))
		call(unix.SYS_SYMLINKAT, str(100, "l2"), atcwd, str(0, "/tmp/p/l1"))
		call(unix.SYS_SYMLINKAT, str(100, "l1"), atcwd, str(0, "/tmp/p/l2"))
		read("open", atcwd, "/tmp/p/a/../target")
		read("open abs link", atcwd, "/tmp/p/abs/../target")
		read("open via top", atcwd, "/tmp/../tmp/p/a/../../target")
		read("open link to dotdot", atcwd, "/tmp/p/b/up/../target")
		read("open two links", atcwd, "/tmp/p/a/../up/../target")
		// Links that leave /tmp start from the personality's "/" (the read-only tree
		// has /etc/motd), whichever back end holds /tmp.
		call(unix.SYS_SYMLINKAT, str(100, "/etc/motd"), atcwd, str(0, "/tmp/p/motd"))
		call(unix.SYS_SYMLINKAT, str(100, "/etc"), atcwd, str(0, "/tmp/p/etc"))
		call(unix.SYS_SYMLINKAT, str(100, "../../etc/motd"), atcwd, str(0, "/tmp/p/upmotd"))
		read("absolute link out", atcwd, "/tmp/p/motd")
		read("through a link out", atcwd, "/tmp/p/etc/motd")
		read("dotdot out", atcwd, "/tmp/p/upmotd")
		read("dotdot out, then in", atcwd, "/tmp/p/etc/../tmp/p/target")
		exists("the link itself", "/tmp/p/motd")
		note("write through it", call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/p/motd"), unix.O_WRONLY, 0))
		// Past an absolute link (SKYAIFS hands the path back), a final link is still
		// the open's to refuse.
		call(unix.SYS_SYMLINKAT, str(100, "/tmp/p"), atcwd, str(0, "/tmp/p/self"))
		read("through an absolute link", atcwd, "/tmp/p/self/self/target")
		note("nofollow past it", call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/p/self/motd"), unix.O_RDONLY|unix.O_NOFOLLOW, 0))
		note("excl past it", call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/p/self/motd"), unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY, 0o644))
		note("lstat past it", call(unix.SYS_NEWFSTATAT, atcwd, str(0, "/tmp/p/self/motd"), m.base+2048, unix.AT_SYMLINK_NOFOLLOW))
		l.p.Load(m.base+2048, st[:])
		note("is a link", uint64(binary.LittleEndian.Uint32(st[24:])&unix.S_IFMT)/unix.S_IFLNK)
		note("file then dotdot", call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/p/target/../target"), unix.O_RDONLY, 0))
		note("missing then dotdot", call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/p/none/../target"), unix.O_RDONLY, 0))
		note("loop then dotdot", call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/p/l1/../target"), unix.O_RDONLY, 0))
		note("chdir link", call(unix.SYS_CHDIR, str(0, "/tmp/p/a")))
		read("dotdot from it", atcwd, "../target")
		note("getcwd", call(unix.SYS_GETCWD, m.base+8192, 4096))
		note("chdir", call(unix.SYS_CHDIR, str(0, "/tmp/p")))
		read("relative", atcwd, "a/../target")
		note("mkdir", call(unix.SYS_MKDIRAT, atcwd, str(0, "a/../made"), 0o755))
		exists("made in b", "/tmp/p/b/made")
		note("rename", call(unix.SYS_RENAMEAT, atcwd, str(0, "a/../made"), atcwd, str(100, "abs/../moved")))
		exists("moved in b", "/tmp/p/b/moved")
		note("rmdir", call(unix.SYS_UNLINKAT, atcwd, str(0, "a/../moved"), unix.AT_REMOVEDIR))
		note("symlink", call(unix.SYS_SYMLINKAT, str(100, "target"), atcwd, str(0, "a/../sl")))
		read("through it", atcwd, "/tmp/p/b/sl")
		note("link", call(unix.SYS_LINKAT, atcwd, str(0, "a/../target"), atcwd, str(100, "a/../hard"), 0))
		read("hard", atcwd, "/tmp/p/b/hard")
		note("chmod", call(unix.SYS_FCHMODAT, atcwd, str(0, "a/../hard"), 0o600))
		_, _, _, mode, _ := stat("/tmp/p/b/target", 0)
		note("mode", uint64(mode&0o777))
		r, _, _, _, size := stat("a/../target", unix.AT_SYMLINK_NOFOLLOW)
		note("lstat", r)
		note("size", size)
		note("unlink", call(unix.SYS_UNLINKAT, atcwd, str(0, "a/../hard"), 0))
		exists("hard gone", "/tmp/p/b/hard")
		note("readlink", call(unix.SYS_READLINKAT, atcwd, str(0, "a/../sl"), m.base+4096, 64))

		// Ownership.
		note("chown", call(unix.SYS_FCHOWNAT, atcwd, str(0, "/tmp/p/target"), 7, 8, 0))
		_, uid, gid, _, _ := stat("/tmp/p/target", 0)
		note("owner", uint64(uid)<<16|uint64(gid))
		note("chgrp", call(unix.SYS_CHOWN, str(0, "/tmp/p/target"), ^uint64(0), 9))
		_, uid, gid, _, _ = stat("/tmp/p/target", 0)
		note("owner", uint64(uid)<<16|uint64(gid))
		note("lchown", call(unix.SYS_FCHOWNAT, atcwd, str(0, "/tmp/p/abs"), 5, 5, unix.AT_SYMLINK_NOFOLLOW))
		_, uid, _, _, _ = stat("/tmp/p/abs", unix.AT_SYMLINK_NOFOLLOW)
		_, uid2, _, _, _ := stat("/tmp/p/abs", 0)
		note("link and target", uint64(uid)<<16|uint64(uid2))
		fd := call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/p/target"), unix.O_RDONLY, 0)
		note("fchown", call(unix.SYS_FCHOWN, fd, 3, 3))
		note("empty path", call(unix.SYS_FCHOWNAT, fd, str(0, ""), 4, ^uint64(0), unix.AT_EMPTY_PATH))
		_, uid, gid, _, _ = stat("/tmp/p/target", 0)
		note("owner", uint64(uid)<<16|uint64(gid))
		call(unix.SYS_CLOSE, fd)
		call(unix.SYS_FCHMODAT, atcwd, str(0, "/tmp/p/target"), 0o6755)
		call(unix.SYS_CHOWN, str(0, "/tmp/p/target"), ^uint64(0), ^uint64(0))
		_, _, _, mode, _ = stat("/tmp/p/target", 0)
		note("set-id gone", uint64(mode&0o7777))
		call(unix.SYS_FCHMODAT, atcwd, str(0, "/tmp/p/target"), 0o6744)
		call(unix.SYS_CHOWN, str(0, "/tmp/p/target"), 0, 0)
		_, _, _, mode, _ = stat("/tmp/p/target", 0)
		note("set-gid stays without group x", uint64(mode&0o7777))
		note("bad flags", call(unix.SYS_FCHOWNAT, atcwd, str(0, "/tmp/p/target"), 0, 0, 1))
		note("missing", call(unix.SYS_CHOWN, str(0, "/tmp/p/none"), 0, 0))

		// Deeper than PATH_MAX: 20 directories of 250 bytes.
		name := strings.Repeat("n", 250)
		note("chdir deep", call(unix.SYS_CHDIR, str(0, "/tmp/p")))
		for range 20 {
			if r := call(unix.SYS_MKDIRAT, atcwd, str(0, name), 0o755); r != 0 {
				note("mkdir level", r)
			}
			if r := call(unix.SYS_CHDIR, str(0, name)); r != 0 {
				note("chdir level", r)
			}
		}
		note("getcwd", call(unix.SYS_GETCWD, m.base+8192, 16384))
		write("f", "deep")
		read("deep read", atcwd, "f")
		note("rename an ancestor", call(unix.SYS_RENAMEAT, atcwd, str(0, "/tmp/p/"+name), atcwd, str(300, "/tmp/p/moved")))
		read("after the move", atcwd, "f")
		exists("under its new name", "/tmp/p/moved/"+name+"/"+name)
		note("rename back", call(unix.SYS_RENAMEAT, atcwd, str(0, "/tmp/p/moved"), atcwd, str(300, "/tmp/p/"+name)))
		read("and back", atcwd, "f")
		dfd := call(unix.SYS_OPENAT, atcwd, str(0, "."), unix.O_RDONLY|unix.O_DIRECTORY, 0)
		n := call(unix.SYS_GETDENTS64, dfd, m.base+8192, 4096)
		note("getdents", n) // one record: "f" (24 bytes)
		call(unix.SYS_CLOSE, dfd)
		r, _, _, _, size = stat("../"+name+"/f", 0)
		note("stat", r)
		note("size", size)
		note("rename deep", call(unix.SYS_RENAMEAT, atcwd, str(0, "f"), atcwd, str(100, "../g")))
		read("renamed", atcwd, "../g")
		note("chdir up", call(unix.SYS_CHDIR, str(0, "/tmp/p")))
		note("getcwd", call(unix.SYS_GETCWD, m.base+8192, 16384))
		// Down again by descriptors, then remove everything from them.
		fds := []uint64{call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/p"), unix.O_RDONLY|unix.O_DIRECTORY, 0)}
		for range 20 {
			fds = append(fds, call(unix.SYS_OPENAT, fds[len(fds)-1], str(0, name), unix.O_RDONLY|unix.O_DIRECTORY, 0))
		}
		read("by descriptor", fds[19], "g")
		note("fchdir", call(unix.SYS_FCHDIR, fds[20]))
		note("getcwd", call(unix.SYS_GETCWD, m.base+8192, 16384))
		note("dotdot", call(unix.SYS_NEWFSTATAT, atcwd, str(0, ".."), m.base+2048, 0))
		note("unlink by descriptor", call(unix.SYS_UNLINKAT, fds[19], str(0, "g"), 0))
		bad := 0
		for i := 19; i >= 0; i-- {
			if call(unix.SYS_UNLINKAT, fds[i], str(0, name), unix.AT_REMOVEDIR) != 0 {
				bad++
			}
		}
		note("rmdir failures", uint64(bad))
		exists("deep gone", "/tmp/p/"+name)
		call(unix.SYS_EXIT_GROUP, 0)
	}
}

// wantPaths is pathsProgram's log, as Linux gives it.
var wantPaths = strings.Join([]string{
	"open=in b", "open abs link=in b", "open via top=in p", "open link to dotdot=in p", "open two links=in p",
	"absolute link out=hello", "through a link out=hello", "dotdot out=hello", "dotdot out, then in=in p",
	"the link itself=0", "write through it=-30", "through an absolute link=in p", "nofollow past it=-40", "excl past it=-17", "lstat past it=0", "is a link=1", "file then dotdot=-20", "missing then dotdot=-2", "loop then dotdot=-40",
	"chdir link=0", "dotdot from it=in b", "getcwd=11", "chdir=0", "relative=in b", "mkdir=0", "made in b=0", "rename=0", "moved in b=0", "rmdir=0", "symlink=0",
	"through it=in b", "link=0", "hard=in b", "chmod=0", "mode=384", "lstat=0", "size=4", "unlink=0", "hard gone=-2", "readlink=6",
	"chown=0", fmt.Sprintf("owner=%d", 7<<16|8), "chgrp=0", fmt.Sprintf("owner=%d", 7<<16|9), "lchown=0",
	fmt.Sprintf("link and target=%d", 5<<16), "fchown=0", "empty path=0", fmt.Sprintf("owner=%d", 4<<16|3),
	"set-id gone=493", "set-gid stays without group x=1508", "bad flags=-22", "missing=-2",
	"chdir deep=0", "getcwd=-36", "deep read=deep", "rename an ancestor=0", "after the move=deep", "under its new name=0", "rename back=0", "and back=deep", "getdents=24", "stat=0", "size=4", "rename deep=0", "renamed=deep",
	"chdir up=0", "getcwd=7", "by descriptor=deep", "fchdir=0", "getcwd=-36", "dotdot=0", "unlink by descriptor=0",
	"rmdir failures=0", "deep gone=-2",
}, " ")

// pathsTree is the read-only tree pathsProgram's links lead into.
var pathsTree = map[string][]byte{"etc/motd": []byte("hello")}

// TestPathsInMemory: pathsProgram with the in-memory /tmp.
func TestPathsInMemory(t *testing.T) {
	var log []string
	w := &fsWorld{t: t, progs: []func(l linuxProg){pathsProgram(&log)}, files: pathsTree, inMemory: true}
	w.run()
	if got := strings.Join(log, " "); got != wantPaths {
		t.Fatalf("got  %s\nwant %s", got, wantPaths)
	}
}

// TestPathsOnSKYAIFS: pathsProgram with SKYAIFS behind /tmp.
func TestPathsOnSKYAIFS(t *testing.T) {
	var log []string
	w := &fsWorld{t: t, progs: []func(l linuxProg){pathsProgram(&log)}, files: pathsTree}
	w.run()
	if got := strings.Join(log, " "); got != wantPaths {
		t.Fatalf("got  %s\nwant %s\nconsole:\n%s", got, wantPaths, w.m.Console)
	}
	if w.tree.FileCalls() < 200 {
		t.Fatalf("only %d file requests reached the server", w.tree.FileCalls())
	}
}
