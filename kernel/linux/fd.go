package linux

import (
	"github.com/skyscope-os/skyscope/kernel"
	"golang.org/x/sys/unix"
)

// The descriptor table: descriptors name open files (several may name one, after dup
// or vfork; an open file goes when its last descriptor closes), each with its own
// close-on-exec flag. 0, 1 and 2 start as the console.

// maxFDs bounds descriptor numbers (RLIMIT_NOFILE as prlimit64 reports it).
const maxFDs = 1024

// lowestFree returns the lowest unused descriptor at or above from, or -1.
func (p *Process) lowestFree(from int) int {
	for fd := from; fd < maxFDs; fd++ {
		if p.files[fd] == nil {
			return fd
		}
	}
	return -1
}

// closeOnExec wraps a call that makes one descriptor so that flag bit O_CLOEXEC of
// argument arg marks it close-on-exec (EFD_CLOEXEC and EPOLL_CLOEXEC are O_CLOEXEC).
func closeOnExec(h handler, arg int) handler {
	return func(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
		fd := h(p, k, t, a)
		if int64(fd) >= 0 && a[arg]&unix.O_CLOEXEC != 0 {
			p.cloexec[int(fd)] = true
		}
		return fd
	}
}

// dupTo makes descriptor to name the open file of from (closing what to named).
func (p *Process) dupTo(k *kernel.Kernel, from, to int, cloexec bool) uint64 {
	f := p.files[from]
	if p.files[to] != nil {
		p.closeFile(k, to)
	}
	f.refs++
	p.files[to] = f
	if cloexec {
		p.cloexec[to] = true
	} else {
		delete(p.cloexec, to)
	}
	return uint64(to)
}

func sysDup(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[0] >= maxFDs || p.files[int(a[0])] == nil {
		return errno(unix.EBADF)
	}
	to := p.lowestFree(0)
	if to < 0 {
		return errno(unix.EMFILE)
	}
	return p.dupTo(k, int(a[0]), to, false)
}

func sysDup2(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[0] >= maxFDs || p.files[int(a[0])] == nil || a[1] >= maxFDs {
		return errno(unix.EBADF)
	}
	if a[0] == a[1] {
		return a[1]
	}
	return p.dupTo(k, int(a[0]), int(a[1]), false)
}

func sysDup3(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if a[2]&^unix.O_CLOEXEC != 0 || a[0] == a[1] {
		return errno(unix.EINVAL)
	}
	if a[0] >= maxFDs || p.files[int(a[0])] == nil || a[1] >= maxFDs {
		return errno(unix.EBADF)
	}
	return p.dupTo(k, int(a[0]), int(a[1]), a[2]&unix.O_CLOEXEC != 0)
}

func sysFcntl(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	fd, cmd, arg := a[0], a[1], a[2]
	if fd >= maxFDs || p.files[int(fd)] == nil {
		return errno(unix.EBADF)
	}
	f := p.files[int(fd)]
	switch cmd {
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC:
		if arg >= maxFDs {
			return errno(unix.EINVAL)
		}
		to := p.lowestFree(int(arg))
		if to < 0 {
			return errno(unix.EMFILE)
		}
		return p.dupTo(k, int(fd), to, cmd == unix.F_DUPFD_CLOEXEC)
	case unix.F_GETFD:
		if p.cloexec[int(fd)] {
			return unix.FD_CLOEXEC
		}
		return 0
	case unix.F_SETFD:
		if arg&unix.FD_CLOEXEC != 0 {
			p.cloexec[int(fd)] = true
		} else {
			delete(p.cloexec, int(fd))
		}
		return 0
	case unix.F_GETFL:
		return f.status | f.accessMode()
	case unix.F_SETFL:
		// Only these flags may change (fcntl(2)); O_NONBLOCK is recorded: the
		// personality's pipes and console are not watched by epoll, so Go reads them
		// in blocking mode anyway.
		const changeable = unix.O_APPEND | unix.O_ASYNC | unix.O_DIRECT | unix.O_NOATIME | unix.O_NONBLOCK
		f.status = f.status&^changeable | arg&changeable
		return 0
	}
	return errno(unix.EINVAL)
}

// accessMode is the open file's O_RDONLY, O_WRONLY or O_RDWR.
func (f *file) accessMode() uint64 {
	switch {
	case f.rw:
		return unix.O_RDWR
	}
	switch f.kind {
	case kindPipeWrite:
		return unix.O_WRONLY
	case kindTmp, kindRemote:
		return f.flags & unix.O_ACCMODE
	case kindConsole, kindNull, kindEventfd:
		return unix.O_RDWR
	}
	return unix.O_RDONLY
}
