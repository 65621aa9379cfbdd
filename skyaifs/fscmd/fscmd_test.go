package fscmd

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
)

func TestCommands(t *testing.T) {
	dev := block.NewMem(1024)
	if err := fs.Mkfs(dev, fs.Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	run := func(line string) error { return Run(Local{FS: f}, &out, strings.Fields(line)) }
	for _, line := range []string{"mkdir /d", "write /d/a one two", "append /d/a three", "cat /d/a",
		"mv /d/a /d/b", "ls /d", "rm /d/b", "rm /d", "ls /", "sync", "df"} {
		if err := run(line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	if got := out.String(); !strings.HasPrefix(got, "one two\nthree\nb\n") || !strings.Contains(got, "blocks of 4096 bytes free") {
		t.Errorf("output %q", got)
	}
	for _, bad := range []string{"", "cat", "cat /nonesuch", "rm /nonesuch", "bogus", "write /x"} {
		if err := run(bad); err == nil {
			t.Errorf("%q succeeded", bad)
		}
	}
}

// TestBench runs the benchmark on a RAM disk: it measures every part and leaves the
// filesystem as it found it.
func TestBench(t *testing.T) {
	dev := block.NewMem(4096)
	if err := fs.Mkfs(dev, fs.Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := f.Statfs()
	r, err := Bench(Local{FS: f}, "/.bench", 2<<20, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if r.SeqWrite <= 0 || r.SeqRead <= 0 || r.RandWrite <= 0 || r.RandRead <= 0 || r.Create <= 0 {
		t.Errorf("a measure is missing: %+v", r)
	}
	after, _ := f.Statfs()
	if after.FreeBlocks != before.FreeBlocks || after.FreeInodes != before.FreeInodes {
		t.Errorf("bench left blocks or inodes behind: %+v, before %+v", after, before)
	}
	t.Log(r)
}

// TestMkdirModeAndStat: mkdir takes an octal mode, stat shows it with the owner; a
// mode that is not octal or too large is refused and makes nothing.
func TestMkdirModeAndStat(t *testing.T) {
	dev := block.NewMem(1024)
	if err := fs.Mkfs(dev, fs.Options{}); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Mount(dev, fs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	run := func(line string) error { return Run(Local{FS: f}, &out, strings.Fields(line)) }
	for _, line := range []string{"mkdir /shared 1777", "write /shared/a x", "stat /shared", "stat /shared/a"} {
		if err := run(line); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	want := "/shared: directory mode 1777 uid 0 gid 0 size 4096\n/shared/a: file mode 0644 uid 0 gid 0 size 2\n"
	if out.String() != want {
		t.Errorf("output %q, want %q", out.String(), want)
	}
	for _, bad := range []string{"mkdir /b 9", "mkdir /b 17777", "mkdir /b rwx", "stat /nonesuch"} {
		if err := run(bad); err == nil {
			t.Errorf("%q succeeded", bad)
		}
	}
	if _, err := f.Lstat("/b"); err == nil {
		t.Error("a refused mkdir made /b")
	}
}
