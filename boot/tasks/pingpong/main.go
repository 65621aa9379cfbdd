// Command pingpong is a demo image of the boot bundle: two processes of one container
// doing IPC. The first (ping) makes an endpoint, registers it as "pingpong" in its
// container's IPC names (through the container's System object), and starts its peer
// (pong: the same program with -peer) as a second task of the container; the peer
// looks the name up and calls the endpoint -n times, and ping answers each call
// with the word doubled. Ping prints the round trips and their time as the peer
// measured it. Names never cross a container boundary, so two pingpongs in two
// containers do not meet.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Name is the IPC name ping registers its endpoint under.
const Name = "pingpong"

// Slots of the program's capability space: ctr grants the console at
// abi.InitFirstFree; the objects pingpong makes or looks up go above it.
const (
	slotConsole = abi.InitFirstFree
	slotEP      = 16 // ping's endpoint; the peer's looked-up copy
	slotReply   = 17 // ping's reply object
	slotPeerEnd = 18 // a notification the peer's end signals
)

// lastLabel marks the peer's last call, which carries its measured time.
const lastLabel = 1

func main() {
	peer := flag.Bool("peer", false, "be the second process: look the endpoint up and call it (ping starts it so)")
	n := flag.Int("n", 10000, "round trips")
	hold := flag.Bool("hold", false, "after the round trips keep the name registered until the container is asked to stop")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: pingpong [-n ROUNDTRIPS] [-hold] — two processes of one container doing IPC (ctr run pingpong)")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *n < 1 {
		fmt.Fprintln(os.Stderr, "pingpong: -n must be at least 1")
		os.Exit(2)
	}
	e := usercall.Env()
	if *peer {
		os.Exit(pong(e, *n))
	}
	os.Exit(ping(e, *n, *hold))
}

// ping serves the endpoint it registered to the peer it started.
func ping(e *user.Env, n int, hold bool) int {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, abi.InitSlotCSpace, slotEP, 1); err != nil {
		return fail("making the endpoint: %v", err)
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReply, 1); err != nil {
		return fail("making the reply object: %v", err)
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, slotPeerEnd, 1); err != nil {
		return fail("making the notification: %v", err)
	}
	if err := e.RegisterName(abi.ContainerSlotSystem, Name, slotEP); err != nil {
		return fail("registering %q: %v", Name, err)
	}
	// The peer gets the console as ctr gave it to ping; it finds the endpoint by name.
	pid, err := e.StartProgram(abi.ContainerSlotSystem, []string{"pingpong", "-peer", "-n", strconv.Itoa(n)}, 0, 0, slotPeerEnd, slotConsole)
	if err != nil {
		return fail("starting the peer: %v", err)
	}
	calls := 0
	_, info, err := e.Recv(slotEP, slotReply)
	for err == nil {
		calls++
		if info.Label() == lastLabel {
			took := time.Duration(e.MR(0))
			_ = e.Reply(slotReply, abi.NewMsgInfo(0, 0, 0))
			fmt.Printf("pingpong: %d round trips with pid %d (found by IPC name %q) in %v, %v per round trip\n",
				calls-1, pid, Name, took.Round(time.Microsecond), took/time.Duration(max(calls-1, 1)))
			break
		}
		e.SetMR(0, 2*e.MR(0))
		_, info, err = e.ReplyRecv(slotEP, slotReply, abi.NewMsgInfo(0, 1, 0))
	}
	if err != nil {
		return fail("receiving call %d: %v", calls+1, err)
	}
	_, _ = e.Wait(slotPeerEnd)
	if hold {
		fmt.Printf("pingpong: holding %q until stopped\n", Name)
		_, _ = e.Wait(abi.ContainerSlotStop)
	}
	return 0
}

// pong calls ping's endpoint n times, checks every answer and sends the time taken
// in a last call.
func pong(e *user.Env, n int) int {
	var err error
	for tries := 0; tries < 100; tries++ {
		if err = e.LookupName(abi.ContainerSlotSystem, Name, abi.InitSlotCSpace, slotEP); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return fail("peer: looking up %q: %v", Name, err)
	}
	start := time.Now()
	for i := uint64(1); i <= uint64(n); i++ {
		e.SetMR(0, i)
		if _, err := e.Call(slotEP, abi.NewMsgInfo(0, 1, 0)); err != nil {
			return fail("peer: call %d: %v", i, err)
		}
		if got := e.MR(0); got != 2*i {
			return fail("peer: call %d answered %d, want %d", i, got, 2*i)
		}
	}
	e.SetMR(0, uint64(time.Since(start)))
	if _, err := e.Call(slotEP, abi.NewMsgInfo(lastLabel, 1, 0)); err != nil {
		return fail("peer: last call: %v", err)
	}
	return 0
}

func fail(format string, args ...any) int {
	fmt.Printf("pingpong: "+format+"\n", args...)
	return 1
}
