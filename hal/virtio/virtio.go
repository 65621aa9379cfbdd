// Package virtio is a driver for virtio 1.x PCI devices (the "modern" interface, OASIS
// virtio v1.2 §4.1) and the block device on top of it (§5.2), for a driver task in
// ring 3. It reaches the device only through what a task holds: a Device capability
// (configuration space), Frames for the device's register pages, Frames of its own
// memory whose physical addresses the device uses for DMA, and an IRQHandler. The
// machine is behind the Bus interface so the same code runs against a real device
// under QEMU and a model in tests.
package virtio

import (
	"errors"
	"fmt"
)

// Bus is what the driver needs from its task: the device's configuration space, its
// registers mapped into the task, DMA memory, and memory access.
type Bus interface {
	ConfigRead(off, width uint64) (uint64, error)
	ConfigWrite(off, width, v uint64) error
	// MapBAR maps page of memory BAR bar (uncached) and returns its address.
	MapBAR(bar, page uint64) (uint64, error)
	// DMAPage returns a fresh zeroed page of the task's memory: its address in the
	// task and its physical address for the device.
	DMAPage() (va, pa uint64, err error)
	Load8(va uint64) uint8
	Load16(va uint64) uint16
	Load32(va uint64) uint32
	Load64(va uint64) uint64
	Store8(va uint64, v uint8)
	Store16(va uint64, v uint16)
	Store32(va uint64, v uint32)
	Store64(va uint64, v uint64)
	Load(va uint64, b []byte)
	Store(va uint64, b []byte)
}

// PCI identity of virtio devices: vendor 0x1AF4, modern device IDs 0x1040 + type.
const (
	Vendor      = 0x1AF4
	IDBlock     = 0x1042 // 0x1040 + 2 (block device)
	pciStatus   = 0x06
	pciCapList  = 0x34
	capPresent  = 1 << 4
	capVendor   = 0x09
	cfgCommon   = 1
	cfgNotify   = 2
	cfgISR      = 3
	cfgDevice   = 4
	pageSize    = 4096
	maxCapsSeen = 48 // a capability list longer than this is a loop
)

// region is where one configuration structure lives: a BAR and an offset in it.
type region struct {
	bar, off, length uint64
	found            bool
}

// Caps are the virtio structures a device's PCI capabilities locate.
type Caps struct {
	Common, Notify, ISR, Device region
	NotifyMultiplier            uint64
}

// ErrNotVirtio says the device's capabilities do not describe a virtio 1.x device.
var ErrNotVirtio = errors.New("virtio: the device has no virtio 1.x capabilities")

// ReadCaps walks the device's PCI capability list for the virtio structures.
func ReadCaps(b Bus) (Caps, error) {
	var c Caps
	st, err := b.ConfigRead(pciStatus, 2)
	if err != nil {
		return c, err
	}
	if st&capPresent == 0 {
		return c, ErrNotVirtio
	}
	ptr, err := b.ConfigRead(pciCapList, 1)
	if err != nil {
		return c, err
	}
	for i := 0; ptr != 0 && i < maxCapsSeen; i++ {
		ptr &^= 3
		if ptr < 0x40 || ptr > 0xF0 {
			return c, fmt.Errorf("virtio: capability pointer %#x outside the header", ptr)
		}
		id, _ := b.ConfigRead(ptr, 1)
		next, _ := b.ConfigRead(ptr+1, 1)
		if id == capVendor && ptr+16 <= 0x100 {
			typ, _ := b.ConfigRead(ptr+3, 1)
			bar, _ := b.ConfigRead(ptr+4, 1)
			off, _ := b.ConfigRead(ptr+8, 4)
			n, _ := b.ConfigRead(ptr+12, 4)
			r := region{bar: bar, off: off, length: n, found: true}
			switch typ {
			case cfgCommon:
				c.Common = r
			case cfgNotify:
				c.Notify = r
				if ptr+20 <= 0x100 {
					c.NotifyMultiplier, _ = b.ConfigRead(ptr+16, 4)
				}
			case cfgISR:
				c.ISR = r
			case cfgDevice:
				c.Device = r
			}
		}
		ptr = next
	}
	if !c.Common.found || !c.Notify.found || !c.ISR.found || !c.Device.found {
		return c, ErrNotVirtio
	}
	for _, r := range []region{c.Common, c.Notify, c.ISR, c.Device} {
		if r.bar > 5 || r.length == 0 {
			return c, fmt.Errorf("virtio: structure in BAR %d, %d bytes", r.bar, r.length)
		}
	}
	return c, nil
}

// mapRegion maps the page of r that holds offset within r and returns its address.
func mapRegion(b Bus, r region, within uint64) (uint64, error) {
	at := r.off + within
	page, err := b.MapBAR(r.bar, at/pageSize)
	if err != nil {
		return 0, err
	}
	return page + at%pageSize, nil
}
