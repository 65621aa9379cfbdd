package vm

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const (
	anon = unix.MAP_PRIVATE | unix.MAP_ANONYMOUS
	rw   = unix.PROT_READ | unix.PROT_WRITE
	ro   = unix.PROT_READ
	none = unix.PROT_NONE
	lo   = 0x10000
	hi   = 1 << 47
	KiB  = 1 << 10
	MiB  = 1 << 20
	P    = PageSize
)

func check(t *testing.T, m *Map) {
	t.Helper()
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
}

func mustMmap(t *testing.T, m *Map, addr, length uint64, prot, flags int) uint64 {
	t.Helper()
	a, _, e := m.Mmap(addr, length, prot, flags, -1, 0)
	if e != 0 {
		t.Fatalf("Mmap(%#x, %#x, %#x, %#x) = %v", addr, length, prot, flags, e)
	}
	check(t, m)
	return a
}

func area(start, end uint64, prot, flags int) Area {
	return Area{Start: start, End: end, Prot: prot, Flags: flags}
}

func wantAreas(t *testing.T, m *Map, want ...Area) {
	t.Helper()
	check(t, m)
	if got := m.Areas(); !slices.Equal(got, want) {
		t.Fatalf("areas:\n%v\nwant:\n%v", got, want)
	}
}

func wantRanges(t *testing.T, what string, got []Range, want ...Range) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s ranges %v, want %v", what, got, want)
	}
}

func TestMmapErrors(t *testing.T) {
	tests := []struct {
		name         string
		addr, length uint64
		prot, flags  int
		fd           int
		off          uint64
		want         unix.Errno
	}{
		{"unaligned offset", 0, P, rw, anon, -1, 1, unix.EINVAL},
		{"file, no fd", 0, P, rw, unix.MAP_PRIVATE, -1, 0, unix.EBADF},
		{"file mapping", 0, P, rw, unix.MAP_PRIVATE, 3, 0, unix.ENODEV},
		{"zero length", 0, 0, rw, anon, -1, 0, unix.EINVAL},
		{"no map type", 0, P, rw, unix.MAP_ANONYMOUS, -1, 0, unix.EINVAL},
		{"MAP_DROPPABLE", 0, P, rw, unix.MAP_DROPPABLE | unix.MAP_ANONYMOUS, -1, 0, unix.EINVAL},
		{"unknown flag", 0, P, rw, anon | unix.MAP_ABOVE4G, -1, 0, unix.EINVAL},
		{"unknown high flag", 0, P, rw, anon | 0x200000, -1, 0, unix.EINVAL},
		{"prot beyond RWX", 0, P, rw | 0x10, anon, -1, 0, unix.EINVAL},
		{"PROT_GROWSDOWN", 0, P, rw | unix.PROT_GROWSDOWN, anon, -1, 0, unix.EINVAL},
		{"hugetlb", 0, 2 * MiB, rw, anon | unix.MAP_HUGETLB | unix.MAP_HUGE_2MB, -1, 0, unix.ENOMEM},
		{"length overflows", 0, ^uint64(0), rw, anon, -1, 0, unix.ENOMEM},
		{"length beyond range", 0, hi, rw, anon, -1, 0, unix.ENOMEM},
		{"fixed unaligned", lo + 1, P, rw, anon | unix.MAP_FIXED, -1, 0, unix.EINVAL},
		{"fixed below lo", lo - P, P, rw, anon | unix.MAP_FIXED, -1, 0, unix.EPERM},
		{"fixed zero", 0, P, rw, anon | unix.MAP_FIXED, -1, 0, unix.EPERM},
		{"fixed beyond hi", hi - P, 2 * P, rw, anon | unix.MAP_FIXED, -1, 0, unix.ENOMEM},
		{"noreplace unaligned", lo + 8, P, rw, anon | unix.MAP_FIXED_NOREPLACE, -1, 0, unix.EINVAL},
		{"noreplace overlap", 0x100000 + 3*P, P, rw, anon | unix.MAP_FIXED_NOREPLACE, -1, 0, unix.EEXIST},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New(lo, hi)
			mustMmap(t, m, 0x100000, 4*P, rw, anon|unix.MAP_FIXED)
			before := m.Areas()
			a, rs, e := m.Mmap(tt.addr, tt.length, tt.prot, tt.flags, tt.fd, tt.off)
			if e != tt.want || a != 0 || rs != nil {
				t.Fatalf("got (%#x, %v, %v), want (0, nil, %v)", a, rs, e, tt.want)
			}
			wantAreas(t, m, before...)
		})
	}
}

func TestMmapPlacement(t *testing.T) {
	m := New(lo, hi)
	// Top-down from hi.
	a := mustMmap(t, m, 0, 3*P-100, rw, anon)
	if a != hi-3*P {
		t.Fatalf("first mapping at %#x, want %#x", a, uint64(hi-3*P))
	}
	b := mustMmap(t, m, 0, P, ro, anon)
	if b != hi-4*P {
		t.Fatalf("second mapping at %#x", b)
	}
	// A free hint is used, rounded down to a page.
	if c := mustMmap(t, m, 0x200000+123, P, rw, anon); c != 0x200000 {
		t.Fatalf("hint gave %#x", c)
	}
	// An occupied hint falls back to top-down.
	if c := mustMmap(t, m, 0x200000, P, rw, anon); c != hi-5*P {
		t.Fatalf("occupied hint gave %#x", c)
	}
	// A nonzero hint below lo is raised to lo.
	if c := mustMmap(t, m, P, P, rw, anon); c != lo {
		t.Fatalf("low hint gave %#x", c)
	}
	// A hint whose range crosses hi is ignored.
	if c := mustMmap(t, m, hi-P, 2*P, rw, anon); c != hi-7*P {
		t.Fatalf("hint across hi gave %#x", c)
	}
	// A freed hole near the top is reused (no cursor).
	if _, e := m.Munmap(hi-4*P, P); e != 0 {
		t.Fatal(e)
	}
	if c := mustMmap(t, m, 0, P, rw|unix.PROT_EXEC, anon); c != hi-4*P {
		t.Fatalf("hole reuse gave %#x", c)
	}
	// A mapping too big for the hole goes below.
	if c := mustMmap(t, m, 0, 2*P, rw|unix.PROT_EXEC, anon); c != hi-9*P {
		t.Fatalf("big mapping gave %#x", c)
	}
	// MAP_32BIT stays in [1 GiB, 2 GiB).
	if c := mustMmap(t, m, 0, P, rw, anon|unix.MAP_32BIT); c != map32Hi-P {
		t.Fatalf("MAP_32BIT gave %#x", c)
	}
	if c := mustMmap(t, m, 0x200000, P, rw, anon|unix.MAP_32BIT); c != map32Hi-2*P {
		t.Fatalf("MAP_32BIT with a low hint gave %#x", c)
	}
	// MAP_SHARED is kept in Flags; one-shot flags are not.
	s := mustMmap(t, m, 0x300000, P, rw, unix.MAP_SHARED_VALIDATE|unix.MAP_ANONYMOUS|unix.MAP_POPULATE|unix.MAP_STACK)
	if ar, _ := m.Lookup(s); ar.Flags != unix.MAP_SHARED|unix.MAP_ANONYMOUS|unix.MAP_STACK {
		t.Fatalf("shared area flags %#x", ar.Flags)
	}
	// No room.
	small := New(lo, lo+4*P)
	mustMmap(t, small, 0, 2*P, rw, anon)
	mustMmap(t, small, lo, P, ro, anon|unix.MAP_FIXED)
	if _, _, e := small.Mmap(0, 2*P, rw, anon, -1, 0); e != unix.ENOMEM {
		t.Fatalf("full map: %v", e)
	}
	if a := mustMmap(t, small, 0, P, ro, anon); a != lo+P {
		t.Fatalf("last page at %#x", a)
	}
	wantAreas(t, small, area(lo, lo+2*P, ro, anon), area(lo+2*P, lo+4*P, rw, anon))
}

func TestMmapFixedReplaces(t *testing.T) {
	m := New(lo, hi)
	const base = 0x400000
	mustMmap(t, m, base, 8*P, none, anon|unix.MAP_FIXED)
	mustMmap(t, m, base+10*P, 2*P, ro, anon|unix.MAP_FIXED)

	// RW over the middle of the PROT_NONE area: three pieces.
	_, rs, e := m.Mmap(base+2*P, 3*P, rw, anon|unix.MAP_FIXED, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "fixed", rs, Range{base + 2*P, base + 5*P})
	wantAreas(t, m, area(base, base+2*P, none, anon), area(base+2*P, base+5*P, rw, anon),
		area(base+5*P, base+8*P, none, anon), area(base+10*P, base+12*P, ro, anon))

	// Over a hole and two areas: the released ranges skip the hole.
	_, rs, e = m.Mmap(base+6*P, 5*P, rw, anon|unix.MAP_FIXED, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "fixed over hole", rs, Range{base + 6*P, base + 8*P}, Range{base + 10*P, base + 11*P})
	wantAreas(t, m, area(base, base+2*P, none, anon), area(base+2*P, base+5*P, rw, anon),
		area(base+5*P, base+6*P, none, anon), area(base+6*P, base+11*P, rw, anon),
		area(base+11*P, base+12*P, ro, anon))

	// Same attributes over the gap merges everything RW into one area, and the released
	// ranges are coalesced.
	_, rs, e = m.Mmap(base+2*P, 9*P, rw, anon|unix.MAP_FIXED, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "merge", rs, Range{base + 2*P, base + 11*P})
	wantAreas(t, m, area(base, base+2*P, none, anon), area(base+2*P, base+11*P, rw, anon),
		area(base+11*P, base+12*P, ro, anon))

	// MAP_FIXED_NOREPLACE into a hole just below an area succeeds and merges.
	if _, _, e := m.Mmap(base-P, P, none, anon|unix.MAP_FIXED_NOREPLACE, -1, 0); e != 0 {
		t.Fatal(e)
	}
	wantAreas(t, m, area(base-P, base+2*P, none, anon), area(base+2*P, base+11*P, rw, anon),
		area(base+11*P, base+12*P, ro, anon))
}

func TestMunmap(t *testing.T) {
	m := New(lo, hi)
	const base = 0x400000
	mustMmap(t, m, base, 10*P, rw, anon|unix.MAP_FIXED)
	for _, tt := range []struct {
		addr, length uint64
		want         unix.Errno
	}{
		{base + 1, P, unix.EINVAL},
		{base, 0, unix.EINVAL},
		{hi - P, 2 * P, unix.EINVAL},
		{hi + P, P, unix.EINVAL},
		{base, ^uint64(0), unix.EINVAL},
	} {
		if rs, e := m.Munmap(tt.addr, tt.length); e != tt.want || rs != nil {
			t.Errorf("Munmap(%#x, %#x) = %v, %v; want %v", tt.addr, tt.length, rs, e, tt.want)
		}
	}
	// A hole: nothing to release.
	if rs, e := m.Munmap(0x100000, 16*P); e != 0 || rs != nil {
		t.Fatalf("hole: %v %v", rs, e)
	}
	// Below lo is only a hole.
	if rs, e := m.Munmap(0, lo); e != 0 || rs != nil {
		t.Fatalf("below lo: %v %v", rs, e)
	}
	// Split in the middle, length rounded up.
	rs, e := m.Munmap(base+4*P, 2*P-1)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "split", rs, Range{base + 4*P, base + 6*P})
	wantAreas(t, m, area(base, base+4*P, rw, anon), area(base+6*P, base+10*P, rw, anon))
	// Across the hole: two ranges.
	rs, e = m.Munmap(base+3*P, 4*P)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "across", rs, Range{base + 3*P, base + 4*P}, Range{base + 6*P, base + 7*P})
	wantAreas(t, m, area(base, base+3*P, rw, anon), area(base+7*P, base+10*P, rw, anon))
	// Everything.
	rs, e = m.Munmap(lo, hi-lo)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "all", rs, Range{base, base + 3*P}, Range{base + 7*P, base + 10*P})
	wantAreas(t, m)
}

func TestMprotect(t *testing.T) {
	m := New(lo, hi)
	const base = 0x400000
	mustMmap(t, m, base, 8*P, rw, anon|unix.MAP_FIXED)
	mustMmap(t, m, base+10*P, 2*P, rw, anon|unix.MAP_FIXED)
	before := m.Areas()
	for _, tt := range []struct {
		name         string
		addr, length uint64
		prot         int
		want         unix.Errno
	}{
		{"unaligned", base + 1, P, ro, unix.EINVAL},
		{"bad prot", base, P, 0x10, unix.EINVAL},
		{"growsup", base, P, ro | unix.PROT_GROWSUP, unix.EINVAL},
		{"overflow", base, ^uint64(0) - P, ro, unix.ENOMEM},
		{"unmapped", 0x100000, P, ro, unix.ENOMEM},
		{"hole in the middle", base, 12 * P, ro, unix.ENOMEM},
		{"past the end", base + 11*P, 2 * P, ro, unix.ENOMEM},
		{"growsdown on a normal area", base + P, P, ro | unix.PROT_GROWSDOWN, unix.EINVAL},
		{"zero length, bad prot", base, 0, 0x10, 0},
	} {
		if rs, e := m.Mprotect(tt.addr, tt.length, tt.prot); e != tt.want || rs != nil {
			t.Errorf("%s: Mprotect = %v, %v; want %v", tt.name, rs, e, tt.want)
		}
		wantAreas(t, m, before...)
	}
	// Same protection: nothing changes.
	if rs, e := m.Mprotect(base, 8*P, rw|protSem); e != 0 || rs != nil {
		t.Fatalf("no-op: %v %v", rs, e)
	}
	// Split in the middle.
	rs, e := m.Mprotect(base+2*P, 2*P-5, ro)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "split", rs, Range{base + 2*P, base + 4*P})
	wantAreas(t, m, area(base, base+2*P, rw, anon), area(base+2*P, base+4*P, ro, anon),
		area(base+4*P, base+8*P, rw, anon), area(base+10*P, base+12*P, rw, anon))
	// Over a mixed range: only the pages that change are reported; the result merges.
	rs, e = m.Mprotect(base+P, 6*P, ro)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "mixed", rs, Range{base + P, base + 2*P}, Range{base + 4*P, base + 7*P})
	wantAreas(t, m, area(base, base+P, rw, anon), area(base+P, base+7*P, ro, anon),
		area(base+7*P, base+8*P, rw, anon), area(base+10*P, base+12*P, rw, anon))
	// Back to RW: one area again.
	if _, e := m.Mprotect(base, 8*P, rw); e != 0 {
		t.Fatal(e)
	}
	wantAreas(t, m, area(base, base+8*P, rw, anon), area(base+10*P, base+12*P, rw, anon))

	// PROT_GROWSDOWN extends to the start of a MAP_GROWSDOWN area.
	const stack = 0x800000
	mustMmap(t, m, stack, 4*P, rw, anon|unix.MAP_FIXED|unix.MAP_GROWSDOWN)
	rs, e = m.Mprotect(stack+2*P, P, rw|unix.PROT_EXEC|unix.PROT_GROWSDOWN)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "growsdown", rs, Range{stack, stack + 3*P})
	a, _ := m.Lookup(stack)
	if a != area(stack, stack+3*P, rw|unix.PROT_EXEC, anon|unix.MAP_GROWSDOWN) {
		t.Fatalf("growsdown area %v", a)
	}
}

func TestMadvise(t *testing.T) {
	m := New(lo, hi)
	const base = 0x400000
	mustMmap(t, m, base, 4*P, rw, anon|unix.MAP_FIXED)
	mustMmap(t, m, base+4*P, 2*P, none, anon|unix.MAP_FIXED)
	mustMmap(t, m, base+8*P, 2*P, rw, anon|unix.MAP_FIXED|unix.MAP_LOCKED)
	before := m.Areas()
	for _, tt := range []struct {
		name         string
		addr, length uint64
		advice       int
		want         unix.Errno
		ranges       []Range
	}{
		{"unknown advice", base, P, 999, unix.EINVAL, nil},
		{"guard install", base, P, unix.MADV_GUARD_INSTALL, unix.EINVAL, nil},
		{"hwpoison", base, P, unix.MADV_HWPOISON, unix.EPERM, nil},
		{"unaligned", base + 8, P, unix.MADV_DONTNEED, unix.EINVAL, nil},
		{"overflow", base, ^uint64(0), unix.MADV_DONTNEED, unix.EINVAL, nil},
		{"zero length", base + 8*P, 0, unix.MADV_DONTNEED, 0, nil},
		{"unmapped", 0x100000, P, unix.MADV_NORMAL, unix.ENOMEM, nil},
		{"partly unmapped", base + 5*P, 2 * P, unix.MADV_DONTNEED, unix.ENOMEM, nil},
		{"remove", base, P, unix.MADV_REMOVE, unix.EINVAL, nil},
		{"dontneed locked", base + 8*P, P, unix.MADV_DONTNEED, unix.EINVAL, nil},
		{"free locked", base + 8*P, P, unix.MADV_FREE, unix.EINVAL, nil},
		{"dontneed_locked", base + 8*P, P, unix.MADV_DONTNEED_LOCKED, 0, []Range{{base + 8*P, base + 9*P}}},
		{"hugepage", base, 6 * P, unix.MADV_HUGEPAGE, 0, nil},
		{"nohugepage", base, 6 * P, unix.MADV_NOHUGEPAGE, 0, nil},
		{"dontneed", base + P, 4*P - 1, unix.MADV_DONTNEED, 0, []Range{{base + P, base + 5*P}}},
		{"free", base, 6 * P, unix.MADV_FREE, 0, []Range{{base, base + 6*P}}},
	} {
		rs, e := m.Madvise(tt.addr, tt.length, tt.advice)
		if e != tt.want || !slices.Equal(rs, tt.ranges) {
			t.Errorf("%s: Madvise = %v, %v; want %v, %v", tt.name, rs, e, tt.ranges, tt.want)
		}
		wantAreas(t, m, before...)
	}
}

func TestFault(t *testing.T) {
	m := New(lo, hi)
	const base = 0x400000
	prots := []int{none, ro, rw, unix.PROT_WRITE, unix.PROT_EXEC, ro | unix.PROT_EXEC}
	for i, p := range prots {
		mustMmap(t, m, base+uint64(2*i)*P, P, p, anon|unix.MAP_FIXED)
	}
	want := [][3]FaultResult{ // Read, Write, Exec
		{ProtectionFault, ProtectionFault, ProtectionFault},
		{MapPage, ProtectionFault, ProtectionFault},
		{MapPage, MapPage, ProtectionFault},
		{MapPage, MapPage, ProtectionFault},
		{MapPage, ProtectionFault, MapPage},
		{MapPage, ProtectionFault, MapPage},
	}
	for i, p := range prots {
		addr := base + uint64(2*i)*P + 0x123
		for acc := Read; acc <= Exec; acc++ {
			a, r := m.Fault(addr, acc)
			if r != want[i][acc] {
				t.Errorf("prot %#x %v: %v, want %v", p, acc, r, want[i][acc])
			}
			if a.Prot != p || a.Start != base+uint64(2*i)*P {
				t.Errorf("prot %#x %v: area %v", p, acc, a)
			}
		}
		if a, r := m.Fault(addr+P, Read); r != NoMapping || a != (Area{}) {
			t.Errorf("hole after prot %#x: %v %v", p, a, r)
		}
	}
	for _, addr := range []uint64{0, lo - 1, hi, ^uint64(0)} {
		if _, r := m.Fault(addr, Write); r != NoMapping {
			t.Errorf("Fault(%#x) = %v", addr, r)
		}
	}
	if _, r := m.Fault(base, Access(7)); r != ProtectionFault {
		t.Errorf("bad access: %v", r)
	}
}

func TestBrk(t *testing.T) {
	m := New(lo, hi)
	if b, rs := m.Brk(0x500000); b != 0 || rs != nil {
		t.Fatalf("Brk before SetBrkBase = %#x %v", b, rs)
	}
	for _, bad := range []uint64{0x500001, lo - P, hi + P} {
		if e := m.SetBrkBase(bad); e != unix.EINVAL {
			t.Fatalf("SetBrkBase(%#x) = %v", bad, e)
		}
	}
	const base = 0x500000
	if e := m.SetBrkBase(base); e != 0 || m.BrkBase() != base {
		t.Fatal(e)
	}
	heap := func(start, end uint64) Area {
		return Area{Start: start, End: end, Prot: rw, Flags: anon, Name: HeapName}
	}
	steps := []struct {
		arg, want uint64
		released  []Range
		areas     []Area
	}{
		{0, base, nil, nil},        // query
		{base - 1, base, nil, nil}, // below the base
		{base + 10, base + 10, nil, []Area{heap(base, base+P)}},
		{base + P, base + P, nil, []Area{heap(base, base+P)}}, // same page
		{base + 3*P + 1, base + 3*P + 1, nil, []Area{heap(base, base+4*P)}},
		{base + P, base + P, []Range{{base + P, base + 4*P}}, []Area{heap(base, base+P)}},
		{base, base, []Range{{base, base + P}}, nil},
		{hi + 1, base, nil, nil}, // beyond hi
		{^uint64(0), base, nil, nil},
	}
	for _, s := range steps {
		b, rs := m.Brk(s.arg)
		if b != s.want || !slices.Equal(rs, s.released) {
			t.Fatalf("Brk(%#x) = %#x, %v; want %#x, %v", s.arg, b, rs, s.want, s.released)
		}
		wantAreas(t, m, s.areas...)
	}
	// Growth must leave a free page below the next mapping.
	mustMmap(t, m, base+8*P, P, ro, anon|unix.MAP_FIXED)
	if b, _ := m.Brk(base + 8*P); b != base {
		t.Fatalf("colliding Brk = %#x", b)
	}
	if b, _ := m.Brk(base + 7*P + 1); b != base {
		t.Fatalf("Brk into the guard page = %#x", b)
	}
	if b, _ := m.Brk(base + 7*P); b != base+7*P {
		t.Fatalf("Brk up to the guard page = %#x", b)
	}
	// The heap can be mprotected or partly unmapped by the user; shrinking copes.
	if _, e := m.Munmap(base+2*P, P); e != 0 {
		t.Fatal(e)
	}
	b, rs := m.Brk(base + P)
	if b != base+P {
		t.Fatalf("shrink = %#x", b)
	}
	wantRanges(t, "shrink over hole", rs, Range{base + P, base + 2*P}, Range{base + 3*P, base + 7*P})
	wantAreas(t, m, heap(base, base+P), area(base+8*P, base+9*P, ro, anon))
	// The heap does not merge with an adjacent anonymous RW mapping.
	mustMmap(t, m, base+P, P, rw, anon|unix.MAP_FIXED)
	wantAreas(t, m, heap(base, base+P), area(base+P, base+2*P, rw, anon), area(base+8*P, base+9*P, ro, anon))
}

func TestMaxAreas(t *testing.T) {
	m := New(lo, hi)
	m.SetMaxAreas(2)
	const base = 0x400000
	mustMmap(t, m, base, 4*P, rw, anon|unix.MAP_FIXED)
	mustMmap(t, m, base+8*P, P, rw, anon|unix.MAP_FIXED)
	before := m.Areas()
	if _, _, e := m.Mmap(base+16*P, P, rw, anon|unix.MAP_FIXED, -1, 0); e != unix.ENOMEM {
		t.Fatalf("third area: %v", e)
	}
	if _, _, e := m.Mmap(0, P, rw, anon, -1, 0); e != unix.ENOMEM {
		t.Fatalf("third area, placed: %v", e)
	}
	if rs, e := m.Munmap(base+P, P); e != unix.ENOMEM || rs != nil {
		t.Fatalf("split by munmap: %v %v", rs, e)
	}
	if rs, e := m.Mprotect(base+P, P, ro); e != unix.ENOMEM || rs != nil {
		t.Fatalf("split by mprotect: %v %v", rs, e)
	}
	if _, _, e := m.Mmap(base+P, P, ro, anon|unix.MAP_FIXED, -1, 0); e != unix.ENOMEM {
		t.Fatalf("split by mmap: %v", e)
	}
	wantAreas(t, m, before...)
	// Operations that keep or lower the count still work.
	mustMmap(t, m, base+4*P, 4*P, rw, anon|unix.MAP_FIXED) // bridges: one area
	mustMmap(t, m, base+16*P, P, rw, anon|unix.MAP_FIXED)
	if _, e := m.Mprotect(base, 9*P, ro); e != 0 {
		t.Fatal(e)
	}
	if _, e := m.Munmap(base, P); e != 0 {
		t.Fatal(e)
	}
	wantAreas(t, m, area(base+P, base+9*P, ro, anon), area(base+16*P, base+17*P, rw, anon))
	m.SetMaxAreas(0)
	if err := m.Check(); err == nil {
		t.Fatal("Check accepted more areas than the bound")
	}
}

func TestCheckDetects(t *testing.T) {
	bad := map[string][]Area{
		"unaligned":  {area(lo+1, lo+P, rw, anon)},
		"empty":      {area(lo+P, lo+P, rw, anon)},
		"below lo":   {area(0, P, rw, anon)},
		"above hi":   {area(hi-P, hi+P, rw, anon)},
		"bad prot":   {area(lo, lo+P, 0x10, anon)},
		"overlap":    {area(lo, lo+2*P, rw, anon), area(lo+P, lo+3*P, ro, anon)},
		"unsorted":   {area(lo+4*P, lo+5*P, rw, anon), area(lo, lo+P, ro, anon)},
		"not merged": {area(lo, lo+P, rw, anon), area(lo+P, lo+2*P, rw, anon)},
	}
	for name, areas := range bad {
		m := New(lo, hi)
		m.areas = areas
		if err := m.Check(); err == nil {
			t.Errorf("%s: Check accepted %v", name, areas)
		}
	}
	m := New(lo, hi)
	m.brkBase, m.brk = 2*P, P
	if err := m.Check(); err == nil || !strings.Contains(err.Error(), "break") {
		t.Errorf("break below base: %v", err)
	}
}

func TestNewPanics(t *testing.T) {
	for _, r := range [][2]uint64{{0, hi}, {lo + 1, hi}, {lo, hi - 1}, {hi, lo}, {lo, lo}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%#x, %#x) did not panic", r[0], r[1])
				}
			}()
			New(r[0], r[1])
		}()
	}
}

// TestGoRuntimeStartup replays the address-space calls a Go program's runtime makes while
// starting, as understood from its allocator: small off-heap chunks placed by the kernel, a
// 64 MiB-aligned reservation made by over-reserving size+align bytes PROT_NONE and trimming
// the unaligned head and tail, heap arenas reserved at the runtime's hint address, and RW
// mappings (MAP_FIXED) over the parts in use, later returned with MADV_DONTNEED.
func TestGoRuntimeStartup(t *testing.T) {
	m := New(lo, hi)
	const arena = 64 * MiB

	// An off-heap chunk (persistentalloc-style): placed top-down.
	chunk := mustMmap(t, m, 0, 256*KiB, rw, anon)
	if chunk != hi-256*KiB {
		t.Fatalf("chunk at %#x", chunk)
	}

	// Aligned reservation of 64 MiB: reserve 128 MiB, keep the aligned 64 MiB inside.
	p := mustMmap(t, m, 0, 2*arena, none, anon)
	if p%arena == 0 {
		t.Fatalf("reservation %#x happens to be aligned; the replay wants the trimming path", p)
	}
	aligned := (p + arena - 1) &^ (arena - 1)
	rs, e := m.Munmap(p, aligned-p)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "head", rs, Range{p, aligned})
	if tail := p + 2*arena - (aligned + arena); tail > 0 {
		rs, e = m.Munmap(aligned+arena, tail)
		if e != 0 {
			t.Fatal(e)
		}
		wantRanges(t, "tail", rs, Range{aligned + arena, p + 2*arena})
	}
	wantAreas(t, m, area(aligned, aligned+arena, none, anon), area(chunk, hi, rw, anon))

	// Use the first 4 MiB of it.
	if a := mustMmap(t, m, aligned, 4*MiB, rw, anon|unix.MAP_FIXED); a != aligned {
		t.Fatalf("MAP_FIXED at %#x", a)
	}

	// A heap arena at the runtime's hint: free, so it lands exactly there.
	const hint = 0xc000000000
	if a := mustMmap(t, m, hint, arena, none, anon); a != hint {
		t.Fatalf("arena hint gave %#x", a)
	}
	// The heap grows in 4 MiB steps inside the reservation.
	mustMmap(t, m, hint, 4*MiB, rw, anon|unix.MAP_FIXED)
	_, rs, e = m.Mmap(hint+4*MiB, 4*MiB, rw, anon|unix.MAP_FIXED, -1, 0)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "heap growth", rs, Range{hint + 4*MiB, hint + 8*MiB}) // the PROT_NONE pages replaced
	// The scavenger returns 1 MiB in the middle; the area stays.
	rs, e = m.Madvise(hint+2*MiB, MiB, unix.MADV_DONTNEED)
	if e != 0 {
		t.Fatal(e)
	}
	wantRanges(t, "scavenge", rs, Range{hint + 2*MiB, hint + 3*MiB})
	if _, e := m.Madvise(hint, arena, unix.MADV_HUGEPAGE); e != 0 {
		t.Fatal(e)
	}

	wantAreas(t, m,
		area(hint, hint+8*MiB, rw, anon),
		area(hint+8*MiB, hint+arena, none, anon),
		area(aligned, aligned+4*MiB, rw, anon),
		area(aligned+4*MiB, aligned+arena, none, anon),
		area(chunk, hi, rw, anon),
	)

	// Faults: touching the heap maps pages lazily; the reserved part is SEGV_ACCERR; the
	// trimmed head is SEGV_MAPERR.
	for _, f := range []struct {
		addr uint64
		acc  Access
		want FaultResult
	}{
		{hint, Write, MapPage},
		{hint + 8*MiB - 1, Read, MapPage},
		{hint + 8*MiB, Read, ProtectionFault},
		{hint + 2*MiB, Exec, ProtectionFault},
		{aligned + 4*MiB - 8, Write, MapPage},
		{aligned + 4*MiB, Write, ProtectionFault},
		{p, Read, NoMapping},
		{aligned - 1, Read, NoMapping},
		{hint + arena, Read, NoMapping},
	} {
		if _, r := m.Fault(f.addr, f.acc); r != f.want {
			t.Errorf("Fault(%#x, %v) = %v, want %v", f.addr, f.acc, r, f.want)
		}
	}
}

func TestStrings(t *testing.T) {
	for _, s := range []string{
		Range{P, 2 * P}.String(), area(P, 2*P, rw, anon).String(), Read.String(), Write.String(),
		Exec.String(), Access(9).String(), NoMapping.String(), MapPage.String(),
		ProtectionFault.String(), FaultResult(9).String(),
	} {
		if s == "" {
			t.Error("empty string")
		}
	}
	if (Range{P, 3 * P}).Len() != 2*P || area(P, 4*P, rw, anon).Len() != 3*P {
		t.Error("Len")
	}
	m := New(lo, hi)
	if l, h := m.Bounds(); l != lo || h != hi || m.Len() != 0 {
		t.Error("Bounds/Len")
	}
}
