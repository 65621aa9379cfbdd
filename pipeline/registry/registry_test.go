package registry

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const (
	pcV1 = 0x80_0000 + iota*0x1000
	pcV2
	pcV2Crash
	pcV2Bad
	pcV2Slow
	pcClient
	pcUpdater
	pcIntruder
)

var programs = usersim.Loader{MaxMemory: 4 << 20, Entries: map[string]uint64{"svc-v1": pcV1, "svc-v2": pcV2, "svc-v2-crash": pcV2Crash, "svc-v2-bad": pcV2Bad,
	"svc-v2-slow": pcV2Slow, "client": pcClient, "updater": pcUpdater,
	"intruder": pcIntruder}}

// TestLiveUpdate: a client calls the service continuously while an updater tries
// three broken new versions — one crashes during initialisation, one fails its
// self-test, one never reports — and then a good one. Each broken one is rolled back
// with V1 serving and its task reclaimed; the good one takes over. The client loses no
// call, gets no error, and sees every answer from V1 up to one point and from V2 after
// it: never a mix. A task whose registry capability lacks the updater badge is refused.
func TestLiveUpdate(t *testing.T) {
	const calls = 600
	var (
		mu       sync.Mutex
		replies  []uint64
		clientOK = true
		outcomes []uint64
		log      []string
		intruder string
	)
	version := func(add uint64, selftest bool) usersim.Program {
		return func(e *user.Env) {
			DefaultVersion.Run(e, func() bool { return selftest }, func(_ uint64, w []uint64) []uint64 {
				e.Compute(20_000)
				return []uint64{w[0] + add}
			})
		}
	}
	const (
		regSlot = abi.InitFirstFree // in the updater: the registry, updater badge
		svcSlot = abi.InitFirstFree // in the client: the service endpoint
	)
	progs := map[uint64]usersim.Program{
		pcV1:      version(1, true),
		pcV2:      version(1000, true),
		pcV2Bad:   version(1000, false),
		pcV2Crash: func(e *user.Env) { e.Compute(100_000); e.Store64(0xdead_0000, 1) },
		pcV2Slow: func(e *user.Env) {
			for {
				e.Compute(1_000_000)
			}
		},
		pcClient: func(e *user.Env) {
			for i := uint64(1); i <= calls; i++ {
				e.SetMR(0, i)
				info, err := e.Call(svcSlot, abi.NewMsgInfo(7, 1, 0))
				mu.Lock()
				if err != nil || info.Len() != 1 {
					clientOK = false
				}
				replies = append(replies, e.MR(0))
				mu.Unlock()
				e.Compute(50_000)
			}
		},
		pcIntruder: func(e *user.Env) {
			out, err := RequestUpdate(e, regSlot, "svc-v2-bad")
			mu.Lock()
			intruder = fmt.Sprint(out, err)
			mu.Unlock()
		},
		pcUpdater: func(e *user.Env) {
			for _, p := range []string{"svc-v2-crash", "svc-v2-bad", "svc-v2-slow", "svc-v2"} {
				e.Compute(2_000_000)
				out, err := RequestUpdate(e, regSlot, p)
				if err != nil {
					out = 99
				}
				mu.Lock()
				outcomes = append(outcomes, out)
				mu.Unlock()
			}
		},
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: progs, Init: func(e *user.Env) {
		w, err := newRegistryWorld(e)
		if err != nil {
			t.Error(err)
			return
		}
		take, regEP, svcEP := w.take, w.regEP, w.svcEP
		clientCap, updaterCap, intruderCap := take(), take(), take()
		e.Mint(abi.InitSlotCSpace, intruderCap, abi.InitSlotCSpace, regEP, abi.RightWrite, 0x5)
		e.Mint(abi.InitSlotCSpace, clientCap, abi.InitSlotCSpace, svcEP, abi.RightWrite, 0x11)
		e.Mint(abi.InitSlotCSpace, updaterCap, abi.InitSlotCSpace, regEP, abi.RightWrite, BadgeUpdater)
		r, err := w.start(e, func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() })
		if err != nil {
			t.Error(err)
			return
		}
		if _, err := e.StartProgram(abi.InitSlotSystem, []string{"client"}, 1<<20, 0, 0, clientCap); err != nil {
			t.Error(err)
		}
		if _, err := e.StartProgram(abi.InitSlotSystem, []string{"updater"}, 1<<20, 0, 0, updaterCap); err != nil {
			t.Error(err)
		}
		if _, err := e.StartProgram(abi.InitSlotSystem, []string{"intruder"}, 1<<20, 0, 0, intruderCap); err != nil {
			t.Error(err)
		}
		r.Serve()
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(programs)
	m.Run(20_000_000_000)
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []uint64{Crashed, SelfTest, TimedOut, Updated}; fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v\n%s", outcomes, want, strings.Join(log, "\n"))
	}
	if intruder != fmt.Sprint(uint64(NotAllowed), nil) {
		t.Errorf("an update through a capability without the updater badge: %s", intruder)
	}
	if !clientOK || len(replies) != calls {
		t.Fatalf("client: ok %v, %d of %d replies", clientOK, len(replies), calls)
	}
	switched := 0
	for i, r := range replies {
		n := uint64(i + 1)
		switch {
		case r == n+1 && switched == 0:
		case r == n+1000:
			if switched == 0 {
				switched = i + 1
			}
		default:
			t.Fatalf("call %d answered %d after the switch at call %d (a lost, repeated or mixed call)", n, r, switched)
		}
	}
	if switched == 0 {
		t.Fatalf("V2 never answered; log:\n%s", strings.Join(log, "\n"))
	}
	t.Logf("switched to V2 at call %d of %d; log:\n%s", switched, calls, strings.Join(log, "\n"))
	live := map[string]int{}
	for _, task := range m.Tasks() {
		if task.State() == kernel.TaskLive {
			live[task.Name()]++
		}
	}
	if live["svc-v1"] != 0 || live["svc-v2"] != 1 || live["svc-v2-slow"]+live["svc-v2-bad"]+live["svc-v2-crash"] != 0 {
		t.Errorf("live tasks after the updates: %v", live)
	}
}

// TestLiveUpdateHandsOverState: a counting service is updated with state hand-over
// while a client calls it. A new version that fails its self-test is rolled back and
// the count goes on in V1; the good one receives V1's count, so the client sees one
// unbroken sequence 0, 1, 2, … across the switch, answered by V1 and then by V2.
func TestLiveUpdateHandsOverState(t *testing.T) {
	const calls = 400
	var (
		mu       sync.Mutex
		replies  [][2]uint64
		outcomes []uint64
		log      []string
	)
	counter := func(version uint64, selftest bool) usersim.Program {
		return func(e *user.Env) {
			var n uint64
			DefaultVersion.RunWithState(e, func() bool { return selftest }, func(uint64, []uint64) []uint64 {
				e.Compute(20_000)
				n++
				return []uint64{n - 1, version}
			}, func() []byte {
				return binary.LittleEndian.AppendUint64(nil, n)
			}, func(st []byte) {
				if len(st) == 8 {
					n = binary.LittleEndian.Uint64(st)
				}
			})
		}
	}
	const slot = abi.InitFirstFree
	progs := map[uint64]usersim.Program{
		pcV1:    counter(1, true),
		pcV2:    counter(2, true),
		pcV2Bad: counter(3, false),
		pcClient: func(e *user.Env) {
			for range calls {
				info, err := e.Call(slot, abi.NewMsgInfo(7, 0, 0))
				mu.Lock()
				if err != nil || info.Len() != 2 {
					replies = append(replies, [2]uint64{^uint64(0), 0})
				} else {
					replies = append(replies, [2]uint64{e.MR(0), e.MR(1)})
				}
				mu.Unlock()
				e.Compute(50_000)
			}
		},
		pcUpdater: func(e *user.Env) {
			for i, p := range []string{"svc-v2-bad", "svc-v2"} {
				// Update after 100 and after 200 calls, so that V1 serves before,
				// between and during the two updates.
				for {
					mu.Lock()
					n := len(replies)
					mu.Unlock()
					if n >= 100*(i+1) {
						break
					}
					e.Yield()
					e.Compute(100_000)
				}
				out, err := RequestUpdateWithState(e, slot, p)
				if err != nil {
					out = 99
				}
				mu.Lock()
				outcomes = append(outcomes, out)
				mu.Unlock()
			}
		},
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: progs, Init: func(e *user.Env) {
		w, err := newRegistryWorld(e)
		if err != nil {
			t.Error(err)
			return
		}
		take, regEP, svcEP := w.take, w.regEP, w.svcEP
		clientCap, updaterCap := take(), take()
		e.Mint(abi.InitSlotCSpace, clientCap, abi.InitSlotCSpace, svcEP, abi.RightWrite, 0x11)
		e.Mint(abi.InitSlotCSpace, updaterCap, abi.InitSlotCSpace, regEP, abi.RightWrite, BadgeUpdater)
		r, err := w.start(e, func(s string) { mu.Lock(); log = append(log, s); mu.Unlock() })
		if err != nil {
			t.Error(err)
			return
		}
		e.StartProgram(abi.InitSlotSystem, []string{"client"}, 1<<20, 0, 0, clientCap)
		e.StartProgram(abi.InitSlotSystem, []string{"updater"}, 1<<20, 0, 0, updaterCap)
		r.Serve()
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(programs)
	m.Run(20_000_000_000)
	mu.Lock()
	defer mu.Unlock()
	if want := []uint64{SelfTest, Updated}; fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v\n%s", outcomes, want, strings.Join(log, "\n"))
	}
	if len(replies) != calls {
		t.Fatalf("%d of %d replies", len(replies), calls)
	}
	switched := 0
	for i, r := range replies {
		if r[0] != uint64(i) {
			t.Fatalf("call %d answered count %d by version %d: the count did not carry over\n%s", i, r[0], r[1], strings.Join(log, "\n"))
		}
		switch {
		case r[1] == 1 && switched == 0:
		case r[1] == 2:
			if switched == 0 {
				switched = i
			}
		default:
			t.Fatalf("call %d answered by version %d after the switch at %d", i, r[1], switched)
		}
	}
	if switched < 200 {
		t.Fatalf("V2 answered from call %d, before the update was requested\n%s", switched, strings.Join(log, "\n"))
	}
	t.Logf("V2 took over at call %d with the count; log:\n%s", switched, strings.Join(log, "\n"))
}

// registryWorld is init's side of a registry test: the registry's and the service's
// endpoints, a Reply object, the exit notification and the registry's free slots.
type registryWorld struct {
	take                            func() abi.CPtr
	regEP, svcEP, reply, exit, free abi.CPtr
}

func newRegistryWorld(e *user.Env) (*registryWorld, error) {
	slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
	w := &registryWorld{take: func() abi.CPtr { c, _ := slots.Take(); return c }}
	w.regEP, w.svcEP, w.reply, w.exit = w.take(), w.take(), w.take(), w.take()
	for _, o := range []struct {
		slot abi.CPtr
		typ  abi.ObjectType
	}{{w.regEP, abi.ObjEndpoint}, {w.svcEP, abi.ObjEndpoint}, {w.reply, abi.ObjReply}, {w.exit, abi.ObjNotification}} {
		if err := e.Retype(abi.InitSlotUntyped, o.typ, 0, abi.InitSlotCSpace, o.slot, 1); err != nil {
			return nil, err
		}
	}
	w.free = slots.Next
	slots.Next += 5
	return w, nil
}

// start starts the registry with svc-v1 as version 1.
func (w *registryWorld) start(e *user.Env, log func(string)) (*Registry, error) {
	return Start(e, Config{System: abi.InitSlotSystem, Endpoint: w.regEP, Service: w.svcEP, Reply: w.reply, Exit: w.exit,
		CSpace: abi.InitSlotCSpace, Free: w.free, Initial: "svc-v1", Timeout: 200, PollNanos: 100_000, Log: log})
}
