package abi

// DeviceInfo is a device as SystemDevice reports it, in message words
// 0..DeviceInfoWords-1.
type DeviceInfo struct {
	Index                   uint64
	Bus, Slot, Func         uint8
	Vendor, ID              uint16
	Class, Subclass, ProgIF uint8
	IRQ                     uint8 // legacy interrupt line, 0xFF for none
	BARs                    [6]DeviceBAR
}

// DeviceBAR is one base address register of a device.
type DeviceBAR struct {
	Addr, Size uint64 // Size 0: not implemented
	Flags      uint64 // BARIO, BARPrefetch
}

// DeviceBAR flags.
const (
	BARIO       = 1 << 0 // I/O ports (Addr is the first port); DeviceFrame refuses it
	BARPrefetch = 1 << 1
)

// DeviceInfoWords is the number of message words of a DeviceInfo.
const DeviceInfoWords = 3 + 6*3

// Words encodes the record as message words.
func (d *DeviceInfo) Words() [DeviceInfoWords]uint64 {
	var w [DeviceInfoWords]uint64
	w[0] = d.Index
	w[1] = uint64(d.Bus)<<16 | uint64(d.Slot)<<8 | uint64(d.Func) | uint64(d.IRQ)<<24 | uint64(d.Vendor)<<32 | uint64(d.ID)<<48
	w[2] = uint64(d.Class)<<16 | uint64(d.Subclass)<<8 | uint64(d.ProgIF)
	for i, b := range d.BARs {
		w[3+3*i], w[4+3*i], w[5+3*i] = b.Addr, b.Size, b.Flags
	}
	return w
}

// DecodeDeviceInfo decodes message words made by Words.
func DecodeDeviceInfo(w [DeviceInfoWords]uint64) DeviceInfo {
	d := DeviceInfo{Index: w[0], Bus: uint8(w[1] >> 16), Slot: uint8(w[1] >> 8), Func: uint8(w[1]),
		IRQ: uint8(w[1] >> 24), Vendor: uint16(w[1] >> 32), ID: uint16(w[1] >> 48),
		Class: uint8(w[2] >> 16), Subclass: uint8(w[2] >> 8), ProgIF: uint8(w[2])}
	for i := range d.BARs {
		d.BARs[i] = DeviceBAR{Addr: w[3+3*i], Size: w[4+3*i], Flags: w[5+3*i]}
	}
	return d
}
