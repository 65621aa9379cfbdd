package virtio

import (
	"errors"
	"fmt"
)

// Common configuration registers (virtio v1.2 §4.1.4.3), offsets in the structure.
const (
	comDeviceFeatureSelect = 0x00
	comDeviceFeature       = 0x04
	comDriverFeatureSelect = 0x08
	comDriverFeature       = 0x0C
	comStatus              = 0x14
	comQueueSelect         = 0x16
	comQueueSize           = 0x18
	comQueueEnable         = 0x1C
	comQueueNotifyOff      = 0x1E
	comQueueDesc           = 0x20
	comQueueDriver         = 0x28
	comQueueDevice         = 0x30
)

// Device status bits (§2.1).
const (
	statusAcknowledge = 1
	statusDriver      = 2
	statusDriverOK    = 4
	statusFeaturesOK  = 8
	statusFailed      = 128
)

// featureVersion1 is VIRTIO_F_VERSION_1 (bit 32): the device speaks virtio 1.x.
const featureVersion1 = 1 << 32

// Split virtqueue layout (§2.7): descriptors, the driver ("available") ring and the
// device ("used") ring.
const (
	queueSize  = 8 // descriptors: one request (3 descriptors) in flight at a time needs few
	descNext   = 1
	descWrite  = 2 // the device writes this buffer
	descBytes  = 16
	availStart = queueSize * descBytes // in the descriptor page
)

// Block request types and statuses (§5.2.6).
const (
	blkIn    = 0
	blkOut   = 1
	blkFlush = 4
	blkOK    = 0
)

// SectorSize is the unit of virtio-blk addressing.
const SectorSize = 512

// MaxTransfer is the most bytes one Read or Write moves: the driver's data page.
const MaxTransfer = pageSize

// Block is a virtio block device, driven by one request at a time.
type Block struct {
	b        Bus
	common   uint64 // mapped addresses of the configuration structures
	isr      uint64
	device   uint64
	notify   uint64 // where queue 0's notifications are written
	descVA   uint64 // descriptor table and driver ring
	usedVA   uint64
	reqVA    uint64 // request header (16 bytes) and status byte (at 16)
	reqPA    uint64
	dataVA   uint64
	dataPA   uint64
	lastUsed uint16
	availIdx uint16
	sectors  uint64
	// Wait blocks until the device may have completed a request (the interrupt's
	// notification); nil: the driver polls. Ack re-enables the interrupt once the
	// driver has read the ISR status, which deasserts the line; it follows every
	// Wait, because the kernel masks the line each time it signals.
	Wait, Ack func()
}

// ackInterrupt reads the ISR status, which deasserts the interrupt line, then has the
// kernel unmask the line.
func (d *Block) ackInterrupt() {
	d.b.Load8(d.isr)
	if d.Ack != nil {
		d.Ack()
	}
}

// ErrIO is a request the device completed with a failure status.
var ErrIO = errors.New("virtio-blk: the device reported an I/O error")

// NewBlock resets and initialises the block device and sets up its request queue.
func NewBlock(b Bus) (*Block, error) {
	caps, err := ReadCaps(b)
	if err != nil {
		return nil, err
	}
	d := &Block{b: b}
	if d.common, err = mapRegion(b, caps.Common, 0); err != nil {
		return nil, err
	}
	if d.isr, err = mapRegion(b, caps.ISR, 0); err != nil {
		return nil, err
	}
	if d.device, err = mapRegion(b, caps.Device, 0); err != nil {
		return nil, err
	}
	c := d.common
	b.Store8(c+comStatus, 0) // reset
	for i := 0; b.Load8(c+comStatus) != 0; i++ {
		if i > 1_000_000 {
			return nil, errors.New("virtio: the device does not finish its reset")
		}
	}
	b.Store8(c+comStatus, statusAcknowledge)
	b.Store8(c+comStatus, statusAcknowledge|statusDriver)
	b.Store32(c+comDeviceFeatureSelect, 1)
	if uint64(b.Load32(c+comDeviceFeature))<<32&featureVersion1 == 0 {
		b.Store8(c+comStatus, statusFailed)
		return nil, errors.New("virtio: the device does not offer VIRTIO_F_VERSION_1")
	}
	b.Store32(c+comDriverFeatureSelect, 0)
	b.Store32(c+comDriverFeature, 0) // no optional features: one plain request queue
	b.Store32(c+comDriverFeatureSelect, 1)
	b.Store32(c+comDriverFeature, featureVersion1>>32)
	b.Store8(c+comStatus, statusAcknowledge|statusDriver|statusFeaturesOK)
	if b.Load8(c+comStatus)&statusFeaturesOK == 0 {
		b.Store8(c+comStatus, statusFailed)
		return nil, errors.New("virtio: the device refused the features")
	}
	b.Store16(c+comQueueSelect, 0)
	if max := b.Load16(c + comQueueSize); max < queueSize {
		b.Store8(c+comStatus, statusFailed)
		return nil, fmt.Errorf("virtio: queue 0 has %d entries, %d needed", max, queueSize)
	}
	b.Store16(c+comQueueSize, queueSize)
	var descPA, usedPA uint64
	if d.descVA, descPA, err = b.DMAPage(); err != nil {
		return nil, err
	}
	if d.usedVA, usedPA, err = b.DMAPage(); err != nil {
		return nil, err
	}
	if d.reqVA, d.reqPA, err = b.DMAPage(); err != nil {
		return nil, err
	}
	if d.dataVA, d.dataPA, err = b.DMAPage(); err != nil {
		return nil, err
	}
	b.Store64(c+comQueueDesc, descPA)
	b.Store64(c+comQueueDriver, descPA+availStart)
	b.Store64(c+comQueueDevice, usedPA)
	notifyOff := uint64(b.Load16(c + comQueueNotifyOff))
	if d.notify, err = mapRegion(b, caps.Notify, notifyOff*caps.NotifyMultiplier); err != nil {
		return nil, err
	}
	b.Store16(c+comQueueEnable, 1)
	b.Store8(c+comStatus, statusAcknowledge|statusDriver|statusFeaturesOK|statusDriverOK)
	d.sectors = b.Load64(d.device) // capacity, in 512-byte sectors (§5.2.4)
	return d, nil
}

// Sectors returns the device's capacity in 512-byte sectors.
func (d *Block) Sectors() uint64 { return d.sectors }

// Read reads len(p) bytes (a multiple of SectorSize, at most MaxTransfer) from sector.
func (d *Block) Read(sector uint64, p []byte) error {
	if err := d.check(sector, len(p)); err != nil {
		return err
	}
	if err := d.do(blkIn, sector, uint64(len(p))); err != nil {
		return err
	}
	d.b.Load(d.dataVA, p)
	return nil
}

// Write writes p (a multiple of SectorSize, at most MaxTransfer) at sector.
func (d *Block) Write(sector uint64, p []byte) error {
	if err := d.check(sector, len(p)); err != nil {
		return err
	}
	d.b.Store(d.dataVA, p)
	return d.do(blkOut, sector, uint64(len(p)))
}

// Flush asks the device to make every completed write durable.
func (d *Block) Flush() error { return d.do(blkFlush, 0, 0) }

func (d *Block) check(sector uint64, n int) error {
	switch {
	case n == 0 || n%SectorSize != 0 || n > MaxTransfer:
		return fmt.Errorf("virtio-blk: %d bytes is not 1 to %d whole sectors", n, MaxTransfer/SectorSize)
	case sector >= d.sectors || uint64(n/SectorSize) > d.sectors-sector:
		return fmt.Errorf("virtio-blk: sectors %d+%d past the end (%d)", sector, n/SectorSize, d.sectors)
	}
	return nil
}

// do submits one request — header, data (if n > 0), status — and waits for it.
func (d *Block) do(typ uint32, sector, n uint64) error {
	b := d.b
	b.Store32(d.reqVA, typ)
	b.Store32(d.reqVA+4, 0)
	b.Store64(d.reqVA+8, sector)
	b.Store8(d.reqVA+16, 0xFF) // the device overwrites it
	desc := func(i int, addr, length uint64, flags, next uint16) {
		at := d.descVA + uint64(i)*descBytes
		b.Store64(at, addr)
		b.Store32(at+8, uint32(length))
		b.Store16(at+12, flags)
		b.Store16(at+14, next)
	}
	dataFlags := uint16(descNext)
	if typ == blkIn {
		dataFlags |= descWrite
	}
	if n > 0 {
		desc(0, d.reqPA, 16, descNext, 1)
		desc(1, d.dataPA, n, dataFlags, 2)
	} else {
		desc(0, d.reqPA, 16, descNext, 2)
	}
	desc(2, d.reqPA+16, 1, descWrite, 0)
	avail := d.descVA + availStart // flags u16, idx u16, ring[queueSize] u16
	b.Store16(avail+4+2*uint64(d.availIdx%queueSize), 0)
	d.availIdx++
	b.Store16(avail+2, d.availIdx) // after the descriptors: stores are not reordered on x86
	b.Store16(d.notify, 0)         // queue 0
	for i := 0; ; i++ {
		if used := b.Load16(d.usedVA + 2); used != d.lastUsed {
			d.lastUsed = used
			break
		}
		if d.Wait == nil {
			if i > 100_000_000 {
				return errors.New("virtio-blk: the device does not complete the request")
			}
			continue
		}
		d.Wait()
		// Every signal is acknowledged before the next Wait. The kernel masks the line
		// when it signals, and a signal may be stale: an interrupt for an earlier
		// request that the machine recorded before that request's Ack but delivered
		// after it. Waiting again without acknowledging it would leave the line
		// masked with the completion behind it never signalled: the stall of
		// docs/COMPATIBILITY.md, "The stall: a lost interrupt".
		d.ackInterrupt()
	}
	// A completion found without waiting may still have its interrupt on the way; its
	// signal is acknowledged by the next request's Wait. Reading the ISR status now
	// deasserts the line, so that a level-triggered line does not fire again for it.
	b.Load8(d.isr)
	if st := b.Load8(d.reqVA + 16); st != blkOK {
		return fmt.Errorf("%w (status %d, request type %d, sector %d)", ErrIO, st, typ, sector)
	}
	return nil
}
