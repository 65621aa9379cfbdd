package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// An interrupt on a claimed line signals the bound notification with its capability's
// badge. The line then stays masked until IRQAck: a second interrupt raised before the
// Ack is delivered only after it.
func TestIRQSignalsNotificationAndMasksUntilAck(t *testing.T) {
	const (
		driverPC = 0x160_0000
		line     = 7
		first    = 10_000_000
		second   = 12_000_000 // while the driver is still handling the first
		handling = 5_000_000
		badge    = 1 << line
		dIRQ     = abi.CPtr(1) // driver: the IRQ handler
		dNtfn    = abi.CPtr(2) // driver: the notification (Read)
	)
	type event struct {
		what string
		word uint64
		err  abi.Errno
		at   hal.Time
	}
	var evs []event
	var w *world
	rec := func(what string, word uint64, err error) {
		evs = append(evs, event{what, word, errnoOf(err), w.Now()})
	}
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		n := retype(e, slots, abi.ObjNotification, 0)
		h, _ := slots.Take()
		must(t, e.IRQHandler(abi.InitSlotIRQControl, line, cs, h))
		nb, _ := slots.Take()
		must(t, e.Mint(cs, nb, cs, n, abi.RightWrite, badge))
		must(t, e.IRQSetNotification(h, nb))
		if _, err := spawnTask(e, slots, driverPC, 150,
			user.Grant{From: h, To: dIRQ, Rights: abi.RightWrite},
			user.Grant{From: n, To: dNtfn, Rights: abi.RightRead}); err != nil {
			t.Errorf("spawn: %v", err)
		}
	}, map[uint64]usersim.Program{driverPC: func(e *user.Env) {
		word, err := e.Wait(dNtfn)
		rec("wait", word, err)
		e.Compute(handling) // the second interrupt is raised meanwhile
		word, err = e.Poll(dNtfn)
		rec("poll before ack", word, err)
		rec("ack", 0, e.IRQAck(dIRQ))
		word, err = e.Poll(dNtfn)
		rec("poll after ack", word, err)
		word, err = e.Wait(dNtfn) // no third interrupt: blocks for good
		rec("unexpected wake", word, err)
	}})
	w.Sim.RaiseIRQ(line, first)
	w.Sim.RaiseIRQ(line, second)
	w.finish()
	if len(evs) != 4 {
		t.Fatalf("driver events %+v, want 4", evs)
	}
	want := []event{
		{"wait", badge, abi.OK, 0},
		{"poll before ack", 0, abi.ErrWouldBlock, 0},
		{"ack", 0, abi.OK, 0},
		{"poll after ack", badge, abi.OK, 0},
	}
	for i := range evs {
		got := evs[i]
		got.at = 0
		if got != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got, want[i])
		}
	}
	if at := evs[0].at; at < first || at > first+10_000 {
		t.Errorf("driver woke at %d ns, the interrupt fired at %d", at, first)
	}
	if at := evs[3].at; at < first+handling {
		t.Errorf("second interrupt seen at %d ns, before the Ack at about %d", at, first+handling)
	}
	if w.Stats.Interrupts != 2 {
		t.Errorf("Stats.Interrupts = %d, want 2", w.Stats.Interrupts)
	}
}

// Claiming a line already claimed is ErrIllegal, a line beyond the machine's is
// ErrRange; neither fills the destination slot. Deleting the handler frees the line.
func TestIRQClaimErrors(t *testing.T) {
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		h1, _ := slots.Take()
		h2, _ := slots.Take()
		must(t, e.IRQHandler(abi.InitSlotIRQControl, 3, cs, h1))
		expectErrno(t, "claim line 3 twice", e.IRQHandler(abi.InitSlotIRQControl, 3, cs, h2), abi.ErrIllegal)
		expectErrno(t, "claim line 32 of 32", e.IRQHandler(abi.InitSlotIRQControl, 32, cs, h2), abi.ErrRange)
		e.SetMR(0, 1<<63)
		e.SetMR(1, uint64(h2))
		e.SetCap(0, cs)
		expectErrno(t, "claim line 2^63", e.Invoke(abi.InitSlotIRQControl, abi.IRQControlGet, 2, 1), abi.ErrRange)
		expectErrno(t, "claim into a full slot", e.IRQHandler(abi.InitSlotIRQControl, 4, cs, h1), abi.ErrSlotFull)
		expectErrno(t, "claim into slot 0", e.IRQHandler(abi.InitSlotIRQControl, 4, cs, 0), abi.ErrRange)
		expectErrno(t, "claim through a non-IRQControl capability", e.IRQHandler(cs, 4, cs, h2), abi.ErrWrongType)
		if _, err := e.Inspect(cs, h2); errnoOf(err) != abi.ErrInvalidCap {
			t.Errorf("destination slot after failed claims: %v, want empty", err)
		}
		// Line 4 stayed unclaimed through the failures.
		expectErrno(t, "claim line 4", e.IRQHandler(abi.InitSlotIRQControl, 4, cs, h2), abi.OK)
		must(t, e.Delete(cs, h2))
		// Deleting the handler unclaims the line.
		must(t, e.Delete(cs, h1))
		expectErrno(t, "claim line 3 after deleting its handler", e.IRQHandler(abi.InitSlotIRQControl, 3, cs, h1), abi.OK)
		if ci, err := e.Inspect(cs, h1); err != nil || ci.Type != abi.ObjIRQHandler {
			t.Errorf("handler slot: %+v, %v", ci, err)
		}
		n := retype(e, slots, abi.ObjNotification, 0)
		expectErrno(t, "bind a CSpace as the notification", e.IRQSetNotification(h1, cs), abi.ErrWrongType)
		rn, _ := slots.Take()
		must(t, e.Copy(cs, rn, cs, n, abi.RightRead))
		expectErrno(t, "bind a notification capability without Write", e.IRQSetNotification(h1, rn), abi.ErrNoRights)
	}, nil)
	w.finish()
}

// IRQHandlerClear unbinds the notification (the interrupt is taken but signals
// nothing); deleting the handler masks the line for good; and revoking the IRQControl
// capability's children removes handlers too.
func TestIRQClearAndDelete(t *testing.T) {
	const line = 9
	var polls []abi.Errno
	var h abi.CPtr
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		n := retype(e, slots, abi.ObjNotification, 0)
		h, _ = slots.Take()
		must(t, e.IRQHandler(abi.InitSlotIRQControl, line, cs, h))
		must(t, e.IRQSetNotification(h, n))
		expectErrno(t, "clear", e.Invoke(h, abi.IRQHandlerClear, 0, 0), abi.OK)
		e.Compute(2_000_000) // the interrupt at 1 ms is taken meanwhile
		_, err := e.Poll(n)
		polls = append(polls, errnoOf(err))
		must(t, e.IRQSetNotification(h, n))
		must(t, e.IRQAck(h))
		e.Compute(2_000_000) // the interrupt at 3 ms signals
		_, err = e.Poll(n)
		polls = append(polls, errnoOf(err))
		// Revoking IRQControl deletes the handler (a child of it); the line is masked.
		must(t, e.Revoke(cs, abi.InitSlotIRQControl))
		if _, err := e.Inspect(cs, h); errnoOf(err) != abi.ErrInvalidCap {
			t.Errorf("handler after revoking IRQControl: %v, want gone", err)
		}
		e.Compute(2_000_000) // the interrupt at 5 ms stays pending, masked
		_, err = e.Poll(n)
		polls = append(polls, errnoOf(err))
	}, nil)
	w.Sim.RaiseIRQ(line, 1_000_000)
	w.Sim.RaiseIRQ(line, 3_000_000)
	w.Sim.RaiseIRQ(line, 5_000_000)
	w.finish()
	if fmt.Sprint(polls) != fmt.Sprint([]abi.Errno{abi.ErrWouldBlock, abi.OK, abi.ErrWouldBlock}) {
		t.Errorf("polls %v, want [ErrWouldBlock OK ErrWouldBlock]", polls)
	}
	if w.Stats.Interrupts != 2 {
		t.Errorf("Stats.Interrupts = %d, want 2", w.Stats.Interrupts)
	}
	if w.Init().State() != kernel.Inactive {
		t.Errorf("init is %v", w.Init().State())
	}
}
