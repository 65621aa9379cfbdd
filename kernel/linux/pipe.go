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

const pipeMax = 1 << 20 // bytes a pipe holds before a write fails with EAGAIN

type pipe struct {
	data    []byte
	writers int
	readers []pendingRead
}

type pendingRead struct {
	t   *kernel.TCB
	buf uint64
	n   uint64
}

func sysPipe2(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	pp := &pipe{writers: 1}
	r := p.newFile(&file{kind: kindPipeRead, pipe: pp})
	if int64(r) < 0 {
		return r
	}
	w := p.newFile(&file{kind: kindPipeWrite, pipe: pp})
	if int64(w) < 0 {
		delete(p.files, int(r))
		return w
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
		return m
	}
	if pp.writers == 0 {
		return 0
	}
	pp.readers = append(pp.readers, pendingRead{t, buf, n})
	p.threads[t].wait = waitPipe
	t.Regs().Num = 0
	k.Block(t, hal.Forever)
	return 0
}

func (p *Process) pipeWrite(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64) uint64 {
	pp := f.pipe
	n = min(n, pipeMax)
	if uint64(len(pp.data))+n > pipeMax {
		return errno(unix.EAGAIN)
	}
	b := make([]byte, n)
	if !k.CopyIn(t, buf, b) {
		return errno(unix.EFAULT)
	}
	pp.data = append(pp.data, b...)
	p.serveReaders(k, pp)
	return n
}

// serveReaders completes blocked reads while there is data (or at end of file).
func (p *Process) serveReaders(k *kernel.Kernel, pp *pipe) {
	for len(pp.readers) > 0 && (len(pp.data) > 0 || pp.writers == 0) {
		r := pp.readers[0]
		pp.readers = pp.readers[1:]
		m := min(r.n, uint64(len(pp.data)))
		if m > 0 && !k.CopyOut(r.t, r.buf, pp.data[:m]) {
			r.t.Regs().Num = errno(unix.EFAULT)
		} else {
			pp.data = pp.data[m:]
			r.t.Regs().Num = m
		}
		if th := p.threads[r.t]; th != nil {
			th.wait = waitNone
		}
		k.Wake(r.t)
	}
}

func (p *Process) closeFile(k *kernel.Kernel, fd int) {
	f := p.files[fd]
	delete(p.files, fd)
	if f != nil && f.kind == kindPipeWrite {
		f.pipe.writers--
		p.serveReaders(k, f.pipe)
	}
}
