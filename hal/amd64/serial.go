package amd64

import "github.com/skyscope-os/skyscope/hal/amd64/portio"

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
