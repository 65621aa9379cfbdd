package main

import (
	"fmt"

	"github.com/skyscope-os/skyscope/hal/virtio"
	"github.com/skyscope-os/skyscope/hal/virtio/userbus"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"github.com/skyscope-os/skyscope/skyaifs/fscmd"
)

// The shell's files: the first file command starts the storage tasks and becomes a
// client of the filesystem task.
//
//	shell ──file protocol──▶ skyaifsd ──block protocol──▶ blkd ──virtio──▶ disk
//
// blkd gets the disk's Device capability and the handler of its interrupt line (the
// shell claims it with the IRQ control init gave it) and nothing else; skyaifsd gets
// only a capability to call blkd and its own endpoint, so neither the filesystem nor
// the shell touches the device, and a fault in the driver cannot reach the
// filesystem's memory.

// Slots of the shell's capability space for the storage tasks, clear of the ones ctr
// (100–199) and peek take.
const (
	diskDevSlot    abi.CPtr = 210 // the disk's Device capability
	diskIRQSlot    abi.CPtr = 211 // its interrupt line's handler
	blkEPSlot      abi.CPtr = 212 // blkd's endpoint
	blkRecvSlot    abi.CPtr = 213 // … receive only, for blkd
	blkClientSlot  abi.CPtr = 214 // … badged, for skyaifsd
	blkGrantsSlot  abi.CPtr = 215 // blkd's grant space
	fileEPSlot     abi.CPtr = 216 // skyaifsd's endpoint
	fileRecvSlot   abi.CPtr = 217 // … receive only, for skyaifsd
	fileClientSlot abi.CPtr = 218 // … badged: the shell's
	fileScratch    abi.CPtr = 219
	fileFirstSlot  abi.CPtr = 220 // and up: the shell's file buffer
)

// storageBadge is the badge of the one client each storage server serves; skyaifsd
// also serves linuxBadge, the Linux programs the shell starts (kernel/linux: SKYAIFS
// behind their /tmp, in one session the personality keeps).
const (
	storageBadge = 1
	linuxBadge   = 2
)

// Budgets of the storage tasks.
const (
	blkdMemory     = 16 << 20
	skyaifsdMemory = 32 << 20
)

// filePages is the shell's file buffer: 128 KiB per request.
const filePages = fileproto.MaxBufferPages

// files returns the filesystem task's client, starting the storage tasks first.
func (s *shell) disk() (fscmd.Files, error) {
	if s.files != nil {
		return fscmd.Remote{C: s.files}, nil
	}
	const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
	e := s.e
	for c := diskDevSlot; c < fileFirstSlot+filePages+2; c++ {
		e.Delete(cs, c)
	}
	info, err := userbus.Find(e, s.sys, virtio.Vendor, virtio.IDBlock, diskDevSlot)
	if err != nil {
		return nil, fmt.Errorf("no disk: %w (make run attaches build/disk.img; skyrun takes -disk FILE)", err)
	}
	if s.irqControl == 0 {
		return nil, fmt.Errorf("the shell holds no IRQ control to give the disk driver its interrupt line")
	}
	if err := e.IRQHandler(s.irqControl, int(info.IRQ), cs, diskIRQSlot); err != nil {
		return nil, fmt.Errorf("the disk's interrupt line %d: %w", info.IRQ, explain(err))
	}
	steps := []func() error{
		func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, blkEPSlot, 1) },
		func() error { return e.Copy(cs, blkRecvSlot, cs, blkEPSlot, abi.RightRead) },
		func() error {
			return e.Mint(cs, blkClientSlot, cs, blkEPSlot, abi.RightWrite|abi.RightGrant, storageBadge)
		},
		func() error { return e.Retype(ut, abi.ObjCSpace, 2, cs, blkGrantsSlot, 1) },
		func() error { return e.Copy(blkGrantsSlot, 1, cs, diskDevSlot, abi.AllRights) },
		func() error { return e.Copy(blkGrantsSlot, 2, cs, diskIRQSlot, abi.AllRights) },
		func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, fileEPSlot, 1) },
		func() error { return e.Copy(cs, fileRecvSlot, cs, fileEPSlot, abi.RightRead) },
		func() error {
			return e.Mint(cs, fileClientSlot, cs, fileEPSlot, abi.RightWrite|abi.RightGrant, storageBadge)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("preparing the storage tasks: %w", explain(err))
		}
	}
	badge := fmt.Sprint(storageBadge)
	blkd, err := e.StartProgramWith(s.sys, []string{"blkd", "-client", badge}, blkdMemory, 0, 0, blkRecvSlot, blkGrantsSlot)
	if err != nil {
		return nil, fmt.Errorf("starting the disk driver: %w", explain(err))
	}
	fsd, err := e.StartProgram(s.sys, []string{"skyaifsd", "-client", badge, "-client", fmt.Sprint(linuxBadge)}, skyaifsdMemory, 0, 0, blkClientSlot, fileRecvSlot)
	if err != nil {
		e.Kill(s.sys, blkd)
		return nil, fmt.Errorf("starting the filesystem: %w", explain(err))
	}
	slots := &user.Slots{Next: fileFirstSlot, Limit: fileFirstSlot + filePages + 2}
	r, err := e.NewRegion(slots, ut, cs, abi.InitSlotAddressSpace, fileBufferVA, 0, filePages)
	if err == nil {
		s.files, err = fileproto.Attach(e, fileClientSlot, r, cs, fileScratch)
	}
	if err != nil {
		e.Kill(s.sys, fsd)
		e.Kill(s.sys, blkd)
		return nil, fmt.Errorf("the filesystem task: %w", err)
	}
	fmt.Fprintf(s.out, "started the disk driver (task %d) and the filesystem (task %d)\n", blkd, fsd)
	// The programs the shell starts from now on inherit this file service (the
	// personality looks for it at abi.ProcessSlotFiles): their /tmp is this disk's.
	e.Delete(cs, abi.ProcessSlotFiles)
	if err := e.Mint(cs, abi.ProcessSlotFiles, cs, fileEPSlot, abi.RightWrite|abi.RightGrant, linuxBadge); err != nil {
		fmt.Fprintf(s.out, "programs keep the in-memory /tmp: %v\n", explain(err))
	}
	return fscmd.Remote{C: s.files}, nil
}

// fileBufferVA is where the shell maps its file buffer: in the frame window, after the
// page peek maps.
const fileBufferVA = abi.FrameWindow + 64*abi.PageSize

// fileCommand runs one of fscmd's commands under the shell's own name for it.
func fileCommand(name string) func(s *shell, args []string) error {
	return func(s *shell, args []string) error {
		f, err := s.disk()
		if err != nil {
			return err
		}
		return fscmd.Run(f, s.out, append([]string{name}, args...))
	}
}

// unmountFiles makes everything written durable before the machine powers off: the
// filesystem task syncs the disk.
func (s *shell) unmountFiles() error {
	if s.files == nil {
		return nil
	}
	if err := s.files.Sync(); err != nil {
		return fmt.Errorf("syncing the disk: %w", err)
	}
	return nil
}
