package amd64

import (
	"unsafe"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// The boot and trap-time console: COM1, a 16550 UART, polled. It works before the Go
// runtime exists and inside trap handlers (no allocation, nosplit). The interrupt-driven
// driver for input arrives with the console service.

const com1 = 0x3F8

// UART registers (16550 datasheet, table 2), as offsets from the base port.
const (
	uartData = 0 // THR/RBR; divisor low with DLAB
	uartIER  = 1 // interrupt enable; divisor high with DLAB
	uartFCR  = 2
	uartLCR  = 3
	uartMCR  = 4
	uartLSR  = 5
	lsrTHRE  = 0x20 // transmit holding register empty
	lsrDR    = 0x01 // data ready
)

//go:nosplit
func serialInit() {
	portio.Outb(com1+uartIER, 0x00)
	portio.Outb(com1+uartLCR, 0x80) // DLAB: divisor follows
	portio.Outb(com1+uartData, 1)   // 115200 baud
	portio.Outb(com1+uartIER, 0)
	portio.Outb(com1+uartLCR, 0x03) // 8N1
	portio.Outb(com1+uartFCR, 0xC7) // FIFOs on, cleared, 14-byte threshold
	portio.Outb(com1+uartMCR, 0x0B) // DTR, RTS, OUT2
}

//go:nosplit
func serialPutc(c byte) {
	for i := 0; i < 1<<20 && portio.Inb(com1+uartLSR)&lsrTHRE == 0; i++ {
	}
	portio.Outb(com1+uartData, c)
}

// serialWrite writes b, turning "\n" into "\r\n" for terminals.
//
//go:nosplit
func serialWrite(b []byte) {
	serialFlush()
	logAppend(b)
	for i := 0; i < len(b); i++ {
		if b[i] == '\n' {
			serialPutc('\r')
		}
		serialPutc(b[i])
	}
}

// kprint writes a string to the console; safe in trap context.
//
//go:nosplit
func kprint(s string) {
	serialFlush()
	logAppend(unsafe.Slice(unsafe.StringData(s), len(s)))
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			serialPutc('\r')
		}
		serialPutc(s[i])
	}
}

// kprintHex writes v as 0x-prefixed hexadecimal.
//
//go:nosplit
func kprintHex(v uint64) {
	var b [18]byte
	b[0], b[1] = '0', 'x'
	for i := 0; i < 16; i++ {
		d := byte(v>>(60-4*uint(i))) & 0xf
		if d < 10 {
			b[2+i] = '0' + d
		} else {
			b[2+i] = 'a' + d - 10
		}
	}
	serialWrite(b[:])
}

// kprintDec writes v in decimal.
//
//go:nosplit
func kprintDec(v uint64) {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = '0' + byte(v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	serialWrite(b[i:])
}

// Interrupt-driven output. The runtime's writes to fds 1 and 2 go into txRing and the
// UART's transmit-holding-register-empty interrupt moves them out 16 bytes (one FIFO)
// at a time, so a writer never spins on the line speed. Trap-time messages (kprint)
// and shutdown first drain the ring by polling, so nothing is lost or reordered.

var (
	txRing  ring
	txArmed bool // the THRE interrupt is enabled because txRing has bytes
	// txSeen is txRing.head at the previous timer tick, and txStalls counts the ticks
	// that found bytes queued, the transmitter empty and nothing sent since the tick
	// before: a THRE interrupt that never came (see serialTick).
	txSeen   uint64
	txStalls uint64
	// rxSeen and rxStalls are the same for input: bytes left in the receive FIFO a
	// whole tick with no receive interrupt taking any.
	rxSeen   uint64
	rxStalls uint64
)

const (
	ierRDA  = 0x01 // received data available
	ierTHRE = 0x02 // transmit holding register empty
	uartIIR = 2
	iirNone = 0x01 // IIR bit 0: no interrupt pending
	uartMSR = 6
)

// serialQueue queues b for interrupt-driven output (with "\n" → "\r\n"), polling
// only when the ring is full.
//
//go:nosplit
func serialQueue(b []byte) {
	for i := 0; i < len(b); i++ {
		if ringSize-(txRing.tail-txRing.head) < 2 {
			serialFlush() // full: a writer faster than the line waits for it
		}
		if b[i] == '\n' {
			txRing.put('\r')
		}
		txRing.put(b[i])
	}
	serialKick()
}

// serialKick fills the transmit FIFO from txRing if it is empty, and arms the THRE
// interrupt while bytes remain.
//
//go:nosplit
func serialKick() {
	if portio.Inb(com1+uartLSR)&lsrTHRE != 0 {
		for n := 0; n < 16 && !txRing.empty(); n++ {
			portio.Outb(com1+uartData, txRing.buf[txRing.head%ringSize])
			txRing.head++
		}
	}
	want := !txRing.empty()
	if want != txArmed {
		txArmed = want
		ier := uint8(ierRDA)
		if want {
			ier |= ierTHRE
		}
		portio.Outb(com1+uartIER, ier)
	}
}

// serialTick is the timer's backup for the UART's interrupts, like Linux's 8250 backup
// timer for UARTs that lose THRE: if output has waited a whole tick with the transmit
// FIFO empty, it refills the FIFO itself; if input has waited a whole tick in the
// receive FIFO, it takes it. Under a loaded host QEMU's UART was seen to
// stop interrupting with output queued, and a console that stops mid-line looks like
// a hung machine to whoever waits for the next prompt.
//
//go:nosplit
func serialTick() {
	if txArmed {
		if txRing.head == txSeen && portio.Inb(com1+uartLSR)&lsrTHRE != 0 {
			txStalls++
			serialKick()
		}
		txSeen = txRing.head
	}
	if rxOn && portio.Inb(com1+uartLSR)&lsrDR != 0 {
		if consoleIn.tail == rxSeen {
			rxStalls++
			serialInterrupt()
		}
	}
	rxSeen = consoleIn.tail
}

// serialFlush sends everything queued, polling.
//
//go:nosplit
func serialFlush() {
	for !txRing.empty() {
		c := txRing.buf[txRing.head%ringSize]
		txRing.head++
		serialPutc(c)
	}
}
