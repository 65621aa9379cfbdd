package main

import (
	"time"

	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Slots of the shell's capability space that ctr keeps its containers, their exit
// notifications and link ends in (below scratchSlot).
const (
	ctrFirstSlot = 100
	ctrEndSlot   = scratchSlot
)

// ctr runs the container command (package container/ctr) with the shell's System
// object, budget and console; its state lives as long as the shell.
func (s *shell) ctr(args []string) error {
	if s.ctl == nil {
		s.ctl = &ctr.Ctl{E: s.e, Sys: s.sys, Untyped: abi.InitSlotUntyped, CSpace: abi.InitSlotCSpace, Console: s.console,
			Slots: [2]uint64{ctrFirstSlot, uint64(ctrEndSlot)}, Out: s.out, Now: s.uptime, Sleep: time.Sleep,
			Mount: s.mountView}
	}
	return s.ctl.Run(args)
}
