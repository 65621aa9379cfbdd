package main

import (
	"fmt"
	"slices"

	"github.com/skyscope-os/skyscope/boot/tasks/internal/storage"
	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"github.com/skyscope-os/skyscope/skyaifs/fscmd"
	"github.com/skyscope-os/skyscope/skyaifs/vaultkeys"
	"github.com/skyscope-os/skyscope/skyaifs/view"
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
	// The storage vault (skyaifsd's key-encryption keys), after the file buffer.
	vaultEPSlot     abi.CPtr = 256 // its endpoint
	vaultRecvSlot   abi.CPtr = 257 // … receive only, for the vault
	vaultFSDSlot    abi.CPtr = 258 // … badged to derive from secret 0, for skyaifsd
	fsdGrantsSlot   abi.CPtr = 259 // skyaifsd's grant space: its endpoint, the vault
	storageLastSlot          = fsdGrantsSlot
)

// storageSecretFile is the storage vault's persistent secret in the boot bundle (made
// once per checkout: the Makefile's STORAGE_SECRET).
const storageSecretFile = "/keys/storage.secret"

// storageBadge is the badge of the one client each storage server serves; skyaifsd
// also serves linuxBadge, the Linux programs the shell starts (kernel/linux: SKYAIFS
// behind their /tmp, in one session the personality keeps).
const (
	storageBadge = 1
	linuxBadge   = 2
	// superBadge is skyaifsd's supervisor badge: the shell's relay reports the ends
	// of the tasks it started with a file view (fileproto.EndRelay).
	superBadge = 3
)

// Slots of the relay of task ends (clear of the region command's 280–297).
const (
	relayNotifySlot abi.CPtr = 320 // the notification the watched tasks' ends signal
	fileSuperSlot   abi.CPtr = 321 // skyaifsd's endpoint with superBadge
	relayFirstSlot  abi.CPtr = 384 // and up, fileproto.MaxRelayed: the notification minted 1<<bit
)

// Budgets of the storage tasks (blkd's is storage.BlkdMemory).
const (
	skyaifsdMemory = 32 << 20
	vaultMemory    = 16 << 20
)

// storageSlots are the shell's slots for the storage tasks' setup.
var storageSlots = storage.Slots{DiskDev: diskDevSlot, DiskIRQ: diskIRQSlot, BlkEP: blkEPSlot,
	BlkRecv: blkRecvSlot, BlkClient: blkClientSlot, BlkGrants: blkGrantsSlot, FileEP: fileEPSlot,
	FileRecv: fileRecvSlot, FSGrants: fsdGrantsSlot}

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
	for c := vaultEPSlot; c <= storageLastSlot; c++ {
		e.Delete(cs, c)
	}
	if s.irqControl == 0 {
		return nil, fmt.Errorf("the shell holds no IRQ control to give the disk driver its interrupt line")
	}
	// The storage vault first: skyaifsd asks it for its key-encryption keys as it
	// mounts.
	steps := []func() error{
		func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, vaultEPSlot, 1) },
		func() error { return e.Copy(cs, vaultRecvSlot, cs, vaultEPSlot, abi.RightRead) },
		func() error {
			return e.Mint(cs, vaultFSDSlot, cs, vaultEPSlot, abi.RightWrite|abi.RightGrant, vaultkeys.SkyaifsdBadge)
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("preparing the storage vault: %w", explain(err))
		}
	}
	vlt, err := e.StartProgram(s.sys, []string{"vault", "-storage", storageSecretFile}, vaultMemory, 0, 0, vaultRecvSlot)
	if err != nil {
		return nil, fmt.Errorf("starting the storage vault: %w", explain(err))
	}
	tasks, err := storage.Start(e, s.sys, s.irqControl, storageSlots, storage.FS{Memory: skyaifsdMemory,
		Clients: []abi.Badge{storageBadge, linuxBadge}, Admin: storageBadge, Coordinator: storageBadge, Vault: vaultFSDSlot,
		Supervisor: superBadge})
	if err != nil {
		e.Kill(s.sys, vlt)
		return nil, explain(err)
	}
	blkd, fsd := tasks.Blkd, tasks.Skyaifsd
	if err := storage.Client(e, storageSlots, fileClientSlot, storageBadge); err != nil {
		e.Kill(s.sys, fsd)
		e.Kill(s.sys, vlt)
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
		e.Kill(s.sys, vlt)
		e.Kill(s.sys, blkd)
		return nil, fmt.Errorf("the filesystem task: %w", err)
	}
	fmt.Fprintf(s.out, "started the storage vault (task %d), the disk driver (task %d) and the filesystem (task %d)\n", vlt, blkd, fsd)
	if err := s.startRelay(); err != nil {
		fmt.Fprintf(s.out, "the file service will learn of containers' task ends late: %v\n", explain(err))
	}
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

// Containers' file views (ctr run --mount): the shell is skyaifsd's admin client; each
// view gets its own badge on the file endpoint, minted into one of these slots.
const (
	viewFirstSlot abi.CPtr = 260
	maxViews               = 16
	viewBadgeBase          = 0x100
)

// mountView registers a container's view with the filesystem task, starting the
// storage tasks first if need be, and returns the capability the container's tasks
// get: the file endpoint with the view's badge. skyaifsd asks the kernel, through the
// Container capability, which machine ids the container's root has.
func (s *shell) mountView(ctrCap abi.CPtr, mounts []ctr.Mount) (abi.CPtr, error) {
	if _, err := s.disk(); err != nil {
		return 0, err
	}
	i := slices.Index(s.views[:], false)
	if i < 0 {
		return 0, fmt.Errorf("this shell has %d views registered, its most (ctr rm unregisters)", maxViews)
	}
	const cs = abi.InitSlotCSpace
	slot, badge := viewFirstSlot+abi.CPtr(i), abi.Badge(viewBadgeBase+i)
	e := s.e
	e.Delete(cs, slot)
	if err := e.Mint(cs, slot, cs, fileEPSlot, abi.RightWrite|abi.RightGrant, badge); err != nil {
		return 0, err
	}
	specs := make([]view.Spec, len(mounts))
	for i, m := range mounts {
		specs[i] = view.Spec{Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	}
	if err := s.files.AddView(ctrCap, badge, specs); err != nil {
		e.Delete(cs, slot)
		return 0, err
	}
	s.views[i] = true
	return slot, nil
}

// viewOf returns the index of the view whose capability mountView put in slot.
func (s *shell) viewOf(slot abi.CPtr) (int, error) {
	i := int(slot - viewFirstSlot)
	if slot < viewFirstSlot || i >= maxViews || !s.views[i] {
		return 0, fmt.Errorf("slot %d holds no file view", slot)
	}
	return i, nil
}

// unmountView unregisters the view whose capability is in slot (ctr rm, after the
// container was destroyed): every copy of the capability is revoked first, so no task
// reaches skyaifsd with the badge any more, then skyaifsd forgets the view (closing
// what the container left open and releasing its locks), and the badge and slot can
// serve another view.
func (s *shell) unmountView(slot abi.CPtr) error {
	i, err := s.viewOf(slot)
	if err != nil {
		return err
	}
	const cs = abi.InitSlotCSpace
	badge := abi.Badge(viewBadgeBase + i)
	if s.relay != nil {
		s.relay.Cancel(badge, -1)
	}
	if err := s.e.Revoke(cs, slot); err != nil {
		return fmt.Errorf("revoking the view's capabilities: %w", explain(err))
	}
	s.e.Delete(cs, slot)
	s.views[i] = false
	if err := s.files.RemoveView(badge); err != nil {
		return err
	}
	return nil
}

// startRelay makes the notification the ends of tasks holding a view signal and starts
// the thread that relays them to skyaifsd (fileproto.EndRelay) with the supervisor
// badge. Without a way to make a thread (newEnv nil: the hosted tests) there is no
// relay, and skyaifsd notices dead holders at the next lock request.
func (s *shell) startRelay() error {
	if s.newEnv == nil {
		return nil
	}
	const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
	e := s.e
	e.Delete(cs, relayNotifySlot)
	e.Delete(cs, fileSuperSlot)
	if err := e.Retype(ut, abi.ObjNotification, 0, cs, relayNotifySlot, 1); err != nil {
		return err
	}
	if err := e.Mint(cs, fileSuperSlot, cs, fileEPSlot, abi.RightWrite, superBadge); err != nil {
		return err
	}
	s.relay = fileproto.NewEndRelay(relayNotifySlot, fileSuperSlot)
	go func(r *fileproto.EndRelay, e *user.Env) {
		for {
			if _, err := r.Once(e); err != nil {
				fmt.Fprintf(s.out, "the relay of task ends to the file service stopped: %v\n", explain(err))
				return
			}
		}
	}(s.relay, s.newEnv())
	return nil
}

// viewEnded is ctr's Ended: the task about to start with the view in slot gets a
// relay bit's notification as its end notification; the relay tells skyaifsd and then
// signals notify.
func (s *shell) viewEnded(slot, notify abi.CPtr) (abi.CPtr, func(), error) {
	i, err := s.viewOf(slot)
	if err != nil {
		return 0, nil, err
	}
	if s.relay == nil {
		return notify, func() {}, nil
	}
	bit, err := s.relay.Watch(abi.Badge(viewBadgeBase+i), notify)
	if err != nil {
		return 0, nil, err
	}
	const cs = abi.InitSlotCSpace
	end := relayFirstSlot + abi.CPtr(bit)
	s.e.Delete(cs, end)
	if err := s.e.Mint(cs, end, cs, relayNotifySlot, abi.RightWrite, abi.Badge(1)<<bit); err != nil {
		s.relay.Cancel(0, bit)
		return 0, nil, err
	}
	return end, func() { s.relay.Cancel(0, bit) }, nil
}
