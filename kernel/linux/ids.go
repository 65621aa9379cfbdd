package linux

import (
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// User and group ids. A process has the ids of its kernel task (kernel.Task.IDs):
// ids inside its container, which is what getuid, getgid and their effective twins
// answer (there are no set-user-id programs, so effective ids are the real ones).
// What the personality records and checks — the owner of a /tmp node, whether a
// process may change it — is the machine's id the container's mapping gives
// (Task.OutsideIDs); stat shows an owner back through the reverse mapping, so inside
// a container the machine root's files (the boot bundle) belong to "nobody"
// (abi.OverflowID) and a container's root owns only what it made. The machine's root
// (machine uid 0) may change any node; a container's root is never the machine's.
//
// The personality has no other permission checks yet: reads and writes of /tmp
// follow the mode bits of no one, as before.

// ids returns the process's ids inside its container (a process without a task
// yet is the machine's root).
func (p *Process) ids() kernel.IDs {
	if p.task == nil {
		return kernel.IDs{}
	}
	return p.task.IDs()
}

// machineIDs returns the process's ids as the machine sees them.
func (p *Process) machineIDs() kernel.IDs {
	if p.task == nil {
		return kernel.IDs{}
	}
	ids, _, _ := p.task.OutsideIDs()
	return ids
}

// seenOwner returns how the process sees an owner recorded as machine ids.
func (p *Process) seenOwner(uid, gid uint32) (uint32, uint32) {
	if p.task == nil {
		return uid, gid
	}
	c := p.task.Container()
	u, _ := c.InsideID(abi.IDUser, uid)
	g, _ := c.InsideID(abi.IDGroup, gid)
	return u, g
}

// owns reports whether the process may change node n's attributes: it owns it, or
// it is the machine's root. A process whose uid its container does not map owns
// nothing: unmapped ids of different containers all read as "nobody" and must not
// share authority through it.
func (p *Process) owns(n *tnode) bool {
	if p.task == nil {
		return true // the machine's root
	}
	ids, mapped, _ := p.task.OutsideIDs()
	return mapped && (ids.UID == 0 || ids.UID == n.uid)
}

func sysGetuid(p *Process, _ *kernel.Kernel, _ *kernel.TCB, _ [6]uint64) uint64 {
	return uint64(p.ids().UID)
}

func sysGetgid(p *Process, _ *kernel.Kernel, _ *kernel.TCB, _ [6]uint64) uint64 {
	return uint64(p.ids().GID)
}
