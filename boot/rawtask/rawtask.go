// Package rawtask holds tiny position-independent ring-3 programs written in assembly,
// for testing the bare-metal user mode before the boot bundle can carry Go programs:
// the kernel copies their code into a task's address space and runs it.
package rawtask

import (
	"unsafe"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Constants the assembly uses (through go_asm.h).
const (
	sysInvoke       = uint64(abi.SysInvoke)
	sysYield        = uint64(abi.SysYield)
	sysCall         = uint64(abi.SysCall)
	sysRecv         = uint64(abi.SysRecv)
	sysReplyRecv    = uint64(abi.SysReplyRecv)
	ipcBuffer       = abi.InitIPCBuffer
	capSlot0        = abi.IPCBufCaps
	objEndpoint     = uint64(abi.ObjEndpoint)
	objReply        = uint64(abi.ObjReply)
	objCSpace       = uint64(abi.ObjCSpace)
	objAddressSpace = uint64(abi.ObjAddressSpace)
	objTCB          = uint64(abi.ObjTCB)
	objFrame        = uint64(abi.ObjFrame)
	infoRetype      = uint64(abi.UntypedRetype)<<12 | 1<<7 | 4
	infoFrameMap    = uint64(abi.FrameMap)<<12 | 1<<7 | 2
	infoCopy        = uint64(abi.CSpaceCopy)<<12 | 1<<7 | 3
	infoConfigure   = uint64(abi.TCBConfigure)<<12 | 3<<7 | 1
	infoSetPriority = uint64(abi.TCBSetPriority)<<12 | 1<<7 | 1
	infoWriteRegs   = uint64(abi.TCBWriteRegisters)<<12 | 3
	infoResume      = uint64(abi.TCBResume) << 12
	infoSuspend     = uint64(abi.TCBSuspend) << 12
	infoPing        = 1<<12 | 1 // label 1, one word
	infoPong        = 1         // one word
	// PingRounds is how many timed round trips PingPong makes.
	PingRounds       = 10000
	slotConsole      = uint64(abi.InitSlotConsole)
	infoConsoleWrite = uint64(abi.ConsoleWrite)<<12 | 1
	// WildAddress is where Hello writes last: nothing is mapped there.
	WildAddress = 0xdead0000
)

// hello is never called from Go: in ring 3, with RDI = its IPC buffer, it prints
// "hello from ring 3" through the console capability, yields, then writes to
// WildAddress.
func hello()

func helloAddr() uintptr

// Hello returns a page holding hello's machine code, to map at a task's entry point.
func Hello() []byte {
	code := make([]byte, abi.PageSize)
	addr := helloAddr()
	text := *(*unsafe.Pointer)(unsafe.Pointer(&addr)) // kernel text, not Go heap
	copy(code, unsafe.Slice((*byte)(text), abi.PageSize))
	return code
}

func ping()
func pong()
func wild()
func pingAddr() uintptr
func pongAddr() uintptr
func wildAddr() uintptr

// PingPongEntry is where PingPong's page must be mapped; pong's code is at +PongOffset
// and wild's at +WildOffset.
const (
	PingPongEntry = 0x400000
	PongOffset    = 0x800
	WildOffset    = 0xC00
)

// PingPong returns a page with two programs: ping (at 0), to run as init, and pong (at
// PongOffset). Ping makes a second task in its own CSpace and address space from the
// memory budget — endpoint, Reply, TCB, IPC buffer and a copy of pong's code — starts
// it, starts a third task there that writes to WildAddress at once (the kernel stops it
// alone), and calls pong PingRounds times, timing the round trips with RDTSC; it prints
// "pingpong: 0x<ticks per round trip>" through its console capability and suspends
// itself. A failing step writes to 0xbad0000+step instead.
func PingPong() []byte {
	page := make([]byte, abi.PageSize)
	for _, c := range []struct {
		addr uintptr
		off  int
		n    int
	}{{pingAddr(), 0, PongOffset}, {pongAddr(), PongOffset, WildOffset - PongOffset}, {wildAddr(), WildOffset, abi.PageSize - WildOffset}} {
		text := *(*unsafe.Pointer)(unsafe.Pointer(&c.addr))
		copy(page[c.off:], unsafe.Slice((*byte)(text), c.n))
	}
	return page
}
