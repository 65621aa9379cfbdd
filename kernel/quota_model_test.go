package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"pgregory.net/rapid"
)

// Seed verification target 3, resource quota enforcement: the scheduler's CPU budgets.

const (
	cpuSpinPC = 0x92_0000 // cpuSpinPC + i*0x1000: container i's spinner
	cpuChunk  = 50_000    // a spinner computes this many ns at a time
)

// cpuCtr is one container of TestContainerCPUBudgetModel and its measurements.
type cpuCtr struct {
	k              *kernel.Container
	budget, period hal.Time
	start          hal.Time // its creation: its periods start at start + n*period
	prio           uint8    // its spinning threads' priority
	threads        int
	ends           []hal.Time // when each chunk its threads computed ended
}

// cpuStats counts what TestContainerCPUBudgetModel measured.
var cpuStats struct{ runs, periods, short int }

// TestContainerCPUBudgetModel: two to four sibling containers with random CPU budgets
// and periods (their shares within the machine), created at random moments (so their
// periods are not aligned), each running one to three spinning tasks at random
// priorities, beside an unlimited spinning task outside at the lowest priority, with
// a random time slice (1 to 100 ms) for every thread. The
// machine runs for 20 of the longest periods without a stop (a stop at a period
// boundary would preempt the threads there and hide a budget that runs over). Each
// spinner computes in chunks of 50 µs and notes the machine time after each: that
// places its CPU time in time to within a chunk. Then, in every period of every
// container:
//
//   - the container used at most its budget;
//   - a container whose threads have the highest priority of all spinning threads,
//     when every limited container has the same period, got all of its budget (its
//     guaranteed share: with equal periods the shares add up to at most the whole
//     CPU, so fixed priorities cannot take it away);
//
// and over the whole run the kernel's own accounting (ContainerInfo.CPUNanos) agrees
// with what the spinners computed, and the task outside got all the time the
// containers left (the CPU never idled while it could run). The tolerance is the
// measurement's: a chunk per thread at each end of a period.
func TestContainerCPUBudgetModel(t *testing.T) {
	cpuStats.runs, cpuStats.periods, cpuStats.short = 0, 0, 0
	defer func() {
		t.Logf("%d runs, %d periods measured, %d of them short of the budget", cpuStats.runs, cpuStats.periods, cpuStats.short)
		if cpuStats.short == 0 && !t.Failed() {
			t.Errorf("no container was ever short of its budget: the runs never had contention")
		}
	}()
	rapid.Check(t, func(rt *rapid.T) {
		var ctrs []*cpuCtr
		var m *usersim.Machine
		progs := map[uint64]usersim.Program{}
		for i := range 5 {
			progs[cpuSpinPC+uint64(i)*0x1000] = func(e *user.Env) {
				for {
					e.Compute(cpuChunk)
					if i < len(ctrs) {
						ctrs[i].ends = append(ctrs[i].ends, m.Now())
					}
				}
			}
		}
		// Long slices let a thread run on past a period's end or past another's
		// renewed budget if the kernel did not stop it there.
		slice := rapid.SampledFrom([]hal.Time{1_000_000, 5_000_000, 20_000_000, 100_000_000}).Draw(rt, "time slice")
		m, err := usersim.Boot(usersim.Config{Init: func(e *user.Env) {}, Kernel: kernel.Config{Quiet: true, TimeSlice: slice}, Programs: progs})
		if err != nil {
			rt.Fatal(err)
		}
		m.Run(m.Now() + 1_000_000)
		out, err := m.CreateTask(m.RootUntyped(), kernel.TaskSpec{Name: "outside", Entry: cpuSpinPC + 4*0x1000, StackPages: 2, Memory: 256 << 10, Priority: 1})
		if err != nil {
			rt.Fatal(err)
		}
		m.StartTask(out)
		samePeriod := rapid.Bool().Draw(rt, "same period")
		periods := []hal.Time{10_000_000, 20_000_000, 30_000_000, 50_000_000}
		common := rapid.SampledFrom(periods).Draw(rt, "period")
		left := uint64(1_000_000) // ppm of the CPU not yet given
		for i := range rapid.IntRange(2, 4).Draw(rt, "containers") {
			p := common
			if !samePeriod {
				p = rapid.SampledFrom(periods).Draw(rt, "period")
			}
			share := rapid.Uint64Range(50_000, 600_000).Draw(rt, "ppm")
			if share > left {
				break
			}
			left -= share
			b := hal.Time(uint64(p) * share / 1_000_000)
			m.Run(m.Now() + hal.Time(rapid.Uint64Range(0, 20).Draw(rt, "delay"))*1_000_000)
			k, err := m.CreateContainer(m.RootContainer(), fmt.Sprintf("cpu%d", i), abi.ContainerLimits{
				Memory: 1 << 20, MaxTasks: 4, Priority: 200, CPUBudget: uint64(b), CPUPeriod: uint64(p)})
			if err != nil {
				rt.Fatalf("container with %d/%d ns: %v", b, p, err)
			}
			c := &cpuCtr{k: k, budget: b, period: p, start: m.Now(), prio: uint8(rapid.IntRange(10, 200).Draw(rt, "prio")),
				threads: rapid.IntRange(1, 3).Draw(rt, "threads")}
			ctrs = append(ctrs, c)
			for range c.threads {
				task, err := m.CreateTask(k.Budget(), kernel.TaskSpec{Name: "spin", Entry: cpuSpinPC + uint64(i)*0x1000,
					StackPages: 2, Container: k, Priority: c.prio})
				if err != nil {
					rt.Fatal(err)
				}
				m.StartTask(task)
			}
		}
		t0 := m.Now()
		at0 := map[*cpuCtr]uint64{}
		for _, c := range ctrs {
			at0[c] = c.k.Info().CPUNanos
			c.ends = nil
		}
		top, longest, equal := uint8(1), hal.Time(0), true
		for _, c := range ctrs {
			top, longest = max(top, c.prio), max(longest, c.period)
			equal = equal && c.period == ctrs[0].period
		}
		end := t0 + 20*longest
		outBefore := out.Thread().CPUTime()
		m.Run(end)
		ctrUse := hal.Time(0)
		for _, c := range ctrs {
			// The measurement's tolerance: a chunk per thread at each end of a period,
			// and the kernel's own time for the threads' traps, which counts as theirs
			// (about 0.2%).
			tol := hal.Time(2*c.threads*cpuChunk) + c.budget/100
			// The chunks ending in each of its periods that lie within [t0, end].
			used := map[hal.Time]hal.Time{}
			for _, e := range c.ends {
				used[(e-1-c.start)/c.period] += cpuChunk
			}
			for n := (t0-c.start)/c.period + 1; c.start+(n+1)*c.period <= end; n++ {
				u := used[n]
				cpuStats.periods++
				if u > c.budget+tol {
					rt.Fatalf("container %s (%d ns per %d ns, priority %d) used %d ns in its period [%d, %d)",
						c.k.Name(), c.budget, c.period, c.prio, u, c.start+n*c.period, c.start+(n+1)*c.period)
				}
				if u+tol < c.budget {
					cpuStats.short++
					if c.prio == top && equal {
						rt.Fatalf("container %s (%d ns per %d ns, the highest priority %d) got only %d ns in its period [%d, %d)",
							c.k.Name(), c.budget, c.period, c.prio, u, c.start+n*c.period, c.start+(n+1)*c.period)
					}
				}
			}
			// The kernel's accounting agrees with what the spinners did.
			kern := hal.Time(c.k.Info().CPUNanos - at0[c])
			seen := hal.Time(len(c.ends)) * cpuChunk
			if kern > seen+tol+kern/100 || seen > kern+tol {
				rt.Fatalf("container %s: the kernel counted %d ns, its spinners computed %d ns", c.k.Name(), kern, seen)
			}
			ctrUse += kern
		}
		if got, want := out.Thread().CPUTime()-outBefore, end-t0-ctrUse; got < want*99/100 {
			rt.Fatalf("the task outside got %d ns of the %d ns the containers left", got, want)
		}
		cpuStats.runs++
		if err := m.CheckInvariants(); err != nil {
			rt.Fatal(err)
		}
	})
}
