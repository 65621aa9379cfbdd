package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
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

// BreakSharedMapping damages one mapping of a shared image, for the tests of
// CheckInvariants' shared-image walk: "writable" maps it writable in its page table,
// "unrecorded" drops it from the frame's mappings. It returns a function that undoes
// the damage, or nil when no shared image is mapped.
func BreakSharedMapping(k *Kernel, how string) func() {
	for _, img := range k.images {
		for _, f := range img.frames {
			if len(f.mappings) == 0 {
				continue
			}
			m := f.mappings[0]
			switch how {
			case "writable":
				_, perm, _ := m.as.pt.Lookup(m.va)
				m.as.pt.Unmap(m.va)
				m.as.pt.Map(m.va, f.pa, perm|hal.PermWrite)
				return func() { m.as.pt.Unmap(m.va); m.as.pt.Map(m.va, f.pa, perm) }
			case "unrecorded":
				saved := f.mappings
				f.mappings = append([]mapping(nil), f.mappings[1:]...)
				return func() { f.mappings = saved }
			}
		}
	}
	return nil
}

// ObjectBudget returns the memory budget o is charged to (nil for objects charged to
// nobody), for TestAuthorityConfinement's account of where each object came from.
func ObjectBudget(o capability.Object) *Untyped {
	return o.(interface{ base() *objBase }).base().budget
}

// CSpaceOf returns the capability space a CSpace object holds, or nil for other
// objects.
func CSpaceOf(o capability.Object) *capability.Space {
	if cs, ok := o.(*CSpace); ok {
		return &cs.Space
	}
	return nil
}

// MethodsWithoutSpec returns the invocation methods the kernel's table has no
// handler for: a method added to the ABI and forgotten in the table would otherwise
// answer ErrWrongType.
func MethodsWithoutSpec() []abi.Method {
	var out []abi.Method
	for m := abi.Method(1); int(m) < abi.NumMethods; m++ {
		if methods[m].handler == nil {
			out = append(out, m)
		}
	}
	return out
}
