// Package multiboot parses the boot information that a Multiboot 1 or Multiboot 2
// boot loader (GRUB, QEMU's -kernel loader, limine, ...) hands to the kernel: the
// command line, the boot loader's name, the physical memory map, boot modules, the
// framebuffer, and (Multiboot 2 only) the boot loader's copy of the ACPI RSDP.
//
// The formats are those of the Multiboot Specification version 0.6.96, §3.3 "Boot
// information format" (the 0x2BADB002 information structure, its flags word, the
// module list and the memory map whose entries' size field excludes itself), and of
// the Multiboot2 Specification version 2.0, §3.6 "Boot information format" (the
// total_size/reserved header followed by 8-byte-aligned tags: §3.6.1 basic tags
// structure, and the tags for the boot command line (1), boot loader name (2),
// modules (3), basic memory information (4), memory map (6), framebuffer info (8),
// ACPI old RSDP (14) and ACPI new RSDP (15), terminated by tag 0).
//
// The boot information is untrusted input. Parse never panics and never loops
// without bound: every length is checked against its container before use, and
// every count is capped (MaxRegions memory-map entries, MaxModules modules,
// MaxString bytes per string, MaxInfoSize bytes of Multiboot 2 information, MaxMMap
// bytes of Multiboot 1 memory map). Structural corruption (a tag overrunning the
// information, a memory-map entry too small to hold its fields, a module that ends
// before it starts) is an error; hitting a cap is recorded in Info.Warnings and the
// excess is dropped.
//
// Physical memory is reached only through the Memory interface, which package acpi
// reuses.
package multiboot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Boot loader magic values, found in EAX at kernel entry.
const (
	// Magic1 is the value a Multiboot 1 loader leaves in EAX (spec §3.2).
	Magic1 uint32 = 0x2BADB002
	// Magic2 is the value a Multiboot 2 loader leaves in EAX (Multiboot2 spec §3.3).
	Magic2 uint32 = 0x36D76289
)

// Bounds on what Parse accepts or keeps.
const (
	// MaxRegions is the most memory-map entries Parse keeps; later ones are dropped
	// with a warning.
	MaxRegions = 1024
	// MaxModules is the most boot modules Parse keeps; later ones are dropped with a
	// warning.
	MaxModules = 64
	// MaxString is the longest command line or name Parse keeps, in bytes; longer
	// strings are cut with a warning.
	MaxString = 4096
	// MaxInfoSize is the largest Multiboot 2 total_size Parse accepts.
	MaxInfoSize = 1 << 20
	// MaxMMap is the most bytes of a Multiboot 1 memory map (mmap_length) Parse
	// reads; the rest is dropped with a warning.
	MaxMMap = 64 << 10
)

// Errors returned by Parse, possibly wrapped with detail.
var (
	// ErrBadMagic means the magic value is neither Magic1 nor Magic2.
	ErrBadMagic = errors.New("multiboot: unknown boot loader magic")
	// ErrMalformed means the boot information is structurally inconsistent.
	ErrMalformed = errors.New("multiboot: malformed boot information")
)

// RegionType classifies a memory-map region. Values match the Multiboot (and BIOS
// E820) type codes.
type RegionType uint32

// Memory-map region types. Parse maps every other code to Reserved.
const (
	Available       RegionType = 1 // usable RAM
	Reserved        RegionType = 2 // not usable (includes unknown firmware types)
	ACPIReclaimable RegionType = 3 // holds ACPI tables; usable once they are consumed
	NVS             RegionType = 4 // ACPI non-volatile storage; must be preserved
	BadRAM          RegionType = 5 // defective RAM
)

// String returns a short human-readable name for t; unknown values are shown
// numerically. It never panics.
func (t RegionType) String() string {
	switch t {
	case Available:
		return "available"
	case Reserved:
		return "reserved"
	case ACPIReclaimable:
		return "ACPI reclaimable"
	case NVS:
		return "ACPI NVS"
	case BadRAM:
		return "bad RAM"
	}
	return fmt.Sprintf("RegionType(%d)", uint32(t))
}

func regionType(code uint32) RegionType {
	if code >= uint32(Available) && code <= uint32(BadRAM) {
		return RegionType(code)
	}
	return Reserved
}

// Region is one memory-map entry: Length bytes of physical memory starting at Base.
// Regions returned by Parse have Length > 0, a Type between Available and BadRAM, and
// Base+Length ≤ 2^64-1 (a region reaching past the top of the address space is cut).
type Region struct {
	Base   uint64     // first physical address
	Length uint64     // size in bytes
	Type   RegionType // what the memory may be used for
}

// End returns the exclusive end address Base+Length, saturated at 2^64-1 for regions
// not built by Parse.
func (r Region) End() uint64 {
	if r.Length > math.MaxUint64-r.Base {
		return math.MaxUint64
	}
	return r.Base + r.Length
}

// String formats r as "[base, end) type".
func (r Region) String() string {
	return fmt.Sprintf("[%#x, %#x) %v", r.Base, r.End(), r.Type)
}

// Module is a boot module the loader placed in memory: the bytes [Start, End) and the
// module's command line. Parse guarantees Start ≤ End and len(Cmdline) ≤ MaxString.
type Module struct {
	Start   uint64 // physical address of the first byte
	End     uint64 // physical address just past the last byte
	Cmdline string // the module's command line (often its file name)
}

// Framebuffer types.
const (
	FramebufferIndexed = 0 // palette-indexed colour
	FramebufferRGB     = 1 // direct RGB colour; the *Pos/*Size fields are valid
	FramebufferEGAText = 2 // EGA text mode; Width and Height are in characters
)

// Framebuffer describes the linear framebuffer the boot loader set up. The colour
// field positions and sizes are meaningful only when Type is FramebufferRGB (they are
// zero otherwise); the palette of an indexed framebuffer is not decoded.
type Framebuffer struct {
	Addr      uint64 // physical address of the first pixel
	Pitch     uint32 // bytes per row
	Width     uint32 // pixels (characters for EGA text) per row
	Height    uint32 // rows
	BPP       uint8  // bits per pixel
	Type      uint8  // FramebufferIndexed, FramebufferRGB or FramebufferEGAText
	RedPos    uint8  // bit position of the red field (RGB only)
	RedSize   uint8  // width in bits of the red field (RGB only)
	GreenPos  uint8  // bit position of the green field (RGB only)
	GreenSize uint8  // width in bits of the green field (RGB only)
	BluePos   uint8  // bit position of the blue field (RGB only)
	BlueSize  uint8  // width in bits of the blue field (RGB only)
}

// Info is the decoded boot information. Fields the boot loader did not supply are
// zero (nil for Framebuffer and RSDP, empty for the slices). Memory holds the memory
// map in the loader's order, unmerged; see Usable and AvailableRAM. If the loader gave
// no memory map, Memory is empty and only BasicLowerKiB/BasicUpperKiB describe RAM.
type Info struct {
	// Protocol is 1 or 2, the Multiboot version that produced the information.
	Protocol int
	// Cmdline is the kernel command line (at most MaxString bytes).
	Cmdline string
	// BootLoader is the boot loader's name (at most MaxString bytes).
	BootLoader string
	// Memory is the memory map (at most MaxRegions entries).
	Memory []Region
	// Modules are the boot modules (at most MaxModules).
	Modules []Module
	// Framebuffer is the framebuffer, or nil.
	Framebuffer *Framebuffer
	// RSDP is a copy of the ACPI RSDP from Multiboot 2 tag 15 (preferred) or 14, or
	// nil. Its contents are not validated here; see acpi.FindRSDP.
	RSDP []byte
	// BasicLowerKiB and BasicUpperKiB are the amounts of lower memory (from 0) and
	// upper memory (from 1 MiB) in KiB, from MB1 flag 0 or MB2 tag 4.
	BasicLowerKiB, BasicUpperKiB uint32
	// Warnings lists non-fatal oddities: data dropped at a cap, unterminated strings,
	// unexpected tag versions. It holds at most 33 entries.
	Warnings []string
}

// Parse decodes the boot information at physical address infoPhys, given the magic
// value the boot loader left in EAX. It returns an Info on success, or nil and an
// error wrapping ErrBadMagic, ErrMalformed or the Memory error. It never panics and
// reads a bounded number of bytes, whatever the information contains.
func Parse(magic uint32, infoPhys uint64, mem Memory) (*Info, error) {
	switch magic {
	case Magic1:
		return parse1(infoPhys, mem)
	case Magic2:
		return parse2(infoPhys, mem)
	}
	return nil, fmt.Errorf("%w %#x", ErrBadMagic, magic)
}

// maxWarnings bounds Info.Warnings.
const maxWarnings = 32

func (i *Info) warn(format string, args ...any) {
	switch {
	case len(i.Warnings) < maxWarnings:
		i.Warnings = append(i.Warnings, fmt.Sprintf(format, args...))
	case len(i.Warnings) == maxWarnings:
		i.Warnings = append(i.Warnings, "further warnings suppressed")
	}
}

// addRegion appends a memory-map entry, dropping empty ones and cutting one that
// would run past the top of the address space. It reports false when the cap is hit.
func (i *Info) addRegion(base, length uint64, code uint32) bool {
	if len(i.Memory) >= MaxRegions {
		i.warn("memory map has more than %d entries; the rest are ignored", MaxRegions)
		return false
	}
	if length > math.MaxUint64-base {
		length = math.MaxUint64 - base
	}
	if length == 0 {
		return true
	}
	i.Memory = append(i.Memory, Region{Base: base, Length: length, Type: regionType(code)})
	return true
}

// addModule appends a module, rejecting one that ends before it starts. It reports
// false (with a warning) when the cap is hit.
func (i *Info) addModule(start, end uint64, cmdline string) (bool, error) {
	if end < start {
		return false, fmt.Errorf("%w: module [%#x, %#x) ends before it starts", ErrMalformed, start, end)
	}
	if len(i.Modules) >= MaxModules {
		i.warn("more than %d modules; the rest are ignored", MaxModules)
		return false, nil
	}
	i.Modules = append(i.Modules, Module{Start: start, End: end, Cmdline: cmdline})
	return true, nil
}

var le = binary.LittleEndian

// Multiboot 1 information structure offsets and flags (spec §3.3).
const (
	mb1Flags          = 0
	mb1MemLower       = 4
	mb1MemUpper       = 8
	mb1Cmdline        = 16
	mb1ModsCount      = 20
	mb1ModsAddr       = 24
	mb1MMapLength     = 44
	mb1MMapAddr       = 48
	mb1BootLoaderName = 64
	mb1FBAddr         = 88
	mb1FBPitch        = 96
	mb1FBWidth        = 100
	mb1FBHeight       = 104
	mb1FBBPP          = 108
	mb1FBType         = 109
	mb1FBColorInfo    = 110
	mb1Size           = 116

	mb1FlagMem         = 1 << 0
	mb1FlagCmdline     = 1 << 2
	mb1FlagMods        = 1 << 3
	mb1FlagMMap        = 1 << 6
	mb1FlagLoaderName  = 1 << 9
	mb1FlagFramebuffer = 1 << 12

	mb1ModuleSize    = 16
	mb1MMapEntryBody = 20 // base_addr, length, type: the minimum for the size field
)

func parse1(infoPhys uint64, mem Memory) (*Info, error) {
	hdr, err := ReadExact(mem, infoPhys, 4)
	if err != nil {
		return nil, fmt.Errorf("multiboot: reading info flags: %w", err)
	}
	flags := le.Uint32(hdr)
	// Read only as much of the structure as the flags say is valid: older loaders
	// supply a shorter structure when the later fields are unused.
	need := 4
	for _, f := range []struct {
		flag uint32
		end  int
	}{
		{mb1FlagMem, mb1MemUpper + 4},
		{mb1FlagCmdline, mb1Cmdline + 4},
		{mb1FlagMods, mb1ModsAddr + 4},
		{mb1FlagMMap, mb1MMapAddr + 4},
		{mb1FlagLoaderName, mb1BootLoaderName + 4},
		{mb1FlagFramebuffer, mb1Size},
	} {
		if flags&f.flag != 0 && f.end > need {
			need = f.end
		}
	}
	b, err := ReadExact(mem, infoPhys, need)
	if err != nil {
		return nil, fmt.Errorf("multiboot: reading %d-byte info structure: %w", need, err)
	}
	info := &Info{Protocol: 1}
	u32 := func(off int) uint32 { return le.Uint32(b[off:]) }

	if flags&mb1FlagMem != 0 {
		info.BasicLowerKiB, info.BasicUpperKiB = u32(mb1MemLower), u32(mb1MemUpper)
	}
	if flags&mb1FlagCmdline != 0 {
		s, cut, err := readCString(mem, uint64(u32(mb1Cmdline)), MaxString)
		if err != nil {
			return nil, fmt.Errorf("%w: command line: %v", ErrMalformed, err)
		}
		if cut {
			info.warn("command line longer than %d bytes; cut", MaxString)
		}
		info.Cmdline = s
	}
	if flags&mb1FlagLoaderName != 0 {
		s, cut, err := readCString(mem, uint64(u32(mb1BootLoaderName)), MaxString)
		if err != nil {
			return nil, fmt.Errorf("%w: boot loader name: %v", ErrMalformed, err)
		}
		if cut {
			info.warn("boot loader name longer than %d bytes; cut", MaxString)
		}
		info.BootLoader = s
	}
	if flags&mb1FlagMods != 0 {
		if err := parse1Modules(info, mem, u32(mb1ModsAddr), u32(mb1ModsCount)); err != nil {
			return nil, err
		}
	}
	if flags&mb1FlagMMap != 0 {
		if err := parse1MMap(info, mem, u32(mb1MMapAddr), u32(mb1MMapLength)); err != nil {
			return nil, err
		}
	}
	if flags&mb1FlagFramebuffer != 0 {
		fb := &Framebuffer{
			Addr:   le.Uint64(b[mb1FBAddr:]),
			Pitch:  u32(mb1FBPitch),
			Width:  u32(mb1FBWidth),
			Height: u32(mb1FBHeight),
			BPP:    b[mb1FBBPP],
			Type:   b[mb1FBType],
		}
		if fb.Type == FramebufferRGB {
			setRGB(fb, b[mb1FBColorInfo:mb1FBColorInfo+6])
		}
		info.Framebuffer = fb
	}
	return info, nil
}

func setRGB(fb *Framebuffer, c []byte) {
	fb.RedPos, fb.RedSize = c[0], c[1]
	fb.GreenPos, fb.GreenSize = c[2], c[3]
	fb.BluePos, fb.BlueSize = c[4], c[5]
}

func parse1Modules(info *Info, mem Memory, addr, count uint32) error {
	if count > MaxModules {
		info.warn("mods_count %d exceeds %d; the rest are ignored", count, MaxModules)
		count = MaxModules
	}
	if count == 0 {
		return nil
	}
	list, err := ReadExact(mem, uint64(addr), int(count)*mb1ModuleSize)
	if err != nil {
		return fmt.Errorf("%w: module list: %v", ErrMalformed, err)
	}
	for k := 0; k < int(count); k++ {
		e := list[k*mb1ModuleSize:]
		start, end, str := le.Uint32(e), le.Uint32(e[4:]), le.Uint32(e[8:])
		s, cut, err := readCString(mem, uint64(str), MaxString)
		if err != nil {
			return fmt.Errorf("%w: module %d command line: %v", ErrMalformed, k, err)
		}
		if cut {
			info.warn("module %d command line longer than %d bytes; cut", k, MaxString)
		}
		if _, err := info.addModule(uint64(start), uint64(end), s); err != nil {
			return err
		}
	}
	return nil
}

func parse1MMap(info *Info, mem Memory, addr, length uint32) error {
	n := int(length)
	if length > MaxMMap {
		info.warn("mmap_length %d exceeds %d; the rest is ignored", length, MaxMMap)
		n = MaxMMap
	}
	if n == 0 {
		return nil
	}
	buf, err := ReadExact(mem, uint64(addr), n)
	if err != nil {
		return fmt.Errorf("%w: memory map: %v", ErrMalformed, err)
	}
	off, stopped := 0, false
	for off+4 <= len(buf) {
		size := le.Uint32(buf[off:])
		if size < mb1MMapEntryBody {
			return fmt.Errorf("%w: memory map entry at offset %d has size %d < %d", ErrMalformed, off, size, mb1MMapEntryBody)
		}
		next := uint64(off) + 4 + uint64(size)
		if next > uint64(len(buf)) {
			if length > MaxMMap {
				stopped = true
				break // the entry straddles our cap, not the loader's buffer
			}
			return fmt.Errorf("%w: memory map entry at offset %d (size %d) overruns mmap_length %d", ErrMalformed, off, size, length)
		}
		e := buf[off+4:]
		if !info.addRegion(le.Uint64(e), le.Uint64(e[8:]), le.Uint32(e[16:])) {
			stopped = true
			break
		}
		off = int(next)
	}
	if !stopped && off < len(buf) {
		info.warn("%d trailing bytes after the memory map ignored", len(buf)-off)
	}
	return nil
}

// Multiboot 2 tag types (Multiboot2 spec §3.6).
const (
	tagEnd         = 0
	tagCmdline     = 1
	tagLoaderName  = 2
	tagModule      = 3
	tagBasicMem    = 4
	tagMMap        = 6
	tagFramebuffer = 8
	tagACPIOld     = 14
	tagACPINew     = 15

	tagHeader        = 8  // type and size
	mb2MinInfo       = 16 // fixed part plus an end tag
	mb2MMapEntryMin  = 24 // base_addr, length, type, reserved
	mb2FBCommonBody  = 24 // the framebuffer tag's common part after the tag header
	mb2FBRGBBody     = 30 // ... plus the six RGB field bytes
	mb2ModuleBodyMin = 8  // mod_start, mod_end
)

func parse2(infoPhys uint64, mem Memory) (*Info, error) {
	hdr, err := ReadExact(mem, infoPhys, 8)
	if err != nil {
		return nil, fmt.Errorf("multiboot: reading info header: %w", err)
	}
	total := le.Uint32(hdr)
	if total < mb2MinInfo || total > MaxInfoSize {
		return nil, fmt.Errorf("%w: total_size %d outside [%d, %d]", ErrMalformed, total, mb2MinInfo, MaxInfoSize)
	}
	b, err := ReadExact(mem, infoPhys, int(total))
	if err != nil {
		return nil, fmt.Errorf("multiboot: reading %d-byte info: %w", total, err)
	}
	info := &Info{Protocol: 2}
	haveNewRSDP := false
	off := 8
	for {
		if off+tagHeader > len(b) {
			return nil, fmt.Errorf("%w: no end tag within total_size %d", ErrMalformed, total)
		}
		typ, size := le.Uint32(b[off:]), le.Uint32(b[off+4:])
		if size < tagHeader {
			return nil, fmt.Errorf("%w: tag %d at offset %d has size %d < 8", ErrMalformed, typ, off, size)
		}
		if uint64(size) > uint64(len(b)-off) {
			return nil, fmt.Errorf("%w: tag %d at offset %d (size %d) overruns total_size %d", ErrMalformed, typ, off, size, total)
		}
		body := b[off+tagHeader : off+int(size)]
		switch typ {
		case tagEnd:
			return info, nil
		case tagCmdline:
			s, cut := cString(body, MaxString)
			if cut {
				info.warn("command line longer than %d bytes; cut", MaxString)
			}
			info.Cmdline = s
		case tagLoaderName:
			s, cut := cString(body, MaxString)
			if cut {
				info.warn("boot loader name longer than %d bytes; cut", MaxString)
			}
			info.BootLoader = s
		case tagModule:
			if len(body) < mb2ModuleBodyMin {
				return nil, fmt.Errorf("%w: module tag at offset %d has size %d", ErrMalformed, off, size)
			}
			s, cut := cString(body[8:], MaxString)
			if cut {
				info.warn("module command line longer than %d bytes; cut", MaxString)
			}
			if _, err := info.addModule(uint64(le.Uint32(body)), uint64(le.Uint32(body[4:])), s); err != nil {
				return nil, err
			}
		case tagBasicMem:
			if len(body) < 8 {
				return nil, fmt.Errorf("%w: basic memory tag at offset %d has size %d", ErrMalformed, off, size)
			}
			info.BasicLowerKiB, info.BasicUpperKiB = le.Uint32(body), le.Uint32(body[4:])
		case tagMMap:
			if err := parse2MMap(info, body, off); err != nil {
				return nil, err
			}
		case tagFramebuffer:
			if len(body) < mb2FBCommonBody {
				return nil, fmt.Errorf("%w: framebuffer tag at offset %d has size %d", ErrMalformed, off, size)
			}
			fb := &Framebuffer{
				Addr:   le.Uint64(body),
				Pitch:  le.Uint32(body[8:]),
				Width:  le.Uint32(body[12:]),
				Height: le.Uint32(body[16:]),
				BPP:    body[20],
				Type:   body[21],
			}
			if fb.Type == FramebufferRGB {
				if len(body) < mb2FBRGBBody {
					return nil, fmt.Errorf("%w: RGB framebuffer tag at offset %d has size %d, too small for colour info", ErrMalformed, off, size)
				}
				setRGB(fb, body[24:30])
			}
			info.Framebuffer = fb
		case tagACPIOld, tagACPINew:
			if typ == tagACPINew || !haveNewRSDP {
				info.RSDP = append([]byte(nil), body...)
				haveNewRSDP = typ == tagACPINew
			}
		}
		// Tags start 8-byte aligned; size excludes the padding.
		off += (int(size) + 7) &^ 7
	}
}

func parse2MMap(info *Info, body []byte, off int) error {
	if len(body) < 8 {
		return fmt.Errorf("%w: memory map tag at offset %d too short", ErrMalformed, off)
	}
	entrySize, version := le.Uint32(body), le.Uint32(body[4:])
	if entrySize < mb2MMapEntryMin {
		return fmt.Errorf("%w: memory map entry_size %d < %d", ErrMalformed, entrySize, mb2MMapEntryMin)
	}
	if version != 0 {
		info.warn("memory map entry_version %d (expected 0); decoding the version-0 prefix", version)
	}
	entries := body[8:]
	if uint64(len(entries))%uint64(entrySize) != 0 {
		info.warn("memory map tag has %d trailing bytes", uint64(len(entries))%uint64(entrySize))
	}
	for p := uint64(0); p+uint64(entrySize) <= uint64(len(entries)); p += uint64(entrySize) {
		e := entries[p:]
		if !info.addRegion(le.Uint64(e), le.Uint64(e[8:]), le.Uint32(e[16:])) {
			break
		}
	}
	return nil
}
