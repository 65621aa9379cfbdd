package vm

import (
	"sort"

	"golang.org/x/sys/unix"
)

const protRWX = unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC

// protSem is Linux's PROT_SEM (0x8), which x/sys/unix does not define; it is accepted and dropped.
const protSem = 0x8

// mapHugeBits are the hugetlb page-size bits (26–31), which Linux ignores without
// MAP_HUGETLB; bit 26 doubles as MAP_UNINITIALIZED.
const mapHugeBits = unix.MAP_HUGE_MASK << unix.MAP_HUGE_SHIFT

// knownMapFlags are the mmap flag bits (besides the mapping type) that Mmap accepts.
const knownMapFlags = unix.MAP_FIXED | unix.MAP_ANONYMOUS | unix.MAP_32BIT | unix.MAP_GROWSDOWN |
	unix.MAP_DENYWRITE | unix.MAP_EXECUTABLE | unix.MAP_LOCKED | unix.MAP_NORESERVE |
	unix.MAP_POPULATE | unix.MAP_NONBLOCK | unix.MAP_STACK | unix.MAP_HUGETLB | unix.MAP_SYNC |
	unix.MAP_FIXED_NOREPLACE | mapHugeBits

// keptMapFlags are the flag bits an Area records (with the mapping type).
const keptMapFlags = unix.MAP_ANONYMOUS | unix.MAP_GROWSDOWN | unix.MAP_NORESERVE |
	unix.MAP_LOCKED | unix.MAP_STACK

// MAP_32BIT places mappings in [map32Lo, map32Hi), as Linux does on x86-64.
const (
	map32Lo = 1 << 30
	map32Hi = 1 << 31
)

// Mmap creates an anonymous mapping of length bytes (rounded up to pages) with protection
// prot and returns its address. It implements mmap(addr, length, prot, flags, fd, off) for
// anonymous mappings, checking in this order:
//
//   - off not page aligned: EINVAL (as x86-64 Linux checks first).
//   - flags without MAP_ANONYMOUS (a file mapping): EBADF if fd < 0, else ENODEV (this
//     package maps no files). With MAP_ANONYMOUS, fd and off are otherwise ignored, as
//     Linux does (the brief's "fd must be -1" is not enforced: Linux does not either).
//   - length 0: EINVAL.
//   - mapping type (flags & MAP_TYPE) not MAP_PRIVATE, MAP_SHARED or MAP_SHARED_VALIDATE:
//     EINVAL (MAP_DROPPABLE is not supported). MAP_SHARED is treated as private.
//   - flag bits Linux does not define for mmap: EINVAL. (Linux ignores them unless
//     MAP_SHARED_VALIDATE; this is stricter on purpose.) The hugetlb size bits are accepted.
//   - prot bits other than PROT_READ, PROT_WRITE, PROT_EXEC (PROT_SEM is accepted and
//     dropped): EINVAL. (Linux's mmap does not check; this is stricter on purpose.)
//   - MAP_HUGETLB: ENOMEM, as Linux with an empty huge page pool.
//   - length rounded up overflows or exceeds hi-lo: ENOMEM.
//
// With MAP_FIXED or MAP_FIXED_NOREPLACE, addr must be page aligned (EINVAL), not below lo
// (EPERM, Linux's mmap_min_addr check) and addr+length must not exceed hi (ENOMEM). With
// MAP_FIXED_NOREPLACE an existing area in the range gives EEXIST; with MAP_FIXED whatever
// was mapped there is replaced and the returned ranges are the previously mapped parts, whose
// frames the caller must unmap and free (the new mapping reads as zeros).
//
// Otherwise addr is a hint: rounded down to a page (raised to lo if nonzero and below it),
// it is used if [hint, hint+length) is free and inside [lo, hi); else the mapping goes to the
// highest free gap below hi that fits (Linux's top-down search from mmap_base; freed holes
// are reused, there is no cursor). MAP_32BIT restricts both to [1 GiB, 2 GiB) and searches
// that window top-down (Linux searches it bottom-up). No room: ENOMEM. No guard gap is kept
// below MAP_GROWSDOWN areas.
//
// If the resulting number of areas would exceed the bound, Mmap fails with ENOMEM. On any
// error nothing changes and the returned ranges are nil.
func (m *Map) Mmap(addr, length uint64, prot, flags, fd int, off uint64) (uint64, []Range, unix.Errno) {
	if off&pageMask != 0 {
		return 0, nil, unix.EINVAL
	}
	if flags&unix.MAP_ANONYMOUS == 0 {
		if fd < 0 {
			return 0, nil, unix.EBADF
		}
		return 0, nil, unix.ENODEV
	}
	if length == 0 {
		return 0, nil, unix.EINVAL
	}
	var kind int
	switch flags & unix.MAP_TYPE {
	case unix.MAP_PRIVATE:
		kind = unix.MAP_PRIVATE
	case unix.MAP_SHARED, unix.MAP_SHARED_VALIDATE:
		kind = unix.MAP_SHARED
	default:
		return 0, nil, unix.EINVAL
	}
	if flags&^(unix.MAP_TYPE|knownMapFlags) != 0 {
		return 0, nil, unix.EINVAL
	}
	prot &^= protSem
	if prot&^protRWX != 0 {
		return 0, nil, unix.EINVAL
	}
	if flags&unix.MAP_HUGETLB != 0 {
		return 0, nil, unix.ENOMEM
	}
	length, ok := pageAlign(length)
	if !ok || length > m.hi-m.lo {
		return 0, nil, unix.ENOMEM
	}
	area := Area{Prot: prot, Flags: kind | flags&keptMapFlags}

	if flags&(unix.MAP_FIXED|unix.MAP_FIXED_NOREPLACE) != 0 {
		if addr&pageMask != 0 {
			return 0, nil, unix.EINVAL
		}
		if addr < m.lo {
			return 0, nil, unix.EPERM
		}
		if addr > m.hi-length {
			return 0, nil, unix.ENOMEM
		}
		area.Start, area.End = addr, addr+length
		i, j := m.overlapping(area.Start, area.End)
		if i < j && flags&unix.MAP_FIXED_NOREPLACE != 0 {
			return 0, nil, unix.EEXIST
		}
		released := m.mapped(i, j, area.Start, area.End, nil)
		if e := m.replace(i, j, area.Start, area.End, []Area{area}); e != 0 {
			return 0, nil, e
		}
		return addr, released, 0
	}

	floor, ceil := m.lo, m.hi
	if flags&unix.MAP_32BIT != 0 {
		floor, ceil = max(floor, map32Lo), min(ceil, map32Hi)
	}
	start, found := uint64(0), false
	if hint := addr &^ pageMask; hint != 0 {
		hint = max(hint, m.lo)
		if hint >= floor && hint <= ceil && length <= ceil-hint && m.free(hint, hint+length) {
			start, found = hint, true
		}
	}
	if !found {
		start, found = m.topDown(floor, ceil, length)
	}
	if !found {
		return 0, nil, unix.ENOMEM
	}
	area.Start, area.End = start, start+length
	i, j := m.overlapping(area.Start, area.End)
	if e := m.replace(i, j, area.Start, area.End, []Area{area}); e != 0 {
		return 0, nil, e
	}
	return start, nil, 0
}

// free reports whether no area intersects [start, end).
func (m *Map) free(start, end uint64) bool {
	i := m.first(start)
	return i == len(m.areas) || m.areas[i].Start >= end
}

// topDown finds the highest start such that [start, start+length) lies in [floor, ceil) and
// is free. It walks the areas down from ceil: O(log n + k) for k areas skipped.
func (m *Map) topDown(floor, ceil, length uint64) (uint64, bool) {
	if floor >= ceil || length > ceil-floor {
		return 0, false
	}
	k := sort.Search(len(m.areas), func(k int) bool { return m.areas[k].Start >= ceil }) - 1
	top := ceil
	for ; ; k-- {
		bottom := floor
		if k >= 0 && m.areas[k].End > bottom {
			bottom = m.areas[k].End
		}
		if top > bottom && top-bottom >= length {
			return top - length, true
		}
		if k < 0 || m.areas[k].Start <= floor {
			return 0, false
		}
		top = min(top, m.areas[k].Start)
	}
}

// Munmap removes the mappings in [addr, addr+length) (length rounded up to pages) and returns
// the ranges that were mapped, whose frames the caller must unmap and free. Holes are fine.
// Errors: addr not page aligned, length 0, or the range reaching beyond hi: EINVAL (as Linux
// with TASK_SIZE = hi); splitting an area when the bound on areas is reached: ENOMEM. On
// error nothing changes.
func (m *Map) Munmap(addr, length uint64) ([]Range, unix.Errno) {
	if addr&pageMask != 0 || length == 0 {
		return nil, unix.EINVAL
	}
	length, ok := pageAlign(length)
	if !ok || addr > m.hi || length > m.hi-addr {
		return nil, unix.EINVAL
	}
	return m.unmap(addr, addr+length)
}

func (m *Map) unmap(start, end uint64) ([]Range, unix.Errno) {
	i, j := m.overlapping(start, end)
	if i == j {
		return nil, 0
	}
	released := m.mapped(i, j, start, end, nil)
	if e := m.replace(i, j, start, end, nil); e != 0 {
		return nil, e
	}
	return released, 0
}

// Mprotect sets the protection of [addr, addr+length) (length rounded up to pages) to prot
// and returns the ranges whose protection changed: present pages there must get the new
// permissions (dropping write or exec must be flushed from the TLB before returning to the
// user). Errors, checked in order:
//
//   - addr not page aligned: EINVAL.
//   - length 0: success, nothing done (whatever prot is, as Linux).
//   - addr+length (rounded) overflowing: ENOMEM.
//   - prot bits other than PROT_READ|PROT_WRITE|PROT_EXEC, PROT_SEM (dropped) and
//     PROT_GROWSDOWN, or PROT_GROWSUP: EINVAL.
//   - PROT_GROWSDOWN: the range is extended down to the start of the area containing addr,
//     which must have MAP_GROWSDOWN (EINVAL otherwise).
//   - any page of the range unmapped: ENOMEM. Unlike Linux, which changes the areas up to
//     the first hole before failing, nothing changes.
//   - splitting areas beyond the bound: ENOMEM, nothing changes.
func (m *Map) Mprotect(addr, length uint64, prot int) ([]Range, unix.Errno) {
	growsDown := prot&unix.PROT_GROWSDOWN != 0
	if addr&pageMask != 0 {
		return nil, unix.EINVAL
	}
	if length == 0 {
		return nil, 0
	}
	length, ok := pageAlign(length)
	if !ok || length > ^addr {
		return nil, unix.ENOMEM
	}
	prot &^= protSem | unix.PROT_GROWSDOWN
	if prot&^protRWX != 0 {
		return nil, unix.EINVAL
	}
	start, end := addr, addr+length
	if growsDown {
		a, ok := m.Lookup(start)
		if !ok {
			return nil, unix.ENOMEM
		}
		if a.Flags&unix.MAP_GROWSDOWN == 0 {
			return nil, unix.EINVAL
		}
		start = a.Start
	}
	i, j := m.overlapping(start, end)
	if !m.covered(i, j, start, end) {
		return nil, unix.ENOMEM
	}
	changed := m.mapped(i, j, start, end, func(a Area) bool { return a.Prot != prot })
	if len(changed) == 0 {
		return nil, 0
	}
	middle := make([]Area, 0, j-i)
	for k := i; k < j; k++ {
		a := clip(m.areas[k], start, end)
		a.Prot = prot
		middle = append(middle, a)
	}
	if e := m.replace(i, j, start, end, middle); e != 0 {
		return nil, e
	}
	return changed, 0
}

const madvSoftOffline = 101 // MADV_SOFT_OFFLINE; not in x/sys/unix

// Madvise applies advice to [addr, addr+length) (length rounded up to pages). For
// MADV_DONTNEED, MADV_DONTNEED_LOCKED and MADV_FREE it returns the mapped ranges whose
// frames the caller should unmap and free: the next touch faults in a zeroed page (MADV_FREE
// may also keep them; releasing is always correct). Areas never change. Errors, in order:
//
//   - advice unknown to Linux, or MADV_GUARD_INSTALL/MADV_GUARD_REMOVE (unsupported): EINVAL.
//   - MADV_HWPOISON, MADV_SOFT_OFFLINE: EPERM (they need CAP_SYS_ADMIN).
//   - addr not page aligned, or length overflowing: EINVAL.
//   - length 0: success, nothing done.
//   - any page of the range unmapped: ENOMEM. Unlike Linux, which applies the advice to the
//     mapped parts before failing, nothing is done.
//   - MADV_REMOVE: EINVAL (private anonymous memory has no backing file to punch).
//   - MADV_DONTNEED or MADV_FREE over a MAP_LOCKED area: EINVAL, as Linux.
//
// All other known advice (MADV_NORMAL, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_WILLNEED,
// MADV_POPULATE_*, MADV_DONTFORK, ...) is accepted and does nothing.
func (m *Map) Madvise(addr, length uint64, advice int) ([]Range, unix.Errno) {
	release := false
	switch advice {
	case unix.MADV_DONTNEED, unix.MADV_DONTNEED_LOCKED, unix.MADV_FREE:
		release = true
	case unix.MADV_HWPOISON, madvSoftOffline:
		return nil, unix.EPERM
	case unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED,
		unix.MADV_REMOVE, unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_MERGEABLE,
		unix.MADV_UNMERGEABLE, unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE, unix.MADV_DONTDUMP,
		unix.MADV_DODUMP, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK, unix.MADV_COLD,
		unix.MADV_PAGEOUT, unix.MADV_POPULATE_READ, unix.MADV_POPULATE_WRITE,
		unix.MADV_COLLAPSE:
	default:
		return nil, unix.EINVAL
	}
	if addr&pageMask != 0 {
		return nil, unix.EINVAL
	}
	length, ok := pageAlign(length)
	if !ok || length > ^addr {
		return nil, unix.EINVAL
	}
	if length == 0 {
		return nil, 0
	}
	start, end := addr, addr+length
	i, j := m.overlapping(start, end)
	if !m.covered(i, j, start, end) {
		return nil, unix.ENOMEM
	}
	if advice == unix.MADV_REMOVE {
		return nil, unix.EINVAL
	}
	if !release {
		return nil, 0
	}
	if advice != unix.MADV_DONTNEED_LOCKED {
		for k := i; k < j; k++ {
			if m.areas[k].Flags&unix.MAP_LOCKED != 0 {
				return nil, unix.EINVAL
			}
		}
	}
	return m.mapped(i, j, start, end, nil), 0
}

// Fault decides what to do about a page fault at addr for the given access. It returns the
// area containing addr (the zero Area for NoMapping) and:
//
//   - NoMapping if no area contains addr (SEGV_MAPERR);
//   - ProtectionFault if the area forbids the access (SEGV_ACCERR): any access to PROT_NONE,
//     a write without PROT_WRITE, an instruction fetch without PROT_EXEC;
//   - MapPage otherwise. As on x86-64 Linux, a read is allowed from any accessible area,
//     including write-only or exec-only ones (page tables cannot express them).
//
// Fault does not grow MAP_GROWSDOWN areas.
func (m *Map) Fault(addr uint64, access Access) (Area, FaultResult) {
	a, ok := m.Lookup(addr)
	if !ok {
		return Area{}, NoMapping
	}
	var allowed bool
	switch access {
	case Read:
		allowed = a.Prot&protRWX != 0
	case Write:
		allowed = a.Prot&unix.PROT_WRITE != 0
	case Exec:
		allowed = a.Prot&unix.PROT_EXEC != 0
	}
	if !allowed {
		return a, ProtectionFault
	}
	return a, MapPage
}

// SetBrkBase sets the start of the heap (Linux's start_brk, normally the page-aligned end of
// the executable's bss) and the current break to base, which must be page aligned and inside
// [lo, hi] (EINVAL otherwise). The loader calls it once per exec; it does not touch areas.
// Until it is called, Brk fails (returns 0).
func (m *Map) SetBrkBase(base uint64) unix.Errno {
	if base&pageMask != 0 || base < m.lo || base > m.hi {
		return unix.EINVAL
	}
	m.brkBase, m.brk = base, base
	return 0
}

// BrkBase returns the heap start set by SetBrkBase (0 if none).
func (m *Map) BrkBase() uint64 { return m.brkBase }

// Break returns the current program break.
func (m *Map) Break() uint64 { return m.brk }

// Brk implements brk(newBrk) with Linux semantics and returns the new break, or the current
// one if the request fails (brk(0) is the usual query): newBrk below the base fails; a
// break in the same page as the current one (after rounding both up) is just recorded;
// shrinking unmaps [PageAlign(newBrk), PageAlign(brk)) and returns those mapped ranges for
// the caller to free; growing maps [PageAlign(brk), PageAlign(newBrk)) as a private anonymous
// read-write area named [HeapName], and fails if any area intersects
// [PageAlign(brk), PageAlign(newBrk)+PageSize) (Linux keeps one free page above the heap),
// if PageAlign(newBrk) exceeds hi, or if the area bound would be exceeded. There is no
// RLIMIT_DATA check.
func (m *Map) Brk(newBrk uint64) (uint64, []Range) {
	if m.brkBase == 0 || newBrk < m.brkBase {
		return m.brk, nil
	}
	newTop, ok := pageAlign(newBrk)
	if !ok || newTop > m.hi {
		return m.brk, nil
	}
	oldTop, _ := pageAlign(m.brk) // m.brk <= hi
	switch {
	case newTop == oldTop:
		m.brk = newBrk
		return m.brk, nil
	case newTop < oldTop:
		released, e := m.unmap(newTop, oldTop)
		if e != 0 {
			return m.brk, nil
		}
		m.brk = newBrk
		return m.brk, released
	}
	guardEnd := newTop + PageSize
	if guardEnd < newTop {
		guardEnd = newTop // cannot happen with hi <= 2^64 - PageSize
	}
	if !m.free(oldTop, guardEnd) {
		return m.brk, nil
	}
	heap := Area{Start: oldTop, End: newTop, Prot: unix.PROT_READ | unix.PROT_WRITE,
		Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, Name: HeapName}
	i, j := m.overlapping(oldTop, newTop)
	if e := m.replace(i, j, oldTop, newTop, []Area{heap}); e != 0 {
		return m.brk, nil
	}
	m.brk = newBrk
	return m.brk, nil
}
