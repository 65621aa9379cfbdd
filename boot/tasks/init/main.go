// Command init is Skyscope's first task, started by the kernel from the boot bundle
// with every boot capability: its capability space, thread and address space, the root
// memory budget, the IRQ control, the console and the System object.
//
// It starts the shell with only what a shell needs — the System object (to start,
// list and end tasks, read the kernel log, power off), the console, and the IRQ
// control (to give the disk driver it starts its interrupt line) — and most of the
// memory, and starts it again if it ends. It never exits.
//
// With -run PROG ARGS (the kernel's "run -fs" command line) it instead starts the
// storage tasks and PROG with SKYAIFS behind its /tmp, and exits with PROG's status.
//
// It is a standard static Go program (GOOS=linux GOARCH=amd64 CGO_ENABLED=0), run by
// the kernel's Linux-ABI personality; kernel IPC goes through hal/amd64/usercall.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/skyscope-os/skyscope/boot/tasks/internal/storage"
	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Slots init makes: the notification signalled when the shell ends, and the grant
// space holding what the shell gets after the System object.
const (
	shellExit   = abi.InitFirstFree
	shellGrants = abi.InitFirstFree + 1
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "--help") {
		fmt.Println("usage: init (started by the kernel; starts the shell and keeps it running)")
		fmt.Println("       init -run PROG [ARGS...] (starts blkd and skyaifsd, then PROG with SKYAIFS behind its /tmp; exits with its status)")
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "-run" {
		os.Exit(runWithFiles(os.Args[2:]))
	}
	e := usercall.Env()
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, shellExit, 1); err != nil {
		fatal("making the shell's exit notification: %v", err)
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjCSpace, 2, abi.InitSlotCSpace, shellGrants, 1); err != nil {
		fatal("making the shell's grants: %v", err)
	}
	for i, c := range []abi.CPtr{abi.InitSlotConsole, abi.InitSlotIRQControl} {
		if err := e.Copy(shellGrants, abi.CPtr(1+i), abi.InitSlotCSpace, c, abi.AllRights); err != nil {
			fatal("making the shell's grants: %v", err)
		}
	}
	failures := 0
	for {
		start := time.Now()
		id, err := startShell(e)
		if err != nil {
			fatal("starting the shell: %v", err)
		}
		if _, err := e.Wait(shellExit); err != nil {
			fatal("waiting for the shell: %v", err)
		}
		state, status, _ := e.TaskStatus(abi.InitSlotSystem, id)
		fmt.Printf("init: the shell (task %d) ended: %s, status %d; starting it again\n", id, state, status)
		if time.Since(start) < 2*time.Second {
			failures++
		} else {
			failures = 0
		}
		if failures >= 5 {
			fmt.Println("init: the shell keeps failing at once; powering off")
			e.PowerOff(abi.InitSlotSystem, 1)
		}
	}
}

// startShell starts the shell with three quarters of the free memory, the System
// object at its slot InitFirstFree, the console and the IRQ control at the next two.
func startShell(e *user.Env) (uint64, error) {
	m, err := e.Memory(abi.InitSlotSystem)
	if err != nil {
		return 0, err
	}
	free := m.Total - m.RootUsed
	mem := free / 4 * 3 &^ (abi.PageSize - 1)
	return e.StartProgramWith(abi.InitSlotSystem, []string{"shell"}, mem, 0, shellExit, abi.InitSlotSystem, shellGrants)
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "init: "+format+"\n", args...)
	os.Exit(1)
}

// Run mode's slots: the storage tasks' setup, and the badged capabilities to the
// notification (at shellExit) that says the program or skyaifsd ended.
var runSlots = storage.Slots{DiskDev: 200, DiskIRQ: 201, BlkEP: 202, BlkRecv: 203, BlkClient: 204,
	BlkGrants: 205, FileEP: 206, FileRecv: 207}

const (
	progEndedSlot = abi.CPtr(208)
	fsEndedSlot   = abi.CPtr(209)
	progEnded     = 1 // badges of the notification
	fsEnded       = 2
)

// linuxBadge is the badge of the Linux processes' capability to skyaifsd.
const linuxBadge = 2

// runWithFiles is run mode (the kernel's "run -fs" command line): it starts blkd and
// skyaifsd on the disk, takes a file service for itself at abi.ProcessSlotFiles —
// after starting them, so that they do not inherit it — and starts argv with three
// quarters of the free memory; the program inherits the file service, so SKYAIFS
// serves its /tmp. It returns the program's exit status.
func runWithFiles(argv []string) int {
	e := usercall.Env()
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, shellExit, 1); err != nil {
		fatal("making the program's exit notification: %v", err)
	}
	for slot, badge := range map[abi.CPtr]abi.Badge{progEndedSlot: progEnded, fsEndedSlot: fsEnded} {
		if err := e.Mint(abi.InitSlotCSpace, slot, abi.InitSlotCSpace, shellExit, abi.RightWrite, badge); err != nil {
			fatal("the exit notifications: %v", err)
		}
	}
	m, err := e.Memory(abi.InitSlotSystem)
	if err != nil {
		fatal("%v", err)
	}
	// skyaifsd gets a quarter of the free memory: SKYAIFS holds what was written since
	// its last commit in memory, and Go's os tests write tens of MiB between fsyncs.
	fsMem := (m.Total - m.RootUsed) / 4 &^ (abi.PageSize - 1)
	tasks, err := storage.Start(e, abi.InitSlotSystem, abi.InitSlotIRQControl, runSlots, storage.FS{Memory: fsMem, Ended: fsEndedSlot, Clients: []abi.Badge{linuxBadge}})
	if err != nil {
		fatal("%v", err)
	}
	if err := storage.Client(e, runSlots, abi.ProcessSlotFiles, linuxBadge); err != nil {
		fatal("the file service: %v", err)
	}
	fmt.Printf("init: started the disk driver (task %d) and the filesystem (task %d); /tmp is SKYAIFS\n", tasks.Blkd, tasks.Skyaifsd)
	if m, err = e.Memory(abi.InitSlotSystem); err != nil {
		fatal("%v", err)
	}
	mem := (m.Total - m.RootUsed) / 4 * 3 &^ (abi.PageSize - 1)
	id, err := e.StartProgram(abi.InitSlotSystem, argv, mem, 0, progEndedSlot)
	if err != nil {
		fatal("starting %s: %v", argv[0], err)
	}
	for {
		word, err := e.Wait(shellExit)
		if err != nil {
			fatal("waiting for %s: %v", argv[0], err)
		}
		if word&fsEnded != 0 {
			// The filesystem is gone: destroying its endpoint ends the calls waiting
			// on it, and the program's later file calls fail (EIO), rather than wait
			// for a server that will not come.
			fmt.Println("init: the filesystem task ended; file calls in /tmp fail from now on")
			e.Revoke(abi.InitSlotCSpace, runSlots.FileEP)
			e.Delete(abi.InitSlotCSpace, runSlots.FileEP)
			e.Delete(abi.InitSlotCSpace, runSlots.FileRecv)
		}
		if word&progEnded != 0 {
			break
		}
	}
	_, status, err := e.TaskStatus(abi.InitSlotSystem, id)
	if err != nil {
		fatal("%s: %v", argv[0], err)
	}
	return int(status)
}
