package abi

// MaxMsgWords is the largest number of message words in one message.
const MaxMsgWords = 64

// MaxMsgCaps is the largest number of capabilities transferred by one message.
const MaxMsgCaps = 3

// MsgInfo is the message-info word of a message: a label chosen by the sender (the
// invocation method for SysInvoke, the fault kind for a fault message), the number of
// message words and the number of extra capabilities.
//
//	bits 0–6   length     message words, 0..MaxMsgWords
//	bits 7–8   extraCaps  capabilities, 0..MaxMsgCaps
//	bits 9–11  reserved, must be zero
//	bits 12–63 label
type MsgInfo uint64

const (
	lenBits   = 7
	capsShift = lenBits
	capsBits  = 2
	labelShft = 12
	// MaxLabel is the largest label a MsgInfo can carry.
	MaxLabel = 1<<(64-labelShft) - 1
)

// NewMsgInfo packs a message-info word. Out-of-range fields are truncated; Valid tells
// whether a received word is well formed.
func NewMsgInfo(label uint64, length, extraCaps int) MsgInfo {
	return MsgInfo(label<<labelShft | uint64(extraCaps&(1<<capsBits-1))<<capsShift | uint64(length&(1<<lenBits-1)))
}

// Label returns the label.
func (m MsgInfo) Label() uint64 { return uint64(m) >> labelShft }

// Len returns the number of message words.
func (m MsgInfo) Len() int { return int(m & (1<<lenBits - 1)) }

// ExtraCaps returns the number of capabilities.
func (m MsgInfo) ExtraCaps() int { return int(m>>capsShift) & (1<<capsBits - 1) }

// Valid reports whether the word is well formed: length and capability count in range
// and the reserved bits zero.
func (m MsgInfo) Valid() bool {
	return m.Len() <= MaxMsgWords && m.ExtraCaps() <= MaxMsgCaps && uint64(m)&(7<<9) == 0
}

// IPC buffer layout. A task's IPC buffer is one whole frame mapped at a page-aligned
// address and registered with TCB Configure. All words are little-endian uint64.
const (
	// IPCBufMR is the byte offset of message word i (i ≥ NumRegMRs): IPCBufMR + 8*i.
	// The slots of words 0..NumRegMRs-1 are unused: those words travel in registers.
	IPCBufMR = 0
	// IPCBufCaps is the byte offset of the MaxMsgCaps capability pointers a sender
	// transfers (or an invoker passes as extra capabilities).
	IPCBufCaps = 8 * MaxMsgWords
	// IPCBufRecvSlots is the byte offset of the MaxMsgCaps slots in which a receiver
	// accepts transferred capabilities, in order; 0 means "accept none here".
	IPCBufRecvSlots = IPCBufCaps + 8*MaxMsgCaps
	// IPCBufSize is the number of bytes of the IPC buffer the kernel reads or writes.
	IPCBufSize = IPCBufRecvSlots + 8*MaxMsgCaps
)
