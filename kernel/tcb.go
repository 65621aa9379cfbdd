package kernel

import (
	"fmt"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// ThreadState is where a thread is in its life. A thread is in at most one queue, and
// which one follows from its state: Ready threads are in the scheduler's queue for their
// priority, BlockedOnSend and BlockedOnRecv threads in an endpoint's queue,
// BlockedOnNotification threads in a notification's queue.
//
// Transitions (setState refuses any other; see states.dot):
//
//	Inactive  → Ready (Resume with an entry point)
//	Ready     → Running (picked) | Suspended | Inactive (WriteRegisters restarts it)
//	Running   → Ready (preempted, yielded, slice over) | Blocked* | Suspended | Inactive (exited)
//	Blocked*  → Ready (partner arrived, cancelled) | Suspended
//	Suspended → Ready (Resume) | Inactive (WriteRegisters)
type ThreadState uint8

const (
	// Inactive: never started, or its program ended. Resume starts it at its entry point.
	Inactive ThreadState = iota
	// Running: on the CPU. Exactly one thread is Running while the CPU is not idle.
	Running
	// Ready: runnable, waiting in the scheduler's queue for its priority.
	Ready
	// BlockedOnSend: in Send or Call (or a fault message), queued on an endpoint until a receiver comes.
	BlockedOnSend
	// BlockedOnRecv: in Recv, queued on an endpoint until a sender comes.
	BlockedOnRecv
	// BlockedOnReply: in Call (or faulted), waiting for the reply through a Reply object.
	BlockedOnReply
	// BlockedOnNotification: in Wait, queued on a notification until it is signalled.
	BlockedOnNotification
	// Suspended: stopped by TCB Suspend or by an unhandled fault; Resume makes it Ready.
	Suspended
	// BlockedExternal: blocked by its personality (a Linux futex, sleep or poll), until
	// the personality wakes it or its deadline passes.
	BlockedExternal
	numStates
)

var stateNames = [...]string{"inactive", "running", "ready", "blocked-send", "blocked-recv",
	"blocked-reply", "blocked-notification", "suspended", "blocked-external"}

func (s ThreadState) String() string {
	if s < numStates {
		return stateNames[s]
	}
	return fmt.Sprintf("ThreadState(%d)", s)
}

func (s ThreadState) blocked() bool {
	return s >= BlockedOnSend && s <= BlockedOnNotification || s == BlockedExternal
}

// legal[from] is the set of states reachable from from.
var legal = [numStates]uint16{
	Inactive:              1 << Ready,
	Ready:                 1<<Running | 1<<Suspended | 1<<Inactive,
	Running:               1<<Ready | 1<<BlockedOnSend | 1<<BlockedOnRecv | 1<<BlockedOnReply | 1<<BlockedOnNotification | 1<<Suspended | 1<<Inactive | 1<<BlockedExternal,
	BlockedOnSend:         1<<Ready | 1<<Suspended | 1<<BlockedOnReply,
	BlockedOnRecv:         1<<Ready | 1<<Suspended,
	BlockedOnReply:        1<<Ready | 1<<Suspended,
	BlockedOnNotification: 1<<Ready | 1<<Suspended,
	Suspended:             1<<Ready | 1<<Inactive,
	BlockedExternal:       1<<Ready | 1<<Suspended | 1<<BlockedOnSend | 1<<BlockedOnReply, // a personality's wait becomes a call (PersonalityCall)
}

// Private slots of a TCB: copies of the capabilities it was configured with, children
// of the originals, so that revoking an original also unbinds the thread.
const (
	tcbSlotCSpace = iota + 1
	tcbSlotAddressSpace
	tcbSlotIPCBuffer
	tcbSlotFault
	tcbSlots
)

// TCB is a thread control block: a thread's saved user context, scheduling state and
// the capabilities that define its world. A TCB is data, not a goroutine; the kernel
// loop runs threads one at a time on the CPU.
type TCB struct {
	objBase
	ctx   hal.Context // saved user registers, opaque to the kernel
	state ThreadState
	slots capability.Space // private: CSpace root, address space, IPC buffer frame, fault endpoint
	ipcVA uint64           // user address of the IPC buffer

	prio      uint8    // scheduling priority
	mcp       uint8    // maximum controlled priority: the highest priority this TCB may grant
	slice     hal.Time // time slice length
	sliceLeft hal.Time // what remains of the current slice
	cpu       CPUBudget

	next, prev *TCB // links in the one queue the state puts the thread in

	// IPC state, meaningful only in the blocked states.
	waitEP    *Endpoint        // BlockedOnSend, BlockedOnRecv
	waitNtfn  *Notification    // BlockedOnNotification
	reply     *Reply           // BlockedOnRecv: Reply to bind to a caller; BlockedOnReply: the Reply awaited
	sendBadge abi.Badge        // BlockedOnSend: badge of the capability sent through
	sendGrant bool             // BlockedOnSend: may transfer capabilities
	sendCall  bool             // BlockedOnSend: a Call (wants a reply)
	recvGrant bool             // BlockedOnRecv: the Reply to a call received may carry capabilities
	fault     faultMsg         // a fault being delivered; kind FaultNone otherwise
	wakeAt    hal.Time         // BlockedExternal: when the personality's wait times out (hal.Forever: never)
	pcall     bool             // a PersonalityCall is under way: CallDone runs before the thread next enters user mode
	pgrant    *capability.Slot // the capability the PersonalityCall grants (in place of the IPC buffer's), or nil

	// Personality serves this thread's system calls outside Skyscope's range and its
	// page faults (the Linux ABI for static Go programs); nil for native threads.
	Personality Personality

	task       *Task    // the task the thread belongs to, or nil (threads made by Retype)
	cpuTime    hal.Time // CPU time used since creation
	cpuCharged hal.Time // the part of cpuTime already charged to its containers (chargeGroups)
	// ctr is the container the thread runs in (nil: the root), whose CPU budget and
	// priority ceiling bind it: its task's, or for a thread made by Retype, the
	// container of the budget it was made from. Immutable.
	ctr *Container

	// Name is a label for diagnostics (the kernel log and the shell's ps).
	Name string
}

// faultMsg is a fault the kernel sends on a thread's behalf.
type faultMsg struct {
	kind  abi.FaultKind
	words [abi.FaultMsgLen]uint64
}

func (k *Kernel) newTCB() *TCB {
	t := &TCB{ctx: k.cpu.NewContext(), slice: k.cfg.TimeSlice}
	k.threads = append(k.threads, t)
	t.k = k
	t.sliceLeft = t.slice
	t.slots.Init(tcbSlots)
	t.slots.Owner = t
	return t
}

// Type implements capability.Object.
func (t *TCB) Type() abi.ObjectType { return abi.ObjTCB }

// Regs returns the thread's system-call registers, for a Personality serving its calls.
func (t *TCB) Regs() *abi.Regs { return t.ctx.Regs() }

// SetTLS sets the thread's TLS base (for personalities: Linux's arch_prctl).
func (t *TCB) SetTLS(base uint64) { t.ctx.SetTLS(base) }

// UserRegs returns the thread's whole register file (for personalities: signal
// frames); false on a machine that cannot give it.
func (t *TCB) UserRegs() (hal.UserRegs, bool) { return t.ctx.UserRegs() }

// SetUserRegs replaces the thread's whole register file (for personalities: signal
// delivery and return).
func (t *TCB) SetUserRegs(r hal.UserRegs) bool { return t.ctx.SetUserRegs(r) }

// ResetEntry restarts a thread that has not run yet (or is inactive) at pc, keeping its
// stack pointer and argument as configured: for loaders that choose the program after
// the kernel booted (and for tests).
func (t *TCB) ResetEntry(pc uint64) {
	t.ctx.SetEntry(pc, t.ctx.SP(), t.ipcVA)
}

// SetStack sets the thread's user stack pointer (for personalities: clone).
func (t *TCB) SetStack(sp uint64) { t.ctx.SetStack(sp) }

// CPUTime returns the CPU time the thread has used.
func (t *TCB) CPUTime() hal.Time { return t.cpuTime }

// State returns the thread's state.
func (t *TCB) State() ThreadState { return t.state }

// Priority returns the thread's priority.
func (t *TCB) Priority() uint8 { return t.prio }

// Finalize implements capability.Object: the thread stops for good, leaves every queue,
// and its private capabilities are deleted.
func (t *TCB) Finalize(tree *capability.Tree) {
	k := t.k
	k.cancelIPC(t)
	k.dropSleeper(t)
	if t.task != nil && t.task.thread != t {
		t.task.deadCPU += int64(t.cpuTime)
	}
	if t.state == Ready {
		k.sched.remove(t)
	}
	if k.cur == t {
		k.cur = nil
	}
	t.state = Inactive
	t.ctx.Release()
	for i, x := range k.threads {
		if x == t {
			k.threads = append(k.threads[:i], k.threads[i+1:]...)
			break
		}
	}
	for i := 1; i < tcbSlots; i++ {
		tree.DeleteLocked(t.slots.At(i))
	}
	t.release()
}

// setState moves t to state s, refusing transitions the state machine does not have:
// an illegal one is a kernel bug. Queue membership is the caller's business.
func (t *TCB) setState(s ThreadState) {
	if legal[t.state]&(1<<s) == 0 {
		illegalTransition(t.state, s)
	}
	t.state = s
}

// illegalTransition stops the kernel on a thread state change the state machine does
// not allow. It is apart from setState so that setState, on every IPC path, inlines.
//
//go:noinline
func illegalTransition(from, to ThreadState) {
	panic(fmt.Sprintf("kernel: illegal thread transition %v → %v", from, to))
}

// cspace returns the thread's capability space, or nil if it has none.
func (t *TCB) cspace() *capability.Space {
	if c, ok := t.slots.At(tcbSlotCSpace).Object().(*CSpace); ok {
		return &c.Space
	}
	return nil
}

// pageTable returns the thread's page table, or nil if it has no address space.
func (t *TCB) pageTable() hal.PageTable {
	if a, ok := t.slots.At(tcbSlotAddressSpace).Object().(*AddressSpace); ok {
		return a.pt
	}
	return nil
}

// ipcBuffer returns the thread's IPC buffer frame contents, or nil.
func (t *TCB) ipcBuffer() *[abi.PageSize]byte {
	if f, ok := t.slots.At(tcbSlotIPCBuffer).Object().(*Frame); ok {
		return f.Bytes()
	}
	return nil
}

// CPUBudget limits a thread to Budget of CPU time in every Period (like cgroup
// cpu.max). A zero Period means no limit of its own. A thread inside a container is
// also bound by its container's budget and every enclosing container's (group): the
// budgets the container's threads share, charged with the CPU time of each of them.
type CPUBudget struct {
	Budget, Period hal.Time
	used           hal.Time   // consumed in the current period
	start          hal.Time   // start of the current period
	group          *CPUBudget // the enclosing container's budget, or nil; immutable
}

// own reports whether b has a limit of its own.
func (b *CPUBudget) own() bool { return b.Period > 0 }

// limited reports whether b or an enclosing budget limits the thread.
func (b *CPUBudget) limited() bool {
	if b.group == nil {
		return b.own() // decided inline for a thread in no container: the IPC path
	}
	for x := b; x != nil; x = x.group {
		if x.own() {
			return true
		}
	}
	return false
}

// refresh starts a new period if the current one is over.
func (b *CPUBudget) refresh(now hal.Time) {
	if b.own() && now >= b.start+b.Period {
		b.start = now - (now-b.start)%b.Period
		b.used = 0
	}
}

// remaining returns the CPU time the thread may run from now: the least any of the
// budgets that bind the thread has left in its current period, and never past the
// end of that period — time run after it belongs to the next period, and charging it
// to this one would let the thread run its whole budget again on top of it (what
// TestContainerCPUBudgetModel found).
func (b *CPUBudget) remaining(now hal.Time) hal.Time {
	if b.group == nil && !b.own() {
		return hal.Forever // unlimited: decided inline, as the IPC path asks every time
	}
	return b.remainingLimited(now)
}

// remainingLimited is remaining for a thread some budget binds.
func (b *CPUBudget) remainingLimited(now hal.Time) hal.Time {
	left := hal.Forever
	for x := b; x != nil; x = x.group {
		if x.own() {
			x.refresh(now)
			left = min(left, max(0, x.Budget-x.used))
			if left > 0 {
				left = min(left, x.start+x.Period-now)
			}
		}
	}
	return left
}

// replenish returns when the next period of every spent budget has started: the
// earliest time remaining can be positive again.
func (b *CPUBudget) replenish() hal.Time {
	at := hal.Time(0)
	for x := b; x != nil; x = x.group {
		if x.own() && x.used >= x.Budget {
			at = max(at, x.start+x.Period)
		}
	}
	if at == 0 {
		return hal.Forever
	}
	return at
}

// chargeGroups charges the CPU time t used since the last call to every container
// budget that binds it. Run charges the thread's own budget; the kernel calls this
// first thing for every trap, so a container's budget is current whenever the
// scheduler or Run's deadline reads it.
func (k *Kernel) chargeGroups(t *TCB) {
	d := t.cpuTime - t.cpuCharged
	t.cpuCharged = t.cpuTime
	if d <= 0 || t.ctr == nil {
		return
	}
	now := k.cpu.Now()
	for c := t.ctr; c != nil; c = c.parent {
		c.cpuTime += d
		if c.cpu.own() {
			c.cpu.refresh(now - d)
			c.cpu.used += d
		}
	}
}
