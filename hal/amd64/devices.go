package amd64

import (
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/amd64/pci"
	"github.com/skyscope-os/skyscope/hal/amd64/portio"
)

// pciDevices are the PCI functions boot found (SetDevices), as hal.Devices: their
// configuration spaces through the legacy 0xCF8/0xCFC mechanism.
var pciDevices []pci.Device

// SetDevices records the PCI functions the boot enumeration found; the kernel's
// Device objects name them by their index in this list.
func SetDevices(devs []pci.Device) { pciDevices = append([]pci.Device(nil), devs...) }

type devices struct{}

// Devices implements hal.Machine.
func (m *Machine) Devices() hal.Devices { return devices{} }

// List implements hal.Devices.
func (devices) List() []hal.Device {
	out := make([]hal.Device, len(pciDevices))
	for i, d := range pciDevices {
		h := hal.Device{Bus: d.Bus, Slot: d.Slot, Func: d.Func, Vendor: d.Vendor, ID: d.DeviceID,
			Class: d.Class, Subclass: d.Subclass, ProgIF: d.ProgIF, IRQ: d.IRQLine}
		for j, b := range d.BARs {
			h.BARs[j] = hal.BAR{Addr: b.Addr, Size: b.Size, IO: b.IO, Prefetch: b.Prefetch}
		}
		out[i] = h
	}
	return out
}

// ConfigRead implements hal.Devices.
func (devices) ConfigRead(dev int, off uint16, width int) uint32 {
	a, o := pciDevices[dev].Addr(), uint8(off)
	switch width {
	case 1:
		v, _ := pci.Read8(portio.Hardware{}, a, o)
		return uint32(v)
	case 2:
		v, _ := pci.Read16(portio.Hardware{}, a, o)
		return uint32(v)
	}
	v, _ := pci.Read32(portio.Hardware{}, a, o)
	return v
}

// ConfigWrite implements hal.Devices.
func (devices) ConfigWrite(dev int, off uint16, width int, v uint32) {
	a, o := pciDevices[dev].Addr(), uint8(off)
	switch width {
	case 1:
		pci.Write8(portio.Hardware{}, a, o, uint8(v))
	case 2:
		pci.Write16(portio.Hardware{}, a, o, uint16(v))
	default:
		pci.Write32(portio.Hardware{}, a, o, v)
	}
}
