// Package pci reads and writes PCI configuration space through configuration
// mechanism #1 and enumerates the devices on it.
//
// Mechanism #1 (PCI Local Bus Specification 3.0, §3.2.2.3.2 "Software Generation of
// Configuration Transactions"): a 32-bit write to CONFIG_ADDRESS (port 0xCF8) selects
// bus, device (slot), function and dword-aligned register, with bit 31 enabling the
// access; the register is then read or written at CONFIG_DATA (ports 0xCFC–0xCFF, the
// byte lanes of the selected dword). An absent function reads as all ones, so vendor
// ID 0xFFFF means "nothing there" (§6.1).
//
// The configuration header layout (§6.1, §6.2): vendor and device ID at 0x00, command
// and status at 0x04 (§6.2.2, §6.2.3), revision, programming interface, subclass and
// class at 0x08, header type at 0x0E (bit 7: multi-function device), base address
// registers at 0x10–0x24 (§6.2.5.1), interrupt line and pin at 0x3C–0x3D. BAR sizes
// are found as §6.2.5.1 describes: write all ones, read back which address bits stuck
// at zero, restore the original value, with the device's I/O and memory decoding
// turned off meanwhile (the "Implementation Note: Sizing a 32-bit Base Address
// Register Example"). Class codes are from the PCI Code and ID Assignment
// Specification 1.11, chapter 1.
package pci

import (
	"fmt"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// The configuration mechanism #1 ports.
const (
	AddressPort = 0xCF8 // CONFIG_ADDRESS
	DataPort    = 0xCFC // CONFIG_DATA (0xCFC–0xCFF)
)

// Limits of the bus/device/function space.
const (
	MaxBus   = 255
	MaxSlot  = 31
	MaxFunc  = 7
	maxBARs  = 6
	enable   = 1 << 31 // CONFIG_ADDRESS enable bit
	noDevice = 0xFFFF  // vendor ID of an absent function
)

// Configuration header registers (offsets in configuration space).
const (
	RegVendorID   = 0x00
	RegDeviceID   = 0x02
	RegCommand    = 0x04
	RegStatus     = 0x06
	RegRevision   = 0x08
	RegProgIF     = 0x09
	RegSubclass   = 0x0A
	RegClass      = 0x0B
	RegHeaderType = 0x0E
	RegBAR0       = 0x10
	RegIRQLine    = 0x3C
	RegIRQPin     = 0x3D
)

// Command register bits (§6.2.2).
const (
	CommandIO          = 1 << 0  // respond to I/O space accesses
	CommandMemory      = 1 << 1  // respond to memory space accesses
	CommandBusMaster   = 1 << 2  // may initiate transactions (DMA)
	CommandINTxDisable = 1 << 10 // do not assert INTx#
)

// HeaderMultiFunction is the header type bit that says the device has functions 1–7.
const HeaderMultiFunction = 0x80

// Addr is the position of a function on the PCI bus: bus, device (slot) and function.
type Addr struct {
	Bus, Slot, Func uint8
}

// String formats a as bb:ss.f, in hexadecimal as lspci does.
func (a Addr) String() string { return fmt.Sprintf("%02x:%02x.%d", a.Bus, a.Slot, a.Func) }

// check returns an error unless a and the access of width bytes at off are possible.
func (a Addr) check(off uint8, width uint8) error {
	if a.Slot > MaxSlot || a.Func > MaxFunc {
		return fmt.Errorf("pci: no such function %02x:%02x.%d (slot ≤ %d, function ≤ %d)",
			a.Bus, a.Slot, a.Func, MaxSlot, MaxFunc)
	}
	if off%width != 0 {
		return fmt.Errorf("pci: %d-byte access at configuration offset %#02x of %v is not %d-byte aligned",
			width, off, a, width)
	}
	return nil
}

// address returns the CONFIG_ADDRESS value selecting the dword holding off.
func (a Addr) address(off uint8) uint32 {
	return enable | uint32(a.Bus)<<16 | uint32(a.Slot&MaxSlot)<<11 | uint32(a.Func&MaxFunc)<<8 | uint32(off&^3)
}

// read32 reads the dword at off (aligned) without checks.
func read32(p portio.Ports, a Addr, off uint8) uint32 {
	p.Out32(AddressPort, a.address(off))
	return p.In32(DataPort)
}

// write32 writes the dword at off (aligned) without checks.
func write32(p portio.Ports, a Addr, off uint8, v uint32) {
	p.Out32(AddressPort, a.address(off))
	p.Out32(DataPort, v)
}

// read16 reads the word at off (2-aligned) without checks.
func read16(p portio.Ports, a Addr, off uint8) uint16 {
	p.Out32(AddressPort, a.address(off))
	return p.In16(DataPort + uint16(off&2))
}

// write16 writes the word at off (2-aligned) without checks.
func write16(p portio.Ports, a Addr, off uint8, v uint16) {
	p.Out32(AddressPort, a.address(off))
	p.Out16(DataPort+uint16(off&2), v)
}

// Read32 reads the configuration dword at off, which must be a multiple of 4.
func Read32(p portio.Ports, a Addr, off uint8) (uint32, error) {
	if err := a.check(off, 4); err != nil {
		return 0, err
	}
	return read32(p, a, off), nil
}

// Read16 reads the configuration word at off, which must be even.
func Read16(p portio.Ports, a Addr, off uint8) (uint16, error) {
	if err := a.check(off, 2); err != nil {
		return 0, err
	}
	return read16(p, a, off), nil
}

// Read8 reads the configuration byte at off.
func Read8(p portio.Ports, a Addr, off uint8) (uint8, error) {
	if err := a.check(off, 1); err != nil {
		return 0, err
	}
	p.Out32(AddressPort, a.address(off))
	return p.In8(DataPort + uint16(off&3)), nil
}

// Write32 writes the configuration dword at off, which must be a multiple of 4.
func Write32(p portio.Ports, a Addr, off uint8, v uint32) error {
	if err := a.check(off, 4); err != nil {
		return err
	}
	write32(p, a, off, v)
	return nil
}

// Write16 writes the configuration word at off, which must be even. Only that word
// is written: use it for the command register, whose neighbour, the status register,
// has bits that a write of one clears.
func Write16(p portio.Ports, a Addr, off uint8, v uint16) error {
	if err := a.check(off, 2); err != nil {
		return err
	}
	write16(p, a, off, v)
	return nil
}

// Write8 writes the configuration byte at off.
func Write8(p portio.Ports, a Addr, off uint8, v uint8) error {
	if err := a.check(off, 1); err != nil {
		return err
	}
	p.Out32(AddressPort, a.address(off))
	p.Out8(DataPort+uint16(off&3), v)
	return nil
}

// SetCommand sets the bits set and then clears the bits clear in a's command
// register, and returns the register's previous value. Bus mastering and memory
// decoding, for example: SetCommand(p, a, CommandBusMaster|CommandMemory, 0).
func SetCommand(p portio.Ports, a Addr, set, clear uint16) (old uint16, err error) {
	if err := a.check(RegCommand, 2); err != nil {
		return 0, err
	}
	old = read16(p, a, RegCommand)
	if v := (old | set) &^ clear; v != old {
		write16(p, a, RegCommand, v)
	}
	return old, nil
}

// EnableBusMaster turns on bus mastering and memory space decoding for a, as a DMA
// device driver needs.
func EnableBusMaster(p portio.Ports, a Addr) error {
	_, err := SetCommand(p, a, CommandBusMaster|CommandMemory, 0)
	return err
}

// BAR is a decoded base address register.
type BAR struct {
	// Addr is the base address (for I/O BARs, a port number).
	Addr uint64
	// Size is the size of the region in bytes; 0 for an unimplemented BAR.
	Size uint64
	// IO is set for an I/O space BAR, clear for memory space.
	IO bool
	// Prefetch is set for prefetchable memory.
	Prefetch bool
	// Is64 is set for a 64-bit memory BAR, which takes this slot and the next; the
	// next slot is then left zero.
	Is64 bool
}

// Device is one function found on the bus.
type Device struct {
	// Bus, Slot and Func are the function's position.
	Bus, Slot, Func uint8
	// Vendor and DeviceID identify the device.
	Vendor, DeviceID uint16
	// Class, Subclass and ProgIF are the class code; Revision is the revision ID.
	Class, Subclass, ProgIF, Revision uint8
	// HeaderType is the header type register as read: bits 0–6 the layout (0
	// device, 1 PCI-to-PCI bridge, 2 CardBus bridge), bit 7 multi-function.
	HeaderType uint8
	// IRQLine is the interrupt line the firmware routed (0xFF: none); IRQPin is 0
	// for none or 1–4 for INTA#–INTD#.
	IRQLine, IRQPin uint8
	// BARs are the base address registers: six for a device, the first two for a
	// PCI-to-PCI bridge, none otherwise.
	BARs [6]BAR
}

// Addr returns the device's bus/slot/function.
func (d Device) Addr() Addr { return Addr{d.Bus, d.Slot, d.Func} }

// String describes the device on one line, as "00:03.0 8086:100e network controller
// (Ethernet)".
func (d Device) String() string {
	return fmt.Sprintf("%v %04x:%04x %s", d.Addr(), d.Vendor, d.DeviceID, ClassName(d.Class, d.Subclass, d.ProgIF))
}

// Enumerate scans every bus (0–255) and slot (0–31) by brute force, and functions 1–7
// of the slots whose function 0 is multi-function. It follows no bridges (the brute
// force reaches every bus anyway) and configures nothing; sizing the BARs briefly
// turns each device's decoding off and restores it, so call it before anything else
// (another goroutine drawing on a PCI framebuffer, say) uses device memory.
func Enumerate(ports portio.Ports) []Device {
	var devs []Device
	for bus := 0; bus <= MaxBus; bus++ {
		for slot := uint8(0); slot <= MaxSlot; slot++ {
			a := Addr{Bus: uint8(bus), Slot: slot}
			d, ok := probe(ports, a)
			if !ok {
				continue
			}
			devs = append(devs, d)
			if d.HeaderType&HeaderMultiFunction == 0 {
				continue
			}
			for fn := uint8(1); fn <= MaxFunc; fn++ {
				a.Func = fn
				if d, ok := probe(ports, a); ok {
					devs = append(devs, d)
				}
			}
		}
	}
	return devs
}

// probe reads the function at a, if there is one.
func probe(p portio.Ports, a Addr) (Device, bool) {
	id := read32(p, a, RegVendorID)
	if uint16(id) == noDevice {
		return Device{}, false
	}
	class := read32(p, a, RegRevision)
	hdr := read32(p, a, 0x0C)
	irq := read32(p, a, RegIRQLine)
	d := Device{
		Bus: a.Bus, Slot: a.Slot, Func: a.Func,
		Vendor: uint16(id), DeviceID: uint16(id >> 16),
		Revision: uint8(class), ProgIF: uint8(class >> 8), Subclass: uint8(class >> 16), Class: uint8(class >> 24),
		HeaderType: uint8(hdr >> 16),
		IRQLine:    uint8(irq), IRQPin: uint8(irq >> 8),
	}
	n := 0
	switch d.HeaderType &^ HeaderMultiFunction {
	case 0:
		n = 6
	case 1:
		n = 2
	}
	if n > 0 {
		d.BARs = sizeBARs(p, a, n)
	}
	return d, true
}

// sizeBARs decodes and sizes the first n BARs of a, with decoding off meanwhile.
func sizeBARs(p portio.Ports, a Addr, n int) [6]BAR {
	cmd := read16(p, a, RegCommand)
	if cmd&(CommandIO|CommandMemory) != 0 {
		write16(p, a, RegCommand, cmd&^(CommandIO|CommandMemory))
	}
	var bars [6]BAR
	for i := 0; i < n; i++ {
		off := uint8(RegBAR0 + 4*i)
		orig := read32(p, a, off)
		if orig&1 != 0 { // I/O space
			write32(p, a, off, 0xFFFFFFFF)
			mask := read32(p, a, off) &^ 3
			write32(p, a, off, orig)
			if mask != 0 {
				bars[i] = BAR{Addr: uint64(orig &^ 3), Size: uint64(mask & -mask), IO: true}
			}
			continue
		}
		prefetch := orig&8 != 0
		if (orig>>1)&3 == 2 { // 64-bit memory: this slot and the next
			if i+1 >= n {
				continue // no upper half: malformed, leave it out
			}
			offHi := off + 4
			origHi := read32(p, a, offHi)
			write32(p, a, off, 0xFFFFFFFF)
			write32(p, a, offHi, 0xFFFFFFFF)
			mask := uint64(read32(p, a, offHi))<<32 | uint64(read32(p, a, off)&^0xF)
			write32(p, a, off, orig)
			write32(p, a, offHi, origHi)
			if mask != 0 {
				bars[i] = BAR{Addr: uint64(origHi)<<32 | uint64(orig&^0xF), Size: mask & -mask, Prefetch: prefetch, Is64: true}
			}
			i++ // the upper half is not a BAR of its own
			continue
		}
		write32(p, a, off, 0xFFFFFFFF)
		mask := read32(p, a, off) &^ 0xF
		write32(p, a, off, orig)
		if mask != 0 {
			bars[i] = BAR{Addr: uint64(orig &^ 0xF), Size: uint64(mask & -mask), Prefetch: prefetch}
		}
	}
	if cmd&(CommandIO|CommandMemory) != 0 {
		write16(p, a, RegCommand, cmd)
	}
	return bars
}

// ClassName names a class code, as "network controller (Ethernet)"; unknown classes
// and subclasses are given in hexadecimal.
func ClassName(class, subclass, progIF uint8) string {
	c := className(class)
	if c == "" {
		return fmt.Sprintf("class %#02x (subclass %#02x)", class, subclass)
	}
	s := subclassName(class, subclass, progIF)
	if s == "" {
		if subclass == 0x80 {
			s = "other"
		} else {
			s = fmt.Sprintf("subclass %#02x", subclass)
		}
	}
	return c + " (" + s + ")"
}

// className names the base classes.
func className(class uint8) string {
	switch class {
	case 0x00:
		return "unclassified device"
	case 0x01:
		return "mass storage controller"
	case 0x02:
		return "network controller"
	case 0x03:
		return "display controller"
	case 0x04:
		return "multimedia controller"
	case 0x05:
		return "memory controller"
	case 0x06:
		return "bridge"
	case 0x07:
		return "communication controller"
	case 0x08:
		return "system peripheral"
	case 0x09:
		return "input device controller"
	case 0x0A:
		return "docking station"
	case 0x0B:
		return "processor"
	case 0x0C:
		return "serial bus controller"
	case 0x0D:
		return "wireless controller"
	case 0x0E:
		return "intelligent I/O controller"
	case 0x0F:
		return "satellite communication controller"
	case 0x10:
		return "encryption controller"
	case 0x11:
		return "signal processing controller"
	case 0x12:
		return "processing accelerator"
	case 0x13:
		return "non-essential instrumentation"
	case 0x40:
		return "co-processor"
	case 0xFF:
		return "unassigned class"
	}
	return ""
}

// subclassName names the common subclasses (and, for USB, the programming
// interface).
func subclassName(class, sub, progIF uint8) string {
	switch uint16(class)<<8 | uint16(sub) {
	case 0x0000:
		return "non-VGA"
	case 0x0001:
		return "VGA-compatible"
	case 0x0100:
		return "SCSI"
	case 0x0101:
		return "IDE"
	case 0x0102:
		return "floppy"
	case 0x0103:
		return "IPI"
	case 0x0104:
		return "RAID"
	case 0x0105:
		return "ATA"
	case 0x0106:
		if progIF == 0x01 {
			return "SATA AHCI"
		}
		return "SATA"
	case 0x0107:
		return "SAS"
	case 0x0108:
		if progIF == 0x02 {
			return "NVMe"
		}
		return "non-volatile memory"
	case 0x0109:
		return "UFS"
	case 0x0200:
		return "Ethernet"
	case 0x0201:
		return "Token Ring"
	case 0x0202:
		return "FDDI"
	case 0x0203:
		return "ATM"
	case 0x0204:
		return "ISDN"
	case 0x0207:
		return "InfiniBand"
	case 0x0300:
		if progIF == 0x01 {
			return "8514-compatible"
		}
		return "VGA-compatible"
	case 0x0301:
		return "XGA"
	case 0x0302:
		return "3D"
	case 0x0400:
		return "video"
	case 0x0401:
		return "audio"
	case 0x0402:
		return "telephony"
	case 0x0403:
		return "HD Audio"
	case 0x0500:
		return "RAM"
	case 0x0501:
		return "flash"
	case 0x0600:
		return "host"
	case 0x0601:
		return "ISA"
	case 0x0602:
		return "EISA"
	case 0x0603:
		return "MicroChannel"
	case 0x0604:
		return "PCI-to-PCI"
	case 0x0605:
		return "PCMCIA"
	case 0x0606:
		return "NuBus"
	case 0x0607:
		return "CardBus"
	case 0x0608:
		return "RACEway"
	case 0x0609:
		return "semi-transparent PCI-to-PCI"
	case 0x060A:
		return "InfiniBand-to-PCI"
	case 0x0700:
		return "serial"
	case 0x0701:
		return "parallel"
	case 0x0702:
		return "multiport serial"
	case 0x0703:
		return "modem"
	case 0x0704:
		return "GPIB"
	case 0x0705:
		return "smart card"
	case 0x0800:
		return "PIC"
	case 0x0801:
		return "DMA controller"
	case 0x0802:
		return "timer"
	case 0x0803:
		return "RTC"
	case 0x0804:
		return "PCI hot-plug"
	case 0x0805:
		return "SD host"
	case 0x0806:
		return "IOMMU"
	case 0x0900:
		return "keyboard"
	case 0x0901:
		return "digitizer pen"
	case 0x0902:
		return "mouse"
	case 0x0903:
		return "scanner"
	case 0x0904:
		return "gameport"
	case 0x0C00:
		return "FireWire"
	case 0x0C01:
		return "ACCESS.bus"
	case 0x0C02:
		return "SSA"
	case 0x0C03:
		switch progIF {
		case 0x00:
			return "USB UHCI"
		case 0x10:
			return "USB OHCI"
		case 0x20:
			return "USB EHCI"
		case 0x30:
			return "USB xHCI"
		case 0xFE:
			return "USB device"
		}
		return "USB"
	case 0x0C04:
		return "Fibre Channel"
	case 0x0C05:
		return "SMBus"
	case 0x0C06:
		return "InfiniBand"
	case 0x0C07:
		return "IPMI"
	case 0x0C08:
		return "SERCOS"
	case 0x0C09:
		return "CANbus"
	case 0x0D00:
		return "IrDA"
	case 0x0D01:
		return "consumer IR"
	case 0x0D10:
		return "RF"
	case 0x0D11:
		return "Bluetooth"
	case 0x0D12:
		return "broadband"
	case 0x0D20:
		return "802.11a"
	case 0x0D21:
		return "802.11b"
	}
	return ""
}
