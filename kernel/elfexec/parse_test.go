package elfexec

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, image []byte) *Executable {
	t.Helper()
	exe, err := Parse(image)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checkInvariants(t, exe, image)
	return exe
}

func TestParseMinimal(t *testing.T) {
	exe := mustParse(t, minimalSpec().bytes())
	want := &Executable{
		Entry: 0x400120,
		Segments: []Segment{
			{Vaddr: 0x400000, Memsz: 0x130, Offset: 0, Filesz: 0x130, Align: 0x1000, Read: true, Exec: true},
			{Vaddr: 0x401130, Memsz: 0x2000, Offset: 0x130, Filesz: 0x10, Align: 0x1000, Read: true, Write: true},
		},
		PhdrAddr: 0x400040, PhOff: 0x40, PhEnt: 56, PhNum: 4,
		Brk:      0x404000,
		GNUStack: true,
	}
	if !reflect.DeepEqual(exe, want) {
		t.Fatalf("Parse =\n%+v\nwant\n%+v", exe, want)
	}
	if s, e := exe.Segments[1].Pages(); s != 0x401000 || e != 0x404000 {
		t.Errorf("Pages = %#x, %#x", s, e)
	}
	if got := exe.MappedSize(); got != 0x4000 {
		t.Errorf("MappedSize = %#x, want 0x4000", got)
	}
}

func TestParseRich(t *testing.T) {
	image := richSpec().bytes()
	exe := mustParse(t, image)
	if exe.TLS == nil || *exe.TLS != (Segment{Vaddr: 0x402200, Memsz: 0x40, Offset: 0x200, Filesz: 0x10, Align: 16, Read: true}) {
		t.Fatalf("TLS = %+v", exe.TLS)
	}
	if len(exe.Segments) != 3 || exe.Segments[1].Write || exe.Segments[1].Exec || !exe.Segments[1].Read {
		t.Fatalf("Segments = %+v", exe.Segments)
	}
	if exe.PhNum != 7 || exe.PhdrAddr != 0x400040 || exe.Brk != 0x406000 {
		t.Fatalf("PhNum %d PhdrAddr %#x Brk %#x", exe.PhNum, exe.PhdrAddr, exe.Brk)
	}
	// The result must not alias the input.
	for i := range image {
		image[i] = 0
	}
	if exe.TLS.Vaddr != 0x402200 || exe.Segments[2].Vaddr != 0x402200 {
		t.Fatal("Executable changed with the image")
	}
}

// TestParsePhdrComputed: without PT_PHDR, PhdrAddr comes from the PT_LOAD that maps
// e_phoff.
func TestParsePhdrComputed(t *testing.T) {
	s := minimalSpec()
	s.phdrs[0].typ = 0 // PT_NULL
	exe := mustParse(t, s.bytes())
	if exe.PhdrAddr != 0x400040 {
		t.Fatalf("PhdrAddr = %#x, want 0x400040", exe.PhdrAddr)
	}
	// A text segment at a different vaddr-offset distance moves it.
	s.phdrs[1].vaddr, s.phdrs[2].vaddr, s.entry = 0x800000, 0x801130, 0x800120
	exe = mustParse(t, s.bytes())
	if exe.PhdrAddr != 0x800040 {
		t.Fatalf("PhdrAddr = %#x, want 0x800040", exe.PhdrAddr)
	}
}

// TestParseGoBinary compares Parse with debug/elf on a real static Go program.
func TestParseGoBinary(t *testing.T) {
	for _, flags := range [][]string{nil, {"-ldflags=-s -w"}, {"-trimpath", "-ldflags=-T 0x1000000"}} {
		t.Run("flags="+strings.Join(flags, " "), func(t *testing.T) {
			image := goBinary(t, flags...)
			exe := mustParse(t, image)
			compareWithDebugELF(t, exe, image)
		})
	}
}

func compareWithDebugELF(t *testing.T, exe *Executable, image []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != elf.ET_EXEC || f.Machine != elf.EM_X86_64 {
		t.Fatalf("oracle: type %v machine %v", f.Type, f.Machine)
	}
	if exe.Entry != f.Entry {
		t.Errorf("Entry = %#x, debug/elf %#x", exe.Entry, f.Entry)
	}
	var loads []Segment
	var tls *Segment
	var phdrVaddr uint64
	havePhdr, haveStack := false, false
	for _, p := range f.Progs {
		s := Segment{Vaddr: p.Vaddr, Memsz: p.Memsz, Offset: p.Off, Filesz: p.Filesz, Align: p.Align,
			Read: p.Flags&elf.PF_R != 0, Write: p.Flags&elf.PF_W != 0, Exec: p.Flags&elf.PF_X != 0}
		switch p.Type {
		case elf.PT_LOAD:
			loads = append(loads, s)
		case elf.PT_TLS:
			tls = &s
		case elf.PT_PHDR:
			havePhdr, phdrVaddr = true, p.Vaddr
		case elf.PT_GNU_STACK:
			haveStack = true
		}
	}
	if !reflect.DeepEqual(exe.Segments, loads) {
		t.Errorf("Segments =\n%+v\ndebug/elf PT_LOADs\n%+v", exe.Segments, loads)
	}
	if !reflect.DeepEqual(exe.TLS, tls) {
		t.Errorf("TLS = %+v, debug/elf %+v", exe.TLS, tls)
	}
	if havePhdr && exe.PhdrAddr != phdrVaddr {
		t.Errorf("PhdrAddr = %#x, PT_PHDR %#x", exe.PhdrAddr, phdrVaddr)
	}
	if exe.PhNum != uint64(len(f.Progs)) || exe.PhEnt != 56 {
		t.Errorf("PhNum %d PhEnt %d, debug/elf has %d headers", exe.PhNum, exe.PhEnt, len(f.Progs))
	}
	// The table as loaded: the bytes at PhdrAddr in the image are the ones at e_phoff.
	if off, ok := fileOffsetOf(exe, exe.PhdrAddr); !ok || off != exe.PhOff {
		t.Errorf("PhdrAddr %#x maps file offset %#x (%v), want e_phoff %#x", exe.PhdrAddr, off, ok, exe.PhOff)
	}
	last := loads[len(loads)-1]
	if want := (last.Vaddr + last.Memsz + 4095) &^ 4095; exe.Brk != want {
		t.Errorf("Brk = %#x, want %#x", exe.Brk, want)
	}
	if exe.GNUStack != haveStack {
		t.Errorf("GNUStack = %v, debug/elf %v", exe.GNUStack, haveStack)
	}
}

// fileOffsetOf returns the file offset whose byte a loader puts at addr.
func fileOffsetOf(exe *Executable, addr uint64) (uint64, bool) {
	for _, s := range exe.Segments {
		if addr >= s.Vaddr && addr-s.Vaddr < s.Filesz {
			return s.Offset + (addr - s.Vaddr), true
		}
	}
	return 0, false
}

func TestParsePIERefused(t *testing.T) {
	image := goBinary(t, "-buildmode=pie")
	if _, err := Parse(image); !errors.Is(err, ErrDynamic) {
		t.Fatalf("Parse(PIE) = %v, want ErrDynamic", err)
	}
}

// TestParseStaticC parses a glibc static program when a C compiler is at hand. GNU ld
// lets the RELRO start of the data segment share a page with the read-only segment
// before it; Parse refuses shared pages, so it must either accept the file exactly as
// debug/elf reads it or refuse it with ErrOverlap, and nothing else.
func TestParseStaticC(t *testing.T) {
	cc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("no gcc")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "t.c")
	os.WriteFile(src, []byte("#include <stdio.h>\n__thread int x = 5;\nint main(void) { printf(\"%d\\n\", x); return 0; }\n"), 0o644)
	out := filepath.Join(dir, "t")
	if msg, err := exec.Command(cc, "-static", "-o", out, src).CombinedOutput(); err != nil {
		t.Skipf("gcc -static failed (no static libc?): %v\n%s", err, msg)
	}
	image, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := Parse(image)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) || e.Reason != ErrOverlap {
			t.Fatalf("Parse(static C) = %v, want success or ErrOverlap", err)
		}
		f, _ := elf.NewFile(bytes.NewReader(image))
		p, q := f.Progs[e.Index], (*elf.Prog)(nil)
		for _, r := range f.Progs[:e.Index] {
			if r.Type == elf.PT_LOAD {
				q = r
			}
		}
		if p.Type != elf.PT_LOAD || q == nil || p.Vaddr&^4095 >= (q.Vaddr+q.Memsz+4095)&^4095 {
			t.Fatalf("ErrOverlap at header %d, but debug/elf shows no shared page", e.Index)
		}
		t.Logf("refused as documented: %v (PT_LOAD %#x after one ending at %#x)", err, p.Vaddr, q.Vaddr+q.Memsz)
		return
	}
	checkInvariants(t, exe, image)
	compareWithDebugELF(t, exe, image)
}

// TestParseGoBinaryMutations breaks a real Go binary in the ways a loader must notice.
func TestParseGoBinaryMutations(t *testing.T) {
	orig := goBinary(t)
	text := progIndex(t, orig, elf.PT_LOAD, 0)
	data := progIndex(t, orig, elf.PT_LOAD, 2)
	stack := progIndex(t, orig, elf.PT_GNU_STACK, 0)
	phdr := progIndex(t, orig, elf.PT_PHDR, 0)
	cases := []struct {
		name   string
		mutate func(b []byte) []byte
		want   Reason
		index  int
	}{
		{"truncated to one page", func(b []byte) []byte { return b[:4096] }, ErrOutsideFile, text},
		{"truncated header", func(b []byte) []byte { return b[:63] }, ErrTruncated, -1},
		{"text writable", func(b []byte) []byte { patchPhdr(b, text, 4, pfR|pfW|pfX, 4); return b }, ErrWriteExec, text},
		{"data executable", func(b []byte) []byte { patchPhdr(b, data, 4, pfR|pfW|pfX, 4); return b }, ErrWriteExec, data},
		{"executable stack", func(b []byte) []byte { patchPhdr(b, stack, 4, pfR|pfW|pfX, 4); return b }, ErrExecStack, stack},
		{"PT_PHDR becomes PT_INTERP", func(b []byte) []byte { patchPhdr(b, phdr, 0, ptInterp, 4); return b }, ErrDynamic, phdr},
		{"ET_DYN", func(b []byte) []byte { b[16] = etDyn; return b }, ErrDynamic, -1},
		{"entry outside text", func(b []byte) []byte {
			f, _ := elf.NewFile(bytes.NewReader(b))
			le64(b[24:], f.Progs[data].Vaddr)
			return b
		}, ErrBadEntry, -1},
		{"bss to 2 GiB", func(b []byte) []byte { patchPhdr(b, data, 40, 2<<30, 8); return b }, ErrTooLarge, data},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.mutate(bytes.Clone(orig))
			expectError(t, b, c.want, c.index)
		})
	}
}

func le64(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

func expectError(t *testing.T, image []byte, want Reason, index int) {
	t.Helper()
	exe, err := Parse(image)
	if err == nil {
		t.Fatalf("Parse accepted: %+v", exe)
	}
	if exe != nil {
		t.Errorf("Parse returned an Executable with an error")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if e.Reason != want || e.Index != index {
		t.Fatalf("Parse = %v (reason %d, index %d), want %v at index %d", err, e.Reason, e.Index, want, index)
	}
	if !errors.Is(err, want) {
		t.Fatalf("errors.Is(%v, %v) = false", err, want)
	}
	for r := Reason(1); r < reasonEnd; r++ {
		if r != want && errors.Is(err, r) {
			t.Fatalf("errors.Is(%v, %v) = true", err, r)
		}
	}
}

// TestParseRejects hits every rule of Parse with a one-change mutation of a valid file.
func TestParseRejects(t *testing.T) {
	type mut = func(s *spec)
	cases := []struct {
		name  string
		base  func() *spec
		m     mut
		raw   func(b []byte) []byte // applied after bytes(), if set
		want  Reason
		index int
	}{
		{"empty file", minimalSpec, nil, func(b []byte) []byte { return nil }, ErrTruncated, -1},
		{"63 bytes", minimalSpec, nil, func(b []byte) []byte { return b[:63] }, ErrTruncated, -1},
		{"magic", minimalSpec, func(s *spec) { s.ident[1] = 'X' }, nil, ErrBadMagic, -1},
		{"magic byte 0", minimalSpec, func(s *spec) { s.ident[0] = 0x7e }, nil, ErrBadMagic, -1},
		{"ELFCLASS32", minimalSpec, func(s *spec) { s.ident[4] = 1 }, nil, ErrBadClass, -1},
		{"ELFCLASSNONE", minimalSpec, func(s *spec) { s.ident[4] = 0 }, nil, ErrBadClass, -1},
		{"big-endian", minimalSpec, func(s *spec) { s.ident[5] = 2 }, nil, ErrBadData, -1},
		{"EI_VERSION 0", minimalSpec, func(s *spec) { s.ident[6] = 0 }, nil, ErrBadVersion, -1},
		{"e_version 2", minimalSpec, func(s *spec) { s.version = 2 }, nil, ErrBadVersion, -1},
		{"FreeBSD OS ABI", minimalSpec, func(s *spec) { s.ident[7] = 9 }, nil, ErrBadOSABI, -1},
		{"i386", minimalSpec, func(s *spec) { s.machine = 3 }, nil, ErrBadMachine, -1},
		{"aarch64", minimalSpec, func(s *spec) { s.machine = 183 }, nil, ErrBadMachine, -1},
		{"ET_DYN", minimalSpec, func(s *spec) { s.typ = etDyn }, nil, ErrDynamic, -1},
		{"ET_REL", minimalSpec, func(s *spec) { s.typ = 1 }, nil, ErrBadType, -1},
		{"ET_CORE", minimalSpec, func(s *spec) { s.typ = 4 }, nil, ErrBadType, -1},
		{"e_ehsize 52", minimalSpec, func(s *spec) { s.ehsize = 52 }, nil, ErrBadHeaderSize, -1},
		{"e_phentsize 32", minimalSpec, func(s *spec) { s.phentsize = 32 }, nil, ErrBadPhentsize, -1},
		{"e_phentsize 64", minimalSpec, func(s *spec) { s.phentsize = 64 }, nil, ErrBadPhentsize, -1},
		{"e_phnum 0", minimalSpec, func(s *spec) { s.phnum = 0 }, nil, ErrNoPhdrs, -1},
		{"e_phnum 65", minimalSpec, func(s *spec) { s.phnum = 65 }, nil, ErrTooManyPhdrs, -1},
		{"e_phnum PN_XNUM", minimalSpec, func(s *spec) { s.phnum = 0xffff }, nil, ErrTooManyPhdrs, -1},
		{"e_phoff past end", minimalSpec, func(s *spec) { s.phoff = 0x140 }, nil, ErrPhdrsOutOfBounds, -1},
		{"e_phoff table crosses end", minimalSpec, func(s *spec) { s.phoff = 0x140 - 3*PhdrSize }, nil, ErrPhdrsOutOfBounds, -1},
		{"e_phoff wraps", minimalSpec, func(s *spec) { s.phoff = ^uint64(0) - 8 }, nil, ErrPhdrsOutOfBounds, -1},
		{"e_phnum beyond table", minimalSpec, func(s *spec) { s.phnum = 6 }, nil, ErrPhdrsOutOfBounds, -1},
		{"PT_INTERP", minimalSpec, func(s *spec) { s.phdrs[3].typ = ptInterp }, nil, ErrDynamic, 3},
		{"PT_DYNAMIC", minimalSpec, func(s *spec) { s.phdrs[3].typ = ptDynamic }, nil, ErrDynamic, 3},
		{"PT_SHLIB", minimalSpec, func(s *spec) { s.phdrs[3].typ = ptShlib }, nil, ErrBadSegmentType, 3},
		{"filesz > memsz", minimalSpec, func(s *spec) { s.phdrs[2].memsz = 0xf }, nil, ErrFileszExceedsMemsz, 2},
		{"empty PT_LOAD", minimalSpec, func(s *spec) { s.phdrs[2].filesz, s.phdrs[2].memsz = 0, 0 }, nil, ErrEmptySegment, 2},
		{"contents past end", minimalSpec, func(s *spec) { s.phdrs[2].filesz = 0x11 }, nil, ErrOutsideFile, 2},
		{"offset past end", minimalSpec, func(s *spec) { s.phdrs[2].off, s.phdrs[2].vaddr = 0x1140, 0x402140 }, nil, ErrOutsideFile, 2},
		{"offset+filesz wraps", minimalSpec, func(s *spec) {
			s.phdrs[2].off, s.phdrs[2].vaddr, s.phdrs[2].filesz = ^uint64(0)-0xfff+0x130, 0x401130, 0x2000
		}, nil, ErrOutsideFile, 2},
		{"vaddr+memsz wraps", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = ^uint64(0) - 0xfff + 0x130 }, nil, ErrAddressOverflow, 2},
		{"kernel half", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = 0xffffffff80001130 }, nil, ErrNotUserAddress, 2},
		{"crosses UserLimit", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = UserLimit - 0x1000 + 0x130 }, nil, ErrNotUserAddress, 2},
		{"non-canonical", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = UserLimit + 0x130 }, nil, ErrNotUserAddress, 2},
		{"below MinVaddr", minimalSpec, func(s *spec) {
			s.phdrs[1].vaddr, s.phdrs[0].vaddr, s.entry = 0x1000, 0x1040, 0x1120
		}, nil, ErrVaddrTooLow, 1},
		{"at address 0", minimalSpec, func(s *spec) { s.phdrs[1].vaddr = 0 }, nil, ErrVaddrTooLow, 1},
		{"align 3", minimalSpec, func(s *spec) { s.phdrs[2].align = 3 }, nil, ErrBadAlign, 2},
		{"align 0x1800", minimalSpec, func(s *spec) { s.phdrs[2].align = 0x1800 }, nil, ErrBadAlign, 2},
		{"vaddr not congruent to offset", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = 0x401138 }, nil, ErrIncongruent, 2},
		{"congruent mod page, not mod 2 MiB align", minimalSpec, func(s *spec) { s.phdrs[2].align = 0x200000 }, nil, ErrIncongruent, 2},
		{"text W+X", minimalSpec, func(s *spec) { s.phdrs[1].flags = pfR | pfW | pfX }, nil, ErrWriteExec, 1},
		{"data W+X", minimalSpec, func(s *spec) { s.phdrs[2].flags = pfW | pfX }, nil, ErrWriteExec, 2},
		{"loads descending", minimalSpec, func(s *spec) { s.phdrs[1], s.phdrs[2] = s.phdrs[2], s.phdrs[1] }, nil, ErrSegmentOrder, 2},
		{"loads share a page", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = 0x400130 + 0x1000 - 0x1000 }, nil, ErrOverlap, 2},
		{"bss reaches next segment's page", richSpec, func(s *spec) { s.phdrs[3].memsz = 0x1000 }, nil, ErrOverlap, 4},
		{"same vaddr", minimalSpec, func(s *spec) { s.phdrs[2].vaddr, s.phdrs[2].off = 0x400000, 0 }, nil, ErrOverlap, 2},
		{"more than 1 GiB", minimalSpec, func(s *spec) { s.phdrs[2].memsz = 1 << 30 }, nil, ErrTooLarge, 2},
		{"exactly 1 GiB plus text", minimalSpec, func(s *spec) { s.phdrs[2].memsz = 1<<30 - 0x130 }, nil, ErrTooLarge, 2},
		{"executable stack", minimalSpec, func(s *spec) { s.phdrs[3].flags = pfR | pfW | pfX }, nil, ErrExecStack, 3},
		{"two PT_GNU_STACK", richSpec, func(s *spec) { s.phdrs[1] = s.phdrs[6] }, nil, ErrDuplicateSegment, 6},
		{"two PT_PHDR", minimalSpec, func(s *spec) { s.phdrs[3] = s.phdrs[0] }, nil, ErrDuplicateSegment, 3},
		{"two PT_TLS", richSpec, func(s *spec) { s.phdrs[1] = s.phdrs[5] }, nil, ErrDuplicateSegment, 5},
		{"PT_PHDR after PT_LOAD", minimalSpec, func(s *spec) { s.phdrs[0], s.phdrs[1] = s.phdrs[1], s.phdrs[0] }, nil, ErrBadPhdrSegment, 1},
		{"PT_PHDR offset is not e_phoff", minimalSpec, func(s *spec) { s.phdrs[0].off = 0x48 }, nil, ErrBadPhdrSegment, 0},
		{"PT_PHDR too small", minimalSpec, func(s *spec) { s.phdrs[0].filesz = 3 * PhdrSize }, nil, ErrBadPhdrSegment, 0},
		{"PT_PHDR memsz < filesz", minimalSpec, func(s *spec) { s.phdrs[0].memsz = 1 }, nil, ErrBadPhdrSegment, 0},
		{"PT_PHDR vaddr wrong", minimalSpec, func(s *spec) { s.phdrs[0].vaddr = 0x400048 }, nil, ErrBadPhdrSegment, 0},
		{"PT_PHDR not loaded", minimalSpec, func(s *spec) {
			s.phdrs[1].off, s.phdrs[1].vaddr, s.phdrs[1].filesz, s.phdrs[1].memsz = 0x120, 0x400120, 0x10, 0x10
		}, nil, ErrPhdrNotLoaded, 0},
		{"table not loaded, no PT_PHDR", minimalSpec, func(s *spec) {
			s.phdrs[0].typ = 0
			s.phdrs[1].off, s.phdrs[1].vaddr, s.phdrs[1].filesz, s.phdrs[1].memsz = 0x120, 0x400120, 0x10, 0x10
		}, nil, ErrPhdrNotLoaded, -1},
		{"table in bss only", minimalSpec, func(s *spec) {
			s.phdrs[0].typ = 0
			s.phdrs[1].filesz = 0x60
		}, nil, ErrBadEntry, -1}, // entry check comes first; see next case
		{"table half loaded", minimalSpec, func(s *spec) {
			s.phdrs[0].typ = 0
			s.phdrs[1].filesz, s.entry = 0x60, 0x400050
		}, nil, ErrPhdrNotLoaded, -1},
		{"no PT_LOAD", minimalSpec, func(s *spec) { s.phdrs[1].typ, s.phdrs[2].typ = 4, 4 }, nil, ErrNoLoad, -1},
		{"entry in data", minimalSpec, func(s *spec) { s.entry = 0x401130 }, nil, ErrBadEntry, -1},
		{"entry in nothing", minimalSpec, func(s *spec) { s.entry = 0x500000 }, nil, ErrBadEntry, -1},
		{"entry 0", minimalSpec, func(s *spec) { s.entry = 0 }, nil, ErrBadEntry, -1},
		{"entry at end of text", minimalSpec, func(s *spec) { s.entry = 0x400130 }, nil, ErrBadEntry, -1},
		{"entry in text bss", minimalSpec, func(s *spec) { s.phdrs[1].memsz = 0x200; s.entry = 0x400150 }, nil, ErrBadEntry, -1},
		{"TLS outside loads", richSpec, func(s *spec) { s.phdrs[5].vaddr = 0x402100 }, nil, ErrBadTLS, 5},
		{"TLS image crosses data end", richSpec, func(s *spec) { s.phdrs[5].filesz, s.phdrs[5].memsz = 0x21, 0x40 }, nil, ErrOutsideFile, 5},
		{"TLS offset mismatch", richSpec, func(s *spec) { s.phdrs[5].off = 0x208 }, nil, ErrBadTLS, 5},
		{"TLS filesz > memsz", richSpec, func(s *spec) { s.phdrs[5].memsz = 8 }, nil, ErrFileszExceedsMemsz, 5},
		{"TLS too large", richSpec, func(s *spec) { s.phdrs[5].memsz = 2 << 30 }, nil, ErrBadTLS, 5},
		{"TLS align 24", richSpec, func(s *spec) { s.phdrs[5].align = 24 }, nil, ErrBadAlign, 5},
		{"TLS vaddr wraps", richSpec, func(s *spec) { s.phdrs[5].vaddr, s.phdrs[5].memsz = ^uint64(0)-4, 0x40 }, nil, ErrAddressOverflow, 5},
		{"tbss-only TLS outside", richSpec, func(s *spec) { s.phdrs[5].filesz, s.phdrs[5].vaddr = 0, 0x900000 }, nil, ErrBadTLS, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.base()
			if c.m != nil {
				c.m(s)
			}
			b := s.bytes()
			if c.raw != nil {
				b = c.raw(b)
			}
			expectError(t, b, c.want, c.index)
		})
	}
}

// TestParseAccepts: variations that must stay legal.
func TestParseAccepts(t *testing.T) {
	cases := []struct {
		name string
		base func() *spec
		m    func(s *spec)
	}{
		{"Linux OS ABI", minimalSpec, func(s *spec) { s.ident[7] = osabiLinux }},
		{"align 0", minimalSpec, func(s *spec) { s.phdrs[2].align = 0 }},
		{"align 1", minimalSpec, func(s *spec) { s.phdrs[2].align = 1 }},
		{"align 2 MiB, congruent", minimalSpec, func(s *spec) {
			s.phdrs[2].align, s.phdrs[2].vaddr = 0x200000, 0x600130
		}},
		{"loads on adjacent pages", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = 0x401130 }},
		{"no PT_GNU_STACK", minimalSpec, func(s *spec) { s.phdrs[3].typ = 0 }},
		{"no-access segment", richSpec, func(s *spec) { s.phdrs[3].flags = 0 }},
		{"unknown header types", minimalSpec, func(s *spec) { s.phdrs[3].typ = 0x6474e552 /* PT_GNU_RELRO */ }},
		{"64 headers", minimalSpec, func(s *spec) {
			for len(s.phdrs) < 64 {
				s.phdrs = append(s.phdrs, ph{typ: 4})
			}
			s.phnum = 64
			s.phoff = 0x200
			s.phdrs[0].off, s.phdrs[0].vaddr, s.phdrs[0].filesz, s.phdrs[0].memsz = 0x200, 0x400200, 64*PhdrSize, 64*PhdrSize
			s.phdrs[1].filesz, s.phdrs[1].memsz = 0x200+64*PhdrSize, 0x200+64*PhdrSize
			s.phdrs[2].off, s.phdrs[2].vaddr = 0x200+64*PhdrSize, 0x401000+0x200+64*PhdrSize
			s.size = 0x200 + 64*PhdrSize + 0x10
		}},
		{"tbss-only TLS", richSpec, func(s *spec) { s.phdrs[5].filesz, s.phdrs[5].off = 0, 0 }},
		{"just under 1 GiB", minimalSpec, func(s *spec) { s.phdrs[2].memsz = 1<<30 - 0x1130 }},
		{"segment ending at UserLimit", minimalSpec, func(s *spec) {
			s.phdrs[2].vaddr, s.phdrs[2].memsz = UserLimit-0x1000+0x130, 0x1000-0x130
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.base()
			c.m(s)
			mustParse(t, s.bytes())
		})
	}
}

func TestParseAllocations(t *testing.T) {
	hostile := minimalSpec()
	hostile.phnum = 0xffff
	many := minimalSpec()
	many.phdrs[2].memsz = 1 << 40
	cases := []struct {
		name  string
		image []byte
		max   float64
	}{
		{"minimal", minimalSpec().bytes(), 2}, // Executable, Segments
		{"with TLS", richSpec().bytes(), 3},   // + TLS
		{"e_phnum 65535", hostile.bytes(), 1}, // the *Error only
		{"memsz 1 TiB", many.bytes(), 1},      // the *Error only
		{"truncated", []byte("\x7fELF"), 1},   // the *Error only
		{"Go binary", goBinary(t), 2},         // Executable, Segments
	}
	for _, c := range cases {
		if n := testing.AllocsPerRun(100, func() { Parse(c.image) }); n > c.max {
			t.Errorf("%s: %v allocations, want <= %v", c.name, n, c.max)
		}
	}
}

// TestValidate holds hand-made Executables to Parse's rules.
func TestValidate(t *testing.T) {
	image := richSpec().bytes()
	size := uint64(len(image))
	good := mustParse(t, image)
	if err := good.Validate(size); err != nil {
		t.Fatal(err)
	}
	clone := func() *Executable {
		e := *good
		e.Segments = append([]Segment(nil), good.Segments...)
		tls := *good.TLS
		e.TLS = &tls
		return &e
	}
	cases := []struct {
		name  string
		m     func(e *Executable)
		size  uint64
		want  Reason
		index int
	}{
		{"no segments", func(e *Executable) { e.Segments = nil }, size, ErrNoLoad, -1},
		{"65 segments", func(e *Executable) { e.Segments = make([]Segment, 65) }, size, ErrBadSegmentCount, -1},
		{"file shrank", func(e *Executable) {}, 0x210, ErrOutsideFile, 2},
		{"W+X", func(e *Executable) { e.Segments[0].Write = true }, size, ErrWriteExec, 0},
		{"unsorted", func(e *Executable) { e.Segments[0], e.Segments[1] = e.Segments[1], e.Segments[0] }, size, ErrSegmentOrder, 1},
		{"overlap", func(e *Executable) { e.Segments[1].Memsz = 0x1000 }, size, ErrOverlap, 2},
		{"entry", func(e *Executable) { e.Entry = 0x4011e0 }, size, ErrBadEntry, -1},
		{"TLS", func(e *Executable) { e.TLS.Vaddr = 0x401000 }, size, ErrBadTLS, -1},
		{"PhEnt", func(e *Executable) { e.PhEnt = 64 }, size, ErrBadPhentsize, -1},
		{"PhNum 0", func(e *Executable) { e.PhNum = 0 }, size, ErrNoPhdrs, -1},
		{"PhNum 65", func(e *Executable) { e.PhNum = 65 }, size, ErrTooManyPhdrs, -1},
		{"PhOff", func(e *Executable) { e.PhOff = size }, size, ErrPhdrsOutOfBounds, -1},
		{"PhdrAddr", func(e *Executable) { e.PhdrAddr += 8 }, size, ErrBadPhdrSegment, -1},
		{"PhOff not loaded", func(e *Executable) { e.PhOff = 0x1e0; e.PhNum = 1 }, size, ErrPhdrNotLoaded, -1},
		{"Brk", func(e *Executable) { e.Brk += PageSize }, size, ErrBrk, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := clone()
			c.m(e)
			err := e.Validate(c.size)
			var ve *Error
			if !errors.As(err, &ve) || ve.Reason != c.want || ve.Index != c.index {
				t.Fatalf("Validate = %v, want %v at %d", err, c.want, c.index)
			}
			if c.index >= 0 && !strings.Contains(err.Error(), "segment ") {
				t.Errorf("message %q does not name the segment", err)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	seen := map[string]Reason{}
	for r := Reason(1); r < reasonEnd; r++ {
		s := r.String()
		if s == "" || strings.HasPrefix(s, "Reason(") {
			t.Errorf("reason %d has no text", r)
		}
		if o, dup := seen[s]; dup {
			t.Errorf("reasons %d and %d share the text %q", o, r, s)
		}
		seen[s] = r
		if r.Error() != "elfexec: "+s {
			t.Errorf("Error() = %q", r.Error())
		}
	}
	if got := Reason(200).String(); got != "Reason(200)" {
		t.Errorf("unknown reason = %q", got)
	}
	err := error(&Error{Reason: ErrOverlap, Index: 3})
	if got := err.Error(); got != "elfexec: program header 3: PT_LOAD segments share a page" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Reason: ErrBadMagic, Index: -1}).Error(); got != "elfexec: not an ELF file (bad magic)" {
		t.Errorf("Error() = %q", got)
	}
}

func TestSegmentHelpers(t *testing.T) {
	image := minimalSpec().bytes()
	s := Segment{Vaddr: 0x401130, Memsz: 0x2000, Offset: 0x130, Filesz: 0x10}
	if got := s.FileBytes(image); !bytes.Equal(got, image[0x130:0x140]) || cap(got) != 0x10 {
		t.Errorf("FileBytes = %x (cap %d)", got, cap(got))
	}
	for _, bad := range []Segment{{Offset: 0x141}, {Offset: 0x130, Filesz: 0x11}, {Offset: ^uint64(0), Filesz: 2}} {
		if got := bad.FileBytes(image); got != nil {
			t.Errorf("FileBytes(%+v) = %x, want nil", bad, got)
		}
	}
	for addr, want := range map[uint64]bool{0x40112f: false, 0x401130: true, 0x40312f: true, 0x403130: false} {
		if s.Contains(addr) != want {
			t.Errorf("Contains(%#x) = %v", addr, !want)
		}
	}
	if a, b := (Segment{Vaddr: 0x400000, Memsz: 0x1000}).Pages(); a != 0x400000 || b != 0x401000 {
		t.Errorf("Pages = %#x %#x", a, b)
	}
}
