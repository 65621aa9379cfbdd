package runtime

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/skyscope-os/skyscope/hal"
)

// Device names a descriptor may list (limits.devices), and what each matches:
//
//	VVVV:DDDD    a PCI vendor and device id, in hex ("1af4:1042")
//	BB:SS.F      a PCI address, in hex ("00:1f.2")
//	an alias     a kind of device: virtio-blk, virtio-net, e1000e, ahci, nvme
//
// A name matches every device of the machine it describes; a name that matches none
// refuses the descriptor on this machine.

// deviceAliases maps a kind of device to the test that recognises it.
var deviceAliases = map[string]func(d hal.Device) bool{
	// Virtio 1.x ids are 0x1040 + the device type (1.0 spec §4.1.2.1); transitional
	// devices use 0x1000 + type − 1.
	"virtio-net": func(d hal.Device) bool { return d.Vendor == 0x1af4 && (d.ID == 0x1041 || d.ID == 0x1000) },
	"virtio-blk": func(d hal.Device) bool { return d.Vendor == 0x1af4 && (d.ID == 0x1042 || d.ID == 0x1001) },
	"e1000e":     func(d hal.Device) bool { return d.Vendor == 0x8086 && d.ID == 0x10d3 },
	"ahci":       func(d hal.Device) bool { return d.Class == 0x01 && d.Subclass == 0x06 && d.ProgIF == 0x01 },
	"nvme":       func(d hal.Device) bool { return d.Class == 0x01 && d.Subclass == 0x08 && d.ProgIF == 0x02 },
}

// MatchDevices returns the indexes in devs of the devices name describes, or an error
// saying why it describes none.
func MatchDevices(devs []hal.Device, name string) ([]int, error) {
	match, err := deviceMatcher(name)
	if err != nil {
		return nil, err
	}
	var out []int
	for i, d := range devs {
		if match(d) {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("device %q: no such device on this machine", name)
	}
	return out, nil
}

func deviceMatcher(name string) (func(hal.Device) bool, error) {
	if m, ok := deviceAliases[name]; ok {
		return m, nil
	}
	hex := func(s string, bits int) (uint64, bool) {
		v, err := strconv.ParseUint(s, 16, bits)
		return v, err == nil && s != ""
	}
	if a, b, ok := strings.Cut(name, ":"); ok {
		if bus, ok1 := hex(a, 8); ok1 && len(a) == 2 {
			slot, fn, ok2 := strings.Cut(b, ".")
			s, ok3 := hex(slot, 5)
			f, ok4 := hex(fn, 3)
			if ok2 && ok3 && ok4 && s < 32 && f < 8 {
				return func(d hal.Device) bool {
					return uint64(d.Bus) == bus && uint64(d.Slot) == s && uint64(d.Func) == f
				}, nil
			}
		}
		vendor, ok1 := hex(a, 16)
		id, ok2 := hex(b, 16)
		if ok1 && ok2 && len(a) == 4 && len(b) == 4 {
			return func(d hal.Device) bool { return uint64(d.Vendor) == vendor && uint64(d.ID) == id }, nil
		}
	}
	return nil, fmt.Errorf("device %q: want VVVV:DDDD (PCI ids), BB:SS.F (PCI address) or one of virtio-blk, virtio-net, e1000e, ahci, nvme", name)
}
