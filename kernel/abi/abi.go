// Package abi is the contract between Skyscope user tasks and the kernel: system call
// numbers, the register file a system call uses, the message-info word, the IPC buffer
// layout, capability rights, object types, invocation labels, fault messages and error
// codes. It has no dependencies so that the kernel, the hardware layer and the user
// library can all share one definition; ARCHITECTURE.md describes the same ABI in prose.
package abi

// Sys is a Skyscope system call number. The numbers start at SysBase, far above Linux's
// x86_64 table, so the Linux-ABI personality and kernel IPC can share the SYSCALL
// instruction without ambiguity.
type Sys uint64

// SysBase is the first Skyscope system call number.
const SysBase Sys = 0x1000

// The Skyscope system calls. Each is specified (registers in and out, errors) in the
// kernel's system call table and in ARCHITECTURE.md.
const (
	SysSend      Sys = SysBase + iota // send a message on an endpoint; blocks until received
	SysNBSend                         // send only if a receiver is waiting; never blocks
	SysCall                           // send, then wait for the reply (bound to a Reply object by the receiver)
	SysRecv                           // receive on an endpoint (with a Reply object) or wait on a notification
	SysNBRecv                         // receive only if a sender is waiting; never blocks
	SysReply                          // reply through a Reply object; never blocks
	SysReplyRecv                      // reply, then receive on an endpoint with the same Reply object
	SysSignal                         // signal a notification (OR its badge into the word)
	SysWait                           // wait on a notification until its word is non-zero
	SysPoll                           // read and clear a notification word; never blocks
	SysYield                          // give up the rest of the time slice
	SysInvoke                         // invoke a method of a kernel object through its capability
	sysEnd
)

// NumSyscalls is the number of Skyscope system calls.
const NumSyscalls = int(sysEnd - SysBase)

var sysNames = [...]string{"Send", "NBSend", "Call", "Recv", "NBRecv", "Reply", "ReplyRecv",
	"Signal", "Wait", "Poll", "Yield", "Invoke"}

// String returns the system call's name, or "Sys(0x…)" for an unknown number.
func (s Sys) String() string {
	if s >= SysBase && s < sysEnd {
		return sysNames[s-SysBase]
	}
	return "Sys(" + hex(uint64(s)) + ")"
}

// Valid reports whether s is a Skyscope system call number.
func (s Sys) Valid() bool { return s >= SysBase && s < sysEnd }

// NumRegMRs is the number of message words carried in registers; words at and above it
// travel in the IPC buffer.
const NumRegMRs = 4

// Regs is the architecture-neutral view of the registers a system call uses. On x86_64
// (see ARCHITECTURE.md) Num is RAX, Cap is RDI, Info is RSI, Cap2 is RDX and MR[0..3] are
// R10, R8, R9 and R12. The simulated machine hands this struct over directly.
type Regs struct {
	Num  uint64            // in: system call number; out: Errno (0 = success)
	Cap  uint64            // in: capability pointer; out: badge of the sender or notification word
	Info uint64            // in and out: MsgInfo
	Cap2 uint64            // in: second capability pointer (the Reply object)
	MR   [NumRegMRs]uint64 // in and out: message words 0–3
}

// CPtr names a slot in the calling task's capability space (a flat index). Slot 0 is
// always empty, so a zero CPtr means "no capability".
type CPtr uint64

// Badge is an unforgeable word attached to a capability by Mint and delivered to the
// receiver of a message sent through it (or OR-ed into a notification word).
type Badge uint64

func hex(v uint64) string {
	const digits = "0123456789abcdef"
	if v == 0 {
		return "0x0"
	}
	var b [18]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = digits[v&0xf]
		v >>= 4
	}
	i--
	b[i] = 'x'
	i--
	b[i] = '0'
	return string(b[i:])
}
