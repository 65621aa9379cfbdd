// Command spin is a demo image of the boot bundle: a CPU hog. Run in a container
// (ctr run --cpu 20% spin) it shows the container's CPU budget holding it to its
// share while its neighbours keep theirs (ctr stats). It computes until its
// container is asked to stop (ctr stop), printing progress rarely so that its output
// does not disturb what it measures.
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
	every := flag.Duration("report", 10*time.Second, "print progress this often (0: never)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: spin [-report EVERY] — burn CPU until the container is asked to stop (ctr run --cpu 20% spin)")
		flag.PrintDefaults()
	}
	flag.Parse()
	e := usercall.Env()
	start := time.Now()
	next := start.Add(*every)
	var rounds, x uint64
	for {
		// A few milliseconds of arithmetic between looks at the stop notification:
		// the look is a system call, rare enough not to count.
		for range 1 << 20 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		rounds++
		if w, _ := e.Poll(abi.ContainerSlotStop); w&abi.ContainerStopBadge != 0 {
			fmt.Printf("spin: asked to stop after %d rounds in %v; exiting\n", rounds, time.Since(start).Round(time.Millisecond))
			return
		}
		if *every > 0 && time.Now().After(next) {
			fmt.Printf("spin: %d rounds in %v (%x)\n", rounds, time.Since(start).Round(time.Second), x>>60)
			next = time.Now().Add(*every)
		}
	}
}
