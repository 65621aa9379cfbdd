package amd64

import "unsafe"

// Physical memory: a bitmap of 4 KiB frames below maxPhys (set = in use). Everything
// starts in use; memInit frees what the firmware's memory map calls available, minus
// what the boot left there (reserved).
const (
	pageSize  = 4096
	maxPhys   = 64 << 30 // RAM above this is not used
	numFrames = maxPhys / pageSize
	loaderMap = 4 << 30 // the loader's direct map covers the low 4 GiB
)

var (
	// directEnd is the end of the direct map: the loader's 4 GiB, extended by
	// extendDirectMap to the highest available RAM below maxPhys.
	directEnd   uint64 = loaderMap
	highestRAM  uint64
	frameBitmap [numFrames / 64]uint64
	freeFrames  uint64
	totalFrames uint64 // frames the memory map calls available
	frameHint   uint64
	// runtimeFrames counts the frames mapped on demand into the runtime's mmap
	// area (faultIn) and not yet unmapped: the kernel's Go heap and stacks.
	runtimeFrames uint64
)

//go:nosplit
func frameUsed(f uint64) bool { return frameBitmap[f/64]&(1<<(f%64)) != 0 }

//go:nosplit
func setFrame(f uint64, used bool) {
	if used {
		frameBitmap[f/64] |= 1 << (f % 64)
	} else {
		frameBitmap[f/64] &^= 1 << (f % 64)
	}
}

// Physical ranges that hold something at boot and must not be handed out: the first
// MiB (firmware, BIOS data), the loader and its page tables, the kernel image, the
// kernel's ELF module, and the boot information with everything it points to.
var (
	reserved    [24][2]uint64
	numReserved int
)

//go:nosplit
func reserve(start, end uint64) {
	if numReserved < len(reserved) && end > start {
		reserved[numReserved] = [2]uint64{start &^ (pageSize - 1), end}
		numReserved++
	}
}

//go:nosplit
func isReserved(pa uint64) bool {
	for i := 0; i < numReserved; i++ {
		if pa+pageSize > reserved[i][0] && pa < reserved[i][1] {
			return true
		}
	}
	return false
}

// freeRange releases the available RAM [base, base+n) to the allocator, except
// reserved frames.
//
//go:nosplit
func freeRange(base, n uint64) {
	start := (base + pageSize - 1) / pageSize
	end := (base + n) / pageSize
	if end > numFrames {
		end = numFrames
	}
	if end*pageSize > highestRAM {
		highestRAM = end * pageSize
	}
	for f := start; f < end; f++ {
		totalFrames++
		if !frameUsed(f) || isReserved(f*pageSize) {
			continue
		}
		setFrame(f, false)
		freeFrames++
	}
}

// reserveBootData records what memInit must keep: see reserved.
//
//go:nosplit
func reserveBootData(info uintptr) {
	reserve(0, 1<<20)
	reserve(handoff.LoaderStart, handoff.LoaderEnd)
	reserve(handoff.KernelPhys, handoff.KernelPhys+handoff.KernelSize)
	reserve(handoff.ModuleStart, handoff.ModuleEnd)
	const stringMax = 4096 // command lines are C strings; keep a page each
	switch handoff.Magic {
	case 0x2BADB002:
		reserve(handoff.Info, handoff.Info+128)
		flags := *(*uint32)(ptrAt(info))
		if flags&(1<<2) != 0 {
			c := uint64(*(*uint32)(ptrAt(info + 16)))
			reserve(c, c+stringMax)
		}
		if flags&(1<<3) != 0 {
			count := uint64(*(*uint32)(ptrAt(info + 20)))
			mods := uint64(*(*uint32)(ptrAt(info + 24)))
			reserve(mods, mods+16*count)
			for i := uint64(0); i < count && i < 8; i++ {
				m := physToVirt(mods + 16*i)
				reserve(uint64(*(*uint32)(ptrAt(m))), uint64(*(*uint32)(ptrAt(m + 4))))
				c := uint64(*(*uint32)(ptrAt(m + 8)))
				reserve(c, c+stringMax)
			}
		}
		if flags&(1<<6) != 0 {
			mm := uint64(*(*uint32)(ptrAt(info + 48)))
			reserve(mm, mm+uint64(*(*uint32)(ptrAt(info + 44))))
		}
	case 0x36D76289:
		// One block holds everything, module tags included; modules are their own.
		total := uint64(*(*uint32)(ptrAt(info)))
		reserve(handoff.Info, handoff.Info+total)
		for off := uint64(8); off+16 <= total; {
			typ := *(*uint32)(ptrAt(info + uintptr(off)))
			size := uint64(*(*uint32)(ptrAt(info + uintptr(off) + 4)))
			if typ == 0 || size < 8 {
				break
			}
			if typ == 3 {
				reserve(uint64(*(*uint32)(ptrAt(info + uintptr(off) + 8))), uint64(*(*uint32)(ptrAt(info + uintptr(off) + 12))))
			}
			off += (size + 7) &^ 7
		}
	}
}

// memInit reads the multiboot memory map (multiboot 1: info+44/48; multiboot 2: tag 6)
// and frees the available frames that hold nothing from the boot.
//
//go:nosplit
func memInit() {
	for i := range frameBitmap {
		frameBitmap[i] = ^uint64(0)
	}
	info := physToVirt(handoff.Info)
	reserveBootData(info)
	switch handoff.Magic {
	case 0x2BADB002:
		flags := *(*uint32)(ptrAt(info))
		if flags&(1<<6) == 0 {
			kprint("skyscope: the boot loader gave no memory map\n")
			haltForever()
		}
		length := uint64(*(*uint32)(ptrAt(info + 44)))
		p := physToVirt(uint64(*(*uint32)(ptrAt(info + 48))))
		for off := uint64(0); off+24 <= length; {
			size := uint64(*(*uint32)(ptrAt(p + uintptr(off))))
			base := *(*uint64)(ptrAt(p + uintptr(off) + 4))
			n := *(*uint64)(ptrAt(p + uintptr(off) + 12))
			typ := *(*uint32)(ptrAt(p + uintptr(off) + 20))
			if typ == 1 {
				freeRange(base, n)
			}
			off += size + 4
		}
	case 0x36D76289:
		total := uint64(*(*uint32)(ptrAt(info)))
		for off := uint64(8); off+8 <= total; {
			typ := *(*uint32)(ptrAt(info + uintptr(off)))
			size := uint64(*(*uint32)(ptrAt(info + uintptr(off) + 4)))
			if typ == 0 || size < 8 {
				break
			}
			if typ == 6 {
				esize := uint64(*(*uint32)(ptrAt(info + uintptr(off) + 8)))
				for e := uint64(16); esize >= 24 && e+esize <= size; e += esize {
					p := info + uintptr(off+e)
					if *(*uint32)(ptrAt(p + 16)) == 1 {
						freeRange(*(*uint64)(ptrAt(p)), *(*uint64)(ptrAt(p + 8)))
					}
				}
			}
			off += (size + 7) &^ 7
		}
	}
	extendDirectMap()
	kprint("skyscope: ")
	kprintDec(freeFrames * pageSize >> 20)
	kprint(" MiB of memory free\n")
}

// extendDirectMap maps the RAM above the loader's 4 GiB into the direct map (PML4
// slot 256), with 1 GiB pages where the CPU has them (CPUID 80000001h:EDX bit 26),
// else 2 MiB pages; the page directories come from the low memory already freed.
// Frames it cannot map are taken back out of the allocator.
//
//go:nosplit
func extendDirectMap() {
	if highestRAM <= loaderMap {
		return
	}
	_, _, _, edx := cpuid(0x80000001, 0)
	huge := edx&(1<<26) != 0
	pdpt := *(*uint64)(ptrAt(physToVirt(readCR3()&pteAddrMask + 256*8))) & pteAddrMask
	for gb := uint64(loaderMap); gb < highestRAM; gb += 1 << 30 {
		e := (*uint64)(ptrAt(physToVirt(pdpt + (gb>>30)*8)))
		if *e&ptePresent != 0 {
			continue
		}
		if huge {
			*e = gb | ptePresent | pteWrite | pteHuge | pteNX
		} else {
			pd, ok := allocFrame()
			if !ok {
				break
			}
			for i := uint64(0); i < 512; i++ {
				*(*uint64)(ptrAt(physToVirt(pd + i*8))) = (gb + i<<21) | ptePresent | pteWrite | pteHuge | pteNX
			}
			*e = pd | ptePresent | pteWrite
		}
		directEnd = gb + 1<<30
	}
	writeCR3(readCR3())
	// Anything still beyond the direct map cannot be zeroed or reached: keep it.
	for f := directEnd / pageSize; f < numFrames; f++ {
		if !frameUsed(f) {
			setFrame(f, true)
			freeFrames--
		}
	}
}

// allocFrame returns a zeroed physical frame.
//
//go:nosplit
func allocFrame() (uint64, bool) {
	for i := uint64(0); i < numFrames; i++ {
		f := (frameHint + i) % numFrames
		if frameBitmap[f/64] == ^uint64(0) {
			i += 63 - f%64
			continue
		}
		if !frameUsed(f) {
			setFrame(f, true)
			freeFrames--
			frameHint = f + 1
			pa := f * pageSize
			zeroPage(pa)
			return pa, true
		}
	}
	return 0, false
}

//go:nosplit
func freeFrame(pa uint64) {
	f := pa / pageSize
	if f >= numFrames || !frameUsed(f) {
		kprint("skyscope: freeing a free frame ")
		kprintHex(pa)
		kprint("\n")
		haltForever()
	}
	setFrame(f, false)
	freeFrames++
}

//go:nosplit
func zeroPage(pa uint64) {
	p := (*[pageSize / 8]uint64)(ptrAt(physToVirt(pa)))
	for i := range p {
		p[i] = 0
	}
}

// Page-table entry bits (SDM 3A §4.5, tables 4-19/4-20).
const (
	ptePresent      = 1 << 0
	pteWrite        = 1 << 1
	pteUser         = 1 << 2
	pteWriteThrough = 1 << 3 // PWT
	pteCacheDisable = 1 << 4 // PCD
	pteHuge         = 1 << 7
	pteNX           = 1 << 63
	pteAddrMask     = 0x000F_FFFF_FFFF_F000
)

// pteFor returns the page-table entry for va in the current address space, making the
// intermediate tables if create is set; nil if absent (or mapped by a huge page).
//
//go:nosplit
func pteFor(va uint64, create bool) *uint64 {
	table := readCR3() & pteAddrMask
	for level := 3; level > 0; level-- {
		idx := (va >> (12 + 9*uint(level))) & 511
		e := (*uint64)(ptrAt(physToVirt(table + idx*8)))
		if *e&ptePresent == 0 {
			if !create {
				return nil
			}
			pa, ok := allocFrame()
			if !ok {
				return nil
			}
			*e = pa | ptePresent | pteWrite
		} else if *e&pteHuge != 0 {
			return nil
		}
		table = *e & pteAddrMask
	}
	return (*uint64)(ptrAt(physToVirt(table + ((va>>12)&511)*8)))
}

// A vma is a range of the kernel's own address space made by the runtime's mmap.
type vma struct {
	start, end uint64
	prot       uint64 // PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4
}

const maxVMAs = 512

var (
	vmas     [maxVMAs]vma
	numVMAs  int
	mmapNext uint64 = mmapBase
)

// mmapBase is where the runtime's anonymous mappings go: PML4 slot 320, in the kernel
// half, away from the direct map (slot 256) and the image (slot 511).
const mmapBase = 0xffffa000_00000000

//go:nosplit
func findVMA(va uint64) int {
	for i := 0; i < numVMAs; i++ {
		if va >= vmas[i].start && va < vmas[i].end {
			return i
		}
	}
	return -1
}

// vmaSet makes [start, end) one range with protection prot (0 removes it), splitting
// or trimming whatever overlapped. Pages of removed or PROT_NONE parts are freed.
//
//go:nosplit
func vmaSet(start, end, prot uint64, keep bool) bool {
	// Cut every overlapping range to the parts outside [start, end).
	for i := 0; i < numVMAs; i++ {
		v := vmas[i]
		if v.end <= start || v.start >= end {
			continue
		}
		if v.start < start && v.end > end { // split in two
			if numVMAs == maxVMAs {
				return false
			}
			vmas[numVMAs] = vma{end, v.end, v.prot}
			numVMAs++
			vmas[i].end = start
			continue
		}
		if v.start < start {
			vmas[i].end = start
		} else if v.end > end {
			vmas[i].start = end
		} else {
			vmas[i] = vmas[numVMAs-1]
			numVMAs--
			i--
		}
	}
	if !keep || prot == 0 {
		unmapRange(start, end)
	}
	if prot != 0 {
		if numVMAs == maxVMAs {
			return false
		}
		vmas[numVMAs] = vma{start, end, prot}
		numVMAs++
	}
	return true
}

// unmapRange removes and frees the pages mapped in [start, end), skipping 2 MiB blocks
// that have no page table at all (the runtime reserves large ranges it never touches).
//
//go:nosplit
func unmapRange(start, end uint64) {
	for va := start; va < end; va += pageSize {
		e := pteFor(va, false)
		if e == nil {
			if va%(1<<21) == 0 {
				va += 1<<21 - pageSize
			}
			continue
		}
		if *e&ptePresent != 0 {
			freeFrame(*e & pteAddrMask)
			runtimeFrames--
			*e = 0
			invlpg(uintptr(va))
		}
	}
}

// faultIn maps a zeroed frame at va if a vma allows the access. It reports whether
// the access can now proceed.
//
//go:nosplit
func faultIn(va uint64, write bool) bool {
	i := findVMA(va)
	if i < 0 || vmas[i].prot&3 == 0 || (write && vmas[i].prot&2 == 0) {
		return false
	}
	e := pteFor(va, true)
	if e == nil {
		return false
	}
	if *e&ptePresent != 0 {
		return !write || *e&pteWrite != 0
	}
	pa, ok := allocFrame()
	if !ok {
		return false
	}
	flags := uint64(ptePresent | pteNX)
	if vmas[i].prot&2 != 0 {
		flags |= pteWrite
	}
	if vmas[i].prot&4 != 0 {
		flags &^= pteNX
	}
	*e = pa | flags
	runtimeFrames++
	return true
}

// touch makes sure [addr, addr+n) of the runtime's memory is mapped (faulting pages in)
// before trap code reads or writes it; false means the range is not valid memory.
//
//go:nosplit
func touch(addr, n uint64, write bool) bool {
	if n == 0 {
		return true
	}
	if addr+n < addr {
		return false
	}
	for va := addr &^ (pageSize - 1); va < addr+n; va += pageSize {
		if va >= 0xffffffff80000000 || (va >= directMapBase && va < directMapBase+directEnd) {
			continue // the kernel image and the direct map are always mapped
		}
		e := pteFor(va, false)
		if e != nil && *e&ptePresent != 0 && (!write || *e&pteWrite != 0) {
			continue
		}
		if !faultIn(va, write) {
			return false
		}
	}
	return true
}

// ptrAt turns a kernel virtual address (direct map, kernel image, the runtime's
// mappings) into a pointer. The address is reinterpreted, not converted, because it
// does not point into Go's heap and the GC ignores it.
//
//go:nosplit
func ptrAt(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }
