package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// IRQControl is the authority to claim interrupt lines; the kernel gives its only
// capability to init at boot.
type IRQControl struct{ objBase }

// Type implements capability.Object.
func (c *IRQControl) Type() abi.ObjectType { return abi.ObjIRQControl }

// Finalize implements capability.Object.
func (c *IRQControl) Finalize(*capability.Tree) {}

// IRQHandler is the authority over one interrupt line: when the line fires the kernel
// masks it and signals the bound notification; the handler's holder acknowledges with
// IRQHandlerAck to unmask it. seL4's model: a device driver is a user task that waits
// on a notification.
type IRQHandler struct {
	objBase
	line  int              // immutable
	ntfn  capability.Space // one slot: a copy of the notification capability to signal
	fired bool             // masked after firing, waiting for Ack
}

// Type implements capability.Object.
func (h *IRQHandler) Type() abi.ObjectType { return abi.ObjIRQHandler }

// Finalize implements capability.Object: the line becomes unclaimed and stays masked.
func (h *IRQHandler) Finalize(t *capability.Tree) {
	t.DeleteLocked(h.ntfn.At(1))
	h.k.irqs[h.line] = nil
	h.k.m.Interrupts().Mask(h.line)
}

// interrupt handles line firing: mask it and signal the handler's notification.
func (k *Kernel) interrupt(line int) {
	k.Stats.Interrupts++
	k.m.Interrupts().Mask(line)
	h := k.irqs[line]
	if h == nil {
		k.logf("interrupt on unclaimed line %d; masked", line)
		return
	}
	h.fired = true
	s := h.ntfn.At(1)
	if n, ok := s.Object().(*Notification); ok {
		k.signal(n, s.Badge())
	}
}

func invIRQControlGet(k *Kernel, inv *invocation) abi.Errno {
	dstSpace, e := inv.extraOf(0, abi.ObjCSpace, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	line := inv.args[0]
	if line >= uint64(len(k.irqs)) {
		return abi.ErrRange
	}
	if !k.m.Interrupts().Claimable(int(line)) {
		return abi.ErrNoRights // the kernel's own device (timer, console, keyboard)
	}
	if k.irqs[line] != nil {
		return abi.ErrIllegal
	}
	dst, e := dstSpace.Object().(*CSpace).Dest(abi.CPtr(inv.args[1]))
	if e != abi.OK {
		return e
	}
	h := &IRQHandler{line: int(line)}
	h.k = k
	h.ntfn.Init(2)
	h.ntfn.Owner = h
	if e := k.tree.Insert(dst, h, abi.AllRights, 0, inv.slot); e != abi.OK {
		panic("kernel: IRQ handler insert failed after decode: " + e.Error())
	}
	k.irqs[line] = h
	k.m.Interrupts().Unmask(int(line))
	return abi.OK
}

func invIRQSetNotify(k *Kernel, inv *invocation) abi.Errno {
	n, e := inv.extraOf(0, abi.ObjNotification, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	h := inv.slot.Object().(*IRQHandler)
	k.tree.DeleteLocked(h.ntfn.At(1))
	if e := k.tree.Copy(h.ntfn.At(1), n, abi.RightWrite); e != abi.OK {
		panic("kernel: IRQ notification copy failed after decode: " + e.Error())
	}
	return abi.OK
}

func invIRQAck(k *Kernel, inv *invocation) abi.Errno {
	h := inv.slot.Object().(*IRQHandler)
	h.fired = false
	k.m.Interrupts().Unmask(h.line)
	return abi.OK
}

func invIRQClear(k *Kernel, inv *invocation) abi.Errno {
	k.tree.DeleteLocked(inv.slot.Object().(*IRQHandler).ntfn.At(1))
	return abi.OK
}
