package sim

import (
	"fmt"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// physBase is where simulated RAM starts, so that physical address 0 is never a frame.
const physBase = 1 << 20

// memory is simulated RAM. Frame contents are allocated on first use so that a large
// simulated machine costs little host memory.
type memory struct {
	frames [](*[abi.PageSize]byte)
	free   []int // indexes of free frames, used as a stack
	inUse  []bool
	dev    map[hal.PhysAddr]*[abi.PageSize]byte // device memory pages (memory BARs)
}

func (mm *memory) init(n int) {
	mm.dev = map[hal.PhysAddr]*[abi.PageSize]byte{}
	mm.frames = make([]*[abi.PageSize]byte, n)
	mm.inUse = make([]bool, n)
	mm.free = make([]int, n)
	for i := range mm.free {
		mm.free[i] = n - 1 - i // hand out low frames first
	}
}

// AllocFrame implements hal.Memory.
func (mm *memory) AllocFrame() (hal.PhysAddr, bool) {
	if len(mm.free) == 0 {
		return 0, false
	}
	i := mm.free[len(mm.free)-1]
	mm.free = mm.free[:len(mm.free)-1]
	mm.inUse[i] = true
	if mm.frames[i] == nil {
		mm.frames[i] = new([abi.PageSize]byte)
	} else {
		*mm.frames[i] = [abi.PageSize]byte{}
	}
	return hal.PhysAddr(physBase + i*abi.PageSize), true
}

func (mm *memory) index(pa hal.PhysAddr) int {
	i := (int(pa) - physBase) / abi.PageSize
	if pa%abi.PageSize != 0 || int(pa) < physBase || i >= len(mm.frames) {
		panic(fmt.Sprintf("sim: %#x is not a frame address", pa))
	}
	return i
}

// FreeFrame implements hal.Memory.
func (mm *memory) FreeFrame(pa hal.PhysAddr) {
	i := mm.index(pa)
	if !mm.inUse[i] {
		panic(fmt.Sprintf("sim: frame %#x freed twice", pa))
	}
	mm.inUse[i] = false
	mm.free = append(mm.free, i)
}

// Frame implements hal.Memory.
func (mm *memory) Frame(pa hal.PhysAddr) *[abi.PageSize]byte {
	if p := mm.dev[pa]; p != nil {
		return p
	}
	i := mm.index(pa)
	if !mm.inUse[i] {
		panic(fmt.Sprintf("sim: frame %#x used while free", pa))
	}
	return mm.frames[i]
}

// FreeFrames implements hal.Memory.
func (mm *memory) FreeFrames() int { return len(mm.free) }

// RuntimeFrames implements hal.Memory: the hosted kernel's heap is the host
// process's, not the simulated frames.
func (mm *memory) RuntimeFrames() int { return 0 }

type pte struct {
	pa   hal.PhysAddr
	perm hal.Perm
}

// pageTable is a simulated address space: a map from page to frame.
type pageTable struct {
	m        *Machine
	pages    map[hal.VirtAddr]pte
	released bool
}

func checkVA(va hal.VirtAddr) {
	if va%abi.PageSize != 0 || va >= hal.UserTop {
		panic(fmt.Sprintf("sim: bad user page address %#x", va))
	}
}

// Map implements hal.PageTable.
func (pt *pageTable) Map(va hal.VirtAddr, pa hal.PhysAddr, perm hal.Perm) error {
	checkVA(va)
	if _, dup := pt.pages[va]; dup {
		panic(fmt.Sprintf("sim: %#x mapped twice", va))
	}
	pt.pages[va] = pte{pa, perm}
	return nil
}

// Unmap implements hal.PageTable.
func (pt *pageTable) Unmap(va hal.VirtAddr) (hal.PhysAddr, bool) {
	e, ok := pt.pages[va]
	delete(pt.pages, va)
	return e.pa, ok
}

// Lookup implements hal.PageTable.
func (pt *pageTable) Lookup(va hal.VirtAddr) (hal.PhysAddr, hal.Perm, bool) {
	e, ok := pt.pages[va&^(abi.PageSize-1)]
	return e.pa, e.perm, ok
}

// Release implements hal.PageTable.
func (pt *pageTable) Release() {
	pt.released = true
	pt.pages = nil
}
