package amd64

// The local APIC timer (SDM 3A §10.5.4) drives preemption when the CPU has an APIC:
// calibrated against PIT channel 2 together with the TSC, run periodic at tickHz on
// vecLAPICTimer, with the PIT's IRQ 0 masked. Without an APIC the PIT stays the tick.
// The registers are reached through an uncached mapping (SDM 3A §10.4.1 asks for UC).

const (
	msrAPICBase   = 0x1B
	lapicVA       = 0xffff9fff_fffff000 // one page below the runtime's mappings
	vecLAPICTimer = 48
	vecSpurious   = 0xFF

	lapicEOI     = 0xB0
	lapicSVR     = 0xF0
	lapicLVTTmr  = 0x320
	lapicInitCnt = 0x380
	lapicCurCnt  = 0x390
	lapicDivide  = 0x3E0
	lvtMasked    = 1 << 16
	lvtPeriodic  = 1 << 17
	pteNoCache   = 1<<3 | 1<<4 // PWT | PCD: uncached
)

var (
	lapicOn      bool   // the LAPIC timer is the tick
	lapicPer10ms uint32 // timer counts (divide by 16) in 10 ms
)

//go:nosplit
func lapicRead(reg uintptr) uint32 { return *(*uint32)(ptrAt(lapicVA + reg)) }

//go:nosplit
func lapicWrite(reg uintptr, v uint32) { *(*uint32)(ptrAt(lapicVA + reg)) = v }

// lapicMap maps the local APIC's page and software-enables it, reporting false when
// the CPU has none.
//
//go:nosplit
func lapicMap() bool {
	_, _, _, edx := cpuid(1, 0)
	if edx&(1<<9) == 0 {
		return false
	}
	base := rdmsr(msrAPICBase) & pteAddrMask
	e := pteFor(lapicVA, true)
	if e == nil {
		return false
	}
	*e = base | ptePresent | pteWrite | pteNX | pteNoCache
	invlpg(lapicVA)
	lapicWrite(lapicSVR, 0x100|vecSpurious)
	lapicWrite(lapicDivide, 0x3) // divide by 16
	lapicWrite(lapicLVTTmr, lvtMasked)
	return true
}

// lapicStart runs the timer periodically at tickHz and masks the PIT's IRQ 0.
//
//go:nosplit
func lapicStart() {
	lapicWrite(lapicLVTTmr, vecLAPICTimer|lvtPeriodic)
	lapicWrite(lapicInitCnt, lapicPer10ms*100/tickHz)
	picMask[0] |= 1 // IRQ 0 off: the LAPIC is the tick now
	lapicOn = true
}

//go:nosplit
func lapicEOIWrite() { lapicWrite(lapicEOI, 0) }
