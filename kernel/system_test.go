package kernel_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const (
	sys = abi.InitSlotSystem

	sleeperPC = 0x71_0000 // waits forever on a notification it holds at slot InitFirstFree
	wildPC    = 0x72_0000 // writes to an unmapped address
	exitPC    = 0x73_0000 // returns at once
)

var testPrograms = usersim.Loader{Entries: map[string]uint64{"sleeper": sleeperPC, "wild": wildPC, "exit": exitPC}}

func systemPrograms() map[uint64]usersim.Program {
	return map[uint64]usersim.Program{
		sleeperPC: func(e *user.Env) { e.Wait(abi.InitFirstFree) },
		wildPC:    func(e *user.Env) { e.Store64(0x5000_0000, 1) },
		exitPC:    func(e *user.Env) {},
	}
}

// bootSystem boots a machine whose init runs prog with the System loader set.
func bootSystem(t *testing.T, prog func(e *user.Env)) *world {
	w := boot(t, prog, systemPrograms())
	w.SetLoader(testPrograms)
	return w
}

// TestSystemTasks: init starts programs as tasks through its System capability, lists
// them, reads their capabilities, kills one and sees a faulting one end alone; every
// ended task's memory goes back to the root budget and its exit notification fires.
func TestSystemTasks(t *testing.T) {
	var log strings.Builder
	w := bootSystem(t, func(e *user.Env) {
		slots := initSlots()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		before, err := e.Memory(sys)
		must(t, err)

		id, err := e.StartProgram(sys, []string{"sleeper", "-x"}, 1<<20, 0, ntfn, ntfn)
		if err != nil {
			t.Errorf("start sleeper: %v", err)
			return
		}
		ts, err := e.Tasks(sys)
		must(t, err)
		if len(ts) != 2 || ts[0].Name != "init" || ts[1].Name != "sleeper" || ts[1].ID != id || ts[1].Parent != 1 {
			t.Errorf("tasks = %+v", ts)
		} else if ts[1].MemLimit != 1<<20 || ts[1].MemUsed == 0 || ts[1].Threads != 1 || ts[1].Priority != 100 {
			t.Errorf("sleeper = %+v", ts[1])
		}
		after, _ := e.Memory(sys)
		if after.RootUsed != before.RootUsed+1<<20 {
			t.Errorf("root used %d → %d; want +1 MiB", before.RootUsed, after.RootUsed)
		}
		// Its capabilities: its own objects and the one grant, with the grant's rights.
		var types []string
		for slot := uint64(0); ; slot++ {
			s, c, err := e.TaskCap(sys, id, slot)
			if errors.Is(err, abi.ErrNotFound) {
				break
			}
			must(t, err)
			types = append(types, fmt.Sprintf("%d:%v", s, c.Type))
			slot = s
		}
		if got := strings.Join(types, " "); got != "1:CSpace 2:TCB 3:AddressSpace 4:Untyped 7:Frame 9:Notification" {
			t.Errorf("sleeper's capabilities: %s", got)
		}

		expectErrno(t, "kill init", e.Kill(sys, 1), abi.ErrIllegal)
		expectErrno(t, "kill unknown", e.Kill(sys, 99), abi.ErrNotFound)
		_, err = e.StartProgram(sys, []string{"nonesuch"}, 1<<20, 0, 0)
		expectErrno(t, "start unknown", err, abi.ErrNotFound)
		_, err = e.StartProgram(sys, []string{"sleeper"}, 1<<50, 0, 0)
		expectErrno(t, "start too big", err, abi.ErrNoMemory)
		if m, _ := e.Memory(sys); m.RootUsed != after.RootUsed {
			t.Errorf("failed starts changed the root budget: %d → %d", after.RootUsed, m.RootUsed)
		}

		must(t, e.Kill(sys, id))
		if _, err := e.Wait(ntfn); err != nil {
			t.Errorf("exit notification: %v", err)
		}
		if m, _ := e.Memory(sys); m.RootUsed != before.RootUsed || m.Free != before.Free {
			t.Errorf("after kill: root used %d, free %d; before: %d, %d", m.RootUsed, m.Free, before.RootUsed, before.Free)
		}
		st, _, err := e.TaskStatus(sys, id)
		if err != nil || st != kernel.TaskKilled {
			t.Errorf("status after kill: %v %v", st, err)
		}
		_, _, err = e.TaskStatus(sys, id)
		expectErrno(t, "status once reaped", err, abi.ErrNotFound)

		wild, err := e.StartProgram(sys, []string{"wild"}, 1<<20, 0, ntfn)
		must(t, err)
		e.Wait(ntfn)
		if st, _, _ := e.TaskStatus(sys, wild); st != kernel.TaskFaulted {
			t.Errorf("wild task: %v", st)
		}
		if m, _ := e.Memory(sys); m.RootUsed != before.RootUsed || m.Free != before.Free {
			t.Errorf("after fault: root used %d, free %d; before: %d, %d", m.RootUsed, m.Free, before.RootUsed, before.Free)
		}

		b := make([]byte, user.MaxPayload)
		for off := uint64(0); ; {
			n, next, err := e.ReadLog(sys, off, b)
			must(t, err)
			if n == 0 {
				break
			}
			log.Write(b[:n])
			off = next
		}
		must(t, e.PowerOff(sys, 3))
		t.Errorf("PowerOff returned to its caller")
	})
	if r := w.Run(10_000_000_000); r != kernel.StopPowerOff {
		t.Fatalf("Run: %v, want power off\n%s", r, w.Console)
	}
	if off, status := w.PowerOffRequested(); !off || status != 3 {
		t.Errorf("PowerOffRequested = %v, %d", off, status)
	}
	w.check()
	for _, want := range []string{"task 2 (sleeper) killed", "task 3 (wild) faulted", `spawn "nonesuch" for task 1: no program`} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("kernel log lacks %q:\n%s", want, log.String())
		}
	}
}

// TestSystemTaskCycles: starting and ending tasks many times returns every frame and
// every byte of budget, and the kernel keeps a bounded number of ended records.
func TestSystemTaskCycles(t *testing.T) {
	w := bootSystem(t, func(e *user.Env) {
		slots := initSlots()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		before, _ := e.Memory(sys)
		for i := range 300 {
			id, err := e.StartProgram(sys, []string{"sleeper"}, 256<<10, 0, ntfn)
			if err != nil {
				t.Errorf("cycle %d: %v", i, err)
				return
			}
			if i%2 == 0 {
				must(t, e.Kill(sys, id))
			} else {
				must(t, e.Kill(sys, id))
				e.TaskStatus(sys, id) // reap half of them
			}
			e.Wait(ntfn)
		}
		after, _ := e.Memory(sys)
		if after.Free != before.Free || after.RootUsed != before.RootUsed {
			t.Errorf("after 300 cycles: free %d → %d, root used %d → %d", before.Free, after.Free, before.RootUsed, after.RootUsed)
		}
		if after.Tasks > 70 {
			t.Errorf("%d task records kept", after.Tasks)
		}
	})
	w.run()
}

// TestSystemRights: a System capability without Write can list but not change.
func TestSystemRights(t *testing.T) {
	w := bootSystem(t, func(e *user.Env) {
		slots := initSlots()
		ro, _ := slots.Take()
		must(t, e.Copy(cs, ro, cs, sys, abi.RightRead))
		if _, err := e.Tasks(ro); err != nil {
			t.Errorf("list with Read: %v", err)
		}
		_, err := e.StartProgram(ro, []string{"exit"}, 1<<20, 0, 0)
		expectErrno(t, "start with Read", err, abi.ErrNoRights)
		expectErrno(t, "power off with Read", e.PowerOff(ro, 0), abi.ErrNoRights)
		_, err = e.StartProgram(sys, []string{"exit"}, 1<<20, 200, 0)
		if err != nil {
			t.Errorf("start at init's priority bound: %v", err)
		}
	})
	w.run()
}
