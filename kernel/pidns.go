package kernel

// Pid namespaces: the ids by which tasks name each other through a System object.
// A container has a namespace of its own (or shares its parent's); a task has an id
// in its container's namespace and in every enclosing one, so a parent sees its
// nested containers' tasks and never the other way round. The root namespace's ids
// are the kernel's task ids.

// pidNS is a pid namespace: the ids by which tasks inside it are named. The root
// namespace is nil, and its ids are the tasks' kernel ids.
type pidNS struct {
	parent *pidNS   // immutable; the enclosing namespace (nil: the root)
	next   uint64   // the last pid given
	pids   []uint64 // ascending
	tasks  []*Task  // tasks[i] has pids[i]
}

// nsPID is a task's id in one namespace, and its parent's (0 if not visible there).
type nsPID struct {
	ns        *pidNS
	pid, ppid uint64
}

func (ns *pidNS) find(pid uint64) int {
	lo, hi := 0, len(ns.pids)
	for lo < hi {
		m := (lo + hi) / 2
		if ns.pids[m] < pid {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// register gives task an id in every namespace from ns up to the root.
func (k *Kernel) register(task *Task, parent *Task, ns *pidNS) {
	for ; ns != nil; ns = ns.parent {
		ns.next++
		ns.pids = append(ns.pids, ns.next)
		ns.tasks = append(ns.tasks, task)
		var ppid uint64
		if parent != nil {
			ppid, _ = parent.pidIn(ns)
		}
		task.pids = append(task.pids, nsPID{ns, ns.next, ppid})
	}
}

// pidIn returns t's id in namespace ns, if t is visible there.
func (t *Task) pidIn(ns *pidNS) (uint64, bool) {
	if ns == nil {
		return t.id, true
	}
	for _, p := range t.pids {
		if p.ns == ns {
			return p.pid, true
		}
	}
	return 0, false
}

// ppidIn returns the id of t's parent in namespace ns (0 if not visible there).
func (t *Task) ppidIn(ns *pidNS) uint64 {
	if ns == nil {
		return t.parent
	}
	for _, p := range t.pids {
		if p.ns == ns {
			return p.ppid
		}
	}
	return 0
}

// PID returns the task's id in its own container's namespace (its kernel id for a
// task outside every container).
func (t *Task) PID() uint64 {
	if t.ctr == nil {
		return t.id
	}
	pid, _ := t.pidIn(t.ctr.ns)
	return pid
}

// PPID returns the id of the task's parent in the task's own namespace: 0 if the
// parent is not visible there (it started the task from outside the container).
func (t *Task) PPID() uint64 {
	if t.ctr == nil {
		return t.parent
	}
	return t.ppidIn(t.ctr.ns)
}

// Container returns the container the task runs in (nil: the root).
func (t *Task) Container() *Container { return t.ctr }

// lookupTask returns the task with id pid in namespace ns, or nil.
func (k *Kernel) lookupTask(ns *pidNS, pid uint64) *Task {
	if ns == nil {
		return k.TaskByID(pid)
	}
	if i := ns.find(pid); i < len(ns.pids) && ns.pids[i] == pid {
		return ns.tasks[i]
	}
	return nil
}

// firstTask returns the task with the lowest id ≥ from in namespace ns that keep
// accepts, and that id.
func (k *Kernel) firstTask(ns *pidNS, from uint64, keep func(*Task) bool) (*Task, uint64) {
	if ns == nil {
		for _, t := range k.tasks {
			if t.id >= from && keep(t) {
				return t, t.id
			}
		}
		return nil, 0
	}
	for i := ns.find(from); i < len(ns.pids); i++ {
		if keep(ns.tasks[i]) {
			return ns.tasks[i], ns.pids[i]
		}
	}
	return nil, 0
}

// forget drops an ended task's record from the kernel and from every namespace.
func (k *Kernel) forget(task *Task) {
	for i, t := range k.tasks {
		if t == task {
			k.tasks = append(k.tasks[:i], k.tasks[i+1:]...)
			break
		}
	}
	for _, p := range task.pids {
		if i := p.ns.find(p.pid); i < len(p.ns.pids) && p.ns.pids[i] == p.pid {
			p.ns.pids = append(p.ns.pids[:i], p.ns.pids[i+1:]...)
			p.ns.tasks = append(p.ns.tasks[:i], p.ns.tasks[i+1:]...)
		}
	}
}

// LookupTask resolves pid as a task of container viewer would through its System
// object: in viewer's namespace (nil or the root: kernel ids). Ids of tasks outside
// the namespace resolve to nil.
func (k *Kernel) LookupTask(viewer *Container, pid uint64) *Task {
	if viewer == nil {
		return k.TaskByID(pid)
	}
	return k.lookupTask(viewer.ns, pid)
}

// VisibleTasks lists the tasks (live and recently ended) a task of container viewer
// sees through its System object, with their ids there, in id order.
func (k *Kernel) VisibleTasks(viewer *Container) ([]*Task, []uint64) {
	var ns *pidNS
	if viewer != nil {
		ns = viewer.ns
	}
	var ts []*Task
	var ids []uint64
	for from := uint64(0); ; {
		t, id := k.firstTask(ns, from, func(*Task) bool { return true })
		if t == nil {
			return ts, ids
		}
		ts, ids = append(ts, t), append(ids, id)
		from = id + 1
	}
}
