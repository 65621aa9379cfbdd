package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// fakeLinux is a minimal personality: call 35 sleeps MR0 ns (result 0 at the
// deadline), call 202 waits until call 203 from another thread wakes it (result 1),
// anything else returns 99. Page faults at 0x7000 are "resolved" once.
type fakeLinux struct {
	waiting  *kernel.TCB
	resolved bool
	faults   int
}

func (f *fakeLinux) Syscall(k *kernel.Kernel, t *kernel.TCB) {
	r := t.Regs()
	switch r.Num {
	case 35:
		k.Block(t, k.Now()+hal.Time(r.Cap))
	case 202:
		f.waiting = t
		k.Block(t, hal.Forever)
	case 203:
		if f.waiting != nil {
			f.waiting.Regs().Num = 1
			k.Wake(f.waiting)
			f.waiting = nil
		}
		r.Num = 0
	default:
		r.Num = 99
	}
}

func (f *fakeLinux) PageFault(k *kernel.Kernel, t *kernel.TCB, addr uint64, access uint8) bool {
	f.faults++
	return false
}

func (f *fakeLinux) Timeout(k *kernel.Kernel, t *kernel.TCB) { t.Regs().Num = 0 }

const personaPC = 0x70_0000

// TestPersonalityCallsBlockAndTimeOut: foreign system call numbers go to the thread's
// personality, which can block the thread with a deadline (the kernel wakes it then,
// in virtual time) or until another thread wakes it; native calls still work.
func TestPersonalityCallsBlockAndTimeOut(t *testing.T) {
	f := &fakeLinux{}
	var slept hal.Time
	var got []uint64
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		if _, err := spawn(e, slots, personaPC, 100); err != nil {
			t.Errorf("spawn: %v", err)
		}
	}, nil)
	w.addRaw(personaPC, func(p *sim.Port, e *user.Env) {
		r := p.Regs()
		call := func(n, a uint64) uint64 {
			r.Num, r.Cap = n, a
			p.Syscall()
			return r.Num
		}
		got = append(got, call(12345, 0)) // unknown to the fake: 99
		start := w.Now()
		got = append(got, call(35, 3_000_000)) // sleep 3 ms
		slept = w.Now() - start
		e.Yield() // a native call still works
	})
	// Init makes the thread (at init's priority, so it runs only after init is done);
	// give it the personality as soon as it exists.
	for i := 0; i < 10_000 && len(w.Threads()) < 2; i++ {
		w.runFor(100)
	}
	if len(w.Threads()) < 2 {
		t.Fatal("init made no thread")
	}
	w.Threads()[1].Personality = f
	w.run()
	if len(got) != 2 || got[0] != 99 || got[1] != 0 {
		t.Fatalf("results %v, want [99 0]", got)
	}
	if slept < 3_000_000 {
		t.Fatalf("slept %d ns of virtual time, want at least 3 ms", slept)
	}
	if w.Stats.ForeignSyscalls != 2 {
		t.Fatalf("ForeignSyscalls = %d, want 2", w.Stats.ForeignSyscalls)
	}
}

// TestPersonalityWake: a thread blocked by its personality without a deadline stays
// blocked until another thread's call makes the personality wake it.
func TestPersonalityWake(t *testing.T) {
	f := &fakeLinux{}
	var order []string
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		for _, prio := range []uint8{120, 110} { // the waiter first, then the waker
			if _, err := spawn(e, slots, personaPC+uint64(prio), prio); err != nil {
				t.Errorf("spawn: %v", err)
			}
		}
	}, nil)
	raw := func(p *sim.Port, n uint64) uint64 {
		p.Regs().Num = n
		p.Syscall()
		return p.Regs().Num
	}
	w.addRaw(personaPC+120, func(p *sim.Port, e *user.Env) {
		order = append(order, "wait")
		r := raw(p, 202)
		order = append(order, "woken "+string(rune('0'+r)))
	})
	w.addRaw(personaPC+110, func(p *sim.Port, e *user.Env) {
		order = append(order, "wake")
		raw(p, 203)
	})
	for i := 0; i < 10_000 && len(w.Threads()) < 2; i++ {
		w.runFor(100)
	}
	for _, tcb := range w.Threads()[1:] {
		tcb.Personality = f
	}
	for i := 0; i < 10_000 && len(w.Threads()) < 3; i++ {
		w.runFor(100)
	}
	for _, tcb := range w.Threads()[1:] {
		tcb.Personality = f
	}
	w.run()
	if fmt.Sprint(order) != "[wait wake woken 1]" {
		t.Fatalf("order %v", order)
	}
}
