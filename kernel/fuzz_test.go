package kernel_test

// FuzzSyscall drives the kernel through its only entry point, the raw system call
// registers, with sequences of arbitrary calls made by init in a populated system.
//
// # Input encoding
//
// The input is a byte string read front to back; reading past its end yields zero
// bytes, so every input decodes. A header byte chooses the environment, then come up
// to fzMaxCalls calls until the input is used up. Small values are cheap and common:
// most bytes decode to small slot indices, method labels, object types and message
// lengths, so that random inputs mostly reach the methods instead of failing lookup.
//
//	header  bits 0–1 server priority (150, 100, 50, 150); bit 2 init's faults go to the
//	        endpoint (the server answers them); bit 3 no pinger thread; bit 4 interrupt
//	        line fzIRQLine fires every fzIRQEvery ns, fzIRQCount times
//	call    these fields, in this order:
//	  num   byte b < 0xF0: abi.SysBase + b%NumSyscalls; else a word (any number)
//	  Cap   cptr
//	  Cap2  cptr
//	  Info  byte t: t < 0xE0: label t%32, then a length byte; 0xE0–0xEF: label is a
//	        word, then a length byte; ≥ 0xF0: the whole MsgInfo is a word.
//	        length byte l: length l&7 (bit 6: 8·(l&7+1), bit 7: 65+l&7, too long),
//	        extra caps (l>>3)&3, bit 5 sets a reserved bit (malformed)
//	  mask  byte m: bits 0–3 MR0..MR3 present (words; absent = 0); bits 4–5 the number
//	        of IPC-buffer capability pointers present (cptrs); bit 6 three receive
//	        slots present (cptrs); bit 7 a count byte n (n&63, at most 60) and n words
//	        for message words 4.. in the IPC buffer
//	word    byte t: t < 0x80: t; 0x80–0xBF: fzDict[(t-0x80) % len]; ≥ 0xC0: raw
//	cptr    byte t: t < 0xE0: t%32; ≥ 0xE0: raw
//	raw     (tag t) the next (t&7)+1 bytes little-endian, complemented if t&8
//
// The capability pointers and receive slots are written to init's IPC buffer before
// every call (absent ones as zero); the optional message words only when present.
//
// # Harness
//
// Each input boots a fresh simulated machine whose init (a raw sim program, not a
// user.Env program, so that it can put anything in the registers) makes an endpoint, a
// notification, Reply objects, a child memory budget, a frame, a CSpace, a thread, an
// address space and badged and rights-reduced endpoint and notification capabilities;
// spawns a server that answers calls (and faults) on the endpoint, and a low-priority
// pinger that signals the notification and sends on the endpoint whenever init blocks,
// so that blocking calls have partners. Then init makes the decoded calls. Blocked
// threads are fine: the machine runs to idle or a virtual-time deadline.
//
// # Properties
//
//   - Nothing panics: not the kernel, not the simulator, not the user programs.
//   - Kernel.CheckInvariants holds after every call (init checks it from its own
//     goroutine, which is safe because the kernel loop is parked in CPU.Enter until init
//     traps again) and after the run.
//   - A call that fails (any error except ErrCancelled, which reports a partner's
//     doing) changes nothing observable: the inspected contents of every slot of init's
//     CSpace and of the second CSpace, the state of every thread named there, the used
//     bytes of the root and child memory budgets. The comparison is made only when no
//     other thread ran between the two snapshots (Stats.ContextSwitches unchanged), as
//     another thread may legitimately change the same state meanwhile.
//
// Each run ends with sim.Machine.Shutdown, which discards every user goroutine still
// parked in the simulator, so that fuzzing does not leak thousands of goroutines.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Program addresses on the fuzzing machine.
const (
	fzInitPC   = 0x40_0000
	fzServerPC = 0x60_0000
	fzPingerPC = 0x61_0000

	fzServerIPC = 0x1001_0000
	fzPingerIPC = 0x1002_0000
)

// Init's capability space on the fuzzing machine: 2^fzRadix slots, all of which the
// failure snapshot inspects. Slots 1–7 are the boot capabilities (abi.InitSlot…); slot 8 (System) is emptied.
const (
	fzRadix = 6

	fzEP         abi.CPtr = 8  // endpoint, all rights (the server receives on it)
	fzNtfn       abi.CPtr = 9  // notification, all rights
	fzReply      abi.CPtr = 10 // the server's Reply object
	fzUT         abi.CPtr = 11 // child memory budget of fzUTSize bytes
	fzFrame      abi.CPtr = 12 // a frame, not mapped
	fzCS         abi.CPtr = 13 // a CSpace of radix fzCSRadix
	fzTCB        abi.CPtr = 14 // a thread, never configured
	fzReply2     abi.CPtr = 15 // a Reply object for init's own Recv
	fzServerTCB  abi.CPtr = 16 // (17: the server's IPC buffer frame)
	fzPingerTCB  abi.CPtr = 18 // (19: the pinger's IPC buffer frame)
	fzEPBadged   abi.CPtr = 20 // endpoint, Write|Grant, badge fzEPBadge
	fzNtfnBadged abi.CPtr = 21 // notification, Write, badge fzNtfnBadge
	fzEPNoGrant  abi.CPtr = 22 // endpoint, Read|Write
	fzAS         abi.CPtr = 23 // a second address space
	fzSrvRecv    abi.CPtr = 28 // the server's receive slots 28..30
	fzHidCS      abi.CPtr = 60 // copy of init's CSpace, used by the snapshot
	fzHidUT      abi.CPtr = 61 // copy of fzUT, used by the snapshot
	fzHidCS2     abi.CPtr = 62 // copy of fzCS, used by the snapshot

	fzUTSize    = 64 << 10
	fzCSRadix   = 3
	fzEPBadge   = 0xe1
	fzNtfnBadge = 0x5
)

const (
	fzMaxCalls   = 16
	fzMaxWords   = abi.MaxMsgWords - abi.NumRegMRs
	fzServerRuns = 64 // the server and the pinger stop after this many messages, so
	fzPingerRuns = 16 // that a fault that keeps recurring cannot keep the machine busy
	fzRunFor     = hal.Time(1_000_000_000)
	fzIRQLine    = 3
	fzIRQEvery   = 10_000
	fzIRQCount   = 8
	fzSlots      = 1 << fzRadix
	fzCSSlots    = 1 << fzCSRadix
)

// fzDict holds the words tags 0x80–0xBF stand for: addresses, sizes, times, program
// addresses and limits around which the kernel's checks sit.
var fzDict = [...]uint64{
	0x2000_0000, 0x2000_1000, abi.InitIPCBuffer, uint64(hal.UserTop), uint64(hal.UserTop) - abi.PageSize,
	0x2000_0008, abi.PageSize, 2 * abi.PageSize, fzUTSize, 1 << 20,
	1 << 48, 1<<48 + 1, 10_000, 9_999, 1_000_000,
	10_000_000_000, 10_000_000_001, fzServerPC, fzPingerPC, 255,
	256, 0xb1, 1 << 63, ^uint64(0), abi.MaxLabel,
	uint64(abi.SysBase) - 1, uint64(abi.SysBase) + uint64(abi.NumSyscalls), kernel.MaxConsoleWrite, kernel.MaxConsoleWrite + 1, fzServerIPC,
	1 << 32, 0x7fff_0000_1000,
}

// fzCall is one raw system call and what init writes to its IPC buffer before it.
type fzCall struct {
	Num, Cap, Cap2, Info uint64
	MR                   [abi.NumRegMRs]uint64
	Caps                 [abi.MaxMsgCaps]uint64 // IPC buffer: capability pointers
	Recv                 [abi.MaxMsgCaps]uint64 // IPC buffer: receive slots
	Words                []uint64               // IPC buffer: message words 4..
}

// fzProgram is a decoded input.
type fzProgram struct {
	ServerPrio   uint8
	FaultHandler bool // init's fault endpoint is fzEP
	Pinger       bool
	IRQs         bool // line fzIRQLine fires now and then
	Calls        []fzCall
}

var fzPrios = [4]uint8{150, 100, 50, 150}

// ---- decoding ----

type fzDecoder struct{ b []byte }

func (d *fzDecoder) done() bool { return len(d.b) == 0 }

func (d *fzDecoder) byte() byte {
	if len(d.b) == 0 {
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *fzDecoder) raw(t byte) uint64 {
	var v uint64
	for i := range int(t&7) + 1 {
		v |= uint64(d.byte()) << (8 * i)
	}
	if t&8 != 0 {
		v = ^v
	}
	return v
}

func (d *fzDecoder) word() uint64 {
	switch t := d.byte(); {
	case t < 0x80:
		return uint64(t)
	case t < 0xC0:
		return fzDict[int(t-0x80)%len(fzDict)]
	default:
		return d.raw(t)
	}
}

func (d *fzDecoder) cptr() uint64 {
	t := d.byte()
	if t < 0xE0 {
		return uint64(t % 32)
	}
	return d.raw(t)
}

func (d *fzDecoder) info() uint64 {
	var label uint64
	switch t := d.byte(); {
	case t >= 0xF0:
		return d.word()
	case t >= 0xE0:
		label = d.word()
	default:
		label = uint64(t % 32)
	}
	l := d.byte()
	n := int(l & 7)
	switch {
	case l&0x80 != 0:
		n = 65 + int(l&7)
	case l&0x40 != 0:
		n = 8 * (int(l&7) + 1)
	}
	info := uint64(abi.NewMsgInfo(label, n, int(l>>3)&3))
	if l&0x20 != 0 {
		info |= 1 << 9
	}
	return info
}

func fzDecode(data []byte) *fzProgram {
	d := &fzDecoder{b: data}
	h := d.byte()
	p := &fzProgram{ServerPrio: fzPrios[h&3], FaultHandler: h&4 != 0, Pinger: h&8 == 0, IRQs: h&16 != 0}
	for len(p.Calls) < fzMaxCalls && !d.done() {
		var c fzCall
		if b := d.byte(); b < 0xF0 {
			c.Num = uint64(abi.SysBase) + uint64(b)%uint64(abi.NumSyscalls)
		} else {
			c.Num = d.word()
		}
		c.Cap = d.cptr()
		c.Cap2 = d.cptr()
		c.Info = d.info()
		m := d.byte()
		for i := range abi.NumRegMRs {
			if m&(1<<i) != 0 {
				c.MR[i] = d.word()
			}
		}
		for i := range int(m>>4) & 3 {
			c.Caps[i] = d.cptr()
		}
		if m&0x40 != 0 {
			for i := range c.Recv {
				c.Recv[i] = d.cptr()
			}
		}
		if m&0x80 != 0 {
			n := min(int(d.byte()&63), fzMaxWords)
			c.Words = make([]uint64, n)
			for i := range c.Words {
				c.Words[i] = d.word()
			}
		}
		p.Calls = append(p.Calls, c)
	}
	return p
}

// ---- encoding (for seeds: the inverse of fzDecode) ----

type fzEncoder struct{ b []byte }

func (e *fzEncoder) raw(base byte, v uint64) {
	neg := false
	if bytesOf(^v) < bytesOf(v) {
		v, neg = ^v, true
	}
	n := bytesOf(v)
	t := base | byte(n-1)
	if neg {
		t |= 8
	}
	e.b = append(e.b, t)
	for i := range n {
		e.b = append(e.b, byte(v>>(8*i)))
	}
}

func bytesOf(v uint64) int {
	n := 1
	for v >>= 8; v != 0; v >>= 8 {
		n++
	}
	return n
}

func (e *fzEncoder) word(v uint64) {
	if v < 0x80 {
		e.b = append(e.b, byte(v))
		return
	}
	for i, w := range fzDict {
		if w == v {
			e.b = append(e.b, 0x80+byte(i))
			return
		}
	}
	e.raw(0xC0, v)
}

func (e *fzEncoder) cptr(v uint64) {
	if v < 32 {
		e.b = append(e.b, byte(v))
		return
	}
	e.raw(0xE0, v)
}

func (e *fzEncoder) info(v uint64) {
	m := abi.MsgInfo(v)
	label, n, caps, reserved := m.Label(), m.Len(), m.ExtraCaps(), v>>9&7
	var l byte
	ok := reserved <= 1
	switch {
	case n <= 7:
		l = byte(n)
	case n <= 64 && n%8 == 0:
		l = 0x40 | byte(n/8-1)
	case n >= 65 && n <= 72:
		l = 0x80 | byte(n-65)
	default:
		ok = false
	}
	if !ok {
		e.b = append(e.b, 0xF0)
		e.word(v)
		return
	}
	l |= byte(caps) << 3
	if reserved == 1 {
		l |= 0x20
	}
	if label < 32 {
		e.b = append(e.b, byte(label))
	} else {
		e.b = append(e.b, 0xE0)
		e.word(label)
	}
	e.b = append(e.b, l)
}

func (p *fzProgram) encode() []byte {
	e := &fzEncoder{}
	var h byte
	for i, pr := range fzPrios[:3] {
		if pr == p.ServerPrio {
			h = byte(i)
		}
	}
	if p.FaultHandler {
		h |= 4
	}
	if !p.Pinger {
		h |= 8
	}
	if p.IRQs {
		h |= 16
	}
	e.b = append(e.b, h)
	for _, c := range p.Calls {
		if abi.Sys(c.Num).Valid() {
			e.b = append(e.b, byte(c.Num-uint64(abi.SysBase)))
		} else {
			e.b = append(e.b, 0xF0)
			e.word(c.Num)
		}
		e.cptr(c.Cap)
		e.cptr(c.Cap2)
		e.info(c.Info)
		var m byte
		for i, v := range c.MR {
			if v != 0 {
				m |= 1 << i
			}
		}
		ncaps := 0
		for i, v := range c.Caps {
			if v != 0 {
				ncaps = i + 1
			}
		}
		m |= byte(ncaps) << 4
		if c.Recv != [abi.MaxMsgCaps]uint64{} {
			m |= 0x40
		}
		if len(c.Words) > 0 {
			m |= 0x80
		}
		e.b = append(e.b, m)
		for _, v := range c.MR {
			if v != 0 {
				e.word(v)
			}
		}
		for _, v := range c.Caps[:ncaps] {
			e.cptr(v)
		}
		if m&0x40 != 0 {
			for _, v := range c.Recv {
				e.cptr(v)
			}
		}
		if len(c.Words) > 0 {
			e.b = append(e.b, byte(len(c.Words)))
			for _, v := range c.Words {
				e.word(v)
			}
		}
	}
	return e.b
}

// ---- printing ----

func (c fzCall) String() string {
	var b strings.Builder
	m := abi.MsgInfo(c.Info)
	fmt.Fprintf(&b, "%v cap=%d cap2=%d info=%#x", abi.Sys(c.Num), c.Cap, c.Cap2, c.Info)
	if abi.Sys(c.Num) == abi.SysInvoke {
		fmt.Fprintf(&b, " (%v", abi.Method(m.Label()))
	} else {
		fmt.Fprintf(&b, " (label %d", m.Label())
	}
	fmt.Fprintf(&b, " len %d caps %d", m.Len(), m.ExtraCaps())
	if !m.Valid() {
		b.WriteString(" malformed")
	}
	fmt.Fprintf(&b, ") mr=%#x", c.MR)
	if c.Caps != [abi.MaxMsgCaps]uint64{} {
		fmt.Fprintf(&b, " caps=%d", c.Caps)
	}
	if c.Recv != [abi.MaxMsgCaps]uint64{} {
		fmt.Fprintf(&b, " recv=%d", c.Recv)
	}
	if len(c.Words) > 0 {
		fmt.Fprintf(&b, " words=%#x", c.Words)
	}
	return b.String()
}

func (p *fzProgram) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "server priority %d, init fault handler %v, pinger %v, interrupts %v\n",
		p.ServerPrio, p.FaultHandler, p.Pinger, p.IRQs)
	for i, c := range p.Calls {
		fmt.Fprintf(&b, "  %2d: %v\n", i, c)
	}
	return b.String()
}

// ---- the harness ----

// fzHarness is one run of one program. Its fields are touched by the user programs'
// goroutines and by the test goroutine, never at the same time: the simulator hands
// control over through channels.
type fzHarness struct {
	prog     *fzProgram
	k        *kernel.Kernel
	started  bool
	failures []string
	results  []abi.Errno // Regs.Num after each call that returned
	compared int         // failing calls whose snapshots were compared
}

func (h *fzHarness) failf(format string, args ...any) {
	h.failures = append(h.failures, fmt.Sprintf(format, args...))
}

// catch records a panic in a user program (the simulator would only log it).
func (h *fzHarness) catch(who string) {
	if r := recover(); r != nil {
		h.failf("%s panicked: %v\n%s", who, r, debug.Stack())
	}
}

func (h *fzHarness) initMain(p *sim.Port) {
	if h.started {
		return // started again by a fuzzed WriteRegisters: do nothing
	}
	h.started = true
	defer h.catch("init")
	e := user.New(p, p.Arg())
	if err := h.setup(e); err != nil {
		h.failf("setup: %v", err)
		return
	}
	h.runCalls(p, e)
}

func (h *fzHarness) setup(e *user.Env) error {
	const (
		cs   = abi.InitSlotCSpace
		ut   = abi.InitSlotUntyped
		self = abi.InitSlotTCB
		as   = abi.InitSlotAddressSpace
	)
	retype := func(t abi.ObjectType, size uint64, dst abi.CPtr) func() error {
		return func() error { return e.Retype(ut, t, size, cs, dst, 1) }
	}
	spawn := func(pc, va uint64, tcb abi.CPtr, prio uint8) func() error {
		return func() error {
			slots := &user.Slots{Next: tcb, Limit: tcb + 2}
			_, err := e.Spawn(slots, user.Thread{Untyped: ut, CSpace: cs, Self: self, ThreadCS: cs, AS: as,
				PC: pc, IPCVA: va, Priority: prio})
			return err
		}
	}
	steps := []struct {
		what string
		do   func() error
	}{
		// The layout below predates the System capability; the fuzzer does without it
		// (SystemPowerOff would only end its runs early).
		{"drop system", func() error { return e.Delete(cs, abi.InitSlotSystem) }},
		{"endpoint", retype(abi.ObjEndpoint, 0, fzEP)},
		{"notification", retype(abi.ObjNotification, 0, fzNtfn)},
		{"reply", retype(abi.ObjReply, 0, fzReply)},
		{"untyped", retype(abi.ObjUntyped, fzUTSize, fzUT)},
		{"frame", retype(abi.ObjFrame, 0, fzFrame)},
		{"cspace", retype(abi.ObjCSpace, fzCSRadix, fzCS)},
		{"tcb", retype(abi.ObjTCB, 0, fzTCB)},
		{"reply 2", retype(abi.ObjReply, 0, fzReply2)},
		{"address space", retype(abi.ObjAddressSpace, 0, fzAS)},
		{"badged endpoint", func() error { return e.Mint(cs, fzEPBadged, cs, fzEP, abi.RightWrite|abi.RightGrant, fzEPBadge) }},
		{"badged notification", func() error { return e.Mint(cs, fzNtfnBadged, cs, fzNtfn, abi.RightWrite, fzNtfnBadge) }},
		{"endpoint without grant", func() error { return e.Copy(cs, fzEPNoGrant, cs, fzEP, abi.RightRead|abi.RightWrite) }},
		{"hidden cspace", func() error { return e.Copy(cs, fzHidCS, cs, cs, abi.AllRights) }},
		{"hidden untyped", func() error { return e.Copy(cs, fzHidUT, cs, fzUT, abi.AllRights) }},
		{"hidden cspace 2", func() error { return e.Copy(cs, fzHidCS2, cs, fzCS, abi.AllRights) }},
		{"server", spawn(fzServerPC, fzServerIPC, fzServerTCB, h.prog.ServerPrio)},
	}
	if h.prog.Pinger {
		steps = append(steps, struct {
			what string
			do   func() error
		}{"pinger", spawn(fzPingerPC, fzPingerIPC, fzPingerTCB, 10)})
	}
	if h.prog.FaultHandler {
		steps = append(steps, struct {
			what string
			do   func() error
		}{"fault handler", func() error { return e.SetFaultHandler(self, fzEP) }})
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
	}
	return nil
}

func fzErrno(err error) abi.Errno {
	var e abi.Errno
	if err == nil || !errors.As(err, &e) {
		return abi.OK
	}
	return e
}

func (h *fzHarness) switches() uint64 { return h.k.Stats.ContextSwitches }

func (h *fzHarness) runCalls(p *sim.Port, e *user.Env) {
	buf := p.Arg()
	var before fzSnapshot
	have := false
	for i, c := range h.prog.Calls {
		if !have {
			before, have = h.snapshot(e), true
		}
		var caps [2 * 8 * abi.MaxMsgCaps]byte
		for j := range abi.MaxMsgCaps {
			binary.LittleEndian.PutUint64(caps[8*j:], c.Caps[j])
			binary.LittleEndian.PutUint64(caps[8*(abi.MaxMsgCaps+j):], c.Recv[j])
		}
		p.Store(buf+abi.IPCBufCaps, caps[:])
		if len(c.Words) > 0 {
			w := make([]byte, 8*len(c.Words))
			for j, v := range c.Words {
				binary.LittleEndian.PutUint64(w[8*j:], v)
			}
			p.Store(buf+abi.IPCBufMR+8*abi.NumRegMRs, w)
		}
		r := p.Regs()
		*r = abi.Regs{Num: c.Num, Cap: c.Cap, Info: c.Info, Cap2: c.Cap2, MR: c.MR}
		p.Syscall()
		errno := abi.Errno(r.Num)
		h.results = append(h.results, errno)
		if err := h.k.CheckInvariants(); err != nil {
			h.failf("after call %d (%v → %v): kernel invariant broken: %v", i, c, errno, err)
			return
		}
		if errno == abi.OK || errno == abi.ErrCancelled || !before.ok || h.switches() != before.switches {
			have = false
			continue
		}
		after := h.snapshot(e)
		if !after.ok || after.switches != before.switches {
			have = false
			continue
		}
		h.compared++
		if d := before.diff(&after); d != "" {
			h.failf("call %d (%v) failed with %v but changed %s", i, c, errno, d)
			return
		}
		before = after
	}
}

// fzSlot is what CSpace Inspect (and, for a thread, TCB ReadRegisters) says of a slot.
type fzSlot struct {
	err   abi.Errno
	info  user.CapInfo
	tcbOK abi.Errno
	tcb   [3]uint64 // pc, sp, state
}

// fzSnapshot is the state a failing call must leave unchanged.
type fzSnapshot struct {
	switches uint64 // Stats.ContextSwitches when the snapshot began
	ok       bool   // no other thread ran while it was taken
	rootUsed uint64
	utErr    abi.Errno
	ut       [2]uint64 // fzUT's capacity and used bytes
	slots    [fzSlots]fzSlot
	cs2      [fzCSSlots]fzSlot
}

func (h *fzHarness) snapshot(e *user.Env) fzSnapshot {
	s := fzSnapshot{switches: h.switches(), rootUsed: h.k.RootUntyped().Used()}
	inspect := func(cs abi.CPtr, i int) fzSlot {
		info, err := e.Inspect(cs, abi.CPtr(i))
		sl := fzSlot{err: fzErrno(err), info: info}
		if err == nil && info.Type == abi.ObjTCB && cs == fzHidCS {
			pc, sp, st, err := e.ThreadInfo(abi.CPtr(i))
			sl.tcbOK, sl.tcb = fzErrno(err), [3]uint64{pc, sp, st}
		}
		return sl
	}
	for i := 1; i < fzSlots; i++ {
		s.slots[i] = inspect(fzHidCS, i)
	}
	for i := 1; i < fzCSSlots; i++ {
		s.cs2[i] = inspect(fzHidCS2, i)
	}
	c, u, err := e.UntypedInfo(fzHidUT)
	s.utErr = fzErrno(err)
	if err == nil {
		s.ut = [2]uint64{c, u}
	}
	s.ok = h.switches() == s.switches
	return s
}

func (a *fzSnapshot) diff(b *fzSnapshot) string {
	var d []string
	if a.rootUsed != b.rootUsed {
		d = append(d, fmt.Sprintf("root budget used %d → %d", a.rootUsed, b.rootUsed))
	}
	if a.utErr != b.utErr || a.ut != b.ut {
		d = append(d, fmt.Sprintf("child budget %v %d → %v %d", a.utErr, a.ut, b.utErr, b.ut))
	}
	for i := range a.slots {
		if a.slots[i] != b.slots[i] {
			d = append(d, fmt.Sprintf("init slot %d: %+v → %+v", i, a.slots[i], b.slots[i]))
		}
	}
	for i := range a.cs2 {
		if a.cs2[i] != b.cs2[i] {
			d = append(d, fmt.Sprintf("CSpace %d slot %d: %+v → %+v", fzCS, i, a.cs2[i], b.cs2[i]))
		}
	}
	return strings.Join(d, "; ")
}

// server answers calls (and fault messages) on fzEP. An odd label asks for a capability
// in the reply; label bit 1 makes it delete the capabilities it received.
func (h *fzHarness) server(p *sim.Port) {
	defer h.catch("server")
	e := user.New(p, p.Arg())
	for i := range abi.MaxMsgCaps {
		e.SetRecvSlot(i, fzSrvRecv+abi.CPtr(i))
	}
	_, info, err := e.Recv(fzEP, fzReply)
	for range fzServerRuns {
		out := abi.NewMsgInfo(0, 1, 0)
		switch {
		case err == nil:
			mr0 := e.MR(0)
			if info.Label()&2 != 0 {
				for i := range info.ExtraCaps() {
					_ = e.Delete(abi.InitSlotCSpace, fzSrvRecv+abi.CPtr(i))
				}
			}
			e.SetMR(0, mr0+1)
			if info.Label()&1 != 0 {
				e.SetCap(0, fzNtfn)
				out = abi.NewMsgInfo(0, 1, 1)
			}
		case errors.Is(err, abi.ErrCancelled):
			// Suspended, or the Reply object or a partner went away: receive again.
		default:
			return
		}
		_, info, err = e.ReplyRecv(fzEP, fzReply, out)
		if errors.Is(err, abi.ErrNoRights) {
			_, info, err = e.ReplyRecv(fzEP, fzReply, abi.NewMsgInfo(0, 1, 0))
		}
	}
}

// pinger runs only when init blocks (it has the lowest priority): it signals the
// notification and sends on the endpoint, so that init's Wait and Recv have partners.
func (h *fzHarness) pinger(p *sim.Port) {
	defer h.catch("pinger")
	e := user.New(p, p.Arg())
	for i := range uint64(fzPingerRuns) {
		_ = e.Signal(fzNtfnBadged)
		e.SetMR(0, i)
		err := e.Send(fzEP, abi.NewMsgInfo(0x70+i, 1, 0))
		if err != nil && !errors.Is(err, abi.ErrCancelled) {
			return
		}
	}
}

// fzRun boots a machine, runs prog on it and fails t if a property breaks.
func fzRun(t *testing.T, prog *fzProgram) *fzHarness {
	t.Helper()
	h := &fzHarness{prog: prog}
	var console bytes.Buffer
	m := sim.New(sim.Config{
		MemoryFrames: 1024,
		Console:      &console,
		Programs: map[uint64]sim.Entry{
			fzInitPC:   h.initMain,
			fzServerPC: h.server,
			fzPingerPC: h.pinger,
		},
	})
	// Discard every user goroutine still parked in the simulator (blocked threads,
	// threads stopped at the deadline), even when the kernel panicked.
	defer m.Shutdown()
	k, err := kernel.Boot(m, kernel.Config{Quiet: true, InitEntry: fzInitPC, InitCSpaceRadix: fzRadix})
	if err != nil {
		t.Fatal(err)
	}
	h.k = k
	if prog.IRQs {
		for i := range hal.Time(fzIRQCount) {
			m.RaiseIRQ(fzIRQLine, (i+1)*fzIRQEvery)
		}
	}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("kernel panicked: %v\n%s\nprogram:\n%v", r, debug.Stack(), prog)
			}
		}()
		k.Run(k.Now() + fzRunFor)
	}()
	if len(h.failures) > 0 {
		t.Fatalf("%s\nprogram:\n%vresults: %v\nconsole:\n%s", strings.Join(h.failures, "\n"), prog, h.results, &console)
	}
	if err := k.CheckInvariants(); err != nil {
		t.Fatalf("kernel invariant broken after the run: %v\nprogram:\n%vresults: %v", err, prog, h.results)
	}
	return h
}

func FuzzSyscall(f *testing.F) {
	for _, s := range fzSeeds()[:6] {
		f.Add(s.prog.encode())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fzRun(t, fzDecode(data))
	})
}

// ---- seeds ----

func fzSys(n abi.Sys, c, c2 abi.CPtr, info abi.MsgInfo, mr ...uint64) fzCall {
	call := fzCall{Num: uint64(n), Cap: uint64(c), Cap2: uint64(c2), Info: uint64(info)}
	copy(call.MR[:], mr)
	return call
}

func fzInv(c abi.CPtr, m abi.Method, args []uint64, caps ...abi.CPtr) fzCall {
	call := fzSys(abi.SysInvoke, c, 0, abi.NewMsgInfo(uint64(m), len(args), len(caps)), args...)
	for i, cp := range caps {
		call.Caps[i] = uint64(cp)
	}
	return call
}

func (c fzCall) withCaps(caps ...abi.CPtr) fzCall {
	for i, cp := range caps {
		c.Caps[i] = uint64(cp)
	}
	return c
}

func (c fzCall) withRecv(slots ...abi.CPtr) fzCall {
	for i, s := range slots {
		c.Recv[i] = uint64(s)
	}
	return c
}

func (c fzCall) withWords(w ...uint64) fzCall {
	c.Words = w
	return c
}

type fzSeed struct {
	name string
	prog fzProgram
	want []abi.Errno // Regs.Num after each call that returns
}

func fzA(v ...uint64) []uint64 { return v }

const (
	fzCSp  = abi.InitSlotCSpace
	fzSelf = abi.InitSlotTCB
	fzASp  = abi.InitSlotAddressSpace
	fzRoot = abi.InitSlotUntyped
)

func fzSeeds() []fzSeed {
	const (
		ok         = abi.OK
		wouldBlock = abi.ErrWouldBlock
		illegal    = abi.ErrIllegal
		inval      = abi.ErrInvalidArg
		rng        = abi.ErrRange
		full       = abi.ErrSlotFull
		nomem      = abi.ErrNoMemory
		wrong      = abi.ErrWrongType
		badcap     = abi.ErrInvalidCap
		revoked    = abi.ErrRevoked
		badsys     = abi.ErrInvalidSys
	)
	rw := uint64(abi.RightRead | abi.RightWrite)
	all := uint64(abi.AllRights)
	return []fzSeed{
		{"call-recv", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(4, 2, 0), 21, 22),
			fzSys(abi.SysCall, fzEPBadged, 0, abi.NewMsgInfo(4, 6, 0), 1, 2, 3, 4).withWords(5, 6),
			fzSys(abi.SysNBRecv, fzEP, fzReply2, 0),
			fzSys(abi.SysSend, fzEP, 0, abi.NewMsgInfo(0, 1, 0), 7),
			fzSys(abi.SysNBSend, fzEP, 0, abi.NewMsgInfo(0, 0, 0)),
			fzSys(abi.SysRecv, fzEP, fzReply2, 0),
			fzSys(abi.SysReply, 0, fzReply2, abi.NewMsgInfo(0, 1, 0), 9),
		}}, []abi.Errno{ok, ok, wouldBlock, ok, ok, ok, illegal}},
		{"init-serves", fzProgram{ServerPrio: 50, Pinger: true, Calls: []fzCall{
			fzSys(abi.SysRecv, fzEP, fzReply2, 0),
			fzSys(abi.SysReplyRecv, fzEP, fzReply2, abi.NewMsgInfo(0, 1, 0), 1),
			fzSys(abi.SysReply, 0, fzReply2, 0),
			fzSys(abi.SysRecv, fzEP, fzReply, 0),
		}}, []abi.Errno{ok, ok, illegal, illegal}},
		{"retype", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzInv(fzRoot, abi.UntypedRetype, fzA(uint64(abi.ObjEndpoint), 0, 24, 3), fzCSp),
			fzInv(fzUT, abi.UntypedRetype, fzA(uint64(abi.ObjCSpace), 4, 27, 1), fzCSp),
			fzInv(fzUT, abi.UntypedRetype, fzA(uint64(abi.ObjUntyped), 8192, 5, 1), fzCS),
			fzInv(fzRoot, abi.UntypedRetype, fzA(uint64(abi.ObjIRQControl), 0, 32, 1), fzCSp),
			fzInv(fzRoot, abi.UntypedRetype, fzA(uint64(abi.ObjTCB), 0, 8, 1), fzCSp),
			fzInv(fzRoot, abi.UntypedRetype, fzA(uint64(abi.ObjTCB), 0, 32, 0), fzCSp),
			fzInv(fzUT, abi.UntypedRetype, fzA(uint64(abi.ObjFrame), 0, 32, 20), fzCSp),
			fzInv(fzRoot, abi.UntypedRetype, fzA(uint64(abi.ObjCSpace), 17, 32, 1), fzCSp),
			fzInv(fzRoot, abi.UntypedRetype, fzA(uint64(abi.ObjFrame), 0, 62, 3), fzCSp),
			fzInv(fzUT, abi.UntypedInfo, nil),
			fzInv(fzEP, abi.UntypedRetype, fzA(uint64(abi.ObjTCB), 0, 32, 1), fzCSp),
			fzInv(fzRoot, abi.UntypedRetype, fzA(uint64(abi.ObjFrame), 0, 32, 4)),
		}}, []abi.Errno{ok, ok, ok, inval, full, rng, nomem, rng, rng, ok, wrong, inval}},
		{"copy-mint-revoke", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzInv(fzCSp, abi.CSpaceCopy, fzA(24, uint64(fzEP), rw), fzCSp),
			fzInv(fzCSp, abi.CSpaceMint, fzA(25, uint64(fzEP), all, 0xb1), fzCSp),
			fzInv(fzCSp, abi.CSpaceMint, fzA(26, 25, all, 0xb2), fzCSp),
			fzInv(fzCSp, abi.CSpaceMutate, fzA(26, 24, 1, 0), fzCSp),
			fzInv(fzCS, abi.CSpaceMove, fzA(1, 26), fzCSp),
			fzInv(fzCSp, abi.CSpaceCopy, fzA(27, uint64(fzEP), 16), fzCSp),
			fzInv(fzCSp, abi.CSpaceRevoke, fzA(uint64(fzEP))),
			fzInv(fzCSp, abi.CSpaceInspect, fzA(25)),
			fzInv(fzCSp, abi.CSpaceDelete, fzA(uint64(fzEP))),
			fzInv(fzCSp, abi.CSpaceMove, fzA(24, uint64(fzNtfn)), fzCSp),
			fzInv(fzCSp, abi.CSpaceMutate, fzA(25, 24, 2, 0x77), fzCSp),
			fzSys(abi.SysSignal, 25, 0, 0),
			fzSys(abi.SysPoll, 25, 0, 0),
			fzInv(fzCSp, abi.CSpaceDelete, fzA(0)),
			fzInv(fzCSp, abi.CSpaceRevoke, fzA(uint64(fzCSp))),
			fzSys(abi.SysYield, 0, 0, 0),
		}}, []abi.Errno{ok, ok, illegal, ok, ok, inval, ok, badcap, ok, ok, revoked, badcap, badcap, badcap, ok, ok}},
		{"tcb-lifecycle", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_0000, 3), fzAS),
			fzInv(fzTCB, abi.TCBConfigure, fzA(0x2000_0000), fzCSp, fzAS, fzFrame),
			fzInv(fzTCB, abi.TCBSetPriority, fzA(120), fzSelf),
			fzInv(fzTCB, abi.TCBWriteRegisters, fzA(fzServerPC, 0, 0x2000_0000)),
			fzInv(fzTCB, abi.TCBResume, nil),
			fzInv(fzTCB, abi.TCBReadRegisters, nil),
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(0, 1, 0), 41),
			fzInv(fzTCB, abi.TCBSuspend, nil),
			fzInv(fzTCB, abi.TCBWriteRegisters, fzA(fzPingerPC, 0, 0x2000_0000)),
			fzInv(fzTCB, abi.TCBSetTimeSlice, fzA(9_999)),
			fzInv(fzTCB, abi.TCBSetCPUBudget, fzA(20_000, 10_000)),
			fzInv(fzTCB, abi.TCBSetCPUBudget, fzA(10_000, 1_000_000)),
			fzInv(fzTCB, abi.TCBSetMCPriority, fzA(200), fzSelf),
			fzInv(fzTCB, abi.TCBResume, nil),
			fzInv(fzServerTCB, abi.TCBSuspend, nil),
			fzInv(fzServerTCB, abi.TCBResume, nil),
		}}, []abi.Errno{ok, ok, ok, ok, ok, ok, ok, ok, ok, rng, rng, ok, ok, ok, ok, ok}},
		{"frame-map", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_0000, 3), fzASp),
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_0000, 1), fzASp),
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_0008, 1), fzASp),
			fzInv(fzFrame, abi.FrameMap, fzA(uint64(hal.UserTop), 1), fzASp),
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_1000, 0), fzASp),
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_1000, 8), fzASp),
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_1000, 1), fzAS),
			fzInv(fzFrame, abi.FrameUnmap, fzA(0x2000_0000), fzASp),
			fzInv(fzFrame, abi.FrameUnmap, fzA(0x2000_0000), fzASp),
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_0000, 1), fzNtfn),
			fzInv(abi.InitSlotIPCBuffer, abi.FrameMap, fzA(abi.InitIPCBuffer, 3), fzASp),
			fzInv(fzFrame, abi.FrameMap, fzA(0x2000_0000, 3), fzASp),
			fzInv(fzCSp, abi.CSpaceDelete, fzA(uint64(fzFrame))),
			fzInv(fzAS, abi.FrameUnmap, fzA(0x2000_1000), fzAS),
			fzInv(fzCSp, abi.CSpaceDelete, fzA(uint64(fzAS))),
		}}, []abi.Errno{ok, abi.ErrAlreadyMapped, inval, rng, inval, inval, ok, ok, abi.ErrNotMapped, wrong, abi.ErrAlreadyMapped, ok, ok, wrong, ok}},
		{"notification", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzSys(abi.SysPoll, fzNtfn, 0, 0),
			fzSys(abi.SysSignal, fzNtfnBadged, 0, 0),
			fzSys(abi.SysSignal, fzNtfn, 0, 0),
			fzSys(abi.SysPoll, fzNtfn, 0, 0),
			fzSys(abi.SysWait, fzNtfn, 0, 0),
			fzSys(abi.SysRecv, fzNtfn, 0, 0),
			fzSys(abi.SysWait, fzEP, 0, 0),
			fzSys(abi.SysSignal, fzEP, 0, 0),
			fzSys(abi.SysPoll, fzNtfnBadged, 0, 0),
			fzSys(abi.SysNBRecv, fzNtfn, 0, 0),
			fzInv(fzCSp, abi.CSpaceDelete, fzA(uint64(fzNtfnBadged))),
			fzSys(abi.SysWait, fzNtfn, 0, 0),
		}}, []abi.Errno{wouldBlock, ok, ok, ok, ok, ok, wrong, wrong, abi.ErrNoRights, wouldBlock, ok}},
		{"invalid-syscalls", fzProgram{ServerPrio: 150, FaultHandler: true, Pinger: true, Calls: []fzCall{
			fzSys(0, 0, 0, 0),
			fzSys(abi.SysBase+abi.Sys(abi.NumSyscalls), fzEP, 0, 0),
			fzSys(abi.SysBase-1, 0, 0, 0),
			fzSys(^abi.Sys(0), 0, 0, 0),
			fzSys(abi.SysYield, 0, 0, 0),
		}}, []abi.Errno{badsys, badsys, badsys, badsys, ok}},
		{"invalid-syscall-unhandled", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzSys(abi.SysYield, 0, 0, 0),
			fzSys(0x3c, 0, 0, 0),
			fzSys(abi.SysYield, 0, 0, 0),
		}}, []abi.Errno{ok}},
		{"malformed-msginfo", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzSys(abi.SysSend, fzEP, 0, abi.NewMsgInfo(0, 1, 0)|1<<9),
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(0, 65, 0)),
			fzSys(abi.SysInvoke, fzRoot, 0, abi.NewMsgInfo(0, 0, 0)),
			fzSys(abi.SysInvoke, fzRoot, 0, abi.NewMsgInfo(uint64(abi.NumMethods), 0, 0)),
			fzSys(abi.SysInvoke, fzRoot, 0, abi.MsgInfo(^uint64(0))&^(0xfff)),
			fzSys(abi.SysInvoke, fzRoot, 0, abi.NewMsgInfo(uint64(abi.UntypedRetype), 2, 1), uint64(abi.ObjEndpoint), 0, 24, 1).withCaps(fzCSp),
			fzSys(abi.SysInvoke, fzRoot, 0, abi.NewMsgInfo(uint64(abi.UntypedRetype), 4, 0), uint64(abi.ObjEndpoint), 0, 24, 1),
			fzSys(abi.SysReply, 0, fzReply2, abi.NewMsgInfo(0, 64, 3)|1<<11),
			fzSys(abi.SysInvoke, abi.InitSlotConsole, 0, abi.NewMsgInfo(uint64(abi.ConsoleWrite), 1, 0), kernel.MaxConsoleWrite+1),
			fzSys(abi.SysInvoke, abi.InitSlotConsole, 0, abi.NewMsgInfo(uint64(abi.ConsoleWrite), 1, 0), 16).withWords(0x6f6c6c6568, 0x0a),
			fzSys(abi.SysInvoke, fzRoot, 0, abi.NewMsgInfo(uint64(abi.CSpaceCopy), 3, 1), 24, 8, 3).withCaps(fzCSp),
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(0, 16, 0), 1, 2, 3, 4).withWords(5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16),
		}}, []abi.Errno{inval, inval, inval, inval, inval, inval, inval, inval, rng, ok, wrong, ok}},
		{"transfer-grant", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(1, 1, 2), 5).withCaps(fzNtfn, fzFrame).withRecv(24),
			fzInv(fzCSp, abi.CSpaceInspect, fzA(24)),
			fzInv(fzCSp, abi.CSpaceInspect, fzA(uint64(fzSrvRecv+1))),
			fzSys(abi.SysSend, fzEPBadged, 0, abi.NewMsgInfo(2, 0, 3)).withCaps(fzNtfnBadged, fzUT, fzTCB),
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(3, 0, 1)).withCaps(fzEP).withRecv(24, 25),
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(1, 0, 1)).withCaps(fzReply).withRecv(25),
			fzInv(fzCSp, abi.CSpaceRevoke, fzA(uint64(fzNtfn))),
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(1, 0, 1)).withCaps(40).withRecv(25),
			fzSys(abi.SysNBSend, fzEP, 0, abi.NewMsgInfo(0, 0, 1)).withCaps(fzCS),
			fzInv(fzCSp, abi.CSpaceRevoke, fzA(uint64(fzRoot))),
		}}, []abi.Errno{ok, ok, ok, ok, ok, ok, ok, badcap, ok, ok}},
		{"transfer-no-grant", fzProgram{ServerPrio: 150, Pinger: true, Calls: []fzCall{
			fzSys(abi.SysSend, fzEPNoGrant, 0, abi.NewMsgInfo(0, 0, 1)).withCaps(fzNtfn),
			fzSys(abi.SysCall, fzEPNoGrant, 0, abi.NewMsgInfo(0, 1, 1)).withCaps(fzNtfn),
			fzSys(abi.SysCall, fzEPNoGrant, 0, abi.NewMsgInfo(1, 1, 0)).withRecv(24),
			fzSys(abi.SysSend, fzEP, 0, abi.NewMsgInfo(0, 0, 1)).withCaps(0),
			fzSys(abi.SysNBRecv, fzEPNoGrant, fzReply2, 0).withRecv(25),
			fzSys(abi.SysRecv, fzEPNoGrant, fzReply2, 0).withRecv(25),
			fzSys(abi.SysReply, 0, fzReply2, abi.NewMsgInfo(0, 0, 1)).withCaps(fzNtfn),
			fzSys(abi.SysSend, fzEPBadged, 0, abi.NewMsgInfo(0, 0, 1)).withCaps(fzNtfn),
		}}, []abi.Errno{abi.ErrNoRights, abi.ErrNoRights, ok, badcap, wouldBlock, ok, abi.ErrIllegal, ok}},
		{"revoke-everything", fzProgram{ServerPrio: 100, Pinger: true, Calls: []fzCall{
			fzSys(abi.SysCall, fzEP, 0, abi.NewMsgInfo(0, 1, 0), 1),
			fzInv(fzCSp, abi.CSpaceRevoke, fzA(uint64(fzRoot))),
			fzInv(fzRoot, abi.UntypedInfo, nil),
			fzSys(abi.SysCall, fzEP, 0, 0),
			fzInv(fzRoot, abi.UntypedRetype, fzA(uint64(abi.ObjUntyped), 1<<20, 24, 2), fzCSp),
			fzInv(fzCSp, abi.CSpaceDelete, fzA(uint64(fzRoot))),
			fzInv(24, abi.UntypedRetype, fzA(uint64(abi.ObjEndpoint), 0, 26, 1), fzCSp),
			fzInv(fzCSp, abi.CSpaceRevoke, fzA(uint64(fzCSp))),
			fzSys(abi.SysYield, 0, 0, 0),
		}}, []abi.Errno{ok, ok, ok, badcap, ok, ok, ok, ok, ok}},
		{"irq-delivery", fzProgram{ServerPrio: 150, IRQs: true, Calls: []fzCall{
			fzInv(abi.InitSlotIRQControl, abi.IRQControlGet, fzA(fzIRQLine, 24), fzCSp),
			fzInv(24, abi.IRQHandlerSetNotify, nil, fzNtfnBadged),
			fzInv(24, abi.IRQHandlerAck, nil),
			fzSys(abi.SysWait, fzNtfn, 0, 0),
			fzInv(24, abi.IRQHandlerAck, nil),
			fzSys(abi.SysWait, fzNtfn, 0, 0),
			fzInv(24, abi.IRQHandlerClear, nil),
			fzInv(24, abi.IRQHandlerAck, nil),
			fzInv(24, abi.IRQHandlerSetNotify, nil, fzNtfn),
			fzInv(24, abi.IRQHandlerAck, nil),
			fzSys(abi.SysWait, fzNtfn, 0, 0),
			fzInv(fzCSp, abi.CSpaceDelete, fzA(24)),
			fzInv(24, abi.IRQHandlerAck, nil),
			fzSys(abi.SysPoll, fzNtfn, 0, 0),
		}}, []abi.Errno{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, badcap, wouldBlock}},
		{"irq-console", fzProgram{ServerPrio: 150, Pinger: false, Calls: []fzCall{
			fzInv(abi.InitSlotIRQControl, abi.IRQControlGet, fzA(3, 24), fzCSp),
			fzInv(abi.InitSlotIRQControl, abi.IRQControlGet, fzA(3, 25), fzCSp),
			fzInv(abi.InitSlotIRQControl, abi.IRQControlGet, fzA(99, 25), fzCSp),
			fzInv(24, abi.IRQHandlerSetNotify, nil, fzNtfnBadged),
			fzInv(24, abi.IRQHandlerAck, nil),
			fzInv(24, abi.IRQHandlerClear, nil),
			fzInv(24, abi.IRQHandlerSetNotify, nil, fzEP),
			fzInv(fzCSp, abi.CSpaceDelete, fzA(24)),
			fzInv(abi.InitSlotConsole, abi.ConsoleWrite, fzA(8)).withWords(0x0a6b6f20676e6970),
			fzInv(abi.InitSlotConsole, abi.ConsoleWrite, fzA(8)),
		}}, []abi.Errno{ok, illegal, rng, ok, ok, ok, wrong, ok, ok, ok}},
		{"self-destruct", fzProgram{ServerPrio: 50, FaultHandler: true, Pinger: true, Calls: []fzCall{
			fzInv(fzSelf, abi.TCBSetPriority, fzA(255), fzSelf),
			fzInv(fzSelf, abi.TCBWriteRegisters, fzA(0, 0, 0)),
			fzInv(fzSelf, abi.TCBSetTimeSlice, fzA(10_000)),
			fzInv(abi.InitSlotIPCBuffer, abi.FrameUnmap, fzA(abi.InitIPCBuffer), fzASp),
			fzSys(abi.SysYield, 0, 0, 0),
		}}, []abi.Errno{ok, illegal, ok, ok}},
	}
}

// TestFuzzSyscallSeeds checks that the seed programs round-trip through the encoding,
// do what they are meant to (their calls' results), that the seed corpus files decode,
// and that runs leak no goroutines.
func TestFuzzSyscallSeeds(t *testing.T) {
	base := runtime.NumGoroutine()
	for _, s := range fzSeeds() {
		got := fzDecode(s.prog.encode())
		if fmt.Sprint(got) != fmt.Sprint(&s.prog) || fmt.Sprintf("%#v", got.Calls) != fmt.Sprintf("%#v", s.prog.Calls) {
			t.Errorf("seed %s does not round-trip:\n%v\ndecodes as\n%v", s.name, &s.prog, got)
			continue
		}
		h := fzRun(t, got)
		t.Logf("seed %s: results %v, %d failing calls compared", s.name, h.results, h.compared)
		if s.want != nil && fmt.Sprint(h.results) != fmt.Sprint(s.want) {
			t.Errorf("seed %s: results %v, want %v\nprogram:\n%v", s.name, h.results, s.want, got)
		}
	}
	files, err := filepath.Glob("testdata/fuzz/FuzzSyscall/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		data, err := fzReadCorpusFile(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if p := fzDecode(data); len(p.Calls) == 0 {
			t.Errorf("%s decodes to no calls", f)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines left running after the seeds, %d before", n, base)
	}
}

// fzReadCorpusFile reads a "go test fuzz v1" file holding one []byte value.
func fzReadCorpusFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" {
		return nil, errors.New("not a go test fuzz v1 file with one value")
	}
	v, ok := strings.CutPrefix(lines[1], "[]byte(")
	if !ok || !strings.HasSuffix(v, ")") {
		return nil, errors.New("the value is not a []byte")
	}
	s, err := strconv.Unquote(strings.TrimSuffix(v, ")"))
	return []byte(s), err
}
