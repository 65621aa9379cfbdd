// Package fscmd is the file commands people type — write, append, cat, ls, mkdir, rm,
// mv, sync, df — over a mounted SKYAIFS filesystem, shared by the machine's shell and
// the simulation's scripts so both behave alike. Each write or append fsyncs the file:
// what a command printed as done survives a crash.
package fscmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
)

// Usage is the commands' synopsis.
const Usage = "write|append PATH TEXT... | cat PATH | ls [PATH] | stat PATH | mkdir PATH [MODE] | rm PATH | mv FROM TO | encrypt DIR KEYID | sync | df | bench [MiB]"

// ModeMaker is a Files that makes directories with a given mode (mkdir PATH MODE).
type ModeMaker interface {
	MkdirMode(path string, perm uint32) error
}

// Stater is a Files that describes a name (stat PATH).
type Stater interface {
	Lstat(path string) (fs.Stat, error)
}

// Encrypter is a Files that can set encryption policies (Remote: through the file
// server, whose key provider on the machine is the storage vault).
type Encrypter interface {
	SetEncryption(dir, keyID string) error
}

// Files is what the commands need of a filesystem: the filesystem in this task
// (Local) or one served by the filesystem task over the file protocol (Remote).
type Files interface {
	// WriteFile writes data to path (creating it; replacing its contents unless
	// appendTo) and fsyncs it.
	WriteFile(path string, data []byte, appendTo bool) error
	// ReadFile copies path's contents to out.
	ReadFile(path string, out io.Writer) error
	// Names lists the names in directory path.
	Names(path string) ([]string, error)
	Mkdir(path string) error
	// Remove removes a file or an empty directory.
	Remove(path string) error
	Rename(from, to string) error
	Sync() error
	Statfs() (fs.Statfs, error)
	// OpenFile opens path with os.O_* flags (creating it with mode 0644).
	OpenFile(path string, flags int) (FileIO, error)
}

// Run serves one command (args[0] is its name) on f, writing what it shows to out.
func Run(f Files, out io.Writer, args []string) error {
	if len(args) == 0 {
		return errors.New("usage: " + Usage)
	}
	need := func(n int) error {
		if len(args) < n+1 {
			return fmt.Errorf("fs %s needs %d argument(s)", args[0], n)
		}
		return nil
	}
	switch args[0] {
	case "write", "append":
		if err := need(2); err != nil {
			return err
		}
		return f.WriteFile(args[1], []byte(strings.Join(args[2:], " ")+"\n"), args[0] == "append")
	case "cat":
		if err := need(1); err != nil {
			return err
		}
		return f.ReadFile(args[1], out)
	case "ls":
		dir := "/"
		if len(args) > 1 {
			dir = args[1]
		}
		names, err := f.Names(dir)
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintln(out, n)
		}
		return nil
	case "mkdir":
		if err := need(1); err != nil {
			return err
		}
		if len(args) < 3 {
			return f.Mkdir(args[1])
		}
		perm, err := strconv.ParseUint(args[2], 8, 32)
		if err != nil || perm > 0o7777 {
			return fmt.Errorf("mkdir: mode %q: want octal 0–7777", args[2])
		}
		m, ok := f.(ModeMaker)
		if !ok {
			return errors.New("mkdir: a mode is not supported here")
		}
		return m.MkdirMode(args[1], uint32(perm))
	case "stat":
		if err := need(1); err != nil {
			return err
		}
		s, ok := f.(Stater)
		if !ok {
			return errors.New("stat: not supported here")
		}
		st, err := s.Lstat(args[1])
		if err != nil {
			return err
		}
		kind := map[uint32]string{0o040000: "directory", 0o100000: "file", 0o120000: "symlink"}[st.Mode&0o170000]
		enc := ""
		if st.Encrypted {
			enc = " encrypted"
		}
		fmt.Fprintf(out, "%s: %s mode %04o uid %d gid %d size %d%s\n", args[1], kind, st.Mode&0o7777, st.UID, st.GID, st.Size, enc)
		return nil
	case "rm":
		if err := need(1); err != nil {
			return err
		}
		return f.Remove(args[1])
	case "mv":
		if err := need(2); err != nil {
			return err
		}
		return f.Rename(args[1], args[2])
	case "encrypt":
		if err := need(2); err != nil {
			return err
		}
		e, ok := f.(Encrypter)
		if !ok {
			return errors.New("encrypt: not supported here")
		}
		return e.SetEncryption(args[1], args[2])
	case "sync":
		return f.Sync()
	case "bench":
		mib := int64(8)
		if len(args) > 1 {
			n, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || n < 1 || n > 1024 {
				return fmt.Errorf("bench: size %q: want 1 to 1024 (MiB)", args[1])
			}
			mib = n
		}
		r, err := Bench(f, "/.bench", mib<<20, time.Now)
		if err != nil {
			f.Remove("/.bench/seq")
			return fmt.Errorf("bench: %w", err)
		}
		fmt.Fprint(out, r)
		return nil
	case "df":
		st, err := f.Statfs()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d of %d blocks of %d bytes free (%d KiB), %d of %d inodes free\n",
			st.FreeBlocks, st.DataBlocks, st.BlockSize, st.FreeBlocks*st.BlockSize>>10, st.FreeInodes, st.Inodes)
		return nil
	}
	return fmt.Errorf("unknown fs subcommand %q", args[0])
}

// Local is Files over a filesystem mounted in this task.
type Local struct{ FS *fs.FS }

// WriteFile implements Files.
func (l Local) WriteFile(path string, data []byte, appendTo bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	h, err := l.FS.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	if _, err := h.Write(data); err != nil {
		h.Close()
		return err
	}
	if err := h.Sync(); err != nil {
		h.Close()
		return err
	}
	return h.Close()
}

// ReadFile implements Files.
func (l Local) ReadFile(path string, out io.Writer) error {
	h, err := l.FS.Open(path)
	if err != nil {
		return err
	}
	defer h.Close()
	_, err = io.Copy(out, h)
	return err
}

// Names implements Files.
func (l Local) Names(path string) ([]string, error) {
	ents, err := l.FS.Readdir(path)
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name
	}
	return names, err
}

// Mkdir implements Files.
func (l Local) Mkdir(path string) error { return l.FS.Mkdir(path, 0o755) }

// MkdirMode implements ModeMaker.
func (l Local) MkdirMode(path string, perm uint32) error { return l.FS.Mkdir(path, perm) }

// Lstat implements Stater.
func (l Local) Lstat(path string) (fs.Stat, error) { return l.FS.Lstat(path) }

// Remove implements Files.
func (l Local) Remove(path string) error {
	st, err := l.FS.Lstat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return l.FS.Rmdir(path)
	}
	return l.FS.Unlink(path)
}

// Rename implements Files.
func (l Local) Rename(from, to string) error { return l.FS.Rename(from, to) }

// Sync implements Files.
func (l Local) Sync() error { return l.FS.Sync() }

// Statfs implements Files.
func (l Local) Statfs() (fs.Statfs, error) { return l.FS.Statfs() }

// MountOrFormat mounts the filesystem on dev; a disk whose first block is all zeros (a
// new, empty disk) is formatted first. formatted says whether it was. Any other disk
// that does not mount is an error: it holds something, perhaps a damaged filesystem
// that fsck --repair can mend, and is not overwritten.
func MountOrFormat(dev block.Device, opts fs.Options) (f *fs.FS, formatted bool, err error) {
	f, err = fs.Mount(dev, opts)
	if err == nil {
		return f, false, nil
	}
	first := make([]byte, block.Size)
	if rerr := dev.ReadBlocks(0, first); rerr != nil || !allZero(first) {
		return nil, false, err
	}
	if err := fs.Mkfs(dev, opts); err != nil {
		return nil, false, fmt.Errorf("formatting the empty disk: %w", err)
	}
	f, err = fs.Mount(dev, opts)
	return f, err == nil, err
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
