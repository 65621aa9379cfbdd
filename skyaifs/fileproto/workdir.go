package fileproto

import (
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"golang.org/x/sys/unix"
)

// Owners, working directories and fences: LabelChown, LabelChdir and LabelFence.
//
// A session's working directory exists for paths longer than a request carries
// (PathMax): a Linux process may work in a directory whose absolute path is longer
// than that, naming files relative to it, and its personality names them relative to
// a directory it made the session's working directory, step by step. The working
// directory is a Dir of the client's namespace (fs.Dir.At): relative paths start
// there, absolute paths, ".." and absolute links stay confined to the namespace's
// root exactly as before. It belongs to the buffer it was set under, so a new Attach
// (a restarted client) starts again at the root without the server having to forget
// it anywhere else.
//
// A fence (LabelFence, fs.Dir.Fence) is kept the same way, in the same Dir: the
// working directories set after it keep it.

// workdir is a session's working directory.
type workdir struct {
	ns  Namespace    // the namespace with its relative paths starting there
	buf *user.Mapped // the buffer of the session it was set in
}

// namespace returns what cl's paths of this request resolve in: its namespace, with
// relative paths from its working directory if it set one in this session.
func (cl *client) namespace() Namespace {
	if cl.wd.ns != nil && cl.wd.buf == cl.m {
		return cl.wd.ns
	}
	return cl.ns
}

// ownerAndWorkdir carries out LabelChown, LabelChdir and LabelFence in ns
// (cl.namespace()).
func (s *Server) ownerAndWorkdir(cl *client, ns Namespace, r request, paths []string) (unix.Errno, uint64, uint64) {
	switch r.label {
	case LabelChown:
		// The ids are the machine's, as stat records' are: a client in a container
		// maps its ids through the container's mapping (the Linux personality does,
		// refusing ids the container cannot name), and the namespace's credentials
		// decide whether the change is allowed, so no client gets ids it could not
		// give itself.
		type chowner interface {
			Chown(string, uint32, uint32) error
			Lchown(string, uint32, uint32) error
		}
		c, ok := ns.(chowner)
		if !ok {
			return unix.ENOSYS, 0, 0
		}
		if r.arg&ChownNoFollow != 0 {
			return errnoOf(c.Lchown(paths[0], r.uid, r.gid)), 0, 0
		}
		return errnoOf(c.Chown(paths[0], r.uid, r.gid)), 0, 0
	case LabelChdir:
		d, ok := ns.(*skyfs.Dir)
		if !ok {
			return unix.ENOSYS, 0, 0 // a view has mounts, not one directory to start from
		}
		at, err := d.At(paths[0])
		if err != nil {
			return errnoOf(err), 0, 0
		}
		cl.wd = workdir{ns: at, buf: cl.m}
		return 0, 0, 0
	case LabelFence:
		d, ok := ns.(*skyfs.Dir)
		if !ok {
			return unix.ENOSYS, 0, 0 // a view resolves its own mounts
		}
		fenced, err := d.Fence(paths[0])
		if err != nil {
			return errnoOf(err), 0, 0
		}
		cl.wd = workdir{ns: fenced, buf: cl.m}
		return 0, 0, 0
	}
	return unix.ENOSYS, 0, 0
}
