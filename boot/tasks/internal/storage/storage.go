// Package storage starts the machine's storage tasks — blkd, the disk driver, and
// skyaifsd, the filesystem — for the task that holds the System object and the IRQ
// control (init in run mode, the shell):
//
//	clients ──file protocol──▶ skyaifsd ──block protocol──▶ blkd ──virtio──▶ disk
//
// blkd gets the disk's Device capability and the handler of its interrupt line and
// nothing else; skyaifsd gets only a capability to call blkd and its own endpoint.
// The starter keeps the file endpoint and mints a badged capability to it for each
// client skyaifsd serves.
package storage

import (
	"fmt"
	"strconv"

	"github.com/skyscope-os/skyscope/hal/virtio"
	"github.com/skyscope-os/skyscope/hal/virtio/userbus"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Slots names eight empty slots of the starter's capability space the tasks' setup
// uses; FileEP holds the file endpoint afterwards (all rights).
type Slots struct {
	DiskDev, DiskIRQ          abi.CPtr // the disk's Device capability and its interrupt line's handler
	BlkEP, BlkRecv, BlkClient abi.CPtr // blkd's endpoint; receive only, for blkd; badged, for skyaifsd
	BlkGrants                 abi.CPtr // blkd's grant space
	FileEP, FileRecv          abi.CPtr // skyaifsd's endpoint; receive only, for skyaifsd
}

// BlockBadge is the badge of skyaifsd's capability to blkd (the one client blkd
// serves).
const BlockBadge = 1

// BlkdMemory is blkd's budget.
const BlkdMemory = 16 << 20

// Tasks are the started tasks' ids.
type Tasks struct{ Blkd, Skyaifsd uint64 }

// Start finds the first virtio-blk disk, claims its interrupt line with irqControl,
// and starts blkd and skyaifsd (which formats an empty disk, with fsMemory of budget:
// SKYAIFS keeps the data written since its last commit in memory) serving the clients
// with the badges given (each sees the whole filesystem). fsEnded, if not 0, is a
// notification capability signalled when skyaifsd ends. With an error, whatever
// started is ended again.
func Start(e *user.Env, sys, irqControl abi.CPtr, s Slots, fsMemory uint64, fsEnded abi.CPtr, badges ...abi.Badge) (Tasks, error) {
	const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
	for _, c := range []abi.CPtr{s.DiskDev, s.DiskIRQ, s.BlkEP, s.BlkRecv, s.BlkClient, s.BlkGrants, s.FileEP, s.FileRecv} {
		e.Delete(cs, c)
	}
	info, err := userbus.Find(e, sys, virtio.Vendor, virtio.IDBlock, s.DiskDev)
	if err != nil {
		return Tasks{}, fmt.Errorf("no disk: %w (make run attaches build/disk.img; skyrun takes -disk FILE or -fs)", err)
	}
	if irqControl == 0 {
		return Tasks{}, fmt.Errorf("no IRQ control to give the disk driver its interrupt line")
	}
	if err := e.IRQHandler(irqControl, int(info.IRQ), cs, s.DiskIRQ); err != nil {
		return Tasks{}, fmt.Errorf("the disk's interrupt line %d: %w", info.IRQ, err)
	}
	steps := []func() error{
		func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, s.BlkEP, 1) },
		func() error { return e.Copy(cs, s.BlkRecv, cs, s.BlkEP, abi.RightRead) },
		func() error { return e.Mint(cs, s.BlkClient, cs, s.BlkEP, abi.RightWrite|abi.RightGrant, BlockBadge) },
		func() error { return e.Retype(ut, abi.ObjCSpace, 2, cs, s.BlkGrants, 1) },
		func() error { return e.Copy(s.BlkGrants, 1, cs, s.DiskDev, abi.AllRights) },
		func() error { return e.Copy(s.BlkGrants, 2, cs, s.DiskIRQ, abi.AllRights) },
		func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, s.FileEP, 1) },
		func() error { return e.Copy(cs, s.FileRecv, cs, s.FileEP, abi.RightRead) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return Tasks{}, fmt.Errorf("preparing the storage tasks: %w", err)
		}
	}
	var t Tasks
	if t.Blkd, err = e.StartProgramWith(sys, []string{"blkd", "-client", strconv.Itoa(BlockBadge)}, BlkdMemory, 0, 0, s.BlkRecv, s.BlkGrants); err != nil {
		return Tasks{}, fmt.Errorf("starting the disk driver: %w", err)
	}
	argv := []string{"skyaifsd"}
	for _, b := range badges {
		argv = append(argv, "-client", strconv.FormatUint(uint64(b), 10))
	}
	if t.Skyaifsd, err = e.StartProgram(sys, argv, fsMemory, 0, fsEnded, s.BlkClient, s.FileRecv); err != nil {
		e.Kill(sys, t.Blkd)
		return Tasks{}, fmt.Errorf("starting the filesystem: %w", err)
	}
	return t, nil
}

// Client mints into slot dst a capability to call skyaifsd as the client with badge
// (Write and Grant: a client grants its buffer).
func Client(e *user.Env, s Slots, dst abi.CPtr, badge abi.Badge) error {
	return e.Mint(abi.InitSlotCSpace, dst, abi.InitSlotCSpace, s.FileEP, abi.RightWrite|abi.RightGrant, badge)
}
