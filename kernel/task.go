package kernel

import (
	"fmt"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// A Task is one running program: a first thread in a capability space and an address
// space of its own, every object made from a memory budget of its own. The kernel keeps
// the capability to that budget; every capability the task's objects start with is
// derived from it, so ending the task revokes it and frees everything the task made,
// wherever capabilities to it had spread. Threads a personality clones from the
// task's threads belong to the task too.
//
// Init is task 1; it runs on the root budget and its image is the kernel's, so it is
// never destroyed, only marked ended.
type Task struct {
	id     uint64
	name   string
	parent uint64
	thread *TCB
	budget *Untyped
	holder *capability.Slot // the kernel's capability to budget; nil for init
	state  TaskState
	status int
	// deadCPU is the CPU time of threads that are gone.
	deadCPU int64
	// image is the shared image the task maps, or nil.
	image *SharedImage

	// notify, when not nil, is signalled with notifyBadge when the task ends.
	notify      *Notification
	notifyBadge abi.Badge

	ctr  *Container    // immutable; the container it runs in (nil: the root)
	pids []nsPID       // immutable; its ids in its container's namespace and every enclosing one
	stop *Notification // inside a container: its stop notification (abi.ContainerSlotStop)
	ids  IDs           // immutable; its user and group ids inside its container
}

// TaskState says whether a task runs and, if it ended, how.
type TaskState = abi.TaskState

// Task states (see abi.TaskState).
const (
	TaskLive    = abi.TaskLive
	TaskExited  = abi.TaskExited
	TaskKilled  = abi.TaskKilled
	TaskFaulted = abi.TaskFaulted
)

// ID returns the task's id, unique since boot (the pid the shell shows).
func (t *Task) ID() uint64 { return t.id }

// Name returns the program name the task was started as.
func (t *Task) Name() string { return t.name }

// Parent returns the id of the task that started this one (0 for init).
func (t *Task) Parent() uint64 { return t.parent }

// Thread returns the task's first thread.
func (t *Task) Thread() *TCB { return t.thread }

// Budget returns the memory budget everything of the task is charged to.
func (t *Task) Budget() *Untyped { return t.budget }

// State returns whether the task runs or how it ended.
func (t *Task) State() TaskState { return t.state }

// Status returns the exit status of an exited task.
func (t *Task) Status() int { return t.status }

// CSpace returns the task's capability space, or nil once it has ended.
func (t *Task) CSpace() *capability.Space {
	if t.state != TaskLive {
		return nil
	}
	return t.thread.cspace()
}

// Threads returns the task's live threads.
func (t *Task) Threads() []*TCB {
	var ts []*TCB
	for _, th := range t.thread.k.threads {
		if th.task == t {
			ts = append(ts, th)
		}
	}
	return ts
}

// CPUTime returns the CPU time the task's live threads have used.
func (t *Task) CPUTime() int64 {
	var ns int64
	for _, th := range t.Threads() {
		ns += int64(th.cpuTime)
	}
	return ns + t.deadCPU
}

// TaskSpec describes a program for CreateTask.
type TaskSpec struct {
	Name        string
	Memory      uint64    // bytes of the task's own budget, taken from the parent's
	Image       []Segment // the program's image
	Entry       uint64    // where its first thread starts
	StackPages  int       // pages of stack mapped below abi.InitStackTop
	StackImage  []byte    // placed at the top of the stack; the thread starts with SP at its first byte
	Priority    uint8     // default 100
	CSpaceRadix int       // default 8
	Parent      *Task     // the task that asked for it (nil: the kernel)
	// Caps are copied, with their rights masked by Rights, into the new capability
	// space's slots abi.InitFirstFree, abi.InitFirstFree+1, ...
	Caps []GrantedCap
	// Notify, when not nil, is signalled with NotifyBadge when the task ends.
	Notify      *Notification
	NotifyBadge abi.Badge
	// ID, when not zero, is the id the task gets: one ReserveTaskID returned and no
	// task has taken yet (a personality names a process before it becomes a task).
	ID uint64
	// ShareKey, when set, names the program for sharing: the read-only pages of Image
	// are mapped from one shared image (SharedImage) into every task made with the
	// same key, instead of copied into each. Tasks sharing a key must have the same
	// image.
	ShareKey string
	// Container, when not nil and not the root, is the container the task runs in:
	// CreateTask's parent budget must be the container's (Container.Budget), Memory
	// is a cap on what the task may use of it (0: the container's whole limit), and
	// Priority must be within the container's ceiling. The task gets a stop
	// notification at abi.ContainerSlotStop and, if SystemRights is not 0, the
	// container's System object with those rights at abi.ContainerSlotSystem.
	Container    *Container
	SystemRights abi.Rights
	// IDs, when not nil, are the task's user and group ids inside its container
	// (container_ids.go); nil: its parent's if the parent runs in the same
	// container, else 0 (the container's root).
	IDs *IDs
}

// GrantedCap is a capability given to a new task.
type GrantedCap struct {
	Slot   *capability.Slot
	Rights abi.Rights
}

// MinTaskMemory is the smallest budget a task can be created with.
const MinTaskMemory = 64 << 10

// taskHolderRadix sizes the kernel's own capability space, which holds one budget
// capability per live task.
const taskHolderRadix = 12

// CreateTask makes a task from spec: a budget of spec.Memory bytes charged to parent,
// and from it a capability space (slots as init's: abi.InitSlotCSpace, InitSlotTCB,
// InitSlotAddressSpace, InitSlotUntyped = its own budget, InitSlotIPCBuffer, then the
// granted capabilities), a thread, an address space holding the image, the stack and
// the IPC buffer at abi.InitIPCBuffer. The thread is not started: attach a personality,
// then StartTask. On an error nothing was made.
func (k *Kernel) CreateTask(parent *Untyped, spec TaskSpec) (*Task, error) {
	c := spec.Container
	if c != nil && c.parent == nil {
		c = nil // the root container: an ordinary task
	}
	if spec.Priority == 0 {
		spec.Priority = 100
		if c != nil {
			spec.Priority = uint8(min(100, c.limits.Priority))
		}
	}
	if spec.CSpaceRadix == 0 {
		spec.CSpaceRadix = 8
	}
	if spec.CSpaceRadix < 4 || spec.CSpaceRadix > abi.MaxCSpaceRadix {
		return nil, fmt.Errorf("capability space radix %d outside 4..%d", spec.CSpaceRadix, abi.MaxCSpaceRadix)
	}
	if int(abi.InitFirstFree)+len(spec.Caps) > 1<<spec.CSpaceRadix {
		return nil, fmt.Errorf("%d capabilities do not fit a capability space of %d slots", len(spec.Caps), 1<<spec.CSpaceRadix)
	}
	for i, g := range spec.Caps {
		if g.Slot == nil || g.Slot.Empty() {
			return nil, fmt.Errorf("granted capability %d is empty", i)
		}
		if c != nil && !k.mayHoldIn(c, g.Slot.Object()) {
			return nil, ctrErr(abi.ErrNoRights, "granted capability %d names %v object %d of a container unrelated to %s",
				i, g.Slot.Object().Type(), objectID(g.Slot.Object()), c.name)
		}
	}
	pages, err := checkImage(spec.Image, spec.StackPages, spec.StackImage)
	if err != nil {
		return nil, err
	}
	cost := abi.SizeCSpaceSlot<<spec.CSpaceRadix + abi.SizeTCB + abi.SizeAddressSpace + abi.SizeFrame*(1+pages)
	if c != nil {
		cost += abi.SizeNotification // the stop notification
		if err := k.checkTaskIn(c, parent, &spec, cost); err != nil {
			return nil, err
		}
	}
	switch {
	case spec.Memory < MinTaskMemory || spec.Memory > 1<<48:
		return nil, fmt.Errorf("memory budget of %d bytes outside %d..2^48", spec.Memory, MinTaskMemory)
	case spec.Memory < cost:
		return nil, fmt.Errorf("memory budget of %d KiB is smaller than the program's image and stack (%d KiB)", spec.Memory>>10, cost>>10)
	case c == nil && spec.Memory > parent.free():
		return nil, fmt.Errorf("%w: memory budget of %d KiB exceeds the %d KiB free in the parent budget", abi.ErrNoMemory, spec.Memory>>10, parent.free()>>10)
	case spec.ID != 0 && !k.reservedIDs[spec.ID]:
		return nil, fmt.Errorf("task id %d was not reserved or is taken", spec.ID)
	case uint64(k.usableFrames()) < pages+16:
		return nil, fmt.Errorf("%w: %d pages for the image and stack, %d frames free", abi.ErrNoMemory, pages, k.usableFrames())
	}
	if c != nil {
		if err := k.checkTaskLimit(c); err != nil {
			return nil, err
		}
	}
	holder, err := k.holderSlot()
	if err != nil {
		return nil, fmt.Errorf("%d tasks exist; no more can be made", k.holder.Len()-1)
	}

	// Everything checked: from here on only an overlap inside the image can fail, and
	// revoking the budget undoes all of it.
	u := &Untyped{capacity: spec.Memory}
	u.k = k
	if c == nil {
		u.budget, u.cost = parent, spec.Memory
		parent.charge(spec.Memory)
		k.mustInsert(holder, u, nil)
	} else {
		u.pool, u.ctr = c.budget, c // pooled: charges go to the container as they happen
		k.mustInsert(holder, u, c.slots.At(ctrSlotBudget))
	}
	charge := func(b *objBase, cost uint64) { b.budget, b.cost = u, cost; u.charge(cost) }
	cs := k.newCSpace(spec.CSpaceRadix)
	charge(&cs.objBase, abi.SizeCSpaceSlot<<spec.CSpaceRadix)
	t := k.newTCB()
	charge(&t.objBase, abi.SizeTCB)
	as := k.newAddressSpace()
	charge(&as.objBase, abi.SizeAddressSpace)
	buf := k.newFrame()
	charge(&buf.objBase, abi.SizeFrame)
	k.mustInsert(cs.At(int(abi.InitSlotCSpace)), cs, holder)
	k.mustInsert(cs.At(int(abi.InitSlotTCB)), t, holder)
	k.mustInsert(cs.At(int(abi.InitSlotAddressSpace)), as, holder)
	k.mustInsert(cs.At(int(abi.InitSlotIPCBuffer)), buf, holder)
	if e := k.tree.Copy(cs.At(int(abi.InitSlotUntyped)), holder, abi.AllRights); e != abi.OK {
		panic("kernel: CreateTask budget copy: " + e.Error())
	}
	for _, b := range [...]struct {
		priv int
		from abi.CPtr
	}{{tcbSlotCSpace, abi.InitSlotCSpace}, {tcbSlotAddressSpace, abi.InitSlotAddressSpace}, {tcbSlotIPCBuffer, abi.InitSlotIPCBuffer}} {
		if e := k.tree.Copy(t.slots.At(b.priv), cs.At(int(b.from)), abi.AllRights); e != abi.OK {
			panic("kernel: CreateTask binding: " + e.Error())
		}
	}
	if e := buf.mapInto(as, abi.InitIPCBuffer, hal.PermRead|hal.PermWrite); e != abi.OK {
		panic("kernel: CreateTask IPC buffer: " + e.Error())
	}
	anon := func() *Frame {
		f := k.newFrame()
		f.anon = true
		charge(&f.objBase, abi.SizeFrame)
		return f
	}
	private := spec.Image
	var img *SharedImage
	if spec.ShareKey != "" {
		img = k.sharedImage(spec.ShareKey)
		img.users++
		private = nil
		for _, seg := range spec.Image {
			if seg.Perm&hal.PermWrite != 0 {
				private = append(private, seg)
			}
		}
	}
	undo := func(err error) (*Task, error) {
		k.tree.Revoke(holder)
		k.tree.Delete(holder)
		if img != nil {
			k.releaseImage(img)
		}
		return nil, err
	}
	if img != nil {
		if _, err := k.placeShared(as, img, spec.Image); err != nil {
			return undo(err)
		}
	}
	sp, err := k.placeImage(as, private, spec.StackPages, spec.StackImage, anon)
	if err != nil {
		return undo(err)
	}
	for i, c := range spec.Caps {
		if e := k.tree.Copy(cs.At(int(abi.InitFirstFree)+i), c.Slot, c.Rights); e != abi.OK {
			panic("kernel: CreateTask grant: " + e.Error())
		}
	}
	t.Name = spec.Name
	t.prio, t.mcp = spec.Priority, spec.Priority
	t.ipcVA = abi.InitIPCBuffer
	t.ctx.SetEntry(spec.Entry, sp, abi.InitIPCBuffer)
	id := spec.ID
	if id == 0 {
		k.nextTask++
		id = k.nextTask
	}
	delete(k.reservedIDs, id)
	task := &Task{id: id, name: spec.Name, thread: t, budget: u, holder: holder,
		notify: spec.Notify, notifyBadge: spec.NotifyBadge, image: img, ids: taskIDs(c, &spec)}
	if spec.Parent != nil {
		task.parent = spec.Parent.id
	}
	t.task = task
	k.tasks = append(k.tasks, task)
	if c != nil {
		k.enterContainer(c, task, spec, cs)
	}
	return task, nil
}

// ReserveTaskID returns an id no task has had: CreateTask gives it to the task whose
// TaskSpec.ID names it. Ids are never reused, so a reserved id that is never taken
// stays unused.
func (k *Kernel) ReserveTaskID() uint64 {
	k.nextTask++
	if k.reservedIDs == nil {
		k.reservedIDs = map[uint64]bool{}
	}
	k.reservedIDs[k.nextTask] = true
	return k.nextTask
}

// A TaskEnder is a Personality that is told when its task ends, however it ends:
// exit, SystemKill or an unhandled fault. TaskEnded is called once, at the end of
// ExitTask, with the task's threads stopped and its objects gone.
type TaskEnder interface {
	TaskEnded(k *Kernel, task *Task)
}

// checkTaskIn checks a task for container c: its budget, priority and memory cap
// (filled in if 0), and that c takes tasks now. It changes nothing but counters.
func (k *Kernel) checkTaskIn(c *Container, parent *Untyped, spec *TaskSpec, cost uint64) error {
	if err := c.canStart(); err != nil {
		return err
	}
	switch {
	case parent != c.budget:
		return ctrErr(abi.ErrInvalidArg, "a task in container %s must be charged to its budget", c.name)
	case uint64(spec.Priority) > c.limits.Priority:
		return ctrErr(abi.ErrRange, "priority %d exceeds container %s's ceiling %d", spec.Priority, c.name, c.limits.Priority)
	case !spec.SystemRights.Valid():
		return ctrErr(abi.ErrInvalidArg, "rights %#x", uint8(spec.SystemRights))
	}
	if spec.Memory == 0 || spec.Memory > c.limits.Memory {
		spec.Memory = c.limits.Memory
	}
	if cost > c.budget.free() && spec.Memory >= cost {
		c.budget.refuse(cost)
		return ctrErr(abi.ErrNoMemory, "the program needs %d KiB; container %s has %d KiB free", cost>>10, c.name, c.budget.free()>>10)
	}
	return nil
}

// checkTaskLimit refuses a task that would take c or an enclosing container past its
// task limit, counting the refusal there (pids.events "max").
func (k *Kernel) checkTaskLimit(c *Container) error {
	for x := c; x.parent != nil; x = x.parent {
		if x.live >= x.limits.MaxTasks {
			x.events.TaskLimitHits++
			return ctrErr(abi.ErrLimit, "container %s has %d tasks, its limit", x.name, x.limits.MaxTasks)
		}
	}
	return nil
}

// enterContainer makes a new task, checked by checkTaskIn and checkTaskLimit, a
// member of c: its stop notification and System capability, its ids, its CPU budget.
func (k *Kernel) enterContainer(c *Container, task *Task, spec TaskSpec, cs *CSpace) {
	n := &Notification{}
	n.k, n.budget, n.cost = k, task.budget, abi.SizeNotification
	task.budget.charge(abi.SizeNotification)
	if e := k.tree.Insert(cs.At(int(abi.ContainerSlotStop)), n, abi.RightRead, 0, task.holder); e != abi.OK {
		panic("kernel: placing a task's stop notification: " + e.Error())
	}
	task.stop = n
	if spec.SystemRights != 0 {
		if e := k.tree.Copy(cs.At(int(abi.ContainerSlotSystem)), c.slots.At(ctrSlotSystem), spec.SystemRights); e != abi.OK {
			panic("kernel: placing a task's container System: " + e.Error())
		}
	}
	task.ctr = c
	task.thread.bindThread(c)
	c.tasks = append(c.tasks, task)
	for x := c; x != nil; x = x.parent {
		x.live++
	}
	if c.state != abi.ContainerRunning {
		c.setState(abi.ContainerRunning)
	}
	k.register(task, spec.Parent, c.ns)
}

func (k *Kernel) mustInsert(dst *capability.Slot, obj capability.Object, parent *capability.Slot) {
	if e := k.tree.Insert(dst, obj, abi.AllRights, 0, parent); e != abi.OK {
		panic("kernel: inserting a new object's first capability: " + e.Error())
	}
}

// StartTask makes the first thread of a task made by CreateTask ready.
func (k *Kernel) StartTask(task *Task) {
	if task.state == TaskLive && task.thread.state == Inactive {
		k.makeReady(task.thread, false)
	}
}

// ExitTask ends a live task: its threads stop for good and, except for init, everything
// it made is destroyed and its budget goes back to its parent. Its record (state and
// status) stays for Tasks and the task's parent; its exit notification is signalled.
func (k *Kernel) ExitTask(task *Task, state TaskState, status int) {
	if task.state != TaskLive || state == TaskLive {
		return
	}
	task.deadCPU = task.CPUTime()
	task.state, task.status = state, status
	for _, th := range task.Threads() {
		k.dropSleeper(th)
		k.StopThread(th)
	}
	if task.holder != nil {
		k.tree.Revoke(task.holder)
		// Threads a personality cloned have no capability: finalize them here. (Those
		// that had one are dead already, if not yet finalized: ExitTask may run inside
		// a finalizer — a container's — while the work list drains.)
		for _, th := range task.Threads() {
			if !th.Dead() {
				th.Finalize(&k.tree)
			}
		}
		k.tree.Delete(task.holder)
		task.holder = nil
	}
	if task.image != nil {
		k.releaseImage(task.image)
		task.image = nil
	}
	if n := task.notify; n != nil && !n.Dead() {
		k.signal(n, task.notifyBadge)
	}
	task.notify = nil
	task.stop = nil
	if task.ctr != nil {
		k.taskEnded(task.ctr, task)
	}
	k.logf("task %d (%s) %v, status %d", task.id, task.name, state, status)
	k.reapOld()
	if e, ok := task.thread.Personality.(TaskEnder); ok {
		e.TaskEnded(k, task)
	}
}

// maxEndedTasks bounds how many ended tasks' records are kept for their parents.
const maxEndedTasks = 64

// reapOld forgets the oldest ended tasks beyond maxEndedTasks.
func (k *Kernel) reapOld() {
	ended := 0
	for _, t := range k.tasks {
		if t.state != TaskLive {
			ended++
		}
	}
	for i := 0; ended > maxEndedTasks && i < len(k.tasks); {
		if k.tasks[i].state != TaskLive && k.tasks[i] != k.initTask {
			k.forget(k.tasks[i])
			ended--
			continue
		}
		i++
	}
}

// Reap forgets an ended task's record.
func (k *Kernel) Reap(task *Task) {
	if task.state == TaskLive || task == k.initTask {
		return
	}
	k.forget(task)
}

// Tasks returns every task the kernel knows of, live and recently ended, by id.
func (k *Kernel) Tasks() []*Task { return append([]*Task(nil), k.tasks...) }

// TaskByID returns the task with id, or nil.
func (k *Kernel) TaskByID(id uint64) *Task {
	for _, t := range k.tasks {
		if t.id == id {
			return t
		}
	}
	return nil
}

// TaskOf returns the task thread t belongs to, or nil.
func (k *Kernel) TaskOf(t *TCB) *Task { return t.task }
