package acpi

import "fmt"

// FADT is the decoded Fixed ACPI Description Table (§5.2.9). Fields beyond the end of
// a short (older-revision) table are zero.
type FADT struct {
	// Revision is the FADT header's revision.
	Revision uint8
	// Flags is the fixed feature flags word (§5.2.9, Table 5.10).
	Flags uint32
	// BootArch is IAPC_BOOT_ARCH (bit 0 legacy devices, bit 1 8042, bit 2 no VGA,
	// bit 3 no MSI, bit 4 no ASPM, bit 5 no CMOS RTC).
	BootArch uint16
	// SCIInterrupt is the interrupt the SCI is wired to (an ISA IRQ on 8259 systems,
	// a GSI otherwise).
	SCIInterrupt uint16
	// SMICommand is the SMI command port (0: the system has no legacy mode, ACPI is
	// always on); ACPIEnable and ACPIDisable are written there to switch modes.
	SMICommand  uint32
	ACPIEnable  uint8 // value to write to SMICommand to enter ACPI mode
	ACPIDisable uint8 // value to write to SMICommand to leave ACPI mode

	// PM1aControlBlock and PM1bControlBlock are the 32-bit PM1x_CNT_BLK fields,
	// and XPM1aControl and XPM1bControl the X_PM1x_CNT_BLK fields (zero if the table
	// is too short to hold them).
	PM1aControlBlock, PM1bControlBlock uint32
	XPM1aControl                       GenericAddress // X_PM1a_CNT_BLK
	XPM1bControl                       GenericAddress // X_PM1b_CNT_BLK
	// PM1aControl and PM1bControl are the I/O ports to use for the PM1 control
	// registers, 0 if absent: the X_ field when it is a non-zero System I/O address
	// that fits in 16 bits, else the 32-bit field when it is non-zero and fits.
	PM1aControl, PM1bControl uint16
	// PM1ControlLength is PM1_CNT_LEN, the register width in bytes (2 expected).
	PM1ControlLength uint8

	// PMTimer is the I/O port of the ACPI power-management timer, chosen like
	// PM1aControl, or 0; PMTimerLength is PM_TMR_LEN (4).
	PMTimer       uint16
	PMTimerLength uint8 // PM_TMR_LEN
	// PMTimer32Bit reports the TMR_VAL_EXT flag: the timer counts 32 bits, not 24.
	PMTimer32Bit bool

	// HasReset reports that the reset register is supported (RESET_REG_SUP set and
	// the table long enough to hold it); ResetRegister and ResetValue are valid only
	// then.
	HasReset      bool
	ResetRegister GenericAddress // RESET_REG
	ResetValue    uint8          // RESET_VALUE

	// Century is the CMOS RTC index of the century register, or 0 if there is none.
	Century uint8

	// DSDT32 is the 32-bit DSDT field, XDSDT the 64-bit X_DSDT field (0 if absent).
	DSDT32 uint32
	XDSDT  uint64 // X_DSDT
	// DSDT is the DSDT address to use: XDSDT if non-zero, else DSDT32.
	DSDT uint64
}

// Fixed ACPI description table offsets (§5.2.9, Table 5.9) and flags.
const (
	fadtDSDT          = 40
	fadtSCIInt        = 46
	fadtSMICmd        = 48
	fadtACPIEnable    = 52
	fadtACPIDisable   = 53
	fadtPM1aCnt       = 64
	fadtPM1bCnt       = 68
	fadtPMTmr         = 76
	fadtPM1CntLen     = 89
	fadtPMTmrLen      = 91
	fadtCentury       = 108
	fadtBootArch      = 109
	fadtFlags         = 112
	fadtResetReg      = 116
	fadtResetValue    = 128
	fadtXDSDT         = 140
	fadtXPM1aCnt      = 172
	fadtXPM1bCnt      = 184
	fadtXPMTmr        = 208
	fadtMinLength     = fadtDSDT + 4
	fadtFlagTmrValExt = 1 << 8
	fadtFlagResetReg  = 1 << 10
	gasLength         = 12
)

// parseFADT decodes a validated "FACP" table, reading each field only if the table
// is long enough to contain it.
func parseFADT(b []byte) (*FADT, error) {
	if len(b) < fadtMinLength {
		return nil, fmt.Errorf("%w: FADT is %d bytes", ErrMalformed, len(b))
	}
	has := func(off, size int) bool { return off+size <= len(b) }
	u8 := func(off int) uint8 {
		if has(off, 1) {
			return b[off]
		}
		return 0
	}
	u16 := func(off int) uint16 {
		if has(off, 2) {
			return le.Uint16(b[off:])
		}
		return 0
	}
	u32 := func(off int) uint32 {
		if has(off, 4) {
			return le.Uint32(b[off:])
		}
		return 0
	}
	u64 := func(off int) uint64 {
		if has(off, 8) {
			return le.Uint64(b[off:])
		}
		return 0
	}
	gas := func(off int) GenericAddress {
		if has(off, gasLength) {
			return parseGAS(b[off:])
		}
		return GenericAddress{}
	}
	f := &FADT{
		Revision:         b[headerRevision],
		Flags:            u32(fadtFlags),
		BootArch:         u16(fadtBootArch),
		SCIInterrupt:     u16(fadtSCIInt),
		SMICommand:       u32(fadtSMICmd),
		ACPIEnable:       u8(fadtACPIEnable),
		ACPIDisable:      u8(fadtACPIDisable),
		PM1aControlBlock: u32(fadtPM1aCnt),
		PM1bControlBlock: u32(fadtPM1bCnt),
		XPM1aControl:     gas(fadtXPM1aCnt),
		XPM1bControl:     gas(fadtXPM1bCnt),
		PM1ControlLength: u8(fadtPM1CntLen),
		PMTimerLength:    u8(fadtPMTmrLen),
		Century:          u8(fadtCentury),
		DSDT32:           u32(fadtDSDT),
		XDSDT:            u64(fadtXDSDT),
	}
	f.PM1aControl = choosePort(f.XPM1aControl, f.PM1aControlBlock)
	f.PM1bControl = choosePort(f.XPM1bControl, f.PM1bControlBlock)
	f.PMTimer = choosePort(gas(fadtXPMTmr), u32(fadtPMTmr))
	f.PMTimer32Bit = f.Flags&fadtFlagTmrValExt != 0
	if f.Flags&fadtFlagResetReg != 0 && has(fadtResetValue, 1) {
		f.HasReset = true
		f.ResetRegister = gas(fadtResetReg)
		f.ResetValue = b[fadtResetValue]
	}
	f.DSDT = f.XDSDT
	if f.DSDT == 0 {
		f.DSDT = uint64(f.DSDT32)
	}
	return f, nil
}

// choosePort prefers the extended (X_) register when it is a usable I/O port and
// otherwise falls back to the legacy 32-bit block address, which is an I/O port by
// definition.
func choosePort(x GenericAddress, legacy uint32) uint16 {
	if p, ok := x.IOPort(); ok {
		return p
	}
	if legacy != 0 && legacy <= 0xFFFF {
		return uint16(legacy)
	}
	return 0
}
