#include "go_asm.h"
#include "textflag.h"

// func hello() — ring 3, position independent; see rawtask.go.
TEXT ·hello(SB),NOSPLIT|NOFRAME,$0
	MOVQ	DI, R15                       // the IPC buffer
	MOVQ	$0x7266206f6c6c6568, AX       // "hello fr"
	MOVQ	AX, 32(R15)                   // message word 4 onwards: the bytes
	MOVQ	$0x20676e6972206d6f, AX       // "om ring "
	MOVQ	AX, 40(R15)
	MOVQ	$0x0a33, AX                   // "3\n"
	MOVQ	AX, 48(R15)
	MOVQ	$const_sysInvoke, AX
	MOVQ	$const_slotConsole, DI
	MOVQ	$const_infoConsoleWrite, SI
	MOVQ	$18, R10                      // MR0: byte count
	SYSCALL
	MOVQ	$const_sysYield, AX
	SYSCALL
	MOVQ	$const_WildAddress, BX
	MOVQ	AX, (BX)
	JMP	-1(PC)

// func helloAddr() uintptr
TEXT ·helloAddr(SB),NOSPLIT,$0-8
	MOVQ	$·hello(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
