package netsup

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// SlotsPerNIC is how many capability slots the server keeps for each vNIC, from
// Config.First on: the vNIC's endpoint capability (the root of every copy of it), its
// receive notification, a Read copy of that for the vNIC's holder and the container
// capability it charges I/O to.
const SlotsPerNIC = 4

// Config is what the supervisor task holds, as slots of its capability space. It
// uses only the user library, so the same server runs in the simulation and as a
// ring-3 task on the machine.
type Config struct {
	Endpoint abi.CPtr // its endpoint: Read, Write (to mint vNIC copies) and GrantReply (to return capabilities)
	Reply    abi.CPtr // a Reply object
	CSpace   abi.CPtr // the server's own capability space
	Untyped  abi.CPtr // its budget: the vNICs' notifications come from it
	Recv     abi.CPtr // a free slot that receives a container capability
	First    abi.CPtr // first of MaxNICs*SlotsPerNIC free slots
	Replies  abi.CPtr // first of MaxNICs free slots, for Reply objects that hold parked receivers
	// Now is the machine's time; frames held for a container's I/O rate become
	// receivable at a time of this clock.
	Now func() time.Duration
}

// Server is the NIC supervisor: the switch (Switch) served over kernel IPC. It is
// used by one thread.
type Server struct {
	e      *user.Env
	c      Config
	sw     *Switch
	cur    abi.CPtr            // the Reply object the next Recv binds
	free   []abi.CPtr          // Reply objects made and unbound
	made   int                 // Reply objects made in the Replies slots
	parked map[uint32]abi.CPtr // the Reply object each vNIC's parked receiver waits on
}

// NewServer returns a supervisor with configuration c and no vNICs.
func NewServer(e *user.Env, c Config) *Server {
	return &Server{e: e, c: c, sw: NewSwitch(), cur: c.Reply, parked: map[uint32]abi.CPtr{}}
}

// Switch returns the server's switch (for tests and benchmarks that look at it from
// inside the server's thread).
func (s *Server) Switch() *Switch { return s.sw }

func (s *Server) slot(id uint32, i int) abi.CPtr {
	return s.c.First + abi.CPtr((int(id)-1)*SlotsPerNIC+i)
}

const (
	slotEP = iota
	slotNtfn
	slotNtfnRead
	slotCtr
)

// reply is the answer to one request: words MR0… (the status first), payload bytes,
// and at most one capability.
type reply struct {
	words   []uint64
	payload []byte
	cap     abi.CPtr
	parked  bool // no answer now: the caller waits on its vNIC's Reply object
}

func status(st Status, w ...uint64) reply { return reply{words: append([]uint64{uint64(st)}, w...)} }

// Serve answers requests forever.
func (s *Server) Serve() {
	e, c := s.e, s.c
	e.SetRecvSlot(0, c.Recv)
	badge, info, err := e.Recv(c.Endpoint, s.cur)
	for {
		r := status(BadRequest)
		if err == nil {
			r = s.handle(badge, info)
		}
		if info.ExtraCaps() > 0 {
			e.Delete(c.CSpace, c.Recv) // nothing a caller sent stays unless handle kept it
		}
		if r.parked {
			e.SetRecvSlot(0, c.Recv)
			badge, info, err = e.Recv(c.Endpoint, s.cur)
			continue
		}
		for i, w := range r.words {
			e.SetMR(i, w)
		}
		n := len(r.words)
		if r.payload != nil {
			n = e.SetPayload(r.payload)
		}
		ncaps := 0
		if r.cap != 0 {
			e.SetCap(0, r.cap)
			ncaps = 1
		}
		e.SetRecvSlot(0, c.Recv)
		badge, info, err = e.ReplyRecv(c.Endpoint, s.cur, abi.NewMsgInfo(0, n, ncaps))
	}
}

// handle carries out one request whose words are in the Env's message registers and
// returns the reply. Every argument is checked before anything changes.
func (s *Server) handle(badge abi.Badge, info abi.MsgInfo) reply {
	e := s.e
	if badge == ControlBadge {
		return s.control(info)
	}
	if badge&^(BadgeNIC|0xffff) != 0 || badge&BadgeNIC == 0 {
		return status(BadBadge)
	}
	id := uint32(badge &^ BadgeNIC)
	n, ok := s.sw.NIC(id)
	if !ok {
		return status(Gone)
	}
	if info.ExtraCaps() != 0 {
		return status(BadRequest)
	}
	switch info.Label() {
	case LabelAttach:
		return reply{words: []uint64{uint64(OK), uint64(n.host), MTU}, cap: s.slot(id, slotNtfnRead)}
	case LabelSend:
		size, then := e.MR(0), e.MR(1)
		if size > MaxFrame || then > 1 || uint64(info.Len()) < uint64(abi.NumRegMRs)+(size+7)/8 {
			return status(BadRequest)
		}
		now := s.c.Now()
		if w := s.sw.Wait(id, now); w > 0 {
			return status(Busy, uint64(w))
		}
		frame := e.Payload(int(size))
		delay, err := e.ChargeIO(s.slot(id, slotCtr), uint64(len(frame)), 1)
		if err != nil {
			// The container is gone (destroyed, its capability revoked): so is its vNIC.
			s.remove(id)
			return status(Gone)
		}
		to, why, err := s.sw.Send(id, frame, time.Duration(delay), now)
		if err != nil {
			return status(Gone)
		}
		if to == nil {
			return status(Dropped, uint64(why))
		}
		s.deliver(to, now)
		if then == 1 {
			return s.receive(id, true)
		}
		return status(OK)
	case LabelRecv:
		if e.MR(0) > 1 {
			return status(BadRequest)
		}
		return s.receive(id, e.MR(0) == 1)
	}
	return status(BadRequest)
}

// receive answers a receive on vNIC id: its first due frame; if none is due, how long
// until a held one is; if none is queued and block is set, nothing yet: the caller is
// parked on the vNIC's Reply object until a frame arrives (deliver). Parking swaps
// the Reply object bound to the caller with the vNIC's idle one, so the server's own
// Reply slot is free for the next Recv.
func (s *Server) receive(id uint32, block bool) reply {
	e := s.e
	f, wait, err := s.sw.Receive(id, s.c.Now())
	switch {
	case err != nil:
		return status(Gone)
	case f != nil:
		return reply{words: []uint64{uint64(OK), uint64(len(f))}, payload: f}
	case wait > 0 || !block:
		return status(Empty, uint64(wait))
	}
	if old, ok := s.parked[id]; ok {
		// Another receiver of the vNIC is parked (or was, and ended): the newest
		// waits; the earlier one is told to look again.
		e.SetMR(0, uint64(Empty))
		e.SetMR(1, 0)
		e.Reply(old, abi.NewMsgInfo(0, 2, 0))
		delete(s.parked, id)
		s.free = append(s.free, old)
	}
	next, ok := s.takeReply()
	if !ok {
		return status(Empty) // no Reply object to spare: the caller waits on its notification
	}
	s.parked[id], s.cur = s.cur, next
	return reply{parked: true}
}

// takeReply returns an unbound Reply object, making one if none is free.
func (s *Server) takeReply() (abi.CPtr, bool) {
	if n := len(s.free); n > 0 {
		r := s.free[n-1]
		s.free = s.free[:n-1]
		return r, true
	}
	if s.made >= MaxNICs {
		return 0, false
	}
	r := s.c.Replies + abi.CPtr(s.made)
	if s.e.Retype(s.c.Untyped, abi.ObjReply, 0, s.c.CSpace, r, 1) != nil {
		return 0, false
	}
	s.made++
	return r, true
}

// deliver tells vNIC to that a frame is queued for it: a parked receiver gets the
// frame (or, if it is held, the time to wait) at once; otherwise its notification is
// signalled.
func (s *Server) deliver(to *NIC, now time.Duration) {
	e := s.e
	slot, ok := s.parked[to.ID]
	if !ok {
		e.Signal(s.slot(to.ID, slotNtfn))
		return
	}
	r := s.receive(to.ID, false)
	for i, w := range r.words {
		e.SetMR(i, w)
	}
	n := len(r.words)
	if r.payload != nil {
		n = e.SetPayload(r.payload)
	}
	delete(s.parked, to.ID)
	s.free = append(s.free, slot)
	e.Reply(slot, abi.NewMsgInfo(0, n, 0))
}

// control serves the controller's requests.
func (s *Server) control(info abi.MsgInfo) reply {
	e, c := s.e, s.c
	switch info.Label() {
	case LabelAdd:
		size := e.MR(1)
		if info.ExtraCaps() != 1 || size > user.MaxPayload || uint64(info.Len()) < uint64(abi.NumRegMRs)+(size+7)/8 {
			return status(BadRequest)
		}
		if ci, err := e.Inspect(c.CSpace, c.Recv); err != nil || ci.Type != abi.ObjContainer || ci.Rights&abi.RightWrite == 0 {
			return status(BadRequest)
		}
		spec, err := DecodeSpec(e.Payload(int(size)))
		if err != nil {
			return status(Invalid)
		}
		n, err := s.sw.Add(spec.Name, e.MR(0), spec.Allow)
		if err != nil {
			return status(Full)
		}
		if st := s.makeNIC(n.ID); st != OK {
			s.sw.Remove(n.ID)
			return status(st)
		}
		return reply{words: []uint64{uint64(OK), uint64(n.ID), uint64(n.host)}, cap: s.slot(n.ID, slotEP)}
	case LabelRemove:
		if info.ExtraCaps() != 0 || e.MR(0) > MaxNICs {
			return status(BadRequest)
		}
		if _, ok := s.sw.NIC(uint32(e.MR(0))); !ok {
			return status(Gone)
		}
		s.remove(uint32(e.MR(0)))
		return status(OK)
	case LabelStats:
		if info.ExtraCaps() != 0 || e.MR(0) > MaxNICs {
			return status(BadRequest)
		}
		n, ok := s.sw.NIC(uint32(e.MR(0)))
		if !ok {
			return status(Gone)
		}
		return reply{words: []uint64{uint64(OK), uint64(n.host), n.Container, uint64(s.sw.Queued(n.ID))},
			payload: EncodeCounters(n.C)}
	}
	return status(BadRequest)
}

// makeNIC makes vNIC id's objects in its slots: it keeps the container capability
// that arrived, makes the receive notification and a Read copy of it, and mints the
// vNIC's endpoint capability (Write only: the container can call, not receive, and
// can send no capabilities). On failure it leaves the slots empty.
func (s *Server) makeNIC(id uint32) Status {
	e, c := s.e, s.c
	for i := range SlotsPerNIC {
		e.Delete(c.CSpace, s.slot(id, i))
	}
	err := e.Move(c.CSpace, s.slot(id, slotCtr), c.CSpace, c.Recv)
	if err == nil {
		err = e.Retype(c.Untyped, abi.ObjNotification, 0, c.CSpace, s.slot(id, slotNtfn), 1)
	}
	if err == nil {
		err = e.Mint(c.CSpace, s.slot(id, slotNtfnRead), c.CSpace, s.slot(id, slotNtfn), abi.RightRead, 0)
	}
	if err == nil {
		err = e.Mint(c.CSpace, s.slot(id, slotEP), c.CSpace, c.Endpoint, abi.RightWrite, BadgeNIC|abi.Badge(id))
	}
	if err != nil {
		s.clear(id)
		return NoMemory
	}
	return OK
}

// remove ends vNIC id: it revokes every copy of its endpoint and notification
// capabilities (so whoever held them, the container's tasks included, now holds
// nothing that reaches the supervisor) and forgets it.
func (s *Server) remove(id uint32) {
	s.clear(id)
	if r, ok := s.parked[id]; ok {
		// Its parked receiver's call fails (ErrCancelled) as the Reply object goes;
		// a fresh one takes its slot.
		delete(s.parked, id)
		e := s.e
		e.Delete(s.c.CSpace, r)
		if e.Retype(s.c.Untyped, abi.ObjReply, 0, s.c.CSpace, r, 1) == nil {
			s.free = append(s.free, r)
		}
	}
	s.sw.Remove(id)
}

func (s *Server) clear(id uint32) {
	e, c := s.e, s.c
	for i := range SlotsPerNIC {
		e.Revoke(c.CSpace, s.slot(id, i))
		e.Delete(c.CSpace, s.slot(id, i))
	}
}

// EncodeCounters returns c as StatsWords little-endian words.
func EncodeCounters(c Counters) []byte {
	w := []uint64{c.TxFrames, c.TxBytes, c.RxFrames, c.RxBytes, c.HeldFrames, c.HeldNanos, c.Refused}
	w = append(w, c.Drops[:]...)
	b := make([]byte, 8*len(w))
	for i, v := range w {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return b
}

// DecodeCounters reads what EncodeCounters wrote; b must be StatsWords words.
func DecodeCounters(b []byte) (Counters, bool) {
	var c Counters
	if len(b) != 8*StatsWords {
		return c, false
	}
	w := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
	c.TxFrames, c.TxBytes, c.RxFrames, c.RxBytes, c.HeldFrames, c.HeldNanos, c.Refused = w(0), w(1), w(2), w(3), w(4), w(5), w(6)
	for i := range c.Drops {
		c.Drops[i] = w(7 + i)
	}
	return c, true
}

// Slots RunTask uses in the supervisor's capability space (a simulated task's has
// 256, a machine process's 4,096).
const (
	TaskSlotEndpoint = abi.InitFirstFree // granted by whoever starts it
	taskSlotReply    = abi.CPtr(16)
	taskSlotRecv     = abi.CPtr(17)
	taskSlotFirst    = abi.CPtr(24)                        // to 24+MaxNICs*SlotsPerNIC = 184
	taskSlotReplies  = taskSlotFirst + MaxNICs*SlotsPerNIC // to 224
)

// RunTask is the supervisor task's body: it serves the endpoint granted at
// TaskSlotEndpoint (Read, Write and GrantReply, unbadged) with its own budget and
// capability space, forever. It returns only if it cannot start.
func RunTask(e *user.Env, now func() time.Duration) error {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, taskSlotReply, 1); err != nil {
		return fmt.Errorf("netsup: reply object: %w", err)
	}
	ci, err := e.Inspect(abi.InitSlotCSpace, TaskSlotEndpoint)
	want := abi.RightRead | abi.RightWrite | abi.RightGrantReply
	if err != nil || ci.Type != abi.ObjEndpoint || ci.Rights&want != want || ci.Badge != 0 {
		return fmt.Errorf("netsup: slot %d must hold an unbadged endpoint with Read, Write and GrantReply", TaskSlotEndpoint)
	}
	NewServer(e, Config{Endpoint: TaskSlotEndpoint, Reply: taskSlotReply, CSpace: abi.InitSlotCSpace,
		Untyped: abi.InitSlotUntyped, Recv: taskSlotRecv, First: taskSlotFirst, Replies: taskSlotReplies, Now: now}).Serve()
	return nil
}

// Start makes the supervisor's endpoint in slot ep of the caller's capability space
// cs (from budget ut), starts program (the supervisor task: RunTask) through the
// System object sys with memory bytes of budget, and mints the controller's
// capability (badge ControlBadge) in slot ctl, with recv as a scratch slot. It
// returns the task's id and the controller's client.
func Start(e *user.Env, sys, ut, cs, ep, recv, ctl abi.CPtr, program string, memory uint64) (uint64, *Control, error) {
	for _, s := range []abi.CPtr{ep, recv, ctl} {
		e.Delete(cs, s)
	}
	steps := []func() error{
		func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, ep, 1) },
		func() error {
			return e.Copy(cs, recv, cs, ep, abi.RightRead|abi.RightWrite|abi.RightGrantReply)
		},
		func() error { return e.Mint(cs, ctl, cs, ep, abi.RightWrite|abi.RightGrant, ControlBadge) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return 0, nil, fmt.Errorf("preparing the NIC supervisor: %w", err)
		}
	}
	id, err := e.StartProgram(sys, []string{program}, memory, 0, 0, recv)
	e.Delete(cs, recv)
	if err != nil {
		return 0, nil, fmt.Errorf("starting the NIC supervisor: %w", err)
	}
	return id, &Control{E: e, EP: ctl, CSpace: cs}, nil
}
