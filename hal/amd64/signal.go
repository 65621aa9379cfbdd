package amd64

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Signal delivery to the kernel's own runtime, so that a fault in kernel Go code (a nil
// dereference, a division by zero) becomes a Go panic with a stack trace, exactly as
// on Linux. The frame is Linux's x86-64 rt_sigframe (arch/x86/include/uapi/asm/
// sigcontext.h, ucontext.h; arch/x86/kernel/signal_64.c):
//
//	rt_sigframe { pretcode *; ucontext uc; siginfo info }, with the FXSAVE image above it
//	ucontext    { uc_flags, uc_link, stack_t uc_stack, sigcontext uc_mcontext, sigset uc_sigmask }
//
// x/sys/unix has no sigcontext for amd64, so the layout is written here and its size
// checked by a test.

// sigcontext is struct sigcontext (256 bytes).
type sigcontext struct {
	R8, R9, R10, R11, R12, R13, R14, R15 uint64
	DI, SI, BP, BX, DX, AX, CX, SP, IP   uint64
	Flags                                uint64
	CS, GS, FS, Pad0                     uint16
	Err, TrapNo, OldMask, CR2            uint64
	FPState                              uint64
	Reserved                             [8]uint64
}

// ucontext is the kernel's struct ucontext.
type ucontext struct {
	Flags, Link uint64
	Stack       [3]uint64 // ss_sp, ss_flags (int + padding), ss_size
	MContext    sigcontext
	SigMask     uint64
}

// siginfo is the first part of siginfo_t; the whole is 128 bytes.
type siginfo struct {
	Signo, Errno, Code int32
	_                  int32
	Addr               uint64
	_                  [104]byte
}

// rtSigframe is struct rt_sigframe.
type rtSigframe struct {
	PretCode uint64
	UC       ucontext
	Info     siginfo
}

// Signal action flags (asm-generic/signal-defs.h).
const (
	saOnStack = 0x08000000
	saNoDefer = 0x40000000
)

// deliverSignal arranges for thread t to run its handler for sig on return from this
// trap, as Linux does. It reports false when there is no handler to run (the caller
// then stops the machine).
//
//go:nosplit
func deliverSignal(t *thread, sig uint64, code int32, addr uint64) bool {
	act := &sigActions[sig]
	handler, flags, restorer, mask := act[0], act[1], act[2], act[3]
	if handler <= 1 || restorer == 0 { // SIG_DFL, SIG_IGN, or no way back
		return false
	}
	sp := t.frame.SP
	alt, altSize := t.sigAlt[0], t.sigAlt[2]
	if flags&saOnStack != 0 && altSize != 0 && !(sp > alt && sp <= alt+altSize) {
		sp = alt + altSize
	} else {
		sp -= 128 // the red zone of the interrupted code
	}
	sp = (sp - 512) &^ 63
	fp := sp
	sp = ((sp - uint64(unsafe.Sizeof(rtSigframe{}))) &^ 15) - 8
	if !touch(sp, fp+512-sp, true) {
		return false
	}
	*(*[512]byte)(ptrAt(uintptr(fp))) = *fxArea(t)

	f := (*rtSigframe)(ptrAt(uintptr(sp)))
	*f = rtSigframe{}
	f.PretCode = restorer
	f.UC.Stack = t.sigAlt
	m := &f.UC.MContext
	r := &t.frame
	m.R8, m.R9, m.R10, m.R11, m.R12, m.R13, m.R14, m.R15 = r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15
	m.DI, m.SI, m.BP, m.BX, m.DX, m.AX, m.CX, m.SP, m.IP = r.DI, r.SI, r.BP, r.BX, r.DX, r.AX, r.CX, r.SP, r.IP
	m.Flags, m.CS, m.Err, m.TrapNo, m.CR2 = r.FLAGS, uint16(r.CS), r.Code, r.Vector, addr
	m.OldMask, m.FPState = t.sigMask, fp
	f.UC.SigMask = t.sigMask
	f.Info.Signo, f.Info.Code, f.Info.Addr = int32(sig), code, addr

	t.sigMask |= mask
	if flags&saNoDefer == 0 {
		t.sigMask |= 1 << (sig - 1)
	}
	r.DI, r.SI, r.DX = sig, sp+uint64(unsafe.Offsetof(f.Info)), sp+uint64(unsafe.Offsetof(f.UC))
	r.SP, r.IP, r.AX = sp, handler, 0
	r.FLAGS &^= 0x500 // DF and TF clear, as the ABI wants at function entry
	return true
}

// sysRtSigreturn restores the context saved by deliverSignal from the ucontext at the
// stack pointer (the restorer's SYSCALL runs just after the handler's RET popped
// pretcode). Every register comes back, RAX included, so nothing is returned.
//
//go:nosplit
func sysRtSigreturn(t *thread) {
	uc := t.frame.SP
	if !touch(uc, uint64(unsafe.Sizeof(ucontext{})), false) {
		kprint("skyscope: rt_sigreturn with a bad frame\n")
		shutdown(3)
	}
	u := (*ucontext)(ptrAt(uintptr(uc)))
	m := &u.MContext
	r := &t.frame
	r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15 = m.R8, m.R9, m.R10, m.R11, m.R12, m.R13, m.R14, m.R15
	r.DI, r.SI, r.BP, r.BX, r.DX, r.AX, r.CX, r.SP, r.IP = m.DI, m.SI, m.BP, m.BX, m.DX, m.AX, m.CX, m.SP, m.IP
	// Only the arithmetic flags, DF and the trap flag may change; the thread stays
	// preemptible (IF) in ring 0 (CS and SS are the kernel's).
	const userFlags = 0xDD5 | 0x100 | 0x40000
	r.FLAGS = r.FLAGS&^userFlags | m.Flags&userFlags | 0x202
	r.CS, r.SS = selKernelCode, selKernelData
	t.sigMask = u.SigMask
	if m.FPState != 0 && touch(m.FPState, 512, false) {
		fx := fxArea(t)
		*fx = *(*[512]byte)(ptrAt(uintptr(m.FPState)))
		// MXCSR (bytes 24–27): reserved bits set would make FXRSTOR fault.
		mx := uint32(fx[24]) | uint32(fx[25])<<8 | uint32(fx[26])<<16 | uint32(fx[27])<<24
		mx &= 0xFFFF
		fx[24], fx[25], fx[26], fx[27] = byte(mx), byte(mx>>8), 0, 0
	}
}

// signalFor maps a CPU exception to the signal Linux sends for it, with its si_code.
//
//go:nosplit
func signalFor(vector, errCode uint64) (uint64, int32) {
	switch vector {
	case 0: // #DE
		return uint64(unix.SIGFPE), 1 // FPE_INTDIV
	case 3: // #BP
		return uint64(unix.SIGTRAP), 0x80 // SI_KERNEL
	case 6: // #UD
		return uint64(unix.SIGILL), 2 // ILL_ILLOPN
	case 13: // #GP
		return uint64(unix.SIGSEGV), 0x80 // SI_KERNEL
	case 14: // #PF: SEGV_ACCERR if the page was present, else SEGV_MAPERR
		if errCode&1 != 0 {
			return uint64(unix.SIGSEGV), 2
		}
		return uint64(unix.SIGSEGV), 1
	case 16, 19: // #MF, #XM
		return uint64(unix.SIGFPE), 0x80
	}
	return 0, 0
}
