package acpi

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/hal/amd64/multiboot"
)

// This file builds synthetic ACPI images for the tests: tables with correct
// checksums placed at chosen physical addresses of a SliceMemory.

// machine is a physical memory image starting at address 0.
type machine struct{ data []byte }

func newMachine(size int) *machine { return &machine{data: make([]byte, size)} }

// put copies b to physical address at, growing the image if needed.
func (m *machine) put(at uint64, b []byte) {
	if end := int(at) + len(b); end > len(m.data) {
		m.data = append(m.data, make([]byte, end-len(m.data))...)
	}
	copy(m.data[at:], b)
}

func (m *machine) mem() multiboot.SliceMemory { return multiboot.SliceMemory{Data: m.data} }

func p16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
func p32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func p64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// fixSum sets b[at] so that the bytes of b sum to zero.
func fixSum(b []byte, at int) {
	b[at] = 0
	var s uint8
	for _, c := range b {
		s += c
	}
	b[at] = -s
}

// sdt builds a table with a standard header (§5.2.6) around body.
func sdt(sig string, rev uint8, body []byte) []byte {
	b := make([]byte, headerLength, headerLength+len(body))
	copy(b, sig)
	p32(b, 4, uint32(headerLength+len(body)))
	b[8] = rev
	copy(b[10:], "SKYOEM")
	copy(b[16:], "SKYTABLE")
	p32(b, 24, 1)
	copy(b[28:], "SKYC")
	p32(b, 32, 1)
	b = append(b, body...)
	fixSum(b, 9)
	return b
}

// rsdpBytes builds an RSDP; revision ≥ 2 gets the 36-byte form.
func rsdpBytes(rev uint8, rsdt uint32, xsdt uint64) []byte {
	n := rsdpV1Length
	if rev >= 2 {
		n = rsdpV2Length
	}
	b := make([]byte, n)
	copy(b, rsdpSignature)
	copy(b[rsdpOEMID:], "BOCHS ")
	b[rsdpRevision] = rev
	p32(b, rsdpRSDT, rsdt)
	fixSum(b[:rsdpV1Length], 8)
	if rev >= 2 {
		p32(b, rsdpLength, rsdpV2Length)
		p64(b, rsdpXSDT, xsdt)
		fixSum(b, 32)
	}
	return b
}

func xsdtTable(addrs ...uint64) []byte {
	body := make([]byte, 8*len(addrs))
	for k, a := range addrs {
		p64(body, 8*k, a)
	}
	return sdt("XSDT", 1, body)
}

func rsdtTable(addrs ...uint32) []byte {
	body := make([]byte, 4*len(addrs))
	for k, a := range addrs {
		p32(body, 4*k, a)
	}
	return sdt("RSDT", 1, body)
}

// MADT entry builders.
func eLAPIC(uid, id uint8, flags uint32) []byte {
	e := []byte{madtProcessor, lenProcessor, uid, id, 0, 0, 0, 0}
	p32(e, 4, flags)
	return e
}

func eIOAPIC(id uint8, addr, gsi uint32) []byte {
	e := []byte{madtIOAPIC, lenIOAPIC, id, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	p32(e, 4, addr)
	p32(e, 8, gsi)
	return e
}

func eOverride(bus, irq uint8, gsi uint32, flags uint16) []byte {
	e := []byte{madtOverride, lenOverride, bus, irq, 0, 0, 0, 0, 0, 0}
	p32(e, 4, gsi)
	p16(e, 8, flags)
	return e
}

func eLocalNMI(uid uint8, flags uint16, lint uint8) []byte {
	e := []byte{madtLocalNMI, lenLocalNMI, uid, 0, 0, lint}
	p16(e, 3, flags)
	return e
}

func eAPICOverride(addr uint64) []byte {
	e := make([]byte, lenAPICOverride)
	e[0], e[1] = madtAPICOverride, lenAPICOverride
	p64(e, 4, addr)
	return e
}

func eX2APIC(id, flags, uid uint32) []byte {
	e := make([]byte, lenX2APIC)
	e[0], e[1] = madtX2APIC, lenX2APIC
	p32(e, 4, id)
	p32(e, 8, flags)
	p32(e, 12, uid)
	return e
}

func eX2APICNMI(flags uint16, uid uint32, lint uint8) []byte {
	e := make([]byte, lenX2APICNMI)
	e[0], e[1] = madtX2APICNMI, lenX2APICNMI
	p16(e, 2, flags)
	p32(e, 4, uid)
	e[8] = lint
	return e
}

func madtTable(lapic, flags uint32, entries ...[]byte) []byte {
	body := make([]byte, 8)
	p32(body, 0, lapic)
	p32(body, 4, flags)
	for _, e := range entries {
		body = append(body, e...)
	}
	return sdt("APIC", 5, body)
}

// fadtFields are the FADT fields the tests set.
type fadtFields struct {
	dsdt                uint32
	xdsdt               uint64
	sci                 uint16
	smi                 uint32
	enable, disable     uint8
	pm1a, pm1b, pmtmr   uint32
	xpm1a, xpm1b, xtmr  GenericAddress
	pm1len, tmrlen      uint8
	century             uint8
	bootArch            uint16
	flags               uint32
	reset               GenericAddress
	resetVal            uint8
	hypervisorVendorTag uint64
}

const fadtFullLength = 276

func putGAS(b []byte, off int, g GenericAddress) {
	b[off], b[off+1], b[off+2], b[off+3] = g.Space, g.BitWidth, g.BitOffset, g.AccessSize
	p64(b, off+4, g.Address)
}

// fadtTable builds an FADT of the given total length (276 for ACPI 6.x, 116 for 1.0,
// anything ≥ 44 to test truncation).
func fadtTable(f fadtFields, length int) []byte {
	b := make([]byte, fadtFullLength)
	p32(b, fadtDSDT, f.dsdt)
	p16(b, fadtSCIInt, f.sci)
	p32(b, fadtSMICmd, f.smi)
	b[fadtACPIEnable], b[fadtACPIDisable] = f.enable, f.disable
	p32(b, fadtPM1aCnt, f.pm1a)
	p32(b, fadtPM1bCnt, f.pm1b)
	p32(b, fadtPMTmr, f.pmtmr)
	b[fadtPM1CntLen], b[fadtPMTmrLen] = f.pm1len, f.tmrlen
	b[fadtCentury] = f.century
	p16(b, fadtBootArch, f.bootArch)
	p32(b, fadtFlags, f.flags)
	putGAS(b, fadtResetReg, f.reset)
	b[fadtResetValue] = f.resetVal
	p64(b, fadtXDSDT, f.xdsdt)
	putGAS(b, fadtXPM1aCnt, f.xpm1a)
	putGAS(b, fadtXPM1bCnt, f.xpm1b)
	putGAS(b, fadtXPMTmr, f.xtmr)
	p64(b, 268, f.hypervisorVendorTag)
	rev := uint8(6)
	if length < fadtFullLength {
		rev = 1
	}
	return sdt("FACP", rev, b[headerLength:length])
}

func hpetTable(space uint8, base uint64) []byte {
	body := make([]byte, 56-headerLength)
	p32(body, 0, 0x8086a201)
	putGAS(body, hpetBaseAddress-headerLength, GenericAddress{Space: space, BitWidth: 64, Address: base})
	body[52-headerLength] = 0
	p16(body, 53-headerLength, 0x80)
	return sdt("HPET", 1, body)
}

// amlPkg encodes PackageOp PkgLength NumElements elems (the elements already
// encoded), choosing a one- or two-byte PkgLength.
func amlPkg(count uint8, elems ...byte) []byte {
	content := append([]byte{count}, elems...)
	if n := len(content) + 1; n < 64 {
		return append([]byte{amlPackageOp, byte(n)}, content...)
	}
	n := len(content) + 2
	return append([]byte{amlPackageOp, 0x40 | byte(n&0xF), byte(n >> 4)}, content...)
}

// s5Name encodes Name(\_S5_, pkg).
func s5Name(pkg []byte) []byte { return append([]byte{0x08, '\\', '_', 'S', '5', '_'}, pkg...) }

// dsdtTable wraps AML in a DSDT with some unrelated AML around it.
func dsdtTable(aml ...[]byte) []byte {
	body := []byte{0x10, 0x05, '_', 'S', 'B', '_'} // Scope(\_SB) { }
	for _, a := range aml {
		body = append(body, a...)
	}
	body = append(body, 0x08, '_', 'S', '4', '_', 0x12, 0x06, 0x04, 0x00, 0x00, 0x00, 0x00) // Name(_S4, ...)
	return sdt("DSDT", 2, body)
}

// Addresses of the standard test machine.
const (
	atRSDP  = 0xE0010
	atXSDT  = 0x10000
	atRSDT  = 0x10800
	atMADT  = 0x11000
	atFADT  = 0x12000
	atHPET  = 0x13000
	atDSDT  = 0x14000
	atSSDT  = 0x15000
	atDSDT2 = 0x16000
)

// standardFADT is the FADT of the standard machine: X_ fields preferred.
func standardFADT() fadtFields {
	return fadtFields{
		dsdt: atDSDT2, xdsdt: atDSDT, sci: 9, smi: 0xB2, enable: 0xF1, disable: 0xF0,
		pm1a: 0x604, pm1b: 0x704, pmtmr: 0x608,
		xpm1a:  GenericAddress{Space: SpaceSystemIO, BitWidth: 16, Address: 0x1004},
		xpm1b:  GenericAddress{Space: SpaceSystemIO, BitWidth: 16, Address: 0x1104},
		xtmr:   GenericAddress{Space: SpaceSystemIO, BitWidth: 32, Address: 0x1008},
		pm1len: 2, tmrlen: 4, century: 0x32, bootArch: 0x3,
		flags: fadtFlagResetReg | fadtFlagTmrValExt,
		reset: GenericAddress{Space: SpaceSystemIO, BitWidth: 8, Address: 0xCF9}, resetVal: 6,
	}
}

// standardMachine is a 1 MiB ACPI 2.0+ machine: RSDP in the BIOS area, XSDT and
// RSDT, MADT, FADT, HPET, an SSDT, and a DSDT with \_S5 = {5, 7}.
func standardMachine() *machine {
	m := newMachine(0x100000)
	m.put(atRSDP, rsdpBytes(2, atRSDT, atXSDT))
	m.put(atXSDT, xsdtTable(atMADT, atFADT, atHPET, atSSDT))
	m.put(atRSDT, rsdtTable(atMADT, atFADT, atHPET, atSSDT))
	m.put(atMADT, madtTable(0xFEE00000, PCATCompat,
		eLAPIC(0, 0, 1),
		eLAPIC(1, 2, 1),
		eLAPIC(2, 4, 2), // disabled, online capable
		eLAPIC(3, 6, 0), // unusable
		eIOAPIC(8, 0xFEC00000, 0),
		eIOAPIC(9, 0xFEC01000, 24),
		eOverride(0, 0, 2, 0),
		eOverride(0, 9, 9, 0xF), // level, active low
		eLocalNMI(0xFF, 0x5, 1),
		eAPICOverride(0xFEE00000_0000), // made-up 64-bit address
		eX2APIC(300, 1, 40),
		eX2APICNMI(0, 40, 0),
		[]byte{0x7F, 4, 0xAA, 0xBB}, // unknown type: skipped
	))
	m.put(atFADT, fadtTable(standardFADT(), fadtFullLength))
	m.put(atHPET, hpetTable(SpaceSystemMemory, 0xFED00000))
	m.put(atSSDT, sdt("SSDT", 2, []byte{0x10, 0x05, '_', 'P', 'R', '_'}))
	m.put(atDSDT, dsdtTable(s5Name(amlPkg(4, amlBytePrefix, 5, amlBytePrefix, 7, amlZeroOp, amlZeroOp))))
	m.put(atDSDT2, dsdtTable(s5Name(amlPkg(4, amlOneOp, amlOneOp, amlZeroOp, amlZeroOp))))
	return m
}
