package fileproto

import (
	"bytes"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/twophase"
	"github.com/skyscope-os/skyscope/skyaifs/view"
)

// FuzzTxRecord: the participant's log decoder does not panic on any bytes (a
// corrupted or foreign file), and what it accepts re-encodes to the same bytes.
func FuzzTxRecord(f *testing.F) {
	f.Add(encodeTxRecord(txRecord{state: twophase.Prepared, size: 10000, path: "/region"}))
	f.Add(encodeTxRecord(txRecord{state: twophase.Committed, size: 1, path: "/a"}))
	f.Add([]byte{9, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := decodeTxRecord(b)
		if !ok {
			return
		}
		if r.size > MaxBoundSize || r.state > twophase.Aborted || !bytes.Equal(encodeTxRecord(r), b) {
			t.Fatalf("accepted %+v from %x", r, b)
		}
	})
}

// FuzzCoordLog: the coordinator's log decoder does not panic, accepts only
// consistent records, and what it accepts re-encodes to the same bytes.
func FuzzCoordLog(f *testing.F) {
	f.Add(encodeCoordLog(twophase.CoordinatorLog{Begun: true, Decision: twophase.Commit, End: true}))
	f.Add(encodeCoordLog(twophase.CoordinatorLog{Begun: true}))
	f.Add([]byte{0, 4, 0})
	f.Add([]byte{1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, ok := decodeCoordLog(b)
		if !ok {
			return
		}
		if (!r.Begun && r.Decision != 0) || (r.End && r.Decision == 0) || !bytes.Equal(encodeCoordLog(r), b) {
			t.Fatalf("accepted %+v from %x", r, b)
		}
	})
}

// FuzzDecodeMounts: the decoder of a view's mounts (LabelAddView) does not panic, and
// what it accepts is 1…MaxViewMounts absolute, clean paths with distinct targets that
// re-encode to the same bytes.
func FuzzDecodeMounts(f *testing.F) {
	f.Add(EncodeMounts([]view.Spec{{Source: "/box", Target: "/"}, {Source: "/", Target: "/ro", ReadOnly: true}}))
	f.Add([]byte("box\x00/\x00rw\x00"))
	f.Add([]byte("/a\x00/\x00rw\x00/b\x00/\x00ro\x00"))
	f.Add([]byte("/a\x00/\x00xx\x00"))
	f.Add([]byte("/a\x00/b/../c\x00rw\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		specs, ok := DecodeMounts(b)
		if !ok {
			return
		}
		if len(specs) == 0 || len(specs) > MaxViewMounts || !bytes.Equal(EncodeMounts(specs), b) {
			t.Fatalf("accepted %+v from %q", specs, b)
		}
		seen := map[string]bool{}
		for _, s := range specs {
			if seen[s.Target] || s.Source == "" || s.Source[0] != '/' || s.Target == "" || s.Target[0] != '/' {
				t.Fatalf("accepted %+v", s)
			}
			seen[s.Target] = true
		}
	})
}
