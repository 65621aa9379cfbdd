package elfexec

import "strconv"

// Reason says why Parse, Validate or BuildStack refused their input. Every Reason is an
// error in its own right, so callers test for one with errors.Is(err, ErrWriteExec) or
// compare (*Error).Reason directly. Reasons are comparable constants: using one never
// allocates.
type Reason uint8

// The reasons Parse and Validate refuse an executable. Each names exactly one rule; the
// rules are checked in the order listed, the file header first, then each program header
// in table order, then the cross-segment rules (entry point, TLS, program header
// address).
const (
	_ Reason = iota

	ErrTruncated          // the file is shorter than the 64-byte ELF64 header
	ErrBadMagic           // e_ident does not start with "\x7fELF"
	ErrBadClass           // EI_CLASS is not ELFCLASS64
	ErrBadData            // EI_DATA is not ELFDATA2LSB (little-endian)
	ErrBadVersion         // EI_VERSION or e_version is not EV_CURRENT
	ErrBadOSABI           // EI_OSABI is neither ELFOSABI_NONE (System V) nor ELFOSABI_LINUX
	ErrBadMachine         // e_machine is not EM_X86_64
	ErrDynamic            // ET_DYN, PT_INTERP or PT_DYNAMIC: the program needs a dynamic linker
	ErrBadType            // e_type is not ET_EXEC (relocatable, core or unknown)
	ErrBadHeaderSize      // e_ehsize is not 64
	ErrBadPhentsize       // e_phentsize is not 56, the size of an Elf64_Phdr
	ErrNoPhdrs            // e_phnum is zero
	ErrTooManyPhdrs       // e_phnum is above MaxPhdrs (PN_XNUM included)
	ErrPhdrsOutOfBounds   // the program header table does not lie inside the file
	ErrBadSegmentType     // a PT_SHLIB header (reserved, not ABI-conforming)
	ErrFileszExceedsMemsz // p_filesz is larger than p_memsz
	ErrEmptySegment       // a PT_LOAD with p_memsz zero
	ErrOutsideFile        // p_offset+p_filesz overflows or lies beyond the end of the file
	ErrAddressOverflow    // p_vaddr+p_memsz overflows 64 bits
	ErrNotUserAddress     // the segment reaches UserLimit (the upper, kernel half)
	ErrVaddrTooLow        // the segment starts below MinVaddr
	ErrBadAlign           // p_align is not zero or a power of two
	ErrIncongruent        // p_vaddr and p_offset differ modulo the page size or p_align
	ErrWriteExec          // a PT_LOAD is both writable and executable
	ErrSegmentOrder       // PT_LOAD headers are not in ascending p_vaddr order
	ErrOverlap            // two PT_LOAD segments touch the same page
	ErrTooLarge           // the PT_LOAD pages add up to more than MaxImageSize
	ErrExecStack          // PT_GNU_STACK asks for an executable stack
	ErrDuplicateSegment   // a second PT_PHDR, PT_TLS or PT_GNU_STACK
	ErrBadPhdrSegment     // PT_PHDR after a PT_LOAD, or not describing the table in file and memory
	ErrNoLoad             // no PT_LOAD at all
	ErrBadEntry           // e_entry is not inside the file-backed part of an executable PT_LOAD
	ErrBadTLS             // PT_TLS initialisation image not inside a PT_LOAD, or TLS too large
	ErrPhdrNotLoaded      // no PT_LOAD maps the program header table
	ErrBrk                // Validate: Brk is not the page-aligned end of the last segment
	ErrBadSegmentCount    // Validate: more than MaxPhdrs segments

	// The reasons BuildStack refuses to build a stack.

	ErrStackTop      // top is not page-aligned or the stack does not fit in [MinVaddr, UserLimit)
	ErrStackTooLarge // the stack image would exceed MaxStackSize bytes
	ErrStackString   // an argv, envp or platform string contains a NUL byte
	ErrStackNoExe    // exe is nil
	ErrStackOverlap  // the stack image touches a page of one of exe's segments

	reasonEnd
)

var reasonText = [...]string{
	ErrTruncated:          "file shorter than the ELF header",
	ErrBadMagic:           "not an ELF file (bad magic)",
	ErrBadClass:           "not ELFCLASS64",
	ErrBadData:            "not little-endian (ELFDATA2LSB)",
	ErrBadVersion:         "ELF version is not EV_CURRENT",
	ErrBadOSABI:           "OS ABI is neither System V nor Linux",
	ErrBadMachine:         "machine is not x86-64",
	ErrDynamic:            "dynamic executable (ET_DYN, PT_INTERP or PT_DYNAMIC)",
	ErrBadType:            "not an executable (e_type is not ET_EXEC)",
	ErrBadHeaderSize:      "e_ehsize is not 64",
	ErrBadPhentsize:       "e_phentsize is not 56",
	ErrNoPhdrs:            "no program headers",
	ErrTooManyPhdrs:       "too many program headers",
	ErrPhdrsOutOfBounds:   "program header table outside the file",
	ErrBadSegmentType:     "PT_SHLIB segment",
	ErrFileszExceedsMemsz: "segment filesz exceeds memsz",
	ErrEmptySegment:       "PT_LOAD with zero memsz",
	ErrOutsideFile:        "segment contents outside the file",
	ErrAddressOverflow:    "segment address range overflows",
	ErrNotUserAddress:     "segment reaches the kernel half of the address space",
	ErrVaddrTooLow:        "segment below the minimum user address",
	ErrBadAlign:           "segment alignment is not a power of two",
	ErrIncongruent:        "segment vaddr and offset not congruent modulo the page size or alignment",
	ErrWriteExec:          "segment is both writable and executable",
	ErrSegmentOrder:       "PT_LOAD segments not in ascending address order",
	ErrOverlap:            "PT_LOAD segments share a page",
	ErrTooLarge:           "image maps too much memory",
	ErrExecStack:          "executable stack requested",
	ErrDuplicateSegment:   "duplicate PT_PHDR, PT_TLS or PT_GNU_STACK",
	ErrBadPhdrSegment:     "PT_PHDR misplaced or not describing the program header table",
	ErrNoLoad:             "no PT_LOAD segment",
	ErrBadEntry:           "entry point not in executable file-backed code",
	ErrBadTLS:             "PT_TLS image not inside a loaded segment, or too large",
	ErrPhdrNotLoaded:      "program header table not inside a loaded segment",
	ErrBrk:                "program break is not the end of the last segment",
	ErrBadSegmentCount:    "too many segments",
	ErrStackTop:           "stack top misaligned or stack outside user addresses",
	ErrStackTooLarge:      "initial stack too large",
	ErrStackString:        "argument, environment or platform string contains NUL",
	ErrStackNoExe:         "no executable",
	ErrStackOverlap:       "initial stack overlaps the executable",
}

// String returns a short description of the rule r names.
func (r Reason) String() string {
	if r > 0 && r < reasonEnd {
		return reasonText[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Error returns "elfexec: " followed by r's description.
func (r Reason) Error() string { return "elfexec: " + r.String() }

// Error is what Parse and Validate return for a refused executable: the rule broken and
// where. Unwrap returns the Reason, so errors.Is(err, ErrOverlap) works.
type Error struct {
	Reason Reason
	// Index is the program header (Parse) or segment (Validate) at fault, or -1 when the
	// fault is in the file header or concerns the file as a whole.
	Index int

	segment bool // Index counts Executable.Segments (Validate), not program headers
}

// Error describes the refusal, naming the program header or segment if there is one.
func (e *Error) Error() string {
	if e.Index < 0 {
		return e.Reason.Error()
	}
	what := "program header "
	if e.segment {
		what = "segment "
	}
	return "elfexec: " + what + strconv.Itoa(e.Index) + ": " + e.Reason.String()
}

// Unwrap returns the Reason.
func (e *Error) Unwrap() error { return e.Reason }

func fail(r Reason, index int) error { return &Error{Reason: r, Index: index} }
