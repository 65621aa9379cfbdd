package elfexec

import (
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodedStack is an initial stack read back the way a C runtime or the Go runtime reads
// it: from sp upwards.
type decodedStack struct {
	argv, envp []string
	auxv       map[uint64]uint64
	auxOrder   []uint64
	random     []byte
	platform   string
}

// region is a byte range of the image that one item owns.
type region struct {
	name       string
	start, end uint64
}

// decodeStack decodes an image BuildStack returned, failing the test on any pointer
// outside [sp, top), a missing terminator, misalignment or two items sharing bytes.
func decodeStack(t testing.TB, sp uint64, image []byte) decodedStack {
	t.Helper()
	top := sp + uint64(len(image))
	if sp%16 != 0 {
		t.Fatalf("sp %#x not 16-byte aligned", sp)
	}
	if top%PageSize != 0 {
		t.Fatalf("top %#x not page-aligned", top)
	}
	var regions []region
	word := func(addr uint64) uint64 {
		t.Helper()
		if addr < sp || addr+8 > top || addr+8 < addr {
			t.Fatalf("word at %#x outside [%#x, %#x)", addr, sp, top)
		}
		return binary.LittleEndian.Uint64(image[addr-sp:])
	}
	cstring := func(name string, addr uint64) string {
		t.Helper()
		if addr < sp || addr >= top {
			t.Fatalf("%s pointer %#x outside [%#x, %#x)", name, addr, sp, top)
		}
		rest := image[addr-sp:]
		n := 0
		for n < len(rest) && rest[n] != 0 {
			n++
		}
		if n == len(rest) {
			t.Fatalf("%s at %#x has no NUL before top", name, addr)
		}
		regions = append(regions, region{name, addr, addr + uint64(n) + 1})
		return string(rest[:n])
	}
	var d decodedStack
	at := sp
	argc := word(at)
	at += 8
	if argc > uint64(len(image))/8 {
		t.Fatalf("argc %d impossible", argc)
	}
	for i := uint64(0); i < argc; i++ {
		d.argv = append(d.argv, cstring("argv", word(at)))
		at += 8
	}
	if word(at) != 0 {
		t.Fatalf("argv not NULL-terminated")
	}
	at += 8
	for {
		p := word(at)
		at += 8
		if p == 0 {
			break
		}
		d.envp = append(d.envp, cstring("envp", p))
	}
	d.auxv = map[uint64]uint64{}
	for {
		typ, val := word(at), word(at+8)
		at += 16
		d.auxOrder = append(d.auxOrder, typ)
		if typ == AT_NULL {
			if val != 0 {
				t.Errorf("AT_NULL value %#x", val)
			}
			break
		}
		if _, dup := d.auxv[typ]; dup {
			t.Errorf("auxv type %d twice", typ)
		}
		d.auxv[typ] = val
	}
	regions = append(regions, region{"words", sp, at})
	if r, ok := d.auxv[AT_RANDOM]; ok {
		if r < sp || r+16 > top {
			t.Fatalf("AT_RANDOM %#x outside the stack", r)
		}
		if r%16 != 0 {
			t.Errorf("AT_RANDOM %#x not 16-byte aligned", r)
		}
		d.random = image[r-sp : r-sp+16]
		regions = append(regions, region{"random", r, r + 16})
	}
	if p, ok := d.auxv[AT_PLATFORM]; ok {
		d.platform = cstring("platform", p)
	}
	if word(top-8) != 0 {
		t.Errorf("end marker not zero")
	}
	regions = append(regions, region{"end marker", top - 8, top})
	// Every byte belongs to exactly one item or is zero padding.
	owned := make([]bool, len(image))
	for _, r := range regions {
		for a := r.start; a < r.end; a++ {
			owned[a-sp] = true
		}
	}
	for i, o := range owned {
		if !o && image[i] != 0 {
			t.Errorf("stray byte %#x at %#x", image[i], sp+uint64(i))
		}
	}
	for i, a := range regions {
		for _, b := range regions[i+1:] {
			if a.start < b.end && b.start < a.end {
				t.Errorf("%s [%#x,%#x) overlaps %s [%#x,%#x)", a.name, a.start, a.end, b.name, b.start, b.end)
			}
		}
	}
	return d
}

func testExe(t testing.TB) *Executable {
	t.Helper()
	exe, err := Parse(richSpec().bytes())
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func TestBuildStack(t *testing.T) {
	exe := testExe(t)
	random := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	const top = 0x7fff_ffff_f000
	cases := []struct {
		name       string
		argv, envp []string
		platform   string
	}{
		{"typical", []string{"/bin/hello", "-v", "world"}, []string{"HOME=/", "PATH=/bin", "GODEBUG=x=1"}, "x86_64"},
		{"no platform", []string{"hello"}, []string{"A=1"}, ""},
		{"empty", nil, nil, ""},
		{"empty strings", []string{"", "", "x"}, []string{""}, "x86_64"},
		{"utf-8", []string{"héllo", "世界"}, []string{"LANG=日本語"}, ""},
		{"many", strings.Split(strings.Repeat("arg ", 500), " "), strings.Split(strings.Repeat("K=V ", 300), " "), "x86_64"},
	}
	for _, c := range cases {
		for pad := 0; pad < 16; pad++ { // every string-length residue mod 16
			argv := append([]string(nil), c.argv...)
			if pad > 0 {
				argv = append(argv, strings.Repeat("p", pad))
			}
			sp, image, err := BuildStack(top, argv, c.envp, random, exe, c.platform)
			if err != nil {
				t.Fatalf("%s/%d: %v", c.name, pad, err)
			}
			if sp+uint64(len(image)) != top {
				t.Fatalf("%s: sp %#x + %d != top", c.name, sp, len(image))
			}
			d := decodeStack(t, sp, image)
			if !reflect.DeepEqual(nilIfEmpty(d.argv), nilIfEmpty(argv)) || !reflect.DeepEqual(nilIfEmpty(d.envp), nilIfEmpty(c.envp)) {
				t.Fatalf("%s: argv %q envp %q, want %q %q", c.name, d.argv, d.envp, argv, c.envp)
			}
			want := map[uint64]uint64{
				AT_PHDR: exe.PhdrAddr, AT_PHENT: 56, AT_PHNUM: exe.PhNum, AT_PAGESZ: 4096,
				AT_BASE: 0, AT_FLAGS: 0, AT_ENTRY: exe.Entry, AT_UID: 0, AT_EUID: 0, AT_GID: 0,
				AT_EGID: 0, AT_SECURE: 0, AT_RANDOM: d.auxv[AT_RANDOM], AT_HWCAP: 0, AT_CLKTCK: 100,
			}
			order := []uint64{AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY,
				AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP, AT_CLKTCK}
			if c.platform != "" {
				want[AT_PLATFORM] = d.auxv[AT_PLATFORM]
				order = append(order, AT_PLATFORM)
			}
			order = append(order, AT_NULL)
			if !reflect.DeepEqual(d.auxv, want) || !reflect.DeepEqual(d.auxOrder, order) {
				t.Fatalf("%s: auxv %v order %v\nwant %v order %v", c.name, d.auxv, d.auxOrder, want, order)
			}
			if string(d.random) != string(random[:]) {
				t.Fatalf("%s: random bytes %x", c.name, d.random)
			}
			if d.platform != c.platform {
				t.Fatalf("%s: platform %q", c.name, d.platform)
			}
			checkStringOrder(t, sp, image, argv, c.envp, c.platform)
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// checkStringOrder checks the documented placement: argv strings, then envp strings,
// ascending and contiguous, then the platform string, then the end marker at top.
func checkStringOrder(t *testing.T, sp uint64, image []byte, argv, envp []string, platform string) {
	t.Helper()
	var want []byte
	for _, s := range append(append([]string(nil), argv...), envp...) {
		want = append(append(want, s...), 0)
	}
	if platform != "" {
		want = append(append(want, platform...), 0)
	}
	want = append(want, make([]byte, 8)...)
	if got := image[len(image)-len(want):]; string(got) != string(want) {
		t.Fatalf("information block = %q, want %q", got, want)
	}
}

func TestBuildStackErrors(t *testing.T) {
	exe := testExe(t)
	var random [16]byte
	top := uint64(0x7fff_0000_0000)
	cases := []struct {
		name       string
		top        uint64
		argv, envp []string
		platform   string
		exe        *Executable
		want       Reason
	}{
		{"nil exe", top, nil, nil, "", nil, ErrStackNoExe},
		{"top misaligned", top + 8, nil, nil, "", exe, ErrStackTop},
		{"top above UserLimit", UserLimit + PageSize, nil, nil, "", exe, ErrStackTop},
		{"top in kernel half", 0xffff_ffff_8000_0000, nil, nil, "", exe, ErrStackTop},
		{"top 0", 0, nil, nil, "", exe, ErrStackTop},
		{"top at MinVaddr", MinVaddr, nil, nil, "", exe, ErrStackTop},
		{"stack crosses MinVaddr", MinVaddr + PageSize, []string{strings.Repeat("a", 5000)}, nil, "", exe, ErrStackTop},
		{"NUL in argv", top, []string{"a\x00b"}, nil, "", exe, ErrStackString},
		{"NUL in envp", top, nil, []string{"A=\x00"}, "", exe, ErrStackString},
		{"NUL in platform", top, nil, nil, "x86\x0064", exe, ErrStackString},
		{"one huge string", top, []string{strings.Repeat("a", MaxStackSize)}, nil, "", exe, ErrStackTooLarge},
		{"too many pointers", top, make([]string, MaxStackSize/8+1), nil, "", exe, ErrStackTooLarge},
		{"pointers and strings just over", top, make([]string, MaxStackSize/8-100), nil, "", exe, ErrStackTooLarge},
		{"overlaps text", 0x401000, nil, nil, "", exe, ErrStackOverlap},
		{"overlaps bss end", 0x406000, nil, nil, "", exe, ErrStackOverlap},
		{"stack reaches into bss page", 0x407000, []string{strings.Repeat("a", 4000)}, nil, "", exe, ErrStackOverlap},
	}
	for _, c := range cases {
		sp, image, err := BuildStack(c.top, c.argv, c.envp, random, c.exe, c.platform)
		if err != c.want || sp != 0 || image != nil {
			t.Errorf("%s: BuildStack = %#x, %d bytes, %v; want %v", c.name, sp, len(image), err, c.want)
		}
		if !errors.Is(err, c.want) {
			t.Errorf("%s: errors.Is false", c.name)
		}
	}
	// Just below the limits it works.
	if _, _, err := BuildStack(0x407000, nil, nil, random, exe, ""); err != nil {
		t.Errorf("stack right above the image: %v", err)
	}
	sp, image, err := BuildStack(top, []string{strings.Repeat("a", MaxStackSize-1024)}, nil, random, exe, "")
	if err != nil || len(image) > MaxStackSize {
		t.Fatalf("large stack: %v (%d bytes)", err, len(image))
	}
	decodeStack(t, sp, image)
}

func TestBuildStackGoBinary(t *testing.T) {
	exe, err := Parse(goBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	sp, image, err := BuildStack(UserLimit-PageSize, []string{"hello"}, []string{"HOME=/"}, [16]byte{9: 9}, exe, "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	d := decodeStack(t, sp, image)
	if d.auxv[AT_PHDR] != exe.PhdrAddr || d.auxv[AT_ENTRY] != exe.Entry || d.auxv[AT_PHNUM] != exe.PhNum {
		t.Fatalf("auxv %v vs %+v", d.auxv, exe)
	}
}

func TestBuildStackAllocations(t *testing.T) {
	exe := testExe(t)
	argv, envp := []string{"a", "b"}, []string{"C=d"}
	n := testing.AllocsPerRun(100, func() {
		BuildStack(0x7fff_0000_0000, argv, envp, [16]byte{}, exe, "x86_64")
	})
	if n > 1 {
		t.Errorf("BuildStack: %v allocations, want 1 (the image)", n)
	}
}
