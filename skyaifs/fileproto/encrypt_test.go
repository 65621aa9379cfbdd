package fileproto

import (
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/view"
	"golang.org/x/sys/unix"
)

// TestSetEncryptionThroughProtocol: a client gives an empty directory an encryption
// policy through the file server, and what it writes there is encrypted on disk and
// reads back; a non-empty directory gives ENOTEMPTY, a bad key id EINVAL, a client
// acting as another uid EACCES (only the owner sets a policy), a view EOPNOTSUPP.
func TestSetEncryptionThroughProtocol(t *testing.T) {
	var errs []error
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	expect := func(what string, err error, want unix.Errno) {
		if !errors.Is(err, want) {
			errf("%s: %v, want %v", what, err, want)
		}
	}
	var fsys *skyfs.FS
	done, checked := false, 0
	owner := func(e *user.Env) {
		defer func() { done = true }()
		c, err := attach(e, 2)
		if err != nil {
			errf("attach: %v", err)
			return
		}
		if err := c.SetEncryption("/enc", "notes"); err != nil {
			errf("set encryption: %v", err)
			return
		}
		expect("non-empty directory", c.SetEncryption("/full", "notes"), unix.ENOTEMPTY)
		expect("key id too long", c.SetEncryption("/enc", "seventeen-bytes!!"), unix.EINVAL)
		f, err := c.Open("/enc/f", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			errf("create: %v", err)
			return
		}
		if _, err := f.WriteAt([]byte("sealed"), 0); err != nil {
			errf("write: %v", err)
		}
		b := make([]byte, 16)
		if n, err := f.ReadAt(b, 0); err != io.EOF || string(b[:n]) != "sealed" {
			errf("read back %q %v", b[:n], err)
		}
		f.Close()
		if st, err := fsys.Stat("/enc/f"); err != nil || !st.Encrypted {
			errf("/enc/f not encrypted: %+v %v", st, err)
		}
	}
	other := func(e *user.Env) {
		for !done {
			e.Yield()
			e.Compute(10_000)
		}
		c, err := attach(e, 2)
		if err != nil {
			errf("attach: %v", err)
			return
		}
		expect("not the owner", c.SetEncryption("/empty", "notes"), unix.EACCES)
		checked++
	}
	viewClient := func(e *user.Env) {
		for !done {
			e.Yield()
			e.Compute(10_000)
		}
		c, err := attach(e, 2)
		if err != nil {
			errf("attach: %v", err)
			return
		}
		expect("through a view", c.SetEncryption("/empty", "notes"), unix.EOPNOTSUPP)
		checked++
	}
	w := &world{dev: formatted(t), keys: skyfs.DerivedKeys{Secret: []byte("a test secret of some length....")},
		setup: func(f *skyfs.FS, s *Server) error {
			fsys = f
			for _, d := range []string{"/enc", "/full", "/empty"} {
				if err := f.Mkdir(d, 0o777); err != nil {
					return err
				}
			}
			if err := f.WriteFile("/full/x", nil, 0o644); err != nil {
				return err
			}
			v, err := view.New(view.Mount{Path: "/", Dir: f.Root(), Rights: view.Read | view.Write})
			if err != nil {
				return err
			}
			if err := s.AddClient(1, f.Root()); err != nil {
				return err
			}
			if err := s.AddClient(2, f.Root().As(skyfs.Cred{UID: 100000, GID: 100000})); err != nil {
				return err
			}
			return s.AddClient(3, v)
		},
		clients: []clientSpec{{1, owner}, {2, other}, {3, viewClient}}}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	if !done || checked != 2 {
		t.Errorf("the owner finished: %v; %d of 2 other clients checked", done, checked)
	}
}
