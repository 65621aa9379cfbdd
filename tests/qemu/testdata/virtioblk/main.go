// Command virtioblk drives a virtio-blk disk from ring 3 with package hal/virtio, run
// as init by TestVirtioBlock: it finds the device through the System object, maps its
// registers, gives it DMA pages of its own memory, takes its interrupt line, reads
// sector 0 (which the test wrote), writes sector 5 and flushes, so that the test can
// find the bytes in the disk image on the host.
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/hal/virtio"
	"github.com/skyscope-os/skyscope/hal/virtio/userbus"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

func fail(format string, args ...any) {
	fmt.Printf("virtioblk: "+format+"\n", args...)
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
	interrupts := 0
	wait := disk.Wait
	disk.Wait = func() { wait(); interrupts++ }
	fmt.Printf("virtioblk: %02x:%02x.%d, line %d, %d sectors\n", info.Bus, info.Slot, info.Func, info.IRQ, disk.Sectors())
	sector := make([]byte, virtio.SectorSize)
	if err := disk.Read(0, sector); err != nil {
		fail("read: %v", err)
	}
	fmt.Printf("virtioblk: sector 0 says %q\n", bytes.TrimRight(sector[:64], "\x00"))
	page := bytes.Repeat([]byte("written from ring 3 by the virtio-blk driver. "), 100)[:virtio.MaxTransfer]
	if err := disk.Write(5, page); err != nil {
		fail("write: %v", err)
	}
	if err := disk.Flush(); err != nil {
		fail("flush: %v", err)
	}
	back := make([]byte, len(page))
	if err := disk.Read(5, back); err != nil || !bytes.Equal(back, page) {
		fail("read back: %v (equal %v)", err, bytes.Equal(back, page))
	}
	if err := disk.Read(disk.Sectors(), sector); err == nil {
		fail("a read past the end succeeded")
	}
	fmt.Printf("virtioblk: wrote, flushed and read back %d bytes at sector 5; %d interrupts\n", len(page), interrupts)
}
