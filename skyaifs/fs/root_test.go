package fs

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"pgregory.net/rapid"
)

// jailFS builds /secret and /jail with a subtree full of escaping symlinks.
func jailFS(t testing.TB) (*FS, *Dir) {
	f, _ := newFS(t, 1024)
	must(t, f.WriteFile("/secret", []byte("outside"), 0o600))
	must(t, f.Mkdir("/other", 0o755))
	for _, d := range []string{"/jail", "/jail/a", "/jail/a/b"} {
		must(t, f.Mkdir(d, 0o755))
	}
	must(t, f.WriteFile("/jail/a/inside", []byte("inside"), 0o644))
	links := map[string]string{
		"/jail/l1":     "/secret",
		"/jail/a/l2":   "../../secret",
		"/jail/a/b/l3": "../../../../..",
		"/jail/l4":     "a/b/l3",
		"/jail/a/l5":   "/a",
		"/jail/l6":     "../other",
		"/jail/a/b/l7": "/../../../secret",
	}
	for p, target := range links {
		must(t, f.Symlink(target, p))
	}
	d, err := f.Sub("/jail")
	must(t, err)
	return f, d
}

// subtree returns the inode numbers reachable under path.
func subtree(t testing.TB, f *FS, path string) map[uint64]bool {
	st, err := f.Lstat(path)
	must(t, err)
	set := map[uint64]bool{st.Ino: true}
	es, err := f.Readdir(path)
	must(t, err)
	for _, e := range es {
		set[e.Ino] = true
		if e.Mode == 0o040000 {
			for k := range subtree(t, f, path+"/"+e.Name) {
				set[k] = true
			}
		}
	}
	return set
}

func TestDirConfinement(t *testing.T) {
	f, d := jailFS(t)
	inside := subtree(t, f, "/jail")
	for _, p := range []string{"/l1", "a/l2", "a/b/l3/secret", "l4/secret", "../secret", "../../../secret", "l6", "a/b/l7", "/../secret"} {
		st, err := d.Stat(p)
		if err == nil && !inside[st.Ino] {
			t.Errorf("%s escapes to inode %d", p, st.Ino)
		}
	}
	// ".." chains and link chains end at the jail's root.
	for _, p := range []string{"..", "../..", "a/b/l3", "l4", "a/b/../../.."} {
		st, err := d.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if root, _ := f.Stat("/jail"); st.Ino != root.Ino {
			t.Errorf("%s resolves to inode %d, not the jail's root", p, st.Ino)
		}
	}
	if b, err := d.ReadFile("a/l5/inside"); err != nil || string(b) != "inside" {
		t.Errorf("absolute link inside the jail: %q %v", b, err)
	}
	// Writes through escaping names land inside.
	must(t, d.WriteFile("l4/secret", []byte("x"), 0o644))
	if b, _ := f.ReadFile("/secret"); string(b) != "outside" {
		t.Fatal("a write through the jail reached /secret")
	}
	if _, err := f.Stat("/jail/secret"); err != nil {
		t.Fatalf("the write should have created /jail/secret: %v", err)
	}
	if err := d.Rmdir("/"); !errors.Is(err, unix.EBUSY) {
		t.Errorf("rmdir of the jail's root: %v", err)
	}
	if err := d.Rename("..", "x"); err == nil {
		t.Error("renaming the jail's root succeeded")
	}
	// A removed jail is stale, even if its inode number comes back.
	e, err := f.Sub("/other")
	must(t, err)
	must(t, f.Rmdir("/other"))
	must(t, f.Mkdir("/other2", 0o755))
	if _, err := e.Stat("/"); !errors.Is(err, unix.ESTALE) {
		t.Errorf("stat in a removed Dir: %v", err)
	}
}

// TestDirConfinementProperty: no path built from names, ".", ".." and the
// jail's escaping symlinks resolves outside the jail, for any operation.
func TestDirConfinementProperty(t *testing.T) {
	f, d := jailFS(t)
	parts := []string{"..", ".", "a", "b", "l1", "l2", "l3", "l4", "l5", "l6", "l7", "secret", "jail", "other", "inside"}
	inside := subtree(t, f, "/jail")
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 8).Draw(rt, "n")
		var ps []string
		for range n {
			ps = append(ps, rapid.SampledFrom(parts).Draw(rt, "part"))
		}
		p := strings.Join(ps, "/")
		if rapid.Bool().Draw(rt, "abs") {
			p = "/" + p
		}
		for _, stat := range []func(string) (Stat, error){d.Stat, d.Lstat} {
			if st, err := stat(p); err == nil && !inside[st.Ino] {
				rt.Fatalf("%s resolves to inode %d outside the jail", p, st.Ino)
			}
		}
		if es, err := d.Readdir(p); err == nil {
			for _, e := range es {
				if !inside[e.Ino] {
					rt.Fatalf("readdir %s lists %s (inode %d) outside the jail", p, e.Name, e.Ino)
				}
			}
		}
		if b, err := d.ReadFile(p); err == nil && string(b) == "outside" {
			rt.Fatalf("%s reads /secret", p)
		}
	})
	if b, _ := f.ReadFile("/secret"); string(b) != "outside" {
		t.Fatal("/secret changed")
	}
}
