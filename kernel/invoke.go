package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// invocation is a decoded SysInvoke: the invoked capability, its arguments and the
// extra capabilities, all looked up and checked against the method's spec.
type invocation struct {
	m     abi.Method
	t     *TCB
	slot  *capability.Slot
	args  [abi.NumRegMRs]uint64
	extra [abi.MaxMsgCaps]*capability.Slot // nil where the caller passed capability pointer 0
	r     *abi.Regs
}

// methodSpec specifies one invocation method: the object type it applies to, the rights
// it needs on the invoked capability, the message words and extra capabilities it
// reads, and its handler. The handler decodes the rest (every check), then acts; it
// returns an error only before it has changed anything.
type methodSpec struct {
	typ     abi.ObjectType
	rights  abi.Rights
	args    int
	caps    int
	summary string
	handler func(k *Kernel, inv *invocation) abi.Errno
}

var methods = [abi.NumMethods]methodSpec{
	abi.UntypedRetype: {abi.ObjUntyped, abi.RightWrite, 4, 1, "make MR3 objects of type MR0 (size MR1) into slots MR2.. of CSpace cap0", invRetype},
	abi.UntypedInfo:   {abi.ObjUntyped, abi.RightRead, 0, 0, "→ MR0 capacity, MR1 used bytes", invUntypedInfo},

	abi.CSpaceCopy:    {abi.ObjCSpace, abi.RightWrite, 3, 1, "copy src slot MR1 of CSpace cap0 to slot MR0 with rights masked by MR2", invCSpaceDerive},
	abi.CSpaceMint:    {abi.ObjCSpace, abi.RightWrite, 4, 1, "like Copy, also setting badge MR3", invCSpaceDerive},
	abi.CSpaceMove:    {abi.ObjCSpace, abi.RightWrite, 2, 1, "move slot MR1 of CSpace cap0 to slot MR0", invCSpaceDerive},
	abi.CSpaceMutate:  {abi.ObjCSpace, abi.RightWrite, 4, 1, "move with rights masked by MR2 and badge MR3 (no derived children)", invCSpaceDerive},
	abi.CSpaceDelete:  {abi.ObjCSpace, abi.RightWrite, 1, 0, "delete the capability in slot MR0", invCSpaceDelete},
	abi.CSpaceRevoke:  {abi.ObjCSpace, abi.RightWrite, 1, 0, "delete every capability derived from slot MR0", invCSpaceRevoke},
	abi.CSpaceInspect: {abi.ObjCSpace, abi.RightRead, 1, 0, "→ MR0 type, MR1 rights, MR2 badge, MR3 object id of slot MR0", invCSpaceInspect},

	abi.TCBConfigure:       {abi.ObjTCB, abi.RightWrite, 1, 3, "bind CSpace cap0, AddressSpace cap1, IPC buffer Frame cap2 at address MR0", invTCBConfigure},
	abi.TCBWriteRegisters:  {abi.ObjTCB, abi.RightWrite, 3, 0, "set entry pc MR0, sp MR1, argument MR2 of an inactive or suspended thread", invTCBWriteRegisters},
	abi.TCBReadRegisters:   {abi.ObjTCB, abi.RightRead, 0, 0, "→ MR0 pc, MR1 sp, MR2 state", invTCBReadRegisters},
	abi.TCBResume:          {abi.ObjTCB, abi.RightWrite, 0, 0, "make an inactive or suspended thread ready", invTCBResume},
	abi.TCBSuspend:         {abi.ObjTCB, abi.RightWrite, 0, 0, "stop a thread, cancelling its IPC", invTCBSuspend},
	abi.TCBSetPriority:     {abi.ObjTCB, abi.RightWrite, 1, 1, "set priority MR0, at most the MCP of authority TCB cap0", invTCBSetPriority},
	abi.TCBSetMCPriority:   {abi.ObjTCB, abi.RightWrite, 1, 1, "set maximum controlled priority MR0, at most the MCP of authority TCB cap0", invTCBSetPriority},
	abi.TCBSetTimeSlice:    {abi.ObjTCB, abi.RightWrite, 1, 0, "set the time slice to MR0 ns", invTCBSetTimeSlice},
	abi.TCBSetFaultHandler: {abi.ObjTCB, abi.RightWrite, 0, 1, "send faults to endpoint cap0 (pointer 0 clears)", invTCBSetFaultHandler},
	abi.TCBSetCPUBudget:    {abi.ObjTCB, abi.RightWrite, 2, 0, "limit to MR0 ns of CPU per MR1 ns (0, 0: unlimited)", invTCBSetCPUBudget},

	abi.FrameMap:   {abi.ObjFrame, 0, 2, 1, "map at MR0 with permissions MR1 (1 read, 2 write, 4 exec) into AddressSpace cap0", invFrameMap},
	abi.FrameUnmap: {abi.ObjFrame, 0, 1, 1, "unmap from MR0 in AddressSpace cap0", invFrameUnmap},

	abi.IRQControlGet:       {abi.ObjIRQControl, abi.RightWrite, 2, 1, "make a handler for line MR0 in slot MR1 of CSpace cap0", invIRQControlGet},
	abi.IRQHandlerSetNotify: {abi.ObjIRQHandler, abi.RightWrite, 0, 1, "signal notification cap0 (with its badge) when the line fires", invIRQSetNotify},
	abi.IRQHandlerAck:       {abi.ObjIRQHandler, abi.RightWrite, 0, 0, "re-enable the line after handling an interrupt", invIRQAck},
	abi.IRQHandlerClear:     {abi.ObjIRQHandler, abi.RightWrite, 0, 0, "stop signalling a notification", invIRQClear},

	abi.ConsoleWrite: {abi.ObjConsole, abi.RightWrite, 1, 0, "write MR0 bytes from the IPC buffer (from message word 4) to the console", invConsoleWrite},

	abi.SystemSpawn:      {abi.ObjSystem, abi.RightWrite, 3, 3, "start program argv (MR0 bytes, NUL-separated, from word 4) with MR1 bytes of memory at priority MR2 (bits 0–7; bit 8 SpawnGrantSpace: cap2 is a CSpace whose slots 1… are granted); cap0 notified at its end, cap1–2 granted → MR0 task id", invSystemSpawn},
	abi.SystemTaskInfo:   {abi.ObjSystem, abi.RightRead, 1, 0, "→ words 0–13: the first task with id ≥ MR0 (id, parent, state, status, priority, threads, thread state, memory used, limit, CPU ns, name)", invSystemTaskInfo},
	abi.SystemTaskStatus: {abi.ObjSystem, abi.RightRead, 1, 0, "→ MR0 state, MR1 exit status of task MR0; an ended task is then forgotten", invSystemTaskStatus},
	abi.SystemKill:       {abi.ObjSystem, abi.RightWrite, 1, 0, "end task MR0 and free everything it made", invSystemKill},
	abi.SystemCaps:       {abi.ObjSystem, abi.RightRead, 2, 0, "→ MR0 slot, MR1 type, MR2 rights, MR3 badge, MR4 object id: task MR0's first capability at slot ≥ MR1", invSystemCaps},
	abi.SystemMemory:     {abi.ObjSystem, abi.RightRead, 0, 0, "→ MR0 machine bytes, MR1 free frame bytes, MR2 root budget used, MR3 tasks, MR4–6 shared images, their frames, their mappings, MR7 frame bytes the kernel's runtime holds", invSystemMemory},
	abi.SystemLog:        {abi.ObjSystem, abi.RightRead, 1, 0, "→ MR0 bytes of the kernel log from offset MR0 (from word 4), MR1 the next offset", invSystemLog},
	abi.SystemPowerOff:   {abi.ObjSystem, abi.RightWrite, 1, 0, "power the machine off with exit status MR0 (not a container's System)", invSystemPowerOff},

	abi.SystemContainerCreate: {abi.ObjSystem, abi.RightWrite, abi.ContainerCreateWords, 0, "make a container nested in this System's with limits words 0–8 (memory, tasks, CPU budget, period, priority ceiling, OOM policy, flags, I/O bytes/s, I/O ops/s), its capability in slot word 9, name words 10–11 → MR0 container id", invSystemContainerCreate},
	abi.ContainerStart:        {abi.ObjContainer, abi.RightWrite, 4, 3, "start program argv (MR0 bytes from word 4) inside, memory cap MR1, priority MR2 (bits 0–7; bit 8 SpawnGrantSpace: cap2 is a CSpace whose slots 1… are granted), its container System with rights MR3; cap0 notified at its end, cap1–2 granted → MR0 container-local pid", invContainerStart},
	abi.ContainerStop:         {abi.ObjContainer, abi.RightWrite, 1, 0, "signal every task's stop notification; kill what is left after MR0 ns", invContainerStop},
	abi.ContainerDestroy:      {abi.ObjContainer, abi.RightWrite, 0, 0, "kill everything inside and free every frame, object and capability it held", invContainerDestroy},
	abi.ContainerInspect:      {abi.ObjContainer, abi.RightRead, 0, 0, "→ words 0–22: id, parent, state, limits (9), memory used, tasks, CPU ns, limit hits, OOM kills, task limit hits, I/O bytes and operations charged, I/O delay ns, name", invContainerInspect},
	abi.ContainerSetLimits:    {abi.ObjContainer, abi.RightWrite, abi.ContainerLimitsWords, 0, "set limits words 0–8, within the parent's and above what is in use", invContainerSetLimits},
	abi.ContainerKill:         {abi.ObjContainer, abi.RightWrite, 1, 0, "end the task with container-local pid MR0", invContainerKill},
	abi.ContainerTaskInfo:     {abi.ObjContainer, abi.RightRead, 1, 0, "→ words 0–13: the first task inside with container-local pid ≥ MR0, ids container-local", invContainerTaskInfo},
	abi.ContainerLink:         {abi.ObjContainer, abi.RightWrite, 3, 1, "link to peer container cap0: client end (Write) in slot MR0, server end (Read) in slot MR1, Grant allowed if MR2 = 1 → MR0 link id", invContainerLink},
	abi.ContainerUnlink:       {abi.ObjContainer, abi.RightWrite, 1, 0, "revoke link MR0: both ends, wherever they went", invContainerUnlink},
	abi.SystemDevice:          {abi.ObjSystem, abi.RightWrite, 2, 1, "put a capability to device MR0 (a container's System: entry MR0 of its allow-list) in slot MR1 of CSpace cap0 → words 0–20: index, bus/slot/func/IRQ/vendor/ID, class, 6 × (BAR address, size, flags)", invSystemDevice},
	abi.DeviceConfigRead:      {abi.ObjDevice, abi.RightRead, 2, 0, "→ MR0: MR1 bytes (1, 2, 4) of configuration space at offset MR0", invDeviceConfigRead},
	abi.DeviceConfigWrite:     {abi.ObjDevice, abi.RightWrite, 3, 0, "write MR2 as MR1 bytes at offset MR0 of configuration space (not the identity, BARs or ROM address; command: I/O, memory, bus master, INTx disable only)", invDeviceConfigWrite},
	abi.DeviceFrame:           {abi.ObjDevice, abi.RightWrite, 3, 1, "put a Frame for page MR1 of memory BAR MR0 in slot MR2 of CSpace cap0 (maps uncached)", invDeviceFrame},
	abi.FrameAddress:          {abi.ObjFrame, abi.RightWrite, 0, 0, "→ MR0 the frame's physical address (for a device's DMA)", invFrameAddress},
	abi.ContainerAllowDevice:  {abi.ObjContainer, abi.RightWrite, 0, 1, "add Device cap0 to the container's allow-list (within its parent's): its System's SystemDevice gives the listed devices, index by index", invContainerAllowDevice},

	abi.SystemImagePut:   {abi.ObjSystem, abi.RightWrite, 4, 0, "cache the image at MR0 (MR1 bytes) of the caller's memory under the digest at word 4 (checked) with flags MR2, the name after it (MR3 bytes), then the address and length of its signature, which the kernel checks against its trust root; a cached digest only takes the flags", invSystemImagePut},
	abi.SystemImageSpawn: {abi.ObjSystem, abi.RightWrite, 3, 3, "start the cached image whose digest is at word 4 with argv after it (MR0 bytes), MR1 bytes of memory at priority MR2; cap0 notified at its end, cap1–2 granted → MR0 task id", invSystemImageSpawn},
	abi.SystemImageInfo:  {abi.ObjSystem, abi.RightRead, 1, 0, "→ MR0 bytes, MR1 flags, MR2 tasks started, MR3 name length, digest and name from word 4: cached image MR0 in digest order", invSystemImageInfo},
	abi.SystemImageStats: {abi.ObjSystem, abi.RightRead, 0, 0, "→ MR0 bytes cached, MR1 limit, MR2 images, MR3 hits, MR4 misses, MR5 evictions", invSystemImageStats},
	abi.SystemConsole:    {abi.ObjSystem, abi.RightWrite, 1, 1, "put a console capability (Write) in slot MR0 of CSpace cap0 (not a container's System)", invSystemConsole},

	abi.ContainerSignal:    {abi.ObjContainer, abi.RightWrite, 2, 0, "OR signal bits MR1 (not bit 0, the stop request) into the stop notification of the task with container-local pid MR0", invContainerSignal},
	abi.ContainerLog:       {abi.ObjContainer, abi.RightRead, 1, 0, "→ MR0 bytes of the container's console output from offset MR0 (from word 4), MR1 the next offset, MR2 bytes dropped so far (the log keeps the newest 64 KiB)", invContainerLog},
	abi.SystemRegister:     {abi.ObjSystem, abi.RightWrite, 1, 1, "register Endpoint cap0 under name (MR0 bytes from word 4) in this System's container's IPC names, for its own threads only; the name lasts while cap0 stays in its slot", invSystemRegister},
	abi.SystemLookup:       {abi.ObjSystem, abi.RightRead, 2, 1, "copy the capability registered under name (MR0 bytes from word 4) in this System's container's IPC names to slot MR1 of CSpace cap0", invSystemLookup},
	abi.SystemUnregister:   {abi.ObjSystem, abi.RightWrite, 1, 1, "remove name (MR0 bytes from word 4) from the IPC names; cap0 is the capability it was registered with", invSystemUnregister},
	abi.ContainerNames:     {abi.ObjContainer, abi.RightRead, 1, 0, "→ MR0 bytes of the MR0-th name of the container's IPC names (from word 4), MR1 the next index", invContainerNames},
	abi.ContainerSetIDMap:  {abi.ObjContainer, abi.RightWrite, 2, 0, "set the mapping of ids of kind MR0 (0 user, 1 group): MR1 ranges in words 2.. (inside | outside<<32, count), once, before the first task; outside ids within the parent's mapping, root never to a machine id below 65536", invContainerSetIDMap},
	abi.ContainerIDMap:     {abi.ObjContainer, abi.RightRead, 1, 0, "→ MR0 the number of ranges of the mapping of ids of kind MR0, words 1.. the ranges (inside | outside<<32, count)", invContainerIDMap},
	abi.ContainerMapID:     {abi.ObjContainer, abi.RightRead, 2, 0, "→ MR0 the machine's id for id MR1 of kind MR0 inside the container (through every enclosing container), MR1 1 if mapped (else MR0 is 65534)", invContainerMapID},
	abi.ContainerAllowName: {abi.ObjContainer, abi.RightWrite, 1, 0, "put the name of MR0 bytes (from word 4) on the container's IPC allow-list (MR0 = 0: only make the list); with a list, SystemRegister takes only listed names; before the first task", invContainerAllowName},
	abi.ContainerSystem:    {abi.ObjContainer, abi.RightWrite, 2, 1, "put a copy of the container's System object with rights MR1 (Read, Write; what ContainerStart can give its tasks) in slot MR0 of CSpace cap0", invContainerSystem},
	abi.ContainerChargeIO:  {abi.ObjContainer, abi.RightWrite, 2, 0, "charge an I/O request of MR0 bytes and MR1 operations (each ≤ 2^40) to the container's I/O rate limits and its ancestors' → MR0 ns the service must hold it (delayed, never refused)", invContainerChargeIO},
}

func sysInvoke(k *Kernel, t *TCB, r *abi.Regs) {
	inv, spec, e := decodeInvocation(t, r)
	if e != abi.OK {
		fail(r, e)
		return
	}
	k.Stats.Invocations++
	r.Info = 0
	if e := spec.handler(k, &inv); e != abi.OK {
		fail(r, e)
		return
	}
	k.tree.Drain()
	r.Num = uint64(abi.OK)
}

// decodeInvocation performs the checks common to all methods.
func decodeInvocation(t *TCB, r *abi.Regs) (invocation, *methodSpec, abi.Errno) {
	info := abi.MsgInfo(r.Info)
	if !info.Valid() {
		return invocation{}, nil, abi.ErrInvalidArg
	}
	m := abi.Method(info.Label())
	if m == abi.MethodNone || info.Label() >= uint64(abi.NumMethods) {
		return invocation{}, nil, abi.ErrInvalidArg
	}
	spec := &methods[m]
	s, e := lookupCap(t, r.Cap, abi.ObjNull, 0)
	if e != abi.OK {
		return invocation{}, nil, e
	}
	if s.Object().Type() != spec.typ {
		return invocation{}, nil, abi.ErrWrongType
	}
	if !s.Rights().Has(spec.rights) {
		return invocation{}, nil, abi.ErrNoRights
	}
	if info.Len() < spec.args || info.ExtraCaps() < spec.caps {
		return invocation{}, nil, abi.ErrInvalidArg
	}
	inv := invocation{m: m, t: t, slot: s, args: r.MR, r: r}
	if spec.caps > 0 {
		buf := t.ipcBuffer()
		if buf == nil {
			return invocation{}, nil, abi.ErrNoIPCBuffer
		}
		for i := range spec.caps {
			c := word(buf, abi.IPCBufCaps+8*i)
			if c == 0 {
				continue
			}
			if inv.extra[i], e = t.cspace().Lookup(abi.CPtr(c)); e != abi.OK {
				return invocation{}, nil, e
			}
		}
	}
	return inv, spec, abi.OK
}

// result sets the invocation's reply words.
func (inv *invocation) result(words ...uint64) {
	copy(inv.r.MR[:], words)
	inv.r.Info = uint64(abi.NewMsgInfo(0, len(words), 0))
}

// extraOf returns extra capability i if present and of type typ with rights need.
func (inv *invocation) extraOf(i int, typ abi.ObjectType, need abi.Rights) (*capability.Slot, abi.Errno) {
	s := inv.extra[i]
	if s == nil {
		return nil, abi.ErrInvalidCap
	}
	if s.Object().Type() != typ {
		return nil, abi.ErrWrongType
	}
	if !s.Rights().Has(need) {
		return nil, abi.ErrNoRights
	}
	return s, abi.OK
}

func invRetype(k *Kernel, inv *invocation) abi.Errno {
	dst, e := inv.extraOf(0, abi.ObjCSpace, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	if !k.mayHold(&dst.Object().(*CSpace).Space, inv.slot.Object()) {
		return abi.ErrNoRights // objects of one container into another's space
	}
	var buf [maxRetypeCount]*capability.Slot
	a, e := k.decodeRetype(inv.slot, abi.ObjectType(inv.args[0]), inv.args[1],
		&dst.Object().(*CSpace).Space, inv.args[2], inv.args[3], buf[:0])
	if e != abi.OK {
		return e
	}
	k.invokeRetype(a)
	return abi.OK
}

func invUntypedInfo(k *Kernel, inv *invocation) abi.Errno {
	u := inv.slot.Object().(*Untyped)
	inv.result(u.capacity, u.used)
	return abi.OK
}

func invCSpaceDerive(k *Kernel, inv *invocation) abi.Errno {
	m := inv.m
	srcRight := abi.RightRead
	if m == abi.CSpaceMove || m == abi.CSpaceMutate {
		srcRight = abi.RightWrite // the source slot is emptied
	}
	srcSpace, e := inv.extraOf(0, abi.ObjCSpace, srcRight)
	if e != abi.OK {
		return e
	}
	dst, e := inv.slot.Object().(*CSpace).Dest(abi.CPtr(inv.args[0]))
	if e != abi.OK {
		return e
	}
	src, e := srcSpace.Object().(*CSpace).Lookup(abi.CPtr(inv.args[1]))
	if e != abi.OK {
		return e
	}
	if !k.mayHold(dst.Space(), src.Object()) {
		return abi.ErrNoRights // into an unrelated container
	}
	if m == abi.CSpaceMove {
		return k.tree.Move(dst, src)
	}
	mask, badge := abi.Rights(inv.args[2]), abi.Badge(inv.args[3])
	if inv.args[2] > uint64(abi.AllRights) {
		return abi.ErrInvalidArg
	}
	switch m {
	case abi.CSpaceCopy:
		return k.tree.Copy(dst, src, mask)
	case abi.CSpaceMint:
		return k.tree.Mint(dst, src, mask, badge)
	default:
		return k.tree.Mutate(dst, src, mask, badge)
	}
}

func invCSpaceDelete(k *Kernel, inv *invocation) abi.Errno {
	s, e := inv.slot.Object().(*CSpace).Lookup(abi.CPtr(inv.args[0]))
	if e != abi.OK {
		return e
	}
	k.tree.DeleteLocked(s)
	return abi.OK
}

func invCSpaceRevoke(k *Kernel, inv *invocation) abi.Errno {
	s, e := inv.slot.Object().(*CSpace).Lookup(abi.CPtr(inv.args[0]))
	if e != abi.OK {
		return e
	}
	k.tree.RevokeLocked(s)
	return abi.OK
}

func invCSpaceInspect(k *Kernel, inv *invocation) abi.Errno {
	s, e := inv.slot.Object().(*CSpace).Lookup(abi.CPtr(inv.args[0]))
	if e != abi.OK {
		return e
	}
	o := s.Object()
	inv.result(uint64(o.Type()), uint64(s.Rights()), uint64(s.Badge()), objectID(o))
	return abi.OK
}

// objectID returns the identity of any kernel object.
func objectID(o capability.Object) uint64 {
	return o.(interface{ ID() uint64 }).ID()
}

func invTCBConfigure(k *Kernel, inv *invocation) abi.Errno {
	t := inv.slot.Object().(*TCB)
	type binding struct {
		slot int
		typ  abi.ObjectType
		need abi.Rights
	}
	binds := [3]binding{
		{tcbSlotCSpace, abi.ObjCSpace, 0},
		{tcbSlotAddressSpace, abi.ObjAddressSpace, 0},
		{tcbSlotIPCBuffer, abi.ObjFrame, abi.RightRead | abi.RightWrite},
	}
	for i, b := range binds {
		if inv.extra[i] == nil {
			continue
		}
		if _, e := inv.extraOf(i, b.typ, b.need); e != abi.OK {
			return e
		}
		if !k.mayHold(&t.slots, inv.extra[i].Object()) {
			return abi.ErrNoRights // a thread cannot run in another container's spaces
		}
	}
	if f := inv.extra[2]; f != nil && f.Object().(*Frame).device {
		return abi.ErrWrongType // the kernel writes IPC buffers; device registers are not memory
	}
	va := inv.args[0]
	if va%abi.PageSize != 0 {
		return abi.ErrInvalidArg
	}
	if va >= uint64(hal.UserTop) {
		return abi.ErrRange
	}
	for i, b := range binds {
		if inv.extra[i] == nil {
			continue
		}
		dst := t.slots.At(b.slot)
		k.tree.DeleteLocked(dst)
		if e := k.tree.Copy(dst, inv.extra[i], abi.AllRights); e != abi.OK {
			panic("kernel: TCB Configure copy failed after decode: " + e.Error())
		}
	}
	if inv.extra[2] != nil {
		t.ipcVA = va
	}
	return abi.OK
}

func invTCBWriteRegisters(k *Kernel, inv *invocation) abi.Errno {
	t := inv.slot.Object().(*TCB)
	if t.state != Inactive && t.state != Suspended {
		return abi.ErrIllegal
	}
	t.ctx.SetEntry(inv.args[0], inv.args[1], inv.args[2])
	if t.state == Suspended {
		t.setState(Inactive)
	}
	return abi.OK
}

func invTCBReadRegisters(k *Kernel, inv *invocation) abi.Errno {
	t := inv.slot.Object().(*TCB)
	inv.result(t.ctx.PC(), t.ctx.SP(), uint64(t.state))
	return abi.OK
}

func invTCBResume(k *Kernel, inv *invocation) abi.Errno {
	t := inv.slot.Object().(*TCB)
	if t.state == Inactive || t.state == Suspended {
		t.sliceLeft = t.slice
		k.makeReady(t, false)
	}
	return abi.OK
}

func invTCBSuspend(k *Kernel, inv *invocation) abi.Errno {
	k.suspend(inv.slot.Object().(*TCB))
	return abi.OK
}

// suspend stops t: its IPC is cancelled (the system call returns ErrCancelled when it
// resumes) and it leaves the ready queue.
func (k *Kernel) suspend(t *TCB) {
	switch {
	case t.state.blocked():
		k.cancelIPC(t)
		switch t.fault.kind {
		case abi.FaultNone:
			t.ctx.Regs().Num = uint64(abi.ErrCancelled)
		case abi.FaultUnknownSyscall:
			t.ctx.Regs().Num = uint64(abi.ErrInvalidSys)
		}
		t.fault = faultMsg{}
	case t.state == Ready:
		k.sched.remove(t)
	case t.state == Running:
		// The result of the Suspend itself is already success; the thread stops here.
	default:
		return // Inactive or Suspended already
	}
	t.setState(Suspended)
}

func invTCBSetPriority(k *Kernel, inv *invocation) abi.Errno {
	auth, e := inv.extraOf(0, abi.ObjTCB, 0)
	if e != abi.OK {
		return e
	}
	p := inv.args[0]
	t := inv.slot.Object().(*TCB)
	if p > abi.MaxPriority || p > uint64(auth.Object().(*TCB).mcp) || p > t.ceiling() {
		return abi.ErrRange
	}
	if inv.m == abi.TCBSetMCPriority {
		t.mcp = uint8(p)
		return abi.OK
	}
	if t.state == Ready {
		k.sched.remove(t)
		t.prio = uint8(p)
		k.sched.enqueue(t, false)
	} else {
		t.prio = uint8(p)
	}
	return abi.OK
}

// Time slices and budgets are bounded so that a thread can neither monopolise the CPU
// nor make the kernel spend all its time switching.
const (
	minSlice = 10_000         // 10 µs
	maxSlice = 10_000_000_000 // 10 s
)

func invTCBSetTimeSlice(k *Kernel, inv *invocation) abi.Errno {
	ns := inv.args[0]
	if ns < minSlice || ns > maxSlice {
		return abi.ErrRange
	}
	t := inv.slot.Object().(*TCB)
	t.slice = hal.Time(ns)
	t.sliceLeft = min(t.sliceLeft, t.slice)
	return abi.OK
}

func invTCBSetFaultHandler(k *Kernel, inv *invocation) abi.Errno {
	t := inv.slot.Object().(*TCB)
	if inv.extra[0] != nil {
		if _, e := inv.extraOf(0, abi.ObjEndpoint, abi.RightWrite); e != abi.OK {
			return e
		}
		if !k.mayHold(&t.slots, inv.extra[0].Object()) {
			return abi.ErrNoRights
		}
	}
	dst := t.slots.At(tcbSlotFault)
	k.tree.DeleteLocked(dst)
	if inv.extra[0] != nil {
		if e := k.tree.Copy(dst, inv.extra[0], abi.RightWrite); e != abi.OK {
			panic("kernel: fault handler copy failed after decode: " + e.Error())
		}
	}
	return abi.OK
}

func invTCBSetCPUBudget(k *Kernel, inv *invocation) abi.Errno {
	budget, period := inv.args[0], inv.args[1]
	t := inv.slot.Object().(*TCB)
	if budget == 0 && period == 0 {
		t.cpu = CPUBudget{group: t.cpu.group} // the container's limit stays
		return abi.OK
	}
	if budget < minSlice || period < budget || period > maxSlice {
		return abi.ErrRange
	}
	t.cpu = CPUBudget{Budget: hal.Time(budget), Period: hal.Time(period), start: k.cpu.Now(), group: t.cpu.group}
	return abi.OK
}

func invFrameMap(k *Kernel, inv *invocation) abi.Errno {
	as := inv.extra[0]
	if as == nil {
		return abi.ErrInvalidCap
	}
	p, e := decodeMap(inv.slot, as, inv.args[0], inv.args[1])
	if e != abi.OK {
		return e
	}
	if !related(owner(as.Object()), owner(inv.slot.Object())) {
		return abi.ErrNoRights // shared memory between unrelated containers is a channel too
	}
	return inv.slot.Object().(*Frame).mapInto(as.Object().(*AddressSpace), hal.VirtAddr(inv.args[0]), p)
}

func invFrameUnmap(k *Kernel, inv *invocation) abi.Errno {
	as, e := inv.extraOf(0, abi.ObjAddressSpace, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	return inv.slot.Object().(*Frame).unmapFrom(as.Object().(*AddressSpace), hal.VirtAddr(inv.args[0]))
}
