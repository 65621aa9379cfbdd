package amd64

import (
	"syscall"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// The watchdog: a machine on which no ring-3 task has had a turn for a while, although
// something was expected to run (a program run by "run", not a shell waiting for a
// key), has most likely lost a wakeup. It is checked from the timer tick, in trap
// context, so it reports even when the kernel loop's own runtime thread is the one
// that never wakes: every runtime thread's state and what it waits on, the ready
// queue, the interrupt lines and the timer hardware, on the serial console. It reports
// once per stall; the next task turn re-arms it.

var (
	watchdogNs    int64 // machine time without a task turn that counts as a stall; 0: off
	lastUserTurn  int64 // machine time a task's turn in ring 3 last ended
	watchdogFired bool  // reported this stall already
)

// SetWatchdog turns the watchdog on with limit ns (0 turns it off). Only for machines
// whose tasks are expected to keep running: an interactive system idles legitimately.
func SetWatchdog(ns int64) {
	// Through a kernel-private call: the state belongs to trap context.
	syscall.RawSyscall(sysSetWatchdog, uintptr(ns), 0, 0)
}

// sysSetWatchdog is the kernel-private call that sets the watchdog: (ns) → 0.
const sysSetWatchdog = 0x818

//go:nosplit
func sysSetWatchdogCall(t *thread) {
	watchdogNs = int64(t.frame.DI)
	lastUserTurn = nanotime()
	watchdogFired = false
	t.frame.AX = 0
}

// watchdogTick is called on every timer tick with the machine time.
//
//go:nosplit
func watchdogTick(now int64) {
	if watchdogNs == 0 || watchdogFired || now-lastUserTurn < watchdogNs {
		return
	}
	watchdogFired = true
	kprint("\nskyscope: watchdog: no task has run for ")
	kprintDec(uint64(now-lastUserTurn) / 1_000_000)
	kprint(" ms of machine time; machine state follows\n")
	dumpMachine(now)
}

// dumpMachine prints the scheduler's, the interrupt controllers' and the timer's state.
//
//go:nosplit
func dumpMachine(now int64) {
	kprint("  now ")
	kprintDec(uint64(now))
	kprint(" ns, ticks ")
	kprintDec(cpu0.ticks)
	kprint(", current ")
	kprintDec(uint64(cpu0.curIndex))
	kprint(", ready head ")
	kprintDec(uint64(cpu0.readyHead + 1)) // +1: 0 means an empty queue
	kprint("\n")
	for i := 0; i <= maxThreads; i++ {
		t := &threads[i]
		if t.state == tsFree && i != idleThread {
			continue
		}
		kprint("  thread ")
		kprintDec(uint64(i))
		kprint(" tid ")
		kprintDec(uint64(t.tid))
		kprint(" state ")
		kprintDec(uint64(t.state))
		kprint(" wait ")
		kprintDec(uint64(t.wait))
		kprint(" addr ")
		kprintHex(t.waitAddr)
		if t.deadline != 0 {
			kprint(" deadline in ")
			kprintSigned(t.deadline - now)
			kprint(" ns")
		}
		kprint(" rip ")
		kprintHex(t.frame.IP)
		if t.wait == waitFutex && touchKernel(t.waitAddr) {
			kprint(" futex value ")
			kprintDec(uint64(*(*uint32)(ptrAt(uintptr(t.waitAddr)))))
		}
		kprint("\n")
	}
	for j := range uthreads {
		if u := &uthreads[j]; u.user != 0 && u.owner >= 0 {
			kprint("  task record ")
			kprintDec(uint64(j))
			kprint(" runs for thread ")
			kprintDec(uint64(u.owner))
			kprint("\n")
		}
	}
	for i := range fds {
		if e := &fds[i]; e.kind == fdEventfd {
			kprint("  eventfd ")
			kprintDec(uint64(fdBase + i))
			kprint(" counter ")
			kprintDec(e.counter)
			if e.watched {
				kprint(" watched by ")
				kprintDec(e.epfd)
			}
			kprint("\n")
		}
	}
	kprint("  irq claimed ")
	kprintHex(irqClaimed)
	kprint(" pending ")
	kprintHex(irqPending)
	kprint(" pic mask ")
	kprintHex(uint64(picMask[0]) | uint64(picMask[1])<<8)
	// OCW3: 0x0A selects the IRR for the next read of the command port, 0x0B the ISR.
	portio.Outb(picMaster, 0x0A)
	portio.Outb(picSlave, 0x0A)
	irr := uint64(portio.Inb(picMaster)) | uint64(portio.Inb(picSlave))<<8
	portio.Outb(picMaster, 0x0B)
	portio.Outb(picSlave, 0x0B)
	isr := uint64(portio.Inb(picMaster)) | uint64(portio.Inb(picSlave))<<8
	kprint(" irr ")
	kprintHex(irr)
	kprint(" isr ")
	kprintHex(isr)
	kprint("\n")
	if lapicOn {
		kprint("  lapic timer lvt ")
		kprintHex(uint64(lapicRead(lapicLVTTmr)))
		kprint(" initial ")
		kprintDec(uint64(lapicRead(lapicInitCnt)))
		kprint(" current ")
		kprintDec(uint64(lapicRead(lapicCurCnt)))
		kprint("\n")
	}
	kprint("  serial tx queued ")
	kprintDec(txRing.tail - txRing.head)
	if txArmed {
		kprint(" (THRE interrupt armed)")
	}
	kprint("\n")
}

// touchKernel reports whether the runtime's address p (a futex word) can be read
// without a fault; unlike touch it never maps a page, so the dump changes nothing.
//
//go:nosplit
func touchKernel(p uint64) bool {
	if p%4 != 0 {
		return false
	}
	if p >= 0xffffffff80000000 || (p >= directMapBase && p < directMapBase+directEnd) {
		return true
	}
	e := pteFor(p, false)
	return e != nil && *e&ptePresent != 0
}

//go:nosplit
func kprintSigned(v int64) {
	if v < 0 {
		kprint("-")
		kprintDec(uint64(-v))
		return
	}
	kprintDec(uint64(v))
}
