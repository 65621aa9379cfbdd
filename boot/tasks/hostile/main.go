// Command hostile is a demo image of the boot bundle: a probe of a container's walls,
// run inside one (ctr run --pids 4 --mem 32M hostile). It looks at every slot of its
// capability space and tries what a container must not be able to do: use the
// machine's powers through what it holds (power off, read the kernel log, take the
// console or a device, raise its priority past the ceiling), name or signal a task
// outside its pid namespace, look up IPC names registered outside, start tasks past
// the container's task limit and take memory past its memory limit. It prints each
// attempt that succeeds as a BREACH and ends with a summary line:
// "hostile: N attempts, all refused" when the walls held.
//
// The probes that meet a limit (tasks, memory) do so through the kernel's refusals,
// not through a page fault, so the container's out-of-memory policy does not end
// hostile before it reports.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Slots of the capability space: the loader's tasks have 2^8; hostile puts what it
// makes from slotScratch up.
const (
	slots       = 256
	slotScratch = 64
)

// outsideNames are IPC names services and demos register in other containers (and
// in the machine's registry).
var outsideNames = []string{"pingpong", "pong", "counter", "svc-counter", "vault", "compressd", "modmgr", "skyaifs", "blkd", "shell", "init"}

// prober counts attempts and the ones that were not refused.
type prober struct {
	attempts, breaches int
}

// try makes one attempt: op must fail.
func (p *prober) try(what string, op func() error) {
	p.attempts++
	if err := op(); err == nil {
		p.breaches++
		fmt.Printf("hostile: BREACH: %s succeeded\n", what)
	}
}

func main() {
	child := flag.Bool("child", false, "be one of the tasks hostile starts to meet the task limit: wait to be stopped")
	maxPID := flag.Uint64("pids", 64, "try to name and signal pids 2..`N` (outside tasks would appear there if the namespace leaked)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: hostile [-pids N] — probe the container's isolation from inside (ctr run --pids 4 --mem 32M hostile)")
		flag.PrintDefaults()
	}
	flag.Parse()
	e := usercall.Env()
	if *child {
		_, _ = e.Wait(abi.ContainerSlotStop)
		return
	}
	var p prober
	const cs, sys = abi.InitSlotCSpace, abi.ContainerSlotSystem

	// Every slot: what is there, and nothing of the machine's.
	var held []string
	var systems []abi.CPtr
	for s := abi.CPtr(0); s < slots; s++ {
		c, err := e.Inspect(cs, s)
		if err != nil || c.Type == abi.ObjNull {
			continue
		}
		held = append(held, fmt.Sprintf("%d:%v", s, c.Type))
		switch c.Type {
		case abi.ObjSystem:
			systems = append(systems, s)
		case abi.ObjIRQControl, abi.ObjDevice:
			p.try(fmt.Sprintf("holding %v in slot %d", c.Type, s), func() error { return nil })
		}
	}
	fmt.Printf("hostile: %d slots probed, holding %s\n", slots, strings.Join(held, " "))

	// The machine's powers through every System object held.
	buf := make([]byte, 64)
	for _, s := range systems {
		p.try("power off", func() error { return e.PowerOff(s, 7) })
		p.try("reading the kernel log", func() error { _, _, err := e.ReadLog(s, 0, buf); return err })
		p.try("taking the console", func() error { return e.Console(s, cs, slotScratch) })
		for d := uint64(0); d < 4; d++ {
			p.try(fmt.Sprintf("taking device %d", d), func() error { _, err := e.Device(s, d, cs, slotScratch); return err })
		}
	}
	p.try("raising its priority past the ceiling", func() error { return e.SetPriority(abi.InitSlotTCB, abi.InitSlotTCB, abi.MaxPriority) })

	// Tasks outside the pid namespace: hostile is pid 1 and alone, so pids from 2 up
	// are other containers' tasks or the machine's if the namespace leaked.
	for pid := uint64(2); pid <= *maxPID; pid++ {
		p.try(fmt.Sprintf("naming pid %d", pid), func() error { _, _, err := e.TaskStatus(sys, pid); return err })
		p.try(fmt.Sprintf("killing pid %d", pid), func() error { return e.Kill(sys, pid) })
		p.try(fmt.Sprintf("signalling pid %d", pid), func() error { return syscall.Kill(int(pid), syscall.SIGTERM) })
	}
	p.try("listing a task past itself", func() error {
		t, err := e.TaskInfo(sys, 2)
		if err == nil {
			fmt.Printf("hostile: sees task %d (%s)\n", t.ID, t.Name)
		}
		return err
	})

	// IPC names registered outside the container.
	for _, n := range outsideNames {
		p.try("looking up "+n, func() error { return e.LookupName(sys, n, cs, slotScratch) })
	}

	// The task limit: start copies of itself until the kernel refuses; a limit of
	// 64 or more would be a limit that does not hold (ctr's default is 32).
	var kids []uint64
	var err error
	for len(kids) < 64 {
		var pid uint64
		if pid, err = e.StartProgram(sys, []string{"hostile", "-child"}, 0, 0, 0); err != nil {
			break
		}
		kids = append(kids, pid)
	}
	p.try("starting a task past the task limit", func() error { return err })
	fmt.Printf("hostile: started %d tasks; the next was refused (%v)\n", len(kids), err)
	for _, pid := range kids {
		_ = e.Kill(sys, pid)
	}

	// The memory limit: take the budget in 1 MiB pieces until refused, after one
	// piece larger than any limit hostile is run with.
	p.try("taking 1 GiB at once", func() error {
		return e.Retype(abi.InitSlotUntyped, abi.ObjUntyped, 1<<30, cs, slotScratch, 1)
	})
	took := 0
	for s := abi.CPtr(slotScratch); s < slots; s++ {
		if err = e.Retype(abi.InitSlotUntyped, abi.ObjUntyped, 1<<20, cs, s, 1); err != nil {
			break
		}
		took++
	}
	p.try("taking memory past the memory limit", func() error { return err })
	fmt.Printf("hostile: took %d MiB more; the next MiB was refused (%v)\n", took, err)
	for s := abi.CPtr(slotScratch); s < slotScratch+abi.CPtr(took); s++ {
		_ = e.Delete(cs, s)
	}

	if p.breaches > 0 {
		fmt.Printf("hostile: %d attempts, %d NOT refused\n", p.attempts, p.breaches)
		os.Exit(1)
	}
	fmt.Printf("hostile: %d attempts, all refused\n", p.attempts)
}
