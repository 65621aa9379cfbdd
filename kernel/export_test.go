package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// SetFastPath turns the IPC fast path on or off and returns the previous setting.
func SetFastPath(on bool) bool {
	old := fastPath
	fastPath = on
	return old
}

// PlantCap copies the capability in src into the empty slot dst with none of the
// kernel's checks, so that tests can make states no system call makes and see
// CheckInvariants report them.
func (k *Kernel) PlantCap(dst, src *capability.Slot) abi.Errno {
	return k.tree.Copy(dst, src, abi.AllRights)
}
