// Command skysim boots the Skyscope kernel on the simulated machine with a demo init
// task and prints what happens: isolated tasks calling an echo server over IPC with
// badged capabilities, a page fault handled by a user-level pager, an interrupt
// delivered to a driver task through a notification, and the memory budget returning to
// where it started once everything is torn down.
//
// When standard input is a pipe or a file, it runs the command lines read from it
// instead (the shell's ctr commands, sleep, echo, log; see script.go) and exits at the
// end of input, so container scenarios can be scripted:
//
//	printf 'ctr run --cpu 20%% spin\nsleep 1s\nctr stats\n' | go run ./tools/skysim
//
// Usage:
//
//	go run ./tools/skysim [--quiet] [--seed N] [--demo] [--image FILE --pub KEY] [< SCRIPT]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

func main() {
	quiet := flag.Bool("quiet", false, "hide the kernel's own log lines")
	seed := flag.Uint64("seed", 1, "entropy seed of the simulated machine")
	until := flag.Duration("until", 0, "stop after this much virtual time (0: run until the demo or script ends)")
	forceDemo := flag.Bool("demo", false, "run the demo even if standard input is not a terminal")
	var images, pubs multi
	flag.Var(&images, "image", "verify and start this signed container `FILE` before the script (repeatable; implies script mode)")
	flag.Var(&pubs, "pub", "trusted public key `FILE` for --image (repeatable)")
	store := flag.String("store", "", "folder of the images' packages (*.skypkg; default: each image's folder)")
	diskPath := flag.String("disk", "", "a persistent SKYAIFS disk image `FILE` for the script's fs commands (made and formatted if missing)")
	crashAfter := flag.Int64("crash-after-writes", -1, "cut the power after `N` block writes to the disk (with -disk); skyctl fs fsck must then find the image clean")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, `Usage: skysim [flags]

Boots the Skyscope kernel on the deterministic simulated machine and runs the demo:
tasks in their own capability spaces and address spaces talk over kernel IPC, a pager
serves a page fault, a driver handles an interrupt. Output is the machine's console.

When standard input is a pipe or a file, runs the command lines it holds instead and
powers off at the end of input: ctr SUBCOMMAND ... (containers: run, ps, exec, stop,
kill, rm, inspect, logs, stats, link, wait; ctr help), sleep DURATION, echo, log, help.
ctr run starts the demo images hello, spin, memhog and pingpong, and with --net NAME
the network demos udpecho, udpping and nethostile. In this mode the
kernel's own lines are kept for log, not printed. --image FILE --pub KEY verifies a
signed container image and its packages and starts it in a container first (its
modules' manifests name the demo programs to run); a refused image ends skysim with
status 1 before any container exists.

Flags:
`)
		flag.PrintDefaults()
	}
	flag.Parse()

	cfg := usersim.Config{
		Init:     demoInit,
		Programs: demoPrograms,
		Kernel:   kernel.Config{Quiet: *quiet},
		Sim:      sim.Config{Seed: *seed},
		Console:  os.Stdout,
	}
	var sc *script
	var entries map[string]uint64
	if (scriptMode() || len(images) > 0) && !*forceDemo {
		var lines []string
		if scriptMode() {
			var err error
			if lines, err = readScript(os.Stdin); err != nil {
				fmt.Fprintln(os.Stderr, "skysim: reading the script:", err)
				os.Exit(1)
			}
		} else {
			lines = []string{"sleep 1s"} // images and no script: let them run a while
		}
		sc = &script{lines: lines, out: os.Stdout}
		if *diskPath != "" {
			d, err := openDisk(*diskPath, *crashAfter)
			if err != nil {
				fmt.Fprintln(os.Stderr, "skysim:", err)
				os.Exit(1)
			}
			sc.disk = d
		}
		cfg.Init, cfg.Kernel.Quiet, cfg.Sim.MemoryFrames = sc.init, true, 65536 // 256 MiB
		cfg.Programs, entries = scriptPrograms(func() time.Duration { return time.Duration(sc.m.Now()) })
	}
	m, err := usersim.Boot(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "skysim:", err)
		os.Exit(1)
	}
	if sc != nil {
		sc.m = m
		loader := usersim.Loader{Entries: entries}
		m.SetLoader(loader)
		if err := startImages(m, loader, images, pubs, *store); err != nil {
			fmt.Fprintln(os.Stderr, "skysim:", err)
			os.Exit(1)
		}
	} else {
		m.Sim.RaiseIRQ(demoIRQ, 50_000_000) // the "device" interrupts at t = 50 ms
	}
	limit := hal.Forever
	if *until > 0 {
		limit = hal.Time(until.Nanoseconds())
	}
	reason := m.Run(limit)
	s := m.Stats
	fmt.Printf("skysim: stopped at %.6f s (%v)\n", float64(m.Now())/1e9, reason)
	fmt.Printf("skysim: %d system calls, %d invocations, %d messages, %d context switches, %d faults, %d interrupts\n",
		s.Syscalls, s.Invocations, s.Messages, s.ContextSwitches, s.Faults, s.Interrupts)
	if err := m.CheckInvariants(); err != nil {
		fmt.Fprintln(os.Stderr, "skysim: kernel invariant broken:", err)
		os.Exit(1)
	}
	if sc != nil {
		if !sc.ok {
			fmt.Fprintln(os.Stderr, "skysim: the script did not run to its end")
			os.Exit(1)
		}
		if sc.disk != nil {
			if err := sc.disk.close(); err != nil {
				fmt.Fprintln(os.Stderr, "skysim: disk:", err)
				os.Exit(3)
			}
		}
		return
	}
	if !demoOK {
		fmt.Fprintln(os.Stderr, "skysim: the demo did not complete")
		os.Exit(1)
	}
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }
