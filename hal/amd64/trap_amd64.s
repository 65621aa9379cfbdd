#include "go_asm.h"
#include "textflag.h"

// Trap entry and exit. The layouts of cpuLocal, thread and trapFrame come from
// go_asm.h; nothing here repeats a Go offset by hand.
//
// Per-CPU data is reached through GS: "BYTE $0x65" is the GS segment-override prefix,
// and an operand written as a bare offset (cpuLocal_cur) is an absolute address, so the
// pair reads or writes GS:offset — this CPU's cpuLocal (IA32_GS_BASE, set at boot).

// syscallEntry is LSTAR: the runtime's SYSCALL lands here in ring 0 with the return RIP
// in RCX, RFLAGS in R11, interrupts off (FMASK) and the caller's stack still in RSP
// (SDM 3A §5.8.8). It saves every register in the current thread's record, switches to
// the trap stack and serves the call; resume returns to whichever thread is current
// then.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	BYTE	$0x65; MOVQ	SP, cpuLocal_scratchSP
	BYTE	$0x65; MOVQ	AX, cpuLocal_scratchAX
	BYTE	$0x65; MOVQ	cpuLocal_cur, AX
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
	BYTE	$0x65; MOVQ	cpuLocal_scratchSP, BX
	MOVQ	BX, trapFrame_SP(AX)
	BYTE	$0x65; MOVQ	cpuLocal_scratchAX, BX
	MOVQ	BX, trapFrame_AX(AX)
	MOVQ	$0x08, trapFrame_CS(AX)
	MOVQ	$0x10, trapFrame_SS(AX)
	MOVQ	$const_vecSyscall, trapFrame_Vector(AX)
	MOVQ	$0, trapFrame_Code(AX)
	LEAQ	(thread_fx+15)(AX), BX
	ANDQ	$~15, BX
	FXSAVE64	(BX)
	BYTE	$0x65; MOVQ	$1, cpuLocal_inTrap
	BYTE	$0x65; MOVQ	cpuLocal_trapStack, SP
	CALL	·syscallTrap(SB)
	JMP	·resume(SB)

// intrErr and intrNoErr: an exception or interrupt arrived on IST1 and its stub put
// the vector number in cpu0.vector. Exceptions 8, 10–14, 17, 21, 29 and 30 push an
// error code above the CPU's frame (SDM 3A §6.13); intrErr moves it to cpu0.code so
// that intrCommon always finds RIP, CS, RFLAGS, RSP, SS at 0–32(SP) (SDM 3A §6.14.2).
// No stub pushes anything, so the linker's stack accounting stays exact.
TEXT ·intrErr(SB),NOSPLIT|NOFRAME,$0
	BYTE	$0x65; MOVQ	AX, cpuLocal_scratchAX
	MOVQ	0(SP), AX
	BYTE	$0x65; MOVQ	AX, cpuLocal_code
	BYTE	$0x65; MOVQ	cpuLocal_scratchAX, AX
	LEAQ	8(SP), SP
	JMP	·intrCommon(SB)

TEXT ·intrNoErr(SB),NOSPLIT|NOFRAME,$0
	BYTE	$0x65; MOVQ	$0, cpuLocal_code
	JMP	·intrCommon(SB)

// intrCommon saves the interrupted thread like syscallEntry does, then serves the
// trap. A trap while trap code runs (inTrap), a double fault or an NMI is fatal.
TEXT ·intrCommon(SB),NOSPLIT|NOFRAME,$0
	BYTE	$0x65; CMPQ	cpuLocal_inTrap, $0
	JEQ	save
	JMP	·fatalCommon(SB)
save:
	BYTE	$0x65; MOVQ	AX, cpuLocal_scratchAX
	BYTE	$0x65; MOVQ	cpuLocal_cur, AX
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
	BYTE	$0x65; MOVQ	cpuLocal_scratchAX, BX
	MOVQ	BX, trapFrame_AX(AX)
	BYTE	$0x65; MOVQ	cpuLocal_vector, BX
	MOVQ	BX, trapFrame_Vector(AX)
	BYTE	$0x65; MOVQ	cpuLocal_code, BX
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
	BYTE	$0x65; MOVQ	$1, cpuLocal_inTrap
	BYTE	$0x65; MOVQ	cpuLocal_trapStack, SP
	CALL	·intrTrap(SB)
	JMP	·resume(SB)

// fatalCommon: a double fault, an NMI, or any trap taken while trap code ran. Nothing
// can be trusted: report the CPU frame (at SP, past any error code) and halt.
TEXT ·fatalCommon(SB),NOSPLIT|NOFRAME,$0
	BYTE	$0x65; MOVQ	SP, cpuLocal_fatalFrame
	MOVQ	$·dfStack+4096(SB), SP
	CALL	·trapFatal(SB)
	CLI
	HLT
	JMP	-2(PC)

// resume returns to the current thread: FS base, FPU/SSE state, registers, then IRETQ
// (which also switches stacks; SDM 3A §6.14.3).
TEXT ·resume(SB),NOSPLIT|NOFRAME,$0
	BYTE	$0x65; MOVQ	cpuLocal_cur, DI
	MOVL	$0xC0000100, CX // IA32_FS_BASE
	MOVQ	thread_fsBase(DI), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	LEAQ	(thread_fx+15)(DI), BX
	ANDQ	$~15, BX
	FXRSTOR64	(BX)
	BYTE	$0x65; MOVQ	$0, cpuLocal_inTrap
	BYTE	$0x65; MOVQ	cpuLocal_trapStack, SP
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
	BYTE	$0x65; MOVQ	$0, cpuLocal_vector // vector 0
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$1, cpuLocal_vector // vector 1
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$2, cpuLocal_vector // vector 2
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$3, cpuLocal_vector // vector 3
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$4, cpuLocal_vector // vector 4
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$5, cpuLocal_vector // vector 5
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$6, cpuLocal_vector // vector 6
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$7, cpuLocal_vector // vector 7
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$8, cpuLocal_vector // vector 8
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$9, cpuLocal_vector // vector 9
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$10, cpuLocal_vector // vector 10
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$11, cpuLocal_vector // vector 11
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$12, cpuLocal_vector // vector 12
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$13, cpuLocal_vector // vector 13
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$14, cpuLocal_vector // vector 14
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$15, cpuLocal_vector // vector 15
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$16, cpuLocal_vector // vector 16
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$17, cpuLocal_vector // vector 17
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$18, cpuLocal_vector // vector 18
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$19, cpuLocal_vector // vector 19
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$20, cpuLocal_vector // vector 20
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$21, cpuLocal_vector // vector 21
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$22, cpuLocal_vector // vector 22
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$23, cpuLocal_vector // vector 23
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$24, cpuLocal_vector // vector 24
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$25, cpuLocal_vector // vector 25
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$26, cpuLocal_vector // vector 26
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$27, cpuLocal_vector // vector 27
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$28, cpuLocal_vector // vector 28
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$29, cpuLocal_vector // vector 29
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$30, cpuLocal_vector // vector 30
	JMP	·intrErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$31, cpuLocal_vector // vector 31
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$32, cpuLocal_vector // vector 32
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$33, cpuLocal_vector // vector 33
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$34, cpuLocal_vector // vector 34
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$35, cpuLocal_vector // vector 35
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$36, cpuLocal_vector // vector 36
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$37, cpuLocal_vector // vector 37
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$38, cpuLocal_vector // vector 38
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$39, cpuLocal_vector // vector 39
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$40, cpuLocal_vector // vector 40
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$41, cpuLocal_vector // vector 41
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$42, cpuLocal_vector // vector 42
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$43, cpuLocal_vector // vector 43
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$44, cpuLocal_vector // vector 44
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$45, cpuLocal_vector // vector 45
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$46, cpuLocal_vector // vector 46
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$47, cpuLocal_vector // vector 47
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$48, cpuLocal_vector // vector 48
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$49, cpuLocal_vector // vector 49
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$50, cpuLocal_vector // vector 50
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$51, cpuLocal_vector // vector 51
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$52, cpuLocal_vector // vector 52
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$53, cpuLocal_vector // vector 53
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$54, cpuLocal_vector // vector 54
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$55, cpuLocal_vector // vector 55
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$56, cpuLocal_vector // vector 56
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$57, cpuLocal_vector // vector 57
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$58, cpuLocal_vector // vector 58
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$59, cpuLocal_vector // vector 59
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$60, cpuLocal_vector // vector 60
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$61, cpuLocal_vector // vector 61
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$62, cpuLocal_vector // vector 62
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$63, cpuLocal_vector // vector 63
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$64, cpuLocal_vector // vector 64
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$65, cpuLocal_vector // vector 65
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$66, cpuLocal_vector // vector 66
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$67, cpuLocal_vector // vector 67
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$68, cpuLocal_vector // vector 68
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$69, cpuLocal_vector // vector 69
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$70, cpuLocal_vector // vector 70
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$71, cpuLocal_vector // vector 71
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$72, cpuLocal_vector // vector 72
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$73, cpuLocal_vector // vector 73
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$74, cpuLocal_vector // vector 74
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$75, cpuLocal_vector // vector 75
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$76, cpuLocal_vector // vector 76
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$77, cpuLocal_vector // vector 77
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$78, cpuLocal_vector // vector 78
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$79, cpuLocal_vector // vector 79
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$80, cpuLocal_vector // vector 80
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$81, cpuLocal_vector // vector 81
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$82, cpuLocal_vector // vector 82
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$83, cpuLocal_vector // vector 83
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$84, cpuLocal_vector // vector 84
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$85, cpuLocal_vector // vector 85
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$86, cpuLocal_vector // vector 86
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$87, cpuLocal_vector // vector 87
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$88, cpuLocal_vector // vector 88
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$89, cpuLocal_vector // vector 89
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$90, cpuLocal_vector // vector 90
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$91, cpuLocal_vector // vector 91
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$92, cpuLocal_vector // vector 92
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$93, cpuLocal_vector // vector 93
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$94, cpuLocal_vector // vector 94
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$95, cpuLocal_vector // vector 95
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$96, cpuLocal_vector // vector 96
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$97, cpuLocal_vector // vector 97
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$98, cpuLocal_vector // vector 98
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$99, cpuLocal_vector // vector 99
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$100, cpuLocal_vector // vector 100
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$101, cpuLocal_vector // vector 101
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$102, cpuLocal_vector // vector 102
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$103, cpuLocal_vector // vector 103
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$104, cpuLocal_vector // vector 104
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$105, cpuLocal_vector // vector 105
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$106, cpuLocal_vector // vector 106
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$107, cpuLocal_vector // vector 107
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$108, cpuLocal_vector // vector 108
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$109, cpuLocal_vector // vector 109
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$110, cpuLocal_vector // vector 110
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$111, cpuLocal_vector // vector 111
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$112, cpuLocal_vector // vector 112
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$113, cpuLocal_vector // vector 113
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$114, cpuLocal_vector // vector 114
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$115, cpuLocal_vector // vector 115
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$116, cpuLocal_vector // vector 116
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$117, cpuLocal_vector // vector 117
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$118, cpuLocal_vector // vector 118
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$119, cpuLocal_vector // vector 119
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$120, cpuLocal_vector // vector 120
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$121, cpuLocal_vector // vector 121
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$122, cpuLocal_vector // vector 122
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$123, cpuLocal_vector // vector 123
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$124, cpuLocal_vector // vector 124
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$125, cpuLocal_vector // vector 125
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$126, cpuLocal_vector // vector 126
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$127, cpuLocal_vector // vector 127
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$128, cpuLocal_vector // vector 128
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$129, cpuLocal_vector // vector 129
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$130, cpuLocal_vector // vector 130
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$131, cpuLocal_vector // vector 131
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$132, cpuLocal_vector // vector 132
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$133, cpuLocal_vector // vector 133
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$134, cpuLocal_vector // vector 134
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$135, cpuLocal_vector // vector 135
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$136, cpuLocal_vector // vector 136
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$137, cpuLocal_vector // vector 137
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$138, cpuLocal_vector // vector 138
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$139, cpuLocal_vector // vector 139
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$140, cpuLocal_vector // vector 140
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$141, cpuLocal_vector // vector 141
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$142, cpuLocal_vector // vector 142
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$143, cpuLocal_vector // vector 143
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$144, cpuLocal_vector // vector 144
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$145, cpuLocal_vector // vector 145
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$146, cpuLocal_vector // vector 146
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$147, cpuLocal_vector // vector 147
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$148, cpuLocal_vector // vector 148
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$149, cpuLocal_vector // vector 149
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$150, cpuLocal_vector // vector 150
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$151, cpuLocal_vector // vector 151
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$152, cpuLocal_vector // vector 152
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$153, cpuLocal_vector // vector 153
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$154, cpuLocal_vector // vector 154
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$155, cpuLocal_vector // vector 155
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$156, cpuLocal_vector // vector 156
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$157, cpuLocal_vector // vector 157
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$158, cpuLocal_vector // vector 158
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$159, cpuLocal_vector // vector 159
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$160, cpuLocal_vector // vector 160
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$161, cpuLocal_vector // vector 161
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$162, cpuLocal_vector // vector 162
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$163, cpuLocal_vector // vector 163
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$164, cpuLocal_vector // vector 164
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$165, cpuLocal_vector // vector 165
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$166, cpuLocal_vector // vector 166
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$167, cpuLocal_vector // vector 167
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$168, cpuLocal_vector // vector 168
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$169, cpuLocal_vector // vector 169
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$170, cpuLocal_vector // vector 170
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$171, cpuLocal_vector // vector 171
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$172, cpuLocal_vector // vector 172
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$173, cpuLocal_vector // vector 173
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$174, cpuLocal_vector // vector 174
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$175, cpuLocal_vector // vector 175
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$176, cpuLocal_vector // vector 176
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$177, cpuLocal_vector // vector 177
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$178, cpuLocal_vector // vector 178
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$179, cpuLocal_vector // vector 179
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$180, cpuLocal_vector // vector 180
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$181, cpuLocal_vector // vector 181
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$182, cpuLocal_vector // vector 182
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$183, cpuLocal_vector // vector 183
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$184, cpuLocal_vector // vector 184
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$185, cpuLocal_vector // vector 185
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$186, cpuLocal_vector // vector 186
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$187, cpuLocal_vector // vector 187
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$188, cpuLocal_vector // vector 188
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$189, cpuLocal_vector // vector 189
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$190, cpuLocal_vector // vector 190
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$191, cpuLocal_vector // vector 191
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$192, cpuLocal_vector // vector 192
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$193, cpuLocal_vector // vector 193
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$194, cpuLocal_vector // vector 194
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$195, cpuLocal_vector // vector 195
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$196, cpuLocal_vector // vector 196
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$197, cpuLocal_vector // vector 197
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$198, cpuLocal_vector // vector 198
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$199, cpuLocal_vector // vector 199
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$200, cpuLocal_vector // vector 200
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$201, cpuLocal_vector // vector 201
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$202, cpuLocal_vector // vector 202
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$203, cpuLocal_vector // vector 203
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$204, cpuLocal_vector // vector 204
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$205, cpuLocal_vector // vector 205
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$206, cpuLocal_vector // vector 206
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$207, cpuLocal_vector // vector 207
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$208, cpuLocal_vector // vector 208
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$209, cpuLocal_vector // vector 209
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$210, cpuLocal_vector // vector 210
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$211, cpuLocal_vector // vector 211
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$212, cpuLocal_vector // vector 212
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$213, cpuLocal_vector // vector 213
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$214, cpuLocal_vector // vector 214
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$215, cpuLocal_vector // vector 215
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$216, cpuLocal_vector // vector 216
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$217, cpuLocal_vector // vector 217
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$218, cpuLocal_vector // vector 218
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$219, cpuLocal_vector // vector 219
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$220, cpuLocal_vector // vector 220
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$221, cpuLocal_vector // vector 221
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$222, cpuLocal_vector // vector 222
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$223, cpuLocal_vector // vector 223
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$224, cpuLocal_vector // vector 224
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$225, cpuLocal_vector // vector 225
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$226, cpuLocal_vector // vector 226
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$227, cpuLocal_vector // vector 227
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$228, cpuLocal_vector // vector 228
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$229, cpuLocal_vector // vector 229
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$230, cpuLocal_vector // vector 230
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$231, cpuLocal_vector // vector 231
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$232, cpuLocal_vector // vector 232
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$233, cpuLocal_vector // vector 233
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$234, cpuLocal_vector // vector 234
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$235, cpuLocal_vector // vector 235
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$236, cpuLocal_vector // vector 236
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$237, cpuLocal_vector // vector 237
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$238, cpuLocal_vector // vector 238
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$239, cpuLocal_vector // vector 239
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$240, cpuLocal_vector // vector 240
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$241, cpuLocal_vector // vector 241
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$242, cpuLocal_vector // vector 242
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$243, cpuLocal_vector // vector 243
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$244, cpuLocal_vector // vector 244
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$245, cpuLocal_vector // vector 245
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$246, cpuLocal_vector // vector 246
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$247, cpuLocal_vector // vector 247
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$248, cpuLocal_vector // vector 248
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$249, cpuLocal_vector // vector 249
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$250, cpuLocal_vector // vector 250
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$251, cpuLocal_vector // vector 251
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$252, cpuLocal_vector // vector 252
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$253, cpuLocal_vector // vector 253
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$254, cpuLocal_vector // vector 254
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	BYTE	$0x65; MOVQ	$255, cpuLocal_vector // vector 255
	JMP	·intrNoErr(SB)
	PCALIGN	$32
