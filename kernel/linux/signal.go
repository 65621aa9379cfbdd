package linux

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"golang.org/x/sys/unix"
)

// Signal delivery, as Linux does it on x86-64 (arch/x86/kernel/signal_64.c): a fault
// the process's memory map cannot resolve becomes SIGSEGV with SEGV_MAPERR or
// SEGV_ACCERR, delivered to the handler the program installed (Go's, which turns it
// into a panic), on the thread's alternate stack if the handler asks for it. The frame
// is struct rt_sigframe { pretcode; ucontext uc; siginfo info } with the FXSAVE image
// above it; rt_sigreturn undoes it. x/sys/unix has no sigcontext for amd64, so the
// offsets below follow arch/x86/include/uapi/asm/sigcontext.h and are checked by a test.

const (
	frameSize   = 8 + ucSize + 128 // pretcode, ucontext, siginfo
	ucSize      = 8 + 8 + 24 + mcSize + 8
	mcSize      = 256 // struct sigcontext
	ucMcontext  = 8 + 8 + 24
	ucSigmask   = ucMcontext + mcSize
	frameInfo   = 8 + ucSize
	saOnStack   = 0x08000000
	saNoDefer   = 0x40000000
	segvMapErr  = 1
	segvAccErr  = 2
	userCS      = 0x2B
	userFlags   = 0xDD5 | 0x100 | 0x40000
	fxStateSize = 512
)

// deliver arranges for t to run its handler for sig on return; false if there is no
// handler or the frame cannot be written.
func (p *Process) deliver(k *kernel.Kernel, t *kernel.TCB, sig uint64, code int32, addr uint64) bool {
	act := p.actions[sig]
	handler, flags, restorer, mask := act[0], act[1], act[2], act[3]
	th := p.threads[t]
	if handler <= 1 || restorer == 0 || th == nil {
		return false
	}
	r, ok := t.UserRegs()
	if !ok {
		return false
	}
	sp := r.SP
	alt, altSize := th.altStack[0], th.altStack[2]
	if flags&saOnStack != 0 && altSize != 0 && !(sp > alt && sp <= alt+altSize) {
		sp = alt + altSize
	} else {
		sp -= 128 // the interrupted code's red zone
	}
	sp = (sp - fxStateSize) &^ 63
	fp := sp
	sp = ((sp - frameSize) &^ 15) - 8

	f := make([]byte, frameSize)
	le := binary.LittleEndian
	le.PutUint64(f[0:], restorer)
	uc := f[8:]
	le.PutUint64(uc[16:], th.altStack[0])
	le.PutUint64(uc[24:], th.altStack[1])
	le.PutUint64(uc[32:], th.altStack[2])
	mc := uc[ucMcontext:]
	for i, v := range []uint64{r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15,
		r.DI, r.SI, r.BP, r.BX, r.DX, r.AX, r.CX, r.SP, r.IP, r.Flags} {
		le.PutUint64(mc[8*i:], v)
	}
	le.PutUint16(mc[144:], userCS)
	le.PutUint64(mc[176:], th.sigMask) // oldmask
	le.PutUint64(mc[184:], addr)       // cr2
	le.PutUint64(mc[192:], fp)         // fpstate
	le.PutUint64(uc[ucSigmask:], th.sigMask)
	info := f[frameInfo:]
	le.PutUint32(info[0:], uint32(sig))
	le.PutUint32(info[8:], uint32(code))
	le.PutUint64(info[16:], addr)
	if !k.CopyOut(t, fp, r.FX[:]) || !k.CopyOut(t, sp, f) {
		return false
	}
	th.sigMask |= mask
	if flags&saNoDefer == 0 {
		th.sigMask |= 1 << (sig - 1)
	}
	r.DI, r.SI, r.DX = sig, sp+frameInfo, sp+8
	r.SP, r.IP, r.AX = sp, handler, 0
	r.Flags &^= 0x500 // DF and TF clear at function entry
	return t.SetUserRegs(r)
}

// sysRtSigreturn restores what deliver saved, from the ucontext at the stack pointer
// (the restorer's SYSCALL runs after the handler's RET popped pretcode).
func sysRtSigreturn(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	cur, ok := t.UserRegs()
	if !ok {
		return errno(unix.ENOSYS)
	}
	uc := make([]byte, ucSize)
	if !k.CopyIn(t, cur.SP, uc) {
		p.kill(k, t, "rt_sigreturn with a bad frame")
		return 0
	}
	le := binary.LittleEndian
	mc := uc[ucMcontext:]
	var r hal.UserRegs
	regs := []*uint64{&r.R8, &r.R9, &r.R10, &r.R11, &r.R12, &r.R13, &r.R14, &r.R15,
		&r.DI, &r.SI, &r.BP, &r.BX, &r.DX, &r.AX, &r.CX, &r.SP, &r.IP, &r.Flags}
	for i, v := range regs {
		*v = le.Uint64(mc[8*i:])
	}
	r.Flags = cur.Flags&^userFlags | r.Flags&userFlags
	r.FS = cur.FS
	r.FX = cur.FX
	if fp := le.Uint64(mc[192:]); fp != 0 && !k.CopyIn(t, fp, r.FX[:]) {
		p.kill(k, t, "rt_sigreturn with a bad FPU state")
		return 0
	}
	if th := p.threads[t]; th != nil {
		th.sigMask = le.Uint64(uc[ucSigmask:])
	}
	t.SetUserRegs(r)
	return 0 // not seen: the whole register file was replaced
}

// kill ends the process after an unrecoverable error, with the status a fatal signal
// would give (128 + SIGSEGV).
func (p *Process) kill(k *kernel.Kernel, t *kernel.TCB, why string) {
	msg := []byte("linux: " + p.name + ": " + why + "; killed\n")
	p.console.Write(msg)
	k.ConsoleOutput(t, msg) // its container's log says how it ended
	p.killedBy = int(unix.SIGSEGV)
	sysExitGroup(p, k, t, [6]uint64{128 + uint64(unix.SIGSEGV)})
}

// Asynchronous signals: tgkill, tkill and kill within the process. Go's scheduler
// preempts a goroutine that runs too long by sending its thread SIGURG; its handler
// then switches goroutines. A signal for a thread that is ready (preempted in user
// mode, or with a finished system call's results pending) is delivered at once: its
// saved registers are what the handler's frame records. A thread waiting in the
// personality (futex, nanosleep, epoll, console read) is interrupted — its call
// returns EINTR, which Go retries — and gets the signal; so is one blocked reading or
// writing a pipe or opening a FIFO. A blocked signal, or one for a
// thread waiting elsewhere (kernel IPC, a file request), stays pending until the thread's next
// system call returns with it unblocked.

const siTkill = -6 // si_code of a signal sent by tkill or tgkill

// defaultIgnored are the signals whose default action is to do nothing.
const defaultIgnored = 1<<(unix.SIGURG-1) | 1<<(unix.SIGCHLD-1) | 1<<(unix.SIGWINCH-1)

func sysTgkill(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if int64(a[0]) != int64(p.pid()) {
		return errno(unix.ESRCH)
	}
	return p.sendTo(k, t, int64(a[1]), a[2])
}

func sysTkill(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	return p.sendTo(k, t, int64(a[0]), a[1])
}

// sysKill serves kill for the process itself (pid 0 or its own); other processes are
// ended through the System object, not by Linux signals.
func sysKill(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if pid := int64(int32(a[0])); pid > 0 && pid != int64(p.pid()) {
		return p.signalProcess(k, pid, a[1])
	} else if pid < 0 && pid != -int64(p.pid()) {
		return errno(unix.EPERM) // other process groups, or every process (-1)
	}
	return p.sendTo(k, t, int64(p.threads[t].tid), a[1])
}

// sendTo sends sig to the process's thread tid on behalf of thread from.
func (p *Process) sendTo(k *kernel.Kernel, from *kernel.TCB, tid int64, sig uint64) uint64 {
	if sig > 64 {
		return errno(unix.EINVAL)
	}
	var to *kernel.TCB
	for tt, th := range p.threads {
		if int64(th.tid) == tid {
			to = tt
		}
	}
	if to == nil {
		return errno(unix.ESRCH)
	}
	if sig == 0 {
		return 0
	}
	switch p.actions[sig][0] {
	case 1: // SIG_IGN
		return 0
	case 0: // SIG_DFL
		if defaultIgnored&(1<<(sig-1)) != 0 {
			return 0
		}
		k.Log("linux: %s (task %d) killed by signal %d", p.name, p.logID(), sig)
		p.killedBy = int(sig)
		sysExitGroup(p, k, to, [6]uint64{128 + sig})
		return 0
	}
	th := p.threads[to]
	th.pending |= 1 << (sig - 1)
	if to != from { // the caller's own signals go out when its call returns (Syscall)
		p.deliverNow(k, to)
	}
	return 0
}

// deliverNow delivers the pending, unblocked signals of a thread that is not running:
// a ready one at once, one waiting in the personality after interrupting its wait.
func (p *Process) deliverNow(k *kernel.Kernel, t *kernel.TCB) {
	th := p.threads[t]
	if th.pending&^th.sigMask == 0 || th.op != nil {
		return // a file call's result is not in yet: CallDone delivers after it
	}
	switch t.State() {
	case kernel.Ready:
	case kernel.BlockedExternal:
		switch th.wait {
		case waitFutex:
			p.dropWaiter(t)
		case waitPoll:
			p.dropPoller(t)
		case waitChild:
			p.dropChildWait(t)
		case waitSleep, waitInput: // Wake leaves the sleepers; Serve skips a reader no longer waiting
		case waitPipe:
			p.dropPipeWait(t)
		case waitFifo:
			p.interruptFifo(k, t)
		default:
			return // kernel IPC: the signal waits for the call to return
		}
		th.wait = waitNone
		t.Regs().Num = errno(unix.EINTR)
		k.Wake(t)
	default:
		return
	}
	p.deliverPending(k, t)
}

// deliverPending delivers t's pending signals that are not blocked, lowest first, each
// on the frame of the one before (as Linux does when several are pending).
func (p *Process) deliverPending(k *kernel.Kernel, t *kernel.TCB) {
	th := p.threads[t]
	for sig := uint64(1); sig <= 64; sig++ {
		bit := uint64(1) << (sig - 1)
		if th.pending&bit == 0 || th.sigMask&bit != 0 {
			continue
		}
		th.pending &^= bit
		if !p.deliver(k, t, sig, siTkill, 0) {
			k.Log("linux: %s (task %d): signal %d could not be delivered to thread %d", p.name, p.logID(), sig, th.tid)
		}
	}
}
