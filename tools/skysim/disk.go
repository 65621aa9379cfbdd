package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/fscmd"
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
	if d.fs, _, err = fscmd.MountOrFormat(d.dev, fs.Options{}); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w (skyctl fs fsck --repair can mend a damaged filesystem)", path, err)
	}
	return d, nil
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
	return fscmd.Run(fscmd.Local{FS: d.fs}, out, args)
}
