package abi

// Containers: the records the container methods (SystemContainerCreate, Container…)
// carry in message words, and the slots a task started inside a container finds its
// container's objects in.

// ContainerState is where a container is in its life (ContainerInfo.State).
//
// Transitions (the kernel's setter refuses any other):
//
//	Created  → Running (a task started) | Destroyed
//	Running  → Stopping (stop with a grace period) | Stopped (its last task ended, forced stop, OOM kill) | Destroyed
//	Stopping → Stopped (its last task ended, or the grace period ran out and the rest were killed) | Destroyed
//	Stopped  → Running (a task started again) | Destroyed
type ContainerState uint64

// Container states.
const (
	ContainerCreated   ContainerState = iota // made, no task started yet
	ContainerRunning                         // tasks may run and be started
	ContainerStopping                        // asked to stop: its stop notification fired; tasks are killed at the deadline
	ContainerStopped                         // no task of its own is live; a start runs it again
	ContainerDestroyed                       // everything it held is freed; only capabilities to the dead object remain
)

var containerStateNames = [...]string{"created", "running", "stopping", "stopped", "destroyed"}

// String returns the state's name.
func (s ContainerState) String() string {
	if s < ContainerState(len(containerStateNames)) {
		return containerStateNames[s]
	}
	return "ContainerState(" + hex(uint64(s)) + ")"
}

// OOMPolicy is what the kernel does when a task of a container needs memory on demand
// (a page fault) and the container's budget is exhausted.
type OOMPolicy uint64

// The out-of-memory policies (container/descriptor.OOMPolicy has the same values).
const (
	OOMKillContainer   OOMPolicy = 0 // stop every task of the container at once
	OOMKillLargestTask OOMPolicy = 1 // end the container's task using the most memory, then retry
)

// String returns the policy's name as container descriptors spell it.
func (p OOMPolicy) String() string {
	switch p {
	case OOMKillContainer:
		return "kill-container"
	case OOMKillLargestTask:
		return "kill-largest-task"
	}
	return "OOMPolicy(" + hex(uint64(p)) + ")"
}

// Container flags (ContainerLimits.Flags).
const (
	// ContainerSharedPID makes the container's tasks live in its parent's pid
	// namespace instead of a private one. Fixed at creation.
	ContainerSharedPID uint64 = 1 << iota
	// ContainerMemOnDemand makes the memory limit a cap, not a reservation: the
	// container's memory is charged to its parent's budget as its tasks use it
	// instead of in full at creation, so idle containers cost their parent only what
	// they hold. The limit is then not guaranteed: when the parent is short, an
	// allocation fails below it and a page fault applies this container's OOM
	// policy (the one that asked for more pays, never a neighbour). Fixed at creation.
	ContainerMemOnDemand
	containerFlagsEnd
)

// ContainerFlagsValid is every defined container flag.
const ContainerFlagsValid = containerFlagsEnd - 1

// ContainerLimits bound what a container's tasks together may use; a nested
// container's limits are within its parent's.
type ContainerLimits struct {
	Memory    uint64    // bytes of the container's memory budget, carved from its parent's
	MaxTasks  uint64    // live tasks at once, nested containers' included (> 0)
	CPUBudget uint64    // ns of CPU time per CPUPeriod for all its threads together;
	CPUPeriod uint64    // both 0: no CPU limit of its own
	Priority  uint64    // the highest priority any of its threads may have (≤ MaxPriority)
	OOM       OOMPolicy // what a demand allocation at the limit does
	Flags     uint64    // ContainerSharedPID, ContainerMemOnDemand
	// I/O rates its tasks' requests are held to by the services that serve them
	// (ContainerChargeIO): bytes and operations per second, 0 unlimited, at most
	// MaxIORate; within the parent's where the parent has one.
	IOBytes, IOOps uint64
}

// MaxIORate is the highest I/O rate a container limit can have (bytes or operations
// per second), so that the kernel's arithmetic on rates cannot overflow.
const MaxIORate = 1 << 40

// MaxIOCharge is the most bytes (or operations) one ContainerChargeIO may charge.
const MaxIOCharge = 1 << 40

// ContainerLimitsWords is the number of message words of a ContainerLimits.
const ContainerLimitsWords = 9

// Words encodes the limits as message words.
func (l *ContainerLimits) Words() [ContainerLimitsWords]uint64 {
	return [ContainerLimitsWords]uint64{l.Memory, l.MaxTasks, l.CPUBudget, l.CPUPeriod, l.Priority, uint64(l.OOM), l.Flags, l.IOBytes, l.IOOps}
}

// DecodeContainerLimits decodes message words made by Words.
func DecodeContainerLimits(w [ContainerLimitsWords]uint64) ContainerLimits {
	return ContainerLimits{Memory: w[0], MaxTasks: w[1], CPUBudget: w[2], CPUPeriod: w[3], Priority: w[4], OOM: OOMPolicy(w[5]), Flags: w[6],
		IOBytes: w[7], IOOps: w[8]}
}

// ContainerNameBytes is the longest container name the kernel keeps.
const ContainerNameBytes = 16

// ContainerCreateWords is the message length of SystemContainerCreate: the limits,
// the destination slot and the name.
const ContainerCreateWords = ContainerLimitsWords + 1 + ContainerNameBytes/8

// ContainerInfo is a container as ContainerInfo reports it.
type ContainerInfo struct {
	ID, Parent uint64 // kernel ids of the container and of its parent (0: the root)
	State      ContainerState
	Limits     ContainerLimits
	MemUsed    uint64 // bytes charged to its budget (nested containers' budgets included)
	Tasks      uint64 // live tasks, nested containers' included
	CPUNanos   uint64 // CPU time its threads have used
	// Events, like cgroup memory.events and pids.events.
	MemLimitHits  uint64 // allocations refused because its memory budget was exhausted
	OOMKills      uint64 // tasks ended by its out-of-memory policy
	TaskLimitHits uint64 // task creations refused at MaxTasks
	// I/O charged by services (ContainerChargeIO), nested containers' included, and
	// the delay its limits imposed on it in all.
	IOBytesCharged, IOOpsCharged, IODelayNanos uint64
	Name                                       string // at most ContainerNameBytes bytes
}

// ContainerInfoWords is the number of message words of a ContainerInfo.
const ContainerInfoWords = 3 + ContainerLimitsWords + 9 + ContainerNameBytes/8

// Words encodes the record as message words.
func (c *ContainerInfo) Words() [ContainerInfoWords]uint64 {
	var w [ContainerInfoWords]uint64
	w[0], w[1], w[2] = c.ID, c.Parent, uint64(c.State)
	l := c.Limits.Words()
	copy(w[3:], l[:])
	copy(w[3+ContainerLimitsWords:], []uint64{c.MemUsed, c.Tasks, c.CPUNanos, c.MemLimitHits, c.OOMKills, c.TaskLimitHits,
		c.IOBytesCharged, c.IOOpsCharged, c.IODelayNanos})
	n := PackName(c.Name)
	copy(w[ContainerInfoWords-len(n):], n[:])
	return w
}

// DecodeContainerInfo decodes message words made by Words.
func DecodeContainerInfo(w [ContainerInfoWords]uint64) ContainerInfo {
	var l [ContainerLimitsWords]uint64
	copy(l[:], w[3:])
	u := w[3+ContainerLimitsWords:]
	var n [ContainerNameBytes / 8]uint64
	copy(n[:], w[ContainerInfoWords-len(n):])
	return ContainerInfo{ID: w[0], Parent: w[1], State: ContainerState(w[2]), Limits: DecodeContainerLimits(l),
		MemUsed: u[0], Tasks: u[1], CPUNanos: u[2], MemLimitHits: u[3], OOMKills: u[4], TaskLimitHits: u[5],
		IOBytesCharged: u[6], IOOpsCharged: u[7], IODelayNanos: u[8], Name: UnpackName(n)}
}

// PackName packs a container name (truncated to ContainerNameBytes) into words.
func PackName(name string) [ContainerNameBytes / 8]uint64 {
	var w [ContainerNameBytes / 8]uint64
	if len(name) > ContainerNameBytes {
		name = name[:ContainerNameBytes]
	}
	for i := 0; i < len(name); i++ {
		w[i/8] |= uint64(name[i]) << (8 * (i % 8))
	}
	return w
}

// UnpackName decodes words made by PackName; it stops at the first zero byte.
func UnpackName(w [ContainerNameBytes / 8]uint64) string {
	var b []byte
	for i := range ContainerNameBytes {
		c := byte(w[i/8] >> (8 * (i % 8)))
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// Slots of a task started inside a container (besides those every task has; see
// InitSlot…): its container's stop notification and the container's own System
// object, which sees only the container's pid namespace.
const (
	// ContainerSlotStop holds the container's stop notification (Read): it is
	// signalled with ContainerStopBadge when the container is asked to stop.
	ContainerSlotStop CPtr = 5
	// ContainerSlotSystem holds the container's System object (the slot init has the
	// machine's), with the rights its starter chose; empty if it chose none.
	ContainerSlotSystem CPtr = InitSlotSystem
)

// ContainerStopBadge is the word a container's stop notification carries when the
// container is asked to stop.
const ContainerStopBadge = 1

// ContainerLogBytes is how much of a container's output its log keeps (ContainerLog):
// older bytes are dropped, and counted, as newer ones arrive.
const ContainerLogBytes = 64 << 10

// A container's IPC name registry (SystemRegister) holds at most MaxIPCNames names
// of at most IPCNameBytes bytes each: [a-z][a-z0-9.-]*, as container descriptors
// spell IPC names.
const (
	MaxIPCNames  = 64
	IPCNameBytes = 64
)

// IDKind says which ids an ID mapping is for.
type IDKind uint64

// The kinds of ids a container maps.
const (
	IDUser  IDKind = 0 // user ids (/proc/PID/uid_map)
	IDGroup IDKind = 1 // group ids (/proc/PID/gid_map)
)

// String returns the kind's name.
func (k IDKind) String() string {
	switch k {
	case IDUser:
		return "uid"
	case IDGroup:
		return "gid"
	}
	return "IDKind(" + hex(uint64(k)) + ")"
}

// IDMap maps Count ids from Inside (as the container's tasks see them) to Outside
// (as its parent sees them), like a line of /proc/PID/uid_map.
type IDMap struct {
	Inside, Outside, Count uint32
}

// Words encodes the mapping as two message words.
func (m IDMap) Words() [2]uint64 {
	return [2]uint64{uint64(m.Inside) | uint64(m.Outside)<<32, uint64(m.Count)}
}

// DecodeIDMap decodes two message words made by Words; ok is false if the count
// word does not fit 32 bits.
func DecodeIDMap(w [2]uint64) (m IDMap, ok bool) {
	return IDMap{Inside: uint32(w[0]), Outside: uint32(w[0] >> 32), Count: uint32(w[1])}, w[1] <= 1<<32-1
}

// ID mapping bounds and special ids.
const (
	// MaxIDMaps is the most mappings of one kind a container has.
	MaxIDMaps = 8
	// OverflowID is what an id without a mapping reads as (Linux's overflowuid:
	// "nobody").
	OverflowID = 65534
	// MinRootOutsideID is the lowest machine id a container's root (inside id 0)
	// may map to: the ids below are the machine's own users.
	MinRootOutsideID = 65536
)
