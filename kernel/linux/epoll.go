package linux

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"golang.org/x/sys/unix"
)

// epoll and eventfd, as far as Go's netpoller needs them: eventfds (netpollBreak
// writes one to wake a poller) and pipe ends watched by epoll instances. An eventfd is
// reported while its counter is not zero (level-triggered, as Go registers it). A
// pipe end registered with EPOLLET — as Go registers every file it polls — is reported
// once per change of the pipe (data written, data read, an end closed), not on every
// epoll_pwait, so a writable pipe does not keep waking the netpoller; without EPOLLET
// it is reported while it is ready.

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
	kindConsole // the console: reads take console input, writes print
	kindRemote  // a file of SKYAIFS (behind /tmp with a file service)
)

type file struct {
	kind    fileKind
	refs    int                 // descriptors naming this open file (dup, vfork)
	status  uint64              // file status flags as F_GETFL reports them (O_NONBLOCK is kept, not honoured)
	counter uint64              // eventfd
	watch   map[int]*epollWatch // epoll: fd → registration
	pipe    *pipe               // pipe ends
	rw      bool                // a FIFO opened O_RDWR: kindPipeRead that is also a write end
	path    string              // tree files and directories
	data    []byte              // tree files
	off     int64               // tree files: read offset; directories: entry index
	node    *tnode              // /tmp files
	flags   uint64              // /tmp files: the open flags (access mode, O_APPEND)
	rs      *session            // SKYAIFS files and directories: the session they belong to
	handle  uint64              // SKYAIFS files: the server's handle
	after   string              // SKYAIFS directories: the last name getdents64 listed
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
	f      *file    // the watched open file
	p      *Process // the process owning the epoll instance
	edges  uint32   // EPOLLET: events that happened since last reported
	dead   bool     // deregistered, or the watched file closed
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
	fd := p.lowestFree(0)
	if fd < 0 {
		return errno(unix.EMFILE)
	}
	f.refs++
	p.files[fd] = f
	delete(p.cloexec, fd)
	return uint64(fd)
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
	return p.newFile(&file{kind: kindEpoll, watch: map[int]*epollWatch{}})
}

func sysEpollCtl(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	ep := p.fileOf(a[0], kindEpoll)
	if ep == nil {
		return errno(unix.EBADF)
	}
	fd := a[2]
	if fd >= maxFDs || p.files[int(fd)] == nil {
		return errno(unix.EBADF)
	}
	f := p.files[int(fd)]
	if f.kind != kindEventfd && f.kind != kindPipeRead && f.kind != kindPipeWrite {
		return errno(unix.EPERM) // files that are always ready, as Linux says of regular files
	}
	old := ep.watch[int(fd)]
	switch a[1] {
	case unix.EPOLL_CTL_ADD, unix.EPOLL_CTL_MOD:
		if (a[1] == unix.EPOLL_CTL_ADD) != (old == nil) {
			if old == nil {
				return errno(unix.ENOENT)
			}
			return errno(unix.EEXIST)
		}
		var b [12]byte
		if !k.CopyIn(t, a[3], b[:]) {
			return errno(unix.EFAULT)
		}
		w := old
		if w == nil {
			w = &epollWatch{f: f, p: p}
			ep.watch[int(fd)] = w
			if f.pipe != nil {
				f.pipe.watches = append(f.pipe.watches, w)
			}
		}
		w.events, w.data = binary.LittleEndian.Uint32(b[:]), binary.LittleEndian.Uint64(b[4:])
		w.edges = w.f.readiness() // what holds now is reported once, as Linux does
	case unix.EPOLL_CTL_DEL:
		if old == nil {
			return errno(unix.ENOENT)
		}
		old.dead = true
		delete(ep.watch, int(fd))
	default:
		return errno(unix.EINVAL)
	}
	return 0
}

// readiness returns the epoll events that hold for an eventfd or pipe end now.
func (f *file) readiness() uint32 {
	switch f.kind {
	case kindEventfd:
		if f.counter != 0 {
			return unix.EPOLLIN
		}
	case kindPipeRead:
		var ev uint32
		if len(f.pipe.data) > 0 {
			ev |= unix.EPOLLIN
		}
		if f.pipe.writers == 0 {
			ev |= unix.EPOLLIN | unix.EPOLLHUP | unix.EPOLLRDHUP
		}
		if f.rw && len(f.pipe.data) < pipeMax {
			ev |= unix.EPOLLOUT
		}
		return ev
	case kindPipeWrite:
		if f.pipe.readEnds == 0 {
			return unix.EPOLLOUT | unix.EPOLLERR
		}
		if len(f.pipe.data) < pipeMax {
			return unix.EPOLLOUT
		}
	}
	return 0
}

// ready writes up to max ready events of epoll instance epfd to out in t's memory.
func (p *Process) ready(k *kernel.Kernel, t *kernel.TCB, epfd int, out, max uint64) uint64 {
	ep := p.files[epfd]
	if ep == nil || ep.kind != kindEpoll {
		return 0
	}
	n := uint64(0)
	for _, w := range ep.watch {
		if n == max {
			break
		}
		if w.dead {
			continue
		}
		mask := w.events | unix.EPOLLERR | unix.EPOLLHUP
		ev := w.f.readiness() & mask
		if w.events&unix.EPOLLET != 0 {
			ev = w.edges & ev
		}
		if ev == 0 {
			continue
		}
		var b [12]byte
		binary.LittleEndian.PutUint32(b[:], ev)
		binary.LittleEndian.PutUint64(b[4:], w.data)
		if !k.CopyOut(t, out+12*n, b[:]) {
			return n
		}
		w.edges = 0
		n++
	}
	return n
}

// servePollers completes the epoll_pwait calls that have events now.
func (p *Process) servePollers(k *kernel.Kernel) {
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
}

// pipeChanged records that pipe pp changed (data came or went, an end closed) for
// the epoll instances watching its ends, and wakes their pollers.
func pipeChanged(k *kernel.Kernel, pp *pipe) {
	live := pp.watches[:0]
	for _, w := range pp.watches {
		if w.dead {
			continue
		}
		live = append(live, w)
		w.edges |= w.f.readiness()
	}
	pp.watches = live
	for _, w := range live {
		if len(w.p.pollers) > 0 {
			w.p.servePollers(k)
		}
	}
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
	p.servePollers(k)
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
