package user

import "github.com/skyscope-os/skyscope/kernel/abi"

// Typed wrappers for the kernel's invocation methods (see abi.Method and
// ARCHITECTURE.md for arguments, rights and errors).

func (e *Env) invoke(c abi.CPtr, m abi.Method, args []uint64, caps []abi.CPtr) error {
	for i, a := range args {
		e.SetMR(i, a)
	}
	for i, cp := range caps {
		e.SetCap(i, cp)
	}
	return e.Invoke(c, m, len(args), len(caps))
}

// Retype makes count objects of type t (size: CSpace radix or Untyped bytes) from
// memory budget ut into slots first.. of CSpace cs.
func (e *Env) Retype(ut abi.CPtr, t abi.ObjectType, size uint64, cs, first abi.CPtr, count int) error {
	return e.invoke(ut, abi.UntypedRetype, []uint64{uint64(t), size, uint64(first), uint64(count)}, []abi.CPtr{cs})
}

// UntypedInfo returns a memory budget's capacity and used bytes.
func (e *Env) UntypedInfo(ut abi.CPtr) (capacity, used uint64, err error) {
	err = e.invoke(ut, abi.UntypedInfo, nil, nil)
	return e.r.MR[0], e.r.MR[1], err
}

// Copy copies slot src of CSpace srcCS into slot dst of CSpace dstCS with rights masked.
func (e *Env) Copy(dstCS, dst, srcCS, src abi.CPtr, mask abi.Rights) error {
	return e.invoke(dstCS, abi.CSpaceCopy, []uint64{uint64(dst), uint64(src), uint64(mask)}, []abi.CPtr{srcCS})
}

// Mint is Copy that also sets a badge.
func (e *Env) Mint(dstCS, dst, srcCS, src abi.CPtr, mask abi.Rights, badge abi.Badge) error {
	return e.invoke(dstCS, abi.CSpaceMint, []uint64{uint64(dst), uint64(src), uint64(mask), uint64(badge)}, []abi.CPtr{srcCS})
}

// Move moves slot src of srcCS to slot dst of dstCS.
func (e *Env) Move(dstCS, dst, srcCS, src abi.CPtr) error {
	return e.invoke(dstCS, abi.CSpaceMove, []uint64{uint64(dst), uint64(src)}, []abi.CPtr{srcCS})
}

// Mutate moves slot src of srcCS to slot dst of dstCS with rights masked and a badge.
func (e *Env) Mutate(dstCS, dst, srcCS, src abi.CPtr, mask abi.Rights, badge abi.Badge) error {
	return e.invoke(dstCS, abi.CSpaceMutate, []uint64{uint64(dst), uint64(src), uint64(mask), uint64(badge)}, []abi.CPtr{srcCS})
}

// Delete deletes the capability in slot s of CSpace cs.
func (e *Env) Delete(cs, s abi.CPtr) error {
	return e.invoke(cs, abi.CSpaceDelete, []uint64{uint64(s)}, nil)
}

// Revoke deletes every capability derived from slot s of CSpace cs.
func (e *Env) Revoke(cs, s abi.CPtr) error {
	return e.invoke(cs, abi.CSpaceRevoke, []uint64{uint64(s)}, nil)
}

// CapInfo describes a capability.
type CapInfo struct {
	Type   abi.ObjectType
	Rights abi.Rights
	Badge  abi.Badge
	Object uint64 // the object's identity
}

// Inspect describes the capability in slot s of CSpace cs.
func (e *Env) Inspect(cs, s abi.CPtr) (CapInfo, error) {
	err := e.invoke(cs, abi.CSpaceInspect, []uint64{uint64(s)}, nil)
	if err != nil {
		return CapInfo{}, err
	}
	r := e.r
	return CapInfo{abi.ObjectType(r.MR[0]), abi.Rights(r.MR[1]), abi.Badge(r.MR[2]), r.MR[3]}, nil
}

// Configure binds a thread to a CSpace, an address space and an IPC buffer frame mapped
// at ipcVA (any pointer may be 0 to leave that binding as it is).
func (e *Env) Configure(tcb, cs, as, ipcFrame abi.CPtr, ipcVA uint64) error {
	return e.invoke(tcb, abi.TCBConfigure, []uint64{ipcVA}, []abi.CPtr{cs, as, ipcFrame})
}

// WriteRegisters sets an inactive or suspended thread's entry pc, stack and argument.
func (e *Env) WriteRegisters(tcb abi.CPtr, pc, sp, arg uint64) error {
	return e.invoke(tcb, abi.TCBWriteRegisters, []uint64{pc, sp, arg}, nil)
}

// ThreadInfo returns a thread's pc, sp and state (kernel.ThreadState's value).
func (e *Env) ThreadInfo(tcb abi.CPtr) (pc, sp, state uint64, err error) {
	err = e.invoke(tcb, abi.TCBReadRegisters, nil, nil)
	return e.r.MR[0], e.r.MR[1], e.r.MR[2], err
}

// Resume makes an inactive or suspended thread ready.
func (e *Env) Resume(tcb abi.CPtr) error { return e.invoke(tcb, abi.TCBResume, nil, nil) }

// Suspend stops a thread.
func (e *Env) Suspend(tcb abi.CPtr) error { return e.invoke(tcb, abi.TCBSuspend, nil, nil) }

// SetPriority sets a thread's priority, bounded by the MCP of thread auth.
func (e *Env) SetPriority(tcb, auth abi.CPtr, prio uint8) error {
	return e.invoke(tcb, abi.TCBSetPriority, []uint64{uint64(prio)}, []abi.CPtr{auth})
}

// SetMCPriority sets a thread's maximum controlled priority, bounded by auth's.
func (e *Env) SetMCPriority(tcb, auth abi.CPtr, mcp uint8) error {
	return e.invoke(tcb, abi.TCBSetMCPriority, []uint64{uint64(mcp)}, []abi.CPtr{auth})
}

// SetTimeSlice sets a thread's time slice in nanoseconds.
func (e *Env) SetTimeSlice(tcb abi.CPtr, ns uint64) error {
	return e.invoke(tcb, abi.TCBSetTimeSlice, []uint64{ns}, nil)
}

// SetFaultHandler sends the thread's faults to endpoint ep (0 clears).
func (e *Env) SetFaultHandler(tcb, ep abi.CPtr) error {
	return e.invoke(tcb, abi.TCBSetFaultHandler, nil, []abi.CPtr{ep})
}

// SetCPUBudget limits a thread to budget ns of CPU per period ns (0, 0: unlimited).
func (e *Env) SetCPUBudget(tcb abi.CPtr, budget, period uint64) error {
	return e.invoke(tcb, abi.TCBSetCPUBudget, []uint64{budget, period}, nil)
}

// Map maps frame at va in address space as with permissions perm (1 read, 2 write, 4 exec).
func (e *Env) Map(frame, as abi.CPtr, va uint64, perm uint64) error {
	return e.invoke(frame, abi.FrameMap, []uint64{va, perm}, []abi.CPtr{as})
}

// Unmap removes frame's mapping at va in address space as.
func (e *Env) Unmap(frame, as abi.CPtr, va uint64) error {
	return e.invoke(frame, abi.FrameUnmap, []uint64{va}, []abi.CPtr{as})
}

// IRQHandler claims interrupt line into slot dst of CSpace cs.
func (e *Env) IRQHandler(irqControl abi.CPtr, line int, cs, dst abi.CPtr) error {
	return e.invoke(irqControl, abi.IRQControlGet, []uint64{uint64(line), uint64(dst)}, []abi.CPtr{cs})
}

// IRQSetNotification makes the line signal notification n.
func (e *Env) IRQSetNotification(handler, n abi.CPtr) error {
	return e.invoke(handler, abi.IRQHandlerSetNotify, nil, []abi.CPtr{n})
}

// IRQAck re-enables the handler's line.
func (e *Env) IRQAck(handler abi.CPtr) error { return e.invoke(handler, abi.IRQHandlerAck, nil, nil) }

// Print writes s to the console through console capability cons, in chunks that fit
// the IPC buffer.
func (e *Env) Print(cons abi.CPtr, s string) error {
	const chunk = 8 * (abi.MaxMsgWords - abi.NumRegMRs)
	for len(s) > 0 {
		n := min(len(s), chunk)
		e.SetPayload([]byte(s[:n]))
		e.SetMR(0, uint64(n))
		if err := e.Invoke(cons, abi.ConsoleWrite, 1, 0); err != nil {
			return err
		}
		s = s[n:]
	}
	return nil
}
