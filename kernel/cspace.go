package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// CSpace is a capability space as a kernel object: 2^radix slots. A task names
// capabilities by their index in the CSpace its TCB is configured with; a capability to
// a CSpace lets its holder manage the slots (Write) or copy from them (Read).
type CSpace struct {
	objBase
	capability.Space
	radix int // immutable
}

func (k *Kernel) newCSpace(radix int) *CSpace {
	c := &CSpace{radix: radix}
	c.k = k
	c.Space.Init(1 << radix)
	c.Space.Owner = c
	return c
}

// Type implements capability.Object.
func (c *CSpace) Type() abi.ObjectType { return abi.ObjCSpace }

// Finalize implements capability.Object: every capability in the space is deleted.
func (c *CSpace) Finalize(t *capability.Tree) {
	for i := 1; i < c.Len(); i++ {
		t.DeleteLocked(c.At(i))
	}
	c.release()
}
