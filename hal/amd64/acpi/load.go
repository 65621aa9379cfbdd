package acpi

import (
	"fmt"
	"math"

	"github.com/skyscope-os/skyscope/hal/amd64/multiboot"
)

// System description table header (§5.2.6).
const (
	headerLength   = 36
	headerLen      = 4 // offset of Length
	headerRevision = 8
)

// loader carries the state of one Load.
type loader struct {
	mem    Memory
	verify bool // check table checksums (always, except when fuzzing deep paths)
	budget int  // bytes of tables still allowed to be read
	seen   map[uint64]bool
	t      *Tables
}

// readTable reads and validates the table at phys: header readable, 36 ≤ length ≤
// maxLen, within the read budget, the whole table readable without wrapping the
// address space, the signature equal to want (if want is not empty), and the
// checksum zero. The returned slice has exactly the table's length.
func (l *loader) readTable(phys uint64, want string, maxLen int) ([]byte, error) {
	if phys == 0 {
		return nil, fmt.Errorf("%w: null table address", ErrMalformed)
	}
	hdr, err := multiboot.ReadExact(l.mem, phys, headerLength)
	if err != nil {
		return nil, fmt.Errorf("table header at %#x: %w", phys, err)
	}
	sig := string(hdr[:4])
	if want != "" && sig != want {
		return nil, fmt.Errorf("%w: table at %#x has signature %q, want %q", ErrMalformed, phys, sig, want)
	}
	length := le.Uint32(hdr[headerLen:])
	if length < headerLength || uint64(length) > uint64(maxLen) {
		return nil, fmt.Errorf("%w: %q at %#x has length %d outside [%d, %d]", ErrMalformed, sig, phys, length, headerLength, maxLen)
	}
	if uint64(length) > math.MaxUint64-phys {
		return nil, fmt.Errorf("%w: %q at %#x: length %d wraps the address space", ErrMalformed, sig, phys, length)
	}
	if int(length) > l.budget {
		return nil, fmt.Errorf("%w: %q at %#x: read budget of %d bytes exhausted", ErrMalformed, sig, phys, ReadBudget)
	}
	l.budget -= int(length)
	b, err := multiboot.ReadExact(l.mem, phys, int(length))
	if err != nil {
		return nil, fmt.Errorf("%w: %q at %#x (length %d) is not readable: %v", ErrMalformed, sig, phys, length, err)
	}
	// Decode from this second read only; check it again in case memory changed.
	if string(b[:4]) != sig || le.Uint32(b[headerLen:]) != length {
		return nil, fmt.Errorf("%w: table at %#x changed while being read", ErrMalformed, phys)
	}
	if l.verify && !checksumOK(b) {
		return nil, fmt.Errorf("%w: %q at %#x", ErrChecksum, sig, phys)
	}
	return b, nil
}

// Load reads the tables reachable from r: the XSDT if r.Revision ≥ 2 and
// r.XSDTAddress is non-zero (falling back to the RSDT if the XSDT is invalid), else
// the RSDT; then every table those list, and the DSDT the FADT names. It returns an
// error only if neither root table is valid. Other tables that are unreadable,
// truncated, too long, or fail their checksum are skipped with a warning. Each
// distinct table address is read once (an XSDT listing itself, or a table listed
// repeatedly, costs nothing more), at most MaxTables entries are examined and at
// most ReadBudget bytes read, so Load terminates quickly on any input and never
// panics.
func Load(mem Memory, r RSDP) (*Tables, error) {
	return load(mem, r, true)
}

func load(mem Memory, r RSDP, verify bool) (*Tables, error) {
	t := &Tables{Revision: r.Revision, OEMID: r.OEMID}
	l := &loader{mem: mem, verify: verify, budget: ReadBudget, seen: map[uint64]bool{}, t: t}

	var root []byte
	var rootAddr uint64
	entrySize := 4
	if r.Revision >= 2 && r.XSDTAddress != 0 {
		b, err := l.readTable(r.XSDTAddress, "XSDT", MaxTableLength)
		if err == nil {
			root, rootAddr, entrySize = b, r.XSDTAddress, 8
		} else if r.RSDTAddress == 0 {
			return nil, fmt.Errorf("acpi: XSDT: %w", err)
		} else {
			t.warn("XSDT unusable, falling back to the RSDT: %v", err)
		}
	}
	if root == nil {
		if r.RSDTAddress == 0 {
			return nil, fmt.Errorf("%w: RSDP names no RSDT", ErrMalformed)
		}
		b, err := l.readTable(uint64(r.RSDTAddress), "RSDT", MaxTableLength)
		if err != nil {
			return nil, fmt.Errorf("acpi: RSDT: %w", err)
		}
		root, rootAddr = b, uint64(r.RSDTAddress)
	}
	l.seen[rootAddr] = true

	entries := root[headerLength:]
	n := len(entries) / entrySize
	if len(entries)%entrySize != 0 {
		t.warn("root table has %d trailing bytes", len(entries)%entrySize)
	}
	if n > MaxTables {
		t.warn("root table lists %d tables; only the first %d are examined", n, MaxTables)
		n = MaxTables
	}
	for k := 0; k < n; k++ {
		var addr uint64
		if entrySize == 8 {
			addr = le.Uint64(entries[8*k:])
		} else {
			addr = uint64(le.Uint32(entries[4*k:]))
		}
		if addr == 0 {
			t.warn("root table entry %d is null", k)
			continue
		}
		if l.seen[addr] {
			t.warn("root table entry %d (%#x) repeats a table already read", k, addr)
			continue
		}
		l.seen[addr] = true
		b, err := l.readTable(addr, "", MaxTableLength)
		if err != nil {
			t.warn("skipping root table entry %d: %v", k, err)
			continue
		}
		l.add(b)
	}
	if t.FADT != nil {
		l.loadDSDT()
	}
	return t, nil
}

// add records a validated table and decodes the ones this package understands.
func (l *loader) add(b []byte) {
	t := l.t
	sig := string(b[:4])
	t.Signatures = append(t.Signatures, sig)
	switch sig {
	case "APIC":
		if t.MADT != nil {
			t.warn("ignoring a second MADT")
			return
		}
		m, err := parseMADT(b, t)
		if err != nil {
			t.warn("MADT: %v", err)
			return
		}
		t.MADT = m
	case "FACP":
		if t.FADT != nil {
			t.warn("ignoring a second FADT")
			return
		}
		f, err := parseFADT(b)
		if err != nil {
			t.warn("FADT: %v", err)
			return
		}
		t.FADT = f
	case "HPET":
		if t.HPETBase != 0 {
			return // a second HPET block; the first is enough for a timer
		}
		base, err := parseHPET(b)
		if err != nil {
			t.warn("HPET: %v", err)
			return
		}
		t.HPETBase = base
	}
}

// loadDSDT reads the DSDT the FADT names (X_DSDT first, then the 32-bit DSDT field if
// it differs and X_DSDT failed) and looks for \_S5 in it.
func (l *loader) loadDSDT() {
	f := l.t.FADT
	cands := []uint64{f.XDSDT}
	if uint64(f.DSDT32) != f.XDSDT {
		cands = append(cands, uint64(f.DSDT32))
	}
	for _, addr := range cands {
		if addr == 0 {
			continue
		}
		if l.seen[addr] {
			l.t.warn("DSDT address %#x was already read as another table", addr)
			continue
		}
		l.seen[addr] = true
		b, err := l.readTable(addr, "DSDT", MaxDSDTLength)
		if err != nil {
			l.t.warn("DSDT: %v", err)
			continue
		}
		l.t.Signatures = append(l.t.Signatures, "DSDT")
		if st, ok := findS5(b[headerLength:]); ok {
			l.t.S5 = &st
		} else {
			l.t.warn("no \\_S5 package found in the DSDT")
		}
		return
	}
}

// HPET description table (IA-PC HPET specification §3.2.4).
const (
	hpetBaseAddress = 40 // Generic Address Structure
	hpetMinLength   = hpetBaseAddress + 12
)

func parseHPET(b []byte) (uint64, error) {
	if len(b) < hpetMinLength {
		return 0, fmt.Errorf("%w: HPET table is %d bytes", ErrMalformed, len(b))
	}
	g := parseGAS(b[hpetBaseAddress:])
	if g.Space != SpaceSystemMemory || g.Address == 0 {
		return 0, fmt.Errorf("%w: HPET base %+v is not a system memory address", ErrMalformed, g)
	}
	return g.Address, nil
}

func parseGAS(b []byte) GenericAddress {
	return GenericAddress{Space: b[0], BitWidth: b[1], BitOffset: b[2], AccessSize: b[3], Address: le.Uint64(b[4:])}
}
