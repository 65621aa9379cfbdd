package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// The shell's commands run here against the real kernel core on the simulated machine:
// init plays the shell, and the "boot bundle" is a set of simulated programs.

const (
	quickPC   = 0x71_0000 // returns at once (exit status 0)
	sleeperPC = 0x72_0000 // waits forever
)

// session runs the command lines in a shell on a fresh machine and returns the output
// and how the machine stopped.
func session(t *testing.T, lines ...string) (string, kernel.StopReason) {
	t.Helper()
	var out bytes.Buffer
	const exitSlot = 20
	disk := hal.Device{Slot: 3, Vendor: 0x1af4, ID: 0x1042, Class: 1, IRQ: 11,
		BARs: [6]hal.BAR{{Addr: 0xc000, Size: 64, IO: true}, {Size: 8192}}}
	m, err := usersim.Boot(usersim.Config{
		Kernel: kernel.Config{Quiet: true},
		Sim:    sim.Config{Devices: []hal.Device{disk}},
		Init: func(e *user.Env) {
			if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, exitSlot, 1); err != nil {
				t.Error(err)
				return
			}
			s := &shell{e: e, sys: abi.InitSlotSystem, exit: exitSlot, out: &out,
				uptime: func() time.Duration { return 1500 * time.Millisecond }}
			for _, l := range lines {
				fmt.Fprintf(&out, "sky> %s\n", l)
				s.exec(l)
			}
		},
		Programs: map[uint64]usersim.Program{
			quickPC: func(e *user.Env) {},
			sleeperPC: func(e *user.Env) {
				const n = abi.InitFirstFree
				e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, n, 1)
				e.Wait(n)
			},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: map[string]uint64{"quick": quickPC, "sleeper": sleeperPC}})
	binary.LittleEndian.PutUint32(m.Sim.DevicePage(1<<40 + 4096)[8:], 0xc0ffee) // a register of the disk
	r := m.Run(10_000_000_000)
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	return out.String(), r
}

func TestShellCommands(t *testing.T) {
	out, r := session(t,
		"ps",
		"run quick",
		"run sleeper &",
		"ps",
		"caps 3",
		"kill 3",
		"ps",
		"kill 1",
		"kill x",
		"kill 99",
		"run nonesuch",
		"mem",
		"devices",
		"peek 0 1 4104",
		"peek 0 0 0",
		"uptime",
		"log -a",
		"bogus",
		"help",
		"echo a  b",
		"",
		"# a comment",
		"ctr run --device virtio-blk --name withdisk quick",
		"ctr run --device 00:03.0 --device 1af4:1042 --name samedisk quick",
		"ctr run --device 1af4:1041 quick",
		"ctr run --device 9 quick",
		"ctr run --mem-on-demand --mem 8M --name cheap sleeper",
		"ctr inspect cheap",
		"shutdown",
	)
	if r != kernel.StopPowerOff {
		t.Errorf("machine stopped with %v, want power off", r)
	}
	for _, want := range []string{
		"ID  PARENT  STATE  THREADS  PRIO  MEMORY  LIMIT  CPU   NAME",
		"sky> run quick\nsky> run sleeper &\n[3] sleeper\n",
		"sleeper\n",
		"4     Untyped       RWGP",
		"task 3 killed\n",
		"kill: task 1: init, the shell itself and ended tasks cannot be killed\n",
		`kill: "x" is not a task id (see ps)`,
		"kill: task 99: no such task (see ps)",
		"run: nonesuch: no such program in the boot bundle",
		"memory ",
		"sky> devices\n 0  00:03.0 1af4:1042 class 01.00.00 irq 11 bar0 io 0xc000+64 bar1 mem 0x10000000000 8192B\n",
		"sky> peek 0 1 4104\n0x00c0ffee\n",
		"sky> ctr run --device virtio-blk --name withdisk quick\n1 withdisk\n",
		"sky> ctr run --device 00:03.0 --device 1af4:1042 --name samedisk quick\n2 samedisk\n",
		"ctr: run: --device 1af4:1041: device \"1af4:1041\": no such device on this machine (the shell's devices command lists them)",
		`invalid value "9" for flag -device: device "9": want VVVV:DDDD (PCI ids), BB:SS.F (PCI address) or one of ahci, e1000e, nvme, virtio-blk, virtio-net`,
		"peek: device 0 BAR 0 at 0x0: invalid argument",
		"memory 8192K on demand, tasks ≤ 32",
		"up 1.5s, 1 tasks\n",
		"kernel: booted:",
		`kernel: spawn "nonesuch" for task 1: no program "nonesuch"`,
		"bogus: unknown command; type help for the list",
		"  shutdown ",
		"sky> echo a  b\na b\n",
		"powering off\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// After kill 3 the third ps lists init alone.
	parts := strings.Split(out, "sky> ps\n")
	if len(parts) != 4 || strings.Contains(strings.Split(parts[3], "sky>")[0], "sleeper") {
		t.Errorf("ps after kill still lists the sleeper")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestShellRunWaits: a foreground run returns when the program ends, and reports a
// task that did not exit cleanly.
func TestShellRunWaits(t *testing.T) {
	out, _ := session(t, "run quick", "run quick", "ps")
	if strings.Count(out, "sky> run quick\n") != 2 || strings.Contains(out, "exited, status") {
		t.Errorf("output:\n%s", out)
	}
	if strings.Contains(out, "quick\n") && strings.Contains(strings.Split(out, "sky> ps\n")[1], "quick") {
		t.Errorf("ended tasks still listed:\n%s", out)
	}
}
