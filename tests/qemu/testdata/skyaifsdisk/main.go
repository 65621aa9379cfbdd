// Command skyaifsdisk runs SKYAIFS on a virtio-blk disk from ring 3 (run as init by
// TestSKYAIFSOnVirtio): on an empty disk it makes a filesystem, writes and fsyncs a
// file and unmounts; on a disk that has one it mounts it (replaying the journal) and
// prints the file, so a second boot shows what the first wrote.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/hal/virtio"
	"github.com/skyscope-os/skyscope/hal/virtio/userbus"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
)

func fail(format string, args ...any) {
	fmt.Printf("skyaifsdisk: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	e := usercall.Env()
	const devSlot, irq, ntfn = abi.CPtr(20), abi.CPtr(21), abi.CPtr(22)
	info, err := userbus.Find(e, abi.InitSlotSystem, virtio.Vendor, virtio.IDBlock, devSlot)
	if err != nil {
		fail("%v", err)
	}
	b := userbus.New(e, devSlot, 30)
	disk, err := b.Block()
	if err != nil {
		fail("%v", err)
	}
	if err := b.Interrupts(abi.InitSlotIRQControl, int(info.IRQ), irq, ntfn, disk); err != nil {
		fail("%v", err)
	}
	dev, err := block.NewSectors(disk, virtio.MaxTransfer)
	if err != nil {
		fail("%v", err)
	}
	opts := fs.Options{}
	f, err := fs.Mount(dev, opts)
	if err != nil {
		fmt.Printf("skyaifsdisk: no filesystem (%v); making one on %d blocks\n", err, dev.Blocks())
		if err := fs.Mkfs(dev, opts); err != nil {
			fail("mkfs: %v", err)
		}
		if f, err = fs.Mount(dev, opts); err != nil {
			fail("mount after mkfs: %v", err)
		}
	}
	const name = "/notes/boot.txt"
	if r, err := f.Open(name); err == nil {
		b, _ := io.ReadAll(r)
		fmt.Printf("skyaifsdisk: %s holds %q\n", name, b)
		r.Close()
	} else if errors.Is(err, os.ErrNotExist) {
		if err := f.Mkdir("/notes", 0o755); err != nil {
			fail("mkdir: %v", err)
		}
		w, err := f.Create(name, 0o644)
		if err != nil {
			fail("create: %v", err)
		}
		if _, err := w.Write([]byte("written by SKYAIFS in ring 3")); err != nil {
			fail("write: %v", err)
		}
		if err := w.Sync(); err != nil {
			fail("fsync: %v", err)
		}
		w.Close()
		fmt.Printf("skyaifsdisk: wrote and fsynced %s\n", name)
	} else {
		fail("open: %v", err)
	}
	st, err := f.Statfs()
	if err != nil {
		fail("statfs: %v", err)
	}
	if err := f.Unmount(); err != nil {
		fail("unmount: %v", err)
	}
	fmt.Printf("skyaifsdisk: unmounted cleanly; %+v\n", st)
}
