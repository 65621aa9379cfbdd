package block

import (
	"fmt"
	"sync"
)

// OpKind says what a recorded operation was.
type OpKind uint8

// Recorded operation kinds.
const (
	// OpWrite is a WriteBlocks: durable only after a later flush.
	OpWrite OpKind = iota + 1
	// OpFUA is a WriteFUA: its own blocks are durable when it completes.
	OpFUA
	// OpFlush is a Flush: every earlier write is durable.
	OpFlush
)

// Op is one recorded device operation. Data is a private copy of what was
// written (nil for OpFlush).
type Op struct {
	Kind  OpKind
	Start uint64
	Data  []byte
}

// Blocks returns how many blocks the operation wrote.
func (o Op) Blocks() int { return len(o.Data) / Size }

// Recorder passes every request to an inner device and logs each completed
// write and flush, so a crash harness can rebuild the disk as it might be
// after a power cut at any moment. It is safe for concurrent use.
type Recorder struct {
	inner Device
	mu    sync.Mutex
	ops   []Op // protected by mu
}

// NewRecorder wraps inner.
func NewRecorder(inner Device) *Recorder { return &Recorder{inner: inner} }

// Ops returns the operations logged so far (shared; do not modify).
func (r *Recorder) Ops() []Op {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ops[:len(r.ops):len(r.ops)]
}

// Blocks implements Device.
func (r *Recorder) Blocks() uint64 { return r.inner.Blocks() }

// ReadBlocks implements Device.
func (r *Recorder) ReadBlocks(start uint64, buf []byte) error { return r.inner.ReadBlocks(start, buf) }

// WriteBlocks implements Device.
func (r *Recorder) WriteBlocks(start uint64, buf []byte) error {
	return r.write(OpWrite, start, buf, r.inner.WriteBlocks)
}

// WriteFUA implements Device.
func (r *Recorder) WriteFUA(start uint64, buf []byte) error {
	return r.write(OpFUA, start, buf, r.inner.WriteFUA)
}

func (r *Recorder) write(k OpKind, start uint64, buf []byte, f func(uint64, []byte) error) error {
	if err := f(start, buf); err != nil {
		return err
	}
	r.mu.Lock()
	r.ops = append(r.ops, Op{Kind: k, Start: start, Data: append([]byte(nil), buf...)})
	r.mu.Unlock()
	return nil
}

// Flush implements Device.
func (r *Recorder) Flush() error {
	if err := r.inner.Flush(); err != nil {
		return err
	}
	r.mu.Lock()
	r.ops = append(r.ops, Op{Kind: OpFlush})
	r.mu.Unlock()
	return nil
}

// Close implements Device.
func (r *Recorder) Close() error { return r.inner.Close() }

// Apply writes op's data into img, a whole-disk image; flushes change nothing.
func Apply(img []byte, op Op) error {
	if op.Kind == OpFlush {
		return nil
	}
	if err := check(uint64(len(img)/Size), op.Start, op.Data); err != nil {
		return err
	}
	copy(img[op.Start*Size:], op.Data)
	return nil
}

// CrashImage returns the disk as it is after a power cut that happens once
// ops[:n] have completed, on a device whose write cache lost nothing: base
// with every write in ops[:n] applied in order. keep, if not nil, models a
// cache that lost writes: a WriteBlocks in ops[:n] issued after the last
// Flush before n survives only if keep(i) is true for its index i. Writes
// before that Flush, and every completed WriteFUA, are durable and always
// applied (a FUA write makes only itself durable, not earlier writes).
func CrashImage(base []byte, ops []Op, n int, keep func(i int) bool) ([]byte, error) {
	if n < 0 || n > len(ops) {
		return nil, fmt.Errorf("crash point %d out of 0..%d", n, len(ops))
	}
	barrier := 0
	for i := 0; i < n; i++ {
		if ops[i].Kind == OpFlush {
			barrier = i + 1
		}
	}
	img := append([]byte(nil), base...)
	for i := 0; i < n; i++ {
		if i >= barrier && ops[i].Kind == OpWrite && keep != nil && !keep(i) {
			continue
		}
		if err := Apply(img, ops[i]); err != nil {
			return nil, err
		}
	}
	return img, nil
}
