package block

import (
	"fmt"
	"sync"
)

// Mem is a RAM disk. Writes are durable at once (there is no power to cut;
// the Recorder models crashes). It is safe for concurrent use.
type Mem struct {
	mu     sync.Mutex
	data   []byte // protected by mu
	closed bool   // protected by mu
}

// NewMem returns a zero-filled RAM disk of n blocks.
func NewMem(n uint64) *Mem { return &Mem{data: make([]byte, n*Size)} }

// NewMemFrom returns a RAM disk holding a copy of img, which must be a whole
// number of blocks.
func NewMemFrom(img []byte) (*Mem, error) {
	if len(img) == 0 || len(img)%Size != 0 {
		return nil, fmt.Errorf("%w: image of %d bytes", ErrBadLength, len(img))
	}
	return &Mem{data: append([]byte(nil), img...)}, nil
}

// NewMemOwned is NewMemFrom without the copy: the Mem takes img over, and the
// caller must not use img afterwards. The crash harness builds thousands of
// fresh images (block.CrashImage) and would otherwise copy each one again.
func NewMemOwned(img []byte) (*Mem, error) {
	if len(img) == 0 || len(img)%Size != 0 {
		return nil, fmt.Errorf("%w: image of %d bytes", ErrBadLength, len(img))
	}
	return &Mem{data: img}, nil
}

// Blocks implements Device.
func (m *Mem) Blocks() uint64 { return uint64(len(m.data) / Size) }

// ReadBlocks implements Device.
func (m *Mem) ReadBlocks(start uint64, buf []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkLocked(start, buf); err != nil {
		return err
	}
	copy(buf, m.data[start*Size:])
	return nil
}

// WriteBlocks implements Device.
func (m *Mem) WriteBlocks(start uint64, buf []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.checkLocked(start, buf); err != nil {
		return err
	}
	copy(m.data[start*Size:], buf)
	return nil
}

// WriteFUA implements Device.
func (m *Mem) WriteFUA(start uint64, buf []byte) error { return m.WriteBlocks(start, buf) }

// Flush implements Device.
func (m *Mem) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrGone
	}
	return nil
}

// Close implements Device.
func (m *Mem) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// Image returns a copy of the disk's contents.
func (m *Mem) Image() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.data...)
}

func (m *Mem) checkLocked(start uint64, buf []byte) error {
	if m.closed {
		return ErrGone
	}
	return check(m.Blocks(), start, buf)
}

// Must returns m, panicking on err; for tests and fixed-size setup.
func Must(m *Mem, err error) *Mem {
	if err != nil {
		panic(err)
	}
	return m
}
