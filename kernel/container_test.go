package kernel_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Programs the container tests run inside containers.
const (
	ctrWaitPC     = 0x81_0000 // waits for its stop notification, then exits
	ctrStubbornPC = 0x82_0000 // ignores its stop notification: waits forever
	ctrSpinAPC    = 0x83_0000 // spins, counting into spins[0]
	ctrSpinBPC    = 0x83_1000 // spins, counting into spins[1]
	ctrSpinCPC    = 0x83_2000 // spins, counting into spins[2]
	ctrHogPC      = 0x84_0000 // retypes frames until refused, then waits to be stopped
	ctrExitPC     = 0x85_0000 // returns at once
	ctrForkPC     = 0x88_0000 // makes two more spinning threads (spin-a) by Retype, then spins
)

// ctrPrograms returns the container test programs; spins counts the spinners' steps,
// hogged the frames each hog got (by the order hogs ran).
func ctrPrograms(t *testing.T, spins *[3]int, hogged *[]int) map[uint64]usersim.Program {
	spin := func(i int) usersim.Program {
		return func(e *user.Env) {
			for {
				e.Compute(100_000)
				spins[i]++
			}
		}
	}
	return map[uint64]usersim.Program{
		ctrWaitPC: func(e *user.Env) { e.Wait(abi.ContainerSlotStop) },
		ctrStubbornPC: func(e *user.Env) {
			for {
				e.Wait(abi.ContainerSlotStop)
			}
		},
		ctrSpinAPC: spin(0),
		ctrSpinBPC: spin(1),
		ctrSpinCPC: spin(2),
		ctrHogPC: func(e *user.Env) {
			n := 0
			for slot := abi.InitFirstFree; slot < 1<<10; slot++ {
				err := e.Retype(abi.InitSlotUntyped, abi.ObjFrame, 0, abi.InitSlotCSpace, slot, 1)
				if err != nil {
					expectErrno(t, "hog's retype at the limit", err, abi.ErrNoMemory)
					break
				}
				n++
			}
			*hogged = append(*hogged, n)
			e.Wait(abi.ContainerSlotStop)
		},
		ctrExitPC: func(e *user.Env) {},
		ctrForkPC: func(e *user.Env) {
			slots := &user.Slots{Next: abi.InitFirstFree, Limit: 1 << taskRadixCtr}
			for range 2 {
				va := uint64(0x1000_0000) + uint64(slots.Next)*abi.PageSize
				if _, err := e.Spawn(slots, user.Thread{Untyped: abi.InitSlotUntyped, CSpace: abi.InitSlotCSpace,
					Self: abi.InitSlotTCB, ThreadCS: abi.InitSlotCSpace, AS: abi.InitSlotAddressSpace,
					PC: ctrSpinAPC, IPCVA: va, Priority: 200}); err != nil {
					t.Errorf("fork: %v", err)
				}
			}
			for {
				e.Compute(100_000)
				spins[0]++
			}
		},
	}
}

var ctrLoader = usersim.Loader{Entries: map[string]uint64{
	"wait": ctrWaitPC, "stubborn": ctrStubbornPC, "spin-a": ctrSpinAPC, "spin-b": ctrSpinBPC,
	"spin-c": ctrSpinCPC, "hog": ctrHogPC, "exit": ctrExitPC, "prober": ctrProberPC, "victim": ctrWaitPC,
}}

// bootCtr boots a machine for container tests whose init runs prog (nil: returns at
// once, leaving the test to drive the kernel's Go API).
func bootCtr(t *testing.T, prog func(e *user.Env), spins *[3]int, hogged *[]int) *world {
	if prog == nil {
		prog = func(e *user.Env) {}
	}
	progs := ctrPrograms(t, spins, hogged)
	progs[ctrProberPC] = prober(t)
	w := boot(t, prog, progs)
	w.SetLoader(ctrLoader)
	return w
}

// lim returns ordinary limits: mem bytes, tasks tasks, priority ceiling 150, no CPU limit.
func lim(mem uint64, tasks uint64) abi.ContainerLimits {
	return abi.ContainerLimits{Memory: mem, MaxTasks: tasks, Priority: 150}
}

// startIn makes and starts a task running pc inside c with a CSpace of 2^radix slots.
func startIn(t *testing.T, w *world, c *kernel.Container, name string, pc uint64, radix int, prio uint8) *kernel.Task {
	t.Helper()
	task, err := w.CreateTask(c.Budget(), kernel.TaskSpec{Name: name, Entry: pc, StackPages: 2, Container: c,
		CSpaceRadix: radix, Priority: prio, SystemRights: abi.RightRead | abi.RightWrite})
	if err != nil {
		t.Fatalf("start %s in %s: %v", name, c.Name(), err)
	}
	w.StartTask(task)
	return task
}

// wantErrno fails unless err carries want.
func wantErrno(t *testing.T, what string, err error, want abi.Errno) {
	t.Helper()
	if got := kernel.ErrnoOf(err, ^abi.Errno(0)); got != want || err == nil {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

// TestContainerCreateWithinParent: a container's limits must be within its parent's;
// every refused creation names the problem, makes nothing and changes nothing.
func TestContainerCreateWithinParent(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	root := w.RootContainer()
	used := w.RootUntyped().Used()
	outer, err := w.CreateContainer(root, "outer", abi.ContainerLimits{Memory: 4 << 20, MaxTasks: 8, Priority: 120,
		CPUBudget: 50_000_000, CPUPeriod: 100_000_000})
	must(t, err)
	if got := w.RootUntyped().Used() - used; got != 4<<20+abi.SizeContainer {
		t.Errorf("root budget charged %d for a 4 MiB container", got)
	}
	ok := abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 4, Priority: 100, CPUBudget: 10_000_000, CPUPeriod: 100_000_000}
	bad := []struct {
		name string
		l    func(l *abi.ContainerLimits)
		n    string
		want abi.Errno
	}{
		{"memory", func(l *abi.ContainerLimits) { l.Memory = 5 << 20 }, "a", abi.ErrNoMemory},
		{"tiny memory", func(l *abi.ContainerLimits) { l.Memory = 4096 }, "a", abi.ErrRange},
		{"tasks", func(l *abi.ContainerLimits) { l.MaxTasks = 9 }, "a", abi.ErrRange},
		{"no tasks", func(l *abi.ContainerLimits) { l.MaxTasks = 0 }, "a", abi.ErrRange},
		{"priority", func(l *abi.ContainerLimits) { l.Priority = 121 }, "a", abi.ErrRange},
		{"cpu share", func(l *abi.ContainerLimits) { l.CPUBudget = 60_000_000 }, "a", abi.ErrRange},
		{"cpu unlimited", func(l *abi.ContainerLimits) { l.CPUBudget, l.CPUPeriod = 0, 0 }, "a", abi.ErrRange},
		{"cpu budget > period", func(l *abi.ContainerLimits) { l.CPUBudget = 200_000_000 }, "a", abi.ErrRange},
		{"oom policy", func(l *abi.ContainerLimits) { l.OOM = 7 }, "a", abi.ErrInvalidArg},
		{"flags", func(l *abi.ContainerLimits) { l.Flags = 1 << 9 }, "a", abi.ErrInvalidArg},
		{"name", func(l *abi.ContainerLimits) {}, "Bad_Name", abi.ErrInvalidArg},
		{"long name", func(l *abi.ContainerLimits) {}, "a-name-longer-than-16", abi.ErrInvalidArg},
	}
	before := len(w.Containers())
	for _, b := range bad {
		l := ok
		b.l(&l)
		used := w.RootUntyped().Used()
		c, err := w.CreateContainer(outer, b.n, l)
		wantErrno(t, b.name, err, b.want)
		if c != nil || len(w.Containers()) != before || w.RootUntyped().Used() != used || outer.Budget().Used() != 0 {
			t.Errorf("%s: a refused creation changed something", b.name)
		}
		w.check()
	}
	// Siblings' CPU shares together stay within the parent's.
	a, err := w.CreateContainer(outer, "a", ok)
	must(t, err)
	l := ok
	l.CPUBudget = 45_000_000
	_, err = w.CreateContainer(outer, "b", l)
	wantErrno(t, "sibling shares above the parent's", err, abi.ErrRange)
	l.CPUBudget = 40_000_000
	b, err := w.CreateContainer(outer, "b", l)
	must(t, err)
	if outer.Info().MemUsed != 2<<20+2*abi.SizeContainer || a.Info().Parent != outer.ContainerID() || b.State() != abi.ContainerCreated {
		t.Errorf("outer %+v, a %+v", outer.Info(), a.Info())
	}
	w.check()
	must(t, w.DestroyContainer(outer))
	if a.State() != abi.ContainerDestroyed || len(w.Containers()) != 1 || w.RootUntyped().Used() != used {
		t.Errorf("after destroying outer: a %v, %d containers, root used %d (was %d)", a.State(), len(w.Containers()), w.RootUntyped().Used(), used)
	}
	wantErrno(t, "destroy twice", w.DestroyContainer(outer), abi.ErrIllegal)
	wantErrno(t, "destroy the root", w.DestroyContainer(root), abi.ErrIllegal)
	w.check()
}

// TestContainerMemoryQuota: a container's tasks share its budget: one hog takes it
// all and allocations fail there (counted as limit hits); the charge never exceeds
// the limit; when the hog goes, its memory serves the next task at once.
func TestContainerMemoryQuota(t *testing.T) {
	var hogged []int
	w := bootCtr(t, nil, nil, &hogged)
	w.run()
	c, err := w.CreateContainer(w.RootContainer(), "quota", lim(1<<20, 4))
	must(t, err)
	hog := startIn(t, w, c, "hog", ctrHogPC, 10, 0)
	w.run()
	info := c.Info()
	if info.MemUsed > 1<<20 || 1<<20-info.MemUsed >= abi.PageSize || info.MemLimitHits != 1 {
		t.Errorf("after the hog: %+v", info)
	}
	// A second task cannot even start: the container has no room for it.
	_, err = w.CreateTask(c.Budget(), kernel.TaskSpec{Name: "exit", Entry: ctrExitPC, StackPages: 2, Container: c})
	wantErrno(t, "a task in a full container", err, abi.ErrNoMemory)
	if c.Info().MemLimitHits != 2 {
		t.Errorf("limit hits %d, want 2", c.Info().MemLimitHits)
	}
	w.check()
	w.ExitTask(hog, kernel.TaskKilled, 0)
	second := startIn(t, w, c, "hog", ctrHogPC, 10, 0)
	w.run()
	if len(hogged) != 2 || hogged[0] != hogged[1] || hogged[0] < 200 {
		t.Errorf("frames the hogs got: %v", hogged)
	}
	if second.State() != kernel.TaskLive || c.Info().MemUsed > 1<<20 {
		t.Errorf("second hog %v, container %+v", second.State(), c.Info())
	}
	// A task's own memory cap binds it below the container's limit.
	w.ExitTask(second, kernel.TaskKilled, 0)
	capped, err := w.CreateTask(c.Budget(), kernel.TaskSpec{Name: "hog", Entry: ctrHogPC, StackPages: 2, Container: c, CSpaceRadix: 10, Memory: 256 << 10})
	must(t, err)
	w.StartTask(capped)
	w.run()
	if len(hogged) != 3 || hogged[2] >= hogged[0]/2 {
		t.Errorf("a hog capped at 256 KiB got %v frames", hogged)
	}
	w.check()
}

// TestContainerTaskLimit: creating tasks past a container's task limit — its own or
// an enclosing container's — fails with ErrLimit, counted, and makes nothing.
func TestContainerTaskLimit(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	outer, err := w.CreateContainer(w.RootContainer(), "outer", lim(4<<20, 3))
	must(t, err)
	inner, err := w.CreateContainer(outer, "inner", lim(1<<20, 3))
	must(t, err)
	startIn(t, w, outer, "wait", ctrWaitPC, 0, 0)
	startIn(t, w, inner, "wait", ctrWaitPC, 0, 0)
	startIn(t, w, inner, "wait", ctrWaitPC, 0, 0)
	used, live := outer.Budget().Used(), len(w.Tasks())
	_, err = w.CreateTask(inner.Budget(), kernel.TaskSpec{Name: "wait", Entry: ctrWaitPC, StackPages: 2, Container: inner})
	wantErrno(t, "past the outer limit", err, abi.ErrLimit)
	_, err = w.CreateTask(outer.Budget(), kernel.TaskSpec{Name: "wait", Entry: ctrWaitPC, StackPages: 2, Container: outer})
	wantErrno(t, "past the outer limit from outer", err, abi.ErrLimit)
	if outer.Info().TaskLimitHits != 2 || inner.Info().TaskLimitHits != 0 || outer.Info().Tasks != 3 {
		t.Errorf("outer %+v inner %+v", outer.Info(), inner.Info())
	}
	if outer.Budget().Used() != used || len(w.Tasks()) != live {
		t.Errorf("a refused task changed memory (%d → %d) or tasks (%d → %d)", used, outer.Budget().Used(), live, len(w.Tasks()))
	}
	_, err = w.CreateTask(w.RootUntyped(), kernel.TaskSpec{Name: "wait", Entry: ctrWaitPC, StackPages: 2, Container: inner})
	wantErrno(t, "a task in a container charged elsewhere", err, abi.ErrInvalidArg)
	_, err = w.CreateTask(inner.Budget(), kernel.TaskSpec{Name: "wait", Entry: ctrWaitPC, StackPages: 2, Container: inner, Priority: 151})
	wantErrno(t, "a task above the priority ceiling", err, abi.ErrRange)
	w.run()
	w.check()
}

// TestContainerOOMPolicy: a demand allocation (what a page fault makes) at a
// container's limit applies its policy: kill-largest-task ends the biggest task and
// the allocation succeeds; kill-container ends every task. Both are counted.
func TestContainerOOMPolicy(t *testing.T) {
	for _, policy := range []abi.OOMPolicy{abi.OOMKillLargestTask, abi.OOMKillContainer} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			w := bootCtr(t, nil, nil, nil)
			w.run()
			l := lim(1<<20, 4)
			l.OOM = policy
			c, err := w.CreateContainer(w.RootContainer(), "oom", l)
			must(t, err)
			small := startIn(t, w, c, "wait", ctrWaitPC, 0, 0)
			big := startIn(t, w, c, "wait", ctrWaitPC, 0, 0)
			w.run()
			va, sva := uint64(0x6000_0000), uint64(0x7000_0000)
			for big.Budget().Used()+4*abi.PageSize < 1<<20-small.Budget().Used() {
				if e := w.MapAnon(big.Thread(), big.Budget(), va, hal.PermRead|hal.PermWrite); e != abi.OK {
					t.Fatalf("MapAnon below the limit: %v", e)
				}
				va += abi.PageSize
			}
			for c.Budget().Used()+abi.PageSize <= 1<<20 { // the small one takes the rest
				if e := w.MapAnon(small.Thread(), small.Budget(), sva, hal.PermRead); e != abi.OK {
					t.Fatalf("MapAnon to the limit: %v", e)
				}
				sva += abi.PageSize
			}
			w.check()
			e := w.MapAnon(small.Thread(), small.Budget(), sva, hal.PermRead)
			info := c.Info()
			switch policy {
			case abi.OOMKillLargestTask:
				if e != abi.OK || big.State() != kernel.TaskKilled || small.State() != kernel.TaskLive || info.OOMKills != 1 || info.State != abi.ContainerRunning {
					t.Errorf("MapAnon %v; big %v, small %v; %+v", e, big.State(), small.State(), info)
				}
			case abi.OOMKillContainer:
				if e != abi.ErrNoMemory || big.State() != kernel.TaskKilled || small.State() != kernel.TaskKilled || info.OOMKills != 2 || info.State != abi.ContainerStopped {
					t.Errorf("MapAnon %v; big %v, small %v; %+v", e, big.State(), small.State(), info)
				}
			}
			if info.MemLimitHits != 1 {
				t.Errorf("limit hits %d", info.MemLimitHits)
			}
			w.run()
		})
	}
}

// TestContainerCPUIsolation: a container of CPU hogs at a higher priority cannot take
// its neighbour's guaranteed share: with budgets of 50% and 30%, the neighbour's
// spinning task gets at least 95% of its 30%, the hogs at most their 50%, and an
// unlimited task outside at the lowest priority the rest — also when a hog makes
// more threads by Retype. Without the hogs'
// container limit the neighbour would starve (checked too, so the test can fail).
func TestContainerCPUIsolation(t *testing.T) {
	const (
		total  = 1_000_000_000
		period = 100_000_000
	)
	for _, limited := range []bool{true, false} {
		var spins [3]int
		w := bootCtr(t, nil, &spins, nil)
		w.run()
		hl := abi.ContainerLimits{Memory: 2 << 20, MaxTasks: 4, Priority: 200}
		if limited {
			hl.CPUBudget, hl.CPUPeriod = 50_000_000, period
		}
		hogs, err := w.CreateContainer(w.RootContainer(), "hogs", hl)
		must(t, err)
		nb, err := w.CreateContainer(w.RootContainer(), "neighbour", abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 4,
			Priority: 100, CPUBudget: 30_000_000, CPUPeriod: period})
		must(t, err)
		startIn(t, w, hogs, "spin-a", ctrSpinAPC, 0, 200)
		startIn(t, w, hogs, "fork", ctrForkPC, 0, 200) // its threads made by Retype stay in the container
		startIn(t, w, nb, "spin-b", ctrSpinBPC, 0, 100)
		out, err := w.CreateTask(w.RootUntyped(), kernel.TaskSpec{Name: "spin-c", Entry: ctrSpinCPC, StackPages: 2, Memory: 256 << 10, Priority: 10})
		must(t, err)
		w.StartTask(out)
		start := w.Now()
		w.runFor(total)
		w.check()
		got, guaranteed := nb.Info().CPUNanos, uint64(total/period*30_000_000)
		if !limited {
			if got > guaranteed/10 {
				t.Errorf("unlimited hogs at a higher priority left the neighbour %d ns: the test cannot tell", got)
			}
			continue
		}
		t.Logf("neighbour %d ns of %d guaranteed (%.1f%%); hogs %d ns; outside %d steps", got, guaranteed,
			100*float64(got)/float64(guaranteed), hogs.Info().CPUNanos, spins[2])
		if got < guaranteed*95/100 {
			t.Errorf("neighbour got %d ns of CPU in %d ns; guaranteed %d", got, w.Now()-start, guaranteed)
		}
		if h := hogs.Info().CPUNanos; h > total/period*(50_000_000+200_000) {
			t.Errorf("hogs got %d ns, above their budget", h)
		}
		if spins[2] < int(total/100_000)/10 {
			t.Errorf("the task outside got %d steps: the CPU idled", spins[2])
		}
	}
}

// TestContainerStop: a stop signals every task's stop notification; tasks that exit
// are gone at once, tasks that do not are killed when the grace period ends, and the
// container is stopped; it can be started again.
func TestContainerStop(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	c, err := w.CreateContainer(w.RootContainer(), "stop", lim(2<<20, 4))
	must(t, err)
	polite := startIn(t, w, c, "wait", ctrWaitPC, 0, 0)
	stubborn := startIn(t, w, c, "stubborn", ctrStubbornPC, 0, 0)
	w.run()
	wantErrno(t, "stop the root", w.StopContainer(w.RootContainer(), 0), abi.ErrIllegal)
	wantErrno(t, "stop with a too long grace", w.StopContainer(c, 61_000_000_000), abi.ErrRange)
	must(t, w.StopContainer(c, 50_000_000))
	w.runFor(1_000_000)
	if polite.State() != kernel.TaskExited || stubborn.State() != kernel.TaskLive || c.State() != abi.ContainerStopping {
		t.Errorf("1 ms into the grace period: polite %v, stubborn %v, container %v", polite.State(), stubborn.State(), c.State())
	}
	w.check()
	w.run() // goes idle only after the deadline's forced kill
	if stubborn.State() != kernel.TaskKilled || c.State() != abi.ContainerStopped || w.Now() < 50_000_000 {
		t.Errorf("after the grace period (%d ns): stubborn %v, container %v", w.Now(), stubborn.State(), c.State())
	}
	wantErrno(t, "stop a stopped container", w.StopContainer(c, 0), abi.ErrIllegal)
	again := startIn(t, w, c, "wait", ctrWaitPC, 0, 0)
	if c.State() != abi.ContainerRunning {
		t.Errorf("restarted container is %v", c.State())
	}
	must(t, w.StopContainer(c, 0))
	if again.State() != kernel.TaskKilled || c.State() != abi.ContainerStopped {
		t.Errorf("forced stop: task %v, container %v", again.State(), c.State())
	}
	// Stopping a container whose tasks all run in a nested one stops those.
	inner, err := w.CreateContainer(c, "inner", lim(1<<20, 2))
	must(t, err)
	deep := startIn(t, w, inner, "stubborn", ctrStubbornPC, 0, 0)
	w.run()
	must(t, w.StopContainer(c, 1_000_000))
	if inner.State() != abi.ContainerStopping || c.State() != abi.ContainerStopped {
		t.Errorf("stopping the parent: inner %v, parent %v", inner.State(), c.State())
	}
	w.run()
	if deep.State() != kernel.TaskKilled || inner.State() != abi.ContainerStopped {
		t.Errorf("after the grace period: nested task %v, inner %v", deep.State(), inner.State())
	}
	w.check()
}

// TestContainerSetLimits: limits change within the parent's and above what is in
// use; a lower ceiling lowers priorities; a refused change changes nothing.
func TestContainerSetLimits(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	c, err := w.CreateContainer(w.RootContainer(), "limits", lim(2<<20, 4))
	must(t, err)
	task := startIn(t, w, c, "wait", ctrWaitPC, 10, 140) // 64 KiB of capability space
	w.run()
	used := w.RootUntyped().Used()
	l := c.Limits()
	l.Memory = 4 << 20
	l.Priority = 90
	must(t, w.SetContainerLimits(c, l))
	if w.RootUntyped().Used() != used+2<<20 || task.Thread().Priority() != 90 || c.Info().Limits.Memory != 4<<20 {
		t.Errorf("after raising memory and lowering the ceiling: root used +%d, priority %d", w.RootUntyped().Used()-used, task.Thread().Priority())
	}
	for _, b := range []struct {
		what string
		l    func(l *abi.ContainerLimits)
		want abi.Errno
	}{
		{"below use", func(l *abi.ContainerLimits) { l.Memory = 64 << 10 }, abi.ErrRange},
		{"above the machine", func(l *abi.ContainerLimits) { l.Memory = 1 << 40 }, abi.ErrNoMemory},
		{"flags", func(l *abi.ContainerLimits) { l.Flags = abi.ContainerSharedPID }, abi.ErrInvalidArg},
		{"priority", func(l *abi.ContainerLimits) { l.Priority = 256 }, abi.ErrRange},
	} {
		l2 := c.Limits()
		b.l(&l2)
		before := c.Info()
		wantErrno(t, b.what, w.SetContainerLimits(c, l2), b.want)
		if c.Info() != before {
			t.Errorf("%s: a refused change changed the container", b.what)
		}
	}
	w.check()
}

// TestContainerDestroyCycles: 1,000 rounds of create, start, destroy and delete through
// the system-call ABI return every frame and every byte of budget.
func TestContainerDestroyCycles(t *testing.T) {
	w := bootCtr(t, func(e *user.Env) {
		slots := initSlots()
		slot, _ := slots.Take()
		before, err := e.Memory(sys)
		must(t, err)
		for i := range 1000 {
			if _, err := e.CreateContainer(sys, "cycle", lim(512<<10, 4), slot); err != nil {
				t.Errorf("cycle %d: create: %v", i, err)
				return
			}
			if _, err := e.StartInContainer(slot, []string{"wait"}, 0, 0, abi.RightRead, 0); err != nil {
				t.Errorf("cycle %d: start: %v", i, err)
				return
			}
			if i%2 == 0 {
				e.Yield() // let it run and block, half the time
			}
			must(t, e.DestroyContainer(slot))
			must(t, e.Delete(cs, slot))
		}
		after, _ := e.Memory(sys)
		if after.Free != before.Free || after.RootUsed != before.RootUsed {
			t.Errorf("after 1000 cycles: free %d → %d, root used %d → %d", before.Free, after.Free, before.RootUsed, after.RootUsed)
		}
		if after.Tasks > before.Tasks {
			t.Errorf("task records %d → %d", before.Tasks, after.Tasks)
		}
	}, nil, nil)
	w.run()
	if n := len(w.Containers()); n != 1 {
		t.Errorf("%d containers left", n)
	}
}

// TestContainerConfinementCheck: the kernel refuses to give a task a capability to
// an object of an unrelated container, and CheckInvariants catches one planted
// behind the kernel's back.
func TestContainerConfinementCheck(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	a, err := w.CreateContainer(w.RootContainer(), "a", lim(1<<20, 2))
	must(t, err)
	b, err := w.CreateContainer(w.RootContainer(), "b", lim(1<<20, 2))
	must(t, err)
	inB := startIn(t, w, b, "wait", ctrWaitPC, 0, 0)
	leak := inB.CSpace().At(int(abi.InitSlotTCB))
	used := a.Budget().Used()
	_, err = w.CreateTask(a.Budget(), kernel.TaskSpec{Name: "wait", Entry: ctrWaitPC, StackPages: 2, Container: a,
		Caps: []kernel.GrantedCap{{Slot: leak, Rights: abi.RightRead}}})
	wantErrno(t, "grant another container's TCB", err, abi.ErrNoRights)
	if a.Budget().Used() != used || len(a.Tasks()) != 0 {
		t.Errorf("the refused grant made something")
	}
	inA := startIn(t, w, a, "wait", ctrWaitPC, 0, 0)
	if e := w.PlantCap(inA.CSpace().At(40), leak); e != abi.OK {
		t.Fatal(e)
	}
	if err := w.CheckInvariants(); err == nil || !strings.Contains(err.Error(), "TCB object") {
		t.Errorf("a planted TCB capability: CheckInvariants = %v", err)
	}
	must(t, w.DestroyContainer(a))
	w.check()
}

// TestContainerTransferConfined: an endpoint a common ancestor gave to tasks of two
// sibling containers carries messages but not capabilities from one to the other; the
// same message from a task outside delivers its capability.
func TestContainerTransferConfined(t *testing.T) {
	var received []int
	const (
		serverPC = 0x8b_0000 // receives on the endpoint at InitFirstFree, a Reply at slot 20
		senderPC = 0x8b_1000 // calls the endpoint at InitFirstFree sending its own TCB
	)
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50))
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		a, _ := slots.Take()
		b, _ := slots.Take()
		_, err := e.CreateContainer(sys, "a", lim(1<<20, 2), a)
		must(t, err)
		_, err = e.CreateContainer(sys, "b", lim(1<<20, 2), b)
		must(t, err)
		_, err = e.StartInContainer(b, []string{"server"}, 0, 0, 0, 0, ep)
		must(t, err)
		_, err = e.StartInContainer(a, []string{"sender"}, 0, 0, 0, 0, ep)
		must(t, err)
		_, err = e.StartProgram(sys, []string{"sender"}, 256<<10, 0, 0, ep)
		must(t, err)
	}, nil, nil)
	w.Sim.AddProgram(serverPC, usersim.Entry(func(e *user.Env) {
		if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, 20, 1); err != nil {
			t.Errorf("server reply: %v", err)
			return
		}
		e.SetRecvSlot(0, 30)
		_, info, err := e.Recv(abi.InitFirstFree, 20)
		for range 2 {
			if err != nil {
				t.Errorf("server: %v", err)
				return
			}
			received = append(received, info.ExtraCaps())
			e.Delete(abi.InitSlotCSpace, 30)
			_, info, err = e.ReplyRecv(abi.InitFirstFree, 20, abi.NewMsgInfo(0, 0, 0))
		}
	}))
	w.Sim.AddProgram(senderPC, usersim.Entry(func(e *user.Env) {
		e.SetCap(0, abi.InitSlotTCB)
		if _, err := e.Call(abi.InitFirstFree, abi.NewMsgInfo(0, 0, 1)); err != nil {
			t.Errorf("sender: %v", err)
		}
	}))
	w.SetLoader(usersim.Loader{Entries: map[string]uint64{"server": serverPC, "sender": senderPC}})
	w.finish()
	if len(received) != 2 || received[0] != 0 || received[1] != 1 {
		t.Errorf("capabilities received from the sibling, then from outside: %v; want [0 1]", received)
	}
}

// TestContainerNamespaces: a nested container's tasks have ids in its own namespace
// and in every enclosing one; a parent sees its nested containers' tasks, a nested
// container never its parent's; a container sharing its parent's namespace keeps the
// parent's ids.
func TestContainerNamespaces(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	outer, err := w.CreateContainer(w.RootContainer(), "outer", lim(4<<20, 8))
	must(t, err)
	inner, err := w.CreateContainer(outer, "inner", lim(1<<20, 4))
	must(t, err)
	sl := lim(1<<20, 4)
	sl.Flags = abi.ContainerSharedPID
	shared, err := w.CreateContainer(outer, "shared", sl)
	must(t, err)
	o1 := startIn(t, w, outer, "wait", ctrWaitPC, 0, 0)
	i1 := startIn(t, w, inner, "wait", ctrWaitPC, 0, 0)
	s1 := startIn(t, w, shared, "wait", ctrWaitPC, 0, 0)
	w.run()
	if o1.PID() != 1 || i1.PID() != 1 || s1.PID() != 3 || o1.PPID() != 0 {
		t.Errorf("own ids: outer %d, inner %d, shared %d", o1.PID(), i1.PID(), s1.PID())
	}
	ids := func(c *kernel.Container) []uint64 { _, ids := w.VisibleTasks(c); return ids }
	if got := ids(outer); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Errorf("outer sees ids %v", got)
	}
	if got := ids(inner); len(got) != 1 || got[0] != 1 {
		t.Errorf("inner sees ids %v", got)
	}
	if w.LookupTask(outer, 2) != i1 || w.LookupTask(inner, 2) != nil || w.LookupTask(inner, 1) != i1 || w.LookupTask(nil, i1.ID()) != i1 {
		t.Errorf("lookups through namespaces are wrong")
	}
	must(t, w.KillInContainer(outer, 2)) // inner's task, by outer's id for it
	if i1.State() != kernel.TaskKilled || inner.State() != abi.ContainerStopped {
		t.Errorf("killing inner's task from outer: %v, %v", i1.State(), inner.State())
	}
	wantErrno(t, "inner kills outside its namespace", w.KillInContainer(inner, 1), abi.ErrNotFound)
	wantErrno(t, "shared kills its parent's task", w.KillInContainer(shared, 1), abi.ErrNotFound)
	must(t, w.DestroyContainer(outer))
	if len(w.Tasks()) != 1 {
		t.Errorf("%d task records after destroying outer", len(w.Tasks()))
	}
	w.check()
}

// TestContainerABIErrors: each container method's refusals, through the system-call
// ABI, with the error the ABI table promises; none changes anything.
func TestContainerABIErrors(t *testing.T) {
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50))
		slots := initSlots()
		c, _ := slots.Take()
		ro, _ := slots.Take()
		other, _ := slots.Take()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		before, _ := e.Memory(sys)
		_, err := e.CreateContainer(sys, "Bad", lim(1<<20, 2), c)
		expectErrno(t, "create: bad name", err, abi.ErrInvalidArg)
		_, err = e.CreateContainer(sys, "c", lim(1<<40, 2), c)
		expectErrno(t, "create: too much memory", err, abi.ErrNoMemory)
		_, err = e.CreateContainer(sys, "c", lim(1<<20, 2), ntfn)
		expectErrno(t, "create: destination slot full", err, abi.ErrSlotFull)
		_, err = e.CreateContainer(sys, "c", lim(1<<20, 2), 1<<20)
		expectErrno(t, "create: destination out of range", err, abi.ErrRange)
		_, err = e.CreateContainer(ntfn, "c", lim(1<<20, 2), c)
		expectErrno(t, "create: not a System", err, abi.ErrWrongType)
		if m, _ := e.Memory(sys); m.RootUsed != before.RootUsed {
			t.Errorf("refused creations charged %d bytes", m.RootUsed-before.RootUsed)
		}
		_, err = e.CreateContainer(sys, "c", lim(1<<20, 2), c)
		must(t, err)
		_, err = e.CreateContainer(sys, "other", lim(1<<20, 2), other)
		must(t, err)
		must(t, e.Copy(cs, ro, cs, c, abi.RightRead))

		_, err = e.StartInContainer(ro, []string{"wait"}, 0, 0, 0, 0)
		expectErrno(t, "start: read-only capability", err, abi.ErrNoRights)
		_, err = e.StartInContainer(c, []string{"nonesuch"}, 0, 0, 0, 0)
		expectErrno(t, "start: unknown program", err, abi.ErrNotFound)
		_, err = e.StartInContainer(c, []string{"wait"}, 0, 151, 0, 0)
		expectErrno(t, "start: above the ceiling", err, abi.ErrRange)
		_, err = e.StartInContainer(ntfn, []string{"wait"}, 0, 0, 0, 0)
		expectErrno(t, "start: not a container", err, abi.ErrWrongType)
		pid, err := e.StartInContainer(c, []string{"wait"}, 0, 0, 0, ntfn)
		must(t, err)
		expectErrno(t, "kill: unknown pid", e.KillInContainer(c, pid+1), abi.ErrNotFound)
		expectErrno(t, "signal: unknown pid", e.SignalInContainer(c, pid+1, 2), abi.ErrNotFound)
		expectErrno(t, "signal: the stop bit", e.SignalInContainer(c, pid, 1), abi.ErrInvalidArg)
		expectErrno(t, "signal: no bits", e.SignalInContainer(c, pid, 0), abi.ErrInvalidArg)
		expectErrno(t, "signal: read-only", e.SignalInContainer(ro, pid, 2), abi.ErrNoRights)
		expectErrno(t, "kill: another container's pid", e.KillInContainer(other, pid), abi.ErrNotFound)
		expectErrno(t, "stop: read-only", e.StopContainer(ro, 0), abi.ErrNoRights)
		expectErrno(t, "stop: too long a grace", e.StopContainer(c, 1<<62), abi.ErrRange)
		expectErrno(t, "stop: not running", e.StopContainer(other, 0), abi.ErrIllegal)
		l := lim(1<<20, 2)
		l.Priority = abi.MaxPriority + 1
		expectErrno(t, "limits: above the parent", e.SetContainerLimits(c, l), abi.ErrRange)
		expectErrno(t, "limits: no tasks", e.SetContainerLimits(c, lim(1<<20, 0)), abi.ErrRange)
		expectErrno(t, "limits: read-only", e.SetContainerLimits(ro, lim(1<<20, 2)), abi.ErrNoRights)
		_, err = e.LinkContainers(c, ntfn, 40, 41, false)
		expectErrno(t, "link: peer not a container", err, abi.ErrWrongType)
		_, err = e.LinkContainers(c, other, 40, 41, true)
		must(t, err)
		expectErrno(t, "unlink: unknown", e.UnlinkContainers(c, 99), abi.ErrNotFound)
		info, err := e.InspectContainer(ro)
		if err != nil || info.State != abi.ContainerRunning || info.Tasks != 1 || info.Name != "c" {
			t.Errorf("inspect with Read: %+v %v", info, err)
		}
		expectErrno(t, "destroy: read-only", e.DestroyContainer(ro), abi.ErrNoRights)
		must(t, e.DestroyContainer(c))
		e.Wait(ntfn)
		if _, err := e.Inspect(cs, 40); !errors.Is(err, abi.ErrInvalidCap) {
			t.Errorf("destroying a side left its link end: %v", err)
		}
		expectErrno(t, "destroy twice", e.DestroyContainer(c), abi.ErrIllegal)
		_, err = e.StartInContainer(c, []string{"wait"}, 0, 0, 0, 0)
		expectErrno(t, "start: destroyed", err, abi.ErrIllegal)
		if info, _ := e.InspectContainer(c); info.State != abi.ContainerDestroyed || info.MemUsed != 0 {
			t.Errorf("inspect a destroyed container: %+v", info)
		}
		must(t, e.Delete(cs, c))
		must(t, e.Delete(cs, ro))
		must(t, e.DestroyContainer(other))
		must(t, e.Delete(cs, other))
		if m, _ := e.Memory(sys); m.RootUsed != before.RootUsed || m.Free != before.Free {
			t.Errorf("after everything: root used %d → %d, free %d → %d", before.RootUsed, m.RootUsed, before.Free, m.Free)
		}
	}, nil, nil)
	w.finish()
}

const ctrCreatorPC = 0x89_0000 // makes a container with a waiting task, nested in its System's, and exits or waits

// TestContainerDiesWithCreator: a container made through the ABI is named by a
// capability derived from its creator's budget, so when the creator ends — or the
// container the creator runs in is destroyed — the container is destroyed with
// everything in it, inside the kernel's finalization of the creator's objects.
func TestContainerDiesWithCreator(t *testing.T) {
	for _, inside := range []bool{false, true} {
		t.Run(fmt.Sprintf("inside=%v", inside), func(t *testing.T) {
			var made []uint64
			w := bootCtr(t, func(e *user.Env) {
				must(t, e.SetPriority(self, self, 50))
				slots := initSlots()
				ntfn := retype(e, slots, abi.ObjNotification, 0)
				before, _ := e.Memory(sys)
				if !inside {
					_, err := e.StartProgram(sys, []string{"creator"}, 1<<20, 0, ntfn, sys)
					must(t, err)
					e.Wait(ntfn)
				} else {
					outer, _ := slots.Take()
					_, err := e.CreateContainer(sys, "outer", lim(2<<20, 4), outer)
					must(t, err)
					_, err = e.StartInContainer(outer, []string{"creator"}, 0, 0, abi.RightRead|abi.RightWrite, 0)
					must(t, err)
					if info, _ := e.InspectContainer(outer); info.Tasks != 2 || info.MemUsed < 1<<20 {
						t.Errorf("outer with its nested container: %+v", info)
					}
					must(t, e.DestroyContainer(outer))
					must(t, e.Delete(cs, outer))
				}
				if after, _ := e.Memory(sys); after.RootUsed != before.RootUsed || after.Free != before.Free {
					t.Errorf("after the creator's end: root used %d → %d, free %d → %d", before.RootUsed, after.RootUsed, before.Free, after.Free)
				}
			}, nil, nil)
			w.Sim.AddProgram(ctrCreatorPC, usersim.Entry(func(e *user.Env) {
				s := abi.InitFirstFree // the machine's System, granted
				if inside {
					s = abi.ContainerSlotSystem
				}
				id, err := e.CreateContainer(s, "kid", lim(1<<20, 2), 20)
				if err != nil {
					t.Errorf("creator: %v", err)
					return
				}
				made = append(made, id)
				if _, err := e.StartInContainer(20, []string{"wait"}, 0, 0, 0, 0); err != nil {
					t.Errorf("creator's start: %v", err)
				}
				if inside {
					e.Wait(abi.ContainerSlotStop)
				}
			}))
			l := ctrLoader
			l.Entries = map[string]uint64{"creator": ctrCreatorPC, "wait": ctrWaitPC}
			w.SetLoader(l)
			w.finish()
			if len(made) != 1 || len(w.Containers()) != 1 {
				t.Errorf("made %v; %d containers left", made, len(w.Containers()))
			}
		})
	}
}

// TestContainerSignal: a signal reaches one task's stop notification with its bits,
// and only that task's.
func TestContainerSignal(t *testing.T) {
	var got []uint64
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50))
		c, _ := initSlots().Take()
		_, err := e.CreateContainer(sys, "sig", lim(1<<20, 3), c)
		must(t, err)
		first, err := e.StartInContainer(c, []string{"recorder"}, 0, 0, 0, 0)
		must(t, err)
		_, err = e.StartInContainer(c, []string{"recorder"}, 0, 0, 0, 0)
		must(t, err)
		must(t, e.SignalInContainer(c, first, 0x6))
		if len(got) != 1 || got[0] != 0x6 {
			t.Errorf("signalled words: %v", got)
		}
		must(t, e.StopContainer(c, 0))
		if len(got) != 1 {
			t.Errorf("a forced stop delivered %v", got)
		}
	}, nil, nil)
	w.Sim.AddProgram(0x8a_0000, usersim.Entry(func(e *user.Env) {
		word, err := e.Wait(abi.ContainerSlotStop)
		if err == nil {
			got = append(got, word)
		}
		e.Wait(abi.ContainerSlotStop)
	}))
	w.SetLoader(usersim.Loader{Entries: map[string]uint64{"recorder": 0x8a_0000}})
	w.finish()
}

// TestContainerCPULimitChange: a CPU limit set on a running container binds its
// threads from then on, and lifting it frees them again.
func TestContainerCPULimitChange(t *testing.T) {
	var spins [3]int
	w := bootCtr(t, nil, &spins, nil)
	w.run()
	c, err := w.CreateContainer(w.RootContainer(), "cpu", lim(1<<20, 2))
	must(t, err)
	startIn(t, w, c, "spin-a", ctrSpinAPC, 0, 0)
	w.runFor(100_000_000)
	if got := c.Info().CPUNanos; got < 99_000_000 {
		t.Errorf("unlimited: %d ns of 100 ms", got)
	}
	l := c.Limits()
	l.CPUBudget, l.CPUPeriod = 10_000_000, 100_000_000
	must(t, w.SetContainerLimits(c, l))
	before := c.Info().CPUNanos
	w.runFor(1_000_000_000)
	if got := c.Info().CPUNanos - before; got > 10*10_000_000+1_000_000 || got < 9*10_000_000 {
		t.Errorf("limited to 10%%: %d ns in 1 s", got)
	}
	l.CPUBudget, l.CPUPeriod = 0, 0
	must(t, w.SetContainerLimits(c, l))
	before = c.Info().CPUNanos
	w.runFor(100_000_000)
	if got := c.Info().CPUNanos - before; got < 99_000_000 {
		t.Errorf("unlimited again: %d ns of 100 ms", got)
	}
	w.check()
}
