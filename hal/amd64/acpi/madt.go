package acpi

import "fmt"

// MADT is the decoded Multiple APIC Description Table (§5.2.12). Entries appear in
// table order. Entries of types this package does not decode are skipped, as are
// entries shorter than their type requires (with a warning).
type MADT struct {
	// LocalAPICAddress is the physical address of the local APICs: the 32-bit header
	// field, or the Local APIC Address Override (type 5) if present.
	LocalAPICAddress uint64
	// Flags is the MADT flags word; bit 0 (PCAT_COMPAT) means dual 8259s are present
	// and must be masked before using the I/O APICs.
	Flags uint32
	// Processors are the Processor Local APIC (type 0) and Processor Local x2APIC
	// (type 9) entries.
	Processors []Processor
	// IOAPICs are the I/O APIC (type 1) entries.
	IOAPICs []IOAPIC
	// Overrides are the Interrupt Source Override (type 2) entries.
	Overrides []InterruptOverride
	// LocalNMIs are the Local APIC NMI (type 4) and Local x2APIC NMI (type 0xA)
	// entries.
	LocalNMIs []LocalNMI
}

// PCATCompat is the MADT flag meaning the system also has dual 8259 PICs.
const PCATCompat = 1 << 0

// Processor is one logical processor's local APIC.
type Processor struct {
	// ACPIID is the ACPI processor UID (8 bits from type 0, 32 from type 9).
	ACPIID uint32
	// APICID is the local APIC ID (8 bits from type 0) or x2APIC ID (type 9).
	APICID uint32
	// Enabled means the processor is usable now (flag bit 0).
	Enabled bool
	// OnlineCapable means a disabled processor may be enabled at run time (bit 1).
	OnlineCapable bool
	// X2APIC reports that the entry was a Processor Local x2APIC structure.
	X2APIC bool
}

// IOAPIC is one I/O APIC: its ID, MMIO base address, and the first global system
// interrupt its inputs serve.
type IOAPIC struct {
	ID      uint8  // I/O APIC ID
	Address uint32 // physical MMIO base of its registers
	GSIBase uint32 // global system interrupt of its input 0
}

// InterruptOverride says that ISA (bus 0) interrupt SourceIRQ is wired to global
// system interrupt GSI with the polarity and trigger mode in Flags (MPS INTI flags).
type InterruptOverride struct {
	Bus       uint8  // always 0 (ISA)
	SourceIRQ uint8  // the ISA IRQ
	GSI       uint32 // the global system interrupt it arrives on
	Flags     uint16 // MPS INTI flags: bits 1:0 polarity, 3:2 trigger mode
}

// ActiveLow reports whether the interrupt is active-low. Polarity bits 00 ("conforms
// to the bus") mean active-high for ISA.
func (o InterruptOverride) ActiveLow() bool { return o.Flags&3 == 3 }

// LevelTriggered reports whether the interrupt is level-triggered. Trigger bits 00
// ("conforms to the bus") mean edge-triggered for ISA.
func (o InterruptOverride) LevelTriggered() bool { return (o.Flags>>2)&3 == 3 }

// LocalNMI says which local APIC LINT input of which processor(s) is wired to NMI.
type LocalNMI struct {
	// ProcessorUID is the ACPI processor UID, or AllProcessors.
	ProcessorUID uint32
	Flags        uint16 // MPS INTI flags, as for InterruptOverride
	LINT         uint8  // local APIC interrupt input: 0 for LINT0, 1 for LINT1
}

// AllProcessors is the LocalNMI.ProcessorUID meaning every processor (0xFF in a
// type 4 entry, 0xFFFFFFFF in a type 0xA entry).
const AllProcessors = 0xFFFFFFFF

// MADT layout.
const (
	madtLocalAPIC = 36
	madtFlags     = 40
	madtEntries   = 44
)

// MADT interrupt controller structure types and the lengths this package needs.
const (
	madtProcessor      = 0
	madtIOAPIC         = 1
	madtOverride       = 2
	madtLocalNMI       = 4
	madtAPICOverride   = 5
	madtX2APIC         = 9
	madtX2APICNMI      = 0xA
	lenProcessor       = 8
	lenIOAPIC          = 12
	lenOverride        = 10
	lenLocalNMI        = 6
	lenAPICOverride    = 12
	lenX2APIC          = 16
	lenX2APICNMI       = 12
	localAPICEnabled   = 1 << 0
	localAPICOnlineCap = 1 << 1
)

// madtEntryLength is the shortest entry of type typ this package decodes (0 for
// types it ignores).
func madtEntryLength(typ uint8) int {
	switch typ {
	case madtProcessor:
		return lenProcessor
	case madtIOAPIC:
		return lenIOAPIC
	case madtOverride:
		return lenOverride
	case madtLocalNMI:
		return lenLocalNMI
	case madtAPICOverride:
		return lenAPICOverride
	case madtX2APIC:
		return lenX2APIC
	case madtX2APICNMI:
		return lenX2APICNMI
	}
	return 0
}

// parseMADT decodes a validated "APIC" table. Structural problems in the entry list
// end the walk with a warning on t; they do not discard what was decoded.
func parseMADT(b []byte, t *Tables) (*MADT, error) {
	if len(b) < madtEntries {
		return nil, fmt.Errorf("%w: MADT is %d bytes", ErrMalformed, len(b))
	}
	m := &MADT{LocalAPICAddress: uint64(le.Uint32(b[madtLocalAPIC:])), Flags: le.Uint32(b[madtFlags:])}
	haveOverride := false
	for off := madtEntries; off < len(b); {
		if len(b)-off < 2 {
			t.warn("MADT: %d stray byte(s) at the end", len(b)-off)
			break
		}
		typ, n := b[off], int(b[off+1])
		if n < 2 || n > len(b)-off {
			t.warn("MADT: entry type %d at offset %d has length %d (%d bytes left); ignoring the rest", typ, off, n, len(b)-off)
			break
		}
		e := b[off : off+n]
		off += n
		if need := madtEntryLength(typ); n < need {
			t.warn("MADT: entry type %d at offset %d is %d bytes, need %d; skipped", typ, off-n, n, madtEntryLength(typ))
			continue
		}
		switch typ {
		case madtProcessor:
			flags := le.Uint32(e[4:])
			m.Processors = append(m.Processors, Processor{ACPIID: uint32(e[2]), APICID: uint32(e[3]),
				Enabled: flags&localAPICEnabled != 0, OnlineCapable: flags&localAPICOnlineCap != 0})
		case madtX2APIC:
			flags := le.Uint32(e[8:])
			m.Processors = append(m.Processors, Processor{ACPIID: le.Uint32(e[12:]), APICID: le.Uint32(e[4:]),
				Enabled: flags&localAPICEnabled != 0, OnlineCapable: flags&localAPICOnlineCap != 0, X2APIC: true})
		case madtIOAPIC:
			m.IOAPICs = append(m.IOAPICs, IOAPIC{ID: e[2], Address: le.Uint32(e[4:]), GSIBase: le.Uint32(e[8:])})
		case madtOverride:
			m.Overrides = append(m.Overrides, InterruptOverride{Bus: e[2], SourceIRQ: e[3], GSI: le.Uint32(e[4:]), Flags: le.Uint16(e[8:])})
		case madtLocalNMI:
			uid := uint32(e[2])
			if uid == 0xFF {
				uid = AllProcessors
			}
			m.LocalNMIs = append(m.LocalNMIs, LocalNMI{ProcessorUID: uid, Flags: le.Uint16(e[3:]), LINT: e[5]})
		case madtX2APICNMI:
			m.LocalNMIs = append(m.LocalNMIs, LocalNMI{ProcessorUID: le.Uint32(e[4:]), Flags: le.Uint16(e[2:]), LINT: e[8]})
		case madtAPICOverride:
			if haveOverride {
				t.warn("MADT: ignoring a second Local APIC Address Override")
				continue
			}
			haveOverride = true
			m.LocalAPICAddress = le.Uint64(e[4:])
		}
	}
	return m, nil
}
