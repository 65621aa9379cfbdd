package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"pgregory.net/rapid"
)

// Programs of the model test.
const (
	modelWaitPC  = 0x91_0000 // waits for its stop notification, then exits
	modelStubPC  = 0x91_1000 // never exits on its own
	modelExitPC  = 0x91_2000 // returns at once
	modelSpinPC  = 0x91_3000 // spins
	modelHogPC   = 0x91_4000 // allocates frames until refused, then waits
	modelCallPC  = 0x91_5000 // calls over the link end it was granted (if any), forever
	modelServePC = 0x91_6000 // serves the link end it was granted (if any), forever
	modelNamePC  = 0x91_7000 // registers its link end (or an endpoint) as "svc", looks up names, forever
)

// modelNameLeaks counts lookups inside a container that found init's name "outside".
var modelNameLeaks int

var modelPrograms = map[uint64]usersim.Program{
	modelWaitPC: func(e *user.Env) { e.Wait(abi.ContainerSlotStop) },
	modelStubPC: func(e *user.Env) {
		for {
			e.Wait(abi.ContainerSlotStop)
		}
	},
	modelExitPC: func(e *user.Env) {},
	modelSpinPC: func(e *user.Env) {
		for {
			e.Compute(200_000)
		}
	},
	modelHogPC: func(e *user.Env) {
		for slot := abi.InitFirstFree + 4; slot < 1<<taskRadixCtr; slot++ {
			if e.Retype(abi.InitSlotUntyped, abi.ObjFrame, 0, abi.InitSlotCSpace, slot, 1) != nil {
				break
			}
		}
		e.Wait(abi.ContainerSlotStop)
	},
	modelCallPC: func(e *user.Env) {
		for {
			if _, err := e.Call(abi.InitFirstFree, abi.NewMsgInfo(0, 1, 0)); err != nil {
				e.Wait(abi.ContainerSlotStop)
			}
		}
	},
	modelNamePC: func(e *user.Env) {
		const sys, cs, ep = abi.ContainerSlotSystem, abi.InitSlotCSpace, abi.InitFirstFree
		if _, err := e.Inspect(cs, ep); err != nil {
			_ = e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, cs, ep, 1)
		}
		for {
			_ = e.RegisterName(sys, "svc", ep)
			_ = e.Delete(cs, 40)
			_ = e.LookupName(sys, "svc", cs, 40)
			if e.LookupName(sys, "outside", cs, 41) == nil {
				modelNameLeaks++
			}
			e.Compute(1_000_000)
		}
	},
	modelServePC: func(e *user.Env) {
		if e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, 30, 1) != nil {
			e.Wait(abi.ContainerSlotStop)
		}
		for {
			if _, _, err := e.Recv(abi.InitFirstFree, 30); err != nil {
				e.Wait(abi.ContainerSlotStop)
				continue
			}
			e.Reply(30, abi.NewMsgInfo(0, 1, 0))
		}
	},
}

// modelPCs are the programs "start" picks from; hogs are likelier, so that tasks of
// one container often compete for its memory.
var modelPCs = []uint64{modelWaitPC, modelStubPC, modelExitPC, modelSpinPC, modelHogPC, modelHogPC, modelHogPC, modelCallPC, modelServePC, modelNamePC, modelNamePC}

// TestContainerIsolationModel runs random sequences of container operations — create
// (valid and not), start programs (some granted link ends), stop, destroy, change
// limits, link and revoke, and time passing — on a simulated machine, and after every
// step checks the kernel invariants (which include: no task holds a capability to an
// object of another container except through a live link; every container's charged
// memory is within its limit; its pid namespace resolves only tasks inside it), that
// no lookup or listing through a container's namespace reaches outside it, and that a
// refused operation changed nothing. At the end, destroying everything gives back
// every byte and frame.
func TestContainerIsolationModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		// Init registers an endpoint as "outside" in the machine's IPC names and
		// waits; namers inside containers must never find it, and no container's
		// names may give a capability into another container (CheckInvariants).
		modelNameLeaks = 0
		initProg := func(e *user.Env) {
			must2(rt, e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, abi.InitSlotCSpace, 90, 1))
			must2(rt, e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, 91, 1))
			must2(rt, e.RegisterName(abi.InitSlotSystem, "outside", 90))
			e.Wait(91)
		}
		m, err := usersim.Boot(usersim.Config{Init: initProg, Programs: modelPrograms,
			Kernel: kernel.Config{Quiet: true}})
		if err != nil {
			rt.Fatal(err)
		}
		m.Run(m.Now() + 1_000_000)
		root := m.RootContainer()
		startUsed, startFree := m.RootUntyped().Used(), m.FreeMemory()
		// Link ends go to init's capability space, from where starts grant them.
		ends := newEndSpace(m)
		check := func(step string) {
			if err := m.CheckInvariants(); err != nil {
				rt.Fatalf("after %s: %v", step, err)
			}
			if modelNameLeaks != 0 {
				rt.Fatalf("after %s: a task inside a container found the machine's IPC name", step)
			}
			for _, c := range m.Containers()[1:] {
				if i := c.Info(); i.MemUsed > i.Limits.Memory {
					rt.Fatalf("after %s: container %s charged %d > %d", step, c.Name(), i.MemUsed, i.Limits.Memory)
				}
				if c.Limits().Flags&abi.ContainerSharedPID != 0 {
					continue
				}
				ts, _ := m.VisibleTasks(c)
				for _, task := range ts {
					if !inside(c, task) {
						rt.Fatalf("after %s: container %s lists %v of another container", step, c.Name(), task)
					}
				}
				for pid := uint64(0); pid < 40; pid++ {
					if task := m.LookupTask(c, pid); task != nil && !inside(c, task) {
						rt.Fatalf("after %s: container %s resolves id %d to %v outside", step, c.Name(), pid, task)
					}
				}
			}
		}
		pick := func(rt *rapid.T, label string, withRoot bool) *kernel.Container {
			cs := m.Containers()
			if !withRoot {
				cs = cs[1:]
			}
			if len(cs) == 0 {
				return nil
			}
			return cs[rapid.IntRange(0, len(cs)-1).Draw(rt, label)]
		}
		n := 0
		rt.Repeat(map[string]func(*rapid.T){
			"create": func(rt *rapid.T) {
				parent := pick(rt, "parent", true)
				l := abi.ContainerLimits{
					Memory:   rapid.SampledFrom([]uint64{32 << 10, 256 << 10, 256 << 10, 1 << 20, 4 << 20, 1 << 30}).Draw(rt, "mem"),
					MaxTasks: rapid.Uint64Range(0, 6).Draw(rt, "tasks"),
					Priority: rapid.Uint64Range(50, 260).Draw(rt, "prio"),
					OOM:      abi.OOMPolicy(rapid.Uint64Range(0, 2).Draw(rt, "oom")),
					Flags:    rapid.SampledFrom([]uint64{0, 0, abi.ContainerSharedPID, abi.ContainerMemOnDemand, abi.ContainerSharedPID | abi.ContainerMemOnDemand, 4}).Draw(rt, "flags"),
				}
				if rapid.Bool().Draw(rt, "cpu") {
					l.CPUPeriod = 100_000_000
					l.CPUBudget = rapid.Uint64Range(1, 60).Draw(rt, "share") * 1_000_000
				}
				n++
				name := fmt.Sprintf("c%d", n)
				used, pused, count := m.RootUntyped().Used(), parent.Budget().Used(), len(m.Containers())
				if _, err := m.CreateContainer(parent, name, l); err != nil {
					if m.RootUntyped().Used() != used || parent.Budget().Used() != pused || len(m.Containers()) != count {
						rt.Fatalf("refused create (%v) changed something", err)
					}
				}
				check("create")
			},
			"start": func(rt *rapid.T) {
				c := pick(rt, "container", false)
				if c == nil {
					rt.Skip("no container")
				}
				pc := rapid.SampledFrom(modelPCs).Draw(rt, "program")
				spec := kernel.TaskSpec{Name: "p", Entry: pc, StackPages: 2, Container: c,
					Memory:   rapid.SampledFrom([]uint64{0, 0, 128 << 10}).Draw(rt, "cap"),
					Priority: uint8(rapid.Uint64Range(0, 160).Draw(rt, "prio"))}
				if rapid.Bool().Draw(rt, "system") {
					spec.SystemRights = abi.RightRead | abi.RightWrite
				}
				if s := ends.endFor(rt, c); s != nil {
					spec.Caps = []kernel.GrantedCap{{Slot: s, Rights: s.Rights()}}
				}
				used, tasks := c.Budget().Used(), len(m.Tasks())
				task, err := m.CreateTask(c.Budget(), spec)
				if err != nil {
					if c.Budget().Used() != used || len(m.Tasks()) != tasks {
						rt.Fatalf("refused start (%v) changed something", err)
					}
					check("refused start")
					return
				}
				m.StartTask(task)
				check("start")
			},
			"stop": func(rt *rapid.T) {
				c := pick(rt, "container", false)
				if c == nil {
					rt.Skip("no container")
				}
				m.StopContainer(c, hal.Time(rapid.SampledFrom([]uint64{0, 1_000_000, 20_000_000}).Draw(rt, "grace")))
				check("stop")
			},
			"destroy": func(rt *rapid.T) {
				c := pick(rt, "container", false)
				if c == nil {
					rt.Skip("no container")
				}
				must2(rt, m.DestroyContainer(c))
				check("destroy")
			},
			"limits": func(rt *rapid.T) {
				c := pick(rt, "container", false)
				if c == nil {
					rt.Skip("no container")
				}
				l := c.Limits()
				l.Memory = rapid.SampledFrom([]uint64{64 << 10, l.Memory / 2, l.Memory * 2}).Draw(rt, "mem")
				l.Priority = rapid.Uint64Range(40, 200).Draw(rt, "prio")
				before := c.Info()
				if err := m.SetContainerLimits(c, l); err != nil && c.Info() != before {
					rt.Fatalf("refused limits (%v) changed the container", err)
				}
				check("limits")
			},
			"link": func(rt *rapid.T) {
				a, b := pick(rt, "a", false), pick(rt, "b", false)
				if a == nil {
					rt.Skip("no container")
				}
				ends.link(rt, a, b)
				check("link")
			},
			"revoke": func(rt *rapid.T) {
				ends.revoke(rt)
				check("revoke")
			},
			"run": func(rt *rapid.T) {
				m.Run(m.Now() + hal.Time(rapid.Uint64Range(1, 30).Draw(rt, "ms"))*1_000_000)
				check("run")
			},
		})
		for _, c := range root.Children() {
			must2(rt, m.DestroyContainer(c))
		}
		check("the end")
		if m.RootUntyped().Used() != startUsed || m.FreeMemory() != startFree {
			rt.Fatalf("after destroying everything: root used %d → %d, free %d → %d", startUsed, m.RootUntyped().Used(), startFree, m.FreeMemory())
		}
	})
}

func inside(c *kernel.Container, t *kernel.Task) bool {
	for x := t.Container(); x != nil; x = x.Parent() {
		if x == c {
			return true
		}
	}
	return false
}

func must2(rt *rapid.T, err error) {
	if err != nil {
		rt.Fatal(err)
	}
}

// endSpace holds link ends in init's capability space, by link.
type endSpace struct {
	m     *usersim.Machine
	space *capability.Space
	links []modelLink
}

type modelLink struct {
	id           uint64
	l            *kernel.Link
	a, b         *kernel.Container
	client, serv *capability.Slot
}

func newEndSpace(m *usersim.Machine) *endSpace {
	return &endSpace{m: m, space: m.Tasks()[0].CSpace()}
}

// live drops links that destroying a side revoked.
func (s *endSpace) live(rt *rapid.T) {
	var keep []modelLink
	for _, l := range s.links {
		if l.a.State() != abi.ContainerDestroyed && l.b.State() != abi.ContainerDestroyed {
			keep = append(keep, l)
		} else if l.l.State() != kernel.LinkRevoked || !l.client.Empty() || !l.serv.Empty() {
			rt.Fatalf("link %d of a destroyed container is %v", l.id, l.l.State())
		}
	}
	s.links = keep
}

func (s *endSpace) free() *capability.Slot {
	for i := 100; i < s.space.Len(); i++ {
		if s.space.At(i).Empty() {
			return s.space.At(i)
		}
	}
	return nil
}

func (s *endSpace) link(rt *rapid.T, a, b *kernel.Container) {
	s.live(rt)
	client := s.free()
	if client == nil {
		rt.Skip("no slot")
	}
	var serv *capability.Slot
	for i := client.Index() + 1; i < s.space.Len(); i++ {
		if s.space.At(i).Empty() {
			serv = s.space.At(i)
			break
		}
	}
	l, err := s.m.LinkContainers(a, b, client, serv, rapid.Bool().Draw(rt, "grant"))
	if err != nil {
		if !client.Empty() || !serv.Empty() {
			rt.Fatalf("refused link (%v) filled a slot", err)
		}
		return
	}
	if l.State() != kernel.LinkLive {
		rt.Fatalf("a new link is %v", l.State())
	}
	s.links = append(s.links, modelLink{l.ID(), l, a, b, client, serv})
}

func (s *endSpace) revoke(rt *rapid.T) {
	s.live(rt)
	if len(s.links) == 0 {
		rt.Skip("no link")
	}
	i := rapid.IntRange(0, len(s.links)-1).Draw(rt, "link")
	l := s.links[i]
	must2(rt, s.m.RevokeLink(l.a, l.id))
	if !l.client.Empty() || !l.serv.Empty() || l.l.State() != kernel.LinkRevoked {
		rt.Fatalf("revoked link %d left an end or is %v", l.id, l.l.State())
	}
	s.links = append(s.links[:i], s.links[i+1:]...)
}

// endFor returns an end of a live link of c's side, or nil.
func (s *endSpace) endFor(rt *rapid.T, c *kernel.Container) *capability.Slot {
	s.live(rt)
	for _, l := range s.links {
		if l.a == c && !l.client.Empty() {
			return l.client
		}
		if l.b == c && !l.serv.Empty() {
			return l.serv
		}
	}
	return nil
}
