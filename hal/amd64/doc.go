// Package amd64 is Skyscope's bare-metal hardware layer for x86_64 PCs: the boot entry
// point, descriptor tables, traps, the SYSCALL entry, physical memory and the kernel's
// page tables, timers, the serial console, and — the part that makes a standard Go
// program a kernel — the in-kernel service of the Linux system calls the kernel's own
// Go runtime makes.
//
// # How the Go runtime runs in ring 0
//
// The kernel is built with the stock toolchain as a static GOOS=linux binary linked in
// the upper half. Its entry (_rt0_skyscope, entry_amd64.s) prepares the CPU and jumps to
// the runtime's own _rt0_amd64_linux. From then on the runtime believes it runs on
// Linux: every SYSCALL instruction it executes lands in syscallEntry (EFER.SCE with
// LSTAR), which saves the caller's registers in its runtime-thread record and serves
// the call (rtsys.go) on a per-CPU trap stack. The runtime's OS threads (clone) are
// runtime threads here: saved register files that a tiny round-robin scheduler runs,
// preempted by the PIT at 100 Hz so that sysmon and spinning Ms make progress
// (BAREMETAL.md). Blocking calls (futex, nanosleep, epoll_pwait) park the thread and
// switch to another or to the idle thread, which halts until an interrupt.
//
// mmap hands out address space in the kernel half (the runtime accepts heap addresses
// there: arenaBaseOffset) and backs it lazily: the page-fault handler maps a zeroed
// frame on first touch.
//
// # Trap context
//
// Code reached from syscallEntry or an interrupt runs with interrupts off on the trap
// stack, between "saved" and "resumed" (inTrap is set). It must not allocate, must not
// grow the stack (every function is //go:nosplit, and the linker bounds the chain), and
// must not write pointers to globals (no write barriers): thread records are addressed
// by index and hold only integers. Real work is handed to ordinary goroutines.
//
// References: Intel SDM vol. 3A §5.8.8 (SYSCALL/SYSRET), §6.14 (64-bit interrupt
// handling, IST), §4.5 (4-level paging), §7.7 (TSS in 64-bit mode).
package amd64
