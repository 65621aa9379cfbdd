package sim

import (
	"io"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

func newMachine(progs map[uint64]Entry) *Machine {
	return New(Config{MemoryFrames: 8, Programs: progs, Console: io.Discard, TrapCost: 10})
}

func TestEnterRunsUntilSyscall(t *testing.T) {
	var seen []uint64
	m := newMachine(map[uint64]Entry{0x1000: func(p *Port) {
		for i := uint64(1); i <= 3; i++ {
			p.Regs().Num = i
			p.Syscall()
			seen = append(seen, p.Regs().MR[0])
		}
	}})
	cpu := m.CPU()
	ctx := cpu.NewContext()
	ctx.SetEntry(0x1000, 0, 0)
	for i := uint64(1); i <= 3; i++ {
		tr := cpu.Enter(ctx, nil, hal.Forever)
		if tr.Kind != hal.TrapSyscall || ctx.Regs().Num != i {
			t.Fatalf("trap %d: %v num=%d", i, tr.Kind, ctx.Regs().Num)
		}
		ctx.Regs().MR[0] = i * 10
	}
	if tr := cpu.Enter(ctx, nil, hal.Forever); tr.Kind != hal.TrapExit {
		t.Fatalf("last trap %v, want Exit", tr.Kind)
	}
	if len(seen) != 3 || seen[2] != 30 {
		t.Fatalf("program saw %v", seen)
	}
	if cpu.Now() != 40 {
		t.Fatalf("time %d, want 4 traps × 10 ns", cpu.Now())
	}
}

func TestComputeIsPreemptedAtDeadline(t *testing.T) {
	m := newMachine(map[uint64]Entry{0x1000: func(p *Port) { p.Compute(1000); p.Syscall() }})
	cpu := m.CPU()
	ctx := cpu.NewContext()
	ctx.SetEntry(0x1000, 0, 0)
	if tr := cpu.Enter(ctx, nil, 300); tr.Kind != hal.TrapTimer || cpu.Now() != 300 {
		t.Fatalf("first slice: %v at %d, want Timer at 300", tr.Kind, cpu.Now())
	}
	if tr := cpu.Enter(ctx, nil, hal.Forever); tr.Kind != hal.TrapSyscall {
		t.Fatalf("second slice: %v", tr.Kind)
	}
	// 10 (compute trap) + 1000 of computing + 10 (syscall trap).
	if cpu.Now() != 1020 {
		t.Fatalf("time %d, want 1020", cpu.Now())
	}
}

func TestInterruptsWaitWhileMasked(t *testing.T) {
	m := newMachine(nil)
	cpu := m.CPU()
	m.RaiseIRQ(3, 100)
	m.Interrupts().Mask(3)
	if tr := cpu.Idle(500); tr.Kind != hal.TrapTimer || cpu.Now() != 500 {
		t.Fatalf("masked line fired: %v at %d", tr.Kind, cpu.Now())
	}
	m.Interrupts().Unmask(3)
	if tr := cpu.Idle(hal.Forever); tr.Kind != hal.TrapIRQ || tr.IRQ != 3 {
		t.Fatalf("unmasked line: %+v", tr)
	}
	if tr := cpu.Idle(hal.Forever); tr.Kind != hal.TrapNone {
		t.Fatalf("no events left but Idle returned %v", tr.Kind)
	}
}

func TestLoadStoreFaultUntilMapped(t *testing.T) {
	m := newMachine(nil)
	pt, _ := m.NewPageTable()
	var got uint64
	m.AddProgram(0x1000, func(p *Port) {
		p.Store(0x5000, []byte{42})
		b := make([]byte, 1)
		p.Load(0x5000, b)
		got = uint64(b[0])
	})
	cpu := m.CPU()
	ctx := cpu.NewContext()
	ctx.SetEntry(0x1000, 0, 0)
	tr := cpu.Enter(ctx, pt, hal.Forever)
	if tr.Kind != hal.TrapPageFault || tr.Addr != 0x5000 || tr.Access != abi.FaultWrite {
		t.Fatalf("first trap %+v, want a write fault at 0x5000", tr)
	}
	pa, ok := m.Memory().AllocFrame()
	if !ok {
		t.Fatal("no frame")
	}
	if err := pt.Map(0x5000, pa, hal.PermRead); err != nil {
		t.Fatal(err)
	}
	if tr := cpu.Enter(ctx, pt, hal.Forever); tr.Kind != hal.TrapPageFault {
		t.Fatalf("write to a read-only page: %+v", tr)
	}
	pt.Unmap(0x5000)
	_ = pt.Map(0x5000, pa, hal.PermRead|hal.PermWrite)
	if tr := cpu.Enter(ctx, pt, hal.Forever); tr.Kind != hal.TrapExit || got != 42 {
		t.Fatalf("after mapping: %+v, got %d", tr, got)
	}
	if m.Memory().Frame(pa)[0] != 42 {
		t.Fatal("store did not reach the frame")
	}
}

func TestFramesAreZeroedAndCounted(t *testing.T) {
	m := newMachine(nil)
	mem := m.Memory()
	pa, _ := mem.AllocFrame()
	mem.Frame(pa)[7] = 1
	mem.FreeFrame(pa)
	for mem.FreeFrames() > 0 {
		q, _ := mem.AllocFrame()
		if mem.Frame(q)[7] != 0 {
			t.Fatal("a reused frame was not zeroed")
		}
	}
	if _, ok := mem.AllocFrame(); ok {
		t.Fatal("allocated beyond the machine's memory")
	}
}

func TestSetEntryDiscardsRunningProgram(t *testing.T) {
	m := newMachine(map[uint64]Entry{
		0x1000: func(p *Port) {
			for {
				p.Syscall()
			}
		},
		0x2000: func(p *Port) { p.Regs().Num = 99; p.Syscall() },
	})
	cpu := m.CPU()
	ctx := cpu.NewContext()
	ctx.SetEntry(0x1000, 0, 0)
	cpu.Enter(ctx, nil, hal.Forever)
	ctx.SetEntry(0x2000, 0, 0)
	if tr := cpu.Enter(ctx, nil, hal.Forever); tr.Kind != hal.TrapSyscall || ctx.Regs().Num != 99 {
		t.Fatalf("restarted program: %+v num=%d", tr, ctx.Regs().Num)
	}
	ctx.Release()
	if tr := cpu.Enter(ctx, nil, hal.Forever); tr.Kind != hal.TrapExit {
		t.Fatalf("released context ran: %v", tr.Kind)
	}
}
