package runtime

import (
	"github.com/skyscope-os/skyscope/container/devname"
	"github.com/skyscope-os/skyscope/hal"
)

// MatchDevices returns the indexes in devs of the devices name (a descriptor's
// limits.devices entry: PCI ids, PCI address or kind; see container/devname)
// describes, or an error saying why it describes none. The shell's ctr run --device
// resolves names the same way.
func MatchDevices(devs []hal.Device, name string) ([]int, error) {
	return devname.Match(devs, name)
}
