package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Device is a device the machine found (a PCI function) as an object: the authority to
// read its configuration space, to write the parts of it a driver needs (not where its
// registers are), and to make Frame capabilities for the pages of its memory BARs,
// which map uncached. A driver task holding one reaches that device and no other.
// Devices belong to the machine: they are charged to no budget and their frames are
// never zeroed or freed.
type Device struct {
	objBase
	index int
	info  hal.Device
}

// Type implements capability.Object.
func (d *Device) Type() abi.ObjectType { return abi.ObjDevice }

// Finalize implements capability.Object: the device stays the machine's.
func (d *Device) Finalize(*capability.Tree) {}

// Configuration space layout (PCI Local Bus 3.0, §6.1): what DeviceConfigWrite refuses.
const (
	cfgCommand   = 0x04
	cfgBAR0      = 0x10
	cfgBAREnd    = 0x28 // past BAR5
	cfgROM       = 0x30
	cfgSize      = 256
	cfgIdentEnd  = 0x04 // vendor and device ID
	cfgClassFrom = 0x08 // revision and class code ..0x0B
	cfgClassEnd  = 0x0C
	// The command bits a driver may set or clear: I/O space, memory space, bus
	// master, INTx disable.
	cfgCommandDriverBits = 1<<0 | 1<<1 | 1<<2 | 1<<10
)

func invSystemDevice(k *Kernel, inv *invocation) abi.Errno {
	dstSpace, e := inv.extraOf(0, abi.ObjCSpace, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	devs := k.m.Devices().List()
	i := inv.args[0]
	if c := sysOf(inv).ctr; c != nil {
		// A container's System gives only what its allow-list names: index i of it.
		if i >= uint64(len(c.devices)) {
			return abi.ErrNotFound
		}
		i = uint64(c.devices[i])
	}
	if i >= uint64(len(devs)) {
		return abi.ErrNotFound
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	dst, e := dstSpace.Object().(*CSpace).Dest(abi.CPtr(inv.args[1]))
	if e != abi.OK {
		return e
	}
	d := &Device{index: int(i), info: devs[i]}
	d.k = k
	if e := k.tree.Insert(dst, d, abi.AllRights, 0, inv.slot); e != abi.OK {
		panic("kernel: device insert failed after decode: " + e.Error())
	}
	info := deviceInfo(int(i), devs[i])
	w := info.Words()
	inv.resultWords(buf, w[:])
	return abi.OK
}

// deviceInfo is the ABI record of device i.
func deviceInfo(i int, d hal.Device) abi.DeviceInfo {
	info := abi.DeviceInfo{Index: uint64(i), Bus: d.Bus, Slot: d.Slot, Func: d.Func, Vendor: d.Vendor, ID: d.ID,
		Class: d.Class, Subclass: d.Subclass, ProgIF: d.ProgIF, IRQ: d.IRQ}
	for j, b := range d.BARs {
		info.BARs[j] = abi.DeviceBAR{Addr: b.Addr, Size: b.Size}
		if b.IO {
			info.BARs[j].Flags |= abi.BARIO
		}
		if b.Prefetch {
			info.BARs[j].Flags |= abi.BARPrefetch
		}
	}
	return info
}

// configArgs checks an offset and width: naturally aligned, inside the header.
func configArgs(off, width uint64) abi.Errno {
	switch {
	case width != 1 && width != 2 && width != 4:
		return abi.ErrInvalidArg
	case off%width != 0 || off+width > cfgSize:
		return abi.ErrRange
	}
	return abi.OK
}

func invDeviceConfigRead(k *Kernel, inv *invocation) abi.Errno {
	off, width := inv.args[0], inv.args[1]
	if e := configArgs(off, width); e != abi.OK {
		return e
	}
	d := inv.slot.Object().(*Device)
	inv.result(uint64(k.m.Devices().ConfigRead(d.index, uint16(off), int(width))))
	return abi.OK
}

func invDeviceConfigWrite(k *Kernel, inv *invocation) abi.Errno {
	off, width, v := inv.args[0], inv.args[1], inv.args[2]
	if e := configArgs(off, width); e != abi.OK {
		return e
	}
	if v>>(8*width) != 0 {
		return abi.ErrRange
	}
	end := off + width
	overlaps := func(from, to uint64) bool { return off < to && end > from }
	switch {
	case overlaps(0, cfgIdentEnd), overlaps(cfgClassFrom, cfgClassEnd), overlaps(cfgBAR0, cfgBAREnd), overlaps(cfgROM, cfgROM+4):
		// Moving a BAR could put device registers over memory the kernel gave others.
		return abi.ErrNoRights
	}
	d := inv.slot.Object().(*Device)
	devs := k.m.Devices()
	if overlaps(cfgCommand, cfgCommand+2) {
		// Only the driver's bits of the command register change; the others keep
		// their value. off is 4 (width 1, 2 or 4) or 5 (width 1).
		old := devs.ConfigRead(d.index, cfgCommand, 2)
		cmd := uint32(v) & 0xFFFF
		switch {
		case off == cfgCommand+1:
			cmd = old&0x00FF | uint32(v)<<8
		case width == 1:
			cmd = old&0xFF00 | uint32(v)
		}
		devs.ConfigWrite(d.index, cfgCommand, 2, old&^cfgCommandDriverBits|cmd&cfgCommandDriverBits)
		if width == 4 { // the status half: its error bits are write-one-to-clear
			devs.ConfigWrite(d.index, cfgCommand+2, 2, uint32(v>>16))
		}
		return abi.OK
	}
	devs.ConfigWrite(d.index, uint16(off), int(width), uint32(v))
	return abi.OK
}

func invDeviceFrame(k *Kernel, inv *invocation) abi.Errno {
	dstSpace, e := inv.extraOf(0, abi.ObjCSpace, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	d := inv.slot.Object().(*Device)
	bar, page := inv.args[0], inv.args[1]
	if bar >= uint64(len(d.info.BARs)) {
		return abi.ErrRange
	}
	b := d.info.BARs[bar]
	switch {
	case b.Size == 0 || b.IO:
		return abi.ErrInvalidArg // nothing to map: no BAR, or I/O ports
	case b.Addr%abi.PageSize != 0:
		return abi.ErrInvalidArg // registers sharing a page with another BAR
	case page >= (b.Size+abi.PageSize-1)/abi.PageSize:
		return abi.ErrRange
	}
	dst, e := dstSpace.Object().(*CSpace).Dest(abi.CPtr(inv.args[2]))
	if e != abi.OK {
		return e
	}
	f := &Frame{pa: hal.PhysAddr(b.Addr + page*abi.PageSize), device: true}
	f.k = k
	if e := k.tree.Insert(dst, f, abi.AllRights, 0, inv.slot); e != abi.OK {
		panic("kernel: device frame insert failed after decode: " + e.Error())
	}
	return abi.OK
}

func invFrameAddress(k *Kernel, inv *invocation) abi.Errno {
	f := inv.slot.Object().(*Frame)
	if f.anon {
		return abi.ErrInvalidArg
	}
	inv.result(uint64(f.pa))
	return abi.OK
}

// allowed reports whether container c (nil: the root) may have device index d.
func (c *Container) allowed(d int) bool {
	if c == nil || c.parent == nil {
		return true // the root container is the machine
	}
	for _, x := range c.devices {
		if x == d {
			return true
		}
	}
	return false
}

func invContainerAllowDevice(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e
	}
	ds, e := inv.extraOf(0, abi.ObjDevice, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	d := ds.Object().(*Device).index
	if !c.parent.allowed(d) {
		return abi.ErrNoRights // a nested container gets no device its parent lacks
	}
	if !c.allowed(d) {
		c.devices = append(c.devices, d)
	}
	return abi.OK
}

// Devices returns the machine's devices, as SystemDevice numbers them, for tools and
// runtimes that name devices (container/runtime maps a descriptor's device names).
func (k *Kernel) Devices() []hal.Device { return k.m.Devices().List() }

// AllowDevice adds device index (as Devices numbers it) to c's allow-list, as
// ContainerAllowDevice does: c's System object then gives it. A nested container gets
// no device its parent lacks.
func (k *Kernel) AllowDevice(c *Container, index int) error {
	if index < 0 || index >= len(k.Devices()) {
		return ctrErr(abi.ErrNotFound, "no device %d", index)
	}
	if !c.parent.allowed(index) {
		return ctrErr(abi.ErrNoRights, "device %d is not on the allow-list of %s's parent", index, c.name)
	}
	if !c.allowed(index) {
		c.devices = append(c.devices, index)
	}
	return nil
}

// AllowedDevices returns c's device allow-list: device indexes, in the order allowed
// (its System object's SystemDevice numbers them 0, 1, … in this order).
func (c *Container) AllowedDevices() []int { return append([]int(nil), c.devices...) }
