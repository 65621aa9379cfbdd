package fileproto

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/view"
	"golang.org/x/sys/unix"
)

// TestRemoveView: the admin (init here, as the shell on the machine) registers a
// container's view; the container's task opens a file in it and locks it; a
// neighbour, a client of the whole filesystem, waits for the same file's lock. The
// neighbour cannot remove the view (EPERM), nor can the admin remove a client that
// is not a view or a badge that names nothing (ENOENT). When the admin removes the
// view (what ctr rm does), the neighbour is granted at once, and the view's badge
// names nothing any more: the container's next request is refused (EPERM), whatever
// it asks, and its handle is gone.
func TestRemoveView(t *testing.T) {
	const viewBadge, neighbour = 0x77, 0x55
	var (
		errs                                 []error
		registered, locked, asking, removed  bool
		removing                             bool
		granted, grantedBeforeRemove, refuse bool
		ctrSlot                              abi.CPtr
	)
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	spin := func(e *user.Env, cond *bool) {
		for !*cond {
			e.Yield()
			e.Compute(10_000)
		}
	}
	containerTask := func(e *user.Env) {
		spin(e, &registered)
		c, err := attach(e, 2)
		if err != nil {
			errf("container attach: %v", err)
			return
		}
		f, err := c.Open("/f", os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			errf("open in the view: %v", err)
			return
		}
		if err := f.Lock(true, true); err != nil {
			errf("container lock: %v", err)
			return
		}
		locked = true
		spin(e, &removed)
		if got := raw(e, LabelStatfs, 0, 0, 0); got != unix.EPERM {
			errf("a request after the view was removed: %v, want EPERM", got)
		}
		if err := f.Unlock(); !errors.Is(err, unix.EPERM) {
			errf("unlock after the view was removed: %v, want EPERM", err)
		}
		refuse = true
	}
	neighbourTask := func(e *user.Env) {
		c, err := attach(e, 2)
		if err != nil {
			errf("neighbour attach: %v", err)
			return
		}
		if err := c.RemoveView(viewBadge); !errors.Is(err, unix.EPERM) {
			errf("a client that is not the admin removing a view: %v, want EPERM", err)
		}
		spin(e, &locked)
		f, err := c.Open("/box/f", os.O_RDWR, 0)
		if err != nil {
			errf("neighbour open: %v", err)
			return
		}
		asking = true
		if err := f.Lock(true, true); err != nil {
			errf("neighbour lock: %v", err)
			return
		}
		grantedBeforeRemove = !removing
		granted = true
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
			if err := f.Mkdir("/box", 0o777); err != nil {
				return err
			}
			if err := s.AddClient(neighbour, f.Root()); err != nil {
				return err
			}
			return s.AddClient(adminBadge, f.Root())
		},
		clients: []clientSpec{{viewBadge, containerTask}, {neighbour, neighbourTask}}}
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
		if err := c.AddView(ctrSlot, viewBadge, []view.Spec{{Source: "/box", Target: "/"}}); err != nil {
			errf("add view: %v", err)
			return
		}
		registered = true
		spin(e, &asking)
		for range 20 { // let the neighbour's lock request reach the server and wait
			e.Yield()
			e.Compute(10_000)
		}
		for _, bad := range []struct {
			what  string
			badge abi.Badge
		}{{"the admin's own badge", adminBadge}, {"a client skyaifsd was started with", neighbour}, {"a badge naming nothing", 0x1234}} {
			if err := c.RemoveView(bad.badge); !errors.Is(err, unix.ENOENT) {
				errf("removing %s: %v, want ENOENT", bad.what, err)
			}
		}
		removing = true
		if err := c.RemoveView(viewBadge); err != nil {
			errf("remove view: %v", err)
		}
		removed = true
		if err := c.RemoveView(viewBadge); !errors.Is(err, unix.ENOENT) {
			errf("removing the view again: %v, want ENOENT", err)
		}
		// The badge could be registered again (the shell revokes its old
		// capabilities first): the server holds nothing of the old view.
		spin(e, &refuse)
		if err := c.AddView(ctrSlot, viewBadge, []view.Spec{{Source: "/box", Target: "/"}}); err != nil {
			errf("registering the badge again: %v", err)
		}
	}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if !granted || grantedBeforeRemove || !refuse {
		t.Errorf("neighbour granted %v (before the removal: %v); container refused after the removal %v", granted, grantedBeforeRemove, refuse)
	}
}

// TestEndedKeepsALiveSession: the supervisor reports the end of a task holding a
// badge whose session belongs to a live task (another task of the container attached
// with the same badge since): the server keeps the session (EBUSY) and the live
// task's handle and lock work on. Once that task is killed, the report ends its
// session and the waiting neighbour is granted, with no other request from anyone.
func TestEndedKeepsALiveSession(t *testing.T) {
	var (
		errs                                []error
		locked, reported, checked, asking   bool
		granted, grantedEarly, neighbourErr bool
	)
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	spin := func(e *user.Env, cond *bool) {
		for !*cond {
			e.Yield()
			e.Compute(10_000)
		}
	}
	holder := func(e *user.Env) {
		c, err := attach(e, 2)
		if err != nil {
			errf("holder attach: %v", err)
			return
		}
		f, err := c.Open("/f", os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			errf("holder open: %v", err)
			return
		}
		if err := f.Lock(true, true); err != nil {
			errf("holder lock: %v", err)
			return
		}
		locked = true
		spin(e, &reported)
		if _, err := f.Stat(); err != nil {
			errf("the live session after a report of an end: %v", err)
		}
		checked = true
		for {
			e.Yield()
			e.Compute(10_000)
		}
	}
	waiter := func(e *user.Env) {
		c, err := attach(e, 2)
		if err != nil {
			errf("waiter attach: %v", err)
			return
		}
		spin(e, &checked)
		f, err := c.Open("/f", os.O_RDWR, 0)
		if err != nil {
			errf("waiter open: %v", err)
			return
		}
		asking = true
		if err := f.Lock(false, true); err != nil {
			neighbourErr = true
			errf("waiter lock: %v", err)
			return
		}
		granted = true
	}
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error {
			if err := s.AddClient(1, f.Root()); err != nil {
				return err
			}
			return s.AddClient(2, f.Root())
		},
		clients: []clientSpec{{1, holder}, {2, waiter}}}
	w.supervise = func(e *user.Env, fsd uint64) {
		spin(e, &locked)
		if err := NotifyEnded(e, w.super, 1); !errors.Is(err, unix.EBUSY) {
			errf("reporting an end while the badge's session is live: %v, want EBUSY", err)
		}
		reported = true
		spin(e, &asking)
		for range 20 {
			e.Yield()
			e.Compute(10_000)
		}
		grantedEarly = granted
		if err := e.Kill(abi.InitSlotSystem, w.clientIDs[0]); err != nil {
			errf("kill: %v", err)
		}
		if _, err := e.Wait(w.ended); err != nil {
			errf("wait: %v", err)
		}
		if err := NotifyEnded(e, w.super, 1); err != nil {
			errf("reporting the holder's end: %v", err)
		}
	}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if !granted || grantedEarly || neighbourErr {
		t.Errorf("waiter granted %v (before the holder was killed: %v)", granted, grantedEarly)
	}
}

// TestDecodeRemoveView: LabelRemoveView needs a badge and an attached buffer, and
// carries no capability.
func TestDecodeRemoveView(t *testing.T) {
	for _, c := range []struct {
		mr   [3]uint64
		caps int
		buf  uint64
		want unix.Errno
	}{
		{[3]uint64{0x77}, 0, 8192, 0},
		{[3]uint64{0}, 0, 8192, unix.EINVAL},
		{[3]uint64{0x77}, 1, 8192, unix.EINVAL},
		{[3]uint64{0x77}, 0, 0, unix.ENOTCONN},
	} {
		r, errno := decode(LabelRemoveView, c.mr, c.caps, c.buf)
		if errno != c.want || (errno == 0 && r.arg != c.mr[0]) {
			t.Errorf("decode(%v, caps %d, buffer %d) = %v, arg %#x; want %v", c.mr, c.caps, c.buf, errno, r.arg, c.want)
		}
	}
}

// TestEndRelay: the starter's relay (EndRelay, what the shell runs on the machine)
// carries a killed lock holder's end to the server: the waiting client is granted
// with no request from anyone but the relay's report, and the notification the
// starter watches the holder with is signalled after the report.
func TestEndRelay(t *testing.T) {
	var (
		errs                            []error
		locked, asking, granted, early  bool
		reported                        []abi.Badge
		forwarded                       error
		grantedAtReport, watchingBefore int
	)
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	spin := func(e *user.Env, cond *bool) {
		for !*cond {
			e.Yield()
			e.Compute(10_000)
		}
	}
	holder := func(e *user.Env) {
		c, err := attach(e, 2)
		if err != nil {
			errf("holder attach: %v", err)
			return
		}
		f, err := c.Open("/f", os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			err = f.Lock(true, true)
		}
		if err != nil {
			errf("holder: %v", err)
			return
		}
		locked = true
		for {
			e.Yield()
			e.Compute(10_000)
		}
	}
	waiter := func(e *user.Env) {
		c, err := attach(e, 2)
		if err != nil {
			errf("waiter attach: %v", err)
			return
		}
		spin(e, &locked)
		f, err := c.Open("/f", os.O_RDWR, 0)
		if err != nil {
			errf("waiter open: %v", err)
			return
		}
		asking = true
		if err := f.Lock(true, true); err != nil {
			errf("waiter lock: %v", err)
			return
		}
		granted = true
	}
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error {
			if err := s.AddClient(1, f.Root()); err != nil {
				return err
			}
			return s.AddClient(2, f.Root())
		},
		clients: []clientSpec{{1, holder}, {2, waiter}}}
	w.supervise = func(e *user.Env, fsd uint64) {
		const cs = abi.InitSlotCSpace
		forward := abi.CPtr(3500)
		if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, cs, forward, 1); err != nil {
			errf("forward notification: %v", err)
			return
		}
		// The harness started client i with w.ended minted 1<<i: the relay's bits.
		r := NewEndRelay(w.ended, w.super)
		for i, b := range []abi.Badge{1, 2} {
			fw := abi.CPtr(0)
			if i == 0 {
				fw = forward
			}
			if bit, err := r.Watch(b, fw); err != nil || bit != i {
				errf("watch %d: bit %d, %v", b, bit, err)
			}
		}
		watchingBefore = r.Watching()
		spin(e, &asking)
		for range 20 {
			e.Yield()
			e.Compute(10_000)
		}
		early = granted
		if err := e.Kill(abi.InitSlotSystem, w.clientIDs[0]); err != nil {
			errf("kill: %v", err)
		}
		var err error
		if reported, err = r.Once(e); err != nil {
			errf("relay: %v", err)
		}
		for range 20 {
			e.Yield()
			e.Compute(10_000)
		}
		if granted {
			grantedAtReport = 1
		}
		// An unbadged notification's signal sets no bit: Poll's success is the signal.
		_, forwarded = e.Poll(forward)
		if r.Watching() != 1 {
			errf("after the holder's end the relay watches %d tasks, want 1 (the waiter)", r.Watching())
		}
	}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if watchingBefore != 2 || early || !granted || grantedAtReport != 1 || len(reported) != 1 || reported[0] != 1 || forwarded != nil {
		t.Errorf("watching %d; granted before the kill %v, after the relay's report %v (%d); reported %v; forward notification polled: %v",
			watchingBefore, early, granted, grantedAtReport, reported, forwarded)
	}
}
