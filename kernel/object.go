package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// objBase is embedded in every kernel object: the capability header plus the memory
// budget the object was charged to, which gets its bytes back when the object dies.
type objBase struct {
	capability.Header
	k      *Kernel  // immutable
	budget *Untyped // immutable; nil for objects the kernel made at boot
	cost   uint64   // immutable; bytes charged to budget
}

// release returns the object's memory to its budget. Finalizers call it last.
func (o *objBase) release() {
	if o.budget != nil {
		o.budget.credit(o.cost)
	}
}

// objectCost returns the bytes a new object of type t with size parameter size charges
// to its budget, or an error if the size parameter is invalid for the type.
func objectCost(t abi.ObjectType, size uint64) (uint64, abi.Errno) {
	switch t {
	case abi.ObjUntyped:
		if size < abi.MinUntypedSize || size > 1<<48 {
			return 0, abi.ErrRange
		}
		return size, abi.OK
	case abi.ObjTCB:
		return abi.SizeTCB, abi.OK
	case abi.ObjEndpoint:
		return abi.SizeEndpoint, abi.OK
	case abi.ObjNotification:
		return abi.SizeNotification, abi.OK
	case abi.ObjReply:
		return abi.SizeReply, abi.OK
	case abi.ObjCSpace:
		if size < 1 || size > abi.MaxCSpaceRadix {
			return 0, abi.ErrRange
		}
		return abi.SizeCSpaceSlot << size, abi.OK
	case abi.ObjFrame:
		return abi.SizeFrame, abi.OK
	case abi.ObjAddressSpace:
		return abi.SizeAddressSpace, abi.OK
	}
	return 0, abi.ErrInvalidArg
}
