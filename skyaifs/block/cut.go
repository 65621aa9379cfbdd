package block

import (
	"fmt"
	"sync"
)

// CutAfter simulates a power cut: it passes requests to an inner device until
// N blocks have been written, lets the write that crosses the limit persist
// only its first blocks, and from then on fails every request with ErrGone
// (the machine is off). What the inner device holds afterwards is what a real
// disk would hold if its cache had written everything in order.
// It is safe for concurrent use.
type CutAfter struct {
	inner Device
	mu    sync.Mutex
	left  uint64 // blocks that may still be written; protected by mu
	cut   bool   // protected by mu
}

// NewCutAfter wraps inner, cutting power after n block writes.
func NewCutAfter(inner Device, n uint64) *CutAfter { return &CutAfter{inner: inner, left: n} }

// Cut reports whether the power has been cut.
func (c *CutAfter) Cut() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cut
}

// Blocks implements Device.
func (c *CutAfter) Blocks() uint64 { return c.inner.Blocks() }

// ReadBlocks implements Device.
func (c *CutAfter) ReadBlocks(start uint64, buf []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return ErrGone
	}
	return c.inner.ReadBlocks(start, buf)
}

// WriteBlocks implements Device.
func (c *CutAfter) WriteBlocks(start uint64, buf []byte) error {
	return c.write(start, buf, c.inner.WriteBlocks)
}

// WriteFUA implements Device.
func (c *CutAfter) WriteFUA(start uint64, buf []byte) error {
	return c.write(start, buf, c.inner.WriteFUA)
}

func (c *CutAfter) write(start uint64, buf []byte, f func(uint64, []byte) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return ErrGone
	}
	if err := check(c.inner.Blocks(), start, buf); err != nil {
		return err
	}
	n := uint64(len(buf) / Size)
	if n <= c.left {
		c.left -= n
		return f(start, buf)
	}
	if c.left > 0 {
		if err := c.inner.WriteBlocks(start, buf[:c.left*Size]); err != nil {
			return err
		}
	}
	c.left, c.cut = 0, true
	return fmt.Errorf("%w: power cut during a write at block %d", ErrGone, start)
}

// Flush implements Device.
func (c *CutAfter) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return ErrGone
	}
	return c.inner.Flush()
}

// Close implements Device. It closes the inner device.
func (c *CutAfter) Close() error { return c.inner.Close() }
