package kernel

import (
	"math/bits"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// tcbQueue is an intrusive FIFO of threads linked through TCB.next and TCB.prev; it never
// allocates, which keeps the IPC path allocation-free.
type tcbQueue struct{ head, tail *TCB }

func (q *tcbQueue) empty() bool { return q.head == nil }

func (q *tcbQueue) pushBack(t *TCB) {
	t.next, t.prev = nil, q.tail
	if q.tail != nil {
		q.tail.next = t
	} else {
		q.head = t
	}
	q.tail = t
}

func (q *tcbQueue) pushFront(t *TCB) {
	t.prev, t.next = nil, q.head
	if q.head != nil {
		q.head.prev = t
	} else {
		q.tail = t
	}
	q.head = t
}

func (q *tcbQueue) remove(t *TCB) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		q.head = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		q.tail = t.prev
	}
	t.next, t.prev = nil, nil
}

func (q *tcbQueue) popFront() *TCB {
	t := q.head
	if t != nil {
		q.remove(t)
	}
	return t
}

// scheduler is a fixed-priority, preemptive, round-robin scheduler: the highest-priority
// Ready thread runs; threads of equal priority take turns a time slice each. A thread
// whose CPU budget — or its container's, or an enclosing container's — is spent for the
// period is passed over until the period renews.
// Everything is deterministic: the same events give the same choices.
type scheduler struct {
	queues [abi.MaxPriority + 1]tcbQueue
	bitmap [4]uint64 // bit p set ⇔ queues[p] non-empty
}

func (s *scheduler) enqueue(t *TCB, front bool) {
	q := &s.queues[t.prio]
	if front {
		q.pushFront(t)
	} else {
		q.pushBack(t)
	}
	s.bitmap[t.prio/64] |= 1 << (t.prio % 64)
}

func (s *scheduler) remove(t *TCB) {
	q := &s.queues[t.prio]
	q.remove(t)
	if q.empty() {
		s.bitmap[t.prio/64] &^= 1 << (t.prio % 64)
	}
}

// best returns the highest-priority Ready thread that has CPU budget left, or nil; and
// the earliest time a passed-over thread's budget renews (hal.Forever if none).
func (s *scheduler) best(now hal.Time) (*TCB, hal.Time) {
	renew := hal.Forever
	for w := 3; w >= 0; w-- {
		word := s.bitmap[w]
		for word != 0 {
			top := 63 - bits.LeadingZeros64(word)
			word &^= 1 << top
			for t := s.queues[w*64+top].head; t != nil; t = t.next {
				if t.cpu.remaining(now) > 0 {
					return t, renew
				}
				renew = min(renew, t.cpu.replenish())
			}
		}
	}
	return nil, renew
}

// makeReady puts t in the ready queue: at the front if it was preempted with slice left,
// at the back otherwise.
func (k *Kernel) makeReady(t *TCB, front bool) {
	t.setState(Ready)
	k.sched.enqueue(t, front)
}

// schedule decides which thread runs next: the current one keeps the CPU unless it
// stopped running, its slice or budget is spent, or a higher-priority thread is ready.
func (k *Kernel) schedule() {
	now := k.cpu.Now()
	cur := k.cur
	if cur != nil && cur.state == Running {
		switch {
		case cur.sliceLeft <= 0:
			cur.sliceLeft = cur.slice
			k.makeReady(cur, false)
		case cur.cpu.remaining(now) <= 0:
			k.makeReady(cur, true)
		default:
			next, renew := k.sched.best(now)
			if next == nil || next.prio <= cur.prio {
				k.renew = renew
				return
			}
			k.makeReady(cur, true)
		}
	}
	next, renew := k.sched.best(now)
	if next != cur && next != nil {
		k.Stats.ContextSwitches++
	}
	k.cur, k.renew = next, renew
	if next != nil {
		k.sched.remove(next)
		next.setState(Running)
	}
}

// yield moves the running thread to the back of its priority level with a fresh slice.
func (k *Kernel) yield(t *TCB) {
	t.sliceLeft = t.slice
	k.makeReady(t, false)
}
