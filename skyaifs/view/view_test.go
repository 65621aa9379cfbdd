package view

import (
	"errors"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"golang.org/x/sys/unix"
	"pgregory.net/rapid"
)

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func mkfs(t testing.TB) *skyfs.FS {
	dev := block.NewMem(1024)
	must(t, skyfs.Mkfs(dev, skyfs.Options{Seed: 1}))
	f, err := skyfs.Mount(dev, skyfs.Options{})
	must(t, err)
	return f
}

// testView: "/" is A:/root (read-write), "/data" is B:/pub (read-only),
// "/scratch" is A:/root/tmp (read-write). A:/secretA and B:/bsecret are
// outside.
func testView(t testing.TB) (*View, *skyfs.FS, *skyfs.FS) {
	a, b := mkfs(t), mkfs(t)
	must(t, a.WriteFile("/secretA", []byte("SECRET-A"), 0o600))
	for _, d := range []string{"/root", "/root/etc", "/root/tmp"} {
		must(t, a.Mkdir(d, 0o755))
	}
	must(t, a.WriteFile("/root/etc/passwd", []byte("root:x:0:0"), 0o644))
	must(t, a.Symlink("../../../../../secretA", "/root/etc/up"))
	must(t, a.Symlink("/data/readme", "/root/etc/toread"))
	must(t, a.Symlink("/scratch/../etc", "/root/tmp/loop"))
	must(t, b.WriteFile("/bsecret", []byte("SECRET-B"), 0o600))
	must(t, b.Mkdir("/pub", 0o755))
	must(t, b.WriteFile("/pub/readme", []byte("hello"), 0o644))
	must(t, b.Symlink("../bsecret", "/pub/sneaky"))
	root, err := a.Sub("/root")
	must(t, err)
	pub, err := b.Sub("/pub")
	must(t, err)
	tmp, err := a.Sub("/root/tmp")
	must(t, err)
	v, err := New(Mount{"/", root, Read | Write}, Mount{"/data", pub, Read}, Mount{"/scratch", tmp, Read | Write})
	must(t, err)
	return v, a, b
}

func wantErrno(t *testing.T, err error, want unix.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}

func TestView(t *testing.T) {
	v, a, _ := testView(t)
	es, err := v.Readdir("/")
	must(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name)
	}
	if strings.Join(names, " ") != "data etc scratch tmp" {
		t.Fatalf("readdir /: %v", names)
	}
	if b, err := v.ReadFile("/etc/toread"); err != nil || string(b) != "hello" {
		t.Fatalf("a link across mounts: %q %v", b, err)
	}
	if _, err := v.ReadFile("/etc/up"); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("a link climbing out: %v", err)
	}
	if _, err := v.ReadFile("/data/sneaky"); !errors.Is(err, unix.ENOENT) {
		t.Fatalf("a link climbing out of a mount: %v", err)
	}
	if b, err := v.ReadFile("/scratch/loop/passwd"); err != nil || string(b) != "root:x:0:0" {
		t.Fatalf("/scratch/loop/passwd: %q %v", b, err)
	}
	wantErrno(t, v.WriteFile("/data/new", []byte("x"), 0o644), unix.EROFS)
	wantErrno(t, v.Mkdir("/data/d", 0o755), unix.EROFS)
	wantErrno(t, v.Rename("/etc/passwd", "/scratch/p"), unix.EXDEV)
	wantErrno(t, v.Rename("/scratch", "/s2"), unix.EBUSY)
	wantErrno(t, v.Rmdir("/scratch"), unix.EBUSY)
	must(t, v.WriteFile("/scratch/new", []byte("n"), 0o644))
	if b, err := a.ReadFile("/root/tmp/new"); err != nil || string(b) != "n" {
		t.Fatalf("the write through /scratch: %q %v", b, err)
	}
	st, err := v.Stat("/data/../..")
	must(t, err)
	if r, _ := a.Stat("/root"); st.Ino != r.Ino {
		t.Fatalf("/data/../.. is inode %d, want the view's root %d", st.Ino, r.Ino)
	}
	wo, err := New(Mount{"/", a.Root(), Write})
	must(t, err)
	if _, err := wo.ReadFile("/secretA"); !errors.Is(err, unix.EACCES) {
		t.Fatalf("read on a write-only mount: %v", err)
	}
	if _, err := New(Mount{"/x/", a.Root(), Read}); err == nil {
		t.Fatal("unclean mount path accepted")
	}
}

// TestViewConfinementProperty: no path made of names, ".", ".." and the
// tree's links reads or lists anything outside the mounted directories,
// and no write through the view changes anything outside them.
func TestViewConfinementProperty(t *testing.T) {
	v, a, b := testView(t)
	parts := []string{"..", ".", "etc", "tmp", "data", "scratch", "up", "toread", "loop", "sneaky", "passwd", "readme", "secretA", "bsecret", "root", "pub"}
	rapid.Check(t, func(rt *rapid.T) {
		var ps []string
		for range rapid.IntRange(1, 8).Draw(rt, "n") {
			ps = append(ps, rapid.SampledFrom(parts).Draw(rt, "part"))
		}
		p := "/" + strings.Join(ps, "/")
		if got, err := v.ReadFile(p); err == nil && strings.HasPrefix(string(got), "SECRET") {
			rt.Fatalf("%s reads %q", p, got)
		}
		if es, err := v.Readdir(p); err == nil {
			for _, e := range es {
				if strings.Contains(e.Name, "secret") || e.Name == "root" || e.Name == "pub" {
					rt.Fatalf("readdir %s lists %q from outside", p, e.Name)
				}
			}
		}
	})
	// Writes through the view, anywhere: nothing outside changes.
	rapid.Check(t, func(rt *rapid.T) {
		var ps []string
		for range rapid.IntRange(1, 8).Draw(rt, "n") {
			ps = append(ps, rapid.SampledFrom(parts).Draw(rt, "part"))
		}
		p := "/" + strings.Join(ps, "/")
		switch rapid.IntRange(0, 2).Draw(rt, "write") {
		case 0:
			v.WriteFile(p, []byte("scribble"), 0o644)
		case 1:
			v.Unlink(p)
		case 2:
			v.Symlink("/"+strings.Join(ps, "/"), p)
		}
	})
	if got, _ := a.ReadFile("/secretA"); string(got) != "SECRET-A" {
		t.Fatal("A:/secretA changed")
	}
	if got, _ := b.ReadFile("/bsecret"); string(got) != "SECRET-B" {
		t.Fatal("B:/bsecret changed")
	}
	for _, f := range []*skyfs.FS{a, b} {
		es, _ := f.Readdir("/")
		if len(es) != 2 {
			t.Fatalf("the top of a filesystem changed: %v", es)
		}
	}
}
