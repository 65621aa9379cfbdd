// Package portio is x86 port I/O: the IN and OUT instructions, and an interface over
// them so that drivers (serial, PIT, PS/2, PCI configuration, CMOS) can be tested on the
// host against a fake.
package portio

// Ports reads and writes I/O ports.
type Ports interface {
	In8(port uint16) uint8
	Out8(port uint16, v uint8)
	In16(port uint16) uint16
	Out16(port uint16, v uint16)
	In32(port uint16) uint32
	Out32(port uint16, v uint32)
}

// Hardware is the machine's real I/O ports. Using it outside ring 0 (in go test on the
// host) faults.
type Hardware struct{}

// In8 reads a byte from port (IN AL, DX).
func (Hardware) In8(port uint16) uint8 { return inb(port) }

// Out8 writes a byte to port (OUT DX, AL).
func (Hardware) Out8(port uint16, v uint8) { outb(port, v) }

// In16 reads a 16-bit word from port.
func (Hardware) In16(port uint16) uint16 { return inw(port) }

// Out16 writes a 16-bit word to port.
func (Hardware) Out16(port uint16, v uint16) { outw(port, v) }

// In32 reads a 32-bit word from port.
func (Hardware) In32(port uint16) uint32 { return inl(port) }

// Out32 writes a 32-bit word to port.
func (Hardware) Out32(port uint16, v uint32) { outl(port, v) }

// The instructions, in portio_amd64.s. They are nosplit so trap handlers may use them.

//go:noescape
func inb(port uint16) uint8

//go:noescape
func outb(port uint16, v uint8)

//go:noescape
func inw(port uint16) uint16

//go:noescape
func outw(port uint16, v uint16)

//go:noescape
func inl(port uint16) uint32

//go:noescape
func outl(port uint16, v uint32)

// Inb reads a byte from port; for nosplit trap code that cannot use an interface.
//
//go:nosplit
func Inb(port uint16) uint8 { return inb(port) }

// Outb writes a byte to port; for nosplit trap code.
//
//go:nosplit
func Outb(port uint16, v uint8) { outb(port, v) }

// Outw writes a 16-bit word to port; for nosplit trap code.
//
//go:nosplit
func Outw(port uint16, v uint16) { outw(port, v) }

// Outl writes a 32-bit word to port; for nosplit trap code.
//
//go:nosplit
func Outl(port uint16, v uint32) { outl(port, v) }
