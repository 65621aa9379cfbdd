package disk

import (
	"bytes"
	"errors"
	"testing"
)

// The decoders' contract, checked on arbitrary input: they never panic,
// every failure wraps ErrCorrupt, and they accept only canonical encodings
// (what decodes re-encodes to the same bytes), so two different byte strings
// never mean the same structure.

func testSuper() *Superblock {
	sb, err := Geometry(4096, 0)
	if err != nil {
		panic(err)
	}
	sb.HashSeed, sb.Created = 0x1234_5678_9abc_def0, 1_700_000_000_000_000_000
	sb.UUID[0] = 7
	return &sb
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v does not wrap ErrCorrupt", err)
	}
}

func block(b []byte) []byte {
	out := make([]byte, BlockSize)
	copy(out, b)
	return out
}

func FuzzSuperblock(f *testing.F) {
	f.Add(testSuper().Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		b = block(b)
		sb, err := DecodeSuperblock(b)
		checkErr(t, err)
		if err == nil && !bytes.Equal(sb.Encode(), b) {
			t.Fatal("superblock decoded but does not re-encode to the same bytes")
		}
	})
}

func sampleInode() *Inode {
	return &Inode{Ino: 5, Mode: TypeFile | 0o644, UID: 1, GID: 2, Nlink: 1, Size: 3 * BlockSize,
		Atime: 1, Mtime: 2, Ctime: 3, Btime: 4, Generation: 9,
		Extents: []Extent{{0, 2, 200}, {2, 1, 300}}}
}

func FuzzInode(f *testing.F) {
	b := make([]byte, InodeSize)
	sampleInode().Encode(b)
	f.Add(b, uint64(5))
	d := &Inode{Ino: 1, Mode: TypeDir | 0o755, Nlink: 2, Size: BlockSize, Parent: 1, Extents: []Extent{{0, 1, 150}}}
	b2 := make([]byte, InodeSize)
	d.Encode(b2)
	f.Add(b2, uint64(1))
	// Encrypted inodes: a file naming its crypt extension, a directory
	// holding a policy.
	e := sampleInode()
	e.Flags, e.Crypt = FlagEncrypted, 333
	b3 := make([]byte, InodeSize)
	e.Encode(b3)
	f.Add(b3, uint64(5))
	d.Flags, d.Policy = FlagEncrypted, KeyID{1, 2, 3}
	b4 := make([]byte, InodeSize)
	d.Encode(b4)
	f.Add(b4, uint64(1))
	// A FIFO: no data, no extents.
	p := &Inode{Ino: 6, Mode: TypeFifo | 0o600, Nlink: 1}
	b5 := make([]byte, InodeSize)
	p.Encode(b5)
	f.Add(b5, uint64(6))
	sb := testSuper()
	sb.Features = FeatureEncryption
	f.Fuzz(func(t *testing.T, b []byte, ino uint64) {
		raw := make([]byte, InodeSize)
		copy(raw, b)
		n, count, err := DecodeInode(raw, ino, sb)
		checkErr(t, err)
		if err != nil || n == nil {
			return
		}
		if count <= uint32(n.InlineCap()) {
			out := make([]byte, InodeSize)
			n.Encode(out)
			if !bytes.Equal(out, raw) {
				t.Fatal("inode decoded but does not re-encode to the same bytes")
			}
		}
	})
}

func FuzzBucket(f *testing.F) {
	sb := testSuper()
	k := &Bucket{Dir: 3}
	for _, name := range []string{"a", "hello", "zzzz"} {
		k.Entries = append(k.Entries, DirEntry{Name: name, Ino: 9, Type: EntFile})
	}
	f.Add(k.Encode(), uint64(3))
	f.Add((&Bucket{Dir: 1}).Encode(), uint64(1))
	f.Fuzz(func(t *testing.T, b []byte, dir uint64) {
		b = block(b)
		k, err := DecodeBucket(b, dir, sb)
		checkErr(t, err)
		if err == nil && !bytes.Equal(k.Encode(), b) {
			t.Fatal("bucket decoded but does not re-encode to the same bytes")
		}
	})
}

func FuzzExtentBlock(f *testing.F) {
	sb := testSuper()
	x := &ExtentBlock{Ino: 4, Index: 1, Next: 500, Extents: []Extent{{10, 3, 400}}}
	f.Add(x.Encode(), uint64(4), uint32(1))
	f.Fuzz(func(t *testing.T, b []byte, ino uint64, idx uint32) {
		b = block(b)
		x, err := DecodeExtentBlock(b, ino, idx, sb)
		checkErr(t, err)
		if err == nil && !bytes.Equal(x.Encode(), b) {
			t.Fatal("extent block decoded but does not re-encode to the same bytes")
		}
	})
}

func FuzzBitmap(f *testing.F) {
	sb := testSuper()
	f.Add(EncodeBitmap(0, []byte{0xff, 0x0f}), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, idx uint64) {
		b = block(b)
		bits, err := DecodeBitmap(b, idx, sb)
		checkErr(t, err)
		if err == nil && !bytes.Equal(EncodeBitmap(idx, bits), b) {
			t.Fatal("bitmap decoded but does not re-encode to the same bytes")
		}
	})
}

func FuzzJournalRecords(f *testing.F) {
	sb := testSuper()
	d := &Descriptor{Seq: 7, Homes: []uint64{sb.BitmapStart, sb.InodeStart + 1, 3000}}
	c := &Commit{Seq: 7, Count: 3, Payload: 0xdeadbeef}
	f.Add(d.Encode(), c.Encode())
	f.Fuzz(func(t *testing.T, db, cb []byte) {
		db, cb = block(db), block(cb)
		d, err := DecodeDescriptor(db, sb)
		checkErr(t, err)
		if err == nil && !bytes.Equal(d.Encode(), db) {
			t.Fatal("descriptor decoded but does not re-encode to the same bytes")
		}
		c, err := DecodeCommit(cb)
		checkErr(t, err)
		if err == nil && !bytes.Equal(c.Encode(), cb) {
			t.Fatal("commit decoded but does not re-encode to the same bytes")
		}
	})
}

func sampleCryptExt() *CryptExt {
	return &CryptExt{Ino: 6, Generation: 3, Alg: AlgAES256GCM, KeyID: KeyID{9}, WrapNonce: [NonceSize]byte{1, 2},
		WrappedKey: [WrappedKeySize]byte{3, 4, 5}, Index: []uint64{0, 700, 701}}
}

func FuzzCryptExt(f *testing.F) {
	sb := testSuper()
	f.Add(sampleCryptExt().Encode(), uint64(6), uint32(3))
	f.Add((&CryptExt{Ino: 1, Alg: AlgAES256GCM}).Encode(), uint64(1), uint32(0))
	f.Fuzz(func(t *testing.T, b []byte, ino uint64, gen uint32) {
		b = block(b)
		x, err := DecodeCryptExt(b, ino, gen, sb)
		checkErr(t, err)
		if err == nil && !bytes.Equal(x.Encode(), b) {
			t.Fatal("crypt extension decoded but does not re-encode to the same bytes")
		}
	})
}

func FuzzTagBlock(f *testing.F) {
	tb := &TagBlock{Ino: 6, Generation: 3, Index: 2}
	tb.Entries[0] = TagEntry{1, 2, 3}
	tb.Entries[TagsPerBlock-1] = TagEntry{27: 9}
	f.Add(tb.Encode(), uint64(6), uint32(3), uint32(2))
	f.Fuzz(func(t *testing.T, b []byte, ino uint64, gen, idx uint32) {
		b = block(b)
		x, err := DecodeTagBlock(b, ino, gen, idx)
		checkErr(t, err)
		if err == nil && !bytes.Equal(x.Encode(), b) {
			t.Fatal("tag block decoded but does not re-encode to the same bytes")
		}
	})
}

func FuzzTagIndex(f *testing.F) {
	sb := testSuper()
	ti := &TagIndex{Ino: 6, Generation: 3, Index: 1}
	ti.Tags[0], ti.Tags[TagsPerIndex-1] = 900, 901
	f.Add(ti.Encode(), uint64(6), uint32(3), uint32(1))
	f.Fuzz(func(t *testing.T, b []byte, ino uint64, gen, idx uint32) {
		b = block(b)
		x, err := DecodeTagIndex(b, ino, gen, idx, sb)
		checkErr(t, err)
		if err == nil && !bytes.Equal(x.Encode(), b) {
			t.Fatal("tag index block decoded but does not re-encode to the same bytes")
		}
	})
}
