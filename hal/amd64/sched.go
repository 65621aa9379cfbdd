package amd64

import "unsafe"

// The runtime-thread scheduler: round robin over ready threads, the idle thread when
// none is ready. Everything here runs in trap context.

//go:nosplit
func setCurrent(i int) {
	cpu0.curIndex = int64(i)
	cpu0.cur = uint64(uintptr(unsafe.Pointer(&threads[i])))
	if i != idleThread {
		threads[i].state = tsRunning
	}
}

//go:nosplit
func current() *thread { return (*thread)(ptrAt(uintptr(cpu0.cur))) }

// makeReady appends thread i to the ready queue.
//
//go:nosplit
func makeReady(i int) {
	t := &threads[i]
	t.state, t.wait, t.deadline, t.next = tsReady, waitNone, 0, -1
	if cpu0.readyTail < 0 {
		cpu0.readyHead = int64(i)
	} else {
		threads[cpu0.readyTail].next = int32(i)
	}
	cpu0.readyTail = int64(i)
}

// schedule makes the first ready thread current, or the idle thread.
//
//go:nosplit
func schedule() {
	i := cpu0.readyHead
	if i < 0 {
		setCurrent(idleThread)
		return
	}
	cpu0.readyHead = int64(threads[i].next)
	if cpu0.readyHead < 0 {
		cpu0.readyTail = -1
	}
	threads[i].next = -1
	setCurrent(int(i))
}

// yieldCurrent puts the current thread at the back of the queue and schedules.
//
//go:nosplit
func yieldCurrent() {
	if cpu0.curIndex != idleThread {
		makeReady(int(cpu0.curIndex))
	}
	schedule()
}

// blockCurrent parks the current thread until a wake-up or deadline (0: none).
//
//go:nosplit
func blockCurrent(why uint32, addr uint64, deadline int64) {
	t := current()
	t.state, t.wait, t.waitAddr, t.deadline = tsBlocked, why, addr, deadline
	schedule()
}

// wakeExpired readies blocked threads whose deadline has passed; their system call
// returns timedOut (futex: -ETIMEDOUT; sleep and poll: 0).
//
//go:nosplit
func wakeExpired(now int64) {
	for i := 0; i < maxThreads; i++ {
		t := &threads[i]
		if t.state != tsBlocked || t.deadline == 0 || t.deadline > now {
			continue
		}
		if t.wait == waitFutex {
			t.frame.AX = errno(errTimedOut)
		} else {
			t.frame.AX = 0
		}
		makeReady(i)
	}
}

// intrTrap serves an exception or interrupt that stopped the current thread.
//
//go:nosplit
func intrTrap() {
	t := current()
	v := t.frame.Vector
	if t.user != 0 {
		userInterrupt(t, v)
		return
	}
	switch {
	case v == 14: // page fault: the runtime touched lazily backed memory
		addr := readCR2()
		if faultIn(addr, t.frame.Code&2 != 0) {
			return
		}
		raiseSignal(t, v, addr)
	case v == vecTimer || v == vecLAPICTimer:
		cpu0.ticks++
		if v == vecLAPICTimer {
			lapicEOIWrite()
		} else {
			picEOI(v)
		}
		now := nanotime()
		wakeExpired(now)
		serialTick()
		watchdogTick(now)
		yieldCurrent()
	case v == vecSpurious:
		// A spurious LAPIC interrupt: no EOI (SDM 3A §10.9).
	case v == vecCOM1:
		serialInterrupt()
		picEOI(v)
		yieldCurrent() // a woken reader gets the CPU soon
	case v == vecKeyboard:
		keyboardInterrupt()
		picEOI(v)
		yieldCurrent()
	case v >= irqBase && v < irqBase+16:
		if !deviceInterrupt(v) {
			picEOI(v)
			return
		}
		// The kernel loop may wait for this line (Idle): give it the CPU now rather
		// than at the next timer tick, or every driver request waits up to a tick.
		yieldCurrent()
	case v < 32:
		raiseSignal(t, v, 0)
	}
}

// raiseSignal turns exception v of a runtime thread into the signal Linux would send,
// so that Go reports it as a panic; without a handler the machine stops.
//
//go:nosplit
func raiseSignal(t *thread, v, addr uint64) {
	sig, code := signalFor(v, t.frame.Code)
	if sig != 0 && deliverSignal(t, sig, code, addr) {
		return
	}
	faultFatal(t, "exception")
}

// faultFatal reports a fault in the kernel's own code and stops the machine.
// (Delivering SIGSEGV to the runtime, so that such faults become Go panics with a
// trace, is the next step: see the boot issue.)
//
//go:nosplit
func faultFatal(t *thread, what string) {
	kprint("\nskyscope: kernel ")
	kprint(what)
	kprint(": vector ")
	kprintDec(t.frame.Vector)
	kprint(" error ")
	kprintHex(t.frame.Code)
	kprint(" rip ")
	kprintHex(t.frame.IP)
	kprint(" rsp ")
	kprintHex(t.frame.SP)
	kprint(" cr2 ")
	kprintHex(readCR2())
	kprint(" thread ")
	kprintDec(uint64(t.tid))
	kprint("\n")
	shutdown(3)
}

// trapFatal is fatalCommon's report: the vector and error code from cpu0 and the
// CPU's interrupt frame (RIP, CS, RFLAGS, RSP, SS) at cpu0.fatalFrame.
//
//go:nosplit
func trapFatal() {
	frame := (*[5]uint64)(ptrAt(uintptr(cpu0.fatalFrame)))
	kprint("\nskyscope: fatal trap: vector ")
	kprintDec(cpu0.vector)
	kprint(" error ")
	kprintHex(cpu0.code)
	kprint(" rip ")
	kprintHex(frame[0])
	kprint(" rsp ")
	kprintHex(frame[3])
	kprint(" cr2 ")
	kprintHex(readCR2())
	kprint(" in trap code: ")
	kprintDec(cpu0.inTrap)
	kprint("\n")
	shutdown(3)
}
