package kernel

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// transfer copies the message of s (its registers, IPC buffer words and capabilities,
// or its pending fault) to r and sets r's results: badge, message info, success. It
// never fails: words beyond r's IPC buffer are truncated and capabilities r has no room
// for are not transferred; the delivered MsgInfo says what arrived.
func (k *Kernel) transfer(s, r *TCB, badge abi.Badge, grant bool) {
	k.Stats.Messages++
	sr, rr := s.ctx.Regs(), r.ctx.Regs()
	if s.fault.kind != abi.FaultNone {
		copy(rr.MR[:], s.fault.words[:])
		rr.Info = uint64(abi.NewMsgInfo(uint64(s.fault.kind), abi.FaultMsgLen, 0))
		rr.Cap, rr.Num = uint64(badge), uint64(abi.OK)
		return
	}
	info := abi.MsgInfo(sr.Info)
	n := info.Len()
	rr.MR = sr.MR
	if n > abi.NumRegMRs {
		sb, rb := s.ipcBuffer(), r.ipcBuffer()
		if sb == nil || rb == nil {
			n = abi.NumRegMRs
		} else {
			lo, hi := abi.IPCBufMR+8*abi.NumRegMRs, abi.IPCBufMR+8*n
			copy(rb[lo:hi], sb[lo:hi])
		}
	}
	caps := 0
	if grant && info.ExtraCaps() > 0 {
		caps = k.transferCaps(s, r, info.ExtraCaps())
	}
	rr.Info = uint64(abi.NewMsgInfo(info.Label(), n, caps))
	rr.Cap, rr.Num = uint64(badge), uint64(abi.OK)
}

// transferCaps copies up to n capabilities named in s's IPC buffer into the receive
// slots named in r's, as children of the sender's capabilities (so revoking the
// sender's capability reaches the copies). It stops at the first capability that cannot
// be transferred and returns how many were.
func (k *Kernel) transferCaps(s, r *TCB, n int) int {
	sb, rb := s.ipcBuffer(), r.ipcBuffer()
	ss, rs := s.cspace(), r.cspace()
	if (sb == nil && s.pgrant == nil) || rb == nil || ss == nil || rs == nil {
		return 0
	}
	for i := range n {
		src := s.pgrant // a personality call grants the kernel's capability (one)
		if src == nil {
			var e abi.Errno
			if src, e = ss.Lookup(abi.CPtr(word(sb, abi.IPCBufCaps+8*i))); e != abi.OK {
				return i
			}
		}
		dst, e := rs.Dest(abi.CPtr(word(rb, abi.IPCBufRecvSlots+8*i)))
		if e != abi.OK {
			return i
		}
		if !k.mayHold(rs, src.Object()) || k.tree.Copy(dst, src, abi.AllRights) != abi.OK {
			return i // it would cross into an unrelated container (see mayHold), or no room
		}
	}
	return n
}

// word reads the little-endian word at byte offset off of an IPC buffer.
func word(b *[abi.PageSize]byte, off int) uint64 {
	return binary.LittleEndian.Uint64(b[off : off+8])
}

// cancelIPC takes a blocked thread out of whatever it waits on. Its state is left for
// the caller to set.
func (k *Kernel) cancelIPC(t *TCB) {
	switch t.state {
	case BlockedOnSend, BlockedOnRecv:
		t.waitEP.dequeue(t)
		t.waitEP = nil
		if t.reply != nil {
			t.reply.receiver = nil
			t.reply = nil
		}
	case BlockedOnReply:
		t.reply.caller = nil
		t.reply = nil
	case BlockedOnNotification:
		t.waitNtfn.waiters.remove(t)
		t.waitNtfn = nil
	case BlockedExternal:
		k.dropSleeper(t)
	}
}

// failBlocked makes a thread whose IPC was cancelled Ready, with its system call
// returning err. A thread that was delivering a fault retries the faulting operation.
func (k *Kernel) failBlocked(t *TCB, err abi.Errno) {
	if !t.state.blocked() {
		return
	}
	switch t.fault.kind {
	case abi.FaultNone:
		t.ctx.Regs().Num = uint64(err)
	case abi.FaultUnknownSyscall:
		t.ctx.Regs().Num = uint64(abi.ErrInvalidSys)
	}
	t.fault = faultMsg{}
	k.makeReady(t, false)
}

// cancelAll fails the IPC of every thread in q with ErrCancelled; finalizers of objects
// threads wait on use it.
func (k *Kernel) cancelAll(q *tcbQueue) {
	for !q.empty() {
		t := q.head
		k.cancelIPC(t)
		k.failBlocked(t, abi.ErrCancelled)
	}
}
