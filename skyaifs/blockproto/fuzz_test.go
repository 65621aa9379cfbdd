package blockproto

import (
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// FuzzDecode: whatever a sender puts in a request, decode does not panic, accepts
// nothing from a badge other than the client's, and accepts a transfer only when the
// blocks lie inside the device and the buffer range inside the buffer (with no
// arithmetic wrap-around), so the server never indexes past either.
func FuzzDecode(f *testing.F) {
	f.Add(uint64(clientBadge), uint64(LabelRead), uint64(0), uint64(1), uint64(0), 0, uint64(64), uint64(8))
	f.Add(uint64(clientBadge), uint64(LabelWrite), uint64(63), uint64(2), uint64(7), 0, uint64(64), uint64(8))
	f.Add(uint64(clientBadge), uint64(LabelAttach), uint64(8), uint64(0), uint64(0), 1, uint64(64), uint64(0))
	f.Add(uint64(clientBadge), uint64(LabelWriteFUA), ^uint64(0), uint64(2), uint64(0), 0, uint64(64), uint64(8))
	f.Add(uint64(intruderBadge), uint64(LabelFlush), uint64(0), uint64(0), uint64(0), 0, uint64(64), uint64(8))
	f.Fuzz(func(t *testing.T, badge, label, w0, w1, w2 uint64, caps int, devBlocks, bufBlocks uint64) {
		bufBlocks %= MaxBufferPages + 1
		r, st := decode(abi.Badge(badge), clientBadge, label, [3]uint64{w0, w1, w2}, caps, devBlocks, bufBlocks)
		if st != OK {
			return
		}
		if badge != clientBadge {
			t.Fatalf("accepted %#x from badge %#x", label, badge)
		}
		switch r.label {
		case LabelRead, LabelWrite, LabelWriteFUA:
			if r.n == 0 || r.off+r.n > bufBlocks || r.off+r.n < r.off || r.start+r.n > devBlocks || r.start+r.n < r.start {
				t.Fatalf("accepted blocks %d+%d at buffer %d (device %d, buffer %d)", r.start, r.n, r.off, devBlocks, bufBlocks)
			}
		case LabelAttach:
			if r.pages == 0 || r.pages > MaxBufferPages || caps != 1 {
				t.Fatalf("accepted an attach of %d pages with %d capabilities", r.pages, caps)
			}
		case LabelInfo, LabelFlush, LabelDetach:
		default:
			t.Fatalf("accepted label %#x", label)
		}
	})
}
