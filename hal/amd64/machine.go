package amd64

import (
	"crypto/rand"
	"errors"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Machine is the PC as a hal.Machine: the kernel core runs on it unchanged, and its
// tasks run in ring 3 in their own page tables. All methods are for the kernel loop's
// goroutine (the kernel core is single-threaded by design).
type Machine struct {
	cpu CPU
	mem memory
}

// NewMachine returns the machine the kernel is running on.
func NewMachine() *Machine { return &Machine{} }

// CPU implements hal.Machine.
func (m *Machine) CPU() hal.CPU { return &m.cpu }

// Memory implements hal.Machine.
func (m *Machine) Memory() hal.Memory { return &m.mem }

// NewPageTable implements hal.Machine: a PML4 whose kernel half is the kernel's.
func (m *Machine) NewPageTable() (hal.PageTable, error) {
	pa, err := allocPage()
	if err != nil {
		return nil, err
	}
	root := (*[512]uint64)(ptrAt(physToVirt(pa)))
	kernel := (*[512]uint64)(ptrAt(physToVirt(kernelCR3 & pteAddrMask)))
	copy(root[256:], kernel[256:])
	return &pageTable{root: pa}, nil
}

// Interrupts implements hal.Machine: the legacy PIC's lines the kernel's own devices do
// not use (irq.go).
func (m *Machine) Interrupts() hal.Interrupts { return lines{} }

// Console implements hal.Machine.
func (m *Machine) Console() hal.Console { return os.Stdout }

// Entropy implements hal.Machine (getrandom: RDRAND when present).
func (m *Machine) Entropy() hal.Entropy { return rand.Reader }

func allocPage() (uint64, error) {
	pa, _, e := syscall.RawSyscall(sysAllocPage, 0, 0, 0)
	if e != 0 {
		return 0, errors.New("amd64: out of physical memory")
	}
	return uint64(pa), nil
}

func freePage(pa uint64) { syscall.RawSyscall(sysFreePage, uintptr(pa), 0, 0) }

// memory implements hal.Memory over the frame allocator.
type memory struct{}

func (memory) AllocFrame() (hal.PhysAddr, bool) {
	pa, err := allocPage()
	return hal.PhysAddr(pa), err == nil
}

func (memory) FreeFrame(pa hal.PhysAddr) { freePage(uint64(pa)) }

func (memory) Frame(pa hal.PhysAddr) *[abi.PageSize]byte {
	return (*[abi.PageSize]byte)(ptrAt(physToVirt(uint64(pa))))
}

func (memory) FreeFrames() int { return int(freeFrames) }

func (memory) RuntimeFrames() int { return int(runtimeFrames) }

// pageTable is a task's address space: 4-level tables whose lower half the kernel
// loop edits (in Go, through the direct map) and whose upper half is shared.
type pageTable struct {
	root     uint64
	released bool
}

// Page-table entry bits for user pages.
const pteUserBits = ptePresent | pteUser

func (pt *pageTable) walk(va hal.VirtAddr, create bool) (*uint64, error) {
	table := pt.root
	for level := 3; level > 0; level-- {
		e := (*uint64)(ptrAt(physToVirt(table + (uint64(va)>>(12+9*uint(level))&511)*8)))
		if *e&ptePresent == 0 {
			if !create {
				return nil, nil
			}
			pa, err := allocPage()
			if err != nil {
				return nil, err
			}
			*e = pa | pteUserBits | pteWrite // permissions are decided at the leaf
		}
		table = *e & pteAddrMask
	}
	return (*uint64)(ptrAt(physToVirt(table + (uint64(va)>>12&511)*8))), nil
}

// Map implements hal.PageTable.
func (pt *pageTable) Map(va hal.VirtAddr, pa hal.PhysAddr, perm hal.Perm) error {
	if va%abi.PageSize != 0 || va >= hal.UserTop {
		return errors.New("amd64: bad user page address")
	}
	e, err := pt.walk(va, true)
	if err != nil {
		return err
	}
	v := uint64(pa) | pteUserBits
	if perm&hal.PermWrite != 0 {
		v |= pteWrite
	}
	if perm&hal.PermDevice != 0 {
		v |= pteCacheDisable | pteWriteThrough // registers: every access reaches the device
	}
	if perm&hal.PermExec == 0 {
		v |= pteNX
	}
	*e = v
	return nil
}

// Unmap implements hal.PageTable. No TLB shootdown is needed: every entry into a task
// reloads CR3 from the kernel's, which flushes the task's translations.
func (pt *pageTable) Unmap(va hal.VirtAddr) (hal.PhysAddr, bool) {
	e, _ := pt.walk(va, false)
	if e == nil || *e&ptePresent == 0 {
		return 0, false
	}
	pa := *e & pteAddrMask
	*e = 0
	return hal.PhysAddr(pa), true
}

// Lookup implements hal.PageTable.
func (pt *pageTable) Lookup(va hal.VirtAddr) (hal.PhysAddr, hal.Perm, bool) {
	e, _ := pt.walk(va&^(abi.PageSize-1), false)
	if e == nil || *e&ptePresent == 0 {
		return 0, 0, false
	}
	perm := hal.PermRead
	if *e&pteWrite != 0 {
		perm |= hal.PermWrite
	}
	if *e&pteNX == 0 {
		perm |= hal.PermExec
	}
	if *e&pteCacheDisable != 0 {
		perm |= hal.PermDevice
	}
	return hal.PhysAddr(*e & pteAddrMask), perm, true
}

// Release implements hal.PageTable: the lower half's table frames go back (the
// mapped frames belong to their Frame objects).
func (pt *pageTable) Release() {
	if pt.released {
		return
	}
	pt.released = true
	freeTables(pt.root, 3, 256)
	freePage(pt.root)
}

func freeTables(table uint64, level int, n int) {
	for i := 0; i < n; i++ {
		e := *(*uint64)(ptrAt(physToVirt(table + uint64(i)*8)))
		if e&ptePresent == 0 || level == 0 {
			continue
		}
		child := e & pteAddrMask
		if level > 1 {
			freeTables(child, level-1, 512)
		}
		freePage(child)
	}
}

// CPU runs tasks in ring 3 (hal.CPU).
type CPU struct {
	lastYield int64 // machine time Enter last let other goroutines run
}

// context is a task's ring-3 state: a record in uthreads plus the system-call view.
type context struct {
	rec     uint64
	regs    abi.Regs
	syscall bool // the last trap was a system call: Regs carries its results back
}

// NewContext implements hal.CPU.
func (c *CPU) NewContext() hal.Context {
	j, _, e := syscall.RawSyscall(sysNewUser, 0, 0, 0)
	if e != 0 {
		panic("amd64: out of task records")
	}
	return &context{rec: uint64(j)}
}

// Now implements hal.CPU.
func (c *CPU) Now() hal.Time { return hal.Time(nanotime()) }

// Idle implements hal.CPU: the kernel loop has nothing to run, so its runtime thread
// blocks (the CPU idles in HLT, and the kernel's other goroutines run) until a
// driver's interrupt line fires or the deadline passes, 10 ms at a time so that the
// caller notices what else happened (console input to hand out).
func (c *CPU) Idle(deadline hal.Time) hal.Trap {
	if line := takeIRQ(); line >= 0 {
		return hal.Trap{Kind: hal.TrapIRQ, IRQ: line}
	}
	until := min(deadline, c.Now()+hal.Time(10*time.Millisecond))
	if until > c.Now() {
		syscall.Syscall(sysWaitIRQ, uintptr(until), 0, 0)
	}
	if line := takeIRQ(); line >= 0 {
		return hal.Trap{Kind: hal.TrapIRQ, IRQ: line}
	}
	return hal.Trap{Kind: hal.TrapTimer}
}

// Enter implements hal.CPU: run the task until it traps or the deadline passes. The
// task runs on behalf of the calling goroutine's runtime thread, which holds its P
// meanwhile (no entersyscall: that bookkeeping cost more than the IPC it wrapped).
// The timer interrupt ends the task's turn at least every tick, and Enter yields the
// P at least every yieldEvery, so the kernel's other goroutines (console input, the
// framebuffer mirror) keep running while tasks compute.
func (c *CPU) Enter(hctx hal.Context, pt hal.PageTable, deadline hal.Time) hal.Trap {
	ctx := hctx.(*context)
	u := &uthreads[ctx.rec]
	if ctx.syscall {
		f := &u.frame
		r := &ctx.regs
		f.AX, f.DI, f.SI, f.DX = r.Num, r.Cap, r.Info, r.Cap2
		f.R10, f.R8, f.R9, f.R12 = r.MR[0], r.MR[1], r.MR[2], r.MR[3]
		ctx.syscall = false
	}
	if p, ok := pt.(*pageTable); ok && p != nil {
		u.cr3 = p.root
	} else {
		u.cr3 = kernelCR3 // no address space: every access faults
	}
	if atomic.LoadUint64(&irqPending) != 0 { // checked inline: Enter is on the IPC path
		if line := takeIRQ(); line >= 0 {
			return hal.Trap{Kind: hal.TrapIRQ, IRQ: line}
		}
	}
	now := nanotime()
	if now >= int64(deadline) {
		return hal.Trap{Kind: hal.TrapTimer}
	}
	if now-c.lastYield >= yieldEvery {
		runtime.Gosched()
		c.lastYield = nanotime()
	}
	enterUser(u)
	switch u.trap.Kind {
	case trapSyscall:
		f := &u.frame
		ctx.regs = abi.Regs{Num: f.AX, Cap: f.DI, Info: f.SI, Cap2: f.DX, MR: [4]uint64{f.R10, f.R8, f.R9, f.R12}}
		ctx.syscall = true
		return hal.Trap{Kind: hal.TrapSyscall}
	case trapPageFault:
		return hal.Trap{Kind: hal.TrapPageFault, Addr: u.trap.Addr, Access: uint8(u.trap.Access)}
	case trapException:
		return hal.Trap{Kind: hal.TrapException, Code: u.trap.Code}
	default:
		return hal.Trap{Kind: hal.TrapTimer}
	}
}

// yieldEvery bounds how long Enter keeps the kernel loop's P from the kernel's other
// goroutines.
const yieldEvery = 2_000_000 // ns

// enterUser runs the task of record u until its next trap (trap_amd64.s).
//
//go:noescape
func enterUser(u *thread)

func enterUserReturn()

// Regs implements hal.Context.
func (ctx *context) Regs() *abi.Regs { return &ctx.regs }

// PC implements hal.Context.
func (ctx *context) PC() uint64 { return uthreads[ctx.rec].frame.IP }

// SP implements hal.Context.
func (ctx *context) SP() uint64 { return uthreads[ctx.rec].frame.SP }

// SetEntry implements hal.Context: the task starts at pc with stack sp and arg in RDI.
func (ctx *context) SetEntry(pc, sp, arg uint64) {
	u := &uthreads[ctx.rec]
	u.frame = trapFrame{IP: pc, SP: sp, DI: arg, CS: selUserCode | 3, SS: selUserData | 3, FLAGS: 0x202}
	u.fsBase = 0
	initFX(u)
	ctx.regs, ctx.syscall = abi.Regs{}, false
}

// SetTLS implements hal.Context: the task's FS base.
func (ctx *context) SetTLS(base uint64) { uthreads[ctx.rec].fsBase = base }

// SetStack implements hal.Context.
func (ctx *context) SetStack(sp uint64) { uthreads[ctx.rec].frame.SP = sp }

// UserRegs implements hal.Context.
func (ctx *context) UserRegs() (hal.UserRegs, bool) {
	u := &uthreads[ctx.rec]
	f := &u.frame
	r := hal.UserRegs{R8: f.R8, R9: f.R9, R10: f.R10, R11: f.R11, R12: f.R12, R13: f.R13, R14: f.R14, R15: f.R15,
		DI: f.DI, SI: f.SI, BP: f.BP, BX: f.BX, DX: f.DX, AX: f.AX, CX: f.CX, SP: f.SP, IP: f.IP, Flags: f.FLAGS, FS: u.fsBase}
	r.FX = *fxArea(u)
	if ctx.syscall { // the pending system call's results are what the thread will see
		f2 := ctx.regs
		r.AX, r.DI, r.SI, r.DX, r.R10, r.R8, r.R9, r.R12 = f2.Num, f2.Cap, f2.Info, f2.Cap2, f2.MR[0], f2.MR[1], f2.MR[2], f2.MR[3]
	}
	return r, true
}

// SetUserRegs implements hal.Context. Flags keep IF set and IOPL 0; MXCSR's reserved
// bits are cleared so that FXRSTOR cannot fault.
func (ctx *context) SetUserRegs(r hal.UserRegs) bool {
	u := &uthreads[ctx.rec]
	f := &u.frame
	f.R8, f.R9, f.R10, f.R11, f.R12, f.R13, f.R14, f.R15 = r.R8, r.R9, r.R10, r.R11, r.R12, r.R13, r.R14, r.R15
	f.DI, f.SI, f.BP, f.BX, f.DX, f.AX, f.CX, f.SP, f.IP = r.DI, r.SI, r.BP, r.BX, r.DX, r.AX, r.CX, r.SP, r.IP
	const userFlags = 0xDD5 | 0x100 | 0x40000 // arithmetic flags, DF, TF, AC
	f.FLAGS = r.Flags&userFlags | 0x202
	u.fsBase = r.FS
	fx := r.FX
	mx := uint32(fx[24]) | uint32(fx[25])<<8 | uint32(fx[26])<<16 | uint32(fx[27])<<24
	mx &= 0xFFFF
	fx[24], fx[25], fx[26], fx[27] = byte(mx), byte(mx>>8), 0, 0
	*fxArea(u) = fx
	ctx.syscall = false
	return true
}

// CloneFrom implements hal.Context: registers (including the pending system call's
// view), FPU state and TLS are copied.
func (ctx *context) CloneFrom(from hal.Context) bool {
	f, ok := from.(*context)
	if !ok {
		return false
	}
	u, src := &uthreads[ctx.rec], &uthreads[f.rec]
	u.frame, u.fx, u.fsBase = src.frame, src.fx, src.fsBase
	ctx.regs, ctx.syscall = f.regs, f.syscall
	return true
}

// Release implements hal.Context.
func (ctx *context) Release() { syscall.RawSyscall(sysFreeUser, uintptr(ctx.rec), 0, 0) }
