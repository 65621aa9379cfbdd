package amd64

import (
	"math/bits"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// Time: the TSC, calibrated against the PIT at boot, is the clock; the PIT at 100 Hz
// on IRQ 0 is the preemption tick. (LAPIC timer and HPET come later.)

const (
	pitHz      = 1193182
	tickHz     = 100
	picMaster  = 0x20
	picSlave   = 0xA0
	irqBase    = 32 // IRQ n arrives as vector irqBase+n
	vecTimer   = irqBase + 0
	vecCOM1    = irqBase + 4
	portPIT0   = 0x40
	portPIT2   = 0x42
	portPITCmd = 0x43
	portSysB   = 0x61 // keyboard controller port B: PIT channel 2 gate and output
)

var (
	tscHz    uint64 // TSC ticks per second
	tscBoot  uint64 // TSC at calibration: machine time 0
	tscMult  uint64 // ns = (ticks * tscMult) >> 32
	wallBoot int64  // wall-clock ns since 1970 at machine time 0 (set once the RTC is read)
)

// timeInit remaps the PICs (IRQs to vectors 32–47, all masked but the timer),
// calibrates the TSC over 10 ms of PIT channel 2, and starts the 100 Hz tick.
//
//go:nosplit
func timeInit() {
	// 8259A initialisation: ICW1 (edge, cascade, ICW4), ICW2 (vector base), ICW3
	// (cascade on IRQ 2), ICW4 (8086 mode).
	portio.Outb(picMaster, 0x11)
	portio.Outb(picSlave, 0x11)
	portio.Outb(picMaster+1, irqBase)
	portio.Outb(picSlave+1, irqBase+8)
	portio.Outb(picMaster+1, 4)
	portio.Outb(picSlave+1, 2)
	portio.Outb(picMaster+1, 1)
	portio.Outb(picSlave+1, 1)
	portio.Outb(picMaster+1, picMask[0]) // only IRQ 0 for now
	portio.Outb(picSlave+1, picMask[1])

	// Calibrate: channel 2, mode 0, count for 10 ms; the gate starts it and OUT2
	// (port 0x61 bit 5) rises when it reaches zero.
	const count = pitHz / 100
	portio.Outb(portSysB, portio.Inb(portSysB)&^0x02|0x01)
	portio.Outb(portPITCmd, 0xB0)
	portio.Outb(portPIT2, count&0xFF)
	portio.Outb(portPIT2, count>>8)
	haveLAPIC := lapicMap()
	b := portio.Inb(portSysB)
	portio.Outb(portSysB, b&^0x01) // restart the count with a gate edge
	portio.Outb(portSysB, b|0x01)
	if haveLAPIC {
		lapicWrite(lapicInitCnt, 0xFFFFFFFF)
	}
	start := rdtsc()
	for i := 0; i < 1<<28 && portio.Inb(portSysB)&0x20 == 0; i++ {
	}
	end := rdtsc()
	if haveLAPIC {
		lapicPer10ms = 0xFFFFFFFF - lapicRead(lapicCurCnt)
		lapicWrite(lapicInitCnt, 0)
	}
	tscHz = (end - start) * 100
	if tscHz < 1_000_000 {
		tscHz = 1_000_000_000 // a broken PIT: assume 1 GHz rather than divide by ~0
	}
	tscBoot = end
	hi, lo := bits.Mul64(1_000_000_000, 1<<32)
	tscMult, _ = bits.Div64(hi, lo, tscHz)

	// The tick: the LAPIC timer if it calibrated sensibly, else PIT channel 0 in mode
	// 2 (rate generator).
	kprint("skyscope: TSC ")
	kprintDec(tscHz / 1_000_000)
	if haveLAPIC && lapicPer10ms >= 1000 {
		lapicStart()
		kprint(" MHz, LAPIC timer ")
		kprintDec(uint64(lapicPer10ms) * 100 * 16 / 1_000_000)
		kprint(" MHz\n")
	} else {
		const div = pitHz / tickHz
		portio.Outb(portPITCmd, 0x34)
		portio.Outb(portPIT0, div&0xFF)
		portio.Outb(portPIT0, div>>8)
		kprint(" MHz, PIT tick\n")
	}
	portio.Outb(picMaster+1, picMask[0])
}

// nanotime returns machine time: ns since the TSC calibration.
//
//go:nosplit
func nanotime() int64 {
	hi, lo := bits.Mul64(rdtsc()-tscBoot, tscMult)
	return int64(hi<<32 | lo>>32)
}

// picEOI acknowledges interrupt vector v at the PICs.
//
//go:nosplit
func picEOI(v uint64) {
	if v >= irqBase+8 {
		portio.Outb(picSlave, 0x20)
	}
	portio.Outb(picMaster, 0x20)
}
