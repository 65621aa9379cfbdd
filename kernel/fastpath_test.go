package kernel_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"pgregory.net/rapid"
)

const (
	fpServerPC  = 0x58_0000
	fpClientPC  = 0x59_0000
	fpClient2PC = 0x5a_0000
	fpSpinnerPC = 0x5b_0000
)

// fpScenario is a random client/server workload: priorities, message shapes, a
// competing compute-bound thread, time slices and CPU budgets — everything the fast
// path's conditions depend on.
type fpScenario struct {
	ServerPrio, ClientPrio, Client2Prio, SpinnerPrio uint8
	Spinner, Client2, ServerReplyObj, ServerBudget   bool
	Calls                                            int
	Words                                            []int // message length of each call (0..8: over 4 leaves the registers)
	Compute                                          []int // server work per call, µs
	Slice                                            uint64
}

func genScenario(t *rapid.T) fpScenario {
	prio := rapid.SampledFrom([]uint8{90, 100, 110})
	s := fpScenario{
		ServerPrio: prio.Draw(t, "server"), ClientPrio: prio.Draw(t, "client"),
		Client2Prio: prio.Draw(t, "client2"), SpinnerPrio: prio.Draw(t, "spinner"),
		Spinner: rapid.Bool().Draw(t, "spin"), Client2: rapid.Bool().Draw(t, "client2?"),
		ServerReplyObj: rapid.Float64().Draw(t, "replyobj") < 0.9, ServerBudget: rapid.Bool().Draw(t, "budget"),
		Calls: rapid.IntRange(1, 12).Draw(t, "calls"),
		Slice: rapid.SampledFrom([]uint64{100_000, 1_000_000, 5_000_000}).Draw(t, "slice"),
	}
	s.Words = rapid.SliceOfN(rapid.IntRange(0, 8), s.Calls, s.Calls).Draw(t, "words")
	s.Compute = rapid.SliceOfN(rapid.IntRange(0, 300), s.Calls, s.Calls).Draw(t, "compute")
	return s
}

// runScenario runs s and returns everything observable: each thread's results in the
// order they happened (with the machine time), the kernel's counters and the threads'
// final states.
func runScenario(t *rapid.T, s fpScenario, fast bool, hits *uint64) string {
	defer kernel.SetFastPath(kernel.SetFastPath(fast))
	var trace strings.Builder
	note := func(e *user.Env, format string, args ...any) {
		fmt.Fprintf(&trace, format+"\n", args...)
	}
	client := func(name string, badgeSlot abi.CPtr) usersim.Program {
		return func(e *user.Env) {
			for i := range s.Calls {
				n := s.Words[i]
				for w := range n {
					e.SetMR(w, uint64(100*i+w))
				}
				info, err := e.Call(badgeSlot, abi.NewMsgInfo(uint64(i+1), n, 0))
				mrs := make([]uint64, info.Len())
				for w := range mrs {
					mrs[w] = e.MR(w)
				}
				note(e, "%s call %d: info %#x err %v mrs %v", name, i, uint64(info), err, mrs)
			}
		}
	}
	server := func(e *user.Env) {
		reply := abi.CPtr(0)
		if s.ServerReplyObj {
			reply = slotReply
		}
		badge, info, err := e.Recv(slotEP, reply)
		for i := 0; err == nil; i++ {
			mrs := make([]uint64, info.Len())
			for w := range mrs {
				mrs[w] = e.MR(w) + 1
			}
			note(e, "server got badge %#x info %#x mrs %v", uint64(badge), uint64(info), mrs)
			e.Compute(int64(s.Compute[i%len(s.Compute)]) * 1000)
			for w, v := range mrs {
				e.SetMR(w, v)
			}
			badge, info, err = e.ReplyRecv(slotEP, reply, abi.NewMsgInfo(0, len(mrs), 0))
		}
		note(e, "server stops: %v", err)
	}
	w, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true, TimeSlice: 5_000_000}, Init: func(e *user.Env) {
		slots := initSlots()
		retype(e, slots, abi.ObjEndpoint, 0)
		retype(e, slots, abi.ObjReply, 0)
		b1, _ := slots.Take()
		b2, _ := slots.Take()
		e.Mint(cs, b1, cs, slotEP, abi.RightWrite, 0xb1)
		e.Mint(cs, b2, cs, slotEP, abi.RightWrite, 0xb2)
		srv, err := spawn(e, slots, fpServerPC, s.ServerPrio)
		if err != nil {
			panic(err)
		}
		e.SetTimeSlice(srv.TCB, s.Slice)
		if s.ServerBudget {
			e.SetCPUBudget(srv.TCB, 200_000, 1_000_000)
		}
		if s.Spinner {
			spawn(e, slots, fpSpinnerPC, s.SpinnerPrio)
		}
		c1, _ := spawn(e, slots, fpClientPC, s.ClientPrio)
		e.SetTimeSlice(c1.TCB, s.Slice)
		if s.Client2 {
			spawn(e, slots, fpClient2PC, s.Client2Prio)
		}
		_ = b2
	}, Programs: map[uint64]usersim.Program{
		fpServerPC:  server,
		fpClientPC:  client("c1", abi.InitFirstFree+2),
		fpClient2PC: client("c2", abi.InitFirstFree+3),
		fpSpinnerPC: func(e *user.Env) {
			for range 20 {
				e.Compute(250_000)
			}
		},
	}})
	if err != nil {
		t.Fatal(err)
	}
	w.Run(2_000_000_000)
	if err := w.CheckInvariants(); err != nil {
		t.Fatalf("invariants (fast path %v): %v", fast, err)
	}
	st := w.Stats
	*hits += st.FastIPC
	fmt.Fprintf(&trace, "stats: syscalls %d messages %d switches %d; time %d\n", st.Syscalls, st.Messages, st.ContextSwitches, w.Now())
	for _, th := range w.Threads() {
		fmt.Fprintf(&trace, "thread %s: %v\n", th.Name, th.State())
	}
	return trace.String()
}

// TestFastPathMatchesGeneralPath: over random workloads, the kernel with the IPC fast
// path produces exactly what it produces without: the same messages in the same order
// at the same machine times, the same counters and the same final thread states.
func TestFastPathMatchesGeneralPath(t *testing.T) {
	var hits, none uint64
	rapid.Check(t, func(t *rapid.T) {
		s := genScenario(t)
		fast, slow := runScenario(t, s, true, &hits), runScenario(t, s, false, &none)
		if fast != slow {
			t.Fatalf("fast path differs from the general path for %+v\nfast:\n%s\ngeneral:\n%s", s, fast, slow)
		}
	})
	if hits == 0 || none != 0 {
		t.Fatalf("fast path taken %d times (turned off: %d); the workloads do not exercise it", hits, none)
	}
	t.Logf("fast path taken %d times", hits)
}
