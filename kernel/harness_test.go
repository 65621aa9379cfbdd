package kernel_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/sim"
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

// Helpers shared by the scenario tests (sched, fault, transfer, revoke, untyped,
// notification, irq, errors and tcb tests). User programs run on their own goroutines,
// so the helpers they call report with t.Errorf, never t.Fatal.

// initSlots returns an allocator for the free slots of init's CSpace.
func initSlots() *user.Slots { return &user.Slots{Next: abi.InitFirstFree, Limit: 1 << 12} }

// errnoOf returns the abi.Errno an error from the user library carries (OK for nil).
func errnoOf(err error) abi.Errno {
	if err == nil {
		return abi.OK
	}
	var e abi.Errno
	if errors.As(err, &e) {
		return e
	}
	return ^abi.Errno(0)
}

// expectErrno reports a test error unless err carries want; safe in user programs.
func expectErrno(t *testing.T, what string, err error, want abi.Errno) bool {
	t.Helper()
	if got := errnoOf(err); got != want {
		t.Errorf("%s: got %q (%d), want %q (%d)", what, got.Error(), got, want.Error(), want)
		return false
	}
	return true
}

// taskRadix is the CSpace radix of the isolated tasks spawnTask makes (16 slots).
const taskRadix = 4

// spawnTask starts an isolated task at pc: its own CSpace (holding only grants) and
// address space, its IPC buffer at user.TaskIPCBuffer.
func spawnTask(e *user.Env, slots *user.Slots, pc uint64, prio uint8, grants ...user.Grant) (user.SpawnedTask, error) {
	return e.SpawnTask(slots, user.Task{Untyped: ut, CSpace: cs, Self: self, Radix: taskRadix,
		PC: pc, Priority: prio, Grants: grants})
}

// stateOf returns a thread's state as TCB ReadRegisters (user.Env.ThreadInfo) reports
// it, or ThreadState(0xff) if the call fails.
func stateOf(e *user.Env, tcb abi.CPtr) kernel.ThreadState {
	_, _, st, err := e.ThreadInfo(tcb)
	if err != nil {
		return kernel.ThreadState(0xff)
	}
	return kernel.ThreadState(st)
}

// expectState reports a test error unless thread tcb is in state want.
func expectState(t *testing.T, e *user.Env, what string, tcb abi.CPtr, want kernel.ThreadState) {
	t.Helper()
	if got := stateOf(e, tcb); got != want {
		t.Errorf("%s: thread state %v, want %v", what, got, want)
	}
}

// finish runs the machine until idle, checks the kernel invariants and fails if a user
// program panicked (a test's own assertion code must not crash).
func (w *world) finish() {
	w.t.Helper()
	w.run()
	if strings.Contains(w.Console.String(), "panicked") {
		w.t.Fatalf("a user program panicked:\n%s", w.Console)
	}
}

// addRaw registers a program at pc that gets its sim.Port (for raw register access)
// as well as an Env. Call it before running the machine.
func (w *world) addRaw(pc uint64, p func(port *sim.Port, e *user.Env)) {
	w.Sim.AddProgram(pc, func(port *sim.Port) { p(port, user.New(port, port.Arg())) })
}
