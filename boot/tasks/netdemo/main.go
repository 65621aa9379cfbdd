// Command netdemo is the boot bundle's network demo image (container/netsup/netdemo),
// run in a container with a vNIC (ctr run --net eth0 --allow CIDR netdemo MODE):
//
//	netdemo echo [-n N]                      answer UDP datagrams to port 7 (N: then exit; 0 forever)
//	netdemo ping [-to 10.88.0.2] [-n 1000] [-size 64]
//	                                         send datagrams to the echo server and time the round trips
//	netdemo hostile [-deny 8.8.8.8,2001:db8::1]
//	                                         try to get frames across against policy (spoofed source
//	                                         IP and MAC, denied destinations, a malformed frame) and to
//	                                         use the vNIC capability as the controller; without a vNIC,
//	                                         call every endpoint capability it holds as a vNIC would
//
// ctr grants the console at abi.InitFirstFree and the vNIC's endpoint at
// abi.InitFirstFree+1.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/container/netsup/netdemo"
	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"golang.org/x/sys/unix"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: netdemo echo [-n N] | ping [-to ADDR] [-n N] [-size BYTES] | hostile [-deny ADDR,...]")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet("netdemo "+mode, flag.ExitOnError)
	n := fs.Int("n", 0, "datagrams (echo: 0 answers forever; ping: default 1000)")
	to := fs.String("to", "10.88.0.2", "ping: the echo server's address")
	size := fs.Int("size", 64, "ping: bytes of data per datagram")
	deny := fs.String("deny", "8.8.8.8,2001:db8::1", "hostile: destinations its Allow list does not include")
	fs.Parse(os.Args[2:])
	d := netdemo.Env{E: usercall.Env(), Now: sinceBoot, Sleep: time.Sleep, Print: func(s string) { fmt.Println(s) },
		Slots: 1 << abi.ProcessCSpaceRadix}
	switch mode {
	case "echo":
		if err := netdemo.Echo(d, *n); err != nil {
			fmt.Printf("udpecho: %v\n", err)
			os.Exit(1)
		}
	case "ping":
		if *n == 0 {
			*n = 1000
		}
		a, err := netip.ParseAddr(*to)
		if err != nil || *n < 1 || *size < 1 {
			fmt.Fprintln(os.Stderr, "netdemo ping: want -to ADDR, -n ≥ 1, -size ≥ 1")
			os.Exit(2)
		}
		r, err := netdemo.Ping(d, netip.AddrPortFrom(a, netdemo.EchoPort), *n, *size)
		if err != nil {
			fmt.Printf("udpping: %v\n", err)
			os.Exit(1)
		}
		fmt.Printf("udpping: %v\n", r)
	case "hostile":
		var addrs []netip.Addr
		for _, s := range strings.Split(*deny, ",") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				fmt.Fprintf(os.Stderr, "netdemo hostile: -deny %q: %v\n", s, err)
				os.Exit(2)
			}
			addrs = append(addrs, a)
		}
		if _, breaches := netdemo.Hostile(d, addrs); breaches > 0 {
			os.Exit(1)
		}
	default:
		usage()
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
