package acpi

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal/amd64/multiboot"
	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

func mustFind(t *testing.T, mem Memory, boot []byte) RSDP {
	t.Helper()
	r, err := FindRSDP(mem, boot)
	if err != nil {
		t.Fatalf("FindRSDP: %v", err)
	}
	return r
}

func mustLoad(t *testing.T, mem Memory, r RSDP) *Tables {
	t.Helper()
	tb, err := Load(mem, r)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	checkTables(t, tb)
	return tb
}

// checkTables asserts the invariants Load promises for any result.
func checkTables(t testing.TB, tb *Tables) {
	t.Helper()
	if len(tb.Signatures) > MaxTables+1 {
		t.Fatalf("%d signatures", len(tb.Signatures))
	}
	for _, s := range tb.Signatures {
		if len(s) != 4 {
			t.Fatalf("signature %q", s)
		}
	}
	if len(tb.Warnings) > maxWarnings+1 {
		t.Fatalf("%d warnings", len(tb.Warnings))
	}
	if f := tb.FADT; f != nil {
		if f.DSDT != f.XDSDT && f.DSDT != uint64(f.DSDT32) {
			t.Fatalf("DSDT %#x is neither field", f.DSDT)
		}
		for _, c := range []struct {
			port   uint16
			x      GenericAddress
			legacy uint32
		}{{f.PM1aControl, f.XPM1aControl, f.PM1aControlBlock}, {f.PM1bControl, f.XPM1bControl, f.PM1bControlBlock}} {
			if c.port != 0 && uint64(c.port) != c.x.Address && uint32(c.port) != c.legacy {
				t.Fatalf("PM1 port %#x from nowhere", c.port)
			}
		}
		if !f.HasReset && (f.ResetRegister != GenericAddress{} || f.ResetValue != 0) {
			t.Fatalf("reset register without HasReset: %+v", f)
		}
	}
	if (tb.S5 != nil) && !tb.HasSignature("DSDT") {
		t.Fatal("S5 without a DSDT")
	}
}

func TestLoadStandardMachine(t *testing.T) {
	m := standardMachine()
	r := mustFind(t, m.mem(), nil)
	if want := (RSDP{Revision: 2, OEMID: "BOCHS", RSDTAddress: atRSDT, Length: 36, XSDTAddress: atXSDT, Phys: atRSDP}); r != want {
		t.Fatalf("RSDP = %+v, want %+v", r, want)
	}
	tb := mustLoad(t, m.mem(), r)
	if tb.Revision != 2 || tb.OEMID != "BOCHS" {
		t.Errorf("Revision %d OEMID %q", tb.Revision, tb.OEMID)
	}
	if want := []string{"APIC", "FACP", "HPET", "SSDT", "DSDT"}; !reflect.DeepEqual(tb.Signatures, want) {
		t.Errorf("Signatures = %q, want %q", tb.Signatures, want)
	}
	for _, s := range []string{"APIC", "DSDT", "SSDT"} {
		if !tb.HasSignature(s) {
			t.Errorf("HasSignature(%q) false", s)
		}
	}
	if tb.HasSignature("BGRT") {
		t.Error("HasSignature(BGRT) true")
	}
	wantMADT := &MADT{
		LocalAPICAddress: 0xFEE00000_0000,
		Flags:            PCATCompat,
		Processors: []Processor{
			{ACPIID: 0, APICID: 0, Enabled: true},
			{ACPIID: 1, APICID: 2, Enabled: true},
			{ACPIID: 2, APICID: 4, OnlineCapable: true},
			{ACPIID: 3, APICID: 6},
			{ACPIID: 40, APICID: 300, Enabled: true, X2APIC: true},
		},
		IOAPICs:   []IOAPIC{{8, 0xFEC00000, 0}, {9, 0xFEC01000, 24}},
		Overrides: []InterruptOverride{{0, 0, 2, 0}, {0, 9, 9, 0xF}},
		LocalNMIs: []LocalNMI{{AllProcessors, 5, 1}, {40, 0, 0}},
	}
	if !reflect.DeepEqual(tb.MADT, wantMADT) {
		t.Errorf("MADT = %+v\nwant   %+v", tb.MADT, wantMADT)
	}
	o := tb.MADT.Overrides
	if o[0].ActiveLow() || o[0].LevelTriggered() || !o[1].ActiveLow() || !o[1].LevelTriggered() {
		t.Errorf("override polarity/trigger decoding wrong: %+v", o)
	}
	sf := standardFADT()
	wantFADT := &FADT{
		Revision: 6, Flags: sf.flags, BootArch: 3, SCIInterrupt: 9, SMICommand: 0xB2, ACPIEnable: 0xF1, ACPIDisable: 0xF0,
		PM1aControlBlock: 0x604, PM1bControlBlock: 0x704, XPM1aControl: sf.xpm1a, XPM1bControl: sf.xpm1b,
		PM1aControl: 0x1004, PM1bControl: 0x1104, PM1ControlLength: 2,
		PMTimer: 0x1008, PMTimerLength: 4, PMTimer32Bit: true,
		HasReset: true, ResetRegister: sf.reset, ResetValue: 6,
		Century: 0x32, DSDT32: atDSDT2, XDSDT: atDSDT, DSDT: atDSDT,
	}
	if !reflect.DeepEqual(tb.FADT, wantFADT) {
		t.Errorf("FADT = %+v\nwant   %+v", tb.FADT, wantFADT)
	}
	if tb.HPETBase != 0xFED00000 {
		t.Errorf("HPETBase = %#x", tb.HPETBase)
	}
	if tb.S5 == nil || *tb.S5 != (SleepType{5, 7}) {
		t.Errorf("S5 = %+v", tb.S5)
	}
	if len(tb.Warnings) != 0 {
		t.Errorf("warnings: %q", tb.Warnings)
	}
}

func TestLoadACPI1(t *testing.T) {
	m := newMachine(0x100000)
	m.put(0xF0000, rsdpBytes(0, atRSDT, 0))
	m.put(atRSDT, rsdtTable(atFADT, atMADT))
	f := fadtFields{dsdt: atDSDT, sci: 9, smi: 0xB2, enable: 1, pm1a: 0x404, pm1len: 2, century: 0x32,
		flags: fadtFlagResetReg, reset: GenericAddress{Space: SpaceSystemIO, Address: 0xCF9}, resetVal: 6,
		xdsdt: 0xdead0000, xpm1a: GenericAddress{Space: SpaceSystemIO, Address: 0x999}}
	m.put(atFADT, fadtTable(f, 116)) // ACPI 1.0 length: no reset register, no X_ fields
	m.put(atMADT, madtTable(0xFEE00000, 0, eLAPIC(0, 0, 1)))
	m.put(atDSDT, dsdtTable(s5Name(amlPkg(2, amlZeroOp, amlOneOp))))
	r := mustFind(t, m.mem(), nil)
	if r.Revision != 0 || r.XSDTAddress != 0 || r.Length != 0 || r.Phys != 0xF0000 {
		t.Fatalf("RSDP = %+v", r)
	}
	tb := mustLoad(t, m.mem(), r)
	fd := tb.FADT
	if fd.HasReset || fd.XDSDT != 0 || fd.DSDT != atDSDT || fd.PM1aControl != 0x404 || fd.PM1bControl != 0 ||
		fd.Century != 0x32 || fd.Revision != 1 || (fd.XPM1aControl != GenericAddress{}) {
		t.Fatalf("FADT = %+v", fd)
	}
	if tb.MADT.LocalAPICAddress != 0xFEE00000 || len(tb.MADT.Processors) != 1 {
		t.Fatalf("MADT = %+v", tb.MADT)
	}
	if *tb.S5 != (SleepType{0, 1}) {
		t.Fatalf("S5 = %+v", tb.S5)
	}
	if err := tb.Reset(&portio.Fake{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Reset without reset register: %v", err)
	}
}

func TestFADTPortChoice(t *testing.T) {
	io := func(a uint64) GenericAddress { return GenericAddress{Space: SpaceSystemIO, Address: a} }
	cases := []struct {
		name   string
		x      GenericAddress
		legacy uint32
		want   uint16
	}{
		{"X_ I/O preferred", io(0x1004), 0x604, 0x1004},
		{"X_ zero", GenericAddress{}, 0x604, 0x604},
		{"X_ in memory space", GenericAddress{Space: SpaceSystemMemory, Address: 0xFE000000}, 0x604, 0x604},
		{"X_ above 16 bits", io(0x10000), 0x604, 0x604},
		{"legacy above 16 bits", GenericAddress{}, 0x10000, 0},
		{"neither", GenericAddress{}, 0, 0},
	}
	for _, c := range cases {
		f := fadtFields{pm1a: c.legacy, xpm1a: c.x, pm1b: c.legacy, xpm1b: c.x}
		got, err := parseFADT(fadtTable(f, fadtFullLength))
		if err != nil {
			t.Fatal(err)
		}
		if got.PM1aControl != c.want || got.PM1bControl != c.want {
			t.Errorf("%s: PM1a %#x PM1b %#x, want %#x", c.name, got.PM1aControl, got.PM1bControl, c.want)
		}
	}
	// Fields are read only as far as the table goes.
	f := standardFADT()
	for _, length := range []int{44, 50, 70, 100, 120, 129, 150, 180, 200, 240} {
		got, err := parseFADT(fadtTable(f, length))
		if err != nil {
			t.Fatalf("length %d: %v", length, err)
		}
		if got.DSDT32 != atDSDT2 {
			t.Errorf("length %d: DSDT32 %#x", length, got.DSDT32)
		}
		if (length >= 148) != (got.XDSDT == atDSDT) || (length >= 129) != got.HasReset ||
			(length >= 68) != (got.PM1aControl != 0) {
			t.Errorf("length %d: %+v", length, got)
		}
	}
	if _, err := parseFADT(fadtTable(f, 43)); !errors.Is(err, ErrMalformed) {
		t.Errorf("43-byte FADT: %v", err)
	}
}

func TestFindRSDPFromBootInfo(t *testing.T) {
	empty := newMachine(0x100000).mem()
	v2 := rsdpBytes(2, 0x1000, 0x2000)
	r := mustFind(t, empty, v2)
	if !r.FromBootInfo || r.Phys != 0 || r.XSDTAddress != 0x2000 || r.RSDTAddress != 0x1000 || r.Revision != 2 {
		t.Fatalf("RSDP = %+v", r)
	}
	v1 := rsdpBytes(0, 0x1000, 0)
	if r := mustFind(t, empty, v1); r.Revision != 0 || r.XSDTAddress != 0 || !r.FromBootInfo {
		t.Fatalf("RSDP = %+v", r)
	}
	bad := func(mutate func(b []byte)) []byte {
		b := rsdpBytes(2, 0x1000, 0x2000)
		mutate(b)
		return b
	}
	cases := []struct {
		name string
		b    []byte
		is   error
	}{
		{"first checksum", bad(func(b []byte) { b[rsdpRSDT]++; b[32]-- }), ErrChecksum},
		{"extended checksum", bad(func(b []byte) { b[rsdpXSDT]++ }), ErrChecksum},
		{"signature", bad(func(b []byte) { b[0] = 'r' }), ErrMalformed},
		{"short v1", v1[:19], ErrMalformed},
		{"short v2", bad(func(b []byte) {})[:30], ErrMalformed},
	}
	for _, c := range cases {
		_, err := FindRSDP(empty, c.b)
		if !errors.Is(err, ErrNoRSDP) || !errors.Is(err, c.is) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
	// A bad boot copy falls back to scanning memory.
	m := standardMachine()
	r = mustFind(t, m.mem(), bad(func(b []byte) { b[rsdpXSDT]++ }))
	if r.FromBootInfo || r.Phys != atRSDP {
		t.Fatalf("fallback RSDP = %+v", r)
	}
}

func TestFindRSDPScan(t *testing.T) {
	t.Run("EBDA", func(t *testing.T) {
		m := newMachine(0x100000)
		p16(m.data, ebdaPointer, 0x9FC0)
		m.put(0x9FC00+0x3F0, rsdpBytes(2, 1, 2)) // the last 16-byte slot of the first KiB
		m.put(0xE0000, rsdpBytes(0, 3, 0))       // also one in the BIOS area: EBDA wins
		if r := mustFind(t, m.mem(), nil); r.Phys != 0x9FC00+0x3F0 || r.RSDTAddress != 1 {
			t.Fatalf("RSDP = %+v", r)
		}
	})
	t.Run("beyond first KiB of EBDA is not searched", func(t *testing.T) {
		m := newMachine(0x100000)
		p16(m.data, ebdaPointer, 0x9FC0)
		m.put(0x9FC00+0x400, rsdpBytes(2, 1, 2))
		if _, err := FindRSDP(m.mem(), nil); !errors.Is(err, ErrNoRSDP) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("skips misaligned and bad candidates", func(t *testing.T) {
		m := newMachine(0x100000)
		m.put(0xE0008, rsdpBytes(0, 1, 0)) // not on a 16-byte boundary
		broken := rsdpBytes(0, 2, 0)
		broken[rsdpRSDT]++
		m.put(0xE1000, broken)
		m.put(0xE2000, []byte(rsdpSignature)) // signature only
		m.put(0xFFFF0, rsdpBytes(0, 3, 0))    // last slot: only 16 bytes below 1 MiB
		m.data = m.data[:0xFFFF0+rsdpV1Length]
		if r := mustFind(t, m.mem(), nil); r.Phys != 0xFFFF0 || r.RSDTAddress != 3 {
			t.Fatalf("RSDP = %+v", r)
		}
	})
	t.Run("unreadable ranges are skipped", func(t *testing.T) {
		// Memory covers only 0xF8000–0xFFFFF: the EBDA pointer and most chunks fail.
		m := newMachine(0x100000)
		m.put(0xFA000, rsdpBytes(2, 1, 2))
		mem := multiboot.SliceMemory{Base: 0xF8000, Data: m.data[0xF8000:]}
		if r := mustFind(t, mem, nil); r.Phys != 0xFA000 {
			t.Fatalf("RSDP = %+v", r)
		}
	})
	t.Run("none", func(t *testing.T) {
		if _, err := FindRSDP(multiboot.SliceMemory{}, nil); !errors.Is(err, ErrNoRSDP) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestLoadRootErrors(t *testing.T) {
	type setup func(m *machine) RSDP
	v1 := func(m *machine) RSDP { return RSDP{Revision: 0, RSDTAddress: atRSDT} }
	cases := []struct {
		name string
		s    setup
		is   error
	}{
		{"RSDT bad checksum", func(m *machine) RSDP { m.data[atRSDT+40]++; return v1(m) }, ErrChecksum},
		{"RSDT length below 36", func(m *machine) RSDP { p32(m.data, atRSDT+4, 35); return v1(m) }, ErrMalformed},
		{"RSDT length above limit", func(m *machine) RSDP { p32(m.data, atRSDT+4, MaxTableLength+1); return v1(m) }, ErrMalformed},
		{"RSDT truncated by end of memory", func(m *machine) RSDP {
			m.data = m.data[:atRSDT+20]
			return v1(m)
		}, nil},
		{"RSDT length past end of memory", func(m *machine) RSDP {
			p32(m.data, atRSDT+4, uint32(len(m.data)-atRSDT+8))
			return v1(m)
		}, ErrMalformed},
		{"RSDT wrong signature", func(m *machine) RSDP { return RSDP{RSDTAddress: atMADT} }, ErrMalformed},
		{"no RSDT", func(m *machine) RSDP { return RSDP{} }, ErrMalformed},
		{"XSDT bad and no RSDT", func(m *machine) RSDP {
			m.data[atXSDT+36]++
			return RSDP{Revision: 2, XSDTAddress: atXSDT}
		}, ErrChecksum},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := standardMachine()
			r := c.s(m)
			tb, err := Load(m.mem(), r)
			if err == nil || tb != nil {
				t.Fatalf("Load = %+v, %v", tb, err)
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Fatalf("err = %v, want %v", err, c.is)
			}
		})
	}
}

// TestLoadLengthWrapsAddressSpace puts a root table in the last 64 bytes of the
// address space.
func TestLoadLengthWrapsAddressSpace(t *testing.T) {
	const at = math.MaxUint64 - 63
	tbl := sdt("RSDT", 1, nil)
	p32(tbl, 4, 0x100)
	fixSum(tbl, 9)
	mem := multiboot.SliceMemory{Base: at, Data: append(tbl, make([]byte, 64-len(tbl))...)}
	// RSDTAddress is 32 bits, so reach the table through the XSDT path.
	_, err := Load(mem, RSDP{Revision: 2, XSDTAddress: at})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "XSDT") {
		t.Fatalf("err = %v", err)
	}
	copy(mem.Data, "XSDT") // make it an XSDT with a wrapping length
	p32(mem.Data, 4, 0x100)
	fixSum(mem.Data[:36], 9)
	if _, err := Load(mem, RSDP{Revision: 2, XSDTAddress: at}); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "wraps") {
		t.Fatalf("err = %v", err)
	}
}

func TestLoadXSDTFallsBackToRSDT(t *testing.T) {
	m := standardMachine()
	m.data[atXSDT+36]++ // XSDT checksum now wrong
	tb := mustLoad(t, m.mem(), mustFind(t, m.mem(), nil))
	if tb.MADT == nil || tb.FADT == nil || tb.S5 == nil || len(tb.Warnings) != 1 || !strings.Contains(tb.Warnings[0], "XSDT") {
		t.Fatalf("tables %+v", tb)
	}
}

func TestLoadBadChildTablesAreSkipped(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(m *machine)
		check  func(t *testing.T, tb *Tables)
	}{
		{"MADT bad checksum", func(m *machine) { m.data[atMADT+50]++ }, func(t *testing.T, tb *Tables) {
			if tb.MADT != nil || tb.HasSignature("APIC") || tb.FADT == nil {
				t.Fatalf("%+v", tb)
			}
		}},
		{"FADT truncated by end of memory", func(m *machine) {
			copy(m.data[len(m.data)-40:], fadtTable(standardFADT(), fadtFullLength)[:40])
			xs := xsdtTable(atMADT, uint64(len(m.data)-40), atHPET)
			m.put(atXSDT, xs)
		}, func(t *testing.T, tb *Tables) {
			if tb.FADT != nil || tb.S5 != nil || tb.MADT == nil || tb.HPETBase == 0 {
				t.Fatalf("%+v", tb)
			}
		}},
		{"MADT length overflow", func(m *machine) {
			p32(m.data, atMADT+4, 0xFFFFFFFF)
		}, func(t *testing.T, tb *Tables) {
			if tb.MADT != nil || tb.FADT == nil {
				t.Fatalf("%+v", tb)
			}
		}},
		{"DSDT bad checksum: no S5", func(m *machine) { m.data[atDSDT+40]++; m.data[atDSDT2+40]++ }, func(t *testing.T, tb *Tables) {
			if tb.S5 != nil || tb.HasSignature("DSDT") || len(tb.Warnings) != 2 {
				t.Fatalf("%+v", tb)
			}
			if err := tb.PowerOff(&portio.Fake{}); !errors.Is(err, ErrNoS5) {
				t.Fatalf("PowerOff: %v", err)
			}
		}},
		{"X_DSDT bad: 32-bit DSDT used", func(m *machine) { m.data[atDSDT+40]++ }, func(t *testing.T, tb *Tables) {
			if tb.S5 == nil || *tb.S5 != (SleepType{1, 1}) {
				t.Fatalf("%+v", tb)
			}
		}},
		{"HPET in I/O space", func(m *machine) { m.put(atHPET, hpetTable(SpaceSystemIO, 0x1234)) }, func(t *testing.T, tb *Tables) {
			if tb.HPETBase != 0 || !tb.HasSignature("HPET") {
				t.Fatalf("%+v", tb)
			}
		}},
		{"HPET too short", func(m *machine) { m.put(atHPET, sdt("HPET", 1, make([]byte, 10))) }, func(t *testing.T, tb *Tables) {
			if tb.HPETBase != 0 || len(tb.Warnings) != 1 {
				t.Fatalf("%+v", tb)
			}
		}},
		{"MADT too short", func(m *machine) { m.put(atMADT, sdt("APIC", 1, make([]byte, 4))) }, func(t *testing.T, tb *Tables) {
			if tb.MADT != nil || len(tb.Warnings) != 1 {
				t.Fatalf("%+v", tb)
			}
		}},
		{"null and unreadable entries", func(m *machine) {
			m.put(atXSDT, xsdtTable(0, atMADT, 0xFFFFFFFF_00000000, atFADT))
		}, func(t *testing.T, tb *Tables) {
			if tb.MADT == nil || tb.FADT == nil || len(tb.Warnings) != 2 {
				t.Fatalf("%+v", tb)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := standardMachine()
			c.break_(m)
			tb := mustLoad(t, m.mem(), mustFind(t, m.mem(), nil))
			c.check(t, tb)
		})
	}
}

func TestLoadLoops(t *testing.T) {
	m := standardMachine()
	// The XSDT lists itself, the MADT twice, the RSDT, and a second FADT whose DSDT
	// points back at the XSDT.
	fadt2 := standardFADT()
	fadt2.xdsdt, fadt2.dsdt = atXSDT, atFADT
	m.put(0x17000, fadtTable(fadt2, fadtFullLength))
	m.put(atXSDT, xsdtTable(atXSDT, atMADT, atMADT, atRSDT, 0x17000, atFADT))
	tb := mustLoad(t, m.mem(), mustFind(t, m.mem(), nil))
	if want := []string{"APIC", "RSDT", "FACP", "FACP"}; !reflect.DeepEqual(tb.Signatures, want) {
		t.Fatalf("Signatures = %q", tb.Signatures)
	}
	// The first FADT (at 0x17000) wins; its DSDT pointers both name tables already
	// read, so there is no S5.
	if tb.FADT == nil || tb.FADT.XDSDT != atXSDT || tb.S5 != nil {
		t.Fatalf("FADT %+v S5 %+v", tb.FADT, tb.S5)
	}
	if len(tb.Warnings) != 5 {
		t.Fatalf("warnings %q", tb.Warnings)
	}
	// A DSDT address naming a non-DSDT table that was not read before.
	m = standardMachine()
	f := standardFADT()
	f.xdsdt, f.dsdt = atSSDT, 0
	m.put(atFADT, fadtTable(f, fadtFullLength))
	m.put(atXSDT, xsdtTable(atFADT))
	tb = mustLoad(t, m.mem(), mustFind(t, m.mem(), nil))
	if tb.S5 != nil || len(tb.Warnings) != 1 || !strings.Contains(tb.Warnings[0], "signature") {
		t.Fatalf("%+v", tb)
	}
}

// synthMemory fabricates, at every 1 MiB-aligned address ≥ 1 MiB, a valid SSDT of
// MaxTableLength bytes, and counts the bytes read.
type synthMemory struct {
	root  []byte // at address 0
	table []byte
	read  int
	calls int
}

func (s *synthMemory) Read(phys uint64, n int) ([]byte, error) {
	s.calls++
	s.read += n
	if phys == 0 && n <= len(s.root) {
		return s.root[:n], nil
	}
	if phys >= 1<<20 && phys%(1<<20) == 0 && n <= len(s.table) {
		return s.table[:n], nil
	}
	return nil, multiboot.ErrOutside
}

func TestLoadIsBounded(t *testing.T) {
	addrs := make([]uint64, 2000)
	for k := range addrs {
		addrs[k] = uint64(k+1) << 20
	}
	table := sdt("SSDT", 1, make([]byte, MaxTableLength-headerLength))
	s := &synthMemory{root: xsdtTable(addrs...), table: table}
	tb, err := Load(s, RSDP{Revision: 2, XSDTAddress: 0})
	if err == nil {
		t.Fatalf("XSDT at 0 accepted: %+v", tb)
	}
	tb, err = Load(s, RSDP{Revision: 0, RSDTAddress: 0})
	if err == nil {
		t.Fatalf("RSDT at 0 accepted: %+v", tb)
	}
	// Put the root at 0 but address it as 0x0 via an offset memory.
	s.read, s.calls = 0, 0
	tb, err = Load(offsetMemory{s, 0x1000}, RSDP{Revision: 2, XSDTAddress: 0x1000})
	if err != nil {
		t.Fatal(err)
	}
	checkTables(t, tb)
	if got := len(tb.Signatures); got != ReadBudget/MaxTableLength-1 {
		t.Errorf("%d tables loaded", got)
	}
	if s.read > ReadBudget+MaxTables*headerLength+len(s.root) {
		t.Errorf("read %d bytes", s.read)
	}
	if s.calls > 2*MaxTables+2 {
		t.Errorf("%d reads", s.calls)
	}
	if len(tb.Warnings) != maxWarnings+1 {
		t.Errorf("%d warnings", len(tb.Warnings))
	}
}

// offsetMemory shifts address off to 0 (and leaves 1 MiB-aligned addresses alone).
type offsetMemory struct {
	s   *synthMemory
	off uint64
}

func (o offsetMemory) Read(phys uint64, n int) ([]byte, error) {
	if phys == o.off {
		phys = 0
	}
	return o.s.Read(phys, n)
}

func TestMADTMalformedEntries(t *testing.T) {
	cases := []struct {
		name    string
		entries [][]byte
		procs   int
		warns   int
	}{
		{"zero-length entry stops the walk", [][]byte{eLAPIC(0, 0, 1), {0, 0}, eLAPIC(1, 1, 1)}, 1, 1},
		{"one-length entry stops the walk", [][]byte{{0, 1}, eLAPIC(1, 1, 1)}, 0, 1},
		{"entry past the end", [][]byte{eLAPIC(0, 0, 1), {0, 9, 0, 0, 0, 0, 0, 0}}, 1, 1},
		{"stray byte", [][]byte{eLAPIC(0, 0, 1), {0}}, 1, 1},
		{"short known entries are skipped", [][]byte{{0, 4, 1, 1}, {1, 4, 0, 0}, {2, 4, 0, 0}, {4, 3, 0}, {5, 4, 0, 0},
			{9, 8, 0, 0, 0, 0, 0, 0}, {0xA, 4, 0, 0}, eLAPIC(1, 1, 1)}, 1, 7},
		{"second APIC override ignored", [][]byte{eAPICOverride(0x1000), eAPICOverride(0x2000)}, 0, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := &Tables{}
			m, err := parseMADT(madtTable(0xFEE00000, 0, c.entries...), tb)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Processors) != c.procs || len(tb.Warnings) != c.warns {
				t.Fatalf("MADT %+v warnings %q", m, tb.Warnings)
			}
			if len(m.IOAPICs)+len(m.Overrides)+len(m.LocalNMIs) != 0 {
				t.Fatalf("short entries decoded: %+v", m)
			}
		})
	}
	tb := &Tables{}
	m, _ := parseMADT(madtTable(0, 0, eAPICOverride(0x1000), eAPICOverride(0x2000)), tb)
	if m.LocalAPICAddress != 0x1000 {
		t.Fatalf("LocalAPICAddress %#x", m.LocalAPICAddress)
	}
}

func TestFindS5(t *testing.T) {
	many := make([]byte, 0, 100) // 2 real elements and 98 more: a two-byte PkgLength
	many = append(many, amlBytePrefix, 3, amlBytePrefix, 4)
	for len(many) < 100 {
		many = append(many, amlZeroOp)
	}
	cases := []struct {
		name string
		aml  []byte
		want *SleepType
	}{
		{"ByteConst", s5Name(amlPkg(4, amlBytePrefix, 5, amlBytePrefix, 5, 0, 0)), &SleepType{5, 5}},
		{"Zero/One", s5Name(amlPkg(4, amlZeroOp, amlOneOp, 0, 0)), &SleepType{0, 1}},
		{"Ones", s5Name(amlPkg(2, amlOnesOp, amlZeroOp)), &SleepType{0xFF, 0}},
		{"WordConst and DWordConst", s5Name(amlPkg(2, amlWordPrefix, 7, 0, amlDWordPrefix, 6, 0, 0, 0)), &SleepType{7, 6}},
		{"QWordConst", s5Name(amlPkg(2, amlQWordPrefix, 2, 0, 0, 0, 0, 0, 0, 0, amlZeroOp)), &SleepType{2, 0}},
		{"two-byte PkgLength", s5Name(amlPkg(100, many...)), &SleepType{3, 4}},
		{"single element, obsolete form", s5Name(amlPkg(1, amlWordPrefix, 0x07, 0x05)), &SleepType{7, 5}},
		{"without root prefix", append([]byte{0x08, '_', 'S', '5', '_'}, amlPkg(2, amlOneOp, amlOneOp)...), &SleepType{1, 1}},
		{"first occurrence not a package", append(
			[]byte{0x0D, '_', 'S', '5', '_', 0x00, 0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xA4, 0x00}, // String, Method(_S5_)
			s5Name(amlPkg(2, amlBytePrefix, 6, amlZeroOp))...), &SleepType{6, 0}},
		{"no _S5_", []byte{0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x02, 0x00, 0x00}, nil},
		{"empty package", s5Name(amlPkg(0)), nil},
		{"non-constant element", s5Name(amlPkg(2, 0x70, 0x00)), nil},
		{"second element missing", s5Name([]byte{amlPackageOp, 0x04, 0x02, amlBytePrefix, 5}), nil},
		{"PkgLength past the end", s5Name([]byte{amlPackageOp, 0x3F, 0x02, 0, 0}), nil},
		{"PkgLength shorter than itself", s5Name([]byte{amlPackageOp, 0x01, 0x02, 0, 0}), nil},
		{"truncated multi-byte PkgLength", s5Name([]byte{amlPackageOp, 0xC0, 0x01}), nil},
		{"truncated ByteConst", s5Name([]byte{amlPackageOp, 0x03, 0x02, amlBytePrefix}), nil},
		{"ends after name", []byte("_S5_"), nil},
		{"ends after PackageOp", []byte("_S5_\x12"), nil},
	}
	for _, c := range cases {
		st, ok := findS5(c.aml)
		if (c.want == nil) == ok || (ok && st != *c.want) {
			t.Errorf("%s: got %+v %v, want %+v", c.name, st, ok, c.want)
		}
	}
}

func TestPkgLength(t *testing.T) {
	cases := []struct {
		b    []byte
		len  uint64
		n    int
		okay bool
	}{
		{[]byte{0x3F}, 63, 1, true},
		{[]byte{0x4A, 0x12}, 0x12A, 2, true},
		{[]byte{0x8F, 0x34, 0x12}, 0x1234F, 3, true},
		{[]byte{0xCF, 0xFF, 0xFF, 0xFF}, 0xFFFFFFF, 4, true},
		{[]byte{0xC0, 0x00}, 0, 0, false},
		{nil, 0, 0, false},
	}
	for _, c := range cases {
		l, n, ok := pkgLength(c.b)
		if l != c.len || n != c.n || ok != c.okay {
			t.Errorf("pkgLength(% x) = %#x %d %v", c.b, l, n, ok)
		}
	}
}

func TestPowerOff(t *testing.T) {
	tb := mustLoad(t, standardMachine().mem(), mustFind(t, standardMachine().mem(), nil))
	f := &portio.Fake{}
	if err := tb.PowerOff(f); err != nil {
		t.Fatal(err)
	}
	want := []portio.Access{
		{Port: 0x1004, Width: 2},
		{Out: true, Port: 0x1004, Value: 5<<10 | 1<<13, Width: 2},
		{Port: 0x1104, Width: 2},
		{Out: true, Port: 0x1104, Value: 7<<10 | 1<<13, Width: 2},
	}
	if !reflect.DeepEqual(f.Log, want) {
		t.Fatalf("log = %+v", f.Log)
	}
	// Other bits are kept, the old SLP_TYP is replaced, SLP_TYP is cut to 3 bits, no PM1b.
	tb.FADT.PM1bControl = 0
	tb.S5 = &SleepType{A: 0xFF, B: 0}
	f = &portio.Fake{Regs: map[uint16]uint32{0x1004: pm1SCIEnable | 2<<10}}
	if err := tb.PowerOff(f); err != nil {
		t.Fatal(err)
	}
	if len(f.Log) != 2 || f.Log[1].Value != pm1SCIEnable|7<<10|1<<13 {
		t.Fatalf("log = %+v", f.Log)
	}
	// Errors touch no port.
	for name, c := range map[string]struct {
		tb *Tables
		is error
	}{
		"nil tables": {nil, ErrNoFADT},
		"no FADT":    {&Tables{S5: &SleepType{}}, ErrNoFADT},
		"no S5":      {&Tables{FADT: &FADT{PM1aControl: 0x604}}, ErrNoS5},
		"no PM1a":    {&Tables{FADT: &FADT{PM1bControl: 0x704}, S5: &SleepType{}}, ErrUnsupported},
	} {
		f := &portio.Fake{}
		if err := c.tb.PowerOff(f); !errors.Is(err, c.is) || len(f.Log) != 0 {
			t.Errorf("%s: err %v, log %+v", name, err, f.Log)
		}
	}
}

func TestReset(t *testing.T) {
	tb := mustLoad(t, standardMachine().mem(), mustFind(t, standardMachine().mem(), nil))
	f := &portio.Fake{}
	if err := tb.Reset(f); err != nil {
		t.Fatal(err)
	}
	if want := []portio.Access{{Out: true, Port: 0xCF9, Value: 6, Width: 1}}; !reflect.DeepEqual(f.Log, want) {
		t.Fatalf("log = %+v", f.Log)
	}
	for name, c := range map[string]struct {
		tb *Tables
		is error
	}{
		"nil tables":     {nil, ErrNoFADT},
		"no FADT":        {&Tables{}, ErrNoFADT},
		"not supported":  {&Tables{FADT: &FADT{}}, ErrUnsupported},
		"memory space":   {&Tables{FADT: &FADT{HasReset: true, ResetRegister: GenericAddress{Space: SpaceSystemMemory, Address: 0xFE000000}}}, ErrUnsupported},
		"PCI space":      {&Tables{FADT: &FADT{HasReset: true, ResetRegister: GenericAddress{Space: SpacePCIConfig, Address: 0x40}}}, ErrUnsupported},
		"port above 16b": {&Tables{FADT: &FADT{HasReset: true, ResetRegister: GenericAddress{Space: SpaceSystemIO, Address: 0x10000}}}, ErrUnsupported},
	} {
		f := &portio.Fake{}
		if err := c.tb.Reset(f); !errors.Is(err, c.is) || len(f.Log) != 0 {
			t.Errorf("%s: err %v, log %+v", name, err, f.Log)
		}
	}
}

func TestEnableACPI(t *testing.T) {
	base := func() *Tables {
		return &Tables{FADT: &FADT{PM1aControl: 0x604, SMICommand: 0xB2, ACPIEnable: 0xF1}}
	}
	// Already enabled: one read, nothing written.
	f := &portio.Fake{Regs: map[uint16]uint32{0x604: pm1SCIEnable}}
	if err := base().EnableACPI(f, 10); err != nil || len(f.Log) != 1 {
		t.Fatalf("err %v log %+v", err, f.Log)
	}
	// The chipset sets SCI_EN some reads after ACPI_ENABLE is written.
	reads := 0
	f = &portio.Fake{}
	f.OnIn = func(port uint16) (uint32, bool) {
		if f.Regs[0xB2] == 0xF1 {
			reads++
			if reads == 3 {
				return pm1SCIEnable, true
			}
		}
		return 0, true
	}
	if err := base().EnableACPI(f, 10); err != nil {
		t.Fatal(err)
	}
	if f.Log[1] != (portio.Access{Out: true, Port: 0xB2, Value: 0xF1, Width: 1}) || len(f.Log) != 5 {
		t.Fatalf("log %+v", f.Log)
	}
	// It never does.
	f = &portio.Fake{}
	if err := base().EnableACPI(f, 10); err == nil || len(f.Log) != 12 {
		t.Fatalf("err %v, %d accesses", err, len(f.Log))
	}
	// No legacy mode.
	tb := base()
	tb.FADT.SMICommand = 0
	if err := tb.EnableACPI(&portio.Fake{}, 10); err != nil {
		t.Fatal(err)
	}
	tb = base()
	tb.FADT.SMICommand = 0x10000
	if err := tb.EnableACPI(&portio.Fake{}, 10); !errors.Is(err, ErrUnsupported) {
		t.Fatal(err)
	}
	if err := (&Tables{FADT: &FADT{}}).EnableACPI(&portio.Fake{}, 10); !errors.Is(err, ErrUnsupported) {
		t.Fatal(err)
	}
	if err := (*Tables)(nil).EnableACPI(&portio.Fake{}, 10); !errors.Is(err, ErrNoFADT) {
		t.Fatal(err)
	}
}

func TestGenericAddressIOPort(t *testing.T) {
	for _, c := range []struct {
		g  GenericAddress
		p  uint16
		ok bool
	}{
		{GenericAddress{Space: SpaceSystemIO, Address: 0xCF9}, 0xCF9, true},
		{GenericAddress{Space: SpaceSystemIO, Address: 0}, 0, false},
		{GenericAddress{Space: SpaceSystemIO, Address: 0x10000}, 0, false},
		{GenericAddress{Space: SpaceSystemMemory, Address: 0xCF9}, 0, false},
	} {
		if p, ok := c.g.IOPort(); p != c.p || ok != c.ok {
			t.Errorf("%+v: %#x %v", c.g, p, ok)
		}
	}
}

func TestWarningsAreCapped(t *testing.T) {
	tb := &Tables{}
	for k := 0; k < 1000; k++ {
		tb.warn("w%d", k)
	}
	if len(tb.Warnings) != maxWarnings+1 || tb.Warnings[maxWarnings] != "further warnings suppressed" {
		t.Fatalf("%d warnings", len(tb.Warnings))
	}
}

func TestLoadDuplicatesAndMissingS5(t *testing.T) {
	m := standardMachine()
	m.put(0x17000, madtTable(0x1000, 0))
	m.put(0x18000, hpetTable(SpaceSystemMemory, 0x2000))
	m.put(atXSDT, xsdtTable(atMADT, 0x17000, atHPET, 0x18000, atFADT))
	m.put(atDSDT, dsdtTable()) // no \_S5
	tb := mustLoad(t, m.mem(), mustFind(t, m.mem(), nil))
	if tb.MADT.LocalAPICAddress != 0xFEE00000_0000 || tb.HPETBase != 0xFED00000 {
		t.Fatalf("first MADT/HPET not kept: %+v %#x", tb.MADT, tb.HPETBase)
	}
	if want := []string{"APIC", "APIC", "HPET", "HPET", "FACP", "DSDT"}; !reflect.DeepEqual(tb.Signatures, want) {
		t.Fatalf("Signatures = %q", tb.Signatures)
	}
	if tb.S5 != nil || len(tb.Warnings) != 2 {
		t.Fatalf("S5 %+v warnings %q", tb.S5, tb.Warnings)
	}
}

// flippingMemory returns a different table length on the second read of a table.
type flippingMemory struct {
	multiboot.SliceMemory
	at    uint64
	reads int
}

func (f *flippingMemory) Read(phys uint64, n int) ([]byte, error) {
	b, err := f.SliceMemory.Read(phys, n)
	if err != nil || phys != f.at {
		return b, err
	}
	f.reads++
	if f.reads == 2 {
		c := append([]byte(nil), b...)
		p32(c, 4, uint32(n-1))
		return c, nil
	}
	return b, nil
}

func TestLoadTableChangingUnderfoot(t *testing.T) {
	m := standardMachine()
	mem := &flippingMemory{SliceMemory: m.mem(), at: atMADT}
	tb := mustLoad(t, mem, mustFind(t, m.mem(), nil))
	if tb.MADT != nil || len(tb.Warnings) != 1 || !strings.Contains(tb.Warnings[0], "changed") {
		t.Fatalf("%+v", tb)
	}
}
