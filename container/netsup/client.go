package netsup

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// NICClient is a container program's side of a vNIC: it sends and receives frames
// through the supervisor and knows the vNIC's addresses. It is used by one thread.
type NICClient struct {
	e     *user.Env
	ep    abi.CPtr // the vNIC's endpoint capability (Write, badged)
	ntfn  abi.CPtr // its receive notification (Read)
	sleep func(time.Duration)

	MAC  MAC
	IPv4 netip.Addr
	IPv6 netip.Addr
	MTU  int
}

// AttachNIC attaches to the vNIC whose endpoint capability is at ep: the supervisor
// tells its addresses and gives its receive notification, which lands in the free
// slot ntfn. sleep lets time pass (time.Sleep on the machine) while the supervisor
// holds frames for the container's I/O rate.
func AttachNIC(e *user.Env, ep, ntfn abi.CPtr, sleep func(time.Duration)) (*NICClient, error) {
	e.SetRecvSlot(0, ntfn)
	info, err := e.Call(ep, abi.NewMsgInfo(LabelAttach, 0, 0))
	if err != nil {
		return nil, fmt.Errorf("netsup: attaching the vNIC: %w", err)
	}
	if st := Status(e.MR(0)); st != OK {
		return nil, st
	}
	if info.ExtraCaps() != 1 {
		return nil, fmt.Errorf("netsup: attaching the vNIC: no receive notification came")
	}
	c := &NICClient{e: e, ep: ep, ntfn: ntfn, sleep: sleep, MTU: int(e.MR(2))}
	c.MAC, c.IPv4, c.IPv6 = Addrs(uint32(e.MR(1)))
	return c, nil
}

// Send sends a frame. A frame the switch drops returns a DropError (errors.Is(err,
// Dropped)) with the reason; while the supervisor holds too many of this vNIC's frames
// (its container is over its I/O rate), Send waits as told and sends again, so
// over-limit frames are delayed, not refused.
func (c *NICClient) Send(frame []byte) error {
	_, err := c.send(frame, false)
	return err
}

// SendRecv sends a frame as Send does and then waits for one, as Recv does, in one
// call to the supervisor when a frame comes soon: a request and its answer, or an
// answer and the next request, cost one call instead of two.
func (c *NICClient) SendRecv(frame []byte) ([]byte, error) {
	f, err := c.send(frame, true)
	if err != nil || f != nil {
		return f, err
	}
	return c.Recv()
}

// send sends frame; with then set, the supervisor answers with a frame for the vNIC
// if one comes (f), or says to receive as usual (nil).
func (c *NICClient) send(frame []byte, then bool) ([]byte, error) {
	if len(frame) > MaxFrame {
		return nil, fmt.Errorf("netsup: a frame of %d bytes: at most %d", len(frame), MaxFrame)
	}
	flag := uint64(0)
	if then {
		flag = 1
	}
	for {
		e := c.e
		e.SetMR(0, uint64(len(frame)))
		e.SetMR(1, flag)
		n := e.SetPayload(frame)
		if _, err := e.Call(c.ep, abi.NewMsgInfo(LabelSend, n, 0)); err != nil {
			return nil, fmt.Errorf("netsup: the supervisor: %w", err)
		}
		switch st := Status(e.MR(0)); st {
		case OK:
			if !then {
				return nil, nil
			}
			return c.frame()
		case Empty: // sent; nothing to receive yet
			return nil, nil
		case Dropped:
			return nil, DropError{Reason(e.MR(1))}
		case Busy:
			c.sleep(time.Duration(e.MR(1)))
		default:
			return nil, st
		}
	}
}

// frame reads the frame of an OK receive reply.
func (c *NICClient) frame() ([]byte, error) {
	n := c.e.MR(1)
	if n > MaxFrame {
		return nil, BadRequest
	}
	return c.e.Payload(int(n)), nil
}

// SendUDP sends a UDP datagram from the vNIC's address of dst's IP version and port
// sport to dst.
func (c *NICClient) SendUDP(dst netip.AddrPort, sport uint16, data []byte) error {
	f, err := c.UDPFrame(dst, sport, data)
	if err != nil {
		return err
	}
	return c.Send(f)
}

// UDPFrame builds the frame SendUDP sends: from the vNIC's MAC and its address of
// dst's IP version, to the broadcast MAC (the switch forwards by IP address).
func (c *NICClient) UDPFrame(dst netip.AddrPort, sport uint16, data []byte) ([]byte, error) {
	src := c.IPv4
	if dst.Addr().Is6() {
		src = c.IPv6
	}
	return BuildUDP(c.MAC, MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, src, dst.Addr(), sport, dst.Port(), data)
}

// UDPOf reads the UDP datagram a received frame carries and its sender; ok is false
// for a frame that is not well-formed UDP.
func UDPOf(f []byte) (UDP, netip.AddrPort, bool) {
	h, err := ParseFrame(f)
	if err != nil {
		return UDP{}, netip.AddrPort{}, false
	}
	u, err := ParseUDP(h)
	if err != nil {
		return UDP{}, netip.AddrPort{}, false
	}
	return u, netip.AddrPortFrom(h.Src, u.SrcPort), true
}

// TryRecv returns a frame queued for the vNIC, or nil and how long until a held one is
// due (0: none queued).
func (c *NICClient) TryRecv() ([]byte, time.Duration, error) {
	return c.recv(false)
}

// recv asks for a frame; with block set, the supervisor answers only when one comes
// (or one is held, or another receiver of the vNIC took its place).
func (c *NICClient) recv(block bool) ([]byte, time.Duration, error) {
	e := c.e
	e.SetMR(0, 0)
	if block {
		e.SetMR(0, 1)
	}
	if _, err := e.Call(c.ep, abi.NewMsgInfo(LabelRecv, 1, 0)); err != nil {
		return nil, 0, fmt.Errorf("netsup: the supervisor: %w", err)
	}
	switch st := Status(e.MR(0)); st {
	case OK:
		f, err := c.frame()
		return f, 0, err
	case Empty:
		return nil, time.Duration(e.MR(1)), nil
	default:
		return nil, 0, st
	}
}

// Recv waits for a frame: in the supervisor while nothing is queued (or on the
// receive notification, if another receiver of the vNIC waits there), for the time
// the supervisor says while a frame is held.
func (c *NICClient) Recv() ([]byte, error) {
	for {
		f, wait, err := c.recv(true)
		if err != nil || f != nil {
			return f, err
		}
		if wait > 0 {
			c.sleep(wait)
			continue
		}
		if _, err := c.e.Wait(c.ntfn); err != nil {
			return nil, fmt.Errorf("netsup: waiting for a frame: %w", err)
		}
	}
}

// RecvUDP waits for a UDP datagram and returns it with its sender. Frames that are
// not well-formed UDP are skipped.
func (c *NICClient) RecvUDP() (UDP, netip.AddrPort, error) {
	for {
		f, err := c.Recv()
		if err != nil {
			return UDP{}, netip.AddrPort{}, err
		}
		if u, from, ok := UDPOf(f); ok {
			return u, from, nil
		}
	}
}

// Control is the controller's (ctr's) client of the supervisor: it attaches vNICs to
// containers, detaches them and reads their counters.
type Control struct {
	E      *user.Env
	EP     abi.CPtr // the supervisor's endpoint, Write and Grant, badge ControlBadge
	CSpace abi.CPtr // the controller's capability space
}

// Attached is a vNIC attached to a container.
type Attached struct {
	ID   uint32
	Host uint32
	MAC  MAC
	IPv4 netip.Addr
	IPv6 netip.Addr
}

// Add attaches a vNIC with spec to the container whose capability is at ctr (kernel
// id ctrID). The supervisor gets a Write-only copy of the container capability (made
// in the free slot scratch and deleted again), to charge the container's I/O; the
// vNIC's endpoint capability lands in the free slot dst, for the controller to give
// to the container's tasks.
func (c *Control) Add(ctr abi.CPtr, ctrID uint64, spec Spec, scratch, dst abi.CPtr) (Attached, error) {
	var a Attached
	b := spec.Encode()
	if len(b) > user.MaxPayload {
		return a, fmt.Errorf("%w: the spec takes %d bytes, at most %d", ErrBadNIC, len(b), user.MaxPayload)
	}
	e := c.E
	if err := e.Copy(c.CSpace, scratch, c.CSpace, ctr, abi.RightWrite); err != nil {
		return a, err
	}
	defer e.Delete(c.CSpace, scratch)
	e.SetMR(0, ctrID)
	e.SetMR(1, uint64(len(b)))
	n := e.SetPayload(b)
	e.SetCap(0, scratch)
	e.SetRecvSlot(0, dst)
	info, err := e.Call(c.EP, abi.NewMsgInfo(LabelAdd, n, 1))
	if err != nil {
		return a, fmt.Errorf("netsup: the supervisor: %w", err)
	}
	if st := Status(e.MR(0)); st != OK {
		return a, st
	}
	a.ID, a.Host = uint32(e.MR(1)), uint32(e.MR(2))
	a.MAC, a.IPv4, a.IPv6 = Addrs(a.Host)
	if info.ExtraCaps() != 1 {
		c.Remove(a.ID)
		return a, errors.New("netsup: the vNIC's capability did not arrive")
	}
	return a, nil
}

// Remove detaches vNIC id: every copy of its capability is revoked.
func (c *Control) Remove(id uint32) error {
	c.E.SetMR(0, uint64(id))
	if _, err := c.E.Call(c.EP, abi.NewMsgInfo(LabelRemove, 1, 0)); err != nil {
		return fmt.Errorf("netsup: the supervisor: %w", err)
	}
	if st := Status(c.E.MR(0)); st != OK {
		return st
	}
	return nil
}

// Stats returns vNIC id's counters and how many frames wait for it.
func (c *Control) Stats(id uint32) (Counters, int, error) {
	e := c.E
	e.SetMR(0, uint64(id))
	info, err := e.Call(c.EP, abi.NewMsgInfo(LabelStats, 1, 0))
	if err != nil {
		return Counters{}, 0, fmt.Errorf("netsup: the supervisor: %w", err)
	}
	if st := Status(e.MR(0)); st != OK {
		return Counters{}, 0, st
	}
	queued := int(e.MR(3))
	if info.Len() < abi.NumRegMRs+StatsWords {
		return Counters{}, 0, BadRequest
	}
	cs, ok := DecodeCounters(e.Payload(8 * StatsWords))
	if !ok {
		return Counters{}, 0, BadRequest
	}
	return cs, queued, nil
}
