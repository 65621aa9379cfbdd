package amd64

// Ring-3 tasks. A task's saved user state is a record in uthreads, laid out like a
// runtime thread's so that the same entry and resume code saves and restores it. The
// kernel loop (an ordinary goroutine) runs a task with Enter, which calls enterUser
// (trap_amd64.s) directly, not through a system call: with interrupts off it saves
// just enough of the calling runtime thread to resume it where enterUser returns,
// blocks that thread, makes the task's record current and IRETQs into ring 3 with the
// task's page tables. The task's next trap — a system call, a page fault, any
// interrupt — is not served in trap context: it is written into the task's record and
// the calling thread is made ready, so the kernel serves it in Go, in the kernel loop
// (MISSION.md, principle 2).

const maxUser = 1024

var (
	uthreads  [maxUser]thread
	kernelCR3 uint64 // the kernel's PML4: lower half empty, kernel half shared by all
)

// userTrapInfo is what a task's trap reports to Enter, kept in the task's record (in
// the kernel image, always mapped, so trap code can write it without a page walk).
type userTrapInfo struct {
	Kind   uint64 // hal.TrapKind
	Addr   uint64 // page fault: address
	Access uint64 // page fault: abi.FaultRead/Write/Exec
	Code   uint64 // exception: vector
}

// Kernel-private calls for ring-3 tasks.
const (
	sysAllocPage = 0x811 // () → physical address of a zeroed frame, or -ENOMEM
	sysFreePage  = 0x812 // (pa) → 0
	sysNewUser   = 0x813 // () → record index, or -EAGAIN
	sysFreeUser  = 0x814 // (record) → 0
)

// Trap kinds as hal.TrapKind numbers (hal is not imported by trap code).
const (
	trapSyscall   = 1
	trapPageFault = 2
	trapException = 3
	trapTimer     = 4
)

// userTrap ends the task's turn on the CPU: report the trap to the waiting kernel
// thread and schedule it.
//
//go:nosplit
func userTrap(u *thread, kind, addr, access, code uint64) {
	u.trap = userTrapInfo{Kind: kind, Addr: addr, Access: access, Code: code}
	if watchdogNs != 0 {
		lastUserTurn, watchdogFired = nanotime(), false
	}
	owner := int(u.owner)
	u.owner = -1
	makeReady(owner)
	schedule()
}

// userInterrupt serves an interrupt or exception taken in ring 3.
//
//go:nosplit
func userInterrupt(u *thread, v uint64) {
	switch {
	case v == 14:
		access := uint64(1) // abi.FaultRead
		if u.frame.Code&2 != 0 {
			access = 2 // abi.FaultWrite
		}
		if u.frame.Code&16 != 0 {
			access = 4 // abi.FaultExec
		}
		userTrap(u, trapPageFault, readCR2(), access, 0)
	case v == vecTimer || v == vecLAPICTimer:
		cpu0.ticks++
		if v == vecLAPICTimer {
			lapicEOIWrite()
		} else {
			picEOI(v)
		}
		now := nanotime()
		wakeExpired(now)
		watchdogTick(now)
		userTrap(u, trapTimer, 0, 0, 0)
	case v == vecCOM1:
		serialInterrupt()
		picEOI(v)
		userTrap(u, trapTimer, 0, 0, 0)
	case v == vecKeyboard:
		keyboardInterrupt()
		picEOI(v)
		userTrap(u, trapTimer, 0, 0, 0)
	case v == vecSpurious:
	case v >= irqBase && v < irqBase+16:
		if !deviceInterrupt(v) {
			picEOI(v)
		}
		userTrap(u, trapTimer, 0, 0, 0) // the kernel loop collects a driver's line from Enter
	default:
		userTrap(u, trapException, 0, 0, v)
	}
}

//go:nosplit
func sysAllocPageCall(t *thread) {
	pa, ok := allocFrame()
	if !ok {
		t.frame.AX = errno(12) // ENOMEM
		return
	}
	t.frame.AX = pa
}

//go:nosplit
func sysFreePageCall(t *thread) {
	pa := t.frame.DI
	f := pa / pageSize
	if pa%pageSize != 0 || f >= numFrames || !frameUsed(f) || isReserved(pa) {
		t.frame.AX = errno(22)
		return
	}
	freeFrame(pa)
	t.frame.AX = 0
}

//go:nosplit
func sysNewUserCall(t *thread) {
	for j := range uthreads {
		u := &uthreads[j]
		if u.user == 0 {
			*u = thread{}
			u.user, u.owner, u.next = 1, -1, -1
			u.cr3 = kernelCR3
			u.frame.CS, u.frame.SS, u.frame.FLAGS = selUserCode|3, selUserData|3, 0x202
			initFX(u)
			t.frame.AX = uint64(j)
			return
		}
	}
	t.frame.AX = errno(11) // EAGAIN
}

//go:nosplit
func sysFreeUserCall(t *thread) {
	j := t.frame.DI
	if j >= maxUser || uthreads[j].user == 0 || uthreads[j].owner >= 0 {
		t.frame.AX = errno(22)
		return
	}
	uthreads[j].user = 0
	t.frame.AX = 0
}

// shareKernelHalf creates every kernel-half PML4 entry (slots 256–511) now, so that a
// task's PML4, which copies them, stays in step with the kernel's forever.
//
//go:nosplit
func shareKernelHalf() bool {
	pml4 := readCR3() & pteAddrMask
	for i := uint64(256); i < 512; i++ {
		e := (*uint64)(ptrAt(physToVirt(pml4 + i*8)))
		if *e&ptePresent != 0 {
			continue
		}
		pa, ok := allocFrame()
		if !ok {
			return false
		}
		*e = pa | ptePresent | pteWrite
	}
	kernelCR3 = readCR3()
	return true
}
