package linux

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"golang.org/x/sys/unix"
)

// Pipes (pipe2): an in-kernel buffer between a read end and a write end. A read of an
// empty pipe blocks until data arrives or the last write end closes (end of file).
// The testing package uses one to capture examples' output.

// pipeMax is what a pipe holds (Linux's default pipe size): a write that does not fit
// writes what does; with no room, a non-blocking write fails with EAGAIN and a blocking
// one waits for a reader.
const pipeMax = 64 << 10

type pipe struct {
	data     []byte
	writers  int // open write ends
	readEnds int // open read ends: with none, a write fails with EPIPE
	readers  []pendingRead
	blocked  []pendingRead // writers waiting for room (buf, n: what they write)
	watches  []*epollWatch // epoll registrations of its ends
	opens    []fifoOpen    // a FIFO's opens waiting for their partner end
	node     *tnode        // the FIFO node it belongs to; nil for pipe2's
}

type pendingRead struct {
	p   *Process // the reader's process: a pipe may join two
	t   *kernel.TCB
	buf uint64
	n   uint64
}

func sysPipe2(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[1]&^uint64(unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_DIRECT) != 0 {
		return errno(unix.EINVAL)
	}
	pp := &pipe{writers: 1, readEnds: 1}
	status := a[1] & unix.O_NONBLOCK
	r := p.newFile(&file{kind: kindPipeRead, pipe: pp, status: status})
	if int64(r) < 0 {
		return r
	}
	w := p.newFile(&file{kind: kindPipeWrite, pipe: pp, status: status})
	if int64(w) < 0 {
		delete(p.files, int(r))
		return w
	}
	if a[1]&unix.O_CLOEXEC != 0 {
		p.cloexec[int(r)], p.cloexec[int(w)] = true, true
	}
	var b [8]byte
	binary.LittleEndian.PutUint32(b[:], uint32(r))
	binary.LittleEndian.PutUint32(b[4:], uint32(w))
	if !k.CopyOut(t, a[0], b[:]) {
		delete(p.files, int(r))
		delete(p.files, int(w))
		return errno(unix.EFAULT)
	}
	return 0
}

func (p *Process) pipeRead(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64) uint64 {
	pp := f.pipe
	if n == 0 {
		return 0
	}
	if len(pp.data) > 0 {
		m := min(n, uint64(len(pp.data)))
		if !k.CopyOut(t, buf, pp.data[:m]) {
			return errno(unix.EFAULT)
		}
		pp.data = pp.data[m:]
		serveWriters(k, pp)
		pipeChanged(k, pp) // room to write again
		return m
	}
	if pp.writers == 0 {
		return 0
	}
	if f.status&unix.O_NONBLOCK != 0 {
		return errno(unix.EAGAIN)
	}
	pp.readers = append(pp.readers, pendingRead{p, t, buf, n})
	return p.blockInPipe(k, t, pp)
}

// blockInPipe parks t in a pipe call until serveReaders or serveWriters completes it.
func (p *Process) blockInPipe(k *kernel.Kernel, t *kernel.TCB, pp *pipe) uint64 {
	th := p.threads[t]
	th.wait, th.pipeWait = waitPipe, pp
	t.Regs().Num = 0
	k.Block(t, hal.Forever)
	return 0 // replaced when the call completes
}

func (p *Process) pipeWrite(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64) uint64 {
	pp := f.pipe
	if pp.readEnds == 0 {
		return errno(unix.EPIPE)
	}
	if n == 0 {
		return 0
	}
	if len(pp.data) >= pipeMax {
		if f.status&unix.O_NONBLOCK != 0 {
			return errno(unix.EAGAIN)
		}
		pp.blocked = append(pp.blocked, pendingRead{p, t, buf, n})
		return p.blockInPipe(k, t, pp)
	}
	res := pp.put(k, t, buf, n)
	if int64(res) > 0 {
		serveReaders(k, pp)
		pipeChanged(k, pp)
	}
	return res
}

// put appends what fits of t's n bytes at buf and returns how many, or an errno.
func (pp *pipe) put(k *kernel.Kernel, t *kernel.TCB, buf, n uint64) uint64 {
	n = min(n, uint64(pipeMax-len(pp.data)))
	b := make([]byte, n)
	if !k.CopyIn(t, buf, b) {
		return errno(unix.EFAULT)
	}
	pp.data = append(pp.data, b...)
	return n
}

// serveWriters completes blocked writes while there is room (or fails them with EPIPE
// once no read end is left).
func serveWriters(k *kernel.Kernel, pp *pipe) {
	for len(pp.blocked) > 0 && (len(pp.data) < pipeMax || pp.readEnds == 0) {
		w := pp.blocked[0]
		pp.blocked = pp.blocked[1:]
		if !w.waiting() {
			continue
		}
		res := errno(unix.EPIPE)
		if pp.readEnds > 0 {
			res = pp.put(k, w.t, w.buf, w.n)
		}
		w.t.Regs().Num = res
		if th := w.p.threads[w.t]; th != nil {
			th.wait = waitNone
		}
		k.Wake(w.t)
	}
	if len(pp.data) > 0 {
		serveReaders(k, pp)
	}
}

// waiting reports whether the thread still waits in this pipe call (its task may have
// ended, or a signal interrupted it).
func (r pendingRead) waiting() bool {
	th := r.p.threads[r.t]
	return th != nil && th.wait == waitPipe && r.t.State() == kernel.BlockedExternal
}

// serveReaders completes blocked reads while there is data (or at end of file).
func serveReaders(k *kernel.Kernel, pp *pipe) {
	before := len(pp.data)
	defer func() {
		if len(pp.data) < before && len(pp.blocked) > 0 {
			serveWriters(k, pp) // the reads made room
		}
	}()
	for len(pp.readers) > 0 && (len(pp.data) > 0 || pp.writers == 0) {
		r := pp.readers[0]
		pp.readers = pp.readers[1:]
		if !r.waiting() {
			continue
		}
		m := min(r.n, uint64(len(pp.data)))
		if m > 0 && !k.CopyOut(r.t, r.buf, pp.data[:m]) {
			r.t.Regs().Num = errno(unix.EFAULT)
		} else {
			pp.data = pp.data[m:]
			r.t.Regs().Num = m
		}
		if th := r.p.threads[r.t]; th != nil {
			th.wait = waitNone
		}
		k.Wake(r.t)
	}
}

// closeFile closes descriptor fd; the open file goes with its last descriptor.
func (p *Process) closeFile(k *kernel.Kernel, fd int) {
	f := p.files[fd]
	delete(p.files, fd)
	delete(p.cloexec, fd)
	if f == nil {
		return
	}
	if f.refs--; f.refs > 0 {
		return
	}
	switch f.kind {
	case kindPipeWrite, kindPipeRead:
		releaseEnd(k, f)
	case kindEpoll:
		for _, w := range f.watch {
			w.dead = true
		}
	case kindRemote:
		f.rs.closes = append(f.rs.closes, f.handle) // sent before the session's next request
	}
}
