package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Slots of the "victim" tasks the TCB tests start.
const (
	vEP    abi.CPtr = 1 // an endpoint, all rights
	vReply abi.CPtr = 2 // a Reply object
	vNtfn  abi.CPtr = 3 // a notification, all rights
)

// victimOps are the blocking operations a victim task makes, by name.
var victimOps = map[string]func(e *user.Env) error{
	"send": func(e *user.Env) error { return e.Send(vEP, 0) },
	"call": func(e *user.Env) error { _, err := e.Call(vEP, 0); return err },
	"recv": func(e *user.Env) error { _, _, err := e.Recv(vEP, vReply); return err },
	"wait": func(e *user.Env) error { _, err := e.Wait(vNtfn); return err },
}

// victims maps a program address to each victim operation; results records what the
// operation returned (the victim then ends).
func victims(results map[string][]abi.Errno) (map[string]uint64, map[uint64]usersim.Program) {
	pcs := map[string]uint64{}
	progs := map[uint64]usersim.Program{}
	pc := uint64(0x170_0000)
	for _, name := range []string{"send", "call", "recv", "wait"} {
		op := victimOps[name]
		pcs[name] = pc
		progs[pc] = func(e *user.Env) { results[name] = append(results[name], errnoOf(op(e))) }
		pc += 0x1000
	}
	return pcs, progs
}

// victimSetup makes an endpoint, a Reply and a notification and starts a victim task
// with them that runs at once (priority 150) into its blocking operation.
type victimSetup struct {
	ep, reply, ntfn abi.CPtr
	task            user.SpawnedTask
}

func startVictim(t *testing.T, e *user.Env, slots *user.Slots, pc uint64) (victimSetup, bool) {
	t.Helper()
	var v victimSetup
	v.ep = retype(e, slots, abi.ObjEndpoint, 0)
	v.reply = retype(e, slots, abi.ObjReply, 0)
	v.ntfn = retype(e, slots, abi.ObjNotification, 0)
	var err error
	v.task, err = spawnTask(e, slots, pc, 150,
		user.Grant{From: v.ep, To: vEP, Rights: abi.AllRights},
		user.Grant{From: v.reply, To: vReply, Rights: abi.AllRights},
		user.Grant{From: v.ntfn, To: vNtfn, Rights: abi.AllRights})
	if err != nil {
		t.Errorf("spawn: %v", err)
		return v, false
	}
	return v, true
}

// Suspending a blocked thread cancels its IPC: it leaves the queue it was in, and when
// resumed its system call returns ErrCancelled. A thread blocked in Call is covered both
// while queued (BlockedOnSend) and after a server received the call (BlockedOnReply).
func TestSuspendCancelsBlockedIPC(t *testing.T) {
	results := map[string][]abi.Errno{}
	pcs, progs := victims(results)
	cases := []struct {
		name, op string
		state    kernel.ThreadState
		// before runs after the victim blocked and before Suspend (may be nil).
		before func(e *user.Env, v victimSetup, myReply abi.CPtr)
		// after runs while the victim is suspended: checks it left its queue.
		after func(e *user.Env, v victimSetup, myReply abi.CPtr)
	}{
		{"send", "send", kernel.BlockedOnSend, nil, func(e *user.Env, v victimSetup, r abi.CPtr) {
			_, _, err := e.NBRecv(v.ep, r)
			expectErrno(t, "send: NBRecv while the sender is suspended", err, abi.ErrWouldBlock)
		}},
		{"call queued", "call", kernel.BlockedOnSend, nil, func(e *user.Env, v victimSetup, r abi.CPtr) {
			_, _, err := e.NBRecv(v.ep, r)
			expectErrno(t, "call: NBRecv while the caller is suspended", err, abi.ErrWouldBlock)
		}},
		{"call received", "call", kernel.BlockedOnReply, func(e *user.Env, v victimSetup, r abi.CPtr) {
			_, _, err := e.Recv(v.ep, r)
			expectErrno(t, "receive the call", err, abi.OK)
		}, func(e *user.Env, v victimSetup, r abi.CPtr) {
			expectErrno(t, "reply to a suspended caller", e.Reply(r, 0), abi.ErrIllegal)
			// The Reply object is free again: it can be offered to a new Recv.
			_, _, err := e.NBRecv(v.ep, r)
			expectErrno(t, "NBRecv with the Reply object", err, abi.ErrWouldBlock)
		}},
		{"recv", "recv", kernel.BlockedOnRecv, nil, func(e *user.Env, v victimSetup, r abi.CPtr) {
			expectErrno(t, "recv: NBSend while the receiver is suspended", e.NBSend(v.ep, 0), abi.ErrWouldBlock)
			// The victim's Reply object is no longer offered: init may receive with it.
			_, _, err := e.NBRecv(v.ep, v.reply)
			expectErrno(t, "NBRecv with the suspended receiver's Reply object", err, abi.ErrWouldBlock)
		}},
		{"wait", "wait", kernel.BlockedOnNotification, nil, func(e *user.Env, v victimSetup, r abi.CPtr) {
			must(t, e.Signal(v.ntfn)) // goes into the word, not to the suspended thread
			if _, err := e.Poll(v.ntfn); err != nil {
				t.Errorf("wait: Poll after signalling while the waiter is suspended: %v, want the signal", err)
			}
		}},
	}
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		myReply := retype(e, slots, abi.ObjReply, 0)
		for _, c := range cases {
			v, ok := startVictim(t, e, slots, pcs[c.op])
			if !ok {
				return
			}
			if c.before != nil {
				c.before(e, v, myReply)
			}
			expectState(t, e, c.name+": before Suspend", v.task.TCB, c.state)
			must(t, e.Suspend(v.task.TCB))
			expectState(t, e, c.name+": after Suspend", v.task.TCB, kernel.Suspended)
			n := len(results[c.op])
			c.after(e, v, myReply)
			if len(results[c.op]) != n {
				t.Errorf("%s: the suspended thread ran", c.name)
			}
			must(t, e.Resume(v.task.TCB)) // it runs at once and ends
			expectState(t, e, c.name+": after Resume", v.task.TCB, kernel.Inactive)
			if got := results[c.op]; len(got) != n+1 || got[n] != abi.ErrCancelled {
				t.Errorf("%s: operation returned %v, want ErrCancelled", c.name, got[n:])
			}
		}
	}, progs)
	w.finish()
}

// WriteRegisters works only on an Inactive or Suspended thread (a Suspended one becomes
// Inactive and starts afresh at the new pc when resumed).
func TestWriteRegistersOnlyWhenStopped(t *testing.T) {
	const (
		aPC = 0x171_0000
		bPC = 0x171_1000
	)
	var ran []string
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		expectErrno(t, "WriteRegisters on the running thread itself", e.WriteRegisters(self, aPC, 0, 0), abi.ErrIllegal)

		sp, err := spawn(e, slots, aPC, 50) // lower priority: Ready, not run
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		expectState(t, e, "spawned low-priority thread", sp.TCB, kernel.Ready)
		expectErrno(t, "WriteRegisters on a ready thread", e.WriteRegisters(sp.TCB, bPC, 0, 0), abi.ErrIllegal)
		expectState(t, e, "after refused WriteRegisters", sp.TCB, kernel.Ready)
		if pc, _, _, _ := e.ThreadInfo(sp.TCB); pc != aPC {
			t.Errorf("pc after refused WriteRegisters = %#x, want %#x", pc, aPC)
		}

		v, ok := startVictim(t, e, slots, 0x172_0000) // blocks in Wait
		if !ok {
			return
		}
		expectErrno(t, "WriteRegisters on a blocked thread", e.WriteRegisters(v.task.TCB, bPC, 0, 0), abi.ErrIllegal)
		expectState(t, e, "after refused WriteRegisters", v.task.TCB, kernel.BlockedOnNotification)

		must(t, e.Suspend(sp.TCB))
		expectErrno(t, "WriteRegisters on a suspended thread", e.WriteRegisters(sp.TCB, bPC, 0x1230, 0x1000_0000+uint64(sp.TCB)*abi.PageSize), abi.OK)
		expectState(t, e, "after WriteRegisters on a suspended thread", sp.TCB, kernel.Inactive)
		if pc, sptr, _, err := e.ThreadInfo(sp.TCB); pc != bPC || sptr != 0x1230 || err != nil {
			t.Errorf("ThreadInfo = pc %#x sp %#x %v; want %#x %#x", pc, sptr, err, bPC, 0x1230)
		}
		fresh := retype(e, slots, abi.ObjTCB, 0)
		expectErrno(t, "WriteRegisters on a fresh (inactive) thread", e.WriteRegisters(fresh, aPC, 0, 0), abi.OK)
		if pc, _, _, _ := e.ThreadInfo(fresh); pc != aPC {
			t.Errorf("fresh thread's pc = %#x, want %#x", pc, aPC)
		}
		// Let the low-priority thread run: it starts at bPC.
		must(t, e.Resume(sp.TCB))
		must(t, e.SetPriority(self, self, 40))
	}, map[uint64]usersim.Program{
		aPC:        func(e *user.Env) { ran = append(ran, "A") },
		bPC:        func(e *user.Env) { ran = append(ran, "B") },
		0x172_0000: func(e *user.Env) { _, _ = e.Wait(vNtfn) },
	})
	w.finish()
	if fmt.Sprint(ran) != "[B]" {
		t.Fatalf("programs run: %v, want [B]", ran)
	}
}

// ThreadInfo (TCB ReadRegisters) reports each state a thread can be in.
func TestThreadInfoReportsStates(t *testing.T) {
	results := map[string][]abi.Errno{}
	pcs, progs := victims(results)
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		fresh := retype(e, slots, abi.ObjTCB, 0)
		expectState(t, e, "fresh TCB", fresh, kernel.Inactive)
		expectState(t, e, "the caller itself", self, kernel.Running)
		low, err := spawn(e, slots, pcs["wait"], 50)
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		expectState(t, e, "lower-priority thread", low.TCB, kernel.Ready)
		must(t, e.Suspend(low.TCB))
		expectState(t, e, "suspended ready thread", low.TCB, kernel.Suspended)

		myReply := retype(e, slots, abi.ObjReply, 0)
		for _, c := range []struct {
			op    string
			state kernel.ThreadState
		}{{"send", kernel.BlockedOnSend}, {"recv", kernel.BlockedOnRecv}, {"wait", kernel.BlockedOnNotification}, {"call", kernel.BlockedOnSend}} {
			v, ok := startVictim(t, e, slots, pcs[c.op])
			if !ok {
				return
			}
			expectState(t, e, c.op, v.task.TCB, c.state)
			if c.op == "call" {
				_, _, err := e.Recv(v.ep, myReply)
				expectErrno(t, "receive the call", err, abi.OK)
				expectState(t, e, "caller whose call was received", v.task.TCB, kernel.BlockedOnReply)
				must(t, e.Reply(myReply, 0))
				expectState(t, e, "caller after the reply", v.task.TCB, kernel.Inactive)
			}
		}
		// A TCB capability without Read cannot read the state.
		ro, _ := slots.Take()
		must(t, e.Copy(cs, ro, cs, fresh, abi.RightWrite))
		if _, _, _, err := e.ThreadInfo(ro); errnoOf(err) != abi.ErrNoRights {
			t.Errorf("ThreadInfo without Read: %v, want ErrNoRights", err)
		}
	}, progs)
	w.finish()
	if fmt.Sprint(results["call"]) != fmt.Sprint([]abi.Errno{abi.OK}) {
		t.Errorf("call returned %v, want OK", results["call"])
	}
}

// Destroying a thread (deleting its last TCB capability) takes it out of the queue it
// was blocked in: a later sender is not delivered to the dead thread. Its memory goes
// back to the budget.
func TestDestroyedThreadLeavesQueues(t *testing.T) {
	results := map[string][]abi.Errno{}
	pcs, progs := victims(results)
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		myReply := retype(e, slots, abi.ObjReply, 0)

		// Two receivers queued on one endpoint; the first is destroyed.
		v, ok := startVictim(t, e, slots, pcs["recv"])
		if !ok {
			return
		}
		reply2 := retype(e, slots, abi.ObjReply, 0)
		second, err := spawnTask(e, slots, pcs["recv"], 150,
			user.Grant{From: v.ep, To: vEP, Rights: abi.AllRights},
			user.Grant{From: reply2, To: vReply, Rights: abi.AllRights})
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		expectState(t, e, "second receiver", second.TCB, kernel.BlockedOnRecv)
		_, used0, _ := e.UntypedInfo(ut)
		fin0 := w.Finalized()
		must(t, e.Delete(cs, v.task.TCB))
		if w.Finalized() != fin0+1 {
			t.Errorf("deleting the TCB finalized %d objects, want 1", w.Finalized()-fin0)
		}
		if _, used, _ := e.UntypedInfo(ut); used != used0-abi.SizeTCB {
			t.Errorf("budget used %d after destroying a thread, want %d", used, used0-abi.SizeTCB)
		}
		expectErrno(t, "NBSend: reaches the second receiver", e.NBSend(v.ep, 0), abi.OK)
		expectErrno(t, "NBSend: nobody left", e.NBSend(v.ep, 0), abi.ErrWouldBlock)
		if fmt.Sprint(results["recv"]) != fmt.Sprint([]abi.Errno{abi.OK}) {
			t.Errorf("receivers' results %v, want one OK (from the second)", results["recv"])
		}
		// The destroyed receiver's Reply object is free again.
		_, _, err = e.NBRecv(v.ep, v.reply)
		expectErrno(t, "NBRecv with the destroyed receiver's Reply object", err, abi.ErrWouldBlock)

		// A caller destroyed while waiting for the reply: the Reply has no caller.
		c, ok := startVictim(t, e, slots, pcs["call"])
		if !ok {
			return
		}
		if _, _, err := e.Recv(c.ep, myReply); err != nil {
			t.Errorf("receive the call: %v", err)
		}
		must(t, e.Delete(cs, c.task.TCB))
		expectErrno(t, "reply to a destroyed caller", e.Reply(myReply, 0), abi.ErrIllegal)

		// A sender destroyed while queued: a receiver finds nobody.
		s, ok := startVictim(t, e, slots, pcs["send"])
		if !ok {
			return
		}
		must(t, e.Delete(cs, s.task.TCB))
		_, _, err = e.NBRecv(s.ep, myReply)
		expectErrno(t, "NBRecv after the queued sender was destroyed", err, abi.ErrWouldBlock)

		// A waiter destroyed: the next signal stays in the word.
		n, ok := startVictim(t, e, slots, pcs["wait"])
		if !ok {
			return
		}
		must(t, e.Delete(cs, n.task.TCB))
		must(t, e.Signal(n.ntfn))
		if _, err := e.Poll(n.ntfn); err != nil {
			t.Errorf("Poll after signalling a destroyed waiter's notification: %v, want the signal", err)
		}
		for _, op := range []string{"call", "send", "wait"} {
			if len(results[op]) != 0 {
				t.Errorf("destroyed %s thread ran again: %v", op, results[op])
			}
		}
	}, progs)
	w.finish()
}

// A thread that deletes its own last TCB capability stops at once; one that suspends
// itself continues after Resume with Suspend returning success.
func TestThreadDestroysOrSuspendsItself(t *testing.T) {
	const (
		killerPC  = 0x173_0000
		suspendPC = 0x173_1000
	)
	var killerTCB abi.CPtr
	var log []string
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		killerTCB = slots.Next // spawn takes the TCB slot first
		if _, err := spawn(e, slots, killerPC, 150); err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		// The killer ran at once and is gone.
		if _, err := e.Inspect(cs, killerTCB); errnoOf(err) != abi.ErrInvalidCap {
			t.Errorf("killer's TCB slot: %v, want empty", err)
		}
		sus, err := spawn(e, slots, suspendPC, 150)
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		expectState(t, e, "self-suspended thread", sus.TCB, kernel.Suspended)
		log = append(log, "init resumes it")
		must(t, e.Resume(sus.TCB))
		expectState(t, e, "resumed thread", sus.TCB, kernel.Inactive)
	}, map[uint64]usersim.Program{
		killerPC: func(e *user.Env) {
			log = append(log, "killer deletes itself")
			err := e.Delete(cs, killerTCB)
			log = append(log, fmt.Sprintf("killer still runs: %v", err))
		},
		suspendPC: func(e *user.Env) {
			log = append(log, "suspending itself")
			// The spawn helper puts the IPC buffer at 0x1000_0000 + 4096 × (TCB slot).
			err := e.Suspend(abi.CPtr((e.IPCBuffer() - 0x1000_0000) / abi.PageSize))
			log = append(log, fmt.Sprintf("suspend returned %v", errnoOf(err)))
		},
	})
	w.finish()
	want := []string{"killer deletes itself", "suspending itself", "init resumes it", "suspend returned success"}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Fatalf("log %q\nwant %q", log, want)
	}
}
