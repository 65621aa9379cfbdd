package fs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
	"golang.org/x/sys/unix"
)

// newFS makes and mounts a filesystem on a RAM disk of blocks blocks.
func newFS(t testing.TB, blocks uint64) (*FS, *block.Mem) {
	t.Helper()
	dev := block.NewMem(blocks)
	if err := Mkfs(dev, Options{Seed: 42}); err != nil {
		t.Fatal(err)
	}
	f, err := Mount(dev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return f, dev
}

func remount(t testing.TB, f *FS, dev block.Device) *FS {
	t.Helper()
	if err := f.Unmount(); err != nil {
		t.Fatal(err)
	}
	g, err := Mount(dev, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t testing.TB, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
}

func TestBasicTree(t *testing.T) {
	f, dev := newFS(t, 1024)
	must(t, f.Mkdir("/a", 0o755))
	must(t, f.Mkdir("/a/b", 0o700))
	must(t, f.WriteFile("/a/b/hello", []byte("hello, world"), 0o644))
	must(t, f.Symlink("b/hello", "/a/link"))
	must(t, f.Link("/a/b/hello", "/a/hard"))
	f = remount(t, f, dev)
	got, err := f.ReadFile("/a/link")
	must(t, err)
	if string(got) != "hello, world" {
		t.Fatalf("read through symlink: %q", got)
	}
	st, err := f.Stat("/a/hard")
	must(t, err)
	if st.Nlink != 2 || st.Size != 12 {
		t.Fatalf("stat: %+v", st)
	}
	if s, _ := f.Stat("/a"); s.Nlink != 3 {
		t.Fatalf("dir nlink %d, want 3", s.Nlink)
	}
	es, err := f.Readdir("/a")
	must(t, err)
	if len(es) != 3 || es[0].Name != "b" || es[1].Name != "hard" || es[2].Name != "link" {
		t.Fatalf("readdir: %+v", es)
	}
	if tgt, err := f.Readlink("/a/link"); err != nil || tgt != "b/hello" {
		t.Fatalf("readlink: %q %v", tgt, err)
	}
	wantErr(t, f.Rmdir("/a"), unix.ENOTEMPTY)
	wantErr(t, f.Unlink("/a/b"), unix.EISDIR)
	wantErr(t, f.Mkdir("/a/b", 0o755), unix.EEXIST)
	wantErr(t, f.Rename("/a", "/a/b/c"), unix.EINVAL)
	wantErr(t, f.Link("/a", "/x"), unix.EPERM)
	_, err = f.Stat("/nope")
	wantErr(t, err, iofs.ErrNotExist)
	_, err = f.Stat("/a/hard/x")
	wantErr(t, err, unix.ENOTDIR)
	must(t, f.Rename("/a/hard", "/a/b/hello")) // same file: nothing happens
	must(t, f.Rename("/a/b/hello", "/top"))
	must(t, f.Unlink("/a/hard"))
	must(t, f.Rmdir("/a/b"))
	st, err = f.Stat("/top")
	must(t, err)
	if st.Nlink != 1 {
		t.Fatalf("nlink after unlink %d", st.Nlink)
	}
	f = remount(t, f, dev)
	es, _ = f.Readdir("/")
	if len(es) != 2 {
		t.Fatalf("root: %+v", es)
	}
}

func TestFileIO(t *testing.T) {
	f, dev := newFS(t, 4096)
	h, err := f.Create("/f", 0o644)
	must(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	want := make([]byte, 0)
	for i := 0; i < 200; i++ {
		off := r.IntN(300000)
		n := r.IntN(20000)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if _, err := h.WriteAt(b, int64(off)); err != nil {
			t.Fatal(err)
		}
		if off+n > len(want) {
			want = append(want, make([]byte, off+n-len(want))...)
		}
		copy(want[off:], b)
		if i%37 == 0 {
			sz := r.IntN(len(want) + 1)
			must(t, h.Truncate(int64(sz)))
			want = want[:sz]
		}
	}
	must(t, h.Close())
	got, err := f.ReadFile("/f")
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("contents differ (len %d vs %d)", len(got), len(want))
	}
	f = remount(t, f, dev)
	got, err = f.ReadFile("/f")
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("contents differ after remount (len %d vs %d)", len(got), len(want))
	}
}

func TestBigDirectory(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 2000
	}
	dev := block.NewMem(16384)
	must(t, Mkfs(dev, Options{Inodes: 12000}))
	f, err := Mount(dev, Options{})
	must(t, err)
	must(t, f.Mkdir("/d", 0o755))
	for i := 0; i < n; i++ {
		h, err := f.Create(fmt.Sprintf("/d/file-%05d-with-a-longish-name", i), 0o644)
		must(t, err)
		must(t, h.Close())
	}
	f = remount(t, f, dev)
	es, err := f.Readdir("/d")
	must(t, err)
	if len(es) != n {
		t.Fatalf("%d entries, want %d", len(es), n)
	}
	for i := 0; i < n; i += 2 {
		must(t, f.Unlink(fmt.Sprintf("/d/file-%05d-with-a-longish-name", i)))
	}
	if _, err := f.Stat("/d/file-00001-with-a-longish-name"); err != nil {
		t.Fatal(err)
	}
	f = remount(t, f, dev)
	es, _ = f.Readdir("/d")
	if len(es) != n/2 {
		t.Fatalf("%d entries after unlinking half, want %d", len(es), n/2)
	}
}

func TestENOSPCChangesNothing(t *testing.T) {
	f, _ := newFS(t, 256)
	st0, _ := f.Statfs()
	h, err := f.Create("/big", 0o644)
	must(t, err)
	_, err = h.WriteAt(make([]byte, 4<<20), 0)
	wantErr(t, err, unix.ENOSPC)
	must(t, h.Close())
	must(t, f.Unlink("/big"))
	must(t, f.Sync())
	st1, _ := f.Statfs()
	if st0.FreeBlocks != st1.FreeBlocks || st0.FreeInodes != st1.FreeInodes {
		t.Fatalf("space leaked: %+v -> %+v", st0, st1)
	}
}

func TestUnlinkedOpenFile(t *testing.T) {
	f, dev := newFS(t, 1024)
	h, err := f.Create("/tmp", 0o600)
	must(t, err)
	_, err = h.Write([]byte("still here"))
	must(t, err)
	must(t, f.Unlink("/tmp"))
	b := make([]byte, 10)
	if _, err := h.ReadAt(b, 0); err != nil || string(b) != "still here" {
		t.Fatalf("read unlinked open file: %q %v", b, err)
	}
	must(t, h.Sync())
	// A crash now leaves an orphan; mount frees it.
	g, err := Mount(block.Must(block.NewMemFrom(dev.Image())), Options{})
	must(t, err)
	st, _ := g.Statfs()
	must(t, h.Close())
	must(t, f.Sync())
	st2, _ := f.Statfs()
	if st.FreeInodes != st2.FreeInodes || st.FreeBlocks != st2.FreeBlocks {
		t.Fatalf("orphan not freed at mount: %+v vs %+v", st, st2)
	}
}

// TestPowerCut runs a workload on a device that loses power after N block
// writes, for many N: the filesystem reports errors once the power is gone
// (never panics), and the disk left behind checks clean and mounts.
func TestPowerCut(t *testing.T) {
	base, _ := crashBase(t, Options{})
	for n := uint64(0); n < 400; n += 7 {
		mem := block.Must(block.NewMemFrom(base))
		cut := block.NewCutAfter(mem, n)
		f, err := Mount(cut, Options{})
		if err == nil {
			for i := 0; i < 30; i++ {
				p := fmt.Sprintf("/A/f%d", i%7)
				if f.WriteFile(p, bytes.Repeat([]byte{byte(i)}, 3000*i), 0o644) != nil {
					break
				}
				if i%5 == 4 && f.Rename(p, "/foo") != nil {
					break
				}
				if i%3 == 0 && f.Sync() != nil {
					break
				}
			}
			f.Unmount()
		}
		r, err := fsck.Check(mem, fsck.Options{})
		if err != nil || !r.Clean() {
			t.Fatalf("cut after %d writes: fsck %v %q", n, err, problems(r))
		}
		g, err := Mount(mem, Options{})
		if err != nil {
			t.Fatalf("cut after %d writes: mount: %v", n, err)
		}
		if _, err := fsState(g); err != nil {
			t.Fatalf("cut after %d writes: %v", n, err)
		}
		must(t, g.Unmount())
	}
}

// TestConcurrentUse runs several goroutines on one FS (for the race
// detector): each works in its own directory; then the tree is checked.
func TestConcurrentUse(t *testing.T) {
	f, dev := newFS(t, 4096)
	done := make(chan error)
	for g := range 4 {
		go func() {
			dir := fmt.Sprintf("/g%d", g)
			err := f.Mkdir(dir, 0o755)
			for i := 0; err == nil && i < 50; i++ {
				p := fmt.Sprintf("%s/f%d", dir, i%10)
				if err = f.WriteFile(p, bytes.Repeat([]byte{byte(g)}, 100*i), 0o644); err != nil {
					break
				}
				var b []byte
				if b, err = f.ReadFile(p); err == nil && !bytes.Equal(b, bytes.Repeat([]byte{byte(g)}, 100*i)) {
					err = fmt.Errorf("%s: wrong contents", p)
				}
				if err == nil && i%7 == 0 {
					err = f.Sync()
				}
			}
			done <- err
		}()
	}
	for range 4 {
		must(t, <-done)
	}
	f = remount(t, f, dev)
	for g := range 4 {
		es, err := f.Readdir(fmt.Sprintf("/g%d", g))
		if err != nil || len(es) != 10 {
			t.Fatalf("g%d: %d entries, %v", g, len(es), err)
		}
	}
	must(t, f.Unmount())
	if r, err := fsck.Check(dev, fsck.Options{}); err != nil || !r.Clean() {
		t.Fatalf("fsck: %v %q", err, problems(r))
	}
}

func TestFileHandles(t *testing.T) {
	f, _ := newFS(t, 1024)
	h, err := f.OpenFile("/log", os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	must(t, err)
	for _, s := range []string{"one ", "two ", "three"} {
		_, err := h.Write([]byte(s))
		must(t, err)
	}
	_, err = h.Read(make([]byte, 1))
	wantErr(t, err, unix.EBADF)
	must(t, h.Close())
	wantErr(t, h.Close(), iofs.ErrClosed)
	r, err := f.Open("/log")
	must(t, err)
	_, err = r.Write([]byte("x"))
	wantErr(t, err, unix.EBADF)
	if off, err := r.Seek(4, io.SeekStart); err != nil || off != 4 {
		t.Fatalf("seek: %d %v", off, err)
	}
	b, err := io.ReadAll(r)
	must(t, err)
	if string(b) != "two three" {
		t.Fatalf("read after seek: %q", b)
	}
	if _, err := r.Seek(-1, io.SeekStart); !errors.Is(err, unix.EINVAL) {
		t.Fatalf("negative seek: %v", err)
	}
	st, err := r.Stat()
	must(t, err)
	if st.Size != 13 || st.Mode != 0o100600 {
		t.Fatalf("stat: %+v", st)
	}
	must(t, r.Close())
	_, err = f.OpenFile("/log", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	wantErr(t, err, unix.EEXIST)
	_, err = f.OpenFile("/", os.O_RDWR, 0)
	wantErr(t, err, unix.EISDIR)
	_, err = f.Open("/log/")
	wantErr(t, err, unix.ENOTDIR)
	must(t, f.Symlink("/loop2", "/loop1"))
	must(t, f.Symlink("/loop1", "/loop2"))
	_, err = f.Open("/loop1")
	wantErr(t, err, unix.ELOOP)
	wantErr(t, f.Mkdir("/"+strings.Repeat("n", 256), 0o755), unix.ENAMETOOLONG)
	h, err = f.OpenFile("/log", os.O_RDWR|os.O_TRUNC, 0)
	must(t, err)
	if st, _ := h.Stat(); st.Size != 0 {
		t.Fatalf("O_TRUNC left %d bytes", st.Size)
	}
	must(t, f.Unmount())
	_, err = h.WriteAt([]byte("x"), 0)
	wantErr(t, err, unix.EBADF)
	_, err = f.Stat("/")
	wantErr(t, err, unix.EBADF)
}
