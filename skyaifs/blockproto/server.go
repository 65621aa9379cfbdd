package blockproto

import (
	"errors"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
)

// Config is what the server task holds, as slots of its capability space, and whom it
// serves. It uses only the user library, so the same server runs in the simulation
// and as a ring-3 task on the machine.
type Config struct {
	Endpoint abi.CPtr // where requests arrive (Read)
	Reply    abi.CPtr // a Reply object
	CSpace   abi.CPtr // the server's own capability space
	AS       abi.CPtr // its address space
	Recv     abi.CPtr // a free slot that receives the buffer's capability space
	Frames   abi.CPtr // first of MaxBufferPages free slots for the buffer's frames
	// Window is where the buffer is mapped in the server's address space,
	// WindowSize bytes from it (at least MaxBufferPages pages); the space after the
	// first window replaces one that a dead buffer left mapped (see Server.drop).
	Window, WindowSize uint64
	Client             abi.Badge // the badge of the one client's endpoint capability
	Gone               abi.CPtr  // a notification (Write) signalled once when the device goes away; 0: none
	// Charge is a Container capability (Write) for the client's container: every
	// transfer and flush is charged to its I/O rate limits (ContainerChargeIO) and
	// held for the delay the kernel returns before it is served. 0: the client is
	// charged to no container (it runs outside every container). Whoever starts the
	// server for a client in a container must give it; see "I/O rate limits".
	Charge abi.CPtr
	// Hold waits ns nanoseconds of machine time without using the CPU: how the
	// server holds an over-limit request (time.Sleep on the machine, a timer
	// interrupt in the simulation). Required with Charge.
	Hold func(ns uint64)
}

// Server serves one block device to one client. It is used by one thread.
type Server struct {
	e         *user.Env
	dev       block.Device
	c         Config
	m         *user.Mapped // the attached buffer; nil before Attach and after Detach
	window    uint64       // where the next buffer is mapped
	spare     uint64       // the next unused window; spare…end is free
	end       uint64
	retired   bool   // no window left: every later Attach fails
	bufBlocks uint64 // its size in blocks (0: none attached)
	gone      bool   // the device reported ErrGone; nothing reaches it any more
	scratch   []byte // staging between the device and the buffer, bufBlocks*block.Size
	charged   uint64 // bytes charged to the client's container
	held      uint64 // nanoseconds requests were held for
}

// NewServer returns a server for dev with configuration c. A Charge without a Hold
// is a configuration error: it panics rather than serve requests it cannot hold.
func NewServer(e *user.Env, dev block.Device, c Config) *Server {
	if c.Charge != 0 && c.Hold == nil {
		panic("blockproto: Config.Charge needs Config.Hold")
	}
	return &Server{e: e, dev: dev, c: c, window: c.Window,
		spare: c.Window + MaxBufferPages*block.Size, end: c.Window + c.WindowSize}
}

// Serve answers requests forever.
func (s *Server) Serve() {
	e, c := s.e, s.c
	e.SetRecvSlot(0, c.Recv)
	badge, info, err := e.Recv(c.Endpoint, c.Reply)
	for {
		st, r1, r2 := BadRequest, uint64(0), uint64(0)
		if err == nil {
			st, r1, r2 = s.handle(badge, info)
		}
		if info.ExtraCaps() > 0 {
			e.Delete(c.CSpace, c.Recv) // nothing of the client's stays behind but mapped frames
		}
		e.SetMR(0, uint64(st))
		e.SetMR(1, r1)
		e.SetMR(2, r2)
		e.SetRecvSlot(0, c.Recv)
		badge, info, err = e.ReplyRecv(c.Endpoint, c.Reply, abi.NewMsgInfo(0, 3, 0))
	}
}

// handle decodes and carries out one request whose words are in the Env's message
// registers.
func (s *Server) handle(badge abi.Badge, info abi.MsgInfo) (Status, uint64, uint64) {
	e := s.e
	mr := [3]uint64{e.MR(0), e.MR(1), e.MR(2)}
	r, st := decode(badge, s.c.Client, info.Label(), mr, info.ExtraCaps(), s.dev.Blocks(), s.bufBlocks)
	if st != OK {
		return st, 0, 0
	}
	switch r.label {
	case LabelAttach:
		if s.m != nil {
			s.release() // a restarted client's new buffer replaces its predecessor's
		}
		return s.attach(r.pages), s.dev.Blocks(), s.bufBlocks
	case LabelDetach:
		s.release()
		return OK, 0, 0
	case LabelInfo:
		var state uint64
		if s.gone {
			state |= StateGone
		}
		return OK, s.dev.Blocks(), state
	}
	if s.gone {
		return Gone, 0, 0
	}
	if st := s.charge(r); st != OK {
		return st, 0, 0
	}
	if r.n > 0 && !s.alive(r.off, r.n) {
		// The buffer's frames died with the task that made them (a restarted client
		// that has not attached yet), or the client revoked them: touching the window
		// would fault the server.
		s.drop()
		return NotAttached, 0, 0
	}
	var err error
	buf := s.scratch[:r.n*block.Size]
	va := s.m.OutputVA() + r.off*block.Size
	switch r.label {
	case LabelRead:
		if err = s.dev.ReadBlocks(r.start, buf); err == nil {
			e.Store(va, buf)
		}
	case LabelWrite:
		e.Load(va, buf)
		err = s.dev.WriteBlocks(r.start, buf)
	case LabelWriteFUA:
		e.Load(va, buf)
		err = s.dev.WriteFUA(r.start, buf)
	case LabelFlush:
		err = s.dev.Flush()
	}
	st = statusOf(err)
	if st == Gone && !s.gone {
		s.gone = true
		if s.c.Gone != 0 {
			e.Signal(s.c.Gone)
		}
	}
	return st, 0, 0
}

// charge charges request r (a transfer or a flush) to the client's container, if
// the server has one, and holds it for the delay the kernel imposes: the server
// serves one client, so holding it keeps nobody else waiting. A request that cannot
// be charged — the container's capability is gone or the container destroyed, so
// its client cannot be alive — is refused rather than served free.
func (s *Server) charge(r request) Status {
	if s.c.Charge == 0 {
		return OK
	}
	delay, err := s.e.ChargeIO(s.c.Charge, r.n*block.Size, 1)
	if err != nil {
		return NotCharged
	}
	s.charged += r.n * block.Size
	if delay > 0 {
		s.held += delay
		s.c.Hold(delay)
	}
	return OK
}

// Charged returns the bytes the server has charged to its client's container and
// the nanoseconds it held requests for.
func (s *Server) Charged() (bytes, heldNanos uint64) { return s.charged, s.held }

// alive reports whether the server still holds frames off…off+n-1 of the buffer. A
// frame is destroyed, and the server's capability to it and its mapping with it,
// when the task whose budget it came from ends. The check narrows, but cannot close,
// the window in which that happens during a request (a fault handler would).
func (s *Server) alive(off, n uint64) bool {
	for i := off; i < off+n; i++ {
		if _, err := s.e.Inspect(s.c.CSpace, s.c.Frames+abi.CPtr(i)); err != nil {
			return false
		}
	}
	return true
}

// attach maps the buffer whose capability space arrived in the receive slot.
func (s *Server) attach(pages uint64) Status {
	c := s.c
	if s.retired {
		return NoMemory
	}
	m, err := s.e.MapRegion(c.Recv, c.CSpace, c.AS, c.Frames, s.window, 0, pages)
	switch {
	case errors.Is(err, user.ErrRegionNotWritable):
		return NotWritable
	case errors.Is(err, abi.ErrNoMemory):
		return NoMemory
	case err != nil:
		return BadRequest // a frame missing from the capability space, or not a frame
	}
	s.m, s.bufBlocks = m, pages
	if uint64(len(s.scratch)) < pages*block.Size {
		s.scratch = make([]byte, pages*block.Size)
	}
	return OK
}

// release gives up the attached buffer: unmapped if the server still holds its
// frames, dropped (see drop) if not.
func (s *Server) release() {
	if s.alive(0, s.bufBlocks) {
		s.detach()
	} else {
		s.drop()
	}
}

// drop forgets a buffer whose frames the server no longer holds. If the client
// revoked them rather than ending, they still live and stay mapped in the window: the
// kernel unmaps a frame when its last capability goes, and the server has none left
// to unmap with. So the next buffer goes to an unused window; when there is none, the
// server retires (every later Attach gets NoMemory).
func (s *Server) drop() {
	s.detach()
	const span = MaxBufferPages * block.Size
	if s.spare+span > s.end {
		s.retired = true
		return
	}
	s.window = s.spare
	s.spare += span
}

// detach unmaps the buffer and drops the server's capabilities to its frames.
func (s *Server) detach() {
	s.m.Release()
	s.m, s.bufBlocks = nil, 0
}

// ServeFailed answers every request on endpoint (with a Reply object it makes at slot
// reply) with Gone: what a driver that found no usable device runs instead of Serve,
// so that its client learns the device is gone rather than waiting for a receiver
// that never comes. It never returns.
func ServeFailed(e *user.Env, endpoint, reply abi.CPtr) {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, reply, 1); err != nil {
		return
	}
	e.Recv(endpoint, reply)
	for {
		e.SetMR(0, uint64(Gone))
		e.SetMR(1, 0)
		e.SetMR(2, 0)
		e.ReplyRecv(endpoint, reply, abi.NewMsgInfo(0, 3, 0))
	}
}
