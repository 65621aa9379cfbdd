// Command counter is a demonstration service module for live updates: each call is
// answered with the number of calls answered before it and the version answering. Its
// versions are built from this one source (make modules sets version and selftest),
// and its count is handed to the next version in an update (the manifest declares
// state hand-over), so a client sees one unbroken sequence across updates. A version
// built with selftest=fail reports a failed self-test, and the update to it is rolled
// back.
package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/pipeline/registry"
)

// Set by the build (-X main.version=2 -X main.selftest=fail).
var (
	version  = "1"
	selftest = "pass"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Println("usage: counter (a service module: load counter, then update counter VERSION)")
		return
	}
	ver, _ := strconv.ParseUint(version, 10, 64)
	var n uint64
	e := usercall.Env()
	err := registry.DefaultVersion.RunWithState(e, func() bool { return selftest == "pass" },
		func(uint64, []uint64) []uint64 {
			n++
			return []uint64{n - 1, ver}
		},
		func() []byte {
			fmt.Printf("counter %s: drained after %d calls; handing the count over\n", version, n)
			return binary.LittleEndian.AppendUint64(nil, n)
		},
		func(st []byte) {
			if len(st) == 8 {
				n = binary.LittleEndian.Uint64(st)
				fmt.Printf("counter %s: took over the count at %d\n", version, n)
			}
		})
	if err == registry.ErrDrained {
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "counter %s: %v\n", version, err)
	os.Exit(1)
}
