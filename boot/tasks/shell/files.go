package main

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/hal/virtio"
	"github.com/skyscope-os/skyscope/hal/virtio/userbus"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/fscmd"
)

// The shell's files: the first file command finds the machine's virtio-blk disk
// through the System object, drives it from this task (polling: the shell holds no
// interrupt line) and mounts SKYAIFS on it, formatting a disk that is all zeros. This
// is a stepping stone: the filesystem is to become its own service task, and these
// commands its clients.

// Slots the disk driver uses, clear of the ones ctr and peek take.
const (
	diskDevSlot  abi.CPtr = 210
	diskNextSlot abi.CPtr = 211 // and up: register and DMA frames
)

// disk returns the mounted filesystem, mounting it on first use.
func (s *shell) disk() (*fs.FS, error) {
	if s.files != nil {
		return s.files, nil
	}
	if _, err := userbus.Find(s.e, s.sys, virtio.Vendor, virtio.IDBlock, diskDevSlot); err != nil {
		return nil, fmt.Errorf("no disk: %w (make run attaches build/disk.img; skyrun takes -disk FILE)", err)
	}
	b := userbus.New(s.e, diskDevSlot, diskNextSlot)
	b.NextVA = abi.FrameWindow + 64*abi.PageSize // peek maps at the window's first page
	drv, err := b.Block()
	if err != nil {
		return nil, err
	}
	dev, err := block.NewSectors(drv, virtio.MaxTransfer)
	if err != nil {
		return nil, err
	}
	f, formatted, err := fscmd.MountOrFormat(dev, fs.Options{})
	if err != nil {
		return nil, fmt.Errorf("the disk holds no SKYAIFS filesystem I can mount: %w", err)
	}
	if formatted {
		fmt.Fprintf(s.out, "formatting the empty disk (%d MiB) with SKYAIFS\n", dev.Blocks()*block.Size>>20)
	}
	s.files = f
	return f, nil
}

// fileCommand runs one of fscmd's commands under the shell's own name for it.
func fileCommand(name string) func(s *shell, args []string) error {
	return func(s *shell, args []string) error {
		f, err := s.disk()
		if err != nil {
			return err
		}
		return fscmd.Run(f, s.out, append([]string{name}, args...))
	}
}

// unmountFiles writes everything out before the machine powers off.
func (s *shell) unmountFiles() error {
	if s.files == nil {
		return nil
	}
	err := s.files.Unmount()
	s.files = nil
	if err != nil {
		return errors.Join(errors.New("unmounting the disk"), err)
	}
	return nil
}
