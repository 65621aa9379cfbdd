package acpi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/skyscope-os/skyscope/hal/amd64/multiboot"
)

var le = binary.LittleEndian

// RSDP layout (§5.2.5.3).
const (
	rsdpSignature  = "RSD PTR "
	rsdpV1Length   = 20 // the part covered by the first checksum
	rsdpV2Length   = 36 // the part covered by the extended checksum
	rsdpOEMID      = 9
	rsdpRevision   = 15
	rsdpRSDT       = 16
	rsdpLength     = 20
	rsdpXSDT       = 24
	ebdaPointer    = 0x40E
	ebdaScanLength = 1 << 10
	biosAreaStart  = 0xE0000
	biosAreaEnd    = 0x100000
	scanChunk      = 4096
)

// RSDP is a validated Root System Description Pointer.
type RSDP struct {
	// Revision is 0 for ACPI 1.0 (RSDT only) and 2 or more for ACPI 2.0+, whose
	// RSDP also carries Length and XSDTAddress and passed the extended checksum.
	Revision uint8
	// OEMID is the OEM ID with trailing spaces and NULs removed.
	OEMID string
	// RSDTAddress is the physical address of the RSDT (may be 0 on 2.0+ systems).
	RSDTAddress uint32
	// Length is the RSDP's own length for Revision ≥ 2, else 0.
	Length uint32
	// XSDTAddress is the physical address of the XSDT for Revision ≥ 2, else 0.
	XSDTAddress uint64
	// Phys is where the RSDP was found by scanning, or 0 if it came from the boot
	// loader's copy.
	Phys uint64
	// FromBootInfo reports that the RSDP is the boot loader's copy.
	FromBootInfo bool
}

// checksumOK reports whether the bytes of b sum to zero modulo 256.
func checksumOK(b []byte) bool {
	var s uint8
	for _, c := range b {
		s += c
	}
	return s == 0
}

func trimID(b []byte) string {
	return strings.TrimRight(string(b), " \x00")
}

// parseRSDP decodes an RSDP from b, checking its signature, its length and (if
// verify) both checksums.
func parseRSDP(b []byte, verify bool) (RSDP, error) {
	if len(b) < rsdpV1Length {
		return RSDP{}, fmt.Errorf("%w: RSDP is %d bytes", ErrMalformed, len(b))
	}
	if string(b[:8]) != rsdpSignature {
		return RSDP{}, fmt.Errorf("%w: RSDP signature %q", ErrMalformed, b[:8])
	}
	if verify && !checksumOK(b[:rsdpV1Length]) {
		return RSDP{}, fmt.Errorf("%w: RSDP", ErrChecksum)
	}
	r := RSDP{
		Revision:    b[rsdpRevision],
		OEMID:       trimID(b[rsdpOEMID : rsdpOEMID+6]),
		RSDTAddress: le.Uint32(b[rsdpRSDT:]),
	}
	if r.Revision >= 2 {
		if len(b) < rsdpV2Length {
			return RSDP{}, fmt.Errorf("%w: revision %d RSDP is %d bytes", ErrMalformed, r.Revision, len(b))
		}
		if verify && !checksumOK(b[:rsdpV2Length]) {
			return RSDP{}, fmt.Errorf("%w: RSDP extended checksum", ErrChecksum)
		}
		r.Length = le.Uint32(b[rsdpLength:])
		r.XSDTAddress = le.Uint64(b[rsdpXSDT:])
	}
	return r, nil
}

// FindRSDP returns the RSDP. If fromBootInfo is non-empty (the copy a Multiboot 2
// loader passed, multiboot.Info.RSDP) and it is valid — signature "RSD PTR ", the
// first 20 bytes summing to zero and, for revision ≥ 2, the first 36 bytes too — it
// is used. Otherwise the first KiB of the EBDA (whose segment is the 16-bit word at
// physical 0x40E) and then 0xE0000–0xFFFFF are searched on 16-byte boundaries for a
// valid RSDP, skipping ranges mem cannot read. It returns an error wrapping ErrNoRSDP
// if none is found. It never panics; it reads about 130 KiB in about 40 Read calls
// when the range is readable, about 100 calls when none of it is, and at most about
// 25,000 in contrived cases (many chunks readable only in part).
func FindRSDP(mem Memory, fromBootInfo []byte) (RSDP, error) {
	var bootErr error
	if len(fromBootInfo) > 0 {
		r, err := parseRSDP(fromBootInfo, true)
		if err == nil {
			r.FromBootInfo = true
			return r, nil
		}
		bootErr = fmt.Errorf("boot loader's RSDP copy: %w", err)
	}
	if r, ok := scanRSDP(mem); ok {
		return r, nil
	}
	return RSDP{}, errors.Join(ErrNoRSDP, bootErr)
}

func scanRSDP(mem Memory) (RSDP, bool) {
	if b, err := multiboot.ReadExact(mem, ebdaPointer, 2); err == nil {
		if ebda := uint64(le.Uint16(b)) << 4; ebda != 0 {
			if r, ok := scanRange(mem, ebda, ebda+ebdaScanLength); ok {
				return r, true
			}
		}
	}
	return scanRange(mem, biosAreaStart, biosAreaEnd)
}

// scanRange searches [start, end) (start 16-byte aligned) chunk by chunk. A chunk
// that cannot be read whole but whose first or last 16 bytes can (readable memory
// begins or ends inside it) is probed slot by slot; a chunk with neither end
// readable is skipped.
func scanRange(mem Memory, start, end uint64) (RSDP, bool) {
	readable := func(p uint64) bool { _, err := multiboot.ReadExact(mem, p, 16); return err == nil }
	for at := start; at < end; at += scanChunk {
		n := min(uint64(scanChunk), end-at)
		b, err := multiboot.ReadExact(mem, at, int(n))
		if err != nil && !readable(at) && !readable(at+n-16) {
			continue
		}
		for off := uint64(0); off < n; off += 16 {
			p := at + off
			if err == nil {
				if string(b[off:off+uint64(len(rsdpSignature))]) != rsdpSignature {
					continue
				}
			} else if sig, err := multiboot.ReadExact(mem, p, len(rsdpSignature)); err != nil || string(sig) != rsdpSignature {
				continue
			}
			if r, ok := readCandidate(mem, p); ok {
				return r, true
			}
		}
	}
	return RSDP{}, false
}

// readCandidate reads and validates the RSDP at p, which may straddle a chunk or the
// end of readable memory (a revision 0 RSDP needs only 20 bytes).
func readCandidate(mem Memory, p uint64) (RSDP, bool) {
	cand, err := multiboot.ReadExact(mem, p, rsdpV2Length)
	if err != nil {
		if cand, err = multiboot.ReadExact(mem, p, rsdpV1Length); err != nil {
			return RSDP{}, false
		}
	}
	r, err := parseRSDP(cand, true)
	if err != nil {
		return RSDP{}, false
	}
	r.Phys = p
	return r, true
}
