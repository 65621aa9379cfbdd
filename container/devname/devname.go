// Package devname resolves the device names container descriptors (limits.devices)
// and the shell's `ctr run --device` use to the machine's devices. It depends only on
// hal's device description, so the kernel-side runtime (container/runtime) and the
// ring-3 shell (container/ctr) resolve a name the same way.
//
// A name is one of:
//
//	VVVV:DDDD    a PCI vendor and device id, in hex ("1af4:1042")
//	BB:SS.F      a PCI address, in hex ("00:1f.2")
//	an alias     a kind of device: virtio-blk, virtio-net, e1000e, ahci, nvme
//
// A name matches every device of the machine it describes; a name that matches none
// is an error, so a descriptor or command asking for a device this machine lacks is
// refused rather than silently given nothing.
package devname

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/skyscope-os/skyscope/hal"
)

// ErrNoDevice is returned (wrapped, naming the device) for a well-formed name that
// matches no device of the machine.
var ErrNoDevice = errors.New("no such device on this machine")

// ErrBadName is returned (wrapped, naming the device) for a name of no known form.
var ErrBadName = errors.New("want VVVV:DDDD (PCI ids), BB:SS.F (PCI address) or one of " + strings.Join(Aliases(), ", "))

// aliases maps a kind of device to the test that recognises it.
var aliases = map[string]func(d hal.Device) bool{
	// Virtio 1.x ids are 0x1040 + the device type (1.0 spec §4.1.2.1); transitional
	// devices use 0x1000 + type − 1.
	"virtio-net": func(d hal.Device) bool { return d.Vendor == 0x1af4 && (d.ID == 0x1041 || d.ID == 0x1000) },
	"virtio-blk": func(d hal.Device) bool { return d.Vendor == 0x1af4 && (d.ID == 0x1042 || d.ID == 0x1001) },
	"e1000e":     func(d hal.Device) bool { return d.Vendor == 0x8086 && d.ID == 0x10d3 },
	"ahci":       func(d hal.Device) bool { return d.Class == 0x01 && d.Subclass == 0x06 && d.ProgIF == 0x01 },
	"nvme":       func(d hal.Device) bool { return d.Class == 0x01 && d.Subclass == 0x08 && d.ProgIF == 0x02 },
}

// Aliases returns the kinds of device a name may be, sorted.
func Aliases() []string {
	var out []string
	for a := range aliases {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Match returns the indexes in devs of the devices name describes, or an error
// (ErrBadName, ErrNoDevice) saying why it describes none.
func Match(devs []hal.Device, name string) ([]int, error) {
	match, err := Matcher(name)
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
		return nil, fmt.Errorf("device %q: %w", name, ErrNoDevice)
	}
	return out, nil
}

// Matcher returns the test a device passes if name describes it, or ErrBadName.
func Matcher(name string) (func(hal.Device) bool, error) {
	if m, ok := aliases[name]; ok {
		return m, nil
	}
	hex := func(s string, bits int) (uint64, bool) {
		v, err := strconv.ParseUint(s, 16, bits)
		return v, err == nil && s != "" && s == strings.ToLower(s)
	}
	if a, b, ok := strings.Cut(name, ":"); ok {
		if bus, ok1 := hex(a, 8); ok1 && len(a) == 2 {
			slot, fn, ok2 := strings.Cut(b, ".")
			s, ok3 := hex(slot, 5)
			f, ok4 := hex(fn, 3)
			// Exactly two digits of slot and one of function: one spelling per
			// address, so that a descriptor's distinct names are distinct devices.
			if ok2 && ok3 && ok4 && len(slot) == 2 && len(fn) == 1 && s < 32 && f < 8 {
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
	return nil, fmt.Errorf("device %q: %w", name, ErrBadName)
}
