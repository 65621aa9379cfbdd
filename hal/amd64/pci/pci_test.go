package pci

import (
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// fakeFn is one function's configuration space. BAR registers keep only the bits
// that size allows (the rest read as the type bits), as hardware does.
type fakeFn struct {
	cfg     [64]uint32
	barSize [6]uint64 // 0: unimplemented; a 64-bit BAR's size is on its lower slot
}

// fakeBus is a PCI bus behind configuration mechanism #1, on portio.Fake's hooks.
type fakeBus struct {
	portio.Fake
	fns  map[Addr]*fakeFn
	addr uint32
	// writes counts configuration writes per function.
	writes map[Addr]int
}

func newFakeBus() *fakeBus {
	b := &fakeBus{fns: map[Addr]*fakeFn{}, writes: map[Addr]int{}}
	b.OnIn = b.in
	b.OnOut = b.out
	return b
}

// add puts a function on the bus. bars are the BAR registers as the firmware left
// them; sizes their sizes (a 64-bit BAR's size goes on its lower slot).
func (b *fakeBus) add(a Addr, vendor, device uint16, class uint32, header uint8, irq uint16,
	bars [6]uint32, sizes [6]uint64) *fakeFn {
	f := &fakeFn{barSize: sizes}
	f.cfg[0] = uint32(device)<<16 | uint32(vendor)
	f.cfg[1] = 0x0010_0007 // status: capabilities list; command: I/O, memory, bus master
	f.cfg[2] = class
	f.cfg[3] = uint32(header) << 16
	copy(f.cfg[4:10], bars[:])
	f.cfg[15] = uint32(irq)
	b.fns[a] = f
	return f
}

// selected returns the function and dword CONFIG_ADDRESS points at, if any.
func (b *fakeBus) selected() (*fakeFn, Addr, int) {
	if b.addr&enable == 0 || b.addr&3 != 0 {
		return nil, Addr{}, 0
	}
	a := Addr{Bus: uint8(b.addr >> 16), Slot: uint8(b.addr>>11) & 31, Func: uint8(b.addr>>8) & 7}
	return b.fns[a], a, int(b.addr&0xFC) / 4
}

func (b *fakeBus) in(port uint16) (uint32, bool) {
	switch {
	case port == AddressPort:
		return b.addr, true
	case port >= DataPort && port <= DataPort+3:
		f, _, reg := b.selected()
		if f == nil {
			return 0xFFFFFFFF, true
		}
		// The lane's bytes start at the low end; portio.Fake truncates to the width.
		return f.cfg[reg] >> (8 * (port - DataPort)), true
	}
	return 0xFFFFFFFF, true
}

func (b *fakeBus) out(port uint16, v uint32) {
	width := b.Log[len(b.Log)-1].Width
	switch {
	case port == AddressPort:
		if width == 4 {
			b.addr = v
		}
	case port >= DataPort && port <= DataPort+3:
		f, a, reg := b.selected()
		if f == nil {
			return
		}
		b.writes[a]++
		lane := uint(port - DataPort)
		mask := uint32(1)<<(8*width) - 1
		if width == 4 {
			mask = 0xFFFFFFFF
		}
		mask <<= 8 * lane
		v <<= 8 * lane
		old := f.cfg[reg]
		nv := old&^mask | v&mask
		switch {
		case reg == 0 || reg == 2 || reg == 3 && mask&0x00FF0000 != 0:
			return // read-only identification (header type included)
		case reg == 1:
			// Status (upper half): writing one clears a bit; capabilities (bit 4) is
			// read-only.
			status := old >> 16 &^ (v & mask >> 16) & 0xFFE0
			status |= old >> 16 & 0x10
			nv = status<<16 | nv&0xFFFF
		case reg >= 4 && reg <= 9:
			nv = f.bar(reg-4, nv)
		}
		f.cfg[reg] = nv
	}
}

// bar returns what BAR i holds after v is written to it.
func (f *fakeFn) bar(i int, v uint32) uint32 {
	cur := f.cfg[4+i]
	if i > 0 && f.barSize[i-1] != 0 && f.cfg[4+i-1]&7 == 4 { // upper half of a 64-bit BAR
		size := f.barSize[i-1]
		return v & uint32(^(size-1)>>32)
	}
	size := f.barSize[i]
	switch {
	case size == 0:
		return 0
	case cur&1 != 0: // I/O: 16-bit decoder, upper bits read as zero
		return v&uint32(^(size-1))&0xFFFC | 1
	default:
		return v&uint32(^(size-1))&^0xF | cur&0xF
	}
}

const (
	mb = 1 << 20
	gb = 1 << 30
)

// buildBus lays out a small PC: a host bridge, a multi-function PIIX-like chipset with
// an absent function 2, a display with a prefetchable BAR, an e1000, an NVMe disk
// with a 64-bit BAR above 4 GiB, a GPU with an 8 GiB 64-bit BAR, a single-function
// device that also answers as function 1 (which must be ignored), a device with a
// malformed 64-bit BAR in slot 5, a PCI-to-PCI bridge, and a device on bus 1.
func buildBus() *fakeBus {
	b := newFakeBus()
	none := [6]uint32{}
	noSize := [6]uint64{}
	b.add(Addr{0, 0, 0}, 0x8086, 0x1237, 0x06000002, 0x00, 0, none, noSize)
	b.add(Addr{0, 1, 0}, 0x8086, 0x7000, 0x06010000, 0x80, 0, none, noSize)
	b.add(Addr{0, 1, 1}, 0x8086, 0x7010, 0x01018000, 0x00, 0,
		[6]uint32{0, 0, 0, 0, 0xC001, 0}, [6]uint64{0, 0, 0, 0, 16, 0})
	b.add(Addr{0, 1, 3}, 0x8086, 0x7113, 0x06800003, 0x00, 0x0109, none, noSize)
	b.add(Addr{0, 2, 0}, 0x1234, 0x1111, 0x03000002, 0x00, 0,
		[6]uint32{0xFD000008, 0, 0xFEBF0000, 0, 0, 0}, [6]uint64{16 * mb, 0, 4096, 0, 0, 0})
	b.add(Addr{0, 3, 0}, 0x8086, 0x100E, 0x02000003, 0x00, 0x010B,
		[6]uint32{0xFEB80000, 0xC041, 0, 0, 0, 0}, [6]uint64{128 << 10, 64, 0, 0, 0, 0})
	b.add(Addr{0, 4, 0}, 0x1B36, 0x0010, 0x01080202, 0x00, 0x010A,
		[6]uint32{0x00004004, 0x00000008, 0, 0, 0, 0}, [6]uint64{16 << 10, 0, 0, 0, 0, 0})
	b.add(Addr{0, 5, 0}, 0x10DE, 0x2204, 0x030000A1, 0x00, 0x0105,
		[6]uint32{0xFC000000, 0, 0x0000000C, 0x00000004, 0, 0xE001},
		[6]uint64{16 * mb, 0, 8 * gb, 0, 0, 128})
	b.add(Addr{0, 6, 0}, 0x1AF4, 0x1000, 0x02000000, 0x00, 0x0100, none, noSize)
	b.add(Addr{0, 6, 1}, 0x1AF4, 0x1000, 0x02000000, 0x00, 0x0100, none, noSize) // alias: not multi-function
	b.add(Addr{0, 7, 0}, 0xABCD, 0x0001, 0xFF000000, 0x00, 0,
		[6]uint32{0, 0, 0, 0, 0, 0xF0000004}, [6]uint64{0, 0, 0, 0, 0, 4096})
	b.add(Addr{0, 0x1E, 0}, 0x8086, 0x244E, 0x06040190, 0x01, 0,
		[6]uint32{0xFE000000, 0, 0x00010100, 0, 0, 0}, [6]uint64{1 * mb, 0, 0, 0, 0, 0})
	b.add(Addr{1, 0, 0}, 0x1AF4, 0x1041, 0x02000001, 0x00, 0x0110,
		[6]uint32{0, 0, 0, 0, 0xFE00000C, 0}, [6]uint64{0, 0, 0, 0, 16 << 10, 0})
	return b
}

func TestEnumerate(t *testing.T) {
	b := buildBus()
	before := map[Addr][64]uint32{}
	for a, f := range b.fns {
		before[a] = f.cfg
	}
	devs := Enumerate(b)

	want := []Device{
		{Bus: 0, Slot: 0, Func: 0, Vendor: 0x8086, DeviceID: 0x1237, Class: 6, Revision: 2},
		{Bus: 0, Slot: 1, Func: 0, Vendor: 0x8086, DeviceID: 0x7000, Class: 6, Subclass: 1, HeaderType: 0x80},
		{Bus: 0, Slot: 1, Func: 1, Vendor: 0x8086, DeviceID: 0x7010, Class: 1, Subclass: 1, ProgIF: 0x80,
			BARs: [6]BAR{4: {Addr: 0xC000, Size: 16, IO: true}}},
		{Bus: 0, Slot: 1, Func: 3, Vendor: 0x8086, DeviceID: 0x7113, Class: 6, Subclass: 0x80, Revision: 3,
			IRQLine: 9, IRQPin: 1},
		{Bus: 0, Slot: 2, Func: 0, Vendor: 0x1234, DeviceID: 0x1111, Class: 3, Revision: 2,
			BARs: [6]BAR{0: {Addr: 0xFD000000, Size: 16 * mb, Prefetch: true}, 2: {Addr: 0xFEBF0000, Size: 4096}}},
		{Bus: 0, Slot: 3, Func: 0, Vendor: 0x8086, DeviceID: 0x100E, Class: 2, Revision: 3, IRQLine: 11, IRQPin: 1,
			BARs: [6]BAR{0: {Addr: 0xFEB80000, Size: 128 << 10}, 1: {Addr: 0xC040, Size: 64, IO: true}}},
		{Bus: 0, Slot: 4, Func: 0, Vendor: 0x1B36, DeviceID: 0x0010, Class: 1, Subclass: 8, ProgIF: 2, Revision: 2,
			IRQLine: 10, IRQPin: 1,
			BARs: [6]BAR{0: {Addr: 0x8_0000_4000, Size: 16 << 10, Is64: true}}},
		{Bus: 0, Slot: 5, Func: 0, Vendor: 0x10DE, DeviceID: 0x2204, Class: 3, Revision: 0xA1, IRQLine: 5, IRQPin: 1,
			BARs: [6]BAR{
				0: {Addr: 0xFC000000, Size: 16 * mb},
				2: {Addr: 0x4_0000_0000, Size: 8 * gb, Prefetch: true, Is64: true},
				5: {Addr: 0xE000, Size: 128, IO: true},
			}},
		{Bus: 0, Slot: 6, Func: 0, Vendor: 0x1AF4, DeviceID: 0x1000, Class: 2, IRQPin: 1},
		{Bus: 0, Slot: 7, Func: 0, Vendor: 0xABCD, DeviceID: 0x0001, Class: 0xFF}, // malformed BAR5 left out
		{Bus: 0, Slot: 0x1E, Func: 0, Vendor: 0x8086, DeviceID: 0x244E, Class: 6, Subclass: 4, ProgIF: 1, Revision: 0x90,
			HeaderType: 1, BARs: [6]BAR{0: {Addr: 0xFE000000, Size: 1 * mb}}},
		{Bus: 1, Slot: 0, Func: 0, Vendor: 0x1AF4, DeviceID: 0x1041, Class: 2, Revision: 1, IRQLine: 0x10, IRQPin: 1,
			BARs: [6]BAR{4: {Addr: 0xFE000000, Size: 16 << 10, Prefetch: true, Is64: true}}},
	}
	if len(devs) != len(want) {
		for _, d := range devs {
			t.Logf("found %+v", fields(d))
		}
		t.Fatalf("found %d devices, want %d", len(devs), len(want))
	}
	for i := range want {
		if devs[i] != want[i] {
			t.Errorf("device %d:\n got %+v\nwant %+v", i, fields(devs[i]), fields(want[i]))
		}
	}
	// Sizing left every register as it was: BARs, command (decoding back on), status.
	for a, f := range b.fns {
		if f.cfg != before[a] {
			t.Errorf("%v: configuration space changed by Enumerate", a)
		}
	}
	// The alias of a single-function device was never touched.
	for _, a := range []Addr{{0, 6, 1}} {
		if n := b.writes[a]; n != 0 {
			t.Errorf("%v: %d configuration writes", a, n)
		}
	}
	// Sizing turned decoding off first: the first write to the e1000 is the command
	// register with I/O and memory clear.
	var sawOff bool
	for i, acc := range b.Log {
		if acc.Out && acc.Port == AddressPort && acc.Value == (Addr{0, 3, 0}).address(RegCommand) &&
			i+1 < len(b.Log) && b.Log[i+1].Out && b.Log[i+1].Port == DataPort {
			if b.Log[i+1].Width != 2 || b.Log[i+1].Value != 0x0004 {
				t.Fatalf("first command write to 00:03.0 = %+v, want 16-bit 0x0004", b.Log[i+1])
			}
			sawOff = true
			break
		}
	}
	if !sawOff {
		t.Fatal("decoding was not turned off while sizing 00:03.0")
	}
}

// fields is a Device without its String method, so that %+v shows every field.
type fields Device

func TestEnumerateEmptyBus(t *testing.T) {
	b := newFakeBus()
	if devs := Enumerate(b); len(devs) != 0 {
		t.Fatalf("empty bus: %v", devs)
	}
	// 256 buses × 32 slots, one ID read (an address write and a data read) each.
	if n := len(b.Log); n != 256*32*2 {
		t.Fatalf("%d port accesses, want %d", n, 256*32*2)
	}
}

func TestString(t *testing.T) {
	devs := Enumerate(buildBus())
	want := []string{
		"00:00.0 8086:1237 bridge (host)",
		"00:01.0 8086:7000 bridge (ISA)",
		"00:01.1 8086:7010 mass storage controller (IDE)",
		"00:01.3 8086:7113 bridge (other)",
		"00:02.0 1234:1111 display controller (VGA-compatible)",
		"00:03.0 8086:100e network controller (Ethernet)",
		"00:04.0 1b36:0010 mass storage controller (NVMe)",
		"00:05.0 10de:2204 display controller (VGA-compatible)",
		"00:06.0 1af4:1000 network controller (Ethernet)",
		"00:07.0 abcd:0001 unassigned class (subclass 0x00)",
		"00:1e.0 8086:244e bridge (PCI-to-PCI)",
		"01:00.0 1af4:1041 network controller (Ethernet)",
	}
	if len(devs) != len(want) {
		t.Fatalf("%d devices", len(devs))
	}
	for i, d := range devs {
		if got := d.String(); got != want[i] {
			t.Errorf("String() = %q, want %q", got, want[i])
		}
	}
	for _, c := range []struct {
		class, sub, pi uint8
		want           string
	}{
		{0x0C, 0x03, 0x30, "serial bus controller (USB xHCI)"},
		{0x0C, 0x03, 0x20, "serial bus controller (USB EHCI)"},
		{0x01, 0x06, 0x01, "mass storage controller (SATA AHCI)"},
		{0x04, 0x03, 0x00, "multimedia controller (HD Audio)"},
		{0x02, 0x42, 0x00, "network controller (subclass 0x42)"},
		{0x02, 0x80, 0x00, "network controller (other)"},
		{0x77, 0x01, 0x00, "class 0x77 (subclass 0x01)"},
	} {
		if got := ClassName(c.class, c.sub, c.pi); got != c.want {
			t.Errorf("ClassName(%#x, %#x, %#x) = %q, want %q", c.class, c.sub, c.pi, got, c.want)
		}
	}
}

func TestConfigAccess(t *testing.T) {
	b := buildBus()
	a := Addr{0, 3, 0}
	if v, err := Read32(b, a, 0); err != nil || v != 0x100E8086 {
		t.Fatalf("Read32 = %#x, %v", v, err)
	}
	if v, err := Read16(b, a, RegDeviceID); err != nil || v != 0x100E {
		t.Fatalf("Read16(device) = %#x, %v", v, err)
	}
	if v, err := Read8(b, a, RegIRQLine); err != nil || v != 11 {
		t.Fatalf("Read8(IRQ line) = %d, %v", v, err)
	}
	if v, err := Read8(b, a, RegIRQPin); err != nil || v != 1 {
		t.Fatalf("Read8(IRQ pin) = %d, %v", v, err)
	}
	if err := Write8(b, a, RegIRQLine, 5); err != nil {
		t.Fatal(err)
	}
	if v, _ := Read32(b, a, RegIRQLine); v != 0x0105 {
		t.Fatalf("after Write8, dword 0x3c = %#x, want 0x105", v)
	}
	if err := Write32(b, a, 0x40, 0xDEADBEEF); err != nil {
		t.Fatal(err)
	}
	if v, _ := Read16(b, a, 0x42); v != 0xDEAD {
		t.Fatalf("Read16(0x42) = %#x", v)
	}
	if err := Write16(b, a, 0x42, 0x1234); err != nil {
		t.Fatal(err)
	}
	if v, _ := Read32(b, a, 0x40); v != 0x1234BEEF {
		t.Fatalf("Read32(0x40) = %#x", v)
	}
	// The address written selects bus 0, slot 3, function 0, dword 0x40, enabled.
	if got := b.Regs[AddressPort]; got != 0x80001840 {
		t.Fatalf("CONFIG_ADDRESS = %#x, want 0x80001840", got)
	}
	if v, _ := Read32(b, Addr{9, 9, 1}, 0); v != 0xFFFFFFFF {
		t.Fatalf("absent function reads %#x", v)
	}

	bad := []struct {
		name string
		err  error
		want string
	}{
		{"Read32 odd", func() error { _, err := Read32(b, a, 2); return err }(), "not 4-byte aligned"},
		{"Read16 odd", func() error { _, err := Read16(b, a, 3); return err }(), "not 2-byte aligned"},
		{"Write32 odd", Write32(b, a, 0x41, 0), "not 4-byte aligned"},
		{"Write16 odd", Write16(b, a, 0x41, 0), "not 2-byte aligned"},
		{"slot 32", func() error { _, err := Read32(b, Addr{0, 32, 0}, 0); return err }(), "no such function"},
		{"func 8", Write8(b, Addr{0, 0, 8}, 0, 0), "no such function"},
	}
	for _, c := range bad {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one mentioning %q", c.name, c.err, c.want)
		}
	}
}

func TestSetCommand(t *testing.T) {
	b := buildBus()
	a := Addr{0, 3, 0}
	f := b.fns[a]
	f.cfg[1] = 0x8010_0000 // decoding off; status: parity error detected (RW1C), capabilities
	if err := EnableBusMaster(b, a); err != nil {
		t.Fatal(err)
	}
	if got := f.cfg[1]; got != 0x8010_0006 {
		t.Fatalf("command/status = %#08x, want 0x80100006 (status untouched)", got)
	}
	old, err := SetCommand(b, a, CommandINTxDisable, CommandBusMaster)
	if err != nil || old != 0x0006 {
		t.Fatalf("SetCommand = %#x, %v", old, err)
	}
	if got := uint16(f.cfg[1]); got != 0x0402 {
		t.Fatalf("command = %#04x, want 0x0402", got)
	}
	n := b.writes[a]
	if _, err := SetCommand(b, a, CommandMemory, 0); err != nil || b.writes[a] != n {
		t.Fatalf("SetCommand with nothing to change wrote (err %v)", err)
	}
	if _, err := SetCommand(b, Addr{0, 40, 0}, CommandMemory, 0); err == nil {
		t.Fatal("SetCommand on slot 40 succeeded")
	}
}

// TestOddHardwareNeverPanics enumerates a bus where every function answers with the
// same arbitrary dword everywhere.
func TestOddHardwareNeverPanics(t *testing.T) {
	for _, v := range []uint32{0x00000000, 0xFFFF0000, 0x0000FFFE, 0x12345678, 0xFFFFFFFE, 0x80FF0004, 0x7FFFFFFF, 0x00000004, 0x00000001} {
		// Bus 0 only: every bus would take the race detector many seconds.
		var f portio.Fake
		f.OnIn = func(port uint16) (uint32, bool) {
			if port >= DataPort && f.Regs[AddressPort]&0x00FF0000 == 0 {
				return v, true
			}
			if port >= DataPort {
				return 0xFFFFFFFF, true
			}
			return 0, false
		}
		devs := Enumerate(&f)
		for _, d := range devs {
			_ = d.String()
			if d.Bus != 0 {
				t.Fatalf("%#x: found %v", v, d)
			}
		}
		if uint16(v) != 0xFFFF && len(devs) < 32 {
			t.Fatalf("%#x: found %d functions on bus 0, want at least 32", v, len(devs))
		}
	}
}
