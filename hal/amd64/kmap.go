package amd64

// protectKernel remaps the kernel image with the permissions its ELF program headers
// ask for — text read-only and executable, rodata read-only, data and bss writable
// and non-executable — in 4 KiB pages, replacing the loader's 1 GiB of 2 MiB RWX
// pages; and marks the direct map non-executable. With CR0.WP on (the loader sets it),
// a stray write to kernel code faults even in ring 0.
//
//go:nosplit
func protectKernel() bool {
	const kernelBase = 0xffffffff80000000
	elf := physToVirt(handoff.ModuleStart)
	phoff := *(*uint64)(ptrAt(elf + 32))
	phentsize := uint64(*(*uint16)(ptrAt(elf + 54)))
	phnum := uint64(*(*uint16)(ptrAt(elf + 56)))
	if phentsize < 56 || phnum > 64 || phoff+phnum*phentsize > handoff.ModuleEnd-handoff.ModuleStart {
		return false
	}
	pd, ok := allocFrame()
	if !ok {
		return false
	}
	for i := uint64(0); i < phnum; i++ {
		ph := elf + uintptr(phoff+i*phentsize)
		if *(*uint32)(ptrAt(ph)) != 1 { // PT_LOAD
			continue
		}
		pflags := *(*uint32)(ptrAt(ph + 4))
		vaddr := *(*uint64)(ptrAt(ph + 16))
		memsz := *(*uint64)(ptrAt(ph + 40))
		if vaddr < kernelBase || vaddr-kernelBase+memsz > handoff.KernelSize+pageSize {
			return false
		}
		flags := uint64(ptePresent)
		if pflags&2 != 0 { // PF_W
			flags |= pteWrite
		}
		if pflags&1 == 0 { // PF_X
			flags |= pteNX
		}
		for va := vaddr &^ (pageSize - 1); va < vaddr+memsz; va += pageSize {
			off := va - kernelBase
			pdi := off >> 21
			pde := (*uint64)(ptrAt(physToVirt(pd + pdi*8)))
			if *pde == 0 {
				pt, ok := allocFrame()
				if !ok {
					return false
				}
				*pde = pt | ptePresent | pteWrite
			}
			pte := (*uint64)(ptrAt(physToVirt(*pde&pteAddrMask + (off>>12&511)*8)))
			*pte = (handoff.KernelPhys+off)&pteAddrMask | flags
		}
	}
	// PML4[511] → PDPT; its entry 510 covers 0xffffffff80000000.
	pml4 := readCR3() & pteAddrMask
	pdpt := *(*uint64)(ptrAt(physToVirt(pml4 + 511*8))) & pteAddrMask
	*(*uint64)(ptrAt(physToVirt(pdpt + 510*8))) = pd | ptePresent | pteWrite
	// The direct map (PML4[256]) is data only.
	dm := *(*uint64)(ptrAt(physToVirt(pml4 + 256*8))) & pteAddrMask
	for i := uint64(0); i < 4; i++ {
		pdl := *(*uint64)(ptrAt(physToVirt(dm + i*8))) & pteAddrMask
		for j := uint64(0); j < 512; j++ {
			e := (*uint64)(ptrAt(physToVirt(pdl + j*8)))
			if *e&ptePresent != 0 {
				*e |= pteNX
			}
		}
	}
	writeCR3(readCR3())
	return true
}
