package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Reply is the one-shot right to answer a Call. A server passes a Reply object to Recv;
// when the message it receives was a Call, the caller waits on that Reply until the
// server replies through it (Reply or ReplyRecv). Rights: Write to reply.
type Reply struct {
	objBase
	receiver *TCB // a thread blocked in Recv that will bind this Reply, or nil
	caller   *TCB // the thread waiting for the reply, or nil
	grant    bool // the reply may carry capabilities (the receiver's endpoint capability had Grant or GrantReply)
}

// Type implements capability.Object.
func (r *Reply) Type() abi.ObjectType { return abi.ObjReply }

// Finalize implements capability.Object: a waiting caller's Call fails with
// ErrCancelled; a receiver that was going to bind it has its Recv cancelled too.
func (r *Reply) Finalize(*capability.Tree) {
	if c := r.caller; c != nil {
		r.k.cancelIPC(c)
		r.k.failBlocked(c, abi.ErrCancelled)
	}
	if t := r.receiver; t != nil {
		r.k.cancelIPC(t)
		r.k.failBlocked(t, abi.ErrCancelled)
	}
	r.release()
}

// doReply answers reply's caller with t's message. The caller has checked that reply
// has a caller and that any capabilities may be transferred.
func (k *Kernel) doReply(t *TCB, reply *Reply) {
	c, grant := reply.caller, reply.grant
	reply.caller, reply.grant = nil, false
	c.reply = nil
	if c.fault.kind != abi.FaultNone {
		if c.fault.kind == abi.FaultUnknownSyscall {
			c.ctx.Regs().Num = uint64(abi.ErrInvalidSys)
		}
		c.fault = faultMsg{}
	} else {
		k.transfer(t, c, 0, grant)
	}
	k.makeReady(c, false)
}
