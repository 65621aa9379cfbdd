// Command memhog is a demo image of the boot bundle: it allocates memory and touches
// every page of it, a step at a time, printing how much it holds, until it is stopped
// or its container's out-of-memory policy ends it. Run in a container (ctr run --mem
// 32M memhog) it shows the limit holding: the page fault past the limit finds no
// memory in the container's budget, and the kernel kills the container (ctr inspect
// counts the limit hit and the OOM kill). With -max it stops growing at that size and
// waits to be stopped instead.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

func main() {
	step := flag.Int("step", 2<<20, "bytes to allocate and touch at each step")
	pause := flag.Duration("pause", 50*time.Millisecond, "wait between steps")
	limit := flag.Int("max", 0, "stop growing at this many bytes and wait to be stopped (0: grow until killed)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: memhog [-step BYTES] [-pause D] [-max BYTES] — allocate until stopped or killed (ctr run --mem 32M memhog)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *step <= 0 {
		fmt.Fprintln(os.Stderr, "memhog: -step must be positive")
		os.Exit(2)
	}
	e := usercall.Env()
	var held [][]byte // kept reachable so the garbage collector frees none of it
	total := 0
	for *limit == 0 || total+*step <= *limit {
		b := make([]byte, *step)
		// Touch every page: the kernel allocates a page at its first touch, and that
		// is where the container's limit is met.
		for i := 0; i < len(b); i += abi.PageSize {
			b[i] = 1
		}
		held = append(held, b)
		total += *step
		fmt.Printf("memhog: holding %d MiB\n", total>>20)
		if w, _ := e.Poll(abi.ContainerSlotStop); w&abi.ContainerStopBadge != 0 {
			fmt.Println("memhog: asked to stop; exiting")
			return
		}
		time.Sleep(*pause)
	}
	fmt.Printf("memhog: reached -max with %d MiB in %d steps; waiting to be stopped\n", total>>20, len(held))
	_, _ = e.Wait(abi.ContainerSlotStop)
}
