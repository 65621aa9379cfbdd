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

// INVOKE makes SysInvoke on capability cap with message info info (method, words,
// extra capabilities; arguments already in R10, R8, R9, R12 and the IPC buffer) and
// reports step on failure.
#define INVOKE(cap, info, step) \
	MOVQ	$const_sysInvoke, AX; \
	MOVQ	$cap, DI; \
	MOVQ	$info, SI; \
	SYSCALL; \
	MOVQ	$step, BX; \
	TESTQ	AX, AX; \
	JNE	fail

// RETYPE makes one object of type typ (size sz) from init's budget (slot 4) into slot
// dst of init's CSpace (slot 1).
#define RETYPE(typ, sz, dst, step) \
	MOVQ	$1, const_capSlot0(R15); \
	MOVQ	$typ, R10; \
	MOVQ	$sz, R8; \
	MOVQ	$dst, R9; \
	MOVQ	$1, R12; \
	INVOKE(4, const_infoRetype, step)

// func ping() — ring 3 init of the ping-pong test; see rawtask.go. Init's slots: 1
// CSpace, 2 TCB, 3 address space, 4 budget, 6 console, 8 System. Made here: 16
// endpoint, 17 Reply, 18 pong's CSpace, 19 pong's address space, 20 pong's TCB, 21 its
// IPC buffer, 22 its code page, 23 the wild task's TCB.
TEXT ·ping(SB),NOSPLIT|NOFRAME,$0
	MOVQ	DI, R15
	RETYPE(const_objEndpoint, 0, 16, 1)
	RETYPE(const_objReply, 0, 17, 2)
	RETYPE(const_objCSpace, 4, 18, 3)
	RETYPE(const_objAddressSpace, 0, 19, 4)
	RETYPE(const_objTCB, 0, 20, 5)
	RETYPE(const_objFrame, 0, 21, 6)
	RETYPE(const_objFrame, 0, 22, 7)
	// The code page, writable in init's space at 0x500000: copy pong into it.
	MOVQ	$3, const_capSlot0(R15)
	MOVQ	$0x500000, R10
	MOVQ	$3, R8
	INVOKE(22, const_infoFrameMap, 8)
	MOVQ	$const_PingPongEntry+const_PongOffset, SI
	MOVQ	$0x500000+const_PongOffset, DI // the same offset in the page as in init's
	MOVQ	$const_PongOffset, CX         // pong and wild
	REP;	MOVSB
	// Pong's address space: the code read-execute at the entry, its IPC buffer.
	MOVQ	$19, const_capSlot0(R15)
	MOVQ	$const_PingPongEntry, R10
	MOVQ	$5, R8
	INVOKE(22, const_infoFrameMap, 9)
	MOVQ	$19, const_capSlot0(R15)
	MOVQ	$const_ipcBuffer, R10
	MOVQ	$3, R8
	INVOKE(21, const_infoFrameMap, 10)
	// Pong's CSpace: slot 1 the endpoint (receive only), slot 2 the Reply.
	MOVQ	$1, const_capSlot0(R15)
	MOVQ	$1, R10
	MOVQ	$16, R8
	MOVQ	$1, R9
	INVOKE(18, const_infoCopy, 11)
	MOVQ	$1, const_capSlot0(R15)
	MOVQ	$2, R10
	MOVQ	$17, R8
	MOVQ	$2, R9
	INVOKE(18, const_infoCopy, 12)
	// Pong's thread.
	MOVQ	$18, const_capSlot0(R15)
	MOVQ	$19, const_capSlot0+8(R15)
	MOVQ	$21, const_capSlot0+16(R15)
	MOVQ	$const_ipcBuffer, R10
	INVOKE(20, const_infoConfigure, 13)
	MOVQ	$2, const_capSlot0(R15)
	MOVQ	$100, R10
	INVOKE(20, const_infoSetPriority, 14)
	MOVQ	$const_PingPongEntry+const_PongOffset, R10
	MOVQ	$0, R8
	MOVQ	$const_ipcBuffer, R9
	INVOKE(20, const_infoWriteRegs, 15)
	INVOKE(20, const_infoResume, 16)
	// A third task, in pong's spaces, that writes to a wild address as soon as it
	// runs: the kernel must stop it alone while ping and pong carry on.
	RETYPE(const_objTCB, 0, 23, 20)
	MOVQ	$18, const_capSlot0(R15)
	MOVQ	$19, const_capSlot0+8(R15)
	MOVQ	$0, const_capSlot0+16(R15)
	MOVQ	$0, R10
	INVOKE(23, const_infoConfigure, 21)
	MOVQ	$2, const_capSlot0(R15)
	MOVQ	$100, R10
	INVOKE(23, const_infoSetPriority, 22)
	MOVQ	$const_PingPongEntry+const_WildOffset, R10
	MOVQ	$0, R8
	MOVQ	$0, R9
	INVOKE(23, const_infoWriteRegs, 23)
	INVOKE(23, const_infoResume, 24)
	// Warm up: the first call finds pong waiting.
	MOVQ	$const_sysCall, AX
	MOVQ	$16, DI
	MOVQ	$const_infoPing, SI
	MOVQ	$0, R10
	SYSCALL
	MOVQ	$17, BX
	TESTQ	AX, AX
	JNE	fail
	// Timed round trips.
	RDTSC
	SHLQ	$32, DX
	ORQ	AX, DX
	MOVQ	DX, R13
	MOVQ	$const_PingRounds, R14
loop:
	MOVQ	$const_sysCall, AX
	MOVQ	$16, DI
	MOVQ	$const_infoPing, SI
	MOVQ	R14, R10
	SYSCALL
	MOVQ	$18, BX
	TESTQ	AX, AX
	JNE	fail
	LEAQ	1(R14), AX
	CMPQ	R10, AX // pong answers with the word plus one
	JNE	fail
	DECQ	R14
	JNE	loop
	RDTSC
	SHLQ	$32, DX
	ORQ	AX, DX
	SUBQ	R13, DX
	MOVQ	DX, AX
	XORQ	DX, DX
	MOVQ	$const_PingRounds, CX
	DIVQ	CX
	MOVQ	AX, BX // ticks per round trip
	// "pingpong: 0x" then 16 hex digits and a newline, from message word 4 on.
	MOVQ	$0x676e6f70676e6970, AX // "pingpong"
	MOVQ	AX, 32(R15)
	MOVQ	$0x7830203a, AX // ": 0x"
	MOVL	AX, 40(R15)
	LEAQ	59(R15), DI
	MOVQ	$16, CX
hex:
	MOVQ	BX, AX
	ANDQ	$15, AX
	CMPQ	AX, $10
	JCS	digit
	ADDQ	$39, AX // 'a' - 10 - '0'
digit:
	ADDQ	$48, AX
	MOVB	AX, (DI)
	SHRQ	$4, BX
	DECQ	DI
	DECQ	CX
	JNE	hex
	MOVB	$10, 60(R15)
	MOVQ	$const_sysInvoke, AX
	MOVQ	$const_slotConsole, DI
	MOVQ	$const_infoConsoleWrite, SI
	MOVQ	$29, R10
	SYSCALL
	INVOKE(2, const_infoSuspend, 19)
	JMP	-1(PC)
fail:
	ADDQ	$0xbad0000, BX
	MOVQ	BX, (BX)
	JMP	-1(PC)

// func pong() — ring 3: answer each call with its word plus one.
TEXT ·pong(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$const_sysRecv, AX
	MOVQ	$1, DI
	MOVQ	$2, DX
	SYSCALL
again:
	INCQ	R10
	MOVQ	$const_sysReplyRecv, AX
	MOVQ	$1, DI
	MOVQ	$2, DX
	MOVQ	$const_infoPong, SI
	SYSCALL
	JMP	again

// func wild() — ring 3: write to an address nobody mapped.
TEXT ·wild(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$const_WildAddress, BX
	MOVQ	BX, (BX)
	JMP	-1(PC)

// func wildAddr() uintptr
TEXT ·wildAddr(SB),NOSPLIT,$0-8
	MOVQ	$·wild(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func pingAddr() uintptr
TEXT ·pingAddr(SB),NOSPLIT,$0-8
	MOVQ	$·ping(SB), AX
	MOVQ	AX, ret+0(FP)
	RET

// func pongAddr() uintptr
TEXT ·pongAddr(SB),NOSPLIT,$0-8
	MOVQ	$·pong(SB), AX
	MOVQ	AX, ret+0(FP)
	RET
