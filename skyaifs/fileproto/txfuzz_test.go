package fileproto

import (
	"bytes"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/twophase"
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
