package fileproto

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/view"
	"golang.org/x/sys/unix"
)

// TestChownAndChdirOverIPC: LabelChown with Linux's rules for an unprivileged
// session (machine uid 1000) and for machine root, with and without following a
// link; LabelChdir lets a client name files under a directory whose absolute path is
// longer than PathMax, step by step, and a new Attach forgets it; a view answers
// LabelChdir ENOSYS and chowns with its credentials.
func TestChownAndChdirOverIPC(t *testing.T) {
	mem := formatted(t)
	var errs []string
	errf := func(format string, args ...any) { errs = append(errs, fmt.Sprintf(format, args...)) }
	want := func(what string, err error, e unix.Errno) {
		if e == 0 && err != nil || e != 0 && !errors.Is(err, e) {
			errf("%s: %v, want %v", what, err, e)
		}
	}
	comp := strings.Repeat("d", 250)
	deep := "/w"
	for range 20 { // 5,000 bytes
		deep += "/" + comp
	}
	w := &world{dev: mem,
		setup: func(f *skyfs.FS, s *Server) error {
			for _, d := range []string{"/u", "/w", "/v"} {
				if err := f.Mkdir(d, 0o777); err != nil {
					return err
				}
			}
			if err := f.WriteFile("/u/mine", nil, 0o6755); err != nil {
				return err
			}
			if err := f.Chown("/u/mine", 1000, 1000); err != nil {
				return err
			}
			for _, p := range []string{"/u/roots", "/u/given"} {
				if err := f.WriteFile(p, nil, 0o644); err != nil {
					return err
				}
			}
			if err := f.Symlink("mine", "/u/link"); err != nil {
				return err
			}
			if err := f.Lchown("/u/link", 1000, 1000); err != nil {
				return err
			}
			if err := f.WriteFile("/v/theirs", nil, 0o644); err != nil {
				return err
			}
			sub, err := f.Sub("/v")
			if err != nil {
				return err
			}
			v, err := view.New(view.Mount{Path: "/", Dir: sub.As(skyfs.Cred{UID: 1000, GID: 1000}), Rights: view.Read | view.Write})
			if err != nil {
				return err
			}
			if err := s.AddClient(0x101, f.Root().As(skyfs.Cred{UID: 1000, GID: 50})); err != nil {
				return err
			}
			if err := s.AddClient(0x102, f.Root()); err != nil {
				return err
			}
			return s.AddClient(0x103, v)
		},
	}
	owner := func(c *Client, p string, uid, gid uint32, mode uint32) {
		st, err := c.Lstat(p)
		if err != nil || st.UID != uid || st.GID != gid || mode != 0 && st.Mode&0o7777 != mode {
			errf("%s: %d:%d %o %v, want %d:%d %o", p, st.UID, st.GID, st.Mode&0o7777, err, uid, gid, mode)
		}
	}
	w.clients = []clientSpec{
		{badge: 0x101, run: func(e *user.Env) { // machine uid 1000, group 50
			c, err := attach(e, MinBufferPages)
			if err != nil {
				errf("attach: %v", err)
				return
			}
			want("chgrp to its group", c.Chown("/u/mine", IDUnchanged, 50), 0)
			owner(c, "/u/mine", 1000, 50, 0o755) // set-id bits gone
			want("give away", c.Chown("/u/mine", 0, IDUnchanged), unix.EPERM)
			want("a group it is not in", c.Chown("/u/mine", IDUnchanged, 7), unix.EPERM)
			want("root's file", c.Chown("/u/roots", IDUnchanged, 50), unix.EPERM)
			owner(c, "/u/roots", 0, 0, 0o644)
			want("lchown", c.Lchown("/u/link", IDUnchanged, 50), 0)
			owner(c, "/u/link", 1000, 50, 0)
			want("chown of a missing file", c.Chown("/u/none", IDUnchanged, 50), unix.ENOENT)
		}},
		{badge: 0x102, run: func(e *user.Env) { // machine root
			c, err := attach(e, MinBufferPages)
			if err != nil {
				errf("attach: %v", err)
				return
			}
			want("root gives away", c.Chown("/u/given", 7, 8), 0)
			owner(c, "/u/given", 7, 8, 0)
			// A 5,000-byte directory: too long for one request, made and used from
			// working directories set step by step.
			want("long path in one request", c.Mkdir(deep, 0o755), unix.ENAMETOOLONG)
			want("chdir /w", c.Chdir("/w"), 0)
			for i := range 20 {
				want(fmt.Sprintf("mkdir level %d", i), c.Mkdir(comp, 0o755), 0)
				want(fmt.Sprintf("chdir level %d", i), c.Chdir(comp), 0)
			}
			f, err := c.Open("file", os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				errf("create in the deep directory: %v", err)
			} else {
				f.WriteAt([]byte("deep"), 0)
				f.Close()
			}
			if es, err := c.ReadDir("."); err != nil || len(es) != 1 || es[0].Name != "file" {
				errf("list the deep directory: %v %v", es, err)
			}
			want("chdir ..", c.Chdir(".."), 0)
			if st, err := c.Stat(comp + "/file"); err != nil || st.Size != 4 {
				errf("stat from the parent: %v %d", err, st.Size)
			}
			if _, err := c.Stat("/u/roots"); err != nil {
				errf("absolute path with a working directory: %v", err)
			}
			want("chdir to a file", c.Chdir("/u/roots"), unix.ENOTDIR)
			// A fence at /u: an absolute link and ".." from /u are the client's.
			want("symlink", c.Symlink("/u/roots", "/u/abs"), 0)
			want("fence", c.Fence("/u"), 0)
			_, err = c.Stat("/u/abs")
			want("stat through an absolute link", err, unix.EREMOTE)
			_, err = c.Stat("/u/../w")
			want("stat through .. from the fence", err, unix.EREMOTE)
			_, err = c.Lstat("/u/abs")
			want("lstat of the link", err, 0)
			_, err = c.Stat(comp + "/file")
			want("the working directory stays", err, 0)
			// A new session starts at the root again.
			want("sync", c.Sync(), 0)
			slots := &user.Slots{Next: 200, Limit: 256}
			r, err := region(e, slots, abi.FrameWindow+64*abi.PageSize, MinBufferPages)
			var c2 *Client
			if err == nil {
				c2, err = Attach(e, slotGrant0, r, abi.InitSlotCSpace, slotScratch)
			}
			if err != nil {
				errf("attach again: %v", err)
				return
			}
			if _, err := c2.Stat(comp + "/file"); !errors.Is(err, unix.ENOENT) {
				errf("relative path after a new attach: %v, want ENOENT", err)
			}
			if _, err := c2.Stat("w/" + comp); err != nil {
				errf("relative path from the root: %v", err)
			}
		}},
		{badge: 0x103, run: func(e *user.Env) { // a view as machine uid 1000
			c, err := attach(e, MinBufferPages)
			if err != nil {
				errf("attach: %v", err)
				return
			}
			want("chdir in a view", c.Chdir("/"), unix.ENOSYS)
			want("chown of another's file in a view", c.Chown("/theirs", IDUnchanged, 1000), unix.EPERM)
			f, err := c.Open("/made", os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				errf("create in the view: %v", err)
				return
			}
			f.Close()
			want("chown of its file in a view", c.Chown("/made", 1000, 1000), 0)
			want("give away in a view", c.Chown("/made", 0, IDUnchanged), unix.EPERM)
		}},
	}
	w.run(t)
	for _, e := range errs {
		t.Error(e)
	}
	f := mountImage(t, mem.Image())
	if _, err := f.Stat(deep); !errors.Is(err, unix.ENAMETOOLONG) {
		t.Errorf("the whole deep path from the host: %v (want ENAMETOOLONG: a path is at most 4,096 bytes)", err)
	}
	d, err := f.Root().At("w")
	for i := 0; i < 19 && err == nil; i++ {
		d, err = d.At(comp)
	}
	if err != nil {
		t.Fatalf("down to the deep directory's parent: %v", errors.Unwrap(err))
	}
	if b, err := d.ReadFile(comp + "/file"); err != nil || string(b) != "deep" {
		t.Errorf("deep file on the disk: %q %v", b, err)
	}
}
