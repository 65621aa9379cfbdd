package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Slots of the tasks the revoke tests start.
const (
	rvEP   abi.CPtr = 1 // the endpoint under test (or, for the IPC receiver, its mailbox)
	rvGo   abi.CPtr = 2 // notification (Read): "try your capability now"
	rvRepl abi.CPtr = 3 // a Reply object
	rvEP2  abi.CPtr = 4 // a second endpoint
	rvRecv abi.CPtr = 5 // where the IPC receiver accepts the endpoint capability
)

// Revoking a capability deletes every capability derived from it — minted into other
// tasks' CSpaces, copied, and transferred by IPC — while the original and its object
// stay.
func TestRevokeRemovesDerivedCapsEverywhere(t *testing.T) {
	const (
		task0PC = 0x120_0000 // try NBSend on rvEP each time they are woken
		task1PC = 0x120_1000
		recvPC  = 0x121_0000 // receives the capability by IPC into rvRecv, then tries it
	)
	tries := map[string][]abi.Errno{}
	tryLoop := func(name string, c abi.CPtr) func(e *user.Env) {
		return func(e *user.Env) {
			for {
				if _, err := e.Wait(rvGo); err != nil {
					return
				}
				tries[name] = append(tries[name], errnoOf(e.NBSend(c, 0)))
			}
		}
	}
	var ipcErr error
	var ipcCaps int
	var finalized [2]uint64
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		mailbox := retype(e, slots, abi.ObjEndpoint, 0)
		var goN [3]abi.CPtr
		for i := range goN {
			goN[i] = retype(e, slots, abi.ObjNotification, 0)
		}
		orig, _ := e.Inspect(cs, ep)
		var tasks []user.SpawnedTask
		for i, pc := range []uint64{task0PC, task1PC} {
			st, err := spawnTask(e, slots, pc, 150,
				user.Grant{From: ep, To: rvEP, Rights: abi.RightWrite, Badge: abi.Badge(i + 1)},
				user.Grant{From: goN[i], To: rvGo, Rights: abi.RightRead})
			if err != nil {
				t.Errorf("spawn: %v", err)
				return
			}
			tasks = append(tasks, st)
		}
		rt, err := spawnTask(e, slots, recvPC, 150,
			user.Grant{From: mailbox, To: rvEP, Rights: abi.RightRead},
			user.Grant{From: goN[2], To: rvGo, Rights: abi.RightRead})
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}

		// Derive more: a copy in init, a copy of the copy, and an IPC transfer of the
		// copy of the copy to the receiver task.
		cp, _ := slots.Take()
		must(t, e.Copy(cs, cp, cs, ep, abi.RightWrite|abi.RightGrant))
		cp2, _ := slots.Take()
		must(t, e.Copy(cs, cp2, cs, cp, abi.RightWrite))
		e.SetCap(0, cp2)
		expectErrno(t, "transfer by IPC", e.Send(mailbox, abi.NewMsgInfo(0, 0, 1)), abi.OK)
		if ipcErr != nil || ipcCaps != 1 {
			t.Errorf("receiver got %d capabilities, err %v; want 1", ipcCaps, ipcErr)
		}

		where := []struct {
			name  string
			space abi.CPtr
			slot  abi.CPtr
		}{
			{"task0", tasks[0].CSpace, rvEP}, {"task1", tasks[1].CSpace, rvEP},
			{"ipc receiver", rt.CSpace, rvRecv}, {"init copy", cs, cp}, {"init copy of copy", cs, cp2},
		}
		for _, x := range where {
			if ci, err := e.Inspect(x.space, x.slot); err != nil || ci.Object != orig.Object {
				t.Errorf("%s before revoke: %+v, %v; want a capability to endpoint %d", x.name, ci, err, orig.Object)
			}
		}
		for _, g := range goN {
			must(t, e.Signal(g)) // each task tries its capability: nobody receives
		}

		finalized[0] = w.Finalized()
		expectErrno(t, "Revoke", e.Revoke(cs, ep), abi.OK)
		finalized[1] = w.Finalized()

		for _, x := range where {
			if _, err := e.Inspect(x.space, x.slot); errnoOf(err) != abi.ErrInvalidCap {
				t.Errorf("%s after revoke: Inspect err %v, want ErrInvalidCap", x.name, err)
			}
		}
		if ci, err := e.Inspect(cs, ep); err != nil || ci != orig {
			t.Errorf("original after revoke: %+v, %v; want %+v", ci, err, orig)
		}
		for _, g := range goN {
			must(t, e.Signal(g)) // each task tries again
		}
		// The original still works; the mailbox (another object) is untouched.
		expectErrno(t, "NBSend on the original", e.NBSend(ep, 0), abi.ErrWouldBlock)
		if ci, err := e.Inspect(rt.CSpace, rvEP); err != nil || ci.Type != abi.ObjEndpoint {
			t.Errorf("receiver's mailbox capability after revoke: %+v, %v", ci, err)
		}
	}, map[uint64]usersim.Program{
		task0PC: tryLoop("task0", rvEP),
		task1PC: tryLoop("task1", rvEP),
		recvPC: func(e *user.Env) {
			e.SetRecvSlot(0, rvRecv)
			_, info, err := e.Recv(rvEP, 0)
			ipcErr, ipcCaps = err, info.ExtraCaps()
			tryLoop("ipc", rvRecv)(e)
		},
	})
	w.finish()
	want := map[string][]abi.Errno{
		"task0": {abi.ErrWouldBlock, abi.ErrInvalidCap},
		"task1": {abi.ErrWouldBlock, abi.ErrInvalidCap},
		"ipc":   {abi.ErrWouldBlock, abi.ErrInvalidCap},
	}
	if fmt.Sprint(tries) != fmt.Sprint(want) {
		t.Errorf("the tasks' NBSend results %v\nwant %v", tries, want)
	}
	if finalized[1] != finalized[0] {
		t.Errorf("revoke finalized %d objects; the endpoint has its original, so want 0", finalized[1]-finalized[0])
	}
}

// Revoking the capabilities a blocked receiver used leaves it blocked: the endpoint
// lives while its original does, and a message sent through the original reaches it.
func TestRevokeKeepsEndpointWithBlockedReceiver(t *testing.T) {
	const recvPC = 0x122_0000
	var got []received
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		rt, err := spawnTask(e, slots, recvPC, 150, user.Grant{From: ep, To: rvEP, Rights: abi.RightRead})
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		expectState(t, e, "receiver", rt.TCB, kernel.BlockedOnRecv)
		fin := w.Finalized()
		must(t, e.Revoke(cs, ep))
		if _, err := e.Inspect(rt.CSpace, rvEP); errnoOf(err) != abi.ErrInvalidCap {
			t.Errorf("receiver's capability after revoke: %v, want ErrInvalidCap", err)
		}
		if w.Finalized() != fin {
			t.Errorf("revoke finalized an object")
		}
		expectState(t, e, "receiver after revoke", rt.TCB, kernel.BlockedOnRecv)
		e.SetMR(0, 77)
		expectErrno(t, "NBSend through the original", e.NBSend(ep, abi.NewMsgInfo(5, 1, 0)), abi.OK)
		if len(got) != 1 || got[0].err != nil || got[0].info.Label() != 5 || got[0].mr0 != 77 {
			t.Errorf("receiver got %v, want the message label 5 mr0 77", got)
		}
	}, map[uint64]usersim.Program{recvPC: func(e *user.Env) {
		b, info, err := e.Recv(rvEP, 0)
		got = append(got, received{b, info, e.MR(0), err})
	}})
	w.finish()
}

// Deleting the last capability to an endpoint finalizes it: a blocked receiver's Recv,
// a blocked sender's Send and a blocked caller's Call return ErrCancelled, and the
// receiver's Reply object is free again.
func TestDeletingLastEndpointCapCancelsWaiters(t *testing.T) {
	const (
		recvPC = 0x123_0000
		sendPC = 0x124_0000
		callPC = 0x125_0000
	)
	results := map[string][]abi.Errno{}
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		for _, c := range []struct {
			name   string
			pc     uint64
			rights abi.Rights
			want   kernel.ThreadState
		}{
			{"recv", recvPC, abi.RightRead, kernel.BlockedOnRecv},
			{"send", sendPC, abi.RightWrite, kernel.BlockedOnSend},
			{"call", callPC, abi.RightWrite, kernel.BlockedOnSend},
		} {
			ep := retype(e, slots, abi.ObjEndpoint, 0)
			ep2 := retype(e, slots, abi.ObjEndpoint, 0)
			reply := retype(e, slots, abi.ObjReply, 0)
			rt, err := spawnTask(e, slots, c.pc, 150,
				user.Grant{From: ep, To: rvEP, Rights: c.rights},
				user.Grant{From: reply, To: rvRepl, Rights: abi.RightWrite},
				user.Grant{From: ep2, To: rvEP2, Rights: abi.RightRead})
			if err != nil {
				t.Errorf("spawn: %v", err)
				return
			}
			expectState(t, e, c.name+" before", rt.TCB, c.want)
			_, used0, _ := e.UntypedInfo(ut)
			fin := w.Finalized()
			// Revoke leaves the original (the endpoint lives, the thread stays blocked);
			// deleting the original then deletes the last capability.
			must(t, e.Revoke(cs, ep))
			expectState(t, e, c.name+" after revoke", rt.TCB, c.want)
			if len(results[c.name]) != 0 {
				t.Errorf("%s: woken by the revoke: %v", c.name, results[c.name])
			}
			must(t, e.Delete(cs, ep))
			// The woken thread has the higher priority: it has run by now.
			if fmt.Sprint(results[c.name]) != fmt.Sprint([]abi.Errno{abi.ErrCancelled, abi.ErrWouldBlock}) {
				t.Errorf("%s: results %v, want [ErrCancelled ErrWouldBlock]", c.name, results[c.name])
			}
			if w.Finalized() != fin+1 {
				t.Errorf("%s: %d objects finalized, want 1", c.name, w.Finalized()-fin)
			}
			if _, used, _ := e.UntypedInfo(ut); used != used0-abi.SizeEndpoint {
				t.Errorf("%s: root budget used %d after the endpoint died, want %d", c.name, used, used0-abi.SizeEndpoint)
			}
		}
	}, map[uint64]usersim.Program{
		recvPC: func(e *user.Env) {
			_, _, err := e.Recv(rvEP, rvRepl)
			results["recv"] = append(results["recv"], errnoOf(err))
			// The Reply object was offered to the cancelled Recv; it is free again.
			_, _, err = e.NBRecv(rvEP2, rvRepl)
			results["recv"] = append(results["recv"], errnoOf(err))
		},
		sendPC: func(e *user.Env) {
			results["send"] = append(results["send"], errnoOf(e.Send(rvEP, 0)))
			_, _, err := e.NBRecv(rvEP2, rvRepl)
			results["send"] = append(results["send"], errnoOf(err))
		},
		callPC: func(e *user.Env) {
			_, err := e.Call(rvEP, 0)
			results["call"] = append(results["call"], errnoOf(err))
			_, _, err = e.NBRecv(rvEP2, rvRepl)
			results["call"] = append(results["call"], errnoOf(err))
		},
	})
	w.finish()
}

// The fault handler capability a TCB holds is a child of the capability it was set
// from: revoking the original unbinds it, and the next fault suspends the thread.
func TestRevokeUnbindsFaultHandler(t *testing.T) {
	const faulterPC = 0x126_0000
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		f, ok := setupFaulter(t, e, slots, faulterPC, 0x1)
		if !ok {
			return
		}
		must(t, e.Revoke(cs, f.ep))
		must(t, e.Signal(f.goN))
		expectState(t, e, "faulter whose handler was revoked", f.task.TCB, kernel.Suspended)
		if _, _, err := e.NBRecv(f.ep, f.reply); errnoOf(err) != abi.ErrWouldBlock {
			t.Errorf("NBRecv on the fault endpoint: %v, want ErrWouldBlock (no fault message)", err)
		}
	}, map[uint64]usersim.Program{faulterPC: func(e *user.Env) {
		_, _ = e.Wait(fGo)
		e.Store64(0x2000_0000, 1)
	}})
	w.finish()
	if w.Stats.Faults != 1 {
		t.Errorf("Stats.Faults = %d, want 1", w.Stats.Faults)
	}
}
