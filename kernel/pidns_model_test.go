package kernel_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"pgregory.net/rapid"
)

// Seed verification target 1, PID namespace isolation, through the system-call ABI.
//
// TestPIDNamespaceModel drives simulated tasks ("agents") inside nested containers:
// each step wakes one agent, which makes one system call through its container's
// System object (at abi.ContainerSlotSystem) or through a Container capability it
// holds for a container it made — start a task, make a nested container (own or
// shared namespace), list tasks, read one task's record or status, kill, signal,
// destroy. The test keeps its own model of the namespaces: which container each
// agent runs in, and the id it must have in every namespace, given in creation order
// from 1 as the design says (never reused). After every call it checks the answer
// against the model:
//
//   - an id returned by a start is the new task's id in the namespace it was asked
//     through;
//   - every record a listing or lookup returns is a task inside the asking container
//     (for a System object) or inside the invoked container, with the id and parent
//     id the model gives it in that namespace, and no live task inside is skipped;
//   - a kill or signal of an id that names nothing inside the asker's view fails with
//     ErrNotFound and changes nothing; one that names a live task inside ends (or
//     signals) exactly that task: every task that ended is inside the view, and every
//     agent received exactly the signal bits sent to it;
//   - the kernel invariants hold (which include: a private namespace resolves nothing
//     outside its container).
//
// Agents wait on their stop notification; the driver wakes one with the kernel's
// SignalInContainer and a bit no test signal uses.

const (
	agentBase      = 0xa0_0000 // agent i is registered at agentBase + i*0x1000
	maxAgents      = 48
	wakeBit        = uint64(1) << 62
	agentCtrSlot   = abi.CPtr(20) // first slot an agent keeps nested containers in
	agentCtrSlots  = 4
	pidModelTopMax = 3 // top-level containers the driver makes
)

// pidNS is the model of one pid namespace.
type pidNSModel struct {
	parent *pidNSModel // nil: the root namespace (kernel ids; not modelled)
	next   uint64
	byID   map[uint64]*agent
}

// ctrModel is the model of one container.
type ctrModel struct {
	k      *kernel.Container
	parent *ctrModel // nil for a top-level container
	ns     *pidNSModel
}

// contains reports whether x is c or nested in it.
func (c *ctrModel) contains(x *ctrModel) bool {
	for ; x != nil; x = x.parent {
		if x == c {
			return true
		}
	}
	return false
}

// agent is a task of the test, and the model's record of it.
type agent struct {
	i      int
	name   string
	k      *kernel.Task
	ctr    *ctrModel
	ids    map[*pidNSModel]uint64 // its id in each namespace it is registered in
	ppids  map[*pidNSModel]uint64 // its parent's id there (0: not visible there)
	mail   func(e *user.Env)      // the call to make when woken
	got    uint64                 // signal bits received
	sent   uint64                 // signal bits sent to it (successfully)
	nested [agentCtrSlots]*ctrModel
	frames []abi.CPtr // slots holding frames it allocated (TestContainerQuotaModel)
}

func (a *agent) live() bool { return a.k != nil && a.k.State() == kernel.TaskLive }

type pidWorld struct {
	rt     *rapid.T
	m      *usersim.Machine
	agents []*agent
	ctrs   []*ctrModel
	bit    int
}

// register gives a the next id in every modelled namespace from ns up, with its
// parent's ids, as the design promises.
func (w *pidWorld) register(a *agent, parent *agent, ns *pidNSModel) {
	a.ids, a.ppids = map[*pidNSModel]uint64{}, map[*pidNSModel]uint64{}
	for ; ns != nil; ns = ns.parent {
		ns.next++
		a.ids[ns] = ns.next
		ns.byID[ns.next] = a
		if parent != nil {
			a.ppids[ns] = parent.ids[ns]
		}
	}
}

// newAgent reserves the next agent record (nil when all are taken).
func (w *pidWorld) newAgent(c *ctrModel) *agent {
	if len(w.agents) == maxAgents {
		return nil
	}
	a := &agent{i: len(w.agents), name: fmt.Sprintf("agent-%d", len(w.agents)), ctr: c}
	w.agents = append(w.agents, a)
	return a
}

// started finds a's kernel task after a successful start.
func (w *pidWorld) started(a *agent) {
	for _, t := range w.m.Tasks() {
		if t.Name() == a.name {
			a.k = t
			return
		}
	}
	w.rt.Fatalf("started %s, but the kernel has no such task", a.name)
}

func (w *pidWorld) newNS(parent *pidNSModel) *pidNSModel {
	return &pidNSModel{parent: parent, byID: map[uint64]*agent{}}
}

// call makes agent a run f (a system call) and runs the machine until it is idle.
func (w *pidWorld) call(a *agent, f func(e *user.Env)) {
	a.mail = f
	if err := w.m.SignalInContainer(a.k.Container(), a.k.PID(), abi.Badge(wakeBit)); err != nil {
		w.rt.Fatalf("waking %s: %v", a.name, err)
	}
	w.m.Run(w.m.Now() + 1_000_000_000)
	if a.mail != nil {
		w.rt.Fatalf("%s did not make its call", a.name)
	}
}

// program returns agent i's program: wait; record signal bits; on the wake bit, make
// the call it was given; on the stop request, exit.
func (w *pidWorld) program(i int) usersim.Program {
	return func(e *user.Env) {
		a := w.agents[i]
		for {
			word, err := e.Wait(abi.ContainerSlotStop)
			if err != nil {
				return
			}
			a.got |= word &^ (wakeBit | abi.ContainerStopBadge)
			if word&abi.ContainerStopBadge != 0 {
				return
			}
			if word&wakeBit != 0 && a.mail != nil {
				f := a.mail
				a.mail = nil
				f(e)
			}
		}
	}
}

// bootAgents boots a machine whose loader starts agents by name ("agent-i").
func bootAgents(rt *rapid.T) *pidWorld {
	w := &pidWorld{rt: rt}
	progs := map[uint64]usersim.Program{}
	entries := map[string]uint64{}
	for i := range maxAgents {
		progs[agentBase+uint64(i)*0x1000] = w.program(i)
		entries[fmt.Sprintf("agent-%d", i)] = agentBase + uint64(i)*0x1000
	}
	m, err := usersim.Boot(usersim.Config{Init: func(e *user.Env) {}, Programs: progs, Kernel: kernel.Config{Quiet: true}})
	if err != nil {
		rt.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: entries})
	w.m = m
	m.Run(m.Now() + 1_000_000)
	return w
}

// topAgent makes a top-level container with limits l (own namespace) and starts its
// first agent through the kernel's Go API; nil if either is refused.
func (w *pidWorld) topAgent(name string, l abi.ContainerLimits) *agent {
	k, err := w.m.CreateContainer(w.m.RootContainer(), name, l)
	if err != nil {
		return nil
	}
	c := &ctrModel{k: k, ns: w.newNS(nil)}
	w.ctrs = append(w.ctrs, c)
	a := w.newAgent(c)
	if a == nil {
		return nil
	}
	task, err := w.m.CreateTask(k.Budget(), kernel.TaskSpec{Name: a.name, Entry: agentBase + uint64(a.i)*0x1000,
		StackPages: 2, Container: k, SystemRights: abi.RightRead | abi.RightWrite})
	if err != nil {
		a.ctr = nil
		return nil
	}
	w.m.StartTask(task)
	a.k = task
	w.register(a, nil, c.ns)
	w.m.Run(w.m.Now() + 1_000_000_000)
	return a
}

// liveAgents returns the agents whose tasks are live.
func (w *pidWorld) liveAgents() []*agent {
	var live []*agent
	for _, a := range w.agents {
		if a.live() {
			live = append(live, a)
		}
	}
	return live
}

// checkRecords checks records returned by TaskInfo calls through view (from ids
// from[i] on): each names a task inside view, with its model id and parent id there,
// and no live task inside with an id in [from[i], record id) was skipped. last says
// the records end a listing (no live task inside after them).
func (w *pidWorld) checkRecords(what string, view *ctrModel, from []uint64, recs []abi.TaskInfo, last bool) {
	for i, r := range recs {
		t := view.ns.byID[r.ID]
		switch {
		case t == nil:
			w.rt.Fatalf("%s: id %d names no task of %s's namespace", what, r.ID, view.k.Name())
		case !view.contains(t.ctr):
			w.rt.Fatalf("%s: id %d resolved to %s in %s, outside %s", what, r.ID, t.name, t.ctr.k.Name(), view.k.Name())
		case r.Name != t.name:
			w.rt.Fatalf("%s: id %d is %s in the model, %q in the kernel's record", what, r.ID, t.name, r.Name)
		case r.ID < from[i]:
			w.rt.Fatalf("%s: asked from %d, got %d", what, from[i], r.ID)
		case r.Parent != t.ppids[view.ns]:
			w.rt.Fatalf("%s: %s's parent id %d, model %d", what, t.name, r.Parent, t.ppids[view.ns])
		}
		w.noneSkipped(what, view, from[i], r.ID)
	}
	if last {
		start := uint64(0)
		if n := len(recs); n > 0 {
			start = recs[n-1].ID + 1
		} else if len(from) > 0 {
			start = from[0]
		}
		w.noneSkipped(what, view, start, ^uint64(0))
	}
}

// noneSkipped fails if a live task inside view has an id in [lo, hi).
func (w *pidWorld) noneSkipped(what string, view *ctrModel, lo, hi uint64) {
	for _, a := range w.liveAgents() {
		if id, ok := a.ids[view.ns]; ok && view.contains(a.ctr) && id >= lo && id < hi {
			w.rt.Fatalf("%s: live %s (id %d in %s) was skipped between %d and %d", what, a.name, id, view.k.Name(), lo, hi)
		}
	}
}

// target returns what id names for view in the model: a live task inside it.
func (w *pidWorld) target(view *ctrModel, id uint64) (*agent, bool) {
	t := view.ns.byID[id]
	if t == nil || !view.contains(t.ctr) {
		if t != nil && t.live() {
			pidStats["named a live task outside"]++
		}
		return nil, false
	}
	return t, true
}

// pickID draws an id worth asking for through view: often one the model knows in
// view's namespace for a live task (inside or not), sometimes any small one.
func (w *pidWorld) pickID(rt *rapid.T, view *ctrModel) uint64 {
	var live []uint64
	for id := uint64(1); id <= view.ns.next; id++ {
		if a := view.ns.byID[id]; a.live() {
			live = append(live, id)
		}
	}
	if len(live) > 0 && rapid.Bool().Draw(rt, "a live id") {
		return rapid.SampledFrom(live).Draw(rt, "id")
	}
	return rapid.Uint64Range(0, view.ns.next+2).Draw(rt, "id")
}

// pidStats counts what the runs did, so that a run that never tests anything fails.
var pidStats = map[string]int{}

func TestPIDNamespaceModel(t *testing.T) {
	clear(pidStats)
	defer func() {
		t.Logf("%v", pidStats)
		for _, what := range []string{"kill ok", "signal ok", "startin", "shared", "named a live task outside", "listed"} {
			if pidStats[what] == 0 && !t.Failed() {
				t.Errorf("no run had a %q step: the model tests too little", what)
			}
		}
	}()
	rapid.Check(t, func(rt *rapid.T) {
		w := bootAgents(rt)
		m := w.m
		check := func(step string) {
			if err := m.CheckInvariants(); err != nil {
				rt.Fatalf("after %s: %v", step, err)
			}
			for _, a := range w.agents {
				if !a.live() {
					continue
				}
				if a.got != a.sent {
					rt.Fatalf("after %s: %s received signal bits %#x, was sent %#x", step, a.name, a.got, a.sent)
				}
				if a.k.Container() != a.ctr.k || a.k.PID() != a.ids[a.ctr.ns] {
					rt.Fatalf("after %s: %s is id %d in %s; model: id %d in %s", step, a.name, a.k.PID(), a.k.Container().Name(), a.ids[a.ctr.ns], a.ctr.k.Name())
				}
			}
		}
		// endedSince returns the agents live in before and not now.
		snapshot := func() map[*agent]bool {
			live := map[*agent]bool{}
			for _, a := range w.liveAgents() {
				live[a] = true
			}
			return live
		}
		ended := func(before map[*agent]bool) []*agent {
			var gone []*agent
			for a := range before {
				if !a.live() {
					gone = append(gone, a)
				}
			}
			return gone
		}
		pickAgent := func(rt *rapid.T) *agent {
			live := w.liveAgents()
			if len(live) == 0 {
				rt.Skip("no live agent")
			}
			return live[rapid.IntRange(0, len(live)-1).Draw(rt, "agent")]
		}
		// pickNested returns a live agent holding a container it made (not destroyed),
		// the slot and the container.
		pickNested := func(rt *rapid.T) (*agent, abi.CPtr, *ctrModel) {
			type held struct {
				a *agent
				i int
			}
			var all []held
			for _, a := range w.liveAgents() {
				for i, c := range a.nested {
					if c != nil && c.k.State() != abi.ContainerDestroyed {
						all = append(all, held{a, i})
					}
				}
			}
			if len(all) == 0 {
				rt.Skip("no nested container")
			}
			h := all[rapid.IntRange(0, len(all)-1).Draw(rt, "nested")]
			return h.a, agentCtrSlot + abi.CPtr(h.i), h.a.nested[h.i]
		}
		// pickView returns an agent and what it asks through: its System (its own
		// container) or a container it made.
		pickView := func(rt *rapid.T) (*agent, abi.CPtr, *ctrModel) {
			if rapid.Bool().Draw(rt, "through nested") {
				return pickNested(rt)
			}
			a := pickAgent(rt)
			return a, abi.ContainerSlotSystem, a.ctr
		}
		n := 0
		actions := map[string]func(*rapid.T){
			"": func(rt *rapid.T) { check("a step") },
			// The driver makes a top-level container (own namespace) and its first agent.
			"top": func(rt *rapid.T) {
				if len(m.RootContainer().Children()) >= pidModelTopMax {
					rt.Skip("enough top-level containers")
				}
				n++
				if w.topAgent(fmt.Sprintf("top%d", n), abi.ContainerLimits{
					Memory: 4 << 20, MaxTasks: rapid.Uint64Range(2, 8).Draw(rt, "tasks"), Priority: 150}) == nil {
					rt.Fatalf("top-level container or its first agent refused")
				}
				check("top")
			},
			// An agent starts another in its own container through its System object.
			"spawn": func(rt *rapid.T) {
				a := pickAgent(rt)
				b := w.newAgent(a.ctr)
				if b == nil {
					rt.Skip("no agent left")
				}
				var pid uint64
				var err error
				w.call(a, func(e *user.Env) { pid, err = e.StartProgram(abi.ContainerSlotSystem, []string{b.name}, 0, 0, 0) })
				if err != nil {
					b.ctr = nil
					check("refused spawn")
					return
				}
				w.register(b, a, a.ctr.ns)
				w.started(b)
				if pid != b.ids[a.ctr.ns] {
					rt.Fatalf("spawn in %s returned id %d; model %d", a.ctr.k.Name(), pid, b.ids[a.ctr.ns])
				}
				check("spawn")
			},
			// An agent makes a nested container, with its own namespace or its
			// parent's.
			"nest": func(rt *rapid.T) {
				a := pickAgent(rt)
				i := rapid.IntRange(0, agentCtrSlots-1).Draw(rt, "slot")
				if a.nested[i] != nil && a.nested[i].k.State() != abi.ContainerDestroyed {
					rt.Skip("slot taken")
				}
				shared := rapid.Bool().Draw(rt, "shared")
				l := abi.ContainerLimits{Memory: rapid.SampledFrom([]uint64{256 << 10, 512 << 10, 1 << 20}).Draw(rt, "mem"),
					MaxTasks: rapid.Uint64Range(1, 4).Draw(rt, "tasks"), Priority: 150}
				if shared {
					l.Flags = abi.ContainerSharedPID
				}
				n++
				name := fmt.Sprintf("n%d", n)
				var id uint64
				var err error
				slot := agentCtrSlot + abi.CPtr(i)
				w.call(a, func(e *user.Env) {
					e.Delete(abi.InitSlotCSpace, slot) // a destroyed container's capability
					id, err = e.CreateContainer(abi.ContainerSlotSystem, name, l, slot)
				})
				if err != nil {
					check("refused nest")
					return
				}
				c := &ctrModel{parent: a.ctr, ns: a.ctr.ns}
				if !shared {
					c.ns = w.newNS(a.ctr.ns)
				}
				for _, k := range m.Containers() {
					if k.ContainerID() == id {
						c.k = k
					}
				}
				if c.k == nil || c.k.Parent() != a.ctr.k || c.k.Name() != name {
					rt.Fatalf("nested container %d: %v", id, c.k)
				}
				w.ctrs = append(w.ctrs, c)
				a.nested[i] = c
				pidStats["nest"]++
				if shared {
					pidStats["shared"]++
				}
				check("nest")
			},
			// An agent starts an agent in a container it made.
			"startin": func(rt *rapid.T) {
				a, slot, c := pickNested(rt)
				b := w.newAgent(c)
				if b == nil {
					rt.Skip("no agent left")
				}
				var pid uint64
				var err error
				w.call(a, func(e *user.Env) {
					pid, err = e.StartInContainer(slot, []string{b.name}, 0, 0, abi.RightRead|abi.RightWrite, 0)
				})
				if err != nil {
					b.ctr = nil
					check("refused start")
					return
				}
				w.register(b, a, c.ns)
				w.started(b)
				if pid != b.ids[c.ns] {
					rt.Fatalf("start in %s returned id %d; model %d", c.k.Name(), pid, b.ids[c.ns])
				}
				pidStats["startin"]++
				check("startin")
			},
			// An agent lists the tasks it can see, through its System or a container
			// it made.
			"list": func(rt *rapid.T) {
				a, cap, view := pickView(rt)
				var ts []abi.TaskInfo
				var err error
				w.call(a, func(e *user.Env) {
					if cap == abi.ContainerSlotSystem {
						ts, err = e.Tasks(cap)
					} else {
						ts, err = e.ContainerTasks(cap)
					}
				})
				if err != nil {
					rt.Fatalf("%s lists %s: %v", a.name, view.k.Name(), err)
				}
				from := make([]uint64, len(ts))
				for i := 1; i < len(ts); i++ {
					from[i] = ts[i-1].ID + 1
				}
				w.checkRecords(a.name+" lists "+view.k.Name(), view, from, ts, true)
				pidStats["list"]++
				pidStats["listed"] += len(ts)
				check("list")
			},
			// An agent reads one task's record, its status or its capabilities by id.
			"lookup": func(rt *rapid.T) {
				a := pickAgent(rt)
				id := w.pickID(rt, a.ctr)
				how := rapid.IntRange(0, 2).Draw(rt, "how")
				var info abi.TaskInfo
				var state abi.TaskState
				var err error
				w.call(a, func(e *user.Env) {
					switch how {
					case 0:
						info, err = e.TaskInfo(abi.ContainerSlotSystem, id)
					case 1:
						state, _, err = e.TaskStatus(abi.ContainerSlotSystem, id)
					case 2:
						_, _, err = e.TaskCap(abi.ContainerSlotSystem, id, 0)
					}
				})
				what := fmt.Sprintf("%s looks up %d (%d)", a.name, id, how)
				if how == 0 {
					if err == nil {
						w.checkRecords(what, a.ctr, []uint64{id}, []abi.TaskInfo{info}, false)
					} else if errors.Is(err, abi.ErrNotFound) {
						w.checkRecords(what, a.ctr, []uint64{id}, nil, true)
					} else {
						rt.Fatalf("%s: %v", what, err)
					}
					check("lookup")
					return
				}
				t, ok := w.target(a.ctr, id)
				switch {
				case !ok && !errors.Is(err, abi.ErrNotFound):
					rt.Fatalf("%s: names nothing inside, but the call gave %v", what, err)
				case ok && t.live() && err != nil && how == 1:
					rt.Fatalf("%s: %s is live inside, but the call gave %v", what, t.name, err)
				case ok && err == nil && how == 1 && state != t.k.State():
					rt.Fatalf("%s: %s is %v, the call said %v", what, t.name, t.k.State(), state)
				}
				check("lookup")
			},
			// An agent kills an id through its System or a container it made.
			"kill": func(rt *rapid.T) {
				a, cap, view := pickView(rt)
				id := w.pickID(rt, view)
				before := snapshot()
				var err error
				w.call(a, func(e *user.Env) {
					if cap == abi.ContainerSlotSystem {
						err = e.Kill(cap, id)
					} else {
						err = e.KillInContainer(cap, id)
					}
				})
				what := fmt.Sprintf("%s kills %d in %s", a.name, id, view.k.Name())
				gone := ended(before)
				t, ok := w.target(view, id)
				switch {
				case !ok && !errors.Is(err, abi.ErrNotFound):
					rt.Fatalf("%s: names nothing inside, but the call gave %v", what, err)
				case ok && before[t] && t != a && (err != nil || t.live()):
					rt.Fatalf("%s: %s was live inside; the call gave %v and it is %v", what, t.name, err, t.k.State())
				case err != nil && len(gone) > 0:
					rt.Fatalf("%s: refused (%v), but %s ended", what, err, gone[0].name)
				}
				for _, g := range gone {
					if !view.contains(g.ctr) {
						rt.Fatalf("%s: %s in %s, outside, ended", what, g.name, g.ctr.k.Name())
					}
				}
				pidStats["kill"]++
				if err == nil {
					pidStats["kill ok"]++
				}
				check("kill")
			},
			// An agent signals an id in a container it made.
			"signal": func(rt *rapid.T) {
				a, cap, view := pickNested(rt)
				id := w.pickID(rt, view)
				w.bit = w.bit%60 + 1
				bit := uint64(1) << w.bit
				var err error
				w.call(a, func(e *user.Env) { err = e.SignalInContainer(cap, id, abi.Badge(bit)) })
				what := fmt.Sprintf("%s signals %d in %s", a.name, id, view.k.Name())
				t, ok := w.target(view, id)
				switch {
				case !ok && !errors.Is(err, abi.ErrNotFound):
					rt.Fatalf("%s: names nothing inside, but the call gave %v", what, err)
				case ok && t.live() && err != nil:
					rt.Fatalf("%s: %s is live inside, but the call gave %v", what, t.name, err)
				case ok && t.live():
					t.sent |= bit
				}
				pidStats["signal"]++
				if err == nil {
					pidStats["signal ok"]++
				}
				check("signal")
			},
			// An agent destroys a container it made.
			"destroy": func(rt *rapid.T) {
				a, cap, c := pickNested(rt)
				before := snapshot()
				var err error
				w.call(a, func(e *user.Env) { err = e.DestroyContainer(cap) })
				if err != nil {
					rt.Fatalf("%s destroys %s: %v", a.name, c.k.Name(), err)
				}
				for _, g := range ended(before) {
					if !c.contains(g.ctr) {
						rt.Fatalf("destroying %s ended %s in %s", c.k.Name(), g.name, g.ctr.k.Name())
					}
				}
				check("destroy")
			},
		}
		// Starting agents in nested containers and signalling them are weighted up,
		// so that most runs have namespaces with several tasks to confuse.
		actions["startin again"] = actions["startin"]
		actions["signal again"] = actions["signal"]
		for range 5 {
			rt.Repeat(actions)
		}
	})
}
