package fileproto

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
	"github.com/skyscope-os/skyscope/skyaifs/view"
)

const diskBlocks = 4096 // 16 MiB

// formatted returns a RAM disk with a fresh filesystem.
func formatted(t testing.TB) *block.Mem {
	t.Helper()
	mem := block.NewMem(diskBlocks)
	if err := skyfs.Mkfs(mem, skyfs.Options{Seed: 7}); err != nil {
		t.Fatal(err)
	}
	return mem
}

// workload runs a random sequence of file operations through a and returns one line
// per operation with its outcome and what it returned, so that two runs can be
// compared line by line.
func workload(a api, seed uint64, steps int) []string {
	rng := rand.New(rand.NewPCG(seed, 99))
	var log []string
	add := func(format string, args ...any) { log = append(log, fmt.Sprintf(format, args...)) }
	files := []string{"/a", "/b", "/d1/x", "/d1/y", "/d2/z", "/d1/sub/w", "/link", "/d2"}
	dirs := []string{"/d1", "/d2", "/d1/sub", "/big"}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	data := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	size := func() int {
		if rng.IntN(4) == 0 {
			return rng.IntN(300 << 10) // larger than any client buffer
		}
		return rng.IntN(5000)
	}
	stat := func(st skyfs.Stat) string {
		// Not the inode number: the two clients share one inode allocator on the
		// server, so numbers depend on how their requests interleave.
		return fmt.Sprintf("mode %o nlink %d size %d", st.Mode, st.Nlink, st.Size)
	}
	for _, d := range dirs {
		add("mkdir %s: %s", d, outcome(a.Mkdir(d, 0o755)))
	}
	for i := range steps {
		switch op := rng.IntN(14); op {
		case 0:
			p := pick(dirs)
			add("%d mkdir %s: %s", i, p, outcome(a.Mkdir(p, 0o755)))
		case 1, 2, 3:
			p := pick(files)
			flags := os.O_RDWR | os.O_CREATE
			if rng.IntN(5) == 0 {
				flags |= os.O_EXCL
			}
			if rng.IntN(5) == 0 {
				flags |= os.O_TRUNC
			}
			f, err := a.Open(p, flags, 0o644)
			add("%d open %s %#x: %s", i, p, flags, outcome(err))
			if err != nil {
				continue
			}
			b := data(size())
			off := int64(rng.IntN(100_000))
			n, err := f.WriteAt(b, off)
			add("%d write %d at %d: %d %s", i, len(b), off, n, outcome(err))
			if rng.IntN(3) == 0 {
				add("%d fsync: %s", i, outcome(f.Sync()))
			}
			if rng.IntN(4) == 0 {
				sz := int64(rng.IntN(200_000))
				add("%d ftruncate %d: %s", i, sz, outcome(f.Truncate(sz)))
			}
			st, err := f.Stat()
			add("%d fstat: %s %s", i, stat(st), outcome(err))
			add("%d close: %s", i, outcome(f.Close()))
		case 4, 5:
			p := pick(files)
			f, err := a.Open(p, os.O_RDONLY, 0)
			add("%d open %s ro: %s", i, p, outcome(err))
			if err != nil {
				continue
			}
			b := make([]byte, size())
			off := int64(rng.IntN(150_000))
			n, err := f.ReadAt(b, off)
			add("%d read %d at %d: %d %x %s", i, len(b), off, n, sha256.Sum256(b[:n]), outcome(err))
			_, err = f.WriteAt([]byte("x"), 0)
			add("%d write to read-only: %s", i, outcome(err))
			add("%d close: %s", i, outcome(f.Close()))
		case 6:
			p := pick(append(files, dirs...))
			st, err := a.Stat(p)
			add("%d stat %s: %s %s", i, p, stat(st), outcome(err))
			st, err = a.Lstat(p)
			add("%d lstat %s: %s %s", i, p, stat(st), outcome(err))
		case 7:
			p := pick(append(dirs, "/", "/a"))
			es, err := a.ReadDir(p)
			var names []string
			for _, e := range es {
				names = append(names, fmt.Sprintf("%s:%o", e.Name, e.Mode))
			}
			add("%d readdir %s: %v %s", i, p, names, outcome(err))
		case 8:
			p := pick(append(files, dirs...))
			add("%d remove %s: %s", i, p, outcome(a.Remove(p)))
		case 9:
			from, to := pick(append(files, dirs...)), pick(append(files, dirs...))
			add("%d rename %s %s: %s", i, from, to, outcome(a.Rename(from, to)))
		case 10:
			p := pick(files)
			sz := int64(rng.IntN(200_000))
			add("%d truncate %s %d: %s", i, p, sz, outcome(a.Truncate(p, sz)))
		case 11:
			target := pick(append(files, "nowhere", strings.Repeat("t", 300)))
			p := pick(files)
			add("%d symlink %s %s: %s", i, target, p, outcome(a.Symlink(target, p)))
			s, err := a.Readlink(p)
			add("%d readlink %s: %q %s", i, p, s, outcome(err))
		case 12:
			st, err := a.Statfs()
			// Free counts are shared by the clients; the geometry is not.
			add("%d statfs: %d %d %d %s", i, st.BlockSize, st.Blocks, st.MaxName, outcome(err))
			add("%d sync: %s", i, outcome(a.Sync()))
		case 13:
			// Many long names: a listing of several buffer pages.
			for j := range 20 {
				p := fmt.Sprintf("/big/%s-%03d", strings.Repeat("n", 40), rng.IntN(400))
				f, err := a.Open(p, os.O_WRONLY|os.O_CREATE, 0o600)
				if err == nil {
					err = f.Close()
				}
				add("%d.%d create %s: %s", i, j, p, outcome(err))
			}
		}
	}
	return log
}

// dump describes a whole tree: every path with its type, size, links and contents
// (or target).
func dump(t testing.TB, f *skyfs.FS) []string {
	t.Helper()
	var out []string
	var walk func(dir string)
	walk = func(dir string) {
		es, err := f.Readdir(dir)
		if err != nil {
			t.Fatalf("readdir %s: %v", dir, err)
		}
		for _, e := range es {
			p := strings.TrimSuffix(dir, "/") + "/" + e.Name
			st, err := f.Lstat(p)
			if err != nil {
				t.Fatalf("lstat %s: %v", p, err)
			}
			line := fmt.Sprintf("%s mode %o size %d nlink %d", p, st.Mode, st.Size, st.Nlink)
			switch {
			case st.IsDir():
				out = append(out, line)
				walk(p)
				continue
			case st.Mode&disk.TypeMask == disk.TypeLink:
				s, _ := f.Readlink(p)
				line += " -> " + s
			default:
				b, err := f.ReadFile(p)
				if err != nil {
					t.Fatalf("read %s: %v", p, err)
				}
				line += fmt.Sprintf(" %x", sha256.Sum256(b))
			}
			out = append(out, line)
		}
	}
	walk("/")
	return out
}

// mountImage checks img with fsck, which must find it clean, and mounts it.
func mountImage(t testing.TB, img []byte) *skyfs.FS {
	t.Helper()
	dev := block.Must(block.NewMemFrom(img))
	rep, err := fsck.Check(dev, fsck.Options{})
	if err != nil {
		t.Fatal("fsck:", err)
	}
	if !rep.Clean() {
		t.Fatalf("fsck: %s", strings.Join(rep.Problems, "; "))
	}
	f, err := skyfs.Mount(dev, skyfs.Options{})
	if err != nil {
		t.Fatal("mount:", err)
	}
	return f
}

func diff(a, b []string) string {
	for i := range max(len(a), len(b)) {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n  ipc:    %s\n  direct: %s", i, x, y)
		}
	}
	return ""
}

// TestFileOverIPC: two client tasks run random workloads of every operation through
// the file server, which mounts SKYAIFS through the block server. Each sees every
// operation's outcome and data exactly as the same workload run directly on a
// filesystem gives them (one client has the whole filesystem, the other a view of
// /c2 as its root, with a buffer of two pages so that large reads and writes and
// directory listings take many requests). Afterwards the served disk checks clean,
// and its tree equals the direct run's.
func TestFileOverIPC(t *testing.T) {
	mem := formatted(t)
	const steps = 150
	logs := make([][]string, 2)
	w := &world{dev: mem,
		setup: func(f *skyfs.FS, s *Server) error {
			if err := f.Mkdir("/c2", 0o755); err != nil {
				return err
			}
			sub, err := f.Sub("/c2")
			if err != nil {
				return err
			}
			v, err := view.New(view.Mount{Path: "/", Dir: sub, Rights: view.Read | view.Write})
			if err != nil {
				return err
			}
			if err := s.AddClient(0x101, f.Root()); err != nil {
				return err
			}
			return s.AddClient(0x102, v)
		},
	}
	for i, pages := range []uint64{MaxBufferPages, MinBufferPages} {
		w.clients = append(w.clients, clientSpec{badge: abi.Badge(0x101 + i), run: func(e *user.Env) {
			c, err := attach(e, pages)
			if err != nil {
				logs[i] = []string{"attach: " + err.Error()}
				return
			}
			logs[i] = workload(remote{c}, uint64(i+1), steps)
			if err := c.Sync(); err != nil { // what is not committed is not on the disk to compare
				logs[i] = append(logs[i], "sync: "+err.Error())
			}
			if err := c.Close(); err != nil {
				logs[i] = append(logs[i], "detach: "+err.Error())
			}
		}})
	}
	w.run(t)

	// The same workloads, directly, each on a filesystem of its own set up as the
	// server's was: client 0's on the root, client 1's in a view of /c2. The two never
	// touch each other's names, so neither's results depend on the interleaving.
	var want []string
	for i := range 2 {
		df, err := skyfs.Mount(formatted(t), skyfs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		df.Mkdir("/c2", 0o755)
		var ns Namespace = df.Root()
		if i == 1 {
			sub, _ := df.Sub("/c2")
			ns, _ = view.New(view.Mount{Path: "/", Dir: sub, Rights: view.Read | view.Write})
		}
		if d := diff(logs[i], workload(direct{ns, df}, uint64(i+1), steps)); d != "" {
			t.Errorf("client %d differs from the direct run at %s", i, d)
		}
		for _, l := range dump(t, df) {
			if (i == 0) != strings.HasPrefix(l, "/c2") {
				want = append(want, l)
			}
		}
	}
	for i := range 2 {
		if ok := strings.Count(strings.Join(logs[i], "\n"), ": ok"); ok < steps {
			t.Errorf("client %d: only %d of %d operations succeeded; the workload tests too little", i, ok, len(logs[i]))
		}
	}
	got := dump(t, mountImage(t, mem.Image()))
	slices.Sort(want)
	slices.Sort(got)
	if d := diff(got, want); d != "" {
		t.Errorf("served tree differs from the direct runs' at %s", d)
	}
	if len(logs[0]) < steps || len(logs[1]) < steps {
		t.Fatalf("workloads did not finish: %d and %d lines", len(logs[0]), len(logs[1]))
	}
}
