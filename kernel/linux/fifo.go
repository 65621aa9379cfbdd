package linux

import (
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
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
	if p.remoteAt(k, t, name) != nil {
		// SKYAIFS has no node type for a FIFO (docs/SKYAIFS.md): as a file system
		// without mknod support answers on Linux.
		return errno(unix.EPERM)
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
	if pp.node != nil && pp.readEnds == 0 && pp.writers == 0 && pp.node.pipe == pp {
		pp.node.pipe = nil
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
