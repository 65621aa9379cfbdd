package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Signal ORs the badge of the capability used into the word; Wait and Poll return the
// word and clear it; Poll on a clear notification returns ErrWouldBlock.
func TestNotificationBadgesOR(t *testing.T) {
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		n := retype(e, slots, abi.ObjNotification, 0)
		var b [4]abi.CPtr // badges 1, 2, 4 and none
		for i, badge := range []abi.Badge{1, 2, 4, 0} {
			b[i], _ = slots.Take()
			must(t, e.Mint(cs, b[i], cs, n, abi.RightWrite, badge))
		}
		poll := func(what string, wantWord uint64, wantErr abi.Errno) {
			t.Helper()
			word, err := e.Poll(n)
			if errnoOf(err) != wantErr || word != wantWord {
				t.Errorf("%s: Poll = %#x, %v; want %#x, %v", what, word, err, wantWord, wantErr)
			}
		}
		poll("fresh notification", 0, abi.ErrWouldBlock)
		must(t, e.Signal(b[0]))
		must(t, e.Signal(b[2]))
		must(t, e.Signal(b[0])) // OR: signalling twice is the same as once
		poll("after signals with badges 1, 4, 1", 5, abi.OK)
		poll("after the word was read", 0, abi.ErrWouldBlock)

		must(t, e.Signal(b[1]))
		must(t, e.Signal(b[2]))
		if word, err := e.Wait(n); err != nil || word != 6 {
			t.Errorf("Wait after signals with badges 2, 4 = %#x, %v; want 6 at once", word, err)
		}
		poll("after Wait", 0, abi.ErrWouldBlock)

		// An unbadged signal is still a signal: Wait and Poll return a zero word.
		must(t, e.Signal(b[3]))
		poll("after an unbadged signal", 0, abi.OK)
		poll("after reading the unbadged signal", 0, abi.ErrWouldBlock)
		must(t, e.Signal(b[3]))
		must(t, e.Signal(b[1]))
		// Recv on a notification capability waits like Wait; the word comes in the badge.
		if badge, _, err := e.Recv(n, 0); err != nil || badge != 2 {
			t.Errorf("Recv on the notification = %#x, %v; want 2", badge, err)
		}
		if _, _, err := e.NBRecv(n, 0); errnoOf(err) != abi.ErrWouldBlock {
			t.Errorf("NBRecv on a clear notification: %v, want ErrWouldBlock", err)
		}
	}, nil)
	w.finish()
}

// A thread waiting on a notification is woken by a signal and gets that signal's badge;
// waiters are woken one signal each, in the order they started waiting, and a signal
// taken by a waiter does not also stay in the word.
func TestNotificationWakesWaiters(t *testing.T) {
	const waiterPC = 0x150_0000
	const wN abi.CPtr = 1
	got := map[int][]uint64{}
	prog := func(id int) usersim.Program {
		return func(e *user.Env) {
			for range 2 {
				word, err := e.Wait(wN)
				if err != nil {
					t.Errorf("waiter %d: %v", id, err)
					return
				}
				got[id] = append(got[id], word)
			}
		}
	}
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		n := retype(e, slots, abi.ObjNotification, 0)
		var tasks []user.SpawnedTask
		for i := range 3 {
			st, err := spawnTask(e, slots, waiterPC+uint64(i)*0x1000, 150, user.Grant{From: n, To: wN, Rights: abi.RightRead})
			if err != nil {
				t.Errorf("spawn: %v", err)
				return
			}
			tasks = append(tasks, st)
		}
		var b [3]abi.CPtr
		for i := range b {
			b[i], _ = slots.Take()
			must(t, e.Mint(cs, b[i], cs, n, abi.RightWrite, abi.Badge(1)<<i))
		}
		for i, st := range tasks {
			expectState(t, e, fmt.Sprint("waiter ", i), st.TCB, kernel.BlockedOnNotification)
		}
		// Each signal wakes the first waiter in line, which runs at once (higher
		// priority), records the badge and waits again at the back of the line.
		for i := range 6 {
			must(t, e.Signal(b[i%3]))
			if _, err := e.Poll(n); errnoOf(err) != abi.ErrWouldBlock {
				t.Errorf("signal %d stayed in the word although a waiter took it (Poll: %v)", i, err)
			}
		}
		for i, st := range tasks {
			expectState(t, e, fmt.Sprint("waiter ", i, " after two signals"), st.TCB, kernel.Inactive)
		}
	}, map[uint64]usersim.Program{waiterPC: prog(0), waiterPC + 0x1000: prog(1), waiterPC + 0x2000: prog(2)})
	w.finish()
	want := map[int][]uint64{0: {1, 1}, 1: {2, 2}, 2: {4, 4}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("waiters got %v, want %v", got, want)
	}
}

// A lower-priority waiter is made ready by the signal but runs only when the signaller
// lets it; signals arriving meanwhile accumulate in the word.
func TestNotificationSignalsAccumulateUntilWaited(t *testing.T) {
	const waiterPC = 0x151_0000
	var words []uint64
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		n := retype(e, slots, abi.ObjNotification, 0)
		var b [3]abi.CPtr
		for i := range b {
			b[i], _ = slots.Take()
			must(t, e.Mint(cs, b[i], cs, n, abi.RightWrite, abi.Badge(0x10)<<i))
		}
		st, err := spawnTask(e, slots, waiterPC, 50, user.Grant{From: n, To: 1, Rights: abi.RightRead})
		if err != nil {
			t.Errorf("spawn: %v", err)
			return
		}
		// letRun lets the waiter run until it blocks (or ends).
		letRun := func() {
			must(t, e.SetPriority(self, self, 40))
			must(t, e.SetPriority(self, self, 100))
		}
		must(t, e.Signal(b[0])) // before the waiter ever ran: stays in the word
		must(t, e.Signal(b[1]))
		letRun()
		expectState(t, e, "waiter", st.TCB, kernel.BlockedOnNotification)
		must(t, e.Signal(b[2])) // handed to the waiter, which is Ready but lower priority
		expectState(t, e, "woken waiter", st.TCB, kernel.Ready)
		must(t, e.Signal(b[0])) // the waiter has not run: this one goes into the word
		letRun()
		expectState(t, e, "waiter after three words", st.TCB, kernel.Inactive)
	}, map[uint64]usersim.Program{waiterPC: func(e *user.Env) {
		for range 3 {
			word, err := e.Wait(1)
			if err != nil {
				t.Errorf("waiter: %v", err)
			}
			words = append(words, word)
		}
	}})
	w.finish()
	if fmt.Sprint(words) != "[48 64 16]" {
		t.Fatalf("waiter got words %v, want [0x30 0x40 0x10] = [48 64 16]", words)
	}
}
