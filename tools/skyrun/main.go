// Command skyrun builds the Skyscope boot images and boots them in QEMU (headless,
// TCG), streaming the serial console to stdout and exiting with the guest's status.
//
// Usage:
//
//	go run ./tools/skyrun [-iso] [-uefi] [-append "selftest"] [-timeout 60s] [-smp N] [-mem MiB] [-icount]
//	go run ./tools/skyrun [flags] PROG [ARGS...]   # run a static Linux program as a task
package main

import (
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/tools/bundle"
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
	dir := flag.String("C", "", "with PROG: pack the files under `DIR` into the bundle's read-only file tree and start PROG there (as go test runs a test binary in its package folder)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, `Usage: skyrun [flags] [PROG [ARGS...]]

Builds the kernel (and the ISO with -iso), boots it in QEMU with the serial console on
this terminal, and exits with the status the guest reports (0 for a clean power-off).
Exit status 124 means the timeout stopped it.

With PROG, a static Linux binary (GOOS=linux GOARCH=amd64 CGO_ENABLED=0), skyrun puts
it in the boot bundle and the kernel runs it as a ring-3 task with ARGS; skyrun exits
with the program's exit status.

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()
	wd, _ := os.Getwd()
	root, err := qemu.FindRoot(wd)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skyrun: run me inside the Skyscope repository:", err)
		os.Exit(2)
	}
	o.Root, o.Build, o.Output, o.Log = root, !*noBuild, os.Stdout, os.Stderr
	if flag.NArg() > 0 {
		if err := prepareProgram(&o, flag.Args(), *dir); err != nil {
			fmt.Fprintln(os.Stderr, "skyrun:", err)
			os.Exit(2)
		}
	}
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

// prepareProgram writes a boot bundle holding the program (and, with -C, a file tree)
// and sets the kernel command line to run it.
func prepareProgram(o *qemu.Options, args []string, dir string) error {
	if o.ISO {
		return fmt.Errorf("programs run from -kernel boots only; drop -iso")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	name := filepath.Base(args[0])
	files := map[string][]byte{name: data}
	order := []string{name}
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return err
		}
		n, err := addTree(files, &order, abs)
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
			order = append(order, strings.TrimPrefix(zi, "/"))
		}
		files[bundle.CwdFile] = []byte(abs)
		order = append(order, bundle.CwdFile)
		fmt.Fprintf(os.Stderr, "skyrun: packed %d files from %s\n", n, abs)
	}
	if err := os.MkdirAll(filepath.Join(o.Root, "build"), 0o755); err != nil {
		return err
	}
	path := filepath.Join(o.Root, "build", "bundle.tar")
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := bundle.Write(f, files, order); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	o.Bundle = path
	o.Append = strings.TrimSpace("run " + name + " " + strings.Join(args[1:], " ") + " " + o.Append)
	return nil
}

// addTree adds the regular files under abs to files, keyed by their absolute path
// without the leading slash.
func addTree(files map[string][]byte, order *[]string, abs string) (int, error) {
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
		*order = append(*order, key)
		n++
		return nil
	})
	return n, err
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
