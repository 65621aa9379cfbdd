#include "go_asm.h"
#include "textflag.h"

// Trap entry and exit. The layouts of cpuLocal, thread and trapFrame come from
// go_asm.h; nothing here repeats a Go offset by hand.

// syscallEntry is LSTAR: the runtime's SYSCALL lands here in ring 0 with the return RIP
// in RCX, RFLAGS in R11, interrupts off (FMASK) and the caller's stack still in RSP
// (SDM 3A §5.8.8). It saves every register in the current thread's record, switches to
// the trap stack and serves the call; resume returns to whichever thread is current
// then.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	MOVQ	SP, ·cpu0+cpuLocal_scratchSP(SB)
	MOVQ	AX, ·cpu0+cpuLocal_scratchAX(SB)
	MOVQ	·cpu0+cpuLocal_cur(SB), AX
	MOVQ	BX, trapFrame_BX(AX)
	MOVQ	CX, trapFrame_IP(AX)
	MOVQ	CX, trapFrame_CX(AX)
	MOVQ	DX, trapFrame_DX(AX)
	MOVQ	SI, trapFrame_SI(AX)
	MOVQ	DI, trapFrame_DI(AX)
	MOVQ	BP, trapFrame_BP(AX)
	MOVQ	R8, trapFrame_R8(AX)
	MOVQ	R9, trapFrame_R9(AX)
	MOVQ	R10, trapFrame_R10(AX)
	MOVQ	R11, trapFrame_FLAGS(AX)
	MOVQ	R11, trapFrame_R11(AX)
	MOVQ	R12, trapFrame_R12(AX)
	MOVQ	R13, trapFrame_R13(AX)
	MOVQ	R14, trapFrame_R14(AX)
	MOVQ	R15, trapFrame_R15(AX)
	MOVQ	·cpu0+cpuLocal_scratchSP(SB), BX
	MOVQ	BX, trapFrame_SP(AX)
	MOVQ	·cpu0+cpuLocal_scratchAX(SB), BX
	MOVQ	BX, trapFrame_AX(AX)
	MOVQ	$0x08, trapFrame_CS(AX)
	MOVQ	$0x10, trapFrame_SS(AX)
	MOVQ	$const_vecSyscall, trapFrame_Vector(AX)
	MOVQ	$0, trapFrame_Code(AX)
	LEAQ	(thread_fx+15)(AX), BX
	ANDQ	$~15, BX
	FXSAVE64	(BX)
	MOVQ	$1, ·cpu0+cpuLocal_inTrap(SB)
	MOVQ	·cpu0+cpuLocal_trapStack(SB), SP
	CALL	·syscallTrap(SB)
	JMP	·resume(SB)

// intrErr and intrNoErr: an exception or interrupt arrived on IST1 and its stub put
// the vector number in cpu0.vector. Exceptions 8, 10–14, 17, 21, 29 and 30 push an
// error code above the CPU's frame (SDM 3A §6.13); intrErr moves it to cpu0.code so
// that intrCommon always finds RIP, CS, RFLAGS, RSP, SS at 0–32(SP) (SDM 3A §6.14.2).
// No stub pushes anything, so the linker's stack accounting stays exact.
TEXT ·intrErr(SB),NOSPLIT|NOFRAME,$0
	MOVQ	AX, ·cpu0+cpuLocal_scratchAX(SB)
	MOVQ	0(SP), AX
	MOVQ	AX, ·cpu0+cpuLocal_code(SB)
	MOVQ	·cpu0+cpuLocal_scratchAX(SB), AX
	LEAQ	8(SP), SP
	JMP	·intrCommon(SB)

TEXT ·intrNoErr(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$0, ·cpu0+cpuLocal_code(SB)
	JMP	·intrCommon(SB)

// intrCommon saves the interrupted thread like syscallEntry does, then serves the
// trap. A trap while trap code runs (inTrap), a double fault or an NMI is fatal.
TEXT ·intrCommon(SB),NOSPLIT|NOFRAME,$0
	CMPQ	·cpu0+cpuLocal_inTrap(SB), $0
	JEQ	save
	JMP	·fatalCommon(SB)
save:
	MOVQ	AX, ·cpu0+cpuLocal_scratchAX(SB)
	MOVQ	·cpu0+cpuLocal_cur(SB), AX
	MOVQ	BX, trapFrame_BX(AX)
	MOVQ	CX, trapFrame_CX(AX)
	MOVQ	DX, trapFrame_DX(AX)
	MOVQ	SI, trapFrame_SI(AX)
	MOVQ	DI, trapFrame_DI(AX)
	MOVQ	BP, trapFrame_BP(AX)
	MOVQ	R8, trapFrame_R8(AX)
	MOVQ	R9, trapFrame_R9(AX)
	MOVQ	R10, trapFrame_R10(AX)
	MOVQ	R11, trapFrame_R11(AX)
	MOVQ	R12, trapFrame_R12(AX)
	MOVQ	R13, trapFrame_R13(AX)
	MOVQ	R14, trapFrame_R14(AX)
	MOVQ	R15, trapFrame_R15(AX)
	MOVQ	·cpu0+cpuLocal_scratchAX(SB), BX
	MOVQ	BX, trapFrame_AX(AX)
	MOVQ	·cpu0+cpuLocal_vector(SB), BX
	MOVQ	BX, trapFrame_Vector(AX)
	MOVQ	·cpu0+cpuLocal_code(SB), BX
	MOVQ	BX, trapFrame_Code(AX)
	MOVQ	0(SP), BX
	MOVQ	BX, trapFrame_IP(AX)
	MOVQ	8(SP), BX
	MOVQ	BX, trapFrame_CS(AX)
	MOVQ	16(SP), BX
	MOVQ	BX, trapFrame_FLAGS(AX)
	MOVQ	24(SP), BX
	MOVQ	BX, trapFrame_SP(AX)
	MOVQ	32(SP), BX
	MOVQ	BX, trapFrame_SS(AX)
	LEAQ	(thread_fx+15)(AX), BX
	ANDQ	$~15, BX
	FXSAVE64	(BX)
	MOVQ	$1, ·cpu0+cpuLocal_inTrap(SB)
	MOVQ	·cpu0+cpuLocal_trapStack(SB), SP
	CALL	·intrTrap(SB)
	JMP	·resume(SB)

// fatalCommon: a double fault, an NMI, or any trap taken while trap code ran. Nothing
// can be trusted: report the CPU frame (at SP, past any error code) and halt.
TEXT ·fatalCommon(SB),NOSPLIT|NOFRAME,$0
	MOVQ	SP, ·cpu0+cpuLocal_fatalFrame(SB)
	MOVQ	$·dfStack+4096(SB), SP
	CALL	·trapFatal(SB)
	CLI
	HLT
	JMP	-2(PC)

// resume returns to the current thread: FS base, FPU/SSE state, registers, then IRETQ
// (which also switches stacks; SDM 3A §6.14.3).
TEXT ·resume(SB),NOSPLIT|NOFRAME,$0
	MOVQ	·cpu0+cpuLocal_cur(SB), DI
	MOVL	$0xC0000100, CX // IA32_FS_BASE
	MOVQ	thread_fsBase(DI), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	LEAQ	(thread_fx+15)(DI), BX
	ANDQ	$~15, BX
	FXRSTOR64	(BX)
	MOVQ	$0, ·cpu0+cpuLocal_inTrap(SB)
	MOVQ	·cpu0+cpuLocal_trapStack(SB), SP
	PUSHQ	trapFrame_SS(DI)
	PUSHQ	trapFrame_SP(DI)
	PUSHQ	trapFrame_FLAGS(DI)
	PUSHQ	trapFrame_CS(DI)
	PUSHQ	trapFrame_IP(DI)
	// BP is restored here, not clobbered: the jump tells vet's frame-pointer check so.
	JMP	restore
restore:
	MOVQ	trapFrame_AX(DI), AX
	MOVQ	trapFrame_BX(DI), BX
	MOVQ	trapFrame_CX(DI), CX
	MOVQ	trapFrame_DX(DI), DX
	MOVQ	trapFrame_SI(DI), SI
	MOVQ	trapFrame_BP(DI), BP
	MOVQ	trapFrame_R8(DI), R8
	MOVQ	trapFrame_R9(DI), R9
	MOVQ	trapFrame_R10(DI), R10
	MOVQ	trapFrame_R11(DI), R11
	MOVQ	trapFrame_R12(DI), R12
	MOVQ	trapFrame_R13(DI), R13
	MOVQ	trapFrame_R14(DI), R14
	MOVQ	trapFrame_R15(DI), R15
	MOVQ	trapFrame_DI(DI), DI
	IRETQ

// idleLoop is the idle thread's code: halt with interrupts on until one arrives.
TEXT ·idleLoop(SB),NOSPLIT|NOFRAME,$0
	STI
	HLT
	JMP	-2(PC)

// vectors holds 256 entry stubs, vectorStubSize bytes apart. Each records its vector
// number and jumps to the entry for exceptions with or without an error code; the
// double fault (8) and NMI (2) go to fatalCommon through their own IST (desc.go), and
// their stubs are only reached that way.
TEXT ·vectors(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$0, ·cpu0+cpuLocal_vector(SB) // vector 0
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$1, ·cpu0+cpuLocal_vector(SB) // vector 1
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$2, ·cpu0+cpuLocal_vector(SB) // vector 2
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$3, ·cpu0+cpuLocal_vector(SB) // vector 3
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$4, ·cpu0+cpuLocal_vector(SB) // vector 4
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$5, ·cpu0+cpuLocal_vector(SB) // vector 5
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$6, ·cpu0+cpuLocal_vector(SB) // vector 6
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$7, ·cpu0+cpuLocal_vector(SB) // vector 7
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$8, ·cpu0+cpuLocal_vector(SB) // vector 8
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$9, ·cpu0+cpuLocal_vector(SB) // vector 9
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$10, ·cpu0+cpuLocal_vector(SB) // vector 10
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$11, ·cpu0+cpuLocal_vector(SB) // vector 11
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$12, ·cpu0+cpuLocal_vector(SB) // vector 12
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$13, ·cpu0+cpuLocal_vector(SB) // vector 13
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$14, ·cpu0+cpuLocal_vector(SB) // vector 14
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$15, ·cpu0+cpuLocal_vector(SB) // vector 15
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$16, ·cpu0+cpuLocal_vector(SB) // vector 16
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$17, ·cpu0+cpuLocal_vector(SB) // vector 17
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$18, ·cpu0+cpuLocal_vector(SB) // vector 18
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$19, ·cpu0+cpuLocal_vector(SB) // vector 19
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$20, ·cpu0+cpuLocal_vector(SB) // vector 20
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$21, ·cpu0+cpuLocal_vector(SB) // vector 21
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$22, ·cpu0+cpuLocal_vector(SB) // vector 22
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$23, ·cpu0+cpuLocal_vector(SB) // vector 23
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$24, ·cpu0+cpuLocal_vector(SB) // vector 24
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$25, ·cpu0+cpuLocal_vector(SB) // vector 25
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$26, ·cpu0+cpuLocal_vector(SB) // vector 26
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$27, ·cpu0+cpuLocal_vector(SB) // vector 27
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$28, ·cpu0+cpuLocal_vector(SB) // vector 28
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$29, ·cpu0+cpuLocal_vector(SB) // vector 29
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$30, ·cpu0+cpuLocal_vector(SB) // vector 30
	JMP	·intrErr(SB)
	PCALIGN	$32
	MOVQ	$31, ·cpu0+cpuLocal_vector(SB) // vector 31
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$32, ·cpu0+cpuLocal_vector(SB) // vector 32
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$33, ·cpu0+cpuLocal_vector(SB) // vector 33
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$34, ·cpu0+cpuLocal_vector(SB) // vector 34
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$35, ·cpu0+cpuLocal_vector(SB) // vector 35
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$36, ·cpu0+cpuLocal_vector(SB) // vector 36
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$37, ·cpu0+cpuLocal_vector(SB) // vector 37
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$38, ·cpu0+cpuLocal_vector(SB) // vector 38
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$39, ·cpu0+cpuLocal_vector(SB) // vector 39
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$40, ·cpu0+cpuLocal_vector(SB) // vector 40
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$41, ·cpu0+cpuLocal_vector(SB) // vector 41
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$42, ·cpu0+cpuLocal_vector(SB) // vector 42
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$43, ·cpu0+cpuLocal_vector(SB) // vector 43
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$44, ·cpu0+cpuLocal_vector(SB) // vector 44
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$45, ·cpu0+cpuLocal_vector(SB) // vector 45
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$46, ·cpu0+cpuLocal_vector(SB) // vector 46
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$47, ·cpu0+cpuLocal_vector(SB) // vector 47
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$48, ·cpu0+cpuLocal_vector(SB) // vector 48
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$49, ·cpu0+cpuLocal_vector(SB) // vector 49
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$50, ·cpu0+cpuLocal_vector(SB) // vector 50
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$51, ·cpu0+cpuLocal_vector(SB) // vector 51
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$52, ·cpu0+cpuLocal_vector(SB) // vector 52
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$53, ·cpu0+cpuLocal_vector(SB) // vector 53
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$54, ·cpu0+cpuLocal_vector(SB) // vector 54
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$55, ·cpu0+cpuLocal_vector(SB) // vector 55
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$56, ·cpu0+cpuLocal_vector(SB) // vector 56
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$57, ·cpu0+cpuLocal_vector(SB) // vector 57
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$58, ·cpu0+cpuLocal_vector(SB) // vector 58
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$59, ·cpu0+cpuLocal_vector(SB) // vector 59
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$60, ·cpu0+cpuLocal_vector(SB) // vector 60
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$61, ·cpu0+cpuLocal_vector(SB) // vector 61
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$62, ·cpu0+cpuLocal_vector(SB) // vector 62
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$63, ·cpu0+cpuLocal_vector(SB) // vector 63
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$64, ·cpu0+cpuLocal_vector(SB) // vector 64
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$65, ·cpu0+cpuLocal_vector(SB) // vector 65
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$66, ·cpu0+cpuLocal_vector(SB) // vector 66
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$67, ·cpu0+cpuLocal_vector(SB) // vector 67
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$68, ·cpu0+cpuLocal_vector(SB) // vector 68
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$69, ·cpu0+cpuLocal_vector(SB) // vector 69
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$70, ·cpu0+cpuLocal_vector(SB) // vector 70
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$71, ·cpu0+cpuLocal_vector(SB) // vector 71
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$72, ·cpu0+cpuLocal_vector(SB) // vector 72
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$73, ·cpu0+cpuLocal_vector(SB) // vector 73
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$74, ·cpu0+cpuLocal_vector(SB) // vector 74
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$75, ·cpu0+cpuLocal_vector(SB) // vector 75
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$76, ·cpu0+cpuLocal_vector(SB) // vector 76
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$77, ·cpu0+cpuLocal_vector(SB) // vector 77
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$78, ·cpu0+cpuLocal_vector(SB) // vector 78
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$79, ·cpu0+cpuLocal_vector(SB) // vector 79
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$80, ·cpu0+cpuLocal_vector(SB) // vector 80
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$81, ·cpu0+cpuLocal_vector(SB) // vector 81
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$82, ·cpu0+cpuLocal_vector(SB) // vector 82
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$83, ·cpu0+cpuLocal_vector(SB) // vector 83
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$84, ·cpu0+cpuLocal_vector(SB) // vector 84
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$85, ·cpu0+cpuLocal_vector(SB) // vector 85
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$86, ·cpu0+cpuLocal_vector(SB) // vector 86
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$87, ·cpu0+cpuLocal_vector(SB) // vector 87
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$88, ·cpu0+cpuLocal_vector(SB) // vector 88
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$89, ·cpu0+cpuLocal_vector(SB) // vector 89
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$90, ·cpu0+cpuLocal_vector(SB) // vector 90
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$91, ·cpu0+cpuLocal_vector(SB) // vector 91
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$92, ·cpu0+cpuLocal_vector(SB) // vector 92
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$93, ·cpu0+cpuLocal_vector(SB) // vector 93
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$94, ·cpu0+cpuLocal_vector(SB) // vector 94
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$95, ·cpu0+cpuLocal_vector(SB) // vector 95
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$96, ·cpu0+cpuLocal_vector(SB) // vector 96
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$97, ·cpu0+cpuLocal_vector(SB) // vector 97
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$98, ·cpu0+cpuLocal_vector(SB) // vector 98
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$99, ·cpu0+cpuLocal_vector(SB) // vector 99
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$100, ·cpu0+cpuLocal_vector(SB) // vector 100
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$101, ·cpu0+cpuLocal_vector(SB) // vector 101
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$102, ·cpu0+cpuLocal_vector(SB) // vector 102
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$103, ·cpu0+cpuLocal_vector(SB) // vector 103
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$104, ·cpu0+cpuLocal_vector(SB) // vector 104
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$105, ·cpu0+cpuLocal_vector(SB) // vector 105
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$106, ·cpu0+cpuLocal_vector(SB) // vector 106
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$107, ·cpu0+cpuLocal_vector(SB) // vector 107
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$108, ·cpu0+cpuLocal_vector(SB) // vector 108
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$109, ·cpu0+cpuLocal_vector(SB) // vector 109
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$110, ·cpu0+cpuLocal_vector(SB) // vector 110
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$111, ·cpu0+cpuLocal_vector(SB) // vector 111
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$112, ·cpu0+cpuLocal_vector(SB) // vector 112
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$113, ·cpu0+cpuLocal_vector(SB) // vector 113
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$114, ·cpu0+cpuLocal_vector(SB) // vector 114
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$115, ·cpu0+cpuLocal_vector(SB) // vector 115
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$116, ·cpu0+cpuLocal_vector(SB) // vector 116
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$117, ·cpu0+cpuLocal_vector(SB) // vector 117
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$118, ·cpu0+cpuLocal_vector(SB) // vector 118
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$119, ·cpu0+cpuLocal_vector(SB) // vector 119
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$120, ·cpu0+cpuLocal_vector(SB) // vector 120
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$121, ·cpu0+cpuLocal_vector(SB) // vector 121
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$122, ·cpu0+cpuLocal_vector(SB) // vector 122
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$123, ·cpu0+cpuLocal_vector(SB) // vector 123
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$124, ·cpu0+cpuLocal_vector(SB) // vector 124
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$125, ·cpu0+cpuLocal_vector(SB) // vector 125
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$126, ·cpu0+cpuLocal_vector(SB) // vector 126
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$127, ·cpu0+cpuLocal_vector(SB) // vector 127
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$128, ·cpu0+cpuLocal_vector(SB) // vector 128
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$129, ·cpu0+cpuLocal_vector(SB) // vector 129
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$130, ·cpu0+cpuLocal_vector(SB) // vector 130
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$131, ·cpu0+cpuLocal_vector(SB) // vector 131
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$132, ·cpu0+cpuLocal_vector(SB) // vector 132
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$133, ·cpu0+cpuLocal_vector(SB) // vector 133
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$134, ·cpu0+cpuLocal_vector(SB) // vector 134
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$135, ·cpu0+cpuLocal_vector(SB) // vector 135
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$136, ·cpu0+cpuLocal_vector(SB) // vector 136
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$137, ·cpu0+cpuLocal_vector(SB) // vector 137
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$138, ·cpu0+cpuLocal_vector(SB) // vector 138
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$139, ·cpu0+cpuLocal_vector(SB) // vector 139
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$140, ·cpu0+cpuLocal_vector(SB) // vector 140
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$141, ·cpu0+cpuLocal_vector(SB) // vector 141
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$142, ·cpu0+cpuLocal_vector(SB) // vector 142
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$143, ·cpu0+cpuLocal_vector(SB) // vector 143
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$144, ·cpu0+cpuLocal_vector(SB) // vector 144
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$145, ·cpu0+cpuLocal_vector(SB) // vector 145
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$146, ·cpu0+cpuLocal_vector(SB) // vector 146
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$147, ·cpu0+cpuLocal_vector(SB) // vector 147
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$148, ·cpu0+cpuLocal_vector(SB) // vector 148
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$149, ·cpu0+cpuLocal_vector(SB) // vector 149
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$150, ·cpu0+cpuLocal_vector(SB) // vector 150
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$151, ·cpu0+cpuLocal_vector(SB) // vector 151
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$152, ·cpu0+cpuLocal_vector(SB) // vector 152
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$153, ·cpu0+cpuLocal_vector(SB) // vector 153
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$154, ·cpu0+cpuLocal_vector(SB) // vector 154
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$155, ·cpu0+cpuLocal_vector(SB) // vector 155
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$156, ·cpu0+cpuLocal_vector(SB) // vector 156
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$157, ·cpu0+cpuLocal_vector(SB) // vector 157
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$158, ·cpu0+cpuLocal_vector(SB) // vector 158
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$159, ·cpu0+cpuLocal_vector(SB) // vector 159
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$160, ·cpu0+cpuLocal_vector(SB) // vector 160
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$161, ·cpu0+cpuLocal_vector(SB) // vector 161
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$162, ·cpu0+cpuLocal_vector(SB) // vector 162
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$163, ·cpu0+cpuLocal_vector(SB) // vector 163
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$164, ·cpu0+cpuLocal_vector(SB) // vector 164
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$165, ·cpu0+cpuLocal_vector(SB) // vector 165
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$166, ·cpu0+cpuLocal_vector(SB) // vector 166
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$167, ·cpu0+cpuLocal_vector(SB) // vector 167
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$168, ·cpu0+cpuLocal_vector(SB) // vector 168
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$169, ·cpu0+cpuLocal_vector(SB) // vector 169
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$170, ·cpu0+cpuLocal_vector(SB) // vector 170
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$171, ·cpu0+cpuLocal_vector(SB) // vector 171
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$172, ·cpu0+cpuLocal_vector(SB) // vector 172
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$173, ·cpu0+cpuLocal_vector(SB) // vector 173
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$174, ·cpu0+cpuLocal_vector(SB) // vector 174
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$175, ·cpu0+cpuLocal_vector(SB) // vector 175
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$176, ·cpu0+cpuLocal_vector(SB) // vector 176
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$177, ·cpu0+cpuLocal_vector(SB) // vector 177
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$178, ·cpu0+cpuLocal_vector(SB) // vector 178
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$179, ·cpu0+cpuLocal_vector(SB) // vector 179
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$180, ·cpu0+cpuLocal_vector(SB) // vector 180
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$181, ·cpu0+cpuLocal_vector(SB) // vector 181
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$182, ·cpu0+cpuLocal_vector(SB) // vector 182
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$183, ·cpu0+cpuLocal_vector(SB) // vector 183
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$184, ·cpu0+cpuLocal_vector(SB) // vector 184
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$185, ·cpu0+cpuLocal_vector(SB) // vector 185
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$186, ·cpu0+cpuLocal_vector(SB) // vector 186
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$187, ·cpu0+cpuLocal_vector(SB) // vector 187
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$188, ·cpu0+cpuLocal_vector(SB) // vector 188
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$189, ·cpu0+cpuLocal_vector(SB) // vector 189
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$190, ·cpu0+cpuLocal_vector(SB) // vector 190
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$191, ·cpu0+cpuLocal_vector(SB) // vector 191
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$192, ·cpu0+cpuLocal_vector(SB) // vector 192
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$193, ·cpu0+cpuLocal_vector(SB) // vector 193
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$194, ·cpu0+cpuLocal_vector(SB) // vector 194
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$195, ·cpu0+cpuLocal_vector(SB) // vector 195
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$196, ·cpu0+cpuLocal_vector(SB) // vector 196
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$197, ·cpu0+cpuLocal_vector(SB) // vector 197
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$198, ·cpu0+cpuLocal_vector(SB) // vector 198
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$199, ·cpu0+cpuLocal_vector(SB) // vector 199
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$200, ·cpu0+cpuLocal_vector(SB) // vector 200
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$201, ·cpu0+cpuLocal_vector(SB) // vector 201
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$202, ·cpu0+cpuLocal_vector(SB) // vector 202
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$203, ·cpu0+cpuLocal_vector(SB) // vector 203
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$204, ·cpu0+cpuLocal_vector(SB) // vector 204
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$205, ·cpu0+cpuLocal_vector(SB) // vector 205
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$206, ·cpu0+cpuLocal_vector(SB) // vector 206
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$207, ·cpu0+cpuLocal_vector(SB) // vector 207
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$208, ·cpu0+cpuLocal_vector(SB) // vector 208
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$209, ·cpu0+cpuLocal_vector(SB) // vector 209
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$210, ·cpu0+cpuLocal_vector(SB) // vector 210
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$211, ·cpu0+cpuLocal_vector(SB) // vector 211
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$212, ·cpu0+cpuLocal_vector(SB) // vector 212
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$213, ·cpu0+cpuLocal_vector(SB) // vector 213
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$214, ·cpu0+cpuLocal_vector(SB) // vector 214
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$215, ·cpu0+cpuLocal_vector(SB) // vector 215
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$216, ·cpu0+cpuLocal_vector(SB) // vector 216
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$217, ·cpu0+cpuLocal_vector(SB) // vector 217
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$218, ·cpu0+cpuLocal_vector(SB) // vector 218
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$219, ·cpu0+cpuLocal_vector(SB) // vector 219
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$220, ·cpu0+cpuLocal_vector(SB) // vector 220
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$221, ·cpu0+cpuLocal_vector(SB) // vector 221
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$222, ·cpu0+cpuLocal_vector(SB) // vector 222
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$223, ·cpu0+cpuLocal_vector(SB) // vector 223
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$224, ·cpu0+cpuLocal_vector(SB) // vector 224
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$225, ·cpu0+cpuLocal_vector(SB) // vector 225
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$226, ·cpu0+cpuLocal_vector(SB) // vector 226
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$227, ·cpu0+cpuLocal_vector(SB) // vector 227
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$228, ·cpu0+cpuLocal_vector(SB) // vector 228
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$229, ·cpu0+cpuLocal_vector(SB) // vector 229
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$230, ·cpu0+cpuLocal_vector(SB) // vector 230
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$231, ·cpu0+cpuLocal_vector(SB) // vector 231
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$232, ·cpu0+cpuLocal_vector(SB) // vector 232
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$233, ·cpu0+cpuLocal_vector(SB) // vector 233
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$234, ·cpu0+cpuLocal_vector(SB) // vector 234
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$235, ·cpu0+cpuLocal_vector(SB) // vector 235
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$236, ·cpu0+cpuLocal_vector(SB) // vector 236
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$237, ·cpu0+cpuLocal_vector(SB) // vector 237
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$238, ·cpu0+cpuLocal_vector(SB) // vector 238
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$239, ·cpu0+cpuLocal_vector(SB) // vector 239
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$240, ·cpu0+cpuLocal_vector(SB) // vector 240
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$241, ·cpu0+cpuLocal_vector(SB) // vector 241
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$242, ·cpu0+cpuLocal_vector(SB) // vector 242
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$243, ·cpu0+cpuLocal_vector(SB) // vector 243
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$244, ·cpu0+cpuLocal_vector(SB) // vector 244
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$245, ·cpu0+cpuLocal_vector(SB) // vector 245
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$246, ·cpu0+cpuLocal_vector(SB) // vector 246
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$247, ·cpu0+cpuLocal_vector(SB) // vector 247
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$248, ·cpu0+cpuLocal_vector(SB) // vector 248
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$249, ·cpu0+cpuLocal_vector(SB) // vector 249
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$250, ·cpu0+cpuLocal_vector(SB) // vector 250
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$251, ·cpu0+cpuLocal_vector(SB) // vector 251
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$252, ·cpu0+cpuLocal_vector(SB) // vector 252
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$253, ·cpu0+cpuLocal_vector(SB) // vector 253
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$254, ·cpu0+cpuLocal_vector(SB) // vector 254
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	MOVQ	$255, ·cpu0+cpuLocal_vector(SB) // vector 255
	JMP	·intrNoErr(SB)
	PCALIGN	$32
