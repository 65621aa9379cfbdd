package fileproto

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"golang.org/x/sys/unix"
)

// Namespace is what a client sees: *fs.Dir (a whole filesystem or a confined
// subtree) and *view.View (a container's mount table) both provide it.
type Namespace interface {
	OpenFile(path string, flags int, perm uint32) (*skyfs.File, error)
	Stat(path string) (skyfs.Stat, error)
	Lstat(path string) (skyfs.Stat, error)
	Readdir(path string) ([]skyfs.DirEntry, error)
	Mkdir(path string, perm uint32) error
	Unlink(path string) error
	Rmdir(path string) error
	Rename(oldpath, newpath string) error
	Truncate(path string, size int64) error
	Symlink(target, path string) error
	Readlink(path string) (string, error)
}

// Config is what the server task holds, as slots of its capability space. It uses
// only the user library, so the same server runs in the simulation and as a ring-3
// task on the machine.
type Config struct {
	Endpoint abi.CPtr // where requests arrive (Read)
	Reply    abi.CPtr // a Reply object
	CSpace   abi.CPtr // the server's own capability space
	AS       abi.CPtr // its address space
	Recv     abi.CPtr // a free slot that receives a buffer's capability space
	// Frames is the first of MaxClients×MaxBufferPages free slots: client slot i's
	// buffer frames go at Frames + i×MaxBufferPages.
	Frames abi.CPtr
	// Window is where buffers are mapped, WindowSize bytes from it (at least
	// MaxClients×MaxBufferPages pages). Client slot i starts with the window at
	// Window + i×MaxBufferPages pages; the space after those replaces a slot's
	// window that a dead buffer left mapped (see Server.drop).
	Window, WindowSize uint64
	MaxClients         int
	// Replies is the first of MaxWaiters Reply objects besides Reply: a lock request
	// that must wait keeps the Reply object it arrived with until it is granted, and
	// the server receives with a free one meanwhile (0 waiters: every lock that is
	// not free at once is ENOLCK).
	Replies    abi.CPtr
	MaxWaiters int
	// Supervisor is the badge (not a client's) whose holder tells the server that a
	// client's task ended (LabelEnded); 0: nobody may.
	Supervisor abi.Badge
	// Coordinator is the badge of the client (a trusted task acting for the kernel)
	// that may run two-phase transactions (LabelTx…); 0: none. Its namespace must be
	// the whole filesystem: its paths are taken from the root.
	Coordinator abi.Badge
	// Admin is the badge of the client (the task that makes containers) that may
	// register containers' views (LabelAddView); 0: none.
	Admin abi.Badge
	// Charges is the first of MaxCharged free slots. With it, a view's Container
	// capability (LabelAddView's cap0) is kept there and the view's reads and writes
	// are charged to the container's I/O rate limits (ContainerChargeIO); a request
	// over the limit is held — its caller's Reply object parked, as a lock waiter's —
	// and served when the kernel's delay has passed, while the server serves everyone
	// else (see "I/O rate limits" in charge.go). 0: nothing is charged.
	Charges    abi.CPtr
	MaxCharged int
	// Now returns machine time in nanoseconds; Wake asks for a request with the
	// Timer badge (any label) to reach the endpoint after ns nanoseconds: a timer
	// thread of the server's task on the machine, a timer interrupt's task in the
	// simulation. That request releases the held requests that are due. Required
	// with Charges.
	Now   func() uint64
	Wake  func(ns uint64)
	Timer abi.Badge
}

// client is one client's state in the server.
type client struct {
	badge   abi.Badge
	charge  int               // the slot index of its container's capability (Config.Charges); -1: not charged
	view    bool              // registered by the admin (LabelAddView), so it may remove it
	locks   map[uint64]uint64 // handle → inode it holds a lock on
	ns      Namespace
	slot    int                    // which frame slots and window it uses; -1 while detached
	m       *user.Mapped           // its buffer; nil while detached
	size    uint64                 // the buffer's size in bytes (0: detached)
	handles map[uint64]*skyfs.File // its open files, by handle
	wd      workdir                // where its relative paths start (LabelChdir)
}

// Server serves a filesystem to its clients. It is used by one thread.
type Server struct {
	e       *user.Env
	fs      *skyfs.FS
	c       Config
	clients map[abi.Badge]*client
	slots   []bool   // client slot in use (or retired: see drop)
	windows []uint64 // each client slot's window
	spare   uint64   // the next unused window; spare…end is free
	end     uint64
	next    uint64 // the next handle; handles are never reused
	scratch []byte // staging between the filesystem and a buffer
	lockState
	chargeState
}

// NewServer returns a server for the mounted filesystem f.
func NewServer(e *user.Env, f *skyfs.FS, c Config) *Server {
	s := &Server{e: e, fs: f, c: c, clients: map[abi.Badge]*client{}, slots: make([]bool, c.MaxClients),
		spare: bufferVA(c.Window, c.MaxClients), end: c.Window + c.WindowSize,
		next: 1, scratch: make([]byte, MaxBufferPages*abi.PageSize)}
	for i := range c.MaxClients {
		s.windows = append(s.windows, bufferVA(c.Window, i))
	}
	s.initLocks()
	s.chargeUsed = make([]bool, c.MaxCharged)
	if c.Charges != 0 && (c.Now == nil || c.Wake == nil || c.Timer == 0) {
		panic("fileproto: Config.Charges needs Now, Wake and Timer")
	}
	return s
}

// AddClient lets the holder of an endpoint capability with badge (not 0) use the
// server, seeing ns.
func (s *Server) AddClient(badge abi.Badge, ns Namespace) error {
	if badge == 0 || s.clients[badge] != nil || badge == s.c.Supervisor || (s.c.Timer != 0 && badge == s.c.Timer) {
		return fmt.Errorf("fileproto: badge %#x is 0 or taken", badge)
	}
	s.clients[badge] = &client{badge: badge, ns: ns, slot: -1, charge: -1, handles: map[uint64]*skyfs.File{}, locks: map[uint64]uint64{}}
	return nil
}

// Serve answers requests forever.
func (s *Server) Serve() {
	e, c := s.e, s.c
	e.SetRecvSlot(0, c.Recv)
	badge, info, err := e.Recv(c.Endpoint, s.cur)
	for {
		errno, r1, r2 := unix.EINVAL, uint64(0), uint64(0)
		s.deferred = false
		if err == nil {
			errno, r1, r2 = s.handle(badge, info)
		}
		if info.ExtraCaps() > 0 {
			e.Delete(c.CSpace, c.Recv)
		}
		s.wake()       // answer waiters this request granted or cancelled
		s.releaseDue() // serve held requests whose delay has passed
		e.SetRecvSlot(0, c.Recv)
		if s.deferred {
			// The caller waits for a lock; its Reply object is parked with it and
			// s.cur is a free one.
			badge, info, err = e.Recv(c.Endpoint, s.cur)
			continue
		}
		e.SetMR(0, uint64(errno))
		e.SetMR(1, r1)
		e.SetMR(2, r2)
		badge, info, err = e.ReplyRecv(c.Endpoint, s.cur, abi.NewMsgInfo(0, 3, 0))
	}
}

// errnoOf turns a filesystem error into its errno.
func errnoOf(err error) unix.Errno {
	var en unix.Errno
	switch {
	case err == nil:
		return 0
	case errors.As(err, &en):
		return en
	case errors.Is(err, iofs.ErrClosed):
		return unix.EBADF
	}
	return unix.EIO
}

// handle decodes and carries out one request.
func (s *Server) handle(badge abi.Badge, info abi.MsgInfo) (unix.Errno, uint64, uint64) {
	e := s.e
	if badge != 0 && badge == s.c.Timer {
		s.armed = 0 // the wake asked for came; releaseDue arms the next
		return 0, 0, 0
	}
	if badge != 0 && badge == s.c.Supervisor && info.Label() == LabelEnded {
		r, errno := decode(info.Label(), [3]uint64{e.MR(0), e.MR(1), e.MR(2)}, info.ExtraCaps(), 0)
		if errno != 0 {
			return errno, 0, 0
		}
		return s.ended(abi.Badge(r.arg)), 0, 0
	}
	cl := s.clients[badge]
	if cl == nil || info.Label() == LabelEnded {
		return unix.EPERM, 0, 0
	}
	r, errno := decode(info.Label(), [3]uint64{e.MR(0), e.MR(1), e.MR(2)}, info.ExtraCaps(), cl.size)
	if errno != 0 {
		return errno, 0, 0
	}
	if r.label == LabelAttach {
		if cl.m != nil {
			s.release(cl) // a restarted client's new buffer replaces its predecessor's
		}
		return s.attach(cl, r.pages), 0, 0
	}
	if !s.alive(cl, r.touches(cl.size)) {
		// The buffer's frames died with the task that made them (a restarted client
		// that has not attached yet), or the client revoked them: touching the window
		// would fault the server.
		s.drop(cl)
		return unix.ENOTCONN, 0, 0
	}
	var paths []string
	if len(r.pathLens) > 0 {
		b := s.scratch[:r.pathBytes()]
		e.Load(cl.m.OutputVA(), b)
		if paths, errno = splitPaths(r, b); errno != 0 {
			return errno, 0, 0
		}
	}
	var f *skyfs.File
	switch r.label {
	case LabelClose, LabelPread, LabelPwrite, LabelFstat, LabelFsync, LabelFtrunc, LabelLock, LabelUnlock:
		if f = cl.handles[r.handle]; f == nil {
			return unix.EBADF, 0, 0
		}
	}
	va := cl.m.OutputVA()
	ns := cl.namespace()
	if r.label == LabelChown || r.label == LabelChdir || r.label == LabelFence {
		return s.ownerAndWorkdir(cl, ns, r, paths)
	}
	switch r.label {
	case LabelOpen:
		f, err := ns.OpenFile(paths[0], r.flags, r.perm)
		if err != nil {
			return errnoOf(err), 0, 0
		}
		h := s.next
		s.next++
		cl.handles[h] = f
		return 0, h, 0
	case LabelClose:
		s.unlock(cl, r.handle)
		delete(cl.handles, r.handle)
		return errnoOf(f.Close()), 0, 0
	case LabelPread, LabelPwrite:
		if cl.charge >= 0 {
			if errno, held := s.chargeIO(cl, r); errno != 0 || held {
				return errno, 0, 0
			}
		}
		return s.transfer(cl, f, r)
	case LabelStat, LabelFstat:
		var st skyfs.Stat
		var err error
		switch {
		case f != nil:
			st, err = f.Stat()
		case r.arg == 1:
			st, err = ns.Stat(paths[0])
		default:
			st, err = ns.Lstat(paths[0])
		}
		if err != nil {
			return errnoOf(err), 0, 0
		}
		b := s.scratch[:StatSize]
		putStat(b, st)
		e.Store(va, b)
		return 0, 0, 0
	case LabelReaddir:
		return s.readdir(cl, paths[0], paths[1])
	case LabelMkdir:
		return errnoOf(ns.Mkdir(paths[0], r.perm)), 0, 0
	case LabelRemove:
		var err error
		switch r.arg {
		case RemoveFile:
			err = ns.Unlink(paths[0])
		case RemoveDir:
			err = ns.Rmdir(paths[0])
		case RemoveAny:
			// As os.Remove: unlink, and if the path named a directory, rmdir.
			if err = ns.Unlink(paths[0]); errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EPERM) {
				err = ns.Rmdir(paths[0])
			}
		}
		return errnoOf(err), 0, 0
	case LabelRename:
		return errnoOf(ns.Rename(paths[0], paths[1])), 0, 0
	case LabelFsync:
		return errnoOf(f.Sync()), 0, 0
	case LabelFtrunc:
		return errnoOf(f.Truncate(int64(r.off))), 0, 0
	case LabelTruncate:
		return errnoOf(ns.Truncate(paths[0], int64(r.off))), 0, 0
	case LabelSymlink:
		return errnoOf(ns.Symlink(paths[0], paths[1])), 0, 0
	case LabelReadlink:
		t, err := ns.Readlink(paths[0])
		if err != nil {
			return errnoOf(err), 0, 0
		}
		e.Store(va, []byte(t)) // a target is at most 4095 bytes; the buffer at least 8 KiB
		return 0, uint64(len(t)), 0
	case LabelStatfs:
		st, err := s.fs.Statfs()
		if err != nil {
			return errnoOf(err), 0, 0
		}
		b := s.scratch[:StatfsSize]
		putStatfs(b, st)
		e.Store(va, b)
		return 0, 0, 0
	case LabelSync:
		return errnoOf(s.fs.Sync()), 0, 0
	case LabelDetach:
		s.release(cl)
		return 0, 0, 0
	case LabelTxPrepare, LabelTxDecide, LabelTxInquire, LabelTxForget:
		return s.tx(cl, r, paths)
	case LabelSetEncryption:
		return s.setEncryption(cl, paths[0], paths[1])
	case LabelAddView:
		return s.addView(cl, r)
	case LabelLock:
		return s.lock(cl, r, f)
	case LabelUnlock:
		if _, ok := cl.locks[r.handle]; !ok {
			return unix.ENOLCK, 0, 0
		}
		s.unlock(cl, r.handle)
		return 0, 0, 0
	case LabelChmod:
		c, ok := ns.(interface{ Chmod(string, uint32) error })
		if !ok {
			return unix.ENOSYS, 0, 0
		}
		return errnoOf(c.Chmod(paths[0], r.perm)), 0, 0
	case LabelUtimes:
		c, ok := ns.(interface {
			Chtimes(string, int64, int64) error
		})
		if !ok {
			return unix.ENOSYS, 0, 0
		}
		return errnoOf(c.Chtimes(paths[0], r.atime, r.mtime)), 0, 0
	case LabelLink:
		c, ok := ns.(interface{ Link(string, string) error })
		if !ok {
			return unix.ENOSYS, 0, 0
		}
		return errnoOf(c.Link(paths[0], paths[1])), 0, 0
	case LabelRemoveView:
		return s.removeView(cl, abi.Badge(r.arg)), 0, 0
	case LabelMkfifo:
		c, ok := ns.(interface{ Mkfifo(string, uint32) error })
		if !ok {
			return unix.ENOSYS, 0, 0
		}
		return errnoOf(c.Mkfifo(paths[0], r.perm)), 0, 0
	}
	panic(fmt.Sprintf("fileproto: decode accepted label %#x that handle does not carry out", r.label))
}

// transfer carries out LabelPread or LabelPwrite on cl's open file f.
func (s *Server) transfer(cl *client, f *skyfs.File, r request) (unix.Errno, uint64, uint64) {
	va := cl.m.OutputVA()
	if r.label == LabelPwrite {
		b := s.scratch[:r.n]
		s.e.Load(va, b)
		n, err := f.WriteAt(b, int64(r.off))
		return errnoOf(err), uint64(n), 0
	}
	b := s.scratch[:r.n]
	n, err := f.ReadAt(b, int64(r.off))
	eof := uint64(0)
	if err == io.EOF {
		err, eof = nil, 1
	}
	if err != nil {
		return errnoOf(err), 0, 0
	}
	s.e.Store(va, b[:n])
	return 0, uint64(n), eof
}

// readdir lists path's entries whose names sort after after, as many as fit the
// buffer. Resuming by name rather than by position keeps paging right when names
// are added or removed between pages: none is listed twice, and none that stays is
// skipped.
func (s *Server) readdir(cl *client, path, after string) (unix.Errno, uint64, uint64) {
	es, err := cl.namespace().Readdir(path)
	if err != nil {
		return errnoOf(err), 0, 0
	}
	b := s.scratch[:0]
	n, more := uint64(0), uint64(0)
	for _, d := range es {
		if after != "" && strings.Compare(d.Name, after) <= 0 {
			continue
		}
		if uint64(len(b)+direntHeader+len(d.Name)) > cl.size {
			more = 1
			break
		}
		b = appendDirent(b, d)
		n++
	}
	s.e.Store(cl.m.OutputVA(), b)
	return 0, n, more
}

// alive reports whether the server still holds the frames of cl's buffer that the
// first n bytes lie in. A frame is destroyed, and the server's capability to it and
// its mapping with it, when the task whose budget it came from ends. The check
// narrows, but cannot close, the window in which that happens during a request
// (a fault handler would; see docs/SKYAIFS.md).
func (s *Server) alive(cl *client, n uint64) bool {
	first := s.c.Frames + abi.CPtr(cl.slot*MaxBufferPages)
	for i := range (n + abi.PageSize - 1) / abi.PageSize {
		if _, err := s.e.Inspect(s.c.CSpace, first+abi.CPtr(i)); err != nil {
			return false
		}
	}
	return true
}

// attach maps the buffer that arrived in the receive slot into a free client slot.
func (s *Server) attach(cl *client, pages uint64) unix.Errno {
	slot := -1
	for i, used := range s.slots {
		if !used {
			slot = i
			break
		}
	}
	if slot < 0 {
		slot = s.reclaim()
	}
	if slot < 0 {
		return unix.EMFILE
	}
	c := s.c
	m, err := s.e.MapRegion(c.Recv, c.CSpace, c.AS, c.Frames+abi.CPtr(slot*MaxBufferPages), s.windows[slot], 0, pages)
	switch {
	case errors.Is(err, user.ErrRegionNotWritable):
		return unix.EACCES
	case errors.Is(err, abi.ErrNoMemory):
		return unix.ENOMEM
	case err != nil:
		return unix.EINVAL
	}
	s.slots[slot] = true
	cl.slot, cl.m, cl.size = slot, m, pages*abi.PageSize
	return 0
}

// reclaim detaches every client whose buffer died with its task without a Detach
// (closing its files, so unlinked files it held open are freed) and returns a client
// slot that is free afterwards, or -1. It runs only when the slots are all taken, so
// clients that end without detaching cost nothing until their slots are needed.
func (s *Server) reclaim() int {
	free := -1
	for _, cl := range s.clients {
		if cl.m != nil && !s.alive(cl, abi.PageSize) {
			slot := cl.slot
			if s.drop(cl) {
				free = slot
			}
		}
	}
	return free
}

// release gives up cl's buffer: unmapped if the server still holds its frames,
// dropped (see drop) if not.
func (s *Server) release(cl *client) {
	if s.alive(cl, cl.size) {
		s.detach(cl)
	} else {
		s.drop(cl)
	}
}

// drop detaches a client whose buffer's frames the server no longer holds and
// reports whether its slot can be used again. If the client revoked the frames rather
// than ending, they still live and stay mapped in the slot's window: the kernel unmaps
// a frame when its last capability goes, and the server has none left to unmap with.
// So the slot moves to an unused window; when there is none, the slot is retired.
func (s *Server) drop(cl *client) bool {
	slot := cl.slot
	s.detach(cl)
	const span = MaxBufferPages * abi.PageSize
	if s.spare+span > s.end {
		s.slots[slot] = true // retired: never handed out again
		return false
	}
	s.windows[slot] = s.spare
	s.spare += span
	return true
}

// detach ends the client's session: its locks are released (and its waiting lock
// request answered ENOTCONN), its files closed and its buffer unmapped.
func (s *Server) detach(cl *client) {
	s.endLocks(cl)
	for h, f := range cl.handles {
		f.Close()
		delete(cl.handles, h)
	}
	cl.m.Release()
	s.slots[cl.slot] = false
	cl.slot, cl.m, cl.size = -1, nil, 0
}

// ServeFailed answers every request on endpoint (with a Reply object it makes at slot
// reply) with errno: what the filesystem task runs when it cannot mount, so that its
// clients get an error instead of waiting for a receiver that never comes. It never
// returns.
func ServeFailed(e *user.Env, endpoint, reply abi.CPtr, errno unix.Errno) {
	e.Delete(abi.InitSlotCSpace, reply)
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, reply, 1); err != nil {
		return
	}
	e.Recv(endpoint, reply)
	for {
		e.SetMR(0, uint64(errno))
		e.SetMR(1, 0)
		e.SetMR(2, 0)
		e.ReplyRecv(endpoint, reply, abi.NewMsgInfo(0, 3, 0))
	}
}
