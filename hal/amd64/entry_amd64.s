#include "go_asm.h"
#include "textflag.h"

// _rt0_skyscope is the kernel's entry (the linker's -E). The loader (boot/loader) jumps
// here in 64-bit mode with paging on, interrupts off and %rdi pointing at its handoff
// record. Before any Go function runs: a stack, SSE on (CR0.EM=0, MP, NE; CR4.OSFXSR,
// OSXMMEXCPT — SDM 3A §13.1.3), and an FS base whose -8 word (where ABI wrappers read
// g) is a valid zero. earlyInit then builds the machine state and the process stack the
// runtime expects, and we enter the runtime's own Linux entry point.
TEXT _rt0_skyscope(SB),NOSPLIT|NOFRAME,$0
	MOVQ	DI, ·handoffAddr(SB)
	MOVQ	$·bootStack+const_bootStackInit(SB), SP
	ANDQ	$~15, SP
	MOVQ	CR0, AX
	ANDQ	$~4, AX
	ORQ	$0x22, AX
	MOVQ	AX, CR0
	MOVQ	CR4, AX
	ORQ	$0x600, AX
	MOVQ	AX, CR4
	MOVQ	$·bootTLS+64(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$0xC0000100, CX // IA32_FS_BASE
	WRMSR
	CALL	·earlyInit(SB)
	MOVQ	·initialSP(SB), SP
	PUSHQ	$0x202 // IF on: the runtime's threads are preemptible
	POPFQ
	JMP	_rt0_amd64_linux(SB)

// func addrVectors() uint64
TEXT ·addrVectors(SB),NOSPLIT,$0-8
	MOVQ	$·vectors(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func addrSyscallEntry() uint64
TEXT ·addrSyscallEntry(SB),NOSPLIT,$0-8
	MOVQ	$·syscallEntry(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func addrIdleLoop() uint64
TEXT ·addrIdleLoop(SB),NOSPLIT,$0-8
	MOVQ	$·idleLoop(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
