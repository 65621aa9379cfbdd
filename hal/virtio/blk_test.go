package virtio

import (
	"encoding/binary"
	"testing"
)

// irqMachine is a virtio block device behind an interrupt line, with the machine's
// interrupt semantics: a line that is asserted while unmasked is recorded at once
// (the trap code's irqPending) but reaches the kernel only later (when the kernel loop
// next looks); the kernel then masks the line, marks it fired and signals the
// driver's notification; Ack unmasks it. The device completes a request either when
// it is submitted (quick) or only once the driver blocks waiting for it (slow).
type irqMachine struct {
	t       *testing.T
	mem     map[uint64]byte
	quick   []bool // per request: completes at submission
	reqs    int
	pending bool // the device has a request it has not completed
	isr     bool // the device's ISR status: the line is asserted while set
	masked  bool // the kernel's mask (IRQHandler fired, awaiting Ack)
	latched bool // recorded by trap code, not yet delivered to the kernel
	signal  bool // the notification's pending signal
	used    uint16
}

const (
	mISR    = 0x1000
	mNotify = 0x2000
	mDesc   = 0x3000
	mUsed   = 0x4000
	mReq    = 0x5000
)

func (m *irqMachine) ConfigRead(off, width uint64) (uint64, error) { return 0, nil }
func (m *irqMachine) ConfigWrite(off, width, v uint64) error       { return nil }
func (m *irqMachine) MapBAR(bar, page uint64) (uint64, error)      { return 0, nil }
func (m *irqMachine) DMAPage() (uint64, uint64, error)             { return 0, 0, nil }

func (m *irqMachine) Load(va uint64, b []byte) {
	for i := range b {
		b[i] = m.mem[va+uint64(i)]
	}
}

func (m *irqMachine) Store(va uint64, b []byte) {
	for i := range b {
		m.mem[va+uint64(i)] = b[i]
	}
	if va == mNotify {
		m.submitted()
	}
}

func (m *irqMachine) Load8(va uint64) uint8 {
	if va == mISR { // reading the ISR status clears it and deasserts the line
		v := uint8(0)
		if m.isr {
			v = 1
		}
		m.isr = false
		return v
	}
	var b [1]byte
	m.Load(va, b[:])
	return b[0]
}
func (m *irqMachine) Load16(va uint64) uint16 {
	var b [2]byte
	m.Load(va, b[:])
	return binary.LittleEndian.Uint16(b[:])
}
func (m *irqMachine) Load32(va uint64) uint32 {
	var b [4]byte
	m.Load(va, b[:])
	return binary.LittleEndian.Uint32(b[:])
}
func (m *irqMachine) Load64(va uint64) uint64 {
	var b [8]byte
	m.Load(va, b[:])
	return binary.LittleEndian.Uint64(b[:])
}
func (m *irqMachine) Store8(va uint64, v uint8) { m.Store(va, []byte{v}) }
func (m *irqMachine) Store16(va uint64, v uint16) {
	m.Store(va, binary.LittleEndian.AppendUint16(nil, v))
}
func (m *irqMachine) Store32(va uint64, v uint32) {
	m.Store(va, binary.LittleEndian.AppendUint32(nil, v))
}
func (m *irqMachine) Store64(va uint64, v uint64) {
	m.Store(va, binary.LittleEndian.AppendUint64(nil, v))
}

// submitted: the driver notified the queue. An interrupt recorded earlier reaches the
// kernel now (the kernel loop served the driver's system calls in between), then the
// device takes the request.
func (m *irqMachine) submitted() {
	m.deliver()
	m.pending = true
	quick := m.reqs < len(m.quick) && m.quick[m.reqs]
	m.reqs++
	if quick {
		m.complete()
	}
}

func (m *irqMachine) complete() {
	m.pending = false
	m.used++
	m.Store16raw(mUsed+2, m.used)
	m.mem[mReq+16] = 0 // status: OK
	m.isr = true
	if !m.masked {
		m.latched = true // trap code records it; the kernel sees it later
	}
}

func (m *irqMachine) Store16raw(va uint64, v uint16) {
	m.mem[va], m.mem[va+1] = byte(v), byte(v>>8)
}

// deliver hands a recorded interrupt to the kernel: mask, fired, signal.
func (m *irqMachine) deliver() {
	if m.latched {
		m.latched = false
		m.masked = true
		m.signal = true
	}
}

// wait is the driver's Wait on the line's notification.
func (m *irqMachine) wait() {
	m.deliver()
	if !m.signal && m.pending {
		m.complete() // the device finishes while the driver sleeps
		m.deliver()
	}
	if !m.signal {
		m.t.Fatalf("request %d: the driver waits with the line masked (%v) and no signal to come: the machine stalls", m.reqs, m.masked)
	}
	m.signal = false
}

// ack is IRQHandlerAck: unmask the line; if it is still asserted it fires again.
func (m *irqMachine) ack() {
	m.masked = false
	if m.isr {
		m.latched = true
	}
}

// TestBlockInterruptAcknowledgedAfterEveryWait replays the stall found under QEMU: a
// request that completes before the driver waits has its interrupt recorded but
// delivered after the driver's Ack; the next request's first Wait consumes that stale
// signal, and a driver that waited again without acknowledging it slept forever with
// the line masked.
func TestBlockInterruptAcknowledgedAfterEveryWait(t *testing.T) {
	for _, pattern := range [][]bool{
		{true, false},
		{false, false, false},
		{true, true, false, true, false, false},
		{false, true, false, true},
	} {
		m := &irqMachine{t: t, mem: map[uint64]byte{}, quick: pattern}
		d := &Block{b: m, isr: mISR, notify: mNotify, descVA: mDesc, usedVA: mUsed, reqVA: mReq, sectors: 8}
		d.Wait, d.Ack = m.wait, m.ack
		for i := range pattern {
			if err := d.Flush(); err != nil {
				t.Fatalf("pattern %v, request %d: %v", pattern, i, err)
			}
		}
		if m.used != uint16(len(pattern)) {
			t.Fatalf("pattern %v: %d requests completed, want %d", pattern, m.used, len(pattern))
		}
	}
}
