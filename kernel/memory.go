package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Frame is one page of physical memory. It can be mapped into any number of address
// spaces; its capability's rights bound the permissions of each mapping. When the
// frame dies it is unmapped everywhere and its memory goes back to the machine.
type Frame struct {
	objBase
	pa       hal.PhysAddr // immutable
	mappings []mapping
	anon     bool // owned by the one address space it is mapped in (MapAnon), not by capabilities
	device   bool // a page of device registers (DeviceFrame): mapped uncached, never zeroed or freed
}

type mapping struct {
	as *AddressSpace
	va hal.VirtAddr
}

func (k *Kernel) newFrame() *Frame {
	pa, ok := k.mem.AllocFrame()
	if !ok {
		panic("kernel: frame allocation failed after decode checked free frames")
	}
	f := &Frame{pa: pa}
	f.k = k
	return f
}

// Type implements capability.Object.
func (f *Frame) Type() abi.ObjectType { return abi.ObjFrame }

// Bytes returns the frame's contents as the kernel sees them.
func (f *Frame) Bytes() *[abi.PageSize]byte { return f.k.mem.Frame(f.pa) }

// Finalize implements capability.Object.
func (f *Frame) Finalize(*capability.Tree) {
	for _, m := range f.mappings {
		m.as.pt.Unmap(m.va)
		delete(m.as.frames, m.va)
	}
	f.mappings = nil
	if !f.device {
		f.k.mem.FreeFrame(f.pa)
	}
	f.release()
}

// AddressSpace is a user virtual address space: a page-table root plus the record of
// which frame is mapped where.
type AddressSpace struct {
	objBase
	pt     hal.PageTable
	frames map[hal.VirtAddr]*Frame
}

func (k *Kernel) newAddressSpace() *AddressSpace {
	pt, err := k.m.NewPageTable()
	if err != nil {
		panic("kernel: page table allocation failed after decode checked free frames: " + err.Error())
	}
	a := &AddressSpace{pt: pt, frames: map[hal.VirtAddr]*Frame{}}
	a.k = k
	return a
}

// Type implements capability.Object.
func (a *AddressSpace) Type() abi.ObjectType { return abi.ObjAddressSpace }

// freeAnon releases an anonymous frame (MapAnon) once it is unmapped.
func (f *Frame) freeAnon() {
	f.k.mem.FreeFrame(f.pa)
	f.release()
}

// Finalize implements capability.Object.
func (a *AddressSpace) Finalize(*capability.Tree) {
	for va, f := range a.frames {
		f.removeMapping(a, va)
		if f.anon {
			f.freeAnon()
		}
	}
	a.frames = nil
	a.pt.Release()
	a.release()
}

func (f *Frame) removeMapping(a *AddressSpace, va hal.VirtAddr) {
	for i, m := range f.mappings {
		if m.as == a && m.va == va {
			f.mappings = append(f.mappings[:i], f.mappings[i+1:]...)
			return
		}
	}
	panic("kernel: frame mapping record missing")
}

// decodeMap checks a FrameMap invocation.
func decodeMap(frame *capability.Slot, as *capability.Slot, va, perm uint64) (hal.Perm, abi.Errno) {
	if as.Object().Type() != abi.ObjAddressSpace {
		return 0, abi.ErrWrongType
	}
	if !as.Rights().Has(abi.RightWrite) {
		return 0, abi.ErrNoRights
	}
	if va%abi.PageSize != 0 || perm == 0 || perm&^uint64(hal.PermRead|hal.PermWrite|hal.PermExec) != 0 {
		return 0, abi.ErrInvalidArg
	}
	if va >= uint64(hal.UserTop) {
		return 0, abi.ErrRange
	}
	p := hal.Perm(perm)
	need := abi.RightRead
	if p&hal.PermWrite != 0 {
		need |= abi.RightWrite
	}
	if !frame.Rights().Has(need) {
		return 0, abi.ErrNoRights
	}
	if _, busy := as.Object().(*AddressSpace).frames[hal.VirtAddr(va)]; busy {
		return 0, abi.ErrAlreadyMapped
	}
	return p, abi.OK
}

func (f *Frame) mapInto(a *AddressSpace, va hal.VirtAddr, p hal.Perm) abi.Errno {
	if f.device {
		p |= hal.PermDevice
	}
	if err := a.pt.Map(va, f.pa, p); err != nil {
		return abi.ErrNoMemory
	}
	a.frames[va] = f
	f.mappings = append(f.mappings, mapping{a, va})
	return abi.OK
}

func (f *Frame) unmapFrom(a *AddressSpace, va hal.VirtAddr) abi.Errno {
	if a.frames[va] != f {
		return abi.ErrNotMapped
	}
	a.pt.Unmap(va)
	delete(a.frames, va)
	f.removeMapping(a, va)
	return abi.OK
}
