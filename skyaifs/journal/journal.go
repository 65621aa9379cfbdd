// Package journal is SKYAIFS's write-ahead log of metadata transactions.
//
// The journal holds at most one transaction, written from its first block:
//
//	descriptor (seq, home block numbers) | copy 1 | ... | copy n | commit
//
// Commit (the whole protocol, with ordered data, is in fs/txn.go):
//
//  1. the caller has written the transaction's data blocks;
//  2. descriptor and copies are written; Flush — data and log are durable;
//  3. the commit block is written with FUA — the transaction is now
//     committed: a crash from here on replays it;
//  4. the copies are written to their home blocks; Flush — checkpointed.
//
// Only after step 4 does the next transaction overwrite the log, so the log
// always holds either the last committed transaction (whose replay is
// idempotent: it rewrites blocks with the contents they already have or
// should have) or a torn newer one, which the commit checksum rejects. There
// is never more than one transaction to replay, and no old transaction can
// be replayed over blocks reused since, which is what revoke records are for
// in logs that keep several transactions.
package journal

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
)

// Txn is a committed transaction read back from the journal.
type Txn struct {
	Seq    uint64
	Homes  []uint64
	Copies [][]byte
}

// Commit writes one transaction (homes[i] gets copies[i]) through steps 2-4
// of the protocol above and returns once it is checkpointed. The caller must
// have issued step 1 (ordered data) before calling. On error the disk holds
// the old state or, if the commit block reached the disk, the new one; the
// caller must stop using the device (a replay at the next mount settles it).
func Commit(dev block.Device, sb *disk.Superblock, seq uint64, homes []uint64, copies [][]byte) error {
	n := len(homes)
	if n == 0 {
		return nil
	}
	if n != len(copies) || n > disk.MaxTxnBlocks || uint64(n)+2 > sb.JournalBlocks {
		return fmt.Errorf("journal: transaction of %d blocks does not fit a journal of %d", n, sb.JournalBlocks)
	}
	d := disk.Descriptor{Seq: seq, Homes: homes}
	desc := d.Encode()
	log := make([]byte, 0, (n+1)*block.Size)
	log = append(log, desc...)
	for _, c := range copies {
		log = append(log, c...)
	}
	if err := dev.WriteBlocks(sb.JournalStart, log); err != nil {
		return err
	}
	if err := dev.Flush(); err != nil {
		return err
	}
	c := disk.Commit{Seq: seq, Count: uint32(n), Payload: disk.PayloadChecksum(desc, copies)}
	if err := dev.WriteFUA(sb.JournalStart+uint64(n)+1, c.Encode()); err != nil {
		return err
	}
	return checkpoint(dev, homes, copies)
}

// checkpoint writes copies home (runs of consecutive home blocks in one
// request) and flushes.
func checkpoint(dev block.Device, homes []uint64, copies [][]byte) error {
	for i := 0; i < len(homes); {
		j := i + 1
		for j < len(homes) && homes[j] == homes[j-1]+1 && j-i < 256 {
			j++
		}
		buf := make([]byte, 0, (j-i)*block.Size)
		for _, c := range copies[i:j] {
			buf = append(buf, c...)
		}
		if err := dev.WriteBlocks(homes[i], buf); err != nil {
			return err
		}
		i = j
	}
	return dev.Flush()
}

// Read returns the journal's committed transaction, or nil if the journal
// holds none (empty, torn, or never used). Device errors are returned;
// a damaged log is not an error, since a torn log is the normal state after
// a crash during commit.
func Read(dev block.Device, sb *disk.Superblock) (*Txn, error) {
	desc := make([]byte, block.Size)
	if err := dev.ReadBlocks(sb.JournalStart, desc); err != nil {
		return nil, err
	}
	d, err := disk.DecodeDescriptor(desc, sb)
	if err != nil {
		if errors.Is(err, disk.ErrCorrupt) {
			return nil, nil
		}
		return nil, err
	}
	n := len(d.Homes)
	buf := make([]byte, (n+1)*block.Size)
	if err := dev.ReadBlocks(sb.JournalStart+1, buf); err != nil {
		return nil, err
	}
	copies := make([][]byte, n)
	for i := range copies {
		copies[i] = buf[i*block.Size : (i+1)*block.Size]
	}
	c, err := disk.DecodeCommit(buf[n*block.Size:])
	if err != nil || c.Seq != d.Seq || c.Count != uint32(n) || c.Payload != disk.PayloadChecksum(desc, copies) {
		return nil, nil
	}
	return &Txn{Seq: d.Seq, Homes: d.Homes, Copies: copies}, nil
}

// Replay reads the journal and, if it holds a committed transaction, writes
// it home and flushes. It returns the transaction (nil if none), whose Seq the
// next transaction must exceed.
func Replay(dev block.Device, sb *disk.Superblock) (*Txn, error) {
	t, err := Read(dev, sb)
	if err != nil || t == nil {
		return nil, err
	}
	return t, checkpoint(dev, t.Homes, t.Copies)
}

// Retire empties the journal (zeroes its descriptor) once its transaction
// is checkpointed, so that nothing is replayed at the next mount. It is only
// an optimisation and a convenience for inspection: replaying a checkpointed
// transaction is harmless.
func Retire(dev block.Device, sb *disk.Superblock) error {
	return dev.WriteFUA(sb.JournalStart, make([]byte, block.Size))
}
