package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Personality calls: a personality serves a foreign system call by making the thread
// Call a server (the Linux personality forwards file calls to SKYAIFS this way). The
// kernel's own IPC path does the rest — queueing, badges, blocking, a server's death
// ending the call with ErrCancelled — and the personality never waits: when the reply
// (or the failure) is in the thread's registers, CallDone turns it into the foreign
// call's result before the thread returns to user mode, or makes the next Call of a
// longer exchange.
//
// Data moves through a CallBuffer: frames the kernel makes for the personality,
// charged to a budget, held in a capability space the first Call of a session can
// grant to the server, and reached by the personality with Read and Write. Nothing is
// mapped in the calling process.

// PersonalityCaller is implemented by personalities that make calls with
// PersonalityCall.
type PersonalityCaller interface {
	Personality
	// CallDone runs when a PersonalityCall of t has ended, just before t would return
	// to user mode: the reply's words are in t's registers with Num abi.OK, or Num is
	// the kernel's error (ErrCancelled: the server ended or dropped the call). It must
	// set t's registers for user mode or make another PersonalityCall.
	CallDone(k *Kernel, t *TCB)
}

// PersonalityCall makes t Call the endpoint named by capability ep in t's capability
// space (Write needed; Grant too when grant is not nil) with label and the words mr.
// With grant, the message carries a read-only capability to the buffer's capability
// space of frames. It overwrites t's message registers (Info, Cap, MR): the
// personality keeps what it must restore. t is running (in its personality's Syscall)
// or blocked by Block; it is then blocked in the call, and CallDone runs when the call
// ends. A capability error is returned at once and changes nothing.
func (k *Kernel) PersonalityCall(t *TCB, ep abi.CPtr, label uint64, mr [abi.NumRegMRs]uint64, grant *CallBuffer) abi.Errno {
	if _, ok := t.Personality.(PersonalityCaller); !ok {
		return abi.ErrIllegal
	}
	if t.state != Running && t.state != BlockedExternal {
		return abi.ErrIllegal
	}
	s, e := lookupCap(t, uint64(ep), abi.ObjEndpoint, abi.RightWrite)
	if e != abi.OK {
		return e
	}
	g := s.Rights().Has(abi.RightGrant)
	caps := 0
	if grant != nil {
		if !g {
			return abi.ErrNoRights
		}
		if grant.hold.At(1).Empty() {
			return abi.ErrInvalidArg
		}
		caps = 1
		t.pgrant = grant.hold.At(1)
	}
	if t.state == BlockedExternal {
		k.dropSleeper(t)
	}
	r := t.ctx.Regs()
	r.Info = uint64(abi.NewMsgInfo(label, abi.NumRegMRs, caps))
	r.Cap = uint64(ep)
	r.MR = mr
	t.pcall = true
	k.send(t, s.Object().(*Endpoint), s.Badge(), g, true, true)
	return abi.OK
}

// callDone runs t's CallDone if a personality call of t has ended; t is current and
// Running. It reports whether t may still enter user mode (CallDone may have made
// another call).
func (k *Kernel) callDone(t *TCB) bool {
	t.pcall, t.pgrant = false, nil
	if pc, ok := t.Personality.(PersonalityCaller); ok {
		pc.CallDone(k, t)
	}
	return t.state == Running
}

// EndpointBadge reports the badge of the endpoint capability c in t's capability
// space, and whether c names an endpoint t may call.
func (k *Kernel) EndpointBadge(t *TCB, c abi.CPtr) (abi.Badge, bool) {
	s, e := lookupCap(t, uint64(c), abi.ObjEndpoint, abi.RightWrite)
	if e != abi.OK {
		return 0, false
	}
	return s.Badge(), true
}

// CopyCap copies the capability in slot from of src's capability space into the empty
// slot to of dst's, with the same rights (a child of the original, so revoking that
// reaches it): what a personality uses to hand a new process what its parent held.
func (k *Kernel) CopyCap(dst *TCB, to abi.CPtr, src *TCB, from abi.CPtr) abi.Errno {
	ss, ds := src.cspace(), dst.cspace()
	if ss == nil || ds == nil {
		return abi.ErrInvalidCap
	}
	s, e := ss.Lookup(from)
	if e != abi.OK {
		return e
	}
	d, e := ds.Dest(to)
	if e != abi.OK {
		return e
	}
	if !k.mayHold(ds, s.Object()) {
		return abi.ErrNoRights
	}
	return k.tree.Copy(d, s, abi.AllRights)
}

// CallBuffer is memory a personality shares with a server: Pages frames in a
// capability space of frame capabilities (Read and Write, at slots 1…Pages, the
// layout kernel/user's regions have), charged to a budget. The kernel holds the only
// capability to the space; a PersonalityCall grants a read-only copy of it.
type CallBuffer struct {
	k      *Kernel
	hold   *capability.Space // slot 1: the capability to cs
	cs     *CSpace
	frames []*Frame
}

// NewCallBuffer makes a buffer of pages frames (1 to 256) charged to budget.
func (k *Kernel) NewCallBuffer(budget *Untyped, pages int) (*CallBuffer, abi.Errno) {
	if pages < 1 || pages > 256 {
		return nil, abi.ErrRange
	}
	radix := 1
	for 1<<radix <= pages {
		radix++
	}
	csCost := uint64(abi.SizeCSpaceSlot) << radix
	total := csCost + uint64(pages)*abi.SizeFrame
	if budget.free() < total {
		budget.refuse(total)
		return nil, abi.ErrNoMemory
	}
	if k.usableFrames() < pages {
		return nil, abi.ErrNoMemory
	}
	cs := k.newCSpace(radix)
	cs.budget, cs.cost = budget, csCost
	budget.charge(csCost)
	b := &CallBuffer{k: k, hold: capability.NewSpace(2), cs: cs}
	if e := k.tree.Insert(b.hold.At(1), cs, abi.RightRead, 0, nil); e != abi.OK {
		panic("kernel: NewCallBuffer: " + e.Error())
	}
	for i := range pages {
		f := k.newFrame()
		f.budget, f.cost = budget, abi.SizeFrame
		budget.charge(abi.SizeFrame)
		clear(f.Bytes()[:])
		if e := k.tree.Insert(cs.At(1+i), f, abi.RightRead|abi.RightWrite, 0, nil); e != abi.OK {
			panic("kernel: NewCallBuffer: " + e.Error())
		}
		b.frames = append(b.frames, f)
	}
	if k.callBufs == nil {
		k.callBufs = map[*CallBuffer]bool{}
	}
	k.callBufs[b] = true
	return b, abi.OK
}

// Size returns the buffer's size in bytes.
func (b *CallBuffer) Size() uint64 { return uint64(len(b.frames)) * abi.PageSize }

// Pages returns the buffer's size in pages.
func (b *CallBuffer) Pages() int { return len(b.frames) }

// access copies between p and the buffer at off; false if the range is outside it or
// the buffer was freed.
func (b *CallBuffer) access(off uint64, p []byte, write bool) bool {
	if b.hold.At(1).Empty() || off > b.Size() || uint64(len(p)) > b.Size()-off {
		return false
	}
	for len(p) > 0 {
		f := b.frames[off/abi.PageSize].Bytes()
		o := off % abi.PageSize
		var n int
		if write {
			n = copy(f[o:], p)
		} else {
			n = copy(p, f[o:])
		}
		p, off = p[n:], off+uint64(n)
	}
	return true
}

// Read copies len(p) bytes at off out of the buffer; false if they are not all in it.
func (b *CallBuffer) Read(off uint64, p []byte) bool { return b.access(off, p, false) }

// Write copies p into the buffer at off; false if it does not fit.
func (b *CallBuffer) Write(off uint64, p []byte) bool { return b.access(off, p, true) }

// Free destroys the buffer: the server's capabilities to it go, and with them its
// mappings of the frames; the memory goes back to the budget.
func (b *CallBuffer) Free() {
	if b.hold.At(1).Empty() {
		return
	}
	// Revoke first: the server's copies (of the space and of each frame, which it
	// mapped) are children of these capabilities and would otherwise outlive them.
	for i := range b.frames {
		b.k.tree.Revoke(b.cs.At(1 + i))
	}
	b.k.tree.Revoke(b.hold.At(1))
	b.k.tree.Delete(b.hold.At(1))
	b.frames = nil
	delete(b.k.callBufs, b)
}
