package sim

import (
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Port is a simulated user program's only way to the machine: its system call
// registers, loads and stores through its own address space, and CPU time. It
// implements the trap interface of the user library (kernel/user.Trapper).
type Port struct {
	ctx *context
	g   *incarnation
}

// Regs returns the register file the next Syscall passes to the kernel and in which the
// kernel's results arrive.
func (p *Port) Regs() *abi.Regs { return &p.ctx.regs }

// Syscall traps into the kernel with the registers in Regs.
func (p *Port) Syscall() { p.stop(hal.Trap{Kind: hal.TrapSyscall}) }

// Arg returns the argument the thread was started with.
func (p *Port) Arg() uint64 { return p.ctx.arg }

// SP returns the stack pointer the thread was started with.
func (p *Port) SP() uint64 { return p.ctx.sp }

// Compute burns ns nanoseconds of CPU time, as a busy loop would. The timer can preempt
// the thread in the middle.
func (p *Port) Compute(ns int64) {
	if ns <= 0 {
		return
	}
	p.ctx.burn += hal.Time(ns)
	p.stop(hal.Trap{Kind: trapCompute})
}

// Load copies len(b) bytes at user address va into b. An access the address space does
// not allow takes a page fault to the kernel and is retried when the thread resumes.
func (p *Port) Load(va uint64, b []byte) { p.access(va, b, false) }

// Store copies b to user address va, faulting like Load.
func (p *Port) Store(va uint64, b []byte) { p.access(va, b, true) }

func (p *Port) access(va uint64, b []byte, write bool) {
	for len(b) > 0 {
		off := va % abi.PageSize
		n := min(uint64(len(b)), abi.PageSize-off)
		frame := p.translate(va, write)
		if write {
			copy(frame[off:off+n], b[:n])
		} else {
			copy(b[:n], frame[off:off+n])
		}
		b = b[n:]
		va += n
	}
}

// translate returns the frame backing va, taking page faults until the access is allowed.
func (p *Port) translate(va uint64, write bool) *[abi.PageSize]byte {
	need, access := hal.PermRead, uint8(abi.FaultRead)
	if write {
		need, access = hal.PermWrite, abi.FaultWrite
	}
	for {
		if pt := p.ctx.pt; pt != nil && hal.VirtAddr(va) < hal.UserTop {
			if pa, perm, ok := pt.Lookup(hal.VirtAddr(va)); ok && perm&need != 0 {
				return p.ctx.cpu.m.mem.Frame(pa)
			}
		}
		p.stop(hal.Trap{Kind: hal.TrapPageFault, Addr: va, Access: access})
	}
}
