// Package userbus is virtio.Bus for a ring-3 driver task written against the user
// library: the device's configuration space through its Device capability, register
// pages and DMA pages mapped one after another in abi.FrameWindow, DMA pages made from
// the task's own memory budget, and exact-width register access.
package userbus

import (
	"fmt"

	"github.com/skyscope-os/skyscope/hal/virtio"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Bus is a virtio.Bus. Slots from Next up and the frame window from NextVA up are
// its to use.
type Bus struct {
	E      *user.Env
	Dev    abi.CPtr // the Device capability
	CSpace abi.CPtr // the task's own capability space
	AS     abi.CPtr // its address space
	Budget abi.CPtr // the memory budget DMA pages come from
	Next   abi.CPtr // next free slot
	NextVA uint64   // next free page of the frame window
	bars   map[[2]uint64]uint64
}

// New returns a Bus for device dev in a task's standard slots (abi.InitSlot*), taking
// slots from next up and the frame window from its start.
func New(e *user.Env, dev, next abi.CPtr) *Bus {
	return &Bus{E: e, Dev: dev, CSpace: abi.InitSlotCSpace, AS: abi.InitSlotAddressSpace, Budget: abi.InitSlotUntyped,
		Next: next, NextVA: abi.FrameWindow}
}

// Find puts a capability to the first device with vendor and id in slot dst and
// returns what it is; abi.ErrNotFound (wrapped) if there is none.
func Find(e *user.Env, sys abi.CPtr, vendor, id uint16, dst abi.CPtr) (abi.DeviceInfo, error) {
	for i := uint64(0); ; i++ {
		d, err := e.Device(sys, i, abi.InitSlotCSpace, dst)
		if err != nil {
			return abi.DeviceInfo{}, fmt.Errorf("no device %04x:%04x: %w", vendor, id, err)
		}
		if d.Vendor == vendor && d.ID == id {
			return d, nil
		}
		e.Delete(abi.InitSlotCSpace, dst)
	}
}

var _ virtio.Bus = (*Bus)(nil)

// ConfigRead implements virtio.Bus.
func (b *Bus) ConfigRead(off, width uint64) (uint64, error) { return b.E.ConfigRead(b.Dev, off, width) }

// ConfigWrite implements virtio.Bus.
func (b *Bus) ConfigWrite(off, width, v uint64) error { return b.E.ConfigWrite(b.Dev, off, width, v) }

func (b *Bus) mapFrame(f abi.CPtr) (uint64, error) {
	if b.NextVA >= abi.FrameWindow+abi.FrameWindowSize {
		return 0, fmt.Errorf("userbus: the frame window is full")
	}
	va := b.NextVA
	if err := b.E.Map(f, b.AS, va, user.PermRead|user.PermWrite); err != nil {
		return 0, err
	}
	b.NextVA += abi.PageSize
	return va, nil
}

// MapBAR implements virtio.Bus; a page is mapped once.
func (b *Bus) MapBAR(bar, page uint64) (uint64, error) {
	if va, ok := b.bars[[2]uint64{bar, page}]; ok {
		return va, nil
	}
	f := b.Next
	if err := b.E.DeviceFrame(b.Dev, bar, page, b.CSpace, f); err != nil {
		return 0, err
	}
	b.Next++
	va, err := b.mapFrame(f)
	if err != nil {
		return 0, err
	}
	if b.bars == nil {
		b.bars = map[[2]uint64]uint64{}
	}
	b.bars[[2]uint64{bar, page}] = va
	return va, nil
}

// DMAPage implements virtio.Bus: a Frame made from the task's budget.
func (b *Bus) DMAPage() (uint64, uint64, error) {
	f := b.Next
	if err := b.E.Retype(b.Budget, abi.ObjFrame, 0, b.CSpace, f, 1); err != nil {
		return 0, 0, err
	}
	b.Next++
	va, err := b.mapFrame(f)
	if err != nil {
		return 0, 0, err
	}
	pa, err := b.E.FrameAddress(f)
	return va, pa, err
}

// Load8 implements virtio.Bus.
func (b *Bus) Load8(va uint64) uint8 { return b.E.Load8(va) }

// Load16 implements virtio.Bus.
func (b *Bus) Load16(va uint64) uint16 { return b.E.Load16(va) }

// Load32 implements virtio.Bus.
func (b *Bus) Load32(va uint64) uint32 { return b.E.Load32(va) }

// Load64 implements virtio.Bus.
func (b *Bus) Load64(va uint64) uint64 { return b.E.Load64(va) }

// Store8 implements virtio.Bus.
func (b *Bus) Store8(va uint64, v uint8) { b.E.Store8(va, v) }

// Store16 implements virtio.Bus.
func (b *Bus) Store16(va uint64, v uint16) { b.E.Store16(va, v) }

// Store32 implements virtio.Bus.
func (b *Bus) Store32(va uint64, v uint32) { b.E.Store32(va, v) }

// Store64 implements virtio.Bus.
func (b *Bus) Store64(va uint64, v uint64) { b.E.Store64(va, v) }

// Load implements virtio.Bus.
func (b *Bus) Load(va uint64, p []byte) { b.E.Load(va, p) }

// Store implements virtio.Bus.
func (b *Bus) Store(va uint64, p []byte) { b.E.Store(va, p) }

// Interrupts claims the device's interrupt line into slot irq, binds a notification
// made in slot ntfn, and sets blk to wait on it.
func (b *Bus) Interrupts(irqControl abi.CPtr, line int, irq, ntfn abi.CPtr, blk *virtio.Block) error {
	if err := b.E.IRQHandler(irqControl, line, b.CSpace, irq); err != nil {
		return fmt.Errorf("interrupt line %d: %w", line, err)
	}
	return b.BindHandler(irq, ntfn, blk)
}

// BindHandler is Interrupts for a driver given the line's handler (irq) rather than
// the authority to claim lines: it makes notification ntfn, has the handler signal it,
// and has blk wait on it and acknowledge the line.
func (b *Bus) BindHandler(irq, ntfn abi.CPtr, blk *virtio.Block) error {
	if err := b.E.Retype(b.Budget, abi.ObjNotification, 0, b.CSpace, ntfn, 1); err != nil {
		return err
	}
	if err := b.E.IRQSetNotification(irq, ntfn); err != nil {
		return err
	}
	blk.Wait = func() { b.E.Wait(ntfn) }
	blk.Ack = func() { b.E.IRQAck(irq) }
	return nil
}

// PCI command register bits a DMA-capable device needs (PCI Local Bus 3.0, §6.2.2).
const (
	pciCommand          = 0x04
	commandMemory       = 1 << 1
	commandBusMaster    = 1 << 2
	commandMemoryAndDMA = commandMemory | commandBusMaster
)

// Block turns on the device's memory space and bus mastering and initialises it as a
// virtio block device.
func (b *Bus) Block() (*virtio.Block, error) {
	if err := b.ConfigWrite(pciCommand, 2, commandMemoryAndDMA); err != nil {
		return nil, fmt.Errorf("enabling the device: %w", err)
	}
	return virtio.NewBlock(b)
}
