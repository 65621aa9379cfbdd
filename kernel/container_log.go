package kernel

import "github.com/skyscope-os/skyscope/kernel/abi"

// # Container output
//
// What the tasks of a container write to the console (ConsoleWrite, and the Linux
// personality's writes to standard output and error) still goes to the console as
// before, and is also kept in the container's output log: a ring of the newest
// abi.ContainerLogBytes, read by offset with ContainerLog by whoever holds the
// container (`ctr logs`). Offsets count bytes since the container was made, so a
// reader that follows the log sees each byte once; bytes overwritten before it read
// them are skipped and counted (dropped).
//
// The ring's memory is charged to the parent with the container object
// (abi.SizeContainer) when the container is made, so a log can never fail for lack
// of memory; its buffer is allocated on the first write, so containers that never
// print cost the machine nothing more. Output of a nested container's tasks goes to
// that container's log only.
//
// Rejected: a log per task (a container's output is one stream to its owner, as a
// container engine's logs are, and per-task rings would multiply the memory by the
// task limit); blocking writers when the ring is full (a container must not be able
// to stall on a reader that never comes).

// logRing.read and the container log share one ring type: their sizes must agree.
var _ [logRingBytes - abi.ContainerLogBytes]struct{}
var _ [abi.ContainerLogBytes - logRingBytes]struct{}

// dropped returns how many bytes were overwritten: written but no longer readable.
func (r *logRing) dropped() uint64 { return r.total - min(r.total, logRingBytes) }

// ConsoleOutput records b, which thread t wrote to the console, in the output log of
// t's container (nothing for threads outside every container). The Linux personality
// calls it for writes to standard output and error; ConsoleWrite does it itself.
func (k *Kernel) ConsoleOutput(t *TCB, b []byte) {
	c := t.ctr
	if c == nil || c.state == abi.ContainerDestroyed || len(b) == 0 {
		return
	}
	if c.out == nil {
		c.out = new(logRing)
	}
	c.out.write(b)
}

// ReadOutput copies bytes of c's output log from offset off into b, as ContainerLog
// does: it returns the count, the offset after them and how many bytes the log has
// dropped so far. An offset that was overwritten reads from the oldest byte kept.
func (c *Container) ReadOutput(off uint64, b []byte) (n int, next, dropped uint64) {
	if c.out == nil {
		return 0, off, 0
	}
	n, next = c.out.read(off, b)
	return n, next, c.out.dropped()
}

func invContainerLog(k *Kernel, inv *invocation) abi.Errno {
	c, e := containerOf(inv)
	if e != abi.OK {
		return e // destroyed: the log went with everything else
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	n, next, dropped := c.ReadOutput(inv.args[0], ipcBytes(buf))
	inv.result(uint64(n), next, dropped)
	return abi.OK
}
