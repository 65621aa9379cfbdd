// Package usercall is the way into the Skyscope kernel for a Go program running as a
// user task on bare metal (a static GOOS=linux GOARCH=amd64 binary in ring 3): a
// user.Trapper that executes SYSCALL with the Skyscope register convention (RAX number,
// RDI Cap, RSI Info, RDX Cap2, R10 R8 R9 R12 message words 0–3; see ARCHITECTURE.md).
// With it the kernel/user library — and so every task written against it — runs
// unchanged on the machine and in the simulation.
//
// A kernel IPC call may block for as long as its partner takes. The trap is made
// between the runtime's entersyscall and exitsyscall, as the syscall package does, so
// the Go scheduler runs the program's other goroutines and the garbage collector does
// not wait for the blocked thread.
package usercall

import (
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Trap makes Skyscope system calls from the calling goroutine's thread. One Trap (and
// one Env on it) belongs to one goroutine at a time: its registers are the call's.
type Trap struct {
	regs abi.Regs
}

// Regs implements user.Trapper.
func (t *Trap) Regs() *abi.Regs { return &t.regs }

// Syscall implements user.Trapper: it traps into the kernel with t's registers and
// stores the results back into them.
func (t *Trap) Syscall() {
	entersyscall()
	trap(&t.regs)
	exitsyscall()
}

// Load implements user.Trapper: the task's own memory is directly addressable.
func (t *Trap) Load(va uint64, b []byte) { copy(b, unsafe.Slice((*byte)(at(va)), len(b))) }

// Store implements user.Trapper.
func (t *Trap) Store(va uint64, b []byte) { copy(unsafe.Slice((*byte)(at(va)), len(b)), b) }

// Load8, Load16, Load32 and the stores implement user.Registers: each is one access of
// exactly its width (a byte, word or doubleword MOV; the 32-bit ones are atomic), which
// device registers need, and none is inlined, so the compiler neither merges nor drops
// them.
//
//go:noinline
func (t *Trap) Load8(va uint64) uint8 { return *(*uint8)(at(va)) }

// Load16 implements user.Registers.
//
//go:noinline
func (t *Trap) Load16(va uint64) uint16 { return *(*uint16)(at(va)) }

// Load32 implements user.Registers.
func (t *Trap) Load32(va uint64) uint32 { return atomic.LoadUint32((*uint32)(at(va))) }

// Store8 implements user.Registers.
//
//go:noinline
func (t *Trap) Store8(va uint64, v uint8) { *(*uint8)(at(va)) = v }

// Store16 implements user.Registers.
//
//go:noinline
func (t *Trap) Store16(va uint64, v uint16) { *(*uint16)(at(va)) = v }

// Store32 implements user.Registers.
func (t *Trap) Store32(va uint64, v uint32) { atomic.StoreUint32((*uint32)(at(va)), v) }

// Compute implements user.Trapper: it spins for ns nanoseconds.
func (t *Trap) Compute(ns int64) {
	for end := time.Now().Add(time.Duration(ns)); time.Now().Before(end); {
	}
}

// Env returns a user library handle for a task the kernel started with its IPC buffer
// at abi.InitIPCBuffer: init and every task made by SystemSpawn.
func Env() *user.Env { return user.New(&Trap{}, abi.InitIPCBuffer) }

// at turns a user address (a mapping the kernel made, outside the Go heap) into a
// pointer without a uintptr→Pointer conversion vet would question.
func at(va uint64) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&va)) }

// trap executes SYSCALL with r's registers (trap_amd64.s).
//
//go:noescape
func trap(r *abi.Regs)

//go:linkname entersyscall runtime.entersyscall
func entersyscall()

//go:linkname exitsyscall runtime.exitsyscall
func exitsyscall()
