package main

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"github.com/skyscope-os/skyscope/skyaifs/twophase"
)

// The region command: a persistent memory region bound to a new file, made with the
// two-phase commit between the coordinator (the shell, a trusted task acting for the
// kernel, which owns the frames) and skyaifsd (the participant, which reserves the
// file). docs/SKYAIFS.md, "Two-phase commit".

// Slots and address of the one region the shell keeps bound at a time.
const (
	regionFirstSlot abi.CPtr = 280
	regionMaxBytes           = 64 << 10
	regionSlots              = regionMaxBytes/abi.PageSize + 1 // frames and their capability space
	regionVA                 = abi.FrameWindow + 0x200_0000
)

// regionTxID names the transaction for path: the same path is the same transaction,
// so running region again after a crash or a reboot finishes or re-binds it.
func regionTxID(path string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(path))
	return h.Sum64() | 1 // never 0
}

// region PATH SIZE: create PATH (SIZE bytes, at most 64 KiB) and bind frames to it, or
// re-bind a region made before.
func (s *shell) region(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: region PATH SIZE")
	}
	size, err := strconv.ParseUint(args[1], 0, 64)
	if err != nil || size == 0 || size > regionMaxBytes {
		return fmt.Errorf("region: size %q: want 1 to %d bytes", args[1], regionMaxBytes)
	}
	if _, err := s.disk(); err != nil {
		return err
	}
	tx := &fileproto.Tx{C: s.files, ID: regionTxID(args[0]), Path: args[0], Size: size}
	d, err := tx.Run()
	if err != nil {
		return fmt.Errorf("region %s: transaction %#x: %w (run region again to finish it)", args[0], tx.ID, err)
	}
	if d != twophase.Commit {
		fmt.Fprintf(s.out, "region %s: transaction %#x ABORT (the path exists, or its directory does not)\n", args[0], tx.ID)
		return nil
	}
	const cs = abi.InitSlotCSpace
	for c := regionFirstSlot; c < regionFirstSlot+regionSlots; c++ {
		s.e.Delete(cs, c) // the previous region's frames, unmapped with their last capability
	}
	slots := &user.Slots{Next: regionFirstSlot, Limit: regionFirstSlot + regionSlots}
	r, err := tx.BindRegion(s.e, slots, abi.InitSlotUntyped, cs, abi.InitSlotAddressSpace, regionVA)
	if err != nil {
		return fmt.Errorf("region %s: committed, but binding its frames: %w", args[0], err)
	}
	fmt.Fprintf(s.out, "region %s: transaction %#x COMMIT; %d bytes bound to %d frames at %#x\n", args[0], tx.ID, size, r.OutPages, r.OutputVA())
	return nil
}

// rm removes a file of the disk; if a region command made it, the coordinator's record
// of that transaction goes too (Tx.Forget): nothing is left to re-bind, and region
// PATH afterwards makes a new one.
func (s *shell) rm(args []string) error {
	if err := fileCommand("rm")(s, args); err != nil {
		return err
	}
	if len(args) != 1 {
		return nil
	}
	tx := &fileproto.Tx{C: s.files, ID: regionTxID(args[0]), Path: args[0]}
	if err := tx.Forget(); err != nil {
		return fmt.Errorf("rm %s: removed, but its region record stays: %w", args[0], err)
	}
	return nil
}
