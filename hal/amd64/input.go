package amd64

import (
	"unsafe"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
	"golang.org/x/sys/unix"
)

// Console input, interrupt driven: the UART's receive interrupt (IRQ 4) and the PS/2
// keyboard (IRQ 1) fill rings in trap context; read(0) takes console bytes, blocking
// until some arrive. Keyboard scancodes are decoded by an ordinary goroutine
// (ps2.Keyboard), which reads them with the kernel-private call sysReadScancodes and
// feeds the characters back with sysInjectInput.

// Kernel-private system call numbers, above Linux's table and below Skyscope's IPC
// numbers (kernel/abi.SysBase).
const (
	sysReadScancodes = 0x800 // (buf, n) → count; blocks until the keyboard sends
	sysInjectInput   = 0x801 // (buf, n) → n; appends to the console input
	sysUnmaskIRQ     = 0x802 // (line) → 0; lets a legacy PIC line interrupt
	sysReadConsole   = 0x803 // (buf, pos, n) → bytes written so far; copies output from pos
)

const (
	irqKeyboard = 1
	irqCOM1     = 4
	vecKeyboard = irqBase + irqKeyboard
	ringSize    = 4096
)

// ring is a byte FIFO; when full, new bytes are dropped (typing faster than anything
// reads is the only way there).
type ring struct {
	buf        [ringSize]byte
	head, tail uint64 // head: next to read; tail: next to write
}

//go:nosplit
func (r *ring) put(b byte) {
	if r.tail-r.head < ringSize {
		r.buf[r.tail%ringSize] = b
		r.tail++
	}
}

//go:nosplit
func (r *ring) empty() bool { return r.head == r.tail }

// take moves up to n bytes to p and returns how many.
//
//go:nosplit
func (r *ring) take(p uintptr, n uint64) uint64 {
	k := uint64(0)
	for ; k < n && r.head != r.tail; k++ {
		*(*byte)(ptrAt(p + uintptr(k))) = r.buf[r.head%ringSize]
		r.head++
	}
	return k
}

var (
	consoleIn ring
	keyboard  ring
	picMask   = [2]uint8{0xFE, 0xFF} // masks written in timeInit: only the timer
)

// serialRXInit turns on the UART's received-data interrupt and unmasks IRQ 4.
//
//go:nosplit
func serialRXInit() {
	portio.Outb(com1+uartIER, 0x01)
	unmaskIRQ(irqCOM1)
	rxOn = true
}

// rxOn is set once console input is interrupt-driven (serialRXInit): before, nobody
// reads it, and the timer must not take it either.
var rxOn bool

//go:nosplit
func unmaskIRQ(line uint64) {
	if line >= 16 {
		return
	}
	if line >= 8 {
		picMask[1] &^= 1 << (line - 8)
		picMask[0] &^= 1 << 2 // the cascade
	} else {
		picMask[0] &^= 1 << line
	}
	portio.Outb(picMaster+1, picMask[0])
	portio.Outb(picSlave+1, picMask[1])
}

// serialInterrupt serves the UART: it drains the receive FIFO into the console input
// and refills the transmit FIFO.
//
//go:nosplit
func serialInterrupt() {
	// The line to the PIC is edge-triggered and shared by every cause, so the UART
	// is served until its IIR says nothing is pending (the 8250 drivers' loop): a
	// cause left pending would keep the line high, and no new edge would ever come.
	// Reading IIR clears a pending THRE, so a THRE answer is always followed by a
	// kick that refills the FIFO (or disarms THRE when nothing is queued).
	for round := 0; round < 32; round++ {
		iir := portio.Inb(com1 + uartIIR)
		if iir&iirNone != 0 {
			break
		}
		switch iir & 0x0E {
		case 0x02: // transmit holding register empty
			serialKick()
		case 0x06: // line status (not enabled; cleared by reading LSR)
			portio.Inb(com1 + uartLSR)
		case 0x00: // modem status (not enabled; cleared by reading MSR)
			portio.Inb(com1 + uartMSR)
		default: // received data, or the receive FIFO's timeout
			serialReceive()
		}
	}
	serialKick()
	serialReceive()
	wakeReaders(waitInput, &consoleIn)
}

// serialReceive moves the receive FIFO's bytes to the console input ring.
//
//go:nosplit
func serialReceive() {
	for i := 0; i < 64 && portio.Inb(com1+uartLSR)&lsrDR != 0; i++ {
		c := portio.Inb(com1 + uartData)
		if c == '\r' {
			c = '\n' // a terminal's Enter, as a tty's ICRNL does
		}
		consoleIn.put(c)
	}
}

// keyboardInterrupt moves the controller's bytes to the scancode ring.
//
//go:nosplit
func keyboardInterrupt() {
	for i := 0; i < 16 && portio.Inb(0x64)&1 != 0; i++ {
		keyboard.put(portio.Inb(0x60))
	}
	wakeReaders(waitKeyboard, &keyboard)
}

// wakeReaders completes the reads of threads blocked on r: their buffer and length
// are still in their saved DI/SI/DX (read) or DI/SI (private calls).
//
//go:nosplit
func wakeReaders(why uint32, r *ring) {
	for i := 0; i < maxThreads && !r.empty(); i++ {
		w := &threads[i]
		if w.state != tsBlocked || w.wait != why {
			continue
		}
		p, n := w.frame.SI, w.frame.DX
		if why == waitKeyboard {
			p, n = w.frame.DI, w.frame.SI
		}
		w.frame.AX = r.take(uintptr(p), n)
		makeReady(i)
	}
}

// readRing serves a blocking read of up to n bytes into p from r.
//
//go:nosplit
func readRing(t *thread, r *ring, p, n uint64, why uint32) {
	if n == 0 {
		t.frame.AX = 0
		return
	}
	if !touch(p, n, true) {
		t.frame.AX = errno(unix.EFAULT)
		return
	}
	if !r.empty() {
		t.frame.AX = r.take(uintptr(p), n)
		return
	}
	blockCurrent(why, 0, 0)
}

//go:nosplit
func sysReadKeyboard(t *thread) {
	readRing(t, &keyboard, t.frame.DI, t.frame.SI, waitKeyboard)
}

//go:nosplit
func sysInject(t *thread) {
	p, n := t.frame.DI, t.frame.SI
	if !touch(p, n, false) {
		t.frame.AX = errno(unix.EFAULT)
		return
	}
	b := unsafe.Slice((*byte)(ptrAt(uintptr(p))), n)
	for _, c := range b {
		consoleIn.put(c)
	}
	wakeReaders(waitInput, &consoleIn)
	t.frame.AX = n
}

//go:nosplit
func sysUnmask(t *thread) {
	if t.frame.DI != irqKeyboard && t.frame.DI != irqCOM1 {
		t.frame.AX = errno(unix.EPERM)
		return
	}
	unmaskIRQ(t.frame.DI)
	t.frame.AX = 0
}
