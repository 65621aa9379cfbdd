package linux_test

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

// FuzzLinuxSyscalls: a program making arbitrary Linux system calls — any number, any
// arguments, pointers into mapped, unmapped and kernel memory — must get results, never
// crash the kernel, and leave its invariants intact. Each input is a sequence of calls,
// 8 bytes of number and 6×8 bytes of arguments each; numbers are folded into the served
// table's range most of the time so the handlers themselves are exercised.
func FuzzLinuxSyscalls(f *testing.F) {
	seed := func(calls ...[7]uint64) []byte {
		var b []byte
		for _, c := range calls {
			for _, w := range c {
				b = binary.LittleEndian.AppendUint64(b, w)
			}
		}
		return b
	}
	const mem = 0 // argument value meaning "the mapped scratch page"
	f.Add(seed([7]uint64{unix.SYS_OPENAT, 0xffffff9c, 1, unix.O_CREAT | unix.O_RDWR, 0o600}))
	f.Add(seed([7]uint64{unix.SYS_MKDIRAT, 0xffffff9c, 1, 0o700}, [7]uint64{unix.SYS_GETDENTS64, 3, 1, 4096}))
	f.Add(seed([7]uint64{unix.SYS_MMAP, 0, 1 << 40, 3, unix.MAP_PRIVATE | unix.MAP_ANONYMOUS, ^uint64(0)}))
	f.Add(seed([7]uint64{unix.SYS_FUTEX, 1, 0, 0, 2}, [7]uint64{unix.SYS_TGKILL, 1, 1, 23}))
	f.Add(seed([7]uint64{unix.SYS_RT_SIGACTION, 11, 1, 0, 8}, [7]uint64{unix.SYS_EPOLL_CTL, 3, 1, 3, 1}))
	f.Add(seed([7]uint64{unix.SYS_MKNODAT, 0xffffff9c, 1, unix.S_IFIFO | 0o600}, [7]uint64{unix.SYS_OPENAT, 0xffffff9c, 1, unix.O_RDWR},
		[7]uint64{unix.SYS_WRITE, 3, 1, 5}, [7]uint64{unix.SYS_READ, 3, 1, 5}, [7]uint64{unix.SYS_NEWFSTATAT, 0xffffff9c, 1, 1}))
	f.Add(seed([7]uint64{unix.SYS_MKNOD, 1, unix.S_IFIFO | 0o600}, [7]uint64{unix.SYS_OPENAT, 0xffffff9c, 1, unix.O_WRONLY},
		[7]uint64{unix.SYS_OPENAT, 0xffffff9c, 1, unix.O_RDONLY}, [7]uint64{unix.SYS_EPOLL_CREATE1, 0}, [7]uint64{unix.SYS_EPOLL_CTL, 4, 1, 3, 1}))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 56*64 {
			data = data[:56*64]
		}
		boot(t, func(l linuxProg) {
			page := l.call(unix.SYS_MMAP, 0, 2*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
			l.p.Store(page, []byte("/tmp/fuzz\x00"))
			for len(data) >= 56 {
				var w [7]uint64
				for i := range w {
					w[i] = binary.LittleEndian.Uint64(data[8*i:])
				}
				data = data[56:]
				num := w[0]
				if num&0x100 == 0 {
					num %= 450 // mostly Linux numbers
				}
				switch num {
				case unix.SYS_EXIT, unix.SYS_EXIT_GROUP, unix.SYS_RT_SIGRETURN, unix.SYS_CLONE, unix.SYS_VFORK, unix.SYS_FORK:
					continue // these end or replace the thread: the run would stop
				case unix.SYS_NANOSLEEP, unix.SYS_FUTEX, unix.SYS_EPOLL_PWAIT, unix.SYS_READ:
					w[4] = 0 // keep waits bounded: (timeouts are checked by their own tests)
				}
				args := w[1:]
				for i := range args {
					switch args[i] % 7 {
					case 1:
						args[i] = page // a valid pointer to the scratch page
					case 2:
						args[i] = 0xffff_8000_0000_0000 | args[i] // kernel half
					}
				}
				switch {
				case num == unix.SYS_OPENAT:
					args[2] |= unix.O_NONBLOCK // a FIFO's open would wait for ever for its partner
				case num == unix.SYS_FCNTL && args[1] == unix.F_SETFL:
					args[2] |= unix.O_NONBLOCK // and so would a read of an empty FIFO opened O_RDWR
				}
				if num == unix.SYS_READ && args[0] == 0 {
					continue // console input would wait for ever
				}
				if num == unix.SYS_NANOSLEEP || num == unix.SYS_FUTEX || num == unix.SYS_EPOLL_PWAIT || num == unix.SYS_PIPE2 {
					continue
				}
				l.call(num, args...)
			}
			l.call(unix.SYS_EXIT_GROUP, 0)
		})
	})
}
