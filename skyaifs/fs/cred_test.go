package fs

import (
	"errors"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/fsck"

	"golang.org/x/sys/unix"
)

// TestCredChecks: a Dir acting as a container's root (mapped to machine uid
// 100000) cannot read, change, remove or look inside the machine root's private
// files, owns what it creates, and machine root (uid 0) acting through As passes
// every check. Every refused operation changes nothing.
func TestCredChecks(t *testing.T) {
	f, mem := newFS(t, 1024) // the trusted view creates as Options.UID, 0
	must(t, f.WriteFile("/secret", []byte("machine root only"), 0o600))
	must(t, f.WriteFile("/public", []byte("everyone reads"), 0o644))
	must(t, f.Mkdir("/private", 0o700))
	must(t, f.WriteFile("/private/inner", []byte("x"), 0o644))
	must(t, f.Mkdir("/box", 0o755))
	must(t, f.Chown("/box", 100000, 100000))
	must(t, f.Mkdir("/tmp", 0o1777))
	must(t, f.WriteFile("/tmp/roots", []byte("r"), 0o644))

	ctr := f.Root().As(Cred{UID: 100000, GID: 100000})
	refused := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
	}
	_, err := ctr.Open("/secret")
	refused("read 0600 of root", err, unix.EACCES)
	_, err = ctr.OpenFile("/public", os.O_WRONLY, 0)
	refused("write 0644 of root", err, unix.EACCES)
	_, err = ctr.OpenFile("/public", os.O_RDONLY|os.O_TRUNC, 0)
	refused("truncate on open", err, unix.EACCES)
	refused("truncate", ctr.Truncate("/public", 0), unix.EACCES)
	_, err = ctr.Stat("/private/inner")
	refused("search a 0700 directory", err, unix.EACCES)
	_, err = ctr.Readdir("/private")
	refused("list a 0700 directory", err, unix.EACCES)
	_, err = ctr.Sub("/private")
	refused("sub through a 0700 directory", err, unix.EACCES)
	_, err = ctr.Create("/new", 0o644)
	refused("create in root's 0755 /", err, unix.EACCES)
	refused("mkdir in /", ctr.Mkdir("/d", 0o755), unix.EACCES)
	refused("symlink in /", ctr.Symlink("/secret", "/l"), unix.EACCES)
	refused("link in /", ctr.Link("/public", "/p2"), unix.EACCES)
	refused("unlink in /", ctr.Unlink("/public"), unix.EACCES)
	refused("rename out of /", ctr.Rename("/public", "/box/public"), unix.EACCES)
	refused("chmod of root's file", ctr.Chmod("/public", 0o666), unix.EPERM)
	refused("chown", ctr.Chown("/box", 0, 0), unix.EPERM)
	refused("unlink another's file in a sticky dir", ctr.Unlink("/tmp/roots"), unix.EACCES)

	// Nothing of that changed anything.
	if b, err := f.ReadFile("/public"); err != nil || string(b) != "everyone reads" {
		t.Errorf("/public: %q %v", b, err)
	}
	for _, p := range []string{"/new", "/d", "/l", "/p2", "/box/public"} {
		if _, err := f.Lstat(p); !errors.Is(err, unix.ENOENT) {
			t.Errorf("%s exists after a refused create: %v", p, err)
		}
	}
	if st, _ := f.Stat("/public"); st.Mode&0o777 != 0o644 {
		t.Errorf("/public mode %o", st.Mode)
	}

	// What it may do, and who owns the result.
	if b, err := ctr.ReadFile("/public"); err != nil || string(b) != "everyone reads" {
		t.Errorf("read 0644: %q %v", b, err)
	}
	must(t, ctr.WriteFile("/box/mine", []byte("m"), 0o600))
	must(t, ctr.Mkdir("/box/sub", 0o700))
	must(t, ctr.WriteFile("/tmp/mine", []byte("m"), 0o600))
	for _, p := range []string{"/box/mine", "/box/sub", "/tmp/mine"} {
		if st, err := f.Stat(p); err != nil || st.UID != 100000 || st.GID != 100000 {
			t.Errorf("%s: owner %d:%d %v, want 100000", p, st.UID, st.GID, err)
		}
	}
	must(t, ctr.Chmod("/box/mine", 0o640))
	must(t, ctr.Rename("/box/mine", "/box/sub/mine"))
	must(t, ctr.Unlink("/tmp/mine"))

	// Machine root through As: every check passes, files it makes are root's.
	root := f.Root().As(Cred{})
	if b, err := root.ReadFile("/box/sub/mine"); err != nil || string(b) != "m" {
		t.Errorf("root reads the container's 0640 file: %q %v", b, err)
	}
	must(t, root.WriteFile("/box/sub/roots", nil, 0o600))
	if st, _ := f.Stat("/box/sub/roots"); st.UID != 0 {
		t.Errorf("root's file owned by %d", st.UID)
	}
	// A group member reads through the group bits.
	must(t, f.WriteFile("/grp", []byte("g"), 0o640))
	must(t, f.Chown("/grp", 5, 100000))
	if _, err := ctr.ReadFile("/grp"); err != nil {
		t.Errorf("group read: %v", err)
	}
	must(t, f.Sync())
	if r, err := fsck.Check(mem, fsck.Options{}); err != nil || !r.Clean() {
		t.Errorf("fsck: %v %q", err, problems(r))
	}
}
