package fs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
)

// fuzzBase is a small populated image whose metadata the fuzzer damages.
// It holds an encrypted directory first, so that its files' crypt extensions
// and tag blocks lie among the blocks the fuzzer damages.
var fuzzBase = func() []byte {
	dev := block.NewMem(disk.MinBlocks)
	if err := Mkfs(dev, Options{Seed: 3, Inodes: 64}); err != nil {
		panic(err)
	}
	f, err := Mount(dev, fuzzOpts)
	if err != nil {
		panic(err)
	}
	f.Mkdir("/s", 0o755)
	if err := f.SetEncryption("/s", testKeyID); err != nil {
		panic(err)
	}
	f.Mkdir("/s/sub", 0o755)
	f.WriteFile("/s/a", []byte("secret"), 0o644)
	f.WriteFile("/s/sub/b", make([]byte, 3*block.Size+5), 0o644)
	f.Sync()
	f.WriteFile("/s/sub/b", []byte("rewritten"), 0o644) // copy-on-write
	f.Mkdir("/d", 0o755)
	f.Mkdir("/d/e", 0o700)
	for i := range 40 {
		f.WriteFile(fmt.Sprintf("/d/f%d", i), make([]byte, 100*i), 0o644)
	}
	h, _ := f.Create("/frag", 0o644)
	for i := range 14 { // a sparse file with an extent chain
		h.WriteAt([]byte("x"), int64(i)*2*block.Size)
	}
	h.Close()
	f.Symlink("/d/f1", "/link")
	f.Link("/d/f2", "/d/e/hard")
	if err := f.Unmount(); err != nil {
		panic(err)
	}
	return dev.Image()
}()

// fuzzOpts mounts the fuzzed images with the key of their encrypted files.
var fuzzOpts = Options{Keys: testKeys}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// reseal recomputes the checksums of image block n, so that damage reaches
// the decoders' semantic checks instead of stopping at the checksum.
func reseal(img []byte, n uint64, sb *disk.Superblock) {
	b := img[n*block.Size : (n+1)*block.Size]
	switch {
	case n == 0:
		binary.LittleEndian.PutUint32(b[block.Size-4:], crc32.Checksum(b[:block.Size-4], castagnoli))
	case n >= sb.InodeStart && n < sb.InodeStart+sb.InodeBlocks:
		for off := 0; off < block.Size; off += disk.InodeSize {
			in := b[off : off+disk.InodeSize]
			binary.LittleEndian.PutUint32(in[disk.InodeSize-4:], crc32.Checksum(in[:disk.InodeSize-4], castagnoli))
		}
	default:
		var zero [4]byte
		c := crc32.Update(0, castagnoli, b[:4])
		c = crc32.Update(c, castagnoli, zero[:])
		c = crc32.Update(c, castagnoli, b[8:])
		binary.LittleEndian.PutUint32(b[4:], c)
	}
}

// FuzzMountCorrupt damages the metadata of a populated image (the input is
// a list of 4-byte patches: block selector, offset, value; the first byte
// says whether checksums are recomputed afterwards) and requires:
//
//   - Mount refuses the image with an error, or mounts it; a mounted image
//     can be walked and changed without a panic (errors are fine);
//   - fsck either says the disk cannot be repaired, or repairs it, after
//     which fsck finds it clean and it mounts and can be walked.
func FuzzMountCorrupt(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1, 0, 0x10, 0x05, 0x7f})
	f.Add([]byte{1, 3, 0x00, 0x40, 0x00})
	f.Add([]byte{1, 4, 0x00, 0x14, 0x02})
	f.Add([]byte{0, 5, 0x01, 0x00, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || len(in) > 1+4*16 {
			return
		}
		img := append([]byte(nil), fuzzBase...)
		sb, _ := disk.DecodeSuperblock(img[:block.Size])
		// Candidate blocks: the metadata region past the journal, plus the
		// first data blocks (directory buckets, chains, symlink targets).
		var cands []uint64
		cands = append(cands, 0)
		for n := sb.BitmapStart; n < sb.DataStart+24; n++ {
			cands = append(cands, n)
		}
		touched := map[uint64]bool{}
		for p := in[1:]; len(p) >= 4; p = p[4:] {
			n := cands[int(p[0])%len(cands)]
			off := int(binary.LittleEndian.Uint16(p[1:])) % block.Size
			img[n*block.Size+uint64(off)] ^= p[3]
			touched[n] = true
		}
		if in[0]&1 == 1 {
			for n := range touched {
				reseal(img, n, sb)
			}
		}
		dev := block.Must(block.NewMemFrom(img))
		if g, err := Mount(dev, fuzzOpts); err == nil {
			exercise(g)
			g.Unmount()
		}
		dev = block.Must(block.NewMemFrom(img))
		r, err := fsck.Check(dev, fsck.Options{Repair: true})
		if err != nil {
			if !errors.Is(err, fsck.ErrUnrepairable) {
				t.Fatalf("fsck: %v", err)
			}
			return
		}
		if r2, err := fsck.Check(dev, fsck.Options{}); err != nil || !r2.Clean() {
			t.Fatalf("after repair (%q): %v %q", r.Problems, err, problems(r2))
		}
		g, err := Mount(dev, fuzzOpts)
		if err != nil {
			t.Fatalf("mount after repair (%q): %v", r.Problems, err)
		}
		if err := walkAll(g); err != nil {
			t.Fatalf("walk after repair (%q): %v", r.Problems, err)
		}
		exercise(g)
		if err := g.Unmount(); err != nil {
			t.Fatal(err)
		}
		if r3, err := fsck.Check(dev, fsck.Options{}); err != nil || !r3.Clean() {
			t.Fatalf("after using the repaired disk: %v %q", err, problems(r3))
		}
	})
}

// exercise walks and changes a filesystem, ignoring errors.
func exercise(g *FS) {
	walkAll(g)
	g.Mkdir("/d/new", 0o755)
	g.WriteFile("/d/new/x", make([]byte, 5000), 0o644)
	g.Rename("/d/f3", "/d/e/f3")
	g.Unlink("/d/f4")
	g.Truncate("/frag", 3)
	g.WriteFile("/s/sub/c", make([]byte, 5000), 0o644)
	g.Truncate("/s/sub/b", 2)
	g.Rmdir("/d/e")
	g.Sync()
}

// walkAll visits every name, reading the first 64 KiB of every file (a
// corrupt size can make a file a huge sparse one) and every symlink. An
// encrypted block that fails authentication, or a wrapped data key the key
// does not open, is not an error here: fsck
// checks structure without keys and cannot see damaged ciphertext (as it
// cannot see damaged plain data); reading refuses it, which is the point.
func walkAll(g *FS) error {
	seen := map[uint64]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		es, err := g.Readdir(dir + "/")
		if err != nil {
			return err
		}
		for _, e := range es {
			p := dir + "/" + e.Name
			st, err := g.Lstat(p)
			if err != nil {
				return err
			}
			switch {
			case st.IsDir():
				if seen[st.Ino] {
					return fmt.Errorf("%s: directory reached twice", p)
				}
				seen[st.Ino] = true
				if err := walk(p); err != nil {
					return err
				}
			case st.Mode&disk.TypeMask == disk.TypeLink:
				if _, err := g.Readlink(p); err != nil {
					return err
				}
			default:
				h, err := g.Open(p)
				if err != nil {
					return err
				}
				_, err = h.ReadAt(make([]byte, 64<<10), 0)
				h.Close()
				if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, ErrAuth) && !errors.Is(err, ErrKeyRejected) {
					return err
				}
			}
		}
		return nil
	}
	return walk("")
}
