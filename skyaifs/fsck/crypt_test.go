package fsck

import (
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
)

var cryptKeys = fs.DerivedKeys{Secret: []byte("fsck test")}

// encrypted returns a disk with an encrypted directory holding /s/a (3
// blocks) and /s/b (1 block), and the crypt extension and first tag block of
// /s/a.
func encrypted(t *testing.T) (dev *block.Mem, ext, tags uint64, a disk.Inode) {
	t.Helper()
	dev = block.NewMem(1024)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(fs.Mkfs(dev, fs.Options{Seed: 7}))
	f, err := fs.Mount(dev, fs.Options{Keys: cryptKeys})
	must(err)
	must(f.Mkdir("/s", 0o755))
	must(f.SetEncryption("/s", disk.KeyID{1}))
	must(f.WriteFile("/s/a", make([]byte, 3*block.Size), 0o644))
	must(f.WriteFile("/s/b", []byte("b"), 0o644))
	st, err := f.Stat("/s/a")
	must(err)
	must(f.Unmount())
	sb := f.Superblock()
	blk, off := sb.InodeBlock(st.Ino)
	raw := make([]byte, block.Size)
	must(dev.ReadBlocks(blk, raw))
	n, _, err := disk.DecodeInode(raw[off:off+disk.InodeSize], st.Ino, &sb)
	must(err)
	must(dev.ReadBlocks(n.Crypt, raw))
	x, err := disk.DecodeCryptExt(raw, n.Ino, n.Generation, &sb)
	must(err)
	must(dev.ReadBlocks(x.Index[0], raw))
	ti, err := disk.DecodeTagIndex(raw, n.Ino, n.Generation, 0, &sb)
	must(err)
	return dev, n.Crypt, ti.Tags[0], *n
}

func TestEncryptedClean(t *testing.T) {
	dev, _, _, _ := encrypted(t)
	r := check(t, dev, false)
	if !r.Clean() {
		t.Fatalf("not clean: %q", r.Problems)
	}
	// data: 3 + 1 blocks, crypt extensions 2, tag index blocks 2, tag
	// blocks 2, plus the root bucket and /s's bucket.
	sb, _ := disk.DecodeSuperblock(dev.Image()[:block.Size])
	if got, want := r.UsedBlocks-sb.DataStart, uint64(4+2+2+2+2); got != want {
		t.Fatalf("%d data-area blocks in use, want %d", got, want)
	}
}

func TestEncryptedStaleTagRepaired(t *testing.T) {
	dev, _, tags, a := encrypted(t)
	raw := make([]byte, block.Size)
	if err := dev.ReadBlocks(tags, raw); err != nil {
		t.Fatal(err)
	}
	tb, err := disk.DecodeTagBlock(raw, a.Ino, a.Generation, 0)
	if err != nil {
		t.Fatal(err)
	}
	tb.Entries[7] = disk.TagEntry{1} // file block 7 is not mapped
	if err := dev.WriteBlocks(tags, tb.Encode()); err != nil {
		t.Fatal(err)
	}
	r := check(t, dev, true)
	if r.Clean() || !strings.Contains(strings.Join(r.Problems, "\n"), "not mapped") {
		t.Fatalf("stale tag entry not found: %q", r.Problems)
	}
	if r := check(t, dev, false); !r.Clean() {
		t.Fatalf("after repair: %q", r.Problems)
	}
	f, err := fs.Mount(dev, fs.Options{Keys: cryptKeys})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := f.ReadFile("/s/a"); err != nil || len(b) != 3*block.Size {
		t.Fatalf("file after repair: %d bytes, %v", len(b), err)
	}
}

func TestEncryptedBadExtensionCleared(t *testing.T) {
	for _, what := range []string{"extension", "tags"} {
		t.Run(what, func(t *testing.T) {
			dev, ext, tags, _ := encrypted(t)
			blk := map[string]uint64{"extension": ext, "tags": tags}[what]
			raw := make([]byte, block.Size)
			raw[100] = 1
			if err := dev.WriteBlocks(blk, raw); err != nil {
				t.Fatal(err)
			}
			if r := check(t, dev, false); r.Clean() {
				t.Fatal("a destroyed crypt block checks clean")
			}
			check(t, dev, true)
			if r := check(t, dev, false); !r.Clean() {
				t.Fatalf("after repair: %q", r.Problems)
			}
			f, err := fs.Mount(dev, fs.Options{Keys: cryptKeys})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Stat("/s/a"); err == nil {
				t.Fatal("the file with the destroyed crypt block survived")
			}
			if b, err := f.ReadFile("/s/b"); err != nil || string(b) != "b" {
				t.Fatalf("the other file: %q %v", b, err)
			}
		})
	}
}
