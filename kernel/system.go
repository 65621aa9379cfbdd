package kernel

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// System is the authority over tasks and the machine as an object: starting programs,
// listing and ending tasks, reading the kernel log, powering off. Init gets it at boot
// (abi.InitSlotSystem) and hands it on — to the shell, say — only where it is needed.
//
// Every container has a System object of its own, scoped to it: tasks started inside
// find it at abi.ContainerSlotSystem. Its task operations see only the container's
// pid namespace (ids of tasks outside do not exist: ErrNotFound), it starts programs
// inside the container, its memory figures are the container's, and it has no
// authority over the machine (SystemLog and SystemPowerOff: ErrNoRights).
type System struct {
	objBase
	ctr *Container // immutable; the container it is scoped to (nil: the machine's)
}

// ns returns the pid namespace the System object resolves ids in.
func (s *System) ns() *pidNS {
	if s.ctr == nil {
		return nil
	}
	return s.ctr.ns
}

// sees reports whether task t is visible through s: in its namespace and, for a
// container's System, inside the container (a container sharing its parent's
// namespace still sees only its own tasks).
func (s *System) sees(t *Task) bool {
	if s.ctr == nil {
		return true
	}
	if _, ok := t.pidIn(s.ctr.ns); !ok {
		return false
	}
	return s.ctr.ns != s.ctr.parent.ns || t.ctr != nil && s.ctr.contains(t.ctr)
}

// task returns the task with id pid as s sees it, or nil.
func (k *Kernel) sysTask(s *System, pid uint64) *Task {
	t := k.lookupTask(s.ns(), pid)
	if t == nil || !s.sees(t) {
		return nil
	}
	return t
}

func sysOf(inv *invocation) *System { return inv.slot.Object().(*System) }

// Type implements capability.Object.
func (s *System) Type() abi.ObjectType { return abi.ObjSystem }

// Finalize implements capability.Object.
func (s *System) Finalize(*capability.Tree) {}

// Loader starts programs by name for SystemSpawn: the platform's store of programs (the
// boot bundle) and the personality that runs them. It fills in spec's image, entry and
// stack, makes the task with CreateTask(parent budget, spec), prepares it and starts it
// with StartTask. Its error says what went wrong for the kernel log; the caller gets
// the Errno.
type Loader interface {
	Load(k *Kernel, budget *Untyped, argv []string, spec TaskSpec) (*Task, abi.Errno, error)
}

// SetLoader sets what SystemSpawn starts programs with.
func (k *Kernel) SetLoader(l Loader) { k.loader = l }

// PowerOffRequested reports whether a task asked the machine to power off (Run then
// returns StopPowerOff) and the exit status it asked for.
func (k *Kernel) PowerOffRequested() (bool, int) { return k.powerOff, k.powerStatus }

// logRingBytes is how much of the kernel log SystemLog can still read.
const logRingBytes = 64 << 10

// logRing keeps the newest logRingBytes of the kernel log.
type logRing struct {
	buf   [logRingBytes]byte
	total uint64 // bytes ever written
}

func (r *logRing) write(b []byte) {
	for _, c := range b {
		r.buf[r.total%logRingBytes] = c
		r.total++
	}
}

// read copies log bytes from offset off into b; it returns the count and the offset
// after them. Bytes overwritten since are skipped.
func (r *logRing) read(off uint64, b []byte) (int, uint64) {
	if r.total > logRingBytes && off < r.total-logRingBytes {
		off = r.total - logRingBytes
	}
	n := 0
	for off < r.total && n < len(b) {
		b[n] = r.buf[off%logRingBytes]
		n++
		off++
	}
	return n, off
}

// Log adds a line to the kernel log (and to the console unless the kernel is quiet),
// for personalities and the platform to report what they did.
func (k *Kernel) Log(format string, args ...any) { k.logf(format, args...) }

// ipcBytes returns the byte payload of an invocation (ConsoleWrite, SystemSpawn,
// SystemLog): the IPC buffer's message words from NumRegMRs on, MaxConsoleWrite bytes.
func ipcBytes(buf *[abi.PageSize]byte) []byte {
	off := abi.IPCBufMR + 8*abi.NumRegMRs
	return buf[off : off+MaxConsoleWrite]
}

func invSystemSpawn(k *Kernel, inv *invocation) abi.Errno {
	if inv.args[0] > MaxConsoleWrite {
		return abi.ErrRange
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	if k.loader == nil {
		return abi.ErrNotFound
	}
	return k.spawn(inv, ipcBytes(buf)[:inv.args[0]], func(budget *Untyped, argv []string, spec TaskSpec) (*Task, abi.Errno, error) {
		return k.loader.Load(k, budget, argv, spec)
	})
}

// spawnGrants collects the capabilities a start grants: the extra capabilities 1
// and 2, or with abi.SpawnGrantSpace in flags, capability 1 and then the slots 1, 2, …
// of the capability space in extra capability 2, up to its first empty slot, each
// with the rights it holds there.
func spawnGrants(inv *invocation, flags uint64) ([]GrantedCap, abi.Errno) {
	var caps []GrantedCap
	for i := 1; i < 3; i++ {
		s := inv.extra[i]
		if s == nil {
			continue
		}
		if i == 2 && flags&abi.SpawnGrantSpace != 0 {
			space, e := inv.extraOf(2, abi.ObjCSpace, abi.RightRead)
			if e != abi.OK {
				return nil, e
			}
			cs := space.Object().(*CSpace)
			for j := 1; j < cs.Len() && len(caps) < abi.MaxSpawnGrants; j++ {
				g := cs.At(j)
				if g.Empty() {
					break
				}
				caps = append(caps, GrantedCap{Slot: g, Rights: g.Rights()})
			}
			continue
		}
		caps = append(caps, GrantedCap{Slot: s, Rights: s.Rights()})
	}
	return caps, abi.OK
}

// spawn starts a task for SystemSpawn and SystemImageSpawn: argv from the
// NUL-separated blob, memory MR1 and priority MR2, the exit notification and grants
// from the extra capabilities, inside the System object's container if it has one;
// load makes and starts the task.
func (k *Kernel) spawn(inv *invocation, blob []byte, load func(*Untyped, []string, TaskSpec) (*Task, abi.Errno, error)) abi.Errno {
	mem, prio, flags := inv.args[1], inv.args[2]&0xff, inv.args[2]&^0xff
	caller := inv.t.task
	switch {
	case len(blob) == 0:
		return abi.ErrRange
	case flags&^abi.SpawnGrantSpace != 0:
		return abi.ErrInvalidArg
	case prio > uint64(inv.t.mcp):
		return abi.ErrRange
	case caller == nil:
		return abi.ErrIllegal // threads made by Retype have no task whose budget to use
	}
	argv := strings.Split(strings.TrimRight(string(blob), "\x00"), "\x00")
	if argv[0] == "" {
		return abi.ErrInvalidArg
	}
	spec := TaskSpec{Name: argv[0], Memory: mem, Priority: uint8(prio), Parent: caller}
	sys := sysOf(inv)
	if s := inv.extra[0]; s != nil {
		ntfn, e := inv.extraOf(0, abi.ObjNotification, abi.RightWrite)
		if e != abi.OK {
			return e
		}
		spec.Notify, spec.NotifyBadge = ntfn.Object().(*Notification), ntfn.Badge()
	}
	caps, e := spawnGrants(inv, flags)
	if e != abi.OK {
		return e
	}
	spec.Caps = caps
	budget := caller.budget
	if c := sys.ctr; c != nil {
		// Inside a container: the task joins it, with the caller's authority over it.
		if err := c.canStart(); err != nil {
			return abi.ErrIllegal
		}
		if uint64(spec.Priority) > c.limits.Priority {
			return abi.ErrRange
		}
		budget, spec.Container, spec.SystemRights = c.budget, c, inv.slot.Rights()
	} else if spec.Memory == 0 {
		spec.Memory = budget.free() / 2 &^ (abi.PageSize - 1)
	}
	task, e, err := load(budget, argv, spec)
	if e != abi.OK {
		k.logf("spawn %q for task %d: %v", argv[0], caller.id, err)
		return e
	}
	pid, _ := task.pidIn(sys.ns())
	inv.result(pid)
	return abi.OK
}

func invSystemTaskInfo(k *Kernel, inv *invocation) abi.Errno {
	sys := sysOf(inv)
	return k.taskInfo(inv, sys.ns(), sys.sees)
}

// taskInfo answers a TaskInfo request: the first task with id ≥ MR0 in namespace ns
// that visible accepts, with ids as ns names them.
func (k *Kernel) taskInfo(inv *invocation, ns *pidNS, visible func(*Task) bool) abi.Errno {
	task, pid := k.firstTask(ns, inv.args[0], visible)
	if task == nil {
		return abi.ErrNotFound
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	info := abi.TaskInfo{ID: pid, Parent: task.ppidIn(ns), State: task.state, Status: int64(task.status),
		Priority: uint64(task.thread.prio), ThreadState: uint64(task.thread.state), MemUsed: k.ownUse(task),
		MemLimit: task.budget.capacity, CPUNanos: uint64(task.CPUTime()), Name: task.name}
	if task.state == TaskLive {
		info.Threads = uint64(len(task.Threads()))
	}
	w := info.Words()
	inv.result(w[:abi.NumRegMRs]...)
	for i := abi.NumRegMRs; i < abi.TaskInfoWords; i++ {
		binary.LittleEndian.PutUint64(buf[abi.IPCBufMR+8*i:], w[i])
	}
	inv.r.Info = uint64(abi.NewMsgInfo(0, abi.TaskInfoWords, 0))
	return abi.OK
}

// ownUse is what a task's budget is charged for its own objects and memory, not
// counting the budgets of the tasks it started (each reports its own).
func (k *Kernel) ownUse(task *Task) uint64 {
	used := task.budget.used
	for _, c := range k.tasks {
		if c.state == TaskLive && c.holder != nil && c.budget.budget == task.budget {
			used -= c.budget.capacity
		}
	}
	if task.ctr == nil && task.budget == k.root {
		for _, c := range k.RootContainer().children {
			used -= c.budget.parentCharge() + abi.SizeContainer
		}
	}
	return used
}

func invSystemTaskStatus(k *Kernel, inv *invocation) abi.Errno {
	task := k.sysTask(sysOf(inv), inv.args[0])
	if task == nil {
		return abi.ErrNotFound
	}
	inv.result(uint64(task.state), uint64(int64(task.status)))
	k.Reap(task)
	return abi.OK
}

func invSystemKill(k *Kernel, inv *invocation) abi.Errno {
	task := k.sysTask(sysOf(inv), inv.args[0])
	switch {
	case task == nil:
		return abi.ErrNotFound
	case task == k.initTask || task == inv.t.task:
		return abi.ErrIllegal // init and the caller itself cannot be killed this way
	case task.state != TaskLive:
		return abi.ErrIllegal
	}
	k.ExitTask(task, TaskKilled, 0)
	return abi.OK
}

func invSystemCaps(k *Kernel, inv *invocation) abi.Errno {
	task := k.sysTask(sysOf(inv), inv.args[0])
	if task == nil {
		return abi.ErrNotFound
	}
	cs := task.CSpace()
	if cs == nil || inv.args[1] >= uint64(cs.Len()) {
		return abi.ErrNotFound
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	for i := max(inv.args[1], 1); i < uint64(cs.Len()); i++ {
		s := cs.At(int(i))
		if s.Empty() {
			continue
		}
		inv.result(i, uint64(s.Object().Type()), uint64(s.Rights()), uint64(s.Badge()))
		binary.LittleEndian.PutUint64(buf[abi.IPCBufMR+8*abi.NumRegMRs:], objectID(s.Object()))
		inv.r.Info = uint64(abi.NewMsgInfo(0, abi.NumRegMRs+1, 0))
		return abi.OK
	}
	return abi.ErrNotFound
}

func invSystemMemory(k *Kernel, inv *invocation) abi.Errno {
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	if c := sysOf(inv).ctr; c != nil {
		// A container sees its own budget and nothing of the machine's.
		n := 0
		for _, t := range k.tasks {
			if _, ok := t.pidIn(c.ns); ok && sysOf(inv).sees(t) {
				n++
			}
		}
		inv.result(c.budget.capacity, c.budget.free(), c.budget.used, uint64(n))
		for i := range 4 {
			binary.LittleEndian.PutUint64(buf[abi.IPCBufMR+8*(abi.NumRegMRs+i):], 0)
		}
		inv.r.Info = uint64(abi.NewMsgInfo(0, abi.NumRegMRs+4, 0))
		return abi.OK
	}
	inv.result(k.root.capacity, uint64(k.mem.FreeFrames())*abi.PageSize, k.root.used, uint64(len(k.tasks)))
	s := k.SharedStats()
	for i, v := range []uint64{uint64(s.Images), uint64(s.Frames), uint64(s.Mappings), uint64(k.mem.RuntimeFrames()) * abi.PageSize} {
		binary.LittleEndian.PutUint64(buf[abi.IPCBufMR+8*(abi.NumRegMRs+i):], v)
	}
	inv.r.Info = uint64(abi.NewMsgInfo(0, abi.NumRegMRs+4, 0))
	return abi.OK
}

func invSystemLog(k *Kernel, inv *invocation) abi.Errno {
	if sysOf(inv).ctr != nil {
		return abi.ErrNoRights // the log names tasks outside the container
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	n, next := k.log.read(inv.args[0], ipcBytes(buf))
	inv.result(uint64(n), next)
	return abi.OK
}

func invSystemPowerOff(k *Kernel, inv *invocation) abi.Errno {
	if sysOf(inv).ctr != nil {
		return abi.ErrNoRights
	}
	k.powerOff, k.powerStatus = true, int(int64(inv.args[0]))
	k.logf("power off requested by %s with status %d", inv.t.name(), k.powerStatus)
	return abi.OK
}

// String describes the task for the kernel log.
func (t *Task) String() string { return fmt.Sprintf("task %d (%s)", t.id, t.name) }

// ReadLog copies kernel log bytes from offset off (bytes since boot) into b and returns
// the count and the offset after them, as SystemLog does for tasks.
func (k *Kernel) ReadLog(off uint64, b []byte) (int, uint64) { return k.log.read(off, b) }
