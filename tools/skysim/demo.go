package main

import (
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Entry addresses of the demo programs.
const (
	echoPC     = 0x50_0000
	clientPC   = 0x60_0000
	explorerPC = 0x70_0000
	driverPC   = 0x80_0000
)

const demoIRQ = 4

// Slots in every demo task's own CSpace.
const (
	tSlotEP      abi.CPtr = 1 // the endpoint the task serves or calls
	tSlotReply   abi.CPtr = 2 // echo: its Reply object; driver: its IRQ handler
	tSlotConsole abi.CPtr = 3
	tSlotDone    abi.CPtr = 4 // badged notification to tell init it has finished
	tSlotNtfn    abi.CPtr = 5 // driver: the notification the interrupt signals
)

// Badges on init's "done" notification, one bit per task.
const (
	doneAlice    = 1 << 0
	doneBob      = 1 << 1
	doneExplorer = 1 << 2
	doneDriver   = 1 << 3
	doneAll      = doneAlice | doneBob | doneExplorer | doneDriver
)

// explorerAddr is an address no one maps in advance: touching it faults.
const explorerAddr = 0x2000_0000

var demoPrograms = map[uint64]usersim.Program{
	echoPC:     echoServer,
	clientPC:   client,
	explorerPC: explorer,
	driverPC:   driver,
}

// demoOK is set by init when every part of the demo has checked out.
var demoOK bool

func say(e *user.Env, format string, args ...any) {
	_ = e.Print(tSlotConsole, fmt.Sprintf(format, args...)+"\n")
}

// echoServer answers each call with the message words reversed, forever.
func echoServer(e *user.Env) {
	badge, info, err := e.Recv(tSlotEP, tSlotReply)
	for err == nil {
		a, b := e.MR(0), e.MR(1) // read the words first: printing is an invocation too
		say(e, "echo:     call from badge %d, label %d, %d words: %d %d", badge, info.Label(), info.Len(), a, b)
		e.SetMR(0, b)
		e.SetMR(1, a)
		badge, info, err = e.ReplyRecv(tSlotEP, tSlotReply, abi.NewMsgInfo(0, 2, 0))
	}
	say(e, "echo:     stopped: %v", err)
}

// client calls the echo server three times; its badge tells the server who it is.
func client(e *user.Env) {
	for i := uint64(1); i <= 3; i++ {
		e.SetMR(0, i)
		e.SetMR(1, i*100)
		info, err := e.Call(tSlotEP, abi.NewMsgInfo(7, 2, 0))
		if err != nil {
			say(e, "client:   call failed: %v", err)
			return
		}
		a, b := e.MR(0), e.MR(1)
		say(e, "client:   sent (%d, %d), got %d words back: (%d, %d)", i, i*100, info.Len(), a, b)
		e.Compute(2_000_000) // 2 ms of work between calls: the clients interleave
	}
	_ = e.Signal(tSlotDone)
}

// explorer touches memory nobody mapped; its pager (init) maps it on the fault.
func explorer(e *user.Env) {
	say(e, "explorer: writing to %#x, which is not mapped yet", explorerAddr)
	e.Store64(explorerAddr, 0x5ca1ab1e)
	say(e, "explorer: wrote and read back %#x", e.Load64(explorerAddr))
	_ = e.Signal(tSlotDone)
}

// driver waits for its device's interrupt.
func driver(e *user.Env) {
	say(e, "driver:   waiting for interrupt line %d", demoIRQ)
	word, err := e.Wait(tSlotNtfn)
	say(e, "driver:   interrupt (notification word %#x, %v); acknowledging", word, err)
	_ = e.IRQAck(tSlotReply)
	_ = e.Signal(tSlotDone)
}

// Slots in init's CSpace.
const (
	iEP = abi.InitFirstFree + iota
	iReply
	iDone
	iFaultEP
	iFaultReply
	iIRQ
	iIRQNtfn
	iFirstFree
)

func demoInit(e *user.Env) {
	const cons = abi.InitSlotConsole
	say := func(format string, args ...any) { _ = e.Print(cons, fmt.Sprintf("init:     "+format+"\n", args...)) }
	fail := func(what string, err error) bool {
		if err != nil {
			say("%s failed: %v", what, err)
			return true
		}
		return false
	}
	capacity, used0, _ := e.UntypedInfo(abi.InitSlotUntyped)
	say("Skyscope simulated machine: root memory budget %d KiB, %d KiB used", capacity/1024, used0/1024)

	// Every object below comes from the root budget into slots of init's own CSpace.
	slots := &user.Slots{Next: iFirstFree, Limit: 1 << 12}
	for _, o := range []struct {
		slot abi.CPtr
		typ  abi.ObjectType
	}{{iEP, abi.ObjEndpoint}, {iReply, abi.ObjReply}, {iDone, abi.ObjNotification},
		{iFaultEP, abi.ObjEndpoint}, {iFaultReply, abi.ObjReply}, {iIRQNtfn, abi.ObjNotification}} {
		if fail("retype "+o.typ.String(), e.Retype(abi.InitSlotUntyped, o.typ, 0, abi.InitSlotCSpace, o.slot, 1)) {
			return
		}
	}
	task := func(name string, pc uint64, prio uint8, grants ...user.Grant) (user.SpawnedTask, bool) {
		grants = append(grants, user.Grant{From: cons, To: tSlotConsole, Rights: abi.RightWrite})
		st, err := e.SpawnTask(slots, user.Task{Untyped: abi.InitSlotUntyped, CSpace: abi.InitSlotCSpace,
			Self: abi.InitSlotTCB, Radix: 4, PC: pc, Priority: prio, Grants: grants})
		if fail("spawn "+name, err) {
			return st, false
		}
		say("started %-8s at priority %d with %d capabilities", name, prio, len(grants))
		return st, true
	}
	done := func(badge abi.Badge) user.Grant {
		return user.Grant{From: iDone, To: tSlotDone, Rights: abi.RightWrite, Badge: badge}
	}

	// The echo server may receive on the endpoint and reply; clients may only call it,
	// each through a capability with its own badge.
	if _, ok := task("echo", echoPC, 120,
		user.Grant{From: iEP, To: tSlotEP, Rights: abi.RightRead},
		user.Grant{From: iReply, To: tSlotReply, Rights: abi.RightWrite}); !ok {
		return
	}
	for i, name := range []string{"alice", "bob"} {
		if _, ok := task(name, clientPC, 100,
			user.Grant{From: iEP, To: tSlotEP, Rights: abi.RightWrite, Badge: abi.Badge(i + 1)},
			done(abi.Badge(1<<i))); !ok {
			return
		}
	}

	// The explorer's faults come to init, which pages memory in for it.
	ex, ok := task("explorer", explorerPC, 90, done(doneExplorer))
	if !ok || fail("set fault handler", e.Mint(abi.InitSlotCSpace, slots.Next, abi.InitSlotCSpace, iFaultEP, abi.RightWrite, 0xfa)) {
		return
	}
	faultCap, _ := slots.Take()
	if fail("set fault handler", e.SetFaultHandler(ex.TCB, faultCap)) {
		return
	}

	// The driver gets the interrupt line's handler and the notification it signals.
	irqBadge, _ := slots.Take()
	if fail("claim IRQ", e.IRQHandler(abi.InitSlotIRQControl, demoIRQ, abi.InitSlotCSpace, iIRQ)) ||
		fail("badge IRQ notification", e.Mint(abi.InitSlotCSpace, irqBadge, abi.InitSlotCSpace, iIRQNtfn, abi.RightWrite, 1<<demoIRQ)) ||
		fail("bind IRQ", e.IRQSetNotification(iIRQ, irqBadge)) {
		return
	}
	if _, ok := task("driver", driverPC, 150,
		user.Grant{From: iIRQ, To: tSlotReply, Rights: abi.RightWrite},
		user.Grant{From: iIRQNtfn, To: tSlotNtfn, Rights: abi.RightRead},
		done(doneDriver)); !ok {
		return
	}

	// Be the explorer's pager: wait for its page fault and map a frame there.
	badge, info, err := e.Recv(iFaultEP, iFaultReply)
	if fail("receive fault", err) {
		return
	}
	addr, access := e.MR(0), e.MR(2)
	say("fault from badge %#x: %v at %#x (access %d); mapping a fresh frame", badge, abi.FaultKind(info.Label()), addr, access)
	frame, _ := slots.Take()
	if fail("retype frame", e.Retype(abi.InitSlotUntyped, abi.ObjFrame, 0, abi.InitSlotCSpace, frame, 1)) ||
		fail("map frame", e.Map(frame, ex.AS, addr&^(abi.PageSize-1), 3)) ||
		fail("reply", e.Reply(iFaultReply, 0)) {
		return
	}

	// Each task ORs its own bit into the done notification.
	var finished uint64
	for finished != doneAll {
		w, err := e.Wait(iDone)
		if fail("wait", err) {
			return
		}
		finished |= w
		say("done notification: word %#x, all so far %#x", w, finished)
	}
	say("every task reported done")

	// Revoking the endpoint's original capability takes it away from the server and
	// both clients, in their own CSpaces.
	if fail("revoke", e.Revoke(abi.InitSlotCSpace, iEP)) {
		return
	}
	say("revoked the echo endpoint: the server and clients no longer hold it")

	// Tear everything down: revoking the root budget destroys every object made from it.
	_, used1, _ := e.UntypedInfo(abi.InitSlotUntyped)
	if fail("revoke budget", e.Revoke(abi.InitSlotCSpace, abi.InitSlotUntyped)) {
		return
	}
	_, used2, _ := e.UntypedInfo(abi.InitSlotUntyped)
	say("memory budget: %d bytes used before teardown, %d after (at boot: %d)", used1, used2, used0)
	demoOK = used2 == used0 && finished == doneAll
}
