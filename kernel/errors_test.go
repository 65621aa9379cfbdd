package kernel_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// errFixture is the set of objects and capabilities in init's CSpace the error tests
// use. A receiver task waits on ep and a waiter task on ntfn the whole time, so that a
// failing call that wrongly delivered anything would be seen.
type errFixture struct {
	ep, epR, epW, epWG, idle         abi.CPtr // endpoint (receiver waiting), Read-only, Write-only, Write|Grant copies; an endpoint nobody uses
	ntfn, ntfnR, ntfnW, idleN        abi.CPtr // notification (waiter waiting), Read-only, Write-only copies; one never signalled
	reply, replyR, recvReply         abi.CPtr // a free Reply, a Read-only copy; the Reply the receiver task offers
	tcb, tcbR                        abi.CPtr // an inactive TCB, a Read-only copy
	frame, frameR, frame2, asR       abi.CPtr // a frame mapped at frameVA, a Read-only copy, an unmapped frame; init's AS Read-only
	csR, csW, utR, utW, consR, irq   abi.CPtr // Read-only/Write-only copies of CSpace, root Untyped, console; an IRQ handler
	parent, child, badged, empty, hi abi.CPtr // an endpoint with a derived child, a badged copy, an empty slot, the first unused slot
	recvTask, waitTask               user.SpawnedTask
}

const frameVA = 0x4000_0000

// errFixtureSlots in the receiver and waiter tasks.
const (
	efEP    abi.CPtr = 1
	efReply abi.CPtr = 2
)

func makeErrFixture(t *testing.T, e *user.Env, slots *user.Slots, recvPC, waitPC uint64) (f errFixture, ok bool) {
	t.Helper()
	mk := func(typ abi.ObjectType) abi.CPtr { return retype(e, slots, typ, 0) }
	derive := func(src abi.CPtr, r abi.Rights) abi.CPtr {
		c, _ := slots.Take()
		must(t, e.Copy(cs, c, cs, src, r))
		return c
	}
	f.ep, f.idle = mk(abi.ObjEndpoint), mk(abi.ObjEndpoint)
	f.epR, f.epW, f.epWG = derive(f.ep, abi.RightRead), derive(f.ep, abi.RightWrite), derive(f.ep, abi.RightWrite|abi.RightGrant)
	f.ntfn, f.idleN = mk(abi.ObjNotification), mk(abi.ObjNotification)
	f.ntfnR, f.ntfnW = derive(f.ntfn, abi.RightRead), derive(f.ntfn, abi.RightWrite)
	f.reply, f.recvReply = mk(abi.ObjReply), mk(abi.ObjReply)
	f.replyR = derive(f.reply, abi.RightRead)
	f.tcb = mk(abi.ObjTCB)
	f.tcbR = derive(f.tcb, abi.RightRead)
	f.frame, f.frame2 = mk(abi.ObjFrame), mk(abi.ObjFrame)
	must(t, e.Map(f.frame, as, frameVA, 3))
	f.frameR = derive(f.frame, abi.RightRead)
	f.asR = derive(as, abi.RightRead)
	f.csR, f.csW = derive(cs, abi.RightRead), derive(cs, abi.RightWrite)
	f.utR, f.utW = derive(ut, abi.RightRead), derive(ut, abi.RightWrite)
	f.consR = derive(console, abi.RightRead)
	f.irq, _ = slots.Take()
	must(t, e.IRQHandler(abi.InitSlotIRQControl, 2, cs, f.irq))
	f.parent = mk(abi.ObjEndpoint)
	f.child = derive(f.parent, abi.AllRights)
	f.badged, _ = slots.Take()
	must(t, e.Mint(cs, f.badged, cs, f.idle, abi.AllRights, 0xbad))
	f.empty, _ = slots.Take()
	var err error
	if f.recvTask, err = spawnTask(e, slots, recvPC, 150,
		user.Grant{From: f.ep, To: efEP, Rights: abi.RightRead},
		user.Grant{From: f.recvReply, To: efReply, Rights: abi.RightWrite}); err != nil {
		t.Errorf("spawn receiver: %v", err)
		return f, false
	}
	if f.waitTask, err = spawnTask(e, slots, waitPC, 150,
		user.Grant{From: f.ntfn, To: efEP, Rights: abi.RightRead}); err != nil {
		t.Errorf("spawn waiter: %v", err)
		return f, false
	}
	f.hi = slots.Next
	return f, true
}

// errWatch counts what the fixture's receiver and waiter got.
type errWatch struct{ received, woken int }

func (wt *errWatch) programs(recvPC, waitPC uint64) map[uint64]usersim.Program {
	return map[uint64]usersim.Program{
		recvPC: func(e *user.Env) {
			for {
				if _, _, err := e.Recv(efEP, efReply); err != nil {
					return
				}
				wt.received++
			}
		},
		waitPC: func(e *user.Env) {
			for {
				if _, err := e.Wait(efEP); err != nil {
					return
				}
				wt.woken++
			}
		},
	}
}

// snapshot describes everything init can observe that a system call could change: the
// capabilities in its CSpace (up to f.hi+8), the root budget, free frames, objects
// finalized, messages and faults so far, init's priority, the receiver's and waiter's
// states and what they got.
func (f *errFixture) snapshot(w *world, e *user.Env, wt *errWatch) string {
	var b strings.Builder
	_, used, err := e.UntypedInfo(ut)
	fmt.Fprintf(&b, "root used %d (%v), frames %d, finalized %d, messages %d, faults %d, prio %d\n",
		used, err, w.Sim.Memory().FreeFrames(), w.Finalized(), w.Stats.Messages, w.Stats.Faults, w.Init().Priority())
	fmt.Fprintf(&b, "receiver %v got %d, waiter %v woken %d, tcb %v\n", stateOf(e, f.recvTask.TCB), wt.received,
		stateOf(e, f.waitTask.TCB), wt.woken, stateOf(e, f.tcb))
	for s := abi.CPtr(1); s < f.hi+8; s++ {
		if ci, err := e.Inspect(cs, s); err == nil {
			fmt.Fprintf(&b, "%d:%v/%v/%#x/%d ", s, ci.Type, ci.Rights, ci.Badge, ci.Object)
		}
	}
	return b.String()
}

// errCase is one failing call.
type errCase struct {
	name string
	want abi.Errno
	call func() error
}

// runErrCases runs each case between two snapshots: it must fail with its error and
// change nothing observable.
func runErrCases(t *testing.T, w *world, e *user.Env, f *errFixture, wt *errWatch, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		before := f.snapshot(w, e, wt)
		expectErrno(t, c.name, c.call(), c.want)
		if after := f.snapshot(w, e, wt); after != before {
			t.Errorf("%s changed the system:\n before %s\n after  %s", c.name, before, after)
		}
	}
}

// Every error of every system call and of the main invocation methods: the call fails
// with the documented error and changes nothing.
func TestSyscallAndInvocationErrors(t *testing.T) {
	const recvPC, waitPC = 0x180_0000, 0x180_1000
	wt := &errWatch{}
	var ran int
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		f, ok := makeErrFixture(t, e, slots, recvPC, waitPC)
		if !ok {
			return
		}
		expectState(t, e, "fixture receiver", f.recvTask.TCB, kernel.BlockedOnRecv)
		expectState(t, e, "fixture waiter", f.waitTask.TCB, kernel.BlockedOnNotification)
		info := func(label uint64, n, caps int) abi.MsgInfo { return abi.NewMsgInfo(label, n, caps) }
		reserved := abi.MsgInfo(1 << 9)
		tooLong := info(0, abi.MaxMsgWords+1, 0)

		// The system calls, by the capability they take in Cap (for Reply: Cap2).
		type sysFn struct {
			name string
			f    func(c abi.CPtr) error
		}
		sends := []sysFn{
			{"Send", func(c abi.CPtr) error { return e.Send(c, 0) }},
			{"NBSend", func(c abi.CPtr) error { return e.NBSend(c, 0) }},
			{"Call", func(c abi.CPtr) error { _, err := e.Call(c, 0); return err }},
		}
		recvs := []sysFn{
			{"Recv", func(c abi.CPtr) error { _, _, err := e.Recv(c, 0); return err }},
			{"NBRecv", func(c abi.CPtr) error { _, _, err := e.NBRecv(c, 0); return err }},
		}
		waits := []sysFn{
			{"Wait", func(c abi.CPtr) error { _, err := e.Wait(c); return err }},
			{"Poll", func(c abi.CPtr) error { _, err := e.Poll(c); return err }},
		}
		all := append(append(append([]sysFn{}, sends...), recvs...), waits...)
		all = append(all,
			sysFn{"Reply", func(c abi.CPtr) error { return e.Reply(c, 0) }},
			sysFn{"ReplyRecv(Cap)", func(c abi.CPtr) error { _, _, err := e.ReplyRecv(c, f.reply, 0); return err }},
			sysFn{"ReplyRecv(Cap2)", func(c abi.CPtr) error { _, _, err := e.ReplyRecv(f.idle, c, 0); return err }},
			sysFn{"Signal", func(c abi.CPtr) error { return e.Signal(c) }},
			sysFn{"Invoke", func(c abi.CPtr) error { return e.Invoke(c, abi.UntypedInfo, 0, 0) }},
		)
		var cases []errCase
		add := func(name string, want abi.Errno, call func() error) {
			cases = append(cases, errCase{name, want, call})
		}
		// ErrInvalidCap: pointer 0, out of range, empty slot — for every call.
		for _, s := range all {
			for _, c := range []abi.CPtr{0, 1 << 12, 1 << 63, f.empty} {
				add(fmt.Sprintf("%s on cptr %#x", s.name, c), abi.ErrInvalidCap, func() error { return s.f(c) })
			}
		}
		// ErrWrongType.
		for _, s := range sends {
			add(s.name+" on a notification", abi.ErrWrongType, func() error { return s.f(f.ntfn) })
		}
		add("Recv on a TCB", abi.ErrWrongType, func() error { return recvs[0].f(self) })
		add("NBRecv on a Reply", abi.ErrWrongType, func() error { return recvs[1].f(f.reply) })
		add("Recv offering a notification as Reply", abi.ErrWrongType, func() error { _, _, err := e.Recv(f.idle, f.idleN); return err })
		for _, s := range waits {
			add(s.name+" on an endpoint", abi.ErrWrongType, func() error { return s.f(f.idle) })
		}
		add("Signal on an endpoint", abi.ErrWrongType, func() error { return e.Signal(f.idle) })
		add("Reply through an endpoint", abi.ErrWrongType, func() error { return e.Reply(f.idle, 0) })
		add("ReplyRecv on a notification", abi.ErrWrongType, func() error { _, _, err := e.ReplyRecv(f.ntfn, f.reply, 0); return err })
		add("UntypedInfo on an endpoint", abi.ErrWrongType, func() error { return e.Invoke(f.idle, abi.UntypedInfo, 0, 0) })
		add("Retype into a non-CSpace", abi.ErrWrongType, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, f.idle, f.empty, 1) })
		add("Configure with a frame as CSpace", abi.ErrWrongType, func() error { return e.Configure(f.tcb, f.frame, 0, 0, 0) })
		add("Map into a frame", abi.ErrWrongType, func() error { return e.Map(f.frame2, f.frame, frameVA, 3) })
		add("SetFaultHandler to a notification", abi.ErrWrongType, func() error { return e.SetFaultHandler(f.tcb, f.ntfn) })
		// ErrNoRights.
		for _, s := range sends {
			add(s.name+" without Write", abi.ErrNoRights, func() error { return s.f(f.epR) })
		}
		for _, s := range recvs {
			add(s.name+" without Read", abi.ErrNoRights, func() error { return s.f(f.epW) })
		}
		add("Recv on a notification without Read", abi.ErrNoRights, func() error { return recvs[0].f(f.ntfnW) })
		add("Signal without Write", abi.ErrNoRights, func() error { return e.Signal(f.ntfnR) })
		for _, s := range waits {
			add(s.name+" without Read", abi.ErrNoRights, func() error { return s.f(f.ntfnW) })
		}
		add("Recv offering a Reply without Write", abi.ErrNoRights, func() error { _, _, err := e.Recv(f.idle, f.replyR); return err })
		add("Reply without Write", abi.ErrNoRights, func() error { return e.Reply(f.replyR, 0) })
		add("ReplyRecv without Read", abi.ErrNoRights, func() error { _, _, err := e.ReplyRecv(f.epW, f.reply, 0); return err })
		add("Send a capability without Grant", abi.ErrNoRights, func() error {
			e.SetCap(0, f.idleN)
			return e.Send(f.epW, info(0, 0, 1))
		})
		add("UntypedInfo without Read", abi.ErrNoRights, func() error { _, _, err := e.UntypedInfo(f.utW); return err })
		add("Retype without Write", abi.ErrNoRights, func() error { return e.Retype(f.utR, abi.ObjEndpoint, 0, cs, f.empty, 1) })
		add("Retype into a CSpace without Write", abi.ErrNoRights, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, f.csR, f.empty, 1) })
		add("Inspect without Read", abi.ErrNoRights, func() error { _, err := e.Inspect(f.csW, f.ep); return err })
		add("Copy into a CSpace without Write", abi.ErrNoRights, func() error { return e.Copy(f.csR, f.empty, cs, f.ep, abi.AllRights) })
		add("Copy from a CSpace without Read", abi.ErrNoRights, func() error { return e.Copy(cs, f.empty, f.csW, f.ep, abi.AllRights) })
		add("Move from a CSpace without Write", abi.ErrNoRights, func() error { return e.Move(cs, f.empty, f.csR, f.badged) })
		add("Delete in a CSpace without Write", abi.ErrNoRights, func() error { return e.Delete(f.csR, f.badged) })
		add("Resume without Write", abi.ErrNoRights, func() error { return e.Resume(f.tcbR) })
		add("SetFaultHandler to an endpoint without Write", abi.ErrNoRights, func() error { return e.SetFaultHandler(f.tcb, f.epR) })
		add("Configure a Read-only frame as IPC buffer", abi.ErrNoRights, func() error { return e.Configure(f.tcb, 0, 0, f.frameR, frameVA) })
		add("Map a Read-only frame writable", abi.ErrNoRights, func() error { return e.Map(f.frameR, as, frameVA+abi.PageSize, 3) })
		add("Map into an address space without Write", abi.ErrNoRights, func() error { return e.Map(f.frame2, f.asR, frameVA+abi.PageSize, 1) })
		add("Unmap from an address space without Write", abi.ErrNoRights, func() error { return e.Unmap(f.frame, f.asR, frameVA) })
		add("ConsoleWrite without Write", abi.ErrNoRights, func() error { return e.Print(f.consR, "x") })
		// ErrInvalidArg: malformed MsgInfo, unknown methods, missing arguments.
		for _, s := range []struct {
			name string
			f    func(abi.MsgInfo) error
		}{
			{"Send", func(i abi.MsgInfo) error { return e.Send(f.ep, i) }},
			{"NBSend", func(i abi.MsgInfo) error { return e.NBSend(f.ep, i) }},
			{"Call", func(i abi.MsgInfo) error { _, err := e.Call(f.ep, i); return err }},
			{"Reply", func(i abi.MsgInfo) error { return e.Reply(f.reply, i) }},
			{"ReplyRecv", func(i abi.MsgInfo) error { _, _, err := e.ReplyRecv(f.idle, f.reply, i); return err }},
		} {
			add(s.name+" with reserved MsgInfo bits", abi.ErrInvalidArg, func() error { return s.f(reserved) })
			add(s.name+" with 65 words", abi.ErrInvalidArg, func() error { return s.f(tooLong) })
		}
		for _, m := range []abi.Method{abi.MethodNone, abi.Method(abi.NumMethods), 1 << 40} {
			add(fmt.Sprintf("Invoke method %d", m), abi.ErrInvalidArg, func() error { return e.Invoke(ut, m, 0, 0) })
		}
		add("Invoke with 65 words", abi.ErrInvalidArg, func() error { return e.Invoke(ut, abi.UntypedInfo, 65, 0) })
		add("Retype with too few words", abi.ErrInvalidArg, func() error {
			e.SetCap(0, cs)
			return e.Invoke(ut, abi.UntypedRetype, 3, 1)
		})
		add("Retype with no capability", abi.ErrInvalidArg, func() error { return e.Invoke(ut, abi.UntypedRetype, 4, 0) })
		for _, typ := range []abi.ObjectType{abi.ObjNull, abi.ObjIRQControl, abi.ObjIRQHandler, abi.ObjConsole, abi.ObjContainer, 1000} {
			add(fmt.Sprintf("Retype %v", typ), abi.ErrInvalidArg, func() error { return e.Retype(ut, typ, 0, cs, f.empty, 1) })
		}
		add("Copy with rights mask 16", abi.ErrInvalidArg, func() error { return e.Copy(cs, f.empty, cs, f.ep, 16) })
		add("Mint a badge on a TCB", abi.ErrInvalidArg, func() error { return e.Mint(cs, f.empty, cs, f.tcb, abi.AllRights, 1) })
		add("Configure a misaligned IPC buffer", abi.ErrInvalidArg, func() error { return e.Configure(f.tcb, 0, 0, f.frame2, frameVA+8) })
		add("Map misaligned", abi.ErrInvalidArg, func() error { return e.Map(f.frame2, as, frameVA+abi.PageSize+8, 3) })
		add("Map with no permission", abi.ErrInvalidArg, func() error { return e.Map(f.frame2, as, frameVA+abi.PageSize, 0) })
		add("Map with permission bit 8", abi.ErrInvalidArg, func() error { return e.Map(f.frame2, as, frameVA+abi.PageSize, 9) })
		// ErrRange.
		add("Retype count 0", abi.ErrRange, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, f.empty, 0) })
		add("Retype count 257", abi.ErrRange, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, f.hi, 257) })
		add("Retype CSpace radix 0", abi.ErrRange, func() error { return e.Retype(ut, abi.ObjCSpace, 0, cs, f.empty, 1) })
		add("Retype CSpace radix 17", abi.ErrRange, func() error { return e.Retype(ut, abi.ObjCSpace, 17, cs, f.empty, 1) })
		add("Retype Untyped of 4095 bytes", abi.ErrRange, func() error { return e.Retype(ut, abi.ObjUntyped, 4095, cs, f.empty, 1) })
		add("Retype into slot 0", abi.ErrRange, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, 0, 1) })
		add("Retype into slot 4096 (beyond the CSpace)", abi.ErrRange, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, 1<<12, 1) })
		add("Copy into slot 4096", abi.ErrRange, func() error { return e.Copy(cs, 1<<12, cs, f.ep, abi.AllRights) })
		add("Copy into slot 0", abi.ErrRange, func() error { return e.Copy(cs, 0, cs, f.ep, abi.AllRights) })
		add("SetTimeSlice 9999 ns", abi.ErrRange, func() error { return e.SetTimeSlice(f.tcb, 9_999) })
		add("SetTimeSlice 10 s + 1", abi.ErrRange, func() error { return e.SetTimeSlice(f.tcb, 10_000_000_001) })
		add("SetCPUBudget below 10 µs", abi.ErrRange, func() error { return e.SetCPUBudget(f.tcb, 9_999, 1_000_000) })
		add("SetCPUBudget period < budget", abi.ErrRange, func() error { return e.SetCPUBudget(f.tcb, 2_000_000, 1_000_000) })
		add("SetCPUBudget period > 10 s", abi.ErrRange, func() error { return e.SetCPUBudget(f.tcb, 2_000_000, 10_000_000_001) })
		add("SetMCPriority above the authority's", abi.ErrRange, func() error { return e.SetMCPriority(self, f.tcb, 1) })
		add("Configure an IPC buffer beyond user space", abi.ErrRange, func() error { return e.Configure(f.tcb, 0, 0, f.frame2, uint64(hal.UserTop)) })
		add("Map beyond user space", abi.ErrRange, func() error { return e.Map(f.frame2, as, uint64(hal.UserTop), 3) })
		add("ConsoleWrite 481 bytes", abi.ErrRange, func() error {
			e.SetMR(0, kernel.MaxConsoleWrite+1)
			return e.Invoke(console, abi.ConsoleWrite, 1, 0)
		})
		add("IRQ line 32", abi.ErrRange, func() error { return e.IRQHandler(abi.InitSlotIRQControl, 32, cs, f.empty) })
		// ErrSlotFull.
		add("Retype into a full slot", abi.ErrSlotFull, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, f.idle, 1) })
		add("Copy into a full slot", abi.ErrSlotFull, func() error { return e.Copy(cs, f.idle, cs, f.ep, abi.AllRights) })
		add("Mint into a full slot", abi.ErrSlotFull, func() error { return e.Mint(cs, f.idle, cs, f.ep, abi.AllRights, 3) })
		add("Move into a full slot", abi.ErrSlotFull, func() error { return e.Move(cs, f.idle, cs, f.badged) })
		add("Move onto itself", abi.ErrSlotFull, func() error { return e.Move(cs, f.badged, cs, f.badged) })
		add("Mutate into a full slot", abi.ErrSlotFull, func() error { return e.Mutate(cs, f.idle, cs, f.badged, abi.RightRead, 0) })
		add("IRQ handler into a full slot", abi.ErrSlotFull, func() error { return e.IRQHandler(abi.InitSlotIRQControl, 3, cs, f.idle) })
		// ErrInvalidCap for the source of a CSpace operation and for extra capabilities.
		add("Copy from an empty slot", abi.ErrInvalidCap, func() error { return e.Copy(cs, f.hi, cs, f.empty, abi.AllRights) })
		add("Delete an empty slot", abi.ErrInvalidCap, func() error { return e.Delete(cs, f.empty) })
		add("Revoke an empty slot", abi.ErrInvalidCap, func() error { return e.Revoke(cs, f.empty) })
		add("Inspect an empty slot", abi.ErrInvalidCap, func() error { _, err := e.Inspect(cs, f.empty); return err })
		add("Retype into CSpace pointer 0", abi.ErrInvalidCap, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, 0, f.empty, 1) })
		add("Retype into an empty CSpace pointer", abi.ErrInvalidCap, func() error { return e.Retype(ut, abi.ObjEndpoint, 0, f.empty, f.empty, 1) })
		add("Send an empty capability with Grant", abi.ErrInvalidCap, func() error {
			e.SetCap(0, f.empty)
			return e.Send(f.epWG, info(0, 0, 1))
		})
		add("Map without an address space", abi.ErrInvalidCap, func() error { return e.Map(f.frame2, 0, frameVA+abi.PageSize, 3) })
		add("SetPriority without an authority", abi.ErrInvalidCap, func() error { return e.SetPriority(f.tcb, 0, 1) })
		// ErrNoMemory.
		add("Retype an Untyped larger than the root", abi.ErrNoMemory, func() error { return e.Retype(ut, abi.ObjUntyped, 1<<40, cs, f.empty, 1) })
		// ErrWouldBlock.
		add("NBSend with no receiver", abi.ErrWouldBlock, func() error { return e.NBSend(f.idle, 0) })
		add("NBRecv with no sender", abi.ErrWouldBlock, func() error { _, _, err := e.NBRecv(f.idle, f.reply); return err })
		add("NBRecv where a receiver already waits", abi.ErrWouldBlock, func() error { _, _, err := e.NBRecv(f.ep, 0); return err })
		add("Poll an unsignalled notification", abi.ErrWouldBlock, func() error { _, err := e.Poll(f.idleN); return err })
		add("NBRecv on an unsignalled notification", abi.ErrWouldBlock, func() error { _, _, err := e.NBRecv(f.idleN, 0); return err })
		// ErrIllegal.
		add("Reply with no caller", abi.ErrIllegal, func() error { return e.Reply(f.reply, 0) })
		add("Reply through a Reply another receiver offers", abi.ErrIllegal, func() error { return e.Reply(f.recvReply, 0) })
		add("Recv offering a Reply another receiver offers", abi.ErrIllegal, func() error { _, _, err := e.NBRecv(f.idle, f.recvReply); return err })
		add("ReplyRecv with a Reply another receiver offers", abi.ErrIllegal, func() error { _, _, err := e.ReplyRecv(f.idle, f.recvReply, 0); return err })
		add("Mint a new badge on a badged capability", abi.ErrIllegal, func() error { return e.Mint(cs, f.empty, cs, f.badged, abi.AllRights, 7) })
		add("WriteRegisters on the running thread", abi.ErrIllegal, func() error { return e.WriteRegisters(self, 0, 0, 0) })
		add("Claim a claimed IRQ line", abi.ErrIllegal, func() error { return e.IRQHandler(abi.InitSlotIRQControl, 2, cs, f.empty) })
		// ErrAlreadyMapped, ErrNotMapped.
		add("Map where a frame is mapped", abi.ErrAlreadyMapped, func() error { return e.Map(f.frame2, as, frameVA, 3) })
		add("Map the same frame twice at one address", abi.ErrAlreadyMapped, func() error { return e.Map(f.frame, as, frameVA, 1) })
		add("Map over init's IPC buffer", abi.ErrAlreadyMapped, func() error { return e.Map(f.frame2, as, abi.InitIPCBuffer, 3) })
		add("Unmap where another frame is mapped", abi.ErrNotMapped, func() error { return e.Unmap(f.frame2, as, frameVA) })
		add("Unmap where nothing is mapped", abi.ErrNotMapped, func() error { return e.Unmap(f.frame, as, frameVA+abi.PageSize) })
		// ErrRevoked: Mutate may not change the rights or badge of a capability with
		// derived children.
		add("Mutate the rights of a capability with children", abi.ErrRevoked, func() error { return e.Mutate(cs, f.empty, cs, f.parent, abi.RightRead, 0) })
		add("Mutate the badge of a capability with children", abi.ErrRevoked, func() error { return e.Mutate(cs, f.empty, cs, f.parent, abi.AllRights, 9) })

		runErrCases(t, w, e, &f, wt, cases)
		ran = len(cases)

		// The same operations succeed once the reason is gone (so the cases above
		// failed for the reason named, not another).
		must(t, e.Revoke(cs, f.parent))
		expectErrno(t, "Mutate the rights of a capability without children", e.Mutate(cs, f.empty, cs, f.parent, abi.RightRead, 0), abi.OK)
		expectErrno(t, "Unmap the mapped frame", e.Unmap(f.frame, as, frameVA), abi.OK)
		expectErrno(t, "Map after Unmap", e.Map(f.frame2, as, frameVA, 3), abi.OK)
		expectErrno(t, "Send with Grant", e.Send(f.epWG, 0), abi.OK)
		if wt.received != 1 {
			t.Errorf("receiver got %d messages, want 1", wt.received)
		}
		expectErrno(t, "Signal", e.Signal(f.ntfnW), abi.OK)
		if wt.woken != 1 {
			t.Errorf("waiter woken %d times, want 1", wt.woken)
		}
	}, wt.programs(recvPC, waitPC))
	w.finish()
	if ran < 150 {
		t.Errorf("only %d error cases ran", ran)
	}
}

// A thread without an IPC buffer cannot send a message longer than the register words
// or one with capabilities, nor make an invocation that needs the buffer
// (ErrNoIPCBuffer); register-only calls work.
func TestErrNoIPCBuffer(t *testing.T) {
	const recvPC, waitPC, noBufPC = 0x181_0000, 0x181_1000, 0x181_2000
	wt := &errWatch{}
	var f errFixture
	var results []string
	var w *world
	progs := wt.programs(recvPC, waitPC)
	progs[noBufPC] = func(e *user.Env) {
		long := abi.NewMsgInfo(0, abi.NumRegMRs+1, 0)
		withCap := abi.NewMsgInfo(0, 0, 1)
		for _, c := range []errCase{
			{"Send long", abi.ErrNoIPCBuffer, func() error { return e.Send(f.ep, long) }},
			{"NBSend long", abi.ErrNoIPCBuffer, func() error { return e.NBSend(f.ep, long) }},
			{"Call long", abi.ErrNoIPCBuffer, func() error { _, err := e.Call(f.ep, long); return err }},
			{"Send a capability", abi.ErrNoIPCBuffer, func() error { return e.Send(f.epWG, withCap) }},
			{"Reply long", abi.ErrNoIPCBuffer, func() error { return e.Reply(f.reply, long) }},
			{"ReplyRecv long", abi.ErrNoIPCBuffer, func() error { _, _, err := e.ReplyRecv(f.idle, f.reply, long); return err }},
			{"Retype (needs an extra capability)", abi.ErrNoIPCBuffer, func() error {
				e.SetMR(0, uint64(abi.ObjEndpoint))
				e.SetMR(2, uint64(f.empty))
				e.SetMR(3, 1)
				return e.Invoke(ut, abi.UntypedRetype, 4, 1)
			}},
			{"ConsoleWrite", abi.ErrNoIPCBuffer, func() error {
				e.SetMR(0, 3)
				return e.Invoke(console, abi.ConsoleWrite, 1, 0)
			}},
			// Register-only calls work without a buffer.
			{"NBSend short", abi.ErrWouldBlock, func() error { return e.NBSend(f.idle, abi.NewMsgInfo(0, abi.NumRegMRs, 0)) }},
			{"UntypedInfo", abi.OK, func() error { _, _, err := e.UntypedInfo(ut); return err }},
		} {
			err := c.call()
			results = append(results, fmt.Sprintf("%s: %v", c.name, errnoOf(err) == c.want))
			expectErrno(t, c.name, err, c.want)
		}
	}
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		var ok bool
		if f, ok = makeErrFixture(t, e, slots, recvPC, waitPC); !ok {
			return
		}
		tcb := retype(e, slots, abi.ObjTCB, 0)
		f.hi = slots.Next
		before := f.snapshot(w, e, wt)
		must(t, e.Configure(tcb, cs, as, 0, 0)) // no IPC buffer
		must(t, e.SetPriority(tcb, self, 150))
		must(t, e.WriteRegisters(tcb, noBufPC, 0, 0))
		must(t, e.Resume(tcb)) // runs all its calls at once
		if after := f.snapshot(w, e, wt); after != before {
			t.Errorf("the failing calls changed the system:\n before %s\n after  %s", before, after)
		}
	}, progs)
	w.finish()
	if len(results) != 10 {
		t.Fatalf("thread without IPC buffer made %d calls, want 10: %v", len(results), results)
	}
}

// Recv or NBRecv with a Reply object already owed to a caller is ErrIllegal, as is a
// second Reply; a ReplyRecv whose receive half is bad fails before replying, leaving the
// caller waiting.
func TestReplyObjectStateErrors(t *testing.T) {
	const recvPC, waitPC, clientPC = 0x182_0000, 0x182_1000, 0x182_2000
	wt := &errWatch{}
	var f errFixture
	var client user.SpawnedTask
	var clientGot []received
	var w *world
	progs := wt.programs(recvPC, waitPC)
	progs[clientPC] = func(e *user.Env) {
		for range 2 {
			info, err := e.Call(efEP, abi.NewMsgInfo(1, 0, 0))
			clientGot = append(clientGot, received{0, info, e.MR(0), err})
		}
	}
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		var ok bool
		if f, ok = makeErrFixture(t, e, slots, recvPC, waitPC); !ok {
			return
		}
		var err error
		if client, err = spawnTask(e, slots, clientPC, 150, user.Grant{From: f.idle, To: efEP, Rights: abi.RightWrite}); err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		// Receive through a capability without Grant or GrantReply: the reply may not
		// carry capabilities.
		idleR, _ := slots.Take()
		must(t, e.Copy(cs, idleR, cs, f.idle, abi.RightRead))
		f.hi = slots.Next
		expectState(t, e, "client", client.TCB, kernel.BlockedOnSend)
		if _, _, err := e.Recv(idleR, f.reply); err != nil {
			t.Errorf("receive the call: %v", err)
		}
		expectState(t, e, "client", client.TCB, kernel.BlockedOnReply)
		runErrCases(t, w, e, &f, wt, []errCase{
			{"Recv with a Reply owed to a caller", abi.ErrIllegal, func() error { _, _, err := e.Recv(f.idle, f.reply); return err }},
			{"NBRecv with a Reply owed to a caller", abi.ErrIllegal, func() error { _, _, err := e.NBRecv(f.idle, f.reply); return err }},
			{"ReplyRecv on a notification", abi.ErrWrongType, func() error { _, _, err := e.ReplyRecv(f.ntfn, f.reply, 0); return err }},
			{"ReplyRecv on an endpoint without Read", abi.ErrNoRights, func() error { _, _, err := e.ReplyRecv(f.epW, f.reply, 0); return err }},
			{"ReplyRecv on an empty slot", abi.ErrInvalidCap, func() error { _, _, err := e.ReplyRecv(f.empty, f.reply, 0); return err }},
			{"ReplyRecv with a bad MsgInfo", abi.ErrInvalidArg, func() error { _, _, err := e.ReplyRecv(f.idle, f.reply, 1<<10); return err }},
			{"Reply with a capability, no grant", abi.ErrNoRights, func() error {
				e.SetCap(0, f.idleN)
				return e.Reply(f.reply, abi.NewMsgInfo(0, 0, 1))
			}},
		})
		expectState(t, e, "client after the failing calls", client.TCB, kernel.BlockedOnReply)
		e.SetMR(0, 42)
		expectErrno(t, "Reply", e.Reply(f.reply, abi.NewMsgInfo(0, 1, 0)), abi.OK)
		// The client called again at once; after answering it no caller is left.
		if _, _, err := e.Recv(idleR, f.reply); err != nil {
			t.Errorf("receive the second call: %v", err)
		}
		e.SetMR(0, 43)
		expectErrno(t, "Reply", e.Reply(f.reply, abi.NewMsgInfo(0, 1, 0)), abi.OK)
		expectErrno(t, "second Reply", e.Reply(f.reply, 0), abi.ErrIllegal)
	}, progs)
	w.finish()
	if fmt.Sprint(clientGot) != fmt.Sprint([]received{{0, abi.NewMsgInfo(0, 1, 0), 42, nil}, {0, abi.NewMsgInfo(0, 1, 0), 43, nil}}) {
		t.Errorf("client got %v, want the replies 42 and 43", clientGot)
	}
}

// A Call received without a Reply object cannot be answered: the receiver gets the
// message, the caller's Call returns ErrCancelled.
func TestCallReceivedWithoutReplyIsCancelled(t *testing.T) {
	const callerPC = 0x183_0000
	var callErr error
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		if _, err := spawnTask(e, slots, callerPC, 150, user.Grant{From: ep, To: 1, Rights: abi.RightWrite}); err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		_, info, err := e.Recv(ep, 0)
		if err != nil || info.Label() != 3 || e.MR(0) != 5 {
			t.Errorf("Recv = label %d mr0 %d %v; want the call (label 3, mr0 5)", info.Label(), e.MR(0), err)
		}
		expectErrno(t, "caller's Call", callErr, abi.ErrCancelled)
	}, map[uint64]usersim.Program{callerPC: func(e *user.Env) {
		e.SetMR(0, 5)
		_, callErr = e.Call(1, abi.NewMsgInfo(3, 1, 0))
	}})
	w.finish()
	expectErrno(t, "caller's Call", callErr, abi.ErrCancelled)
}

// Register-level errors the user library cannot produce: an invocation with reserved
// MsgInfo bits or an over-long length is ErrInvalidArg; an invalid system call number
// is not an error but a fault (FaultUnknownSyscall with the number in MR0), after whose
// reply the call returns ErrInvalidSys.
func TestRawRegisterErrors(t *testing.T) {
	const rawPC = 0x184_0000
	bad := []uint64{0, uint64(abi.SysBase) - 1, uint64(abi.SysBase) + uint64(abi.NumSyscalls), 1 << 63, ^uint64(0)}
	var rawErrs []abi.Errno
	var faults []faultRec
	var ut0, ut1 uint64
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		f, ok := setupFaulter(t, e, slots, rawPC, 0x77)
		if !ok {
			return
		}
		_, ut0, _ = e.UntypedInfo(ut)
		must(t, e.Signal(f.goN))
		for range bad {
			faults = append(faults, recvFault(t, e, f.ep, f.reply))
			must(t, e.Reply(f.reply, 0))
		}
		if _, err := e.Wait(f.doneN); err != nil {
			t.Errorf("Wait: %v", err)
		}
		_, ut1, _ = e.UntypedInfo(ut)
	}, nil)
	w.addRaw(rawPC, func(p *sim.Port, e *user.Env) {
		_, _ = e.Wait(fGo)
		r := p.Regs()
		sys := func(regs abi.Regs) {
			*r = regs
			p.Syscall()
			rawErrs = append(rawErrs, abi.Errno(r.Num))
		}
		// The task's CSpace: 1 go notification (Read), 2 done notification (Write).
		sys(abi.Regs{Num: uint64(abi.SysInvoke), Cap: uint64(fGo), Info: uint64(abi.NewMsgInfo(uint64(abi.UntypedInfo), 0, 0)) | 1<<9})
		sys(abi.Regs{Num: uint64(abi.SysInvoke), Cap: uint64(fGo), Info: uint64(abi.NewMsgInfo(uint64(abi.UntypedInfo), 0, 0)) | 1<<11})
		sys(abi.Regs{Num: uint64(abi.SysInvoke), Cap: uint64(fGo), Info: uint64(abi.NewMsgInfo(uint64(abi.UntypedInfo), 127, 0))})
		sys(abi.Regs{Num: uint64(abi.SysSignal), Cap: uint64(fDone), Info: 1 << 9}) // Signal ignores Info
		sys(abi.Regs{Num: uint64(abi.SysPoll), Cap: uint64(fGo)})                   // consumed by Wait: nothing pending
		for _, n := range bad {
			sys(abi.Regs{Num: n, MR: [4]uint64{1, 2, 3, 4}})
		}
		_ = e.Signal(fDone)
	})
	w.finish()
	want := []abi.Errno{abi.ErrInvalidArg, abi.ErrInvalidArg, abi.ErrInvalidArg, abi.OK, abi.ErrWouldBlock}
	for range bad {
		want = append(want, abi.ErrInvalidSys)
	}
	if fmt.Sprint(rawErrs) != fmt.Sprint(want) {
		t.Errorf("raw calls returned\n %v\nwant\n %v", rawErrs, want)
	}
	if len(faults) != len(bad) {
		t.Fatalf("%d faults, want %d", len(faults), len(bad))
	}
	for i, n := range bad {
		if f := faults[i]; f.badge != 0x77 || f.kind != abi.FaultUnknownSyscall || f.mr[0] != n || f.len != abi.FaultMsgLen {
			t.Errorf("fault %d = %v, want %v with MR0 %#x", i, f, abi.FaultUnknownSyscall, n)
		}
	}
	if ut1 != ut0 {
		t.Errorf("root budget used changed from %d to %d", ut0, ut1)
	}
}
