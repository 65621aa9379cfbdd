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

// TestLocksContendAndHolderKilled: three client tasks contend for locks through the
// protocol. A holds /f exclusively; B's try-lock gets EAGAIN and its waiting lock
// blocks B while the server goes on serving C (stats, a lock on /g, an out-of-order
// request refused with EDEADLK); C waits too. init kills A and, told by the kernel's
// end notification, tells the server (LabelEnded): B and C are granted /f shared
// together. Then B takes /f exclusively and is killed without anyone telling the
// server: C's lock request finds B's buffer dead and is granted.
func TestLocksContendAndHolderKilled(t *testing.T) {
	var (
		errs                                []error
		aHolds, bAsking, cAsking, cServed   bool
		bGot, cGot, cClosed, bExcl, bKilled bool
		cGot2                               bool
		grantedEarly                        bool
		aKilled                             bool
	)
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	expect := func(what string, err error, want unix.Errno) {
		if !errors.Is(err, want) {
			errf("%s: %v, want %v", what, err, want)
		}
	}
	spin := func(e *user.Env, cond *bool) {
		for !*cond {
			e.Yield()
			e.Compute(10_000)
		}
	}
	open := func(c *Client, p string) *File {
		f, err := c.Open(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			errf("open %s: %v", p, err)
			return nil
		}
		return f
	}
	clientA := func(e *user.Env) {
		c, err := attach(e, 2)
		if err != nil {
			errf("A attach: %v", err)
			return
		}
		f, g := open(c, "/f"), open(c, "/g")
		if f == nil || g == nil {
			return
		}
		expect("unlock without a lock", f.Unlock(), unix.ENOLCK)
		if err := f.Lock(true, true); err != nil {
			errf("A lock: %v", err)
			return
		}
		again := open(c, "/f")
		expect("lock the same file twice", again.Lock(false, false), unix.EDEADLK)
		aHolds = true
		for {
			e.Yield()
			e.Compute(10_000)
		}
	}
	clientB := func(e *user.Env) {
		c, err := attach(e, 2)
		if err != nil {
			errf("B attach: %v", err)
			return
		}
		spin(e, &aHolds)
		f := open(c, "/f")
		if f == nil {
			return
		}
		expect("try-lock held exclusively", f.Lock(false, false), unix.EAGAIN)
		bAsking = true
		if err := f.Lock(false, true); err != nil {
			errf("B waiting lock: %v", err)
			return
		}
		if !aKilled {
			grantedEarly = true
		}
		bGot = true
		spin(e, &cClosed)
		if err := f.Unlock(); err != nil {
			errf("B unlock: %v", err)
		}
		if err := f.Lock(true, true); err != nil {
			errf("B exclusive: %v", err)
			return
		}
		bExcl = true
		for {
			e.Yield()
			e.Compute(10_000)
		}
	}
	clientC := func(e *user.Env) {
		c, err := attach(e, 2)
		if err != nil {
			errf("C attach: %v", err)
			return
		}
		spin(e, &bAsking)
		f, g := open(c, "/f"), open(c, "/g")
		if f == nil || g == nil {
			return
		}
		// Served while B waits.
		for range 10 {
			if _, err := c.Stat("/f"); err != nil {
				errf("C stat while B waits: %v", err)
			}
		}
		if err := g.Lock(true, false); err != nil {
			errf("C locks /g: %v", err)
		}
		expect("lock /f while holding /g (a higher inode)", f.Lock(false, true), unix.EDEADLK)
		if err := g.Unlock(); err != nil {
			errf("C unlocks /g: %v", err)
		}
		cServed = true
		cAsking = true
		if err := f.Lock(false, true); err != nil {
			errf("C waiting lock: %v", err)
			return
		}
		if !aKilled {
			grantedEarly = true
		}
		cGot = true
		spin(e, &bGot)
		if err := f.Close(); err != nil { // releases C's lock
			errf("C close: %v", err)
		}
		cClosed = true
		spin(e, &bKilled)
		f = open(c, "/f")
		if f == nil {
			return
		}
		if err := f.Lock(true, true); err != nil {
			errf("C exclusive after B died: %v", err)
			return
		}
		cGot2 = true
	}
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error {
			for b := abi.Badge(1); b <= 3; b++ {
				if err := s.AddClient(b, f.Root()); err != nil {
					return err
				}
			}
			return nil
		},
		clients: []clientSpec{{1, clientA}, {2, clientB}, {3, clientC}}}
	w.supervise = func(e *user.Env, fsd uint64) {
		spin(e, &cServed)
		spin(e, &cAsking)
		for range 50 {
			e.Yield()
			e.Compute(10_000)
		}
		if bGot || cGot {
			errf("a waiter was granted while A held the lock")
		}
		aKilled = true
		if err := e.Kill(abi.InitSlotSystem, w.clientIDs[0]); err != nil {
			errf("kill A: %v", err)
		}
		bits, err := e.Wait(w.ended)
		if err != nil || bits&1 == 0 {
			errf("end notification: %#x %v", bits, err)
		}
		if err := NotifyEnded(e, w.super, 1); err != nil {
			errf("NotifyEnded A: %v", err)
		}
		spin(e, &bExcl)
		if err := e.Kill(abi.InitSlotSystem, w.clientIDs[1]); err != nil {
			errf("kill B: %v", err)
		}
		bKilled = true // and nobody tells the server
	}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if grantedEarly {
		t.Error("a waiting lock was granted before its holder died")
	}
	if !bGot || !cGot || !cGot2 {
		t.Errorf("granted: B %v, C %v, C after B died %v", bGot, cGot, cGot2)
	}
}
