// Command compressd is the deep-compression service task (compress/service): callers
// send a compressed blob in a region of their memory they share by capability and get
// the plain data back in the same region's output pages, decoded with hard limits
// (window, plain size, ratio) and its SHA3-512 checked. The module manager starts it
// with a receive-only capability to its endpoint.
package main

import (
	"fmt"
	"os"

	"github.com/skyscope-os/skyscope/compress/service"
	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Println("usage: compressd (started by the module manager with its request endpoint)")
		return
	}
	err := service.RunTask(usercall.Env(), abi.FrameWindow)
	fmt.Fprintf(os.Stderr, "compressd: %v\n", err)
	os.Exit(1)
}
