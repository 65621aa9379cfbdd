package user

import (
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Wrappers for the container methods: SystemContainerCreate and the Container object's
// (see abi.SystemContainerCreate and ARCHITECTURE.md).

// setWords sets message words 0..len(w)-1.
func (e *Env) setWords(w []uint64) {
	for i, v := range w {
		e.SetMR(i, v)
	}
}

// CreateContainer asks System object sys to make a container nested in its own (the
// machine's: a top-level one) with limits l and name (at most abi.ContainerNameBytes
// bytes), its capability in slot dst of the caller's capability space. It returns the
// container's id.
func (e *Env) CreateContainer(sys abi.CPtr, name string, l abi.ContainerLimits, dst abi.CPtr) (uint64, error) {
	if len(name) > abi.ContainerNameBytes {
		return 0, abi.ErrInvalidArg
	}
	lw, nw := l.Words(), abi.PackName(name)
	e.setWords(lw[:])
	e.SetMR(abi.ContainerLimitsWords, uint64(dst))
	for i, v := range nw {
		e.SetMR(abi.ContainerLimitsWords+1+i, v)
	}
	if err := e.Invoke(sys, abi.SystemContainerCreate, abi.ContainerCreateWords, 0); err != nil {
		return 0, err
	}
	return e.r.MR[0], nil
}

// StartInContainer starts program argv[0] with arguments argv[1:] inside container c,
// with at most memory bytes of the container's budget (0: no cap of its own) at
// priority prio (0: 100 or the container's ceiling if lower). The task gets the
// container's System object with rights sysRights at abi.ContainerSlotSystem (0: none)
// and its stop notification at abi.ContainerSlotStop; notify (0: none) is signalled
// when it ends; grants (at most two) are copied to its slots abi.InitFirstFree, ….
// It returns the task's id inside the container.
func (e *Env) StartInContainer(c abi.CPtr, argv []string, memory uint64, prio uint8, sysRights abi.Rights, notify abi.CPtr, grants ...abi.CPtr) (uint64, error) {
	if len(argv) == 0 || argv[0] == "" {
		return 0, abi.ErrInvalidArg
	}
	if len(grants) > 2 {
		return 0, abi.ErrRange
	}
	blob := strings.Join(argv, "\x00")
	if len(blob) > MaxPayload {
		return 0, ErrArgvTooLong
	}
	e.SetPayload([]byte(blob))
	caps := [3]abi.CPtr{notify}
	copy(caps[1:], grants)
	if err := e.invoke(c, abi.ContainerStart, []uint64{uint64(len(blob)), memory, uint64(prio), uint64(sysRights)}, caps[:]); err != nil {
		return 0, err
	}
	return e.r.MR[0], nil
}

// StartInContainerWith is StartInContainer for a task that needs more than two
// capabilities: first (0: none) is granted at InitFirstFree, then the capabilities
// in slots 1, 2, … of the capability space grants (up to its first empty slot), in
// order, each with the rights it holds there.
func (e *Env) StartInContainerWith(c abi.CPtr, argv []string, memory uint64, prio uint8, sysRights abi.Rights, notify, first, grants abi.CPtr) (uint64, error) {
	if len(argv) == 0 || argv[0] == "" {
		return 0, abi.ErrInvalidArg
	}
	blob := strings.Join(argv, "\x00")
	if len(blob) > MaxPayload {
		return 0, ErrArgvTooLong
	}
	e.SetPayload([]byte(blob))
	if err := e.invoke(c, abi.ContainerStart, []uint64{uint64(len(blob)), memory, uint64(prio) | abi.SpawnGrantSpace, uint64(sysRights)}, []abi.CPtr{notify, first, grants}); err != nil {
		return 0, err
	}
	return e.r.MR[0], nil
}

// StopContainer signals the stop notification of every task in container c (and its
// nested containers) and has the kernel kill whatever still runs after grace ns (0: at
// once).
func (e *Env) StopContainer(c abi.CPtr, grace uint64) error {
	return e.invoke(c, abi.ContainerStop, []uint64{grace}, nil)
}

// DestroyContainer kills everything in container c and frees all it held; the
// capability then names a destroyed container until deleted.
func (e *Env) DestroyContainer(c abi.CPtr) error {
	return e.invoke(c, abi.ContainerDestroy, nil, nil)
}

// InspectContainer returns container c's state, limits, usage and event counters.
func (e *Env) InspectContainer(c abi.CPtr) (abi.ContainerInfo, error) {
	if err := e.invoke(c, abi.ContainerInspect, nil, nil); err != nil {
		return abi.ContainerInfo{}, err
	}
	var w [abi.ContainerInfoWords]uint64
	for i := range w {
		w[i] = e.MR(i)
	}
	return abi.DecodeContainerInfo(w), nil
}

// SetContainerLimits changes container c's limits to l.
func (e *Env) SetContainerLimits(c abi.CPtr, l abi.ContainerLimits) error {
	w := l.Words()
	e.setWords(w[:])
	return e.Invoke(c, abi.ContainerSetLimits, len(w), 0)
}

// KillInContainer ends the task with id pid inside container c.
func (e *Env) KillInContainer(c abi.CPtr, pid uint64) error {
	return e.invoke(c, abi.ContainerKill, []uint64{pid}, nil)
}

// SignalInContainer ORs bits (non-zero, without abi.ContainerStopBadge) into the stop
// notification of the task with id pid inside container c.
func (e *Env) SignalInContainer(c abi.CPtr, pid uint64, bits abi.Badge) error {
	return e.invoke(c, abi.ContainerSignal, []uint64{pid, uint64(bits)}, nil)
}

// ContainerTaskInfo returns the first task inside container c with a container-local
// id ≥ from (abi.ErrNotFound after the last); its ids are container-local.
func (e *Env) ContainerTaskInfo(c abi.CPtr, from uint64) (abi.TaskInfo, error) {
	return e.taskInfo(c, abi.ContainerTaskInfo, from)
}

// ContainerTasks lists the tasks inside container c, live and recently ended.
func (e *Env) ContainerTasks(c abi.CPtr) ([]abi.TaskInfo, error) {
	return e.tasks(c, abi.ContainerTaskInfo)
}

// LinkContainers links container c (the client side) to container peer (the server
// side): the client end (Write, and Grant if grant) goes to slot clientEnd and the
// server end (Read, and GrantReply if grant) to slot serverEnd of the caller's
// capability space, to be granted to tasks on each side. It returns the link's id.
func (e *Env) LinkContainers(c, peer abi.CPtr, clientEnd, serverEnd abi.CPtr, grant bool) (uint64, error) {
	g := uint64(0)
	if grant {
		g = 1
	}
	if err := e.invoke(c, abi.ContainerLink, []uint64{uint64(clientEnd), uint64(serverEnd), g}, []abi.CPtr{peer}); err != nil {
		return 0, err
	}
	return e.r.MR[0], nil
}

// UnlinkContainers revokes link id of container c: both ends, wherever they went.
func (e *Env) UnlinkContainers(c abi.CPtr, id uint64) error {
	return e.invoke(c, abi.ContainerUnlink, []uint64{id}, nil)
}

// ContainerLog copies bytes of container c's output log (what its tasks wrote to the
// console) from offset off into b. It returns the count, the offset to read from next
// and how many bytes the log has dropped so far (it keeps the newest
// abi.ContainerLogBytes); a count of 0 means nothing newer is there yet.
func (e *Env) ContainerLog(c abi.CPtr, off uint64, b []byte) (n int, next, dropped uint64, err error) {
	if err := e.invoke(c, abi.ContainerLog, []uint64{off}, nil); err != nil {
		return 0, off, 0, err
	}
	got, next, dropped := int(e.r.MR[0]), e.r.MR[1], e.r.MR[2]
	n = min(got, len(b), MaxPayload)
	e.t.Load(e.buf+payloadOffset, b[:n])
	return n, next - uint64(got-n), dropped, nil // what did not fit b is read next time
}

// SetContainerIDMap sets container c's mapping of ids of kind (abi.IDUser or
// abi.IDGroup) to its parent's: once per kind, before its first task starts.
func (e *Env) SetContainerIDMap(c abi.CPtr, kind abi.IDKind, maps []abi.IDMap) error {
	if len(maps) == 0 || len(maps) > abi.MaxIDMaps {
		return abi.ErrRange
	}
	w := []uint64{uint64(kind), uint64(len(maps))}
	for _, m := range maps {
		mw := m.Words()
		w = append(w, mw[:]...)
	}
	e.setWords(w)
	return e.Invoke(c, abi.ContainerSetIDMap, len(w), 0)
}

// ContainerIDMap returns container c's mapping of ids of kind (none: its ids have no
// identity outside).
func (e *Env) ContainerIDMap(c abi.CPtr, kind abi.IDKind) ([]abi.IDMap, error) {
	if err := e.invoke(c, abi.ContainerIDMap, []uint64{uint64(kind)}, nil); err != nil {
		return nil, err
	}
	n := min(int(e.MR(0)), abi.MaxIDMaps)
	maps := make([]abi.IDMap, 0, n)
	for i := range n {
		m, _ := abi.DecodeIDMap([2]uint64{e.MR(1 + 2*i), e.MR(2 + 2*i)})
		maps = append(maps, m)
	}
	return maps, nil
}

// ContainerMapID returns the machine's id for id of kind inside container c, and
// whether it is mapped (if not, the id is abi.OverflowID): what a service acting for
// a task inside checks.
func (e *Env) ContainerMapID(c abi.CPtr, kind abi.IDKind, id uint32) (uint32, bool, error) {
	if err := e.invoke(c, abi.ContainerMapID, []uint64{uint64(kind), uint64(id)}, nil); err != nil {
		return abi.OverflowID, false, err
	}
	return uint32(e.r.MR[0]), e.r.MR[1] == 1, nil
}

// ChargeIO charges an I/O request of bytes bytes and ops operations, made for a task
// of container c, to its I/O rate limits and its ancestors', and returns how many
// nanoseconds the caller (the service serving it) must hold the request first.
func (e *Env) ChargeIO(c abi.CPtr, bytes, ops uint64) (uint64, error) {
	if err := e.invoke(c, abi.ContainerChargeIO, []uint64{bytes, ops}, nil); err != nil {
		return 0, err
	}
	return e.r.MR[0], nil
}

// ContainerSystem puts a copy of container c's own System object, with rights (Read,
// Write or both), in slot dst of capability space cs: what a task started inside c
// finds at abi.ContainerSlotSystem. The module manager starts modules inside a
// container with it (SystemImageSpawn).
func (e *Env) ContainerSystem(c abi.CPtr, rights abi.Rights, cs, dst abi.CPtr) error {
	return e.invoke(c, abi.ContainerSystem, []uint64{uint64(dst), uint64(rights)}, []abi.CPtr{cs})
}
