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
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// bus is virtio.Bus over the user library: a Device capability, frames mapped in the
// frame window, the task's own budget for DMA pages.
type bus struct {
	e      *user.Env
	dev    abi.CPtr
	next   abi.CPtr // next free slot
	nextVA uint64   // next free page of the frame window
	bars   map[[2]uint64]uint64
}

func (b *bus) ConfigRead(off, width uint64) (uint64, error) { return b.e.ConfigRead(b.dev, off, width) }
func (b *bus) ConfigWrite(off, width, v uint64) error       { return b.e.ConfigWrite(b.dev, off, width, v) }

func (b *bus) mapFrame(f abi.CPtr) (uint64, error) {
	va := b.nextVA
	if err := b.e.Map(f, abi.InitSlotAddressSpace, va, user.PermRead|user.PermWrite); err != nil {
		return 0, err
	}
	b.nextVA += abi.PageSize
	return va, nil
}

func (b *bus) MapBAR(bar, page uint64) (uint64, error) {
	if va, ok := b.bars[[2]uint64{bar, page}]; ok {
		return va, nil
	}
	f := b.next
	b.next++
	if err := b.e.DeviceFrame(b.dev, bar, page, abi.InitSlotCSpace, f); err != nil {
		return 0, err
	}
	va, err := b.mapFrame(f)
	b.bars[[2]uint64{bar, page}] = va
	return va, err
}

func (b *bus) DMAPage() (uint64, uint64, error) {
	f := b.next
	b.next++
	if err := b.e.Retype(abi.InitSlotUntyped, abi.ObjFrame, 0, abi.InitSlotCSpace, f, 1); err != nil {
		return 0, 0, err
	}
	va, err := b.mapFrame(f)
	if err != nil {
		return 0, 0, err
	}
	pa, err := b.e.FrameAddress(f)
	return va, pa, err
}

func (b *bus) Load8(va uint64) uint8   { return b.e.Load8(va) }
func (b *bus) Load16(va uint64) uint16 { return b.e.Load16(va) }

func (b *bus) Load32(va uint64) uint32     { return b.e.Load32(va) }
func (b *bus) Load64(va uint64) uint64     { return b.e.Load64(va) }
func (b *bus) Store8(va uint64, v uint8)   { b.e.Store(va, []byte{v}) }
func (b *bus) Store16(va uint64, v uint16) { b.e.Store(va, []byte{byte(v), byte(v >> 8)}) }
func (b *bus) Store32(va uint64, v uint32) { b.e.Store32(va, v) }
func (b *bus) Store64(va uint64, v uint64) { b.e.Store64(va, v) }
func (b *bus) Load(va uint64, p []byte)    { b.e.Load(va, p) }
func (b *bus) Store(va uint64, p []byte)   { b.e.Store(va, p) }

func fail(format string, args ...any) {
	fmt.Printf("virtioblk: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	e := usercall.Env()
	b := &bus{e: e, dev: 20, next: 30, nextVA: abi.FrameWindow, bars: map[[2]uint64]uint64{}}
	var info abi.DeviceInfo
	for i := uint64(0); ; i++ {
		d, err := e.Device(abi.InitSlotSystem, i, abi.InitSlotCSpace, b.dev)
		if err != nil {
			fail("no virtio-blk device: %v", err)
		}
		if d.Vendor == virtio.Vendor && d.ID == virtio.IDBlock {
			info = d
			break
		}
		e.Delete(abi.InitSlotCSpace, b.dev)
	}
	if err := b.ConfigWrite(4, 2, 1<<1|1<<2); err != nil { // memory space, bus master
		fail("command: %v", err)
	}
	const irq, ntfn = abi.CPtr(21), abi.CPtr(22)
	if err := e.IRQHandler(abi.InitSlotIRQControl, int(info.IRQ), abi.InitSlotCSpace, irq); err != nil {
		fail("line %d: %v", info.IRQ, err)
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, ntfn, 1); err != nil {
		fail("notification: %v", err)
	}
	if err := e.IRQSetNotification(irq, ntfn); err != nil {
		fail("bind: %v", err)
	}
	disk, err := virtio.NewBlock(b)
	if err != nil {
		fail("%v", err)
	}
	interrupts := 0
	disk.Wait = func() { e.Wait(ntfn); interrupts++ }
	disk.Ack = func() { e.IRQAck(irq) }
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
