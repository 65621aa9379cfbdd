#include "textflag.h"

// abi.Regs layout: Num 0, Cap 8, Info 16, Cap2 24, MR[0..3] 32..56.
#define REGS_NUM 0
#define REGS_CAP 8
#define REGS_INFO 16
#define REGS_CAP2 24
#define REGS_MR0 32
#define REGS_MR1 40
#define REGS_MR2 48
#define REGS_MR3 56

// func trap(r *abi.Regs)
// SYSCALL clobbers RCX and R11 (return address and flags); R12 is callee-saved in
// Go's ABI0 only by convention of this function, so it is saved on the frame.
TEXT ·trap(SB), NOSPLIT, $16-8
	MOVQ	R12, 0(SP)
	MOVQ	r+0(FP), BX
	MOVQ	REGS_NUM(BX), AX
	MOVQ	REGS_CAP(BX), DI
	MOVQ	REGS_INFO(BX), SI
	MOVQ	REGS_CAP2(BX), DX
	MOVQ	REGS_MR0(BX), R10
	MOVQ	REGS_MR1(BX), R8
	MOVQ	REGS_MR2(BX), R9
	MOVQ	REGS_MR3(BX), R12
	MOVQ	BX, 8(SP)
	SYSCALL
	MOVQ	8(SP), BX
	MOVQ	AX, REGS_NUM(BX)
	MOVQ	DI, REGS_CAP(BX)
	MOVQ	SI, REGS_INFO(BX)
	MOVQ	R10, REGS_MR0(BX)
	MOVQ	R8, REGS_MR1(BX)
	MOVQ	R9, REGS_MR2(BX)
	MOVQ	R12, REGS_MR3(BX)
	MOVQ	0(SP), R12
	RET
