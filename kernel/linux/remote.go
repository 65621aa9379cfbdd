package linux

import (
	"encoding/binary"
	"strings"
	"unsafe"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"golang.org/x/sys/unix"
)

// SKYAIFS behind /tmp. A process that holds a file service — an endpoint capability
// (Write and Grant) to a SKYAIFS file server at FileServiceSlot of its capability
// space — finds /tmp served by that server: its file system calls there become file
// protocol requests (skyaifs/fileproto), which the personality makes as kernel IPC
// Calls of the calling thread (kernel.PersonalityCall). The thread blocks in the call
// like any caller; the kernel's IPC path does the queueing, the badge and a server's
// death, and the personality never waits. When the reply is in, CallDone turns it
// into the Linux result (copying data to or from the process with CopyIn/CopyOut) or
// makes the next request of a longer exchange. A file call is not interrupted by
// signals (as Linux's disk waits are not); a server that ends or fails gives EIO.
//
// The processes of a machine that hold capabilities with the same badge share one
// session with the server — one buffer, one table of handles — as one kernel's VFS is
// one client of its disks: the server keeps a few clients by badge, and a new Attach
// ends a badge's earlier session, so a session per process could not work. The
// session's buffer (kernel.CallBuffer) is the kernel's, charged to the budget given
// to UseFileService, and reached with the kernel's frame access: nothing is mapped in
// any process. Its requests go one at a time (the buffer holds one request's data);
// other threads wait their turn, in order.
//
// Without a file service (no capability, or a tree without UseFileService) /tmp is
// the in-memory tmpfs, as before.

// FileServiceSlot is the slot of a Linux process's capability space where its file
// service is (abi.ProcessSlotFiles: the last slot of a process's space, reserved).
// Whoever starts a process puts the capability there (kernel.CopyCap, or its own
// slot, which programs it starts inherit); execve hands it to the new program.
const FileServiceSlot = abi.ProcessSlotFiles

// callBufferPages sizes a session's buffer: 32 pages (128 KiB), the most the file
// protocol takes, so that one request moves up to 128 KiB.
const callBufferPages = fileproto.MaxBufferPages

// labelFence is a label no server serves (it answers ENOSYS without touching the
// buffer): see session.fence.
const labelFence = fileproto.LabelAttach - 1

// fileService is a file tree's link to SKYAIFS: one session per badge.
type fileService struct {
	budget   *kernel.Untyped
	sessions map[abi.Badge]*session
	// fifos are the server's named pipes some process has open, by inode: their
	// pipes are kept here, never on the server (fifo.go).
	fifos map[uint64]*tnode
	calls uint64 // requests made, for statistics
}

// UseFileService makes SKYAIFS serve /tmp to the tree's processes that hold a file
// service at FileServiceSlot; budget pays for the sessions' buffers.
func (t *FileTree) UseFileService(budget *kernel.Untyped) {
	t.svc = &fileService{budget: budget, sessions: map[abi.Badge]*session{}}
}

// FileCalls returns how many file protocol requests the tree's processes made.
func (t *FileTree) FileCalls() uint64 {
	if t.svc == nil {
		return 0
	}
	return t.svc.calls
}

// session is the shared connection to the file server of one badge.
type session struct {
	svc      *fileService
	buf      *kernel.CallBuffer
	attached bool
	// fence is set when a request was abandoned (its thread's task ended): the server
	// may still be working on it, writing the buffer. The next request is preceded by
	// one the server answers only after it (it serves one request at a time, in
	// order), so that nothing is put in the buffer under it.
	fence bool
	// wd is the session's working directory on the server (a path in its namespace,
	// "" for none: its root), set for paths longer than PathMax (placePaths).
	wd     string
	busy   *kernel.TCB // the thread whose request is under way
	queue  []*fileOp   // threads waiting their turn
	closes []uint64    // handles of files closed since the last request, to close
}

// rcall is one request: label, words, what to put in the buffer first (paths, data)
// and what to make of the reply — the next request, or the system call's result.
type rcall struct {
	label uint64
	mr    [3]uint64
	put   [][]byte
	// lens says which of put are tree paths in the server's namespace ("/tmp/…"):
	// lens[i] is the word of mr that holds put[i]'s length, or -1 for other bytes.
	// A path longer than a request carries is sent relative to the session's
	// working directory (placePaths).
	lens  []int
	grant bool
	done  func(r reply) (*rcall, uint64)
	// orig is the request as made, for one whose long paths were made relative:
	// what to place again if the session's working directory is lost.
	orig *rcall
}

// reply is a request's outcome.
type reply struct {
	errno  unix.Errno // the server's, or EIO when the call failed in the kernel
	r1, r2 uint64
	s      *session
}

// fail turns a failed reply into its errno result.
func (r reply) fail() (*rcall, uint64) { return nil, errno(r.errno) }

// fileOp is one system call served by requests.
type fileOp struct {
	p       *Process
	t       *kernel.TCB
	s       *session
	saved   abi.Regs // the thread's registers at the call, restored for its return
	cur     *rcall   // the request under way (or to make, while queued)
	retried bool     // re-attached once after ENOTCONN
	// restaled: its paths were placed again once after the session's working
	// directory went stale.
	restaled bool
}

// session returns the file session of the process's thread t, or nil when /tmp is
// not served by SKYAIFS for it.
func (p *Process) session(k *kernel.Kernel, t *kernel.TCB) *session {
	svc := p.fs.svc
	if svc == nil {
		return nil
	}
	badge, ok := k.EndpointBadge(t, FileServiceSlot)
	if !ok {
		// A process whose file service was revoked keeps SKYAIFS behind /tmp, and
		// its calls there fail (EIO): its files must not turn into other ones.
		return p.fileSession
	}
	s := svc.sessions[badge]
	if s == nil {
		s = &session{svc: svc}
		svc.sessions[badge] = s
	}
	p.fileSession = s
	return s
}

// remotePath is the server's path for a tree path in /tmp. The session's namespace is
// the filesystem's root, and /tmp is the same path there: so the shell sees the
// processes' files where they do, and an absolute link into /tmp resolves on the
// server as in the process.
func remotePath(name string) string { return "/" + name }

// remote serves the system call of t by the requests starting with c. It returns
// the result if the call ended at once; otherwise the thread waits and CallDone sets
// the result.
func (p *Process) remote(k *kernel.Kernel, t *kernel.TCB, s *session, c *rcall) uint64 {
	for i := len(p.dirOnly) - 1; i >= 0; i-- {
		c = dirCheck(p.dirOnly[i], c)
	}
	p.dirOnly = p.dirOnly[:0]
	op := &fileOp{p: p, t: t, s: s, saved: *t.Regs(), cur: c}
	th := p.threads[t]
	th.op, th.wait = op, waitFile
	if s.busy != nil && s.busy != t { // t itself has it while its call runs again (rerun)
		s.queue = append(s.queue, op)
		k.Block(t, hal.Forever)
		return pending // CallDone sets the result
	}
	s.busy = t
	if res, ok := s.issue(k, op, s.prelude(c)); !ok {
		p.endOp(k, op, res, false)
		return res
	}
	return pending
}

// prelude puts the session's housekeeping before request c: the fence after an
// abandoned request, the Attach of a new session, the closes of files.
func (s *session) prelude(c *rcall) *rcall {
	switch {
	case s.fence:
		return &rcall{label: labelFence, done: func(r reply) (*rcall, uint64) {
			s.fence = false
			return s.prelude(c), 0
		}}
	case !s.attached:
		return &rcall{label: fileproto.LabelAttach, mr: [3]uint64{callBufferPages}, grant: true, done: func(r reply) (*rcall, uint64) {
			if r.errno != 0 {
				return nil, errno(unix.EIO)
			}
			s.attached, s.wd = true, "" // a new session starts at the root
			// /tmp may not exist yet on a new disk: make it, world-writable and
			// sticky as Linux's; EEXIST is the usual answer.
			tmp := "/" + tmpRoot
			// The session shows /tmp as a mount point of the personality's tree:
			// paths that leave it on the server (".." from it, absolute link
			// targets) come back as EREMOTE, for the personality to resolve (walk.go).
			// A server without fences (ENOSYS) leaves those to its own root.
			fence := &rcall{label: fileproto.LabelFence, mr: [3]uint64{uint64(len(tmp))}, put: [][]byte{[]byte(tmp)},
				done: func(reply) (*rcall, uint64) { return s.prelude(c), 0 }}
			return &rcall{label: fileproto.LabelMkdir, mr: [3]uint64{uint64(len(tmp)), 0o1777}, put: [][]byte{[]byte(tmp)},
				done: func(reply) (*rcall, uint64) { return fence, 0 }}, 0
		}}
	case len(s.closes) > 0:
		h := s.closes[0]
		s.closes = s.closes[1:]
		return &rcall{label: fileproto.LabelClose, mr: [3]uint64{h}, done: func(reply) (*rcall, uint64) {
			return s.prelude(c), 0 // a failed close has no one to tell
		}}
	}
	return c
}

// issue makes request c for op's thread: false, with the result, if it cannot.
func (s *session) issue(k *kernel.Kernel, op *fileOp, c *rcall) (uint64, bool) {
	if s.buf == nil {
		b, e := k.NewCallBuffer(s.svc.budget, callBufferPages)
		if e != abi.OK {
			return errno(unix.ENOMEM), false
		}
		s.buf = b
	}
	c, e := s.placePaths(c)
	if e != 0 {
		return errno(e), false
	}
	off := uint64(0)
	for _, b := range c.put {
		if !s.buf.Write(off, b) {
			return errno(unix.ENAMETOOLONG), false
		}
		off += uint64(len(b))
	}
	var grant *kernel.CallBuffer
	if c.grant {
		grant = s.buf
	}
	if e := k.PersonalityCall(op.t, FileServiceSlot, c.label, [abi.NumRegMRs]uint64{c.mr[0], c.mr[1], c.mr[2]}, grant); e != abi.OK {
		return errno(unix.EIO), false
	}
	s.svc.calls++
	op.cur = c
	return 0, true
}

// CallDone implements kernel.PersonalityCaller: a file request of t has ended.
func (p *Process) CallDone(k *kernel.Kernel, t *kernel.TCB) {
	th := p.threads[t]
	if th == nil || th.op == nil {
		return
	}
	op := th.op
	s := op.s
	r := t.Regs()
	rep := reply{errno: unix.EIO, s: s}
	if r.Num == uint64(abi.OK) {
		rep.errno, rep.r1, rep.r2 = unix.Errno(r.MR[0]), r.MR[1], r.MR[2]
	} else {
		// The server ended or dropped the call: a new one (if it comes back) needs
		// a new session.
		s.attached = false
	}
	var next *rcall
	var res uint64
	if rep.errno == unix.ENOTCONN && !op.retried && op.cur.label != fileproto.LabelAttach {
		// The server lost the session (restarted, say): attach again, once.
		op.retried, s.attached = true, false
		next = s.prelude(op.cur.original())
	} else if rep.errno == unix.EREMOTE && p.threads[t] != nil && !p.threads[t].physical {
		// A path left /tmp on the server (an absolute link, ".." from /tmp): the
		// personality resolves the call's paths itself, every link, and runs it again.
		p.threads[t].physical = true
		res = needLookup
	} else if rep.errno == unix.ESTALE && op.cur.orig != nil && !op.restaled {
		// The session's working directory was removed: place the paths again from
		// the root.
		op.restaled, s.wd = true, ""
		next = op.cur.orig
	} else {
		next, res = op.cur.done(rep)
	}
	if next == nil && res == needLookup {
		// A name the call's path resolution needed is looked up: run the call again.
		if res = p.rerun(k, t, op); res == pending {
			return
		}
	}
	if next != nil {
		var pending bool
		if res, pending = s.issue(k, op, next); pending {
			return
		}
	}
	p.endOp(k, op, res, false)
	if th := p.threads[t]; th != nil && th.fifoNext != nil {
		r.Num = p.openRemoteFifo(k, t, th)
	}
	if th := p.threads[t]; th != nil && th.pending&^th.sigMask != 0 && t.State() == kernel.Running {
		p.deliverPending(k, t) // signals that came during the call: its result is in the frame
	}
}

// endOp ends op with result res: the thread gets its registers back with the result
// (and, if wake, is woken from its wait in the queue), and the session serves the
// next waiting thread.
func (p *Process) endOp(k *kernel.Kernel, op *fileOp, res uint64, wake bool) {
	r := op.t.Regs()
	*r = op.saved
	r.Num = res
	if th := p.threads[op.t]; th != nil {
		th.op, th.wait = nil, waitNone
	}
	if wake {
		k.Wake(op.t)
		if th := p.threads[op.t]; th != nil {
			p.deliverNow(k, op.t) // signals that came while it waited its turn
		}
	}
	if op.s.busy == op.t {
		op.s.next(k)
	}
}

// next gives the session to the first waiting thread whose request can be made.
func (s *session) next(k *kernel.Kernel) {
	s.busy = nil
	for len(s.queue) > 0 {
		op := s.queue[0]
		s.queue = s.queue[1:]
		s.busy = op.t
		res, pending := s.issue(k, op, s.prelude(op.cur))
		if pending {
			return
		}
		s.busy = nil
		op.p.endOp(k, op, res, true)
	}
}

// abandon drops the file requests of the process's threads (its task ended): a
// request under way leaves the session to the next thread behind a fence.
func (p *Process) abandon(k *kernel.Kernel) {
	for t, th := range p.threads {
		op := th.op
		if op == nil {
			continue
		}
		th.op = nil
		s := op.s
		for i, q := range s.queue {
			if q == op {
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				break
			}
		}
		if s.busy == t {
			// The request may still move the server's working directory (a LabelChdir
			// step): forget where it is, so the next long path starts from the root.
			s.fence, s.wd = true, ""
			s.next(k)
		}
	}
}

// The requests.

// stat record offsets (fileproto's documented layout).
const (
	stIno, stMode, stNlink, stUID, stGID, stSize, stBlocks = 0, 8, 12, 16, 20, 24, 32
	stAtime, stMtime, stCtime                              = 48, 56, 64
)

// linuxStat converts a file protocol stat record into Linux's struct stat bytes.
func (p *Process) linuxStat(rec []byte) []byte {
	le := binary.LittleEndian
	var st unix.Stat_t
	st.Dev, st.Blksize = 3, 4096
	st.Ino = le.Uint64(rec[stIno:])
	st.Mode = le.Uint32(rec[stMode:])
	st.Nlink = uint64(le.Uint32(rec[stNlink:]))
	st.Uid, st.Gid = p.seenOwner(le.Uint32(rec[stUID:]), le.Uint32(rec[stGID:]))
	st.Size = int64(le.Uint64(rec[stSize:]))
	st.Blocks = int64(le.Uint64(rec[stBlocks:]) * 8) // 4096-byte blocks → 512-byte units
	st.Atim = unix.NsecToTimespec(int64(le.Uint64(rec[stAtime:])))
	st.Mtim = unix.NsecToTimespec(int64(le.Uint64(rec[stMtime:])))
	st.Ctim = unix.NsecToTimespec(int64(le.Uint64(rec[stCtime:])))
	return statBytes(&st)
}

// statRecord reads the stat record a Stat or Fstat reply left in the buffer.
func (r reply) statRecord() []byte {
	rec := make([]byte, fileproto.StatSize)
	r.s.buf.Read(0, rec)
	return rec
}

func recMode(rec []byte) uint32 { return binary.LittleEndian.Uint32(rec[stMode:]) }
func recSize(rec []byte) int64  { return int64(binary.LittleEndian.Uint64(rec[stSize:])) }

// statCall is a Stat request for a tree path, following a final link if follow.
func statCall(name string, follow bool, done func(r reply) (*rcall, uint64)) *rcall {
	path := remotePath(name)
	f := uint64(0)
	if follow {
		f = 1
	}
	return &rcall{label: fileproto.LabelStat, mr: [3]uint64{uint64(len(path)), f}, put: [][]byte{[]byte(path)}, lens: []int{0}, done: done}
}

// dirCheck puts before c a Stat of sp's name, which ended in a slash, and ends the
// call with Linux's answer for it (slashAnswer) when there is one.
func dirCheck(sp slashPath, c *rcall) *rcall {
	follow := sp.mode != slashNoFollow && sp.mode != slashCreate
	return statCall(sp.name, follow, func(r reply) (*rcall, uint64) {
		if r.errno != 0 && r.errno != unix.ENOENT {
			return r.fail()
		}
		exists := r.errno == 0
		dir := exists && recMode(r.statRecord())&unix.S_IFMT == unix.S_IFDIR
		if res, done := slashAnswer(sp.mode, exists, dir); done {
			return nil, res
		}
		return c, 0
	})
}

// pathCall is a request with one path (its length in MR0) and the words w1, w2.
func pathCall(label uint64, name string, w1, w2 uint64, done func(r reply) (*rcall, uint64)) *rcall {
	path := remotePath(name)
	return &rcall{label: label, mr: [3]uint64{uint64(len(path)), w1, w2}, put: [][]byte{[]byte(path)}, lens: []int{0}, done: done}
}

// simple is a done function for requests whose result is 0 or the errno.
func simple(r reply) (*rcall, uint64) {
	if r.errno != 0 {
		return r.fail()
	}
	return nil, 0
}

// openFlags are the open flags the file protocol carries.
const remoteOpenFlags = unix.O_ACCMODE | unix.O_CREAT | unix.O_EXCL | unix.O_TRUNC | unix.O_APPEND

// openRemote serves openat of a /tmp path: a Stat says what is there (a directory
// becomes a directory descriptor, listed by path; a link refused under O_NOFOLLOW or
// O_CREAT|O_EXCL), then Open makes a handle.
func (p *Process) openRemote(k *kernel.Kernel, t *kernel.TCB, s *session, name string, flags, mode uint64) uint64 {
	acc := flags & unix.O_ACCMODE
	if acc == unix.O_ACCMODE {
		return errno(unix.EINVAL)
	}
	excl := flags&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT|unix.O_EXCL
	follow := flags&unix.O_NOFOLLOW == 0 && !excl
	open := func() *rcall {
		path := remotePath(name)
		w := flags & remoteOpenFlags
		if acc == unix.O_RDONLY {
			w &^= unix.O_TRUNC // O_TRUNC needs write access (Linux leaves a read-only open alone)
		}
		return &rcall{label: fileproto.LabelOpen, mr: [3]uint64{w, mode & 0o7777, uint64(len(path))}, put: [][]byte{[]byte(path)}, lens: []int{2},
			done: func(r reply) (*rcall, uint64) {
				if r.errno != 0 {
					return r.fail()
				}
				fd := p.newFile(&file{kind: kindRemote, path: name, rs: s, handle: r.r1, flags: flags, status: flags & unix.O_NONBLOCK})
				if int64(fd) < 0 {
					s.closes = append(s.closes, r.r1)
				} else if flags&unix.O_CLOEXEC != 0 {
					p.cloexec[int(fd)] = true
				}
				return nil, fd
			}}
	}
	return p.remote(k, t, s, statCall(name, follow, func(r reply) (*rcall, uint64) {
		switch {
		case r.errno == unix.ENOENT && flags&unix.O_CREAT != 0:
			return open(), 0
		case r.errno != 0:
			return r.fail()
		}
		m := recMode(r.statRecord()) & unix.S_IFMT
		switch {
		case excl:
			return nil, errno(unix.EEXIST)
		case m == unix.S_IFLNK:
			return nil, errno(unix.ELOOP)
		case m == unix.S_IFIFO:
			// Joined here, after the request ends (the open may wait for a partner).
			rec := r.statRecord()
			p.threads[t].fifoNext = &fifoNext{name: name, ino: binary.LittleEndian.Uint64(rec[stIno:]), mode: recMode(rec), flags: flags}
			return nil, 0
		case m == unix.S_IFDIR:
			if acc != unix.O_RDONLY {
				return nil, errno(unix.EISDIR)
			}
			fd := p.newFile(&file{kind: kindDir, path: name, rs: s})
			if int64(fd) >= 0 && flags&unix.O_CLOEXEC != 0 {
				p.cloexec[int(fd)] = true
			}
			return nil, fd
		case flags&unix.O_DIRECTORY != 0:
			return nil, errno(unix.ENOTDIR)
		}
		return open(), 0
	}))
}

// readRemote serves read and pread64 of a SKYAIFS file: up to a buffer-full.
func (p *Process) readRemote(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64, off int64, advance bool) uint64 {
	if f.flags&unix.O_ACCMODE == unix.O_WRONLY {
		return errno(unix.EBADF)
	}
	if off < 0 {
		return errno(unix.EINVAL)
	}
	s := f.rs
	n = min(n, callBufferPages*abi.PageSize)
	if n == 0 {
		return 0
	}
	return p.remote(k, t, s, &rcall{label: fileproto.LabelPread, mr: [3]uint64{f.handle, uint64(off), n},
		done: func(r reply) (*rcall, uint64) {
			if r.errno != 0 {
				return r.fail()
			}
			got := min(r.r1, n)
			b := make([]byte, got)
			s.buf.Read(0, b)
			if !k.CopyOut(t, buf, b) {
				return nil, errno(unix.EFAULT)
			}
			if advance {
				f.off = off + int64(got)
			}
			return nil, got
		}})
}

// writeRemote serves write and pwrite64 of a SKYAIFS file: the whole count, a
// buffer-full per request (O_APPEND writes at the size an Fstat finds first).
func (p *Process) writeRemote(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64, off int64, advance bool) uint64 {
	if f.flags&unix.O_ACCMODE == unix.O_RDONLY {
		return errno(unix.EBADF)
	}
	if off < 0 {
		return errno(unix.EINVAL)
	}
	s := f.rs
	n = min(n, 1<<30)
	done := uint64(0)
	var chunk func(at int64) (*rcall, uint64)
	chunk = func(at int64) (*rcall, uint64) {
		m := min(n-done, callBufferPages*abi.PageSize)
		b := make([]byte, m)
		if !k.CopyIn(t, buf+done, b) {
			if done > 0 {
				return nil, done
			}
			return nil, errno(unix.EFAULT)
		}
		return &rcall{label: fileproto.LabelPwrite, mr: [3]uint64{f.handle, uint64(at), m}, put: [][]byte{b},
			done: func(r reply) (*rcall, uint64) {
				if r.errno != 0 {
					if done > 0 {
						return nil, done
					}
					return r.fail()
				}
				w := min(r.r1, m)
				done += w
				if advance {
					f.off = at + int64(w)
				}
				if done == n || w < m {
					return nil, done
				}
				return chunk(at + int64(w))
			}}, 0
	}
	if n == 0 {
		return 0
	}
	if advance && f.flags&unix.O_APPEND != 0 {
		return p.remote(k, t, s, &rcall{label: fileproto.LabelFstat, mr: [3]uint64{f.handle},
			done: func(r reply) (*rcall, uint64) {
				if r.errno != 0 {
					return r.fail()
				}
				return chunk(recSize(r.statRecord()))
			}})
	}
	first, res := chunk(off)
	if first == nil {
		return res
	}
	return p.remote(k, t, s, first)
}

// statRemote answers a stat request for a /tmp path (or, with f, an open file) into
// struct stat at va.
func (p *Process) statRemote(k *kernel.Kernel, t *kernel.TCB, s *session, name string, follow bool, f *file, va uint64) uint64 {
	done := func(r reply) (*rcall, uint64) {
		if r.errno != 0 {
			return r.fail()
		}
		if !k.CopyOut(t, va, p.linuxStat(r.statRecord())) {
			return nil, errno(unix.EFAULT)
		}
		return nil, 0
	}
	if f != nil && f.kind == kindRemote {
		return p.remote(k, t, s, &rcall{label: fileproto.LabelFstat, mr: [3]uint64{f.handle}, done: done})
	}
	return p.remote(k, t, s, statCall(name, follow, done))
}

// lseekRemote serves lseek of a SKYAIFS file (SEEK_END asks its size).
func (p *Process) lseekRemote(k *kernel.Kernel, t *kernel.TCB, f *file, off int64, whence uint64) uint64 {
	set := func(n int64) uint64 {
		if n < 0 {
			return errno(unix.EINVAL)
		}
		f.off = n
		return uint64(n)
	}
	switch whence {
	case unix.SEEK_SET:
		return set(off)
	case unix.SEEK_CUR:
		return set(f.off + off)
	case unix.SEEK_END:
		return p.remote(k, t, f.rs, &rcall{label: fileproto.LabelFstat, mr: [3]uint64{f.handle},
			done: func(r reply) (*rcall, uint64) {
				if r.errno != 0 {
					return r.fail()
				}
				return nil, set(recSize(r.statRecord()) + off)
			}})
	}
	return errno(unix.EINVAL)
}

// getdentsRemote lists a SKYAIFS directory into linux_dirent64 records: one Readdir
// page after the last name listed, as many records as fit.
func (p *Process) getdentsRemote(k *kernel.Kernel, t *kernel.TCB, f *file, va, size uint64) uint64 {
	s := f.rs
	path := remotePath(f.path)
	if f.off == 0 {
		f.after = ""
	}
	after := f.after
	return p.remote(k, t, s, &rcall{label: fileproto.LabelReaddir, mr: [3]uint64{uint64(len(path)), uint64(len(after))},
		put: [][]byte{[]byte(path), []byte(after)}, lens: []int{0, -1},
		done: func(r reply) (*rcall, uint64) {
			if r.errno != 0 {
				return r.fail()
			}
			page := make([]byte, s.buf.Size())
			s.buf.Read(0, page)
			out, n, last, e := linuxDirents(page, r.r1, f.after, f.off, size)
			if e != 0 {
				return nil, errno(e)
			}
			if len(out) > 0 && !k.CopyOut(t, va, out) {
				return nil, errno(unix.EFAULT)
			}
			f.off += int64(n)
			f.after = last
			return nil, uint64(len(out))
		}})
}

// linuxDirents decodes count file protocol directory records from page (ino u64,
// mode u32, name length u16, name) into linux_dirent64 records, as many as fit size
// bytes, numbering them from off+1. It returns the records, how many entries they
// hold and the last name. A page that breaks the protocol — a record past the page,
// an empty name or one with '/' or NUL, names not strictly increasing after after —
// is EIO (a confused server must not make a listing loop or repeat a name); a first
// record that does not fit is EINVAL, as Linux says of a buffer too small.
func linuxDirents(page []byte, count uint64, after string, off int64, size uint64) ([]byte, int, string, unix.Errno) {
	const header = 14
	if count > uint64(len(page))/(header+1) {
		return nil, 0, "", unix.EIO
	}
	var out []byte
	n, last := 0, after
	for range count {
		if len(page) < header {
			return nil, 0, "", unix.EIO
		}
		ino, mode := binary.LittleEndian.Uint64(page), binary.LittleEndian.Uint32(page[8:])
		l := int(binary.LittleEndian.Uint16(page[12:]))
		if l == 0 || l > 255 || header+l > len(page) {
			return nil, 0, "", unix.EIO
		}
		name := string(page[header : header+l])
		page = page[header+l:]
		if name <= last || strings.ContainsAny(name, "/\x00") {
			return nil, 0, "", unix.EIO
		}
		reclen := (19 + len(name) + 1 + 7) &^ 7
		if uint64(len(out)+reclen) > size {
			if len(out) == 0 {
				return nil, 0, "", unix.EINVAL
			}
			break
		}
		rec := make([]byte, reclen)
		binary.LittleEndian.PutUint64(rec[0:], ino)
		binary.LittleEndian.PutUint64(rec[8:], uint64(off)+uint64(n)+1)
		binary.LittleEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = direntType(mode)
		copy(rec[19:], name)
		out = append(out, rec...)
		n++
		last = name
	}
	return out, n, last, 0
}

func direntType(mode uint32) byte {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return unix.DT_DIR
	case unix.S_IFLNK:
		return unix.DT_LNK
	case unix.S_IFREG:
		return unix.DT_REG
	case unix.S_IFIFO:
		return unix.DT_FIFO
	}
	return unix.DT_UNKNOWN
}

// renameRemote serves renameat2 within /tmp; RENAME_NOREPLACE looks first.
func (p *Process) renameRemote(k *kernel.Kernel, t *kernel.TCB, s *session, from, to string, flags uint64) uint64 {
	a, b := remotePath(from), remotePath(to)
	rename := &rcall{label: fileproto.LabelRename, mr: [3]uint64{uint64(len(a)), uint64(len(b))}, put: [][]byte{[]byte(a), []byte(b)}, lens: []int{0, 1},
		done: func(r reply) (*rcall, uint64) {
			if r.errno != 0 {
				return r.fail()
			}
			for _, f := range p.files { // open directories keep working under their new names
				if f != nil && f.rs != nil && under(f.path, from) {
					f.path = to + f.path[len(from):]
				}
			}
			if under(p.cwd, from) {
				p.cwd = to + p.cwd[len(from):] // so does the working directory
			}
			if under(s.wd, a) {
				// The server's working directory is the directory, which moved: its name
				// here must follow, or a long path would be placed in the wrong place.
				s.wd = b + s.wd[len(a):]
			}
			return nil, 0
		}}
	if flags&unix.RENAME_NOREPLACE == 0 {
		return p.remote(k, t, s, rename)
	}
	return p.remote(k, t, s, statCall(to, false, func(r reply) (*rcall, uint64) {
		switch r.errno {
		case 0:
			return nil, errno(unix.EEXIST)
		case unix.ENOENT:
			return rename, 0
		}
		return r.fail()
	}))
}

// under reports whether path p is dir or lies below it.
func under(p, dir string) bool {
	return p == dir || len(p) > len(dir) && p[:len(dir)+1] == dir+"/"
}

// readlinkRemote serves readlinkat in /tmp.
func (p *Process) readlinkRemote(k *kernel.Kernel, t *kernel.TCB, s *session, name string, va, size uint64) uint64 {
	return p.remote(k, t, s, pathCall(fileproto.LabelReadlink, name, 0, 0, func(r reply) (*rcall, uint64) {
		if r.errno != 0 {
			return r.fail()
		}
		n := min(r.r1, size, fileproto.PathMax)
		b := make([]byte, n)
		r.s.buf.Read(0, b)
		if !k.CopyOut(t, va, b) {
			return nil, errno(unix.EFAULT)
		}
		return nil, n
	}))
}

// symlinkRemote serves symlinkat in /tmp.
func (p *Process) symlinkRemote(k *kernel.Kernel, t *kernel.TCB, s *session, target, name string) uint64 {
	path := remotePath(name)
	return p.remote(k, t, s, &rcall{label: fileproto.LabelSymlink, mr: [3]uint64{uint64(len(target)), uint64(len(path))},
		put: [][]byte{[]byte(target), []byte(path)}, lens: []int{-1, 1}, done: simple})
}

// statBytes returns a struct stat's bytes.
func statBytes(st *unix.Stat_t) []byte {
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(st)), unsafe.Sizeof(*st))...)
}

// remoteAt returns the session serving the tree path name, or nil if the in-memory
// tree does.
func (p *Process) remoteAt(k *kernel.Kernel, t *kernel.TCB, name string) *session {
	if !inTmp(name) {
		return nil
	}
	return p.session(k, t)
}

// pending is what a handler returns when CallDone will set the result: a negative
// value, so that wrappers (closeOnExec) take it for no descriptor.
var pending = errno(unix.EINPROGRESS)

// The system calls, for /tmp paths and descriptors of SKYAIFS.

func mkdirRemote(p *Process, k *kernel.Kernel, t *kernel.TCB, s *session, name string, mode uint64) uint64 {
	return p.remote(k, t, s, pathCall(fileproto.LabelMkdir, name, mode&0o7777, 0, simple))
}

func unlinkRemote(p *Process, k *kernel.Kernel, t *kernel.TCB, s *session, name string, flags uint64) uint64 {
	if name == tmpRoot {
		return errno(unix.EBUSY)
	}
	return p.remote(k, t, s, unlinkCall(name, flags))
}

// unlinkCall is the Remove request for unlinkat of name with flags.
func unlinkCall(name string, flags uint64) *rcall {
	kind := uint64(fileproto.RemoveFile)
	if flags&unix.AT_REMOVEDIR != 0 {
		kind = fileproto.RemoveDir
	}
	return pathCall(fileproto.LabelRemove, name, kind, 0, simple)
}

func truncateRemote(p *Process, k *kernel.Kernel, t *kernel.TCB, s *session, name string, size uint64) uint64 {
	if int64(size) < 0 {
		return errno(unix.EINVAL)
	}
	return p.remote(k, t, s, pathCall(fileproto.LabelTruncate, name, size, 0, simple))
}

func ftruncateRemote(p *Process, k *kernel.Kernel, t *kernel.TCB, f *file, size uint64) uint64 {
	if f.flags&unix.O_ACCMODE == unix.O_RDONLY || int64(size) < 0 {
		return errno(unix.EINVAL)
	}
	return p.remote(k, t, f.rs, &rcall{label: fileproto.LabelFtrunc, mr: [3]uint64{f.handle, size}, done: simple})
}

// fsyncRemote makes a file durable (Fsync); for a directory, the whole filesystem
// (Sync), which covers its entries.
func fsyncRemote(p *Process, k *kernel.Kernel, t *kernel.TCB, f *file) uint64 {
	if f.kind == kindRemote {
		return p.remote(k, t, f.rs, &rcall{label: fileproto.LabelFsync, mr: [3]uint64{f.handle}, done: simple})
	}
	return p.remote(k, t, f.rs, &rcall{label: fileproto.LabelSync, done: simple})
}

// chdirRemote makes a /tmp directory the working directory.
func chdirRemote(p *Process, k *kernel.Kernel, t *kernel.TCB, s *session, name string) uint64 {
	return p.remote(k, t, s, statCall(name, true, func(r reply) (*rcall, uint64) {
		if r.errno != 0 {
			return r.fail()
		}
		if recMode(r.statRecord())&unix.S_IFMT != unix.S_IFDIR {
			return nil, errno(unix.ENOTDIR)
		}
		p.cwd = name
		return nil, 0
	}))
}

// accessRemote checks that a /tmp path exists (permissions are not checked: the
// processes run as the file's owner or root).
func accessRemote(p *Process, k *kernel.Kernel, t *kernel.TCB, s *session, name string) uint64 {
	return p.remote(k, t, s, statCall(name, true, simple))
}

// seekDir serves lseek of a directory: SEEK_SET goes to an entry index (rewinddir
// is 0), SEEK_CUR tells or moves from where the listing is. A SKYAIFS directory's
// place is the last name listed, so only 0 and the current index are places in it.
func seekDir(f *file, off int64, whence uint64) uint64 {
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		off += f.off
	default:
		return errno(unix.EINVAL)
	}
	if off < 0 || f.rs != nil && off != 0 && off != f.off {
		return errno(unix.EINVAL)
	}
	f.off = off
	return uint64(off)
}

// chmodRemote sets a SKYAIFS file's permissions.
func chmodRemote(p *Process, k *kernel.Kernel, t *kernel.TCB, s *session, name string, mode uint64) uint64 {
	return p.remote(k, t, s, pathCall(fileproto.LabelChmod, name, mode&0o7777, 0, simple))
}

// utimesRemote serves utimensat for a SKYAIFS path: the times at va (access, then
// modification), each a time, UTIME_NOW or UTIME_OMIT; no times (va 0) is now for both.
func (p *Process) utimesRemote(k *kernel.Kernel, t *kernel.TCB, s *session, name string, va uint64) uint64 {
	now := uint64(p.now(k))
	times := [2]uint64{now, now}
	if va != 0 {
		var b [32]byte
		if !k.CopyIn(t, va, b[:]) {
			return errno(unix.EFAULT)
		}
		for i := range 2 {
			sec, nsec := int64(le64(b[16*i:])), int64(le64(b[16*i+8:]))
			switch nsec {
			case unix.UTIME_OMIT:
				times[i] = fileproto.UtimeOmit
			case unix.UTIME_NOW:
			default:
				if nsec < 0 || nsec >= 1e9 {
					return errno(unix.EINVAL)
				}
				times[i] = uint64(sec*1e9 + nsec)
			}
		}
	}
	return p.remote(k, t, s, pathCall(fileproto.LabelUtimes, name, times[0], times[1], simple))
}
