package kernel

import (
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// # User and group ids
//
// A container maps the user and group ids its tasks have to ids of its parent, like
// a Linux user namespace's /proc/PID/uid_map and gid_map: up to abi.MaxIDMaps ranges
// (inside start, outside start, count) of each kind. The root container (the machine)
// maps every id to itself; a container without a mapping of a kind maps nothing, so
// its ids have no identity outside (they read as abi.OverflowID, "nobody").
//
// Every task has a user and a group id inside its container (Task.IDs): 0, the
// container's root, for a task its container's holder starts, or its parent's when
// a task starts another in the same container. The Linux personality reports these
// inside ids (getuid, getgid, …) and shows file owners through the reverse mapping;
// services that act for a task — the filesystem — translate them with OutsideID to
// the machine's ids and check those. Authority comes from the machine id only, so
// a container's root is root only inside: its machine id is an unprivileged one.
//
// The rules keep that true at every depth. A top-level container never maps machine
// id 0, and maps its inside id 0 only to a machine id ≥ abi.MinRootOutsideID; a
// nested container maps only ids its parent maps (each range within one of the
// parent's inside ranges), so translating through every level always lands in its
// ancestors' ranges, and its root must land at a machine id ≥ abi.MinRootOutsideID
// too. A mapping is set once per kind, before the container's first task starts and
// before it has nested containers (ContainerSetIDMap), so no task ever saw another
// identity and no nested mapping depends on one that changed.
//
// Rejected: letting mappings change while tasks run (ids a task or a service cached
// would silently change meaning); ids as capabilities' badges (ids are what Linux
// programs and the filesystem's ownership records speak; authority over kernel
// objects stays with capabilities).

// IDs are a task's user and group ids inside its container.
type IDs struct {
	UID, GID uint32
}

// IDs returns the task's user and group ids as its container sees them.
func (t *Task) IDs() IDs { return t.ids }

// OutsideIDs returns the task's user and group ids as the machine sees them, and
// whether each is mapped (an unmapped one is abi.OverflowID).
func (t *Task) OutsideIDs() (ids IDs, uidMapped, gidMapped bool) {
	ids.UID, uidMapped = t.ctr.OutsideID(abi.IDUser, t.ids.UID)
	ids.GID, gidMapped = t.ctr.OutsideID(abi.IDGroup, t.ids.GID)
	return ids, uidMapped, gidMapped
}

// IDMaps returns c's mapping of ids of kind (nil if it has none).
func (c *Container) IDMaps(kind abi.IDKind) []abi.IDMap {
	if c == nil || kind > abi.IDGroup {
		return nil
	}
	return append([]abi.IDMap(nil), c.idMaps[kind]...)
}

// OutsideID maps id, of kind as c's tasks see it, to the machine's id, through c
// and every enclosing container; ok is false (and the id abi.OverflowID) if some
// level does not map it. A nil c, or the root, is the machine: every id is itself.
func (c *Container) OutsideID(kind abi.IDKind, id uint32) (out uint32, ok bool) {
	if kind > abi.IDGroup {
		return abi.OverflowID, false
	}
	for x := c; x != nil && x.parent != nil; x = x.parent {
		if id, ok = mapID(x.idMaps[kind], id, false); !ok {
			return abi.OverflowID, false
		}
	}
	return id, true
}

// InsideID maps a machine id of kind to the id c's tasks see, the reverse of
// OutsideID; ok is false (and the id abi.OverflowID) if c does not map it — a file
// the machine's root owns reads as owned by "nobody" inside a container.
func (c *Container) InsideID(kind abi.IDKind, id uint32) (in uint32, ok bool) {
	if kind > abi.IDGroup {
		return abi.OverflowID, false
	}
	var chain []*Container
	for x := c; x != nil && x.parent != nil; x = x.parent {
		chain = append(chain, x)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if id, ok = mapID(chain[i].idMaps[kind], id, true); !ok {
			return abi.OverflowID, false
		}
	}
	return id, true
}

// mapID maps id through maps, inside to outside (or back if reverse).
func mapID(maps []abi.IDMap, id uint32, reverse bool) (uint32, bool) {
	for _, m := range maps {
		from, to := m.Inside, m.Outside
		if reverse {
			from, to = to, from
		}
		if id >= from && uint64(id) < uint64(from)+uint64(m.Count) {
			return to + (id - from), true
		}
	}
	return 0, false
}

// within reports whether [start, start+n) lies inside one inside range of maps.
func within(maps []abi.IDMap, start, n uint32) bool {
	for _, m := range maps {
		if start >= m.Inside && uint64(start)+uint64(n) <= uint64(m.Inside)+uint64(m.Count) {
			return true
		}
	}
	return false
}

// checkIDMaps checks mapping maps of kind for c. It changes nothing.
func (k *Kernel) checkIDMaps(c *Container, kind abi.IDKind, maps []abi.IDMap) error {
	switch {
	case c.parent == nil:
		return ctrErr(abi.ErrIllegal, "the root container maps every id to itself")
	case kind > abi.IDGroup:
		return ctrErr(abi.ErrInvalidArg, "unknown id kind %d", kind)
	case c.state != abi.ContainerCreated || len(c.children) > 0:
		return ctrErr(abi.ErrIllegal, "container %s is %v with %d nested containers: ids are mapped before the first task and nested container", c.name, c.state, len(c.children))
	case c.idSet[kind]:
		return ctrErr(abi.ErrIllegal, "container %s's %v mapping is set already", c.name, kind)
	case len(maps) == 0 || len(maps) > abi.MaxIDMaps:
		return ctrErr(abi.ErrRange, "%d %v mappings; want 1–%d", len(maps), kind, abi.MaxIDMaps)
	}
	p := c.parent
	for i, m := range maps {
		switch {
		case m.Count == 0:
			return ctrErr(abi.ErrInvalidArg, "%v mapping %d has a count of 0", kind, i)
		case uint64(m.Inside)+uint64(m.Count) > 1<<32 || uint64(m.Outside)+uint64(m.Count) > 1<<32:
			return ctrErr(abi.ErrRange, "%v mapping %d (%d→%d, %d) passes the largest id", kind, i, m.Inside, m.Outside, m.Count)
		case p.parent == nil && m.Outside == 0:
			return ctrErr(abi.ErrRange, "%v mapping %d maps the machine's root (outside id 0)", kind, i)
		case p.parent != nil && !within(p.idMaps[kind], m.Outside, m.Count):
			return ctrErr(abi.ErrRange, "%v mapping %d (outside %d+%d) is not within one range the parent %s maps", kind, i, m.Outside, m.Count, p.name)
		}
		for j, n := range maps[:i] {
			if overlapIDs(m.Inside, m.Count, n.Inside, n.Count) || overlapIDs(m.Outside, m.Count, n.Outside, n.Count) {
				return ctrErr(abi.ErrInvalidArg, "%v mappings %d and %d overlap", kind, j, i)
			}
		}
		if m.Inside == 0 {
			if root, _ := p.OutsideID(kind, m.Outside); root < abi.MinRootOutsideID {
				return ctrErr(abi.ErrRange, "%v mapping %d makes the container's root the machine's id %d; want ≥ %d", kind, i, root, abi.MinRootOutsideID)
			}
		}
	}
	return nil
}

func overlapIDs(a, n, b, m uint32) bool {
	return uint64(a) < uint64(b)+uint64(m) && uint64(b) < uint64(a)+uint64(n)
}

// SetContainerIDMap sets c's mapping of ids of kind (abi.IDUser or abi.IDGroup): once
// per kind, before c's first task starts and before it has nested containers. On an
// error nothing changed.
func (k *Kernel) SetContainerIDMap(c *Container, kind abi.IDKind, maps []abi.IDMap) error {
	if err := k.checkIDMaps(c, kind, maps); err != nil {
		return err
	}
	c.idMaps[kind] = append([]abi.IDMap(nil), maps...)
	c.idSet[kind] = true
	k.logf("container %d (%s): %v mapping %v", c.id, c.name, kind, maps)
	return nil
}

// taskIDs returns the ids a new task in c (nil: the root) gets: spec's if given,
// else its parent's when the parent runs in the same container, else 0.
func taskIDs(c *Container, spec *TaskSpec) IDs {
	switch {
	case spec.IDs != nil:
		return *spec.IDs
	case spec.Parent != nil && spec.Parent.ctr == c:
		return spec.Parent.ids
	}
	return IDs{}
}

func invContainerSetIDMap(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	kind, n := abi.IDKind(inv.args[0]), inv.args[1]
	if n == 0 || n > abi.MaxIDMaps {
		return abi.ErrRange
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	w := inv.words(buf, 2+2*int(n))
	maps := make([]abi.IDMap, n)
	for i := range maps {
		m, ok := abi.DecodeIDMap([2]uint64{w[2+2*i], w[3+2*i]})
		if !ok {
			return abi.ErrRange
		}
		maps[i] = m
	}
	return errnoOf(k.SetContainerIDMap(c, kind, maps), abi.ErrInvalidArg)
}

func invContainerIDMap(k *Kernel, inv *invocation) abi.Errno {
	c := inv.slot.Object().(*Container)
	kind := abi.IDKind(inv.args[0])
	if kind > abi.IDGroup {
		return abi.ErrInvalidArg
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	maps := c.idMaps[kind]
	w := []uint64{uint64(len(maps))}
	for _, m := range maps {
		mw := m.Words()
		w = append(w, mw[:]...)
	}
	inv.resultWords(buf, w)
	return abi.OK
}

func invContainerMapID(k *Kernel, inv *invocation) abi.Errno {
	c := inv.slot.Object().(*Container)
	kind, id := abi.IDKind(inv.args[0]), inv.args[1]
	switch {
	case kind > abi.IDGroup:
		return abi.ErrInvalidArg
	case id > 1<<32-1:
		return abi.ErrRange
	}
	out, ok := c.OutsideID(kind, uint32(id))
	mapped := uint64(0)
	if ok {
		mapped = 1
	}
	inv.result(uint64(out), mapped)
	return abi.OK
}
