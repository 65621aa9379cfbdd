// Command kernel is the Skyscope kernel image for x86_64 PCs. It is built with the
// standard Go toolchain as a static GOOS=linux program linked in the upper half
// (make kernel → build/skyscope.elf) and booted by the loader in boot/loader.
//
// Kernel command line words:
//
//	selftest   run the kernel self-test, print the results and power off
//	panictest  dereference nil in kernel code (shows the panic path) and stop
//	rotest     write to read-only kernel data (shows that the image is write-protected)
//	echotest   read a line from the console and print it
//	run P A…   run program P from the boot bundle (the second module) with arguments A…
//	           as a ring-3 Linux process, and power off with its exit status
//	heaptest   check that memory the runtime gave back is zero when it is reused
//	halt       stay up after booting instead of powering off
//
// With none of these the kernel boots the system: init from the boot bundle, which
// starts the shell on the console; the machine powers off when a task asks it to.
package main

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unsafe"

	"github.com/skyscope-os/skyscope/boot/kernel/rootfs"
	"github.com/skyscope-os/skyscope/boot/rawtask"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/amd64"
	"github.com/skyscope-os/skyscope/hal/amd64/acpi"
	"github.com/skyscope-os/skyscope/hal/amd64/cmos"
	"github.com/skyscope-os/skyscope/hal/amd64/fbcon"
	"github.com/skyscope-os/skyscope/hal/amd64/multiboot"
	"github.com/skyscope-os/skyscope/hal/amd64/pci"
	"github.com/skyscope-os/skyscope/hal/amd64/portio"
	"github.com/skyscope-os/skyscope/hal/amd64/ps2"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/linux"
	"github.com/skyscope-os/skyscope/kernel/selftest"
	"github.com/skyscope-os/skyscope/pipeline/bootbundle"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

// Version is the kernel's version, set by the build (-X main.Version=...).
var Version = "dev"

// console is where the kernel's own messages go: standard output, which the kernel
// sends to the serial port and, when there is one, to the framebuffer.
var console io.Writer = os.Stdout

func main() {
	total, _ := amd64.MemoryStats()
	fmt.Printf("skyscope: kernel %s (%s), %d MiB memory, TSC %d MHz, %s tick\n",
		Version, runtime.Version(), total>>20, amd64.TSCHz()/1e6, amd64.TickSource())

	h := amd64.BootHandoff()
	info, err := multiboot.Parse(uint32(h.Magic), h.Info, amd64.PhysMemory{})
	if err != nil {
		fmt.Println("skyscope: boot information unreadable:", err)
		info = &multiboot.Info{}
	}
	setupFramebuffer(info)
	logf("boot loader %q (multiboot %d), command line %q", info.BootLoader, info.Protocol, info.Cmdline)
	if amd64.HardwareRandom() {
		logf("random numbers from RDRAND")
	} else {
		logf("warning: no RDRAND; random numbers come from a TSC-stirred generator, not fit for keys")
	}
	tables := setupACPI(info)
	setupClock(tables)
	listPCI()
	setupKeyboard()
	args := strings.Fields(info.Cmdline)
	if info.Protocol == 1 && len(args) > 0 && strings.ContainsRune(args[0], '/') {
		args = args[1:] // QEMU's multiboot 1 puts the kernel file's name first
	}
	has := func(w string) bool {
		for _, a := range args {
			if a == w {
				return true
			}
		}
		return false
	}

	switch {
	case has("panictest"):
		logf("panictest: dereferencing nil in kernel code")
		var p *struct{ x int }
		p.x = 1 // the page fault becomes SIGSEGV, then a Go panic with a trace
	case has("heaptest"):
		os.Exit(heapTest())
	case has("selftest"):
		ticks, ns := amd64.SinceEntry()
		logf("boot: %d TSC ticks from kernel entry to the self-test (%d ns of machine time)", ticks, ns)
		start := time.Now()
		r := selftest.Run(console)
		logf("self-test took %v", time.Since(start).Round(time.Millisecond))
		if r.Failed > 0 {
			amd64.Shutdown(1)
		}
		amd64.Shutdown(0)
	case has("rotest"):
		// Kernel code and read-only data are mapped read-only: writing to them faults.
		logf("rotest: writing to read-only kernel data")
		ro := "read-only string data"
		b := unsafe.Slice(unsafe.StringData(ro), len(ro))
		b[0] = 'X'
		logf("rotest: the write went through (this must not happen)")
	case len(args) > 0 && args[0] == "run":
		os.Exit(runProgram(info, args[1:]))
	case has("usertest"):
		userTest(rawtask.Hello())
	case has("pingpong"):
		userTest(rawtask.PingPong())
	case has("echotest"):
		// Console input end to end: the UART's receive interrupt (or the keyboard
		// decoder) feeds read(0).
		logf("echotest: type a line")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		logf("echotest: read %q (%v)", strings.TrimRight(line, "\r\n"), err)
		amd64.Shutdown(0)
	case has("halt"):
		logf("up; idling (halt)")
		select {}
	default:
		amd64.Shutdown(startSystem(info))
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(console, "skyscope: "+format+"\n", args...)
}

// setupFramebuffer mirrors the console on the boot loader's framebuffer, so that a PC
// without a serial port shows the boot.
func setupFramebuffer(info *multiboot.Info) {
	fb := info.Framebuffer
	if fb == nil || fb.Type != multiboot.FramebufferRGB {
		return
	}
	pixels := amd64.PhysSlice(fb.Addr, int(fb.Pitch)*int(fb.Height))
	c, err := fbcon.New(fbcon.Framebuffer{Pixels: pixels, Pitch: int(fb.Pitch), Width: int(fb.Width),
		Height: int(fb.Height), BPP: int(fb.BPP), RedPos: fb.RedPos, RedSize: fb.RedSize,
		GreenPos: fb.GreenPos, GreenSize: fb.GreenSize, BluePos: fb.BluePos, BlueSize: fb.BlueSize})
	if err != nil {
		fmt.Println("skyscope: framebuffer not usable:", err)
		return
	}
	// Everything the console shows — the early boot, runtime messages, this — is
	// copied from the kernel's console log to the screen as it appears.
	go func() {
		var pos uint64
		buf := make([]byte, 4096)
		for {
			n, next := amd64.ConsoleOutput(pos, buf)
			pos = next
			if n == 0 {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			c.Write(buf[:n])
		}
	}()
	logf("framebuffer console %dx%d, %d bpp", fb.Width, fb.Height, fb.BPP)
}

// setupACPI finds the ACPI tables, reports the processors and arms power-off.
func setupACPI(info *multiboot.Info) *acpi.Tables {
	rsdp, err := acpi.FindRSDP(amd64.PhysMemory{}, info.RSDP)
	if err != nil {
		logf("acpi: %v", err)
		return nil
	}
	t, err := acpi.Load(amd64.PhysMemory{}, rsdp)
	if err != nil {
		logf("acpi: %v", err)
		return nil
	}
	cpus := 0
	if t.MADT != nil {
		for _, p := range t.MADT.Processors {
			if p.Enabled {
				cpus++
			}
		}
	}
	logf("acpi: revision %d, OEM %q, tables %v, %d CPUs", t.Revision, t.OEMID, t.Signatures, cpus)
	if t.FADT != nil && t.S5 != nil && t.FADT.PM1aControl != 0 {
		amd64.SetPowerOff(t.FADT.PM1aControl, t.FADT.PM1bControl, uint16(t.S5.A&7), uint16(t.S5.B&7))
	}
	return t
}

// setupClock sets the wall clock from the CMOS real-time clock.
func setupClock(t *acpi.Tables) {
	var century uint8
	if t != nil && t.FADT != nil {
		century = t.FADT.Century
	}
	now, err := cmos.ReadTime(portio.Hardware{}, century)
	if err != nil {
		logf("rtc: %v", err)
		return
	}
	amd64.SetWallClock(now.UnixNano())
	logf("rtc: %s", now.Format(time.RFC3339))
}

func listPCI() {
	devs := pci.Enumerate(portio.Hardware{})
	amd64.SetDevices(devs) // the kernel's Device objects (SystemDevice) name these
	logf("pci: %d devices", len(devs))
	for _, d := range devs {
		logf("pci:   %v", d)
	}
}

// keySequences are the ANSI sequences a terminal sends for the keys that type no
// character, so that the console's readers (the shell's line editor) see the keyboard
// as they see the serial console.
var keySequences = map[ps2.Key]string{
	ps2.KeyUp: "\x1b[A", ps2.KeyDown: "\x1b[B", ps2.KeyRight: "\x1b[C", ps2.KeyLeft: "\x1b[D",
	ps2.KeyHome: "\x1b[H", ps2.KeyEnd: "\x1b[F", ps2.KeyDelete: "\x1b[3~",
}

// setupKeyboard initialises the PS/2 controller and starts the goroutine that turns
// scancodes into console input.
func setupKeyboard() {
	c := ps2.New(portio.Hardware{})
	if err := c.Init(); err != nil {
		logf("ps2: no keyboard (%v)", err)
		return
	}
	amd64.EnableKeyboardIRQ()
	logf("ps2: keyboard ready")
	go func() {
		var kb ps2.Keyboard
		buf := make([]byte, 64)
		for {
			n := amd64.ReadScancodes(buf)
			for _, b := range buf[:n] {
				ev, ok := kb.Feed(b)
				if !ok || !ev.Pressed {
					continue
				}
				if seq, ok := keySequences[ev.Key]; ok {
					amd64.InjectInput([]byte(seq)) // what a terminal sends, for the shell's editor
					continue
				}
				if r := ev.Rune; r != 0 {
					if r == '\r' {
						r = '\n'
					}
					amd64.InjectInput([]byte(string(r)))
				}
			}
		}
	}()
}

// userTest runs the kernel core on this machine with a ring-3 init task, a tiny
// assembly program from boot/rawtask: "usertest" prints through its console capability
// and then writes to an unmapped address, which the kernel reports while the machine
// carries on; "pingpong" starts a second task in its own address space and times IPC
// round trips with it.
func userTest(code []byte) {
	const entry = rawtask.PingPongEntry
	k, err := kernel.Boot(amd64.NewMachine(), kernel.Config{
		InitEntry: entry,
		InitImage: []kernel.Segment{{Vaddr: entry, Data: code, Perm: hal.PermRead | hal.PermExec}},
	})
	if err != nil {
		logf("usertest: %v", err)
		amd64.Shutdown(1)
	}
	reason := k.Run(k.Now() + 2_000_000_000)
	s := k.Stats
	logf("usertest: kernel loop stopped (%v): %d system calls, %d faults", reason, s.Syscalls, s.Faults)
	amd64.Shutdown(0)
}

// kernelReserve is how many frames tasks may not take: the kernel's Go heap grows
// from the same frames. A sixteenth of the free memory, at least 8 MiB.
func kernelReserve() int {
	_, free := amd64.MemoryStats()
	return int(max(free/16, 8<<20) / 4096)
}

// rootKey is the hex of the root public key file (docs/KEYFILES.md) the kernel trusts,
// set by the build (make kernel: -X main.rootKey=...).
var rootKey string

// openBundle verifies the boot bundle (a signed repository: pipeline/bootbundle) with
// the root key and returns its programs and file tree.
func openBundle(mod multiboot.Module) (*bootbundle.Contents, error) {
	root, err := rootPublicKey()
	if err != nil {
		return nil, fmt.Errorf("boot bundle: %v", err)
	}
	start := time.Now()
	c, err := bootbundle.Open(amd64.PhysRead(mod.Start, int(mod.End-mod.Start)), modpkg.NewTrustRoot(root), time.Now())
	if err != nil {
		return nil, err
	}
	logf("boot bundle: index serial %d signed by root key %s; verified %s (ML-DSA-87, SHA3-512) in %v",
		c.Serial, root.ID().Short(), strings.Join(c.Modules, ", "), time.Since(start).Round(time.Millisecond))
	return c, nil
}

// rootPublicKey decodes the built-in root key.
func rootPublicKey() (*pqc.PublicKey, error) {
	raw, err := hex.DecodeString(rootKey)
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("this kernel was built without a root key (build it with make kernel)")
	}
	root, err := pqc.DecodePublicKeyFile(raw)
	if err != nil {
		return nil, fmt.Errorf("the built-in root key: %v", err)
	}
	return root, nil
}

// verifyImage is the kernel's check of an image the module manager puts into the image
// cache: the package's ML-DSA-87 signature over the plain binary, by the root key.
func verifyImage(image, sig []byte) error {
	root, err := rootPublicKey()
	if err != nil {
		return err
	}
	return root.Verify(modpkg.DomainBinary, image, sig)
}

// runProgram runs a static Linux program from the boot bundle (a tar archive, the
// second boot module) as init, a ring-3 task served by the Linux personality, and
// returns its exit status: the "run" command line, with which tools/skyrun runs
// programs like go test -exec does. "run -fs PROG ARGS" serves the program's /tmp
// from SKYAIFS: the bundle's init starts blkd and skyaifsd on the disk, then the
// program with a file service (init -run).
func runProgram(info *multiboot.Info, argv []string) int {
	if len(argv) > 0 && argv[0] == "-fs" {
		return startBundle(info, append([]string{"init", "-run"}, argv[1:]...), false)
	}
	return startBundle(info, argv, false)
}

// startSystem boots the system proper: init from the boot bundle, which starts the
// shell; it returns the status a task powered the machine off with.
func startSystem(info *multiboot.Info) int {
	return startBundle(info, []string{"init"}, true)
}

// startBundle starts argv[0] from the boot bundle as init with the root memory budget
// and every boot capability (the System object included, so that it can start the
// bundle's other programs as tasks), then runs the kernel loop until init ends or a
// task powers the machine off. interactive gives the tasks the console's input and
// the kernel's log lines on the console.
func startBundle(info *multiboot.Info, argv []string, interactive bool) int {
	if len(argv) == 0 {
		logf("run: name a program from the boot bundle")
		return 2
	}
	if len(info.Modules) < 2 {
		logf("no boot bundle (the second boot module): nothing to run")
		return 2
	}
	contents, err := openBundle(info.Modules[1])
	if err != nil {
		logf("%v", err)
		logf("refusing to start anything from the boot bundle")
		return 2
	}
	files := contents.Files
	for name, b := range contents.Programs {
		files[name] = b
	}
	// What the kernel verified, for the shell's modules command.
	files["boot/modules"] = []byte(fmt.Sprintf("index serial %d, signed by the root key\n%-12s %-8s %-12s %9s  %-8s %s\n%s",
		contents.Serial, "MODULE", "VERSION", "PROGRAM", "BYTES", "SHARABLE", "PACKAGE SHA3-512", contents.Listing))
	// The standard layout Linux programs expect (/etc, /bin, /usr/bin), made from
	// what this kernel knows; a bundle that cannot take it still runs, without it.
	var links map[string]string
	id := rootfs.Identity{Hostname: linux.Hostname, Accounts: rootfs.Accounts(contents.Programs), Version: Version}
	if layout, err := rootfs.Add(files, contents.Programs, id); err != nil {
		logf("%v; programs get the bundle's tree as it is", err)
	} else {
		links = layout.Links
	}
	var wall int64
	host := &linux.Host{Files: linux.NewFileTree(files), Cwd: contents.Cwd, Console: os.Stdout,
		Wall: func() int64 { return wall }, Env: []string{"HOME=/", "PATH=" + rootfs.Path},
		Random: func(b []byte) { rand.Read(b) }, Sharable: contents.Sharable, Links: links}
	if interactive {
		host.Input = &linux.Input{}
		go func() { // console input (serial and keyboard) for the tasks' read(0)
			b := make([]byte, 256)
			for {
				n, err := os.Stdin.Read(b)
				if err != nil {
					return
				}
				host.Input.Feed(b[:n])
			}
		}()
	}
	// Verifying the bundle (decompressing, hashing, checking signatures) grew the
	// kernel's heap far past what stays live; its frames go back to the pool before
	// the root budget is sized from the free frames, rather than when the scavenger
	// gets to them.
	debug.FreeOSMemory()
	prog, err := host.Program(argv)
	if err != nil {
		logf("%s: %v", argv[0], err)
		return 2
	}
	cfg := kernel.Config{InitEntry: prog.Entry, InitImage: prog.Image, InitStackPages: prog.StackPages,
		InitStackImage: prog.StackImage, Quiet: !interactive, ReserveFrames: kernelReserve(), VerifyImage: verifyImage}
	k, err := kernel.Boot(amd64.NewMachine(), cfg)
	if err != nil {
		logf("%s: %v", argv[0], err)
		return 2
	}
	wall = time.Now().UnixNano() - int64(k.Now())
	// Processes holding a file service find SKYAIFS behind /tmp; their sessions'
	// buffers are the kernel's, from the root budget.
	host.Files.UseFileService(k.RootUntyped())
	proc := host.NewProcess(k, k.Init(), k.RootUntyped(), prog)
	k.SetLoader(host)
	// A program run (not the interactive system, which idles while nobody types) is
	// expected to keep the machine busy until it exits: a long span without progress is
	// a stall, and both watchdogs say what every thread waits on. The kernel loop's
	// covers the kernel's threads; the HAL's, in the timer tick, also reports when the
	// kernel loop itself never wakes.
	const stallAfter = 30 * time.Second
	if !interactive {
		amd64.SetWatchdog(int64(stallAfter))
	}
	lastProgress, progressAt, reported := k.Progress(), k.Now(), false
	for {
		r := k.Run(k.Now() + 20_000_000)
		if p := k.Progress(); p != lastProgress {
			lastProgress, progressAt, reported = p, k.Now(), false
		} else if !interactive && !reported && k.Now()-progressAt > hal.Time(stallAfter) {
			reported = true
			logf("watchdog: no progress for %v of machine time", time.Duration(k.Now()-progressAt))
			k.DumpThreads(console)
		}
		if host.Input != nil {
			host.Input.Serve(k)
		}
		if r == kernel.StopPowerOff {
			_, status := k.PowerOffRequested()
			if tx, rx := amd64.SerialStalls(); tx+rx > 0 {
				logf("serial: the UART's interrupts were missing %d times for output and %d for input; the timer moved them on", tx, rx)
			}
			logf("powering off (status %d)", status)
			return status
		}
		if done, status := proc.Exited(); done {
			_, free := amd64.MemoryStats()
			logf("%s exited with status %d after %d system calls; %d MiB free", argv[0], status, proc.Syscalls(), free>>20)
			return status
		}
		if st := k.Init().State(); st == kernel.Suspended {
			logf("%s stopped by a fault", argv[0])
			return 3
		}
	}
}
