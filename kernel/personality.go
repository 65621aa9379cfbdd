package kernel

import (
	"github.com/skyscope-os/skyscope/hal"
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

// wakeSleepers times out every wait whose deadline has passed.
func (k *Kernel) wakeSleepers(now hal.Time) {
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

// nextWake returns the earliest personality deadline.
func (k *Kernel) nextWake() hal.Time {
	next := hal.Forever
	for _, t := range k.sleepers {
		next = min(next, t.wakeAt)
	}
	return next
}
