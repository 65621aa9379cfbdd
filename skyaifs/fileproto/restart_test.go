package fileproto

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"golang.org/x/sys/unix"
)

// TestRestartedClient: a client opens a file and ends without detaching, so the kernel
// destroys its buffer's frames under the server. A new task with the same badge sends a
// request before attaching: it gets ENOTCONN and the server survives (before the
// check it faulted on the dead window). Attached, the new task finds the old handle
// closed and the file intact; another client is served throughout.
func TestRestartedClient(t *testing.T) {
	var errs []error
	var handle uint64
	var firstDone, secondDone, otherDone bool
	first := func(e *user.Env) {
		defer func() { firstDone = true }()
		c, err := attach(e, 2)
		if err != nil {
			errs = append(errs, err)
			return
		}
		f, err := c.Open("/kept", os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			_, err = f.WriteAt([]byte("before the restart"), 0)
		}
		if err != nil {
			errs = append(errs, err)
			return
		}
		handle = f.Handle()
	}
	second := func(e *user.Env) {
		defer func() { secondDone = true }()
		for !firstDone {
			e.Yield()
			e.Compute(10_000)
		}
		e.Compute(1_000_000) // the first task ends meanwhile
		for _, label := range []uint64{LabelStat, LabelPread, LabelReaddir, LabelStatfs} {
			if got := raw(e, label, 1, 1, 1); got != unix.ENOTCONN {
				errs = append(errs, fmt.Errorf("request %#x before attaching: %v", label, got))
			}
		}
		c, err := attach(e, 3)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if _, err := c.FileWithHandle(handle, "old").ReadAt(make([]byte, 4), 0); !errors.Is(err, unix.EBADF) {
			errs = append(errs, fmt.Errorf("the previous task's handle: %v", err))
		}
		f, err := c.Open("/kept", os.O_RDONLY, 0)
		if err != nil {
			errs = append(errs, err)
			return
		}
		b := make([]byte, 18)
		if _, err := f.ReadAt(b, 0); err != nil || string(b) != "before the restart" {
			errs = append(errs, fmt.Errorf("/kept reads %q, %v", b, err))
		}
	}
	other := func(e *user.Env) {
		defer func() { otherDone = true }()
		for !secondDone {
			e.Yield()
			e.Compute(10_000)
		}
		c, err := attach(e, 2)
		if err == nil {
			_, err = c.Stat("/kept")
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("another client after the restart: %w", err))
		}
	}
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error {
			if err := s.AddClient(0x101, f.Root()); err != nil {
				return err
			}
			return s.AddClient(0x102, f.Root())
		},
		clients: []clientSpec{{0x101, first}, {0x101, second}, {0x102, other}},
	}
	w.run(t)
	if !firstDone || !secondDone || !otherDone {
		t.Fatal("a client did not finish (the server died?)")
	}
	for _, err := range errs {
		t.Error(err)
	}
}
