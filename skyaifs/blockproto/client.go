package blockproto

import (
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
)

// Client is a block.Device served by a block server over IPC. Like every
// block.Device it is for one goroutine at a time (and, holding a user.Env, for the
// one thread that Env belongs to).
type Client struct {
	e         *user.Env
	ep        abi.CPtr // the server's endpoint, Write and Grant, with the client's badge
	va        uint64   // the buffer in the client's address space
	bufBlocks uint64
	blocks    uint64 // the device's size; immutable after Attach
	gone      bool   // a reply said the device is gone, or the client was closed
}

// Attach gives the server at ep the buffer r, which must be all output pages (the
// server both reads and writes it), and returns the client. It grants only a
// read-only capability to the buffer's capability space, made in the free slot
// scratch of the client's capability space cs and deleted again when the server has
// copied what it needs.
func Attach(e *user.Env, ep abi.CPtr, r *user.Region, cs, scratch abi.CPtr) (*Client, error) {
	if r.InPages != 0 || r.OutPages == 0 || r.OutPages > MaxBufferPages {
		return nil, fmt.Errorf("blockproto: a buffer of %d writable pages (and no read-only ones) is needed, 1 to %d", r.OutPages, MaxBufferPages)
	}
	if err := e.Copy(cs, scratch, cs, r.CSpace, abi.RightRead); err != nil {
		return nil, err
	}
	defer e.Delete(cs, scratch)
	e.SetMR(0, r.OutPages)
	e.SetCap(0, scratch)
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelAttach, 1, 1)); err != nil {
		return nil, err
	}
	if err := Status(e.MR(0)).Err(); err != nil {
		return nil, err
	}
	return &Client{e: e, ep: ep, va: r.OutputVA(), blocks: e.MR(1), bufBlocks: e.MR(2)}, nil
}

// call makes a request with the given words and returns its status as an error.
func (c *Client) call(label, w0, w1, w2 uint64, words int) error {
	if c.gone {
		return fmt.Errorf("%w (%w)", block.ErrGone, Gone)
	}
	e := c.e
	e.SetMR(0, w0)
	e.SetMR(1, w1)
	e.SetMR(2, w2)
	if _, err := e.Call(c.ep, abi.NewMsgInfo(label, words, 0)); err != nil {
		// The server is not there (it ended, or the endpoint was revoked): to the
		// filesystem that is a device that went away.
		c.gone = true
		return fmt.Errorf("%w: block server: %w", block.ErrGone, err)
	}
	st := Status(e.MR(0))
	if st == Gone {
		c.gone = true
	}
	return st.Err()
}

// Blocks implements block.Device.
func (c *Client) Blocks() uint64 { return c.blocks }

// BufferBlocks returns the shared buffer's size in blocks: the most one request moves.
func (c *Client) BufferBlocks() uint64 { return c.bufBlocks }

// Gone reports whether the device has gone away (the server said so or cannot be
// reached).
func (c *Client) Gone() bool { return c.gone }

// Info asks the server for the device's state and reports whether it is gone.
func (c *Client) Info() (gone bool, err error) {
	if err := c.call(LabelInfo, 0, 0, 0, 0); err != nil {
		return c.gone, err
	}
	if c.e.MR(2)&StateGone != 0 {
		c.gone = true
	}
	return c.gone, nil
}

// checkLen refuses a buffer that is not a whole number of blocks before any IPC, as
// a local device would.
func checkLen(buf []byte) error {
	if len(buf) == 0 || len(buf)%block.Size != 0 {
		return fmt.Errorf("%w: %d bytes", block.ErrBadLength, len(buf))
	}
	return nil
}

// ReadBlocks implements block.Device, in requests of at most BufferBlocks blocks.
func (c *Client) ReadBlocks(start uint64, buf []byte) error {
	if err := checkLen(buf); err != nil {
		return err
	}
	for len(buf) > 0 {
		n := min(uint64(len(buf))/block.Size, c.bufBlocks)
		if err := c.call(LabelRead, start, n, 0, 3); err != nil {
			return err
		}
		c.e.Load(c.va, buf[:n*block.Size])
		buf, start = buf[n*block.Size:], start+n
	}
	return nil
}

// WriteBlocks implements block.Device.
func (c *Client) WriteBlocks(start uint64, buf []byte) error {
	return c.write(LabelWrite, start, buf)
}

// WriteFUA implements block.Device. A write larger than the buffer is sent as several
// FUA requests, each durable before the next is sent, so all are durable when it
// returns.
func (c *Client) WriteFUA(start uint64, buf []byte) error {
	return c.write(LabelWriteFUA, start, buf)
}

func (c *Client) write(label, start uint64, buf []byte) error {
	if err := checkLen(buf); err != nil {
		return err
	}
	for len(buf) > 0 {
		n := min(uint64(len(buf))/block.Size, c.bufBlocks)
		c.e.Store(c.va, buf[:n*block.Size])
		if err := c.call(label, start, n, 0, 3); err != nil {
			return err
		}
		buf, start = buf[n*block.Size:], start+n
	}
	return nil
}

// Flush implements block.Device.
func (c *Client) Flush() error { return c.call(LabelFlush, 0, 0, 0, 0) }

// Close implements block.Device: the server unmaps the buffer; later requests fail
// with block.ErrGone. The device itself stays with the server.
func (c *Client) Close() error {
	if c.gone {
		return nil
	}
	err := c.call(LabelDetach, 0, 0, 0, 0)
	c.gone = true
	return err
}

var _ block.Device = (*Client)(nil)
