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
	sysInvoke        = uint64(abi.SysInvoke)
	sysYield         = uint64(abi.SysYield)
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
