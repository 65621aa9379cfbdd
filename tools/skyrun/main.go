// Command skyrun builds the Skyscope boot images and boots them in QEMU (headless,
// TCG), streaming the serial console to stdout and exiting with the guest's status.
//
// Usage:
//
//	go run ./tools/skyrun [-iso] [-uefi] [-append "selftest"] [-timeout 60s] [-smp N] [-mem MiB] [-icount]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
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
	flag.IntVar(&o.MemMiB, "mem", 256, "memory in MiB")
	flag.BoolVar(&o.Window, "window", false, "also show the screen (framebuffer console) in a window")
	flag.BoolVar(&o.ICount, "icount", false, "count instructions for guest time (-icount shift=0): deterministic runs")
	noBuild := flag.Bool("no-build", false, "boot the images already in build/ without rebuilding")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, `Usage: skyrun [flags]

Builds the kernel (and the ISO with -iso), boots it in QEMU with the serial console on
this terminal, and exits with the status the guest reports (0 for a clean power-off).
Exit status 124 means the timeout stopped it.

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	wd, _ := os.Getwd()
	root, err := qemu.FindRoot(wd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skyrun: run me inside the Skyscope repository:", err)
		os.Exit(2)
	}
	o.Root, o.Build, o.Output, o.Log = root, !*noBuild, os.Stdout, os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := qemu.Boot(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skyrun:", err)
		os.Exit(2)
	}
	switch {
	case res.TimedOut:
		fmt.Fprintf(os.Stderr, "\nskyrun: timed out after %v\n", o.Timeout)
		os.Exit(124)
	case res.Status != 0:
		fmt.Fprintf(os.Stderr, "\nskyrun: guest exited with status %d\n", res.Status)
	}
	os.Exit(res.Status)
}
