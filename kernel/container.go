package kernel

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// # Containers
//
// A Container is a group of tasks with limits, nested like Zircon jobs: every
// container but the implicit root (the machine: init and the tasks it starts) has a
// parent, and its limits are within its parent's. It holds:
//
//   - a memory budget: an Untyped carved from the parent's budget (a reservation, so a
//     parent can never promise more than it has) — or, with abi.ContainerMemOnDemand,
//     pooled in the parent's budget like a task's in its container's: charged as it
//     is used, a cap without a guarantee (docs/CONTAINERS.md, "Density"). The budgets of its tasks are pooled
//     in it (see Untyped): a task's budget is a cap, not a reservation, and every byte
//     any of its tasks causes — objects, frames, threads — is charged to the
//     container, so at the limit allocations fail. A demand allocation (a page fault)
//     at the limit applies the container's OOM policy instead.
//   - a CPU budget per period shared by all its threads (and bounded by every
//     enclosing container's): the scheduler passes a thread over while any budget
//     that binds it is spent. Siblings' budgets together never exceed their parent's
//     share, so each container can get its whole budget whatever the others do,
//     as long as its threads' priorities are not below theirs.
//   - a priority ceiling no thread inside may exceed, and a task limit (pids.max)
//     counted over the container and its nested containers.
//   - a pid namespace: its tasks get container-local ids from 1. The namespace is
//     attached to capabilities, not to tasks: each container has its own System
//     object, and a task started inside gets a capability to that one (at
//     abi.ContainerSlotSystem) instead of the machine's. Every task operation of a
//     System object resolves ids in its container's namespace, so a task inside
//     cannot name, list or signal anything outside — outside ids do not exist for it.
//
// The kernel keeps the capabilities to a container's budget and System object in the
// container's private slots; the budget capability is derived from the parent's, and
// every task budget inside from it, so destroying a container (or its parent) revokes
// everything made inside. A Container object is named by capabilities like any other:
// deleting the last one destroys the container.
//
// Rejected alternatives: reserving each task's budget in the container (the sum of
// caps would have to stay below the limit, and memory freed by one task could not
// serve another — the OOM policy would have nothing to choose from); a namespace
// chosen by the calling task's container (ambient authority: a capability to the
// machine's System object handed to a task inside would then silently narrow).

// Private slots of a Container: the kernel's capabilities to what it owns.
const (
	ctrSlotBudget = iota + 1 // its memory budget, derived from the parent's
	ctrSlotSystem            // its System object
	ctrSlots
)

// Container is a kernel container object (see the essay above).
type Container struct {
	objBase
	id       uint64       // immutable; unique since boot; 0 for the root
	name     string       // immutable
	parent   *Container   // immutable; nil for the root
	children []*Container // nested containers not yet destroyed
	limits   abi.ContainerLimits
	state    abi.ContainerState // changed only by setState
	budget   *Untyped           // its memory budget (the root's is the root Untyped)
	sys      *System            // its System object (nil for the root: init's is the machine's)
	slots    capability.Space   // private: ctrSlotBudget, ctrSlotSystem
	ns       *pidNS             // the pid namespace its tasks live in; nil: the root namespace
	tasks    []*Task            // its own live tasks, not nested containers'
	live     uint64             // live tasks here and in nested containers
	cpu      CPUBudget          // shared by its threads; group is the parent's
	cpuTime  hal.Time           // CPU time its threads (nested ones included) have used
	stopAt   hal.Time           // ContainerStopping: when what is left is killed
	events   containerEvents
	links    []*Link // links with this container as one side
	// devices is the allow-list: the devices its System object hands out
	// (ContainerAllowDevice), by machine device index, in the order allowed.
	devices []int
	// out is the output log (container_log.go): allocated on the first write,
	// dropped when the container is destroyed.
	out *logRing
	// names is the IPC name registry (container_names.go), at most abi.MaxIPCNames.
	names []ipcName
	// ipcAllow is the IPC allow-list (container_names.go): with ipcListed, the
	// registry takes only these names; set before the first task.
	ipcAllow  []string
	ipcListed bool
	// idMaps are its user and group id mappings (container_ids.go), by abi.IDKind;
	// each set at most once (idSet), before its first task.
	idMaps [2][]abi.IDMap
	idSet  [2]bool
	// io are its I/O rate limits (iobucket.go): bytes, operations; rates from limits.
	io                      [2]TokenBucket
	ioBytes, ioOps, ioDelay uint64 // charged so far (nested containers' included) and the delay imposed
	// holder is the kernel's capability to the container for containers made by
	// CreateContainer (nil for those made through SystemContainerCreate).
	holder *capability.Slot
}

// containerEvents count limit events, like cgroup memory.events and pids.events.
type containerEvents struct {
	MemLimitHits, OOMKills, TaskLimitHits uint64
}

// containers is the kernel's container tree.
type containers struct {
	root     *Container          // made on first use
	next     uint64              // the last container id given
	stopping []*Container        // containers in ContainerStopping, with deadlines
	nextLink uint64              // the last link id given
	linkEPs  map[*Endpoint]*Link // the endpoints of live links
}

// Type implements capability.Object.
func (c *Container) Type() abi.ObjectType { return abi.ObjContainer }

// Finalize implements capability.Object: the last capability is gone, so the
// container is destroyed with everything in it.
func (c *Container) Finalize(*capability.Tree) {
	c.k.destroyContainer(c)
	c.release()
}

// ContainerID returns the container's id, unique since boot (0 for the root), as
// ContainerInfo reports it. (ID, from the capability header, is its object id.)
func (c *Container) ContainerID() uint64 { return c.id }

// Name returns the container's name.
func (c *Container) Name() string { return c.name }

// Parent returns the container this one nests in (nil for the root).
func (c *Container) Parent() *Container { return c.parent }

// State returns where the container is in its life.
func (c *Container) State() abi.ContainerState { return c.state }

// Limits returns the container's current limits.
func (c *Container) Limits() abi.ContainerLimits { return c.limits }

// Budget returns the container's memory budget: the parent budget CreateTask needs
// for a task inside it.
func (c *Container) Budget() *Untyped { return c.budget }

// Tasks returns the container's own live tasks (not nested containers').
func (c *Container) Tasks() []*Task { return append([]*Task(nil), c.tasks...) }

// Children returns the containers nested directly in c that are not destroyed.
func (c *Container) Children() []*Container { return append([]*Container(nil), c.children...) }

// contains reports whether x is c or nested in it.
func (c *Container) contains(x *Container) bool {
	for ; x != nil; x = x.parent {
		if x == c {
			return true
		}
	}
	return false
}

// Info reports the container as ContainerInfo does.
func (c *Container) Info() abi.ContainerInfo {
	info := abi.ContainerInfo{ID: c.id, State: c.state, Limits: c.limits, MemUsed: c.budget.used,
		Tasks: c.live, CPUNanos: uint64(c.cpuTime), MemLimitHits: c.events.MemLimitHits,
		OOMKills: c.events.OOMKills, TaskLimitHits: c.events.TaskLimitHits, Name: c.name,
		IOBytesCharged: c.ioBytes, IOOpsCharged: c.ioOps, IODelayNanos: c.ioDelay}
	if c.parent != nil {
		info.Parent = c.parent.id
	}
	if c.state == abi.ContainerDestroyed {
		info.MemUsed = 0
	}
	return info
}

// legalCtr[from] is the set of states reachable from from.
var legalCtr = [...]uint8{
	abi.ContainerCreated:   1<<abi.ContainerRunning | 1<<abi.ContainerDestroyed,
	abi.ContainerRunning:   1<<abi.ContainerStopping | 1<<abi.ContainerStopped | 1<<abi.ContainerDestroyed,
	abi.ContainerStopping:  1<<abi.ContainerStopped | 1<<abi.ContainerDestroyed,
	abi.ContainerStopped:   1<<abi.ContainerRunning | 1<<abi.ContainerDestroyed,
	abi.ContainerDestroyed: 0,
}

// setState moves c to state s, refusing transitions the state machine does not have
// (see abi.ContainerState): an illegal one is a kernel bug.
func (c *Container) setState(s abi.ContainerState) {
	if legalCtr[c.state]&(1<<s) == 0 {
		panic(fmt.Sprintf("kernel: illegal container transition %v → %v", c.state, s))
	}
	c.state = s
}

// RootContainer returns the implicit root container: the whole machine, holding the
// root memory budget, with no limits. Its tasks (init and what it starts) are the
// tasks outside every container.
func (k *Kernel) RootContainer() *Container {
	if k.ctrs.root == nil {
		r := &Container{name: "root", state: abi.ContainerRunning, budget: k.root,
			limits: abi.ContainerLimits{Memory: k.root.capacity, Priority: abi.MaxPriority}}
		r.k = k
		k.ctrs.root = r
	}
	return k.ctrs.root
}

// Containers returns every container that is not destroyed, the root first, each
// before the containers nested in it.
func (k *Kernel) Containers() []*Container {
	var all []*Container
	var walk func(c *Container)
	walk = func(c *Container) {
		all = append(all, c)
		for _, x := range c.children {
			walk(x)
		}
	}
	walk(k.RootContainer())
	return all
}

// ctrErr is an error with the Errno a system call returns for it.
func ctrErr(e abi.Errno, format string, args ...any) error {
	return fmt.Errorf("%w: %s", e, fmt.Sprintf(format, args...))
}

// errnoOf returns the Errno err carries: OK for nil, fallback if it carries none.
func errnoOf(err error, fallback abi.Errno) abi.Errno {
	if err == nil {
		return abi.OK
	}
	e := fallback
	errors.As(err, &e)
	return e
}

// ErrnoOf returns the abi.Errno an error from the kernel's Go API carries (CreateTask,
// CreateContainer, …): OK for nil, fallback if it carries none — what a system call
// made on the caller's behalf returns.
func ErrnoOf(err error, fallback abi.Errno) abi.Errno { return errnoOf(err, fallback) }

// MinContainerMemory is the smallest memory limit a container can have: room for one
// smallest task.
const MinContainerMemory = MinTaskMemory

// ppm is a CPU share in millionths of the CPU.
func ppm(budget, period uint64) uint64 {
	if period == 0 {
		return 1_000_000
	}
	return budget * 1_000_000 / period // budget ≤ period ≤ maxSlice: no overflow
}

// share returns the CPU share c's threads can have at most: its own budget's, or
// the nearest enclosing container's that has one.
func (c *Container) share() uint64 {
	for x := c; x != nil; x = x.parent {
		if x.cpu.own() {
			return ppm(uint64(x.cpu.Budget), uint64(x.cpu.Period))
		}
	}
	return 1_000_000
}

// childShares returns the CPU shares c's nested containers have reserved, without
// skip.
func (c *Container) childShares(skip *Container) uint64 {
	var sum uint64
	for _, x := range c.children {
		if x != skip && x.cpu.own() {
			sum += ppm(uint64(x.cpu.Budget), uint64(x.cpu.Period))
		}
	}
	return sum
}

// checkLimits checks limits l for container c (nil: a new one) nested in parent. It
// changes nothing.
func (k *Kernel) checkLimits(parent, c *Container, l abi.ContainerLimits) error {
	p := parent.limits
	switch {
	case l.Flags&^abi.ContainerFlagsValid != 0:
		return ctrErr(abi.ErrInvalidArg, "unknown container flags %#x", l.Flags&^abi.ContainerFlagsValid)
	case c != nil && l.Flags != c.limits.Flags:
		return ctrErr(abi.ErrInvalidArg, "container flags are fixed at creation")
	case l.OOM > abi.OOMKillLargestTask:
		return ctrErr(abi.ErrInvalidArg, "unknown out-of-memory policy %d", l.OOM)
	case l.MaxTasks == 0:
		return ctrErr(abi.ErrRange, "a task limit of 0")
	case p.MaxTasks != 0 && l.MaxTasks > p.MaxTasks:
		return ctrErr(abi.ErrRange, "task limit %d exceeds the parent's %d", l.MaxTasks, p.MaxTasks)
	case l.Priority > p.Priority:
		return ctrErr(abi.ErrRange, "priority ceiling %d exceeds the parent's %d", l.Priority, p.Priority)
	case l.Memory < MinContainerMemory || l.Memory > 1<<48:
		return ctrErr(abi.ErrRange, "memory limit of %d bytes outside %d..2^48", l.Memory, MinContainerMemory)
	case l.IOBytes > abi.MaxIORate || l.IOOps > abi.MaxIORate:
		return ctrErr(abi.ErrRange, "I/O rates of %d bytes and %d operations per second: at most 2^40", l.IOBytes, l.IOOps)
	case p.IOBytes != 0 && (l.IOBytes == 0 || l.IOBytes > p.IOBytes):
		return ctrErr(abi.ErrRange, "I/O rate of %d bytes per second (0: unlimited) exceeds the parent's %d", l.IOBytes, p.IOBytes)
	case p.IOOps != 0 && (l.IOOps == 0 || l.IOOps > p.IOOps):
		return ctrErr(abi.ErrRange, "I/O rate of %d operations per second (0: unlimited) exceeds the parent's %d", l.IOOps, p.IOOps)
	}
	if (l.CPUBudget == 0) != (l.CPUPeriod == 0) || l.CPUPeriod != 0 && (l.CPUBudget < minSlice || l.CPUBudget > l.CPUPeriod || l.CPUPeriod > maxSlice) {
		return ctrErr(abi.ErrRange, "CPU budget %d ns per %d ns: want both 0, or %d ≤ budget ≤ period ≤ %d", l.CPUBudget, l.CPUPeriod, minSlice, maxSlice)
	}
	if parent.cpu.own() && l.CPUPeriod == 0 {
		return ctrErr(abi.ErrRange, "no CPU limit; the parent has %d ns per %d ns", parent.cpu.Budget, parent.cpu.Period)
	}
	if l.CPUPeriod != 0 {
		if want, have := ppm(l.CPUBudget, l.CPUPeriod), parent.share()-min(parent.share(), parent.childShares(c)); want > have {
			return ctrErr(abi.ErrRange, "CPU share %d ppm exceeds the %d ppm left of the parent's share", want, have)
		}
	}
	onDemand := l.Flags&abi.ContainerMemOnDemand != 0
	if onDemand && l.Memory > parent.limits.Memory {
		return ctrErr(abi.ErrRange, "memory limit of %d KiB exceeds the parent's %d KiB", l.Memory>>10, parent.limits.Memory>>10)
	}
	if c == nil {
		if onDemand {
			// Only the container object is charged now; its memory as it is used.
			if abi.SizeContainer > parent.budget.free() {
				return ctrErr(abi.ErrNoMemory, "the container object's %d KiB exceed the %d KiB free in the parent", abi.SizeContainer>>10, parent.budget.free()>>10)
			}
			return nil
		}
		if need := l.Memory + abi.SizeContainer; need > parent.budget.free() {
			return ctrErr(abi.ErrNoMemory, "memory limit of %d KiB exceeds the %d KiB free in the parent", l.Memory>>10, parent.budget.free()>>10)
		}
		return nil
	}
	// A change: what is already there must fit the new limits.
	if l.Memory < c.budget.used {
		return ctrErr(abi.ErrRange, "memory limit of %d KiB is below the %d KiB in use", l.Memory>>10, c.budget.used>>10)
	}
	if l.MaxTasks < c.live {
		return ctrErr(abi.ErrRange, "task limit of %d is below the %d tasks running", l.MaxTasks, c.live)
	}
	if !onDemand && l.Memory > c.limits.Memory && l.Memory-c.limits.Memory > parent.budget.free() {
		return ctrErr(abi.ErrNoMemory, "%d KiB more exceeds the %d KiB free in the parent", (l.Memory-c.limits.Memory)>>10, parent.budget.free()>>10)
	}
	for _, x := range c.children {
		switch {
		case x.limits.Flags&abi.ContainerMemOnDemand != 0 && x.limits.Memory > l.Memory:
			return ctrErr(abi.ErrRange, "nested container %s has a memory limit of %d KiB", x.name, x.limits.Memory>>10)
		case x.limits.MaxTasks > l.MaxTasks:
			return ctrErr(abi.ErrRange, "nested container %s has a task limit of %d", x.name, x.limits.MaxTasks)
		case x.limits.Priority > l.Priority:
			return ctrErr(abi.ErrRange, "nested container %s has a priority ceiling of %d", x.name, x.limits.Priority)
		case l.CPUPeriod != 0 && x.limits.CPUPeriod == 0:
			return ctrErr(abi.ErrRange, "nested container %s has no CPU limit", x.name)
		case l.IOBytes != 0 && (x.limits.IOBytes == 0 || x.limits.IOBytes > l.IOBytes),
			l.IOOps != 0 && (x.limits.IOOps == 0 || x.limits.IOOps > l.IOOps):
			return ctrErr(abi.ErrRange, "nested container %s has I/O rates of %d bytes and %d operations per second", x.name, x.limits.IOBytes, x.limits.IOOps)
		}
	}
	if l.CPUPeriod != 0 && c.childShares(nil) > ppm(l.CPUBudget, l.CPUPeriod) {
		return ctrErr(abi.ErrRange, "nested containers have reserved %d ppm of CPU", c.childShares(nil))
	}
	return nil
}

// checkName checks a container name: 1–16 bytes of a–z, 0–9 and -, starting with a
// letter (the descriptor's rule, cut to what the kernel keeps).
func checkName(name string) error {
	ok := len(name) > 0 && len(name) <= abi.ContainerNameBytes && name[0] >= 'a' && name[0] <= 'z'
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	}
	if !ok {
		return ctrErr(abi.ErrInvalidArg, "container name %q: want 1–%d characters of a–z, 0–9 and -, starting with a letter", name, abi.ContainerNameBytes)
	}
	return nil
}

// decodeContainer checks everything a new container nested in parent needs. It
// changes nothing.
func (k *Kernel) decodeContainer(parent *Container, name string, l abi.ContainerLimits) error {
	if parent.state == abi.ContainerDestroyed || parent.state == abi.ContainerStopping {
		return ctrErr(abi.ErrIllegal, "the parent container is %v", parent.state)
	}
	if err := checkName(name); err != nil {
		return err
	}
	return k.checkLimits(parent, nil, l)
}

// makeContainer makes a container checked by decodeContainer, its first capability
// in the empty slot dst as a child of dstParent (nil: an original). It cannot fail.
func (k *Kernel) makeContainer(parent *Container, name string, l abi.ContainerLimits, dst, dstParent *capability.Slot) *Container {
	k.ctrs.next++
	c := &Container{id: k.ctrs.next, name: name, parent: parent, limits: l, state: abi.ContainerCreated}
	c.k = k
	c.objBase.budget, c.cost = parent.budget, abi.SizeContainer
	parent.budget.charge(abi.SizeContainer)
	c.slots.Init(ctrSlots)
	c.slots.Owner = c

	u := &Untyped{capacity: l.Memory, ctr: c}
	u.k, u.objBase.budget = k, parent.budget
	if l.Flags&abi.ContainerMemOnDemand != 0 {
		// Pooled in the parent's budget, as a task's budget is in its container's:
		// every charge climbs to the parent as it happens.
		u.pool = parent.budget
	} else {
		u.cost = l.Memory
		parent.budget.charge(l.Memory)
	}
	var from *capability.Slot
	if parent.parent != nil {
		from = parent.slots.At(ctrSlotBudget)
	}
	k.mustInsert(c.slots.At(ctrSlotBudget), u, from)
	s := &System{ctr: c}
	s.k = k
	k.mustInsert(c.slots.At(ctrSlotSystem), s, c.slots.At(ctrSlotBudget))
	c.budget, c.sys = u, s

	c.cpu = CPUBudget{Budget: hal.Time(l.CPUBudget), Period: hal.Time(l.CPUPeriod), start: k.cpu.Now(), group: &parent.cpu}
	c.setIORates(l)
	c.ns = parent.ns
	if l.Flags&abi.ContainerSharedPID == 0 {
		c.ns = &pidNS{parent: parent.ns}
	}
	parent.children = append(parent.children, c)
	k.mustInsert(dst, c, dstParent)
	k.logf("container %d (%s) created in %s: %d KiB, %d tasks, CPU %d/%d ns, priority ≤ %d",
		c.id, name, parent.name, l.Memory>>10, l.MaxTasks, l.CPUBudget, l.CPUPeriod, l.Priority)
	return c
}

// CreateContainer makes a container nested in parent (RootContainer for a top-level
// one) with limits l; the kernel holds its capability until DestroyContainer. On an
// error nothing was made and nothing changed.
func (k *Kernel) CreateContainer(parent *Container, name string, l abi.ContainerLimits) (*Container, error) {
	if parent == nil {
		return nil, ctrErr(abi.ErrInvalidArg, "no parent container")
	}
	if err := k.decodeContainer(parent, name, l); err != nil {
		return nil, err
	}
	holder, err := k.holderSlot()
	if err != nil {
		return nil, err
	}
	c := k.makeContainer(parent, name, l, holder, nil)
	c.holder = holder
	return c, nil
}

// holderSlot returns an empty slot of the kernel's own capability space.
func (k *Kernel) holderSlot() (*capability.Slot, error) {
	if k.holder == nil {
		k.holder = k.newCSpace(taskHolderRadix)
	}
	for i := 1; i < k.holder.Len(); i++ {
		if k.holder.At(i).Empty() {
			return k.holder.At(i), nil
		}
	}
	return nil, ctrErr(abi.ErrNoMemory, "the kernel's capability space is full (%d tasks and containers)", k.holder.Len()-1)
}

// DestroyContainer destroys c: its nested containers, every task inside, every
// object they made and its budget, which goes back to the parent. Capabilities to c
// stay (it reports ContainerDestroyed) until deleted; the kernel's own, for a
// container made by CreateContainer (its nested ones' too), is deleted here.
func (k *Kernel) DestroyContainer(c *Container) error {
	if c.parent == nil {
		return ctrErr(abi.ErrIllegal, "the root container cannot be destroyed")
	}
	if c.state == abi.ContainerDestroyed {
		return ctrErr(abi.ErrIllegal, "container %s is already destroyed", c.name)
	}
	k.destroyContainer(c)
	return nil
}

// destroyContainer tears c down. It may run inside a finalizer (the work list is
// draining), so it only ends tasks and deletes capabilities, both of which finalize
// safely later.
func (k *Kernel) destroyContainer(c *Container) {
	if c.state == abi.ContainerDestroyed || c.parent == nil {
		return
	}
	for len(c.children) > 0 {
		k.destroyContainer(c.children[len(c.children)-1])
	}
	for len(c.links) > 0 {
		k.revokeLink(c.links[len(c.links)-1])
	}
	for len(c.tasks) > 0 {
		k.ExitTask(c.tasks[len(c.tasks)-1], TaskKilled, 0)
	}
	k.dropStopping(c)
	c.setState(abi.ContainerDestroyed)
	c.out, c.names, c.ipcAllow = nil, nil, nil
	// Every task budget, task System capability and nested container budget derives
	// from the budget capability: revoking it leaves nothing made inside.
	b := c.slots.At(ctrSlotBudget)
	k.tree.Revoke(b)
	k.tree.Delete(c.slots.At(ctrSlotSystem))
	k.tree.Delete(b)
	p := c.parent
	for i, x := range p.children {
		if x == c {
			p.children = append(p.children[:i], p.children[i+1:]...)
			break
		}
	}
	// The kernel's own capability (CreateContainer's) goes too; the slot is checked
	// because when a finalizer got here the capability is gone already.
	if h := c.holder; h != nil {
		c.holder = nil
		if h.Object() == capability.Object(c) {
			k.tree.Delete(h)
		}
	}
	// Its tasks' records go with it: their ids meant something only inside.
	for i := 0; i < len(k.tasks); {
		if t := k.tasks[i]; t.ctr != nil && c.contains(t.ctr) {
			k.forget(t)
			continue
		}
		i++
	}
	k.logf("container %d (%s) destroyed", c.id, c.name)
}

// canStart reports why a task cannot be started in c now, or nil.
func (c *Container) canStart() error {
	switch c.state {
	case abi.ContainerCreated, abi.ContainerRunning, abi.ContainerStopped:
		return nil
	}
	return ctrErr(abi.ErrIllegal, "container %s is %v", c.name, c.state)
}

// StopContainer asks c and its nested containers to stop: every task inside gets its
// stop notification (abi.ContainerSlotStop) signalled, and whatever still runs after
// grace is killed; grace 0 kills at once.
func (k *Kernel) StopContainer(c *Container, grace hal.Time) error {
	switch {
	case c.parent == nil:
		return ctrErr(abi.ErrIllegal, "the root container cannot be stopped")
	case c.live == 0:
		return ctrErr(abi.ErrIllegal, "nothing runs in container %s (%v)", c.name, c.state)
	case grace > maxGrace:
		return ctrErr(abi.ErrRange, "grace period of %d ns exceeds %d", grace, maxGrace)
	}
	k.stopContainer(c, k.cpu.Now()+grace)
	return nil
}

// maxGrace bounds a stop's grace period.
const maxGrace = 60_000_000_000

// stopContainer stops c's subtree with deadline at. Only a container with tasks of
// its own (Running) becomes Stopping; one whose tasks all run in nested containers
// keeps its state while they stop.
func (k *Kernel) stopContainer(c *Container, at hal.Time) {
	for _, x := range c.Children() {
		if x.live > 0 {
			k.stopContainer(x, at)
		}
	}
	switch c.state {
	case abi.ContainerStopping:
		c.stopAt = min(c.stopAt, at)
	case abi.ContainerRunning:
		c.setState(abi.ContainerStopping)
		c.stopAt = at
		k.ctrs.stopping = append(k.ctrs.stopping, c)
		for _, t := range c.tasks {
			if n := t.stop; n != nil && !n.Dead() {
				k.signal(n, abi.ContainerStopBadge)
			}
		}
	default:
		return
	}
	if at <= k.cpu.Now() {
		k.killTasks(c)
	}
}

// killTasks ends c's own tasks; the last one's end leaves c stopped.
func (k *Kernel) killTasks(c *Container) {
	for len(c.tasks) > 0 {
		k.ExitTask(c.tasks[len(c.tasks)-1], TaskKilled, 0)
	}
	if c.state == abi.ContainerRunning || c.state == abi.ContainerStopping {
		k.dropStopping(c)
		c.setState(abi.ContainerStopped)
	}
}

func (k *Kernel) dropStopping(c *Container) {
	for i, x := range k.ctrs.stopping {
		if x == c {
			k.ctrs.stopping = append(k.ctrs.stopping[:i], k.ctrs.stopping[i+1:]...)
			return
		}
	}
}

// expireStops kills what is left of containers whose grace period is over.
func (k *Kernel) expireStops(now hal.Time) {
	for i := 0; i < len(k.ctrs.stopping); {
		c := k.ctrs.stopping[i]
		if c.stopAt > now {
			i++
			continue
		}
		k.logf("container %d (%s): grace period over; killing %d tasks", c.id, c.name, len(c.tasks))
		k.killTasks(c) // drops c from stopping
	}
}

// nextStop returns the earliest stop deadline.
func (k *Kernel) nextStop() hal.Time {
	next := hal.Forever
	for _, c := range k.ctrs.stopping {
		next = min(next, c.stopAt)
	}
	return next
}

// taskEnded updates c when one of its tasks ended.
func (k *Kernel) taskEnded(c *Container, task *Task) {
	for i, t := range c.tasks {
		if t == task {
			c.tasks = append(c.tasks[:i], c.tasks[i+1:]...)
			break
		}
	}
	for x := c; x != nil; x = x.parent {
		x.live--
	}
	if len(c.tasks) == 0 && (c.state == abi.ContainerRunning || c.state == abi.ContainerStopping) {
		k.dropStopping(c)
		c.setState(abi.ContainerStopped)
	}
}

// containerOOM applies c's out-of-memory policy because thread t needs memory c has
// not got. It reports whether memory may have been freed for t (a retry may work).
func (k *Kernel) containerOOM(c *Container, t *TCB) bool {
	if c.state == abi.ContainerDestroyed {
		return false
	}
	if c.limits.OOM == abi.OOMKillContainer {
		n := uint64(0)
		for x := range k.subtree(c) {
			n += uint64(len(x.tasks))
		}
		k.logf("container %d (%s): out of memory; killing the container (%d tasks)", c.id, c.name, n)
		c.events.OOMKills += n
		for x := range k.subtree(c) {
			k.killTasks(x)
		}
		return false
	}
	var victim *Task
	for x := range k.subtree(c) {
		for _, task := range x.tasks {
			if victim == nil || task.budget.used > victim.budget.used {
				victim = task
			}
		}
	}
	if victim == nil {
		return false
	}
	c.events.OOMKills++
	k.logf("container %d (%s): out of memory; killing its largest task %v (%d KiB)", c.id, c.name, victim, victim.budget.used>>10)
	k.ExitTask(victim, TaskKilled, 0)
	return t.task != victim
}

// subtree yields c and every container nested in it, parents first.
func (k *Kernel) subtree(c *Container) func(func(*Container) bool) {
	return func(yield func(*Container) bool) {
		var walk func(x *Container) bool
		walk = func(x *Container) bool {
			if !yield(x) {
				return false
			}
			for _, y := range x.Children() {
				if !walk(y) {
					return false
				}
			}
			return true
		}
		walk(c)
	}
}

// SetContainerLimits changes c's limits to l, which must be within its parent's and
// hold what c already has (its memory in use, its nested containers' limits). A lower
// priority ceiling lowers its threads' priorities to it. On an error nothing changed.
func (k *Kernel) SetContainerLimits(c *Container, l abi.ContainerLimits) error {
	if c.parent == nil || c.state == abi.ContainerDestroyed {
		return ctrErr(abi.ErrIllegal, "container %s cannot change limits", c.name)
	}
	if err := k.checkLimits(c.parent, c, l); err != nil {
		return err
	}
	u, p := c.budget, c.parent.budget
	switch {
	case u.pool != nil: // on demand: nothing is reserved in the parent
	case l.Memory > u.capacity:
		p.charge(l.Memory - u.capacity)
	default:
		p.credit(u.capacity - l.Memory)
	}
	u.capacity = l.Memory
	if u.pool == nil {
		u.cost = l.Memory
	}
	c.cpu.Budget, c.cpu.Period = hal.Time(l.CPUBudget), hal.Time(l.CPUPeriod)
	if !c.cpu.own() {
		c.cpu.used = 0
	}
	c.limits = l
	c.setIORates(l)
	for _, task := range c.tasks {
		for _, th := range task.Threads() {
			k.clampPriority(th, uint8(l.Priority))
		}
	}
	return nil
}

// clampPriority lowers t's priority and MCP to at most p.
func (k *Kernel) clampPriority(t *TCB, p uint8) {
	t.mcp = min(t.mcp, p)
	if t.prio <= p {
		return
	}
	if t.state == Ready {
		k.sched.remove(t)
		t.prio = p
		k.sched.enqueue(t, false)
		return
	}
	t.prio = p
}

// bindThread makes t a thread of container c (nil: the root): bound by its CPU budget
// and priority ceiling.
func (t *TCB) bindThread(c *Container) {
	t.ctr = c
	if c != nil {
		t.cpu.group = &c.cpu
		t.prio, t.mcp = min(t.prio, uint8(c.limits.Priority)), min(t.mcp, uint8(c.limits.Priority))
	}
}

// container returns the container whose budget u is or is pooled in or was carved
// from (nil: the root's).
func (u *Untyped) container() *Container {
	for x := u; x != nil; x = x.objBase.budget {
		if x.ctr != nil {
			return x.ctr
		}
	}
	return nil
}

// ceiling returns the highest priority t may have: its container's ceiling.
func (t *TCB) ceiling() uint64 {
	if t.ctr == nil {
		return abi.MaxPriority
	}
	return t.ctr.limits.Priority
}

// KillInContainer ends the task with container-local id pid in c.
func (k *Kernel) KillInContainer(c *Container, pid uint64) error {
	t := k.taskIn(c, pid)
	if t == nil || t.state != TaskLive {
		return ctrErr(abi.ErrNotFound, "no live task %d in container %s", pid, c.name)
	}
	k.ExitTask(t, TaskKilled, 0)
	return nil
}

// SignalInContainer ORs bits into the stop notification of the task with
// container-local id pid in c: a signal the task may wait for or poll at
// abi.ContainerSlotStop. Bit abi.ContainerStopBadge is the kernel's stop request and
// cannot be sent this way.
func (k *Kernel) SignalInContainer(c *Container, pid uint64, bits abi.Badge) error {
	if bits == 0 || bits&abi.ContainerStopBadge != 0 {
		return ctrErr(abi.ErrInvalidArg, "signal bits %#x: want non-zero, without the stop request bit", uint64(bits))
	}
	t := k.taskIn(c, pid)
	if t == nil || t.state != TaskLive || t.stop == nil {
		return ctrErr(abi.ErrNotFound, "no live task %d in container %s", pid, c.name)
	}
	k.signal(t.stop, bits)
	return nil
}

// taskIn returns the task with id pid in c's namespace if it is inside c, or nil.
func (k *Kernel) taskIn(c *Container, pid uint64) *Task {
	t := k.lookupTask(c.ns, pid)
	if t == nil || t.ctr == nil || !c.contains(t.ctr) {
		return nil
	}
	return t
}

// owner returns the container an object belongs to: the one whose budget it was
// charged to (nil: the root — the kernel's boot objects and what init made).
func owner(o capability.Object) *Container {
	switch x := o.(type) {
	case *System:
		return x.ctr
	case *Untyped:
		if x.ctr != nil {
			return x.ctr
		}
	}
	for u := o.(interface{ base() *objBase }).base().budget; u != nil; u = u.objBase.budget {
		if u.ctr != nil {
			return u.ctr
		}
	}
	return nil
}

// related reports whether containers a and b (nil: the root) are one the other's
// ancestor or the same: the ones whose objects a task may hold.
func related(a, b *Container) bool {
	return a == nil || b == nil || a.contains(b) || b.contains(a)
}

// mayHoldIn reports whether a capability to o may be held inside container h (nil:
// the root): o belongs to h, to an enclosing container (an ancestor may grant down)
// or to a nested one, or o is the endpoint of a live link with a side enclosing h.
// Objects of an unrelated container never cross any other way: every operation that
// places a capability in a space, maps a frame or binds a thread checks this, so
// sibling containers stay isolated even when a common ancestor holds capabilities
// into both.
func (k *Kernel) mayHoldIn(h *Container, o capability.Object) bool {
	own := owner(o)
	if related(h, own) {
		return true
	}
	if ep, ok := o.(*Endpoint); ok {
		if l := k.ctrs.linkEPs[ep]; l != nil && (l.a.contains(h) || l.b.contains(h)) {
			return true
		}
	}
	return false
}

// mayHold reports whether a capability to o may be placed in space sp (see
// mayHoldIn); the space belongs to the container of the object that owns it.
func (k *Kernel) mayHold(sp *capability.Space, o capability.Object) bool {
	if k.ctrs.root == nil || len(k.ctrs.root.children) == 0 {
		return true // no containers: nothing to keep apart
	}
	return k.mayHoldIn(owner(sp.Owner), o)
}
