package fs

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
)

// TestDirtyLimitBoundsData writes eight times the dirty limit into two files
// without any fsync: the FS must commit on its own whenever the bound is
// reached (its buffered data never exceeds the bound plus one write chunk),
// and everything must read back after a remount and check clean.
func TestDirtyLimitBoundsData(t *testing.T) {
	const limit = 256 << 10
	dev := block.NewMem(4096)
	must(t, Mkfs(dev, Options{Seed: 7}))
	f, err := Mount(dev, Options{DirtyLimit: limit})
	must(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string][]byte{"/a": make([]byte, 4*limit), "/b": make([]byte, 4*limit)}
	for _, b := range want {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	fa, err := f.Create("/a", 0o644)
	must(t, err)
	fb, err := f.Create("/b", 0o644)
	must(t, err)
	// Interleaved 100 000-byte writes: unaligned, so partial blocks are read back
	// from buffered data or from the disk after a commit.
	const step = 100_000
	for off := 0; off < 4*limit; off += step {
		for _, x := range []struct {
			h *File
			b []byte
		}{{fa, want["/a"]}, {fb, want["/b"]}} {
			end := min(off+step, len(x.b))
			if n, err := x.h.WriteAt(x.b[off:end], int64(off)); err != nil || n != end-off {
				t.Fatalf("write at %d: %d, %v", off, n, err)
			}
			if u := f.Usage(); u.Data > limit+writeChunk*block.Size {
				t.Fatalf("after a write at %d: %d bytes buffered, over the limit %d plus a chunk", off, u.Data, limit)
			}
		}
	}
	u := f.Usage()
	if u.PeakData > limit+writeChunk*block.Size || u.PeakData < limit {
		t.Errorf("peak of buffered data %d, want between the limit %d and the limit plus a chunk", u.PeakData, limit)
	}
	if u.Commits < 7 {
		t.Errorf("%d commits for 8× the limit without fsync, want at least 7", u.Commits)
	}
	if u.DirtyLimit != limit {
		t.Errorf("Usage.DirtyLimit %d, want %d", u.DirtyLimit, limit)
	}
	// Reading back before the remount mixes buffered and committed blocks.
	for p, b := range want {
		got, err := f.ReadFile(p)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s before remount: %d bytes, %v", p, len(got), err)
		}
	}
	must(t, fa.Close())
	must(t, fb.Close())
	g := remount(t, f, dev)
	for p, b := range want {
		got, err := g.ReadFile(p)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s after remount: %d bytes, %v", p, len(got), err)
		}
	}
	must(t, g.Unmount())
	if r, err := fsck.Check(dev, fsck.Options{}); err != nil || !r.Clean() {
		t.Fatalf("fsck: %v %v", err, problems(r))
	}
}

// TestDirtyLimitDefault: without the option the bound is 16 MiB, and a tiny
// option is raised to one block (every operation can still run).
func TestDirtyLimitDefault(t *testing.T) {
	f, _ := newFS(t, 256)
	if u := f.Usage(); u.DirtyLimit != defaultDirtyLimit || u.CacheLimit != defaultCacheLimit {
		t.Errorf("default limits %d, %d; want %d, %d", u.DirtyLimit, u.CacheLimit, defaultDirtyLimit, defaultCacheLimit)
	}
	dev := block.NewMem(256)
	must(t, Mkfs(dev, Options{Seed: 7}))
	g, err := Mount(dev, Options{DirtyLimit: 1, CacheLimit: 1})
	must(t, err)
	u := g.Usage()
	if u.DirtyLimit != block.Size || u.CacheLimit < uint64(2*g.capacity())*block.Size {
		t.Errorf("tiny limits became %d, %d; want one block and at least two transactions' metadata", u.DirtyLimit, u.CacheLimit)
	}
	must(t, g.WriteFile("/x", bytes.Repeat([]byte("x"), 3*block.Size+5), 0o644))
	got, err := g.ReadFile("/x")
	if err != nil || len(got) != 3*block.Size+5 {
		t.Fatalf("read back: %d, %v", len(got), err)
	}
}

// TestCacheLimitBoundsMetadata makes a tree of many small files with the
// smallest caches: the metadata cache and the decoded inodes stay bounded,
// and every file reads back, before and after a remount.
func TestCacheLimitBoundsMetadata(t *testing.T) {
	dev := block.NewMem(8192)
	must(t, Mkfs(dev, Options{Seed: 7, Inodes: 4096}))
	opts := Options{DirtyLimit: 1, CacheLimit: 1}
	f, err := Mount(dev, opts)
	must(t, err)
	limit := f.Usage().CacheLimit
	const dirs, files = 8, 300
	for d := range dirs {
		must(t, f.Mkdir(fmt.Sprintf("/d%d", d), 0o755))
		for i := range files {
			must(t, f.WriteFile(fmt.Sprintf("/d%d/f%d", d, i), []byte(fmt.Sprint(d, i)), 0o644))
		}
		if u := f.Usage(); u.Meta > limit+uint64(opBudget)*block.Size {
			t.Fatalf("after directory %d: %d bytes of metadata cached, limit %d", d, u.Meta, limit)
		}
		f.mu.Lock()
		decoded := len(f.inodes) + len(f.dirs)
		f.mu.Unlock()
		if decoded > f.cacheLimit+opBudget {
			t.Fatalf("after directory %d: %d decoded inodes and directories, limit %d", d, decoded, f.cacheLimit)
		}
	}
	check := func(g *FS, when string) {
		for d := range dirs {
			for i := range files {
				p := fmt.Sprintf("/d%d/f%d", d, i)
				b, err := g.ReadFile(p)
				if err != nil || string(b) != fmt.Sprint(d, i) {
					t.Fatalf("%s: %s holds %q, %v", when, p, b, err)
				}
			}
		}
	}
	check(f, "before remount")
	must(t, f.Unmount())
	g, err := Mount(dev, opts)
	must(t, err)
	check(g, "after remount")
	must(t, g.Unmount())
	if r, err := fsck.Check(dev, fsck.Options{}); err != nil || !r.Clean() {
		t.Fatalf("fsck: %v %v", err, problems(r))
	}
}

// TestCrashDirtyLimit runs the crash harness on workloads whose writes cross a
// small dirty limit many times, so commits happen inside runs of writes that
// no fsync asked for: every crash point must still be consistent.
func TestCrashDirtyLimit(t *testing.T) {
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"plain", Options{DirtyLimit: 6 * block.Size}},
		{"encrypted", Options{DirtyLimit: 6 * block.Size, Keys: testKeys}},
	} {
		t.Run(c.name, func(t *testing.T) {
			base, mk := crashBase(t, c.opts)
			rng := rand.New(rand.NewPCG(5, 6))
			var st crashStats
			// A long run of writes without fsync (about 45 blocks, over seven
			// times the limit), with a rename and an unlink between them.
			// Offsets are multiples of 8: the harness reads the tag words
			// aligned.
			ops := []wop{opCreate("/z"), opWrite("/z", 0, 40000), opWrite("/foo", 5000, 30000),
				opRename("/z", "/A/z"), opWrite("/A/z", 30000, 30000), opUnlink("/bar"), opFsync("/A/z"),
				opWrite("/A/baz", 104, 50000), opTruncate("/foo", 7000)}
			runCrash(t, c.opts, base, mk, ops, rng, &st)
			t.Logf("%d crash points checked", st.points)
		})
	}
	t.Run("random", func(t *testing.T) { crashRandom(t, Options{DirtyLimit: 6 * block.Size}) })
	t.Run("random-tiny-caches", func(t *testing.T) {
		crashRandom(t, Options{DirtyLimit: 6 * block.Size, tinyCaches: true, Keys: testKeys})
	})
}

// TestModelPropertySmallLimits is TestModelProperty with the smallest bounds: a
// commit before nearly every operation (one block of buffered data) and the
// metadata and decoded caches dropped as often as they can be (tinyCaches: below
// what CacheLimit allows), plain and encrypted — dropping what is cached must
// never change what is read.
func TestModelPropertySmallLimits(t *testing.T) {
	t.Run("plain", func(t *testing.T) { modelProperty(t, Options{DirtyLimit: 1, tinyCaches: true}) })
	t.Run("encrypted", func(t *testing.T) { modelProperty(t, Options{DirtyLimit: 1, tinyCaches: true, Keys: testKeys}) })
}
