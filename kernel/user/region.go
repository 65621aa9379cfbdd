package user

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Shared regions: how tasks hand each other memory without copying it through
// messages. A client makes frames, maps them into its own address space, and puts
// capabilities to them — the input pages read-only, the output pages writable — into a
// small capability space, which it grants with a request. The server maps the frames
// into its own address space (the kernel refuses a writable mapping of a frame shared
// read-only), works on them, and unmaps and deletes everything before it answers.

// Mapping permissions as FrameMap takes them (hal.PermRead, hal.PermWrite).
const (
	PermRead  = 1
	PermWrite = 2
)

// MaxRegionPages bounds a region (the server keeps a slot per page while it serves).
const MaxRegionPages = 1024

// Region is a client's shared region: frames mapped in the client at VA, InPages of
// input then OutPages of output, and the capability space to send.
type Region struct {
	CSpace            abi.CPtr // the region's capability space: frame i at slot 1+i
	Frames            abi.CPtr // the client's own capability to frame 0; frame i at Frames+i
	VA                uint64
	InPages, OutPages uint64
}

// NewRegion makes a region from budget ut: its capability space and frames (slots
// taken from slots of the client's capability space cs), the frames mapped into the
// client's address space as at va.
func (e *Env) NewRegion(slots *Slots, ut, cs, as abi.CPtr, va, inPages, outPages uint64) (*Region, error) {
	pages := inPages + outPages
	if pages == 0 || pages > MaxRegionPages {
		return nil, fmt.Errorf("region of %d pages; 1 to %d", pages, MaxRegionPages)
	}
	radix := 4
	for 1<<radix <= pages {
		radix++
	}
	rcs, err := slots.Take()
	if err != nil {
		return nil, err
	}
	if err := e.Retype(ut, abi.ObjCSpace, uint64(radix), cs, rcs, 1); err != nil {
		return nil, err
	}
	r := &Region{CSpace: rcs, VA: va, InPages: inPages, OutPages: outPages}
	for i := range pages {
		f, err := slots.Take()
		if err != nil {
			return nil, err
		}
		if i == 0 {
			r.Frames = f
		}
		if err := e.Retype(ut, abi.ObjFrame, 0, cs, f, 1); err != nil {
			return nil, err
		}
		if err := e.Map(f, as, va+i*abi.PageSize, PermRead|PermWrite); err != nil {
			return nil, err
		}
		rights := abi.RightRead
		if i >= inPages {
			rights |= abi.RightWrite
		}
		if err := e.Copy(rcs, abi.CPtr(1+i), cs, f, rights); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// InputVA and OutputVA return where the region's input and output start in the client.
func (r *Region) InputVA() uint64  { return r.VA }
func (r *Region) OutputVA() uint64 { return r.VA + r.InPages*abi.PageSize }

// Mapped is a region a server mapped; Release undoes it.
type Mapped struct {
	e                 *Env
	cs, as, frames    abi.CPtr
	window            uint64
	pages, mapped     uint64
	InPages, OutPages uint64
}

// ErrRegionNotWritable is returned by MapRegion when output frames were shared
// read-only.
var ErrRegionNotWritable = errors.New("region: output frames not shared writable")

// MapRegion maps a region whose capability space the server received at recv: it
// copies the frame capabilities into slots frames… of its capability space cs and maps
// them into its address space as at window, input read-only, output writable. On an
// error nothing stays mapped.
func (e *Env) MapRegion(recv, cs, as, frames abi.CPtr, window, inPages, outPages uint64) (*Mapped, error) {
	if inPages+outPages == 0 || inPages+outPages > MaxRegionPages {
		return nil, fmt.Errorf("region of %d pages; 1 to %d", inPages+outPages, MaxRegionPages)
	}
	m := &Mapped{e: e, cs: cs, as: as, frames: frames, window: window, pages: inPages + outPages, InPages: inPages, OutPages: outPages}
	for i := range m.pages {
		if err := e.Copy(cs, frames+abi.CPtr(i), recv, abi.CPtr(1+i), abi.AllRights); err != nil {
			m.Release()
			return nil, fmt.Errorf("region frame %d: %w", i, err)
		}
		perm := uint64(PermRead)
		if i >= inPages {
			perm |= PermWrite
		}
		if err := e.Map(frames+abi.CPtr(i), as, window+i*abi.PageSize, perm); err != nil {
			m.Release()
			if errors.Is(err, abi.ErrNoRights) {
				return nil, ErrRegionNotWritable
			}
			return nil, fmt.Errorf("region frame %d: %w", i, err)
		}
		m.mapped++
	}
	return m, nil
}

// InputVA and OutputVA return where the input and output are mapped in the server.
func (m *Mapped) InputVA() uint64  { return m.window }
func (m *Mapped) OutputVA() uint64 { return m.window + m.InPages*abi.PageSize }

// Release unmaps the region and deletes the server's capabilities to its frames.
func (m *Mapped) Release() {
	for i := range m.mapped {
		m.e.Unmap(m.frames+abi.CPtr(i), m.as, m.window+i*abi.PageSize)
	}
	for i := range m.pages {
		m.e.Delete(m.cs, m.frames+abi.CPtr(i))
	}
	m.mapped = 0
}
