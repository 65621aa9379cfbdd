// Package vm is the per-process virtual memory map of the Linux-ABI personality: the list of
// areas (VMAs) of one user address space and the Linux semantics of mmap, munmap, mprotect,
// brk and madvise over it, plus the lookup the page-fault handler needs to back memory lazily.
//
// The package is pure data structure: it owns no frames and touches no page tables. Every
// call that removes pages or changes their permissions returns the [Range]s whose existing
// page-table entries the caller must drop (freeing their frames) or re-protect; a page that
// is not present needs nothing. A page gets a frame only when [Map.Fault] says [MapPage].
//
// Only anonymous mappings are supported. MAP_SHARED anonymous mappings are treated as
// private (there is no fork, so nobody can observe the difference); the area keeps the
// MAP_SHARED bit so that a later fork implementation can tell.
//
// Errors are returned as unix.Errno (0 for success), ready to be negated into a system call
// result. Where this package deliberately differs from Linux, the method says so.
//
// A Map is not safe for concurrent use: the personality serialises calls per process (as
// Linux does with mmap_lock).
package vm

import (
	"errors"
	"fmt"
	"slices"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// PageSize is the granularity of every address and length kept by a Map.
const PageSize = abi.PageSize

const pageMask = PageSize - 1

// DefaultMaxAreas is the default bound on the number of areas of a Map, the default of
// Linux's vm.max_map_count. An operation whose result would exceed it fails with ENOMEM
// and changes nothing.
const DefaultMaxAreas = 65530

// HeapName is the Name of the areas made by [Map.Brk].
const HeapName = "[heap]"

// Range is the half-open address range [Start, End). Ranges returned by this package are
// page aligned, non-empty, sorted, disjoint and not adjacent to each other (adjacent ones
// are coalesced).
type Range struct {
	Start, End uint64
}

// Len returns End - Start.
func (r Range) Len() uint64 { return r.End - r.Start }

func (r Range) String() string { return fmt.Sprintf("[%#x,%#x)", r.Start, r.End) }

// Area is one mapping: the half-open range [Start, End), page aligned and non-empty, with
// its protection (PROT_READ|PROT_WRITE|PROT_EXEC bits, or PROT_NONE) and the lasting mmap
// flags: the mapping type (MAP_PRIVATE or MAP_SHARED), MAP_ANONYMOUS (always set), and any
// of MAP_GROWSDOWN, MAP_NORESERVE, MAP_LOCKED and MAP_STACK it was made with. One-shot flags
// (MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_POPULATE, MAP_32BIT, ...) are not kept. Name is ""
// for mmap'ed areas and [HeapName] for brk's.
//
// The areas of a Map never overlap, and two adjacent areas always differ in Prot, Flags or
// Name: the Map merges them otherwise, so area boundaries are not stable across calls.
type Area struct {
	Start, End uint64
	Prot       int
	Flags      int
	Name       string
}

// Len returns End - Start.
func (a Area) Len() uint64 { return a.End - a.Start }

func (a Area) String() string {
	return fmt.Sprintf("[%#x,%#x) prot=%#x flags=%#x %q", a.Start, a.End, a.Prot, a.Flags, a.Name)
}

func (a Area) sameAttrs(b Area) bool {
	return a.Prot == b.Prot && a.Flags == b.Flags && a.Name == b.Name
}

// Access is the kind of memory access that faulted.
type Access int

// The kinds of access.
const (
	Read  Access = iota // a load
	Write               // a store
	Exec                // an instruction fetch
)

func (a Access) String() string {
	switch a {
	case Read:
		return "Read"
	case Write:
		return "Write"
	case Exec:
		return "Exec"
	}
	return fmt.Sprintf("Access(%d)", int(a))
}

// FaultResult is what the fault handler must do about a page fault.
type FaultResult int

// The outcomes of [Map.Fault].
const (
	// NoMapping: no area contains the address; deliver SIGSEGV with si_code SEGV_MAPERR.
	NoMapping FaultResult = iota
	// MapPage: the access is allowed. If the page is not present, back it with a zeroed
	// frame mapped with the area's permissions (readable if Prot is not PROT_NONE, writable
	// if PROT_WRITE, executable if PROT_EXEC); if it is present, the entry is stale and must
	// be given the area's permissions.
	MapPage
	// ProtectionFault: an area contains the address but its Prot forbids the access
	// (including any access to PROT_NONE); deliver SIGSEGV with si_code SEGV_ACCERR.
	ProtectionFault
)

func (r FaultResult) String() string {
	switch r {
	case NoMapping:
		return "NoMapping"
	case MapPage:
		return "MapPage"
	case ProtectionFault:
		return "ProtectionFault"
	}
	return fmt.Sprintf("FaultResult(%d)", int(r))
}

// Map is the set of areas of one user address space, covering mmap-able addresses [lo, hi).
// The zero Map is not usable; make one with [New].
type Map struct {
	lo, hi   uint64
	areas    []Area // sorted by Start, disjoint, maximally merged
	maxAreas int

	brkBase, brk uint64 // start_brk and brk; brkBase == 0: no heap yet
}

// New returns an empty Map whose user range is [lo, hi): no area ever lies outside it,
// MAP_FIXED below lo fails with EPERM (like Linux's mmap_min_addr), and placement without
// MAP_FIXED searches top-down from hi (Linux's mmap_base). lo and hi must be page aligned
// with 0 < lo < hi, else New panics.
func New(lo, hi uint64) *Map {
	if lo&pageMask != 0 || hi&pageMask != 0 || lo == 0 || lo >= hi {
		panic(fmt.Sprintf("vm.New: bad range [%#x,%#x)", lo, hi))
	}
	return &Map{lo: lo, hi: hi, maxAreas: DefaultMaxAreas}
}

// Bounds returns the user range [lo, hi) given to New.
func (m *Map) Bounds() (lo, hi uint64) { return m.lo, m.hi }

// SetMaxAreas sets the bound on the number of areas (vm.max_map_count); n < 1 means 1.
// Lowering it below the current count removes nothing: later calls that would add areas
// fail with ENOMEM.
func (m *Map) SetMaxAreas(n int) {
	m.maxAreas = max(n, 1)
}

// Len returns the number of areas.
func (m *Map) Len() int { return len(m.areas) }

// Areas returns a copy of the areas, sorted by address.
func (m *Map) Areas() []Area { return slices.Clone(m.areas) }

// Lookup returns the area containing addr, if any.
func (m *Map) Lookup(addr uint64) (Area, bool) {
	i := m.first(addr)
	if i < len(m.areas) && m.areas[i].Start <= addr {
		return m.areas[i], true
	}
	return Area{}, false
}

// Check verifies the invariants of the Map: every area is page aligned, non-empty and inside
// [lo, hi); areas are sorted and disjoint; adjacent areas differ in attributes; the count is
// within the bound; the break is not below its base. It returns nil if they hold.
func (m *Map) Check() error {
	var errs []error
	for i, a := range m.areas {
		if a.Start&pageMask != 0 || a.End&pageMask != 0 {
			errs = append(errs, fmt.Errorf("area %d %v not page aligned", i, a))
		}
		if a.Start >= a.End {
			errs = append(errs, fmt.Errorf("area %d %v empty", i, a))
		}
		if a.Start < m.lo || a.End > m.hi {
			errs = append(errs, fmt.Errorf("area %d %v outside [%#x,%#x)", i, a, m.lo, m.hi))
		}
		if a.Prot&^protRWX != 0 {
			errs = append(errs, fmt.Errorf("area %d %v has bad prot", i, a))
		}
		if i > 0 {
			p := m.areas[i-1]
			if p.End > a.Start {
				errs = append(errs, fmt.Errorf("areas %d %v and %d %v overlap or are unsorted", i-1, p, i, a))
			} else if p.End == a.Start && p.sameAttrs(a) {
				errs = append(errs, fmt.Errorf("areas %d %v and %d %v are not merged", i-1, p, i, a))
			}
		}
	}
	if len(m.areas) > m.maxAreas {
		errs = append(errs, fmt.Errorf("%d areas exceed the bound %d", len(m.areas), m.maxAreas))
	}
	if m.brk < m.brkBase {
		errs = append(errs, fmt.Errorf("break %#x below its base %#x", m.brk, m.brkBase))
	}
	return errors.Join(errs...)
}

// first returns the index of the first area with End > addr.
func (m *Map) first(addr uint64) int {
	return sort.Search(len(m.areas), func(k int) bool { return m.areas[k].End > addr })
}

// overlapping returns [i, j): the areas that intersect [start, end). O(log n + k).
func (m *Map) overlapping(start, end uint64) (int, int) {
	i := m.first(start)
	j := i
	for j < len(m.areas) && m.areas[j].Start < end {
		j++
	}
	return i, j
}

// covered reports whether areas[i:j] cover [start, end) without holes.
func (m *Map) covered(i, j int, start, end uint64) bool {
	next := start
	for k := i; k < j; k++ {
		if m.areas[k].Start > next {
			return false
		}
		next = m.areas[k].End
	}
	return next >= end
}

func clip(a Area, start, end uint64) Area {
	a.Start = max(a.Start, start)
	a.End = min(a.End, end)
	return a
}

// appendRange appends r to rs, coalescing it with the last range if they touch.
func appendRange(rs []Range, r Range) []Range {
	if n := len(rs); n > 0 && rs[n-1].End == r.Start {
		rs[n-1].End = r.End
		return rs
	}
	return append(rs, r)
}

// mapped returns the parts of [start, end) covered by areas[i:j] for which keep is true.
func (m *Map) mapped(i, j int, start, end uint64, keep func(Area) bool) []Range {
	var rs []Range
	for k := i; k < j; k++ {
		a := clip(m.areas[k], start, end)
		if keep == nil || keep(a) {
			rs = appendRange(rs, Range{a.Start, a.End})
		}
	}
	return rs
}

// replace rewrites [start, end): the areas overlapping it (areas[i:j]) are cut to what lies
// outside it and middle (sorted, inside [start, end)) is put in between; the result is merged
// with its neighbours. If the area count would exceed the bound nothing changes and replace
// returns ENOMEM.
func (m *Map) replace(i, j int, start, end uint64, middle []Area) unix.Errno {
	wi, wj := i, j
	if wi > 0 {
		wi-- // the left neighbour may merge
	}
	if wj < len(m.areas) {
		wj++ // and so may the right one
	}
	out := make([]Area, 0, (wj-wi)+len(middle)+2)
	out = append(out, m.areas[wi:i]...)
	if i < j && m.areas[i].Start < start {
		l := m.areas[i]
		l.End = start
		out = append(out, l)
	}
	out = append(out, middle...)
	if i < j && m.areas[j-1].End > end {
		r := m.areas[j-1]
		r.Start = end
		out = append(out, r)
	}
	out = append(out, m.areas[j:wj]...)
	// Merge touching areas with equal attributes.
	merged := out[:0]
	for _, a := range out {
		if n := len(merged); n > 0 && merged[n-1].End == a.Start && merged[n-1].sameAttrs(a) {
			merged[n-1].End = a.End
			continue
		}
		merged = append(merged, a)
	}
	if len(m.areas)-(wj-wi)+len(merged) > m.maxAreas {
		return unix.ENOMEM
	}
	m.areas = slices.Replace(m.areas, wi, wj, merged...)
	return 0
}

// pageAlign rounds n up to a page; ok is false if that overflows.
func pageAlign(n uint64) (uint64, bool) {
	a := (n + pageMask) &^ pageMask
	return a, a >= n
}
