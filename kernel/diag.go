package kernel

import (
	"fmt"
	"io"

	"github.com/skyscope-os/skyscope/hal"
)

// Progress returns a number that grows whenever the machine does anything a task can
// see: a system call, a context switch, an interrupt, a fault. A watchdog that finds
// it unchanged over a long span of machine time, while work was expected, has found a
// stall (a lost wakeup).
func (k *Kernel) Progress() uint64 {
	s := &k.Stats
	return s.Syscalls + s.ContextSwitches + s.Interrupts + s.Faults + s.ForeignSyscalls
}

// DumpThreads writes every thread's state and what it waits on, the timed waits and
// the interrupt lines: what a watchdog prints when the machine stops making progress.
func (k *Kernel) DumpThreads(w io.Writer) {
	now := k.cpu.Now()
	fmt.Fprintf(w, "kernel: machine time %d ns; %d threads; %d timed waits; next wake %s\n",
		now, len(k.threads), len(k.sleepers), fmtWhen(k.nextWake(), now))
	for _, t := range k.threads {
		fmt.Fprintf(w, "  %-20s %-20s prio %3d", t.name(), t.state, t.prio)
		switch t.state {
		case BlockedOnSend, BlockedOnRecv:
			if t.waitEP != nil {
				fmt.Fprintf(w, " endpoint #%d", t.waitEP.ID())
			}
		case BlockedOnNotification:
			if t.waitNtfn != nil {
				fmt.Fprintf(w, " notification #%d (word %#x, pending %v)", t.waitNtfn.ID(), t.waitNtfn.word, t.waitNtfn.pending)
			}
		case BlockedExternal:
			fmt.Fprintf(w, " until %s", fmtWhen(t.wakeAt, now))
		}
		if t.pcall {
			fmt.Fprint(w, " (personality call under way)")
		}
		fmt.Fprintln(w)
	}
	for line, h := range k.irqs {
		if h == nil {
			continue
		}
		fmt.Fprintf(w, "  irq line %d: fired (masked, awaiting ack) %v", line, h.fired)
		if n, ok := h.ntfn.At(1).Object().(*Notification); ok {
			fmt.Fprintf(w, ", notification #%d (word %#x, pending %v, %d waiting)", n.ID(), n.word, n.pending, n.waiters.len())
		}
		fmt.Fprintln(w)
	}
}

func fmtWhen(t, now hal.Time) string {
	if t == hal.Forever {
		return "never"
	}
	return fmt.Sprintf("in %d ns", t-now)
}

func (q *tcbQueue) len() int {
	n := 0
	for t := q.head; t != nil; t = t.next {
		n++
	}
	return n
}
