package elfexec

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Limits of what Parse accepts. They bound the work and memory a hostile file can cause.
const (
	// PageSize is the mapping granularity (abi.PageSize, the x86-64 base page).
	PageSize = abi.PageSize

	// PhdrSize is the size of an Elf64_Phdr; Parse requires e_phentsize to equal it.
	PhdrSize = 56

	// MaxPhdrs is the largest e_phnum Parse accepts. Go's linker writes 6 to 8 headers,
	// static C programs about 10.
	MaxPhdrs = 64

	// MinVaddr is the lowest address a segment may start at: the first 64 KiB stay
	// unmapped so that null-pointer dereferences (with small offsets) fault, as Linux's
	// default vm.mmap_min_addr does.
	MinVaddr = 0x10000

	// UserLimit is the end (exclusive) of the user half of the 48-bit x86-64 address
	// space. Every segment lies entirely below it.
	UserLimit = 1 << 47

	// MaxImageSize bounds the sum of the page spans of all PT_LOAD segments (bss
	// included), and the size of the TLS block.
	MaxImageSize = 1 << 30
)

// ELF constants, from the gABI "ELF Header" and "Program Header" sections and the psABI
// (EM_X86_64). Only the ones Parse looks at.
const (
	ehdrSize    = 64
	elfClass64  = 2
	elfData2LSB = 1
	evCurrent   = 1
	osabiNone   = 0
	osabiLinux  = 3
	emX86_64    = 62
	etExec      = 2
	etDyn       = 3

	ptLoad     = 1
	ptDynamic  = 2
	ptInterp   = 3
	ptShlib    = 5
	ptPhdr     = 6
	ptTLS      = 7
	ptGNUStack = 0x6474e551

	pfX = 1
	pfW = 2
	pfR = 4
)

// Segment is one loadable (PT_LOAD) or TLS (PT_TLS) segment: Filesz bytes at Offset in
// the file appear at Vaddr, followed by Memsz-Filesz zero bytes. In a segment that Parse
// returned, Offset+Filesz lies inside the file, Filesz <= Memsz, and for PT_LOAD segments
// [Vaddr, Vaddr+Memsz) lies inside [MinVaddr, UserLimit) and Vaddr ≡ Offset modulo
// PageSize (and modulo Align when Align > PageSize), so the file's pages can be mapped
// (or copied) page by page.
type Segment struct {
	Vaddr, Memsz   uint64
	Offset, Filesz uint64
	// Align is p_align: zero or a power of two. For PT_TLS it is the alignment the
	// thread's TLS block needs.
	Align uint64

	Read, Write, Exec bool // p_flags PF_R, PF_W, PF_X; never both Write and Exec
}

// Pages returns the page-aligned span [start, end) that the segment occupies in memory.
// For a segment that Validate accepts it cannot overflow; start < end.
func (s Segment) Pages() (start, end uint64) {
	return s.Vaddr &^ (PageSize - 1), (s.Vaddr + s.Memsz + PageSize - 1) &^ (PageSize - 1)
}

// Contains reports whether addr lies in [Vaddr, Vaddr+Memsz).
func (s Segment) Contains(addr uint64) bool { return addr >= s.Vaddr && addr-s.Vaddr < s.Memsz }

// FileBytes returns the segment's file contents, image[Offset:Offset+Filesz], sharing
// image's memory. It returns nil if that range is not inside image, so it never panics.
func (s Segment) FileBytes(image []byte) []byte {
	size := uint64(len(image))
	if s.Offset > size || size-s.Offset < s.Filesz {
		return nil
	}
	return image[s.Offset : s.Offset+s.Filesz : s.Offset+s.Filesz]
}

// Executable is a parsed static executable: what a loader needs to map it and start it.
// Parse returns only Executables that Validate accepts for the file they came from.
type Executable struct {
	// Entry is e_entry; it lies in the file-backed part of an executable segment.
	Entry uint64

	// Segments are the PT_LOAD segments in ascending address order. No two share a page,
	// none is both writable and executable, and their page spans add up to at most
	// MaxImageSize. There are between 1 and MaxPhdrs of them.
	Segments []Segment

	// PhdrAddr is the address of the program header table in the loaded image (for
	// AT_PHDR): PT_PHDR's p_vaddr if there is one, otherwise computed from the PT_LOAD
	// that maps the file bytes at PhOff. Either way a segment maps the table's file
	// bytes at exactly this address.
	PhdrAddr uint64
	// PhOff is e_phoff, the file offset of the program header table.
	PhOff uint64
	// PhEnt (always PhdrSize) and PhNum (1 to MaxPhdrs) are e_phentsize and e_phnum, for
	// AT_PHENT and AT_PHNUM.
	PhEnt, PhNum uint64

	// TLS is the PT_TLS segment, or nil if there is none (the usual case for Go
	// programs). Its initialisation image [Vaddr, Vaddr+Filesz) lies inside the
	// file-backed part of a PT_LOAD at the matching file offset; its Memsz is at most
	// MaxImageSize and its Align is zero or a power of two.
	TLS *Segment

	// Brk is the initial program break: the page-aligned end of the last (highest)
	// segment.
	Brk uint64

	// GNUStack reports that a PT_GNU_STACK header was present. Parse refuses one that
	// asks for an executable stack, so the stack is never executable either way.
	GNUStack bool
}

// MappedSize returns the sum of the page spans of the segments: the memory the image
// occupies once loaded, bss included.
func (e *Executable) MappedSize() uint64 {
	var total uint64
	for _, s := range e.Segments {
		start, end := s.Pages()
		total += end - start
	}
	return total
}

// Parse checks that image is a static x86-64 Linux executable that Skyscope can load
// and describes it. It never panics, never trusts a count or offset from the file, and
// allocates at most three small objects however large the counts the file claims; it
// keeps no reference to image.
//
// It checks the file header first, then each program header's type (dynamic-linking
// headers, duplicates, PT_PHDR's place and contents, PT_GNU_STACK), then the segments
// with Validate's rules. A refusal is an *Error; its Index is the program header at
// fault (or -1 for the file header and whole-file rules such as the entry point).
func Parse(image []byte) (*Executable, error) {
	le := binary.LittleEndian
	size := uint64(len(image))
	if size < ehdrSize {
		return nil, fail(ErrTruncated, -1)
	}
	if image[0] != 0x7f || image[1] != 'E' || image[2] != 'L' || image[3] != 'F' {
		return nil, fail(ErrBadMagic, -1)
	}
	if image[4] != elfClass64 {
		return nil, fail(ErrBadClass, -1)
	}
	if image[5] != elfData2LSB {
		return nil, fail(ErrBadData, -1)
	}
	if image[6] != evCurrent || le.Uint32(image[20:]) != evCurrent {
		return nil, fail(ErrBadVersion, -1)
	}
	if image[7] != osabiNone && image[7] != osabiLinux {
		return nil, fail(ErrBadOSABI, -1)
	}
	if le.Uint16(image[18:]) != emX86_64 {
		return nil, fail(ErrBadMachine, -1)
	}
	switch le.Uint16(image[16:]) {
	case etExec:
	case etDyn:
		return nil, fail(ErrDynamic, -1)
	default:
		return nil, fail(ErrBadType, -1)
	}
	if le.Uint16(image[52:]) != ehdrSize {
		return nil, fail(ErrBadHeaderSize, -1)
	}
	if le.Uint16(image[54:]) != PhdrSize {
		return nil, fail(ErrBadPhentsize, -1)
	}
	phnum := uint64(le.Uint16(image[56:]))
	if phnum == 0 {
		return nil, fail(ErrNoPhdrs, -1)
	}
	if phnum > MaxPhdrs {
		return nil, fail(ErrTooManyPhdrs, -1)
	}
	phoff := le.Uint64(image[32:])
	tableSize := phnum * PhdrSize // at most 64*56: no overflow
	if phoff > size || size-phoff < tableSize {
		return nil, fail(ErrPhdrsOutOfBounds, -1)
	}

	// Everything is gathered on the stack; the heap sees only the final result.
	var (
		loads    [MaxPhdrs]Segment
		loadIdx  [MaxPhdrs]uint8 // program header index of each load
		n        int
		tls      Segment
		tlsIdx   = -1
		phdrIdx  = -1
		phdrAddr uint64
		gnuStack bool
	)
	table := image[phoff : phoff+tableSize]
	for i := 0; i < int(phnum); i++ {
		h := table[i*PhdrSize : (i+1)*PhdrSize]
		flags := le.Uint32(h[4:])
		s := Segment{
			Offset: le.Uint64(h[8:]),
			Vaddr:  le.Uint64(h[16:]),
			Filesz: le.Uint64(h[32:]),
			Memsz:  le.Uint64(h[40:]),
			Align:  le.Uint64(h[48:]),
			Read:   flags&pfR != 0,
			Write:  flags&pfW != 0,
			Exec:   flags&pfX != 0,
		}
		switch le.Uint32(h[0:]) {
		case ptInterp, ptDynamic:
			return nil, fail(ErrDynamic, i)
		case ptShlib:
			return nil, fail(ErrBadSegmentType, i)
		case ptLoad:
			loads[n], loadIdx[n] = s, uint8(i)
			n++
		case ptPhdr:
			switch {
			case phdrIdx >= 0:
				return nil, fail(ErrDuplicateSegment, i)
			case n > 0: // gABI: "it must precede any loadable segment entry"
				return nil, fail(ErrBadPhdrSegment, i)
			case s.Offset != phoff || s.Filesz < tableSize || s.Memsz < s.Filesz:
				return nil, fail(ErrBadPhdrSegment, i)
			}
			phdrIdx, phdrAddr = i, s.Vaddr
		case ptTLS:
			if tlsIdx >= 0 {
				return nil, fail(ErrDuplicateSegment, i)
			}
			tls, tlsIdx = s, i
		case ptGNUStack:
			if gnuStack {
				return nil, fail(ErrDuplicateSegment, i)
			}
			if s.Exec {
				return nil, fail(ErrExecStack, i)
			}
			gnuStack = true
		}
		// Other types (PT_NULL, PT_NOTE, PT_GNU_PROPERTY, PT_GNU_RELRO, OS- and
		// processor-specific ones) do not change how the image is loaded.
	}

	cand := Executable{
		Entry:    le.Uint64(image[24:]),
		Segments: loads[:n],
		PhOff:    phoff,
		PhEnt:    PhdrSize,
		PhNum:    phnum,
		GNUStack: gnuStack,
	}
	if tlsIdx >= 0 {
		cand.TLS = &tls
	}
	if n > 0 {
		if phdrIdx >= 0 {
			cand.PhdrAddr = phdrAddr
		} else if seg := fileCover(cand.Segments, phoff, tableSize); seg >= 0 {
			s := cand.Segments[seg]
			cand.PhdrAddr = s.Vaddr + (phoff - s.Offset)
		}
		_, cand.Brk = cand.Segments[n-1].Pages()
	}
	if r, where := cand.validate(size); r != 0 {
		index := -1
		switch {
		case where >= 0:
			index = int(loadIdx[where])
		case where == whereTLS:
			index = tlsIdx
		case where == wherePhdr:
			index = phdrIdx
		}
		return nil, fail(r, index)
	}

	// Copy field by field: copying cand whole would let its pointers into this stack
	// frame escape, and move loads and tls to the heap.
	e := &Executable{
		Entry:    cand.Entry,
		Segments: make([]Segment, n),
		PhdrAddr: cand.PhdrAddr,
		PhOff:    cand.PhOff,
		PhEnt:    cand.PhEnt,
		PhNum:    cand.PhNum,
		Brk:      cand.Brk,
		GNUStack: cand.GNUStack,
	}
	copy(e.Segments, loads[:n])
	if tlsIdx >= 0 {
		t := tls
		e.TLS = &t
	}
	return e, nil
}

// Validate checks every guarantee documented on Executable and Segment against a file
// of fileSize bytes: the rules Parse applies to segments, the entry point, the TLS
// segment, the program header table and the program break. It lets a caller that built
// or changed an Executable by hand hold it to the same standard as Parse's results. A
// refusal is an *Error whose Index is the segment at fault, or -1.
func (e *Executable) Validate(fileSize uint64) error {
	if r, where := e.validate(fileSize); r != 0 {
		if where < 0 {
			where = -1
		}
		return &Error{Reason: r, Index: where, segment: where >= 0}
	}
	return nil
}

const (
	whereFile = -1 // the whole file (entry point, program break, counts)
	whereTLS  = -2 // the PT_TLS segment
	wherePhdr = -3 // the program header table (PT_PHDR)
)

// validate returns the first rule e breaks (0 if none) and where: a segment index or
// one of the where constants. It does not allocate.
func (e *Executable) validate(fileSize uint64) (Reason, int) {
	segs := e.Segments
	if len(segs) == 0 {
		return ErrNoLoad, whereFile
	}
	if len(segs) > MaxPhdrs {
		return ErrBadSegmentCount, whereFile
	}
	var total uint64
	for i, s := range segs {
		if r := checkLoad(s, fileSize); r != 0 {
			return r, i
		}
		start, end := s.Pages()
		if i > 0 {
			prev := segs[i-1]
			if s.Vaddr < prev.Vaddr {
				return ErrSegmentOrder, i
			}
			if _, prevEnd := prev.Pages(); start < prevEnd {
				return ErrOverlap, i
			}
		}
		total += end - start // each term < 2^47, at most 64 terms: no overflow
		if total > MaxImageSize {
			return ErrTooLarge, i
		}
	}
	if !entryOK(segs, e.Entry) {
		return ErrBadEntry, whereFile
	}
	if e.TLS != nil {
		if r := checkTLS(segs, *e.TLS, fileSize); r != 0 {
			return r, whereTLS
		}
	}
	if e.PhEnt != PhdrSize {
		return ErrBadPhentsize, whereFile
	}
	if e.PhNum == 0 {
		return ErrNoPhdrs, whereFile
	}
	if e.PhNum > MaxPhdrs {
		return ErrTooManyPhdrs, whereFile
	}
	tableSize := e.PhNum * PhdrSize
	if e.PhOff > fileSize || fileSize-e.PhOff < tableSize {
		return ErrPhdrsOutOfBounds, whereFile
	}
	if fileCover(segs, e.PhOff, tableSize) < 0 {
		return ErrPhdrNotLoaded, wherePhdr
	}
	if !mapsAt(segs, e.PhOff, tableSize, e.PhdrAddr) {
		return ErrBadPhdrSegment, wherePhdr
	}
	if _, end := segs[len(segs)-1].Pages(); e.Brk != end {
		return ErrBrk, whereFile
	}
	return 0, 0
}

// checkLoad checks one PT_LOAD segment on its own, against a file of fileSize bytes.
func checkLoad(s Segment, fileSize uint64) Reason {
	switch {
	case s.Filesz > s.Memsz:
		return ErrFileszExceedsMemsz
	case s.Memsz == 0:
		return ErrEmptySegment
	case s.Offset > fileSize || fileSize-s.Offset < s.Filesz:
		return ErrOutsideFile
	case s.Vaddr+s.Memsz < s.Vaddr:
		return ErrAddressOverflow
	case s.Vaddr+s.Memsz > UserLimit:
		return ErrNotUserAddress
	case s.Vaddr < MinVaddr:
		return ErrVaddrTooLow
	case s.Align&(s.Align-1) != 0:
		return ErrBadAlign
	case s.Vaddr%PageSize != s.Offset%PageSize:
		return ErrIncongruent
	case s.Align > PageSize && s.Vaddr&(s.Align-1) != s.Offset&(s.Align-1):
		return ErrIncongruent
	case s.Write && s.Exec:
		return ErrWriteExec
	}
	return 0
}

// checkTLS checks the PT_TLS segment against the file and the loaded segments.
func checkTLS(segs []Segment, t Segment, fileSize uint64) Reason {
	switch {
	case t.Filesz > t.Memsz:
		return ErrFileszExceedsMemsz
	case t.Offset > fileSize || fileSize-t.Offset < t.Filesz:
		return ErrOutsideFile
	case t.Vaddr+t.Memsz < t.Vaddr:
		return ErrAddressOverflow
	case t.Align&(t.Align-1) != 0:
		return ErrBadAlign
	case t.Memsz > MaxImageSize:
		return ErrBadTLS
	}
	if t.Filesz == 0 {
		// Only .tbss: nothing is copied from the image, but the address must still be
		// one the image defines.
		for _, s := range segs {
			if t.Vaddr >= s.Vaddr && t.Vaddr-s.Vaddr <= s.Memsz {
				return 0
			}
		}
		return ErrBadTLS
	}
	if !mapsAt(segs, t.Offset, t.Filesz, t.Vaddr) {
		return ErrBadTLS
	}
	return 0
}

// entryOK reports whether entry lies in the file-backed part of an executable segment.
func entryOK(segs []Segment, entry uint64) bool {
	for _, s := range segs {
		if s.Exec && entry >= s.Vaddr && entry-s.Vaddr < s.Filesz {
			return true
		}
	}
	return false
}

// fileCover returns the index of the first segment whose file-backed part contains the
// file range [off, off+length), or -1.
func fileCover(segs []Segment, off, length uint64) int {
	for i, s := range segs {
		if off >= s.Offset && off-s.Offset <= s.Filesz && s.Filesz-(off-s.Offset) >= length {
			return i
		}
	}
	return -1
}

// mapsAt reports whether some segment's file-backed part contains the file range
// [off, off+length) and places its first byte at vaddr.
func mapsAt(segs []Segment, off, length, vaddr uint64) bool {
	for _, s := range segs {
		if off >= s.Offset && off-s.Offset <= s.Filesz && s.Filesz-(off-s.Offset) >= length &&
			vaddr == s.Vaddr+(off-s.Offset) {
			return true
		}
	}
	return false
}
