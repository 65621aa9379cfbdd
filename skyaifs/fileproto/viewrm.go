package fileproto

import (
	iofs "io/fs"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"golang.org/x/sys/unix"
)

// Removing a container's view (LabelRemoveView): when the task that made a container
// destroys it, the view it registered must go too, or its badge would keep naming
// the container's mounts (and its session the files and locks it held) for whoever
// holds a capability with that badge. Only the admin removes, and only views: the
// clients skyaifsd was started with are not the admin's to end.

// removeView carries out LabelRemoveView for the admin cl.
func (s *Server) removeView(cl *client, badge abi.Badge) unix.Errno {
	if s.c.Admin == 0 || cl.badge != s.c.Admin {
		return unix.EPERM
	}
	v := s.clients[badge]
	if v == nil || !v.view {
		return unix.ENOENT
	}
	if v.m != nil {
		s.release(v) // closes its files, releases its locks, cancels its waiter
	} else {
		s.endLocks(v)
	}
	s.dropCharge(v) // its held requests are answered ENOTCONN
	delete(s.clients, badge)
	return 0
}

// RemoveView asks the server (this client must hold its admin badge) to forget the
// view it registered under badge: the view's session ends and the badge names
// nothing afterwards. The caller revokes the capabilities it minted with badge first,
// so that no task can reach the server with it any more.
func (c *Client) RemoveView(badge abi.Badge) error {
	if _, _, err := c.call(LabelRemoveView, uint64(badge), 0, 0); err != nil {
		return &iofs.PathError{Op: "removeview", Path: "", Err: err}
	}
	return nil
}
