// Command kernel is the Skyscope kernel image for x86_64 PCs. It is built with the
// standard Go toolchain as a static GOOS=linux program linked in the upper half
// (make kernel → build/skyscope.elf) and booted by the loader in boot/loader.
package main

import (
	"fmt"
	"runtime"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64"
)

// Version is the kernel's version, set by the build (-X main.Version=...).
var Version = "dev"

func main() {
	total, free := amd64.MemoryStats()
	fmt.Printf("skyscope: kernel %s (Go %s), %d MiB memory, %d MiB free, TSC %d MHz\n",
		Version, runtime.Version(), total>>20, free>>20, amd64.TSCHz()/1e6)
	done := make(chan int)
	for i := 0; i < 4; i++ {
		go func(i int) {
			time.Sleep(time.Duration(10*(i+1)) * time.Millisecond)
			done <- i
		}(i)
	}
	for i := 0; i < 4; i++ {
		fmt.Println("goroutine", <-done, "woke")
	}
	runtime.GC()
	fmt.Println("skyscope: ticks", amd64.Ticks())
	amd64.Shutdown(0)
}
