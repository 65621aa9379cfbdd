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
