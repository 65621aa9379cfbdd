package fileproto

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
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

// TestReclaimDeadClients: as many clients as the server has slots attach and end
// without detaching, one leaving an unlinked file open. The next client's Attach
// finds no free slot, so the server detaches the dead ones (closing their files) and
// serves it; the unlinked file's blocks are free again.
func TestReclaimDeadClients(t *testing.T) {
	var errs []error
	ended := 0
	var free [2]uint64
	dead := func(i int) func(e *user.Env) {
		return func(e *user.Env) {
			defer func() { ended++ }()
			c, err := attach(e, 2)
			if err != nil {
				errs = append(errs, fmt.Errorf("client %d: %w", i, err))
				return
			}
			if i == 0 {
				f, err := c.Open("/big", os.O_RDWR|os.O_CREATE, 0o644)
				if err == nil {
					_, err = f.WriteAt(make([]byte, 1<<20), 0)
				}
				if err == nil {
					err = c.Remove("/big")
				}
				if err == nil {
					err = c.Sync()
				}
				if err != nil {
					errs = append(errs, err)
				}
				st, _ := c.Statfs()
				free[0] = st.FreeBlocks
			}
		}
	}
	late := func(e *user.Env) {
		for ended < maxClients {
			e.Yield()
			e.Compute(10_000)
		}
		e.Compute(1_000_000) // the tasks end meanwhile
		c, err := attach(e, 2)
		if err != nil {
			errs = append(errs, fmt.Errorf("the client after %d dead ones: %w", maxClients, err))
			return
		}
		if err := c.Sync(); err != nil {
			errs = append(errs, err)
		}
		st, _ := c.Statfs()
		free[1] = st.FreeBlocks
	}
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error {
			for b := abi.Badge(0x101); b <= 0x101+maxClients; b++ {
				if err := s.AddClient(b, f.Root()); err != nil {
					return err
				}
			}
			return nil
		},
	}
	for i := range maxClients {
		w.clients = append(w.clients, clientSpec{abi.Badge(0x101 + i), dead(i)})
	}
	w.clients = append(w.clients, clientSpec{0x101 + maxClients, late})
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if free[1] < free[0]+256 {
		t.Errorf("free blocks %d while the unlinked file was open, %d after its client was reclaimed", free[0], free[1])
	}
}

// TestRevokedBuffer: a client revokes its buffer's frames behind the server's back.
// The server's capabilities go, but its mapping stays (the frames still live); the
// next request gets ENOTCONN, and a new buffer is mapped in a fresh window, so
// attaching again works: after such a request, straight away, and after a Detach.
func TestRevokedBuffer(t *testing.T) {
	var errs []error
	finished := false
	client := func(e *user.Env) {
		defer func() { finished = true }()
		slots := &user.Slots{Next: slotFree, Limit: 256}
		for round := range 4 {
			r, err := region(e, slots, abi.FrameWindow+uint64(round)*0x100000, 2)
			if err != nil {
				errs = append(errs, err)
				return
			}
			c, err := Attach(e, slotGrant0, r, abi.InitSlotCSpace, slotScratch)
			if err != nil {
				errs = append(errs, fmt.Errorf("round %d: attach: %w", round, err))
				return
			}
			if _, err := c.Stat("/"); err != nil {
				errs = append(errs, fmt.Errorf("round %d: stat: %w", round, err))
			}
			for i := range abi.CPtr(2) {
				e.Revoke(abi.InitSlotCSpace, r.Frames+i)
			}
			switch round {
			case 1:
				continue // straight to the next Attach, without a request that finds out
			case 2:
				if err := c.Close(); err != nil { // Detach, without a request that finds out
					errs = append(errs, fmt.Errorf("round %d: detach: %w", round, err))
				}
				continue
			}
			if _, err := c.Stat("/"); !errors.Is(err, unix.ENOTCONN) {
				errs = append(errs, fmt.Errorf("round %d: stat after revoking: %v", round, err))
			}
		}
	}
	w := &world{dev: formatted(t),
		setup:   func(f *skyfs.FS, s *Server) error { return s.AddClient(0x101, f.Root()) },
		clients: []clientSpec{{0x101, client}},
	}
	w.run(t)
	if !finished {
		t.Fatal("the client did not finish")
	}
	for _, err := range errs {
		t.Error(err)
	}
}
