package kernel

import (
	"slices"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// # IPC names
//
// Every container has an IPC name registry, a small table from names to endpoint
// capabilities, reached through its System object: a task registers an endpoint it
// holds under a name (SystemRegister) and others look the name up (SystemLookup),
// which copies the registered capability — same rights and badge, derived from it —
// into a slot of their choosing. The machine's System object has the root's registry.
//
// Names are resolved only in the caller's own container: the registry is the System
// object's container's, and only threads of that very container (not of nested ones,
// not of the parent) may use it — anyone else gets ErrNoRights. So nothing registered
// outside a container is visible inside and nothing inside is visible outside, even to
// a task that obtained another container's System capability.
//
// The registry holds no capability of its own. An entry records the slot it was
// registered from and what that slot held; the name lives exactly as long as that
// capability stays in its slot. Deleting or moving it, revoking it (or an ancestor: a
// link revoke, the registering task's end) ends the name, and a lookup copies from the
// registering slot itself, so everything looked up is derived from the registering
// capability and a revoke of it reaches every copy. Because the registry keeps no
// reference, an endpoint whose capabilities are all gone is finalized at once, as if
// it had never been registered; entries whose capability is gone are swept before
// every registry operation. Destroying the container drops the registry.
//
// Bounds: abi.MaxIPCNames names per container of at most abi.IPCNameBytes bytes each
// (the descriptor's rule for IPC names: [a-z][a-z0-9.-]*), charged with the container
// object (abi.SizeContainer).
//
// # The allow-list
//
// A descriptor lists the names its container may register (namespaces.ipc). The
// kernel enforces the list, since it is the registry: whoever holds the container
// with Write puts names on it before the first task starts (ContainerAllowName,
// AllowName; container/runtime.Create does it for every descriptor, an empty list
// included), and from then on SystemRegister in that container's registry refuses
// any other name with ErrNoRights, changing nothing. A container that was never
// given a list (ctr run's) registers any name. The list only grows and only before
// the first task, so no task ever saw a registration rule change under it. A nested
// container has its own registry, which nothing outside it can use, so it does not
// inherit the list: registering there reaches no one in the parent.
//
// Rejected: enforcing the list in container/runtime (a task could register through
// its System object directly, past any library check), or in a registry task (the
// kernel is the registry).

// Rejected: a registry task (the seeds' ServiceRegistry) per container — it would need
// to be trusted by every task inside and started before them, while the kernel already
// scopes System objects per container; and a registry holding its own copy of each
// capability — it would keep endpoints alive after their owner deleted them, and a
// stale name would keep answering.

// ipcName is one entry of a container's IPC name registry.
type ipcName struct {
	name   string
	src    *capability.Slot  // the slot it was registered from
	obj    capability.Object // what src held then: compared, never handed out
	rights abi.Rights
	badge  abi.Badge
}

// live reports whether the registering capability is still in its slot.
func (n *ipcName) live() bool {
	return n.src.Object() == n.obj && n.src.Rights() == n.rights && n.src.Badge() == n.badge
}

// sweepNames drops the entries whose registering capability is gone.
func (c *Container) sweepNames() {
	live := c.names[:0]
	for _, n := range c.names {
		if n.live() {
			live = append(live, n)
		}
	}
	clear(c.names[len(live):])
	c.names = live
}

// lookupName returns the live entry for name, or nil.
func (c *Container) lookupName(name string) *ipcName {
	c.sweepNames()
	for i := range c.names {
		if c.names[i].name == name {
			return &c.names[i]
		}
	}
	return nil
}

// Names returns the names registered in c's IPC name registry, oldest first.
func (c *Container) Names() []string {
	c.sweepNames()
	var out []string
	for _, n := range c.names {
		out = append(out, n.name)
	}
	return out
}

// checkIPCName checks a registry name: 1–abi.IPCNameBytes bytes of a–z, 0–9, . and -,
// starting with a letter (the descriptor's rule for IPC names).
func checkIPCName(name string) abi.Errno {
	ok := len(name) > 0 && len(name) <= abi.IPCNameBytes && name[0] >= 'a' && name[0] <= 'z'
	for i := 0; ok && i < len(name); i++ {
		c := name[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.'
	}
	if !ok {
		return abi.ErrInvalidArg
	}
	return abi.OK
}

// decodeNames returns the registry the invoked System object reaches and the name in
// the payload (MR0 bytes from word abi.NumRegMRs), checking that the caller runs in
// that System's own container.
func (k *Kernel) decodeNames(inv *invocation) (*Container, string, abi.Errno) {
	s := sysOf(inv)
	if inv.t.ctr != s.ctr {
		return nil, "", abi.ErrNoRights // names resolve only in the caller's own container
	}
	c := s.ctr
	if c == nil {
		c = k.RootContainer()
	}
	if c.state == abi.ContainerDestroyed {
		return nil, "", abi.ErrIllegal
	}
	n := inv.args[0]
	if n == 0 || n > abi.IPCNameBytes {
		return nil, "", abi.ErrRange
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return nil, "", abi.ErrNoIPCBuffer
	}
	name := string(ipcBytes(buf)[:n])
	if e := checkIPCName(name); e != abi.OK {
		return nil, "", e
	}
	return c, name, abi.OK
}

func invSystemRegister(k *Kernel, inv *invocation) abi.Errno {
	ep, e := inv.extraOf(0, abi.ObjEndpoint, 0)
	if e != abi.OK {
		return e
	}
	c, name, e := k.decodeNames(inv)
	if e != abi.OK {
		return e
	}
	switch {
	case c.ipcListed && !slices.Contains(c.ipcAllow, name):
		return abi.ErrNoRights // not on the container's allow-list
	case c.lookupName(name) != nil:
		return abi.ErrSlotFull // taken
	case len(c.names) >= abi.MaxIPCNames:
		return abi.ErrLimit
	}
	c.names = append(c.names, ipcName{name: name, src: ep, obj: ep.Object(), rights: ep.Rights(), badge: ep.Badge()})
	return abi.OK
}

func invSystemLookup(k *Kernel, inv *invocation) abi.Errno {
	dstSpace, e := inv.extraOf(0, abi.ObjCSpace, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	c, name, e := k.decodeNames(inv)
	if e != abi.OK {
		return e
	}
	dst, e := dstSpace.Object().(*CSpace).Dest(abi.CPtr(inv.args[1]))
	if e != abi.OK {
		return e
	}
	n := c.lookupName(name)
	if n == nil {
		return abi.ErrNotFound
	}
	if !k.mayHold(dst.Space(), n.obj) {
		return abi.ErrNoRights // into a space of an unrelated container
	}
	return k.tree.Copy(dst, n.src, abi.AllRights)
}

func invSystemUnregister(k *Kernel, inv *invocation) abi.Errno {
	if inv.extra[0] == nil {
		return abi.ErrInvalidCap
	}
	c, name, e := k.decodeNames(inv)
	if e != abi.OK {
		return e
	}
	n := c.lookupName(name)
	if n == nil {
		return abi.ErrNotFound
	}
	if n.src != inv.extra[0] {
		return abi.ErrNoRights // only the registering capability removes its name
	}
	c.names = slices.DeleteFunc(c.names, func(x ipcName) bool { return x.name == name })
	return abi.OK
}

func invContainerNames(k *Kernel, inv *invocation) abi.Errno {
	c := inv.slot.Object().(*Container)
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	names := c.Names()
	i := inv.args[0]
	if i >= uint64(len(names)) {
		return abi.ErrNotFound
	}
	n := copy(ipcBytes(buf), names[i])
	inv.result(uint64(n), i+1)
	return abi.OK
}

// AllowName puts name on c's IPC allow-list; "" only makes the list (empty: c may
// register nothing). It is refused for the root, after c's first task started, for a
// malformed name and past abi.MaxIPCNames names; a name already listed changes
// nothing. On an error nothing changed.
func (k *Kernel) AllowName(c *Container, name string) error {
	switch {
	case c.parent == nil:
		return ctrErr(abi.ErrIllegal, "the root container has no IPC allow-list")
	case c.state != abi.ContainerCreated:
		return ctrErr(abi.ErrIllegal, "container %s is %v: its IPC allow-list is set before the first task", c.name, c.state)
	case len(name) > abi.IPCNameBytes:
		return ctrErr(abi.ErrRange, "IPC name of %d bytes: at most %d", len(name), abi.IPCNameBytes)
	case name != "" && checkIPCName(name) != abi.OK:
		return ctrErr(abi.ErrInvalidArg, "IPC name %q: want [a-z][a-z0-9.-]*", name)
	case slices.Contains(c.ipcAllow, name):
		return nil
	case name != "" && len(c.ipcAllow) >= abi.MaxIPCNames:
		return ctrErr(abi.ErrLimit, "container %s's IPC allow-list holds %d names already", c.name, len(c.ipcAllow))
	}
	c.ipcListed = true
	if name != "" {
		c.ipcAllow = append(c.ipcAllow, name)
	}
	return nil
}

// AllowedNames returns c's IPC allow-list and whether it has one (without one it
// may register any name).
func (c *Container) AllowedNames() ([]string, bool) {
	return slices.Clone(c.ipcAllow), c.ipcListed
}

func invContainerAllowName(k *Kernel, inv *invocation) abi.Errno {
	c := inv.slot.Object().(*Container)
	n := inv.args[0]
	if n > abi.IPCNameBytes {
		return abi.ErrRange
	}
	name := ""
	if n > 0 {
		buf := inv.t.ipcBuffer()
		if buf == nil {
			return abi.ErrNoIPCBuffer
		}
		name = string(ipcBytes(buf)[:n])
	}
	return errnoOf(k.AllowName(c, name), abi.ErrInvalidArg)
}
