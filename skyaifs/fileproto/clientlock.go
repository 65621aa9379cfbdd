package fileproto

import (
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"golang.org/x/sys/unix"
)

// Lock locks the file for the client's session, shared or exclusive, held until
// Unlock, the file's Close, the client's Close or the end of its task. With wait it
// blocks until granted (requests are granted in arrival order); without, a lock that
// is not free at once fails with EAGAIN. Locking files in increasing inode order
// (Stat's Ino) is required: a request that breaks the order fails with EDEADLK.
func (f *File) Lock(exclusive, wait bool) error {
	mode, flags := uint64(LockShared), uint64(0)
	if exclusive {
		mode = LockExclusive
	}
	if !wait {
		flags = LockNoWait
	}
	if _, _, err := f.c.call(LabelLock, f.h, mode, flags); err != nil {
		return f.err("lock", err)
	}
	return nil
}

// Unlock gives up the lock taken through this file (ENOLCK if there is none).
func (f *File) Unlock() error {
	if _, _, err := f.c.call(LabelUnlock, f.h, 0, 0); err != nil {
		return f.err("unlock", err)
	}
	return nil
}

// NotifyEnded tells the file server at ep (a capability with the server's supervisor
// badge) that the task holding the client capability badged badge has ended — what
// the starter of that task learns from the kernel's end notification — so the server
// releases its locks and ends its session.
func NotifyEnded(e *user.Env, ep abi.CPtr, badge abi.Badge) error {
	e.SetMR(0, uint64(badge))
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelEnded, 1, 0)); err != nil {
		return fmt.Errorf("%w: file server: %w", unix.EIO, err)
	}
	if en := unix.Errno(e.MR(0)); en != 0 {
		return en
	}
	return nil
}
