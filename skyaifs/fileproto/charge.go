package fileproto

import (
	"github.com/skyscope-os/skyscope/kernel/abi"
	"golang.org/x/sys/unix"
)

// I/O rate limits. A container's I/O limits (abi.ContainerLimits IOBytes, IOOps) are
// enforced where its I/O is served, and over-limit I/O is delayed, not failed. The
// file server charges every read and write of a view whose Container capability it
// keeps (Config.Charges) to that container (ContainerChargeIO: the request's bytes
// and one operation); the kernel answers how long the request must wait. A request
// that must wait is held: its caller's Reply object is parked with it, as a lock
// waiter's is, the server receives with a free one and goes on serving everyone
// else, and it asks for a wake-up (Config.Wake) at the earliest release time. The
// wake-up is a request with the Timer badge; after it (and after every request) the
// held requests that are due are carried out and answered through their parked Reply
// objects, in the order they were due. The charge is made when a request arrives, so
// a held request holds back its container's later ones in turn.
//
// A held request is carried out as it would have been at once, after looking its
// session and handle up again: a session that ended meanwhile gets ENOTCONN, a handle
// closed meanwhile EBADF. With every Reply object parked (lock waiters and held
// requests together), a request that should wait is served at once and counted
// (Charged's unheld): the kernel's bucket still carries its charge, so the
// container's next requests wait the longer.

// heldIO is a read or write held until its container's rate allows it.
type heldIO struct {
	cl    *client
	r     request
	reply abi.CPtr
	at    uint64 // machine time it is due
}

// chargeState is the Server's bookkeeping of charged I/O.
type chargeState struct {
	chargeUsed []bool   // Config.Charges slots in use
	held       []heldIO // in arrival order
	armed      uint64   // the wake-up asked for and not come yet (machine time; 0: none)
	charged    uint64   // bytes charged
	heldNanos  uint64   // the sum of the delays requests were held for
	unheld     uint64   // requests that should have waited but found no free Reply object
}

// ChargeStats is what the server charged (Server.Charged).
type ChargeStats struct {
	Bytes     uint64 // charged to containers
	HeldNanos uint64 // the delays held requests waited, summed
	Unheld    uint64 // over-limit requests served at once: no Reply object was free
}

// Charged returns what the server charged and held so far.
func (s *Server) Charged() ChargeStats {
	return ChargeStats{Bytes: s.charged, HeldNanos: s.heldNanos, Unheld: s.unheld}
}

// keepCharge moves the Container capability in the receive slot (LabelAddView's
// cap0) to a free charge slot for cl. Without Config.Charges nothing is charged.
func (s *Server) keepCharge(cl *client) unix.Errno {
	if s.c.Charges == 0 {
		return 0
	}
	for i, used := range s.chargeUsed {
		if used {
			continue
		}
		slot := s.c.Charges + abi.CPtr(i)
		s.e.Delete(s.c.CSpace, slot)
		if err := s.e.Copy(s.c.CSpace, slot, s.c.CSpace, s.c.Recv, abi.RightWrite); err != nil {
			return unix.EINVAL
		}
		s.chargeUsed[i] = true
		cl.charge = i
		return 0
	}
	return unix.EMFILE // every charge slot holds a view's container
}

// dropCharge gives up cl's Container capability and answers its held requests
// ENOTCONN (its view is being removed).
func (s *Server) dropCharge(cl *client) {
	kept := s.held[:0]
	for _, h := range s.held {
		if h.cl == cl {
			s.answer(h.reply, unix.ENOTCONN, 0, 0)
			continue
		}
		kept = append(kept, h)
	}
	s.held = kept
	if cl.charge >= 0 {
		s.e.Delete(s.c.CSpace, s.c.Charges+abi.CPtr(cl.charge))
		s.chargeUsed[cl.charge] = false
		cl.charge = -1
	}
}

// chargeIO charges request r of cl to its container. It reports held when the
// request waits (the caller's Reply object is parked: nothing is answered now), or an
// errno when the container cannot be charged (it was destroyed: its tasks are gone).
func (s *Server) chargeIO(cl *client, r request) (unix.Errno, bool) {
	delay, err := s.e.ChargeIO(s.c.Charges+abi.CPtr(cl.charge), r.n, 1)
	if err != nil {
		return unix.EIO, false
	}
	s.charged += r.n
	if delay == 0 {
		return 0, false
	}
	if len(s.free) == 0 {
		s.unheld++
		return 0, false
	}
	s.heldNanos += delay
	at := s.c.Now() + delay
	s.held = append(s.held, heldIO{cl: cl, r: r, reply: s.cur, at: at})
	s.cur, s.free = s.free[len(s.free)-1], s.free[:len(s.free)-1]
	s.deferred = true
	s.arm(at)
	return 0, true
}

// arm asks for a wake-up at machine time at unless one is asked for no later.
func (s *Server) arm(at uint64) {
	if s.armed != 0 && s.armed <= at {
		return
	}
	s.armed = at
	now := s.c.Now()
	s.c.Wake(max(at, now+1) - now)
}

// releaseDue carries out and answers the held requests that are due, earliest first,
// and arms the wake-up for the next.
func (s *Server) releaseDue() {
	if len(s.held) == 0 {
		return
	}
	now := s.c.Now()
	for {
		i := -1
		for j, h := range s.held {
			if h.at <= now && (i < 0 || h.at < s.held[i].at) {
				i = j
			}
		}
		if i < 0 {
			break
		}
		h := s.held[i]
		s.held = append(s.held[:i], s.held[i+1:]...)
		errno, r1, r2 := s.heldTransfer(h)
		s.answer(h.reply, errno, r1, r2)
	}
	next := uint64(0)
	for _, h := range s.held {
		if next == 0 || h.at < next {
			next = h.at
		}
	}
	if next != 0 {
		if s.armed != 0 && s.armed <= now {
			s.armed = 0 // passed without coming (a lost wake-up): ask again
		}
		s.arm(next)
	}
}

// heldTransfer carries out a held request, looking its session and handle up again.
func (s *Server) heldTransfer(h heldIO) (unix.Errno, uint64, uint64) {
	cl := h.cl
	if s.clients[cl.badge] != cl || cl.m == nil || h.r.n > cl.size {
		return unix.ENOTCONN, 0, 0
	}
	if !s.alive(cl, h.r.touches(cl.size)) {
		s.drop(cl)
		return unix.ENOTCONN, 0, 0
	}
	f := cl.handles[h.r.handle]
	if f == nil {
		return unix.EBADF, 0, 0
	}
	return s.transfer(cl, f, h.r)
}

// answer replies through a parked Reply object and frees it. A caller that is gone
// makes the reply fail harmlessly.
func (s *Server) answer(reply abi.CPtr, errno unix.Errno, r1, r2 uint64) {
	e := s.e
	e.SetMR(0, uint64(errno))
	e.SetMR(1, r1)
	e.SetMR(2, r2)
	e.Reply(reply, abi.NewMsgInfo(0, 3, 0))
	s.free = append(s.free, reply)
}
