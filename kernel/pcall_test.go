package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// caller is a personality that serves its foreign calls by calling a server:
// call 500 attaches a CallBuffer (label 7, granting it), then, from CallDone, asks
// label 8 with word 5 and returns what the server put in the buffer and its answer;
// call 501 asks label 9, which the server never answers (it deletes its Reply
// object), and returns 1000 + the kernel's error.
type caller struct {
	ep    abi.CPtr
	buf   *kernel.CallBuffer
	saved abi.Regs
	stage int
	text  string
	log   []string
}

func (c *caller) Syscall(k *kernel.Kernel, t *kernel.TCB) {
	r := t.Regs()
	c.saved = *r
	var e abi.Errno
	switch r.Num {
	case 500:
		c.stage = 1
		e = k.PersonalityCall(t, c.ep, 7, [abi.NumRegMRs]uint64{uint64(c.buf.Pages())}, c.buf)
	case 501:
		c.stage = 3
		e = k.PersonalityCall(t, c.ep, 9, [abi.NumRegMRs]uint64{}, nil)
	case 502: // a capability that is not an endpoint: refused at once
		e = k.PersonalityCall(t, abi.InitSlotUntyped, 9, [abi.NumRegMRs]uint64{}, nil)
		r.Num = uint64(e)
		return
	default:
		r.Num = 99
		return
	}
	if e != abi.OK {
		r.Num = 2000 + uint64(e)
	}
}

func (c *caller) CallDone(k *kernel.Kernel, t *kernel.TCB) {
	r := t.Regs()
	c.log = append(c.log, fmt.Sprintf("stage %d: %v", c.stage, abi.Errno(r.Num)))
	res := uint64(0)
	switch {
	case c.stage == 1 && r.Num == uint64(abi.OK):
		b := make([]byte, 5)
		c.buf.Read(abi.PageSize+3, b)
		c.text = string(b)
		c.stage = 2
		if e := k.PersonalityCall(t, c.ep, 8, [abi.NumRegMRs]uint64{5}, nil); e == abi.OK {
			return // CallDone runs again with the second reply
		}
		res = 3000
	case c.stage == 2 && r.Num == uint64(abi.OK):
		res = r.MR[0]
	default:
		res = 1000 + r.Num
	}
	*r = c.saved
	r.Num = res
}

func (c *caller) PageFault(*kernel.Kernel, *kernel.TCB, uint64, uint8) bool { return false }
func (c *caller) Timeout(k *kernel.Kernel, t *kernel.TCB)                   {}

// TestPersonalityCall: a personality turns a foreign call into kernel IPC Calls (two in
// a row, the first granting a CallBuffer the server maps and writes), and the thread
// gets the result CallDone makes with its other registers as they were; a server that
// drops the call (its Reply object deleted) ends it with ErrCancelled rather than a
// hung thread; a capability that is not an endpoint is refused at once.
func TestPersonalityCall(t *testing.T) {
	c := &caller{}
	var got []uint64
	var kept uint64
	var ep, reply abi.CPtr
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		ep = retype(e, slots, abi.ObjEndpoint, 0)
		reply = retype(e, slots, abi.ObjReply, 0)
		if _, err := spawn(e, slots, personaPC+1, 120); err != nil { // the server
			t.Errorf("spawn: %v", err)
		}
		if _, err := spawn(e, slots, personaPC+2, 110); err != nil { // the caller
			t.Errorf("spawn: %v", err)
		}
	}, nil)
	const recv, frames, window = 3000, 3100, 0x4000_0000
	w.addRaw(personaPC+1, func(p *sim.Port, e *user.Env) {
		e.SetRecvSlot(0, recv)
		_, info, err := e.Recv(ep, reply)
		if err != nil || info.Label() != 7 || info.ExtraCaps() != 1 {
			t.Errorf("first request: %v, %v", info, err)
			return
		}
		m, err := e.MapRegion(recv, abi.InitSlotCSpace, abi.InitSlotAddressSpace, frames, window, 0, e.MR(0))
		if err != nil {
			t.Errorf("map: %v", err)
			return
		}
		e.Store(m.OutputVA()+abi.PageSize+3, []byte("hello"))
		_, info, err = e.ReplyRecv(ep, reply, abi.NewMsgInfo(0, 1, 0))
		if err != nil || info.Label() != 8 {
			t.Errorf("second request: %v, %v", info, err)
			return
		}
		e.SetMR(0, e.MR(0)*10)
		_, info, err = e.ReplyRecv(ep, reply, abi.NewMsgInfo(0, 1, 0))
		if err != nil || info.Label() != 9 {
			t.Errorf("third request: %v, %v", info, err)
			return
		}
		e.Delete(abi.InitSlotCSpace, reply) // the caller must not hang
	})
	w.addRaw(personaPC+2, func(p *sim.Port, e *user.Env) {
		r := p.Regs()
		call := func(n uint64) uint64 {
			r.Num, r.Cap, r.MR[3] = n, 0xdead, 0xbeef
			p.Syscall()
			return r.Num
		}
		got = append(got, call(500))
		kept = r.Cap ^ r.MR[3]
		got = append(got, call(501), call(502), call(12))
	})
	for i := 0; i < 10_000 && len(w.Threads()) < 3; i++ {
		w.runFor(100)
	}
	if len(w.Threads()) < 3 {
		t.Fatal("init made no threads")
	}
	buf, e := w.NewCallBuffer(w.RootUntyped(), 2)
	if e != abi.OK {
		t.Fatal(e)
	}
	c.ep, c.buf = ep, buf
	w.Threads()[2].Personality = c
	w.finish()
	want := []uint64{50, 1000 + uint64(abi.ErrCancelled), uint64(abi.ErrWrongType), 99}
	if fmt.Sprint(got) != fmt.Sprint(want) || c.text != "hello" {
		t.Fatalf("results %v (buffer %q), want %v (\"hello\"); log %v", got, c.text, want, c.log)
	}
	if kept != 0xdead^0xbeef {
		t.Fatalf("registers not restored: %#x", kept)
	}
	used := w.RootUntyped().Used()
	buf.Free()
	if w.RootUntyped().Used() >= used {
		t.Fatalf("freeing the buffer returned nothing to its budget (%d bytes used)", used)
	}
	w.check()
}
