// Package demo holds the simulation's demo images, the programs `ctr run` starts in
// the hosted simulation (tools/skysim) and in the shell's tests:
//
//   - hello prints a line and exits 0;
//   - spin is a CPU hog: it computes until its container is asked to stop;
//   - memhog allocates memory until its budget refuses, then waits to be stopped;
//   - pingpong is two processes doing IPC: it starts pong in its container, finds
//     the endpoint pong registered as "pong" in the container's IPC names and calls
//     it 1,000 times.
//
// They expect what ctr gives a program it starts in a container: the console at slot
// abi.InitFirstFree (if granted), the container's System object at
// abi.ContainerSlotSystem and the stop notification at abi.ContainerSlotStop.
package demo

import (
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Slots the demo programs use in their own capability spaces.
const (
	slotConsole = abi.InitFirstFree // granted by ctr (and by pingpong to pong)
	slotFirst   = 16                // objects the programs make
	slotLast    = 255               // the loader's tasks have 2^8 slots
)

// RoundTrips is how many calls pingpong makes.
const RoundTrips = 1000

// Programs returns the demo programs by name.
func Programs() map[string]usersim.Program {
	return map[string]usersim.Program{
		"hello":    hello,
		"spin":     spin,
		"memhog":   memhog,
		"pingpong": ping,
		"pong":     pong,
	}
}

// Install registers the demo programs in programs at entry addresses from base on (a
// page apart) and returns the loader entries that name them.
func Install(programs map[uint64]usersim.Program, base uint64) map[string]uint64 {
	entries := map[string]uint64{}
	pc := base
	for _, name := range []string{"hello", "spin", "memhog", "pingpong", "pong"} {
		programs[pc] = Programs()[name]
		entries[name] = pc
		pc += abi.PageSize
	}
	return entries
}

func say(e *user.Env, cons abi.CPtr, format string, args ...any) {
	_ = e.Print(cons, fmt.Sprintf(format, args...)+"\n")
}

func hello(e *user.Env) {
	say(e, slotConsole, "hello from Skyscope, inside a container")
}

// spin computes in 1 ms steps and ends when its container is asked to stop.
func spin(e *user.Env) {
	for {
		e.Compute(1_000_000)
		if w, _ := e.Poll(abi.ContainerSlotStop); w&abi.ContainerStopBadge != 0 {
			say(e, slotConsole, "spin: asked to stop; exiting")
			return
		}
	}
}

// memhog takes its budget 64 KiB, then a page, at a time until it is refused, says
// how much it got and waits to be stopped.
func memhog(e *user.Env) {
	got := uint64(0)
	slot := abi.CPtr(slotFirst)
	for _, chunk := range []struct {
		typ  abi.ObjectType
		size uint64
	}{{abi.ObjUntyped, 64 << 10}, {abi.ObjFrame, abi.PageSize}} {
		for slot <= slotLast {
			if err := e.Retype(abi.InitSlotUntyped, chunk.typ, chunk.size, abi.InitSlotCSpace, slot, 1); err != nil {
				break
			}
			got += chunk.size
			slot++
		}
	}
	say(e, slotConsole, "memhog: took %d KiB; the memory limit refuses more; waiting to be stopped", got>>10)
	_, _ = e.Wait(abi.ContainerSlotStop)
}

// ping starts pong in its container, looks up the endpoint pong registers under
// PongName in the container's IPC names (waiting for pong to get there first) and
// calls it RoundTrips times; the last call (label 1) tells pong to end.
func ping(e *user.Env) {
	const ep = slotFirst
	pid, err := e.StartProgram(abi.ContainerSlotSystem, []string{"pong"}, 0, 0, 0, 0, slotConsole)
	if err != nil {
		say(e, slotConsole, "pingpong: starting pong: %v", err)
		return
	}
	for tries := 0; ; tries++ {
		err := e.LookupName(abi.ContainerSlotSystem, PongName, abi.InitSlotCSpace, ep)
		if err == nil {
			break
		}
		if tries == 1000 {
			say(e, slotConsole, "pingpong: looking up %q: %v", PongName, err)
			return
		}
		e.Yield()
	}
	sum := uint64(0)
	for i := uint64(1); i <= RoundTrips; i++ {
		e.SetMR(0, i)
		label := uint64(0)
		if i == RoundTrips {
			label = 1
		}
		if _, err := e.Call(ep, abi.NewMsgInfo(label, 1, 0)); err != nil {
			say(e, slotConsole, "pingpong: call %d: %v", i, err)
			return
		}
		sum += e.MR(0)
	}
	say(e, slotConsole, "pingpong: %d round trips with pong (pid %d), checksum %d", RoundTrips, pid, sum)
}

// PongName is the IPC name pong registers its endpoint under.
const PongName = "pong"

// pong registers an endpoint as PongName in its container's IPC names and answers
// each call on it with the word doubled, until a call with label 1.
func pong(e *user.Env) {
	const cons, reply, ep = abi.InitFirstFree, slotFirst, slotFirst + 1
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, reply, 1); err != nil {
		return
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, abi.InitSlotCSpace, ep, 1); err != nil {
		return
	}
	if err := e.RegisterName(abi.ContainerSlotSystem, PongName, ep); err != nil {
		say(e, cons, "pong: registering %q: %v", PongName, err)
		return
	}
	_, info, err := e.Recv(ep, reply)
	for err == nil {
		e.SetMR(0, 2*e.MR(0))
		if info.Label() == 1 {
			_ = e.Reply(reply, abi.NewMsgInfo(0, 1, 0))
			return
		}
		_, info, err = e.ReplyRecv(ep, reply, abi.NewMsgInfo(0, 1, 0))
	}
}
