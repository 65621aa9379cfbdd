package kernel

import (
	"fmt"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// A SharedImage is the read-only part of a program's image (code and read-only data),
// kept once in memory and mapped read-only into every task that runs the program, as
// the seeds' "shared read-only code images". The kernel owns its frames: they are
// charged to no task, exist while some task maps them, and go back to the machine when
// the last such task ends. A write to one faults the writer only (its personality or
// fault handler sees an ordinary protection fault).
type SharedImage struct {
	key    string
	frames map[hal.VirtAddr]*Frame
	users  int
}

// SharedStats describes the shared images in memory.
type SharedStats struct {
	Images   int // programs with a shared image in memory
	Frames   int // frames those images hold
	Mappings int // mappings of them, over every task
	// Saved is the frames that sharing saves: without it each mapping would have
	// needed a frame of its own.
	Saved int
}

// SharedStats returns the shared images' figures.
func (k *Kernel) SharedStats() SharedStats {
	var s SharedStats
	for _, img := range k.images {
		s.Images++
		s.Frames += len(img.frames)
		for _, f := range img.frames {
			s.Mappings += len(f.mappings)
		}
	}
	s.Saved = s.Mappings - s.Frames
	return s
}

// sharedImage returns the shared image for key, making an empty one.
func (k *Kernel) sharedImage(key string) *SharedImage {
	if k.images == nil {
		k.images = map[string]*SharedImage{}
	}
	img := k.images[key]
	if img == nil {
		img = &SharedImage{key: key, frames: map[hal.VirtAddr]*Frame{}}
		k.images[key] = img
	}
	return img
}

// releaseImage drops a task's use of img; the last user's release frees its frames
// (they are unmapped already: the task's address space is gone).
func (k *Kernel) releaseImage(img *SharedImage) {
	img.users--
	if img.users > 0 {
		return
	}
	for va, f := range img.frames {
		for _, m := range f.mappings {
			m.as.pt.Unmap(m.va)
			delete(m.as.frames, m.va)
		}
		f.mappings = nil
		k.mem.FreeFrame(f.pa)
		delete(img.frames, va)
	}
	delete(k.images, img.key)
}

// placeShared maps the read-only pages of image into as from img, filling img's frames
// from the image where it has none yet; it returns the pages placed. Writable segments
// are left to placeImage.
func (k *Kernel) placeShared(as *AddressSpace, img *SharedImage, image []Segment) (int, error) {
	n := 0
	for _, seg := range image {
		if seg.Perm&hal.PermWrite != 0 {
			continue
		}
		size := max(seg.Memsz, uint64(len(seg.Data)))
		for off := uint64(0); off < size; off += abi.PageSize {
			va := hal.VirtAddr(seg.Vaddr + off)
			if _, busy := as.frames[va]; busy {
				return n, fmt.Errorf("segments overlap at %#x", va)
			}
			f := img.frames[va]
			if f == nil {
				f = k.newFrame()
				if off < uint64(len(seg.Data)) {
					copy(f.Bytes()[:], seg.Data[off:min(off+abi.PageSize, uint64(len(seg.Data)))])
				}
				img.frames[va] = f
			}
			if e := f.mapInto(as, va, seg.Perm&^hal.PermWrite); e != abi.OK {
				return n, fmt.Errorf("mapping the shared image at %#x: %v", va, e)
			}
			n++
		}
	}
	return n, nil
}

// checkShared verifies formal target 11 by walking spaces, every address space the
// invariant check reached (each thread's and each one a capability names):
//   - every page there whose frame belongs to a shared image is in the page table at
//     that frame, read-only, and recorded among the frame's mappings;
//   - no other frame object holds a shared frame's physical page;
//   - every recorded mapping of a shared frame is in its address space's page table,
//     read-only, and in that space's frames.
//
// So a shared frame is read-only in every address space that maps it, however the
// mapping came about.
func (k *Kernel) checkShared(spaces []*AddressSpace) error {
	shared := map[*Frame]string{}
	sharedPA := map[hal.PhysAddr]*Frame{}
	for key, img := range k.images {
		if img.users <= 0 {
			return fmt.Errorf("shared image %s has %d users", key, img.users)
		}
		for va, f := range img.frames {
			shared[f], sharedPA[f.pa] = key, f
			for _, m := range f.mappings {
				pa, perm, ok := m.as.pt.Lookup(m.va)
				if !ok || pa != f.pa || m.as.frames[m.va] != f {
					return fmt.Errorf("shared image %s page %#x: mapping at %#x is not in the page table", key, va, m.va)
				}
				if perm&hal.PermWrite != 0 {
					return fmt.Errorf("shared image %s page %#x: mapped writable at %#x", key, va, m.va)
				}
			}
		}
	}
	for _, as := range spaces {
		for va, f := range as.frames {
			if owner, ok := sharedPA[f.pa]; ok && owner != f {
				return fmt.Errorf("address space %d: page %#x maps shared image %s's frame %#x through another frame object", objectID(as), va, shared[owner], f.pa)
			}
			key, ok := shared[f]
			if !ok {
				continue
			}
			pa, perm, ok := as.pt.Lookup(va)
			if !ok || pa != f.pa {
				return fmt.Errorf("address space %d: shared image %s page at %#x is not in the page table", objectID(as), key, va)
			}
			if perm&hal.PermWrite != 0 {
				return fmt.Errorf("address space %d: shared image %s page at %#x is mapped writable", objectID(as), key, va)
			}
			recorded := false
			for _, m := range f.mappings {
				recorded = recorded || m.as == as && m.va == va
			}
			if !recorded {
				return fmt.Errorf("address space %d: shared image %s page at %#x is not among the frame's mappings", objectID(as), key, va)
			}
		}
	}
	return nil
}
