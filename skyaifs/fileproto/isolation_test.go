package fileproto

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/view"
	"golang.org/x/sys/unix"
)

// raw makes a request with arbitrary words (and capabilities) on the file endpoint
// and returns the reply's errno.
func raw(e *user.Env, label, w0, w1, w2 uint64, caps ...abi.CPtr) unix.Errno {
	e.SetMR(0, w0)
	e.SetMR(1, w1)
	e.SetMR(2, w2)
	for i, c := range caps {
		e.SetCap(i, c)
	}
	if _, err := e.Call(slotGrant0, abi.NewMsgInfo(label, 3, len(caps))); err != nil {
		return unix.Errno(1000 + uint64(err.(abi.Errno)))
	}
	return unix.Errno(e.MR(0))
}

// remoteDump describes the client's whole tree and the filesystem's free counts.
func remoteDump(c *Client) string {
	var b strings.Builder
	var walk func(dir string)
	walk = func(dir string) {
		es, err := c.ReadDir(dir)
		fmt.Fprintf(&b, "%s: %d entries %v\n", dir, len(es), err)
		for _, e := range es {
			p := strings.TrimSuffix(dir, "/") + "/" + e.Name
			st, err := c.Lstat(p)
			fmt.Fprintf(&b, "%s %d %o %d %d %v\n", p, st.Ino, st.Mode, st.Size, st.Nlink, err)
			if st.IsDir() {
				walk(p)
			} else if f, err := c.Open(p, os.O_RDONLY, 0); err == nil {
				data := make([]byte, st.Size)
				n, err := f.ReadAt(data, 0)
				fmt.Fprintf(&b, "  %d %x %v\n", n, sha256.Sum256(data), err)
				f.Close()
			}
		}
	}
	walk("/")
	st, err := c.Statfs()
	fmt.Fprintf(&b, "statfs %+v %v\n", st, err)
	return b.String()
}

// TestIsolationAndMalformed: a client cannot use another client's handle (EBADF for
// every operation, the owner's file unchanged and its handle still good); a client
// whose namespace is a view of /b cannot name anything outside it; a task whose badge
// the server does not know is refused everything (EPERM); and every malformed request
// gets its errno and changes nothing in the tree.
func TestIsolationAndMalformed(t *testing.T) {
	var (
		errs    []error
		handleA uint64
		bDone   bool
		done    [4]bool
		errf    = func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
		expect  = func(what string, got, want unix.Errno) {
			if got != want {
				errf("%s: %v (%d), want %v", what, got, got, want)
			}
		}
		expectErr = func(what string, err error, want unix.Errno) {
			if !errors.Is(err, want) {
				errf("%s: %v, want %v", what, err, want)
			}
		}
	)
	secret := []byte("client A's secret contents")
	clientA := func(e *user.Env) {
		defer func() { done[0] = true }()
		c, err := attach(e, 4)
		if err != nil {
			errf("A attach: %v", err)
			return
		}
		f, err := c.Open("/a.txt", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			errf("A open: %v", err)
			return
		}
		if _, err := f.WriteAt(secret, 0); err != nil {
			errf("A write: %v", err)
		}
		handleA = f.Handle()
		for !bDone {
			e.Yield()
			e.Compute(10_000)
		}
		got := make([]byte, 100)
		n, err := f.ReadAt(got, 0)
		if err != io.EOF || string(got[:n]) != string(secret) {
			errf("A reads back %q, %v after B's attempts", got[:n], err)
		}
		if st, err := f.Stat(); err != nil || st.Size != uint64(len(secret)) {
			errf("A's file: size %d, %v", st.Size, err)
		}
		if err := f.Close(); err != nil {
			errf("A close: %v", err)
		}
	}
	clientB := func(e *user.Env) {
		defer func() { done[1] = true; bDone = true }()
		c, err := attach(e, 2)
		if err != nil {
			errf("B attach: %v", err)
			return
		}
		for handleA == 0 {
			e.Yield()
			e.Compute(10_000)
		}
		stolen := c.FileWithHandle(handleA, "stolen")
		_, err = stolen.ReadAt(make([]byte, 10), 0)
		expectErr("B reads A's handle", err, unix.EBADF)
		_, err = stolen.WriteAt([]byte("overwritten"), 0)
		expectErr("B writes A's handle", err, unix.EBADF)
		expectErr("B truncates A's handle", stolen.Truncate(0), unix.EBADF)
		expectErr("B syncs A's handle", stolen.Sync(), unix.EBADF)
		_, err = stolen.Stat()
		expectErr("B stats A's handle", err, unix.EBADF)
		expectErr("B closes A's handle", stolen.Close(), unix.EBADF)
		// B's namespace is /b: A's file cannot be named.
		for _, p := range []string{"/a.txt", "/../a.txt", "/b/../a.txt", "../../a.txt"} {
			_, err := c.Stat(p)
			expectErr("B stats "+p, err, unix.ENOENT)
		}
		if err := c.Symlink("/../../a.txt", "/l"); err != nil {
			errf("B symlink: %v", err)
		}
		_, err = c.Open("/l", os.O_RDONLY, 0)
		expectErr("B opens a link out of its view", err, unix.ENOENT)
		es, err := c.ReadDir("/")
		if err != nil || len(es) != 1 || es[0].Name != "l" {
			errf("B lists its root: %v %v", es, err)
		}
	}
	clientC := func(e *user.Env) {
		defer func() { done[2] = true }()
		expect("stat before attach", raw(e, LabelStat, 1, 1, 0), unix.ENOTCONN)
		expect("unknown label before attach", raw(e, 0x1234, 0, 0, 0), unix.ENOSYS)
		slots := &user.Slots{Next: slotFree, Limit: 256}
		r, err := region(e, slots, abi.FrameWindow, MinBufferPages)
		if err != nil {
			errf("C region: %v", err)
			return
		}
		small, _ := region(e, slots, abi.FrameWindow+0x100000, 1)
		expect("attach of 1 page", raw(e, LabelAttach, 1, 0, 0, small.CSpace), unix.EINVAL)
		expect("attach of missing frames", raw(e, LabelAttach, 3, 0, 0, r.CSpace), unix.EINVAL)
		expect("attach without capability", raw(e, LabelAttach, 2, 0, 0), unix.EINVAL)
		c, err := Attach(e, slotGrant0, r, abi.InitSlotCSpace, slotScratch)
		if err != nil {
			errf("C attach: %v", err)
			return
		}
		c.Mkdir("/dir", 0o755)
		c.Symlink("/a.txt", "/dir/link")
		f, _ := c.Open("/dir/file", os.O_RDWR|os.O_CREATE, 0o644)
		f.WriteAt([]byte("c's file"), 0)
		f.Close() // a handle that is closed is as invalid as one never given
		g, _ := c.Open("/dir/file", os.O_RDONLY, 0)
		before := remoteDump(c)
		put := func(s string) { e.Store(r.OutputVA(), []byte(s)) }
		put("/dir/new\x00evil")
		size := r.OutPages * abi.PageSize
		cases := []struct {
			what       string
			label      uint64
			w0, w1, w2 uint64
			want       unix.Errno
		}{
			{"second attach", LabelAttach, 2, 0, 0, unix.EINVAL}, // no capability sent
			{"unknown label", 0xf11e_0099, 0, 0, 0, unix.ENOSYS},
			{"label 0", 0, 0, 0, 0, unix.ENOSYS},
			{"open of an empty path", LabelOpen, unix.O_CREAT | unix.O_RDWR, 0o644, 0, unix.ENOENT},
			{"open of a path longer than PATH_MAX", LabelOpen, unix.O_CREAT | unix.O_RDWR, 0o644, PathMax + 1, unix.ENAMETOOLONG},
			{"open of a path past the buffer", LabelOpen, unix.O_CREAT, 0, size + 1, unix.ENAMETOOLONG},
			{"open of a path with NUL", LabelOpen, unix.O_CREAT | unix.O_RDWR, 0o644, 13, unix.EINVAL},
			{"open with unknown flags", LabelOpen, unix.O_CREAT | 1<<40, 0o644, 8, unix.EINVAL},
			{"open with O_WRONLY|O_RDWR", LabelOpen, unix.O_CREAT | unix.O_WRONLY | unix.O_RDWR, 0o644, 8, unix.EINVAL},
			{"open with bad permissions", LabelOpen, unix.O_CREAT, 0o10000, 8, unix.EINVAL},
			{"mkdir of a path with NUL", LabelMkdir, 13, 0o755, 0, unix.EINVAL},
			{"mkdir with bad permissions", LabelMkdir, 8, 0o170000, 0, unix.EINVAL},
			{"pread past the buffer", LabelPread, g.Handle(), 0, size + 1, unix.EINVAL},
			{"pread at offset 2^63", LabelPread, g.Handle(), 1 << 63, 10, unix.EINVAL},
			{"pwrite past the buffer", LabelPwrite, g.Handle(), 0, size + 1, unix.EINVAL},
			{"pwrite to a read-only handle", LabelPwrite, g.Handle(), 0, 4, unix.EBADF},
			{"pread of handle 0", LabelPread, 0, 0, 10, unix.EBADF},
			{"pwrite of a closed handle", LabelPwrite, f.Handle(), 0, 4, unix.EBADF},
			{"pwrite of an unknown handle", LabelPwrite, 1 << 50, 0, 4, unix.EBADF},
			{"ftruncate to 2^63", LabelFtrunc, g.Handle(), 1 << 63, 0, unix.EINVAL},
			{"ftruncate of a read-only handle", LabelFtrunc, g.Handle(), 0, 0, unix.EBADF},
			{"truncate to 2^63", LabelTruncate, 9, 1 << 63, 0, unix.EINVAL},
			{"stat with follow 2", LabelStat, 8, 2, 0, unix.EINVAL},
			{"remove of kind 3", LabelRemove, 8, 3, 0, unix.EINVAL},
			{"remove of a path with NUL", LabelRemove, 13, RemoveAny, 0, unix.EINVAL},
			{"readdir after a 256-byte name", LabelReaddir, 4, 256, 0, unix.EINVAL},
			{"rename to an empty path", LabelRename, 8, 0, 0, unix.ENOENT},
			{"rename of a path with NUL", LabelRename, 13, 4, 0, unix.EINVAL},
			{"symlink with a too long target", LabelSymlink, PathMax + 1, 4, 0, unix.ENAMETOOLONG},
			{"readlink of an empty path", LabelReadlink, 0, 0, 0, unix.ENOENT},
		}
		for _, k := range cases {
			put("/dir/new\x00evil")
			expect(k.what, raw(e, k.label, k.w0, k.w1, k.w2), k.want)
		}
		expect("close with a capability", raw(e, LabelClose, g.Handle(), 0, 0, small.CSpace), unix.EINVAL)
		if after := remoteDump(c); after != before {
			errf("malformed requests changed the tree:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		// Attaching again (what a restarted client does) starts a new session: the
		// old handles are closed, the new buffer works.
		r2, err := region(e, slots, abi.FrameWindow+0x200000, 3)
		if err != nil {
			errf("C second region: %v", err)
			return
		}
		c2, err := Attach(e, slotGrant0, r2, abi.InitSlotCSpace, slotScratch)
		if err != nil {
			errf("C attach again: %v", err)
			return
		}
		expect("pread of a handle from the previous session", raw(e, LabelPread, g.Handle(), 0, 1), unix.EBADF)
		if after := remoteDump(c2); after != before {
			errf("the tree through the new buffer differs:\nbefore:\n%s\nafter:\n%s", before, after)
		}
		if err := c2.Close(); err != nil {
			errf("C detach: %v", err)
		}
		expect("stat after detach", raw(e, LabelStat, 1, 1, 0), unix.ENOTCONN)
	}
	intruder := func(e *user.Env) {
		defer func() { done[3] = true }()
		expect("intruder's stat", raw(e, LabelStat, 1, 1, 0), unix.EPERM)
		expect("intruder's sync", raw(e, LabelSync, 0, 0, 0), unix.EPERM)
		_, err := attach(e, 2)
		expectErr("intruder's attach", err, unix.EPERM)
	}
	w := &world{dev: formatted(t),
		setup: func(f *skyfs.FS, s *Server) error {
			if err := f.Mkdir("/b", 0o755); err != nil {
				return err
			}
			sub, err := f.Sub("/b")
			if err != nil {
				return err
			}
			v, err := view.New(view.Mount{Path: "/", Dir: sub, Rights: view.Read | view.Write})
			if err != nil {
				return err
			}
			for _, c := range []struct {
				b  abi.Badge
				ns Namespace
			}{{0x101, f.Root()}, {0x102, v}, {0x103, f.Root()}} {
				if err := s.AddClient(c.b, c.ns); err != nil {
					return err
				}
			}
			return nil
		},
		clients: []clientSpec{{0x101, clientA}, {0x102, clientB}, {0x103, clientC}, {0x1ff, intruder}},
	}
	w.run(t)
	for i, d := range done {
		if !d {
			t.Errorf("client %d did not finish", i)
		}
	}
	for _, err := range errs {
		t.Error(err)
	}
}
