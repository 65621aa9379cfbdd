package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// epState says what kind of thread an endpoint's queue holds.
type epState uint8

const (
	epIdle      epState = iota // nobody waiting
	epSending                  // senders (and callers, and faulting threads) waiting for a receiver
	epReceiving                // receivers waiting for a sender
)

// Endpoint is a synchronous IPC rendezvous. Senders and receivers meet on it; the
// message goes straight from the sender's registers and IPC buffer to the receiver's.
// Rights: Write to send or call, Read to receive, Grant to transfer capabilities with a
// message, GrantReply to let the reply to a call received here carry capabilities.
type Endpoint struct {
	objBase
	state epState
	queue tcbQueue
}

// Type implements capability.Object.
func (e *Endpoint) Type() abi.ObjectType { return abi.ObjEndpoint }

// Finalize implements capability.Object: every waiting thread's IPC fails with
// ErrCancelled.
func (e *Endpoint) Finalize(*capability.Tree) {
	e.k.cancelAll(&e.queue)
	e.release()
}

func (e *Endpoint) dequeue(t *TCB) {
	e.queue.remove(t)
	if e.queue.empty() {
		e.state = epIdle
	}
}

// send delivers t's message (or pending fault) to a waiting receiver, or queues t if
// blocking. The caller has checked the capability, the message and t's right to grant.
func (k *Kernel) send(t *TCB, ep *Endpoint, badge abi.Badge, grant, call, blocking bool) {
	if ep.state == epReceiving {
		r := ep.queue.head
		ep.dequeue(r)
		reply := r.reply
		r.reply, r.waitEP = nil, nil
		if reply != nil {
			reply.receiver = nil
		}
		k.transfer(t, r, badge, grant)
		k.makeReady(r, false)
		if call {
			k.bindReply(t, reply, r.recvGrant)
		} else {
			t.ctx.Regs().Num = uint64(abi.OK)
		}
		return
	}
	if !blocking {
		t.ctx.Regs().Num = uint64(abi.ErrWouldBlock)
		return
	}
	t.sendBadge, t.sendGrant, t.sendCall = badge, grant, call
	t.waitEP = ep
	t.setState(BlockedOnSend)
	ep.queue.pushBack(t)
	ep.state = epSending
}

// recv takes a message from a waiting sender into t, or queues t if blocking. reply (may
// be nil) is bound to the sender if the sender called.
func (k *Kernel) recv(t *TCB, ep *Endpoint, reply *Reply, replyGrant, blocking bool) {
	if ep.state == epSending {
		s := ep.queue.head
		ep.dequeue(s)
		s.waitEP = nil
		k.transfer(s, t, s.sendBadge, s.sendGrant)
		if s.sendCall {
			k.bindReply(s, reply, replyGrant)
		} else {
			s.ctx.Regs().Num = uint64(abi.OK)
			k.makeReady(s, false)
		}
		return
	}
	if !blocking {
		t.ctx.Regs().Num = uint64(abi.ErrWouldBlock)
		return
	}
	t.waitEP, t.reply, t.recvGrant = ep, reply, replyGrant
	if reply != nil {
		reply.receiver = t
	}
	t.setState(BlockedOnRecv)
	ep.queue.pushBack(t)
	ep.state = epReceiving
}

// bindReply makes caller wait for a reply through reply. A call received without a Reply
// object cannot be answered: the caller's Call fails with ErrCancelled (a faulting
// thread is suspended instead).
func (k *Kernel) bindReply(caller *TCB, reply *Reply, grant bool) {
	if reply == nil {
		if caller.fault.kind != abi.FaultNone {
			k.logf("thread %s: %v not answerable (receiver has no Reply object); suspended", caller.name(), caller.fault.kind)
			if caller.fault.kind == abi.FaultUnknownSyscall {
				caller.ctx.Regs().Num = uint64(abi.ErrInvalidSys) // what the call returns if resumed
			}
			caller.fault = faultMsg{}
			caller.setState(Suspended)
			return
		}
		caller.ctx.Regs().Num = uint64(abi.ErrCancelled)
		if caller.state == Running {
			return
		}
		k.makeReady(caller, false)
		return
	}
	reply.caller, reply.grant = caller, grant
	caller.reply = reply
	caller.setState(BlockedOnReply)
}
