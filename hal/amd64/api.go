package amd64

import (
	"math/bits"
	"syscall"
	"unsafe"
)

// The bare-metal layer's API for the rest of the kernel, used once the Go runtime runs.

// BootHandoff returns the loader's handoff record.
func BootHandoff() Handoff { return handoff }

// PhysRead copies n bytes of physical memory at pa (within the direct map). It
// returns nil if the range is outside it.
func PhysRead(pa uint64, n int) []byte {
	if n < 0 || pa >= directEnd || uint64(n) > directEnd-pa {
		return nil
	}
	b := make([]byte, n)
	copy(b, unsafe.Slice((*byte)(ptrAt(physToVirt(pa))), n))
	return b
}

// MemoryStats reports the RAM the firmware map calls available and how much of it is
// free now, in bytes.
func MemoryStats() (total, free uint64) {
	return totalFrames * pageSize, freeFrames * pageSize
}

// SerialStalls returns how many timer ticks found console output queued with the
// UART idle and no transmit interrupt since the tick before (tx), or input waiting in
// the UART with no receive interrupt since the tick before (rx), and moved it on.
func SerialStalls() (tx, rx uint64) { return txStalls, rxStalls }

// TSCHz returns the calibrated time-stamp-counter frequency.
func TSCHz() uint64 { return tscHz }

// Ticks returns the number of 100 Hz timer interrupts since boot.
func Ticks() uint64 { return cpu0.ticks }

// SetWallClock sets the wall-clock time (ns since 1970, UTC) of this moment, e.g. from
// the CMOS clock; CLOCK_REALTIME follows it from now on.
func SetWallClock(unixNanos int64) { wallBoot = unixNanos - nanotime() }

// Shutdown ends the machine with status code (see shutdown). It does not return.
func Shutdown(code int) {
	shutdownRequest(uint64(code))
}

// shutdownRequest traps into the kernel's own exit_group, so that the shutdown path runs
// in trap context like every other machine-level operation.
func shutdownRequest(code uint64)

// PhysMemory reads physical memory for the boot-information and ACPI parsers.
type PhysMemory struct{}

// Read implements multiboot.Memory: a copy of n bytes at phys.
func (PhysMemory) Read(phys uint64, n int) ([]byte, error) {
	if b := PhysRead(phys, n); b != nil {
		return b, nil
	}
	return nil, errOutsideDirectMap
}

var errOutsideDirectMap = errorString("physical range outside the direct map")

type errorString string

func (e errorString) Error() string { return string(e) }

// PhysSlice returns the n bytes of physical memory at pa (a framebuffer, say) as a
// slice aliasing the direct map, or nil if the range is outside it.
func PhysSlice(pa uint64, n int) []byte {
	if n <= 0 || pa >= directEnd || uint64(n) > directEnd-pa {
		return nil
	}
	return unsafe.Slice((*byte)(ptrAt(physToVirt(pa))), n)
}

// SinceEntry returns the TSC ticks since the kernel's entry point ran, and the same
// span in nanoseconds of machine time (which, under QEMU's -icount shift=0, is the
// number of instructions executed).
func SinceEntry() (ticks uint64, ns int64) {
	now := rdtsc()
	hi, lo := bits.Mul64(now-entryTSC, tscMult)
	return now - entryTSC, int64(hi<<32 | lo>>32)
}

// HardwareRandom reports whether getrandom is served by RDRAND (else by a TSC-stirred
// generator that is not fit for keys).
func HardwareRandom() bool { return hasRDRAND }

// ReadScancodes blocks until the PS/2 keyboard has sent bytes and copies up to len(b)
// of them (scancode set 1, as the controller translates).
func ReadScancodes(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	n, _, _ := syscall.Syscall(sysReadScancodes, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0)
	return int(n)
}

// InjectInput appends b to the console input that read(0) returns (the keyboard
// decoder uses it).
func InjectInput(b []byte) {
	if len(b) > 0 {
		syscall.Syscall(sysInjectInput, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0)
	}
}

// EnableKeyboardIRQ lets the PS/2 keyboard interrupt; call it after the controller is
// initialised (its replies are polled, and the handler would take them).
func EnableKeyboardIRQ() { syscall.Syscall(sysUnmaskIRQ, irqKeyboard, 0, 0) }

// The kernel-private calls go through syscall.Syscall, not a bare SYSCALL: the runtime
// must know the goroutine is in a system call (entersyscall), or a call that blocks
// keeps its P and starves every other goroutine.

// TickSource names what drives preemption: "LAPIC timer" or "PIT".
func TickSource() string {
	if lapicOn {
		return "LAPIC timer"
	}
	return "PIT"
}

// ConsoleOutput copies console output from position pos (the count of bytes written
// before it) into b. It returns how many bytes it copied and the position after them;
// output older than what the kernel keeps (64 KiB) is skipped.
func ConsoleOutput(pos uint64, b []byte) (int, uint64) {
	if len(b) == 0 {
		return 0, pos
	}
	head, _, _ := syscall.RawSyscall(sysReadConsole, uintptr(unsafe.Pointer(&b[0])), uintptr(pos), uintptr(len(b)))
	if h := uint64(head); h > uint64(len(consoleRing)) && pos < h-uint64(len(consoleRing)) {
		pos = h - uint64(len(consoleRing))
	}
	next := min(uint64(head), pos+uint64(len(b)))
	return int(next - pos), next
}
