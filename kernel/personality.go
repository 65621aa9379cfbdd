package kernel

import (
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Personality serves, for the threads that have one, what the Skyscope ABI does not:
// system calls whose numbers are outside Skyscope's range and page faults — the
// Linux-ABI personality that runs unmodified static Go programs. It runs in the kernel
// loop like every system call: it completes the call (writing the result into the
// thread's registers) or blocks the thread with Block, never waits itself.
type Personality interface {
	// Syscall serves the system call in t's registers (Regs().Num is its number).
	Syscall(k *Kernel, t *TCB)
	// PageFault reports whether it resolved a fault of t at addr (the access is
	// abi.FaultRead, FaultWrite or FaultExec); t then retries. Otherwise the kernel
	// delivers the fault to t's fault endpoint as usual.
	PageFault(k *Kernel, t *TCB, addr uint64, access uint8) bool
	// Timeout is called when a wait begun with Block reaches its deadline, just before
	// t becomes ready; it sets the call's result.
	Timeout(k *Kernel, t *TCB)
}

// Block parks the running thread t for its personality until Wake or, if deadline is
// not hal.Forever, until the machine time reaches deadline (then Timeout is called).
func (k *Kernel) Block(t *TCB, deadline hal.Time) {
	t.setState(BlockedExternal)
	t.wakeAt = deadline
	if deadline != hal.Forever {
		k.sleepers = append(k.sleepers, t)
	}
}

// Wake makes t, blocked by Block, ready again; it reports false (and does nothing) if
// t was not blocked that way.
func (k *Kernel) Wake(t *TCB) bool {
	if t.state != BlockedExternal {
		return false
	}
	k.dropSleeper(t)
	k.makeReady(t, false)
	return true
}

func (k *Kernel) dropSleeper(t *TCB) {
	for i, s := range k.sleepers {
		if s == t {
			k.sleepers = append(k.sleepers[:i], k.sleepers[i+1:]...)
			return
		}
	}
}

// wakeSleepers times out every wait whose deadline has passed, and every container
// stop whose grace period has.
func (k *Kernel) wakeSleepers(now hal.Time) {
	k.expireStops(now)
	for i := 0; i < len(k.sleepers); {
		t := k.sleepers[i]
		if t.wakeAt > now {
			i++
			continue
		}
		k.sleepers = append(k.sleepers[:i], k.sleepers[i+1:]...)
		if t.Personality != nil {
			t.Personality.Timeout(k, t)
		}
		k.makeReady(t, false)
	}
}

// nextWake returns the earliest personality or container stop deadline.
func (k *Kernel) nextWake() hal.Time {
	next := k.nextStop()
	for _, t := range k.sleepers {
		next = min(next, t.wakeAt)
	}
	return next
}

// Services for personalities. They act on the thread's address space and charge what
// they make to the memory budget the personality names, like any Retype.

// addressSpace returns t's address space, or nil.
func (t *TCB) addressSpace() *AddressSpace {
	as, _ := t.slots.At(tcbSlotAddressSpace).Object().(*AddressSpace)
	return as
}

// copyUser moves bytes between b and t's memory at va, faulting pages in through t's
// personality where they are absent. It reports false if some page is not accessible.
func (k *Kernel) copyUser(t *TCB, va uint64, b []byte, write bool) bool {
	as := t.addressSpace()
	if as == nil {
		return false
	}
	need, access := hal.PermRead, uint8(abi.FaultRead)
	if write {
		need, access = hal.PermWrite, abi.FaultWrite
	}
	for len(b) > 0 {
		if va >= uint64(hal.UserTop) {
			return false
		}
		page := hal.VirtAddr(va &^ (abi.PageSize - 1))
		pa, perm, ok := as.pt.Lookup(page)
		if !ok || perm&need == 0 {
			if t.Personality == nil || !t.Personality.PageFault(k, t, va, access) {
				return false
			}
			if pa, perm, ok = as.pt.Lookup(page); !ok || perm&need == 0 {
				return false
			}
		}
		if perm&hal.PermDevice != 0 {
			return false // device registers: the kernel copies to and from memory only
		}
		off := va % abi.PageSize
		n := min(uint64(len(b)), abi.PageSize-off)
		frame := k.mem.Frame(pa)
		if write {
			copy(frame[off:off+n], b[:n])
		} else {
			copy(b[:n], frame[off:off+n])
		}
		b, va = b[n:], va+n
	}
	return true
}

// CopyIn reads len(b) bytes of t's memory at va; false if some page is inaccessible.
func (k *Kernel) CopyIn(t *TCB, va uint64, b []byte) bool { return k.copyUser(t, va, b, false) }

// CopyOut writes b to t's memory at va; false if some page is not writable.
func (k *Kernel) CopyOut(t *TCB, va uint64, b []byte) bool { return k.copyUser(t, va, b, true) }

// MapAnon backs the page at va in t's address space with a zeroed frame charged to
// budget, mapped with perm. The address space owns the frame: UnmapAnon or the
// address space's death frees it.
func (k *Kernel) MapAnon(t *TCB, budget *Untyped, va uint64, perm hal.Perm) abi.Errno {
	as := t.addressSpace()
	switch {
	case as == nil:
		return abi.ErrInvalidCap
	case va%abi.PageSize != 0 || va >= uint64(hal.UserTop):
		return abi.ErrInvalidArg
	case as.frames[hal.VirtAddr(va)] != nil:
		return abi.ErrAlreadyMapped
	case k.usableFrames() < 1:
		return abi.ErrNoMemory
	case budget.free() < abi.SizeFrame:
		// A demand allocation cannot simply fail: the container's out-of-memory
		// policy may free memory (ending its largest task) for one retry.
		c := budget.refuse(abi.SizeFrame)
		if c == nil || !k.containerOOM(c, t) || budget.free() < abi.SizeFrame || as.Dead() {
			return abi.ErrNoMemory
		}
	}
	f := k.newFrame()
	f.budget, f.cost, f.anon = budget, abi.SizeFrame, true
	budget.charge(abi.SizeFrame)
	if e := f.mapInto(as, hal.VirtAddr(va), perm); e != abi.OK {
		f.freeAnon()
		return e
	}
	return abi.OK
}

// UnmapAnon removes and frees the anonymous page at va of t's address space; false if
// there is none.
func (k *Kernel) UnmapAnon(t *TCB, va uint64) bool {
	as := t.addressSpace()
	if as == nil {
		return false
	}
	f := as.frames[hal.VirtAddr(va)]
	if f == nil || !f.anon {
		return false
	}
	f.unmapFrom(as, hal.VirtAddr(va))
	f.freeAnon()
	return true
}

// AnonPages returns the addresses of the anonymous pages mapped in [start, end) of t's
// address space. Its cost is bounded by the smaller of the range's pages and the pages
// mapped, so that a task naming a huge range cannot keep the kernel busy.
func (k *Kernel) AnonPages(t *TCB, start, end uint64) []uint64 {
	as := t.addressSpace()
	if as == nil || end <= start {
		return nil
	}
	var out []uint64
	if (end-start)/abi.PageSize <= uint64(len(as.frames)) {
		for va := start &^ (abi.PageSize - 1); va < end; va += abi.PageSize {
			if f := as.frames[hal.VirtAddr(va)]; f != nil && f.anon {
				out = append(out, va)
			}
		}
		return out
	}
	for va, f := range as.frames {
		if f.anon && uint64(va) >= start && uint64(va) < end {
			out = append(out, uint64(va))
		}
	}
	return out
}

// ProtectAnon changes the permissions of the anonymous page at va.
func (k *Kernel) ProtectAnon(t *TCB, va uint64, perm hal.Perm) bool {
	as := t.addressSpace()
	if as == nil {
		return false
	}
	f := as.frames[hal.VirtAddr(va)]
	if f == nil || !f.anon {
		return false
	}
	as.pt.Unmap(hal.VirtAddr(va))
	return as.pt.Map(hal.VirtAddr(va), f.pa, perm) == nil
}

// CloneThread makes a thread in t's capability and address spaces with t's priority,
// personality and user state (a copy, as Linux's clone does), charging its TCB to
// budget. It is not started; no capability names it (the personality owns it).
func (k *Kernel) CloneThread(t *TCB, budget *Untyped) (*TCB, abi.Errno) {
	if budget.free() < abi.SizeTCB {
		budget.refuse(abi.SizeTCB)
		return nil, abi.ErrNoMemory
	}
	c := k.newTCB()
	if !c.ctx.CloneFrom(t.ctx) {
		c.ctx.Release()
		k.threads = k.threads[:len(k.threads)-1]
		return nil, abi.ErrIllegal
	}
	c.budget, c.cost = budget, abi.SizeTCB
	budget.charge(abi.SizeTCB)
	for i := 1; i < tcbSlots; i++ {
		if src := t.slots.At(i); !src.Empty() {
			if e := k.tree.Copy(c.slots.At(i), src, abi.AllRights); e != abi.OK {
				panic("kernel: CloneThread slot copy: " + e.Error())
			}
		}
	}
	c.ipcVA, c.prio, c.mcp, c.Personality, c.cpu = t.ipcVA, t.prio, t.mcp, t.Personality, t.cpu
	c.Name, c.task, c.ctr = t.Name, t.task, t.ctr
	return c, abi.OK
}

// StartThread makes a thread made by CloneThread ready.
func (k *Kernel) StartThread(t *TCB) {
	if t.state == Inactive {
		k.makeReady(t, false)
	}
}

// StopThread stops t for good (a Linux exit): running, blocked or ready, it becomes
// Suspended and never runs again.
func (k *Kernel) StopThread(t *TCB) {
	if t.state == Running {
		t.setState(Suspended)
		return
	}
	k.suspend(t)
}

// Console writes to the kernel console.
func (k *Kernel) Console() hal.Console { return k.m.Console() }

// Entropy returns the machine's entropy source.
func (k *Kernel) Entropy() hal.Entropy { return k.m.Entropy() }
