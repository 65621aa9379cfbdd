// Package service is the deep-compression service: a task that decodes blobs in the
// compression format (package compress) for other tasks, over kernel IPC, written
// against the user library so it runs in the simulation and on the machine.
//
// Data never travels in messages. A client shares a region by capability: a capability
// space holding read-only capabilities to the frames that carry the compressed input
// and writable capabilities to the frames that receive the plain data. The service
// maps them into its own address space — the kernel refuses a writable mapping of a
// frame the client shared read-only — decodes from the one into the other, unmaps
// them and deletes every capability it was given before it answers. On the machine the
// frames are the same memory in both tasks (zero copy); the simulation, whose tasks
// see memory only through loads and stores, copies through them.
package service

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// LabelDecode is the request label: MR0 input bytes, MR1 input pages, MR2 output
// pages; cap0 the region's capability space (input frames at slots 1…in, output
// frames after them). The reply's MR0 is a Status, MR1 the plain size.
const LabelDecode = 0xdec0

// Status is a request's outcome.
type Status uint64

// Statuses.
const (
	OK          Status = iota
	BadRequest         // malformed request or region
	NotWritable        // the output frames were not shared writable
	TooSmall           // the output region is smaller than the plain data
	Corrupt            // the input is not a valid blob (any compress error)
	NoMemory           // the service could not map the region
)

var statusText = [...]string{"ok", "malformed request or region", "output region not shared writable",
	"output region smaller than the plain data", "input is not a valid compressed blob", "service out of memory"}

func (s Status) Error() string {
	if int(s) < len(statusText) {
		return "compression service: " + statusText[s]
	}
	return fmt.Sprintf("compression service: status %d", s)
}

// Config is what the service task holds, as slots of its capability space.
type Config struct {
	Endpoint abi.CPtr // where requests arrive (Read)
	Reply    abi.CPtr // a Reply object
	CSpace   abi.CPtr // the service's own capability space
	AS       abi.CPtr // its address space
	Recv     abi.CPtr // a free slot that receives the region's capability space
	Frames   abi.CPtr // first of user.MaxRegionPages free slots for the region's frames
	Window   uint64   // where the region is mapped in the service's address space
	Limits   compress.Limits
}

// Serve answers requests forever.
func Serve(e *user.Env, c Config) {
	e.SetRecvSlot(0, c.Recv)
	_, info, err := e.Recv(c.Endpoint, c.Reply)
	for {
		st, n := BadRequest, uint64(0)
		if err == nil && info.Label() == LabelDecode && info.ExtraCaps() == 1 {
			st, n = decode(e, c, e.MR(0), e.MR(1), e.MR(2))
		}
		e.Delete(c.CSpace, c.Recv) // nothing of the client's stays behind
		e.SetMR(0, uint64(st))
		e.SetMR(1, n)
		e.SetRecvSlot(0, c.Recv)
		_, info, err = e.ReplyRecv(c.Endpoint, c.Reply, abi.NewMsgInfo(0, 2, 0))
	}
}

func decode(e *user.Env, c Config, inBytes, inPages, outPages uint64) (Status, uint64) {
	if inPages == 0 || inPages+outPages > user.MaxRegionPages || inBytes > inPages*abi.PageSize {
		return BadRequest, 0
	}
	m, err := e.MapRegion(c.Recv, c.CSpace, c.AS, c.Frames, c.Window, inPages, outPages)
	switch {
	case errors.Is(err, user.ErrRegionNotWritable):
		return NotWritable, 0
	case err != nil:
		return BadRequest, 0
	}
	defer m.Release()
	in := make([]byte, inBytes)
	e.Load(m.InputVA(), in)
	h, err := compress.ParseHeader(in)
	if err != nil {
		return Corrupt, 0
	}
	if h.PlainSize > outPages*abi.PageSize {
		return TooSmall, h.PlainSize
	}
	out := make([]byte, h.PlainSize)
	if _, err := compress.DecodeInto(out, in, c.Limits); err != nil {
		return Corrupt, 0
	}
	e.Store(m.OutputVA(), out)
	return OK, h.PlainSize
}

// Decode asks the service at ep (a capability with Write and Grant) to decode blob
// through the client's region r and returns the plain data.
func Decode(e *user.Env, ep abi.CPtr, r *user.Region, blob []byte) ([]byte, error) {
	if uint64(len(blob)) > r.InPages*abi.PageSize {
		return nil, fmt.Errorf("blob of %d bytes does not fit the region's %d input pages", len(blob), r.InPages)
	}
	e.Store(r.InputVA(), blob)
	e.SetMR(0, uint64(len(blob)))
	e.SetMR(1, r.InPages)
	e.SetMR(2, r.OutPages)
	e.SetCap(0, r.CSpace)
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelDecode, 3, 1)); err != nil {
		return nil, err
	}
	if st := Status(e.MR(0)); st != OK {
		return nil, st
	}
	out := make([]byte, e.MR(1))
	e.Load(r.OutputVA(), out)
	return out, nil
}
