package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
)

// A simulated machine's disk: a SKYAIFS filesystem on a file-backed block device
// (-disk FILE, made and formatted on first use), which script lines starting with fs
// use. -crash-after-writes N cuts the power after N block writes: every later
// request fails, nothing is unmounted, and the image holds what a disk would hold
// after such a cut (skyctl fs fsck FILE must find it clean).

// diskBlocks is the size of a disk image skysim makes: 64 MiB.
const diskBlocks = 64 << 20 / block.Size

// disk is the machine's mounted filesystem.
type disk struct {
	path string
	dev  block.Device
	file *block.File
	cut  *block.CutAfter // nil without -crash-after-writes
	fs   *fs.FS
}

// openDisk opens (or makes) the image at path and mounts it, formatting an image
// that holds no filesystem yet.
func openDisk(path string, crashAfter int64) (*disk, error) {
	var f *block.File
	var err error
	if _, statErr := os.Stat(path); errors.Is(statErr, os.ErrNotExist) {
		f, err = block.Create(path, diskBlocks)
	} else {
		f, err = block.Open(path)
	}
	if err != nil {
		return nil, err
	}
	d := &disk{path: path, dev: f, file: f}
	if crashAfter >= 0 {
		d.cut = block.NewCutAfter(f, uint64(crashAfter))
		d.dev = d.cut
	}
	opts := fs.Options{}
	if d.fs, err = fs.Mount(d.dev, opts); err != nil {
		if !isUnformatted(f) {
			f.Close()
			return nil, fmt.Errorf("%s: %w (skyctl fs fsck --repair can mend it)", path, err)
		}
		if err := fs.Mkfs(d.dev, opts); err != nil {
			f.Close()
			return nil, fmt.Errorf("formatting %s: %w", path, err)
		}
		if d.fs, err = fs.Mount(d.dev, opts); err != nil {
			f.Close()
			return nil, err
		}
	}
	return d, nil
}

// isUnformatted reports whether the image's first block is all zeros (a new image).
func isUnformatted(f *block.File) bool {
	b := make([]byte, block.Size)
	if f.ReadBlocks(0, b) != nil {
		return false
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// close unmounts the filesystem, unless the power was cut (then nothing more reaches
// the disk: that is the point).
func (d *disk) close() error {
	defer d.file.Close()
	if d.cut != nil && d.cut.Cut() {
		return fmt.Errorf("power cut after the configured block writes; the image is as a crash left it")
	}
	return d.fs.Unmount()
}

// run serves one script line's fs subcommand.
func (d *disk) run(out io.Writer, args []string) error {
	if d == nil {
		return errors.New("no disk: start skysim with -disk FILE")
	}
	if len(args) == 0 {
		return errors.New("usage: fs write|append PATH TEXT... | cat PATH | ls [PATH] | mkdir PATH | rm PATH | mv FROM TO | sync | df")
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
		flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if args[0] == "append" {
			flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := d.fs.OpenFile(args[1], flags, 0o644)
		if err != nil {
			return err
		}
		if _, err := f.Write([]byte(strings.Join(args[2:], " ") + "\n")); err != nil {
			f.Close()
			return err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	case "cat":
		if err := need(1); err != nil {
			return err
		}
		f, err := d.fs.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(out, f)
		return err
	case "ls":
		dir := "/"
		if len(args) > 1 {
			dir = args[1]
		}
		ents, err := d.fs.Readdir(dir)
		if err != nil {
			return err
		}
		sort.Slice(ents, func(i, j int) bool { return ents[i].Name < ents[j].Name })
		for _, e := range ents {
			fmt.Fprintln(out, e.Name)
		}
		return nil
	case "mkdir":
		if err := need(1); err != nil {
			return err
		}
		return d.fs.Mkdir(args[1], 0o755)
	case "rm":
		if err := need(1); err != nil {
			return err
		}
		st, err := d.fs.Lstat(args[1])
		if err != nil {
			return err
		}
		if st.IsDir() {
			return d.fs.Rmdir(args[1])
		}
		return d.fs.Unlink(args[1])
	case "mv":
		if err := need(2); err != nil {
			return err
		}
		return d.fs.Rename(args[1], args[2])
	case "sync":
		return d.fs.Sync()
	case "df":
		st, err := d.fs.Statfs()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %d of %d blocks free, %d of %d inodes free\n", d.path, st.FreeBlocks, st.DataBlocks, st.FreeInodes, st.Inodes)
		return nil
	}
	return fmt.Errorf("unknown fs subcommand %q", args[0])
}
