package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// sysSpec specifies one system call: its handler and a one-line summary. The table is
// the only place system call numbers meet code.
type sysSpec struct {
	name    string
	summary string
	handler func(k *Kernel, t *TCB, r *abi.Regs)
}

// syscalls is indexed by number − abi.SysBase.
var syscalls = [abi.NumSyscalls]sysSpec{
	abi.SysSend - abi.SysBase:      {"Send", "send a message on an endpoint (Write; Grant to transfer capabilities); blocks until received", sysSend},
	abi.SysNBSend - abi.SysBase:    {"NBSend", "send only if a receiver waits; else ErrWouldBlock", sysNBSend},
	abi.SysCall - abi.SysBase:      {"Call", "send on an endpoint, then wait for the reply", sysCall},
	abi.SysRecv - abi.SysBase:      {"Recv", "receive on an endpoint (Read) with an optional Reply object in Cap2, or wait on a notification", sysRecv},
	abi.SysNBRecv - abi.SysBase:    {"NBRecv", "receive only if a sender waits; else ErrWouldBlock", sysNBRecv},
	abi.SysReply - abi.SysBase:     {"Reply", "answer the caller waiting on a Reply object (Write)", sysReply},
	abi.SysReplyRecv - abi.SysBase: {"ReplyRecv", "reply through Cap2 (if a caller waits), then receive on Cap with the same Reply object", sysReplyRecv},
	abi.SysSignal - abi.SysBase:    {"Signal", "OR the capability's badge into a notification (Write)", sysSignal},
	abi.SysWait - abi.SysBase:      {"Wait", "wait until a notification is signalled (Read); its word is returned in Cap", sysWait},
	abi.SysPoll - abi.SysBase:      {"Poll", "read and clear a notification word; ErrWouldBlock if not signalled", sysPoll},
	abi.SysYield - abi.SysBase:     {"Yield", "go to the back of the thread's priority level", sysYield},
	abi.SysInvoke - abi.SysBase:    {"Invoke", "run method Info.Label of the object Cap names (see the method table)", sysInvoke},
}

// syscall decodes and runs the system call in t's registers. Every path either completes
// (writing the result to t's registers) or leaves t blocked; none waits.
func (k *Kernel) syscall(t *TCB) {
	r := t.ctx.Regs()
	num := abi.Sys(r.Num)
	if !num.Valid() {
		if t.Personality != nil {
			k.Stats.ForeignSyscalls++
			t.Personality.Syscall(k, t)
			return
		}
		k.raiseFault(t, abi.FaultUnknownSyscall, r.Num, t.ctx.PC(), 0)
		return
	}
	k.Stats.Syscalls++
	if fastPath {
		switch num {
		case abi.SysCall:
			if k.fastCall(t, r) {
				return
			}
		case abi.SysReplyRecv:
			if k.fastReplyRecv(t, r) {
				return
			}
		}
	}
	syscalls[num-abi.SysBase].handler(k, t, r)
}

// lookupCap finds the capability c names in t's space and checks its type and rights.
func lookupCap(t *TCB, c uint64, typ abi.ObjectType, need abi.Rights) (*capability.Slot, abi.Errno) {
	cs := t.cspace()
	if cs == nil {
		return nil, abi.ErrInvalidCap
	}
	s, e := cs.Lookup(abi.CPtr(c))
	if e != abi.OK {
		return nil, e
	}
	if typ != abi.ObjNull && s.Object().Type() != typ {
		return nil, abi.ErrWrongType
	}
	if !s.Rights().Has(need) {
		return nil, abi.ErrNoRights
	}
	return s, abi.OK
}

// checkMessage validates the message t is about to send: a well-formed MsgInfo, an IPC
// buffer if the message needs one, and (only when grant is allowed) valid capabilities.
// Capabilities without the right to grant are an error, not silently dropped.
func checkMessage(t *TCB, info abi.MsgInfo, grant bool) abi.Errno {
	if !info.Valid() {
		return abi.ErrInvalidArg
	}
	if info.Len() <= abi.NumRegMRs && info.ExtraCaps() == 0 {
		return abi.OK
	}
	buf := t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	if info.ExtraCaps() == 0 {
		return abi.OK
	}
	if !grant {
		return abi.ErrNoRights
	}
	cs := t.cspace()
	for i := range info.ExtraCaps() {
		if _, e := cs.Lookup(abi.CPtr(word(buf, abi.IPCBufCaps+8*i))); e != abi.OK {
			return e
		}
	}
	return abi.OK
}

func fail(r *abi.Regs, e abi.Errno) { r.Num = uint64(e) }

func sysSend(k *Kernel, t *TCB, r *abi.Regs)   { doSend(k, t, r, false, true) }
func sysNBSend(k *Kernel, t *TCB, r *abi.Regs) { doSend(k, t, r, false, false) }
func sysCall(k *Kernel, t *TCB, r *abi.Regs)   { doSend(k, t, r, true, true) }

func doSend(k *Kernel, t *TCB, r *abi.Regs, call, blocking bool) {
	s, e := lookupCap(t, r.Cap, abi.ObjEndpoint, abi.RightWrite)
	if e != abi.OK {
		fail(r, e)
		return
	}
	grant := s.Rights().Has(abi.RightGrant)
	if e := checkMessage(t, abi.MsgInfo(r.Info), grant); e != abi.OK {
		fail(r, e)
		return
	}
	k.send(t, s.Object().(*Endpoint), s.Badge(), grant, call, blocking)
}

func sysRecv(k *Kernel, t *TCB, r *abi.Regs)   { doRecv(k, t, r, true) }
func sysNBRecv(k *Kernel, t *TCB, r *abi.Regs) { doRecv(k, t, r, false) }

func doRecv(k *Kernel, t *TCB, r *abi.Regs, blocking bool) {
	s, e := lookupCap(t, r.Cap, abi.ObjNull, abi.RightRead)
	if e != abi.OK {
		fail(r, e)
		return
	}
	switch obj := s.Object().(type) {
	case *Notification:
		k.wait(t, obj, blocking)
	case *Endpoint:
		reply, e := decodeReplyForRecv(t, r.Cap2)
		if e != abi.OK {
			fail(r, e)
			return
		}
		k.recv(t, obj, reply, s.Rights()&(abi.RightGrant|abi.RightGrantReply) != 0, blocking)
	default:
		fail(r, abi.ErrWrongType)
	}
}

// decodeReplyForRecv checks the optional Reply object a receiver offers: it must be free
// (not owed to a caller, not offered by another receiver).
func decodeReplyForRecv(t *TCB, c uint64) (*Reply, abi.Errno) {
	if c == 0 {
		return nil, abi.OK
	}
	s, e := lookupCap(t, c, abi.ObjReply, abi.RightWrite)
	if e != abi.OK {
		return nil, e
	}
	reply := s.Object().(*Reply)
	if reply.caller != nil || reply.receiver != nil {
		return nil, abi.ErrIllegal
	}
	return reply, abi.OK
}

func sysReply(k *Kernel, t *TCB, r *abi.Regs) {
	reply, e := decodeReply(t, r.Cap2, abi.MsgInfo(r.Info))
	if e != abi.OK {
		fail(r, e)
		return
	}
	if reply.caller == nil {
		fail(r, abi.ErrIllegal)
		return
	}
	k.doReply(t, reply)
	r.Num = uint64(abi.OK)
}

// decodeReply checks a reply: the Reply capability and the message, whose capabilities
// need the Reply's grant.
func decodeReply(t *TCB, c uint64, info abi.MsgInfo) (*Reply, abi.Errno) {
	s, e := lookupCap(t, c, abi.ObjReply, abi.RightWrite)
	if e != abi.OK {
		return nil, e
	}
	reply := s.Object().(*Reply)
	if reply.receiver != nil {
		return nil, abi.ErrIllegal
	}
	// The message is checked even when no caller waits (Reply then refuses with
	// ErrIllegal, ReplyRecv only receives); only the right to grant depends on the
	// caller bound now, never on an earlier one.
	if e := checkMessage(t, info, reply.caller == nil || reply.grant); e != abi.OK {
		return nil, e
	}
	return reply, abi.OK
}

func sysReplyRecv(k *Kernel, t *TCB, r *abi.Regs) {
	// Decode both halves before acting so that a bad receive changes nothing.
	ep, e := lookupCap(t, r.Cap, abi.ObjEndpoint, abi.RightRead)
	if e != abi.OK {
		fail(r, e)
		return
	}
	reply, e := decodeReply(t, r.Cap2, abi.MsgInfo(r.Info))
	if e != abi.OK {
		fail(r, e)
		return
	}
	if reply.caller != nil {
		k.doReply(t, reply)
	}
	k.recv(t, ep.Object().(*Endpoint), reply, ep.Rights()&(abi.RightGrant|abi.RightGrantReply) != 0, true)
}

func sysSignal(k *Kernel, t *TCB, r *abi.Regs) {
	s, e := lookupCap(t, r.Cap, abi.ObjNotification, abi.RightWrite)
	if e != abi.OK {
		fail(r, e)
		return
	}
	k.signal(s.Object().(*Notification), s.Badge())
	r.Num = uint64(abi.OK)
}

func sysWait(k *Kernel, t *TCB, r *abi.Regs) { doWait(k, t, r, true) }
func sysPoll(k *Kernel, t *TCB, r *abi.Regs) { doWait(k, t, r, false) }

func doWait(k *Kernel, t *TCB, r *abi.Regs, blocking bool) {
	s, e := lookupCap(t, r.Cap, abi.ObjNotification, abi.RightRead)
	if e != abi.OK {
		fail(r, e)
		return
	}
	k.wait(t, s.Object().(*Notification), blocking)
}

func sysYield(k *Kernel, t *TCB, r *abi.Regs) {
	r.Num = uint64(abi.OK)
	k.yield(t)
}
