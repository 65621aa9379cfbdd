package linux_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/linux"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"golang.org/x/sys/unix"
)

// On the simulated machine a program is a Go function, so these tests make raw Linux
// system calls through the sim's register file: the personality cannot tell.

type linuxProg struct {
	p *sim.Port
}

func (l linuxProg) call(n uint64, args ...uint64) uint64 {
	r := l.p.Regs()
	r.Num = n
	var a [6]uint64
	copy(a[:], args)
	r.Cap, r.Info, r.Cap2, r.MR[0], r.MR[1], r.MR[2] = a[0], a[1], a[2], a[3], a[4], a[5]
	l.p.Syscall()
	return r.Num
}

func errno(e unix.Errno) uint64 { return uint64(-int64(e)) }

// boot runs prog as init with a Linux personality and returns the process and console.
func boot(t *testing.T, prog func(l linuxProg)) (*linux.Process, *bytes.Buffer, *kernel.Kernel) {
	t.Helper()
	var proc *linux.Process
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(*user.Env) {}})
	if err != nil {
		t.Fatal(err)
	}
	const pc = 0x50_0000
	m.Sim.AddProgram(pc, func(p *sim.Port) { prog(linuxProg{p}) })
	// Restart init at the Linux program, with the personality.
	init := m.Init()
	proc = linux.NewProcess("test", m.RootUntyped(), m.Console, func() int64 { return 1_700_000_000e9 })
	proc.Attach(m.Kernel, init)
	init.Personality = proc
	resetEntry(t, m, pc)
	if r := m.Run(10_000_000_000); r != kernel.StopIdle {
		t.Fatalf("run: %v\n%s", r, m.Console)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	return proc, m.Console, m.Kernel
}

// resetEntry points init at pc before it first runs.
func resetEntry(t *testing.T, m *usersim.Machine, pc uint64) {
	t.Helper()
	m.Init().ResetEntry(pc)
}

func TestMemoryIsBackedOnTouch(t *testing.T) {
	var got, again uint64
	var unmapErr, fixedErr uint64
	proc, _, k := boot(t, func(l linuxProg) {
		addr := l.call(unix.SYS_MMAP, 0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], 0x1234)
		l.p.Store(addr+4096, b[:]) // faults; the personality backs the page
		l.p.Load(addr+4096, b[:])
		got = binary.LittleEndian.Uint64(b[:])
		l.call(unix.SYS_MADVISE, addr, 8192, unix.MADV_DONTNEED)
		l.p.Load(addr+4096, b[:]) // zero again
		again = binary.LittleEndian.Uint64(b[:])
		unmapErr = l.call(unix.SYS_MUNMAP, addr+1, 4096)
		fixedErr = l.call(unix.SYS_MMAP, 0x10, 4096, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED, ^uint64(0), 0)
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	if got != 0x1234 || again != 0 {
		t.Fatalf("read back %#x, after MADV_DONTNEED %#x", got, again)
	}
	if unmapErr != errno(unix.EINVAL) || fixedErr != errno(unix.EINVAL) {
		t.Fatalf("munmap unaligned = %d, mmap fixed below the minimum = %d; want EINVAL", int64(unmapErr), int64(fixedErr))
	}
	if done, st := proc.Exited(); !done || st != 0 {
		t.Fatalf("exited %v status %d", done, st)
	}
	if used := k.RootUntyped().Used(); used != 0 {
		t.Fatalf("root budget still has %d bytes used after the process exited", used)
	}
}

func TestWriteClockRandomUname(t *testing.T) {
	var clk, rnd, un uint64
	var sec uint64
	proc, out, _ := boot(t, func(l linuxProg) {
		buf := l.call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
		l.p.Store(buf, []byte("hello, console\n"))
		l.call(unix.SYS_WRITE, 1, buf, 15)
		clk = l.call(unix.SYS_CLOCK_GETTIME, unix.CLOCK_REALTIME, buf)
		var b [8]byte
		l.p.Load(buf, b[:])
		sec = binary.LittleEndian.Uint64(b[:])
		rnd = l.call(unix.SYS_GETRANDOM, buf, 64, 0)
		un = l.call(unix.SYS_UNAME, buf)
		l.call(unix.SYS_EXIT_GROUP, 5)
	})
	if !bytes.Contains(out.Bytes(), []byte("hello, console\n")) {
		t.Fatalf("console: %q", out)
	}
	if clk != 0 || sec < 1_700_000_000 || rnd != 64 || un != 0 {
		t.Fatalf("clock %d (%d s), getrandom %d, uname %d", int64(clk), sec, rnd, int64(un))
	}
	if _, st := proc.Exited(); st != 5 {
		t.Fatalf("status %d, want 5", st)
	}
}

func TestFutexTimesOutAndSleepWaits(t *testing.T) {
	var futex, eagain, sleep uint64
	var start, end int64
	_, _, k := boot(t, func(l linuxProg) {
		buf := l.call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
		var ts [16]byte
		binary.LittleEndian.PutUint64(ts[8:], 2_000_000) // 2 ms
		l.p.Store(buf+64, ts[:])
		l.p.Store(buf, []byte{0, 0, 0, 0})
		eagain = l.call(unix.SYS_FUTEX, buf, 128 /* WAIT|PRIVATE */, 1, buf+64)
		l.p.Store(buf+128, ts[:])
		l.p.Load(buf+128, ts[:8])
		futex = l.call(unix.SYS_FUTEX, buf, 128, 0, buf+64)
		sleep = l.call(unix.SYS_NANOSLEEP, buf+64, 0)
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	_ = start
	_ = end
	if eagain != errno(unix.EAGAIN) || futex != errno(unix.ETIMEDOUT) || sleep != 0 {
		t.Fatalf("futex on a changed word %d, futex timeout %d, nanosleep %d", int64(eagain), int64(futex), int64(sleep))
	}
	if k.Now() < 4_000_000 {
		t.Fatalf("machine time %d: the two 2 ms waits did not pass", k.Now())
	}
}

func TestUnknownCallIsENOSYSAndLogged(t *testing.T) {
	var r uint64
	_, _, k := boot(t, func(l linuxProg) {
		r = l.call(400)
		l.call(400)
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	log := make([]byte, 4096)
	n, _ := k.ReadLog(0, log)
	if r != errno(unix.ENOSYS) || bytes.Count(log[:n], []byte("unserved system call 400")) != 1 {
		t.Fatalf("result %d; kernel log %q", int64(r), log[:n])
	}
}

func TestFaultWithoutHandlerStopsTheThread(t *testing.T) {
	proc, _, k := boot(t, func(l linuxProg) {
		var b [1]byte
		l.p.Load(0x1000_0000, b[:]) // unmapped, and the sim cannot deliver signals
	})
	if done, _ := proc.Exited(); done {
		t.Fatal("process reported an exit")
	}
	if st := k.Init().State(); st != kernel.Suspended {
		t.Fatalf("thread state %v, want suspended", st)
	}
}
