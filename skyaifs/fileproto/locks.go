package fileproto

import (
	"github.com/skyscope-os/skyscope/kernel/abi"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/lock"
	"golang.org/x/sys/unix"
)

// The server's side of file locks (see "Locks" in the package comment). The lock
// table is skyaifs/lock's Manager: holders are client badges (one session each),
// resources inode numbers. Everything here runs on the server's one thread.

// waiter is a lock request that waits: the client, the handle it asked through, and
// the Reply object its caller waits on.
type waiter struct {
	cl     *client
	handle uint64
	ino    uint64
	reply  abi.CPtr
}

// lockState is the Server's lock bookkeeping.
type lockState struct {
	locks    *lock.Manager
	waiters  map[lock.Holder]*waiter
	free     []abi.CPtr   // Reply objects nobody waits on, besides cur
	cur      abi.CPtr     // the Reply object the next receive uses
	deferred bool         // the request just handled waits: do not reply now
	granted  []lock.Grant // grants to answer before the next receive
	cancel   []abi.CPtr   // parked Reply objects to answer ENOTCONN and free
}

func (s *Server) initLocks() {
	s.locks = lock.NewManager()
	s.waiters = map[lock.Holder]*waiter{}
	s.cur = s.c.Reply
	for i := range s.c.MaxWaiters {
		s.free = append(s.free, s.c.Replies+abi.CPtr(i))
	}
}

// lock carries out LabelLock on the open file f of handle r.handle.
func (s *Server) lock(cl *client, r request, f *skyfs.File) (unix.Errno, uint64, uint64) {
	st, err := f.Stat()
	if err != nil {
		return errnoOf(err), 0, 0
	}
	h, res, mode := lock.Holder(cl.badge), lock.Resource(st.Ino), lock.Shared
	if r.lockMode == LockExclusive {
		mode = lock.Exclusive
	}
	if !s.locks.Grantable(h, res, mode) {
		if _, waits := s.locks.Waiting(h); waits || s.outOfOrder(h, res) {
			return unix.EDEADLK, 0, 0
		}
		if r.noWait {
			return unix.EAGAIN, 0, 0
		}
		// Before making the caller wait, end the sessions of holders whose tasks
		// died without anyone telling us: their buffers' frames died with them.
		s.sweep()
		if !s.locks.Grantable(h, res, mode) && len(s.free) == 0 {
			return unix.ENOLCK, 0, 0
		}
	}
	ans, grants := s.locks.Acquire(h, res, mode)
	s.granted = append(s.granted, grants...)
	switch ans {
	case lock.Granted:
		cl.locks[r.handle] = st.Ino
		return 0, 0, 0
	case lock.Queued:
		s.waiters[h] = &waiter{cl: cl, handle: r.handle, ino: st.Ino, reply: s.cur}
		s.cur, s.free = s.free[len(s.free)-1], s.free[:len(s.free)-1]
		s.deferred = true
		return 0, 0, 0
	}
	return unix.EDEADLK, 0, 0
}

// outOfOrder reports whether h holds a lock on a resource ≥ r (the ordering rule
// Acquire refuses by).
func (s *Server) outOfOrder(h lock.Holder, r lock.Resource) bool {
	for _, cl := range s.clients {
		if lock.Holder(cl.badge) != h {
			continue
		}
		for _, ino := range cl.locks {
			if lock.Resource(ino) >= r {
				return true
			}
		}
	}
	return false
}

// unlock releases the lock cl holds through handle (nothing if it holds none).
func (s *Server) unlock(cl *client, handle uint64) {
	ino, ok := cl.locks[handle]
	if !ok {
		return
	}
	delete(cl.locks, handle)
	s.granted = append(s.granted, s.locks.Release(lock.Holder(cl.badge), lock.Resource(ino))...)
}

// endLocks releases everything cl's session holds and cancels its waiting request.
func (s *Server) endLocks(cl *client) {
	h := lock.Holder(cl.badge)
	if w := s.waiters[h]; w != nil {
		delete(s.waiters, h)
		s.cancel = append(s.cancel, w.reply)
	}
	clear(cl.locks)
	s.granted = append(s.granted, s.locks.Died(h)...)
}

// ended carries out LabelEnded: a task holding badge's capability ended. Its session
// ends if the session's buffer died (frames die with the task whose budget they came
// from) or it has none. A live buffer means the session is another task's, one that
// attached with the same badge since (a container's second program; a restarted
// client): ending it would cut off a live task, so it stays (EBUSY), and its own end
// is reported in turn.
func (s *Server) ended(badge abi.Badge) unix.Errno {
	cl := s.clients[badge]
	if cl == nil {
		return unix.ESRCH
	}
	switch {
	case cl.m == nil:
		s.endLocks(cl)
	case s.alive(cl, cl.size):
		return unix.EBUSY
	default:
		s.drop(cl)
	}
	return 0
}

// sweep ends the sessions of lock holders whose buffers died (their tasks ended).
func (s *Server) sweep() {
	for _, cl := range s.clients {
		if cl.m != nil && (len(cl.locks) > 0 || s.waiters[lock.Holder(cl.badge)] != nil) && !s.alive(cl, abi.PageSize) {
			s.drop(cl)
		}
	}
}

// wake answers the waiters whose requests were granted (0) or cancelled (ENOTCONN)
// while the last request was handled, and frees their Reply objects. A granted
// waiter whose caller is gone (the kernel refuses the reply) gives its lock back at
// once, which may grant others in turn.
func (s *Server) wake() {
	e := s.e
	answer := func(reply abi.CPtr, errno unix.Errno) error {
		e.SetMR(0, uint64(errno))
		e.SetMR(1, 0)
		e.SetMR(2, 0)
		err := e.Reply(reply, abi.NewMsgInfo(0, 3, 0))
		s.free = append(s.free, reply)
		return err
	}
	for len(s.cancel) > 0 {
		reply := s.cancel[0]
		s.cancel = s.cancel[1:]
		answer(reply, unix.ENOTCONN) // fails harmlessly if the caller is gone
	}
	for len(s.granted) > 0 {
		g := s.granted[0]
		s.granted = s.granted[1:]
		w := s.waiters[g.Holder]
		if w == nil {
			continue // cannot happen: every queued request has its waiter
		}
		delete(s.waiters, g.Holder)
		w.cl.locks[w.handle] = w.ino
		if w.cl.handles[w.handle] == nil {
			// Another thread of the client closed the handle while this one waited:
			// the lock would outlive its handle, so it goes back at once.
			s.unlock(w.cl, w.handle)
			answer(w.reply, unix.EBADF)
			continue
		}
		if err := answer(w.reply, 0); err != nil {
			s.unlock(w.cl, w.handle)
		}
	}
}
