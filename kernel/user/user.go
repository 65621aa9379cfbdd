// Package user is a task's view of the Skyscope kernel: IPC (call, reply, send,
// receive), notifications, and invocations of kernel objects through capabilities.
// Every user task — services, the shell, tests — is written against it.
//
// The package reaches the kernel only through a Trapper: on the simulated machine that
// is the task's hal/sim Port, on bare metal the SYSCALL instruction. Messages travel as
// words in registers and in the task's IPC buffer, never as shared Go values, so the
// same task source runs on both machines.
//
// Methods return abi.Errno values as errors (nil on success); none allocates on the
// IPC path.
package user

import (
	"encoding/binary"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Trapper is the machine-specific way into the kernel.
type Trapper interface {
	// Regs returns the register file that Syscall passes and in which results arrive.
	Regs() *abi.Regs
	// Syscall traps into the kernel.
	Syscall()
	// Load copies len(b) bytes at user address va into b.
	Load(va uint64, b []byte)
	// Store copies b to user address va.
	Store(va uint64, b []byte)
	// Compute spends ns nanoseconds of CPU time.
	Compute(ns int64)
}

// Env is one thread's handle on the kernel.
type Env struct {
	t   Trapper
	r   *abi.Regs
	buf uint64 // user address of the IPC buffer, 0 if none
	tmp [8]byte
}

// New returns an Env that traps through t and uses the IPC buffer at user address
// ipcBuffer (0 if the thread has none).
func New(t Trapper, ipcBuffer uint64) *Env {
	return &Env{t: t, r: t.Regs(), buf: ipcBuffer}
}

// IPCBuffer returns the user address of the thread's IPC buffer.
func (e *Env) IPCBuffer() uint64 { return e.buf }

// SetIPCBuffer changes the IPC buffer address the Env uses (after TCB Configure).
func (e *Env) SetIPCBuffer(va uint64) { e.buf = va }

// Compute spends ns nanoseconds of CPU time, like a busy loop.
func (e *Env) Compute(ns int64) { e.t.Compute(ns) }

// Load copies len(b) bytes of the task's memory at user address va into b.
func (e *Env) Load(va uint64, b []byte) { e.t.Load(va, b) }

// Store copies b into the task's memory at user address va.
func (e *Env) Store(va uint64, b []byte) { e.t.Store(va, b) }

// Load64 reads the word at user address va.
func (e *Env) Load64(va uint64) uint64 {
	e.t.Load(va, e.tmp[:])
	return binary.LittleEndian.Uint64(e.tmp[:])
}

// Store64 writes the word v at user address va.
func (e *Env) Store64(va, v uint64) {
	binary.LittleEndian.PutUint64(e.tmp[:], v)
	e.t.Store(va, e.tmp[:])
}

// Registers is implemented by a Trapper that can make one aligned access of exactly
// 1, 2 or 4 bytes to user memory, as device registers need (a register read in two
// halves reads two different registers).
type Registers interface {
	Load8(va uint64) uint8
	Load16(va uint64) uint16
	Load32(va uint64) uint32
	Store8(va uint64, v uint8)
	Store16(va uint64, v uint16)
	Store32(va uint64, v uint32)
}

// Load8 reads the byte at va: a device register read.
func (e *Env) Load8(va uint64) uint8 {
	if r, ok := e.t.(Registers); ok {
		return r.Load8(va)
	}
	e.t.Load(va, e.tmp[:1])
	return e.tmp[0]
}

// Load16 reads the aligned 16-bit word at va in one access where the machine can.
func (e *Env) Load16(va uint64) uint16 {
	if r, ok := e.t.(Registers); ok {
		return r.Load16(va)
	}
	e.t.Load(va, e.tmp[:2])
	return binary.LittleEndian.Uint16(e.tmp[:2])
}

// Load32 reads the aligned 32-bit word at va in one access where the machine can.
func (e *Env) Load32(va uint64) uint32 {
	if r, ok := e.t.(Registers); ok {
		return r.Load32(va)
	}
	e.t.Load(va, e.tmp[:4])
	return binary.LittleEndian.Uint32(e.tmp[:4])
}

// Store8 writes the byte v at va: a device register write.
func (e *Env) Store8(va uint64, v uint8) {
	if r, ok := e.t.(Registers); ok {
		r.Store8(va, v)
		return
	}
	e.tmp[0] = v
	e.t.Store(va, e.tmp[:1])
}

// Store16 writes v to the aligned 16-bit word at va in one access where the machine can.
func (e *Env) Store16(va uint64, v uint16) {
	if r, ok := e.t.(Registers); ok {
		r.Store16(va, v)
		return
	}
	binary.LittleEndian.PutUint16(e.tmp[:2], v)
	e.t.Store(va, e.tmp[:2])
}

// Store32 writes v to the aligned 32-bit word at va in one access where the machine can.
func (e *Env) Store32(va uint64, v uint32) {
	if r, ok := e.t.(Registers); ok {
		r.Store32(va, v)
		return
	}
	binary.LittleEndian.PutUint32(e.tmp[:4], v)
	e.t.Store(va, e.tmp[:4])
}

// MR returns message word i of the last message received (or invocation result).
func (e *Env) MR(i int) uint64 {
	if i < abi.NumRegMRs {
		return e.r.MR[i]
	}
	return e.Load64(e.buf + abi.IPCBufMR + 8*uint64(i))
}

// SetMR sets message word i of the next message sent.
func (e *Env) SetMR(i int, v uint64) {
	if i < abi.NumRegMRs {
		e.r.MR[i] = v
		return
	}
	e.Store64(e.buf+abi.IPCBufMR+8*uint64(i), v)
}

// SetCap sets capability pointer i of the next message (capabilities to transfer, or
// an invocation's extra capabilities).
func (e *Env) SetCap(i int, c abi.CPtr) {
	e.Store64(e.buf+abi.IPCBufCaps+8*uint64(i), uint64(c))
}

// SetRecvSlot sets receive slot i: where the i-th capability of a received message goes
// (0: accept none there).
func (e *Env) SetRecvSlot(i int, c abi.CPtr) {
	e.Store64(e.buf+abi.IPCBufRecvSlots+8*uint64(i), uint64(c))
}

// sys makes system call n and returns its error.
func (e *Env) sys(n abi.Sys, c, c2 abi.CPtr, info abi.MsgInfo) error {
	r := e.r
	r.Num, r.Cap, r.Cap2, r.Info = uint64(n), uint64(c), uint64(c2), uint64(info)
	e.t.Syscall()
	return abi.Errno(r.Num).Err()
}

// Send sends a message (words set with SetMR) on endpoint ep and blocks until a
// receiver takes it.
func (e *Env) Send(ep abi.CPtr, info abi.MsgInfo) error { return e.sys(abi.SysSend, ep, 0, info) }

// NBSend sends only if a receiver is waiting (else ErrWouldBlock).
func (e *Env) NBSend(ep abi.CPtr, info abi.MsgInfo) error {
	return e.sys(abi.SysNBSend, ep, 0, info)
}

// Call sends on ep and waits for the reply, whose info it returns; the reply's words
// are read with MR.
func (e *Env) Call(ep abi.CPtr, info abi.MsgInfo) (abi.MsgInfo, error) {
	err := e.sys(abi.SysCall, ep, 0, info)
	return abi.MsgInfo(e.r.Info), err
}

// Recv waits for a message on endpoint ep; if it was a Call, reply (a Reply object, or
// 0) becomes the way to answer it. On a notification capability it waits like Wait.
// It returns the sender's badge and the message info.
func (e *Env) Recv(ep, reply abi.CPtr) (abi.Badge, abi.MsgInfo, error) {
	err := e.sys(abi.SysRecv, ep, reply, 0)
	return abi.Badge(e.r.Cap), abi.MsgInfo(e.r.Info), err
}

// NBRecv receives only if a sender is waiting (else ErrWouldBlock).
func (e *Env) NBRecv(ep, reply abi.CPtr) (abi.Badge, abi.MsgInfo, error) {
	err := e.sys(abi.SysNBRecv, ep, reply, 0)
	return abi.Badge(e.r.Cap), abi.MsgInfo(e.r.Info), err
}

// Reply answers the caller waiting on reply.
func (e *Env) Reply(reply abi.CPtr, info abi.MsgInfo) error {
	return e.sys(abi.SysReply, 0, reply, info)
}

// ReplyRecv answers the caller waiting on reply (if any) and then waits for the next
// message on ep with the same Reply object: a server's loop in one system call.
func (e *Env) ReplyRecv(ep, reply abi.CPtr, info abi.MsgInfo) (abi.Badge, abi.MsgInfo, error) {
	err := e.sys(abi.SysReplyRecv, ep, reply, info)
	return abi.Badge(e.r.Cap), abi.MsgInfo(e.r.Info), err
}

// Signal ORs the badge of capability n into its notification.
func (e *Env) Signal(n abi.CPtr) error { return e.sys(abi.SysSignal, n, 0, 0) }

// Wait blocks until notification n is signalled and returns its word.
func (e *Env) Wait(n abi.CPtr) (uint64, error) {
	err := e.sys(abi.SysWait, n, 0, 0)
	return e.r.Cap, err
}

// Poll returns notification n's word without blocking (ErrWouldBlock if unsignalled).
func (e *Env) Poll(n abi.CPtr) (uint64, error) {
	err := e.sys(abi.SysPoll, n, 0, 0)
	return e.r.Cap, err
}

// Yield gives the rest of the time slice to other threads of the same priority.
func (e *Env) Yield() { _ = e.sys(abi.SysYield, 0, 0, 0) }

// Invoke runs method m of the object c names with the first nargs message words (set
// with SetMR) and the first ncaps capability pointers (set with SetCap). Results are
// read with MR.
func (e *Env) Invoke(c abi.CPtr, m abi.Method, nargs, ncaps int) error {
	return e.sys(abi.SysInvoke, c, 0, abi.NewMsgInfo(uint64(m), nargs, ncaps))
}

// SetPayload puts b in the next message's words from NumRegMRs on (the IPC buffer) and
// returns the message length in words that carries it. b is at most MaxPayload bytes.
func (e *Env) SetPayload(b []byte) int {
	e.t.Store(e.buf+payloadOffset, b)
	return abi.NumRegMRs + (len(b)+7)/8
}

// Payload returns n bytes of the last message's words from NumRegMRs on (at most
// MaxPayload).
func (e *Env) Payload(n int) []byte {
	b := make([]byte, min(max(n, 0), MaxPayload))
	e.t.Load(e.buf+payloadOffset, b)
	return b
}

// payloadOffset is where byte payloads start in the IPC buffer: message word NumRegMRs.
const payloadOffset = abi.IPCBufMR + 8*abi.NumRegMRs
