// Package acpi finds and decodes the ACPI tables the kernel needs before it has an
// AML interpreter: where the processors, local APICs and I/O APICs are and how ISA
// interrupts are routed (MADT), the fixed power-management hardware (FADT), the HPET,
// and the \_S5 sleep type needed to switch the machine off.
//
// References are to the ACPI Specification 6.5 (the layouts used here are unchanged
// throughout 6.x):
//
//   - §5.2.5 Root System Description Pointer: finding the RSDP on IA-PC systems
//     (§5.2.5.1: the first KiB of the EBDA and 0xE0000–0xFFFFF, on 16-byte
//     boundaries), its structure and its two checksums (§5.2.5.3);
//   - §5.2.6 System Description Table Header (length, checksum over the whole
//     table);
//   - §5.2.7 RSDT and §5.2.8 XSDT;
//   - §5.2.3.2 Generic Address Structure;
//   - §5.2.9 Fixed ACPI Description Table (FADT), its Table 5.9 field offsets and
//     the RESET_REG_SUP flag (§5.2.9.3 and §4.8.3.6 reset register);
//   - §5.2.12 Multiple APIC Description Table (MADT): Processor Local APIC
//     (§5.2.12.2), I/O APIC (§5.2.12.3), Interrupt Source Override (§5.2.12.5),
//     Local APIC NMI (§5.2.12.7), Local APIC Address Override (§5.2.12.8), Processor
//     Local x2APIC (§5.2.12.12) and Local x2APIC NMI (§5.2.12.13);
//   - §7.4.2 \_Sx (System States) for the \_S5 package, §20.2 AML grammar for how
//     it is encoded (PackageOp, PkgLength, ByteConst and friends, ZeroOp, OneOp,
//     OnesOp), and §4.8.3.2.1 / §16.1 for PM1 control SLP_TYP and SLP_EN;
//   - the IA-PC HPET Specification 1.0a, §3.2.4 "The ACPI 2.0 HPET Description
//     Table".
//
// The tables are untrusted input. Nothing here panics or loops without bound on any
// input: every table is length-checked (36 ≤ length ≤ MaxTableLength, or
// MaxDSDTLength for the DSDT) and checksummed before it is decoded, the RSDT/XSDT walk
// visits at most MaxTables distinct addresses and reads at most ReadBudget bytes in
// all, tables are never followed recursively, and every sub-structure length is
// checked against its table. A malformed table other than the RSDT/XSDT is skipped
// and noted in Tables.Warnings rather than failing the whole load.
//
// \_S5 is found without interpreting AML, by the same heuristic most small kernels
// use: the bytes "_S5_" followed by a PackageOp whose first elements are integer
// constants. A DSDT that computes \_S5 in a method defeats it; Tables.S5 is then nil
// and PowerOff reports ErrNoS5.
package acpi

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/hal/amd64/multiboot"
)

// Memory is the physical-memory accessor shared with package multiboot.
type Memory = multiboot.Memory

// Limits on what Load reads.
const (
	// MaxTableLength is the largest table (other than the DSDT) Load accepts.
	MaxTableLength = 1 << 20
	// MaxDSDTLength is the largest DSDT Load accepts.
	MaxDSDTLength = 4 << 20
	// MaxTables is the most RSDT/XSDT entries Load examines.
	MaxTables = 256
	// ReadBudget bounds the total bytes of tables one Load reads.
	ReadBudget = 16 << 20
)

// Errors, possibly wrapped with detail.
var (
	// ErrNoRSDP means no valid RSDP was found.
	ErrNoRSDP = errors.New("acpi: no valid RSDP")
	// ErrChecksum means a structure's bytes do not sum to zero.
	ErrChecksum = errors.New("acpi: bad checksum")
	// ErrMalformed means a structure is truncated, too long, or otherwise
	// inconsistent.
	ErrMalformed = errors.New("acpi: malformed table")
	// ErrNoFADT means the operation needs the FADT and none was loaded.
	ErrNoFADT = errors.New("acpi: no FADT")
	// ErrNoS5 means no \_S5 sleep type was found in the DSDT.
	ErrNoS5 = errors.New("acpi: no \\_S5 sleep type")
	// ErrUnsupported means the hardware interface needed is not one this package
	// can drive through I/O ports (e.g. a memory-mapped PM1 block or reset register).
	ErrUnsupported = errors.New("acpi: unsupported register")
)

// Address space identifiers of a Generic Address Structure (§5.2.3.2).
const (
	SpaceSystemMemory = 0
	SpaceSystemIO     = 1
	SpacePCIConfig    = 2
)

// GenericAddress is a Generic Address Structure (§5.2.3.2): a register's address
// space, width and position, and address.
type GenericAddress struct {
	Space      uint8  // address space: SpaceSystemMemory, SpaceSystemIO, ...
	BitWidth   uint8  // register width in bits
	BitOffset  uint8  // register offset in bits
	AccessSize uint8  // 0 undefined, 1 byte, 2 word, 3 dword, 4 qword
	Address    uint64 // register address in Space
}

// IOPort returns the register's I/O port if it is a non-zero System I/O address that
// fits in 16 bits.
func (g GenericAddress) IOPort() (uint16, bool) {
	if g.Space != SpaceSystemIO || g.Address == 0 || g.Address > 0xFFFF {
		return 0, false
	}
	return uint16(g.Address), true
}

// Tables is what Load decoded. Pointers are nil for tables that were absent or
// malformed.
type Tables struct {
	// Revision is the RSDP revision (0 for ACPI 1.0, 2 for 2.0 and later).
	Revision uint8
	// OEMID is the RSDP's OEM ID with trailing spaces and NULs removed.
	OEMID string
	// Signatures lists the four-byte signatures of the valid tables found through
	// the RSDT/XSDT, in table order, plus "DSDT" if the DSDT loaded.
	Signatures []string
	// MADT is the first valid "APIC" table.
	MADT *MADT
	// FADT is the first valid "FACP" table.
	FADT *FADT
	// HPETBase is the physical MMIO base of the first HPET's event timer block, or 0.
	HPETBase uint64
	// S5 is the \_S5 sleep type from the DSDT, or nil if it was not found.
	S5 *SleepType
	// Warnings lists tables skipped or structures ignored, and why. It holds at most
	// 65 entries.
	Warnings []string
}

// SleepType holds the SLP_TYPa and SLP_TYPb values of a sleep state package
// (§7.4.2), as found in AML (only the low three bits are written to hardware).
type SleepType struct {
	A uint8 // SLP_TYPa, for PM1a_CNT
	B uint8 // SLP_TYPb, for PM1b_CNT
}

const maxWarnings = 64

func (t *Tables) warn(format string, args ...any) {
	switch {
	case len(t.Warnings) < maxWarnings:
		t.Warnings = append(t.Warnings, fmt.Sprintf(format, args...))
	case len(t.Warnings) == maxWarnings:
		t.Warnings = append(t.Warnings, "further warnings suppressed")
	}
}

// HasSignature reports whether a valid table with signature sig was loaded.
func (t *Tables) HasSignature(sig string) bool {
	for _, s := range t.Signatures {
		if s == sig {
			return true
		}
	}
	return false
}
