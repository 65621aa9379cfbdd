// Command registry is the service registry task (pipeline/registry): service name →
// the stable endpoint clients call, and the live update that swaps the version
// serving it without losing a call. The module manager starts it with the machine's
// System object and a receive-only capability to its endpoint, and is the only one to
// hold a capability to call it (badged to update). The registry starts each version
// itself from the image the manager put into the kernel's image cache.
package main

import (
	"fmt"
	"os"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/pipeline/registry"
)

// readyPolls bounds a new version's initialisation: polls of its report, each a
// yield of the CPU to it and everything else.
const readyPolls = 20_000

func main() {
	if len(os.Args) > 1 {
		fmt.Println("usage: registry (started by the module manager with the System object and its request endpoint)")
		return
	}
	err := registry.RunTask(usercall.Env(), readyPolls, 0, func(l string) { fmt.Println("registry: " + l) })
	fmt.Fprintf(os.Stderr, "registry: %v\n", err)
	os.Exit(1)
}
