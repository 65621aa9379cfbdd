package kernel

import (
	"fmt"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// CheckInvariants walks every object reachable from the root of the system (the init
// thread, every capability in every reachable space, every queue) and returns an error
// describing the first broken kernel invariant, or nil. Tests and fuzzers call it
// between runs; it is too slow for the kernel loop.
//
// Checked: a thread is in exactly the queue its state implies and its wait pointers
// match; at most one thread is Running, and it is the current one; every ready queue
// holds only Ready threads of its priority and the bitmap matches; Reply objects and
// their callers and receivers point at each other; every memory budget's used bytes
// equal the sum charged by its live objects (at least the sum charged by the reachable
// ones, when a capability cycle hides some) and never exceed its capacity; no live
// capability names a finalized object; each capability's rights are within its
// parent's; every page of a shared image is read-only in every address space reached
// (checkShared).
func (k *Kernel) CheckInvariants() error {
	c := checker{k: k, seen: map[capability.Object]bool{}, charged: map[*Untyped]uint64{}}
	return c.run()
}

type checker struct {
	k       *Kernel
	seen    map[capability.Object]bool
	spaces  []*capability.Space
	charged map[*Untyped]uint64
	tcbs    []*TCB
}

func (c *checker) run() error {
	// Discover every object reachable through capabilities, starting from init's space
	// and the current thread (whose space may differ).
	c.visitSpace(&c.k.init.slots)
	for _, t := range c.k.threads { // threads a personality made have no capability
		c.visitObj(t)
	}
	if c.k.cur != nil {
		c.visitObj(c.k.cur)
	}
	for i := 0; i < len(c.spaces); i++ {
		sp := c.spaces[i]
		for j := 0; j < sp.Len(); j++ {
			s := sp.At(j)
			if s.Empty() {
				continue
			}
			if s.Space() != sp || s.Index() != j {
				return fmt.Errorf("slot %d of a space reports space/index %p/%d", j, s.Space(), s.Index())
			}
			o := s.Object()
			if o.(interface{ Dead() bool }).Dead() {
				return fmt.Errorf("slot %d names finalized %v object %d", j, o.Type(), objectID(o))
			}
			if p := s.Parent(); p != nil && s.Rights()&^p.Rights() != 0 {
				return fmt.Errorf("slot %d has rights %v beyond its parent's %v", j, s.Rights(), p.Rights())
			}
			c.visitObj(o)
		}
	}
	for _, t := range c.tcbs {
		if err := c.checkTCB(t); err != nil {
			return fmt.Errorf("thread %s: %w", t.name(), err)
		}
	}
	if err := c.checkScheduler(); err != nil {
		return err
	}
	// Live objects can be unreachable from init: a capability cycle (a CSpace holding
	// the last capability to itself) keeps its objects alive and charged. Their charges
	// are invisible here, so a budget's used bytes must equal the charges seen only if
	// every live object was seen; otherwise they can only be at least that.
	live := uint64(0)
	for o := range c.seen {
		if !o.(interface{ Dead() bool }).Dead() && objectID(o) != 0 { // capability-less objects are not in Live
			live++
		}
	}
	complete := live == c.k.tree.Live()
	for o := range c.seen {
		if u, ok := o.(*Untyped); ok {
			if u.used > u.capacity {
				return fmt.Errorf("budget %d: used %d > capacity %d", u.ID(), u.used, u.capacity)
			}
			if c.charged[u] > u.used || complete && c.charged[u] != u.used {
				return fmt.Errorf("budget %d: used %d but live objects charge %d", u.ID(), u.used, c.charged[u])
			}
		}
	}
	var spaces []*AddressSpace
	for o := range c.seen {
		if as, ok := o.(*AddressSpace); ok {
			spaces = append(spaces, as)
		}
	}
	return c.k.checkShared(spaces)
}

func (c *checker) visitSpace(sp *capability.Space) { c.spaces = append(c.spaces, sp) }

func (c *checker) visitObj(o capability.Object) {
	if c.seen[o] {
		return
	}
	c.seen[o] = true
	b := o.(interface{ base() *objBase }).base()
	if b.budget != nil {
		c.charged[b.budget] += b.cost
		c.visitObj(b.budget)
	}
	switch x := o.(type) {
	case *CSpace:
		c.visitSpace(&x.Space)
	case *TCB:
		c.tcbs = append(c.tcbs, x)
		c.visitSpace(&x.slots)
	case *IRQHandler:
		c.visitSpace(&x.ntfn)
	case *AddressSpace:
		for _, f := range x.frames {
			if f.anon { // owned by this space alone
				c.visitObj(f)
			}
		}
	case *Endpoint:
		for t := x.queue.head; t != nil; t = t.next {
			c.visitObj(t)
		}
	case *Notification:
		for t := x.waiters.head; t != nil; t = t.next {
			c.visitObj(t)
		}
	case *Reply:
		if x.caller != nil {
			c.visitObj(x.caller)
		}
		if x.receiver != nil {
			c.visitObj(x.receiver)
		}
	}
}

func inQueue(q *tcbQueue, t *TCB) bool {
	for x := q.head; x != nil; x = x.next {
		if x == t {
			return true
		}
	}
	return false
}

func (c *checker) checkTCB(t *TCB) error {
	if t.Dead() {
		return fmt.Errorf("finalized thread still reachable")
	}
	if (t.state == Running) != (c.k.cur == t) {
		return fmt.Errorf("state %v but current=%v", t.state, c.k.cur == t)
	}
	switch t.state {
	case BlockedOnSend, BlockedOnRecv:
		want := epSending
		if t.state == BlockedOnRecv {
			want = epReceiving
		}
		if t.waitEP == nil || t.waitEP.state != want || !inQueue(&t.waitEP.queue, t) {
			return fmt.Errorf("state %v but not queued on its endpoint", t.state)
		}
		if t.state == BlockedOnRecv && t.reply != nil && t.reply.receiver != t {
			return fmt.Errorf("receiving with a Reply that does not name it")
		}
	case BlockedOnReply:
		if t.reply == nil || t.reply.caller != t {
			return fmt.Errorf("waiting for a reply through a Reply that does not name it")
		}
	case BlockedOnNotification:
		if t.waitNtfn == nil || !inQueue(&t.waitNtfn.waiters, t) {
			return fmt.Errorf("waiting on a notification that does not queue it")
		}
	case BlockedExternal:
		in := false
		for _, s := range c.k.sleepers {
			in = in || s == t
		}
		if in != (t.wakeAt != hal.Forever) {
			return fmt.Errorf("blocked by its personality with deadline %d but sleeping=%v", t.wakeAt, in)
		}
	case Ready:
		if !inQueue(&c.k.sched.queues[t.prio], t) {
			return fmt.Errorf("ready but not in the queue for priority %d", t.prio)
		}
	}
	if t.state != BlockedOnSend && t.state != BlockedOnRecv && t.waitEP != nil {
		return fmt.Errorf("state %v with an endpoint wait pointer", t.state)
	}
	if t.state != BlockedOnNotification && t.waitNtfn != nil {
		return fmt.Errorf("state %v with a notification wait pointer", t.state)
	}
	if t.fault.kind != abi.FaultNone && t.state != BlockedOnSend && t.state != BlockedOnReply {
		return fmt.Errorf("state %v with a pending %v", t.state, t.fault.kind)
	}
	return nil
}

func (c *checker) checkScheduler() error {
	for _, t := range c.k.sleepers {
		if t.state != BlockedExternal {
			return fmt.Errorf("thread %s sleeps for its personality in state %v", t.name(), t.state)
		}
	}
	for p := range c.k.sched.queues {
		q := &c.k.sched.queues[p]
		bit := c.k.sched.bitmap[p/64]&(1<<(p%64)) != 0
		if bit == q.empty() {
			return fmt.Errorf("priority %d: bitmap bit %v but queue empty=%v", p, bit, q.empty())
		}
		var prev *TCB
		for t := q.head; t != nil; t = t.next {
			if t.state != Ready || int(t.prio) != p || t.prev != prev {
				return fmt.Errorf("priority %d queue holds %s in state %v prio %d", p, t.name(), t.state, t.prio)
			}
			prev = t
		}
		if q.tail != prev {
			return fmt.Errorf("priority %d queue tail is wrong", p)
		}
	}
	return nil
}
