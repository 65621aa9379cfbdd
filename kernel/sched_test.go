package kernel_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// timeline records events of user programs with the machine time they happened at.
// Programs run one at a time, so it needs no locking.
type timeline struct {
	w   *world
	evs []tlEvent
}

type tlEvent struct {
	who string
	at  hal.Time
}

func (tl *timeline) add(who string) { tl.evs = append(tl.evs, tlEvent{who, tl.w.Now()}) }

// order returns the sequence of who's.
func (tl *timeline) order() string {
	var b strings.Builder
	for i, e := range tl.evs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(e.who)
	}
	return b.String()
}

// schedInit returns an init program that raises itself above every test thread,
// spawns one thread per entry of pcs at its priority (none runs yet), calls then (if
// not nil) and exits, so that all of them become runnable at the same moment.
func schedInit(t *testing.T, pcs []uint64, prios []uint8, then func(e *user.Env, threads []user.Spawned)) usersim.Program {
	return func(e *user.Env) {
		if err := e.SetPriority(self, self, 250); err != nil {
			t.Errorf("raise init: %v", err)
			return
		}
		slots := initSlots()
		var threads []user.Spawned
		for i, pc := range pcs {
			sp, err := spawn(e, slots, pc, prios[i])
			if err != nil {
				t.Errorf("spawn: %v", err)
				return
			}
			threads = append(threads, sp)
		}
		if then != nil {
			then(e, threads)
		}
	}
}

// A lower-priority thread never runs while a higher-priority one is ready.
func TestStrictPriority(t *testing.T) {
	const n = 10
	tl := &timeline{}
	prog := func(name string) usersim.Program {
		return func(e *user.Env) {
			for range n {
				e.Compute(1_000_000) // longer in total than a time slice
				tl.add(name)
			}
		}
	}
	pcs := []uint64{0x130_0000, 0x130_1000, 0x130_2000}
	w := boot(t, schedInit(t, pcs, []uint8{120, 150, 130}, nil),
		map[uint64]usersim.Program{pcs[0]: prog("L"), pcs[1]: prog("H"), pcs[2]: prog("M")})
	tl.w = w
	w.finish()
	want := strings.TrimSpace(strings.Repeat("H ", n) + strings.Repeat("M ", n) + strings.Repeat("L ", n))
	if got := tl.order(); got != want {
		t.Fatalf("run order\n %s\nwant\n %s", got, want)
	}
	// Each thread ran without a gap: its 10 ms of Compute end 10 ms after its start.
	for i := 0; i < 3; i++ {
		first, last := tl.evs[i*n], tl.evs[i*n+n-1]
		if d := last.at - first.at; d < 9_000_000 || d > 9_100_000 {
			t.Errorf("%s ran from %d to %d ns: %d ns for 9 ms of work", first.who, first.at, last.at, d)
		}
	}
}

// A higher-priority thread woken by an interrupt preempts a lower-priority one in the
// middle of its computation, at once.
func TestInterruptPreemptsLowerPriority(t *testing.T) {
	const (
		hiPC  = 0x131_0000
		loPC  = 0x131_1000
		line  = 5
		fire  = 5_500_000
		steps = 10
	)
	tl := &timeline{}
	ntfn := abi.CPtr(0)
	w := boot(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 250))
		slots := initSlots()
		ntfn = retype(e, slots, abi.ObjNotification, 0)
		h, _ := slots.Take()
		must(t, e.IRQHandler(abi.InitSlotIRQControl, line, cs, h))
		must(t, e.IRQSetNotification(h, ntfn))
		if _, err := spawn(e, slots, hiPC, 200); err != nil {
			t.Errorf("spawn: %v", err)
		}
		if _, err := spawn(e, slots, loPC, 100); err != nil {
			t.Errorf("spawn: %v", err)
		}
	}, map[uint64]usersim.Program{
		hiPC: func(e *user.Env) {
			if _, err := e.Wait(ntfn); err != nil {
				t.Errorf("Wait: %v", err)
			}
			tl.add("H")
		},
		loPC: func(e *user.Env) {
			for range steps {
				e.Compute(1_000_000)
				tl.add("L")
			}
		},
	})
	tl.w = w
	w.Sim.RaiseIRQ(line, fire)
	w.finish()
	if got, want := tl.order(), "L L L L L H L L L L L"; got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
	if at := tl.evs[5].at; at < fire || at > fire+10_000 {
		t.Errorf("high-priority thread ran at %d ns; the interrupt fired at %d ns", at, fire)
	}
}

// Threads of one priority share the CPU round robin: over 300 ms three CPU-bound threads
// each get a third, give or take one time slice.
func TestRoundRobinSharesCPU(t *testing.T) {
	const (
		chunk = 100_000 // ns of Compute per counted step
		total = 300_000_000
		slice = 5_000_000 // the default time slice
	)
	var counts [3]int
	pcs := []uint64{0x132_0000, 0x132_1000, 0x132_2000}
	progs := map[uint64]usersim.Program{}
	for i, pc := range pcs {
		progs[pc] = func(e *user.Env) {
			for {
				e.Compute(chunk)
				counts[i]++
			}
		}
	}
	w := boot(t, schedInit(t, pcs, []uint8{50, 50, 50}, nil), progs)
	w.runFor(total)
	w.check()
	sum := counts[0] + counts[1] + counts[2]
	// Each step costs chunk plus one trap; the whole run is CPU-bound.
	if min := total/(chunk+200) - 10; sum < min {
		t.Errorf("%d steps in all, want at least %d: the CPU idled", sum, min)
	}
	for i, c := range counts {
		if d := c - sum/3; d < -slice/chunk || d > slice/chunk {
			t.Errorf("thread %d did %d steps of %d (%v): more than one slice from a third", i, c, sum, counts)
		}
	}
}

// Yield moves the thread to the back of its priority level (and does not let a lower
// level run).
func TestYieldGoesToBackOfLevel(t *testing.T) {
	tl := &timeline{}
	prog := func(name string) usersim.Program {
		return func(e *user.Env) {
			for range 3 {
				tl.add(name)
				e.Yield()
			}
		}
	}
	pcs := []uint64{0x133_0000, 0x133_1000, 0x133_2000, 0x133_3000}
	w := boot(t, schedInit(t, pcs, []uint8{50, 50, 50, 60}, nil), map[uint64]usersim.Program{
		pcs[0]: prog("A"), pcs[1]: prog("B"), pcs[2]: prog("C"), pcs[3]: prog("H"),
	})
	tl.w = w
	w.finish()
	if got, want := tl.order(), "H H H A B C A B C A B C"; got != want {
		t.Fatalf("order %q, want %q", got, want)
	}
}

// A CPU budget of 2 ms per 10 ms holds a CPU hog to at most a fifth of the CPU while an
// unlimited thread of the same priority gets the rest; alone, the limited thread gets
// its budget and the CPU idles the rest of each period.
//
// The budget is a limit, not a reservation: when the hog's period renews while the
// other thread is in the middle of its time slice, the hog waits for the end of that
// slice (round robin within the priority), so with a competitor it gets between
// budget/(period+slice) and budget/period of the CPU.
func TestCPUBudgetLimitsShare(t *testing.T) {
	const (
		chunk  = 100_000
		total  = 100_000_000
		budget = 2_000_000
		period = 10_000_000
		slice  = 5_000_000
		step   = chunk + 100 // one Compute: the chunk and one trap
	)
	for _, alone := range []bool{false, true} {
		t.Run(fmt.Sprintf("alone=%v", alone), func(t *testing.T) {
			var counts [2]int
			pcs := []uint64{0x134_0000, 0x134_1000}
			prios := []uint8{50, 50}
			if alone {
				pcs, prios = pcs[:1], prios[:1]
			}
			progs := map[uint64]usersim.Program{}
			for i, pc := range pcs {
				progs[pc] = func(e *user.Env) {
					for {
						e.Compute(chunk)
						counts[i]++
					}
				}
			}
			w := boot(t, schedInit(t, pcs, prios, func(e *user.Env, th []user.Spawned) {
				must(t, e.SetCPUBudget(th[0].TCB, budget, period))
			}), progs)
			w.runFor(total)
			w.check()
			if w.Now() < total {
				t.Fatalf("machine stopped at %d ns", w.Now())
			}
			hi := total/period*budget/chunk + 12 // 10 periods of 2 ms, a chunk of rounding per period
			lo := total / (period + slice) * budget / chunk
			if alone {
				lo = hi - 24
			}
			if c := counts[0]; c < lo || c > hi {
				t.Errorf("limited thread did %d steps (%d ms), want %d..%d", c, c*chunk/1e6, lo, hi)
			}
			if !alone {
				// Nothing idles: the unlimited thread gets all the rest.
				if sum := counts[0] + counts[1]; sum < total/step-3 {
					t.Errorf("%d steps in all (%v), want %d: the CPU idled", sum, counts, total/step)
				}
			}
		})
	}
}

// SetPriority and SetMCPriority are bounded by the authority's MCP.
func TestSetPriorityBoundedByMCP(t *testing.T) {
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		auth := retype(e, slots, abi.ObjTCB, 0)
		other := retype(e, slots, abi.ObjTCB, 0)
		must(t, e.SetMCPriority(auth, self, 120))
		prio := func() uint8 { return w.Init().Priority() }

		expectErrno(t, "SetPriority above the authority's MCP", e.SetPriority(self, auth, 121), abi.ErrRange)
		if p := prio(); p != 100 {
			t.Errorf("priority after a refused SetPriority = %d, want 100", p)
		}
		expectErrno(t, "SetPriority at the authority's MCP", e.SetPriority(self, auth, 120), abi.OK)
		if p := prio(); p != 120 {
			t.Errorf("priority = %d, want 120", p)
		}
		expectErrno(t, "SetMCPriority above the authority's MCP", e.SetMCPriority(other, auth, 121), abi.ErrRange)
		// other's MCP is still 0: as an authority it allows only priority 0.
		expectErrno(t, "SetPriority with an authority of MCP 0", e.SetPriority(self, other, 1), abi.ErrRange)
		expectErrno(t, "SetPriority 0 with an authority of MCP 0", e.SetPriority(self, other, 0), abi.OK)
		if p := prio(); p != 0 {
			t.Errorf("priority = %d, want 0", p)
		}
		expectErrno(t, "SetPriority back up with init's own authority", e.SetPriority(self, self, abi.MaxPriority), abi.OK)
		// Beyond the largest priority (not expressible as uint8 by the library).
		e.SetMR(0, abi.MaxPriority+1)
		e.SetCap(0, self)
		expectErrno(t, "SetPriority 256", e.Invoke(self, abi.TCBSetPriority, 1, 1), abi.ErrRange)
		if p := prio(); p != abi.MaxPriority {
			t.Errorf("priority = %d, want %d", p, abi.MaxPriority)
		}
		// The authority must be a TCB.
		expectErrno(t, "SetPriority with a CSpace as authority", e.SetPriority(self, cs, 1), abi.ErrWrongType)
		expectErrno(t, "SetPriority with an empty authority", e.SetPriority(self, 4000, 1), abi.ErrInvalidCap)
		if p := prio(); p != abi.MaxPriority {
			t.Errorf("priority = %d, want %d", p, abi.MaxPriority)
		}
	}, nil)
	w.finish()
}

// When Run stops at its deadline just after the running thread blocked, the kernel's
// state is consistent (no blocked thread is still "current").
func TestRunDeadlineAfterBlockingIsConsistent(t *testing.T) {
	var ntfn abi.CPtr
	w := boot(t, func(e *user.Env) {
		ntfn = retype(e, initSlots(), abi.ObjNotification, 0)
		e.Compute(1_000_000)
		_, _ = e.Wait(ntfn) // blocks for good
	}, nil)
	// Step the deadline in small steps across the moment init blocks (just after 1 ms),
	// checking after every stop.
	w.Run(990_000)
	w.check()
	for i := 0; i < 5000 && w.Run(w.Now()+10) == kernel.StopDeadline; i++ {
		w.check()
	}
	w.check()
	if w.Init().State() != kernel.BlockedOnNotification {
		t.Fatalf("init is %v, want blocked on its notification", w.Init().State())
	}
	w.run()
}
