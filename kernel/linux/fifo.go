package linux

import (
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"golang.org/x/sys/unix"
)

// Named pipes (FIFOs) in /tmp: mknodat makes the node; every open of it connects to
// one pipe (pipe.go) kept on the node while any end is open, so that data written by
// one process is read by another. As on Linux (fs/pipe.c, fifo_open), an open for
// reading waits until a writer opens, and one for writing until a reader opens; an
// opener counts as an end while it waits, so two blocked opens release each other.
// O_NONBLOCK: a reader opens at once, a writer without a reader fails with ENXIO.
// O_RDWR opens at once and is both ends.

// fifoOpen is a thread blocked in an open of a FIFO until its partner opens.
type fifoOpen struct {
	p       *Process
	t       *kernel.TCB
	f       *file // the end it opens, already counted in the pipe
	cloexec bool
}

// waiting reports whether the thread still waits in this open (a signal or the end of
// its task may have taken it away).
func (o fifoOpen) waiting() bool {
	th := o.p.threads[o.t]
	return th != nil && th.wait == waitFifo && th.fifo == o.f && o.t.State() == kernel.BlockedExternal
}

func sysMknod(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	cwd := int64(unix.AT_FDCWD)
	return sysMknodat(p, k, t, [6]uint64{uint64(cwd), a[0], a[1], a[2]})
}

func sysMknodat(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	mode := uint32(a[2])
	switch mode & unix.S_IFMT {
	case 0, unix.S_IFREG, unix.S_IFIFO:
	case unix.S_IFCHR, unix.S_IFBLK:
		return errno(unix.EPERM) // devices need CAP_MKNOD, which no process here has
	case unix.S_IFSOCK:
		return errno(unix.EPERM) // a socket node could not be bound to: not made here
	default:
		return errno(unix.EINVAL) // directories and links have their own calls
	}
	name, e := p.resolveAt(k, t, int64(int32(a[0])), a[1], false, slashCreate)
	if e != 0 {
		return e
	}
	if s := p.remoteAt(k, t, name); s != nil {
		return p.mknodRemote(k, t, s, name, mode)
	}
	if !inTmp(name) {
		return p.outsideTmp(name, unix.EEXIST, unix.EROFS)
	}
	n, e := p.fs.tmp.create(name, false, mode, p.now(k), p.machineIDs())
	if e != 0 {
		return e
	}
	n.fifo = mode&unix.S_IFMT == unix.S_IFIFO
	return 0
}

// openFifo serves openat of FIFO node n in /tmp.
func (p *Process) openFifo(k *kernel.Kernel, t *kernel.TCB, name string, n *tnode, flags uint64) uint64 {
	if flags&unix.O_DIRECTORY != 0 {
		return errno(unix.ENOTDIR)
	}
	acc := flags & unix.O_ACCMODE
	nonblock := flags&unix.O_NONBLOCK != 0
	if acc == unix.O_ACCMODE {
		return errno(unix.EINVAL)
	}
	pp := n.pipe
	if pp == nil {
		pp = &pipe{node: n}
	}
	if acc == unix.O_WRONLY && nonblock && pp.readEnds == 0 {
		return errno(unix.ENXIO) // nothing is made: the node keeps no pipe for this
	}
	n.pipe = pp
	f := &file{pipe: pp, node: n, path: name, status: flags & (unix.O_NONBLOCK | unix.O_APPEND), flags: flags}
	wait := false
	switch acc {
	case unix.O_RDONLY:
		f.kind = kindPipeRead
		pp.readEnds++
		wait = pp.writers == 0 && !nonblock
	case unix.O_WRONLY:
		f.kind = kindPipeWrite
		pp.writers++
		wait = pp.readEnds == 0
	case unix.O_RDWR:
		f.kind, f.rw = kindPipeRead, true
		pp.readEnds++
		pp.writers++
	}
	servePartners(k, pp)
	pipeChanged(k, pp) // a poller watching the other end sees it connected
	cloexec := flags&unix.O_CLOEXEC != 0
	if !wait {
		return p.installFifo(k, f, cloexec)
	}
	th := p.threads[t]
	pp.opens = append(pp.opens, fifoOpen{p, t, f, cloexec})
	th.wait, th.fifo = waitFifo, f
	t.Regs().Num = 0
	k.Block(t, hal.Forever)
	return pending // servePartners or a signal sets the result
}

// isPipe reports whether descriptor fd names a pipe end or an open FIFO.
func (p *Process) isPipe(fd uint64) bool {
	return p.fileOf(fd, kindPipeRead) != nil || p.fileOf(fd, kindPipeWrite) != nil
}

// installFifo gives open end f a descriptor of p, closing it again if p has none left.
func (p *Process) installFifo(k *kernel.Kernel, f *file, cloexec bool) uint64 {
	fd := p.newFile(f)
	if int64(fd) < 0 {
		releaseEnd(k, f)
		return fd
	}
	if cloexec {
		p.cloexec[int(fd)] = true
	}
	return fd
}

// servePartners completes the blocked opens of a FIFO whose partner end is now open,
// and forgets those no longer waiting.
func servePartners(k *kernel.Kernel, pp *pipe) {
	kept := pp.opens[:0]
	var done []fifoOpen
	for _, o := range pp.opens {
		switch {
		case !o.waiting():
			// Its thread went without interruptFifo (its task was ended from
			// outside): the end it counted goes now.
			releaseEnd(k, o.f)
		case o.f.kind == kindPipeRead && pp.writers > 0, o.f.kind == kindPipeWrite && pp.readEnds > 0:
			done = append(done, o)
		default:
			kept = append(kept, o)
		}
	}
	pp.opens = kept
	for _, o := range done {
		th := o.p.threads[o.t]
		th.wait, th.fifo = waitNone, nil
		o.t.Regs().Num = o.p.installFifo(k, o.f, o.cloexec)
		k.Wake(o.t)
	}
}

// interruptFifo ends t's blocked open of a FIFO (a signal came): its end is released.
func (p *Process) interruptFifo(k *kernel.Kernel, t *kernel.TCB) {
	th := p.threads[t]
	f := th.fifo
	th.fifo = nil
	if f == nil {
		return
	}
	pp := f.pipe
	for i, o := range pp.opens {
		if o.t == t && o.f == f {
			pp.opens = append(pp.opens[:i], pp.opens[i+1:]...)
			break
		}
	}
	releaseEnd(k, f)
}

// releaseEnd takes a pipe end's count away (its last descriptor closed, or its open
// failed) and tells the other ends. The pipe of a FIFO goes, with what it held, when
// no end is left, as Linux frees it.
func releaseEnd(k *kernel.Kernel, f *file) {
	pp := f.pipe
	if f.kind == kindPipeWrite || f.rw {
		pp.writers--
		serveReaders(k, pp)
	}
	if f.kind == kindPipeRead {
		pp.readEnds--
		serveWriters(k, pp)
	}
	for _, w := range pp.watches {
		if w.f == f {
			w.dead = true // Linux drops the registrations of a file that closes
		}
	}
	pipeChanged(k, pp)
	if n := pp.node; n != nil && pp.readEnds == 0 && pp.writers == 0 && n.pipe == pp {
		n.pipe = nil
		if n.remote != nil && n.remote.fifos[n.ino] == n {
			delete(n.remote.fifos, n.ino)
		}
	}
}

// dropPipeWait takes t's blocked read or write out of its pipe's queues (a signal
// interrupts it), so that no later write or read completes it.
func (p *Process) dropPipeWait(t *kernel.TCB) {
	th := p.threads[t]
	pp := th.pipeWait
	th.pipeWait = nil
	if pp == nil {
		return
	}
	drop := func(q []pendingRead) []pendingRead {
		kept := q[:0]
		for _, r := range q {
			if r.t != t {
				kept = append(kept, r)
			}
		}
		return kept
	}
	pp.readers, pp.blocked = drop(pp.readers), drop(pp.blocked)
}

// fifoNext is a SKYAIFS FIFO an open found (by Stat): the open joins its pipe when
// the request has ended.
type fifoNext struct {
	name  string
	ino   uint64 // the server's inode: the opens of one inode share a pipe
	mode  uint32
	flags uint64
}

// mknodRemote makes a FIFO on SKYAIFS (fileproto.LabelMkfifo; a namespace without
// named pipes answers ENOSYS, which Linux says as EPERM) or an empty regular file (an
// exclusive create whose handle closes at once).
func (p *Process) mknodRemote(k *kernel.Kernel, t *kernel.TCB, s *session, name string, mode uint32) uint64 {
	perm := uint64(mode & 0o7777)
	if mode&unix.S_IFMT == unix.S_IFIFO {
		return p.remote(k, t, s, pathCall(fileproto.LabelMkfifo, name, perm, 0, func(r reply) (*rcall, uint64) {
			if r.errno == unix.ENOSYS {
				return nil, errno(unix.EPERM)
			}
			return simple(r)
		}))
	}
	path := remotePath(name)
	return p.remote(k, t, s, &rcall{label: fileproto.LabelOpen, mr: [3]uint64{unix.O_WRONLY | unix.O_CREAT | unix.O_EXCL, perm, uint64(len(path))},
		put: [][]byte{[]byte(path)}, lens: []int{2}, done: func(r reply) (*rcall, uint64) {
			if r.errno != 0 {
				return r.fail()
			}
			s.closes = append(s.closes, r.r1) // sent before the session's next request
			return nil, 0
		}})
}

// openRemoteFifo joins thread t's open to the pipe of the SKYAIFS FIFO its Stat found.
func (p *Process) openRemoteFifo(k *kernel.Kernel, t *kernel.TCB, th *thread) uint64 {
	x := th.fifoNext
	th.fifoNext = nil
	svc := p.fs.svc
	if svc.fifos == nil {
		svc.fifos = map[uint64]*tnode{}
	}
	n := svc.fifos[x.ino]
	if n == nil {
		n = &tnode{fifo: true, ino: x.ino, nlink: 1, remote: svc}
		svc.fifos[x.ino] = n
	}
	n.mode = x.mode & 0o7777
	res := p.openFifo(k, t, x.name, n, x.flags)
	if n.pipe == nil {
		delete(svc.fifos, x.ino) // refused (ENXIO): no end of it is open
	}
	return res
}
