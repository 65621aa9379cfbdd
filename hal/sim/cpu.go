package sim

import (
	"fmt"
	"runtime"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// trapCompute is the sim-internal trap a task takes to ask for CPU time; the CPU
// serves it itself and never shows it to the kernel.
const trapCompute hal.TrapKind = 255

type resumeCmd uint8

const (
	cmdRun resumeCmd = iota
	cmdKill
)

// CPU is the simulated processor. It implements hal.CPU.
type CPU struct {
	m       *Machine
	now     hal.Time
	trapped chan struct{} // a user goroutine stopped at a trap
	running *context      // the context between resume and trap, else nil
}

// context is a simulated thread's user state and the goroutine that runs its program.
type context struct {
	cpu         *CPU
	regs        abi.Regs
	pc, sp, arg uint64

	g    *incarnation  // the goroutine running the program, or nil before the first run
	done bool          // the program ended (returned, panicked or was discarded)
	trap hal.Trap      // what the goroutine stopped for
	burn hal.Time      // Compute time still owed to the task
	pt   hal.PageTable // address space while entered
}

// incarnation is one goroutine running a context's program. SetEntry discards it and a
// later Enter starts another, so the fields a dying goroutine touches are its own.
type incarnation struct {
	resume chan resumeCmd
	killed bool // set by the goroutine itself when told to die; it never traps again
}

// NewContext implements hal.CPU.
func (c *CPU) NewContext() hal.Context {
	ctx := &context{cpu: c}
	c.m.live[ctx] = struct{}{}
	return ctx
}

// Now implements hal.CPU.
func (c *CPU) Now() hal.Time { return c.now }

// Enter implements hal.CPU.
func (c *CPU) Enter(hctx hal.Context, pt hal.PageTable, deadline hal.Time) hal.Trap {
	ctx := hctx.(*context)
	irq := &c.m.irq
	for {
		if t, ok := c.pending(deadline); ok {
			return t
		}
		if ctx.burn > 0 {
			step := min(ctx.burn, min(deadline, irq.next())-c.now)
			if step > 0 {
				c.now += step
				ctx.burn -= step
			}
			continue
		}
		if ctx.done {
			return hal.Trap{Kind: hal.TrapExit}
		}
		t := c.run(ctx, pt)
		c.now += c.m.cfg.TrapCost
		if t.Kind != trapCompute {
			return t
		}
	}
}

// run resumes ctx's goroutine (starting it if needed) until its next trap.
func (c *CPU) run(ctx *context, pt hal.PageTable) hal.Trap {
	ctx.pt = pt
	c.running = ctx
	if ctx.g == nil {
		entry := c.m.entry[ctx.pc]
		if entry == nil {
			// No program at this address: as real hardware would, fault on the fetch.
			c.running = nil
			return hal.Trap{Kind: hal.TrapPageFault, Addr: ctx.pc, Access: abi.FaultExec}
		}
		ctx.g = &incarnation{resume: make(chan resumeCmd)}
		go ctx.main(&Port{ctx: ctx, g: ctx.g}, entry)
	}
	ctx.g.resume <- cmdRun
	<-c.trapped
	c.running = nil
	ctx.pt = nil
	return ctx.trap
}

// Idle implements hal.CPU.
func (c *CPU) Idle(deadline hal.Time) hal.Trap {
	irq := &c.m.irq
	for {
		if t, ok := c.pending(deadline); ok {
			return t
		}
		next := min(deadline, irq.next())
		if next == hal.Forever {
			return hal.Trap{Kind: hal.TrapNone}
		}
		c.now = max(c.now, next)
	}
}

// pending returns the interrupt or timer trap due now, if any.
func (c *CPU) pending(deadline hal.Time) (hal.Trap, bool) {
	if i := c.m.irq.due(c.now); i >= 0 {
		return hal.Trap{Kind: hal.TrapIRQ, IRQ: c.m.irq.take(i)}, true
	}
	if c.now >= deadline {
		return hal.Trap{Kind: hal.TrapTimer}, true
	}
	return hal.Trap{}, false
}

// main is the body of a context's goroutine.
func (ctx *context) main(p *Port, entry Entry) {
	if <-p.g.resume == cmdKill {
		return
	}
	defer func() {
		if p.g.killed {
			return
		}
		ctx.done = true
		if r := recover(); r != nil {
			fmt.Fprintf(ctx.cpu.m.cons, "sim: user program at %#x panicked: %v\n", ctx.pc, r)
			ctx.trap = hal.Trap{Kind: hal.TrapException, Code: 1}
		} else {
			ctx.trap = hal.Trap{Kind: hal.TrapExit}
		}
		ctx.cpu.trapped <- struct{}{}
	}()
	entry(p)
}

// stop hands control back to the kernel with trap t and waits to be entered again.
// Called only on the program's own goroutine.
func (p *Port) stop(t hal.Trap) {
	if p.g.killed {
		runtime.Goexit() // a deferred function of a discarded program: never trap again
	}
	p.ctx.trap = t
	p.ctx.cpu.trapped <- struct{}{}
	if <-p.g.resume == cmdKill {
		p.g.killed = true
		runtime.Goexit()
	}
}

// Regs implements hal.Context.
func (ctx *context) Regs() *abi.Regs { return &ctx.regs }

// PC implements hal.Context.
func (ctx *context) PC() uint64 { return ctx.pc }

// SP implements hal.Context.
func (ctx *context) SP() uint64 { return ctx.sp }

// SetEntry implements hal.Context. A program already running is discarded and the
// thread starts afresh at pc.
func (ctx *context) SetEntry(pc, sp, arg uint64) {
	ctx.kill()
	ctx.pc, ctx.sp, ctx.arg = pc, sp, arg
	ctx.regs = abi.Regs{}
	ctx.burn = 0
	ctx.g, ctx.done = nil, false
}

// SetTLS implements hal.Context; simulated programs have no TLS register.
func (ctx *context) SetTLS(uint64) {}

// CloneFrom implements hal.Context: a simulated thread is a Go function and cannot be
// copied mid-run.
func (ctx *context) CloneFrom(hal.Context) bool { return false }

// UserRegs implements hal.Context: simulated threads have no register file.
func (ctx *context) UserRegs() (hal.UserRegs, bool) { return hal.UserRegs{}, false }

// SetUserRegs implements hal.Context.
func (ctx *context) SetUserRegs(hal.UserRegs) bool { return false }

// SetStack implements hal.Context.
func (ctx *context) SetStack(sp uint64) { ctx.sp = sp }

// Release implements hal.Context.
func (ctx *context) Release() {
	ctx.kill()
	ctx.done = true
	delete(ctx.cpu.m.live, ctx)
}

func (ctx *context) kill() {
	if ctx.g != nil && !ctx.done {
		ctx.g.resume <- cmdKill
	}
	if ctx.g != nil {
		ctx.done = true
	}
}
