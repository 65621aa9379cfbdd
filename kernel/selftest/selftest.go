// Package selftest is the kernel's built-in self-test: short scenarios that exercise
// the kernel core — capabilities, IPC, faults, scheduling, memory budgets — end to end
// through user tasks, each checking exact outcomes. The bare-metal kernel runs it when
// booted with "selftest" on its command line (until ring-3 tasks exist the tasks run
// on the simulated CPU model, with the kernel core unchanged); go test runs it too, so
// it cannot rot.
package selftest

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// A scenario boots a fresh machine, runs tasks and checks what happened.
type scenario struct {
	name string
	run  func() error
}

var scenarios = []scenario{
	{"ipc call and reply", ipcCallReply},
	{"badges identify senders", badges},
	{"capability transfer needs grant", transferNeedsGrant},
	{"revoke reaches other tasks", revokeReaches},
	{"page fault goes to the pager", pager},
	{"higher priority runs first", priorities},
	{"memory budget returns after revoke", budgetReturns},
}

// Result summarises a run.
type Result struct {
	Passed, Failed int
}

// Run runs every scenario, writing one line per scenario and a summary line
// ("selftest: N passed, M failed") to w.
func Run(w io.Writer) Result {
	var r Result
	for _, s := range scenarios {
		start := time.Now()
		err := s.run()
		if err != nil {
			r.Failed++
			fmt.Fprintf(w, "selftest: %-36s FAIL: %v\n", s.name, err)
			continue
		}
		r.Passed++
		fmt.Fprintf(w, "selftest: %-36s ok (%v)\n", s.name, time.Since(start).Round(time.Microsecond))
	}
	fmt.Fprintf(w, "selftest: %d passed, %d failed\n", r.Passed, r.Failed)
	return r
}

// Slots every scenario's init uses.
const (
	cs   = abi.InitSlotCSpace
	self = abi.InitSlotTCB
	ut   = abi.InitSlotUntyped
	ep   = abi.InitFirstFree
	rep  = abi.InitFirstFree + 1
)

// Task-side slots (SpawnTask grants).
const (
	tEP    abi.CPtr = 1
	tReply abi.CPtr = 2
	tCS    abi.CPtr = 3
)

const (
	serverPC = 0x50_0000
	clientPC = 0x60_0000
)

// machine boots init and the programs, runs until idle and returns init's verdict.
func machine(init func(e *user.Env) error, programs map[uint64]usersim.Program) error {
	var verdict error = errors.New("init did not finish")
	m, err := usersim.Boot(usersim.Config{
		Kernel:   kernel.Config{Quiet: true},
		Init:     func(e *user.Env) { verdict = init(e) },
		Programs: programs,
	})
	if err != nil {
		return err
	}
	defer m.Sim.Shutdown()
	if r := m.Run(10_000_000_000); r != kernel.StopIdle {
		return fmt.Errorf("machine did not settle: %v", r)
	}
	if err := m.CheckInvariants(); err != nil {
		return fmt.Errorf("kernel invariant: %v", err)
	}
	return verdict
}

// setup makes the endpoint and Reply object every scenario uses, and a slot allocator.
func setup(e *user.Env) (*user.Slots, error) {
	if err := e.Retype(ut, abi.ObjEndpoint, 0, cs, ep, 1); err != nil {
		return nil, err
	}
	if err := e.Retype(ut, abi.ObjReply, 0, cs, rep, 1); err != nil {
		return nil, err
	}
	return &user.Slots{Next: abi.InitFirstFree + 2, Limit: 1 << 12}, nil
}

func task(e *user.Env, s *user.Slots, pc uint64, prio uint8, grants ...user.Grant) (user.SpawnedTask, error) {
	return e.SpawnTask(s, user.Task{Untyped: ut, CSpace: cs, Self: self, Radix: 4, PC: pc, Priority: prio, Grants: grants})
}

// echo serves calls on tEP: it answers with the first word plus one and the badge.
func echo(e *user.Env) {
	b, _, err := e.Recv(tEP, tReply)
	for err == nil {
		e.SetMR(0, e.MR(0)+1)
		e.SetMR(1, uint64(b))
		b, _, err = e.ReplyRecv(tEP, tReply, abi.NewMsgInfo(0, 2, 0))
	}
}

func serverGrants() []user.Grant {
	return []user.Grant{{From: ep, To: tEP, Rights: abi.RightRead}, {From: rep, To: tReply, Rights: abi.RightWrite}}
}

func ipcCallReply() error {
	return machine(func(e *user.Env) error {
		s, err := setup(e)
		if err != nil {
			return err
		}
		if _, err := task(e, s, serverPC, 120, serverGrants()...); err != nil {
			return err
		}
		for i := uint64(0); i < 100; i++ {
			e.SetMR(0, i)
			info, err := e.Call(ep, abi.NewMsgInfo(1, 1, 0))
			if err != nil {
				return fmt.Errorf("call %d: %v", i, err)
			}
			if info.Len() != 2 || e.MR(0) != i+1 {
				return fmt.Errorf("call %d: reply %d words, word 0 = %d; want 2, %d", i, info.Len(), e.MR(0), i+1)
			}
		}
		return nil
	}, map[uint64]usersim.Program{serverPC: echo})
}

func badges() error {
	return machine(func(e *user.Env) error {
		s, err := setup(e)
		if err != nil {
			return err
		}
		if _, err := task(e, s, serverPC, 120, serverGrants()...); err != nil {
			return err
		}
		for _, b := range []abi.Badge{7, 42} {
			c, _ := s.Take()
			if err := e.Mint(cs, c, cs, ep, abi.RightWrite, b); err != nil {
				return err
			}
			if _, err := e.Call(c, abi.NewMsgInfo(1, 1, 0)); err != nil {
				return err
			}
			if e.MR(1) != uint64(b) {
				return fmt.Errorf("server saw badge %d, want %d", e.MR(1), b)
			}
		}
		return nil
	}, map[uint64]usersim.Program{serverPC: echo})
}

func transferNeedsGrant() error {
	var got abi.MsgInfo
	return machine(func(e *user.Env) error {
		s, err := setup(e)
		if err != nil {
			return err
		}
		if _, err := task(e, s, serverPC, 120, serverGrants()...); err != nil {
			return err
		}
		noGrant, _ := s.Take()
		if err := e.Copy(cs, noGrant, cs, ep, abi.RightWrite); err != nil {
			return err
		}
		e.SetCap(0, ut)
		if _, err := e.Call(noGrant, abi.NewMsgInfo(1, 1, 1)); !errors.Is(err, abi.ErrNoRights) {
			return fmt.Errorf("call with a capability but no grant: %v, want %v", err, abi.ErrNoRights)
		}
		e.SetCap(0, ut)
		if _, err := e.Call(ep, abi.NewMsgInfo(1, 1, 1)); err != nil {
			return err
		}
		if got.ExtraCaps() != 1 {
			return fmt.Errorf("server received %d capabilities, want 1", got.ExtraCaps())
		}
		return nil
	}, map[uint64]usersim.Program{serverPC: func(e *user.Env) {
		e.SetRecvSlot(0, 5)
		_, info, err := e.Recv(tEP, tReply)
		for err == nil {
			got = info
			e.SetRecvSlot(0, 6)
			_, info, err = e.ReplyRecv(tEP, tReply, 0)
		}
	}})
}

func revokeReaches() error {
	return machine(func(e *user.Env) error {
		s, err := setup(e)
		if err != nil {
			return err
		}
		a, err := task(e, s, serverPC, 50, user.Grant{From: ep, To: tEP, Rights: abi.RightWrite})
		if err != nil {
			return err
		}
		b, err := task(e, s, serverPC, 50, user.Grant{From: ep, To: tEP, Rights: abi.RightWrite, Badge: 9})
		if err != nil {
			return err
		}
		for _, t := range []user.SpawnedTask{a, b} {
			if _, err := e.Inspect(t.CSpace, tEP); err != nil {
				return fmt.Errorf("before revoke: %v", err)
			}
		}
		if err := e.Revoke(cs, ep); err != nil {
			return err
		}
		for _, t := range []user.SpawnedTask{a, b} {
			if _, err := e.Inspect(t.CSpace, tEP); !errors.Is(err, abi.ErrInvalidCap) {
				return fmt.Errorf("after revoke, the task's copy: %v, want gone", err)
			}
		}
		if _, err := e.Inspect(cs, ep); err != nil {
			return fmt.Errorf("the original went too: %v", err)
		}
		return nil
	}, map[uint64]usersim.Program{serverPC: func(e *user.Env) {}})
}

func pager() error {
	var read uint64
	const addr = 0x3000_0000
	err := machine(func(e *user.Env) error {
		s, err := setup(e)
		if err != nil {
			return err
		}
		t, err := task(e, s, clientPC, 90)
		if err != nil {
			return err
		}
		fault, _ := s.Take()
		if err := e.Mint(cs, fault, cs, ep, abi.RightWrite, 0xfa); err != nil {
			return err
		}
		if err := e.SetFaultHandler(t.TCB, fault); err != nil {
			return err
		}
		badge, info, err := e.Recv(ep, rep)
		if err != nil {
			return err
		}
		if abi.FaultKind(info.Label()) != abi.FaultPage || e.MR(0) != addr || e.MR(2) != abi.FaultWrite || badge != 0xfa {
			return fmt.Errorf("fault message %v at %#x access %d badge %#x", abi.FaultKind(info.Label()), e.MR(0), e.MR(2), badge)
		}
		frame, _ := s.Take()
		if err := e.Retype(ut, abi.ObjFrame, 0, cs, frame, 1); err != nil {
			return err
		}
		if err := e.Map(frame, t.AS, addr, 3); err != nil {
			return err
		}
		return e.Reply(rep, 0)
	}, map[uint64]usersim.Program{clientPC: func(e *user.Env) {
		e.Store64(addr, 0xfeed)
		read = e.Load64(addr)
	}})
	if err == nil && read != 0xfeed {
		err = fmt.Errorf("the faulting task read %#x after the pager's reply, want 0xfeed", read)
	}
	return err
}

func priorities() error {
	var order []string
	err := machine(func(e *user.Env) error {
		s, err := setup(e)
		if err != nil {
			return err
		}
		if _, err := task(e, s, clientPC, 10); err != nil { // low first
			return err
		}
		if _, err := task(e, s, serverPC, 200); err != nil {
			return err
		}
		return nil
	}, map[uint64]usersim.Program{
		clientPC: func(e *user.Env) { order = append(order, "low") },
		serverPC: func(e *user.Env) {
			for i := 0; i < 3; i++ {
				e.Compute(2_000_000)
				order = append(order, "high")
			}
		},
	})
	if err == nil && fmt.Sprint(order) != "[high high high low]" {
		err = fmt.Errorf("ran in order %v, want the high-priority task's three steps first", order)
	}
	return err
}

func budgetReturns() error {
	return machine(func(e *user.Env) error {
		child := abi.CPtr(abi.InitFirstFree + 10)
		if err := e.Retype(ut, abi.ObjUntyped, 1<<20, cs, child, 1); err != nil {
			return err
		}
		first := child + 1
		if err := e.Retype(child, abi.ObjFrame, 0, cs, first, 16); err != nil {
			return err
		}
		if err := e.Retype(child, abi.ObjTCB, 0, cs, first+16, 4); err != nil {
			return err
		}
		_, used, err := e.UntypedInfo(child)
		if err != nil {
			return err
		}
		if want := uint64(16*abi.SizeFrame + 4*abi.SizeTCB); used != want {
			return fmt.Errorf("budget used %d bytes, want %d", used, want)
		}
		if err := e.Revoke(cs, child); err != nil {
			return err
		}
		if _, used, _ = e.UntypedInfo(child); used != 0 {
			return fmt.Errorf("after revoke the budget still has %d bytes used", used)
		}
		return nil
	}, nil)
}
