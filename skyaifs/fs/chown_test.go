package fs

import (
	"errors"
	"testing"

	"golang.org/x/sys/unix"
)

// TestChownRules: Chown and Lchown follow Linux's rules acting as an unprivileged
// Cred (the owner may set its own uid and change the group to its own or the
// file's; nothing else, and nobody else), IDUnchanged leaves an id, a refused call
// changes nothing, Lchown changes the link and not its target, and the set-id bits
// of a non-directory go as Linux drops them.
func TestChownRules(t *testing.T) {
	f, _ := newFS(t, 1024)
	must(t, f.Mkdir("/d", 0o777))
	must(t, f.WriteFile("/d/mine", nil, 0o644))
	must(t, f.Chown("/d/mine", 1000, 1000))
	must(t, f.WriteFile("/d/other", nil, 0o644))
	must(t, f.Chown("/d/other", 2000, 2000))
	must(t, f.Symlink("mine", "/d/link"))
	must(t, f.Lchown("/d/link", 1000, 1000))

	u := f.Root().As(Cred{UID: 1000, GID: 50})
	owner := func(p string, uid, gid uint32) {
		t.Helper()
		st, err := f.Lstat(p)
		if err != nil || st.UID != uid || st.GID != gid {
			t.Errorf("%s: owner %d:%d %v, want %d:%d", p, st.UID, st.GID, err, uid, gid)
		}
	}
	refused := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, unix.EPERM) {
			t.Errorf("%s: %v, want EPERM", what, err)
		}
	}
	must(t, u.Chown("/d/mine", IDUnchanged, 50)) // to its own group
	owner("/d/mine", 1000, 50)
	refused("a group neither its own nor the file's", u.Chown("/d/mine", 1000, 1000))
	must(t, u.Chown("/d/mine", 1000, 50)) // its own uid, the file's group: no change, allowed
	must(t, f.Chown("/d/mine", IDUnchanged, 1000))
	must(t, u.Chown("/d/mine", IDUnchanged, IDUnchanged))
	refused("give away", u.Chown("/d/mine", 2000, IDUnchanged))
	refused("a group it is not in", u.Chown("/d/mine", IDUnchanged, 7))
	refused("another's file", u.Chown("/d/other", IDUnchanged, 50))
	refused("another's file, its own uid", u.Chown("/d/other", 2000, IDUnchanged))
	owner("/d/mine", 1000, 1000)
	owner("/d/other", 2000, 2000)

	// Lchown changes the link; Chown through it the target.
	must(t, u.Lchown("/d/link", IDUnchanged, 50))
	owner("/d/link", 1000, 50)
	owner("/d/mine", 1000, 1000)
	must(t, u.Chown("/d/link", IDUnchanged, 50))
	owner("/d/mine", 1000, 50)
	if _, err := u.Lstat("/d/link"); err != nil {
		t.Fatal(err)
	}

	// Set-id bits: set-user-id always goes from a non-directory, set-group-id only
	// with group execute; a directory keeps both.
	must(t, f.Chmod("/d/mine", 0o6755))
	must(t, u.Chown("/d/mine", IDUnchanged, IDUnchanged))
	if st, _ := f.Stat("/d/mine"); st.Mode&0o7777 != 0o755 {
		t.Errorf("mode after chown %o, want 755", st.Mode&0o7777)
	}
	must(t, f.Chmod("/d/mine", 0o6744))
	must(t, f.Chown("/d/mine", 0, 0))
	if st, _ := f.Stat("/d/mine"); st.Mode&0o7777 != 0o2744 {
		t.Errorf("mode after root's chown %o, want 2744", st.Mode&0o7777)
	}
	must(t, f.Chmod("/d", 0o6777))
	must(t, f.Chown("/d", 0, 0))
	if st, _ := f.Stat("/d"); st.Mode&0o7777 != 0o6777 {
		t.Errorf("directory mode after chown %o, want 6777", st.Mode&0o7777)
	}
}

// TestDirAt: a Dir from At resolves relative paths from its directory and absolute
// ones (and "..") within the same root; its relative paths go stale with the
// directory, its absolute ones do not.
func TestDirAt(t *testing.T) {
	f, _ := newFS(t, 1024)
	must(t, f.Mkdir("/top", 0o755))
	must(t, f.Mkdir("/top/a", 0o755))
	must(t, f.Mkdir("/top/a/b", 0o755))
	must(t, f.WriteFile("/top/a/b/file", []byte("deep"), 0o644))
	must(t, f.WriteFile("/top/x", []byte("top"), 0o644))
	sub, err := f.Sub("/top")
	must(t, err)
	at, err := sub.At("a/b")
	must(t, err)
	for p, want := range map[string]string{"file": "deep", "/x": "top", "../../x": "top", "../../../../x": "top"} {
		if b, err := at.ReadFile(p); err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %q", p, b, err, want)
		}
	}
	if _, err := sub.At("x"); !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("At a file: %v", err)
	}
	must(t, f.Unlink("/top/a/b/file"))
	must(t, f.Rmdir("/top/a/b"))
	if _, err := at.Stat("file"); !errors.Is(err, unix.ESTALE) {
		t.Errorf("after rmdir: %v, want ESTALE", err)
	}
	if b, err := at.ReadFile("/x"); err != nil || string(b) != "top" {
		t.Errorf("absolute path from a stale At: %q %v", b, err)
	}
}

// TestDirFence: a fenced Dir answers EREMOTE for ".." from the fence and for an
// absolute link target, and resolves everything else as before (relative links,
// ".." below the fence, paths that only pass through).
func TestDirFence(t *testing.T) {
	f, _ := newFS(t, 1024)
	must(t, f.Mkdir("/tmp", 0o1777))
	must(t, f.Mkdir("/tmp/d", 0o755))
	must(t, f.WriteFile("/tmp/d/file", []byte("x"), 0o644))
	must(t, f.WriteFile("/top", []byte("t"), 0o644))
	must(t, f.Symlink("d/file", "/tmp/rel"))
	must(t, f.Symlink("/tmp/d/file", "/tmp/abs"))
	must(t, f.Symlink("../top", "/tmp/up"))
	must(t, f.Symlink("../d/file", "/tmp/d/back"))
	d, err := f.Root().Fence("/tmp")
	must(t, err)
	for p, want := range map[string]error{
		"/tmp/rel": nil, "/tmp/d/../d/file": nil, "/tmp/d/back": nil, "/top": nil,
		"/tmp/abs": unix.EREMOTE, "/tmp/up": unix.EREMOTE, "/tmp/../top": unix.EREMOTE, "/tmp/abs/x": unix.EREMOTE,
	} {
		_, err := d.Stat(p)
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("stat %s: %v, want %v", p, err, want)
		}
	}
	if _, err := d.Lstat("/tmp/abs"); err != nil {
		t.Errorf("lstat of an absolute link itself: %v", err)
	}
	if _, err := f.Stat("/tmp/abs"); err != nil {
		t.Errorf("without a fence: %v", err)
	}
	if _, err := f.Root().Fence("/top"); !errors.Is(err, unix.ENOTDIR) {
		t.Errorf("fence at a file: %v", err)
	}
}
