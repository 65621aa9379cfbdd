package linux

import (
	"encoding/binary"
	"io"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/linux/vm"
	"golang.org/x/sys/unix"
)

type handler func(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64

// handlers is the personality's system call table, by Linux number.
var handlers map[uint64]handler

func init() {
	zero := func(*Process, *kernel.Kernel, *kernel.TCB, [6]uint64) uint64 { return 0 }
	handlers = map[uint64]handler{
		unix.SYS_READ:              sysRead,
		unix.SYS_WRITE:             sysWrite,
		unix.SYS_CLOSE:             sysClose,
		unix.SYS_MMAP:              sysMmap,
		unix.SYS_MPROTECT:          sysMprotect,
		unix.SYS_MUNMAP:            sysMunmap,
		unix.SYS_BRK:               sysBrk,
		unix.SYS_RT_SIGACTION:      sysSigaction,
		unix.SYS_RT_SIGPROCMASK:    sysSigprocmask,
		unix.SYS_RT_SIGRETURN:      sysRtSigreturn,
		unix.SYS_SCHED_YIELD:       sysYield,
		unix.SYS_MADVISE:           sysMadvise,
		unix.SYS_NANOSLEEP:         sysNanosleep,
		unix.SYS_GETPID:            func(p *Process, _ *kernel.Kernel, _ *kernel.TCB, _ [6]uint64) uint64 { return p.pid() },
		unix.SYS_CLONE:             sysClone,
		unix.SYS_EXIT:              sysExit,
		unix.SYS_EXIT_GROUP:        sysExitGroup,
		unix.SYS_FCNTL:             sysFcntl,
		unix.SYS_DUP:               sysDup,
		unix.SYS_DUP2:              sysDup2,
		unix.SYS_DUP3:              sysDup3,
		unix.SYS_EXECVE:            sysExecve,
		unix.SYS_WAIT4:             sysWait4,
		unix.SYS_WAITID:            sysWaitid,
		unix.SYS_GETUID:            sysGetuid,
		unix.SYS_GETGID:            sysGetgid,
		unix.SYS_GETEUID:           sysGetuid, // no set-user-id programs: effective is real
		unix.SYS_GETEGID:           sysGetgid,
		unix.SYS_GETPPID:           sysGetppid,
		unix.SYS_SIGALTSTACK:       sysSigaltstack,
		unix.SYS_ARCH_PRCTL:        sysArchPrctl,
		unix.SYS_PRCTL:             zero,
		unix.SYS_GETTID:            sysGettid,
		unix.SYS_TKILL:             sysTkill,
		unix.SYS_TGKILL:            sysTgkill,
		unix.SYS_KILL:              sysKill,
		unix.SYS_FUTEX:             sysFutex,
		unix.SYS_SCHED_GETAFFINITY: sysSchedGetaffinity,
		unix.SYS_CLOCK_GETTIME:     sysClockGettime,
		unix.SYS_OPENAT:            closeOnExec(sysOpenat, 2),
		unix.SYS_PREAD64:           sysPread,
		unix.SYS_LSEEK:             sysLseek,
		unix.SYS_FSTAT:             sysFstat,
		unix.SYS_NEWFSTATAT:        sysNewfstatat,
		unix.SYS_FACCESSAT:         sysFaccessat,
		unix.SYS_FACCESSAT2:        sysFaccessat,
		unix.SYS_READLINKAT:        sysReadlinkat,
		unix.SYS_GETDENTS64:        sysGetdents64,
		unix.SYS_CHDIR:             sysChdir,
		unix.SYS_FCHDIR:            sysFchdir,
		unix.SYS_PRLIMIT64:         sysPrlimit,
		unix.SYS_GETRANDOM:         sysGetrandom,
		unix.SYS_UNAME:             sysUname,
		unix.SYS_SET_TID_ADDRESS:   sysGettid,
		unix.SYS_GETCWD:            sysGetcwd,
		unix.SYS_EVENTFD2:          closeOnExec(sysEventfd2, 1),
		unix.SYS_EPOLL_CREATE1:     closeOnExec(sysEpollCreate1, 0),
		unix.SYS_EPOLL_CTL:         sysEpollCtl,
		unix.SYS_EPOLL_PWAIT:       sysEpollPwait,
		unix.SYS_PIPE2:             sysPipe2,
		unix.SYS_PWRITE64:          sysPwrite,
		unix.SYS_MKDIRAT:           sysMkdirat,
		unix.SYS_UNLINKAT:          sysUnlinkat,
		unix.SYS_RENAMEAT:          sysRenameat,
		unix.SYS_RENAMEAT2:         sysRenameat2,
		unix.SYS_FTRUNCATE:         sysFtruncate,
		unix.SYS_TRUNCATE:          sysTruncate,
		unix.SYS_GETGROUPS:         zero, // no supplementary groups
		unix.SYS_FSYNC:             sysFsync,
		unix.SYS_FDATASYNC:         sysFsync,
		unix.SYS_FCHMOD:            sysFchmod,
		unix.SYS_FCHMODAT:          sysFchmodat,
		unix.SYS_FCHMODAT2:         sysFchmodat2,
		unix.SYS_CHOWN:             sysChown,
		unix.SYS_LCHOWN:            sysLchown,
		unix.SYS_FCHOWN:            sysFchown,
		unix.SYS_FCHOWNAT:          sysFchownat,
		unix.SYS_UTIMENSAT:         sysUtimensat,
		unix.SYS_SYMLINKAT:         sysSymlinkat,
		unix.SYS_LINKAT:            sysLinkat,
		unix.SYS_MKNOD:             sysMknod,
		unix.SYS_MKNODAT:           sysMknodat,
	}
}

func sysWrite(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	fd, buf, n := a[0], a[1], a[2]
	if f := p.fileOf(fd, kindEventfd); f != nil {
		return p.eventfdWrite(k, t, f, buf, n)
	}
	if f := p.fileOf(fd, kindPipeWrite); f != nil {
		return p.pipeWrite(k, t, f, buf, n)
	}
	if f := p.fileOf(fd, kindPipeRead); f != nil {
		if !f.rw {
			return errno(unix.EBADF)
		}
		return p.pipeWrite(k, t, f, buf, n) // a FIFO opened O_RDWR
	}
	if f := p.fileOf(fd, kindTmp); f != nil {
		return p.tmpWrite(k, t, f, buf, n, f.off, true)
	}
	if f := p.fileOf(fd, kindRemote); f != nil {
		return p.writeRemote(k, t, f, buf, n, f.off, true)
	}
	if p.fileOf(fd, kindRegular) != nil {
		return errno(unix.EBADF) // opened read-only
	}
	if p.fileOf(fd, kindNull) != nil {
		return n
	}
	if p.fileOf(fd, kindConsole) == nil {
		return errno(unix.EBADF)
	}
	n = min(n, 1<<20)
	b := make([]byte, n)
	if !k.CopyIn(t, buf, b) {
		return errno(unix.EFAULT)
	}
	p.console.Write(b)
	k.ConsoleOutput(t, b) // a container's output is also kept in its log
	return n
}

func sysRead(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if f := p.fileOf(a[0], kindEventfd); f != nil {
		return p.eventfdRead(k, t, f, a[1], a[2])
	}
	if f := p.fileOf(a[0], kindPipeRead); f != nil {
		return p.pipeRead(k, t, f, a[1], a[2])
	}
	if f := p.fileOf(a[0], kindRegular); f != nil {
		return p.fileRead(k, t, f, a[1], a[2], f.off, true)
	}
	if f := p.fileOf(a[0], kindTmp); f != nil {
		return p.tmpRead(k, t, f, a[1], a[2], f.off, true)
	}
	if f := p.fileOf(a[0], kindRemote); f != nil {
		return p.readRemote(k, t, f, a[1], a[2], f.off, true)
	}
	if p.fileOf(a[0], kindNull) != nil {
		return 0
	}
	if p.fileOf(a[0], kindConsole) != nil {
		return p.readInput(k, t, a[1], a[2])
	}
	return errno(unix.EBADF)
}

func sysMmap(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	addr, gone, e := p.vm.Mmap(a[0], a[1], int(a[2]), int(a[3]), int(int32(a[4])), a[5])
	if e != 0 {
		return errno(e)
	}
	p.release(k, t, gone)
	return addr
}

func sysMunmap(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	gone, e := p.vm.Munmap(a[0], a[1])
	if e != 0 {
		return errno(e)
	}
	p.release(k, t, gone)
	return 0
}

func sysMprotect(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	changed, e := p.vm.Mprotect(a[0], a[1], int(a[2]))
	if e != 0 {
		return errno(e)
	}
	for _, r := range changed {
		for _, va := range k.AnonPages(t, r.Start, r.End) {
			if a[2]&7 == 0 {
				k.UnmapAnon(t, va)
			} else {
				k.ProtectAnon(t, va, protToPerm(a[2]))
			}
		}
	}
	return 0
}

func sysMadvise(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	gone, e := p.vm.Madvise(a[0], a[1], int(a[2]))
	if e != 0 {
		return errno(e)
	}
	p.release(k, t, gone) // zero on the next touch
	return 0
}

func sysBrk(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	brk, gone := p.vm.Brk(a[0])
	p.release(k, t, gone)
	return brk
}

func sysSigaction(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	sig, act, old := a[0], a[1], a[2]
	if sig == 0 || sig >= uint64(len(p.actions)) || sig == uint64(unix.SIGKILL) || sig == uint64(unix.SIGSTOP) {
		return errno(unix.EINVAL)
	}
	var buf [32]byte
	if old != 0 {
		for i, v := range p.actions[sig] {
			binary.LittleEndian.PutUint64(buf[8*i:], v)
		}
		if !k.CopyOut(t, old, buf[:]) {
			return errno(unix.EFAULT)
		}
	}
	if act != 0 {
		if !k.CopyIn(t, act, buf[:]) {
			return errno(unix.EFAULT)
		}
		for i := range p.actions[sig] {
			p.actions[sig][i] = le64(buf[8*i:])
		}
	}
	return 0
}

func sysSigprocmask(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	how, set, old := a[0], a[1], a[2]
	th := p.threads[t]
	var buf [8]byte
	if old != 0 {
		binary.LittleEndian.PutUint64(buf[:], th.sigMask)
		if !k.CopyOut(t, old, buf[:]) {
			return errno(unix.EFAULT)
		}
	}
	if set != 0 {
		if !k.CopyIn(t, set, buf[:]) {
			return errno(unix.EFAULT)
		}
		s := le64(buf[:])
		switch how {
		case unix.SIG_BLOCK:
			th.sigMask |= s
		case unix.SIG_UNBLOCK:
			th.sigMask &^= s
		case unix.SIG_SETMASK:
			th.sigMask = s
		default:
			return errno(unix.EINVAL)
		}
	}
	return 0
}

func sysSigaltstack(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	ss, old := a[0], a[1]
	th := p.threads[t]
	var buf [24]byte
	if old != 0 {
		for i, v := range th.altStack {
			binary.LittleEndian.PutUint64(buf[8*i:], v)
		}
		if th.altStack[2] == 0 {
			binary.LittleEndian.PutUint64(buf[8:], 2) // SS_DISABLE
		}
		if !k.CopyOut(t, old, buf[:]) {
			return errno(unix.EFAULT)
		}
	}
	if ss != 0 {
		if !k.CopyIn(t, ss, buf[:]) {
			return errno(unix.EFAULT)
		}
		th.altStack = [3]uint64{le64(buf[0:]), le64(buf[8:]), le64(buf[16:])}
	}
	return 0
}

func sysArchPrctl(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	const archSetFS = 0x1002 // asm/prctl.h
	if a[0] != archSetFS {
		return errno(unix.EINVAL)
	}
	t.SetTLS(a[1])
	return 0
}

func sysGettid(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	return uint64(p.threads[t].tid)
}

func sysYield(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	t.Regs().Num = 0
	k.Yield(t)
	return 0
}

func sysSchedGetaffinity(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[1] < 8 {
		return errno(unix.EINVAL)
	}
	var mask [8]byte
	mask[0] = 1 // one CPU
	if !k.CopyOut(t, a[2], mask[:]) {
		return errno(unix.EFAULT)
	}
	return 8
}

func (p *Process) timespec(k *kernel.Kernel, t *kernel.TCB, va uint64) (int64, bool) {
	var b [16]byte
	if !k.CopyIn(t, va, b[:]) {
		return 0, false
	}
	sec, nsec := int64(le64(b[:])), int64(le64(b[8:]))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, false
	}
	if sec > 1<<32 {
		sec = 1 << 32
	}
	return sec*1e9 + nsec, true
}

func sysNanosleep(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	d, ok := p.timespec(k, t, a[0])
	if !ok {
		return errno(unix.EFAULT)
	}
	p.threads[t].wait = waitSleep
	t.Regs().Num = 0
	k.Block(t, k.Now()+hal.Time(d))
	return 0
}

func sysClockGettime(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	now := int64(k.Now())
	if a[0] == unix.CLOCK_REALTIME || a[0] == unix.CLOCK_REALTIME_COARSE {
		now += p.wall()
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], uint64(now/1e9))
	binary.LittleEndian.PutUint64(b[8:], uint64(now%1e9))
	if !k.CopyOut(t, a[1], b[:]) {
		return errno(unix.EFAULT)
	}
	return 0
}

func sysPrlimit(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if old := a[3]; old != 0 {
		var b [16]byte
		binary.LittleEndian.PutUint64(b[:], 1024)
		binary.LittleEndian.PutUint64(b[8:], 4096)
		if !k.CopyOut(t, old, b[:]) {
			return errno(unix.EFAULT)
		}
	}
	return 0
}

func sysGetrandom(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	n := min(a[1], 1<<16)
	b := make([]byte, n)
	if _, err := io.ReadFull(k.Entropy(), b); err != nil {
		return errno(unix.EIO)
	}
	if !k.CopyOut(t, a[0], b) {
		return errno(unix.EFAULT)
	}
	return n
}

func sysUname(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	var u unix.Utsname
	copy(u.Sysname[:], "Linux")
	copy(u.Nodename[:], Hostname)
	copy(u.Release[:], "6.1.0-skyscope")
	copy(u.Version[:], "Skyscope Linux-ABI personality")
	copy(u.Machine[:], "x86_64")
	b := make([]byte, 6*65)
	for i, f := range [][65]byte{u.Sysname, u.Nodename, u.Release, u.Version, u.Machine, u.Domainname} {
		copy(b[65*i:], f[:])
	}
	if !k.CopyOut(t, a[0], b) {
		return errno(unix.EFAULT)
	}
	return 0
}

// Threads and exit.

func sysClone(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	flags, stack, ptid, tls := a[0], a[1], a[2], a[4]
	const need = unix.CLONE_VM | unix.CLONE_THREAD | unix.CLONE_SIGHAND
	if flags&unix.CLONE_THREAD == 0 {
		return sysVfork(p, k, t, flags, stack)
	}
	if flags&need != need {
		return errno(unix.EINVAL)
	}
	c, e := k.CloneThread(t, p.budget)
	if e != 0 {
		return errno(unix.EAGAIN)
	}
	th := &thread{tid: p.nextTID, sigMask: p.threads[t].sigMask}
	p.nextTID++
	p.threads[c] = th
	c.Regs().Num = 0
	if stack != 0 {
		c.SetStack(stack)
	}
	if flags&unix.CLONE_SETTLS != 0 {
		c.SetTLS(tls)
	}
	if flags&unix.CLONE_PARENT_SETTID != 0 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(th.tid))
		k.CopyOut(t, ptid, b[:])
	}
	k.StartThread(c)
	return uint64(th.tid)
}

func sysExit(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if p.vfork != nil {
		p.vforkExit(k, t, int(a[0]&0xff))
		return 0
	}
	delete(p.threads, t)
	k.StopThread(t)
	if len(p.threads) == 0 {
		p.exit(k, int(a[0]&0xff))
	}
	return 0
}

// exit ends the process: its task ends (which frees everything it made), and the
// kernel's record keeps the status for the parent.
func (p *Process) exit(k *kernel.Kernel, status int) {
	p.exited, p.status = true, status
	if p.task != nil {
		k.ExitTask(p.task, kernel.TaskExited, status)
	}
}

func sysGetppid(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if p.task == nil {
		return 0
	}
	return p.task.PPID()
}

func sysExitGroup(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if p.vfork != nil { // its memory is its parent's: only its thread goes
		p.vforkExit(k, t, int(a[0]&0xff))
		return 0
	}
	for _, ar := range p.vm.Areas() { // the process's memory goes back to its budget
		p.unmapPages(k, t, ar.Start, ar.End)
	}
	p.vm = vm.New(mmapMin, uint64(hal.UserTop))
	// Another thread's file request, under way or waiting its turn, must not keep the
	// shared session: its thread is about to go (TaskEnded finds no threads left).
	p.abandon(k)
	for th, x := range p.threads {
		if x.fifo != nil {
			p.interruptFifo(k, th) // its end of a FIFO goes with it
		}
		k.StopThread(th)
	}
	p.threads = map[*kernel.TCB]*thread{}
	p.exit(k, int(a[0]&0xff))
	return 0
}

// Futexes.

func sysFutex(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	addr, op, val, timeout := a[0], a[1]&^128 /* FUTEX_PRIVATE_FLAG */, a[2], a[3]
	const futexWait, futexWake = 0, 1 // linux/futex.h
	if addr%4 != 0 {
		return errno(unix.EINVAL)
	}
	switch op {
	case futexWait:
		var b [4]byte
		if !k.CopyIn(t, addr, b[:]) {
			return errno(unix.EFAULT)
		}
		if uint64(binary.LittleEndian.Uint32(b[:])) != val&0xffffffff {
			return errno(unix.EAGAIN)
		}
		deadline := hal.Forever
		if timeout != 0 {
			d, ok := p.timespec(k, t, timeout)
			if !ok {
				return errno(unix.EFAULT)
			}
			deadline = k.Now() + hal.Time(d)
		}
		p.waiters[addr] = append(p.waiters[addr], t)
		p.threads[t].wait = waitFutex
		t.Regs().Num = 0
		k.Block(t, deadline)
		return 0
	case futexWake:
		woken := uint64(0)
		for woken < val && len(p.waiters[addr]) > 0 {
			w := p.waiters[addr][0]
			p.waiters[addr] = p.waiters[addr][1:]
			if th := p.threads[w]; th != nil {
				th.wait = waitNone
			}
			w.Regs().Num = 0
			if k.Wake(w) {
				woken++
			}
		}
		if len(p.waiters[addr]) == 0 {
			delete(p.waiters, addr)
		}
		return woken
	}
	return errno(unix.ENOSYS)
}

func (p *Process) dropWaiter(t *kernel.TCB) {
	for addr, ws := range p.waiters {
		for i, w := range ws {
			if w == t {
				p.waiters[addr] = append(ws[:i], ws[i+1:]...)
				if len(p.waiters[addr]) == 0 {
					delete(p.waiters, addr)
				}
				return
			}
		}
	}
}

func sysClose(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[0] >= maxFDs || p.files[int(a[0])] == nil {
		return errno(unix.EBADF)
	}
	p.closeFile(k, int(a[0]))
	return 0
}

func sysPwrite(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if f := p.fileOf(a[0], kindRemote); f != nil {
		return p.writeRemote(k, t, f, a[1], a[2], int64(a[3]), false)
	}
	f := p.fileOf(a[0], kindTmp)
	if f == nil {
		if p.isPipe(a[0]) {
			return errno(unix.ESPIPE) // pipes and FIFOs have no offsets
		}
		return errno(unix.EBADF) // a tree file is opened read-only
	}
	return p.tmpWrite(k, t, f, a[1], a[2], int64(a[3]), false)
}
