package amd64

// CPU instructions that Go cannot express, in cpu_amd64.s. All are nosplit: trap code
// and the pre-runtime boot path call them.

// rdmsr reads model-specific register msr (RDMSR; SDM vol. 4).
//
//go:noescape
func rdmsr(msr uint32) uint64

// wrmsr writes model-specific register msr (WRMSR).
//
//go:noescape
func wrmsr(msr uint32, v uint64)

// rdtsc reads the time-stamp counter (RDTSC; SDM vol. 3B §18.17).
func rdtsc() uint64

// readCR2 returns the faulting linear address of the last page fault.
func readCR2() uint64

// readCR3 returns the current page-table root.
func readCR3() uint64

// writeCR3 switches page-table root (flushing non-global TLB entries).
func writeCR3(v uint64)

// invlpg drops the TLB entry of the page containing va (INVLPG).
func invlpg(va uintptr)

// lgdt loads the GDT register from the 10-byte pseudo-descriptor at p and reloads CS
// (0x08 through a far return) and the data segment registers (0x10; FS and GS 0,
// keeping their base MSRs).
//
//go:noescape
func lgdt(p *[2]uint64)

// lidt loads the IDT register from the pseudo-descriptor at p.
//
//go:noescape
func lidt(p *[2]uint64)

// ltr loads the task register with selector sel.
func ltr(sel uint16)

// halt stops the CPU until the next interrupt with interrupts off: forever.
func haltForever()

// cpuid executes CPUID with leaf and subleaf.
func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)

// Model-specific registers (SDM vol. 4, table 2-2).
const (
	msrEFER         = 0xC0000080
	msrSTAR         = 0xC0000081
	msrLSTAR        = 0xC0000082
	msrFMASK        = 0xC0000084
	msrFSBase       = 0xC0000100
	msrGSBase       = 0xC0000101
	msrKernelGSBase = 0xC0000102
)

// rdrand returns a hardware random number (RDRAND; SDM vol. 1 §7.3.17); ok is false
// when the generator had none ready. Only call it if hasRDRAND.
func rdrand() (v uint64, ok bool)
