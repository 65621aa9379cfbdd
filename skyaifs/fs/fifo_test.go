package fs

import (
	"errors"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
	"golang.org/x/sys/unix"
)

// TestMkfifo: a named pipe is an inode of type FIFO with no data: stat and the
// directory listing say so after a remount, opening it here is ENXIO (its readers and
// writers meet in a personality), truncating it EINVAL, a second Mkfifo EEXIST, it can
// be removed, and fsck finds the disk clean with it.
func TestMkfifo(t *testing.T) {
	f, dev := newFS(t, 1024)
	must(t, f.Root().Mkfifo("/p", 0o640))
	if err := f.Root().Mkfifo("/p", 0o600); !errors.Is(err, unix.EEXIST) {
		t.Errorf("second mkfifo: %v", err)
	}
	f = remount(t, f, dev)
	st, err := f.Lstat("/p")
	if err != nil || st.Mode != disk.TypeFifo|0o640 || st.Size != 0 {
		t.Fatalf("lstat: %+v %v", st, err)
	}
	es, err := f.Root().Readdir("/")
	if err != nil || len(es) != 1 || es[0].Name != "p" || es[0].Mode != disk.TypeFifo {
		t.Errorf("readdir: %+v %v", es, err)
	}
	if _, err := f.OpenFile("/p", os.O_RDONLY, 0); !errors.Is(err, unix.ENXIO) {
		t.Errorf("open: %v", err)
	}
	if err := f.Truncate("/p", 0); !errors.Is(err, unix.EINVAL) {
		t.Errorf("truncate: %v", err)
	}
	must(t, f.Sync())
	if r, err := fsck.Check(dev, fsck.Options{}); err != nil || !r.Clean() {
		t.Errorf("fsck: %v %q", err, problems(r))
	}
	must(t, f.Unlink("/p"))
	if _, err := f.Lstat("/p"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("after remove: %v", err)
	}
}
