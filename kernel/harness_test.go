package kernel_test

import (
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Well-known slots the tests' init uses.
const (
	cs      = abi.InitSlotCSpace
	self    = abi.InitSlotTCB
	as      = abi.InitSlotAddressSpace
	ut      = abi.InitSlotUntyped
	console = abi.InitSlotConsole
)

// world is a booted machine plus the init-side helpers tests share.
type world struct {
	*usersim.Machine
	t *testing.T
}

// boot boots a machine whose init runs initProg; programs are other entry points.
func boot(t *testing.T, initProg usersim.Program, programs map[uint64]usersim.Program) *world {
	t.Helper()
	m, err := usersim.Boot(usersim.Config{
		Init:     initProg,
		Programs: programs,
		Kernel:   kernel.Config{Quiet: testing.Verbose() == false},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &world{Machine: m, t: t}
}

// run runs the machine until idle (or 10 virtual seconds) and fails on a deadline stop.
func (w *world) run() {
	w.t.Helper()
	if r := w.Run(10_000_000_000); r != kernel.StopIdle {
		w.t.Fatalf("machine did not go idle: %v\nconsole:\n%s", r, w.Console)
	}
	w.check()
}

// runFor runs the machine for d of virtual time.
func (w *world) runFor(d hal.Time) { w.Run(w.Now() + d) }

// spawn starts a thread at pc in init's CSpace and address space with priority prio.
// Its IPC buffer is mapped at ipcVA(n), n taken from slots.
func spawn(e *user.Env, slots *user.Slots, pc uint64, prio uint8) (user.Spawned, error) {
	va := uint64(0x1000_0000) + uint64(slots.Next)*abi.PageSize
	return e.Spawn(slots, user.Thread{Untyped: ut, CSpace: cs, Self: self, ThreadCS: cs, AS: as,
		PC: pc, IPCVA: va, Priority: prio})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// retype makes one object of type typ in the next slot.
func retype(e *user.Env, slots *user.Slots, typ abi.ObjectType, size uint64) abi.CPtr {
	c, err := slots.Take()
	if err != nil {
		panic(err)
	}
	if err := e.Retype(ut, typ, size, cs, c, 1); err != nil {
		panic("retype " + typ.String() + ": " + err.Error())
	}
	return c
}

// check fails the test if a kernel invariant is broken.
func (w *world) check() {
	w.t.Helper()
	if err := w.CheckInvariants(); err != nil {
		w.t.Fatalf("kernel invariant broken: %v", err)
	}
}
