package kernel_test

import (
	"encoding/binary"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// testDevice is a virtio-blk-like PCI function: an I/O BAR, an 8 KiB memory BAR.
var testDevice = hal.Device{Bus: 0, Slot: 3, Func: 0, Vendor: 0x1af4, ID: 0x1042, Class: 1, Subclass: 0, IRQ: 11,
	BARs: [6]hal.BAR{{Addr: 0xc000, Size: 64, IO: true}, {Size: 8192}}}

// TestDevices: init lists the machine's devices through its System capability, maps
// a page of a device's registers (uncached) and sees what the device wrote; writes to
// the configuration space reach the device except where they would move its
// registers; a device frame can neither be an IPC buffer nor be copied by the kernel;
// a container's System gives no devices.
func TestDevices(t *testing.T) {
	var got struct {
		info                      abi.DeviceInfo
		vendor, reg               uint64
		past, ioFrame, barWrite   abi.Errno
		cmdErr, ipcBuf, wideWrite abi.Errno
		addr                      uint64
		addrErr                   abi.Errno
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Sim: simWithDevice(), Init: func(e *user.Env) {
		slots := initSlots()
		dev, _ := slots.Take()
		info, err := e.Device(sys, 0, cs, dev)
		if err != nil {
			t.Errorf("device 0: %v", err)
			return
		}
		got.info = info
		spare, _ := slots.Take()
		_, err = e.Device(sys, 1, cs, spare)
		got.past = errnoOf(err)
		got.vendor, _ = e.ConfigRead(dev, 0, 2)
		frame, _ := slots.Take()
		if err := e.DeviceFrame(dev, 1, 1, cs, frame); err != nil {
			t.Errorf("device frame: %v", err)
			return
		}
		got.ioFrame = errnoOf(e.DeviceFrame(dev, 0, 0, cs, spare))
		const va = 0x2000_0000
		if err := e.Map(frame, as, va, 3); err != nil {
			t.Errorf("map: %v", err)
			return
		}
		got.reg = e.Load64(va + 8) // what the device put in its register
		e.Store64(va+16, 0xfeed)   // and the device sees this
		got.barWrite = errnoOf(e.ConfigWrite(dev, 0x14, 4, 0x1234_0000))
		got.cmdErr = errnoOf(e.ConfigWrite(dev, 4, 2, 0xffff)) // only the driver's bits stick
		got.wideWrite = errnoOf(e.ConfigWrite(dev, 0x40, 2, 0x1_0000))
		tcb := retype(e, slots, abi.ObjTCB, 0)
		got.ipcBuf = errnoOf(e.Configure(tcb, 0, 0, frame, va))
		got.addr, err = e.FrameAddress(frame)
		got.addrErr = errnoOf(err)
	}})
	if err != nil {
		t.Fatal(err)
	}
	page := m.Sim.DevicePage(hal.PhysAddr(1<<40 + 4096))
	binary.LittleEndian.PutUint64(page[8:], 0xabcdef)
	if r := m.Run(10_000_000_000); r != kernel.StopIdle {
		t.Fatalf("run: %v", r)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	cfg := m.Sim.DeviceConfig(0)
	want := abi.DeviceInfo{Slot: 3, Vendor: 0x1af4, ID: 0x1042, Class: 1, IRQ: 11}
	want.BARs[0] = abi.DeviceBAR{Addr: 0xc000, Size: 64, Flags: abi.BARIO}
	want.BARs[1] = abi.DeviceBAR{Addr: 1 << 40, Size: 8192}
	switch {
	case got.info != want:
		t.Errorf("info %+v, want %+v", got.info, want)
	case got.past != abi.ErrNotFound || got.ioFrame != abi.ErrInvalidArg:
		t.Errorf("past the end %v, I/O BAR frame %v", got.past, got.ioFrame)
	case got.vendor != 0x1af4 || got.reg != 0xabcdef || binary.LittleEndian.Uint64(page[16:]) != 0xfeed:
		t.Errorf("vendor %#x, register %#x, device saw %#x", got.vendor, got.reg, binary.LittleEndian.Uint64(page[16:]))
	case got.barWrite != abi.ErrNoRights || binary.LittleEndian.Uint32(cfg[0x14:]) != 1<<40&0xffffffff:
		t.Errorf("BAR write %v, BAR1 now %#x", got.barWrite, binary.LittleEndian.Uint32(cfg[0x14:]))
	case got.cmdErr != abi.OK || binary.LittleEndian.Uint16(cfg[4:]) != 0x0407:
		t.Errorf("command write %v, command now %#x", got.cmdErr, binary.LittleEndian.Uint16(cfg[4:]))
	case got.wideWrite != abi.ErrRange || got.ipcBuf != abi.ErrWrongType:
		t.Errorf("value wider than the write %v, device frame as IPC buffer %v", got.wideWrite, got.ipcBuf)
	case got.addrErr != abi.OK || got.addr != 1<<40+4096:
		t.Errorf("frame address %#x, %v", got.addr, got.addrErr)
	}
}

func simWithDevice() sim.Config { return sim.Config{Devices: []hal.Device{testDevice}} }

const devProbePC = 0x74_0000 // asks its container's System for device 0, reports through MR

// TestContainerDeviceAllowList: a container's System object gives no device until the
// container's allow-list names one (ContainerAllowDevice), then exactly that one; a
// nested container gets no device its parent was not allowed.
func TestContainerDeviceAllowList(t *testing.T) {
	var results []abi.Errno
	var infos []abi.DeviceInfo
	var nestedAllow abi.Errno
	second := hal.Device{Slot: 4, Vendor: 0x8086, ID: 0x10d3, IRQ: 10}
	m, err := usersim.Boot(usersim.Config{
		Kernel: kernel.Config{Quiet: true},
		Sim:    sim.Config{Devices: []hal.Device{testDevice, second}},
		Programs: map[uint64]usersim.Program{devProbePC: func(e *user.Env) {
			info, err := e.Device(abi.ContainerSlotSystem, 0, abi.InitSlotCSpace, 30)
			results = append(results, errnoOf(err))
			infos = append(infos, info)
		}},
		Init: func(e *user.Env) {
			slots := initSlots()
			ntfn := retype(e, slots, abi.ObjNotification, 0)
			ctr, _ := slots.Take()
			nested, _ := slots.Take()
			dev, _ := slots.Take()
			lim := abi.ContainerLimits{Memory: 4 << 20, MaxTasks: 4, Priority: 100}
			if _, err := e.CreateContainer(sys, "drivers", lim, ctr); err != nil {
				t.Error(err)
				return
			}
			start := func() {
				if _, err := e.StartInContainer(ctr, []string{"probe"}, 0, 100, abi.AllRights, ntfn); err != nil {
					t.Error(err)
					return
				}
				e.Wait(ntfn)
			}
			start() // nothing allowed yet
			if _, err := e.Device(sys, 1, cs, dev); err != nil {
				t.Error(err)
				return
			}
			must(t, e.AllowDevice(ctr, dev))
			start() // device 1 of the machine is the container's device 0
			if _, err := e.CreateContainer(sys, "other", lim, nested); err != nil {
				t.Error(err)
				return
			}
			e.Delete(cs, dev)
			e.Device(sys, 0, cs, dev)
			nestedAllow = errnoOf(e.AllowDevice(nested, dev))
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: map[string]uint64{"probe": devProbePC}})
	if r := m.Run(10_000_000_000); r != kernel.StopIdle {
		t.Fatalf("run: %v", r)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || results[0] != abi.ErrNotFound || results[1] != abi.OK || infos[1].ID != 0x10d3 || infos[1].Index != 1 {
		t.Fatalf("probes: %v %+v", results, infos)
	}
	if nestedAllow != abi.OK {
		t.Errorf("allowing a top-level container a device: %v", nestedAllow)
	}
}

// TestEveryMethodHasASpec: every method of the ABI has an entry in the kernel's table.
func TestEveryMethodHasASpec(t *testing.T) {
	if missing := kernel.MethodsWithoutSpec(); len(missing) > 0 {
		t.Errorf("methods without a spec: %v", missing)
	}
}
