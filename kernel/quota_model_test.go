package kernel_test

import (
	"errors"
	"fmt"
	"slices"
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
var cpuStats struct{ runs, periods, short, kernelPeriods int }

// stopSlack is how far past a deadline Run may stop: it returns after serving the
// trap that reached it, and the kernel's time for that counts.
const stopSlack = 1_000

// TestContainerCPUBudgetModel: two to four sibling containers with random CPU budgets
// and periods (their shares within the machine), created at random moments (so their
// periods are not aligned), each running one to three spinning tasks at random
// priorities, beside an unlimited spinning task outside at the lowest priority, with
// a random time slice (1 to 100 ms) for every thread. The
// machine runs for 20 of the longest periods without a stop (a stop at a period
// boundary would preempt the threads there and hide a budget that runs over). Each
// spinner computes in chunks of 50 µs and notes the machine time after each: that
// places its CPU time in time to within a chunk. (In half the runs the machine also
// stops at every period end to read the kernel's own accounting, ContainerInfo.
// CPUNanos, for the same two checks.) Then, in every period of every container:
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
	cpuStats.runs, cpuStats.periods, cpuStats.short, cpuStats.kernelPeriods = 0, 0, 0, 0
	defer func() {
		t.Logf("%d runs, %d periods measured by the spinners (%d of them short of the budget), %d read from the kernel's accounting at their end",
			cpuStats.runs, cpuStats.periods, cpuStats.short, cpuStats.kernelPeriods)
		if cpuStats.short == 0 && !t.Failed() {
			t.Errorf("no container was ever short of its budget: the runs never had contention")
		}
	}()
	// Contention comes from random unaligned periods and priorities; a sample of 100
	// runs has none in rare seeds (about one in ten), so a quiet sample is drawn again
	// (up to three times) before the run counts as never having had contention.
	for attempt := 0; attempt < 3 && (attempt == 0 || cpuStats.short == 0) && !t.Failed(); attempt++ {
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
			if rapid.Bool().Draw(rt, "stop at period ends") {
				// The kernel's own per-period accounting: stop at every period end of
				// every container and read ContainerInfo.CPUNanos. (The stops preempt the
				// threads there, which the kernel now does itself; the run without stops
				// is the one that found the overrun.)
				last := map[*cpuCtr]uint64{}
				for _, c := range ctrs {
					last[c] = at0[c]
				}
				// Step from period end to period end as planned, not from where the
				// machine stopped: a stop a few ns late could otherwise step over another
				// container's period end just after it, and read two of its periods as one.
				for cursor := m.Now(); cursor < end; {
					next := end
					for _, c := range ctrs {
						next = min(next, c.start+((cursor-c.start)/c.period+1)*c.period)
					}
					cursor = next
					m.Run(next)
					if m.Now() < next || m.Now() > next+stopSlack {
						rt.Fatalf("the machine stopped at %d, not %d", m.Now(), next)
					}
					for _, c := range ctrs {
						if (next-c.start)%c.period != 0 {
							continue
						}
						cpu := c.k.Info().CPUNanos
						used := hal.Time(cpu - last[c])
						last[c] = cpu
						cpuStats.kernelPeriods++
						if used > c.budget+stopSlack {
							rt.Fatalf("container %s (%d ns per %d ns, priority %d): the kernel counted %d ns in its period ending at %d",
								c.k.Name(), c.budget, c.period, c.prio, used, next)
						}
						if next-c.period >= t0 && c.prio == top && equal && used+stopSlack < c.budget {
							rt.Fatalf("container %s (%d ns per %d ns, the highest priority %d): the kernel counted only %d ns in its period ending at %d",
								c.k.Name(), c.budget, c.period, c.prio, used, next)
						}
					}
				}
			} else {
				m.Run(end)
			}
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
}

// Seed verification target 3: memory and task limits.

// agentFrameSlots are the slots of an agent's capability space (radix 8) that hold
// frames it allocates.
const (
	agentFirstFrame = abi.CPtr(32)
	agentFrameSlots = 200
	// agentCost is what a started agent's task costs its container at least: its
	// capability space (radix 8), thread, address space, IPC buffer, two stack pages
	// and stop notification.
	agentCost = abi.SizeCSpaceSlot<<8 + abi.SizeTCB + abi.SizeAddressSpace + 3*abi.SizeFrame + abi.SizeNotification
)

// TestContainerQuotaModel: agents inside nested containers with random memory and
// task limits start agents (in their own container and in containers they made),
// make nested containers, allocate frames (Retype, from inside, through the ABI) and
// free them, while the driver changes limits (up and down) and kills agents. After
// every step, for every container:
//
//   - the frames its agents hold (each agent's IPC buffer, two stack pages and the
//     frames it was given, counted by the agents themselves) are at most what the
//     kernel charged the container, which is at most its memory limit;
//   - its live tasks, counted by the test, are what the kernel reports and at most
//     its task limit;
//
// an allocation is refused only when the agent's container or an enclosing one (or
// the agent's own budget) has less than a frame left, a start with ErrLimit only when
// one of them is at its task limit, and a refused limit change changes nothing.
func TestContainerQuotaModel(t *testing.T) {
	steps := map[string]int{}
	defer func() {
		t.Logf("%v", steps)
		for _, what := range []string{"alloc refused", "start over the task limit", "limits lowered"} {
			if steps[what] == 0 && !t.Failed() {
				t.Errorf("no run had a %q step: the model tests too little", what)
			}
		}
	}()
	rapid.Check(t, func(rt *rapid.T) {
		w := bootAgents(rt)
		m := w.m
		// chain returns c and the containers enclosing it.
		chain := func(c *kernel.Container) []*kernel.Container {
			var cs []*kernel.Container
			for x := c; x != nil && x.Parent() != nil; x = x.Parent() {
				cs = append(cs, x)
			}
			return cs
		}
		check := func(step string) {
			if err := m.CheckInvariants(); err != nil {
				rt.Fatalf("after %s: %v", step, err)
			}
			for _, c := range m.Containers()[1:] {
				info := c.Info()
				var frames, tasks uint64
				for _, a := range w.liveAgents() {
					if inside(c, a.k) {
						tasks++
						frames += 3 + uint64(len(a.frames))
					}
				}
				switch {
				case info.MemUsed > info.Limits.Memory:
					rt.Fatalf("after %s: container %s charged %d bytes, limit %d", step, c.Name(), info.MemUsed, info.Limits.Memory)
				case frames*abi.PageSize > info.MemUsed:
					rt.Fatalf("after %s: container %s's tasks hold %d frames (%d bytes), but it is charged %d", step, c.Name(), frames, frames*abi.PageSize, info.MemUsed)
				case tasks != info.Tasks || tasks > info.Limits.MaxTasks:
					rt.Fatalf("after %s: container %s has %d live tasks, the kernel says %d, limit %d", step, c.Name(), tasks, info.Tasks, info.Limits.MaxTasks)
				}
			}
		}
		pickAgent := func(rt *rapid.T) *agent {
			live := w.liveAgents()
			if len(live) == 0 {
				rt.Skip("no live agent")
			}
			return live[rapid.IntRange(0, len(live)-1).Draw(rt, "agent")]
		}
		// justified fails the step unless some container of chain (or the agent's own
		// budget, b) has less than need bytes left.
		fullSomewhere := func(cs []*kernel.Container, b *kernel.Untyped, need uint64) bool {
			if b != nil && b.Capacity()-b.Used() < need {
				return true
			}
			for _, c := range cs {
				if i := c.Info(); i.Limits.Memory-i.MemUsed < need {
					return true
				}
			}
			return false
		}
		atTaskLimit := func(cs []*kernel.Container) bool {
			for _, c := range cs {
				if i := c.Info(); i.Tasks >= i.Limits.MaxTasks {
					return true
				}
			}
			return false
		}
		// start checks a start's outcome: refused only for a reason, and counted.
		start := func(what string, b *agent, parent *agent, c *ctrModel, err error) {
			if err != nil {
				b.ctr = nil
				switch {
				case errors.Is(err, abi.ErrLimit):
					steps["start over the task limit"]++
					if !atTaskLimit(chain(c.k)) {
						rt.Fatalf("%s refused (%v) with no container at its task limit", what, err)
					}
				case errors.Is(err, abi.ErrNoMemory):
					if !fullSomewhere(chain(c.k), nil, agentCost) {
						rt.Fatalf("%s refused (%v) with room for it", what, err)
					}
				default:
					rt.Fatalf("%s refused: %v", what, err)
				}
				return
			}
			w.register(b, parent, c.ns)
			w.started(b)
		}
		n := 0
		actions := map[string]func(*rapid.T){
			"": func(rt *rapid.T) { check("a step") },
			"top": func(rt *rapid.T) {
				if cs := m.RootContainer().Children(); len(cs) >= 3 {
					// Room for another only in place of one where nothing runs.
					i := slices.IndexFunc(cs, func(c *kernel.Container) bool { return c.Info().Tasks == 0 })
					if i < 0 {
						rt.Skip("enough top-level containers")
					}
					if err := m.DestroyContainer(cs[i]); err != nil {
						rt.Fatal(err)
					}
				}
				n++
				w.topAgent(fmt.Sprintf("top%d", n), abi.ContainerLimits{
					Memory:   rapid.SampledFrom([]uint64{256 << 10, 512 << 10, 1 << 20, 2 << 20}).Draw(rt, "mem"),
					MaxTasks: rapid.Uint64Range(1, 6).Draw(rt, "tasks"), Priority: 150,
					Flags: rapid.SampledFrom([]uint64{0, abi.ContainerMemOnDemand}).Draw(rt, "flags")})
				check("top")
			},
			"spawn": func(rt *rapid.T) {
				a := pickAgent(rt)
				b := w.newAgent(a.ctr)
				if b == nil {
					rt.Skip("no agent left")
				}
				var err error
				w.call(a, func(e *user.Env) { _, err = e.StartProgram(abi.ContainerSlotSystem, []string{b.name}, 0, 0, 0) })
				start(a.name+" starts "+b.name, b, a, a.ctr, err)
				check("spawn")
			},
			"nest": func(rt *rapid.T) {
				a := pickAgent(rt)
				i := rapid.IntRange(0, agentCtrSlots-1).Draw(rt, "slot")
				if a.nested[i] != nil && a.nested[i].k.State() != abi.ContainerDestroyed {
					rt.Skip("slot taken")
				}
				l := abi.ContainerLimits{Memory: rapid.SampledFrom([]uint64{128 << 10, 256 << 10, 512 << 10}).Draw(rt, "mem"),
					MaxTasks: rapid.Uint64Range(1, 4).Draw(rt, "tasks"), Priority: 150,
					Flags: rapid.SampledFrom([]uint64{0, abi.ContainerMemOnDemand}).Draw(rt, "flags")}
				n++
				name := fmt.Sprintf("n%d", n)
				var id uint64
				var err error
				slot := agentCtrSlot + abi.CPtr(i)
				w.call(a, func(e *user.Env) {
					e.Delete(abi.InitSlotCSpace, slot)
					id, err = e.CreateContainer(abi.ContainerSlotSystem, name, l, slot)
				})
				if err == nil {
					c := &ctrModel{parent: a.ctr, ns: w.newNS(a.ctr.ns)}
					for _, k := range m.Containers() {
						if k.ContainerID() == id {
							c.k = k
						}
					}
					a.nested[i] = c
				}
				check("nest")
			},
			"startin": func(rt *rapid.T) {
				a := pickAgent(rt)
				var cs []int
				for i, c := range a.nested {
					if c != nil && c.k.State() != abi.ContainerDestroyed {
						cs = append(cs, i)
					}
				}
				if len(cs) == 0 {
					rt.Skip("no nested container")
				}
				i := rapid.SampledFrom(cs).Draw(rt, "nested")
				c := a.nested[i]
				b := w.newAgent(c)
				if b == nil {
					rt.Skip("no agent left")
				}
				var err error
				w.call(a, func(e *user.Env) {
					_, err = e.StartInContainer(agentCtrSlot+abi.CPtr(i), []string{b.name}, 0, 0, abi.RightRead|abi.RightWrite, 0)
				})
				start(a.name+" starts "+b.name+" in "+c.k.Name(), b, a, c, err)
				check("startin")
			},
			"alloc": func(rt *rapid.T) {
				a := pickAgent(rt)
				want := rapid.IntRange(1, 64).Draw(rt, "frames")
				var err error
				w.call(a, func(e *user.Env) {
					for range want {
						if len(a.frames) == agentFrameSlots {
							return
						}
						slot := agentFirstFrame
						for slices.Contains(a.frames, slot) {
							slot++
						}
						if err = e.Retype(abi.InitSlotUntyped, abi.ObjFrame, 0, abi.InitSlotCSpace, slot, 1); err != nil {
							return
						}
						a.frames = append(a.frames, slot)
					}
				})
				if err != nil {
					steps["alloc refused"]++
					if !errors.Is(err, abi.ErrNoMemory) || !fullSomewhere(chain(a.ctr.k), a.k.Budget(), abi.PageSize) {
						rt.Fatalf("%s's allocation refused (%v) with room for a frame", a.name, err)
					}
				}
				check("alloc")
			},
			"free": func(rt *rapid.T) {
				a := pickAgent(rt)
				k := rapid.IntRange(1, 64).Draw(rt, "frames")
				w.call(a, func(e *user.Env) {
					for len(a.frames) > 0 && k > 0 {
						if err := e.Delete(abi.InitSlotCSpace, a.frames[len(a.frames)-1]); err != nil {
							return
						}
						a.frames = a.frames[:len(a.frames)-1]
						k--
					}
				})
				check("free")
			},
			"limits": func(rt *rapid.T) {
				cs := m.Containers()[1:]
				if len(cs) == 0 {
					rt.Skip("no container")
				}
				c := cs[rapid.IntRange(0, len(cs)-1).Draw(rt, "container")]
				l := c.Limits()
				l.Memory = rapid.SampledFrom([]uint64{64 << 10, l.Memory / 2, l.Memory - 64<<10, l.Memory + 64<<10, l.Memory * 2}).Draw(rt, "mem")
				l.MaxTasks = rapid.SampledFrom([]uint64{1, l.MaxTasks - 1, l.MaxTasks + 1}).Draw(rt, "tasks")
				before := c.Info()
				if err := m.SetContainerLimits(c, l); err != nil {
					if c.Info() != before {
						rt.Fatalf("refused limits (%v) changed the container", err)
					}
				} else if l.Memory < before.Limits.Memory || l.MaxTasks < before.Limits.MaxTasks {
					steps["limits lowered"]++
				}
				check("limits")
			},
			"kill": func(rt *rapid.T) {
				a := pickAgent(rt)
				m.ExitTask(a.k, kernel.TaskKilled, 0)
				check("kill")
			},
		}
		actions["alloc again"] = actions["alloc"]
		for range 3 {
			rt.Repeat(actions)
		}
	})
}
