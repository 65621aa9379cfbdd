package amd64

import "unsafe"

// Handoff is the record the loader (boot/loader/loader.S) passes in %rdi: eight
// little-endian words, in this order.
type Handoff struct {
	Magic       uint64 // multiboot magic from the boot loader (0x2BADB002 or 0x36D76289)
	Info        uint64 // physical address of the multiboot information
	KernelPhys  uint64 // physical address of the kernel image
	KernelSize  uint64 // bytes of the image, bss included
	ModuleStart uint64 // the kernel ELF module as the boot loader placed it
	ModuleEnd   uint64
	LoaderStart uint64 // the loader, its boot page tables included
	LoaderEnd   uint64
}

// Boot-time state written by the entry code and earlyInit, before the runtime runs.
var (
	handoffAddr uint64     // physical (identity-mapped) address of the loader's Handoff
	handoff     Handoff    // a copy, so that the loader's memory can be reused later
	initialSP   uint64     // the process stack the runtime starts on (argc, argv, envp, auxv)
	entryTSC    uint64     // the time-stamp counter when the kernel's entry code ran
	bootTLS     [16]uint64 // FS points into it until the runtime sets up m0's TLS
	trapTLS     [16]uint64 // FS while trap code serves a ring-3 task (its g slot is 0)
)

// bootStack is m0's stack. earlyInit runs at bootStackInit (well below the top) while
// it builds argc/argv/envp/auxv at the top; the runtime then uses the top 64 KiB as g0's
// stack (rt0_go), which cannot overlap what earlyInit used.
const (
	bootStackSize = 160 << 10
	bootStackInit = 64 << 10
)

var bootStack [bootStackSize]byte

// Direct map: all physical memory the loader mapped (the low 4 GiB) appears at
// directMapBase (PML4 slot 256).
const directMapBase = 0xffff800000000000

//go:nosplit
func physToVirt(pa uint64) uintptr { return uintptr(directMapBase + pa) }

// earlyInit prepares the machine for the Go runtime: console, descriptor tables,
// SYSCALL MSRs, physical memory, timers, the runtime-thread records and the initial
// process stack. It runs before the runtime exists: no allocation, no panics.
//
//go:nosplit
func earlyInit() {
	entryTSC = rdtsc()
	serialInit()
	handoff = *(*Handoff)(ptrAt(uintptr(handoffAddr)))
	kprint("skyscope: early boot, kernel image at ")
	kprintHex(handoff.KernelPhys)
	kprint("\n")

	// Drop the loader's identity map of the low 4 GiB (PML4 slot 0): from here on the
	// kernel reaches physical memory only through the direct map, the lower half is
	// free for user tasks, and a nil pointer faults.
	*(*uint64)(ptrAt(physToVirt(readCR3() & pteAddrMask))) = 0
	writeCR3(readCR3())

	setupDescriptors()
	// SYSCALL: CS/SS for the kernel from STAR[47:32], for user returns from STAR[63:48];
	// FMASK clears IF, TF, DF, AC, NT (0x47700) on entry. SDM 3A §5.8.8.
	wrmsr(msrSTAR, 0x001B0008_00000000)
	wrmsr(msrLSTAR, addrSyscallEntry())
	wrmsr(msrFMASK, 0x47700)
	wrmsr(msrGSBase, uint64(uintptr(unsafe.Pointer(&cpu0))))
	wrmsr(msrKernelGSBase, 0)

	_, _, ecx, _ := cpuid(1, 0)
	hasRDRAND = ecx&(1<<30) != 0
	memInit()
	if !protectKernel() {
		kprint("skyscope: could not remap the kernel image; it stays writable and executable\n")
	}
	if !shareKernelHalf() {
		kprint("skyscope: out of memory making the kernel half's page tables\n")
		haltForever()
	}
	timeInit()
	threadsInit()
	serialRXInit()
	buildProcessStack()
	kprint("skyscope: entering the Go runtime\n")
}

// threadsInit makes the boot thread (m0) current and prepares the idle thread.
//
//go:nosplit
func threadsInit() {
	cpu0.trapStack = uint64(uintptr(unsafe.Pointer(&trapStack[len(trapStack)-16]))) &^ 0xf
	cpu0.readyHead, cpu0.readyTail = -1, -1
	cpu0.trapTLS = uint64(uintptr(unsafe.Pointer(&trapTLS[8])))
	for i := range threads {
		threads[i].next = -1
	}
	t := &threads[0]
	t.cr3 = kernelCR3
	t.state = tsRunning
	t.tid = 1
	t.fsBase = uint64(uintptr(unsafe.Pointer(&bootTLS[8])))
	cpu0.nextTID = 2
	setCurrent(0)

	idle := &threads[idleThread]
	idle.frame.IP = addrIdleLoop()
	idle.frame.SP = uint64(uintptr(unsafe.Pointer(&idleStack[len(idleStack)-16]))) &^ 0xf
	idle.frame.FLAGS = 0x202
	idle.frame.CS, idle.frame.SS = selKernelCode, selKernelData
	idle.fsBase, idle.cr3 = t.fsBase, kernelCR3
	initFX(idle)
}

// initFX gives a thread a clean FPU/SSE state: FCW 0x37F, MXCSR 0x1F80 (all
// exceptions masked), as after FNINIT/reset (SDM 1 §10.5.1).
//
//go:nosplit
func initFX(t *thread) {
	fx := fxArea(t)
	for i := range fx {
		fx[i] = 0
	}
	fx[0], fx[1] = 0x7F, 0x03 // FCW
	fx[24], fx[25] = 0x80, 0x1F
	fx[28], fx[29] = 0xFF, 0xFF // MXCSR_MASK
}

// fxArea returns the 16-byte-aligned 512-byte FXSAVE image inside t, as the assembly
// computes it.
//
//go:nosplit
func fxArea(t *thread) *[512]byte {
	p := (uintptr(unsafe.Pointer(&t.fx[0])) + 15) &^ 15
	return (*[512]byte)(ptrAt(p))
}

// Strings and data for the initial process stack; they live in the kernel image.
var (
	argv0    = [...]byte{'s', 'k', 'y', 's', 'c', 'o', 'p', 'e', 0}
	atRandom [16]byte
)

// Auxiliary vector keys (System V ABI, AMD64 supplement §3.4.3).
const (
	atNull      = 0
	atPageSz    = 6
	atRandomKey = 25
)

// buildProcessStack lays out, at the top of bootStack, what Linux gives a new process:
// argc, argv (one entry), an empty envp, and an auxv with AT_PAGESZ and AT_RANDOM (no
// AT_SYSINFO_EHDR: there is no vDSO, so the runtime calls clock_gettime itself).
//
//go:nosplit
func buildProcessStack() {
	for i := range atRandom {
		atRandom[i] = byte(randomWord() >> 24)
	}
	words := [...]uint64{
		1, // argc
		uint64(uintptr(unsafe.Pointer(&argv0[0]))), 0, // argv
		0, // envp
		atPageSz, 4096,
		atRandomKey, uint64(uintptr(unsafe.Pointer(&atRandom[0]))),
		atNull, 0,
	}
	top := (uintptr(unsafe.Pointer(&bootStack[len(bootStack)-1])) - 256) &^ 15
	for i, w := range words {
		*(*uint64)(ptrAt(top + uintptr(i)*8)) = w
	}
	initialSP = uint64(top)
}
