package amd64

// trapFrame is a runtime thread's saved general registers, written by the trap entry
// code (trap_amd64.s, which uses this layout through go_asm.h) and read back by resume.
type trapFrame struct {
	AX, BX, CX, DX, SI, DI, BP uint64
	R8, R9, R10, R11, R12, R13 uint64
	R14, R15                   uint64
	IP, FLAGS, SP, CS, SS      uint64
	Vector, Code               uint64 // trap vector (vecSyscall for SYSCALL) and error code
}

// vecSyscall marks a frame saved by the SYSCALL entry.
const vecSyscall = 256

// Thread states.
const (
	tsFree    = iota // slot unused
	tsReady          // runnable, in the ready queue
	tsRunning        // the current thread
	tsBlocked        // waiting: futex, sleep or epoll (see wait)
)

// Why a blocked thread waits.
const (
	waitNone = iota
	waitFutex
	waitSleep
	waitPoll
	waitInput    // read(0) until console input arrives
	waitUser     // in Enter: a ring-3 task runs on its behalf
	waitKeyboard // readScancodes until the keyboard sends some
	waitIRQ      // the kernel loop idles until a driver's interrupt line fires
)

// fxSize is the FXSAVE area: 512 bytes, 16-byte aligned (the record keeps 16 spare
// bytes and the assembly aligns the address).
const fxSize = 512 + 16

// thread is one of the kernel runtime's OS threads. Records live in the threads array
// and are named by index; they hold no Go pointers, so trap code can write them without
// write barriers.
type thread struct {
	frame    trapFrame
	fsBase   uint64 // TLS base (arch_prctl SET_FS or clone's CLONE_SETTLS)
	state    uint32
	tid      uint32
	wait     uint32    // waitFutex, waitSleep or waitPoll while tsBlocked
	next     int32     // ready queue link, -1 at the end
	waitAddr uint64    // futex address
	deadline int64     // wake-up time in ns of machine time, 0 for none
	sigAlt   [3]uint64 // sigaltstack: sp, flags, size
	sigMask  uint64
	clearTID uint64       // CLONE_CHILD_CLEARTID address (unused by Go; kept for correctness)
	cr3      uint64       // page-table root this record runs in (the kernel's for runtime threads)
	user     uint32       // a ring-3 task context (in uthreads), not a runtime thread
	owner    int32        // user record: the runtime thread blocked in Enter for it
	trap     userTrapInfo // user record: how its last turn in ring 3 ended
	fx       [fxSize]byte
}

// maxThreads bounds the runtime's OS threads; the Go runtime makes a handful (m0,
// sysmon, one per P, templates, a few for blocking calls).
const maxThreads = 64

// idleThread is the index of the idle thread: it halts with interrupts on and is chosen
// only when nothing else is ready. It never runs Go code.
const idleThread = maxThreads

// threads holds every runtime thread, plus the idle thread at idleThread.
var threads [maxThreads + 1]thread

// cpuLocal is one CPU's trap-time state. IA32_GS_BASE points at it and the entry code
// reaches its fields GS-relative, so each CPU finds its own (Go code on linux/amd64
// never uses GS; ring-3 entries will SWAPGS).
type cpuLocal struct {
	cur        uint64 // address of the current thread record
	curIndex   int64  // its index in threads
	scratchSP  uint64 // SYSCALL entry: the caller's RSP
	scratchAX  uint64 // entry code: the caller's RAX while the record is found
	trapStack  uint64 // top of the trap stack (16-byte aligned)
	inTrap     uint64 // non-zero while trap code runs: a fault then is fatal
	vector     uint64 // set by the entry stub of the trap being taken
	code       uint64 // its error code (0 when the CPU pushes none)
	fatalFrame uint64 // fatalCommon: address of the CPU's interrupt frame
	trapTLS    uint64 // FS base for trap code entered from a ring-3 task
	readyHead  int64
	readyTail  int64
	nextTID    uint64
	ticks      uint64
	preemptReq uint64
}

var cpu0 cpuLocal

// Trap stack: the handlers' Go code runs here, one trap at a time per CPU.
const trapStackSize = 32 << 10

var trapStack [trapStackSize]byte

// istStack receives the CPU's interrupt frames (IST1) before the entry code moves them
// into the thread record; dfStack is IST2, for double faults and NMIs.
var (
	istStack [8 << 10]byte
	dfStack  [8 << 10]byte
)

// idleStack is the idle thread's stack: it only ever holds interrupt-free HLT loops,
// but the CPU needs a valid RSP for it.
var idleStack [1 << 10]byte
