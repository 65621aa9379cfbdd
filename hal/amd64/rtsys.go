package amd64

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// The Linux system calls of the kernel's own Go runtime, served in trap context
// (BAREMETAL.md lists them). Arguments arrive in the saved frame (DI, SI, DX, R10, R8,
// R9); the result goes back in AX as Linux returns it (negative errno on failure).

// arch_prctl codes (asm/prctl.h; not in x/sys/unix).
const (
	archSetFS = 0x1002
	archGetFS = 0x1003
)

const errTimedOut = unix.ETIMEDOUT

// Futex operations (linux/futex.h; not in x/sys/unix).
const (
	futexWait        = 0
	futexWake        = 1
	futexPrivateFlag = 128
)

// ssDisable is sigaltstack's "no alternate stack" flag (asm-generic/signal-defs.h).
const ssDisable = 2

//go:nosplit
func errno(e unix.Errno) uint64 { return uint64(-int64(e)) }

// rtHandler serves one system call for the current thread t. It sets t.frame.AX, or
// blocks t (whose result is then set when it wakes).
type rtHandler func(t *thread)

// rtSyscalls is the table of served calls, by Linux number.
var rtSyscalls = [...]rtHandler{
	unix.SYS_READ:              sysRead,
	unix.SYS_WRITE:             sysWrite,
	unix.SYS_CLOSE:             sysZero,
	unix.SYS_MMAP:              sysMmap,
	unix.SYS_MPROTECT:          sysMprotect,
	unix.SYS_MUNMAP:            sysMunmap,
	unix.SYS_RT_SIGACTION:      sysSigaction,
	unix.SYS_RT_SIGPROCMASK:    sysSigprocmask,
	unix.SYS_RT_SIGRETURN:      sysRtSigreturn,
	unix.SYS_SCHED_YIELD:       sysSchedYield,
	unix.SYS_MADVISE:           sysMadvise,
	unix.SYS_NANOSLEEP:         sysNanosleep,
	unix.SYS_GETPID:            sysGetpid,
	unix.SYS_CLONE:             sysClone,
	unix.SYS_EXIT:              sysExit,
	unix.SYS_KILL:              sysZero,
	unix.SYS_FCNTL:             sysZero,
	unix.SYS_GETUID:            sysZero,
	unix.SYS_GETGID:            sysZero,
	unix.SYS_GETEUID:           sysZero,
	unix.SYS_GETEGID:           sysZero,
	unix.SYS_GETPPID:           sysZero,
	unix.SYS_SIGALTSTACK:       sysSigaltstack,
	unix.SYS_ARCH_PRCTL:        sysArchPrctl,
	unix.SYS_PRCTL:             sysZero,
	unix.SYS_GETTID:            sysGettid,
	unix.SYS_TKILL:             sysZero,
	unix.SYS_FUTEX:             sysFutex,
	unix.SYS_SCHED_GETAFFINITY: sysSchedGetaffinity,
	unix.SYS_CLOCK_GETTIME:     sysClockGettime,
	unix.SYS_EXIT_GROUP:        sysExitGroup,
	unix.SYS_TGKILL:            sysZero, // async preemption is dropped; cooperative preemption remains
	unix.SYS_OPENAT:            sysOpenat,
	unix.SYS_EPOLL_CTL:         sysEpollCtl,
	unix.SYS_EPOLL_PWAIT:       sysEpollPwait,
	unix.SYS_EVENTFD2:          sysEventfd2,
	unix.SYS_EPOLL_CREATE1:     sysEpollCreate1,
	unix.SYS_PRLIMIT64:         sysPrlimit,
	unix.SYS_GETRANDOM:         sysGetrandom,
	unix.SYS_SET_TID_ADDRESS:   sysGettid,
	unix.SYS_MINCORE:           sysZero,
}

// unknownSeen records which unserved numbers were already logged (once each).
var unknownSeen [512 / 64]uint64

// syscallTrap serves the system call the current thread just made.
//
//go:nosplit
func syscallTrap() {
	t := current()
	if t.user != 0 {
		userTrap(t, trapSyscall, 0, 0, 0) // the kernel loop serves it, in Go
		return
	}
	n := t.frame.AX
	if n < uint64(len(rtSyscalls)) && rtSyscalls[n] != nil {
		rtSyscalls[n](t)
		return
	}
	switch n {
	case sysReadScancodes:
		sysReadKeyboard(t)
		return
	case sysInjectInput:
		sysInject(t)
		return
	case sysUnmaskIRQ:
		sysUnmask(t)
		return
	case sysReadConsole:
		sysConsoleRead(t)
		return
	case sysAllocPage:
		sysAllocPageCall(t)
		return
	case sysLineControl:
		sysLineControlCall(t)
		return
	case sysTakeIRQ:
		sysTakeIRQCall(t)
		return
	case sysWaitIRQ:
		sysWaitIRQCall(t)
		return
	case sysFreePage:
		sysFreePageCall(t)
		return
	case sysNewUser:
		sysNewUserCall(t)
		return
	case sysFreeUser:
		sysFreeUserCall(t)
		return
	case sysSetWatchdog:
		sysSetWatchdogCall(t)
		return
	}
	if n < 512 && unknownSeen[n/64]&(1<<(n%64)) == 0 {
		unknownSeen[n/64] |= 1 << (n % 64)
		kprint("skyscope: runtime made unserved system call ")
		kprintDec(n)
		kprint("; returning ENOSYS\n")
	}
	t.frame.AX = errno(unix.ENOSYS)
}

//go:nosplit
func sysZero(t *thread) { t.frame.AX = 0 }

//go:nosplit
func sysGetpid(t *thread) { t.frame.AX = 1 }

//go:nosplit
func sysGettid(t *thread) { t.frame.AX = uint64(t.tid) }

//go:nosplit
func sysOpenat(t *thread) { t.frame.AX = errno(unix.ENOENT) }

//go:nosplit
func sysSchedYield(t *thread) {
	t.frame.AX = 0
	yieldCurrent()
}

//go:nosplit
func sysArchPrctl(t *thread) {
	switch t.frame.DI {
	case archSetFS:
		t.fsBase = t.frame.SI
		t.frame.AX = 0
	case archGetFS:
		if !touch(t.frame.SI, 8, true) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		*(*uint64)(ptrAt(uintptr(t.frame.SI))) = t.fsBase
		t.frame.AX = 0
	default:
		t.frame.AX = errno(unix.EINVAL)
	}
}

// Console output: fds 1 and 2 go to the serial port and to the console hook (the
// framebuffer, once the kernel sets one up).

// consoleRing keeps the last 64 KiB of everything written to the console (fds 1 and 2
// and the kernel's own messages), so that an ordinary goroutine can draw it on the
// framebuffer too (ConsoleOutput reads it).
var (
	consoleRing [64 << 10]byte
	consoleHead uint64 // bytes ever written
)

//go:nosplit
func logAppend(b []byte) {
	for i := range b {
		consoleRing[(consoleHead+uint64(i))%uint64(len(consoleRing))] = b[i]
	}
	consoleHead += uint64(len(b))
}

// sysConsoleRead copies console output from position SI (clamped to what the ring
// still holds) into DI, at most DX bytes, and returns the total written so far.
//
//go:nosplit
func sysConsoleRead(t *thread) {
	p, n, pos := t.frame.DI, t.frame.DX, t.frame.SI
	if !touch(p, n, true) {
		t.frame.AX = errno(unix.EFAULT)
		return
	}
	if consoleHead > uint64(len(consoleRing)) && pos < consoleHead-uint64(len(consoleRing)) {
		pos = consoleHead - uint64(len(consoleRing))
	}
	for i := uint64(0); i < n && pos+i < consoleHead; i++ {
		*(*byte)(ptrAt(uintptr(p + i))) = consoleRing[(pos+i)%uint64(len(consoleRing))]
	}
	t.frame.AX = consoleHead
}

//go:nosplit
func sysWrite(t *thread) {
	fd, p, n := t.frame.DI, t.frame.SI, t.frame.DX
	if fd >= fdBase && fd < fdBase+maxFDs {
		eventfdWrite(t, fd, p, n)
		return
	}
	if fd != 1 && fd != 2 {
		t.frame.AX = errno(unix.EBADF)
		return
	}
	if !touch(p, n, false) {
		t.frame.AX = errno(unix.EFAULT)
		return
	}
	b := unsafe.Slice((*byte)(ptrAt(uintptr(p))), n)
	serialQueue(b)
	logAppend(b)
	t.frame.AX = n
}

//go:nosplit
func sysRead(t *thread) {
	fd := t.frame.DI
	if fd >= fdBase && fd < fdBase+maxFDs {
		eventfdRead(t, fd, t.frame.SI, t.frame.DX)
		return
	}
	if fd == 0 {
		readRing(t, &consoleIn, t.frame.SI, t.frame.DX, waitInput)
		return
	}
	t.frame.AX = errno(unix.EBADF)
}

// Memory.

//go:nosplit
func sysMmap(t *thread) {
	addr, length, prot, flags := t.frame.DI, t.frame.SI, t.frame.DX, t.frame.R10
	if length == 0 || flags&unix.MAP_ANONYMOUS == 0 || prot&^7 != 0 {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	length = (length + pageSize - 1) &^ (pageSize - 1)
	if flags&unix.MAP_FIXED != 0 {
		if addr%pageSize != 0 || addr < mmapBase || addr+length < addr {
			t.frame.AX = errno(unix.EINVAL)
			return
		}
	} else {
		addr = mmapNext
		mmapNext += length + pageSize // a guard page between mappings
	}
	if !vmaSet(addr, addr+length, protOrNone(prot), false) {
		t.frame.AX = errno(unix.ENOMEM)
		return
	}
	t.frame.AX = addr
}

// protOrNone keeps PROT_NONE reservations as ranges (prot bit 8 marks them) so that
// later MAP_FIXED mappings inside them are recognised as the runtime's own.
//
//go:nosplit
func protOrNone(prot uint64) uint64 {
	if prot == 0 {
		return 1 << 8
	}
	return prot
}

// sysMadvise serves madvise with Linux's semantics where they matter: MADV_DONTNEED
// (and MADV_FREE, treated the same) drop the pages, so the next touch maps a zeroed
// frame. Go's runtime relies on it: pages it scavenged with MADV_DONTNEED are reused
// without clearing (runtime.needZeroAfterSysUnused), so leaving their old contents in
// place corrupts the kernel's heap. Other advice changes nothing.
//
//go:nosplit
func sysMadvise(t *thread) {
	addr, length, advice := t.frame.DI, (t.frame.SI+pageSize-1)&^(pageSize-1), t.frame.DX
	if addr%pageSize != 0 || addr+length < addr {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	if advice == unix.MADV_DONTNEED || advice == unix.MADV_FREE {
		if addr < mmapBase {
			t.frame.AX = errno(unix.EINVAL)
			return
		}
		unmapRange(addr, addr+length) // the vma stays: the pages fault back in zeroed
	}
	t.frame.AX = 0
}

//go:nosplit
func sysMunmap(t *thread) {
	addr, length := t.frame.DI, (t.frame.SI+pageSize-1)&^(pageSize-1)
	if addr%pageSize != 0 || addr < mmapBase || addr+length < addr {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	vmaSet(addr, addr+length, 0, false)
	t.frame.AX = 0
}

//go:nosplit
func sysMprotect(t *thread) {
	addr, length, prot := t.frame.DI, (t.frame.SI+pageSize-1)&^(pageSize-1), t.frame.DX
	if addr%pageSize != 0 || addr < mmapBase || prot&^7 != 0 {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	// Pages already present keep their mapping; a PROT_NONE change frees them.
	vmaSet(addr, addr+length, protOrNone(prot), prot != 0)
	t.frame.AX = 0
}

// Signals: the runtime installs handlers for every signal and sets masks and alternate
// stacks. They are recorded (delivery of SIGSEGV for kernel faults uses them).

const numSignals = 65

var sigActions [numSignals][4]uint64 // handler, flags, restorer, mask

//go:nosplit
func sysSigaction(t *thread) {
	sig, act, old := t.frame.DI, t.frame.SI, t.frame.DX
	if sig == 0 || sig >= numSignals || sig == uint64(unix.SIGKILL) || sig == uint64(unix.SIGSTOP) {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	if old != 0 {
		if !touch(old, 32, true) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		*(*[4]uint64)(ptrAt(uintptr(old))) = sigActions[sig]
	}
	if act != 0 {
		if !touch(act, 32, false) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		sigActions[sig] = *(*[4]uint64)(ptrAt(uintptr(act)))
	}
	t.frame.AX = 0
}

//go:nosplit
func sysSigprocmask(t *thread) {
	how, set, old := t.frame.DI, t.frame.SI, t.frame.DX
	if old != 0 {
		if !touch(old, 8, true) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		*(*uint64)(ptrAt(uintptr(old))) = t.sigMask
	}
	if set != 0 {
		if !touch(set, 8, false) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		s := *(*uint64)(ptrAt(uintptr(set)))
		switch how {
		case unix.SIG_BLOCK:
			t.sigMask |= s
		case unix.SIG_UNBLOCK:
			t.sigMask &^= s
		case unix.SIG_SETMASK:
			t.sigMask = s
		default:
			t.frame.AX = errno(unix.EINVAL)
			return
		}
	}
	t.frame.AX = 0
}

//go:nosplit
func sysSigaltstack(t *thread) {
	ss, old := t.frame.DI, t.frame.SI
	if old != 0 {
		if !touch(old, 24, true) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		o := (*[3]uint64)(ptrAt(uintptr(old)))
		*o = t.sigAlt
		if t.sigAlt[2] == 0 {
			o[1] = ssDisable
		}
	}
	if ss != 0 {
		if !touch(ss, 24, false) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		t.sigAlt = *(*[3]uint64)(ptrAt(uintptr(ss)))
	}
	t.frame.AX = 0
}

// Threads.

//go:nosplit
func sysClone(t *thread) {
	flags, stack, ptid, tls := t.frame.DI, t.frame.SI, t.frame.DX, t.frame.R8
	const need = unix.CLONE_VM | unix.CLONE_THREAD
	if flags&need != need {
		t.frame.AX = errno(unix.ENOSYS) // only threads; there are no processes in here
		return
	}
	n := -1
	for i := 1; i < maxThreads; i++ {
		if threads[i].state == tsFree {
			n = i
			break
		}
	}
	if n < 0 {
		t.frame.AX = errno(unix.EAGAIN)
		return
	}
	c := &threads[n]
	c.frame = t.frame
	c.frame.AX = 0
	c.frame.SP = stack
	c.fx = t.fx
	c.fsBase, c.cr3 = t.fsBase, kernelCR3
	if flags&unix.CLONE_SETTLS != 0 {
		c.fsBase = tls
	}
	c.sigMask = t.sigMask
	c.sigAlt = [3]uint64{}
	c.tid = uint32(cpu0.nextTID)
	cpu0.nextTID++
	if flags&unix.CLONE_PARENT_SETTID != 0 && touch(ptid, 4, true) {
		*(*uint32)(ptrAt(uintptr(ptid))) = c.tid
	}
	makeReady(n)
	t.frame.AX = uint64(c.tid)
}

//go:nosplit
func sysExit(t *thread) {
	i := int(cpu0.curIndex)
	if i == 0 {
		shutdown(t.frame.DI) // m0 never exits alone in Go; treat it as the process ending
	}
	threads[i].state = tsFree
	schedule()
}

//go:nosplit
func sysExitGroup(t *thread) {
	kprint("skyscope: kernel exited with status ")
	kprintDec(t.frame.DI & 0xff)
	kprint("\n")
	shutdown(t.frame.DI & 0xff)
}

//go:nosplit
func sysSchedGetaffinity(t *thread) {
	size, mask := t.frame.SI, t.frame.DX
	if size < 8 || !touch(mask, 8, true) {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	*(*uint64)(ptrAt(uintptr(mask))) = 1 // one CPU
	t.frame.AX = 8
}

// Futexes: FUTEX_WAIT with value check and relative timeout, FUTEX_WAKE n.

//go:nosplit
func sysFutex(t *thread) {
	addr, op, val, timeout := t.frame.DI, t.frame.SI&^futexPrivateFlag, t.frame.DX, t.frame.R10
	if addr%4 != 0 || !touch(addr, 4, false) {
		t.frame.AX = errno(unix.EFAULT)
		return
	}
	switch op {
	case futexWait:
		if uint64(*(*uint32)(ptrAt(uintptr(addr)))) != val&0xffffffff {
			t.frame.AX = errno(unix.EAGAIN)
			return
		}
		var deadline int64
		if timeout != 0 {
			d, ok := readTimespec(timeout)
			if !ok {
				t.frame.AX = errno(unix.EFAULT)
				return
			}
			deadline = nanotime() + d
		}
		t.frame.AX = 0
		blockCurrent(waitFutex, addr, deadline)
	case futexWake:
		woken := uint64(0)
		for i := 0; i < maxThreads && woken < val; i++ {
			w := &threads[i]
			if w.state == tsBlocked && w.wait == waitFutex && w.waitAddr == addr {
				w.frame.AX = 0
				makeReady(i)
				woken++
			}
		}
		t.frame.AX = woken
	default:
		t.frame.AX = errno(unix.ENOSYS)
	}
}

//go:nosplit
func readTimespec(p uint64) (int64, bool) {
	if !touch(p, 16, false) {
		return 0, false
	}
	ts := (*[2]int64)(ptrAt(uintptr(p)))
	if ts[0] < 0 || ts[1] < 0 || ts[1] >= 1e9 {
		return 0, false
	}
	if ts[0] > 1<<32 {
		return 1 << 62, true
	}
	return ts[0]*1e9 + ts[1] + 1, true // +1: at least one tick even for 0
}

//go:nosplit
func sysNanosleep(t *thread) {
	d, ok := readTimespec(t.frame.DI)
	if !ok {
		t.frame.AX = errno(unix.EFAULT)
		return
	}
	t.frame.AX = 0
	blockCurrent(waitSleep, 0, nanotime()+d)
}

//go:nosplit
func sysClockGettime(t *thread) {
	clk, p := t.frame.DI, t.frame.SI
	if !touch(p, 16, true) {
		t.frame.AX = errno(unix.EFAULT)
		return
	}
	now := nanotime()
	if clk == unix.CLOCK_REALTIME || clk == unix.CLOCK_REALTIME_COARSE {
		now += wallBoot
	}
	ts := (*[2]int64)(ptrAt(uintptr(p)))
	ts[0], ts[1] = now/1e9, now%1e9
	t.frame.AX = 0
}

//go:nosplit
func sysPrlimit(t *thread) {
	old := t.frame.R10
	if old != 0 {
		if !touch(old, 16, true) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		lim := (*[2]uint64)(ptrAt(uintptr(old)))
		lim[0], lim[1] = 1024, 4096
	}
	t.frame.AX = 0
}

// Randomness: RDRAND when the CPU has it (CPUID.1:ECX bit 30), retried as Intel
// advises; otherwise a xorshift generator stirred with the TSC, which is not
// cryptographic — the boot log says which one is in use.
var (
	randState uint64
	hasRDRAND bool
)

//go:nosplit
func randomWord() uint64 {
	if hasRDRAND {
		for i := 0; i < 10; i++ {
			if v, ok := rdrand(); ok {
				return v
			}
		}
	}
	if randState == 0 {
		randState = rdtsc() | 1
	}
	randState ^= rdtsc()
	randState ^= randState << 13
	randState ^= randState >> 7
	randState ^= randState << 17
	return randState
}

//go:nosplit
func sysGetrandom(t *thread) {
	p, n := t.frame.DI, t.frame.SI
	if !touch(p, n, true) {
		t.frame.AX = errno(unix.EFAULT)
		return
	}
	b := unsafe.Slice((*byte)(ptrAt(uintptr(p))), n)
	for i := 0; i < len(b); i += 8 {
		w := randomWord()
		for j := 0; j < 8 && i+j < len(b); j++ {
			b[i+j] = byte(w >> (8 * j))
		}
	}
	t.frame.AX = n
}
