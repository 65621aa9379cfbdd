// Package hal defines the hardware layer the Skyscope kernel core runs on: a CPU that
// enters user mode and comes back on a trap, physical memory, page tables, a clock and
// deadline timer, interrupts, a console and an entropy source.
//
// The kernel core (kernel/, capability/, container/) uses only these interfaces, never
// an implementation. Two implementations exist: hal/sim, a deterministic simulated
// machine whose user tasks are goroutines (for go test and tools/skysim), and the
// bare-metal x86_64 layer (boot issue). The same kernel code links against either.
package hal

import "github.com/skyscope-os/skyscope/kernel/abi"

// Time is machine time in nanoseconds since boot: virtual in the simulation, from the
// calibrated timer on hardware. It only moves forward.
type Time int64

// Forever is a deadline that never comes.
const Forever Time = 1<<63 - 1

// PhysAddr is a physical address.
type PhysAddr uint64

// VirtAddr is a user virtual address.
type VirtAddr uint64

// Perm is the set of permissions of a user mapping.
type Perm uint8

// Mapping permissions. User mappings are always user-accessible; without PermExec they
// are no-execute.
const (
	PermRead Perm = 1 << iota
	PermWrite
	PermExec
	// PermDevice maps device registers: uncached, and the frame is the device's, not
	// RAM.
	PermDevice
)

// Machine is one computer: everything the kernel core needs from the hardware.
type Machine interface {
	CPU() CPU
	Memory() Memory
	// NewPageTable makes an empty user address space that shares the kernel's half.
	NewPageTable() (PageTable, error)
	Interrupts() Interrupts
	Console() Console
	Entropy() Entropy
	// Devices returns the devices found on the machine's buses.
	Devices() Devices
}

// A Device is a device the machine found: a PCI function, with its identity, its
// interrupt line and its base address registers.
type Device struct {
	Bus, Slot, Func         uint8
	Vendor, ID              uint16
	Class, Subclass, ProgIF uint8
	IRQ                     uint8 // the legacy interrupt line (0xFF: none)
	BARs                    [6]BAR
}

// BAR is a decoded base address register: a region of device registers.
type BAR struct {
	Addr     uint64 // physical address, or the first port of an I/O BAR
	Size     uint64 // 0: not implemented
	IO       bool   // I/O ports, not memory
	Prefetch bool
}

// Devices lists the machine's devices and reaches their configuration spaces. Device
// numbers are indexes into List's result, which does not change after boot.
type Devices interface {
	List() []Device
	// ConfigRead reads width (1, 2 or 4) bytes at off of device dev's configuration
	// space; the caller checks the arguments.
	ConfigRead(dev int, off uint16, width int) uint32
	// ConfigWrite writes them.
	ConfigWrite(dev int, off uint16, width int, v uint32)
}

// TrapKind says why the CPU came back from user mode or from idle.
type TrapKind uint8

// Trap kinds.
const (
	TrapNone      TrapKind = iota // Idle only: nothing can ever happen again (the simulation has no events left)
	TrapSyscall                   // the task made a system call; its registers are in Context.Regs
	TrapPageFault                 // the task touched an address it may not (Trap.Addr, Trap.Access)
	TrapException                 // the task raised another exception (Trap.Code); it cannot continue
	TrapTimer                     // the deadline passed
	TrapIRQ                       // a device interrupt arrived on line Trap.IRQ
	TrapExit                      // the task's code ended (simulation only: the program returned)
)

var trapNames = [...]string{"None", "Syscall", "PageFault", "Exception", "Timer", "IRQ", "Exit"}

func (k TrapKind) String() string {
	if int(k) < len(trapNames) {
		return trapNames[k]
	}
	return "TrapKind(?)"
}

// Trap describes one return from user mode or idle.
type Trap struct {
	Kind   TrapKind
	Addr   uint64 // TrapPageFault: the faulting address
	Access uint8  // TrapPageFault: abi.FaultRead, FaultWrite or FaultExec
	Code   uint64 // TrapException: the exception code
	IRQ    int    // TrapIRQ: the interrupt line
}

// Context is a thread's saved user state, opaque to the kernel except for the system
// call registers and the entry point.
type Context interface {
	// Regs returns the system call registers: valid to read after a TrapSyscall, and
	// written back to the thread when it next enters user mode.
	Regs() *abi.Regs
	// PC returns the user instruction pointer.
	PC() uint64
	// SP returns the user stack pointer.
	SP() uint64
	// SetEntry restarts the thread at pc with stack sp and first argument arg.
	SetEntry(pc, sp, arg uint64)
	// SetTLS sets the thread's TLS base (FS on x86-64), as Linux's arch_prctl does.
	SetTLS(base uint64)
	// CloneFrom makes this (fresh) context a copy of from's user state — registers,
	// FPU state, TLS — as Linux's clone does for a new thread; the caller then adjusts
	// the result register and the stack. It reports false if the machine cannot copy
	// a running thread (the simulation, whose threads are Go functions).
	CloneFrom(from Context) bool
	// SetStack sets the user stack pointer (clone's new thread stack).
	SetStack(sp uint64)
	// UserRegs returns the thread's whole register file and FPU state as its last
	// trap left them, for delivering a signal; false if the machine cannot (the
	// simulation).
	UserRegs() (UserRegs, bool)
	// SetUserRegs replaces the whole register file and FPU state; the thread resumes
	// from it (a pending system call result is dropped). False if unsupported.
	SetUserRegs(UserRegs) bool
	// Release frees what the context holds; the thread never runs again.
	Release()
}

// UserRegs is a thread's user-mode register file, in the order of Linux's x86-64
// struct sigcontext, and its FXSAVE image.
type UserRegs struct {
	R8, R9, R10, R11, R12, R13, R14, R15 uint64
	DI, SI, BP, BX, DX, AX, CX, SP, IP   uint64
	Flags                                uint64
	FS                                   uint64 // TLS base
	FX                                   [512]byte
}

// CPU runs user code. The kernel calls it with interrupts off; it enables them only
// while in user mode or idle.
type CPU interface {
	// NewContext returns a fresh context with zero registers.
	NewContext() Context
	// Enter switches to ctx in address space pt and runs it until it traps or the time
	// reaches deadline.
	Enter(ctx Context, pt PageTable, deadline Time) Trap
	// Idle waits until an interrupt arrives (TrapIRQ) or the deadline passes
	// (TrapTimer). It returns TrapNone if neither can ever happen.
	Idle(deadline Time) Trap
	// Now returns the current machine time.
	Now() Time
}

// Memory is the machine's physical memory, handed out a frame at a time.
type Memory interface {
	// AllocFrame returns a zeroed frame, or false when memory is exhausted.
	AllocFrame() (PhysAddr, bool)
	// FreeFrame returns a frame from AllocFrame.
	FreeFrame(PhysAddr)
	// Frame returns the frame's contents as the kernel sees them (the direct map).
	Frame(PhysAddr) *[abi.PageSize]byte
	// FreeFrames returns the number of frames not allocated.
	FreeFrames() int
	// RuntimeFrames returns the frames the kernel's own runtime holds now (its heap
	// and stacks, where they come from the same pool). The runtime takes and returns
	// them on its own schedule, so free frames move with them; subtracting them
	// leaves what tasks and kernel objects hold.
	RuntimeFrames() int
}

// PageTable is one user address space's translation.
type PageTable interface {
	// Map maps the page at va (page-aligned, user half) to frame pa. The caller checks
	// that nothing is mapped there; an error means the page-table memory ran out.
	Map(va VirtAddr, pa PhysAddr, perm Perm) error
	// Unmap removes the mapping at va, reporting what was mapped.
	Unmap(va VirtAddr) (PhysAddr, bool)
	// Lookup translates va's page.
	Lookup(va VirtAddr) (PhysAddr, Perm, bool)
	// Release frees the page-table structure; the table is not used again.
	Release()
}

// UserTop is the first address above the user half of every address space.
const UserTop VirtAddr = 1 << 47

// Interrupts controls device interrupt lines.
type Interrupts interface {
	// Lines returns the number of interrupt lines.
	Lines() int
	// Claimable reports whether a driver task may have line: the machine's own
	// devices (its timer, console, keyboard) keep theirs. Mask and Unmask do nothing
	// to a line that is not claimable.
	Claimable(line int) bool
	// Mask stops line from interrupting until Unmask.
	Mask(line int)
	// Unmask lets line interrupt again.
	Unmask(line int)
}

// Console is the kernel's text output.
type Console interface {
	Write(p []byte) (int, error)
}

// Entropy fills buffers with random bytes (hardware RNG, or a seeded generator in the
// simulation so that runs are reproducible).
type Entropy interface {
	Read(p []byte) (int, error)
}
