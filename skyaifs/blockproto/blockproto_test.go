package blockproto

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/skyaifs/block"
)

const (
	pcServer = 0x90_0000 + iota*0x1000
	pcClient
	pcIntruder
)

// Slots of the tasks the tests start (grants arrive at InitFirstFree, InitFirstFree+1).
const (
	slotGrant0    = abi.InitFirstFree
	slotGrant1    = abi.InitFirstFree + 1
	slotReply     = 16
	slotRecv      = 17
	slotScratch   = 18
	slotFree      = 20 // Slots.Next of a client
	slotFrames    = 64 // the server's buffer frames
	clientBadge   = 0x77
	intruderBadge = 0x78
	serverWindow  = abi.FrameWindow
	bufferPages   = 8
)

// faulty is a device whose block ioBlock fails with ErrIO and which goes away (every
// request ErrGone) once gone is set.
type faulty struct {
	block.Device
	mu      sync.Mutex
	ioBlock uint64
	gone    bool
}

func (f *faulty) fail(start uint64, buf []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone {
		return block.ErrGone
	}
	if f.ioBlock >= start && f.ioBlock < start+uint64(len(buf)/block.Size) {
		return fmt.Errorf("%w: medium error at %d", block.ErrIO, f.ioBlock)
	}
	return nil
}

func (f *faulty) ReadBlocks(start uint64, buf []byte) error {
	if err := f.fail(start, buf); err != nil {
		return err
	}
	return f.Device.ReadBlocks(start, buf)
}

func (f *faulty) WriteBlocks(start uint64, buf []byte) error {
	if err := f.fail(start, buf); err != nil {
		return err
	}
	return f.Device.WriteBlocks(start, buf)
}

func (f *faulty) Flush() error {
	if err := f.fail(0, nil); err != nil {
		return err
	}
	return f.Device.Flush()
}

// serve is the block server program over dev, serving the client with clientBadge
// and signalling the notification granted at slotGrant1 when the device goes.
func serve(dev block.Device) usersim.Program {
	return func(e *user.Env) {
		if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReply, 1); err != nil {
			panic(err)
		}
		NewServer(e, dev, Config{Endpoint: slotGrant0, Reply: slotReply, CSpace: abi.InitSlotCSpace,
			AS: abi.InitSlotAddressSpace, Recv: slotRecv, Frames: slotFrames, Window: serverWindow, WindowSize: 64 << 20,
			Client: clientBadge, Gone: slotGrant1}).Serve()
	}
}

// attach makes a buffer of pages in the calling task and attaches it to the server
// at slotGrant0.
func attach(e *user.Env, pages uint64) (*Client, error) {
	slots := &user.Slots{Next: slotFree, Limit: 256}
	r, err := e.NewRegion(slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace, abi.FrameWindow, 0, pages)
	if err != nil {
		return nil, err
	}
	return Attach(e, slotGrant0, r, abi.InitSlotCSpace, slotScratch)
}

// boot runs init, which starts the server over dev and the given programs (each with
// the server's endpoint, minted with its badge, and a read capability to the gone
// notification), then runs the machine to the end.
func boot(t *testing.T, dev block.Device, progs map[string]struct {
	pc    uint64
	badge abi.Badge
	run   usersim.Program
}, after ...func(e *user.Env, server uint64)) {
	t.Helper()
	all := map[uint64]usersim.Program{pcServer: serve(dev)}
	entries := map[string]uint64{"blkd": pcServer}
	for name, p := range progs {
		all[p.pc] = p.run
		entries[name] = p.pc
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: all, Init: func(e *user.Env) {
		const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
		slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
		take := func() abi.CPtr { c, _ := slots.Take(); return c }
		ep, recvOnly, note, signal, wait := take(), take(), take(), take(), take()
		e.Retype(ut, abi.ObjEndpoint, 0, cs, ep, 1)
		e.Retype(ut, abi.ObjNotification, 0, cs, note, 1)
		e.Copy(cs, recvOnly, cs, ep, abi.RightRead)
		e.Mint(cs, signal, cs, note, abi.RightWrite, 1)
		e.Copy(cs, wait, cs, note, abi.RightRead)
		server, err := e.StartProgram(abi.InitSlotSystem, []string{"blkd"}, 4<<20, 0, 0, recvOnly, signal)
		if err != nil {
			t.Error(err)
			return
		}
		for name, p := range progs {
			c := take()
			e.Mint(cs, c, cs, ep, abi.RightWrite|abi.RightGrant, p.badge)
			if _, err := e.StartProgram(abi.InitSlotSystem, []string{name}, 4<<20, 0, 0, c, wait); err != nil {
				t.Error(err)
			}
		}
		for _, f := range after {
			f(e, server)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: entries, MaxMemory: 4 << 20})
	m.Run(60_000_000_000)
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

func randBlocks(rng *rand.Rand, n int) []byte {
	b := make([]byte, n*block.Size)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// TestBlockOverIPC: a client task reads and writes through the server single blocks,
// batches and batches larger than the shared buffer, with and without FUA; the
// device ends up holding exactly what a direct device given the same writes holds,
// and every read returns it.
func TestBlockOverIPC(t *testing.T) {
	const blocks = 256
	dev := block.NewMem(blocks)
	want := block.NewMem(blocks)
	rng := rand.New(rand.NewPCG(1, 2))
	var errs []error
	done := false
	client := func(e *user.Env) {
		defer func() { done = true }()
		c, err := attach(e, bufferPages)
		if err != nil {
			errs = append(errs, err)
			return
		}
		if c.Blocks() != blocks || c.BufferBlocks() != bufferPages {
			errs = append(errs, fmt.Errorf("attach: %d blocks, buffer %d", c.Blocks(), c.BufferBlocks()))
		}
		for i := range 60 {
			n := 1 + rng.IntN(3*bufferPages) // up to three buffers' worth
			if i%3 == 0 {
				n = 1
			}
			start := uint64(rng.IntN(blocks - n))
			b := randBlocks(rng, n)
			write, wwant := c.WriteBlocks, want.WriteBlocks
			if i%4 == 1 {
				write, wwant = c.WriteFUA, want.WriteFUA
			}
			if err := write(start, b); err != nil {
				errs = append(errs, err)
			}
			wwant(start, b)
			if i%7 == 0 {
				if err := c.Flush(); err != nil {
					errs = append(errs, err)
				}
			}
			got := make([]byte, len(b))
			if err := c.ReadBlocks(start, got); err != nil || !bytes.Equal(got, b) {
				errs = append(errs, fmt.Errorf("read back %d blocks at %d: %v, equal %v", n, start, err, bytes.Equal(got, b)))
			}
		}
		all := make([]byte, blocks*block.Size)
		if err := c.ReadBlocks(0, all); err != nil || !bytes.Equal(all, want.Image()) {
			errs = append(errs, fmt.Errorf("whole device read: %v", err))
		}
		if err := c.Close(); err != nil {
			errs = append(errs, err)
		}
		if err := c.ReadBlocks(0, all[:block.Size]); !errors.Is(err, block.ErrGone) {
			errs = append(errs, fmt.Errorf("read after Close: %v", err))
		}
	}
	boot(t, dev, map[string]struct {
		pc    uint64
		badge abi.Badge
		run   usersim.Program
	}{"client": {pcClient, clientBadge, client}})
	if !done {
		t.Fatal("the client did not finish")
	}
	for _, err := range errs {
		t.Error(err)
	}
	if !bytes.Equal(dev.Image(), want.Image()) {
		t.Error("the served device differs from a device given the same writes directly")
	}
}

// raw makes a request with arbitrary words and capabilities and returns the status.
func raw(e *user.Env, label, w0, w1, w2 uint64, caps ...abi.CPtr) Status {
	e.SetMR(0, w0)
	e.SetMR(1, w1)
	e.SetMR(2, w2)
	for i, c := range caps {
		e.SetCap(i, c)
	}
	if _, err := e.Call(slotGrant0, abi.NewMsgInfo(label, 3, len(caps))); err != nil {
		return Status(1000 + uint64(err.(abi.Errno)))
	}
	return Status(e.MR(0))
}

// TestBlockFaults: every malformed request is refused with its status and changes
// neither the device nor the shared buffer; a caller with another badge is refused
// everything; the device's I/O error and its going away reach the client as
// block.ErrIO and block.ErrGone, and going away also signals the notification and
// shows in Info.
func TestBlockFaults(t *testing.T) {
	const blocks = 64
	rng := rand.New(rand.NewPCG(3, 4))
	mem := block.Must(block.NewMemFrom(randBlocks(rng, blocks)))
	dev := &faulty{Device: mem, ioBlock: 40}
	var errs []error
	check := func(what string, got, want Status) {
		if got != want {
			errs = append(errs, fmt.Errorf("%s: %v, want %v", what, got, want))
		}
	}
	var done, intruderDone, checked bool
	client := func(e *user.Env) {
		defer func() {
			// Stay alive until the server's capabilities are listed: when the client
			// ends, the kernel takes its frames back from the server too.
			done = true
			for !checked {
				e.Yield()
				e.Compute(10_000)
			}
		}()
		check("read before attach", raw(e, LabelRead, 0, 1, 0), NotAttached)
		slots := &user.Slots{Next: slotFree, Limit: 256}
		const cs, ut, as = abi.InitSlotCSpace, abi.InitSlotUntyped, abi.InitSlotAddressSpace
		// A buffer whose capability space holds fewer frames than claimed.
		short, _ := e.NewRegion(slots, ut, cs, as, abi.FrameWindow+0x100000, 0, 2)
		check("attach of missing frames", raw(e, LabelAttach, 4, 0, 0, short.CSpace), BadRequest)
		check("attach without a buffer", raw(e, LabelAttach, 2, 0, 0), BadRequest)
		check("attach of too many pages", raw(e, LabelAttach, MaxBufferPages+1, 0, 0, short.CSpace), BadRequest)
		// A buffer shared read-only.
		ro, _ := e.NewRegion(slots, ut, cs, as, abi.FrameWindow+0x200000, 0, 2)
		for i := range abi.CPtr(2) {
			e.Delete(ro.CSpace, 1+i)
			e.Copy(ro.CSpace, 1+i, cs, ro.Frames+i, abi.RightRead)
		}
		check("attach read-only", raw(e, LabelAttach, 2, 0, 0, ro.CSpace), NotWritable)
		r, _ := e.NewRegion(slots, ut, cs, as, abi.FrameWindow, 0, bufferPages)
		c, err := Attach(e, slotGrant0, r, cs, slotScratch)
		if err != nil {
			errs = append(errs, err)
			return
		}
		before := mem.Image()
		marker := bytes.Repeat([]byte{0xa5}, bufferPages*block.Size)
		e.Store(r.OutputVA(), marker)
		for _, label := range []uint64{LabelRead, LabelWrite, LabelWriteFUA} {
			name := map[uint64]string{LabelRead: "read", LabelWrite: "write", LabelWriteFUA: "fua"}[label]
			check(name+" of 0 blocks", raw(e, label, 0, 0, 0), BadLength)
			check(name+" past the buffer", raw(e, label, 0, bufferPages+1, 0), BadLength)
			check(name+" at the buffer's end", raw(e, label, 0, 1, bufferPages), BadLength)
			check(name+" across the buffer's end", raw(e, label, 0, 2, bufferPages-1), BadLength)
			check(name+" with a huge offset", raw(e, label, 0, 2, ^uint64(0)), BadLength)
			check(name+" at the device's end", raw(e, label, blocks, 1, 0), OutOfRange)
			check(name+" across the device's end", raw(e, label, blocks-1, 2, 0), OutOfRange)
			check(name+" wrapping around", raw(e, label, ^uint64(0), 2, 0), OutOfRange)
			check(name+" with a capability", raw(e, label, 0, 1, 0, short.CSpace), BadRequest)
		}
		check("unknown label", raw(e, 0xb10c_0099, 0, 1, 0), BadRequest)
		got := make([]byte, len(marker))
		e.Load(r.OutputVA(), got)
		if !bytes.Equal(got, marker) {
			errs = append(errs, errors.New("a refused request changed the shared buffer"))
		}
		if !bytes.Equal(mem.Image(), before) {
			errs = append(errs, errors.New("a refused request changed the device"))
		}
		// The client type's errors keep the kinds.
		b := make([]byte, 2*block.Size)
		kind := func(what string, err, want error) {
			var st Status
			if !errors.Is(err, want) || (want != block.ErrBadLength && !errors.As(err, &st)) {
				errs = append(errs, fmt.Errorf("%s: %v, want %v", what, err, want))
			}
			for _, other := range []error{block.ErrOutOfRange, block.ErrIO, block.ErrGone, block.ErrBadLength} {
				if other != want && errors.Is(err, other) {
					errs = append(errs, fmt.Errorf("%s: %v is also %v", what, err, other))
				}
			}
		}
		kind("read across the end", c.ReadBlocks(blocks-1, b), block.ErrOutOfRange)
		kind("write of 100 bytes", c.WriteBlocks(0, b[:100]), block.ErrBadLength)
		kind("read of the bad block", c.ReadBlocks(39, b), block.ErrIO)
		if gone, err := c.Info(); gone || err != nil {
			errs = append(errs, fmt.Errorf("info before the device went: %v %v", gone, err))
		}
		if _, err := e.Poll(slotGrant1); err != abi.ErrWouldBlock {
			errs = append(errs, fmt.Errorf("gone notification before the device went: %v", err))
		}
		dev.mu.Lock()
		dev.gone = true
		dev.mu.Unlock()
		kind("write after the device went", c.WriteBlocks(0, b), block.ErrGone)
		if w, err := e.Poll(slotGrant1); err != nil || w != 1 {
			errs = append(errs, fmt.Errorf("gone notification: %d %v", w, err))
		}
		if !c.Gone() {
			errs = append(errs, errors.New("the client does not know the device is gone"))
		}
		check("info after the device went", Status(func() uint64 { raw(e, LabelInfo, 0, 0, 0); return e.MR(2) }()), StateGone)
		check("flush after the device went", raw(e, LabelFlush, 0, 0, 0), Gone)
	}
	intruder := func(e *user.Env) {
		defer func() { intruderDone = true }()
		for _, label := range []uint64{LabelRead, LabelWrite, LabelFlush, LabelInfo, LabelDetach} {
			check(fmt.Sprintf("intruder's %#x", label), raw(e, label, 0, 1, 0), BadBadge)
		}
		if _, err := attach(e, 2); !errors.Is(err, BadBadge) || !errors.Is(err, block.ErrIO) {
			errs = append(errs, fmt.Errorf("intruder's attach: %v", err))
		}
	}
	// Once both clients are done, the server must hold exactly the eight frames of the
	// one buffer attached: nothing from the refused attaches (the capability space
	// sent, frames copied before a refusal) or from the intruder.
	var held []string
	leaks := func(e *user.Env, server uint64) {
		for !done || !intruderDone {
			e.Yield()
			e.Compute(10_000)
		}
		held = serverCaps(e, server)
		checked = true
	}
	boot(t, dev, map[string]struct {
		pc    uint64
		badge abi.Badge
		run   usersim.Program
	}{"client": {pcClient, clientBadge, client}, "intruder": {pcIntruder, intruderBadge, intruder}}, leaks)
	if want := frameList(bufferPages); fmt.Sprint(held) != fmt.Sprint(want) {
		t.Errorf("the server holds %v from slot %d on, want %v", held, slotRecv, want)
	}
	if !done || !intruderDone {
		t.Fatal("a client did not finish")
	}
	for _, err := range errs {
		t.Error(err)
	}
}

// serverCaps lists the server task's capabilities from slotRecv on, as slot:type.
func serverCaps(e *user.Env, server uint64) []string {
	var held []string
	for slot := uint64(slotRecv); ; slot++ {
		s, c, err := e.TaskCap(abi.InitSlotSystem, server, slot)
		if err != nil {
			return held // abi.ErrNotFound: no capability at or after slot
		}
		held = append(held, fmt.Sprintf("%d:%v", s, c.Type))
		slot = s
	}
}

// frameList is serverCaps's listing of a server holding one buffer of n frames.
func frameList(n int) []string {
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("%d:%v", slotFrames+i, abi.ObjFrame))
	}
	return want
}

// TestClientRestart: a client writes and ends without detaching; the kernel takes its
// frames back from the server. A new task with the same badge is refused a transfer
// before it attaches (the server does not touch the dead window), then attaches a buffer of
// another size, which replaces what the server had, and reads what its predecessor
// wrote; the server then holds exactly the new buffer's frames.
func TestClientRestart(t *testing.T) {
	dev := block.NewMem(64)
	data := randBlocks(rand.New(rand.NewPCG(5, 6)), 6)
	var errs []error
	var firstDone, secondDone, checked bool
	var held []string
	first := func(e *user.Env) {
		defer func() { firstDone = true }()
		c, err := attach(e, bufferPages)
		if err == nil {
			err = c.WriteFUA(10, data)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("first client: %w", err))
		}
	}
	second := func(e *user.Env) {
		defer func() {
			secondDone = true
			for !checked {
				e.Yield()
				e.Compute(10_000)
			}
		}()
		for !firstDone {
			e.Yield()
			e.Compute(10_000)
		}
		e.Compute(1_000_000) // the first client's task ends meanwhile
		// A request before attaching: the server still had the dead buffer; it must
		// notice rather than fault on the unmapped window.
		if st := raw(e, LabelRead, 10, 1, 0); st != NotAttached {
			errs = append(errs, fmt.Errorf("read before the restarted client attached: %v", st))
		}
		c, err := attach(e, 3)
		if err != nil {
			errs = append(errs, fmt.Errorf("second client: %w", err))
			return
		}
		got := make([]byte, len(data))
		if err := c.ReadBlocks(10, got); err != nil || !bytes.Equal(got, data) {
			errs = append(errs, fmt.Errorf("second client reads its predecessor's blocks: %v, equal %v", err, bytes.Equal(got, data)))
		}
	}
	boot(t, dev, map[string]struct {
		pc    uint64
		badge abi.Badge
		run   usersim.Program
	}{"client": {pcClient, clientBadge, first}, "restarted": {pcIntruder, clientBadge, second}},
		func(e *user.Env, server uint64) {
			for !secondDone {
				e.Yield()
				e.Compute(10_000)
			}
			held = serverCaps(e, server)
			checked = true
		})
	for _, err := range errs {
		t.Error(err)
	}
	if want := frameList(3); fmt.Sprint(held) != fmt.Sprint(want) {
		t.Errorf("the server holds %v from slot %d on, want %v", held, slotRecv, want)
	}
}

// TestRevokedBuffer: the client revokes its buffer's frames. The server's
// capabilities go but its mapping stays (the frames still live); the next transfer
// gets NotAttached, and attaching a new buffer works (it is mapped in a fresh window):
// after such a request, straight away, and after a Detach.
func TestRevokedBuffer(t *testing.T) {
	dev := block.NewMem(16)
	var errs []error
	finished := false
	client := func(e *user.Env) {
		defer func() { finished = true }()
		slots := &user.Slots{Next: slotFree, Limit: 256}
		for round := range 4 {
			r, err := e.NewRegion(slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace,
				abi.FrameWindow+uint64(round)*0x100000, 0, 2)
			if err != nil {
				errs = append(errs, err)
				return
			}
			c, err := Attach(e, slotGrant0, r, abi.InitSlotCSpace, slotScratch)
			if err == nil {
				err = c.WriteBlocks(uint64(round), make([]byte, block.Size))
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("round %d: %w", round, err))
				return
			}
			for i := range abi.CPtr(2) {
				e.Revoke(abi.InitSlotCSpace, r.Frames+i)
			}
			switch round {
			case 1:
				continue // straight to the next Attach, without a request that finds out
			case 2:
				if err := c.Close(); err != nil { // Detach, without a request that finds out
					errs = append(errs, fmt.Errorf("round %d: detach: %w", round, err))
				}
				continue
			}
			if err := c.ReadBlocks(0, make([]byte, block.Size)); !errors.Is(err, NotAttached) {
				errs = append(errs, fmt.Errorf("round %d: read after revoking: %v", round, err))
			}
		}
	}
	boot(t, dev, map[string]struct {
		pc    uint64
		badge abi.Badge
		run   usersim.Program
	}{"client": {pcClient, clientBadge, client}})
	if !finished {
		t.Fatal("the client did not finish")
	}
	for _, err := range errs {
		t.Error(err)
	}
}
