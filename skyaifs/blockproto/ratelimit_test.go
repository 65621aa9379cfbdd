package blockproto

import (
	"errors"
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/skyaifs/block"
)

// costly is a device whose transfers cost CPU time on the serving task, like a
// driver copying data: 10 µs per block, so a server alone on the CPU moves at most
// about 400 MB/s and the CPU, not the device, is what neighbours compete for.
type costly struct {
	block.Device
	e *user.Env
}

const blockCost = 10_000 // ns of CPU per block

func (c *costly) ReadBlocks(start uint64, buf []byte) error {
	c.e.Compute(int64(len(buf) / block.Size * blockCost))
	return c.Device.ReadBlocks(start, buf)
}

// rateWorld is a machine running one block server and one client per pair, each
// client in a container of its own with the I/O byte rate given (0: unlimited), each
// server charging its client's container and holding by a timer interrupt.
type rateWorld struct {
	bytes [2]uint64 // what each client read within the measured stretch
	held  [2]uint64 // what each server held requests for, ns
	ops   [2]uint64 // requests each client completed
	errs  []error
}

// Program addresses and slots of the rate test.
const (
	pcRateServer = 0xa0_0000 + iota*0x1000
	pcRateClient
	rateIRQ      = 20 // the first pair's timer line; the second's is rateIRQ+1
	rateReadSize = 8  // blocks per request: 32 KiB
)

// runRates boots the machine with len(rates) pairs and measures for stretch ns of
// machine time after a warm-up of 100 ms.
func runRates(t *testing.T, rates []uint64, stretch hal.Time) *rateWorld {
	t.Helper()
	w := &rateWorld{}
	var m *usersim.Machine
	const warm = hal.Time(100_000_000)
	var servers [2]*Server
	progs := map[uint64]usersim.Program{}
	entries := map[string]uint64{}
	for i := range rates {
		pair := i
		dev := block.NewMem(1024)
		progs[pcRateServer+uint64(pair)*0x100] = func(e *user.Env) {
			const ep, ctr, irq, ntfn = abi.InitFirstFree, abi.InitFirstFree + 1, abi.InitFirstFree + 2, abi.InitFirstFree + 3
			if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReply, 1); err != nil {
				w.errs = append(w.errs, err)
				return
			}
			hold := func(ns uint64) {
				m.Sim.RaiseIRQ(rateIRQ+pair, m.Now()+hal.Time(ns))
				e.Wait(ntfn)
				e.IRQAck(irq)
			}
			s := NewServer(e, &costly{dev, e}, Config{Endpoint: ep, Reply: slotReply, CSpace: abi.InitSlotCSpace,
				AS: abi.InitSlotAddressSpace, Recv: slotRecv, Frames: slotFrames, Window: serverWindow, WindowSize: 64 << 20,
				Client: clientBadge, Charge: ctr, Hold: hold})
			servers[pair] = s
			s.Serve()
		}
		progs[pcRateClient+uint64(pair)*0x100] = func(e *user.Env) {
			c, err := attach(e, rateReadSize)
			if err != nil {
				w.errs = append(w.errs, err)
				return
			}
			buf := make([]byte, rateReadSize*block.Size)
			start, end := m.Now()+warm, m.Now()+warm+stretch
			for {
				now := m.Now()
				if now >= end {
					break
				}
				if err := c.ReadBlocks(0, buf); err != nil {
					w.errs = append(w.errs, fmt.Errorf("pair %d: %w", pair, err))
					return
				}
				if now >= start {
					w.bytes[pair] += uint64(len(buf))
					w.ops[pair]++
				}
			}
			e.Wait(abi.ContainerSlotStop)
		}
		entries[fmt.Sprintf("server%d", pair)] = pcRateServer + uint64(pair)*0x100
		entries[fmt.Sprintf("client%d", pair)] = pcRateClient + uint64(pair)*0x100
	}
	var err error
	m, err = usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: progs, Init: func(e *user.Env) {
		const cs, ut, sys = abi.InitSlotCSpace, abi.InitSlotUntyped, abi.InitSlotSystem
		slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
		take := func() abi.CPtr { c, _ := slots.Take(); return c }
		fail := func(what string, err error) bool {
			if err != nil {
				w.errs = append(w.errs, fmt.Errorf("%s: %w", what, err))
			}
			return err != nil
		}
		for i, rate := range rates {
			ep, recvOnly, badged, ctr, irq, ntfn, badge, space := take(), take(), take(), take(), take(), take(), take(), take()
			if fail("endpoint", e.Retype(ut, abi.ObjEndpoint, 0, cs, ep, 1)) ||
				fail("notification", e.Retype(ut, abi.ObjNotification, 0, cs, ntfn, 1)) ||
				fail("grant space", e.Retype(ut, abi.ObjCSpace, 4, cs, space, 1)) ||
				fail("receive capability", e.Copy(cs, recvOnly, cs, ep, abi.RightRead)) ||
				fail("client capability", e.Mint(cs, badged, cs, ep, abi.RightWrite|abi.RightGrant, clientBadge)) ||
				fail("timer interrupt", e.IRQHandler(abi.InitSlotIRQControl, rateIRQ+i, cs, irq)) ||
				fail("timer badge", e.Mint(cs, badge, cs, ntfn, abi.RightWrite, 1)) ||
				fail("timer binding", e.IRQSetNotification(irq, badge)) {
				return
			}
			l := abi.ContainerLimits{Memory: 8 << 20, MaxTasks: 4, Priority: 100, IOBytes: rate}
			if _, err := e.CreateContainer(sys, fmt.Sprintf("pair%d", i), l, ctr); fail("container", err) {
				return
			}
			// The server gets the client's container (Write, to charge it), its timer
			// and its endpoint; the client, started inside the container, only its
			// badged endpoint capability: it never holds the container.
			if fail("grant container", e.Copy(space, 1, cs, ctr, abi.RightWrite)) ||
				fail("grant timer", e.Copy(space, 2, cs, irq, abi.AllRights)) ||
				fail("grant notification", e.Copy(space, 3, cs, ntfn, abi.RightRead)) {
				return
			}
			if _, err := e.StartProgramWith(sys, []string{fmt.Sprintf("server%d", i)}, 4<<20, 0, 0, recvOnly, space); fail("server", err) {
				return
			}
			if _, err := e.StartInContainer(ctr, []string{fmt.Sprintf("client%d", i)}, 4<<20, 0, 0, 0, badged); fail("client", err) {
				return
			}
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: entries, MaxMemory: 4 << 20})
	m.Run(warm + stretch + 200_000_000)
	for i, s := range servers {
		if s != nil {
			_, w.held[i] = s.Charged()
		}
	}
	for _, err := range w.errs {
		t.Error(err)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestIORateLimit: a client in a container limited to N bytes/s, served by a block
// server that charges its container, reads N bytes/s (within 5%, plus the bucket's
// 100 ms burst, in machine time), while a neighbour in an unlimited container,
// served by its own server on the same CPU, reads at least 95% of what it reads with
// no neighbour at all: a held request waits without using the CPU.
func TestIORateLimit(t *testing.T) {
	const limit = 2 << 20 // bytes per second
	const stretch = hal.Time(2_000_000_000)
	alone := runRates(t, []uint64{0}, stretch)
	both := runRates(t, []uint64{limit, 0}, stretch)
	secs := float64(stretch) / 1e9
	got := float64(both.bytes[0]) / secs
	t.Logf("limited to %d B/s: read %.0f B/s (%d requests, held %.3f s); unlimited neighbour %.1f MB/s, alone %.1f MB/s",
		limit, got, both.ops[0], float64(both.held[0])/1e9, float64(both.bytes[1])/secs/1e6, float64(alone.bytes[0])/secs/1e6)
	// The bucket lets 100 ms of the rate through at once on top of the rate, and
	// a request is 32 KiB: allow the burst and one request above, 5% below.
	if hi, lo := float64(limit)*(1+0.1/secs)+float64(rateReadSize*block.Size)/secs, float64(limit)*0.95; got > hi || got < lo {
		t.Errorf("limited client read %.0f B/s, want %.0f–%.0f", got, lo, hi)
	}
	if both.bytes[1] < alone.bytes[0]*95/100 {
		t.Errorf("unlimited neighbour read %d bytes, %d alone: slowed by the limited one", both.bytes[1], alone.bytes[0])
	}
	if alone.bytes[0] < 20*limit*uint64(secs) {
		t.Errorf("an unlimited client alone read only %d bytes: the limit would not bind", alone.bytes[0])
	}
}

// TestChargeRefusedWhenContainerGone: a server whose client's container is destroyed
// cannot charge it, so it refuses transfers (NotCharged, an ErrIO at the client) and
// leaves the device as it was rather than serve them free; Attach and Info, which
// move no data, still work.
func TestChargeRefusedWhenContainerGone(t *testing.T) {
	dev := block.NewMem(64)
	var got []error
	progs := map[uint64]usersim.Program{
		pcRateServer: func(e *user.Env) {
			const ep, ctr = abi.InitFirstFree, abi.InitFirstFree + 1
			if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReply, 1); err != nil {
				t.Error(err)
				return
			}
			NewServer(e, dev, Config{Endpoint: ep, Reply: slotReply, CSpace: abi.InitSlotCSpace,
				AS: abi.InitSlotAddressSpace, Recv: slotRecv, Frames: slotFrames, Window: serverWindow, WindowSize: 64 << 20,
				Client: clientBadge, Charge: ctr, Hold: func(uint64) { t.Error("held a request it could not charge") }}).Serve()
		},
		pcRateClient: func(e *user.Env) {
			c, err := attach(e, 1)
			if err != nil {
				got = append(got, err)
				return
			}
			_, ierr := c.Info()
			b := make([]byte, block.Size)
			b[0] = 0xaa
			got = append(got, ierr, c.WriteBlocks(3, b), c.ReadBlocks(3, b), c.Flush())
		},
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: progs, Init: func(e *user.Env) {
		const cs, ut, sys = abi.InitSlotCSpace, abi.InitSlotUntyped, abi.InitSlotSystem
		const ep, recvOnly, badged, ctr, space = abi.InitFirstFree, abi.InitFirstFree + 1, abi.InitFirstFree + 2, abi.InitFirstFree + 3, abi.InitFirstFree + 4
		for _, err := range []error{
			e.Retype(ut, abi.ObjEndpoint, 0, cs, ep, 1),
			e.Retype(ut, abi.ObjCSpace, 4, cs, space, 1),
			e.Copy(cs, recvOnly, cs, ep, abi.RightRead),
			e.Mint(cs, badged, cs, ep, abi.RightWrite|abi.RightGrant, clientBadge),
		} {
			if err != nil {
				t.Error(err)
				return
			}
		}
		if _, err := e.CreateContainer(sys, "gone", lim(), ctr); err != nil {
			t.Error(err)
			return
		}
		if err := e.DestroyContainer(ctr); err != nil {
			t.Error(err)
			return
		}
		if err := e.Copy(space, 1, cs, ctr, abi.RightWrite); err != nil {
			t.Error(err)
			return
		}
		if _, err := e.StartProgramWith(sys, []string{"server"}, 4<<20, 0, 0, recvOnly, space); err != nil {
			t.Error(err)
		}
		if _, err := e.StartProgram(sys, []string{"client"}, 4<<20, 0, 0, badged); err != nil {
			t.Error(err)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: map[string]uint64{"server": pcRateServer, "client": pcRateClient}, MaxMemory: 4 << 20})
	m.Run(10_000_000_000)
	if len(got) != 4 || got[0] != nil {
		t.Fatalf("client saw %v, want Info to work and three refusals", got)
	}
	for i, what := range []string{"write", "read", "flush"} {
		var st Status
		if !errors.As(got[1+i], &st) || st != NotCharged || !errors.Is(got[1+i], block.ErrIO) {
			t.Errorf("%s: %v, want NotCharged (an I/O error)", what, got[1+i])
		}
	}
	b := make([]byte, block.Size)
	dev.ReadBlocks(3, b)
	if b[0] != 0 {
		t.Errorf("a refused write reached the device")
	}
}

// lim returns small container limits for the tests here.
func lim() abi.ContainerLimits {
	return abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 2, Priority: 100}
}
