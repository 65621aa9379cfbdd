package elfexec

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// checkInvariants checks, without Validate, everything Parse promises about an accepted
// file. It reads the program headers itself as a second opinion.
func checkInvariants(t testing.TB, exe *Executable, image []byte) {
	t.Helper()
	size := uint64(len(image))
	if exe.Validate(size) != nil {
		t.Fatalf("Validate(accepted) = %v", exe.Validate(size))
	}
	if n := len(exe.Segments); n < 1 || n > MaxPhdrs {
		t.Fatalf("%d segments", n)
	}
	var total, prevEnd uint64
	for i, s := range exe.Segments {
		if s.Memsz == 0 || s.Filesz > s.Memsz {
			t.Fatalf("segment %d: filesz %#x memsz %#x", i, s.Filesz, s.Memsz)
		}
		if s.Offset > size || s.Filesz > size-s.Offset {
			t.Fatalf("segment %d: [%#x,+%#x) outside a %d-byte file", i, s.Offset, s.Filesz, size)
		}
		if s.Vaddr < MinVaddr || s.Vaddr > UserLimit || s.Memsz > UserLimit-s.Vaddr {
			t.Fatalf("segment %d: [%#x,+%#x) outside user space", i, s.Vaddr, s.Memsz)
		}
		if s.Write && s.Exec {
			t.Fatalf("segment %d: W+X", i)
		}
		if s.Vaddr%PageSize != s.Offset%PageSize {
			t.Fatalf("segment %d: vaddr %#x offset %#x incongruent", i, s.Vaddr, s.Offset)
		}
		start, end := s.Pages()
		if start%PageSize != 0 || end%PageSize != 0 || start > s.Vaddr || end < s.Vaddr+s.Memsz || end-start > s.Memsz+2*PageSize {
			t.Fatalf("segment %d: Pages [%#x,%#x) wrong for %+v", i, start, end, s)
		}
		if i > 0 && start < prevEnd {
			t.Fatalf("segment %d starts at page %#x before the previous ends at %#x", i, start, prevEnd)
		}
		prevEnd = end
		total += end - start
		if got := s.FileBytes(image); uint64(len(got)) != s.Filesz || (s.Filesz > 0 && &got[0] != &image[s.Offset]) {
			t.Fatalf("segment %d: FileBytes wrong", i)
		}
	}
	if total > MaxImageSize || total != exe.MappedSize() {
		t.Fatalf("mapped %#x, MappedSize %#x", total, exe.MappedSize())
	}
	if exe.Brk != prevEnd {
		t.Fatalf("Brk %#x, last segment ends at %#x", exe.Brk, prevEnd)
	}
	inExec := false
	for _, s := range exe.Segments {
		if s.Exec && exe.Entry >= s.Vaddr && exe.Entry < s.Vaddr+s.Filesz {
			inExec = true
		}
	}
	if !inExec {
		t.Fatalf("entry %#x not in executable file-backed code", exe.Entry)
	}
	if exe.PhEnt != PhdrSize || exe.PhNum < 1 || exe.PhNum > MaxPhdrs {
		t.Fatalf("PhEnt %d PhNum %d", exe.PhEnt, exe.PhNum)
	}
	if off, ok := fileOffsetOf(exe, exe.PhdrAddr); !ok || off != exe.PhOff {
		t.Fatalf("PhdrAddr %#x is file offset %#x (%v), e_phoff %#x", exe.PhdrAddr, off, ok, exe.PhOff)
	}
	if end, ok := fileOffsetOf(exe, exe.PhdrAddr+exe.PhNum*PhdrSize-1); !ok || end != exe.PhOff+exe.PhNum*PhdrSize-1 {
		t.Fatalf("program header table not wholly loaded")
	}
	if tls := exe.TLS; tls != nil {
		if tls.Filesz > tls.Memsz || tls.Memsz > MaxImageSize || tls.Align&(tls.Align-1) != 0 {
			t.Fatalf("TLS %+v", tls)
		}
		if tls.Filesz > 0 {
			first, ok1 := fileOffsetOf(exe, tls.Vaddr)
			last, ok2 := fileOffsetOf(exe, tls.Vaddr+tls.Filesz-1)
			if !ok1 || !ok2 || first != tls.Offset || last != tls.Offset+tls.Filesz-1 {
				t.Fatalf("TLS image %+v not loaded from its file bytes", tls)
			}
		}
	}

	// Second opinion: a plain reading of the raw program headers.
	le := binary.LittleEndian
	if le.Uint16(image[16:]) != etExec || le.Uint16(image[18:]) != emX86_64 || le.Uint64(image[24:]) != exe.Entry {
		t.Fatalf("header disagrees")
	}
	phoff, phnum := le.Uint64(image[32:]), uint64(le.Uint16(image[56:]))
	if phoff != exe.PhOff || phnum != exe.PhNum {
		t.Fatalf("e_phoff %#x e_phnum %d, Executable says %#x %d", phoff, phnum, exe.PhOff, exe.PhNum)
	}
	var loads []Segment
	for i := uint64(0); i < phnum; i++ {
		h := image[phoff+i*56:]
		typ, flags := le.Uint32(h), le.Uint32(h[4:])
		s := Segment{Offset: le.Uint64(h[8:]), Vaddr: le.Uint64(h[16:]), Filesz: le.Uint64(h[32:]),
			Memsz: le.Uint64(h[40:]), Align: le.Uint64(h[48:]), Read: flags&4 != 0, Write: flags&2 != 0, Exec: flags&1 != 0}
		switch typ {
		case 1:
			loads = append(loads, s)
		case 2, 3, 5:
			t.Fatalf("accepted a file with program header type %d", typ)
		case 7:
			if exe.TLS == nil || *exe.TLS != s {
				t.Fatalf("TLS %+v, header says %+v", exe.TLS, s)
			}
		case 0x6474e551:
			if flags&1 != 0 || !exe.GNUStack {
				t.Fatalf("PT_GNU_STACK flags %#x, GNUStack %v", flags, exe.GNUStack)
			}
		}
	}
	if !reflect.DeepEqual(loads, exe.Segments) {
		t.Fatalf("Segments %+v, headers say %+v", exe.Segments, loads)
	}
}

// parseMeasured runs Parse and fails if it allocated more than its documented bound:
// three objects and MaxPhdrs segments' worth of bytes (plus slack for size classes),
// whatever the file claims. Stray allocations by other goroutines can only add, so a
// violation is retried before it counts.
func parseMeasured(t *testing.T, data []byte) (*Executable, error) {
	const maxMallocs = 3
	maxBytes := uint64(MaxPhdrs)*uint64(reflect.TypeFor[Segment]().Size()) + 1024
	var exe *Executable
	var err error
	var mallocs, bytes uint64
	for try := 0; try < 3; try++ {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		exe, err = Parse(data)
		runtime.ReadMemStats(&after)
		mallocs, bytes = after.Mallocs-before.Mallocs, after.TotalAlloc-before.TotalAlloc
		if mallocs <= maxMallocs && bytes <= maxBytes {
			return exe, err
		}
	}
	t.Fatalf("Parse allocated %d objects, %d bytes (limits %d, %d); err %v", mallocs, bytes, maxMallocs, maxBytes, err)
	return nil, nil
}

func FuzzParse(f *testing.F) {
	// The corpus in testdata/fuzz/FuzzParse holds the seeds checked by TestFuzzSeeds;
	// these are added on top so the fuzzer always starts from the current builders.
	for _, s := range []*spec{minimalSpec(), richSpec()} {
		f.Add(s.bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		exe, err := parseMeasured(t, data)
		if err != nil {
			var e *Error
			if exe != nil || !errors.As(err, &e) || e.Reason == 0 || e.Reason >= ErrBrk {
				t.Fatalf("Parse = %v, %v", exe, err)
			}
			if e.Index < -1 || e.Index >= MaxPhdrs {
				t.Fatalf("error index %d", e.Index)
			}
			return
		}
		checkInvariants(t, exe, data)
		again, err := Parse(data)
		if err != nil || !reflect.DeepEqual(exe, again) {
			t.Fatalf("Parse not deterministic")
		}
		// The oracle, when it can read the file at all.
		if f, err := elf.NewFile(bytes.NewReader(data)); err == nil {
			if f.Entry != exe.Entry || f.Type != elf.ET_EXEC {
				t.Fatalf("debug/elf: entry %#x type %v", f.Entry, f.Type)
			}
			i := 0
			for _, p := range f.Progs {
				if p.Type != elf.PT_LOAD {
					continue
				}
				s := exe.Segments[i]
				if p.Vaddr != s.Vaddr || p.Memsz != s.Memsz || p.Off != s.Offset || p.Filesz != s.Filesz ||
					(p.Flags&elf.PF_W != 0) != s.Write || (p.Flags&elf.PF_X != 0) != s.Exec {
					t.Fatalf("debug/elf PT_LOAD %d = %+v, Parse %+v", i, p.ProgHeader, s)
				}
				i++
			}
			if i != len(exe.Segments) {
				t.Fatalf("debug/elf sees %d PT_LOADs, Parse %d", i, len(exe.Segments))
			}
		}
		// Whatever Parse accepts, BuildStack can start.
		top := exe.Brk + 16*PageSize
		if top > UserLimit {
			top = exe.Segments[0].Vaddr &^ (PageSize - 1)
		}
		sp, image, err := BuildStack(top, []string{"prog", "arg"}, []string{"K=V"}, [16]byte{1}, exe, "x86_64")
		if err != nil {
			if top >= MinVaddr+MaxStackSize {
				t.Fatalf("BuildStack(top %#x): %v", top, err)
			}
			return
		}
		d := decodeStack(t, sp, image)
		if d.auxv[AT_PHDR] != exe.PhdrAddr || d.auxv[AT_ENTRY] != exe.Entry {
			t.Fatalf("auxv %v", d.auxv)
		}
	})
}

// FuzzBuildStack builds stacks from arbitrary strings and tops and decodes them.
func FuzzBuildStack(f *testing.F) {
	f.Add(uint64(0x7fff_ffff_f000), "prog\x01-v", "HOME=/\x01PATH=/bin", "x86_64", []byte("0123456789abcdef"))
	f.Add(uint64(0x20000), "", "", "", []byte{})
	f.Add(uint64(0x7fff_0000_0008), "a", "b", "c", []byte{1})
	f.Add(uint64(0x400000), "a\x00", "", "", []byte{1})
	exe, err := Parse(richSpec().bytes())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, top uint64, args, env, platform string, rnd []byte) {
		argv, envp := split(args), split(env)
		var random [16]byte
		copy(random[:], rnd)
		sp, image, err := BuildStack(top, argv, envp, random, exe, platform)
		if err != nil {
			if _, ok := err.(Reason); !ok || sp != 0 || image != nil {
				t.Fatalf("BuildStack = %#x, %d bytes, %v", sp, len(image), err)
			}
			return
		}
		if len(image) > MaxStackSize || sp+uint64(len(image)) != top || sp < MinVaddr || top > UserLimit {
			t.Fatalf("sp %#x, %d bytes, top %#x", sp, len(image), top)
		}
		d := decodeStack(t, sp, image)
		if !reflect.DeepEqual(nilIfEmpty(d.argv), nilIfEmpty(argv)) || !reflect.DeepEqual(nilIfEmpty(d.envp), nilIfEmpty(envp)) ||
			d.platform != platform || string(d.random) != string(random[:]) {
			t.Fatalf("decoded %+v", d)
		}
	})
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x01")
}

// seedExpect is what each file in testdata/fuzz/FuzzParse must do: parse (0) or fail
// with the Reason. TestFuzzSeeds keeps the corpus honest; with ELFEXEC_WRITE_SEEDS=1 it
// rewrites it from the builders below.
var seedExpect = map[string]Reason{
	"valid-minimal":            0,
	"valid-rich":               0,
	"valid-no-pt-phdr":         0,
	"real-go-header-truncated": ErrOutsideFile,
	"real-go-ehdr-only":        ErrPhdrsOutOfBounds,
	"mut-wx-text":              ErrWriteExec,
	"mut-overlap":              ErrOverlap,
	"mut-phnum-pn-xnum":        ErrTooManyPhdrs,
	"mut-interp":               ErrDynamic,
	"mut-entry-in-data":        ErrBadEntry,
	"mut-vaddr-wraps":          ErrAddressOverflow,
	"mut-phoff-wraps":          ErrPhdrsOutOfBounds,
	"mut-exec-stack":           ErrExecStack,
	"mut-tls-outside":          ErrBadTLS,
	"mut-kernel-half":          ErrNotUserAddress,
}

func seedImages(t *testing.T) map[string][]byte {
	m := map[string][]byte{}
	mut := func(name string, base func() *spec, f func(s *spec)) {
		s := base()
		f(s)
		m[name] = s.bytes()
	}
	m["valid-minimal"] = minimalSpec().bytes()
	m["valid-rich"] = richSpec().bytes()
	mut("valid-no-pt-phdr", minimalSpec, func(s *spec) { s.phdrs[0].typ = 0 })
	real := goBinary(t)
	m["real-go-header-truncated"] = bytes.Clone(real[:512])
	m["real-go-ehdr-only"] = bytes.Clone(real[:64])
	mut("mut-wx-text", minimalSpec, func(s *spec) { s.phdrs[1].flags = pfR | pfW | pfX })
	mut("mut-overlap", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = 0x400130 })
	mut("mut-phnum-pn-xnum", minimalSpec, func(s *spec) { s.phnum = 0xffff })
	mut("mut-interp", minimalSpec, func(s *spec) { s.phdrs[3].typ = ptInterp })
	mut("mut-entry-in-data", minimalSpec, func(s *spec) { s.entry = 0x401138 })
	mut("mut-vaddr-wraps", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = ^uint64(0) - 0xfff + 0x130 })
	mut("mut-phoff-wraps", minimalSpec, func(s *spec) { s.phoff = ^uint64(0) - 0x10 })
	mut("mut-exec-stack", minimalSpec, func(s *spec) { s.phdrs[3].flags = pfR | pfW | pfX })
	mut("mut-tls-outside", richSpec, func(s *spec) { s.phdrs[5].vaddr = 0x402100 })
	mut("mut-kernel-half", minimalSpec, func(s *spec) { s.phdrs[2].vaddr = 0xffffffff80001130 })
	return m
}

func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if os.Getenv("ELFEXEC_WRITE_SEEDS") == "1" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seedImages(t) {
			content := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 8 {
		t.Fatalf("%d seeds, want at least 8", len(entries))
	}
	seen := 0
	for _, ent := range entries {
		want, known := seedExpect[ent.Name()]
		if !known {
			continue // a crasher the fuzzer added: FuzzParse itself runs it
		}
		seen++
		raw, err := os.ReadFile(filepath.Join(dir, ent.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(raw), "\n", 3)
		if len(lines) < 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") || !strings.HasSuffix(lines[1], ")") {
			t.Fatalf("%s: not a go test fuzz v1 []byte file", ent.Name())
		}
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
		if err != nil {
			t.Fatalf("%s: %v", ent.Name(), err)
		}
		exe, err := Parse([]byte(s))
		switch {
		case want == 0 && err != nil:
			t.Errorf("%s: %v, want success", ent.Name(), err)
		case want == 0:
			checkInvariants(t, exe, []byte(s))
		case !errors.Is(err, want):
			t.Errorf("%s: %v, want %v", ent.Name(), err, want)
		}
	}
	if seen != len(seedExpect) {
		t.Errorf("found %d of the %d expected seeds", seen, len(seedExpect))
	}
}
