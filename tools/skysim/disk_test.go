package main

import (
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
)

// TestDiskPersists: fs lines write to a -disk image that a second run finds again.
func TestDiskPersists(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	out, code := skysim(t, "fs mkdir /notes\nfs write /notes/a.txt kept across runs\nfs df\n", "-disk", img)
	if code != 0 || !strings.Contains(out, "blocks of 4096 bytes free") {
		t.Fatalf("first run: status %d\n%s", code, out)
	}
	out, code = skysim(t, "fs cat /notes/a.txt\nfs ls /\n", "-disk", img)
	if code != 0 || !strings.Contains(out, "kept across runs\n") || !strings.Contains(out, "notes\n") {
		t.Fatalf("second run: status %d\n%s", code, out)
	}
	if out, _ := skysim(t, "fs cat /x\n"); !strings.Contains(out, "no disk: start skysim with -disk FILE") {
		t.Errorf("fs without a disk: %s", out)
	}
}

// TestCrashAfterWrites cuts the power after N block writes, for every N over the
// writes a workload makes, and checks each image: fsck finds it clean, it mounts,
// and every file the workload had fsync'd before the cut holds exactly its data.
func TestCrashAfterWrites(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.img")
	if _, code := skysim(t, "fs mkdir /d\n", "-disk", base); code != 0 {
		t.Fatal("making the base image")
	}
	orig, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	script := "fs write /d/one first file\nfs write /d/two second file\nfs mv /d/one /d/three\nfs rm /d/two\nfs append /d/three more\n"
	for n := 0; ; n++ {
		img := filepath.Join(dir, "cut.img")
		if err := os.WriteFile(img, orig, 0o644); err != nil {
			t.Fatal(err)
		}
		out, code := skysim(t, script, "-disk", img, "-crash-after-writes", strconv.Itoa(n))
		dev, err := block.Open(img)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := fsck.Check(dev, fsck.Options{})
		if err != nil || !rep.Clean() {
			t.Fatalf("cut after %d writes: fsck %v %+v\n%s", n, err, rep, out)
		}
		f, err := fs.Mount(dev, fs.Options{})
		if err != nil {
			t.Fatalf("cut after %d writes: mount: %v", n, err)
		}
		// Every write line fsyncs: a file that exists holds one of the states the
		// workload gave it, never a mix or another file's data.
		for _, name := range []string{"/d/one", "/d/two", "/d/three"} {
			r, err := f.Open(name)
			if err != nil {
				continue
			}
			b, _ := io.ReadAll(r)
			r.Close()
			switch s := string(b); {
			case name == "/d/one" && s == "first file\n",
				name == "/d/two" && s == "second file\n",
				name == "/d/three" && (s == "first file\n" || s == "first file\nmore\n"):
			default:
				t.Errorf("cut after %d writes: %s holds %q", n, name, s)
			}
		}
		f.Unmount()
		dev.Close()
		if code == 0 { // the workload finished before the cut: every point was tried
			if !strings.Contains(out, "sky> fs append /d/three more") || n == 0 {
				t.Fatalf("the workload did not run, or no cut was tried:\n%s", out)
			}
			t.Logf("cut points tried: 0 to %d block writes", n)
			return
		}
		if code != 3 {
			t.Fatalf("cut after %d writes: status %d, want 3 (power cut)\n%s", n, code, out)
		}
	}
}
