package main

import (
	"fmt"
	"time"

	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/container/netsup"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Slots of the shell's capability space that ctr keeps its containers, their exit
// notifications and link ends in (below scratchSlot).
const (
	ctrFirstSlot = 100
	ctrEndSlot   = scratchSlot
)

// ctr runs the container command (package container/ctr) with the shell's System
// object, budget and console, and the boot bundle's signed images (bundleImages); its
// state lives as long as the shell.
func (s *shell) ctr(args []string) error {
	if s.ctl == nil {
		if s.images == nil {
			s.images = &bundleImages{s: s}
		}
		s.ctl = &ctr.Ctl{Images: s.images, E: s.e, Sys: s.sys, Untyped: abi.InitSlotUntyped, CSpace: abi.InitSlotCSpace, Console: s.console,
			Slots: [2]uint64{ctrFirstSlot, uint64(ctrEndSlot)}, Out: s.out, Now: s.uptime, Sleep: time.Sleep, Net: s.net,
			Mount: s.mountView, Unmount: s.unmountView, Ended: s.viewEnded}
	}
	return s.ctl.Run(args)
}

// Slots of the shell's capability space for the NIC supervisor (clear of the module
// manager's 90–93 and ctr's 100–199).
const (
	netEPSlot   abi.CPtr = 94 // its endpoint
	netRecvSlot abi.CPtr = 95 // scratch: the copy it is started with
	netCtlSlot  abi.CPtr = 96 // the controller's capability (badge netsup.ControlBadge)
)

// netsupMemory is the NIC supervisor's budget: a Go program's heap and its queues
// (at most netsup.MaxNICs × QueueLen frames of MaxFrame bytes: 1.5 MiB).
const netsupMemory = 16 << 20

// net returns the NIC supervisor's control client, starting the supervisor (the boot
// bundle's netsup) the first time a container asks for a vNIC.
func (s *shell) net() (*netsup.Control, error) {
	if s.netCtl != nil {
		return s.netCtl, nil
	}
	id, ctl, err := netsup.Start(s.e, s.sys, abi.InitSlotUntyped, abi.InitSlotCSpace, netEPSlot, netRecvSlot, netCtlSlot, "netsup", netsupMemory)
	if err != nil {
		return nil, explain(err)
	}
	fmt.Fprintf(s.out, "started the NIC supervisor (task %d)\n", id)
	s.netCtl = ctl
	return ctl, nil
}
