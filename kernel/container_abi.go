package kernel

import (
	"encoding/binary"
	"strings"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// The container system calls: SystemContainerCreate and the Container methods. Each
// decodes and checks everything through the same functions as the kernel's Go API
// (decodeContainer, checkLimits, …), so a refused call changes nothing; the Errno is
// the one the check's error carries.

// words returns message words 0..n-1 of an invocation: 0–3 from registers, the rest
// from the caller's IPC buffer.
func (inv *invocation) words(buf *[abi.PageSize]byte, n int) []uint64 {
	w := make([]uint64, n)
	copy(w, inv.args[:])
	for i := abi.NumRegMRs; i < n; i++ {
		w[i] = binary.LittleEndian.Uint64(buf[abi.IPCBufMR+8*i:])
	}
	return w
}

// resultWords returns words as the invocation's reply: 0–3 in registers, the rest in
// the caller's IPC buffer.
func (inv *invocation) resultWords(buf *[abi.PageSize]byte, w []uint64) {
	inv.result(w[:min(len(w), abi.NumRegMRs)]...)
	for i := abi.NumRegMRs; i < len(w); i++ {
		binary.LittleEndian.PutUint64(buf[abi.IPCBufMR+8*i:], w[i])
	}
	inv.r.Info = uint64(abi.NewMsgInfo(0, len(w), 0))
}

func limitsOf(w []uint64) abi.ContainerLimits {
	var l [abi.ContainerLimitsWords]uint64
	copy(l[:], w)
	return abi.DecodeContainerLimits(l)
}

func invSystemContainerCreate(k *Kernel, inv *invocation) abi.Errno {
	caller := inv.t.task
	if caller == nil {
		return abi.ErrIllegal // threads made by Retype belong to no task that could own it
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	w := inv.words(buf, abi.ContainerCreateWords)
	parent := sysOf(inv).ctr
	if parent == nil {
		parent = k.RootContainer()
	}
	var nw [abi.ContainerNameBytes / 8]uint64
	copy(nw[:], w[abi.ContainerLimitsWords+1:])
	name, l := abi.UnpackName(nw), limitsOf(w)
	cs := inv.t.cspace()
	if cs == nil {
		return abi.ErrInvalidCap
	}
	dst, e := cs.Dest(abi.CPtr(w[abi.ContainerLimitsWords]))
	if e != abi.OK {
		return e
	}
	if err := k.decodeContainer(parent, name, l); err != nil {
		k.logf("container %q for %v: %v", name, caller, err)
		return errnoOf(err, abi.ErrInvalidArg)
	}
	// The capability derives from the creator's budget, so the container dies with
	// the creator unless the creator hands it on first.
	c := k.makeContainer(parent, name, l, dst, caller.holder)
	inv.result(c.id)
	return abi.OK
}

// containerOf returns the invoked container, or an error if it is destroyed.
func containerOf(inv *invocation) (*Container, abi.Errno) {
	c := inv.slot.Object().(*Container)
	if c.state == abi.ContainerDestroyed {
		return nil, abi.ErrIllegal
	}
	return c, abi.OK
}

// inside reports whether the invoking thread runs inside c (or a container nested
// in it): such a caller cannot destroy or force-stop its own container.
func inside(inv *invocation, c *Container) bool {
	t := inv.t.task
	return t != nil && t.ctr != nil && c.contains(t.ctr)
}

func invContainerStart(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	n, mem, prio, flags, rights := inv.args[0], inv.args[1], inv.args[2]&0xff, inv.args[2]&^0xff, inv.args[3]
	switch {
	case n == 0 || n > MaxConsoleWrite:
		return abi.ErrRange
	case flags&^abi.SpawnGrantSpace != 0:
		return abi.ErrInvalidArg
	case prio > uint64(inv.t.mcp) || prio > c.limits.Priority:
		return abi.ErrRange
	case rights > uint64(abi.AllRights):
		return abi.ErrInvalidArg
	case inv.t.task == nil:
		return abi.ErrIllegal
	case k.loader == nil:
		return abi.ErrNotFound
	}
	if err := c.canStart(); err != nil {
		return abi.ErrIllegal
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	argv := strings.Split(strings.TrimRight(string(ipcBytes(buf)[:n]), "\x00"), "\x00")
	if argv[0] == "" {
		return abi.ErrInvalidArg
	}
	spec := TaskSpec{Name: argv[0], Memory: mem, Priority: uint8(prio), Parent: inv.t.task,
		Container: c, SystemRights: abi.Rights(rights)}
	if inv.extra[0] != nil {
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
	task, e, err := k.loader.Load(k, c.budget, argv, spec)
	if e != abi.OK {
		k.logf("start %q in container %s: %v", argv[0], c.name, err)
		return e
	}
	pid, _ := task.pidIn(c.ns)
	inv.result(pid)
	return abi.OK
}

func invContainerStop(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	if inv.args[0] == 0 && inside(inv, c) {
		return abi.ErrIllegal // it would kill the caller in the middle of its call
	}
	return errnoOf(k.StopContainer(c, hal.Time(min(inv.args[0], maxGrace+1))), abi.ErrIllegal)
}

func invContainerDestroy(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	if inside(inv, c) {
		return abi.ErrIllegal
	}
	k.destroyContainer(c)
	return abi.OK
}

func invContainerInspect(k *Kernel, inv *invocation) abi.Errno {
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	info := inv.slot.Object().(*Container).Info()
	w := info.Words()
	inv.resultWords(buf, w[:])
	return abi.OK
}

func invContainerSetLimits(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	return errnoOf(k.SetContainerLimits(c, limitsOf(inv.words(buf, abi.ContainerLimitsWords))), abi.ErrInvalidArg)
}

func invContainerKill(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	if t := k.taskIn(c, inv.args[0]); t != nil && t == inv.t.task {
		return abi.ErrIllegal // as SystemKill: not the caller itself
	}
	return errnoOf(k.KillInContainer(c, inv.args[0]), abi.ErrNotFound)
}

func invContainerSignal(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	return errnoOf(k.SignalInContainer(c, inv.args[0], abi.Badge(inv.args[1])), abi.ErrInvalidArg)
}

func invContainerTaskInfo(k *Kernel, inv *invocation) abi.Errno {
	c := inv.slot.Object().(*Container)
	return k.taskInfo(inv, c.ns, func(t *Task) bool { return t.ctr != nil && c.contains(t.ctr) })
}

func invContainerLink(k *Kernel, inv *invocation) abi.Errno {
	a, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	peer, e := inv.extraOf(0, abi.ObjContainer, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	if inv.args[2] > 1 {
		return abi.ErrInvalidArg
	}
	cs := inv.t.cspace()
	if cs == nil {
		return abi.ErrInvalidCap
	}
	aEnd, e := cs.Dest(abi.CPtr(inv.args[0]))
	if e != abi.OK {
		return e
	}
	bEnd, e := cs.Dest(abi.CPtr(inv.args[1]))
	if e != abi.OK {
		return e
	}
	l, err := k.LinkContainers(a, peer.Object().(*Container), aEnd, bEnd, inv.args[2] == 1)
	if err != nil {
		return errnoOf(err, abi.ErrInvalidArg)
	}
	inv.result(l.id)
	return abi.OK
}

func invContainerUnlink(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	return errnoOf(k.RevokeLink(c, inv.args[0]), abi.ErrNotFound)
}

// invContainerSystem copies the container's System object to a slot of the caller's
// choosing. It gives no authority a Write capability to the container lacks: that
// one can already start a task inside holding the same System (ContainerStart's
// rights); it lets a service outside (the module manager) start tasks inside from the
// kernel's image cache without a helper task in the container.
func invContainerSystem(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	rights := abi.Rights(inv.args[1])
	if rights == 0 || rights&^(abi.RightRead|abi.RightWrite) != 0 {
		return abi.ErrInvalidArg
	}
	dstSpace, e := inv.extraOf(0, abi.ObjCSpace, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	dst, e := dstSpace.Object().(*CSpace).Dest(abi.CPtr(inv.args[0]))
	if e != abi.OK {
		return e
	}
	return k.tree.Copy(dst, c.slots.At(ctrSlotSystem), rights)
}
