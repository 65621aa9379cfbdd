#include "textflag.h"

// func rdmsr(msr uint32) uint64
TEXT ·rdmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	RDMSR
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+8(FP)
	RET

// func wrmsr(msr uint32, v uint64)
TEXT ·wrmsr(SB),NOSPLIT,$0-16
	MOVL	msr+0(FP), CX
	MOVQ	v+8(FP), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	RET

// func rdtsc() uint64
TEXT ·rdtsc(SB),NOSPLIT,$0-8
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func readCR2() uint64
TEXT ·readCR2(SB),NOSPLIT,$0-8
	MOVQ	CR2, AX
	MOVQ	AX, ret+0(FP)
	RET

// func readCR3() uint64
TEXT ·readCR3(SB),NOSPLIT,$0-8
	MOVQ	CR3, AX
	MOVQ	AX, ret+0(FP)
	RET

// func writeCR3(v uint64)
TEXT ·writeCR3(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR3
	RET

// func invlpg(va uintptr)
TEXT ·invlpg(SB),NOSPLIT,$0-8
	MOVQ	va+0(FP), AX
	INVLPG	(AX)
	RET

// func lgdt(p *[2]uint64)
TEXT ·lgdt(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	LGDT	(AX)
	MOVW	$0x10, AX
	MOVW	AX, DS
	MOVW	AX, ES
	MOVW	AX, SS
	CALL	reloadCS<>(SB)
	RET

// reloadCS turns its return address into a far-return frame (RIP, CS = 0x08) and
// returns through it, reloading CS from the new GDT (SDM 3A §3.4.3).
TEXT reloadCS<>(SB),NOSPLIT|NOFRAME,$0
	POPQ	AX
	PUSHQ	$0x08
	PUSHQ	AX
	BYTE	$0x48; BYTE $0xCB // LRETQ (REX.W RETF)

// func lidt(p *[2]uint64)
TEXT ·lidt(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	LIDT	(AX)
	RET

// func ltr(sel uint16)
TEXT ·ltr(SB),NOSPLIT,$0-2
	MOVW	sel+0(FP), AX
	LTR	AX
	RET

// func haltForever()
TEXT ·haltForever(SB),NOSPLIT,$0-0
	CLI
	HLT
	JMP	-2(PC)

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB),NOSPLIT,$0-24
	MOVL	leaf+0(FP), AX
	MOVL	sub+4(FP), CX
	CPUID
	MOVL	AX, eax+8(FP)
	MOVL	BX, ebx+12(FP)
	MOVL	CX, ecx+16(FP)
	MOVL	DX, edx+20(FP)
	RET

// func shutdownRequest(code uint64)
TEXT ·shutdownRequest(SB),NOSPLIT,$0-8
	MOVQ	code+0(FP), DI
	MOVL	$231, AX // exit_group
	SYSCALL
	RET

// func rdrand() (v uint64, ok bool)
TEXT ·rdrand(SB),NOSPLIT,$0-9
	BYTE	$0x48; BYTE $0x0F; BYTE $0xC7; BYTE $0xF0 // RDRAND RAX (REX.W 0F C7 /6)
	SETCS	ok+8(FP)
	MOVQ	AX, v+0(FP)
	RET
