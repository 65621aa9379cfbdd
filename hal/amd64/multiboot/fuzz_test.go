package multiboot

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

// FuzzParse feeds arbitrary memory images to Parse as Multiboot 1 (mb2 false) or
// Multiboot 2 (mb2 true) information located at physical address 0, so that every
// pointer inside the image is an offset into it. It asserts that Parse does not panic,
// returns either an Info or an error, and that every Info satisfies checkInfo.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s.mb2, s.data)
	}
	f.Fuzz(func(t *testing.T, mb2 bool, data []byte) {
		magic := Magic1
		if mb2 {
			magic = Magic2
		}
		mem := SliceMemory{Data: data}
		info, err := Parse(magic, 0, mem)
		if (info == nil) == (err == nil) {
			t.Fatalf("info %v, err %v", info, err)
		}
		if err == nil {
			checkInfo(t, info)
		}
		// The same bytes somewhere else in the address space, and read through a
		// Memory that hands out copies, must parse the same way.
		info2, err2 := Parse(magic, 0x7000, copyMemory{SliceMemory{Base: 0x7000, Data: data}})
		if mb2 && ((err == nil) != (err2 == nil) || !reflect.DeepEqual(info, info2)) {
			// Multiboot 2 information holds no pointers, so it must not care where it is.
			t.Fatalf("relocation changed the outcome: %+v, %v vs %+v, %v", info, err, info2, err2)
		}
		if err2 == nil {
			checkInfo(t, info2)
		}
	})
}

// copyMemory returns copies rather than views.
type copyMemory struct{ SliceMemory }

func (m copyMemory) Read(phys uint64, n int) ([]byte, error) {
	b, err := m.SliceMemory.Read(phys, n)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), b...), nil
}

type fuzzSeed struct {
	name string
	mb2  bool
	data []byte
}

// fuzzSeeds are the corpus seeds, also written to testdata/fuzz/FuzzParse by
// TestWriteFuzzSeeds.
func fuzzSeeds() []fuzzSeed {
	mb1Full, _ := buildMB1(0, mb1Opts{
		mem: true, lower: 639, upper: 64512,
		cmdline: ptr("console=ttyS0"), loader: ptr("GRUB"),
		mods: []mb1Mod{{0x1000, 0x2000, "init"}},
		mmap: mb1MMap(mb1Entry{20, 0, 0x9fc00, 1}, mb1Entry{20, 0x100000, 0x3f00000, 1}, mb1Entry{20, 0xf0000, 0x10000, 2}),
		fb:   &Framebuffer{Addr: 0xfd000000, Pitch: 4096, Width: 1024, Height: 768, BPP: 32, Type: FramebufferRGB}, fbColor: []byte{16, 8, 8, 8, 0, 8},
	})
	mb1Mods, _ := buildMB1(0, mb1Opts{mods: []mb1Mod{{0x100, 0x200, "a"}, {0x300, 0x300, "b c"}}})
	mb1MMapOnly, _ := buildMB1(0, mb1Opts{mmap: mb1MMap(mb1Entry{24, 0x1000, 0x9000, 1}, mb1Entry{20, 0x3000, 0x1000, 4})})
	mb1Minimal := []byte{1, 0, 0, 0, 0x7f, 2, 0, 0, 0, 0xfc, 0, 0}
	mb2Small := buildMB2(
		mb2Tag(tagCmdline, cstr("x")),
		mb2MMapTag(24, 0, mb2Entry{0, 0x9fc00, 1}, mb2Entry{0x100000, 0x100000, 1}, mb2Entry{0x180000, 0x1000, 2}),
		mb2Tag(tagModule, append(u32s(0x10, 0x20), cstr("m")...)),
		mb2Tag(tagBasicMem, u32s(639, 1024)),
	)
	mb2FB := buildMB2(
		mb2FBTag(Framebuffer{Addr: 0xb8000, Pitch: 160, Width: 80, Height: 25, BPP: 16, Type: FramebufferRGB}, []byte{11, 5, 5, 6, 0, 5}),
		mb2Tag(tagACPIOld, append([]byte("RSD PTR "), make([]byte, 12)...)),
		mb2Tag(tagLoaderName, cstr("limine")),
	)
	return []fuzzSeed{
		{"mb1-full", false, mb1Full.data},
		{"mb1-modules", false, mb1Mods.data},
		{"mb1-mmap", false, mb1MMapOnly.data},
		{"mb1-minimal", false, mb1Minimal},
		{"mb2-full", true, mb2Full()},
		{"mb2-small", true, mb2Small},
		{"mb2-framebuffer-acpi", true, mb2FB},
		{"mb2-empty", true, buildMB2()},
	}
}

// TestWriteFuzzSeeds regenerates testdata/fuzz/FuzzParse from fuzzSeeds when
// SKYSCOPE_WRITE_FUZZ_SEEDS=1; otherwise it checks that every seed file exists.
func TestWriteFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	for _, s := range fuzzSeeds() {
		path := filepath.Join(dir, "seed-"+s.name)
		if os.Getenv("SKYSCOPE_WRITE_FUZZ_SEEDS") != "1" {
			if _, err := os.Stat(path); err != nil {
				t.Errorf("missing corpus seed: %v", err)
			}
			continue
		}
		body := fmt.Sprintf("go test fuzz v1\nbool(%v)\n[]byte(%s)\n", s.mb2, strconv.Quote(string(s.data)))
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
