// Package storage starts the machine's storage tasks — blkd, the disk driver, and
// skyaifsd, the filesystem — for the task that holds the System object and the IRQ
// control (init in run mode, the shell):
//
//	clients ──file protocol──▶ skyaifsd ──block protocol──▶ blkd ──virtio──▶ disk
//
// blkd gets the disk's Device capability and the handler of its interrupt line and
// nothing else; skyaifsd gets only a capability to call blkd, its own endpoint (to
// serve, and to send itself wake-ups) and,
// if the starter runs a storage vault, a capability to derive its key-encryption keys
// from it.
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
	FSGrants                  abi.CPtr // skyaifsd's grant space (used only with FS.Vault)
}

// FS configures skyaifsd.
type FS struct {
	// Memory is its budget, passed on as -memory: skyaifsd bounds the data written
	// since its last commit (and its metadata cache) by it, committing early.
	Memory uint64
	// Ended, if not 0, is a notification capability signalled when skyaifsd ends.
	Ended abi.CPtr
	// Clients are the badges it serves; each sees the whole filesystem.
	Clients []abi.Badge
	// Admin may register containers' views, Coordinator may run two-phase
	// transactions, Supervisor may report that a client's task ended (0: nobody).
	Admin, Coordinator, Supervisor abi.Badge
	// Vault, if not 0, is a capability to the storage vault skyaifsd takes its
	// key-encryption keys from (granted third).
	Vault abi.CPtr
}

// BlockBadge is the badge of skyaifsd's capability to blkd (the one client blkd
// serves).
const BlockBadge = 1

// BlkdMemory is blkd's budget.
const BlkdMemory = 16 << 20

// Tasks are the started tasks' ids.
type Tasks struct{ Blkd, Skyaifsd uint64 }

// Start finds the first virtio-blk disk, claims its interrupt line with irqControl,
// and starts blkd and skyaifsd (which formats an empty disk) configured by fs. With an
// error, whatever started is ended again.
func Start(e *user.Env, sys, irqControl abi.CPtr, s Slots, fs FS) (Tasks, error) {
	const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
	for _, c := range []abi.CPtr{s.DiskDev, s.DiskIRQ, s.BlkEP, s.BlkRecv, s.BlkClient, s.BlkGrants, s.FileEP, s.FileRecv, s.FSGrants} {
		if c == 0 {
			continue
		}
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
		// Read to serve; Write so that skyaifsd can send itself the wake-ups that
		// release I/O it holds for containers over their rate (fileproto.Config.Timer).
		func() error { return e.Copy(cs, s.FileRecv, cs, s.FileEP, abi.RightRead|abi.RightWrite) },
	}
	if fs.Vault != 0 {
		if s.FSGrants == 0 {
			return Tasks{}, fmt.Errorf("storage: a vault needs Slots.FSGrants")
		}
		steps = append(steps,
			func() error { return e.Retype(ut, abi.ObjCSpace, 2, cs, s.FSGrants, 1) },
			func() error { return e.Copy(s.FSGrants, 1, cs, s.FileRecv, abi.AllRights) },
			func() error { return e.Copy(s.FSGrants, 2, cs, fs.Vault, abi.AllRights) })
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
	if fs.Memory != 0 {
		argv = append(argv, "-memory", strconv.FormatUint(fs.Memory, 10))
	}
	for _, b := range fs.Clients {
		argv = append(argv, "-client", strconv.FormatUint(uint64(b), 10))
	}
	if fs.Admin != 0 {
		argv = append(argv, "-admin", strconv.FormatUint(uint64(fs.Admin), 10))
	}
	if fs.Coordinator != 0 {
		argv = append(argv, "-coordinator", strconv.FormatUint(uint64(fs.Coordinator), 10))
	}
	if fs.Supervisor != 0 {
		argv = append(argv, "-supervisor", strconv.FormatUint(uint64(fs.Supervisor), 10))
	}
	if fs.Vault != 0 {
		argv = append(argv, "-vault")
		t.Skyaifsd, err = e.StartProgramWith(sys, argv, fs.Memory, 0, fs.Ended, s.BlkClient, s.FSGrants)
	} else {
		t.Skyaifsd, err = e.StartProgram(sys, argv, fs.Memory, 0, fs.Ended, s.BlkClient, s.FileRecv)
	}
	if err != nil {
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
