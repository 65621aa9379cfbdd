package linux

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"golang.org/x/sys/unix"
)

// epoll and eventfd, as far as Go's netpoller needs them: eventfds (netpollBreak
// writes one to wake a poller) watched by epoll instances. Descriptors start at 3.

type fileKind uint8

const (
	kindEventfd fileKind = iota + 1
	kindEpoll
	kindPipeRead
	kindPipeWrite
	kindRegular // a file of the read-only tree
	kindDir     // a directory of the read-only tree
	kindNull    // /dev/null
	kindTmp     // a file of the writable /tmp
)

type file struct {
	kind    fileKind
	counter uint64             // eventfd
	watch   map[int]epollWatch // epoll: fd → registration
	pipe    *pipe              // pipe ends
	path    string             // tree files and directories
	data    []byte             // tree files
	off     int64              // tree files: read offset; directories: entry index
	node    *tnode             // /tmp files
	flags   uint64             // /tmp files: the open flags (access mode, O_APPEND)
}

// contents returns what a tree or /tmp file holds now.
func (f *file) contents() []byte {
	if f.node != nil {
		return f.node.data
	}
	return f.data
}

type epollWatch struct {
	events uint32
	data   uint64
}

// poller is a thread blocked in epoll_pwait.
type poller struct {
	t    *kernel.TCB
	epfd int
	out  uint64
	max  uint64
}

func (p *Process) newFile(f *file) uint64 {
	if p.files == nil {
		p.files = map[int]*file{}
	}
	for fd := 3; fd < 1024; fd++ {
		if p.files[fd] == nil {
			p.files[fd] = f
			return uint64(fd)
		}
	}
	return errno(unix.EMFILE)
}

func (p *Process) fileOf(fd uint64, kind fileKind) *file {
	if fd >= 1024 {
		return nil
	}
	if f := p.files[int(fd)]; f != nil && f.kind == kind {
		return f
	}
	return nil
}

func sysEventfd2(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	return p.newFile(&file{kind: kindEventfd, counter: a[0] & 0xffffffff})
}

func sysEpollCreate1(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	return p.newFile(&file{kind: kindEpoll, watch: map[int]epollWatch{}})
}

func sysEpollCtl(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	ep := p.fileOf(a[0], kindEpoll)
	if ep == nil {
		return errno(unix.EBADF)
	}
	fd := a[2]
	if p.fileOf(fd, kindEventfd) == nil {
		return errno(unix.EPERM) // only eventfds can be watched here
	}
	switch a[1] {
	case unix.EPOLL_CTL_ADD, unix.EPOLL_CTL_MOD:
		var b [12]byte
		if !k.CopyIn(t, a[3], b[:]) {
			return errno(unix.EFAULT)
		}
		ep.watch[int(fd)] = epollWatch{binary.LittleEndian.Uint32(b[:]), binary.LittleEndian.Uint64(b[4:])}
	case unix.EPOLL_CTL_DEL:
		delete(ep.watch, int(fd))
	default:
		return errno(unix.EINVAL)
	}
	return 0
}

// ready writes up to max ready events of epoll instance epfd to out in t's memory.
func (p *Process) ready(k *kernel.Kernel, t *kernel.TCB, epfd int, out, max uint64) uint64 {
	ep := p.files[epfd]
	if ep == nil {
		return 0
	}
	n := uint64(0)
	for fd, w := range ep.watch {
		f := p.files[fd]
		if n == max || f == nil || f.kind != kindEventfd || f.counter == 0 || w.events&unix.EPOLLIN == 0 {
			continue
		}
		var b [12]byte
		binary.LittleEndian.PutUint32(b[:], unix.EPOLLIN)
		binary.LittleEndian.PutUint64(b[4:], w.data)
		if !k.CopyOut(t, out+12*n, b[:]) {
			return n
		}
		n++
	}
	return n
}

func sysEpollPwait(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	epfd, out, max, timeout := a[0], a[1], a[2], int64(int32(a[3]))
	if p.fileOf(epfd, kindEpoll) == nil {
		return errno(unix.EBADF)
	}
	if max == 0 || max > 1024 {
		return errno(unix.EINVAL)
	}
	if n := p.ready(k, t, int(epfd), out, max); n > 0 || timeout == 0 {
		return n
	}
	deadline := hal.Forever
	if timeout > 0 {
		deadline = k.Now() + hal.Time(timeout)*1_000_000
	}
	p.pollers = append(p.pollers, poller{t, int(epfd), out, max})
	p.threads[t].wait = waitPoll
	t.Regs().Num = 0
	k.Block(t, deadline)
	return 0
}

// eventfdWrite adds to an eventfd's counter and completes the polls it makes ready.
func (p *Process) eventfdWrite(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64) uint64 {
	var b [8]byte
	if n < 8 || !k.CopyIn(t, buf, b[:]) {
		return errno(unix.EINVAL)
	}
	f.counter += binary.LittleEndian.Uint64(b[:])
	kept := p.pollers[:0]
	for _, w := range p.pollers {
		if got := p.ready(k, w.t, w.epfd, w.out, w.max); got > 0 {
			if th := p.threads[w.t]; th != nil {
				th.wait = waitNone
			}
			w.t.Regs().Num = got
			k.Wake(w.t)
			continue
		}
		kept = append(kept, w)
	}
	p.pollers = kept
	return 8
}

func (p *Process) eventfdRead(k *kernel.Kernel, t *kernel.TCB, f *file, buf, n uint64) uint64 {
	if n < 8 {
		return errno(unix.EINVAL)
	}
	if f.counter == 0 {
		return errno(unix.EAGAIN)
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], f.counter)
	if !k.CopyOut(t, buf, b[:]) {
		return errno(unix.EFAULT)
	}
	f.counter = 0
	return 8
}

func (p *Process) dropPoller(t *kernel.TCB) {
	for i, w := range p.pollers {
		if w.t == t {
			p.pollers = append(p.pollers[:i], p.pollers[i+1:]...)
			return
		}
	}
}
