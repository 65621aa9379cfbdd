package netsup

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// The vNICs' addresses: each vNIC gets one IPv4 and one IPv6 address from these
// subnets, host number n (2, 3, …; 1 is kept for the supervisor itself, which has no
// address the switch delivers to yet) as 10.88.n/256.n%256 and fd88::n. The lowest
// free number is taken, so the first vNIC attached is always 10.88.0.2, which lets
// scripts name their peers.
var (
	Subnet4 = netip.MustParsePrefix("10.88.0.0/16")
	Subnet6 = netip.MustParsePrefix("fd88::/64")
)

// Limits of one switch.
const (
	// MaxNICs is how many vNICs a switch serves at once (the server keeps
	// SlotsPerNIC capability slots and a Reply object's for each, in a simulated
	// task's 256).
	MaxNICs = 40
	// MaxAllow is the most destination prefixes a vNIC allows (a descriptor's list
	// limit).
	MaxAllow = 64
	// QueueLen is how many frames wait for a vNIC to receive them; a frame that
	// finds the queue full is dropped (DropQueueFull), as a NIC's full receive ring
	// drops.
	QueueLen = 64
	// MaxHeld is how many of a vNIC's sent frames may be held (charged but not yet
	// due) at once; a send past it is refused with the time to wait, without being
	// charged, so a sender over its rate is slowed down rather than filling its
	// receivers' queues with frames of the future.
	MaxHeld = 16
	// NameBytes is the longest vNIC name (the descriptor's limit, Linux's IFNAMSIZ-1).
	NameBytes = 15
)

// Reason is why the switch dropped a frame.
type Reason int

// Drop reasons, counted on the sending vNIC.
const (
	DropMalformed Reason = iota // not a frame ParseFrame accepts
	DropSpoofed                 // source MAC or IP address is not the sending vNIC's own
	DropEgress                  // destination outside the sending vNIC's Allow prefixes
	DropIngress                 // source outside the receiving vNIC's Allow prefixes
	DropNoRoute                 // no vNIC has the destination address (there is no uplink)
	DropQueueFull               // the receiving vNIC's queue was full
	NumReasons
)

var reasonNames = [NumReasons]string{"malformed", "spoofed", "egress-denied", "ingress-denied", "no-route", "queue-full"}

// String names the reason as ctr inspect shows it.
func (r Reason) String() string {
	if r >= 0 && r < NumReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("reason-%d", int(r))
}

// Counters are a vNIC's figures since it was attached. Tx counts frames the switch
// accepted from it (delivered to a queue), Rx frames it received; drops are of the
// frames it sent.
type Counters struct {
	TxFrames, TxBytes uint64
	RxFrames, RxBytes uint64
	Drops             [NumReasons]uint64
	HeldFrames        uint64 // frames delivered with a delay (the sender's container was over its I/O rate)
	HeldNanos         uint64 // the delays' sum
	Refused           uint64 // sends refused because MaxHeld frames were held (the sender was told to wait)
}

// Dropped returns the sum of the drops.
func (c Counters) Dropped() uint64 {
	var n uint64
	for _, d := range c.Drops {
		n += d
	}
	return n
}

// NIC is one virtual NIC of the switch.
type NIC struct {
	ID        uint32 // the switch's number for it, 1…MaxNICs (the badge of its capability encodes it)
	Name      string // the descriptor's name for it (eth0, …)
	Container uint64 // the kernel id of the container it belongs to (informational)
	MAC       MAC
	IPv4      netip.Addr
	IPv6      netip.Addr
	Allow     []netip.Prefix
	C         Counters

	host  uint32          // its host number in the subnets
	queue []queued        // frames waiting to be received, in arrival order
	held  []time.Duration // due times of its sent frames not yet due (ns), to enforce MaxHeld
}

type queued struct {
	frame []byte
	due   time.Duration // receivable from then on
	from  *NIC
}

// Switch is the supervisor's virtual switch and policy: pure logic, no kernel. The
// server (Server) feeds it what arrives over IPC. It is used by one goroutine.
type Switch struct {
	nics  map[uint32]*NIC
	byIP  map[netip.Addr]*NIC
	hosts map[uint32]bool
}

// NewSwitch returns a switch without vNICs.
func NewSwitch() *Switch {
	return &Switch{nics: map[uint32]*NIC{}, byIP: map[netip.Addr]*NIC{}, hosts: map[uint32]bool{}}
}

// Errors of Add.
var (
	ErrFull      = errors.New("netsup: the switch serves its most vNICs")
	ErrBadNIC    = errors.New("netsup: invalid vNIC")
	ErrNoSuchNIC = errors.New("netsup: no such vNIC")
)

// CheckName checks a vNIC name as a descriptor does: [a-z][a-z0-9-]*, at most
// NameBytes bytes.
func CheckName(name string) error {
	if name == "" || len(name) > NameBytes || name[0] < 'a' || name[0] > 'z' {
		return fmt.Errorf("%w: name %q: want [a-z][a-z0-9-]*, at most %d bytes", ErrBadNIC, name, NameBytes)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Errorf("%w: name %q: want [a-z][a-z0-9-]*, at most %d bytes", ErrBadNIC, name, NameBytes)
		}
	}
	return nil
}

// CheckAllow checks a vNIC's allow list as a descriptor does: at most MaxAllow
// prefixes, each valid and canonical (host bits zero, not an IPv4-mapped IPv6
// prefix), distinct.
func CheckAllow(allow []netip.Prefix) error {
	if len(allow) > MaxAllow {
		return fmt.Errorf("%w: %d allowed prefixes, at most %d", ErrBadNIC, len(allow), MaxAllow)
	}
	for i, p := range allow {
		if !p.IsValid() || p != p.Masked() || p.Addr().Is4In6() || p.Addr().Zone() != "" {
			return fmt.Errorf("%w: allow %v: want a canonical CIDR prefix (host bits zero)", ErrBadNIC, p)
		}
		if slices.Contains(allow[:i], p) {
			return fmt.Errorf("%w: allow %v listed twice", ErrBadNIC, p)
		}
	}
	return nil
}

// Add attaches a vNIC named name for container ctr, reaching the destinations in
// allow, and gives it the lowest free addresses. Bad arguments change nothing.
func (s *Switch) Add(name string, ctr uint64, allow []netip.Prefix) (*NIC, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	if err := CheckAllow(allow); err != nil {
		return nil, err
	}
	if len(s.nics) >= MaxNICs {
		return nil, ErrFull
	}
	id := uint32(1)
	for s.nics[id] != nil {
		id++
	}
	host := uint32(2)
	for s.hosts[host] {
		host++
	}
	n := &NIC{ID: id, Name: name, Container: ctr, Allow: slices.Clone(allow), host: host}
	n.MAC, n.IPv4, n.IPv6 = Addrs(host)
	s.nics[id], s.byIP[n.IPv4], s.byIP[n.IPv6], s.hosts[host] = n, n, n, true
	return n, nil
}

// Remove detaches vNIC id: its queue is dropped and its addresses are free again.
// Frames it sent that wait in other queues are dropped too, so nothing it sent
// arrives after it is gone.
func (s *Switch) Remove(id uint32) error {
	n := s.nics[id]
	if n == nil {
		return ErrNoSuchNIC
	}
	delete(s.nics, id)
	delete(s.byIP, n.IPv4)
	delete(s.byIP, n.IPv6)
	delete(s.hosts, n.host)
	for _, o := range s.nics {
		o.queue = slices.DeleteFunc(o.queue, func(q queued) bool { return q.from == n })
	}
	n.queue = nil
	return nil
}

// NIC returns vNIC id.
func (s *Switch) NIC(id uint32) (*NIC, bool) {
	n, ok := s.nics[id]
	return n, ok
}

// NICs returns the vNICs by id.
func (s *Switch) NICs() []*NIC {
	var ns []*NIC
	for _, n := range s.nics {
		ns = append(ns, n)
	}
	slices.SortFunc(ns, func(a, b *NIC) int { return int(a.ID) - int(b.ID) })
	return ns
}

// allowed reports whether a lies in one of the prefixes.
func allowed(ps []netip.Prefix, a netip.Addr) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Wait returns how long vNIC id must wait before the switch takes another frame
// from it: 0 if fewer than MaxHeld of its frames are held at now. The server asks
// before charging a frame, and refuses it (telling the sender the wait) if not 0.
func (s *Switch) Wait(id uint32, now time.Duration) time.Duration {
	n := s.nics[id]
	if n == nil {
		return 0
	}
	n.held = slices.DeleteFunc(n.held, func(d time.Duration) bool { return d <= now })
	if len(n.held) < MaxHeld {
		return 0
	}
	n.C.Refused++
	return slices.Min(n.held) - now
}

// Send takes a frame vNIC id sent at now, which its container's I/O rate says to hold
// for delay: it checks the frame and the policy and queues a copy for the receiving
// vNIC, receivable from now+delay. It returns the receiving vNIC, or the reason it
// dropped the frame (counted on the sender). The checks, in order: the frame parses;
// its source MAC and IP address are the sender's own (anti-spoofing); the
// destination lies in the sender's Allow prefixes (egress); a vNIC has the
// destination address; the source lies in the receiver's Allow prefixes (ingress:
// a container's Allow list names every peer it exchanges frames with, so one that
// allows nothing is unreachable as well as reaching nothing); the receiver's queue
// has room.
func (s *Switch) Send(id uint32, frame []byte, delay, now time.Duration) (*NIC, Reason, error) {
	n := s.nics[id]
	if n == nil {
		return nil, 0, ErrNoSuchNIC
	}
	drop := func(r Reason) (*NIC, Reason, error) {
		n.C.Drops[r]++
		return nil, r, nil
	}
	h, err := ParseFrame(frame)
	if err != nil {
		return drop(DropMalformed)
	}
	if h.SrcMAC != n.MAC || (h.Src != n.IPv4 && h.Src != n.IPv6) {
		return drop(DropSpoofed)
	}
	if !allowed(n.Allow, h.Dst) {
		return drop(DropEgress)
	}
	to := s.byIP[h.Dst]
	if to == nil {
		return drop(DropNoRoute)
	}
	if !allowed(to.Allow, h.Src) {
		return drop(DropIngress)
	}
	if len(to.queue) >= QueueLen {
		return drop(DropQueueFull)
	}
	to.queue = append(to.queue, queued{frame: slices.Clone(frame), due: now + delay, from: n})
	n.C.TxFrames++
	n.C.TxBytes += uint64(len(frame))
	if delay > 0 {
		n.C.HeldFrames++
		n.C.HeldNanos += uint64(delay)
		n.held = append(n.held, now+delay)
	}
	return to, 0, nil
}

// Receive returns the first frame queued for vNIC id that is due at now. If none is,
// it returns nil and how long until the first held one is due (0: the queue is
// empty).
func (s *Switch) Receive(id uint32, now time.Duration) ([]byte, time.Duration, error) {
	n := s.nics[id]
	if n == nil {
		return nil, 0, ErrNoSuchNIC
	}
	var next time.Duration
	for i, q := range n.queue {
		if q.due <= now {
			n.queue = slices.Delete(n.queue, i, i+1)
			n.C.RxFrames++
			n.C.RxBytes += uint64(len(q.frame))
			return q.frame, 0, nil
		}
		if next == 0 || q.due-now < next {
			next = q.due - now
		}
	}
	return nil, next, nil
}

// Queued returns how many frames wait for vNIC id.
func (s *Switch) Queued(id uint32) int {
	if n := s.nics[id]; n != nil {
		return len(n.queue)
	}
	return 0
}

// Addrs returns the addresses of host number host: a locally administered MAC
// 02:53:4b:00:HH:LL, 10.88.HH.LL and fd88::HHLL.
func Addrs(host uint32) (MAC, netip.Addr, netip.Addr) {
	hi, lo := byte(host>>8), byte(host)
	v6 := Subnet6.Addr().As16()
	v6[14], v6[15] = hi, lo
	return MAC{0x02, 0x53, 0x4b, 0x00, hi, lo}, netip.AddrFrom4([4]byte{10, 88, hi, lo}), netip.AddrFrom16(v6)
}

// Host returns the vNIC's host number in the subnets.
func (n *NIC) Host() uint32 { return n.host }
