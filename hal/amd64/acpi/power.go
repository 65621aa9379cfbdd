package acpi

import (
	"fmt"

	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// PM1 control register bits (§4.8.3.2.1).
const (
	pm1SCIEnable  = 1 << 0
	pm1SleepShift = 10
	pm1SleepMask  = 7 << pm1SleepShift
	pm1SleepEn    = 1 << 13
)

// PowerOff enters the S5 soft-off state: for PM1a_CNT, and then PM1b_CNT if the FADT
// has one, it reads the 16-bit register, replaces the SLP_TYP field (bits 10–12) with
// the low three bits of SLP_TYPa (SLP_TYPb for PM1b), sets SLP_EN (bit 13), keeps the
// other bits, and writes it back. On real hardware the machine is off before
// PowerOff returns; if it does return (nil after issuing the writes), the caller
// should wait briefly and then fall back to another method. It returns an error
// without touching any port if there is no FADT (ErrNoFADT), no \_S5 (ErrNoS5), or no
// PM1a control port usable through I/O instructions (ErrUnsupported).
func (t *Tables) PowerOff(ports portio.Ports) error {
	if t == nil || t.FADT == nil {
		return ErrNoFADT
	}
	if t.S5 == nil {
		return ErrNoS5
	}
	f := t.FADT
	if f.PM1aControl == 0 {
		return fmt.Errorf("%w: no I/O-space PM1a control block", ErrUnsupported)
	}
	sleep := func(port uint16, typ uint8) {
		v := ports.In16(port)
		v &^= pm1SleepMask | pm1SleepEn
		v |= uint16(typ&7)<<pm1SleepShift | pm1SleepEn
		ports.Out16(port, v)
	}
	sleep(f.PM1aControl, t.S5.A)
	if f.PM1bControl != 0 {
		sleep(f.PM1bControl, t.S5.B)
	}
	return nil
}

// Reset resets the machine through the FADT reset register, writing ResetValue to it
// with an 8-bit OUT. It returns an error without touching any port if there is no
// FADT (ErrNoFADT), the FADT does not declare a reset register, or the register is
// not a usable I/O port (ErrUnsupported: memory- or PCI-configuration-space reset
// registers need other access). If Reset returns nil the write was issued; the
// caller should fall back (keyboard controller, triple fault) if the machine keeps
// running.
func (t *Tables) Reset(ports portio.Ports) error {
	if t == nil || t.FADT == nil {
		return ErrNoFADT
	}
	f := t.FADT
	if !f.HasReset {
		return fmt.Errorf("%w: FADT declares no reset register", ErrUnsupported)
	}
	port, ok := f.ResetRegister.IOPort()
	if !ok {
		return fmt.Errorf("%w: reset register %+v is not an I/O port", ErrUnsupported, f.ResetRegister)
	}
	ports.Out8(port, f.ResetValue)
	return nil
}

// EnableACPI switches the chipset from legacy to ACPI mode (§16.3.1) if it is not
// already there: when SCI_EN in PM1a_CNT is clear and the FADT names an SMI command
// port and an ACPI_ENABLE value, it writes that value to the port and polls SCI_EN
// up to polls times. It returns nil if SCI_EN is (or becomes) set, or if the system
// has no legacy mode (SMI_CMD or ACPI_ENABLE zero), and an error otherwise. It does
// not sleep between polls; callers on real hardware should pass a count that spans a
// few seconds of port reads (each takes about a microsecond).
func (t *Tables) EnableACPI(ports portio.Ports, polls int) error {
	if t == nil || t.FADT == nil {
		return ErrNoFADT
	}
	f := t.FADT
	if f.PM1aControl == 0 {
		return fmt.Errorf("%w: no I/O-space PM1a control block", ErrUnsupported)
	}
	if ports.In16(f.PM1aControl)&pm1SCIEnable != 0 || f.SMICommand == 0 || f.ACPIEnable == 0 {
		return nil
	}
	if f.SMICommand > 0xFFFF {
		return fmt.Errorf("%w: SMI command port %#x", ErrUnsupported, f.SMICommand)
	}
	ports.Out8(uint16(f.SMICommand), f.ACPIEnable)
	for k := 0; k < polls; k++ {
		if ports.In16(f.PM1aControl)&pm1SCIEnable != 0 {
			return nil
		}
	}
	return fmt.Errorf("acpi: SCI_EN still clear after writing ACPI_ENABLE to port %#x", f.SMICommand)
}
