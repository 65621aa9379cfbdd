package linux_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestTmpfs: /tmp is writable — make a directory, create, write, read back at an
// offset, stat, rename, list, truncate, remove — while the rest of the tree stays
// read-only.
func TestTmpfs(t *testing.T) {
	var log []string
	note := func(what string, r uint64) { log = append(log, what+"="+itoa(int64(r))) }
	boot(t, func(l linuxProg) {
		mem := l.call(unix.SYS_MMAP, 0, 3*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
		str := func(off uint64, s string) uint64 {
			l.p.Store(mem+off, append([]byte(s), 0))
			return mem + off
		}
		atcwd := uint64(0xffffff9c) // AT_FDCWD (-100) as the kernel reads an int
		note("mkdir", l.call(unix.SYS_MKDIRAT, atcwd, str(0, "/tmp/d"), 0o700))
		note("mkdir again", l.call(unix.SYS_MKDIRAT, atcwd, str(0, "/tmp/d"), 0o700))
		note("mkdir outside", l.call(unix.SYS_MKDIRAT, atcwd, str(0, "/etc"), 0o700))
		fd := l.call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/d/f"), unix.O_CREAT|unix.O_RDWR|unix.O_EXCL, 0o600)
		note("open", fd)
		l.p.Store(mem+4096, []byte("hello, tmpfs"))
		note("write", l.call(unix.SYS_WRITE, fd, mem+4096, 12))
		note("pread", l.call(unix.SYS_PREAD64, fd, mem+8192, 5, 7))
		var b [5]byte
		l.p.Load(mem+8192, b[:])
		log = append(log, "read="+string(b[:]))
		note("fstat", l.call(unix.SYS_FSTAT, fd, mem+8192))
		var st [144]byte
		l.p.Load(mem+8192, st[:])
		note("size", binary.LittleEndian.Uint64(st[48:]))
		note("excl", l.call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/d/f"), unix.O_CREAT|unix.O_RDWR|unix.O_EXCL, 0o600))
		note("rename", l.call(unix.SYS_RENAMEAT, atcwd, str(0, "/tmp/d/f"), atcwd, str(100, "/tmp/d/g")))
		note("ftruncate", l.call(unix.SYS_FTRUNCATE, fd, 3))
		note("stat g", l.call(unix.SYS_NEWFSTATAT, atcwd, str(0, "/tmp/d/g"), mem+8192, 0))
		l.p.Load(mem+8192, st[:])
		note("size g", binary.LittleEndian.Uint64(st[48:]))
		note("stat f", l.call(unix.SYS_NEWFSTATAT, atcwd, str(0, "/tmp/d/f"), mem+8192, 0))
		dfd := l.call(unix.SYS_OPENAT, atcwd, str(0, "/tmp/d"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
		n := l.call(unix.SYS_GETDENTS64, dfd, mem+8192, 4096)
		d := make([]byte, n)
		l.p.Load(mem+8192, d)
		log = append(log, "entries="+strings.Trim(string(d[19:20]), "\x00"))
		note("rmdir busy", l.call(unix.SYS_UNLINKAT, atcwd, str(0, "/tmp/d"), unix.AT_REMOVEDIR))
		note("unlink relative", l.call(unix.SYS_UNLINKAT, dfd, str(0, "g"), 0))
		note("rmdir", l.call(unix.SYS_UNLINKAT, atcwd, str(0, "/tmp/d"), unix.AT_REMOVEDIR))
		note("write tree", l.call(unix.SYS_OPENAT, atcwd, str(0, "/x"), unix.O_CREAT|unix.O_WRONLY, 0o600))
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	want := "mkdir=0 mkdir again=-17 mkdir outside=-30 open=3 write=12 pread=5 read=tmpfs fstat=0 size=12 excl=-17 " +
		"rename=0 ftruncate=0 stat g=0 size g=3 stat f=-2 entries=g rmdir busy=-39 unlink relative=0 rmdir=0 write tree=-30"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func itoa(v int64) string {
	if v < 0 {
		return "-" + itoa(-v)
	}
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

// TestTmpfsLinks: symbolic links (followed in paths, not by lstat, readlink, unlink;
// dangling ones; loops end in ELOOP; O_CREAT|O_EXCL refuses a link) and hard links
// (a second name for the same file, which outlives the first).
func TestTmpfsLinks(t *testing.T) {
	var log []string
	note := func(what string, r uint64) { log = append(log, what+"="+itoa(int64(r))) }
	boot(t, func(l linuxProg) {
		mem := l.call(unix.SYS_MMAP, 0, 3*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
		str := func(off uint64, s string) uint64 {
			l.p.Store(mem+off, append([]byte(s), 0))
			return mem + off
		}
		at := uint64(0xffffff9c)
		l.call(unix.SYS_MKDIRAT, at, str(0, "/tmp/d"), 0o755)
		fd := l.call(unix.SYS_OPENAT, at, str(0, "/tmp/d/f"), unix.O_CREAT|unix.O_WRONLY, 0o644)
		l.p.Store(mem+4096, []byte("data"))
		l.call(unix.SYS_WRITE, fd, mem+4096, 4)
		note("symlink", l.call(unix.SYS_SYMLINKAT, str(0, "d"), at, str(100, "/tmp/ld")))
		note("stat through link", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/ld/f"), mem+8192, 0))
		var st [144]byte
		l.p.Load(mem+8192, st[:])
		note("size", binary.LittleEndian.Uint64(st[48:]))
		note("lstat", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/ld"), mem+8192, unix.AT_SYMLINK_NOFOLLOW))
		l.p.Load(mem+8192, st[:])
		note("is link", uint64(binary.LittleEndian.Uint32(st[24:])&unix.S_IFMT)/uint64(unix.S_IFLNK))
		n := l.call(unix.SYS_READLINKAT, at, str(0, "/tmp/ld"), mem+8192, 100)
		var b [1]byte
		l.p.Load(mem+8192, b[:])
		log = append(log, "readlink="+itoa(int64(n))+string(b[:]))
		note("dangling", l.call(unix.SYS_SYMLINKAT, str(0, "nowhere"), at, str(100, "/tmp/dang")))
		note("open dangling", l.call(unix.SYS_OPENAT, at, str(0, "/tmp/dang"), unix.O_RDONLY, 0))
		note("excl on link", l.call(unix.SYS_OPENAT, at, str(0, "/tmp/dang"), unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY, 0o600))
		l.call(unix.SYS_SYMLINKAT, str(0, "loop2"), at, str(100, "/tmp/loop1"))
		l.call(unix.SYS_SYMLINKAT, str(0, "loop1"), at, str(100, "/tmp/loop2"))
		note("loop", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/loop1"), mem+8192, 0))
		note("link", l.call(unix.SYS_LINKAT, at, str(0, "/tmp/d/f"), at, str(100, "/tmp/hard"), 0))
		note("unlink first", l.call(unix.SYS_UNLINKAT, at, str(0, "/tmp/d/f"), 0))
		note("stat hard", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/hard"), mem+8192, 0))
		l.p.Load(mem+8192, st[:])
		note("hard size", binary.LittleEndian.Uint64(st[48:]))
		note("chmod link nofollow", l.call(unix.SYS_FCHMODAT2, at, str(0, "/tmp/ld"), 0o700, unix.AT_SYMLINK_NOFOLLOW))
		note("chmod nofollow", l.call(unix.SYS_FCHMODAT2, at, str(0, "/tmp/hard"), 0o600, unix.AT_SYMLINK_NOFOLLOW))
		l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/hard"), mem+8192, 0)
		l.p.Load(mem+8192, st[:])
		note("mode", uint64(binary.LittleEndian.Uint32(st[24:])&0o7777))
		note("chmod bad flags", l.call(unix.SYS_FCHMODAT2, at, str(0, "/tmp/hard"), 0o600, 1))
		hfd := l.call(unix.SYS_OPENAT, at, str(0, "/tmp/hard"), unix.O_RDONLY, 0)
		note("chmod empty path", l.call(unix.SYS_FCHMODAT2, hfd, str(0, ""), 0o640, unix.AT_EMPTY_PATH))
		l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/hard"), mem+8192, 0)
		l.p.Load(mem+8192, st[:])
		note("mode", uint64(binary.LittleEndian.Uint32(st[24:])&0o7777))
		note("file slash", l.call(unix.SYS_OPENAT, at, str(0, "/tmp/hard/"), unix.O_RDONLY, 0))
		note("file slash dot", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/hard/."), mem+8192, 0))
		note("dir slash", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/d/"), mem+8192, 0))
		note("lstat link slash", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/ld/"), mem+8192, unix.AT_SYMLINK_NOFOLLOW))
		l.p.Load(mem+8192, st[:])
		note("is dir", uint64(binary.LittleEndian.Uint32(st[24:])&unix.S_IFMT)/uint64(unix.S_IFDIR))
		note("create slash", l.call(unix.SYS_OPENAT, at, str(0, "/tmp/new2/"), unix.O_CREAT|unix.O_WRONLY, 0o600))
		note("unlink link slash", l.call(unix.SYS_UNLINKAT, at, str(0, "/tmp/ld/"), 0))
		note("readlink link slash", l.call(unix.SYS_READLINKAT, at, str(0, "/tmp/ld/"), mem+8192, 100))
		note("rename file slash", l.call(unix.SYS_RENAMEAT, at, str(0, "/tmp/hard/"), at, str(100, "/tmp/x")))
		note("rmdir dot", l.call(unix.SYS_UNLINKAT, at, str(0, "/tmp/d/."), unix.AT_REMOVEDIR))
		note("rmdir dotdot", l.call(unix.SYS_UNLINKAT, at, str(0, "/tmp/d/.."), unix.AT_REMOVEDIR))
		note("unlink dot", l.call(unix.SYS_UNLINKAT, at, str(0, "/tmp/d/./"), 0))
		note("rename dot", l.call(unix.SYS_RENAMEAT, at, str(0, "/tmp/d/."), at, str(100, "/tmp/x")))
		note("link to slash", l.call(unix.SYS_LINKAT, at, str(0, "/tmp/hard"), at, str(100, "/tmp/nl/"), 0))
		note("link from file slash", l.call(unix.SYS_LINKAT, at, str(0, "/tmp/hard/"), at, str(100, "/tmp/nl"), 0))
		l.call(unix.SYS_SYMLINKAT, str(0, "hard/"), at, str(100, "/tmp/ls"))
		note("link to file slash", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/ls"), mem+8192, 0))
		note("lstat link to file slash", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/ls"), mem+8192, unix.AT_SYMLINK_NOFOLLOW))
		note("link from link slash", l.call(unix.SYS_LINKAT, at, str(0, "/tmp/ld/"), at, str(100, "/tmp/nl"), 0))
		note("symlink to slash", l.call(unix.SYS_SYMLINKAT, str(0, "hard"), at, str(100, "/tmp/nl/")))
		note("rmdir link slash", l.call(unix.SYS_UNLINKAT, at, str(0, "/tmp/ld/"), unix.AT_REMOVEDIR))
		note("mkdir file slash", l.call(unix.SYS_MKDIRAT, at, str(0, "/tmp/hard/"), 0o755))
		note("mkdir new slash", l.call(unix.SYS_MKDIRAT, at, str(0, "/tmp/new/"), 0o755))
		note("unlink file slash", l.call(unix.SYS_UNLINKAT, at, str(0, "/tmp/hard/"), 0))
		note("below a file", l.call(unix.SYS_OPENAT, at, str(0, "/tmp/hard/x"), unix.O_RDONLY, 0))
		note("create below a file", l.call(unix.SYS_OPENAT, at, str(0, "/tmp/hard/x"), unix.O_CREAT|unix.O_WRONLY, 0o600))
		note("below nothing", l.call(unix.SYS_OPENAT, at, str(0, "/tmp/none/x"), unix.O_RDONLY, 0))
		note("unlink link", l.call(unix.SYS_UNLINKAT, at, str(0, "/tmp/ld"), 0))
		note("dir still", l.call(unix.SYS_NEWFSTATAT, at, str(0, "/tmp/d"), mem+8192, 0))
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	want := "symlink=0 stat through link=0 size=4 lstat=0 is link=1 readlink=1d dangling=0 open dangling=-2 " +
		"excl on link=-17 loop=-40 link=0 unlink first=0 stat hard=0 hard size=4 " +
		"chmod link nofollow=-95 chmod nofollow=0 mode=384 chmod bad flags=-22 chmod empty path=0 mode=416 " +
		"file slash=-20 file slash dot=-20 dir slash=0 lstat link slash=0 is dir=1 create slash=-21 unlink link slash=-20 readlink link slash=-22 rename file slash=-20 rmdir dot=-22 rmdir dotdot=-39 unlink dot=-21 rename dot=-16 link to slash=-2 link from file slash=-20 link to file slash=-20 lstat link to file slash=0 link from link slash=-1 symlink to slash=-2 rmdir link slash=-20 mkdir file slash=-17 mkdir new slash=0 " +
		"unlink file slash=-20 below a file=-20 create below a file=-20 below nothing=-2 unlink link=0 dir still=0"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
