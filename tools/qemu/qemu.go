// Package qemu builds the Skyscope boot images and boots them in QEMU with the serial
// console captured: the engine behind tools/skyrun and the QEMU boot tests.
package qemu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/pipeline/bootbundle"
	"github.com/skyscope-os/skyscope/pqc"
)

// Options says what to boot and how.
type Options struct {
	Root        string        // repository root (where the Makefile is)
	ISO         bool          // boot build/skyscope.iso instead of -kernel
	UEFI        bool          // boot through OVMF (needs ISO)
	Append      string        // kernel command line
	Timeout     time.Duration // 0: no limit
	SMP         int           // CPUs
	MemMiB      int           // memory (0: 512 MiB, room for the shell, the module manager and its services)
	ICount      bool          // instruction-counted time (-icount shift=0): deterministic
	Window      bool          // show the screen in a window (else headless)
	NoDebugExit bool          // leave out isa-debug-exit, so the guest must power off through ACPI
	// Keys are pressed on the PS/2 keyboard (QEMU sendkey names: "a", "shift-1",
	// "ret") once the console shows KeysAfter.
	Keys      []string
	KeysAfter string
	Build     bool      // run the build first
	Output    io.Writer // receives the serial console as it arrives
	Input     io.Reader // typed into the serial console (nil: nothing; an *os.File is given to QEMU as its stdin)
	Bundle    string    // a boot bundle file, passed as the second boot module (-kernel boots only; default build/system.tar)
	Log       io.Writer // progress messages (nil: none)
	// Disk, when set, is a raw disk image attached as a virtio-blk PCI device (modern
	// only, as the kernel's driver speaks virtio 1.x); writes reach the file.
	Disk string
	// FS, set before AddProgram, runs the program with SKYAIFS behind its /tmp: the
	// bundle also holds init, blkd and skyaifsd (from build/tasks), and init starts
	// the storage tasks on Disk, then the program with a file service (see
	// kernel/linux's FileServiceSlot). Disk must be set.
	FS bool
}

// Result is how a boot ended.
type Result struct {
	Status   int    // the guest's exit status (isa-debug-exit), -1 if it did not report one
	TimedOut bool   // stopped by the timeout
	Console  string // the whole serial console output
}

// exitLine is what the kernel prints last when it powers off with a status.
var exitLine = regexp.MustCompile(`(?m)^skyscope: kernel exited with status (\d+)\r?$`)

// OVMF is where Debian's ovmf package puts the UEFI firmware.
const OVMF = "/usr/share/ovmf/OVMF.fd"

// FindRoot returns the repository root: the nearest parent of dir holding go.mod.
func FindRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s", dir)
		}
	}
}

// Build runs `make kernel bundle` (`make iso` with the command line when iso is set).
func Build(ctx context.Context, root string, iso bool, cmdline string, log io.Writer) error {
	targets := []string{"kernel", "bundle"}
	if iso {
		targets = []string{"iso"}
	}
	target := strings.Join(targets, " ")
	cmd := exec.CommandContext(ctx, "make", append(append([]string{"-s", "-C", root}, targets...), "APPEND="+cmdline)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if log != nil {
		fmt.Fprintf(log, "skyrun: building (make %s)...\n", target)
		cmd.Stdout = io.MultiWriter(&out, log)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("make %s failed: %v\n%s", target, err, out.String())
	}
	return nil
}

// Args returns QEMU's command line for o.
func Args(o Options) ([]string, error) {
	smp, mem := o.SMP, o.MemMiB
	if smp <= 0 {
		smp = 1
	}
	if mem <= 0 {
		mem = 512
	}
	args := []string{
		"-machine", "q35", "-cpu", "max", "-smp", fmt.Sprint(smp), "-m", fmt.Sprint(mem),
		"-serial", "stdio", "-no-reboot",
	}
	if !o.NoDebugExit {
		args = append(args, "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")
	}
	if !o.Window {
		args = append(args, "-display", "none")
	}
	if o.ICount {
		args = append(args, "-icount", "shift=0,sleep=off")
	}
	if o.Disk != "" {
		args = append(args, "-drive", "file="+o.Disk+",if=none,id=disk0,format=raw,cache=writeback",
			"-device", "virtio-blk-pci,drive=disk0,disable-legacy=on")
	}
	build := filepath.Join(o.Root, "build")
	switch {
	case o.UEFI && !o.ISO:
		return nil, errors.New("-uefi boots the ISO: add -iso")
	case o.Bundle != "" && o.ISO:
		return nil, errors.New("programs run from -kernel boots only; drop -iso")
	case o.ISO:
		if o.UEFI {
			if _, err := os.Stat(OVMF); err != nil {
				return nil, fmt.Errorf("UEFI firmware %s is missing: apt-get install ovmf", OVMF)
			}
			args = append(args, "-bios", OVMF)
		}
		args = append(args, "-cdrom", filepath.Join(build, "skyscope.iso"), "-boot", "d")
	default:
		modules := filepath.Join(build, "skyscope.elf")
		if o.Bundle != "" {
			modules += "," + o.Bundle
		} else if sys := filepath.Join(build, "system.tar"); fileExists(sys) {
			modules += "," + sys // init, the shell and the demo programs
		}
		args = append(args, "-kernel", filepath.Join(build, "loader.elf"), "-initrd", modules)
		if o.Append != "" {
			args = append(args, "-append", o.Append)
		}
	}
	return args, nil
}

// Boot builds (if asked) and boots, returning when the guest exits or the timeout hits.
func Boot(ctx context.Context, o Options) (Result, error) {
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		return Result{}, errors.New("qemu-system-x86_64 not found: apt-get install qemu-system-x86 (or make deps)")
	}
	if o.Bundle != "" && strings.HasPrefix(filepath.Base(o.Bundle), "bundle-") {
		defer os.Remove(o.Bundle)
	}
	if o.Build {
		if err := Build(ctx, o.Root, o.ISO, o.Append, o.Log); err != nil {
			return Result{}, err
		}
	}
	args, err := Args(o)
	if err != nil {
		return Result{}, err
	}
	if o.Log != nil {
		fmt.Fprintf(o.Log, "skyrun: qemu-system-x86_64 %s\n", strings.Join(args, " "))
	}
	var console bytes.Buffer
	out := io.Writer(&console)
	if o.Output != nil {
		out = io.MultiWriter(&console, o.Output)
	}
	// The monitor types keys for Keys and, at the time limit, tells what the guest's
	// CPU was doing (a hung guest's registers are the first thing to look at).
	dir, err := os.MkdirTemp("", "skyrun")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "monitor")
	args = append(args, "-monitor", "unix:"+sock+",server,nowait")
	if len(o.Keys) > 0 {
		kw := &keyWriter{after: o.KeysAfter, keys: o.Keys, sock: sock}
		out = io.MultiWriter(out, kw)
	}
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	cmd.Stdout, cmd.Stderr = out, out
	if f, ok := o.Input.(*os.File); ok {
		// A terminal (or file) goes to QEMU as it is: QEMU puts a terminal in raw mode,
		// so keys reach the guest's shell one by one (Ctrl-C still ends QEMU).
		cmd.Stdin = f
	} else if o.Input != nil {
		// A pipe of our own: exec's Wait would otherwise wait for Input to end.
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return Result{}, err
		}
		go func() {
			io.Copy(stdin, o.Input)
			stdin.Close()
		}()
	}
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	// At the limit the guest's state is read before QEMU is killed; the state is sent
	// before the kill, so it is there once Wait returns.
	atLimit := make(chan string, 1)
	if o.Timeout > 0 {
		limit := time.AfterFunc(o.Timeout, func() {
			atLimit <- guestState(sock)
			cmd.Process.Kill()
		})
		defer limit.Stop()
	}
	err = cmd.Wait()
	var state string
	select {
	case state = <-atLimit:
		fmt.Fprintf(out, "\n--- the guest at the time limit (QEMU monitor) ---\n%s", state)
	default:
	}
	res := Result{Status: -1, Console: console.String()}
	var exit *exec.ExitError
	switch {
	case state != "":
		res.TimedOut = true
		return res, nil
	case err == nil:
		res.Status = 0 // QEMU ended normally (ACPI power-off)
	case errors.As(err, &exit) && exit.ExitCode()&1 == 1:
		res.Status = exit.ExitCode() >> 1 // isa-debug-exit: (status << 1) | 1
		// QEMU's exit code keeps only 7 bits of the status; the kernel's last line has
		// all 8 (a program's exit(200), a kill's 137).
		if m := exitLine.FindAllStringSubmatch(res.Console, -1); len(m) > 0 {
			if full, err := strconv.Atoi(m[len(m)-1][1]); err == nil && full&0x7f == res.Status {
				res.Status = full
			}
		}
	default:
		return res, fmt.Errorf("qemu: %v", err)
	}
	return res, nil
}

// guestState asks QEMU's monitor at sock for the CPU's registers and the interrupt
// controller's state, for a report on a guest that did not end in time.
func guestState(sock string) string {
	conn, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return fmt.Sprintf("(the monitor did not answer: %v)\n", err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "info registers\ninfo pic\ninfo lapic\n")
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	var b bytes.Buffer
	io.Copy(&b, conn) // until the deadline: the monitor keeps the connection open
	// The monitor echoes the typed commands with terminal editing sequences; keep
	// what it answered.
	var kept []string
	for _, line := range strings.Split(ansi.ReplaceAllString(b.String(), ""), "\n") {
		if !strings.HasPrefix(line, "(qemu)") && !strings.HasPrefix(line, "QEMU ") {
			kept = append(kept, strings.TrimRight(line, "\r"))
		}
	}
	return strings.Join(kept, "\n")
}

// ansi matches a terminal control sequence.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

// keyWriter watches the console and, once it shows after, types keys through QEMU's
// monitor (sendkey), as a person at the PC's keyboard would.
type keyWriter struct {
	after string
	keys  []string
	sock  string
	seen  bytes.Buffer
	sent  bool
}

func (w *keyWriter) Write(p []byte) (int, error) {
	if w.sent {
		return len(p), nil
	}
	w.seen.Write(p)
	if bytes.Contains(w.seen.Bytes(), []byte(w.after)) {
		w.sent = true
		go w.send()
	}
	return len(p), nil
}

func (w *keyWriter) send() {
	conn, err := net.Dial("unix", w.sock)
	if err != nil {
		return
	}
	defer conn.Close()
	for _, k := range w.keys {
		fmt.Fprintf(conn, "sendkey %s\n", k)
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
}

// RootKey is the private key (relative to the repository root) that signs boot
// bundles; make creates it on first use and builds its public key into the kernel.
const RootKey = "build/keys/root.key"

// AddProgram writes a signed boot bundle (build/bundle-*.tar; Boot removes it) holding
// the static Linux program args[0], the coreutils program (build/tasks/coreutils: the
// commands of /bin and /usr/bin) and, if dir is set, the files under dir and under
// each path in with (at their absolute paths, dir being the working directory,
// GOROOT's zoneinfo.zip added for time zones), and sets the kernel command line to run
// the program with args[1:].
func (o *Options) AddProgram(args []string, dir string, with []string) error {
	if o.ISO {
		return fmt.Errorf("programs run from -kernel boots only; drop -iso")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	name := filepath.Base(args[0])
	files := map[string][]byte{}
	cwd := ""
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		n, err := addTree(files, abs)
		if err != nil {
			return err
		}
		// Time zones: the time package's tests (and programs) read GOROOT's zoneinfo.zip.
		if zi := filepath.Join(runtime.GOROOT(), "lib", "time", "zoneinfo.zip"); fileExists(zi) {
			b, err := os.ReadFile(zi)
			if err != nil {
				return err
			}
			files[strings.TrimPrefix(zi, "/")] = b
		}
		for _, extra := range with {
			ex, err := filepath.Abs(extra)
			if err != nil {
				return err
			}
			m, err := addTree(files, ex)
			if err != nil {
				return err
			}
			n += m
		}
		cwd = abs
		if o.Log != nil {
			fmt.Fprintf(o.Log, "skyrun: packing %d files from %s\n", n, abs)
		}
	}
	key, err := o.rootKey()
	if err != nil {
		return err
	}
	progs := []bootbundle.Program{{Entry: name, Binary: data, Sharable: true}}
	// coreutils: the kernel shows it as /bin and /usr/bin's commands (the standard
	// layout programs expect: os/exec finds pwd, os's tests list /usr/bin).
	tasks := []string{"coreutils"}
	if o.FS {
		if o.Disk == "" {
			return fmt.Errorf("SKYAIFS behind /tmp needs a disk image")
		}
		tasks = append(tasks, "init", "blkd", "skyaifsd")
	}
	for _, task := range tasks {
		if task == name {
			continue // the program run is itself one of them
		}
		bin, err := os.ReadFile(filepath.Join(o.Root, "build", "tasks", task))
		if err != nil {
			return fmt.Errorf("%w (make bundle builds it)", err)
		}
		progs = append(progs, bootbundle.Program{Entry: task, Binary: bin, Sharable: true})
	}
	b, err := bootbundle.Build(key, progs, files, cwd, bootbundle.Options{Level: compress.LevelFastest})
	if err != nil {
		return err
	}
	// A file of its own: go test -exec runs several skyruns at once.
	f, err := os.CreateTemp(filepath.Join(o.Root, "build"), "bundle-*.tar")
	if err != nil {
		return err
	}
	path := f.Name()
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if o.Log != nil {
		fmt.Fprintf(o.Log, "skyrun: signed boot bundle %s (%d KiB)\n", path, len(b)>>10)
	}
	o.Bundle = path
	run := "run "
	if o.FS {
		run = "run -fs "
	}
	o.Append = strings.TrimSpace(run + name + " " + strings.Join(args[1:], " ") + " " + o.Append)
	return nil
}

// rootKey loads the key that signs boot bundles, making it first (make) if this
// checkout has none yet.
func (o *Options) rootKey() (*pqc.PrivateKey, error) {
	path := filepath.Join(o.Root, RootKey)
	if !fileExists(path) {
		cmd := exec.Command("make", "-s", "-C", o.Root, strings.TrimSuffix(RootKey, ".key")+".pub")
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("making the root key: %v\n%s", err, out)
		}
	}
	return pqc.LoadPrivateKey(path)
}

// addTree adds the regular files under abs to files, keyed by their absolute path
// without the leading slash.
func addTree(files map[string][]byte, abs string) (int, error) {
	n := 0
	err := filepath.WalkDir(abs, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		key := strings.TrimPrefix(p, "/")
		files[key] = b
		n++
		return nil
	})
	return n, err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
