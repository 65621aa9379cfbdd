package user

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Slots hands out empty slots of a CSpace the task manages itself, in order.
type Slots struct {
	Next, Limit abi.CPtr
}

// ErrNoSlots is returned when a Slots allocator is exhausted.
var ErrNoSlots = errors.New("user: no free capability slots left")

// Take returns the next free slot.
func (s *Slots) Take() (abi.CPtr, error) {
	if s.Next >= s.Limit {
		return 0, ErrNoSlots
	}
	c := s.Next
	s.Next++
	return c, nil
}

// Thread describes a thread to start with Spawn.
type Thread struct {
	Untyped  abi.CPtr // memory budget to make the TCB and IPC buffer from
	CSpace   abi.CPtr // the caller's own CSpace (where new capabilities go), Write
	Self     abi.CPtr // the caller's TCB (authority for the priority)
	ThreadCS abi.CPtr // CSpace the new thread uses (often CSpace)
	AS       abi.CPtr // address space the new thread runs in, Write
	PC       uint64   // entry point
	IPCVA    uint64   // where to map the new thread's IPC buffer in AS (also its argument)
	Priority uint8
}

// Spawned is what Spawn made: capabilities in the caller's CSpace.
type Spawned struct {
	TCB, IPCFrame abi.CPtr
}

// Spawn makes a thread from d: a TCB and an IPC buffer frame from the memory budget,
// the frame mapped in the address space, the thread configured, given its priority and
// started with its IPC buffer address as argument.
func (e *Env) Spawn(slots *Slots, d Thread) (Spawned, error) {
	var sp Spawned
	var err error
	if sp.TCB, err = slots.Take(); err != nil {
		return sp, err
	}
	if sp.IPCFrame, err = slots.Take(); err != nil {
		return sp, err
	}
	step := func(what string, err error) error {
		if err != nil {
			return fmt.Errorf("spawn: %s: %w", what, err)
		}
		return nil
	}
	if err := step("retype TCB", e.Retype(d.Untyped, abi.ObjTCB, 0, d.CSpace, sp.TCB, 1)); err != nil {
		return sp, err
	}
	if err := step("retype IPC frame", e.Retype(d.Untyped, abi.ObjFrame, 0, d.CSpace, sp.IPCFrame, 1)); err != nil {
		return sp, err
	}
	if err := step("map IPC buffer", e.Map(sp.IPCFrame, d.AS, d.IPCVA, 3)); err != nil {
		return sp, err
	}
	if err := step("configure", e.Configure(sp.TCB, d.ThreadCS, d.AS, sp.IPCFrame, d.IPCVA)); err != nil {
		return sp, err
	}
	if err := step("set priority", e.SetPriority(sp.TCB, d.Self, d.Priority)); err != nil {
		return sp, err
	}
	if err := step("write registers", e.WriteRegisters(sp.TCB, d.PC, 0, d.IPCVA)); err != nil {
		return sp, err
	}
	return sp, step("resume", e.Resume(sp.TCB))
}

// Grant is a capability to place in a new task's CSpace.
type Grant struct {
	From   abi.CPtr   // slot in the caller's CSpace
	To     abi.CPtr   // slot in the new task's CSpace
	Rights abi.Rights // rights mask
	Badge  abi.Badge  // badge to mint (0: copy as is)
}

// Task describes an isolated task to start with SpawnTask: its own CSpace and address
// space, holding only the granted capabilities.
type Task struct {
	Untyped  abi.CPtr // memory budget for every object made
	CSpace   abi.CPtr // the caller's own CSpace, Write
	Self     abi.CPtr // the caller's TCB (authority for the priority)
	Radix    int      // the new CSpace has 2^Radix slots
	PC       uint64   // entry point
	Priority uint8
	Grants   []Grant
}

// TaskIPCBuffer is where SpawnTask maps a new task's IPC buffer.
const TaskIPCBuffer = abi.InitIPCBuffer

// SpawnedTask is what SpawnTask made: capabilities in the caller's CSpace.
type SpawnedTask struct {
	CSpace, AS abi.CPtr
	Spawned
}

// SpawnTask makes an isolated task: a CSpace holding the granted capabilities, an
// address space, and a thread in them started at d.PC.
func (e *Env) SpawnTask(slots *Slots, d Task) (SpawnedTask, error) {
	var st SpawnedTask
	var err error
	if st.CSpace, err = slots.Take(); err != nil {
		return st, err
	}
	if st.AS, err = slots.Take(); err != nil {
		return st, err
	}
	if err := e.Retype(d.Untyped, abi.ObjCSpace, uint64(d.Radix), d.CSpace, st.CSpace, 1); err != nil {
		return st, fmt.Errorf("spawn task: retype CSpace: %w", err)
	}
	if err := e.Retype(d.Untyped, abi.ObjAddressSpace, 0, d.CSpace, st.AS, 1); err != nil {
		return st, fmt.Errorf("spawn task: retype address space: %w", err)
	}
	for _, g := range d.Grants {
		if err := e.Mint(st.CSpace, g.To, d.CSpace, g.From, g.Rights, g.Badge); err != nil {
			return st, fmt.Errorf("spawn task: grant slot %d as %d: %w", g.From, g.To, err)
		}
	}
	st.Spawned, err = e.Spawn(slots, Thread{Untyped: d.Untyped, CSpace: d.CSpace, Self: d.Self,
		ThreadCS: st.CSpace, AS: st.AS, PC: d.PC, IPCVA: TaskIPCBuffer, Priority: d.Priority})
	return st, err
}
