package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Console is the kernel console as an object, so that writing to it is an authority a
// task is given, not an ambient right.
type Console struct{ objBase }

// Type implements capability.Object.
func (c *Console) Type() abi.ObjectType { return abi.ObjConsole }

// Finalize implements capability.Object.
func (c *Console) Finalize(*capability.Tree) {}

// MaxConsoleWrite is the most bytes one ConsoleWrite carries: the IPC buffer's message
// words from NumRegMRs on.
const MaxConsoleWrite = 8 * (abi.MaxMsgWords - abi.NumRegMRs)

func invConsoleWrite(k *Kernel, inv *invocation) abi.Errno {
	n := inv.args[0]
	if n > MaxConsoleWrite {
		return abi.ErrRange
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	k.m.Console().Write(ipcBytes(buf)[:n])
	k.ConsoleOutput(inv.t, ipcBytes(buf)[:n])
	return abi.OK
}

// invSystemConsole gives the holder of the machine's System object a capability to the
// console: the console is part of the machine System governs, and a task System was
// handed to (the shell) need not be handed the console as well.
func invSystemConsole(k *Kernel, inv *invocation) abi.Errno {
	if sysOf(inv).ctr != nil {
		return abi.ErrNoRights // a container's output goes where its holder sends it
	}
	dstSpace, e := inv.extraOf(0, abi.ObjCSpace, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	dst, e := dstSpace.Object().(*CSpace).Dest(abi.CPtr(inv.args[0]))
	if e != abi.OK {
		return e
	}
	c := &Console{}
	c.k = k
	if e := k.tree.Insert(dst, c, abi.RightWrite, 0, inv.slot); e != abi.OK {
		panic("kernel: console insert failed after decode: " + e.Error())
	}
	return abi.OK
}
