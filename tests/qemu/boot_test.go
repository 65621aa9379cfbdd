// Package qemu_test boots the real Skyscope kernel image in QEMU and checks what it
// prints on the serial console: directly (-kernel), from the ISO with BIOS, and from the
// ISO with UEFI. Each boot is bounded in time. Without QEMU the tests skip, except under
// CI (CI=true), where a missing tool is a failure.
package qemu_test

import (
	"context"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/tools/qemu"
)

var (
	root     string
	built    sync.Once
	buildErr error
)

// need skips (or, under CI, fails) when a tool the boot tests use is missing.
func need(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (run make deps)", tool)
			}
			t.Skipf("%s is missing (run make deps to install the boot-test tools)", tool)
		}
	}
}

// build makes the kernel and the ISO (with "selftest" on its command line) once.
func build(t *testing.T) string {
	t.Helper()
	need(t, "make", "as", "ld", "grub-mkrescue", "xorriso", "qemu-system-x86_64")
	built.Do(func() {
		wd, _ := os.Getwd()
		if root, buildErr = qemu.FindRoot(wd); buildErr != nil {
			return
		}
		buildErr = qemu.Build(context.Background(), root, true, "selftest", nil)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return root
}

var (
	banner  = regexp.MustCompile(`(?m)^skyscope: kernel \S+ \(go1\.\d+[^)]*\), \d+ MiB memory`)
	summary = regexp.MustCompile(`(?m)^selftest: (\d+) passed, 0 failed`)
	// serialStalls is the kernel's report of UART transmit interrupts that never came.
	serialStalls = regexp.MustCompile(`serial: the UART's interrupts were missing \d+ times for output and \d+ for input`)
)

func boot(t *testing.T, o qemu.Options) qemu.Result {
	t.Helper()
	o.Root = build(t)
	if o.Timeout == 0 {
		o.Timeout = 3 * time.Minute
	}
	res, err := qemu.Boot(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.TimedOut {
		t.Fatalf("no exit within %v; console:\n%s", o.Timeout, res.Console)
	}
	if m := serialStalls.FindString(res.Console); m != "" {
		t.Log(m) // the console kept going only thanks to the timer's backup
	}
	return res
}

func checkSelftest(t *testing.T, res qemu.Result) {
	t.Helper()
	if res.Status != 0 {
		t.Errorf("guest exit status %d, want 0", res.Status)
	}
	if !banner.MatchString(res.Console) {
		t.Errorf("no banner line")
	}
	m := summary.FindStringSubmatch(res.Console)
	if m == nil || m[1] == "0" {
		t.Errorf("no passing self-test summary")
	}
	for _, line := range strings.Split(res.Console, "\n") {
		if strings.HasPrefix(line, "selftest:") && strings.Contains(line, "FAIL") {
			t.Errorf("self-test failure: %s", line)
		}
	}
	if t.Failed() {
		t.Logf("console:\n%s", res.Console)
	}
}

func TestBootKernelSelftest(t *testing.T) {
	checkSelftest(t, boot(t, qemu.Options{Append: "selftest"}))
}

func TestBootISOBIOS(t *testing.T) {
	checkSelftest(t, boot(t, qemu.Options{ISO: true}))
}

func TestBootISOUEFI(t *testing.T) {
	if _, err := os.Stat(qemu.OVMF); err != nil {
		need(t, qemu.OVMF) // skips or fails with the same message as a missing tool
	}
	checkSelftest(t, boot(t, qemu.Options{ISO: true, UEFI: true}))
}

// TestKernelPanic: a nil dereference in kernel Go code must print a Go panic with a
// stack trace on the serial console and stop the machine with a failure status.
func TestKernelPanic(t *testing.T) {
	res := boot(t, qemu.Options{Append: "panictest"})
	for _, want := range []string{
		"panic: runtime error: invalid memory address or nil pointer dereference",
		"[signal SIGSEGV: segmentation violation",
		"goroutine 1 [running]:",
		"main.main()",
	} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if res.Status == 0 {
		t.Errorf("guest exit status 0 after a panic, want non-zero")
	}
	if t.Failed() {
		t.Logf("console:\n%s", res.Console)
	}
}

// promptWriter closes its gate when the console shows the prompt.
type promptWriter struct {
	prompt string
	seen   strings.Builder
	once   sync.Once
	gate   chan struct{}
}

func (w *promptWriter) Write(p []byte) (int, error) {
	w.seen.Write(p)
	if strings.Contains(w.seen.String(), w.prompt) {
		w.once.Do(func() { close(w.gate) })
	}
	return len(p), nil
}

// TestConsoleInput types a line into the serial console once the kernel asks for it:
// the UART's receive interrupt must carry it to the kernel's read(0).
func TestConsoleInput(t *testing.T) {
	pr, pw := io.Pipe()
	w := &promptWriter{prompt: "echotest: type a line", gate: make(chan struct{})}
	go func() {
		<-w.gate
		pw.Write([]byte("hello from the host\r"))
		// Keep stdin open until QEMU exits, so QEMU does not see end of input early.
	}()
	res := boot(t, qemu.Options{Append: "echotest", Input: pr, Output: w, Timeout: time.Minute})
	pw.Close()
	if !strings.Contains(res.Console, `echotest: read "hello from the host"`) || res.Status != 0 {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}

// TestACPIPowerOff boots without QEMU's debug-exit device: the kernel must turn the
// machine off through ACPI (FADT PM1a control, \_S5 sleep type), which ends QEMU.
func TestACPIPowerOff(t *testing.T) {
	res := boot(t, qemu.Options{Append: "selftest", NoDebugExit: true, Timeout: time.Minute})
	if res.Status != 0 || !strings.Contains(res.Console, "skyscope: acpi: revision") {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}

// TestKernelImageReadOnly: the kernel's read-only data (and code) are mapped without
// write permission, so a write to them is a fault that the runtime reports.
func TestKernelImageReadOnly(t *testing.T) {
	res := boot(t, qemu.Options{Append: "rotest"})
	if strings.Contains(res.Console, "the write went through") || res.Status == 0 ||
		!strings.Contains(res.Console, "unexpected fault address") {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}

// TestKeyboardInput presses keys on the emulated PS/2 keyboard once the kernel asks
// for a line: IRQ 1, the scancode ring, the decoder goroutine and read(0) carry them.
func TestKeyboardInput(t *testing.T) {
	res := boot(t, qemu.Options{Append: "echotest", Timeout: time.Minute,
		Keys: []string{"s", "k", "y", "shift-1", "ret"}, KeysAfter: "echotest: type a line"})
	if !strings.Contains(res.Console, `echotest: read "sky!"`) || res.Status != 0 {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}

// TestBootLargeMemory: RAM above 4 GiB (q35 puts most of it there) joins the direct
// map and the allocator.
func TestBootLargeMemory(t *testing.T) {
	res := boot(t, qemu.Options{Append: "selftest", MemMiB: 6000})
	checkSelftest(t, res)
	m := regexp.MustCompile(`(?m)^skyscope: (\d+) MiB of memory free`).FindStringSubmatch(res.Console)
	if m == nil {
		t.Fatal("no free-memory line")
	}
	if free, _ := strconv.Atoi(m[1]); free < 5000 {
		t.Fatalf("free memory line %v; want more than 5000 MiB", m)
	}
}

// TestUserTask runs the kernel core on the real machine with a ring-3 init task in its
// own page tables: it prints through its console capability, then writes to a wild
// address, which faults that task only; the kernel names the task and the address.
func TestUserTask(t *testing.T) {
	res := boot(t, qemu.Options{Append: "usertest", Timeout: time.Minute})
	for _, want := range []string{
		"hello from ring 3",
		"kernel: thread init: unhandled PageFault (0xdead0000",
		"usertest: kernel loop stopped",
	} {
		if !strings.Contains(res.Console, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if res.Status != 0 {
		t.Errorf("status %d", res.Status)
	}
	if t.Failed() {
		t.Logf("console:\n%s", res.Console)
	}
}

// TestUserIPCPingPong: a ring-3 init makes a second task in its own CSpace and address
// space (from its memory budget, through capabilities) and calls it 10,000 times; a
// third task that writes to a wild address is stopped alone.
func TestUserIPCPingPong(t *testing.T) {
	res := boot(t, qemu.Options{Append: "pingpong", Timeout: 2 * time.Minute})
	// A third task writes to a wild address: the kernel stops it alone, naming it and
	// the address, while ping and pong carry on.
	wild := regexp.MustCompile(`kernel: thread tcb\d+: unhandled PageFault \(0xdead0000, pc 0x400c`)
	if !regexp.MustCompile(`(?m)^pingpong: 0x[0-9a-f]{16}$`).MatchString(strings.ReplaceAll(res.Console, "\r", "")) ||
		!wild.MatchString(res.Console) || strings.Count(res.Console, "unhandled") != 1 || res.Status != 0 {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}

// TestKernelHeapReuse: memory the kernel's Go runtime returned with
// madvise(MADV_DONTNEED) must read as zero when reused, as on Linux — the runtime does
// not clear it again — and the heap must survive heavy churn under the collector.
func TestKernelHeapReuse(t *testing.T) {
	res := boot(t, qemu.Options{Append: "heaptest", Timeout: 2 * time.Minute})
	if res.Status != 0 || !strings.Contains(res.Console, "heaptest: ok") {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}
