package vm

import (
	"fmt"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"
)

// The model: a page-granular map[page address]attributes over a small address range,
// written independently of Map's area arithmetic. Every operation is computed page by page
// on a copy, and the bound on areas is checked by counting maximal runs of the result.

const (
	modelLo    = 0x10000
	modelPages = 256
	modelHi    = modelLo + modelPages*PageSize
)

type pageAttr struct {
	prot, flags int
	name        string
}

type model struct {
	pages        map[uint64]pageAttr
	maxAreas     int
	brkBase, brk uint64
}

func (md *model) clone() map[uint64]pageAttr {
	c := make(map[uint64]pageAttr, len(md.pages))
	for k, v := range md.pages {
		c[k] = v
	}
	return c
}

// runs returns the maximal runs of equal attributes: the areas Map must hold.
func runs(pages map[uint64]pageAttr) []Area {
	keys := make([]uint64, 0, len(pages))
	for k := range pages {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []Area
	for _, k := range keys {
		a := pages[k]
		if n := len(out); n > 0 && out[n-1].End == k && out[n-1].Prot == a.prot &&
			out[n-1].Flags == a.flags && out[n-1].Name == a.name {
			out[n-1].End = k + PageSize
			continue
		}
		out = append(out, Area{Start: k, End: k + PageSize, Prot: a.prot, Flags: a.flags, Name: a.name})
	}
	return out
}

// commit installs pages unless that exceeds the bound on areas.
func (md *model) commit(pages map[uint64]pageAttr) bool {
	if len(runs(pages)) > md.maxAreas {
		return false
	}
	md.pages = pages
	return true
}

// span returns the page addresses of [start, start+length) for an aligned start and
// length; ok is false if the range wraps.
func span(start, length uint64) ([]uint64, bool) {
	if start+length < start {
		return nil, false
	}
	var ps []uint64
	for p := start; p < start+length; p += PageSize {
		ps = append(ps, p)
	}
	return ps, true
}

func roundUp(n uint64) (uint64, bool) {
	if n > ^uint64(0)-(PageSize-1) {
		return 0, false
	}
	return (n + PageSize - 1) / PageSize * PageSize, true
}

func (md *model) allFree(start, length uint64) bool {
	for p := start; p < start+length; p += PageSize {
		if _, ok := md.pages[p]; ok {
			return false
		}
	}
	return true
}

func (md *model) mapped(ps []uint64) []uint64 {
	var out []uint64
	for _, p := range ps {
		if _, ok := md.pages[p]; ok {
			out = append(out, p)
		}
	}
	return out
}

func (md *model) mmap(addr, length uint64, prot, flags, fd int, off uint64) (uint64, []uint64, unix.Errno) {
	if off%PageSize != 0 {
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
	kind := 0
	switch flags & 0xf {
	case unix.MAP_PRIVATE:
		kind = unix.MAP_PRIVATE
	case unix.MAP_SHARED, unix.MAP_SHARED_VALIDATE:
		kind = unix.MAP_SHARED
	default:
		return 0, nil, unix.EINVAL
	}
	known := unix.MAP_FIXED | unix.MAP_ANONYMOUS | unix.MAP_32BIT | unix.MAP_GROWSDOWN |
		unix.MAP_DENYWRITE | unix.MAP_EXECUTABLE | unix.MAP_LOCKED | unix.MAP_NORESERVE |
		unix.MAP_POPULATE | unix.MAP_NONBLOCK | unix.MAP_STACK | unix.MAP_HUGETLB | unix.MAP_SYNC |
		unix.MAP_FIXED_NOREPLACE | 0xfc000000
	if flags&^(0xf|known) != 0 {
		return 0, nil, unix.EINVAL
	}
	prot &^= 0x8
	if prot&^7 != 0 {
		return 0, nil, unix.EINVAL
	}
	if flags&unix.MAP_HUGETLB != 0 {
		return 0, nil, unix.ENOMEM
	}
	length, ok := roundUp(length)
	if !ok || length > modelHi-modelLo {
		return 0, nil, unix.ENOMEM
	}
	attr := pageAttr{prot: prot, flags: kind | flags&(unix.MAP_ANONYMOUS|unix.MAP_GROWSDOWN|
		unix.MAP_NORESERVE|unix.MAP_LOCKED|unix.MAP_STACK)}
	var start uint64
	var released []uint64
	if flags&(unix.MAP_FIXED|unix.MAP_FIXED_NOREPLACE) != 0 {
		if addr%PageSize != 0 {
			return 0, nil, unix.EINVAL
		}
		if addr < modelLo {
			return 0, nil, unix.EPERM
		}
		if addr+length > modelHi || addr+length < addr {
			return 0, nil, unix.ENOMEM
		}
		ps, _ := span(addr, length)
		released = md.mapped(ps)
		if len(released) > 0 && flags&unix.MAP_FIXED_NOREPLACE != 0 {
			return 0, nil, unix.EEXIST
		}
		start = addr
	} else {
		floor, ceil := uint64(modelLo), uint64(modelHi)
		if flags&unix.MAP_32BIT != 0 {
			floor, ceil = max(floor, 1<<30), min(ceil, 1<<31)
		}
		found := false
		if h := addr / PageSize * PageSize; h != 0 {
			h = max(h, modelLo)
			if h >= floor && h+length <= ceil && h+length > h && md.allFree(h, length) {
				start, found = h, true
			}
		}
		if !found && ceil > floor && length <= ceil-floor {
			for s := ceil - length; ; s -= PageSize {
				if md.allFree(s, length) {
					start, found = s, true
					break
				}
				if s < floor+PageSize {
					break
				}
			}
		}
		if !found {
			return 0, nil, unix.ENOMEM
		}
	}
	pages := md.clone()
	ps, _ := span(start, length)
	for _, p := range ps {
		pages[p] = attr
	}
	if !md.commit(pages) {
		return 0, nil, unix.ENOMEM
	}
	return start, released, 0
}

func (md *model) munmap(addr, length uint64) ([]uint64, unix.Errno) {
	if addr%PageSize != 0 || length == 0 {
		return nil, unix.EINVAL
	}
	length, ok := roundUp(length)
	if !ok || addr > modelHi || addr+length > modelHi || addr+length < addr {
		return nil, unix.EINVAL
	}
	return md.unmap(addr, addr+length)
}

func (md *model) unmap(start, end uint64) ([]uint64, unix.Errno) {
	ps, _ := span(start, end-start)
	released := md.mapped(ps)
	pages := md.clone()
	for _, p := range released {
		delete(pages, p)
	}
	if !md.commit(pages) {
		return nil, unix.ENOMEM
	}
	return released, 0
}

func (md *model) mprotect(addr, length uint64, prot int) ([]uint64, unix.Errno) {
	grows := prot&unix.PROT_GROWSDOWN != 0
	if addr%PageSize != 0 {
		return nil, unix.EINVAL
	}
	if length == 0 {
		return nil, 0
	}
	length, ok := roundUp(length)
	if !ok || addr+length < addr || addr+length == 0 {
		return nil, unix.ENOMEM
	}
	prot &^= 0x8 | unix.PROT_GROWSDOWN
	if prot&^7 != 0 {
		return nil, unix.EINVAL
	}
	start := addr
	if grows {
		a, ok := md.pages[addr]
		if !ok {
			return nil, unix.ENOMEM
		}
		if a.flags&unix.MAP_GROWSDOWN == 0 {
			return nil, unix.EINVAL
		}
		for {
			b, ok := md.pages[start-PageSize]
			if !ok || b != a {
				break
			}
			start -= PageSize
		}
	}
	if addr+length > modelHi {
		return nil, unix.ENOMEM // nothing is mapped above hi
	}
	ps, _ := span(start, addr+length-start)
	if len(md.mapped(ps)) != len(ps) {
		return nil, unix.ENOMEM
	}
	var changed []uint64
	pages := md.clone()
	for _, p := range ps {
		a := pages[p]
		if a.prot != prot {
			changed = append(changed, p)
			a.prot = prot
			pages[p] = a
		}
	}
	if !md.commit(pages) {
		return nil, unix.ENOMEM
	}
	return changed, 0
}

func (md *model) madvise(addr, length uint64, advice int) ([]uint64, unix.Errno) {
	switch advice {
	case unix.MADV_DONTNEED, unix.MADV_DONTNEED_LOCKED, unix.MADV_FREE, unix.MADV_NORMAL,
		unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE, unix.MADV_REMOVE, unix.MADV_WILLNEED,
		unix.MADV_POPULATE_WRITE, unix.MADV_COLLAPSE:
	case unix.MADV_HWPOISON, 101:
		return nil, unix.EPERM
	default:
		return nil, unix.EINVAL
	}
	if addr%PageSize != 0 {
		return nil, unix.EINVAL
	}
	length, ok := roundUp(length)
	if !ok || addr+length < addr {
		return nil, unix.EINVAL
	}
	if length == 0 {
		return nil, 0
	}
	if addr+length > modelHi {
		return nil, unix.ENOMEM // nothing is mapped above hi
	}
	ps, _ := span(addr, length)
	if len(md.mapped(ps)) != len(ps) {
		return nil, unix.ENOMEM
	}
	switch advice {
	case unix.MADV_REMOVE:
		return nil, unix.EINVAL
	case unix.MADV_DONTNEED, unix.MADV_FREE:
		for _, p := range ps {
			if md.pages[p].flags&unix.MAP_LOCKED != 0 {
				return nil, unix.EINVAL
			}
		}
		return ps, 0
	case unix.MADV_DONTNEED_LOCKED:
		return ps, 0
	}
	return nil, 0
}

func (md *model) brkCall(v uint64) (uint64, []uint64) {
	if md.brkBase == 0 || v < md.brkBase {
		return md.brk, nil
	}
	newTop, ok := roundUp(v)
	if !ok || newTop > modelHi {
		return md.brk, nil
	}
	oldTop, _ := roundUp(md.brk)
	switch {
	case newTop == oldTop:
		md.brk = v
		return v, nil
	case newTop < oldTop:
		released, e := md.unmap(newTop, oldTop)
		if e != 0 {
			return md.brk, nil
		}
		md.brk = v
		return v, released
	}
	if !md.allFree(oldTop, newTop+PageSize-oldTop) {
		return md.brk, nil
	}
	pages := md.clone()
	for p := oldTop; p < newTop; p += PageSize {
		pages[p] = pageAttr{prot: unix.PROT_READ | unix.PROT_WRITE,
			flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, name: HeapName}
	}
	if !md.commit(pages) {
		return md.brk, nil
	}
	md.brk = v
	return v, nil
}

func (md *model) fault(addr uint64, acc Access) FaultResult {
	a, ok := md.pages[addr&^(PageSize-1)]
	if !ok || addr < modelLo || addr >= modelHi {
		return NoMapping
	}
	switch {
	case acc == Read && a.prot != 0, acc == Write && a.prot&2 != 0, acc == Exec && a.prot&4 != 0:
		return MapPage
	}
	return ProtectionFault
}

// op is one decoded operation.
type op struct {
	kind         int // 0 mmap, 1 munmap, 2 mprotect, 3 madvise, 4 brk, 5 fault
	addr, length uint64
	prot, flags  int
	fd           int
	off          uint64
	advice       int
	access       Access
}

func (o op) String() string {
	switch o.kind {
	case 0:
		return fmt.Sprintf("Mmap(%#x, %#x, %#x, %#x, %d, %d)", o.addr, o.length, o.prot, o.flags, o.fd, o.off)
	case 1:
		return fmt.Sprintf("Munmap(%#x, %#x)", o.addr, o.length)
	case 2:
		return fmt.Sprintf("Mprotect(%#x, %#x, %#x)", o.addr, o.length, o.prot)
	case 3:
		return fmt.Sprintf("Madvise(%#x, %#x, %d)", o.addr, o.length, o.advice)
	case 4:
		return fmt.Sprintf("Brk(%#x)", o.addr)
	}
	return fmt.Sprintf("Fault(%#x, %v)", o.addr, o.access)
}

// decoder turns bytes into operations; bytes past the end read as zero.
type decoder struct {
	b []byte
}

func (d *decoder) next() byte {
	if len(d.b) == 0 {
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) address() uint64 {
	b, pg := d.next(), int64(d.next())%266-5
	switch b {
	case 0xff:
		return 0
	case 0xfe:
		return ^uint64(0) &^ (PageSize - 1)
	}
	a := uint64(modelLo + pg*PageSize)
	if b&7 == 0 {
		a += uint64(b>>3) + 1
	}
	return a
}

func (d *decoder) size() uint64 {
	b := d.next()
	if b >= 0xf8 {
		return ^uint64(0) - uint64(b&7)*0x1001
	}
	n := uint64(b%70) * PageSize
	if b%7 == 3 && n > 0 {
		n -= uint64(b)
	}
	return n
}

func (d *decoder) protection() int {
	b := d.next()
	p := int(b & 7)
	switch b >> 4 {
	case 0xf:
		p |= 0x10
	case 0xe:
		p |= protSem
	case 0xd:
		p |= unix.PROT_GROWSDOWN
	case 0xc:
		p |= unix.PROT_GROWSUP
	}
	return p
}

var extraFlags = [...]int{unix.MAP_GROWSDOWN, unix.MAP_LOCKED, unix.MAP_32BIT, unix.MAP_POPULATE,
	unix.MAP_ABOVE4G, unix.MAP_HUGETLB, unix.MAP_STACK, unix.MAP_NORESERVE, 0, 0, 0, 0, 0, 0, 0, 0}

var advices = [...]int{unix.MADV_DONTNEED, unix.MADV_FREE, unix.MADV_DONTNEED_LOCKED,
	unix.MADV_NORMAL, unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE, unix.MADV_REMOVE, unix.MADV_WILLNEED,
	unix.MADV_POPULATE_WRITE, unix.MADV_COLLAPSE, unix.MADV_HWPOISON, 101, 999, -1,
	unix.MADV_GUARD_INSTALL, unix.MADV_DONTNEED}

func (d *decoder) op() op {
	o := op{kind: int(d.next() % 6)}
	switch o.kind {
	case 0:
		o.addr, o.length, o.prot = d.address(), d.size(), d.protection()
		b1, b2 := d.next(), d.next()
		switch b1 & 7 {
		case 0, 1, 2, 3:
			o.flags = unix.MAP_PRIVATE
		case 4, 5:
			o.flags = unix.MAP_SHARED
		case 6:
			o.flags = unix.MAP_SHARED_VALIDATE
		case 7:
			o.flags = int(b1>>3) & 0xc // 0, 4, 8 or 0xc: invalid types
		}
		if b1&0x18 != 0x18 {
			o.flags |= unix.MAP_ANONYMOUS
		}
		switch b2 & 3 {
		case 1, 3:
			o.flags |= unix.MAP_FIXED
		case 2:
			o.flags |= unix.MAP_FIXED_NOREPLACE
		}
		o.flags |= extraFlags[(b2>>2)&15]
		o.fd = -1
		if b1&0x60 == 0x60 {
			o.fd = 3
		}
		if b2 >= 0xfc {
			o.off = 0x801
		} else if b2 >= 0xf0 {
			o.off = 0x10000
		}
	case 1:
		o.addr, o.length = d.address(), d.size()
	case 2:
		o.addr, o.length, o.prot = d.address(), d.size(), d.protection()
	case 3:
		o.addr, o.length, o.advice = d.address(), d.size(), advices[d.next()%16]
	case 4:
		o.addr = d.address()
	case 5:
		o.addr, o.access = d.address()+uint64(d.next())*16, Access(d.next()%3)
	}
	return o
}

// harness runs a Map and the model side by side.
type harness struct {
	m  *Map
	md *model
}

func newHarness(d *decoder) *harness {
	h := &harness{m: New(modelLo, modelHi), md: &model{pages: map[uint64]pageAttr{}, maxAreas: DefaultMaxAreas}}
	if b := d.next(); b >= 128 {
		h.md.maxAreas = 1 + int(b%48)
		h.m.SetMaxAreas(h.md.maxAreas)
	}
	if b := d.next(); b != 0 {
		base := uint64(modelLo + int(b)*PageSize)
		if e := h.m.SetBrkBase(base); e != 0 {
			panic(e)
		}
		h.md.brkBase, h.md.brk = base, base
	}
	return h
}

// pagesOf expands ranges into page addresses, failing on malformed ranges.
func pagesOf(t tb, rs []Range) []uint64 {
	t.Helper()
	var ps []uint64
	for k, r := range rs {
		if r.Start%PageSize != 0 || r.End%PageSize != 0 || r.Start >= r.End {
			t.Fatalf("malformed range %v in %v", r, rs)
		}
		if k > 0 && rs[k-1].End >= r.Start {
			t.Fatalf("ranges %v not sorted, disjoint and coalesced", rs)
		}
		for p := r.Start; p < r.End; p += PageSize {
			ps = append(ps, p)
		}
	}
	return ps
}

type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func (h *harness) step(t tb, o op) {
	t.Helper()
	var got, want []uint64
	var gotErr, wantErr unix.Errno
	switch o.kind {
	case 0:
		var ga, wa uint64
		var rs []Range
		ga, rs, gotErr = h.m.Mmap(o.addr, o.length, o.prot, o.flags, o.fd, o.off)
		wa, want, wantErr = h.md.mmap(o.addr, o.length, o.prot, o.flags, o.fd, o.off)
		got = pagesOf(t, rs)
		if ga != wa {
			t.Fatalf("%v = %#x, model %#x", o, ga, wa)
		}
	case 1:
		var rs []Range
		rs, gotErr = h.m.Munmap(o.addr, o.length)
		want, wantErr = h.md.munmap(o.addr, o.length)
		got = pagesOf(t, rs)
	case 2:
		var rs []Range
		rs, gotErr = h.m.Mprotect(o.addr, o.length, o.prot)
		want, wantErr = h.md.mprotect(o.addr, o.length, o.prot)
		got = pagesOf(t, rs)
	case 3:
		var rs []Range
		rs, gotErr = h.m.Madvise(o.addr, o.length, o.advice)
		want, wantErr = h.md.madvise(o.addr, o.length, o.advice)
		got = pagesOf(t, rs)
	case 4:
		gb, rs := h.m.Brk(o.addr)
		wb, wrs := h.md.brkCall(o.addr)
		if gb != wb {
			t.Fatalf("%v = %#x, model %#x", o, gb, wb)
		}
		got, want = pagesOf(t, rs), wrs
	case 5:
		a, r := h.m.Fault(o.addr, o.access)
		if w := h.md.fault(o.addr, o.access); r != w {
			t.Fatalf("%v = %v, model %v", o, r, w)
		}
		if r != NoMapping && (o.addr < a.Start || o.addr >= a.End) {
			t.Fatalf("%v returned area %v not containing the address", o, a)
		}
	}
	if gotErr != wantErr {
		t.Fatalf("%v: errno %v, model %v", o, gotErr, wantErr)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%v: released/changed pages %#x, model %#x", o, got, want)
	}
	if err := h.m.Check(); err != nil {
		t.Fatalf("after %v: %v", o, err)
	}
	if g, w := h.m.Areas(), runs(h.md.pages); !slices.Equal(g, w) {
		t.Fatalf("after %v: areas\n%v\nmodel\n%v", o, g, w)
	}
	if h.m.Break() != h.md.brk {
		t.Fatalf("after %v: break %#x, model %#x", o, h.m.Break(), h.md.brk)
	}
}

func runBytes(t tb, data []byte, log func(string, ...any)) {
	d := &decoder{b: data}
	h := newHarness(d)
	for len(d.b) > 0 {
		o := d.op()
		if log != nil {
			log("%v", o)
		}
		h.step(t, o)
	}
}

func TestModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		data := rapid.SliceOfN(rapid.Byte(), 600, 3000).Draw(t, "ops")
		runBytes(t, data, t.Logf)
	})
}

func FuzzMap(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 40, 0, 1, 10, 5, 3, 0, 0, 1, 20, 2, 0, 2, 1, 30, 3, 1})
	f.Add([]byte{200, 100, 4, 1, 120, 4, 1, 140, 0, 1, 50, 20, 7, 0, 1, 5, 1, 70, 1, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		runBytes(t, data, nil)
	})
}
