package multiboot

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// Memory reads physical memory. It is how the boot-information parsers here and in
// package acpi reach structures that firmware and the boot loader left in RAM.
//
// Read returns exactly n bytes starting at physical address phys, either a copy or a
// view that the caller treats as read-only, or an error if any byte of
// [phys, phys+n) is outside the memory the implementation is willing to expose (for
// example outside RAM or the kernel's direct map). Read must not panic for any phys
// or n, including n < 0 and ranges that wrap around the address space; callers in
// this module never pass n larger than 1 MiB (4 MiB for an ACPI DSDT).
type Memory interface {
	Read(phys uint64, n int) ([]byte, error)
}

// ErrOutside is returned by SliceMemory.Read for a range not wholly inside its Data.
var ErrOutside = errors.New("multiboot: physical range outside memory")

// SliceMemory is a Memory backed by a byte slice that stands for the physical range
// [Base, Base+len(Data)). It is meant for tests and fuzzing.
type SliceMemory struct {
	Base uint64 // physical address of Data[0]
	Data []byte // the memory's contents
}

// Read implements Memory. It returns a view into Data, capped so that appending to it
// cannot overwrite Data, or an ErrOutside-wrapping error if n < 0 or any byte of
// [phys, phys+n) lies outside [Base, Base+len(Data)). It never panics.
func (m SliceMemory) Read(phys uint64, n int) ([]byte, error) {
	if n < 0 || phys < m.Base {
		return nil, fmt.Errorf("%w: %d bytes at %#x", ErrOutside, n, phys)
	}
	off := phys - m.Base
	size := uint64(len(m.Data))
	if off > size || uint64(n) > size-off {
		return nil, fmt.Errorf("%w: %d bytes at %#x", ErrOutside, n, phys)
	}
	end := off + uint64(n)
	return m.Data[off:end:end], nil
}

// ReadExact calls mem.Read(phys, n) and additionally guarantees that the result has
// exactly n bytes and that [phys, phys+n) does not wrap around the 64-bit address
// space, so that callers can index the result without further checks even if the
// Memory implementation is sloppy. It never panics on its own account.
func ReadExact(mem Memory, phys uint64, n int) ([]byte, error) {
	if n < 0 {
		return nil, fmt.Errorf("multiboot: negative read length %d", n)
	}
	if uint64(n) > math.MaxUint64-phys {
		return nil, fmt.Errorf("%w: %d bytes at %#x wraps the address space", ErrOutside, n, phys)
	}
	if mem == nil {
		return nil, errors.New("multiboot: nil Memory")
	}
	b, err := mem.Read(phys, n)
	if err != nil {
		return nil, err
	}
	if len(b) != n {
		return nil, fmt.Errorf("multiboot: Memory returned %d bytes, want %d at %#x", len(b), n, phys)
	}
	return b, nil
}

// readCString reads the NUL-terminated string at phys, at most max bytes of it. It
// reads in small chunks that do not cross 64-byte boundaries, falling back to single
// bytes when a chunk is not readable, so that a short string near the end of readable
// memory still parses. truncated reports that no NUL was found within max bytes (the
// first max bytes are returned).
func readCString(mem Memory, phys uint64, max int) (s string, truncated bool, err error) {
	var out []byte
	for len(out) < max {
		chunk := 64 - int(phys%64)
		if rest := max - len(out); chunk > rest {
			chunk = rest
		}
		b, err := ReadExact(mem, phys, chunk)
		if err != nil {
			if b, err = ReadExact(mem, phys, 1); err != nil {
				return "", false, fmt.Errorf("string at %#x: %w", phys, err)
			}
		}
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return string(append(out, b[:i]...)), false, nil
		}
		out = append(out, b...)
		// ReadExact guaranteed phys+len(b) does not wrap.
		phys += uint64(len(b))
	}
	return string(out), true, nil
}

// cString returns b up to its first NUL (all of b if none), cut to max bytes;
// truncated reports a cut at max.
func cString(b []byte, max int) (s string, truncated bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) > max {
		return string(b[:max]), true
	}
	return string(b), false
}
