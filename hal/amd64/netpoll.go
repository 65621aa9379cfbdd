package amd64

import (
	"github.com/skyscope-os/skyscope/hal/amd64/portio"
	"golang.org/x/sys/unix"
)

// epoll and eventfd, as far as the runtime's netpoller needs them: one epoll instance
// watching eventfds (netpollBreak wakes a poller by writing to one).

const (
	fdBase = 100 // descriptors handed out start here, clear of 0–2
	maxFDs = 32
)

const (
	fdFree = iota
	fdEventfd
	fdEpoll
)

type fdEntry struct {
	kind    uint32
	counter uint64 // eventfd
	// epoll registration of this fd (one epoll instance is all the runtime makes)
	epfd    uint64
	events  uint32
	data    uint64
	watched bool
}

var fds [maxFDs]fdEntry

//go:nosplit
func newFD(kind uint32) uint64 {
	for i := range fds {
		if fds[i].kind == fdFree {
			fds[i] = fdEntry{kind: kind}
			return fdBase + uint64(i)
		}
	}
	return errno(unix.EMFILE)
}

//go:nosplit
func sysEventfd2(t *thread) {
	fd := newFD(fdEventfd)
	if int64(fd) > 0 {
		fds[fd-fdBase].counter = t.frame.DI
	}
	t.frame.AX = fd
}

//go:nosplit
func sysEpollCreate1(t *thread) { t.frame.AX = newFD(fdEpoll) }

//go:nosplit
func fdOf(fd uint64, kind uint32) *fdEntry {
	if fd < fdBase || fd >= fdBase+maxFDs || fds[fd-fdBase].kind != kind {
		return nil
	}
	return &fds[fd-fdBase]
}

//go:nosplit
func sysEpollCtl(t *thread) {
	epfd, op, fd, ev := t.frame.DI, t.frame.SI, t.frame.DX, t.frame.R10
	if fdOf(epfd, fdEpoll) == nil {
		t.frame.AX = errno(unix.EBADF)
		return
	}
	e := fdOf(fd, fdEventfd)
	if e == nil {
		t.frame.AX = errno(unix.EPERM) // only eventfds can be watched
		return
	}
	switch op {
	case unix.EPOLL_CTL_ADD, unix.EPOLL_CTL_MOD:
		if !touch(ev, 12, false) {
			t.frame.AX = errno(unix.EFAULT)
			return
		}
		e.events = *(*uint32)(ptrAt(uintptr(ev)))
		e.data = *(*uint64)(ptrAt(uintptr(ev + 4)))
		e.epfd, e.watched = epfd, true
	case unix.EPOLL_CTL_DEL:
		e.watched = false
	default:
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	t.frame.AX = 0
}

// pollReady writes up to max ready events for epfd at out and returns how many.
//
//go:nosplit
func pollReady(epfd, out, max uint64) uint64 {
	n := uint64(0)
	for i := range fds {
		e := &fds[i]
		if n == max || e.kind != fdEventfd || !e.watched || e.epfd != epfd || e.counter == 0 || e.events&unix.EPOLLIN == 0 {
			continue
		}
		p := uintptr(out + n*12)
		*(*uint32)(ptrAt(p)) = unix.EPOLLIN
		*(*uint64)(ptrAt(p + 4)) = e.data
		n++
	}
	return n
}

//go:nosplit
func sysEpollPwait(t *thread) {
	epfd, out, max, timeout := t.frame.DI, t.frame.SI, t.frame.DX, int64(int32(t.frame.R10))
	if fdOf(epfd, fdEpoll) == nil {
		t.frame.AX = errno(unix.EBADF)
		return
	}
	if max == 0 || max > 1024 || !touch(out, max*12, true) {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	if n := pollReady(epfd, out, max); n > 0 || timeout == 0 {
		t.frame.AX = n
		return
	}
	var deadline int64
	if timeout > 0 {
		deadline = nanotime() + timeout*1_000_000
	}
	t.frame.AX = 0
	blockCurrent(waitPoll, epfd, deadline)
}

//go:nosplit
func eventfdWrite(t *thread, fd, p, n uint64) {
	e := fdOf(fd, fdEventfd)
	if e == nil || n < 8 || !touch(p, 8, false) {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	e.counter += *(*uint64)(ptrAt(uintptr(p)))
	t.frame.AX = 8
	if !e.watched {
		return
	}
	// Wake pollers of this epoll instance with the events now ready.
	for i := 0; i < maxThreads; i++ {
		w := &threads[i]
		if w.state == tsBlocked && w.wait == waitPoll && w.waitAddr == e.epfd {
			w.frame.AX = pollReady(e.epfd, w.frame.SI, w.frame.DX)
			makeReady(i)
		}
	}
}

//go:nosplit
func eventfdRead(t *thread, fd, p, n uint64) {
	e := fdOf(fd, fdEventfd)
	if e == nil || n < 8 || !touch(p, 8, true) {
		t.frame.AX = errno(unix.EINVAL)
		return
	}
	if e.counter == 0 {
		t.frame.AX = errno(unix.EAGAIN)
		return
	}
	*(*uint64)(ptrAt(uintptr(p))) = e.counter
	e.counter = 0
	t.frame.AX = 8
}

// Machine power. shutdown ends the machine with status code: through QEMU's
// isa-debug-exit device when present (status (code<<1)|1), else ACPI S5 when the
// kernel has found how (SetPowerOff), else it halts.

var (
	pm1aCnt, pm1bCnt uint16
	slpA, slpB       uint16
	debugExit        uint16 = 0xf4
)

// SetPowerOff records the ACPI PM1 control ports and sleep types for S5, found by the
// ACPI tables after the runtime is up.
func SetPowerOff(pm1a, pm1b, typA, typB uint16) {
	pm1aCnt, pm1bCnt, slpA, slpB = pm1a, pm1b, typA, typB
}

//go:nosplit
func shutdown(code uint64) {
	serialFlush()
	portio.Outb(0x80, 0) // a harmless port write, so the serial FIFO can drain first
	for i := 0; i < 1<<16 && portio.Inb(com1+uartLSR)&0x40 == 0; i++ {
	}
	portio.Outl(debugExit, uint32(code))
	if pm1aCnt != 0 {
		const slpEn = 1 << 13
		portio.Outw(pm1aCnt, slpA<<10|slpEn)
		if pm1bCnt != 0 {
			portio.Outw(pm1bCnt, slpB<<10|slpEn)
		}
	}
	kprint("skyscope: halted\n")
	haltForever()
}
