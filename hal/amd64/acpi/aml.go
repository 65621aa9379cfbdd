package acpi

import (
	"bytes"
	"encoding/binary"
)

// AML opcodes and prefixes used by findS5 (§20.2.3, §20.2.5).
const (
	amlZeroOp      = 0x00
	amlOneOp       = 0x01
	amlBytePrefix  = 0x0A
	amlWordPrefix  = 0x0B
	amlDWordPrefix = 0x0C
	amlQWordPrefix = 0x0E
	amlPackageOp   = 0x12
	amlOnesOp      = 0xFF
)

// findS5 scans AML for the name segment "_S5_" followed by a PackageOp and decodes
// the package's first two integers as SLP_TYPa and SLP_TYPb. Occurrences that do not
// decode are skipped and the scan continues. It runs in time linear in len(aml).
func findS5(aml []byte) (SleepType, bool) {
	name := []byte("_S5_")
	for i := 0; i < len(aml); {
		j := bytes.Index(aml[i:], name)
		if j < 0 {
			break
		}
		at := i + j + len(name)
		if st, ok := decodeSleepPackage(aml[at:]); ok {
			return st, true
		}
		i += j + 1
	}
	return SleepType{}, false
}

// decodeSleepPackage decodes "PackageOp PkgLength NumElements Elements..." at the
// start of b. A package with a single element is the obsolete form in which the
// integer holds SLP_TYPa in its low byte and SLP_TYPb in the next.
func decodeSleepPackage(b []byte) (SleepType, bool) {
	if len(b) < 1 || b[0] != amlPackageOp {
		return SleepType{}, false
	}
	pkgLen, n, ok := pkgLength(b[1:])
	// PkgLength counts itself and everything after it in the package.
	if !ok || pkgLen < uint64(n)+1 || pkgLen > uint64(len(b)-1) {
		return SleepType{}, false
	}
	pkg := b[1+n : 1+pkgLen] // NumElements and the elements
	count := pkg[0]
	elems := pkg[1:]
	a, used, ok := amlInteger(elems)
	if !ok || count == 0 {
		return SleepType{}, false
	}
	if count == 1 {
		return SleepType{A: uint8(a), B: uint8(a >> 8)}, true
	}
	bv, _, ok := amlInteger(elems[used:])
	if !ok {
		return SleepType{}, false
	}
	return SleepType{A: uint8(a), B: uint8(bv)}, true
}

// pkgLength decodes a PkgLength (§20.2.4): the top two bits of the lead byte give
// the number of following bytes (0–3); with none, the low six bits are the length,
// otherwise the low four bits are the least significant nibble and each following
// byte adds eight more bits. It returns the length and the bytes the encoding used.
func pkgLength(b []byte) (length uint64, n int, ok bool) {
	if len(b) < 1 {
		return 0, 0, false
	}
	follow := int(b[0] >> 6)
	if follow == 0 {
		return uint64(b[0] & 0x3F), 1, true
	}
	if len(b) < 1+follow {
		return 0, 0, false
	}
	length = uint64(b[0] & 0x0F)
	for k := 1; k <= follow; k++ {
		length |= uint64(b[k]) << (4 + 8*(k-1))
	}
	return length, 1 + follow, true
}

// amlInteger decodes a constant integer data object at the start of b: ZeroOp,
// OneOp, OnesOp, or ByteConst/WordConst/DWordConst/QWordConst.
func amlInteger(b []byte) (v uint64, n int, ok bool) {
	if len(b) < 1 {
		return 0, 0, false
	}
	size := 0
	switch b[0] {
	case amlZeroOp:
		return 0, 1, true
	case amlOneOp:
		return 1, 1, true
	case amlOnesOp:
		return ^uint64(0), 1, true
	case amlBytePrefix:
		size = 1
	case amlWordPrefix:
		size = 2
	case amlDWordPrefix:
		size = 4
	case amlQWordPrefix:
		size = 8
	default:
		return 0, 0, false
	}
	if len(b) < 1+size {
		return 0, 0, false
	}
	var buf [8]byte
	copy(buf[:], b[1:1+size])
	return binary.LittleEndian.Uint64(buf[:]), 1 + size, true
}
