package linux_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/linux"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"golang.org/x/sys/unix"
)

// fifoWorld runs Linux test programs as processes sharing one /tmp.
type fifoWorld struct {
	t    *testing.T
	m    *usersim.Machine
	tree *linux.FileTree
	pc   uint64
}

func newFifoWorld(t *testing.T) *fifoWorld {
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(*user.Env) {}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	return &fifoWorld{t: t, m: m, tree: linux.NewFileTree(nil), pc: 0x70_0000}
}

// start makes a process running prog and starts it.
func (w *fifoWorld) start(prog func(l linuxProg)) *linux.Process {
	w.t.Helper()
	w.pc += 0x1000
	w.m.Sim.AddProgram(w.pc, func(p *sim.Port) { prog(linuxProg{p}) })
	task, err := w.m.CreateTask(w.m.RootUntyped(), kernel.TaskSpec{Name: "fifo", Entry: w.pc, StackPages: 2, Memory: 4 << 20})
	if err != nil {
		w.t.Fatal(err)
	}
	proc := linux.NewProcess("fifo", task.Budget(), w.m.Console, func() int64 { return 0 })
	proc.Attach(w.m.Kernel, task.Thread())
	proc.SetTree(w.tree, "/")
	w.m.StartTask(task)
	return proc
}

// run runs the machine until every thread waits or ended.
func (w *fifoWorld) run() {
	w.t.Helper()
	if r := w.m.Run(w.m.Now() + 10_000_000_000); r != kernel.StopIdle {
		w.t.Fatalf("run: %v\n%s", r, w.m.Console)
	}
	if err := w.m.CheckInvariants(); err != nil {
		w.t.Fatal(err)
	}
}

// sleep waits ms milliseconds in nanosleep.
func (m *mem) sleep(ms uint64) {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[8:], ms*1_000_000)
	m.l.p.Store(m.base+0x800, b[:])
	m.l.call(unix.SYS_NANOSLEEP, m.base+0x800, 0)
}

// read reads up to n bytes of fd and notes the result and the data.
func (m *mem) read(what string, fd, n uint64) {
	r := m.l.call(unix.SYS_READ, fd, m.base+0x1000, n)
	if int64(r) > 0 {
		b := make([]byte, r)
		m.l.p.Load(m.base+0x1000, b)
		what += "(" + string(b) + ")"
	}
	m.note(what, r)
}

// statMode returns the file type bits stat reports for path.
func (m *mem) statMode(path string) uint64 {
	if r := m.l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, path), m.base+0x2000, 0); r != 0 {
		return r
	}
	var b [4]byte
	m.l.p.Load(m.base+0x2000+24, b[:]) // st_mode in x86-64's struct stat
	return uint64(binary.LittleEndian.Uint32(b[:]) & unix.S_IFMT)
}

// TestFifo: mknodat makes FIFOs (and empty regular files; devices are refused) that
// stat and getdents64 show as such; two processes connect through one: a reader's open
// waits for a writer and a writer's for a reader, in either order; the reader sees the
// data, then end of file once the writer closed; O_NONBLOCK opens a reader at once and
// refuses a writer without a reader (ENXIO); O_RDWR opens at once; a write with no
// reader left fails with EPIPE.
func TestFifo(t *testing.T) {
	var rlog, wlog []string
	w := newFifoWorld(t)
	w.start(func(l linuxProg) {
		m := newMem(l, &rlog)
		m.note("mkfifo", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/f"), unix.S_IFIFO|0o600, 0))
		m.note("again", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/f"), unix.S_IFIFO|0o600, 0))
		m.note("chr", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/c"), unix.S_IFCHR|0o600, unix.Mkdev(1, 3)))
		m.note("dir", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/d"), unix.S_IFDIR|0o700, 0))
		m.note("reg", l.call(unix.SYS_MKNOD, m.str(0, "/tmp/r"), 0o600, 0))
		m.note("ro", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/x"), unix.S_IFIFO|0o600, 0))
		m.note("stat f", m.statMode("/tmp/f"))
		m.note("stat r", m.statMode("/tmp/r"))
		d := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp"), unix.O_RDONLY|unix.O_DIRECTORY)
		n := l.call(unix.SYS_GETDENTS64, d, m.base+0x3000, 4096)
		ents := make([]byte, n)
		l.p.Load(m.base+0x3000, ents)
		for len(ents) >= 19 {
			reclen := binary.LittleEndian.Uint16(ents[16:])
			name := strings.TrimRight(string(ents[19:reclen]), "\x00")
			m.note("dirent "+name, uint64(ents[18]))
			ents = ents[reclen:]
		}
		l.call(unix.SYS_CLOSE, d)
		m.note("nonblock writer", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_WRONLY|unix.O_NONBLOCK))
		fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_RDONLY|unix.O_NONBLOCK)
		m.note("nonblock reader", fd)
		m.note("getfl", l.call(unix.SYS_FCNTL, fd, unix.F_GETFL))
		m.read("read no writer", fd, 16)
		l.call(unix.SYS_CLOSE, fd)
		fd = l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_RDONLY|unix.O_CLOEXEC)
		m.note("open reader first", fd)
		m.note("cloexec", l.call(unix.SYS_FCNTL, fd, unix.F_GETFD))
		m.read("read", fd, 16)
		m.read("read eof", fd, 16)
		l.call(unix.SYS_CLOSE, fd)
		m.sleep(50) // the writer opens first this time
		fd = l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_RDONLY)
		m.note("open reader second", fd)
		m.read("read", fd, 16)
		m.read("read eof", fd, 16)
		l.call(unix.SYS_CLOSE, fd)
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	w.start(func(l linuxProg) {
		m := newMem(l, &wlog)
		m.sleep(10) // the reader made the FIFO and waits in its open
		fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_WRONLY)
		m.note("open writer second", fd)
		l.p.Store(m.base+0x1000, []byte("hello"))
		m.note("write", l.call(unix.SYS_WRITE, fd, m.base+0x1000, 5))
		m.sleep(10)
		l.call(unix.SYS_CLOSE, fd)
		m.sleep(10) // the reader saw end of file and closed its end
		fd = l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_WRONLY)
		m.note("open writer first", fd)
		l.p.Store(m.base+0x1000, []byte("again"))
		m.note("write", l.call(unix.SYS_WRITE, fd, m.base+0x1000, 5))
		l.call(unix.SYS_CLOSE, fd)
		m.sleep(10) // the reader is gone
		rw := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_RDWR)
		m.note("open rdwr", rw)
		m.note("rdwr getfl", l.call(unix.SYS_FCNTL, rw, unix.F_GETFL))
		l.p.Store(m.base+0x1000, []byte("xyz"))
		m.note("rdwr write", l.call(unix.SYS_WRITE, rw, m.base+0x1000, 3))
		m.read("rdwr read", rw, 16)
		fd = l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_WRONLY|unix.O_NONBLOCK)
		m.note("nonblock writer with reader", fd)
		l.call(unix.SYS_CLOSE, rw)
		m.note("write no reader", l.call(unix.SYS_WRITE, fd, m.base+0x1000, 3))
		m.note("lseek", l.call(unix.SYS_LSEEK, fd, 0, 0))
		m.note("pwrite", l.call(unix.SYS_PWRITE64, fd, m.base+0x1000, 3, 0))
		m.note("ftruncate", l.call(unix.SYS_FTRUNCATE, fd, 0))
		m.note("truncate", l.call(unix.SYS_TRUNCATE, m.str(0, "/tmp/f"), 0))
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	w.run()
	want := "mkfifo=0 again=-17 chr=-1 dir=-22 reg=0 ro=-30 stat f=4096 stat r=32768 " +
		"dirent f=1 dirent r=8 nonblock writer=-6 nonblock reader=3 getfl=2048 read no writer=0 " +
		"open reader first=3 cloexec=1 read(hello)=5 read eof=0 open reader second=3 read(again)=5 read eof=0"
	if got := strings.Join(rlog, " "); got != want {
		t.Errorf("reader got  %s\nwant %s", got, want)
	}
	want = "open writer second=3 write=5 open writer first=3 write=5 open rdwr=3 rdwr getfl=2 rdwr write=3 " +
		"rdwr read(xyz)=3 nonblock writer with reader=4 write no reader=-32 lseek=-29 pwrite=-29 ftruncate=-22 truncate=-22"
	if got := strings.Join(wlog, " "); got != want {
		t.Errorf("writer got  %s\nwant %s", got, want)
	}
}

// TestFifoOpenInterrupted: a signal interrupts an open waiting for its partner (EINTR)
// and the end it counted goes, so a non-blocking writer is refused with ENXIO;
// a process ended while it waits in an open leaves no writer behind (a reader sees end
// of file, not EAGAIN).
func TestFifoOpenInterrupted(t *testing.T) {
	var slog, klog []string
	w := newFifoWorld(t)
	sleeper := w.start(func(l linuxProg) {
		m := newMem(l, &slog)
		var act [32]byte
		binary.LittleEndian.PutUint64(act[0:], 0x1234)     // a handler
		binary.LittleEndian.PutUint64(act[8:], 0x04000000) // SA_RESTORER
		binary.LittleEndian.PutUint64(act[16:], 0x5678)
		l.p.Store(m.base+0x400, act[:])
		m.note("sigaction", l.call(unix.SYS_RT_SIGACTION, uint64(unix.SIGUSR1), m.base+0x400, 0, 8))
		m.note("mkfifo", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/g"), unix.S_IFIFO|0o600, 0))
		m.note("mkfifo h", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/h"), unix.S_IFIFO|0o600, 0))
		m.note("open", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/g"), unix.O_RDONLY))
		m.note("writer", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/g"), unix.O_WRONLY|unix.O_NONBLOCK))
		m.sleep(20) // the other process waits in its open of h, and is killed
		fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/h"), unix.O_RDONLY|unix.O_NONBLOCK)
		m.read("read", fd, 16)
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	w.run() // the sleeper waits in its open of g
	if r := linux.Signal(sleeper, w.m.Kernel, 1, uint64(unix.SIGUSR1)); r != 0 {
		t.Fatalf("signal: %d", int64(r))
	}
	killed := w.start(func(l linuxProg) {
		m := newMem(l, &klog)
		m.note("open h", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/h"), unix.O_WRONLY))
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	w.m.Run(w.m.Now() + 10_000_000) // the sleeper sleeps, the other waits in its open
	if r := linux.Signal(killed, w.m.Kernel, 1, uint64(unix.SIGTERM)); r != 0 {
		t.Fatalf("kill: %d", int64(r))
	}
	w.run()
	want := "sigaction=0 mkfifo=0 mkfifo h=0 open=-4 writer=-6 read=0"
	if got := strings.Join(slog, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if len(klog) != 0 {
		t.Errorf("the killed process went on: %v", klog)
	}
	if done, status := killed.Exited(); !done || status != 128+int(unix.SIGTERM) {
		t.Errorf("killed process: exited %v, status %d", done, status)
	}
}

// TestFifoOnSKYAIFS: with SKYAIFS behind /tmp, mknodat makes a FIFO on the server
// (fileproto.LabelMkfifo), which stat and getdents64 show as one, and an empty regular
// file; two processes connect through the FIFO as in memory, their data kept by the
// personality (joined by the server's inode), never sent to the server.
func TestFifoOnSKYAIFS(t *testing.T) {
	var rlog, wlog []string
	w := &fsWorld{t: t}
	w.progs = []func(l linuxProg){func(l linuxProg) {
		m := newMem(l, &rlog)
		m.note("mkfifo", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/f"), unix.S_IFIFO|0o600, 0))
		m.note("again", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/f"), unix.S_IFIFO|0o600, 0))
		m.note("reg", l.call(unix.SYS_MKNODAT, atcwd, m.str(0, "/tmp/r"), 0o600, 0))
		m.note("stat f", m.statMode("/tmp/f"))
		m.note("stat r", m.statMode("/tmp/r"))
		d := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp"), unix.O_RDONLY|unix.O_DIRECTORY)
		n := l.call(unix.SYS_GETDENTS64, d, m.base+0x3000, 4096)
		ents := make([]byte, n)
		l.p.Load(m.base+0x3000, ents)
		for len(ents) >= 19 {
			reclen := binary.LittleEndian.Uint16(ents[16:])
			name := strings.TrimRight(string(ents[19:reclen]), "\x00")
			if name != "." && name != ".." {
				m.note("dirent "+name, uint64(ents[18]))
			}
			ents = ents[reclen:]
		}
		l.call(unix.SYS_CLOSE, d)
		m.note("nonblock writer", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_WRONLY|unix.O_NONBLOCK))
		fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_RDONLY)
		m.note("open reader", fd)
		m.read("read", fd, 16)
		m.read("read eof", fd, 16)
		m.note("fstat", m.fstatMode(fd))
		l.call(unix.SYS_EXIT_GROUP, 0)
	}, func(l linuxProg) {
		m := newMem(l, &wlog)
		m.sleep(20) // the reader waits in its open
		fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/f"), unix.O_WRONLY|unix.O_CLOEXEC)
		m.note("open writer", fd)
		l.p.Store(m.base+0x1000, []byte("hello"))
		m.note("write", l.call(unix.SYS_WRITE, fd, m.base+0x1000, 5))
		l.call(unix.SYS_CLOSE, fd)
		l.call(unix.SYS_EXIT_GROUP, 0)
	}}
	w.run()
	want := "mkfifo=0 again=-17 reg=0 stat f=4096 stat r=32768 dirent f=1 dirent r=8 nonblock writer=-6 " +
		"open reader=3 read(hello)=5 read eof=0 fstat=4096"
	if got := strings.Join(rlog, " "); got != want {
		t.Errorf("reader got  %s\nwant %s", got, want)
	}
	if got := strings.Join(wlog, " "); got != "open writer=3 write=5" {
		t.Errorf("writer got %s", got)
	}
}

// fstatMode returns the file type bits fstat reports for fd.
func (m *mem) fstatMode(fd uint64) uint64 {
	if r := m.l.call(unix.SYS_FSTAT, fd, m.base+0x2000); r != 0 {
		return r
	}
	var b [4]byte
	m.l.p.Load(m.base+0x2000+24, b[:])
	return uint64(binary.LittleEndian.Uint32(b[:]) & unix.S_IFMT)
}
