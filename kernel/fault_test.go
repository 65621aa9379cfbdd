package kernel_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Slots of the isolated tasks the fault tests start.
const (
	fGo   abi.CPtr = 1 // notification (Read): the task waits on it before misbehaving
	fDone abi.CPtr = 2 // notification (Write): the task signals it when finished
)

// faultRec is one fault message as the handler received it.
type faultRec struct {
	badge abi.Badge
	kind  abi.FaultKind
	len   int
	caps  int
	mr    [3]uint64
}

func (f faultRec) String() string {
	return fmt.Sprintf("{badge %#x %v len %d caps %d mr %#x}", f.badge, f.kind, f.len, f.caps, f.mr)
}

// recvFault receives one fault message on ep with Reply object reply.
func recvFault(t *testing.T, e *user.Env, ep, reply abi.CPtr) faultRec {
	t.Helper()
	b, info, err := e.Recv(ep, reply)
	if err != nil {
		t.Errorf("receiving a fault: %v", err)
	}
	return faultRec{b, abi.FaultKind(info.Label()), info.Len(), info.ExtraCaps(), [3]uint64{e.MR(0), e.MR(1), e.MR(2)}}
}

// faultSetup is what the fault tests' init makes: a fault endpoint and Reply, the go
// and done notifications, and a task with the fault endpoint (minted with badge) as its
// fault handler (badge 0: no fault handler).
type faultSetup struct {
	ep, reply, goN, doneN abi.CPtr
	task                  user.SpawnedTask
}

func setupFaulter(t *testing.T, e *user.Env, slots *user.Slots, pc uint64, badge abi.Badge) (faultSetup, bool) {
	t.Helper()
	var f faultSetup
	f.ep = retype(e, slots, abi.ObjEndpoint, 0)
	f.reply = retype(e, slots, abi.ObjReply, 0)
	f.goN = retype(e, slots, abi.ObjNotification, 0)
	f.doneN = retype(e, slots, abi.ObjNotification, 0)
	var err error
	f.task, err = spawnTask(e, slots, pc, 150,
		user.Grant{From: f.goN, To: fGo, Rights: abi.RightRead},
		user.Grant{From: f.doneN, To: fDone, Rights: abi.RightWrite})
	if err != nil {
		t.Errorf("spawn: %v", err)
		return f, false
	}
	if badge != 0 {
		fc, _ := slots.Take()
		if err := e.Mint(cs, fc, cs, f.ep, abi.RightWrite, badge); err != nil {
			t.Errorf("mint fault capability: %v", err)
			return f, false
		}
		if err := e.SetFaultHandler(f.task.TCB, fc); err != nil {
			t.Errorf("set fault handler: %v", err)
			return f, false
		}
	}
	return f, true
}

// A page fault goes to the fault endpoint as a FaultPage message with the address,
// access and the fault capability's badge; the faulting thread waits for the reply and
// retries the access, so a handler that maps a frame lets it continue.
func TestPageFaultDeliveredToHandler(t *testing.T) {
	const (
		faulterPC = 0x110_0000
		readAddr  = 0x2000_0010 // read first: a fresh (zeroed) frame is mapped read-only
		writeAddr = 0x3000_0008 // then written: mapped read-only first, so it faults twice
		shareVA   = 0x5000_0000 // where init maps the written frame to check the value
		value     = 0xfeed_face_cafe_f00d
	)
	var readBack, readFirst uint64
	faulter := func(e *user.Env) {
		if _, err := e.Wait(fGo); err != nil {
			t.Errorf("faulter Wait: %v", err)
		}
		readFirst = e.Load64(readAddr)
		e.Store64(writeAddr, value)
		readBack = e.Load64(writeAddr)
		_ = e.Signal(fDone)
	}
	var faults []faultRec
	var states []kernel.ThreadState
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		f, ok := setupFaulter(t, e, slots, faulterPC, 0xfa)
		if !ok {
			return
		}
		ro := retype(e, slots, abi.ObjFrame, 0)
		rw := retype(e, slots, abi.ObjFrame, 0)
		must(t, e.Map(rw, as, shareVA, 3))
		// The faulter waits on fGo; let it run into its first fault.
		must(t, e.Signal(f.goN))
		states = append(states, stateOf(e, f.task.TCB)) // queued on the fault endpoint

		faults = append(faults, recvFault(t, e, f.ep, f.reply))
		states = append(states, stateOf(e, f.task.TCB)) // waiting for the reply
		expectErrno(t, "map read-only frame", e.Map(ro, f.task.AS, readAddr&^(abi.PageSize-1), 1), abi.OK)
		expectErrno(t, "reply 1", e.Reply(f.reply, 0), abi.OK)

		faults = append(faults, recvFault(t, e, f.ep, f.reply))
		expectErrno(t, "map writable frame read-only", e.Map(rw, f.task.AS, writeAddr&^(abi.PageSize-1), 1), abi.OK)
		expectErrno(t, "reply 2", e.Reply(f.reply, 0), abi.OK)

		faults = append(faults, recvFault(t, e, f.ep, f.reply)) // the write retried and faulted again
		expectErrno(t, "unmap", e.Unmap(rw, f.task.AS, writeAddr&^(abi.PageSize-1)), abi.OK)
		expectErrno(t, "map writable", e.Map(rw, f.task.AS, writeAddr&^(abi.PageSize-1), 3), abi.OK)
		expectErrno(t, "reply 3", e.Reply(f.reply, 0), abi.OK)

		if _, err := e.Wait(f.doneN); err != nil {
			t.Errorf("Wait done: %v", err)
		}
		if v := e.Load64(shareVA + writeAddr%abi.PageSize); v != value {
			t.Errorf("init reads %#x through its own mapping of the frame, want %#x", v, uint64(value))
		}
		states = append(states, stateOf(e, f.task.TCB)) // its program ended
	}, map[uint64]usersim.Program{faulterPC: faulter})
	w.finish()
	want := []faultRec{
		{0xfa, abi.FaultPage, abi.FaultMsgLen, 0, [3]uint64{readAddr, 0, abi.FaultRead}},
		{0xfa, abi.FaultPage, abi.FaultMsgLen, 0, [3]uint64{writeAddr, 0, abi.FaultWrite}},
		{0xfa, abi.FaultPage, abi.FaultMsgLen, 0, [3]uint64{writeAddr, 0, abi.FaultWrite}},
	}
	// MR1 is the pc, which the simulated machine does not model (it reports the entry
	// point); it is not compared.
	for i := range faults {
		faults[i].mr[1] = 0
	}
	if fmt.Sprint(faults) != fmt.Sprint(want) {
		t.Errorf("faults\n %v\nwant\n %v", faults, want)
	}
	wantStates := []kernel.ThreadState{kernel.BlockedOnSend, kernel.BlockedOnReply, kernel.Inactive}
	if fmt.Sprint(states) != fmt.Sprint(wantStates) {
		t.Errorf("faulter states %v, want %v", states, wantStates)
	}
	if readFirst != 0 || readBack != value {
		t.Errorf("faulter read %#x (want 0) and %#x after its write (want %#x)", readFirst, readBack, uint64(value))
	}
	if w.Stats.Faults != 3 {
		t.Errorf("Stats.Faults = %d, want 3", w.Stats.Faults)
	}
}

// Without a fault handler a faulting thread is suspended; other threads go on; after
// the memory is mapped, Resume retries the access.
func TestFaultWithoutHandlerSuspends(t *testing.T) {
	const (
		faulterPC = 0x111_0000
		workerPC  = 0x112_0000
		addr      = 0x2000_0000
		shareVA   = 0x5000_0000
	)
	var worked int
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		f, ok := setupFaulter(t, e, slots, faulterPC, 0)
		if !ok {
			return
		}
		workerGo := retype(e, slots, abi.ObjNotification, 0)
		workerDone := retype(e, slots, abi.ObjNotification, 0)
		if _, err := spawnTask(e, slots, workerPC, 150,
			user.Grant{From: workerGo, To: fGo, Rights: abi.RightRead},
			user.Grant{From: workerDone, To: fDone, Rights: abi.RightWrite}); err != nil {
			t.Errorf("spawn worker: %v", err)
			return
		}
		must(t, e.Signal(f.goN))
		expectState(t, e, "faulter without a handler", f.task.TCB, kernel.Suspended)

		must(t, e.Signal(workerGo))
		if _, err := e.Wait(workerDone); err != nil {
			t.Errorf("Wait worker: %v", err)
		}
		if worked != 3 {
			t.Errorf("worker did %d steps while the faulter was suspended, want 3", worked)
		}
		expectState(t, e, "faulter after the worker ran", f.task.TCB, kernel.Suspended)
		if _, err := e.Poll(f.doneN); errnoOf(err) != abi.ErrWouldBlock {
			t.Errorf("faulter signalled done while suspended (Poll: %v)", err)
		}

		// Map the page and resume: the store is retried and succeeds.
		frame := retype(e, slots, abi.ObjFrame, 0)
		must(t, e.Map(frame, f.task.AS, addr, 3))
		must(t, e.Map(frame, as, shareVA, 3))
		must(t, e.Resume(f.task.TCB))
		if _, err := e.Wait(f.doneN); err != nil {
			t.Errorf("Wait faulter: %v", err)
		}
		if v := e.Load64(shareVA); v != 7 {
			t.Errorf("value after resume = %d, want 7", v)
		}
		expectState(t, e, "faulter after it finished", f.task.TCB, kernel.Inactive)
	}, map[uint64]usersim.Program{
		faulterPC: func(e *user.Env) {
			_, _ = e.Wait(fGo)
			e.Store64(addr, 7)
			_ = e.Signal(fDone)
		},
		workerPC: func(e *user.Env) {
			_, _ = e.Wait(fGo)
			for range 3 {
				e.Compute(1_000_000)
				worked++
			}
			_ = e.Signal(fDone)
		},
	})
	w.finish()
	if w.Stats.Faults != 1 {
		t.Errorf("Stats.Faults = %d, want 1", w.Stats.Faults)
	}
}

// A user program that panics raises FaultException; the thread cannot continue, so the
// handler's reply leaves it Inactive. Without a handler it is suspended.
func TestPanicDeliversException(t *testing.T) {
	const panickerPC = 0x113_0000
	var fault faultRec
	var afterFault, afterReply, noHandler, noHandlerResumed kernel.ThreadState
	var after string
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		f, ok := setupFaulter(t, e, slots, panickerPC, 0xe)
		if !ok {
			return
		}
		must(t, e.Signal(f.goN))
		fault = recvFault(t, e, f.ep, f.reply)
		afterFault = stateOf(e, f.task.TCB)
		expectErrno(t, "reply to the exception", e.Reply(f.reply, 0), abi.OK)
		afterReply = stateOf(e, f.task.TCB)

		g, ok := setupFaulter(t, e, slots, panickerPC, 0)
		if !ok {
			return
		}
		must(t, e.Signal(g.goN))
		noHandler = stateOf(e, g.task.TCB)
		must(t, e.Resume(g.task.TCB))
		noHandlerResumed = stateOf(e, g.task.TCB)
		if _, err := e.Poll(g.doneN); errnoOf(err) != abi.ErrWouldBlock {
			t.Errorf("the panicked program continued after Resume (Poll: %v)", err)
		}
		after = "init done"
	}, map[uint64]usersim.Program{panickerPC: func(e *user.Env) {
		_, _ = e.Wait(fGo)
		var m map[string]int
		m["boom"]++ // a nil-map write panics
		_ = e.Signal(fDone)
	}})
	w.run()
	if after != "init done" {
		t.Fatalf("init did not finish\n%s", w.Console)
	}
	if !strings.Contains(w.Console.String(), "panicked") {
		t.Errorf("console does not report the panic:\n%s", w.Console)
	}
	if fault.badge != 0xe || fault.kind != abi.FaultException || fault.len != abi.FaultMsgLen || fault.mr[0] != 1 {
		t.Errorf("fault = %v, want badge 0xe %v len 3 MR0 (exception code) 1", fault, abi.FaultException)
	}
	if afterFault != kernel.BlockedOnReply || afterReply != kernel.Inactive {
		t.Errorf("panicker states: %v after the fault, %v after the reply; want %v, %v",
			afterFault, afterReply, kernel.BlockedOnReply, kernel.Inactive)
	}
	if noHandler != kernel.Suspended || noHandlerResumed != kernel.Inactive {
		t.Errorf("without a handler: %v after the panic, %v after Resume; want %v, %v",
			noHandler, noHandlerResumed, kernel.Suspended, kernel.Inactive)
	}
}

// An unknown system call number is delivered as FaultUnknownSyscall with the number in
// MR0; after the reply the system call returns ErrInvalidSys. When the fault cannot be
// answered — no handler, the thread suspended while delivering it, or a handler that
// received it without a Reply object — the thread is suspended (or stays so) and, once
// resumed, the system call returns ErrInvalidSys as well.
func TestUnknownSyscallFault(t *testing.T) {
	const badPC = 0x114_0000
	const bad = 12345
	cases := []struct {
		name  string
		badge abi.Badge // fault handler badge; 0: none
		// handle deals with the fault once the thread has made the bad call.
		handle func(t *testing.T, e *user.Env, f faultSetup)
	}{
		{"handler replies", 0x5c, func(t *testing.T, e *user.Env, f faultSetup) {
			fault := recvFault(t, e, f.ep, f.reply)
			if fault.badge != 0x5c || fault.kind != abi.FaultUnknownSyscall || fault.len != abi.FaultMsgLen || fault.mr[0] != bad {
				t.Errorf("fault = %v, want badge 0x5c %v len 3 MR0 %d", fault, abi.FaultUnknownSyscall, bad)
			}
			expectState(t, e, "thread after an unknown system call", f.task.TCB, kernel.BlockedOnReply)
			e.SetMR(0, 0xaaaa)
			expectErrno(t, "reply", e.Reply(f.reply, abi.NewMsgInfo(9, 1, 0)), abi.OK)
		}},
		{"no handler", 0, func(t *testing.T, e *user.Env, f faultSetup) {
			expectState(t, e, "no handler", f.task.TCB, kernel.Suspended)
			must(t, e.Resume(f.task.TCB))
		}},
		{"suspended while queued on the fault endpoint", 0x5c, func(t *testing.T, e *user.Env, f faultSetup) {
			expectState(t, e, "queued fault", f.task.TCB, kernel.BlockedOnSend)
			must(t, e.Suspend(f.task.TCB))
			expectState(t, e, "suspended", f.task.TCB, kernel.Suspended)
			if _, _, err := e.NBRecv(f.ep, f.reply); errnoOf(err) != abi.ErrWouldBlock {
				t.Errorf("NBRecv on the fault endpoint after Suspend: %v, want ErrWouldBlock", err)
			}
			must(t, e.Resume(f.task.TCB))
		}},
		{"suspended while waiting for the reply", 0x5c, func(t *testing.T, e *user.Env, f faultSetup) {
			recvFault(t, e, f.ep, f.reply)
			must(t, e.Suspend(f.task.TCB))
			expectErrno(t, "reply after Suspend", e.Reply(f.reply, 0), abi.ErrIllegal)
			must(t, e.Resume(f.task.TCB))
		}},
		{"handler without a Reply object", 0x5c, func(t *testing.T, e *user.Env, f faultSetup) {
			if _, info, err := e.Recv(f.ep, 0); err != nil || abi.FaultKind(info.Label()) != abi.FaultUnknownSyscall {
				t.Errorf("Recv = %v, %v", abi.FaultKind(info.Label()), err)
			}
			expectState(t, e, "unanswerable fault", f.task.TCB, kernel.Suspended)
			must(t, e.Resume(f.task.TCB))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var results []abi.Regs
			w := boot(t, func(e *user.Env) {
				slots := initSlots()
				f, ok := setupFaulter(t, e, slots, badPC, c.badge)
				if !ok {
					return
				}
				must(t, e.Signal(f.goN)) // the thread makes the bad call
				c.handle(t, e, f)
				if _, err := e.Wait(f.doneN); err != nil {
					t.Errorf("Wait: %v", err)
				}
			}, nil)
			w.addRaw(badPC, func(p *sim.Port, e *user.Env) {
				_, _ = e.Wait(fGo)
				r := p.Regs()
				*r = abi.Regs{Num: bad, Cap: 1, Info: 2, Cap2: 3, MR: [4]uint64{4, 5, 6, 7}}
				p.Syscall()
				results = append(results, *r)
				_ = e.Signal(fDone)
			})
			w.finish()
			if len(results) != 1 {
				t.Fatalf("%d bad system calls returned, want 1\n%s", len(results), w.Console)
			}
			if n := abi.Errno(results[0].Num); n != abi.ErrInvalidSys {
				t.Errorf("the bad system call returned %q (%d), want %v", n.Error(), results[0].Num, abi.ErrInvalidSys)
			}
		})
	}
}
