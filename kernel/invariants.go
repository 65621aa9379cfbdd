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
	if c.k.holder != nil {
		c.visitObj(c.k.holder) // the kernel's capabilities: task budgets, containers, links
	}
	for b := range c.k.callBufs { // personalities' call buffers: held by the kernel
		c.visitSpace(b.hold)
	}
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
		if u, ok := o.(*Untyped); ok && u.pool != nil {
			c.charged[u.pool] += u.used // a pooled budget's charges are its pool's too
		}
	}
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
	if err := c.k.checkShared(spaces); err != nil {
		return err
	}
	return c.k.checkContainers()
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
	case *Untyped:
		if x.pool != nil {
			c.visitObj(x.pool)
		}
	case *Container:
		c.visitSpace(&x.slots)
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

// checkContainers checks the container tree: each container's counts, limits and
// state agree with its tasks and nested containers and are within its parent's; its
// charged memory is within its limit; every task its pid namespace can resolve is
// inside it (a private namespace names nothing outside); and no task inside holds a
// capability to an object of a container that is neither an ancestor nor nested in
// its own (objects an ancestor made may be granted down; a sibling's never), except
// the end of a live link between the two; nor does any of its IPC names give one.
func (k *Kernel) checkContainers() error {
	if k.ctrs.root == nil {
		return nil
	}
	links := map[capability.Object]*Link{}
	for _, x := range k.Containers() {
		for _, l := range x.links {
			links[l.ep] = l
		}
	}
	stopping := map[*Container]bool{}
	for _, x := range k.ctrs.stopping {
		if x.state != abi.ContainerStopping || stopping[x] {
			return fmt.Errorf("container %s is in the stop list in state %v", x.name, x.state)
		}
		stopping[x] = true
	}
	for _, x := range k.Containers()[1:] {
		if err := k.checkContainer(x, links, stopping[x]); err != nil {
			return fmt.Errorf("container %d (%s): %w", x.id, x.name, err)
		}
	}
	return nil
}

func (k *Kernel) checkContainer(x *Container, links map[capability.Object]*Link, stopping bool) error {
	p, l := x.parent, x.limits
	switch {
	case x.state == abi.ContainerDestroyed:
		return fmt.Errorf("destroyed but still in the tree")
	case (x.state == abi.ContainerStopping) != stopping:
		return fmt.Errorf("state %v but in the stop list: %v", x.state, stopping)
	case x.budget.capacity != l.Memory || x.budget.used > l.Memory:
		return fmt.Errorf("budget %d of %d bytes used; limit %d", x.budget.used, x.budget.capacity, l.Memory)
	case p.limits.MaxTasks != 0 && l.MaxTasks > p.limits.MaxTasks || l.Priority > p.limits.Priority:
		return fmt.Errorf("limits %+v exceed the parent's %+v", l, p.limits)
	case l.CPUPeriod != 0 && ppm(l.CPUBudget, l.CPUPeriod) > p.share():
		return fmt.Errorf("CPU share above the parent's")
	case x.cpu.group != &p.cpu || uint64(x.cpu.Budget) != l.CPUBudget || uint64(x.cpu.Period) != l.CPUPeriod:
		return fmt.Errorf("CPU budget does not match its limits or parent")
	case (x.state == abi.ContainerRunning || x.state == abi.ContainerStopping) != (len(x.tasks) > 0):
		return fmt.Errorf("state %v with %d tasks", x.state, len(x.tasks))
	}
	live := uint64(len(x.tasks))
	for _, c := range x.children {
		live += c.live
	}
	for _, th := range k.threads {
		if th.ctr == x && (th.cpu.group != &x.cpu || uint64(th.prio) > l.Priority || uint64(th.mcp) > l.Priority) {
			return fmt.Errorf("thread %s escapes the CPU budget or priority ceiling", th.name())
		}
	}
	if live != x.live || live > l.MaxTasks {
		return fmt.Errorf("%d live tasks counted, %d found, limit %d", x.live, live, l.MaxTasks)
	}
	for _, t := range x.tasks {
		if t.state != TaskLive || t.ctr != x {
			return fmt.Errorf("task %v in its list is %v in container %p", t, t.state, t.ctr)
		}
		if _, ok := t.pidIn(x.ns); !ok && x.ns != nil {
			return fmt.Errorf("task %v has no id in its namespace", t)
		}
		for _, th := range t.Threads() {
			if th.ctr != x {
				return fmt.Errorf("thread %s is not bound to its task's container", th.name())
			}
		}
		if err := k.checkConfined(x, t, links); err != nil {
			return fmt.Errorf("task %v: %w", t, err)
		}
	}
	if x.io[0].Rate != l.IOBytes || x.io[1].Rate != l.IOOps {
		return fmt.Errorf("I/O buckets at %d bytes and %d operations per second; limits %d and %d", x.io[0].Rate, x.io[1].Rate, l.IOBytes, l.IOOps)
	}
	if len(x.names) > abi.MaxIPCNames {
		return fmt.Errorf("%d IPC names; at most %d", len(x.names), abi.MaxIPCNames)
	}
	for _, n := range x.names {
		// A name whose capability is gone is swept at the next registry operation and
		// never answers a lookup; a live one must name only what x's tasks may hold.
		if n.live() && !k.mayHoldIn(x, n.obj) {
			return fmt.Errorf("IPC name %q gives %v object %d of container %s", n.name, n.obj.Type(), objectID(n.obj), owner(n.obj).name)
		}
	}
	if ns := x.ns; ns != nil && (p.ns != ns) {
		for i, t := range ns.tasks {
			if i > 0 && ns.pids[i] <= ns.pids[i-1] {
				return fmt.Errorf("namespace ids out of order")
			}
			if t.ctr == nil || !x.contains(t.ctr) {
				return fmt.Errorf("its namespace resolves id %d to %v outside it", ns.pids[i], t)
			}
			if pid, ok := t.pidIn(ns); !ok || pid != ns.pids[i] {
				return fmt.Errorf("namespace id %d names %v, which has id %d there", ns.pids[i], t, pid)
			}
		}
	}
	return nil
}

// checkConfined checks that every capability of task t in container x names an object
// of x, of an ancestor or of a nested container, or is a live link of x's subtree.
func (k *Kernel) checkConfined(x *Container, t *Task, links map[capability.Object]*Link) error {
	check := func(sp *capability.Space) error {
		for i := 1; i < sp.Len(); i++ {
			s := sp.At(i)
			if s.Empty() {
				continue
			}
			o := s.Object()
			own := owner(o)
			if own == nil || own.contains(x) || x.contains(own) {
				continue
			}
			if l := links[o]; l != nil && (l.a.contains(x) || l.b.contains(x)) {
				continue
			}
			return fmt.Errorf("slot %d holds %v object %d of container %s", i, o.Type(), objectID(o), own.name)
		}
		return nil
	}
	if cs := t.CSpace(); cs != nil {
		if err := check(cs); err != nil {
			return err
		}
	}
	for _, th := range t.Threads() {
		if err := check(&th.slots); err != nil {
			return err
		}
	}
	return nil
}
