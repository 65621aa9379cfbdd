package multiboot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
)

// image is a growable physical-memory image starting at base, for building boot
// information by hand.
type image struct {
	base uint64
	data []byte
}

func newImage(base uint64) *image { return &image{base: base} }

// add appends p at the next 16-byte-aligned address and returns that address.
func (m *image) add(p []byte) uint64 {
	for len(m.data)%16 != 0 {
		m.data = append(m.data, 0)
	}
	at := m.base + uint64(len(m.data))
	m.data = append(m.data, p...)
	return at
}

// str adds a NUL-terminated string and returns its address as a 32-bit pointer.
func (m *image) str(s string) uint32 { return uint32(m.add(append([]byte(s), 0))) }

func (m *image) at(phys uint64) []byte { return m.data[phys-m.base:] }

func (m *image) mem() SliceMemory { return SliceMemory{Base: m.base, Data: m.data} }

func put32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func put64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }

// mb1Entry is one Multiboot 1 memory-map entry with an explicit size field.
type mb1Entry struct {
	size         uint32
	base, length uint64
	typ          uint32
}

func mb1MMap(es ...mb1Entry) []byte {
	var out []byte
	for _, e := range es {
		b := make([]byte, 4+int(e.size))
		put32(b, 0, e.size)
		put64(b, 4, e.base)
		put64(b, 12, e.length)
		put32(b, 20, e.typ)
		out = append(out, b...)
	}
	return out
}

type mb1Mod struct {
	start, end uint32
	cmdline    string
}

// mb1Opts describes a Multiboot 1 information structure to build; zero fields are
// left out (their flag clear).
type mb1Opts struct {
	lower, upper uint32
	mem          bool
	cmdline      *string
	loader       *string
	mods         []mb1Mod
	mmap         []byte
	fb           *Framebuffer
	fbColor      []byte // six bytes of colour info, raw
}

func ptr(s string) *string { return &s }

// buildMB1 lays out an MB1 information structure at base and returns the image and
// the structure's address.
func buildMB1(base uint64, o mb1Opts) (*image, uint64) {
	m := newImage(base)
	infoAt := m.add(make([]byte, mb1Size))
	var flags uint32
	set := func(off int, v uint32) { put32(m.at(infoAt), off, v) }
	if o.mem {
		flags |= mb1FlagMem
		set(mb1MemLower, o.lower)
		set(mb1MemUpper, o.upper)
	}
	if o.cmdline != nil {
		flags |= mb1FlagCmdline
		set(mb1Cmdline, m.str(*o.cmdline))
	}
	if o.loader != nil {
		flags |= mb1FlagLoaderName
		set(mb1BootLoaderName, m.str(*o.loader))
	}
	if o.mods != nil {
		flags |= mb1FlagMods
		list := make([]byte, 16*len(o.mods))
		for k, md := range o.mods {
			put32(list, 16*k, md.start)
			put32(list, 16*k+4, md.end)
			put32(list, 16*k+8, m.str(md.cmdline))
		}
		set(mb1ModsCount, uint32(len(o.mods)))
		set(mb1ModsAddr, uint32(m.add(list)))
	}
	if o.mmap != nil {
		flags |= mb1FlagMMap
		set(mb1MMapLength, uint32(len(o.mmap)))
		set(mb1MMapAddr, uint32(m.add(o.mmap)))
	}
	if o.fb != nil {
		flags |= mb1FlagFramebuffer
		b := m.at(infoAt)
		put64(b, mb1FBAddr, o.fb.Addr)
		put32(b, mb1FBPitch, o.fb.Pitch)
		put32(b, mb1FBWidth, o.fb.Width)
		put32(b, mb1FBHeight, o.fb.Height)
		b[mb1FBBPP] = o.fb.BPP
		b[mb1FBType] = o.fb.Type
		copy(b[mb1FBColorInfo:], o.fbColor)
	}
	set(mb1Flags, flags)
	return m, infoAt
}

// mb2Tag encodes one Multiboot 2 tag (header, body); padding is added by buildMB2.
func mb2Tag(typ uint32, body []byte) []byte {
	b := make([]byte, 8, 8+len(body))
	put32(b, 0, typ)
	put32(b, 4, uint32(8+len(body)))
	return append(b, body...)
}

func u32s(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for k, v := range vs {
		put32(b, 4*k, v)
	}
	return b
}

type mb2Entry struct {
	base, length uint64
	typ          uint32
}

func mb2MMapTag(entrySize, version uint32, es ...mb2Entry) []byte {
	body := u32s(entrySize, version)
	for _, e := range es {
		b := make([]byte, max(entrySize, 24))
		put64(b, 0, e.base)
		put64(b, 8, e.length)
		put32(b, 16, e.typ)
		body = append(body, b[:entrySize]...)
	}
	return mb2Tag(tagMMap, body)
}

func mb2FBTag(fb Framebuffer, color []byte) []byte {
	body := make([]byte, 24)
	put64(body, 0, fb.Addr)
	put32(body, 8, fb.Pitch)
	put32(body, 12, fb.Width)
	put32(body, 16, fb.Height)
	body[20] = fb.BPP
	body[21] = fb.Type
	return mb2Tag(tagFramebuffer, append(body, color...))
}

func cstr(s string) []byte { return append([]byte(s), 0) }

// buildMB2 concatenates tags (8-byte aligned) after the fixed part, appends an end
// tag, and fills in total_size.
func buildMB2(tags ...[]byte) []byte {
	b := make([]byte, 8)
	for _, t := range append(tags, mb2Tag(tagEnd, nil)) {
		b = append(b, t...)
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
	}
	put32(b, 0, uint32(len(b)))
	return b
}

// checkInfo asserts the invariants Parse promises for any successful result.
func checkInfo(t testing.TB, info *Info) {
	t.Helper()
	if info.Protocol != 1 && info.Protocol != 2 {
		t.Fatalf("Protocol = %d", info.Protocol)
	}
	if len(info.Memory) > MaxRegions {
		t.Fatalf("%d regions > MaxRegions", len(info.Memory))
	}
	for _, r := range info.Memory {
		if r.Length == 0 || r.Length > math.MaxUint64-r.Base || r.Type < Available || r.Type > BadRAM {
			t.Fatalf("inconsistent region %+v", r)
		}
	}
	if len(info.Modules) > MaxModules {
		t.Fatalf("%d modules > MaxModules", len(info.Modules))
	}
	for _, md := range info.Modules {
		if md.Start > md.End || len(md.Cmdline) > MaxString {
			t.Fatalf("inconsistent module %+v", md)
		}
	}
	if len(info.Cmdline) > MaxString || len(info.BootLoader) > MaxString {
		t.Fatalf("string over MaxString")
	}
	if len(info.Warnings) > maxWarnings+1 {
		t.Fatalf("%d warnings", len(info.Warnings))
	}
	us := info.Usable()
	var sum uint64
	for k, u := range us {
		if u.Type != Available || u.Length == 0 || u.Base%PageSize != 0 || u.Length%PageSize != 0 {
			t.Fatalf("bad usable region %+v", u)
		}
		if k > 0 && us[k-1].End() >= u.Base {
			t.Fatalf("usable regions not sorted/disjoint/separated: %v then %v", us[k-1], u)
		}
		for _, r := range info.Memory {
			overlap := r.Base < u.End() && u.Base < r.End()
			if r.Type != Available && overlap {
				t.Fatalf("usable %v overlaps %v", u, r)
			}
		}
		sum += u.Length
	}
	if a := info.AvailableRAM(); sum > a {
		t.Fatalf("usable %d > available %d", sum, a)
	}
}

func mustParse(t *testing.T, magic uint32, at uint64, mem Memory) *Info {
	t.Helper()
	info, err := Parse(magic, at, mem)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checkInfo(t, info)
	return info
}

func TestMB1Full(t *testing.T) {
	mmap := mb1MMap(
		mb1Entry{20, 0, 0x9fc00, 1},
		mb1Entry{20, 0x9fc00, 0x400, 2},
		mb1Entry{24, 0x100000, 0x7ee0000, 1}, // larger size field: extra bytes skipped
		mb1Entry{20, 0x7fe0000, 0x20000, 3},
		mb1Entry{20, 0xfffc0000, 0x40000, 4},
		mb1Entry{20, 0x200000000, 0x1000, 5},
		mb1Entry{20, 0x300000000, 0x1000, 9}, // unknown type
	)
	m, at := buildMB1(0x10000, mb1Opts{
		mem: true, lower: 639, upper: 130048,
		cmdline: ptr("console=ttyS0 debug"),
		loader:  ptr("GRUB 0.97"),
		mods:    []mb1Mod{{0x200000, 0x201000, "init.elf arg"}, {0x300000, 0x300000, ""}},
		mmap:    mmap,
		fb:      &Framebuffer{Addr: 0xfd000000, Pitch: 4096, Width: 1024, Height: 768, BPP: 32, Type: FramebufferRGB},
		fbColor: []byte{16, 8, 8, 8, 0, 8},
	})
	info := mustParse(t, Magic1, at, m.mem())
	want := &Info{
		Protocol:   1,
		Cmdline:    "console=ttyS0 debug",
		BootLoader: "GRUB 0.97",
		Memory: []Region{
			{0, 0x9fc00, Available},
			{0x9fc00, 0x400, Reserved},
			{0x100000, 0x7ee0000, Available},
			{0x7fe0000, 0x20000, ACPIReclaimable},
			{0xfffc0000, 0x40000, NVS},
			{0x200000000, 0x1000, BadRAM},
			{0x300000000, 0x1000, Reserved},
		},
		Modules: []Module{{0x200000, 0x201000, "init.elf arg"}, {0x300000, 0x300000, ""}},
		Framebuffer: &Framebuffer{Addr: 0xfd000000, Pitch: 4096, Width: 1024, Height: 768, BPP: 32, Type: FramebufferRGB,
			RedPos: 16, RedSize: 8, GreenPos: 8, GreenSize: 8, BluePos: 0, BlueSize: 8},
		BasicLowerKiB: 639,
		BasicUpperKiB: 130048,
	}
	if !reflect.DeepEqual(info, want) {
		t.Fatalf("got  %+v\nwant %+v", info, want)
	}
}

func TestMB1FlagsZeroReadsOnlyFlags(t *testing.T) {
	// Only the flags word is readable: nothing else must be touched.
	mem := SliceMemory{Base: 0x5000, Data: []byte{0, 0, 0, 0}}
	info := mustParse(t, Magic1, 0x5000, mem)
	if !reflect.DeepEqual(info, &Info{Protocol: 1}) {
		t.Fatalf("got %+v", info)
	}
}

func TestMB1ShortStructure(t *testing.T) {
	// Flag 0 only: a 12-byte structure at the very end of memory is enough.
	b := make([]byte, 12)
	put32(b, 0, mb1FlagMem)
	put32(b, 4, 640)
	put32(b, 8, 1024)
	info := mustParse(t, Magic1, 0, SliceMemory{Data: b})
	if info.BasicLowerKiB != 640 || info.BasicUpperKiB != 1024 {
		t.Fatalf("got %+v", info)
	}
	// Framebuffer flag needs the full 116 bytes.
	put32(b, 0, mb1FlagFramebuffer)
	if _, err := Parse(Magic1, 0, SliceMemory{Data: b}); err == nil {
		t.Fatal("short structure with framebuffer flag accepted")
	}
}

func TestMB1Framebuffers(t *testing.T) {
	for _, typ := range []uint8{FramebufferIndexed, FramebufferEGAText} {
		m, at := buildMB1(0, mb1Opts{
			fb:      &Framebuffer{Addr: 0xb8000, Pitch: 160, Width: 80, Height: 25, BPP: 16, Type: typ},
			fbColor: []byte{1, 2, 3, 4, 5, 6}, // palette data for indexed; ignored
		})
		info := mustParse(t, Magic1, at, m.mem())
		want := Framebuffer{Addr: 0xb8000, Pitch: 160, Width: 80, Height: 25, BPP: 16, Type: typ}
		if *info.Framebuffer != want {
			t.Fatalf("type %d: got %+v", typ, *info.Framebuffer)
		}
	}
}

func TestMB1StringAtEndOfMemory(t *testing.T) {
	m, at := buildMB1(0, mb1Opts{cmdline: ptr("x")})
	// Put "ok\0" in the last three bytes of memory, so a 64-byte chunk read fails.
	m.data = append(m.data, make([]byte, 61)...)
	m.data = append(m.data, 'o', 'k', 0)
	put32(m.at(at), mb1Cmdline, uint32(len(m.data)-3))
	info := mustParse(t, Magic1, at, m.mem())
	if info.Cmdline != "ok" {
		t.Fatalf("Cmdline = %q", info.Cmdline)
	}
	// Without the NUL the string runs off the end of memory: an error.
	m.data[len(m.data)-1] = 'k'
	if _, err := Parse(Magic1, at, m.mem()); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unterminated string at end of memory: err = %v", err)
	}
}

func TestMB1Caps(t *testing.T) {
	long := strings.Repeat("a", MaxString+100)
	var mods []mb1Mod
	for k := 0; k < MaxModules+5; k++ {
		mods = append(mods, mb1Mod{uint32(k) * 0x1000, uint32(k)*0x1000 + 0x10, long})
	}
	var es []mb1Entry
	for k := 0; k < 1500; k++ { // 1500*24 = 36000 bytes < MaxMMap
		es = append(es, mb1Entry{20, uint64(k) << 12, 0x1000, 1})
	}
	m, at := buildMB1(0, mb1Opts{cmdline: &long, loader: &long, mods: mods, mmap: mb1MMap(es...)})
	info := mustParse(t, Magic1, at, m.mem())
	if len(info.Cmdline) != MaxString || len(info.BootLoader) != MaxString {
		t.Fatalf("strings not cut: %d %d", len(info.Cmdline), len(info.BootLoader))
	}
	if len(info.Modules) != MaxModules || len(info.Modules[0].Cmdline) != MaxString {
		t.Fatalf("modules: %d, cmdline %d", len(info.Modules), len(info.Modules[0].Cmdline))
	}
	if len(info.Memory) != MaxRegions {
		t.Fatalf("regions: %d", len(info.Memory))
	}
	if len(info.Warnings) < 4 {
		t.Fatalf("warnings: %q", info.Warnings)
	}
	if got := info.AvailableRAM(); got != MaxRegions*0x1000 {
		t.Fatalf("AvailableRAM = %#x", got)
	}
}

func TestMB1MMapLengthCap(t *testing.T) {
	// An mmap_length beyond MaxMMap is read up to the cap; the entry straddling the
	// cap is dropped without a further warning.
	es := make([]mb1Entry, 0, 700)
	for k := 0; k < 700; k++ {
		es = append(es, mb1Entry{100, uint64(k) << 12, 0x1000, 1}) // 104 bytes each: 72800 > 64 KiB
	}
	m, at := buildMB1(0, mb1Opts{mmap: mb1MMap(es...)})
	info := mustParse(t, Magic1, at, m.mem())
	if len(info.Memory) != MaxMMap/104 || len(info.Warnings) != 1 {
		t.Fatalf("regions %d warnings %q", len(info.Memory), info.Warnings)
	}
}

func TestMB1RegionClampAndEmpty(t *testing.T) {
	m, at := buildMB1(0, mb1Opts{mmap: mb1MMap(
		mb1Entry{20, math.MaxUint64 - 0xfff, 0x10000, 1},
		mb1Entry{20, 0x1000, 0, 1},
		mb1Entry{20, 0x1000, 0x1000, 0},
	)})
	m.data = append(m.data, 1, 2) // two trailing bytes after the map are tolerated
	put32(m.at(at), mb1MMapLength, uint32(3*24+2))
	info := mustParse(t, Magic1, at, m.mem())
	want := []Region{{math.MaxUint64 - 0xfff, 0xfff, Available}, {0x1000, 0x1000, Reserved}}
	if !reflect.DeepEqual(info.Memory, want) {
		t.Fatalf("got %v", info.Memory)
	}
	if len(info.Warnings) != 1 {
		t.Fatalf("warnings %q", info.Warnings)
	}
}

func TestMB1Errors(t *testing.T) {
	good := func() (*image, uint64) {
		return buildMB1(0x1000, mb1Opts{
			cmdline: ptr("c"), loader: ptr("l"),
			mods: []mb1Mod{{0x1000, 0x2000, "m"}},
			mmap: mb1MMap(mb1Entry{20, 0, 0x1000, 1}),
		})
	}
	cases := []struct {
		name  string
		patch func(m *image, at uint64)
	}{
		{"cmdline outside memory", func(m *image, at uint64) { put32(m.at(at), mb1Cmdline, 0x10) }},
		{"loader name outside memory", func(m *image, at uint64) { put32(m.at(at), mb1BootLoaderName, 0xffffffff) }},
		{"module list outside memory", func(m *image, at uint64) { put32(m.at(at), mb1ModsAddr, 0xfffffff0) }},
		{"module string outside memory", func(m *image, at uint64) {
			put32(m.at(uint64(le.Uint32(m.at(at)[mb1ModsAddr:]))), 8, 0x20)
		}},
		{"module ends before start", func(m *image, at uint64) {
			put32(m.at(uint64(le.Uint32(m.at(at)[mb1ModsAddr:]))), 4, 0xfff)
		}},
		{"mmap outside memory", func(m *image, at uint64) { put32(m.at(at), mb1MMapAddr, 0x100) }},
		{"mmap entry size too small", func(m *image, at uint64) {
			put32(m.at(uint64(le.Uint32(m.at(at)[mb1MMapAddr:]))), 0, 19)
		}},
		{"mmap entry overruns mmap_length", func(m *image, at uint64) {
			put32(m.at(uint64(le.Uint32(m.at(at)[mb1MMapAddr:]))), 0, 0xffffffff)
		}},
		{"mmap_length past memory", func(m *image, at uint64) { put32(m.at(at), mb1MMapLength, 0x8000) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, at := good()
			mustParse(t, Magic1, at, m.mem())
			c.patch(m, at)
			if info, err := Parse(Magic1, at, m.mem()); err == nil {
				t.Fatalf("accepted: %+v", info)
			}
		})
	}
	if _, err := Parse(Magic1, 0x1000, SliceMemory{}); err == nil {
		t.Fatal("info outside memory accepted")
	}
	if _, err := Parse(Magic1, 0x1000, nil); err == nil {
		t.Fatal("nil Memory accepted")
	}
}

func TestBadMagic(t *testing.T) {
	if _, err := Parse(0x1BADB002, 0, SliceMemory{Data: make([]byte, 64)}); !errors.Is(err, ErrBadMagic) {
		t.Fatalf("err = %v", err)
	}
}

func mb2Full() []byte {
	rsdpOld := append([]byte("RSD PTR "), make([]byte, 12)...)
	rsdpNew := append([]byte("RSD PTR "), make([]byte, 28)...)
	rsdpNew[15] = 2
	return buildMB2(
		mb2Tag(tagCmdline, cstr("root=/dev/sda quiet")),
		mb2Tag(tagLoaderName, cstr("GRUB 2.12")),
		mb2Tag(tagModule, append(u32s(0x400000, 0x480000), cstr("initrd")...)),
		mb2Tag(tagModule, append(u32s(0x500000, 0x500001), cstr("")...)),
		mb2Tag(tagBasicMem, u32s(639, 523136)),
		mb2Tag(5, u32s(0x80, 0xffffffff, 0xffffffff)), // BIOS boot device: ignored
		mb2MMapTag(24, 0,
			mb2Entry{0, 0x9fc00, 1},
			mb2Entry{0x9fc00, 0x400, 2},
			mb2Entry{0xf0000, 0x10000, 2},
			mb2Entry{0x100000, 0x1ff00000, 1},
			mb2Entry{0x1ff00000, 0x100000, 3},
			mb2Entry{0xfec00000, 0x1000, 4},
			mb2Entry{0x100000000, 0x1000, 5},
			mb2Entry{0x100001000, 0x1000, 0xf00d},
		),
		mb2FBTag(Framebuffer{Addr: 0xe0000000, Pitch: 5120, Width: 1280, Height: 1024, BPP: 32, Type: FramebufferRGB},
			[]byte{16, 8, 8, 8, 0, 8}),
		mb2Tag(tagACPINew, rsdpNew),
		mb2Tag(tagACPIOld, rsdpOld), // after the new one: must not replace it
		mb2Tag(21, u32s(0x100000)),  // image load base: ignored
	)
}

func TestMB2Full(t *testing.T) {
	b := mb2Full()
	m := newImage(0x9000)
	at := m.add(b)
	info := mustParse(t, Magic2, at, m.mem())
	rsdpNew := append([]byte("RSD PTR "), make([]byte, 28)...)
	rsdpNew[15] = 2
	want := &Info{
		Protocol:   2,
		Cmdline:    "root=/dev/sda quiet",
		BootLoader: "GRUB 2.12",
		Memory: []Region{
			{0, 0x9fc00, Available},
			{0x9fc00, 0x400, Reserved},
			{0xf0000, 0x10000, Reserved},
			{0x100000, 0x1ff00000, Available},
			{0x1ff00000, 0x100000, ACPIReclaimable},
			{0xfec00000, 0x1000, NVS},
			{0x100000000, 0x1000, BadRAM},
			{0x100001000, 0x1000, Reserved},
		},
		Modules: []Module{{0x400000, 0x480000, "initrd"}, {0x500000, 0x500001, ""}},
		Framebuffer: &Framebuffer{Addr: 0xe0000000, Pitch: 5120, Width: 1280, Height: 1024, BPP: 32, Type: FramebufferRGB,
			RedPos: 16, RedSize: 8, GreenPos: 8, GreenSize: 8, BluePos: 0, BlueSize: 8},
		RSDP:          rsdpNew,
		BasicLowerKiB: 639,
		BasicUpperKiB: 523136,
	}
	if !reflect.DeepEqual(info, want) {
		t.Fatalf("got  %+v\nwant %+v", info, want)
	}
	// The RSDP is a copy, not a view of boot-loader memory.
	m.data[bytes.Index(m.data, []byte("RSD PTR "))] = 'X'
	if info.RSDP[0] != 'R' {
		t.Fatal("RSDP aliases memory")
	}
	if got, wantRAM := info.AvailableRAM(), uint64(0x9fc00+0x1ff00000); got != wantRAM {
		t.Fatalf("AvailableRAM = %#x, want %#x", got, wantRAM)
	}
	wantUsable := []Region{{0, 0x9f000, Available}, {0x100000, 0x1fe00000, Available}}
	if got := info.Usable(); !reflect.DeepEqual(got, wantUsable) {
		t.Fatalf("Usable = %v", got)
	}
}

func TestMB2OldRSDPOnlyAndTextFramebuffer(t *testing.T) {
	old := append([]byte("RSD PTR "), make([]byte, 12)...)
	b := buildMB2(
		mb2Tag(tagACPIOld, old),
		mb2FBTag(Framebuffer{Addr: 0xb8000, Pitch: 160, Width: 80, Height: 25, BPP: 16, Type: FramebufferEGAText}, nil),
		mb2Tag(tagCmdline, []byte("no terminator")),
	)
	info := mustParse(t, Magic2, 0, SliceMemory{Data: b})
	if !bytes.Equal(info.RSDP, old) {
		t.Fatalf("RSDP = %q", info.RSDP)
	}
	if info.Framebuffer.Type != FramebufferEGAText || info.Framebuffer.Width != 80 || info.Framebuffer.RedSize != 0 {
		t.Fatalf("fb = %+v", info.Framebuffer)
	}
	if info.Cmdline != "no terminator" {
		t.Fatalf("Cmdline = %q", info.Cmdline)
	}
}

func TestMB2MMapVariants(t *testing.T) {
	b := buildMB2(
		mb2MMapTag(40, 1, mb2Entry{0x1000, 0x3000, 1}, mb2Entry{0x2000, 0x1000, 2}), // bigger entries, newer version
		mb2MMapTag(24, 0, mb2Entry{0x10000, 0x800, 1}, mb2Entry{0x10800, 0x800, 1}),
		func() []byte { // 3 trailing bytes inside the tag
			tag := append(mb2MMapTag(24, 0, mb2Entry{0x20000, 0x1000, 1}), 1, 2, 3)
			put32(tag, 4, uint32(len(tag)))
			return tag
		}(),
	)
	info := mustParse(t, Magic2, 0, SliceMemory{Data: b})
	want := []Region{{0x1000, 0x3000, Available}, {0x2000, 0x1000, Reserved},
		{0x10000, 0x800, Available}, {0x10800, 0x800, Available}, {0x20000, 0x1000, Available}}
	if !reflect.DeepEqual(info.Memory, want) {
		t.Fatalf("Memory = %v", info.Memory)
	}
	if len(info.Warnings) != 2 {
		t.Fatalf("warnings %q", info.Warnings)
	}
	wantUsable := []Region{{0x1000, 0x1000, Available}, {0x3000, 0x1000, Available}, {0x10000, 0x1000, Available}, {0x20000, 0x1000, Available}}
	if got := info.Usable(); !reflect.DeepEqual(got, wantUsable) {
		t.Fatalf("Usable = %v", got)
	}
}

func TestMB2Caps(t *testing.T) {
	var tags [][]byte
	for k := 0; k < MaxModules+3; k++ {
		tags = append(tags, mb2Tag(tagModule, append(u32s(uint32(k), uint32(k)+1), cstr(strings.Repeat("m", MaxString+1))...)))
	}
	var es []mb2Entry
	for k := 0; k < MaxRegions+10; k++ {
		es = append(es, mb2Entry{uint64(k) << 12, 1 << 12, 1})
	}
	tags = append(tags, mb2MMapTag(24, 0, es...), mb2Tag(tagLoaderName, []byte(strings.Repeat("n", MaxString+1))))
	info := mustParse(t, Magic2, 0, SliceMemory{Data: buildMB2(tags...)})
	if len(info.Modules) != MaxModules || len(info.Modules[5].Cmdline) != MaxString || len(info.Memory) != MaxRegions ||
		len(info.BootLoader) != MaxString {
		t.Fatalf("modules %d regions %d loader %d", len(info.Modules), len(info.Memory), len(info.BootLoader))
	}
	if len(info.Warnings) == 0 || len(info.Warnings) > maxWarnings+1 {
		t.Fatalf("warnings: %d", len(info.Warnings))
	}
	// Very many warnings are themselves capped.
	tags = nil
	for k := 0; k < 200; k++ {
		tags = append(tags, mb2Tag(tagCmdline, []byte(strings.Repeat("c", MaxString+1))))
	}
	info = mustParse(t, Magic2, 0, SliceMemory{Data: buildMB2(tags...)})
	if len(info.Warnings) != maxWarnings+1 {
		t.Fatalf("warnings: %d", len(info.Warnings))
	}
}

func TestMB2Errors(t *testing.T) {
	cases := []struct {
		name string
		b    []byte
	}{
		{"total_size below 16", func() []byte { b := buildMB2(); put32(b, 0, 15); return b }()},
		{"total_size above 1 MiB", func() []byte {
			b := make([]byte, MaxInfoSize+16)
			copy(b, buildMB2())
			put32(b, 0, MaxInfoSize+8)
			return b
		}()},
		{"total_size past memory", func() []byte { b := buildMB2(); put32(b, 0, 64); return b }()},
		{"tag size below 8", func() []byte { b := buildMB2(mb2Tag(tagCmdline, cstr("x"))); put32(b, 12, 7); return b }()},
		{"tag overruns total_size", func() []byte { b := buildMB2(mb2Tag(tagCmdline, cstr("x"))); put32(b, 12, 100); return b }()},
		{"end tag overruns total_size", func() []byte { b := buildMB2(); put32(b, 12, 9); return b }()},
		{"no end tag", func() []byte { b := buildMB2(mb2Tag(tagCmdline, cstr("abc"))); put32(b, 0, 24); return b }()},
		{"mmap entry_size below 24", buildMB2(mb2MMapTag(16, 0, mb2Entry{0, 1, 1}))},
		{"mmap tag too short", buildMB2(mb2Tag(tagMMap, u32s(24)))},
		{"module tag too short", buildMB2(mb2Tag(tagModule, u32s(1)))},
		{"module ends before start", buildMB2(mb2Tag(tagModule, append(u32s(0x2000, 0x1000), 0)))},
		{"basic meminfo too short", buildMB2(mb2Tag(tagBasicMem, u32s(1)))},
		{"framebuffer too short", buildMB2(mb2Tag(tagFramebuffer, make([]byte, 20)))},
		{"RGB framebuffer without colour info", buildMB2(mb2FBTag(Framebuffer{Type: FramebufferRGB}, []byte{1, 2}))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if info, err := Parse(Magic2, 0, SliceMemory{Data: c.b}); err == nil {
				t.Fatalf("accepted: %+v", info)
			}
		})
	}
	if _, err := Parse(Magic2, 8, SliceMemory{Data: make([]byte, 12)}); err == nil {
		t.Fatal("header outside memory accepted")
	}
}

func TestRegionStrings(t *testing.T) {
	for typ, want := range map[RegionType]string{
		Available: "available", Reserved: "reserved", ACPIReclaimable: "ACPI reclaimable",
		NVS: "ACPI NVS", BadRAM: "bad RAM", 0: "RegionType(0)", 77: "RegionType(77)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%d: %q", uint32(typ), got)
		}
	}
	if got := (Region{0x1000, 0x2000, NVS}).String(); got != "[0x1000, 0x3000) ACPI NVS" {
		t.Errorf("Region.String = %q", got)
	}
	if got := (Region{Base: math.MaxUint64, Length: 5}).End(); got != math.MaxUint64 {
		t.Errorf("End saturates: %#x", got)
	}
}

func TestSliceMemory(t *testing.T) {
	m := SliceMemory{Base: 0x100, Data: []byte{1, 2, 3, 4}}
	if b, err := m.Read(0x101, 2); err != nil || !bytes.Equal(b, []byte{2, 3}) || cap(b) != 2 {
		t.Fatalf("Read = %v %v cap %d", b, err, cap(b))
	}
	if b, err := m.Read(0x104, 0); err != nil || len(b) != 0 {
		t.Fatalf("empty read at end: %v %v", b, err)
	}
	for _, c := range []struct {
		phys uint64
		n    int
	}{{0xff, 1}, {0x103, 2}, {0x105, 0}, {0x100, -1}, {math.MaxUint64, 2}, {0x101, math.MaxInt}} {
		if _, err := m.Read(c.phys, c.n); !errors.Is(err, ErrOutside) {
			t.Errorf("Read(%#x, %d): %v", c.phys, c.n, err)
		}
	}
	if _, err := ReadExact(m, math.MaxUint64-1, 4); !errors.Is(err, ErrOutside) {
		t.Errorf("wrapping ReadExact: %v", err)
	}
	if _, err := ReadExact(shortMemory{}, 0, 4); err == nil {
		t.Error("short Memory result accepted")
	}
}

// shortMemory is a broken Memory that returns fewer bytes than asked.
type shortMemory struct{}

func (shortMemory) Read(phys uint64, n int) ([]byte, error) { return make([]byte, n/2), nil }

func TestParseWithShortMemoryDoesNotPanic(t *testing.T) {
	for _, magic := range []uint32{Magic1, Magic2} {
		if _, err := Parse(magic, 0, shortMemory{}); err == nil {
			t.Fatalf("magic %#x: accepted", magic)
		}
	}
}

func TestUsableCases(t *testing.T) {
	A, R := Available, Reserved
	cases := []struct {
		name string
		in   []Region
		want []Region
		ram  uint64
	}{
		{"empty", nil, nil, 0},
		{"aligns inward", []Region{{0x0800, 0x2000, A}}, []Region{{0x1000, 0x1000, A}}, 0x2000},
		{"too small", []Region{{0x0800, 0x0900, A}}, nil, 0x900},
		{"merges overlapping and touching", []Region{{0x3000, 0x2000, A}, {0x0, 0x1800, A}, {0x1800, 0x1800, A}, {0x4000, 0x3000, A}},
			[]Region{{0, 0x7000, A}}, 0x7000},
		{"reserved hole", []Region{{0, 0x10000, A}, {0x4800, 0x100, R}}, []Region{{0, 0x4000, A}, {0x5000, 0xb000, A}}, 0x10000},
		{"reserved covering all", []Region{{0x1000, 0x1000, A}, {0, 0x10000, NVS}}, nil, 0x1000},
		{"unsorted with several holes", []Region{{0x20000, 0x10000, A}, {0x21000, 0x1000, ACPIReclaimable}, {0, 0x8000, A},
			{0x2f000, 0x5000, BadRAM}, {0x6fff, 2, R}},
			[]Region{{0, 0x6000, A}, {0x20000, 0x1000, A}, {0x22000, 0xd000, A}}, 0x18000},
		{"top of address space", []Region{{math.MaxUint64 - 0x2fff, 0x3000, A}},
			[]Region{{math.MaxUint64 - 0x2fff, 0x2000, A}}, 0x2fff},
		{"overflowing hand-built region", []Region{{math.MaxUint64 - 0xfff, math.MaxUint64, A}}, nil, 0xfff},
	}
	for _, c := range cases {
		info := &Info{Memory: c.in}
		if got := info.Usable(); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: Usable = %v, want %v", c.name, got, c.want)
		}
		if got := info.AvailableRAM(); got != c.ram {
			t.Errorf("%s: AvailableRAM = %#x, want %#x", c.name, got, c.ram)
		}
	}
}

// TestUsableAgainstBitmap compares Usable and AvailableRAM with a byte-by-byte model
// over a small address space, for many pseudo-random region lists.
func TestUsableAgainstBitmap(t *testing.T) {
	const space = 16 * PageSize
	seed := uint64(0x9e3779b97f4a7c15)
	next := func(n uint64) uint64 { // xorshift
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return seed % n
	}
	for iter := 0; iter < 2000; iter++ {
		var rs []Region
		for k := next(8); k > 0; k-- {
			base := next(space)
			length := next(space-base) + 1
			typ := Available
			if next(3) == 0 {
				typ = RegionType(2 + next(4))
			}
			rs = append(rs, Region{base, length, typ})
		}
		var avail, other [space]bool
		for _, r := range rs {
			for x := r.Base; x < r.End(); x++ {
				if r.Type == Available {
					avail[x] = true
				} else {
					other[x] = true
				}
			}
		}
		var ram uint64
		var wantPages []uint64
		for x := 0; x < space; x++ {
			if avail[x] {
				ram++
			}
		}
		for p := uint64(0); p < space/PageSize; p++ {
			ok := true
			for x := p * PageSize; x < (p+1)*PageSize; x++ {
				ok = ok && avail[x] && !other[x]
			}
			if ok {
				wantPages = append(wantPages, p)
			}
		}
		info := &Info{Protocol: 1, Memory: rs}
		checkInfo(t, info)
		var gotPages []uint64
		for _, u := range info.Usable() {
			for p := u.Base / PageSize; p < u.End()/PageSize; p++ {
				gotPages = append(gotPages, p)
			}
		}
		if !reflect.DeepEqual(gotPages, wantPages) {
			t.Fatalf("regions %v: usable pages %v, want %v", rs, gotPages, wantPages)
		}
		if got := info.AvailableRAM(); got != ram {
			t.Fatalf("regions %v: AvailableRAM %d, want %d", rs, got, ram)
		}
	}
}
