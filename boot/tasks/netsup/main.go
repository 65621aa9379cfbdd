// Command netsup is the NIC supervisor task (container/netsup): the virtual switch
// between containers' vNICs, applying each vNIC's policy (anti-spoofing, the Allow
// prefixes of sender and receiver) and charging each frame to the sending container's
// I/O rates. The shell starts it the first time ctr run --net NAME asks for a vNIC.
//
// Slots it is started with: abi.InitFirstFree, its endpoint (Read, Write and
// GrantReply, unbadged: it mints the vNICs' capabilities from it). It holds nothing
// else of the machine: no System object, no device.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/skyscope-os/skyscope/container/netsup"
	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"golang.org/x/sys/unix"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: netsup (started by the shell for ctr run --net; takes no arguments)")
		os.Exit(2)
	}
	if err := netsup.RunTask(usercall.Env(), sinceBoot); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		os.Exit(1)
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
