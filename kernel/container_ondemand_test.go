package kernel_test

import (
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// onDemand returns limits like lim's whose memory is charged on use.
func onDemand(mem, tasks uint64) abi.ContainerLimits {
	l := lim(mem, tasks)
	l.Flags |= abi.ContainerMemOnDemand
	return l
}

// TestContainerMemOnDemand: a container whose memory is on demand costs its parent
// only its object until its tasks use memory, and then exactly what they use; its
// limit still caps it; a reserved sibling keeps its whole limit however much the
// on-demand ones take; when the parent runs short, the on-demand container that
// asks is refused (a limit hit of the parent) and a page fault applies its own OOM
// policy, never the neighbour's; destroying everything returns the parent's budget
// exactly; limit rules hold and refused changes change nothing.
func TestContainerMemOnDemand(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	const parentMem = 8 << 20
	pl := lim(parentMem, 16)
	parent, err := w.CreateContainer(w.RootContainer(), "parent", pl)
	must(t, err)
	base := parent.Budget().Used()

	// Creation charges the object only; the limit may exceed what the parent has
	// free, but not the parent's limit.
	a, err := w.CreateContainer(parent, "a", onDemand(7<<20, 4))
	must(t, err)
	if got := parent.Budget().Used() - base; got != abi.SizeContainer {
		t.Errorf("an idle on-demand container charges its parent %d bytes, want %d", got, abi.SizeContainer)
	}
	b, err := w.CreateContainer(parent, "b", onDemand(7<<20, 4))
	must(t, err)
	_, err = w.CreateContainer(parent, "too-big", onDemand(parentMem+abi.PageSize, 4))
	wantErrno(t, "an on-demand limit above the parent's", err, abi.ErrRange)
	reserved, err := w.CreateContainer(parent, "reserved", lim(1<<20, 4))
	must(t, err)

	// Limit changes: an on-demand limit may rise past what the parent has free
	// (nothing is reserved) but not past the parent's limit or below its use; the
	// parent's limit may not drop below an on-demand child's.
	used := parent.Budget().Used()
	must(t, w.SetContainerLimits(a, onDemand(7<<20+512<<10, 4)))
	wantErrno(t, "on-demand limit above the parent's", w.SetContainerLimits(a, onDemand(parentMem+abi.PageSize, 4)), abi.ErrRange)
	wantErrno(t, "drop the on-demand flag", w.SetContainerLimits(a, lim(7<<20, 4)), abi.ErrInvalidArg)
	pl.Memory = 7<<20 + 256<<10
	wantErrno(t, "parent below an on-demand child's limit", w.SetContainerLimits(parent, pl), abi.ErrRange)
	if parent.Budget().Used() != used || a.Limits().Memory != 7<<20+512<<10 || parent.Limits().Memory != parentMem {
		t.Errorf("refused changes changed something: parent used %d (was %d), a's limit %d", parent.Budget().Used(), used, a.Limits().Memory)
	}

	// A task's memory is charged up to the parent as it is made.
	before := parent.Budget().Used()
	ta := startIn(t, w, a, "wait", ctrWaitPC, 0, 0)
	w.run()
	if got, want := parent.Budget().Used()-before, a.Budget().Used(); got != want || want == 0 {
		t.Errorf("a task in a charged its parent %d bytes; a uses %d", got, want)
	}
	tb := startIn(t, w, b, "wait", ctrWaitPC, 0, 0)
	tr := startIn(t, w, reserved, "wait", ctrWaitPC, 0, 0)
	w.run()
	w.check()

	// a takes what the parent has left, by page faults, until the parent is short:
	// the last fault is refused with a's policy (kill its largest task: its only one
	// holds it all, so nothing is left to retry with) and b and the reserved sibling
	// are untouched.
	va := uint64(0x6000_0000)
	for n := 0; ; n++ {
		pu, au := parent.Budget().Used(), a.Budget().Used()
		e := w.MapAnon(ta.Thread(), ta.Budget(), va, hal.PermRead|hal.PermWrite)
		if e != abi.OK {
			if pu+abi.PageSize <= parentMem && au+abi.PageSize <= a.Limits().Memory {
				t.Fatalf("MapAnon refused with room in a (%d used) and the parent (%d used): %v", au, pu, e)
			}
			if au+abi.PageSize > a.Limits().Memory {
				t.Fatalf("a reached its own limit (%d used) before the parent ran short: the test needs a smaller parent", au)
			}
			break
		}
		va += abi.PageSize
		if n > 1<<12 {
			t.Fatal("a page fault never met the parent's limit")
		}
	}
	ai, pi := a.Info(), parent.Info()
	if ta.State() != kernel.TaskKilled || ai.OOMKills != 1 || pi.MemLimitHits != 1 || ai.MemLimitHits != 0 {
		t.Errorf("after the parent ran short: a's task %v, a %+v, parent %+v", ta.State(), ai, pi)
	}
	if tb.State() != kernel.TaskLive || tr.State() != kernel.TaskLive || b.Info().OOMKills != 0 || reserved.Info().OOMKills != 0 {
		t.Errorf("a neighbour paid for a's growth: b's task %v, reserved's %v", tb.State(), tr.State())
	}
	w.run()
	w.check()

	// b fills the parent by page faults to the last page; the reserved sibling can
	// still use its whole limit: its memory was set aside when it was made.
	vb := uint64(0x6000_0000)
	for parent.Budget().Used()+abi.PageSize <= parentMem {
		if e := w.MapAnon(tb.Thread(), tb.Budget(), vb, hal.PermRead); e != abi.OK {
			t.Fatalf("b was refused with room in the parent: %v", e)
		}
		vb += abi.PageSize
	}
	vr := uint64(0x6000_0000)
	for reserved.Budget().Used()+abi.PageSize <= 1<<20 {
		if e := w.MapAnon(tr.Thread(), tr.Budget(), vr, hal.PermRead); e != abi.OK {
			t.Fatalf("the reserved sibling was refused at %d of its %d bytes: %v", reserved.Budget().Used(), 1<<20, e)
		}
		vr += abi.PageSize
	}
	wantErrno(t, "on-demand limit below use", w.SetContainerLimits(b, onDemand(abi.PageSize*16, 4)), abi.ErrRange)
	if tb.State() != kernel.TaskLive {
		t.Errorf("b's task %v after filling the parent without asking past it", tb.State())
	}
	w.check()

	// Destroying the children gives the parent back exactly what it had.
	for _, c := range []*kernel.Container{a, b, reserved} {
		must(t, w.DestroyContainer(c))
	}
	w.run()
	if parent.Budget().Used() != base {
		t.Errorf("after destroying its children the parent uses %d bytes, had %d", parent.Budget().Used(), base)
	}
	w.check()
}

// TestContainerDensity: idle containers (one waiting task each, 3 MiB limits) in a
// 32 MiB parent: reserved limits fit ten; on demand, as many as their actual use
// allows — the measured figure is logged for docs/PERFORMANCE.md.
func TestContainerDensity(t *testing.T) {
	count := func(l abi.ContainerLimits) (int, uint64) {
		w := bootCtr(t, nil, nil, nil)
		w.run()
		parent, err := w.CreateContainer(w.RootContainer(), "parent", lim(32<<20, 4096))
		must(t, err)
		base := parent.Budget().Used()
		n := 0
		for ; n < 4000; n++ {
			c, err := w.CreateContainer(parent, "idle", l)
			if err != nil {
				break
			}
			task, err := w.CreateTask(c.Budget(), kernel.TaskSpec{Name: "wait", Entry: ctrWaitPC, StackPages: 2, Container: c})
			if err != nil {
				must(t, w.DestroyContainer(c))
				break
			}
			w.StartTask(task)
		}
		w.run()
		w.check()
		return n, (parent.Budget().Used() - base) / uint64(max(n, 1))
	}
	reserved, perReserved := count(lim(3<<20, 1))
	onDem, perOnDemand := count(onDemand(3<<20, 1))
	t.Logf("idle containers in 32 MiB: %d reserved (%d KiB each), %d on demand (%d KiB each)", reserved, perReserved>>10, onDem, perOnDemand>>10)
	if reserved != 10 {
		t.Errorf("%d reserved 3 MiB containers fit in 32 MiB, want 10", reserved)
	}
	if onDem < 10*reserved {
		t.Errorf("only %d on-demand idle containers fit, %d reserved ones", onDem, reserved)
	}
}

// TestContainerMemOnDemandOwnUse: the memory a task reports (SystemTaskInfo) leaves
// out the containers it made, whether their limits are reserved or their memory is
// on demand — for an on-demand one what its tasks use, never its limit (which would
// wrap the count below zero).
func TestContainerMemOnDemandOwnUse(t *testing.T) {
	w := bootCtr(t, func(e *user.Env) {
		slots := initSlots()
		before, err := e.TaskInfo(sys, 1)
		must(t, err)
		for _, l := range []abi.ContainerLimits{onDemand(8<<20, 2), lim(4<<20, 2)} {
			c, _ := slots.Take()
			_, err = e.CreateContainer(sys, "od", l, c)
			must(t, err)
			_, err = e.StartInContainer(c, []string{"wait"}, 0, 0, abi.RightRead, 0)
			must(t, err)
			after, err := e.TaskInfo(sys, 1)
			must(t, err)
			if after.MemUsed != before.MemUsed {
				t.Errorf("flags %#x: init reports %d bytes with the container, %d before", l.Flags, after.MemUsed, before.MemUsed)
			}
		}
	}, nil, nil)
	w.run()
}
