package journal

import (
	"bytes"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
)

func setup(t *testing.T) (*block.Recorder, *block.Mem, *disk.Superblock) {
	sb, err := disk.Geometry(1024, 0)
	if err != nil {
		t.Fatal(err)
	}
	m := block.NewMem(1024)
	return block.NewRecorder(m), m, &sb
}

func fill(c byte) []byte { return bytes.Repeat([]byte{c}, block.Size) }

// TestCommitEveryCrashPoint commits one transaction and rebuilds the disk
// after every prefix of its writes, and with the cache losing any write
// since the last flush: after Replay, the home blocks hold either all the
// old contents or all the new ones.
func TestCommitEveryCrashPoint(t *testing.T) {
	rec, m, sb := setup(t)
	base := m.Image()
	homes := []uint64{sb.DataStart, sb.DataStart + 1, sb.DataStart + 7}
	copies := [][]byte{fill(1), fill(2), fill(3)}
	if err := Commit(rec, sb, 42, homes, copies); err != nil {
		t.Fatal(err)
	}
	ops := rec.Ops()
	for n := 0; n <= len(ops); n++ {
		for mask := 0; mask < 8; mask++ {
			img, err := block.CrashImage(base, ops, n, func(i int) bool { return mask&(1<<(i%3)) != 0 })
			if err != nil {
				t.Fatal(err)
			}
			dev := block.Must(block.NewMemFrom(img))
			tx, err := Replay(dev, sb)
			if err != nil {
				t.Fatal(err)
			}
			after := dev.Image()
			news := 0
			for i, h := range homes {
				if bytes.Equal(after[h*block.Size:(h+1)*block.Size], copies[i]) {
					news++
				}
			}
			if news != 0 && news != len(homes) {
				t.Fatalf("crash after %d ops (mask %d): %d of %d blocks new", n, mask, news, len(homes))
			}
			if tx != nil && (tx.Seq != 42 || news != len(homes)) {
				t.Fatalf("crash after %d ops: replayed %+v but %d blocks new", n, tx, news)
			}
		}
	}
}

func TestTornLogIsIgnored(t *testing.T) {
	_, m, sb := setup(t)
	homes := []uint64{sb.DataStart, sb.DataStart + 1}
	if err := Commit(m, sb, 1, homes, [][]byte{fill(1), fill(2)}); err != nil {
		t.Fatal(err)
	}
	if tx, err := Read(m, sb); err != nil || tx == nil {
		t.Fatalf("committed transaction not found: %v", err)
	}
	// A newer transaction's log overwrites the first copy but not the
	// commit block: the payload checksum no longer matches.
	m.WriteBlocks(sb.JournalStart+1, fill(9))
	if tx, err := Read(m, sb); err != nil || tx != nil {
		t.Fatalf("torn log accepted: %+v %v", tx, err)
	}
	if err := Retire(m, sb); err != nil {
		t.Fatal(err)
	}
	if tx, err := Read(m, sb); err != nil || tx != nil {
		t.Fatalf("retired journal: %+v %v", tx, err)
	}
}

func TestCommitRejectsOversize(t *testing.T) {
	_, m, sb := setup(t)
	n := int(sb.JournalBlocks)
	homes := make([]uint64, n)
	copies := make([][]byte, n)
	for i := range homes {
		homes[i], copies[i] = sb.DataStart+uint64(i), fill(1)
	}
	if err := Commit(m, sb, 1, homes, copies); err == nil {
		t.Fatal("a transaction larger than the journal was accepted")
	}
}
