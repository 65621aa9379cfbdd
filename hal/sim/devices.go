package sim

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Simulated devices: what Config.Devices describes, with BARs placed by the machine
// at deviceBase and above, memory BARs backed by pages the kernel maps into driver
// tasks and tests reach with DevicePage (the device's side of its registers), and a
// 256-byte PCI configuration header per device.

// deviceBase is where the machine places memory BARs: far above any simulated RAM.
const deviceBase = 1 << 40

type devices struct {
	list   []hal.Device
	config [][256]byte
}

func (d *devices) init(mm *memory, specs []hal.Device) {
	next := uint64(deviceBase)
	for _, dev := range specs {
		var cfg [256]byte
		le := binary.LittleEndian
		le.PutUint16(cfg[0x00:], dev.Vendor)
		le.PutUint16(cfg[0x02:], dev.ID)
		cfg[0x09], cfg[0x0A], cfg[0x0B] = dev.ProgIF, dev.Subclass, dev.Class
		cfg[0x3C] = dev.IRQ
		for i := range dev.BARs {
			b := &dev.BARs[i]
			if b.Size == 0 || b.IO {
				continue
			}
			size := (b.Size + abi.PageSize - 1) &^ (abi.PageSize - 1)
			b.Addr = next
			for pa := next; pa < next+size; pa += abi.PageSize {
				mm.dev[hal.PhysAddr(pa)] = new([abi.PageSize]byte)
			}
			next += size
			le.PutUint32(cfg[0x10+4*i:], uint32(b.Addr))
		}
		d.list = append(d.list, dev)
		d.config = append(d.config, cfg)
	}
}

// List implements hal.Devices.
func (d *devices) List() []hal.Device { return append([]hal.Device(nil), d.list...) }

// ConfigRead implements hal.Devices.
func (d *devices) ConfigRead(dev int, off uint16, width int) uint32 {
	var v uint32
	for i := width - 1; i >= 0; i-- {
		v = v<<8 | uint32(d.config[dev][int(off)+i])
	}
	return v
}

// ConfigWrite implements hal.Devices.
func (d *devices) ConfigWrite(dev int, off uint16, width int, v uint32) {
	for i := 0; i < width; i++ {
		d.config[dev][int(off)+i] = byte(v >> (8 * i))
	}
}

// Devices implements hal.Machine.
func (m *Machine) Devices() hal.Devices { return &m.devs }

// DevicePage returns the page of device memory at pa (a memory BAR's), as the device
// sees it, or nil.
func (m *Machine) DevicePage(pa hal.PhysAddr) *[abi.PageSize]byte { return m.mem.dev[pa] }

// DeviceConfig returns device dev's configuration header, as the device sees it.
func (m *Machine) DeviceConfig(dev int) *[256]byte { return &m.devs.config[dev] }
