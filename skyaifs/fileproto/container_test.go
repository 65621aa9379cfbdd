package fileproto

import (
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/view"
	"golang.org/x/sys/unix"
)

// TestContainerView: a container's client sees the view its descriptor's mounts make,
// acting as the machine ids the kernel maps the container's root to (asked with
// ContainerMapID on a real container whose root is machine uid 100000). Through the
// protocol: files it creates are owned by 100000; it cannot read the machine root's
// 0600 file even where a mount shows it; nothing outside its mounts can be named,
// through "..", relative or absolute symbolic links; a read-only mount refuses
// writes; and the machine's root client, on the whole tree, sees the container's
// files with their owner and reads them.
func TestContainerView(t *testing.T) {
	var (
		errs  []error
		cred  skyfs.Cred
		done  [2]bool
		errf  = func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
		ctrOK bool
	)
	expectErr := func(what string, err error, want unix.Errno) {
		if !errors.Is(err, want) {
			errf("%s: %v, want %v", what, err, want)
		}
	}
	container := func(e *user.Env) {
		defer func() { done[0] = true }()
		c, err := attach(e, 4)
		if err != nil {
			errf("container attach: %v", err)
			return
		}
		// Creation: owned by the mapped id.
		f, err := c.Open("/made-inside", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			errf("create: %v", err)
			return
		}
		if _, err := f.WriteAt([]byte("container data"), 0); err != nil {
			errf("write: %v", err)
		}
		f.Close()
		if st, err := c.Stat("/made-inside"); err != nil || st.UID != 100000 || st.GID != 100000 {
			errf("owner of a container's file: %d:%d %v", st.UID, st.GID, err)
		}
		if err := c.Mkdir("/dir", 0o755); err != nil {
			errf("mkdir: %v", err)
		}
		// The machine root's private file, visible through the read-only /machine
		// mount, is refused by its permissions; the public one reads.
		_, err = c.Open("/machine/secret", os.O_RDONLY, 0)
		expectErr("read machine root's 0600 file", err, unix.EACCES)
		if g, err := c.Open("/machine/shared/readme", os.O_RDONLY, 0); err != nil {
			errf("read a 0644 file: %v", err)
		} else {
			b := make([]byte, 64)
			n, err := g.ReadAt(b, 0)
			if err != io.EOF || string(b[:n]) != "hello" {
				errf("readme: %q %v", b[:n], err)
			}
			g.Close()
		}
		_, err = c.Open("/machine/shared/new", os.O_RDWR|os.O_CREATE, 0o644)
		expectErr("create in a read-only mount", err, unix.EROFS)
		// Escapes: the view's root is /ctr/c1; /secret exists only above it.
		for _, p := range []string{"/../../secret", "../secret", "/dir/../../../secret", "/esc", "/abs", "/dir/../esc", "/loop/secret"} {
			_, err := c.Open(p, os.O_RDONLY, 0)
			expectErr("open "+p, err, unix.ENOENT)
			_, err = c.Stat(p)
			expectErr("stat "+p, err, unix.ENOENT)
		}
		// ".." above the view's root stays there: the rename lands inside.
		if err := c.Rename("/made-inside", "/../../moved"); err != nil {
			errf("rename through ..: %v", err)
		}
		if err := c.Rename("/moved", "/made-inside"); err != nil {
			errf("rename back: %v", err)
		}
		expectErr("symlink then write through it", func() error {
			if err := c.Symlink("../../../secret", "/l"); err != nil {
				return err
			}
			_, err := c.Open("/l", os.O_WRONLY|os.O_TRUNC, 0)
			return err
		}(), unix.ENOENT)
		if es, err := c.ReadDir("/"); err != nil {
			errf("readdir /: %v", err)
		} else {
			var names []string
			for _, e := range es {
				names = append(names, e.Name)
			}
			if fmt.Sprint(names) != "[abs dir esc l loop machine made-inside]" {
				errf("the view's root lists %v", names)
			}
		}
	}
	machineRoot := func(e *user.Env) {
		defer func() { done[1] = true }()
		for !done[0] {
			e.Yield()
			e.Compute(10_000)
		}
		c, err := attach(e, 2)
		if err != nil {
			errf("root attach: %v", err)
			return
		}
		st, err := c.Stat("/ctr/c1/made-inside")
		if err != nil || st.UID != 100000 || st.Mode&0o777 != 0o600 {
			errf("root sees the container's file: uid %d mode %o %v", st.UID, st.Mode, err)
		}
		f, err := c.Open("/ctr/c1/made-inside", os.O_RDONLY, 0)
		if err != nil {
			errf("root opens the container's 0600 file: %v", err)
			return
		}
		b := make([]byte, 64)
		if n, _ := f.ReadAt(b, 0); string(b[:n]) != "container data" {
			errf("root reads %q", b[:n])
		}
		f.Close()
		if b, err := c.Open("/secret", os.O_RDONLY, 0); err != nil {
			errf("root reads its secret: %v", err)
		} else {
			b.Close()
		}
		if _, err := c.Lstat("/moved"); !errors.Is(err, unix.ENOENT) {
			errf("/moved exists above the view: %v", err)
		}
	}
	w := &world{dev: formatted(t),
		prepare: func(e *user.Env, slots *user.Slots) error {
			// The creator makes the container and maps its root to machine 100000;
			// the service's credential comes from the kernel's answer.
			ctr, _ := slots.Take()
			if _, err := e.CreateContainer(abi.InitSlotSystem, "c1", abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 2}, ctr); err != nil {
				return err
			}
			for _, k := range []abi.IDKind{abi.IDUser, abi.IDGroup} {
				if err := e.SetContainerIDMap(ctr, k, []abi.IDMap{{Inside: 0, Outside: 100000, Count: 65536}}); err != nil {
					return err
				}
			}
			var err error
			cred, err = ContainerCred(e, ctr)
			ctrOK = err == nil
			return err
		},
		setup: func(f *skyfs.FS, s *Server) error {
			for _, d := range []string{"/ctr", "/ctr/c1", "/shared"} {
				if err := f.Mkdir(d, 0o755); err != nil {
					return err
				}
			}
			if err := f.Chown("/ctr/c1", cred.UID, cred.GID); err != nil {
				return err
			}
			if err := f.WriteFile("/secret", []byte("machine root only"), 0o600); err != nil {
				return err
			}
			if err := f.WriteFile("/shared/readme", []byte("hello"), 0o644); err != nil {
				return err
			}
			for p, target := range map[string]string{"/ctr/c1/esc": "../../secret", "/ctr/c1/abs": "/secret", "/ctr/c1/loop": "/.."} {
				if err := f.Symlink(target, p); err != nil {
					return err
				}
			}
			v, err := view.Build(f.Root(), cred, []view.Spec{{Source: "/ctr/c1", Target: "/"}, {Source: "/", Target: "/machine", ReadOnly: true}})
			if err != nil {
				return err
			}
			if err := s.AddClient(2, v); err != nil {
				return err
			}
			return s.AddClient(1, f.Root().As(skyfs.Cred{}))
		},
		clients: []clientSpec{{2, container}, {1, machineRoot}}}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if !ctrOK || cred.UID != 100000 || cred.GID != 100000 {
		t.Errorf("the kernel mapped the container's root to %+v", cred)
	}
	if !done[0] || !done[1] {
		t.Errorf("clients did not finish: %v", done)
	}
}

// TestAddViewFromCreator: the task that makes a container (here init, holding the
// server's admin badge) registers the container's view with the running server:
// the Container capability and the descriptor's mounts go with LabelAddView, the
// server asks the kernel for the container's ids. Before that the container's badge
// is refused (EPERM); afterwards its client sees only the view, acting as machine uid
// 100000. A client without the admin badge cannot register views, a taken badge or
// malformed mounts are refused, and a source outside the admin's namespace is ENOENT.
func TestAddViewFromCreator(t *testing.T) {
	var (
		errs       []error
		registered bool
		done       bool
		ctrSlot    abi.CPtr
	)
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	containerTask := func(e *user.Env) {
		defer func() { done = true }()
		if got := raw(e, LabelStatfs, 0, 0, 0); got != unix.EPERM {
			errf("a request before the view was registered: %v", got)
		}
		for !registered {
			e.Yield()
			e.Compute(10_000)
		}
		c, err := attach(e, 2)
		if err != nil {
			errf("attach: %v", err)
			return
		}
		if err := c.AddView(slotGrant0, 0x99, []view.Spec{{Source: "/", Target: "/"}}); !errors.Is(err, unix.EPERM) {
			errf("a container registering a view: %v", err)
		}
		if err := c.Mkdir("/made", 0o755); err != nil {
			errf("mkdir in the view: %v", err)
		}
		if st, err := c.Stat("/made"); err != nil || st.UID != 100000 {
			errf("owner: %d %v", st.UID, err)
		}
		if _, err := c.Open("/../secret", os.O_RDONLY, 0); !errors.Is(err, unix.ENOENT) {
			errf("escape: %v", err)
		}
		if _, err := c.Open("/ro/secret", os.O_RDONLY, 0); !errors.Is(err, unix.EACCES) {
			errf("the machine root's 0600 file: %v", err)
		}
	}
	w := &world{dev: formatted(t),
		prepare: func(e *user.Env, slots *user.Slots) error {
			ctrSlot, _ = slots.Take()
			if _, err := e.CreateContainer(abi.InitSlotSystem, "c", abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 2}, ctrSlot); err != nil {
				return err
			}
			for _, k := range []abi.IDKind{abi.IDUser, abi.IDGroup} {
				if err := e.SetContainerIDMap(ctrSlot, k, []abi.IDMap{{Inside: 0, Outside: 100000, Count: 65536}}); err != nil {
					return err
				}
			}
			return nil
		},
		setup: func(f *skyfs.FS, s *Server) error {
			if err := f.Mkdir("/box", 0o755); err != nil {
				return err
			}
			if err := f.Chown("/box", 100000, 100000); err != nil {
				return err
			}
			if err := f.WriteFile("/secret", []byte("root only"), 0o600); err != nil {
				return err
			}
			return s.AddClient(adminBadge, f.Root())
		},
		clients: []clientSpec{{0x77, containerTask}}}
	w.supervise = func(e *user.Env, fsd uint64) {
		const cs = abi.InitSlotCSpace
		slots := &user.Slots{Next: 3000, Limit: 4096}
		admin, _ := slots.Take()
		scratch, _ := slots.Take()
		e.Mint(cs, admin, cs, w.fileEP, abi.RightWrite|abi.RightGrant, adminBadge)
		r, err := region(e, slots, abi.FrameWindow+0x800_0000, 2)
		if err != nil {
			errf("admin region: %v", err)
			return
		}
		c, err := Attach(e, admin, r, cs, scratch)
		if err != nil {
			errf("admin attach: %v", err)
			return
		}
		mounts := []view.Spec{{Source: "/box", Target: "/"}, {Source: "/", Target: "/ro", ReadOnly: true}}
		for _, bad := range []struct {
			what   string
			badge  abi.Badge
			mounts []view.Spec
			want   unix.Errno
		}{
			{"a taken badge", adminBadge, mounts, unix.EEXIST},
			{"a relative source", 0x77, []view.Spec{{Source: "box", Target: "/"}}, unix.EINVAL},
			{"two mounts at one target", 0x77, []view.Spec{{Source: "/box", Target: "/"}, {Source: "/", Target: "/"}}, unix.EINVAL},
			{"a source that does not exist", 0x77, []view.Spec{{Source: "/nowhere", Target: "/"}}, unix.ENOENT},
		} {
			if err := c.AddView(ctrSlot, bad.badge, bad.mounts); !errors.Is(err, bad.want) {
				errf("%s: %v, want %v", bad.what, err, bad.want)
			}
		}
		if err := c.AddView(admin, 0x77, mounts); !errors.Is(err, unix.EINVAL) {
			errf("not a container capability: %v", err)
		}
		if err := c.AddView(ctrSlot, 0x77, mounts); err != nil {
			errf("add view: %v", err)
		}
		registered = true
	}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if !done || !registered {
		t.Errorf("the container's task finished %v, view registered %v", done, registered)
	}
}
