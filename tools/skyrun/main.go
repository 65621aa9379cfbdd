// Command skyrun builds the Skyscope boot images and boots them in QEMU (headless,
// TCG), streaming the serial console to stdout and exiting with the guest's status.
//
// Usage:
//
//	go run ./tools/skyrun [-iso] [-uefi] [-append "selftest"] [-timeout 60s] [-smp N] [-mem MiB] [-icount]
//	go run ./tools/skyrun [flags] PROG [ARGS...]   # run a static Linux program as a task
//	go run ./tools/skyrun -fs 64 [flags] PROG [ARGS...]   # … with SKYAIFS behind its /tmp
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/tools/qemu"
)

func main() {
	var o qemu.Options
	flag.BoolVar(&o.ISO, "iso", false, "boot build/skyscope.iso (GRUB) instead of QEMU's -kernel")
	flag.BoolVar(&o.UEFI, "uefi", false, "boot through UEFI firmware (OVMF); needs -iso")
	flag.StringVar(&o.Append, "append", "", `kernel command line, e.g. "selftest"`)
	flag.DurationVar(&o.Timeout, "timeout", 2*time.Minute, "stop QEMU after this long (0: never)")
	flag.IntVar(&o.SMP, "smp", 1, "number of CPUs")
	flag.IntVar(&o.MemMiB, "mem", 1024, "memory in MiB")
	flag.BoolVar(&o.Window, "window", false, "also show the screen (framebuffer console) in a window")
	flag.BoolVar(&o.ICount, "icount", false, "count instructions for guest time (-icount shift=0): deterministic runs")
	flag.StringVar(&o.Disk, "disk", "", "attach this raw disk image `FILE` as a virtio-blk device (writes reach the file)")
	fsMiB := flag.Int("fs", 0, "with PROG: serve its /tmp from SKYAIFS (the real blkd and skyaifsd tasks) on -disk, or on a scratch disk image of `MiB` made for the run")
	noBuild := flag.Bool("no-build", false, "boot the images already in build/ without rebuilding")
	with := flag.String("with", "", "with PROG: also pack these comma-separated files or folders (at their absolute paths), e.g. a package's ../../testdata")
	dir := flag.String("C", "", "with PROG: pack the files under `DIR` into the bundle's read-only file tree and start PROG there (as go test runs a test binary in its package folder)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, `Usage: skyrun [flags] [PROG [ARGS...]]

Builds the kernel (and the ISO with -iso), boots it in QEMU with the serial console on
this terminal, and exits with the status the guest reports (0 for a clean power-off).
Exit status 124 means the timeout stopped it.

With PROG, a static Linux binary (GOOS=linux GOARCH=amd64 CGO_ENABLED=0), skyrun puts
it in the boot bundle and the kernel runs it as a ring-3 task with ARGS; skyrun exits
with the program's exit status. As a go test -exec program:

    make kernel bundle && go build -o /tmp/skyrun ./tools/skyrun
    SKYSCOPE_ROOT=$PWD CGO_ENABLED=0 go test -exec "/tmp/skyrun -no-build -C ." -short sort

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	// The repository: $SKYSCOPE_ROOT, or the module around the working directory. (As
	// go test -exec, skyrun runs in the tested package's folder: set SKYSCOPE_ROOT.)
	root := os.Getenv("SKYSCOPE_ROOT")
	if root == "" {
		wd, _ := os.Getwd()
		var err error
		if root, err = qemu.FindRoot(wd); err != nil {
			fmt.Fprintln(os.Stderr, "skyrun: run me inside the Skyscope repository, or set SKYSCOPE_ROOT:", err)
			os.Exit(2)
		}
	}
	o.Root, o.Build, o.Output, o.Log = root, !*noBuild, os.Stdout, os.Stderr
	if flag.NArg() == 0 {
		o.Input = os.Stdin // the system's shell reads the console
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	scratch := "" // the scratch disk image skyrun made, removed at the end
	if flag.NArg() > 0 && o.Build {
		// The bundle's coreutils (and with -fs its init, blkd and skyaifsd) must be
		// built before they are packed with the program.
		if err := qemu.Build(ctx, root, false, o.Append, o.Log); err != nil {
			fmt.Fprintln(os.Stderr, "skyrun:", err)
			os.Exit(2)
		}
		o.Build = false
	}
	if *fsMiB > 0 && flag.NArg() > 0 {
		o.FS = true
		if o.Disk == "" {
			img, err := scratchDisk(root, *fsMiB)
			if err != nil {
				fmt.Fprintln(os.Stderr, "skyrun:", err)
				os.Exit(2)
			}
			o.Disk, scratch = img, img
		}
	}
	if flag.NArg() > 0 {
		var extra []string
		if *with != "" {
			extra = strings.Split(*with, ",")
		}
		if err := o.AddProgram(flag.Args(), *dir, extra); err != nil {
			fmt.Fprintln(os.Stderr, "skyrun:", err)
			os.Exit(2)
		}
	}
	res, err := qemu.Boot(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skyrun:", err)
		os.Exit(2)
	}
	status := res.Status
	switch {
	case res.TimedOut:
		fmt.Fprintf(os.Stderr, "\nskyrun: timed out after %v\n", o.Timeout)
		status = 124
	case res.Status != 0:
		fmt.Fprintf(os.Stderr, "\nskyrun: guest exited with status %d\n", res.Status)
	}
	if scratch != "" {
		os.Remove(scratch) // os.Exit skips deferred calls
	}
	os.Exit(status)
}

// scratchDisk makes an empty (sparse) disk image of mib MiB in build/ for one run;
// skyaifsd formats it.
func scratchDisk(root string, mib int) (string, error) {
	f, err := os.CreateTemp(filepath.Join(root, "build"), "fs-*.img")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := f.Truncate(int64(mib) << 20); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
