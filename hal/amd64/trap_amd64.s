#include "go_asm.h"
#include "textflag.h"

// Trap entry and exit. The layouts of cpuLocal, thread and trapFrame come from
// go_asm.h; nothing here repeats a Go offset by hand.
//
// Per-CPU data is reached through GS: "BYTE $0x65" is the GS segment-override prefix,
// and an operand written as a bare offset (cpuLocal_cur) is an absolute address, so the
// pair reads or writes GS:offset — this CPU's cpuLocal (IA32_GS_BASE, set at boot).

// SAVE_GPRS stores the general registers other than AX (the record is in AX, the
// caller's AX already in cpuLocal_scratchAX) into the trapped record.
#define SAVE_GPRS \
	MOVQ	BX, trapFrame_BX(AX); \
	MOVQ	CX, trapFrame_CX(AX); \
	MOVQ	DX, trapFrame_DX(AX); \
	MOVQ	SI, trapFrame_SI(AX); \
	MOVQ	DI, trapFrame_DI(AX); \
	MOVQ	BP, trapFrame_BP(AX); \
	MOVQ	R8, trapFrame_R8(AX); \
	MOVQ	R9, trapFrame_R9(AX); \
	MOVQ	R10, trapFrame_R10(AX); \
	MOVQ	R11, trapFrame_R11(AX); \
	MOVQ	R12, trapFrame_R12(AX); \
	MOVQ	R13, trapFrame_R13(AX); \
	MOVQ	R14, trapFrame_R14(AX); \
	MOVQ	R15, trapFrame_R15(AX)

// ENTER_TRAP finishes saving the record in AX (its FXSAVE image), marks the CPU as in
// trap code, switches to the trap stack and gives trap code a kernel FS base.
#define ENTER_TRAP \
	LEAQ	(thread_fx+15)(AX), BX; \
	ANDQ	$~15, BX; \
	FXSAVE64	(BX); \
	BYTE	$0x65; MOVQ	$1, cpuLocal_inTrap; \
	BYTE	$0x65; MOVQ	cpuLocal_trapStack, SP; \
	CALL	kernelTLS<>(SB)

// syscallEntry is LSTAR: the runtime's SYSCALL lands here in ring 0 with the return RIP
// in RCX, RFLAGS in R11, interrupts off (FMASK) and the caller's stack still in RSP
// (SDM 3A §5.8.8). It saves every register in the current thread's record, switches to
// the trap stack and serves the call; resume returns to whichever thread is current
// then.
//
// From ring 3 (RCX, the return RIP, in the lower half: BAREMETAL.md) GS still holds the
// task's base, so SWAPGS first brings in this CPU's (kept in IA32_KERNEL_GS_BASE while
// a task runs); the stack is still the task's, and is only stored, never used.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	BTQ	$63, CX
	JCS	kernelCaller
	SWAPGS
kernelCaller:
	BYTE	$0x65; MOVQ	SP, cpuLocal_scratchSP
	BYTE	$0x65; MOVQ	AX, cpuLocal_scratchAX
	BYTE	$0x65; MOVQ	cpuLocal_cur, AX
	SAVE_GPRS
	MOVQ	CX, trapFrame_IP(AX)
	MOVQ	R11, trapFrame_FLAGS(AX)
	BYTE	$0x65; MOVQ	cpuLocal_scratchSP, BX
	MOVQ	BX, trapFrame_SP(AX)
	BYTE	$0x65; MOVQ	cpuLocal_scratchAX, BX
	MOVQ	BX, trapFrame_AX(AX)
	MOVQ	$0x08, trapFrame_CS(AX)
	MOVQ	$0x10, trapFrame_SS(AX)
	BTQ	$63, CX
	JCS	kernelFrame
	MOVQ	$0x2B, trapFrame_CS(AX) // user code64 | RPL 3
	MOVQ	$0x23, trapFrame_SS(AX) // user data | RPL 3
kernelFrame:
	MOVQ	$const_vecSyscall, trapFrame_Vector(AX)
	MOVQ	$0, trapFrame_Code(AX)
	ENTER_TRAP
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
	SAVE_GPRS
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
	ENTER_TRAP
	CALL	·intrTrap(SB)
	JMP	·resume(SB)

// kernelTLS points FS at the kernel's trap TLS block when the trapped record is a
// ring-3 task: Go code (even the ABI wrapper of a nosplit function) reads g from
// FS:-8, so it must never run with a task's FS base (BAREMETAL.md). Runtime threads
// keep their own, which is valid. AX holds the record.
TEXT kernelTLS<>(SB),NOSPLIT|NOFRAME,$0
	CMPL	thread_user(AX), $0
	JEQ	done
	BYTE	$0x65; MOVQ	cpuLocal_trapTLS, AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	MOVL	$0xC0000100, CX // IA32_FS_BASE
	WRMSR
done:
	RET

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
	MOVQ	thread_cr3(DI), AX // the record's address space, if not loaded already
	MOVQ	CR3, BX
	CMPQ	AX, BX
	JEQ	sameSpace
	MOVQ	AX, CR3
sameSpace:
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
	TESTB	$3, 8(SP) // to ring 3 (CS RPL): give the task its GS base back
	JEQ	2(PC)
	SWAPGS
	IRETQ

// func enterUser(u *thread)
//
// enterUser runs the ring-3 task of record u on behalf of the calling runtime thread
// and returns after the task's next trap (user.go). With interrupts off it records in
// the caller's record only what resuming it needs — the stack pointer, the frame
// pointer and enterUserReturn as the place to resume — because every other register
// is dead across a call in Go's ABI0. The caller blocks (waitUser), u becomes current
// and resume enters ring 3. userTrap makes the caller ready again; when it is
// scheduled, resume IRETQs to enterUserReturn with the saved stack, whose RET returns
// from enterUser. The caller's FPU image is the one its last trap saved: Go keeps no
// vector state live across a call.
TEXT ·enterUser(SB),NOSPLIT,$0-8
	MOVQ	u+0(FP), DI
	CLI
	BYTE	$0x65; MOVQ	cpuLocal_cur, BX
	LEAQ	·enterUserReturn(SB), CX
	MOVQ	CX, trapFrame_IP(BX)
	MOVQ	SP, trapFrame_SP(BX)
	MOVQ	BP, trapFrame_BP(BX)
	MOVQ	$0x202, trapFrame_FLAGS(BX) // IF on, as runtime threads run
	MOVQ	$0x08, trapFrame_CS(BX)
	MOVQ	$0x10, trapFrame_SS(BX)
	MOVL	$const_tsBlocked, thread_state(BX)
	MOVL	$const_waitUser, thread_wait(BX)
	BYTE	$0x65; MOVQ	cpuLocal_curIndex, AX
	MOVL	AX, thread_owner(DI)
	BYTE	$0x65; MOVQ	DI, cpuLocal_cur
	JMP	·resume(SB)

// enterUserReturn is where a runtime thread blocked in enterUser resumes, on the stack
// enterUser saved: the RET returns from enterUser.
TEXT ·enterUserReturn(SB),NOSPLIT|NOFRAME,$0
	RET

// idleLoop is the idle thread's code: halt with interrupts on until one arrives.
TEXT ·idleLoop(SB),NOSPLIT|NOFRAME,$0
	STI
	HLT
	JMP	-2(PC)

// vectors holds 256 entry stubs, vectorStubSize bytes apart. Each swaps in the kernel's
// GS if the CPU came from ring 3 (the saved CS has RPL 3), records its vector number
// and jumps to the entry for exceptions with or without an error code; the
// double fault (8) and NMI (2) go to fatalCommon through their own IST (desc.go), and
// their stubs are only reached that way.
TEXT ·vectors(SB),NOSPLIT|NOFRAME,$0
	TESTB	$3, 8(SP) // vector 0: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$0, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 1: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$1, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 2: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$2, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 3: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$3, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 4: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$4, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 5: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$5, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 6: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$6, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 7: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$7, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 8: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$8, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 9: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$9, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 10: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$10, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 11: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$11, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 12: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$12, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 13: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$13, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 14: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$14, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 15: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$15, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 16: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$16, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 17: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$17, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 18: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$18, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 19: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$19, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 20: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$20, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 21: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$21, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 22: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$22, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 23: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$23, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 24: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$24, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 25: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$25, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 26: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$26, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 27: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$27, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 28: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$28, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 29: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$29, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 16(SP) // vector 30: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$30, cpuLocal_vector
	JMP	·intrErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 31: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$31, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 32: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$32, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 33: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$33, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 34: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$34, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 35: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$35, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 36: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$36, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 37: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$37, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 38: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$38, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 39: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$39, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 40: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$40, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 41: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$41, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 42: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$42, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 43: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$43, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 44: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$44, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 45: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$45, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 46: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$46, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 47: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$47, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 48: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$48, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 49: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$49, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 50: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$50, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 51: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$51, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 52: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$52, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 53: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$53, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 54: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$54, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 55: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$55, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 56: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$56, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 57: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$57, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 58: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$58, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 59: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$59, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 60: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$60, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 61: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$61, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 62: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$62, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 63: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$63, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 64: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$64, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 65: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$65, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 66: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$66, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 67: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$67, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 68: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$68, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 69: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$69, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 70: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$70, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 71: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$71, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 72: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$72, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 73: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$73, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 74: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$74, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 75: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$75, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 76: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$76, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 77: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$77, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 78: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$78, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 79: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$79, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 80: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$80, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 81: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$81, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 82: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$82, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 83: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$83, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 84: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$84, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 85: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$85, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 86: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$86, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 87: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$87, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 88: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$88, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 89: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$89, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 90: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$90, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 91: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$91, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 92: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$92, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 93: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$93, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 94: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$94, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 95: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$95, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 96: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$96, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 97: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$97, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 98: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$98, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 99: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$99, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 100: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$100, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 101: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$101, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 102: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$102, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 103: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$103, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 104: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$104, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 105: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$105, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 106: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$106, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 107: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$107, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 108: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$108, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 109: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$109, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 110: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$110, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 111: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$111, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 112: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$112, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 113: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$113, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 114: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$114, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 115: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$115, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 116: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$116, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 117: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$117, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 118: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$118, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 119: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$119, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 120: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$120, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 121: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$121, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 122: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$122, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 123: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$123, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 124: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$124, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 125: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$125, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 126: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$126, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 127: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$127, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 128: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$128, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 129: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$129, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 130: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$130, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 131: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$131, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 132: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$132, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 133: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$133, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 134: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$134, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 135: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$135, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 136: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$136, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 137: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$137, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 138: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$138, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 139: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$139, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 140: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$140, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 141: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$141, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 142: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$142, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 143: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$143, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 144: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$144, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 145: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$145, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 146: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$146, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 147: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$147, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 148: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$148, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 149: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$149, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 150: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$150, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 151: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$151, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 152: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$152, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 153: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$153, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 154: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$154, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 155: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$155, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 156: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$156, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 157: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$157, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 158: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$158, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 159: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$159, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 160: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$160, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 161: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$161, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 162: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$162, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 163: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$163, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 164: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$164, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 165: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$165, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 166: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$166, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 167: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$167, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 168: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$168, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 169: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$169, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 170: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$170, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 171: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$171, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 172: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$172, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 173: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$173, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 174: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$174, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 175: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$175, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 176: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$176, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 177: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$177, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 178: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$178, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 179: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$179, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 180: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$180, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 181: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$181, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 182: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$182, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 183: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$183, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 184: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$184, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 185: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$185, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 186: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$186, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 187: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$187, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 188: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$188, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 189: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$189, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 190: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$190, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 191: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$191, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 192: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$192, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 193: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$193, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 194: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$194, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 195: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$195, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 196: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$196, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 197: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$197, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 198: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$198, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 199: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$199, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 200: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$200, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 201: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$201, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 202: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$202, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 203: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$203, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 204: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$204, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 205: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$205, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 206: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$206, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 207: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$207, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 208: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$208, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 209: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$209, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 210: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$210, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 211: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$211, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 212: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$212, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 213: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$213, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 214: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$214, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 215: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$215, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 216: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$216, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 217: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$217, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 218: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$218, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 219: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$219, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 220: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$220, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 221: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$221, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 222: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$222, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 223: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$223, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 224: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$224, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 225: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$225, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 226: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$226, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 227: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$227, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 228: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$228, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 229: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$229, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 230: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$230, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 231: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$231, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 232: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$232, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 233: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$233, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 234: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$234, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 235: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$235, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 236: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$236, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 237: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$237, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 238: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$238, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 239: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$239, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 240: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$240, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 241: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$241, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 242: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$242, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 243: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$243, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 244: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$244, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 245: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$245, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 246: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$246, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 247: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$247, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 248: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$248, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 249: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$249, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 250: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$250, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 251: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$251, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 252: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$252, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 253: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$253, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 254: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$254, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
	TESTB	$3, 8(SP) // vector 255: from ring 3?
	JEQ	2(PC)
	SWAPGS
	BYTE	$0x65; MOVQ	$255, cpuLocal_vector
	JMP	·intrNoErr(SB)
	PCALIGN	$32
