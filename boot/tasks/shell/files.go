package main

import (
	"fmt"

	"github.com/skyscope-os/skyscope/boot/tasks/internal/storage"
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

// skyaifsdMemory is the filesystem task's budget (blkd's is storage.BlkdMemory).
const skyaifsdMemory = 32 << 20

// storageSlots are the shell's slots for the storage tasks' setup.
var storageSlots = storage.Slots{DiskDev: diskDevSlot, DiskIRQ: diskIRQSlot, BlkEP: blkEPSlot,
	BlkRecv: blkRecvSlot, BlkClient: blkClientSlot, BlkGrants: blkGrantsSlot, FileEP: fileEPSlot,
	FileRecv: fileRecvSlot}

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
	if s.irqControl == 0 {
		return nil, fmt.Errorf("the shell holds no IRQ control to give the disk driver its interrupt line")
	}
	tasks, err := storage.Start(e, s.sys, s.irqControl, storageSlots, skyaifsdMemory, 0, storageBadge, linuxBadge)
	if err != nil {
		return nil, explain(err)
	}
	blkd, fsd := tasks.Blkd, tasks.Skyaifsd
	if err := storage.Client(e, storageSlots, fileClientSlot, storageBadge); err != nil {
		e.Kill(s.sys, fsd)
		e.Kill(s.sys, blkd)
		return nil, fmt.Errorf("the filesystem task: %w", explain(err))
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
	if err := storage.Client(e, storageSlots, abi.ProcessSlotFiles, linuxBadge); err != nil {
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
