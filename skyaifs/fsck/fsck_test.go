package fsck

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
)

// populated returns a RAM disk holding a small tree.
func populated(t *testing.T) *block.Mem {
	t.Helper()
	dev := block.NewMem(2048)
	if err := fs.Mkfs(dev, fs.Options{Seed: 7}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"/a", "/a/b", "/c"} {
		if err := f.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		if err := f.WriteFile(fmt.Sprintf("/a/b/f%03d", i), []byte(strings.Repeat("x", i*13)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Symlink("/a/b/f001", "/c/l"); err != nil {
		t.Fatal(err)
	}
	if err := f.Link("/a/b/f002", "/c/h"); err != nil {
		t.Fatal(err)
	}
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	return dev
}

func check(t *testing.T, dev block.Device, repair bool) *Report {
	t.Helper()
	r, err := Check(dev, Options{Repair: repair})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCleanImage(t *testing.T) {
	dev := populated(t)
	r := check(t, dev, false)
	if !r.Clean() {
		t.Fatalf("fresh image not clean: %q", r.Problems)
	}
	if r.Files != 300 || r.Dirs != 4 || r.Symlinks != 1 {
		t.Fatalf("counts: %+v", r)
	}
}

// corruptions damage one structure each; fsck must notice, repair, and the
// repaired disk must check clean and mount.
var corruptions = []struct {
	name string
	want string
	hit  func(sb *disk.Superblock, img []byte, blk func(n uint64) []byte)
}{
	{"bitmap bit cleared", "marked free", func(sb *disk.Superblock, img []byte, blk func(uint64) []byte) {
		b := blk(sb.BitmapStart)
		bits, _ := disk.DecodeBitmap(b, 0, sb)
		nb := append([]byte(nil), bits...)
		nb[(sb.DataStart+3)/8] &^= 1 << ((sb.DataStart + 3) % 8)
		copy(b, disk.EncodeBitmap(0, nb))
	}},
	{"bitmap bit leaked", "belong to nothing", func(sb *disk.Superblock, img []byte, blk func(uint64) []byte) {
		b := blk(sb.BitmapStart)
		bits, _ := disk.DecodeBitmap(b, 0, sb)
		nb := append([]byte(nil), bits...)
		nb[(sb.Blocks-1)/8] |= 1 << ((sb.Blocks - 1) % 8)
		copy(b, disk.EncodeBitmap(0, nb))
	}},
	{"inode checksum", "checksum", func(sb *disk.Superblock, img []byte, blk func(uint64) []byte) {
		b, off := sb.InodeBlock(5)
		blk(b)[off+20] ^= 0xff
	}},
	{"bucket checksum", "directory", func(sb *disk.Superblock, img []byte, blk func(uint64) []byte) {
		blk(sb.DataStart)[100] ^= 1 // the root's first bucket
	}},
	{"link count", "link count", func(sb *disk.Superblock, img []byte, blk func(uint64) []byte) {
		b, off := sb.InodeBlock(disk.RootIno + 1)
		raw := blk(b)[off : off+disk.InodeSize]
		n, _, _ := disk.DecodeInode(raw, disk.RootIno+1, sb)
		n.Nlink += 3
		n.Encode(raw)
	}},
}

func TestCorruptionsRepaired(t *testing.T) {
	for _, tc := range corruptions {
		t.Run(tc.name, func(t *testing.T) {
			img := populated(t).Image()
			sb, err := disk.DecodeSuperblock(img[:block.Size])
			if err != nil {
				t.Fatal(err)
			}
			tc.hit(sb, img, func(n uint64) []byte { return img[n*block.Size : (n+1)*block.Size] })
			dev := block.Must(block.NewMemFrom(img))
			r := check(t, dev, false)
			if r.Clean() || !strings.Contains(strings.Join(r.Problems, "\n"), tc.want) {
				t.Fatalf("problems %q, want one mentioning %q", r.Problems, tc.want)
			}
			r = check(t, dev, true)
			if !r.Repaired {
				t.Fatalf("not repaired: %q", r.Problems)
			}
			if r := check(t, dev, false); !r.Clean() {
				t.Fatalf("still not clean after repair: %q", r.Problems)
			}
			f, err := fs.Mount(dev, fs.Options{})
			if err != nil {
				t.Fatalf("mount after repair: %v", err)
			}
			if _, err := f.Readdir("/"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBadSuperblock(t *testing.T) {
	img := populated(t).Image()
	img[10] ^= 1
	_, err := Check(block.Must(block.NewMemFrom(img)), Options{Repair: true})
	if err == nil || !strings.Contains(err.Error(), "cannot be repaired") {
		t.Fatalf("got %v", err)
	}
}

// editInode decodes inode ino of img, lets edit change it, and re-encodes it.
func editInode(t *testing.T, sb *disk.Superblock, img []byte, ino uint64, edit func(n *disk.Inode)) {
	t.Helper()
	b, off := sb.InodeBlock(ino)
	raw := img[b*block.Size+uint64(off) : b*block.Size+uint64(off)+disk.InodeSize]
	n, _, err := disk.DecodeInode(raw, ino, sb)
	if err != nil || n == nil {
		t.Fatalf("inode %d: %v", ino, err)
	}
	edit(n)
	n.Encode(raw)
}

// findIno returns the inode number of path in the image.
func findIno(t *testing.T, img []byte, path string) uint64 {
	t.Helper()
	f, err := fs.Mount(block.Must(block.NewMemFrom(img)), fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func TestRepairScenarios(t *testing.T) {
	cases := []struct {
		name  string
		want  string
		hit   func(t *testing.T, sb *disk.Superblock, img []byte)
		after func(t *testing.T, f *fs.FS)
	}{
		{"doubly owned block", "is owned by inode", func(t *testing.T, sb *disk.Superblock, img []byte) {
			a, b := findIno(t, img, "/a/b/f100"), findIno(t, img, "/a/b/f101")
			var pa uint64
			editInode(t, sb, img, a, func(n *disk.Inode) { pa = n.Extents[0].Physical })
			editInode(t, sb, img, b, func(n *disk.Inode) { n.Extents[0].Physical = pa })
		}, func(t *testing.T, f *fs.FS) {
			if _, err := f.Stat("/a/b/f100"); err != nil {
				t.Errorf("the first owner should survive: %v", err)
			}
			if _, err := f.Stat("/a/b/f101"); err == nil {
				t.Error("the second owner should be cleared")
			}
		}},
		{"unreachable directory", "lost+found", func(t *testing.T, sb *disk.Superblock, img []byte) {
			// Clear the root's bucket entry for "c" by rewriting the bucket
			// without it; /c and its contents become unreachable.
			root, _, _ := disk.DecodeInode(img[sb.InodeStart*block.Size+disk.InodeSize:sb.InodeStart*block.Size+2*disk.InodeSize], disk.RootIno, sb)
			p := root.Extents[0].Physical
			k, err := disk.DecodeBucket(img[p*block.Size:(p+1)*block.Size], disk.RootIno, sb)
			if err != nil {
				t.Fatal(err)
			}
			var keep []disk.DirEntry
			for _, e := range k.Entries {
				if e.Name != "c" {
					keep = append(keep, e)
				}
			}
			k.Entries = keep
			copy(img[p*block.Size:], k.Encode())
			editInode(t, sb, img, disk.RootIno, func(n *disk.Inode) { n.Nlink-- })
		}, func(t *testing.T, f *fs.FS) {
			es, _ := f.Readdir("/")
			found := false
			for _, e := range es {
				if strings.HasPrefix(e.Name, "lost+found.") {
					found = true
					if _, err := f.Readlink("/" + e.Name + "/l"); err != nil {
						t.Errorf("the lost directory's contents: %v", err)
					}
				}
			}
			if !found {
				t.Errorf("no lost+found entry in %v", es)
			}
		}},
		{"entry naming a free inode", "free or invalid", func(t *testing.T, sb *disk.Superblock, img []byte) {
			ino := findIno(t, img, "/c/l")
			b, off := sb.InodeBlock(ino)
			clear(img[b*block.Size+uint64(off) : b*block.Size+uint64(off)+disk.InodeSize])
		}, func(t *testing.T, f *fs.FS) {
			if _, err := f.Lstat("/c/l"); err == nil {
				t.Error("the dangling entry should be gone")
			}
		}},
		{"directory parent field", "parent is", func(t *testing.T, sb *disk.Superblock, img []byte) {
			editInode(t, sb, img, findIno(t, img, "/a/b"), func(n *disk.Inode) { n.Parent = disk.RootIno })
		}, func(t *testing.T, f *fs.FS) {
			if _, err := f.Stat("/a/b/f001"); err != nil {
				t.Error(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			img := populated(t).Image()
			sb, _ := disk.DecodeSuperblock(img[:block.Size])
			tc.hit(t, sb, img)
			dev := block.Must(block.NewMemFrom(img))
			r := check(t, dev, false)
			if !strings.Contains(strings.Join(r.Problems, "\n"), tc.want) {
				t.Fatalf("problems %q, want one mentioning %q", r.Problems, tc.want)
			}
			check(t, dev, true)
			if r := check(t, dev, false); !r.Clean() {
				t.Fatalf("not clean after repair: %q", r.Problems)
			}
			f, err := fs.Mount(dev, fs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			tc.after(t, f)
		})
	}
}
