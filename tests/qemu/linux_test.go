package qemu_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
	"github.com/skyscope-os/skyscope/tools/qemu"
)

// goBuild builds a static Linux binary with the host's Go toolchain: `go build` of the
// program in dir, or, with test set, `go test -c` of the standard-library package pkg.
func goBuild(t *testing.T, out string, test bool, target string) string {
	t.Helper()
	need(t, "go")
	args := []string{"build", "-o", out, "."}
	dir := target
	if test {
		args, dir = []string{"test", "-c", "-o", out, target}, ""
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, b)
	}
	return out
}

// runProgram boots the kernel with prog (and its arguments) in the boot bundle.
func runProgram(t *testing.T, args []string, dir string, with []string, timeout time.Duration) qemu.Result {
	t.Helper()
	o := qemu.Options{Root: build(t), Timeout: timeout}
	if err := o.AddProgram(args, dir, with); err != nil {
		t.Fatal(err)
	}
	return boot(t, o)
}

// TestGoProgram: an unmodified static Go program runs as a ring-3 task and its exit
// status becomes the machine's.
func TestGoProgram(t *testing.T) {
	dir := t.TempDir()
	src := `package main

import (
	"fmt"
	"os"
	"sync"
	"time"
)

func main() {
	var wg sync.WaitGroup
	sum := make([]int, 4)
	for i := range sum {
		wg.Add(1)
		go func() { defer wg.Done(); for j := 0; j < 100000; j++ { sum[i] += j % 7 } }()
	}
	wg.Wait()
	start := time.Now()
	time.Sleep(15 * time.Millisecond)
	fmt.Println("hello from ring 3:", os.Args[1:], sum[3], time.Since(start) >= 15*time.Millisecond)
	os.Exit(7)
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\ngo 1.26\n"), 0o644)
	prog := goBuild(t, filepath.Join(dir, "hello"), false, dir)
	res := runProgram(t, []string{prog, "one", "two"}, "", nil, 2*time.Minute)
	if !strings.Contains(res.Console, "hello from ring 3: [one two] 299995 true") || res.Status != 7 {
		t.Fatalf("status %d (want 7); console:\n%s", res.Status, res.Console)
	}
}

// TestStandardLibraryTests runs Go's own test binaries for a few standard packages as
// ring-3 tasks, in a copy of their package folder: programs none of us wrote.
func TestStandardLibraryTests(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU once per package")
	}
	goroot := strings.TrimSpace(string(must(exec.Command("go", "env", "GOROOT").Output())))
	// bufio needs the writable /tmp (t.TempDir); sync starts copies of itself
	// (os/exec: vfork, execve, pipes, wait4).
	for _, pkg := range []string{"sort", "strings", "container/list", "unicode/utf8", "crypto/sha256", "compress/flate", "bufio", "strconv", "time", "sync"} {
		t.Run(pkg, func(t *testing.T) {
			bin := goBuild(t, filepath.Join(t.TempDir(), filepath.Base(pkg)+".test"), true, pkg)
			var with []string
			if pkg == "compress/flate" {
				with = []string{filepath.Join(goroot, "src", "testdata")} // it reads ../../testdata
			}
			// time makes about 5.8 million system calls (clock_gettime without a vDSO):
			// about 3 minutes under TCG.
			res := runProgram(t, []string{bin, "-test.short"}, filepath.Join(goroot, "src", pkg), with, 8*time.Minute)
			if res.Status != 0 || !regexp.MustCompile(`(?m)^PASS\r?$`).MatchString(res.Console) {
				t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
			}
		})
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestAsyncPreemption: with one P, a goroutine spinning in a loop without calls can
// only be stopped by Go's asynchronous preemption — sysmon's tgkill(SIGURG), delivered
// by the personality to the spinning thread, whose handler switches goroutines — so the
// sleeping main goroutine gets to run again only if signals work.
func TestAsyncPreemption(t *testing.T) {
	dir := t.TempDir()
	src := `package main

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"time"
)

var n atomic.Uint64

func main() {
	runtime.GOMAXPROCS(1)
	go func() {
		for {
			n.Add(1)
		}
	}()
	time.Sleep(50 * time.Millisecond)
	fmt.Println("main ran again after the spinner:", n.Load() > 1000)
	os.Exit(0)
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module spin\ngo 1.26\n"), 0o644)
	prog := goBuild(t, filepath.Join(dir, "spin"), false, dir)
	res := runProgram(t, []string{prog}, "", nil, time.Minute)
	if !strings.Contains(res.Console, "main ran again after the spinner: true") || res.Status != 0 {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}

// TestExitStatusAllBits: a program's exit status reaches skyrun whole, 200 included,
// though QEMU's own exit code keeps only 7 bits of it.
func TestExitStatusAllBits(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.go"), []byte("package main\n\nimport \"os\"\n\nfunc main() { os.Exit(200) }\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module exit200\ngo 1.26\n"), 0o644)
	prog := goBuild(t, filepath.Join(dir, "exit200"), false, dir)
	if res := runProgram(t, []string{prog}, "", nil, time.Minute); res.Status != 200 {
		t.Fatalf("status %d, want 200; console:\n%s", res.Status, res.Console)
	}
}

// TestProcesses: a Go program starts copies of itself with os/exec — vfork, execve,
// pipes for standard input and output, wait4 — and sees their output, exit statuses,
// a kill, a crash, a missing program, and many children in turn and at once.
func TestProcesses(t *testing.T) {
	dir := t.TempDir()
	src := `package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

func child(args []string) {
	switch args[0] {
	case "echo":
		fmt.Println("child", strings.Join(args[2:], " "), os.Getppid() > 0)
		code, _ := strconv.Atoi(args[1])
		os.Exit(code)
	case "cat":
		b, _ := io.ReadAll(bufio.NewReader(os.Stdin))
		fmt.Print(strings.ToUpper(string(b)))
	case "sleep":
		time.Sleep(time.Hour)
	case "crash":
		var p *int
		*p = 1
	}
}

func check(what string, ok bool, detail any) {
	if !ok {
		fmt.Printf("FAIL %s: %v\n", what, detail)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) > 1 {
		child(os.Args[1:])
		return
	}
	self, err := os.Executable()
	check("executable", err == nil, err)

	out, err := exec.Command(self, "echo", "3", "hello", "there").CombinedOutput()
	var ee *exec.ExitError
	check("exit status", errors.As(err, &ee) && ee.ExitCode() == 3, err)
	check("output", string(out) == "child hello there true\n", string(out))

	cmd := exec.Command(self, "cat")
	cmd.Stdin = strings.NewReader("piped in\n")
	out, err = cmd.Output()
	check("stdin", err == nil && string(out) == "PIPED IN\n", fmt.Sprint(err, " ", string(out)))

	cmd = exec.Command(self, "sleep")
	check("start", cmd.Start() == nil, nil)
	check("pid", cmd.Process.Pid != os.Getpid(), cmd.Process.Pid)
	check("kill", cmd.Process.Kill() == nil, nil)
	err = cmd.Wait()
	check("killed", err != nil && err.Error() == "signal: killed", err)

	err = exec.Command(self, "crash").Run()
	check("crash", errors.As(err, &ee) && ee.ExitCode() == 2, err)

	err = exec.Command("/no/such/program").Run()
	check("missing", errors.Is(err, os.ErrNotExist), err)

	for i := 0; i < 20; i++ {
		out, err := exec.Command(self, "echo", "0", strconv.Itoa(i)).Output()
		check("in turn", err == nil && string(out) == fmt.Sprintf("child %d true\n", i), err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.Command(self, "echo", "0", "together").Output()
			check("at once", err == nil && string(out) == "child together true\n", err)
		}()
	}
	wg.Wait()
	fmt.Println("processes: all checks passed")
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module spawn\ngo 1.26\n"), 0o644)
	prog := goBuild(t, filepath.Join(dir, "spawn"), false, dir)
	res := runProgram(t, []string{prog}, "", nil, 3*time.Minute)
	if !strings.Contains(res.Console, "processes: all checks passed") || res.Status != 0 {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}

// TestDriverInterrupt: a driver task (testdata/irqdriver, run as init) takes the e1000e
// network controller through a Device capability, maps its registers uncached in ring
// 3, claims its interrupt line, makes it interrupt, and receives the interrupt as a
// kernel notification; moving a BAR and claiming the console's line are refused.
func TestDriverInterrupt(t *testing.T) {
	wd, _ := os.Getwd()
	prog := goBuild(t, filepath.Join(t.TempDir(), "irqdriver"), false, filepath.Join(wd, "testdata", "irqdriver"))
	res := runProgram(t, []string{prog}, "", nil, 2*time.Minute)
	if !strings.Contains(res.Console, "irqdriver: interrupt on line 11 delivered as a notification") || res.Status != 0 {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}

// TestVirtioBlock: a driver task (testdata/virtioblk, package hal/virtio, run as init)
// initialises a virtio-blk disk from ring 3 — registers mapped through a Device
// capability, DMA into pages of its own memory, completions by interrupt — reads
// what the host wrote in sector 0, and writes, flushes and reads back a page at sector
// 5, which the host then finds in the image file.
func TestVirtioBlock(t *testing.T) {
	wd, _ := os.Getwd()
	prog := goBuild(t, filepath.Join(t.TempDir(), "virtioblk"), false, filepath.Join(wd, "testdata", "virtioblk"))
	img := filepath.Join(t.TempDir(), "disk.img")
	disk := make([]byte, 1<<20)
	copy(disk, "skyscope disk test: sector 0")
	if err := os.WriteFile(img, disk, 0o644); err != nil {
		t.Fatal(err)
	}
	o := qemu.Options{Root: build(t), Timeout: 2 * time.Minute, Disk: img}
	if err := o.AddProgram([]string{prog}, "", nil); err != nil {
		t.Fatal(err)
	}
	res := boot(t, o)
	if res.Status != 0 || !strings.Contains(res.Console, `virtioblk: sector 0 says "skyscope disk test: sector 0"`) ||
		!strings.Contains(res.Console, "virtioblk: wrote, flushed and read back 4096 bytes at sector 5") {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
	got, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if want := "written from ring 3 by the virtio-blk driver. "; string(got[5*512:5*512+len(want)]) != want {
		t.Errorf("sector 5 of the image holds %q", got[5*512:5*512+64])
	}
}

// TestSKYAIFSOnVirtio: SKYAIFS runs in a ring-3 task on a virtio-blk disk
// (testdata/skyaifsdisk): the first boot makes the filesystem and writes and fsyncs a
// file, the second boot mounts it and reads the file back, and on the host the image
// is clean for fsck and holds the file.
func TestSKYAIFSOnVirtio(t *testing.T) {
	wd, _ := os.Getwd()
	prog := goBuild(t, filepath.Join(t.TempDir(), "skyaifsdisk"), false, filepath.Join(wd, "testdata", "skyaifsdisk"))
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 8<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"skyaifsdisk: wrote and fsynced /notes/boot.txt",
		`skyaifsdisk: /notes/boot.txt holds "written by SKYAIFS in ring 3"`} {
		o := qemu.Options{Root: build(t), Timeout: 2 * time.Minute, Disk: img}
		if err := o.AddProgram([]string{prog}, "", nil); err != nil {
			t.Fatal(err)
		}
		if res := boot(t, o); res.Status != 0 || !strings.Contains(res.Console, want) {
			t.Fatalf("boot %d: status %d; console:\n%s", i+1, res.Status, res.Console)
		}
	}
	checkImageFile(t, img, "/notes/boot.txt", "written by SKYAIFS in ring 3")
}

// TestLinuxFilesOnSKYAIFS: with "run -fs" (skyrun -fs), an unmodified static Go program
// (testdata/linuxfs) writes, fsyncs, renames, reads, appends to, truncates, lists and
// removes files in /tmp through the os package, and the Linux personality forwards
// every call to the real skyaifsd and blkd tasks; on the host the disk image is clean
// for fsck and holds the file the program kept, at the path the program used.
func TestLinuxFilesOnSKYAIFS(t *testing.T) {
	wd, _ := os.Getwd()
	prog := goBuild(t, filepath.Join(t.TempDir(), "linuxfs"), false, filepath.Join(wd, "testdata", "linuxfs"))
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	o := qemu.Options{Root: build(t), Timeout: 4 * time.Minute, Disk: img, FS: true}
	if err := o.AddProgram([]string{prog}, "", nil); err != nil {
		t.Fatal(err)
	}
	res := boot(t, o)
	if res.Status != 0 || !strings.Contains(res.Console, "init: started the disk driver") ||
		!strings.Contains(res.Console, "linuxfs: wrote, fsynced, renamed, read, appended, truncated, listed and removed files in /tmp") {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
	if m := regexp.MustCompile(`linuxfs: write\+fsync .*`).FindString(res.Console); m != "" {
		t.Log(m)
	}
	checkImageFile(t, img, "/tmp/linuxfs/keep.txt", "hello from an unmodified Go program\n")
}

// checkImageFile checks on the host that the SKYAIFS disk image img is clean for fsck
// and that the file at path holds want.
func checkImageFile(t *testing.T, img, path, want string) {
	t.Helper()
	dev, err := block.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if rep, err := fsck.Check(dev, fsck.Options{}); err != nil || !rep.Clean() {
		t.Fatalf("fsck: %v %+v", err, rep)
	}
	f, err := skyfs.Mount(dev, skyfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != want {
		t.Errorf("%s holds %q, want %q", path, b, want)
	}
}
