package elfexec

import (
	"encoding/binary"
	"strings"
)

// Auxiliary vector entry types (a_type), as numbered in Linux's
// include/uapi/linux/auxvec.h and glibc's elf.h, which the psABI's "Auxiliary Vector"
// section follows. golang.org/x/sys/unix (v0.49.0) defines none of them: its AT_*
// names are the flags of the *at() system calls (AT_FDCWD, AT_EMPTY_PATH, ...). They
// keep the C spelling so that they can be found next to the headers they come from.
const (
	AT_NULL     = 0  // end of the vector
	AT_PHDR     = 3  // address of the program header table in memory
	AT_PHENT    = 4  // size of one program header
	AT_PHNUM    = 5  // number of program headers
	AT_PAGESZ   = 6  // system page size
	AT_BASE     = 7  // base address of the interpreter (0: there is none)
	AT_FLAGS    = 8  // flags (none defined)
	AT_ENTRY    = 9  // the program's entry point
	AT_UID      = 11 // real user id
	AT_EUID     = 12 // effective user id
	AT_GID      = 13 // real group id
	AT_EGID     = 14 // effective group id
	AT_PLATFORM = 15 // address of a string naming the platform ("x86_64")
	AT_HWCAP    = 16 // machine-dependent capability hints
	AT_CLKTCK   = 17 // frequency of times(): clock ticks per second
	AT_SECURE   = 23 // nonzero for a set-id program
	AT_RANDOM   = 25 // address of 16 random bytes
)

// Stack layout constants.
const (
	// MaxStackSize bounds the initial stack image BuildStack makes: strings, random
	// bytes, pointer arrays and auxiliary vector together.
	MaxStackSize = 128 << 10

	// ClockTicks is the AT_CLKTCK value: Linux's USER_HZ on x86-64.
	ClockTicks = 100
)

// BuildStack lays out the initial process stack of a Linux x86-64 program (psABI section
// 3.4) so that it ends at top, and returns the stack pointer to start the program with
// and the stack's bytes: image[i] belongs at address sp+i, and sp+len(image) == top.
//
// From top downwards the image holds: 8 zero bytes (an end marker); the platform string
// if platform is not empty; the envp strings and below them the argv strings (each block
// in ascending order, so argv[0] is the lowest string, as Linux places them); the 16
// random bytes at a 16-byte aligned address; padding; the auxiliary vector (AT_PHDR,
// AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID, AT_EUID, AT_GID,
// AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP, AT_CLKTCK, AT_PLATFORM if platform is given,
// then AT_NULL); a null pointer; the envp pointers; a null pointer; the argv pointers;
// and argc, at sp. sp is 16-byte aligned, and every pointer in the image points into
// [sp, top).
//
// It refuses (with a Reason) a nil exe, a top that is not page-aligned or a stack that
// would not lie inside [MinVaddr, UserLimit), strings containing NUL (they could not be
// read back), an image larger than MaxStackSize, and an image that would share a page
// with one of exe's segments. It allocates only the image.
func BuildStack(top uint64, argv, envp []string, random [16]byte, exe *Executable, platform string) (sp uint64, image []byte, err error) {
	if exe == nil {
		return 0, nil, ErrStackNoExe
	}
	if top%PageSize != 0 || top > UserLimit || top < MinVaddr {
		return 0, nil, ErrStackTop
	}
	if len(argv)+len(envp) > MaxStackSize/8 {
		return 0, nil, ErrStackTooLarge
	}

	// Size everything relative to top (which is 16-byte aligned), refusing early so that
	// no sum can overflow and no address can wrap.
	strBytes := uint64(8) // end marker
	if platform != "" {
		if r := addStrings(&strBytes, platform); r != 0 {
			return 0, nil, r
		}
	}
	if r := addStrings(&strBytes, envp...); r != 0 {
		return 0, nil, r
	}
	if r := addStrings(&strBytes, argv...); r != 0 {
		return 0, nil, r
	}
	nAux := uint64(len(fixedAux)) + 1 // + AT_NULL
	if platform != "" {
		nAux++
	}
	words := 1 + uint64(len(argv)) + 1 + uint64(len(envp)) + 1 + 2*nAux
	randomOff := (strBytes+15)&^15 + 16 // random bytes at top-randomOff, 16-byte aligned
	size := (randomOff + 8*words + 15) &^ 15
	if size > MaxStackSize {
		return 0, nil, ErrStackTooLarge
	}
	if top-MinVaddr < size {
		return 0, nil, ErrStackTop
	}
	sp = top - size
	randomAddr := top - randomOff
	for _, s := range exe.Segments {
		start, end := s.Pages()
		if sp&^(PageSize-1) < end && start < top {
			return 0, nil, ErrStackOverlap
		}
	}

	image = make([]byte, size)
	put := func(addr, v uint64) { binary.LittleEndian.PutUint64(image[addr-sp:], v) }
	putString := func(addr uint64, s string) { copy(image[addr-sp:], s) } // NUL: image is zeroed

	// The information block, from the top down. The strings are written as their
	// pointers are, below.
	cursor := top - 8
	var platformAddr uint64
	if platform != "" {
		cursor -= uint64(len(platform)) + 1
		platformAddr = cursor
		putString(cursor, platform)
	}
	envAddr := cursor - blockSize(envp)
	argAddr := envAddr - blockSize(argv)
	copy(image[randomAddr-sp:], random[:])

	// The pointer arrays and the auxiliary vector, from sp upwards.
	w := sp
	word := func(v uint64) { put(w, v); w += 8 }
	word(uint64(len(argv)))
	for _, s := range argv {
		putString(argAddr, s)
		word(argAddr)
		argAddr += uint64(len(s)) + 1
	}
	word(0)
	for _, s := range envp {
		putString(envAddr, s)
		word(envAddr)
		envAddr += uint64(len(s)) + 1
	}
	word(0)
	for _, a := range fixedAux {
		word(a)
		switch a {
		case AT_PHDR:
			word(exe.PhdrAddr)
		case AT_PHENT:
			word(exe.PhEnt)
		case AT_PHNUM:
			word(exe.PhNum)
		case AT_PAGESZ:
			word(PageSize)
		case AT_ENTRY:
			word(exe.Entry)
		case AT_RANDOM:
			word(randomAddr)
		case AT_CLKTCK:
			word(ClockTicks)
		default: // AT_BASE, AT_FLAGS, the ids, AT_SECURE, AT_HWCAP: all zero
			word(0)
		}
	}
	if platform != "" {
		word(AT_PLATFORM)
		word(platformAddr)
	}
	word(AT_NULL)
	word(0)
	return sp, image, nil
}

// addStrings adds the space the strings take (with their NULs) to *total, refusing
// strings that contain NUL and totals beyond MaxStackSize.
func addStrings(total *uint64, ss ...string) Reason {
	for _, s := range ss {
		if strings.IndexByte(s, 0) >= 0 {
			return ErrStackString
		}
		*total += uint64(len(s)) + 1 // *total <= MaxStackSize before: cannot overflow
		if *total > MaxStackSize {
			return ErrStackTooLarge
		}
	}
	return 0
}

// blockSize returns the space the strings take with their NULs.
func blockSize(ss []string) uint64 {
	var n uint64
	for _, s := range ss {
		n += uint64(len(s)) + 1
	}
	return n
}

// fixedAux is the order of the auxiliary vector entries that every stack carries.
var fixedAux = [...]uint64{AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS,
	AT_ENTRY, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP, AT_CLKTCK}
