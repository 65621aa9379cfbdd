package devname

import (
	"errors"
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
)

// TestMatch: each form of name finds exactly the devices it describes; malformed
// names are ErrBadName and well-formed names of absent devices ErrNoDevice.
func TestMatch(t *testing.T) {
	devs := []hal.Device{
		{Bus: 0, Slot: 2, Vendor: 0x8086, ID: 0x10d3, Class: 0x02},
		{Bus: 0, Slot: 3, Vendor: 0x1af4, ID: 0x1042, Class: 0x01},
		{Bus: 0, Slot: 4, Vendor: 0x1af4, ID: 0x1001, Class: 0x01},
		{Bus: 0, Slot: 0x1f, Func: 2, Vendor: 0x8086, ID: 0x2922, Class: 0x01, Subclass: 0x06, ProgIF: 0x01},
		{Bus: 1, Slot: 0, Vendor: 0x1b36, ID: 0x0010, Class: 0x01, Subclass: 0x08, ProgIF: 0x02},
		{Bus: 0, Slot: 5, Vendor: 0x1af4, ID: 0x1041, Class: 0x02},
	}
	for _, c := range []struct {
		name string
		want []int
	}{{"e1000e", []int{0}}, {"virtio-blk", []int{1, 2}}, {"1af4:1042", []int{1}}, {"00:1f.2", []int{3}},
		{"ahci", []int{3}}, {"nvme", []int{4}}, {"01:00.0", []int{4}}, {"virtio-net", []int{5}}, {"00:04.0", []int{2}}} {
		got, err := Match(devs, c.name)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{"blk", "1af4:10420", "0:1f.2", "00:1f.9", "00:20.0", "1AF4:1042", "", "3", ":", "00:1f", "virtio-blk ", "00:0.01", "00:01f.2", "00:1f.02"} {
		if got, err := Match(devs, bad); !errors.Is(err, ErrBadName) {
			t.Errorf("%q: %v %v, want ErrBadName", bad, got, err)
		}
	}
	for _, absent := range []string{"1234:5678", "00:09.0"} {
		if got, err := Match(devs, absent); !errors.Is(err, ErrNoDevice) {
			t.Errorf("%q: %v %v, want ErrNoDevice", absent, got, err)
		}
	}
	if got, err := Match(nil, "virtio-blk"); !errors.Is(err, ErrNoDevice) {
		t.Errorf("no devices: %v %v", got, err)
	}
}

// FuzzMatcher: any string either fails with ErrBadName or is a name in the
// descriptor's alphabet ([a-z0-9:.-]) that matches a device whose id or address it
// spells; it never panics.
func FuzzMatcher(f *testing.F) {
	for _, s := range []string{"virtio-blk", "1af4:1042", "00:1f.2", "ff:1f.7", "0:0.0", "1AF4:1042", "", "::", "00:20.0", "nvme"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		m, err := Matcher(name)
		if err != nil {
			if !errors.Is(err, ErrBadName) {
				t.Fatalf("%q: %v, not ErrBadName", name, err)
			}
			return
		}
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == ':' || r == '.' || r == '-') {
				t.Fatalf("%q accepted with %q, outside the descriptor's alphabet", name, r)
			}
		}
		// An accepted PCI form matches the device it spells.
		var d hal.Device
		var bus, slot, fn, vendor, id uint
		if n, _ := fmt.Sscanf(name, "%02x:%02x.%1x", &bus, &slot, &fn); n == 3 && len(name) == 7 {
			d = hal.Device{Bus: uint8(bus), Slot: uint8(slot), Func: uint8(fn)}
		} else if n, _ := fmt.Sscanf(name, "%04x:%04x", &vendor, &id); n == 2 && len(name) == 9 {
			d = hal.Device{Vendor: uint16(vendor), ID: uint16(id)}
		} else {
			return
		}
		if !m(d) {
			t.Fatalf("%q does not match the device it spells (%+v)", name, d)
		}
	})
}
