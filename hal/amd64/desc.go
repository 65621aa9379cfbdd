package amd64

import "unsafe"

// Segment selectors. The layout is the one BAREMETAL.md measured to work with
// SYSCALL/SYSRET's fixed selector arithmetic (STAR = 0x001B0008_00000000).
const (
	selKernelCode = 0x08
	selKernelData = 0x10
	selUserCode32 = 0x18
	selUserData   = 0x20
	selUserCode   = 0x28
	selTSS        = 0x30
)

// gdt: null, kernel code/data, user code32/data/code64, then the 16-byte TSS
// descriptor (SDM 3A §3.4.5, §7.2.3).
var gdt = [8]uint64{
	0,
	0x00AF9A000000FFFF, // 0x08: code, 64-bit (L), DPL 0
	0x00CF92000000FFFF, // 0x10: data, DPL 0
	0x00CFFA000000FFFF, // 0x18: code, 32-bit, DPL 3
	0x00CFF2000000FFFF, // 0x20: data, DPL 3
	0x00AFFA000000FFFF, // 0x28: code, 64-bit, DPL 3
	0, 0,               // 0x30: TSS, filled at boot
}

// tss is the 64-bit task-state segment (SDM 3A §7.7): RSP0 at byte 4, IST1–7 at 36,
// I/O map base at 102. It is 104 bytes, kept as 32-bit words because its 64-bit
// fields are misaligned.
var tss [26]uint32

// idt holds 256 16-byte interrupt gates (SDM 3A §6.14.1).
var idt [512]uint64

// pseudo-descriptors for LGDT/LIDT: 2-byte limit then 8-byte base, padded.
var gdtr, idtr [2]uint64

//go:nosplit
func setTSS64(off int, v uint64) {
	tss[off/4] = uint32(v)
	tss[off/4+1] = uint32(v >> 32)
}

// setupDescriptors loads the GDT (with the TSS), the TSS and the IDT. Every vector
// is an interrupt gate (interrupts off on entry) on IST1, except the double fault and
// NMI on IST2 so that a broken IST1 still gets reported.
//
//go:nosplit
func setupDescriptors() {
	setTSS64(36, uint64(uintptr(unsafe.Pointer(&istStack[len(istStack)-16]))))       // IST1
	setTSS64(44, uint64(uintptr(unsafe.Pointer(&dfStack[len(dfStack)-16]))))         // IST2
	setTSS64(4, uint64(uintptr(unsafe.Pointer(&trapStack[len(trapStack)-16])))&^0xf) // RSP0 (ring-3 tasks, later)
	tss[25] = 104 << 16                                                              // no I/O bitmap

	base := uint64(uintptr(unsafe.Pointer(&tss)))
	const limit = 104 - 1
	gdt[6] = limit | (base&0xFFFFFF)<<16 | 0x89<<40 | (base>>24&0xFF)<<56
	gdt[7] = base >> 32
	gdtr[0] = uint64(len(gdt)*8-1) | uint64(uintptr(unsafe.Pointer(&gdt)))<<16
	gdtr[1] = uint64(uintptr(unsafe.Pointer(&gdt))) >> 48
	lgdt(&gdtr)
	ltr(selTSS)

	stubs := addrVectors()
	for v := 0; v < 256; v++ {
		h := stubs + uint64(v)*vectorStubSize
		ist := uint64(1)
		if v == 2 || v == 8 {
			ist = 2
		}
		idt[2*v] = h&0xFFFF | selKernelCode<<16 | ist<<32 | 0x8E<<40 | (h>>16&0xFFFF)<<48
		idt[2*v+1] = h >> 32
	}
	idtr[0] = uint64(len(idt)*8-1) | uint64(uintptr(unsafe.Pointer(&idt)))<<16
	idtr[1] = uint64(uintptr(unsafe.Pointer(&idt))) >> 48
	lidt(&idtr)
}

// Addresses of assembly entry points (entry_amd64.s), for the IDT and MSRs.
func addrVectors() uint64
func addrSyscallEntry() uint64
func addrIdleLoop() uint64
