package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// occupied lists the non-empty slots 1..n-1 of the CSpace capability space names.
func occupied(e *user.Env, space abi.CPtr, n int) []abi.CPtr {
	var out []abi.CPtr
	for s := abi.CPtr(1); s < abi.CPtr(n); s++ {
		if _, err := e.Inspect(space, s); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// received is what a receiving task saw for one message.
type received struct {
	badge abi.Badge
	info  abi.MsgInfo
	mr0   uint64
	err   error
}

func (r received) String() string {
	return fmt.Sprintf("{badge %#x label %d len %d caps %d mr0 %d err %v}", r.badge, r.info.Label(),
		r.info.Len(), r.info.ExtraCaps(), r.mr0, r.err)
}

// A message carrying a capability through an endpoint capability without Grant fails
// with ErrNoRights and delivers nothing; with Grant the capability arrives in the
// receive slot of another task's CSpace and works there.
func TestCapTransferNeedsGrant(t *testing.T) {
	const recvPC = 0x100_0000
	const (
		rEP   abi.CPtr = 1 // receiver: the endpoint, Read
		rSlot abi.CPtr = 9 // receiver: where it accepts a capability
	)
	var got []received
	var signalErr error
	receiver := func(e *user.Env) {
		e.SetRecvSlot(0, rSlot)
		for {
			b, info, err := e.Recv(rEP, 0)
			got = append(got, received{b, info, e.MR(0), err})
			if err != nil {
				return
			}
			if info.ExtraCaps() == 1 {
				signalErr = e.Signal(rSlot) // use the capability just received
			}
		}
	}
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		badged, _ := slots.Take()
		must(t, e.Mint(cs, badged, cs, ntfn, abi.AllRights, 0x40))
		epW, _ := slots.Take()
		must(t, e.Mint(cs, epW, cs, ep, abi.RightWrite, 7))
		epWG, _ := slots.Take()
		must(t, e.Mint(cs, epWG, cs, ep, abi.RightWrite|abi.RightGrant, 8))
		rt, err := spawnTask(e, slots, recvPC, 150, user.Grant{From: ep, To: rEP, Rights: abi.RightRead})
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		// The receiver has a higher priority: it ran at once and waits in Recv.
		expectState(t, e, "receiver before any send", rt.TCB, kernel.BlockedOnRecv)

		// Without Grant: every send variant is refused and nothing moves.
		for _, send := range []struct {
			name string
			f    func() error
		}{
			{"Send", func() error { return e.Send(epW, abi.NewMsgInfo(1, 1, 1)) }},
			{"NBSend", func() error { return e.NBSend(epW, abi.NewMsgInfo(1, 1, 1)) }},
			{"Call", func() error { _, err := e.Call(epW, abi.NewMsgInfo(1, 1, 1)); return err }},
		} {
			e.SetCap(0, badged)
			e.SetMR(0, 1)
			expectErrno(t, send.name+" with a capability but no Grant", send.f(), abi.ErrNoRights)
		}
		if len(got) != 0 {
			t.Errorf("receiver got %v from sends without Grant", got)
		}
		expectState(t, e, "receiver after refused sends", rt.TCB, kernel.BlockedOnRecv)
		if occ := occupied(e, rt.CSpace, 1<<taskRadix); fmt.Sprint(occ) != "[1]" {
			t.Errorf("receiver's CSpace holds slots %v after refused sends, want [1]", occ)
		}

		// With Grant the capability arrives in the receiver's CSpace.
		e.SetCap(0, badged)
		e.SetMR(0, 99)
		expectErrno(t, "Send with Grant", e.Send(epWG, abi.NewMsgInfo(2, 1, 1)), abi.OK)
		// The receiver ran at once, signalled through the capability and waits again.
		if len(got) != 1 {
			t.Errorf("receiver got %v, want one message", got)
			return
		}
		if r := got[0]; r.err != nil || r.badge != 8 || r.info.Label() != 2 || r.info.Len() != 1 ||
			r.info.ExtraCaps() != 1 || r.mr0 != 99 {
			t.Errorf("receiver got %v, want badge 0x8 label 2 len 1 caps 1 mr0 99", r)
		}
		expectErrno(t, "receiver's Signal through the received capability", signalErr, abi.OK)
		word, err := e.Poll(ntfn)
		if err != nil || word != 0x40 {
			t.Errorf("Poll after the receiver's signal = %#x, %v; want 0x40 (the transferred badge)", word, err)
		}
		orig, _ := e.Inspect(cs, badged)
		ci, err := e.Inspect(rt.CSpace, rSlot)
		if err != nil || ci != orig {
			t.Errorf("receiver's slot %d = %+v, %v; want a copy of the sender's %+v", rSlot, ci, err, orig)
		}
		if occ := occupied(e, rt.CSpace, 1<<taskRadix); fmt.Sprint(occ) != fmt.Sprint([]abi.CPtr{rEP, rSlot}) {
			t.Errorf("receiver's CSpace holds slots %v, want [%d %d]", occ, rEP, rSlot)
		}
		// The sender keeps its own capability.
		if ci, err := e.Inspect(cs, badged); err != nil || ci.Type != abi.ObjNotification {
			t.Errorf("sender's capability after the transfer: %+v, %v", ci, err)
		}
	}, map[uint64]usersim.Program{recvPC: receiver})
	w.finish()
	if len(got) != 1 {
		t.Fatalf("receiver got %d messages, want 1: %v", len(got), got)
	}
}

// Capabilities in a reply need Grant or GrantReply on the endpoint capability the call
// was received through.
func TestReplyCapTransferNeedsGrantOnReceiversCap(t *testing.T) {
	const serverPC = 0x101_0000
	const (
		sEPRead       abi.CPtr = 1 // Read only
		sReply        abi.CPtr = 2
		sNtfn         abi.CPtr = 3 // the capability the server hands back (badge 5)
		sEPGrantReply abi.CPtr = 4 // Read | GrantReply
		sEPGrant      abi.CPtr = 5 // Read | Grant
	)
	var replyErrs []error
	server := func(e *user.Env) {
		for _, ep := range []abi.CPtr{sEPRead, sEPGrantReply, sEPGrant} {
			if _, _, err := e.Recv(ep, sReply); err != nil {
				t.Errorf("server Recv: %v", err)
				return
			}
			e.SetCap(0, sNtfn)
			e.SetMR(0, 10)
			err := e.Reply(sReply, abi.NewMsgInfo(0, 1, 1))
			replyErrs = append(replyErrs, err)
			if err != nil {
				// Answer without the capability instead.
				e.SetMR(0, 11)
				replyErrs = append(replyErrs, e.Reply(sReply, abi.NewMsgInfo(0, 1, 0)))
			}
		}
	}
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		reply := retype(e, slots, abi.ObjReply, 0)
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		recvA, _ := slots.Take()
		recvB, _ := slots.Take()
		if _, err := spawnTask(e, slots, serverPC, 150,
			user.Grant{From: ep, To: sEPRead, Rights: abi.RightRead},
			user.Grant{From: reply, To: sReply, Rights: abi.RightWrite},
			user.Grant{From: ntfn, To: sNtfn, Rights: abi.AllRights, Badge: 5},
			user.Grant{From: ep, To: sEPGrantReply, Rights: abi.RightRead | abi.RightGrantReply},
			user.Grant{From: ep, To: sEPGrant, Rights: abi.RightRead | abi.RightGrant}); err != nil {
			t.Errorf("spawn: %v", err)
			return
		}

		// Received through a capability without Grant or GrantReply: the reply with a
		// capability is refused, the second reply (no capability) arrives.
		e.SetRecvSlot(0, recvA)
		info, err := e.Call(ep, abi.NewMsgInfo(1, 0, 0))
		if err != nil || info.ExtraCaps() != 0 || info.Len() != 1 || e.MR(0) != 11 {
			t.Errorf("call 1: info len %d caps %d mr0 %d err %v; want the capability-less reply (len 1, caps 0, mr0 11)",
				info.Len(), info.ExtraCaps(), e.MR(0), err)
		}
		if _, err := e.Inspect(cs, recvA); errnoOf(err) != abi.ErrInvalidCap {
			t.Errorf("receive slot after a refused capability reply: Inspect err %v, want empty", err)
		}

		// GrantReply on the server's capability: the capability comes back.
		info, err = e.Call(ep, abi.NewMsgInfo(2, 0, 0))
		if err != nil || info.ExtraCaps() != 1 || e.MR(0) != 10 {
			t.Errorf("call 2 (GrantReply): caps %d mr0 %d err %v; want caps 1 mr0 10", info.ExtraCaps(), e.MR(0), err)
		}
		if ci, err := e.Inspect(cs, recvA); err != nil || ci.Type != abi.ObjNotification || ci.Badge != 5 {
			t.Errorf("receive slot after call 2: %+v, %v; want the notification with badge 5", ci, err)
		}
		expectErrno(t, "Signal through the capability received in the reply", e.Signal(recvA), abi.OK)
		if w, err := e.Poll(ntfn); err != nil || w != 5 {
			t.Errorf("Poll = %#x, %v; want 5", w, err)
		}

		// Grant on the server's capability works as well.
		e.SetRecvSlot(0, recvB)
		info, err = e.Call(ep, abi.NewMsgInfo(3, 0, 0))
		if err != nil || info.ExtraCaps() != 1 {
			t.Errorf("call 3 (Grant): caps %d err %v; want 1", info.ExtraCaps(), err)
		}
		if ci, err := e.Inspect(cs, recvB); err != nil || ci.Type != abi.ObjNotification {
			t.Errorf("receive slot after call 3: %+v, %v", ci, err)
		}
	}, map[uint64]usersim.Program{serverPC: server})
	w.finish()
	want := []abi.Errno{abi.ErrNoRights, abi.OK, abi.OK, abi.OK}
	var gotErrs []abi.Errno
	for _, err := range replyErrs {
		gotErrs = append(gotErrs, errnoOf(err))
	}
	if fmt.Sprint(gotErrs) != fmt.Sprint(want) {
		t.Fatalf("server's replies returned %v, want %v", gotErrs, want)
	}
}

// A receive slot of 0 or one already holding a capability accepts nothing: the message
// arrives, ExtraCaps says how many capabilities did, and transfer stops at the first
// capability that cannot be placed.
func TestCapTransferReceiveSlots(t *testing.T) {
	const recvPC = 0x102_0000
	const rEP abi.CPtr = 1
	// Receive slots the receiver names for each message, in order.
	rounds := [][abi.MaxMsgCaps]abi.CPtr{
		{0, 0, 0},    // accepts nothing
		{rEP, 0, 0},  // occupied: its own endpoint capability
		{9, 0, 10},   // the first of two capabilities fits, then slot 0 stops the transfer
		{10, 11, 12}, // all three
		{11, 13, 14}, // occupied (by the previous round) at the first: nothing
	}
	var got []received
	receiver := func(e *user.Env) {
		for _, slots := range rounds {
			for i, s := range slots {
				e.SetRecvSlot(i, s)
			}
			b, info, err := e.Recv(rEP, 0)
			got = append(got, received{b, info, e.MR(0), err})
		}
	}
	var occ [][]abi.CPtr
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		n1 := retype(e, slots, abi.ObjNotification, 0)
		n2 := retype(e, slots, abi.ObjNotification, 0)
		n3 := retype(e, slots, abi.ObjNotification, 0)
		rt, err := spawnTask(e, slots, recvPC, 150, user.Grant{From: ep, To: rEP, Rights: abi.RightRead})
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		caps := []int{1, 1, 2, 3, 3}
		for i := range rounds {
			e.SetCap(0, n1)
			e.SetCap(1, n2)
			e.SetCap(2, n3)
			e.SetMR(0, uint64(100+i))
			expectErrno(t, fmt.Sprintf("send %d", i), e.Send(ep, abi.NewMsgInfo(uint64(i), 1, caps[i])), abi.OK)
			occ = append(occ, occupied(e, rt.CSpace, 1<<taskRadix))
		}
	}, map[uint64]usersim.Program{recvPC: receiver})
	w.finish()
	wantCaps := []int{0, 0, 1, 3, 0}
	wantOcc := []string{"[1]", "[1]", "[1 9]", "[1 9 10 11 12]", "[1 9 10 11 12]"}
	if len(got) != len(rounds) || len(occ) != len(rounds) {
		t.Fatalf("got %d messages and %d snapshots, want %d", len(got), len(occ), len(rounds))
	}
	for i, r := range got {
		if r.err != nil || r.info.Label() != uint64(i) || r.mr0 != uint64(100+i) || r.info.ExtraCaps() != wantCaps[i] {
			t.Errorf("message %d: %v; want label %d mr0 %d caps %d", i, r, i, 100+i, wantCaps[i])
		}
		if fmt.Sprint(occ[i]) != wantOcc[i] {
			t.Errorf("after message %d the receiver's CSpace holds %v, want %s", i, occ[i], wantOcc[i])
		}
	}
}

// A long message to a receiver without an IPC buffer is truncated to the register words,
// and the delivered MsgInfo says so; capabilities need the receiver's IPC buffer too.
func TestTransferToThreadWithoutIPCBuffer(t *testing.T) {
	const recvPC = 0x103_0000
	var got []received
	var mrs [abi.NumRegMRs]uint64
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		tcb := retype(e, slots, abi.ObjTCB, 0)
		must(t, e.Configure(tcb, cs, as, 0, 0)) // no IPC buffer
		must(t, e.SetPriority(tcb, self, 150))
		must(t, e.WriteRegisters(tcb, recvPC, 0, 0))
		must(t, e.Resume(tcb))
		expectState(t, e, "receiver without IPC buffer", tcb, kernel.BlockedOnRecv)
		for i := 0; i < 10; i++ {
			e.SetMR(i, uint64(i+1))
		}
		e.SetCap(0, ntfn)
		expectErrno(t, "long send", e.Send(ep, abi.NewMsgInfo(3, 10, 0)), abi.OK)
		expectErrno(t, "send with a capability", e.Send(ep, abi.NewMsgInfo(4, 1, 1)), abi.OK)
	}, map[uint64]usersim.Program{recvPC: func(e *user.Env) {
		for range 2 {
			b, info, err := e.Recv(abi.InitFirstFree, 0) // init's CSpace: the endpoint
			got = append(got, received{b, info, e.MR(0), err})
			if len(got) == 1 {
				for i := range mrs {
					mrs[i] = e.MR(i)
				}
			}
		}
	}})
	w.finish()
	if len(got) != 2 {
		t.Fatalf("got %v, want 2 messages", got)
	}
	if r := got[0]; r.err != nil || r.info.Label() != 3 || r.info.Len() != abi.NumRegMRs || mrs != [4]uint64{1, 2, 3, 4} {
		t.Errorf("long message arrived as %v with words %v; want label 3 truncated to %d words 1..4", r, mrs, abi.NumRegMRs)
	}
	if r := got[1]; r.err != nil || r.info.Label() != 4 || r.info.ExtraCaps() != 0 {
		t.Errorf("message with a capability arrived as %v; want label 4 with no capability", r)
	}
}
