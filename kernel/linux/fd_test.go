package linux_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDescriptors: dup, dup2, dup3 and fcntl share open files between descriptors
// with their own close-on-exec flags; a pipe's read end sees end of file only when
// its last write descriptor closes; a write with no reader fails with EPIPE; a
// non-blocking empty pipe says EAGAIN; close of a closed descriptor says EBADF.
func TestDescriptors(t *testing.T) {
	var log []string
	note := func(what string, r uint64) { log = append(log, what+"="+itoa(int64(r))) }
	boot(t, func(l linuxProg) {
		mem := scratchPage(l)
		r, w := makePipe(l, mem, unix.O_CLOEXEC)
		note("r", r)
		note("w", w)
		note("getfd", l.call(unix.SYS_FCNTL, r, unix.F_GETFD))
		d := l.call(unix.SYS_DUP, w)
		note("dup", d)
		note("dup getfd", l.call(unix.SYS_FCNTL, d, unix.F_GETFD))
		note("dup3 cloexec", l.call(unix.SYS_DUP3, w, 9, unix.O_CLOEXEC))
		note("getfd 9", l.call(unix.SYS_FCNTL, 9, unix.F_GETFD))
		note("dup3 same", l.call(unix.SYS_DUP3, 9, 9, 0))
		note("dupfd", l.call(unix.SYS_FCNTL, w, unix.F_DUPFD_CLOEXEC, 20))
		note("getfl", l.call(unix.SYS_FCNTL, w, unix.F_GETFL))
		l.p.Store(mem+100, []byte("ab"))
		note("write dup", l.call(unix.SYS_WRITE, d, mem+100, 2))
		for _, fd := range []uint64{w, d, 9} {
			l.call(unix.SYS_CLOSE, fd)
		}
		note("read", l.call(unix.SYS_READ, r, mem+200, 10))
		note("setfl", l.call(unix.SYS_FCNTL, r, unix.F_SETFL, unix.O_NONBLOCK))
		note("read nonblocking", l.call(unix.SYS_READ, r, mem+200, 10))
		note("close 20", l.call(unix.SYS_CLOSE, 20))
		note("read eof", l.call(unix.SYS_READ, r, mem+200, 10))
		note("close again", l.call(unix.SYS_CLOSE, 20))
		r, w = makePipe(l, mem, 0)
		l.call(unix.SYS_CLOSE, r)
		note("write no reader", l.call(unix.SYS_WRITE, w, mem+100, 2))
		note("dup2 onto stdout", l.call(unix.SYS_DUP2, w, 1))
		note("close stdin", l.call(unix.SYS_CLOSE, 0))
		note("lowest free", l.call(unix.SYS_DUP, w))
		note("wait4 no child", l.call(unix.SYS_WAIT4, ^uint64(0), 0, 0, 0))
		note("execve", l.call(unix.SYS_EXECVE, mem+100, 0, 0))
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	want := "r=3 w=4 getfd=1 dup=5 dup getfd=0 dup3 cloexec=9 getfd 9=1 dup3 same=-22 dupfd=20 getfl=1 " +
		"write dup=2 read=2 setfl=0 read nonblocking=-11 close 20=0 read eof=0 close again=-9 " +
		"write no reader=-32 dup2 onto stdout=1 close stdin=0 lowest free=0 wait4 no child=-10 execve=-38"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestPipeEpollEdges: a pipe's read end registered with EPOLLET is reported once per
// write, not on every wait, and its write end once writable.
func TestPipeEpollEdges(t *testing.T) {
	var log []string
	note := func(what string, r uint64) { log = append(log, what+"="+itoa(int64(r))) }
	boot(t, func(l linuxProg) {
		mem := scratchPage(l)
		r, w := makePipe(l, mem, unix.O_NONBLOCK)
		ep := l.call(unix.SYS_EPOLL_CREATE1, 0)
		reg := func(fd uint64, ev uint32) uint64 {
			var e [12]byte
			binary.LittleEndian.PutUint32(e[:], ev)
			binary.LittleEndian.PutUint64(e[4:], fd)
			l.p.Store(mem+64, e[:])
			return l.call(unix.SYS_EPOLL_CTL, ep, unix.EPOLL_CTL_ADD, fd, mem+64)
		}
		note("add r", reg(r, unix.EPOLLIN|unix.EPOLLET))
		note("add w", reg(w, unix.EPOLLOUT|unix.EPOLLET))
		note("add again", reg(w, unix.EPOLLOUT))
		note("add file", reg(0, unix.EPOLLIN))
		wait := func() uint64 { return l.call(unix.SYS_EPOLL_PWAIT, ep, mem+128, 8, 0, 0) }
		note("first wait (w writable)", wait())
		note("second wait", wait())
		l.p.Store(mem+100, []byte("x"))
		l.call(unix.SYS_WRITE, w, mem+100, 1)
		note("after write", wait())
		note("again", wait())
		l.call(unix.SYS_READ, r, mem+200, 1)
		note("after read", wait())
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	// The console is not pollable (EPERM). A write makes the read end readable and
	// the write end reports its (still) writable state once; a read makes room.
	want := "add r=0 add w=0 add again=-17 add file=-1 first wait (w writable)=1 second wait=0 after write=2 again=0 after read=1"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestTmpfsRenameKeepsSpace: a rename to a longer name and an unlink leave /tmp's
// space accounting where it was (it once underflowed, and /tmp was full forever).
func TestTmpfsRenameKeepsSpace(t *testing.T) {
	var log []string
	note := func(what string, r uint64) { log = append(log, what+"="+itoa(int64(r))) }
	boot(t, func(l linuxProg) {
		mem := scratchPage(l)
		str := func(off uint64, s string) uint64 {
			l.p.Store(mem+off, append([]byte(s), 0))
			return mem + off
		}
		atcwd := uint64(0xffffff9c)
		l.call(unix.SYS_CLOSE, l.call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/a"), unix.O_CREAT|unix.O_WRONLY, 0o600))
		note("rename", l.call(unix.SYS_RENAMEAT, atcwd, str(0, "/tmp/a"), atcwd, str(100, "/tmp/a-much-longer-name")))
		note("unlink", l.call(unix.SYS_UNLINKAT, atcwd, str(100, "/tmp/a-much-longer-name"), 0))
		note("create", l.call(unix.SYS_MKDIRAT, atcwd, str(0, "/tmp/b"), 0o700))
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	if got := strings.Join(log, " "); got != "rename=0 unlink=0 create=0" {
		t.Fatalf("got %s", got)
	}
}

// scratchPage maps a page of memory for a test program's buffers.
func scratchPage(l linuxProg) uint64 {
	return l.call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
}

// makePipe makes a pipe with pipe2 flags, its descriptors written at mem.
func makePipe(l linuxProg, mem, flags uint64) (r, w uint64) {
	l.call(unix.SYS_PIPE2, mem, flags)
	var b [8]byte
	l.p.Load(mem, b[:])
	return uint64(binary.LittleEndian.Uint32(b[:])), uint64(binary.LittleEndian.Uint32(b[4:]))
}
