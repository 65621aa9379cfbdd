package kernel_test

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// confinement operation kinds, drawn per task before the run.
const (
	cfRetype = iota // a new endpoint, notification or capability space from the task's budget
	cfCopy          // Copy with a rights mask
	cfMint          // Mint with a mask and a badge
	cfDelete
	cfRevoke
	cfSend // Send on a slot, transferring a capability: blocking on the link, else NBSend
	cfRecv // Recv on a slot into a receive slot: blocking on the link, else NBRecv
	cfYield
)

var cfKindWeights = []int{cfRetype, cfCopy, cfMint, cfDelete, cfRevoke, cfSend, cfSend, cfSend, cfRecv, cfRecv, cfRecv, cfYield}

type cfOp struct {
	kind      int
	a, b, c   abi.CPtr
	rights    abi.Rights
	badge     abi.Badge
	objType   abi.ObjectType
	transfers bool
}

const (
	cfSlots   = 10 // operations use slots InitFirstFree … InitFirstFree+cfSlots-1
	cfWaitPC  = 0x7a_0000
	cfParkRef = 250                   // slot of the notification a task waits on when its plan is done
	cfLink    = abi.InitFirstFree + 1 // where a task finds the link, if it has one
)

// cfRun executes a plan in a task: every operation may fail; failures are fine.
func cfRun(e *user.Env, plan []cfOp) {
	const cs = abi.InitSlotCSpace
	for _, op := range plan {
		switch op.kind {
		case cfRetype:
			e.Retype(abi.InitSlotUntyped, op.objType, 0, cs, op.a, 1)
		case cfCopy:
			e.Copy(cs, op.a, cs, op.b, op.rights)
		case cfMint:
			e.Mint(cs, op.a, cs, op.b, op.rights, op.badge)
		case cfDelete:
			e.Delete(cs, op.a)
		case cfRevoke:
			e.Revoke(cs, op.a)
		case cfSend:
			caps := 0
			if op.transfers {
				e.SetCap(0, op.b)
				caps = 1
			}
			if op.a == cfLink {
				e.Send(op.a, abi.NewMsgInfo(0, 0, caps))
			} else {
				e.NBSend(op.a, abi.NewMsgInfo(0, 0, caps))
			}
		case cfRecv:
			e.SetRecvSlot(0, op.c)
			if op.a == cfLink {
				e.Recv(op.a, 0)
			} else {
				e.NBRecv(op.a, 0)
			}
		case cfYield:
			e.Yield()
		}
	}
	e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, cs, cfParkRef, 1)
	e.Wait(cfParkRef) // stay alive, so that the test can read the capability space
}

func drawPlan(t *rapid.T, name string) []cfOp {
	slot := func(label string) abi.CPtr {
		return abi.CPtr(rapid.IntRange(1, int(abi.InitFirstFree)+cfSlots-1).Draw(t, label))
	}
	free := func(label string) abi.CPtr {
		return abi.InitFirstFree + abi.CPtr(rapid.IntRange(0, cfSlots-1).Draw(t, label))
	}
	n := rapid.IntRange(0, 24).Draw(t, name+"ops")
	plan := make([]cfOp, n)
	for i := range plan {
		p := fmt.Sprintf("%s%d", name, i)
		// Send and Recv three times as often as the others, so that transfers happen.
		op := cfOp{kind: rapid.SampledFrom(cfKindWeights).Draw(t, p+"kind")}
		op.a, op.b, op.c = slot(p+"a"), slot(p+"b"), free(p+"c")
		switch op.kind {
		case cfRetype, cfCopy, cfMint:
			op.a = free(p + "dst")
		case cfDelete, cfRevoke:
			op.a = free(p + "del") // deleting its own root capability space only ends the task
		case cfSend, cfRecv:
			// Mostly the link (granted second, at InitFirstFree+1), so that transfers
			// happen; receive into a slot that is likely empty.
			if rapid.IntRange(0, 4).Draw(t, p+"onLink") > 0 {
				op.a = cfLink
				// Mostly a capability the task surely holds: its initial slots.
				if rapid.IntRange(0, 3).Draw(t, p+"ownSrc") > 0 {
					op.b = abi.CPtr(rapid.IntRange(1, int(abi.InitFirstFree)).Draw(t, p+"src"))
					op.transfers = true
				}
			}
			op.c = abi.InitFirstFree + 2 + abi.CPtr(rapid.IntRange(0, cfSlots-3).Draw(t, p+"recv"))
		}
		op.rights = abi.Rights(rapid.IntRange(0, int(abi.AllRights)).Draw(t, p+"rights"))
		op.badge = abi.Badge(rapid.IntRange(0, 3).Draw(t, p+"badge"))
		op.objType = rapid.SampledFrom([]abi.ObjectType{abi.ObjEndpoint, abi.ObjNotification, abi.ObjCSpace}).Draw(t, p+"type")
		op.transfers = rapid.Bool().Draw(t, p+"transfers")
		plan[i] = op
	}
	return plan
}

// held returns every capability reachable from space, through capability spaces it
// names, as (object, rights).
func held(space *capability.Space) map[capability.Object]abi.Rights {
	out := map[capability.Object]abi.Rights{}
	seen := map[*capability.Space]bool{}
	var walk func(sp *capability.Space)
	walk = func(sp *capability.Space) {
		if sp == nil || seen[sp] {
			return
		}
		seen[sp] = true
		for i := 0; i < sp.Len(); i++ {
			s := sp.At(i)
			if s.Empty() {
				continue
			}
			o := s.Object()
			out[o] |= s.Rights()
			walk(kernel.CSpaceOf(o))
		}
	}
	walk(space)
	return out
}

var cfStats struct{ runs, flows, transferred int }

// TestAuthorityConfinement (seed verification target 2, capability confinement, as
// seL4's authority confinement): two tasks A and B start with their own budgets and
// an endpoint each, and maybe a shared endpoint L (the link) with random rights on
// each side; then each runs a random plan of capability operations and IPC with
// capability transfer, interleaved by the scheduler. Afterwards every capability a
// task can reach (through capability spaces it holds, too) names an object that is
// its own — made from its budget, its budget itself, or granted to it at start — or
// the other task's only if the link's rights let the other send it one (the sender's
// Write and Grant, the receiver's Read). Rights to L never exceed what the task was
// given, or what the other side could send it.
func TestAuthorityConfinement(t *testing.T) {
	cfStats = struct{ runs, flows, transferred int }{}
	for i := 0; i < 5 && !t.Failed(); i++ { // 5 × -rapid.checks runs
		rapid.Check(t, cfCheck)
	}
	t.Logf("%d runs: %d with a link that can carry capabilities, %d in which a capability crossed it", cfStats.runs, cfStats.flows, cfStats.transferred)
	if cfStats.transferred == 0 {
		t.Fatal("no capability ever crossed a link: the plans do not reach the transfer path, so the check proves nothing")
	}
}

func cfCheck(rt *rapid.T) {
	link := rapid.IntRange(0, 3).Draw(rt, "link") > 0
	// Each right with probability 3/4, so that links that carry capabilities are common.
	biased := func(label string) abi.Rights {
		var r abi.Rights
		for _, b := range []abi.Rights{abi.RightRead, abi.RightWrite, abi.RightGrant, abi.RightGrantReply} {
			if rapid.IntRange(0, 3).Draw(rt, label) > 0 {
				r |= b
			}
		}
		return r
	}
	rightsOf := [2]abi.Rights{biased("rightsA"), biased("rightsB")}
	plans := [2][]cfOp{drawPlan(rt, "A"), drawPlan(rt, "B")}
	var eps [2]abi.CPtr
	var lk abi.CPtr
	var setupErr error
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true},
		Programs: map[uint64]usersim.Program{
			cfWaitPC:     func(e *user.Env) { cfRun(e, plans[0]) },
			cfWaitPC + 8: func(e *user.Env) { cfRun(e, plans[1]) },
		},
		Init: func(e *user.Env) {
			slots := initSlots()
			take := func() abi.CPtr { c, _ := slots.Take(); return c }
			eps[0], eps[1], lk = take(), take(), take()
			for _, s := range []abi.CPtr{eps[0], eps[1], lk} {
				if err := e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, abi.InitSlotCSpace, s, 1); err != nil {
					setupErr = err
					return
				}
			}
			for i, name := range []string{"A", "B"} {
				grants := []abi.CPtr{eps[i]}
				if link {
					g := take()
					if err := e.Mint(abi.InitSlotCSpace, g, abi.InitSlotCSpace, lk, rightsOf[i], 0); err != nil {
						setupErr = err
						return
					}
					grants = append(grants, g)
				}
				if _, err := e.StartProgram(abi.InitSlotSystem, []string{name}, 1<<20, 0, 0, grants...); err != nil {
					setupErr = err
					return
				}
			}
		}})
	if err != nil {
		rt.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: map[string]uint64{"A": cfWaitPC, "B": cfWaitPC + 8}})
	m.Run(2_000_000_000)
	if setupErr != nil {
		rt.Fatal(setupErr)
	}
	if err := m.CheckInvariants(); err != nil {
		rt.Fatal(err)
	}
	initSpace := m.TaskOf(m.Init()).CSpace()
	obj := func(s abi.CPtr) capability.Object { return initSpace.At(int(s)).Object() }
	var tasks [2]*kernel.Task
	for _, task := range m.Tasks() { // the newest task of each name
		switch task.Name() {
		case "A":
			tasks[0] = task
		case "B":
			tasks[1] = task
		}
	}
	own := func(i int, o capability.Object) bool {
		b := tasks[i].Budget()
		return kernel.ObjectBudget(o) == b || o == capability.Object(b) || o == obj(eps[i]) || link && o == obj(lk)
	}
	// canSend[i]: task i can send the other a capability over the link.
	var canSend [2]bool
	for i := range canSend {
		r, other := rightsOf[i], rightsOf[1-i]
		canSend[i] = link && r.Has(abi.RightWrite|abi.RightGrant) && other.Has(abi.RightRead)
	}
	cfStats.runs++
	if canSend[0] || canSend[1] {
		cfStats.flows++
	}
	crossed := false
	for i, task := range tasks {
		if task == nil {
			rt.Fatalf("task %c was not started", 'A'+i)
		}
		if task.State() != kernel.TaskLive {
			continue // it deleted its own capability space, say: it holds nothing
		}
		for o, r := range held(task.CSpace()) {
			switch {
			case own(i, o):
				if link && o == obj(lk) {
					allowed := rightsOf[i]
					if canSend[1-i] {
						allowed |= rightsOf[1-i]
					}
					if r&^allowed != 0 {
						rt.Fatalf("task %c holds the link with rights %v; it was given %v and could receive %v", 'A'+i, r, rightsOf[i], allowed)
					}
				}
			case own(1-i, o) && canSend[1-i]:
				crossed = true
			default:
				rt.Fatalf("task %c holds %v object %p (budget %p), which is neither its own nor sendable to it (link %v, rights A %v B %v)",
					'A'+i, o.Type(), o, kernel.ObjectBudget(o), link, rightsOf[0], rightsOf[1])
			}
		}
	}
	if crossed {
		cfStats.transferred++
	}
}
