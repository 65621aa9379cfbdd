package fs

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
	"golang.org/x/sys/unix"
)

var (
	testKeyID = disk.KeyID{'t', 'e', 's', 't'}
	testKeys  = DerivedKeys{Secret: []byte("the test secret")}
)

// newCryptFS makes a filesystem with an encrypted directory /s.
func newCryptFS(t testing.TB, blocks uint64) (*FS, *block.Mem) {
	t.Helper()
	dev := block.NewMem(blocks)
	must(t, Mkfs(dev, Options{Seed: 42}))
	f, err := Mount(dev, Options{Keys: testKeys})
	must(t, err)
	must(t, f.Mkdir("/s", 0o755))
	must(t, f.SetEncryption("/s", testKeyID))
	return f, dev
}

func remountWith(t testing.TB, f *FS, dev block.Device, keys KeyProvider) *FS {
	t.Helper()
	if f != nil {
		must(t, f.Unmount())
	}
	g, err := Mount(dev, Options{Keys: keys})
	must(t, err)
	return g
}

func checkClean(t testing.TB, dev block.Device) {
	t.Helper()
	rep, err := fsck.Check(dev, fsck.Options{})
	must(t, err)
	if !rep.Clean() {
		t.Fatalf("fsck: %v", rep.Problems)
	}
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7+i/4096)
	}
	return b
}

// internals returns the inode of path (extents, crypt extension).
func internals(t testing.TB, f *FS, path string) *inode {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	r, err := f.Root().walk(path, true)
	must(t, err)
	n, err := f.getInode(r.ino)
	must(t, err)
	c := *n
	c.Extents = append([]disk.Extent(nil), n.Extents...)
	return &c
}

func TestEncryptedRoundTrip(t *testing.T) {
	f, dev := newCryptFS(t, 4096)
	want := map[string][]byte{}
	put := func(path string, b []byte) {
		t.Helper()
		must(t, f.WriteFile(path, b, 0o644))
		want[path] = append([]byte(nil), b...)
	}
	put("/s/empty", nil)
	put("/s/small", []byte("hello, encrypted world"))
	put("/s/big", pattern(100_000, 1))
	must(t, f.Mkdir("/s/sub", 0o755))
	put("/s/sub/deep", pattern(9000, 3))
	put("/plain", pattern(5000, 5))
	verify := func(g *FS) {
		t.Helper()
		for p, b := range want {
			got, err := g.ReadFile(p)
			must(t, err)
			if !bytes.Equal(got, b) {
				t.Fatalf("%s: %d bytes differ from the %d written", p, len(got), len(b))
			}
		}
	}
	verify(f)
	for _, p := range []string{"/s", "/s/big", "/s/sub", "/s/sub/deep"} {
		st, err := f.Stat(p)
		must(t, err)
		if !st.Encrypted {
			t.Fatalf("%s is not encrypted", p)
		}
	}
	if st, _ := f.Stat("/plain"); st.Encrypted {
		t.Fatal("/plain is encrypted")
	}
	f = remountWith(t, f, dev, testKeys)
	verify(f)
	checkClean(t, dev)

	// Overwrites in the middle (copy-on-write of committed blocks), partial
	// blocks, appends, shrink and grow.
	before := internals(t, f, "/s/big").lookupBlock(3)
	h, err := f.OpenFile("/s/big", os.O_RDWR, 0)
	must(t, err)
	edit := func(off int, b []byte) {
		if _, err := h.WriteAt(b, int64(off)); err != nil {
			t.Fatal(err)
		}
		w := want["/s/big"]
		if end := off + len(b); end > len(w) {
			w = append(w, make([]byte, end-len(w))...)
		}
		copy(w[off:], b)
		want["/s/big"] = w
	}
	edit(3*4096+100, []byte("overwritten"))
	must(t, h.Sync())
	if after := internals(t, f, "/s/big").lookupBlock(3); after == before {
		t.Fatalf("file block 3 was overwritten in place (disk block %d)", after)
	}
	edit(5000, pattern(20000, 9))
	edit(100_000, []byte("appended"))
	must(t, h.Truncate(50_001))
	want["/s/big"] = want["/s/big"][:50_001]
	must(t, h.Truncate(60_000))
	want["/s/big"] = append(want["/s/big"], make([]byte, 60_000-50_001)...)
	must(t, h.Close())
	verify(f)
	f = remountWith(t, f, dev, testKeys)
	verify(f)
	checkClean(t, dev)

	// No plaintext on the disk.
	raw := dev.Image()
	if bytes.Contains(raw, []byte("hello, encrypted world")) || bytes.Contains(raw, []byte("overwritten")) {
		t.Fatal("plaintext of an encrypted file found on the disk")
	}
	if !bytes.Contains(raw, want["/plain"][:100]) {
		t.Fatal("the plain file's data is not on the disk (the check above proves nothing)")
	}

	// Unlink gives back every block: data, tag blocks, extension.
	st0, err := f.Statfs()
	must(t, err)
	sb, err := f.Stat("/s/big")
	must(t, err)
	if sb.Blocks != 13+3 {
		t.Fatalf("/s/big has %d blocks, want 13 of data, a tag block, a tag index block and the extension", sb.Blocks)
	}
	must(t, f.Unlink("/s/big"))
	must(t, f.Sync())
	st1, err := f.Statfs()
	must(t, err)
	if st1.FreeBlocks != st0.FreeBlocks+sb.Blocks {
		t.Fatalf("unlink freed %d blocks", st1.FreeBlocks-st0.FreeBlocks)
	}
	must(t, f.Unmount())
	checkClean(t, dev)
}

func TestEncryptionPolicyRules(t *testing.T) {
	f, _ := newCryptFS(t, 1024)
	must(t, f.WriteFile("/f", []byte("x"), 0o644))
	must(t, f.Mkdir("/full", 0o755))
	must(t, f.WriteFile("/full/x", nil, 0o644))
	wantErr(t, f.SetEncryption("/full", testKeyID), unix.ENOTEMPTY)
	wantErr(t, f.SetEncryption("/f", testKeyID), unix.ENOTDIR)
	must(t, f.SetEncryption("/s", testKeyID)) // the same again: nothing to do
	wantErr(t, f.SetEncryption("/s", disk.KeyID{1}), unix.EEXIST)
	must(t, f.Mkdir("/none", 0o755))
	g, dev := newFS(t, 1024)
	must(t, g.Mkdir("/d", 0o755))
	wantErr(t, g.SetEncryption("/d", testKeyID), ErrNoKey)
	must(t, g.Unmount())
	checkClean(t, dev)

	// Names move in only with the directory's policy; out freely.
	wantErr(t, f.Rename("/f", "/s/f"), unix.EXDEV)
	wantErr(t, f.Link("/f", "/s/f"), unix.EXDEV)
	wantErr(t, f.Rename("/none", "/s/none"), unix.EXDEV)
	must(t, f.Symlink("/f", "/s/link"))
	must(t, f.WriteFile("/s/e", []byte("secret"), 0o644))
	must(t, f.Mkdir("/s/d", 0o755))
	must(t, f.Rename("/s/e", "/s/d/e"))
	must(t, f.Rename("/s/d/e", "/e"))
	if b, err := f.ReadFile("/e"); err != nil || string(b) != "secret" {
		t.Fatalf("moved out: %q, %v", b, err)
	}
	must(t, f.Rename("/e", "/s/e")) // back in: same policy
	must(t, f.Mkdir("/t", 0o755))
	must(t, f.SetEncryption("/t", disk.KeyID{2}))
	wantErr(t, f.Rename("/s/e", "/t/e"), unix.EXDEV)
}

func TestEncryptedWithoutKey(t *testing.T) {
	f, dev := newCryptFS(t, 1024)
	must(t, f.WriteFile("/s/a", []byte("secret data"), 0o644))
	must(t, f.Mkdir("/s/d", 0o755))
	must(t, f.WriteFile("/plain", []byte("plain"), 0o644))
	for _, tc := range []struct {
		name string
		keys KeyProvider
		want error
	}{
		{"no provider", nil, ErrNoKey},
		{"wrong secret", DerivedKeys{Secret: []byte("another secret")}, ErrKeyRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := remountWith(t, f, dev, tc.keys)
			f = g
			_, err := g.ReadFile("/s/a")
			wantErr(t, err, tc.want)
			h, err := g.OpenFile("/s/a", os.O_RDWR, 0)
			must(t, err)
			_, err = h.WriteAt([]byte("x"), 3)
			wantErr(t, err, tc.want)
			must(t, h.Close())
			// Metadata stays usable: names, stat, listing, removal of
			// plain parts; plain files read.
			ents, err := g.Readdir("/s")
			must(t, err)
			if len(ents) != 2 {
				t.Fatalf("readdir: %v", ents)
			}
			st, err := g.Stat("/s/a")
			must(t, err)
			if st.Size != 11 || !st.Encrypted {
				t.Fatalf("stat: %+v", st)
			}
			if b, err := g.ReadFile("/plain"); err != nil || string(b) != "plain" {
				t.Fatalf("plain file: %q %v", b, err)
			}
			if tc.keys == nil {
				wantErr(t, g.WriteFile("/s/new", nil, 0o644), ErrNoKey)
			}
		})
	}
	f = remountWith(t, f, dev, testKeys)
	if b, err := f.ReadFile("/s/a"); err != nil || string(b) != "secret data" {
		t.Fatalf("with the key again: %q %v", b, err)
	}
	must(t, f.Unmount())
	checkClean(t, dev)
}

// rewriteMeta decodes, edits and re-encodes a metadata block on the disk,
// with a valid checksum: the tampering an attacker with the disk can do.
func rewriteMeta(t *testing.T, dev *block.Mem, blk uint64, edit func([]byte) []byte) {
	t.Helper()
	b := make([]byte, block.Size)
	must(t, dev.ReadBlocks(blk, b))
	must(t, dev.WriteBlocks(blk, edit(b)))
}

func TestEncryptedTamper(t *testing.T) {
	setup := func(t *testing.T) (*block.Mem, *inode, *inode) {
		f, dev := newCryptFS(t, 1024)
		must(t, f.WriteFile("/s/a", pattern(3*4096, 1), 0o644))
		must(t, f.WriteFile("/s/b", pattern(3*4096, 2), 0o644))
		must(t, f.Sync())
		a, b := internals(t, f, "/s/a"), internals(t, f, "/s/b")
		must(t, f.Unmount())
		return dev, a, b
	}
	readA := func(t *testing.T, dev *block.Mem) error {
		f, err := Mount(dev, Options{Keys: testKeys})
		must(t, err)
		defer f.Unmount()
		got, err := f.ReadFile("/s/a")
		if err == nil && !bytes.Equal(got, pattern(3*4096, 1)) {
			t.Fatal("tampered file read back wrong data without an error")
		}
		return err
	}
	swap := func(dev *block.Mem, x, y uint64) {
		bx, by := make([]byte, block.Size), make([]byte, block.Size)
		must(t, dev.ReadBlocks(x, bx))
		must(t, dev.ReadBlocks(y, by))
		must(t, dev.WriteBlocks(x, by))
		must(t, dev.WriteBlocks(y, bx))
	}
	t.Run("ciphertext bit", func(t *testing.T) {
		dev, a, _ := setup(t)
		rewriteMeta(t, dev, a.lookupBlock(1), func(b []byte) []byte { b[77] ^= 4; return b })
		wantErr(t, readA(t, dev), ErrAuth)
	})
	t.Run("tag bit", func(t *testing.T) {
		dev, a, _ := setup(t)
		rewriteMeta(t, dev, a.tagPtr(0), func(b []byte) []byte {
			tb, err := disk.DecodeTagBlock(b, a.Ino, a.Generation, 0)
			must(t, err)
			tb.Entries[2][20] ^= 1
			return tb.Encode()
		})
		wantErr(t, readA(t, dev), ErrAuth)
	})
	t.Run("nonce bit", func(t *testing.T) {
		dev, a, _ := setup(t)
		rewriteMeta(t, dev, a.tagPtr(0), func(b []byte) []byte {
			tb, err := disk.DecodeTagBlock(b, a.Ino, a.Generation, 0)
			must(t, err)
			tb.Entries[0][0] ^= 1
			return tb.Encode()
		})
		wantErr(t, readA(t, dev), ErrAuth)
	})
	t.Run("blocks swapped between files", func(t *testing.T) {
		dev, a, b := setup(t)
		swap(dev, a.lookupBlock(1), b.lookupBlock(1))
		wantErr(t, readA(t, dev), ErrAuth)
	})
	t.Run("blocks and tags swapped between files", func(t *testing.T) {
		// Moving the tag along with the block does not help: the data key
		// and the additional data (inode, generation) differ.
		dev, a, b := setup(t)
		swap(dev, a.lookupBlock(1), b.lookupBlock(1))
		var ea, eb disk.TagEntry
		rewriteMeta(t, dev, b.tagPtr(0), func(raw []byte) []byte {
			tb, err := disk.DecodeTagBlock(raw, b.Ino, b.Generation, 0)
			must(t, err)
			eb = tb.Entries[1]
			return raw
		})
		rewriteMeta(t, dev, a.tagPtr(0), func(raw []byte) []byte {
			tb, err := disk.DecodeTagBlock(raw, a.Ino, a.Generation, 0)
			must(t, err)
			ea, tb.Entries[1] = tb.Entries[1], eb
			return tb.Encode()
		})
		_ = ea
		wantErr(t, readA(t, dev), ErrAuth)
	})
	t.Run("blocks swapped within a file", func(t *testing.T) {
		dev, a, _ := setup(t)
		swap(dev, a.lookupBlock(0), a.lookupBlock(2))
		rewriteMeta(t, dev, a.tagPtr(0), func(raw []byte) []byte {
			tb, err := disk.DecodeTagBlock(raw, a.Ino, a.Generation, 0)
			must(t, err)
			tb.Entries[0], tb.Entries[2] = tb.Entries[2], tb.Entries[0]
			return tb.Encode()
		})
		wantErr(t, readA(t, dev), ErrAuth)
	})
	t.Run("wrapped keys swapped", func(t *testing.T) {
		dev, a, b := setup(t)
		var wb disk.CryptExt
		rewriteMeta(t, dev, b.Crypt, func(raw []byte) []byte {
			x, err := disk.DecodeCryptExt(raw, b.Ino, b.Generation, &disk.Superblock{Blocks: 1 << 20})
			must(t, err)
			wb = *x
			return raw
		})
		rewriteMeta(t, dev, a.Crypt, func(raw []byte) []byte {
			x, err := disk.DecodeCryptExt(raw, a.Ino, a.Generation, &disk.Superblock{Blocks: 1 << 20})
			must(t, err)
			x.WrapNonce, x.WrappedKey = wb.WrapNonce, wb.WrappedKey
			return x.Encode()
		})
		wantErr(t, readA(t, dev), ErrKeyRejected)
	})
	t.Run("block moved to a hole", func(t *testing.T) {
		// A block mapped where the tag table has no entry is refused, not
		// read as zeros or as ciphertext.
		dev, a, _ := setup(t)
		rewriteMeta(t, dev, a.tagPtr(0), func(raw []byte) []byte {
			tb, err := disk.DecodeTagBlock(raw, a.Ino, a.Generation, 0)
			must(t, err)
			tb.Entries[1] = disk.TagEntry{}
			return tb.Encode()
		})
		err := readA(t, dev)
		wantErr(t, err, ErrAuth)
		wantErr(t, err, disk.ErrCorrupt)
		wantErr(t, err, unix.EIO)
		rep, err := fsck.Check(dev, fsck.Options{})
		must(t, err)
		if rep.Clean() {
			t.Fatal("fsck found a mapped block without a tag clean")
		}
	})
}

func TestOldFormatRefusal(t *testing.T) {
	f, dev := newFS(t, 1024)
	if f.Superblock().Features != 0 {
		t.Fatal("a filesystem without encryption has feature flags")
	}
	must(t, f.Unmount())
	f = remountWith(t, nil, dev, testKeys)
	must(t, f.Mkdir("/s", 0o755))
	must(t, f.SetEncryption("/s", testKeyID))
	if f.Superblock().Features&disk.FeatureEncryption == 0 {
		t.Fatal("setting a policy did not set the encryption feature")
	}
	must(t, f.Unmount())
	// A reader that knows no features (as the code before encryption)
	// refuses the disk; here: a flag this code does not know.
	b := make([]byte, block.Size)
	must(t, dev.ReadBlocks(0, b))
	sb, err := disk.DecodeSuperblock(b)
	must(t, err)
	sb.Features |= 1 << 7
	must(t, dev.WriteBlocks(0, sb.Encode()))
	_, err = Mount(dev, Options{})
	if !errors.Is(err, disk.ErrCorrupt) || !bytes.Contains([]byte(err.Error()), []byte("newer")) {
		t.Fatalf("mount of a disk with an unknown feature: %v", err)
	}
}

// TestEncryptedOverwriteFullDisk: copy-on-write needs free blocks even to
// overwrite. On a full disk an overwrite fails with ENOSPC (or writes a
// prefix and says so), and the file keeps old or new data per block, never
// anything else; the disk stays consistent.
func TestEncryptedOverwriteFullDisk(t *testing.T) {
	f, dev := newCryptFS(t, disk.MinBlocks)
	old := pattern(40*4096, 1)
	must(t, f.WriteFile("/s/a", old, 0o644))
	must(t, f.Sync())
	// Fill the rest of the disk.
	h, err := f.Create("/fill", 0o644)
	must(t, err)
	for off := int64(0); ; off += 4096 {
		if _, err := h.WriteAt(make([]byte, 4096), off); err != nil {
			wantErr(t, err, unix.ENOSPC)
			break
		}
	}
	must(t, h.Close())
	must(t, f.Sync())
	// Free 5 blocks: an overwrite of 20 blocks moves at most 5 (less the
	// tag and bitmap needs), then stops.
	must(t, f.Truncate("/fill", int64(internals(t, f, "/fill").Size)-5*4096))
	must(t, f.Sync())
	w, err := f.OpenFile("/s/a", os.O_RDWR, 0)
	must(t, err)
	neu := pattern(20*4096, 9)
	k, err := w.WriteAt(neu, 4096)
	wantErr(t, err, unix.ENOSPC)
	if k >= len(neu) || k%4096 != 0 {
		t.Fatalf("wrote %d bytes of %d on a full disk", k, len(neu))
	}
	t.Logf("overwrite on a full disk: %d of %d bytes written", k, len(neu))
	must(t, w.Close())
	want := append([]byte(nil), old...)
	copy(want[4096:], neu[:k])
	for i := range 2 {
		if i == 1 {
			f = remountWith(t, f, dev, testKeys)
		}
		got, err := f.ReadFile("/s/a")
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Fatalf("after a failed overwrite of %d bytes (%d done) the file differs", len(neu), k)
		}
	}
	must(t, f.Unmount())
	checkClean(t, dev)
}

// TestEncryptedLargeSparse writes blocks far apart in an encrypted file, so
// that its tags live in several tag index blocks, and checks reads, the
// block count, truncation across index blocks, EFBIG at the limit, and that
// unlink gives every block back.
func TestEncryptedLargeSparse(t *testing.T) {
	f, dev := newCryptFS(t, 4096)
	per := int64(disk.TagsPerIndex * disk.TagsPerBlock) // file blocks per index block
	offs := []int64{0, 5 * 4096, per * 4096, (3*per + 7) * 4096}
	h, err := f.Create("/s/big", 0o644)
	must(t, err)
	st0, err := f.Statfs()
	must(t, err)
	for i, off := range offs {
		_, err := h.WriteAt(pattern(100, byte(i)), off)
		must(t, err)
	}
	_, err = h.WriteAt([]byte("x"), disk.MaxCryptFileBlocks*4096)
	wantErr(t, err, unix.EFBIG)
	must(t, h.Sync())
	st, err := h.Stat()
	must(t, err)
	// 4 data blocks, 3 tag blocks (two share the first), 3 index blocks
	// (index 2 has none), the extension.
	if st.Blocks != 4+3+3+1 {
		t.Fatalf("%d blocks, want 11", st.Blocks)
	}
	check := func(g *FS, n int) {
		t.Helper()
		r, err := g.Open("/s/big")
		must(t, err)
		defer r.Close()
		for i, off := range offs[:n] {
			b := make([]byte, 100)
			_, err := r.ReadAt(b, off)
			must(t, err)
			if !bytes.Equal(b, pattern(100, byte(i))) {
				t.Fatalf("block at %d reads back wrong", off)
			}
		}
	}
	check(f, 4)
	must(t, h.Close())
	f = remountWith(t, f, dev, testKeys)
	check(f, 4)
	checkClean(t, dev)
	must(t, f.Truncate("/s/big", per*4096+100)) // cut inside the second index block's first tag block
	must(t, f.Sync())
	check(f, 3)
	if st, _ := f.Stat("/s/big"); st.Blocks != 3+2+2+1 {
		t.Fatalf("after truncation: %d blocks, want 8", st.Blocks)
	}
	f = remountWith(t, f, dev, testKeys)
	checkClean(t, dev)
	must(t, f.Unlink("/s/big"))
	must(t, f.Sync())
	st1, err := f.Statfs()
	must(t, err)
	if st1.FreeBlocks != st0.FreeBlocks+1 { // + the extension, allocated before st0
		t.Fatalf("unlink left %d blocks allocated", int64(st0.FreeBlocks+1)-int64(st1.FreeBlocks))
	}
	must(t, f.Unmount())
	checkClean(t, dev)
}

// TestEncryptedRandomOverwrites: random 4 KiB overwrites of a committed
// encrypted file keep working (copy-on-write alone would split an extent per
// write and reach EFBIG after about a thousand), the extent count stays
// bounded, and the contents match.
func TestEncryptedRandomOverwrites(t *testing.T) {
	f, dev := newCryptFS(t, 16384)
	const blocks = 8192
	want := pattern(blocks*4096, 1)
	h, err := f.Create("/s/db", 0o644)
	must(t, err)
	_, err = h.WriteAt(want, 0)
	must(t, err)
	must(t, h.Sync())
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 1500 {
		off := rng.IntN(blocks*4096 - 6000)
		b := pattern(1+rng.IntN(5000), byte(i))
		if _, err := h.WriteAt(b, int64(off)); err != nil {
			t.Fatalf("overwrite %d: %v (extents: %d)", i, err, len(internals(t, f, "/s/db").Extents))
		}
		copy(want[off:], b)
		if i%200 == 199 {
			must(t, h.Sync())
		}
	}
	must(t, h.Close())
	ext := len(internals(t, f, "/s/db").Extents)
	if limit := blocks/writeChunk + disk.MaxExtents/2 + 2; ext > limit {
		t.Fatalf("%d extents, want at most %d", ext, limit)
	}
	f = remountWith(t, f, dev, testKeys)
	got, err := f.ReadFile("/s/db")
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatal("contents differ after random overwrites")
	}
	t.Logf("%d extents after 1500 random overwrites of a %d-block file", ext, blocks)
	must(t, f.Unmount())
	checkClean(t, dev)
}

func TestVaultPurpose(t *testing.T) {
	if got, want := VaultPurpose(disk.KeyID{0xab, 1}), "skyaifs/kek/ab010000000000000000000000000000"; got != want {
		t.Fatalf("VaultPurpose = %q, want %q", got, want)
	}
}
