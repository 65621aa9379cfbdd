// Command ctrbench measures, run as init under QEMU, what a container costs on the
// machine: N times, create a container, start a copy of this program in it (which
// exits at once), wait for it and destroy the container; it prints the TSC ticks per
// cycle (instructions under -icount shift=0) and the free memory before and after.
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "exit" {
		return // the program each container runs
	}
	n := 20
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	e := usercall.Env()
	const ctr, ntfn = abi.CPtr(20), abi.CPtr(21)
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, ntfn, 1); err != nil {
		fmt.Println("ctrbench:", err)
		os.Exit(1)
	}
	before, _ := e.Memory(abi.InitSlotSystem)
	limits := abi.ContainerLimits{Memory: 32 << 20, MaxTasks: 4, Priority: 100}
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := e.CreateContainer(abi.InitSlotSystem, "bench", limits, ctr); err != nil {
			fmt.Println("ctrbench: create:", err)
			os.Exit(1)
		}
		if _, err := e.StartInContainer(ctr, []string{"ctrbench", "exit"}, 0, 100, 0, ntfn); err != nil {
			fmt.Println("ctrbench: start:", err)
			os.Exit(1)
		}
		e.Wait(ntfn)
		if err := e.DestroyContainer(ctr); err != nil {
			fmt.Println("ctrbench: destroy:", err)
			os.Exit(1)
		}
		e.Delete(abi.InitSlotCSpace, ctr)
	}
	el := time.Since(start)
	after, _ := e.Memory(abi.InitSlotSystem)
	fmt.Printf("ctrbench: %d container create+start+exit+destroy cycles, %d ns of guest time each; free frames %d KiB before, %d KiB after\n",
		n, el.Nanoseconds()/int64(n), before.Free>>10, after.Free>>10)
}
