package fs

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestNULInPathRefused: a path holding NUL is refused (EINVAL) by every operation
// that creates a name, and nothing is created: before the check such a name was
// stored, and after a remount its directory no longer decoded.
func TestNULInPathRefused(t *testing.T) {
	f, dev := newFS(t, 1024)
	must(t, f.Mkdir("/d", 0o755))
	must(t, f.WriteFile("/f", []byte("x"), 0o644))
	bad := "/d/a\x00b"
	wantErr(t, f.Mkdir(bad, 0o755), unix.EINVAL)
	_, err := f.OpenFile(bad, os.O_RDWR|os.O_CREATE, 0o644)
	wantErr(t, err, unix.EINVAL)
	wantErr(t, f.Symlink("/x", bad), unix.EINVAL)
	wantErr(t, f.Rename("/d", "/e\x00"), unix.EINVAL)
	wantErr(t, f.Link("/f", bad), unix.EINVAL)
	f = remount(t, f, dev)
	es, err := f.Readdir("/d")
	must(t, err)
	if len(es) != 0 {
		t.Fatalf("/d holds %v after refused creates", es)
	}
}
