package acpi

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/skyscope-os/skyscope/hal/amd64/multiboot"
	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// countingMemory counts what is read through it.
type countingMemory struct {
	m            Memory
	calls, bytes int
}

func (c *countingMemory) Read(phys uint64, n int) ([]byte, error) {
	c.calls++
	if n > 0 {
		c.bytes += n
	}
	return c.m.Read(phys, n)
}

// Work bounds asserted by FuzzLoad: one Load reads each root entry's header once,
// each table once more, and stays within the byte budget.
const (
	maxLoadCalls = 2*2 + 2*MaxTables + 2*2 // XSDT and RSDT, entries, two DSDT candidates
	maxLoadBytes = ReadBudget + (2+MaxTables+2)*headerLength
)

// FuzzLoad treats the input as physical memory starting at address 0 and runs every
// decoder over it: FindRSDP with the first 36 bytes as the boot loader's copy; Load
// on the result, both as specified and with checksum checks disabled (so that the
// fuzzer reaches the table decoders without forging checksums); FindRSDP's memory
// scan with the input mapped at 0xE0000; and the MADT, FADT and \_S5 decoders on the
// raw input. It asserts no panic, the invariants of checkTables, and bounded work
// (Memory calls and bytes read), and drives PowerOff, Reset and EnableACPI against a
// fake port space.
func FuzzLoad(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.data)
	}
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, data []byte) {
	{
		mem := multiboot.SliceMemory{Data: data}
		boot := data[:min(len(data), rsdpV2Length)]

		if r, err := FindRSDP(mem, boot); err == nil {
			fuzzLoad(t, mem, r, true)
		}
		if r, err := parseRSDP(boot, false); err == nil {
			fuzzLoad(t, mem, r, false)
		}
		scan := multiboot.SliceMemory{Base: biosAreaStart, Data: data}
		if r, err := FindRSDP(scan, nil); err == nil {
			if r.Phys < biosAreaStart || r.Phys%16 != 0 || r.FromBootInfo {
				t.Fatalf("scan returned %+v", r)
			}
			fuzzLoad(t, scan, r, true)
		}

		tb := &Tables{}
		if m, err := parseMADT(data, tb); err == nil && m == nil {
			t.Fatal("parseMADT: nil without error")
		}
		if fd, err := parseFADT(data); err == nil {
			tb.FADT = fd
			checkTables(t, tb)
		}
		if st, ok := findS5(data); ok {
			tb.S5 = &st
		}
		exercisePorts(t, tb)
	}
}

func fuzzLoad(t *testing.T, mem Memory, r RSDP, verify bool) {
	c := &countingMemory{m: mem}
	tb, err := load(c, r, verify)
	if c.calls > maxLoadCalls || c.bytes > maxLoadBytes {
		t.Fatalf("Load made %d reads of %d bytes", c.calls, c.bytes)
	}
	if (tb == nil) == (err == nil) {
		t.Fatalf("tables %v, err %v", tb, err)
	}
	if err != nil {
		return
	}
	checkTables(t, tb)
	exercisePorts(t, tb)
}

// exercisePorts runs the port-writing operations against a fake, checking that every
// write goes to a port the FADT named.
func exercisePorts(t *testing.T, tb *Tables) {
	f := &portio.Fake{}
	powerErr := tb.PowerOff(f)
	_ = tb.Reset(f)
	_ = tb.EnableACPI(f, 4)
	if powerErr == nil && (tb.FADT == nil || tb.S5 == nil) {
		t.Fatal("PowerOff succeeded without FADT and S5")
	}
	if len(f.Log) > 4+1+2+4 {
		t.Fatalf("%d port accesses", len(f.Log))
	}
	if len(f.Log) > 0 && tb.FADT == nil {
		t.Fatal("port access without an FADT")
	}
	for _, a := range f.Log {
		fd := tb.FADT
		if a.Out && a.Port != fd.PM1aControl && a.Port != fd.PM1bControl &&
			uint64(a.Port) != fd.ResetRegister.Address && uint32(a.Port) != fd.SMICommand {
			t.Fatalf("write to unexpected port %#x", a.Port)
		}
		if a.Out && (a.Port == fd.PM1aControl || a.Port == fd.PM1bControl) && a.Width == 2 && a.Value&pm1SleepEn == 0 {
			t.Fatalf("PM1 write without SLP_EN: %+v", a)
		}
	}
}

type fuzzSeed struct {
	name string
	data []byte
}

// compactMachine lays out a complete ACPI 2.0+ set of tables in a small image with
// the RSDP at address 0, for the fuzzer to mutate.
func compactMachine() *machine {
	m := newMachine(0)
	m.put(0, rsdpBytes(2, 0x40, 0x80))
	m.put(0x40, rsdtTable(0x100, 0x200, 0x320))
	m.put(0x80, xsdtTable(0x100, 0x200, 0x320))
	m.put(0x100, madtTable(0xFEE00000, PCATCompat, eLAPIC(0, 0, 1), eLAPIC(1, 1, 3), eIOAPIC(2, 0xFEC00000, 0),
		eOverride(0, 0, 2, 0), eOverride(0, 9, 9, 0xD), eLocalNMI(0xFF, 5, 1), eAPICOverride(0xFEE00000),
		eX2APIC(0x100, 1, 2), eX2APICNMI(5, 2, 1)))
	f := standardFADT()
	f.xdsdt, f.dsdt = 0x360, 0x360
	m.put(0x200, fadtTable(f, fadtFullLength))
	m.put(0x320, hpetTable(SpaceSystemMemory, 0xFED00000))
	m.put(0x360, dsdtTable(s5Name(amlPkg(4, amlBytePrefix, 5, amlBytePrefix, 5, amlZeroOp, amlZeroOp))))
	return m
}

// fuzzSeeds are the corpus seeds, also written to testdata/fuzz/FuzzLoad by
// TestWriteFuzzSeeds.
func fuzzSeeds() []fuzzSeed {
	full := compactMachine().data

	v1 := newMachine(0)
	v1.put(0, rsdpBytes(0, 0x40, 0))
	v1.put(0x40, rsdtTable(0x80, 0x180))
	v1.put(0x80, fadtTable(fadtFields{dsdt: 0x200, pm1a: 0x404, sci: 9}, 116))
	v1.put(0x180, madtTable(0xFEE00000, 0, eLAPIC(0, 0, 1)))
	v1.put(0x200, dsdtTable(s5Name(amlPkg(2, amlZeroOp, amlOneOp))))

	selfLoop := newMachine(0)
	selfLoop.put(0, rsdpBytes(2, 0, 0x40))
	selfLoop.put(0x40, xsdtTable(0x40, 0x40, 0))

	badSum := compactMachine()
	badSum.data[0x100+40]++

	// A DSDT whose \_S5 uses a two-byte PkgLength and WordConst elements.
	aml := compactMachine()
	big := []byte{amlWordPrefix, 7, 0, amlDWordPrefix, 3, 0, 0, 0}
	for len(big) < 80 {
		big = append(big, amlZeroOp)
	}
	aml.put(0x360, dsdtTable(s5Name(amlPkg(74, big...))))

	// The raw decoders' view: an MADT at offset 0.
	madt := madtTable(0xFEE00000, 1, eLAPIC(0, 0, 1), eIOAPIC(1, 0xFEC00000, 0), eOverride(0, 0, 2, 0), []byte{0, 0})

	// An RSDP in the scanned area (the input is also mapped at 0xE0000).
	scanned := make([]byte, 0x30)
	copy(scanned[0x10:], rsdpBytes(0, 0, 0))

	return []fuzzSeed{
		{"full", full},
		{"acpi1", v1.data},
		{"xsdt-self-loop", selfLoop.data},
		{"madt-bad-checksum", badSum.data},
		{"s5-long-package", aml.data},
		{"raw-madt", madt},
		{"scanned-rsdp", scanned},
	}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzLoad from fuzzSeeds when
// SKYSCOPE_WRITE_FUZZ_SEEDS=1; otherwise it checks that every seed file exists.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	for _, s := range fuzzSeeds() {
		path := filepath.Join(dir, "seed-"+s.name)
		if os.Getenv("SKYSCOPE_WRITE_FUZZ_SEEDS") != "1" {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("missing corpus seed: %v", err)
			}
			continue
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s.data)))
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSeedsLoad checks that the seeds meant to be valid really are, so the fuzzer
// starts from deep coverage.
func TestSeedsLoad(t *testing.T) {
	for _, s := range fuzzSeeds()[:5] {
		mem := multiboot.SliceMemory{Data: s.data}
		r, err := FindRSDP(mem, s.data[:rsdpV2Length])
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		tb, err := Load(mem, r)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		checkTables(t, tb)
		switch s.name {
		case "full":
			if tb.MADT == nil || tb.FADT == nil || tb.HPETBase == 0 || tb.S5 == nil || len(tb.Warnings) != 0 {
				t.Fatalf("%s: %+v", s.name, tb)
			}
		case "acpi1":
			if tb.FADT == nil || tb.MADT == nil || *tb.S5 != (SleepType{0, 1}) {
				t.Fatalf("%s: %+v", s.name, tb)
			}
		case "s5-long-package":
			if tb.S5 == nil || *tb.S5 != (SleepType{7, 3}) {
				t.Fatalf("%s: %+v", s.name, tb.S5)
			}
		}
	}
	r, err := FindRSDP(multiboot.SliceMemory{Base: biosAreaStart, Data: fuzzSeeds()[6].data}, nil)
	if err != nil || r.Phys != biosAreaStart+0x10 {
		t.Fatalf("scanned seed: %+v %v", r, err)
	}
}
