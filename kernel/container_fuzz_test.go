package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"pgregory.net/rapid"
)

// ctrOp is one random container system call made by init.
type ctrOp struct {
	kind             int
	cap, cap2, dst   abi.CPtr
	a, b, c          uint64
	limits           abi.ContainerLimits
	prog             string
	rights           abi.Rights
	notify, grant    bool
	interleaveYields int
}

func (o ctrOp) String() string {
	return fmt.Sprintf("{%d cap %d/%d dst %d args %d %d %d %+v %q %v}", o.kind, o.cap, o.cap2, o.dst, o.a, o.b, o.c, o.limits, o.prog, o.rights)
}

// The slots the random calls use: init's System, and a few slots for containers and
// link ends.
var ctrOpSlots = []abi.CPtr{sys, 20, 21, 22, 23, 24, 25}

func drawCtrOp(t *rapid.T) ctrOp {
	slot := rapid.SampledFrom(ctrOpSlots)
	word := rapid.SampledFrom([]uint64{0, 1, 2, 3, 64 << 10, 256 << 10, 1 << 20, 100_000_000, 1 << 62, ^uint64(0)})
	o := ctrOp{
		kind: rapid.IntRange(0, 13).Draw(t, "kind"),
		cap:  slot.Draw(t, "cap"), cap2: slot.Draw(t, "cap2"), dst: slot.Draw(t, "dst"),
		a: word.Draw(t, "a"), b: word.Draw(t, "b"), c: word.Draw(t, "c"),
		limits: abi.ContainerLimits{
			Memory:   rapid.SampledFrom([]uint64{0, 64 << 10, 256 << 10, 256 << 10, 1 << 20, 1 << 40}).Draw(t, "mem"),
			MaxTasks: rapid.SampledFrom([]uint64{0, 1, 2, 3}).Draw(t, "tasks"),
			Priority: rapid.SampledFrom([]uint64{0, 50, 100, 100, 255, 256}).Draw(t, "prio"),
			OOM:      abi.OOMPolicy(rapid.SampledFrom([]uint64{0, 1, 1, 2}).Draw(t, "oom")),
			Flags:    rapid.SampledFrom([]uint64{0, 0, abi.ContainerSharedPID, abi.ContainerMemOnDemand, 4}).Draw(t, "flags"),
		},
		prog:             rapid.SampledFrom([]string{"wait", "stubborn", "exit", "hog", "nonesuch"}).Draw(t, "prog"),
		rights:           abi.Rights(rapid.Uint8Range(0, 16).Draw(t, "rights")),
		notify:           rapid.Bool().Draw(t, "notify"),
		grant:            rapid.Bool().Draw(t, "grant"),
		interleaveYields: rapid.IntRange(0, 2).Draw(t, "yields"),
	}
	cpu := rapid.SampledFrom([][2]uint64{{0, 0}, {0, 0}, {10_000_000, 100_000_000}, {5_000, 100_000_000},
		{200_000_000, 100_000_000}, {10_000_000, 1 << 40}, {0, 100_000_000}}).Draw(t, "cpu")
	o.limits.CPUBudget, o.limits.CPUPeriod = cpu[0], cpu[1]
	return o
}

// TestContainerABIRandom makes random container system calls — any method, on any of
// a few slots (the System object, containers, link ends, empty slots), with edge-case
// arguments — from init, checking the kernel invariants after every call; then
// destroys and deletes everything and checks every byte and frame came back. No call
// may panic the kernel.
func TestContainerABIRandom(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ops := rapid.SliceOfN(rapid.Custom(drawCtrOp), 1, 40).Draw(rt, "ops")
		var failure string
		var m *usersim.Machine
		init := func(e *user.Env) {
			slots := initSlots()
			ntfn := retype(e, slots, abi.ObjNotification, 0)
			before, _ := e.Memory(sys)
			// Two containers to start with, so that most calls find one.
			e.CreateContainer(sys, "first", abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 3, Priority: 100}, 20)
			e.CreateContainer(sys, "second", abi.ContainerLimits{Memory: 512 << 10, MaxTasks: 2, Priority: 100,
				CPUBudget: 20_000_000, CPUPeriod: 100_000_000}, 21)
			for i, o := range ops {
				if failure != "" {
					return
				}
				n := abi.CPtr(0)
				if o.notify {
					n = ntfn
				}
				switch o.kind {
				case 0:
					e.CreateContainer(o.cap, "r", o.limits, o.dst)
				case 1:
					e.StartInContainer(o.cap, []string{o.prog}, o.a, uint8(o.b), o.rights, n)
				case 2:
					e.StopContainer(o.cap, o.a)
				case 3:
					e.DestroyContainer(o.cap)
				case 4:
					e.InspectContainer(o.cap)
				case 5:
					e.SetContainerLimits(o.cap, o.limits)
				case 6:
					e.KillInContainer(o.cap, o.a)
				case 7:
					e.ContainerTaskInfo(o.cap, o.a)
				case 8:
					e.LinkContainers(o.cap, o.cap2, o.dst, abi.CPtr(o.b%8)+20, o.grant)
				case 9:
					e.UnlinkContainers(o.cap, o.a)
				case 11:
					e.SignalInContainer(o.cap, o.a, abi.Badge(o.b))
				case 12:
					e.AllowName(o.cap, o.prog[:int(o.a%uint64(len(o.prog)+1))])
				case 13:
					e.ChargeIO(o.cap, o.a, o.b)
				case 10:
					if o.cap != sys {
						e.Delete(cs, o.cap)
					}
				}
				for range o.interleaveYields {
					e.Yield()
				}
				if err := m.CheckInvariants(); err != nil {
					failure = fmt.Sprintf("after op %d %v: %v", i, o, err)
					return
				}
			}
			for _, s := range ctrOpSlots[1:] {
				e.DestroyContainer(s)
				e.Delete(cs, s)
			}
			if after, _ := e.Memory(sys); after.RootUsed != before.RootUsed || after.Free != before.Free {
				failure = fmt.Sprintf("after cleaning up: root used %d → %d, free %d → %d", before.RootUsed, after.RootUsed, before.Free, after.Free)
			}
		}
		progs := ctrPrograms(t, nil, new([]int))
		progs[ctrHogPC] = modelPrograms[modelHogPC] // may meet its capability space's end first
		var err error
		m, err = usersim.Boot(usersim.Config{Init: init, Programs: progs, Kernel: kernel.Config{Quiet: true}})
		if err != nil {
			rt.Fatal(err)
		}
		m.SetLoader(ctrLoader)
		m.Run(m.Now() + 5_000_000_000)
		if failure != "" {
			rt.Fatal(failure)
		}
		if err := m.CheckInvariants(); err != nil {
			rt.Fatal(err)
		}
	})
}
