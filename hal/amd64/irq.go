package amd64

import (
	"sync/atomic"
	"syscall"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// Device interrupts for driver tasks: the legacy PIC's 16 lines, less the ones the
// kernel's own devices use (the timer, the cascade, the keyboard, COM1). When a claimed
// line fires — in ring 3 or while the kernel idles — trap code masks it at the PIC
// (PCI lines are level-triggered: it would fire again at once), acknowledges it and
// records it in irqPending; the kernel loop collects it through Enter or Idle
// (hal.TrapIRQ) and signals the line's IRQHandler notification; the driver's
// IRQHandlerAck unmasks it. Nothing is served in trap context beyond that.

const (
	numLines = 16
	// kernelLines are the lines the kernel's own devices use.
	kernelLines = 1<<0 | 1<<irqKeyboard | 1<<2 | 1<<irqCOM1
)

// Kernel-private calls for device interrupts.
const (
	sysLineControl = 0x815 // (line, unmask) → 0; claims the line on first unmask
	sysTakeIRQ     = 0x816 // () → the lowest pending line, cleared; or -EAGAIN
	sysWaitIRQ     = 0x817 // (deadline) → 0 once a line is pending or at the deadline
)

var (
	// irqClaimed are the lines driver tasks have (a bit per line); trap code only.
	irqClaimed uint64
	// irqPending are claimed lines that fired and wait for the kernel loop; trap
	// code sets bits, sysTakeIRQ clears them, Enter and Idle read it atomically.
	irqPending uint64
)

// deviceInterrupt serves vector v of a PIC line in trap context; it reports whether
// the line is a driver's (and was recorded).
//
//go:nosplit
func deviceInterrupt(v uint64) bool {
	line := v - irqBase
	if irqClaimed&(1<<line) == 0 {
		return false
	}
	maskIRQ(line)
	picEOI(v)
	irqPending |= 1 << line
	for i := 0; i < maxThreads; i++ { // the kernel loop, if it idles in sysWaitIRQ
		if w := &threads[i]; w.state == tsBlocked && w.wait == waitIRQ {
			w.frame.AX = 0
			makeReady(i)
		}
	}
	return true
}

//go:nosplit
func maskIRQ(line uint64) {
	if line >= 8 {
		picMask[1] |= 1 << (line - 8)
	} else {
		picMask[0] |= 1 << line
	}
	portio.Outb(picMaster+1, picMask[0])
	portio.Outb(picSlave+1, picMask[1])
}

//go:nosplit
func sysLineControlCall(t *thread) {
	line, unmask := t.frame.DI, t.frame.SI != 0
	if line >= numLines || kernelLines&(1<<line) != 0 {
		t.frame.AX = errno(1) // EPERM
		return
	}
	if unmask {
		irqClaimed |= 1 << line
		unmaskIRQ(line)
	} else {
		maskIRQ(line)
	}
	t.frame.AX = 0
}

//go:nosplit
func sysTakeIRQCall(t *thread) {
	for line := uint64(0); line < numLines; line++ {
		if irqPending&(1<<line) != 0 {
			irqPending &^= 1 << line
			t.frame.AX = line
			return
		}
	}
	t.frame.AX = errno(11) // EAGAIN
}

//go:nosplit
func sysWaitIRQCall(t *thread) {
	if irqPending != 0 {
		t.frame.AX = 0
		return
	}
	t.frame.AX = 0
	blockCurrent(waitIRQ, 0, int64(t.frame.DI))
}

// takeIRQ returns a pending line, or -1; cheap when none is pending (no trap).
func takeIRQ() int {
	if atomic.LoadUint64(&irqPending) == 0 {
		return -1
	}
	line, _, e := syscall.RawSyscall(sysTakeIRQ, 0, 0, 0)
	if e != 0 {
		return -1
	}
	return int(line)
}

// lines is hal.Interrupts on the PC.
type lines struct{}

// Lines implements hal.Interrupts.
func (lines) Lines() int { return numLines }

// Claimable implements hal.Interrupts.
func (lines) Claimable(line int) bool {
	return line >= 0 && line < numLines && kernelLines&(1<<line) == 0
}

// Mask implements hal.Interrupts.
func (l lines) Mask(line int) {
	if l.Claimable(line) {
		syscall.RawSyscall(sysLineControl, uintptr(line), 0, 0)
	}
}

// Unmask implements hal.Interrupts.
func (l lines) Unmask(line int) {
	if l.Claimable(line) {
		syscall.RawSyscall(sysLineControl, uintptr(line), 1, 0)
	}
}
