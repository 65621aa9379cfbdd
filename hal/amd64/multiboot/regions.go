package multiboot

import (
	"math"
	"sort"
)

// PageSize is the granularity Usable aligns regions to.
const PageSize = 4096

// span is the half-open physical range [start, end).
type span struct{ start, end uint64 }

// spansOf returns the ranges of the regions for which keep is true, skipping empty
// ones. Ends saturate at 2^64-1, so the last byte of the address space is never
// reported.
func spansOf(rs []Region, keep func(RegionType) bool) []span {
	var out []span
	for _, r := range rs {
		if !keep(r.Type) {
			continue
		}
		if e := r.End(); e > r.Base {
			out = append(out, span{r.Base, e})
		}
	}
	return out
}

// merge sorts spans and coalesces overlapping or touching ones, in place.
func merge(s []span) []span {
	if len(s) == 0 {
		return nil
	}
	sort.Slice(s, func(a, b int) bool { return s[a].start < s[b].start })
	out := s[:1]
	for _, x := range s[1:] {
		last := &out[len(out)-1]
		if x.start <= last.end {
			if x.end > last.end {
				last.end = x.end
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// subtract returns the parts of a not covered by b; both must be merged (sorted,
// disjoint). The result is sorted and disjoint.
func subtract(a, b []span) []span {
	var out []span
	j := 0
	for _, x := range a {
		cur := x.start
		for j < len(b) && b[j].end <= cur {
			j++
		}
		for k := j; k < len(b) && b[k].start < x.end; k++ {
			if b[k].start > cur {
				out = append(out, span{cur, b[k].start})
			}
			if b[k].end > cur {
				cur = b[k].end
			}
			if cur >= x.end {
				break
			}
		}
		if cur < x.end {
			out = append(out, span{cur, x.end})
		}
	}
	return out
}

func isAvailable(t RegionType) bool { return t == Available }

// AvailableRAM returns the number of bytes covered by Available regions, counting
// bytes covered by several overlapping Available regions once. It ignores whether
// those bytes are also claimed by a non-Available region (Usable does not). It never
// panics, including for regions not produced by Parse.
func (i *Info) AvailableRAM() uint64 {
	var total uint64
	for _, s := range merge(spansOf(i.Memory, isAvailable)) {
		total += s.end - s.start
	}
	return total
}

// Usable returns the RAM the kernel may allocate from: the Available regions, merged,
// minus every byte that any non-Available region also claims, with each remaining
// piece shrunk inward to whole PageSize pages and dropped if no whole page remains.
// The result is sorted by Base; its regions are pairwise disjoint and never adjacent
// (a gap always separates two of them); each has Type Available, a page-aligned Base
// and a non-zero, page-multiple Length. It knows nothing of the kernel image, the
// modules or the boot information itself, which the caller must still carve out.
// It never panics.
func (i *Info) Usable() []Region {
	avail := merge(spansOf(i.Memory, isAvailable))
	other := merge(spansOf(i.Memory, func(t RegionType) bool { return t != Available }))
	var out []Region
	for _, s := range subtract(avail, other) {
		if s.start > math.MaxUint64-(PageSize-1) {
			continue
		}
		start := (s.start + PageSize - 1) &^ (PageSize - 1)
		end := s.end &^ (PageSize - 1)
		if start < end {
			out = append(out, Region{Base: start, Length: end - start, Type: Available})
		}
	}
	return out
}
