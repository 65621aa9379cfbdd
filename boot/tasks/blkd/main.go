// Command blkd is the disk driver task: it finds the first virtio-blk disk, drives it
// from ring 3 (hal/virtio through userbus: its Device capability, DMA pages of its own
// memory, its interrupt line) and serves it over the block protocol
// (skyaifs/blockproto) to one client, normally skyaifsd. Keeping the driver in a task
// of its own means a fault in it cannot touch the filesystem's memory, and the
// filesystem task holds no device capability.
//
// Slots it is started with (a grant space: user.Env.StartProgramWith):
// abi.InitFirstFree, the block endpoint (Read); then the disk's Device capability; then
// the handler of the disk's interrupt line (claimed by whoever holds the IRQ control);
// optionally a notification (Write) it signals once when the disk goes away; with
// -charge, then the client's Container capability (Write), to which it charges every
// request's bytes and operation and for whose I/O rate limits it holds them
// (blockproto's "I/O rate limits"; a client outside every container is not charged).
// It holds nothing else: no System object, no authority over other devices or lines.
// Flags: -client BADGE, the badge of the one client's endpoint capability; -charge.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/hal/virtio"
	"github.com/skyscope-os/skyscope/hal/virtio/userbus"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/blockproto"
)

// Slots of blkd's capability space (4,096: a Linux process's).
const (
	slotEndpoint = abi.InitFirstFree
	slotDevice   = abi.InitFirstFree + 1
	slotIRQ      = abi.InitFirstFree + 2
	slotGone     = abi.InitFirstFree + 3
	slotCharge   = abi.InitFirstFree + 4
	slotIRQNote  = abi.CPtr(22)
	slotReply    = abi.CPtr(23)
	slotRecv     = abi.CPtr(24)
	slotBusFirst = abi.CPtr(30) // userbus takes its register and DMA frames from here up
	slotLimit    = abi.CPtr(1 << abi.ProcessCSpaceRadix)
)

// window is where the client's buffer is mapped: the upper half of the frame window,
// clear of the registers and DMA pages userbus maps from its start.
const window = abi.FrameWindow + abi.FrameWindowSize/2

// fail reports why blkd cannot serve the disk and answers every request with Gone,
// so that its client learns it instead of waiting.
func fail(format string, args ...any) {
	fmt.Printf("blkd: "+format+"\n", args...)
	e := usercall.Env()
	e.Delete(abi.InitSlotCSpace, slotReply)
	blockproto.ServeFailed(e, slotEndpoint, slotReply)
	os.Exit(1)
}

func main() {
	client := flag.Uint64("client", 0, "badge of the client's endpoint capability")
	charge := flag.Bool("charge", false, "charge the client's container, granted after the gone notification, for every request")
	flag.Parse()
	if *client == 0 {
		fail("-client BADGE is required")
	}
	e := usercall.Env()
	bus := userbus.New(e, slotDevice, slotBusFirst)
	disk, err := bus.Block()
	if err != nil {
		fail("%v", err)
	}
	if err := bus.BindHandler(slotIRQ, slotIRQNote, disk); err != nil {
		fail("%v", err)
	}
	dev, err := block.NewSectors(disk, virtio.MaxTransfer)
	if err != nil {
		fail("%v", err)
	}
	// The buffer's frame slots follow the bus's; they must fit the capability space.
	frames := bus.Next + 1
	if frames+blockproto.MaxBufferPages > slotLimit {
		fail("no room for %d buffer frame slots after slot %d", blockproto.MaxBufferPages, frames)
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReply, 1); err != nil {
		fail("reply object: %v", err)
	}
	gone := abi.CPtr(0)
	if _, err := e.Inspect(abi.InitSlotCSpace, slotGone); err == nil {
		gone = slotGone
	}
	ctr := abi.CPtr(0)
	if *charge {
		if gone == 0 {
			fail("-charge: the client's container follows the gone notification, which is missing")
		}
		info, err := e.Inspect(abi.InitSlotCSpace, slotCharge)
		if err != nil || info.Type != abi.ObjContainer || !info.Rights.Has(abi.RightWrite) {
			fail("-charge: slot %d holds no Container capability with Write (%v)", slotCharge, err)
		}
		ctr = slotCharge
	}
	fmt.Printf("blkd: serving %d blocks of virtio-blk to badge %#x\n", dev.Blocks(), *client)
	// The server serves one client, so holding its over-limit request by sleeping
	// keeps no one else waiting.
	hold := func(ns uint64) { time.Sleep(time.Duration(ns)) }
	blockproto.NewServer(e, dev, blockproto.Config{Endpoint: slotEndpoint, Reply: slotReply,
		CSpace: abi.InitSlotCSpace, AS: abi.InitSlotAddressSpace, Recv: slotRecv, Frames: frames,
		Window: window, WindowSize: abi.FrameWindowSize / 2, Client: abi.Badge(*client), Gone: gone,
		Charge: ctr, Hold: hold}).Serve()
}
