package fileproto

import (
	"bytes"
	"errors"
	iofs "io/fs"
	pathpkg "path"

	"github.com/skyscope-os/skyscope/kernel/abi"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/view"
	"golang.org/x/sys/unix"
)

// Registering a container's view with a running file server (LabelAddView): the
// task that makes a container (the shell's ctr, a container runtime) holds the
// server's admin badge; it sends the container's capability and the descriptor's
// mounts, and a badge it will mint for the container's tasks. The server asks the
// kernel for the container's ids (ContainerCred) and builds the view in the admin's
// own namespace (view.Build), so the admin cannot give away more than it sees. With
// Config.Charges the server keeps the Container capability and charges the view's
// reads and writes to the container's I/O limits (charge.go).

// EncodeMounts is the wire form of a view's mounts: for each, source, NUL, target,
// NUL, "ro" or "rw", NUL.
func EncodeMounts(specs []view.Spec) []byte {
	var b []byte
	for _, s := range specs {
		mode := "rw"
		if s.ReadOnly {
			mode = "ro"
		}
		b = append(b, s.Source...)
		b = append(b, 0)
		b = append(b, s.Target...)
		b = append(b, 0)
		b = append(b, mode...)
		b = append(b, 0)
	}
	return b
}

// DecodeMounts checks and decodes EncodeMounts's form: 1…MaxViewMounts mounts, every
// path absolute, clean and at most PathMax bytes, the mode "ro" or "rw", targets
// distinct, nothing after the last NUL.
func DecodeMounts(b []byte) ([]view.Spec, bool) {
	if len(b) == 0 || b[len(b)-1] != 0 {
		return nil, false
	}
	f := bytes.Split(b[:len(b)-1], []byte{0})
	if len(f)%3 != 0 || len(f)/3 > MaxViewMounts {
		return nil, false
	}
	var out []view.Spec
	seen := map[string]bool{}
	for i := 0; i < len(f); i += 3 {
		src, dst, mode := string(f[i]), string(f[i+1]), string(f[i+2])
		for _, p := range []string{src, dst} {
			if len(p) == 0 || len(p) > PathMax || !pathpkg.IsAbs(p) || pathpkg.Clean(p) != p {
				return nil, false
			}
		}
		if (mode != "ro" && mode != "rw") || seen[dst] {
			return nil, false
		}
		seen[dst] = true
		out = append(out, view.Spec{Source: src, Target: dst, ReadOnly: mode == "ro"})
	}
	return out, true
}

// addView carries out LabelAddView; the Container capability is in the receive slot.
func (s *Server) addView(cl *client, r request) (unix.Errno, uint64, uint64) {
	if s.c.Admin == 0 || cl.badge != s.c.Admin {
		return unix.EPERM, 0, 0
	}
	badge := abi.Badge(r.arg)
	if s.clients[badge] != nil || badge == s.c.Supervisor || badge == s.c.Coordinator {
		return unix.EEXIST, 0, 0
	}
	root, ok := cl.ns.(*skyfs.Dir)
	if !ok {
		return unix.EOPNOTSUPP, 0, 0 // an admin inside a view cannot hand out mounts
	}
	b := s.scratch[:r.n]
	s.e.Load(cl.m.OutputVA(), b)
	specs, ok := DecodeMounts(b)
	if !ok {
		return unix.EINVAL, 0, 0
	}
	cred, err := ContainerCred(s.e, s.c.Recv)
	if err != nil {
		return unix.EINVAL, 0, 0
	}
	v, err := view.Build(root, cred, specs)
	if err != nil {
		var en unix.Errno
		if errors.As(err, &en) || errors.Is(err, iofs.ErrNotExist) {
			return errnoOf(err), 0, 0
		}
		return unix.EINVAL, 0, 0
	}
	if err := s.AddClient(badge, v); err != nil {
		return unix.EEXIST, 0, 0
	}
	nc := s.clients[badge]
	nc.view = true
	if errno := s.keepCharge(nc); errno != 0 {
		delete(s.clients, badge)
		return errno, 0, 0
	}
	return 0, 0, 0
}

// AddView asks the server (this client must hold its admin badge) to serve the
// holders of badge the view of mounts of this client's namespace, acting as the
// container ctr's root mapped to the machine's ids. The caller then mints badge on
// the server's endpoint for the container's tasks.
func (c *Client) AddView(ctr abi.CPtr, badge abi.Badge, mounts []view.Spec) error {
	b := EncodeMounts(mounts)
	if len(b) == 0 || uint64(len(b)) > c.size {
		return &iofs.PathError{Op: "addview", Path: "", Err: unix.EINVAL}
	}
	c.e.Store(c.va, b)
	c.e.SetMR(0, uint64(badge))
	c.e.SetMR(1, uint64(len(b)))
	c.e.SetCap(0, ctr)
	if _, _, err := c.callN(LabelAddView, 2, 1); err != nil {
		return &iofs.PathError{Op: "addview", Path: "", Err: err}
	}
	return nil
}
