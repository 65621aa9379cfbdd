// Command shell is Skyscope's interactive shell: a user task on the console that lists,
// starts and ends tasks and shows the machine's state, through the System capability
// init gives it (at slot abi.InitFirstFree; the console and the IRQ control follow
// it: the shell gives the disk driver it starts its interrupt line).
//
// It reads raw console bytes and edits lines itself (echo, cursor keys, history). Type
// help at the sky> prompt for the commands.
//
// It is a standard static Go program run by the kernel's Linux-ABI personality; kernel
// IPC goes through hal/amd64/usercall.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/skyscope-os/skyscope/boot/tasks/shell/lineedit"
	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"golang.org/x/sys/unix"
)

// Slots of the shell's capability space: what init grants, then what it makes.
const (
	slotSystem  = abi.InitFirstFree     // granted by init
	slotConsole = abi.InitFirstFree + 1 // granted by init
	slotIRQ     = abi.InitFirstFree + 2 // granted by init
	slotExit    = abi.InitFirstFree + 3
)

// Prompt is what the shell shows when it waits for a command.
const Prompt = "sky> "

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "--help") {
		fmt.Println("usage: shell (started by init on the console; type help at the prompt)")
		return
	}
	e := usercall.Env()
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, slotExit, 1); err != nil {
		fmt.Fprintf(os.Stderr, "shell: making a notification: %v\n", err)
		os.Exit(1)
	}
	s := &shell{e: e, sys: slotSystem, exit: slotExit, out: os.Stdout, uptime: sinceBoot, console: slotConsole, irqControl: slotIRQ,
		newEnv: usercall.Env}
	fmt.Println("Skyscope shell. Type help for the commands.")
	ed := lineedit.New(os.Stdin, os.Stdout)
	for !s.quit {
		line, err := ed.ReadLine(Prompt)
		switch {
		case errors.Is(err, lineedit.ErrInterrupted):
			continue
		case errors.Is(err, io.EOF):
			fmt.Println()
			return
		case err != nil:
			fmt.Fprintf(os.Stderr, "shell: reading the console: %v\n", err)
			os.Exit(1)
		}
		s.exec(line)
	}
}

// sinceBoot returns the machine time: the kernel's monotonic clock starts at boot.
func sinceBoot() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
