package disk

import (
	"errors"
	"testing"
)

func TestRoundTrips(t *testing.T) {
	sb := testSuper()
	got, err := DecodeSuperblock(sb.Encode())
	if err != nil || *got != *sb {
		t.Fatalf("superblock: %v %+v", err, got)
	}
	b := make([]byte, InodeSize)
	in := sampleInode()
	in.Encode(b)
	n, count, err := DecodeInode(b, 5, sb)
	if err != nil || count != 2 || n.Extents[1] != in.Extents[1] || n.Size != in.Size {
		t.Fatalf("inode: %v %+v", err, n)
	}
	if _, _, err := DecodeInode(b, 6, sb); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("inode read at the wrong slot: %v", err)
	}
	b[30] ^= 1
	if _, _, err := DecodeInode(b, 5, sb); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("flipped bit: %v", err)
	}
	free, _, err := DecodeInode(make([]byte, InodeSize), 9, sb)
	if err != nil || free != nil {
		t.Fatalf("free slot: %v %v", free, err)
	}
}

func TestBucketRejectsMisplacedName(t *testing.T) {
	sb := testSuper()
	name := "x"
	h := Hash(sb.HashSeed, name)
	k := &Bucket{Dir: 2, Depth: 1, Prefix: (h >> 31) ^ 1, Entries: []DirEntry{{Name: name, Ino: 3, Type: EntFile}}}
	if _, err := DecodeBucket(k.Encode(), 2, sb); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("misplaced name accepted: %v", err)
	}
	k.Prefix ^= 1
	if _, err := DecodeBucket(k.Encode(), 2, sb); err != nil {
		t.Fatal(err)
	}
}

func TestGeometry(t *testing.T) {
	for _, n := range []uint64{MinBlocks, 4096, 1 << 20, 1<<20 + 12345} {
		sb, err := Geometry(n, 0)
		if err != nil {
			t.Fatalf("%d blocks: %v", n, err)
		}
		if sb.BitmapBlocks*BitsPerBitmapBlock < n || sb.DataStart >= n || sb.JournalBlocks < MinJournal {
			t.Fatalf("%d blocks: %+v", n, sb)
		}
	}
	if _, err := Geometry(MinBlocks-1, 0); err == nil {
		t.Fatal("tiny disk accepted")
	}
}
