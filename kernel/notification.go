package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Notification is an asynchronous signal: a word into which Signal ORs the badge of the
// capability used, and which Wait or Poll read and clear. Rights: Write to signal, Read
// to wait or poll.
type Notification struct {
	objBase
	word    uint64
	pending bool // signalled since the last Wait/Poll (even with badge 0)
	waiters tcbQueue
}

// Type implements capability.Object.
func (n *Notification) Type() abi.ObjectType { return abi.ObjNotification }

// Finalize implements capability.Object: waiting threads' Wait fails with ErrCancelled.
func (n *Notification) Finalize(*capability.Tree) {
	n.k.cancelAll(&n.waiters)
	n.release()
}

// signal ORs badge into n, or wakes the first waiter with it.
func (k *Kernel) signal(n *Notification, badge abi.Badge) {
	if w := n.waiters.popFront(); w != nil {
		w.waitNtfn = nil
		r := w.ctx.Regs()
		r.Num, r.Cap = uint64(abi.OK), uint64(badge)
		k.makeReady(w, false)
		return
	}
	n.word |= uint64(badge)
	n.pending = true
}

// wait returns n's word to t, or blocks t (if blocking) until n is signalled.
func (k *Kernel) wait(t *TCB, n *Notification, blocking bool) {
	r := t.ctx.Regs()
	if n.pending {
		r.Num, r.Cap = uint64(abi.OK), n.word
		n.word, n.pending = 0, false
		return
	}
	if !blocking {
		r.Num, r.Cap = uint64(abi.ErrWouldBlock), 0
		return
	}
	t.waitNtfn = n
	t.setState(BlockedOnNotification)
	n.waiters.pushBack(t)
}
