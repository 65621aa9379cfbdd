// Command irqdriver is a device driver in miniature, run as init by TestDriverInterrupt:
// it takes the machine's e1000e network controller (q35's 00:02.0) through a Device
// capability, maps its registers uncached, claims its interrupt line, makes the device
// raise an interrupt and waits for it as a kernel notification — the path a real
// driver task (virtio-blk) takes.
package main

import (
	"fmt"
	"os"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// e1000e registers (Intel 82574 datasheet, §10.2): interrupt cause read, cause set,
// mask set; the link-status-change cause.
const (
	regICR   = 0x00C0
	regICS   = 0x00C8
	regIMS   = 0x00D0
	causeLSC = 1 << 2
)

// Slots in init's capability space.
const (
	devSlot   abi.CPtr = 20
	frameSlot abi.CPtr = 21
	irqSlot   abi.CPtr = 22
	ntfnSlot  abi.CPtr = 23
)

func fail(format string, args ...any) {
	fmt.Printf("irqdriver: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	e := usercall.Env()
	cs := abi.InitSlotCSpace
	var info abi.DeviceInfo
	for i := uint64(0); ; i++ {
		d, err := e.Device(abi.InitSlotSystem, i, cs, devSlot)
		if err != nil {
			fail("no e1000e found: %v", err)
		}
		if d.Vendor == 0x8086 && d.ID == 0x10d3 {
			info = d
			break
		}
		e.Delete(cs, devSlot)
	}
	fmt.Printf("irqdriver: e1000e at %02x:%02x.%d, line %d, registers at %#x\n", info.Bus, info.Slot, info.Func, info.IRQ, info.BARs[0].Addr)
	if err := e.ConfigWrite(devSlot, 4, 2, 1<<1|1<<2); err != nil { // memory space, bus master
		fail("command register: %v", err)
	}
	if err := e.ConfigWrite(devSlot, 0x10, 4, 0); err == nil {
		fail("moving BAR0 was allowed")
	}
	if err := e.DeviceFrame(devSlot, 0, 0, cs, frameSlot); err != nil {
		fail("device frame: %v", err)
	}
	regs := uint64(abi.FrameWindow)
	if err := e.Map(frameSlot, abi.InitSlotAddressSpace, regs, user.PermRead|user.PermWrite); err != nil {
		fail("map: %v", err)
	}
	if err := e.IRQHandler(abi.InitSlotIRQControl, int(info.IRQ), cs, irqSlot); err != nil {
		fail("claim line %d: %v", info.IRQ, err)
	}
	if err := e.IRQHandler(abi.InitSlotIRQControl, 4, cs, ntfnSlot); err == nil {
		fail("claimed the console's line")
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, cs, ntfnSlot, 1); err != nil {
		fail("notification: %v", err)
	}
	if err := e.IRQSetNotification(irqSlot, ntfnSlot); err != nil {
		fail("bind: %v", err)
	}
	e.Load32(regs + regICR) // clear what the device had pending
	e.Store32(regs+regIMS, causeLSC)
	e.Store32(regs+regICS, causeLSC) // the device raises its interrupt line now
	if _, err := e.Wait(ntfnSlot); err != nil {
		fail("wait: %v", err)
	}
	icr := e.Load32(regs + regICR) // reading ICR deasserts the line
	if err := e.IRQAck(irqSlot); err != nil {
		fail("ack: %v", err)
	}
	fmt.Printf("irqdriver: interrupt on line %d delivered as a notification, cause %#x\n", info.IRQ, icr)
}
