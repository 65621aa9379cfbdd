// Package blockproto is SKYAIFS's block protocol: a block device (skyaifs/block)
// served by one task to one client task over kernel IPC. On the machine the server is
// the task that drives the disk (hal/virtio through block.Sectors) and the client is
// the filesystem task, so a fault in the driver cannot corrupt the filesystem's memory
// and the filesystem holds no device capability.
//
// # Data path
//
// Block contents never travel in messages (64 words could carry half a block). The
// client makes a shared I/O buffer: frames mapped in its own address space, whose
// capabilities it puts in a small capability space (user.NewRegion, all pages output,
// so writable). It grants the server a read-only capability to that capability space
// once, with Attach. The server copies the frame capabilities (map readable and
// writable, nothing else) into its own slots, maps them into its address space, and
// deletes the capability it was given. From then on every request names blocks of the
// device and a place in the buffer; the server moves data between the device and the
// buffer. Revoking its frames deletes the server's capabilities but not its
// mappings (a frame is unmapped when its last capability goes); the client takes the
// buffer back by revoking and then deleting its own frame capabilities, which destroys
// the frames, and the server notices before it next touches the buffer (see Restarts).
//
// Rejected alternative: granting the region with every request, as the compression
// service does. A region costs a capability copy and a mapping per page per request,
// which a disk that sees thousands of 4 KiB requests per second cannot afford; the
// buffer of a block client lives as long as the client.
//
// # Requests
//
// Every request is a Call on the server's endpoint with the client's badge. The
// label is the operation; the reply's MR0 is a Status. Layouts (MRn: message word n):
//
//	LabelAttach   MR0 buffer pages; cap0 the buffer's capability space (frame i at
//	              slot 1+i)          → MR1 device blocks, MR2 buffer blocks; replaces
//	              a buffer attached before (see below)
//	LabelInfo                        → MR1 device blocks, MR2 state (StateGone)
//	LabelRead     MR0 first block, MR1 block count, MR2 buffer offset in blocks
//	LabelWrite    as LabelRead: durable after a later Flush
//	LabelWriteFUA as LabelRead: durable when the reply comes
//	LabelFlush                       every completed write is durable
//	LabelDetach                      the server unmaps the buffer
//
// decode checks every argument before anything happens (wrong badge, unknown label,
// no buffer attached, a count of zero, a range past the buffer or the device): a
// refused request changes nothing on the device or in the buffer.
//
// # Restarts
//
// When the client task ends, the kernel destroys its frames and with them the
// server's capabilities to them and its mappings. Before each transfer the server
// checks that it still holds the frames involved; if not, it drops the buffer and
// answers NotAttached instead of faulting on the dead window. A restarted client, holding the same
// badge, simply attaches again: Attach releases whatever the server still had of the
// previous buffer first. If the new buffer is refused, the client has none
// (NotAttached) until an Attach succeeds; only the client itself can bring that about.
//
// # I/O rate limits
//
// A client that runs in a container is charged for its I/O where the I/O is served:
// here. The server learns the client's container from whoever starts it for that
// client — the task that makes the client's badged endpoint capability and holds the
// client's container (a shell, container/runtime) — as a Container capability in
// Config.Charge; the client never holds it. Every Read, Write and WriteFUA is charged
// its bytes and one operation, a Flush one operation (ContainerChargeIO, which also
// charges every enclosing container), before it is served, and the server holds the
// request for the delay the kernel returns (Config.Hold): over-limit requests are
// delayed, never refused. Attach, Info and Detach move no data and are not charged;
// a refused request is not charged either.
//
// Why this is sound: the server accepts only requests carrying the client's badge,
// which the kernel stamps from the capability the client holds and which the client
// cannot change, so a client can neither charge another container (it cannot name
// one) nor escape charging (every request it can make is charged to the container it
// was started for). Because a server serves one client, holding a request by
// sleeping keeps no other client waiting: a neighbour has its own server, and the
// held server uses no CPU while it sleeps (TestIORateLimit). If the charge fails
// (the container is gone) the request is refused (NotCharged), not served free.
//
// Rejected: the client charging itself (it could skip it); a server-wide queue with
// deferred replies (needed by a server with many clients, such as the file service;
// not by one whose client is fixed).
//
// # Faults
//
// The device's errors come back as statuses that keep their kind: OutOfRange,
// IOError, Gone and BadLength become errors wrapping block.ErrOutOfRange,
// ErrIO, ErrGone and ErrBadLength at the client, so the filesystem sees exactly what it
// would see on a local device. When the device reports ErrGone the server answers every
// later request with StatusGone without touching the device, sets StateGone in Info's
// reply and signals its Gone notification (if configured) once, so a filesystem
// waiting for events learns that its disk left without having to issue a request.
package blockproto

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
)

// Request labels.
const (
	LabelAttach   = 0xb10c_0001
	LabelInfo     = 0xb10c_0002
	LabelRead     = 0xb10c_0003
	LabelWrite    = 0xb10c_0004
	LabelWriteFUA = 0xb10c_0005
	LabelFlush    = 0xb10c_0006
	LabelDetach   = 0xb10c_0007
)

// StateGone is the bit of Info's MR2 that says the device has gone away.
const StateGone = 1

// MaxBufferPages bounds the shared buffer: the server keeps a slot per page.
const MaxBufferPages = user.MaxRegionPages

// Status is a request's outcome, the reply's MR0.
type Status uint64

// Statuses. The first four after OK carry the device's error kinds; the rest are the
// protocol's own refusals, which the client reports as block.ErrIO (the request did
// not reach the device) wrapping the Status.
const (
	OK          Status = iota
	OutOfRange         // a block at or past the end of the device
	IOError            // the medium failed
	Gone               // the device went away; every later request fails the same way
	BadLength          // a block count of zero or a range past the shared buffer
	BadRequest         // unknown label or malformed message
	BadBadge           // the caller is not this server's client
	NotAttached        // no buffer attached yet
	NotWritable        // the buffer's frames were not shared writable
	NoMemory           // the server could not map the buffer
	NotCharged         // the request could not be charged to the client's container
)

var statusText = [...]string{"ok", "block out of range", "I/O error", "device gone",
	"bad length", "malformed request", "caller is not the server's client",
	"no buffer attached", "buffer not shared writable", "server cannot map the buffer",
	"request cannot be charged to the client's container"}

// Error describes the status; a Status is an error so that clients can match it
// with errors.As.
func (s Status) Error() string {
	if int(s) < len(statusText) {
		return "block server: " + statusText[s]
	}
	return fmt.Sprintf("block server: status %d", uint64(s))
}

// kind is the block error a status stands for at the client.
func (s Status) kind() error {
	switch s {
	case OutOfRange:
		return block.ErrOutOfRange
	case Gone:
		return block.ErrGone
	case BadLength:
		return block.ErrBadLength
	}
	return block.ErrIO
}

// Err turns a reply status into the client's error: nil for OK, otherwise an error
// wrapping exactly one of the block package's kinds and the Status itself.
func (s Status) Err() error {
	if s == OK {
		return nil
	}
	return fmt.Errorf("%w (%w)", s.kind(), s)
}

// statusOf maps a device error to its status.
func statusOf(err error) Status {
	switch {
	case err == nil:
		return OK
	case errors.Is(err, block.ErrGone):
		return Gone
	case errors.Is(err, block.ErrOutOfRange):
		return OutOfRange
	case errors.Is(err, block.ErrBadLength):
		return BadLength
	}
	return IOError
}

// request is a decoded, validated request.
type request struct {
	label    uint64
	start, n uint64 // device blocks
	off      uint64 // buffer offset in blocks
	pages    uint64 // Attach: the buffer's pages
}

// decode validates a request with label, words mr and caps capabilities from a
// sender with badge, for a server whose client has badge client, whose device has
// devBlocks blocks and whose attached buffer has bufBlocks blocks (0: none). It does
// nothing but check; the returned request is safe to carry out.
func decode(badge, client abi.Badge, label uint64, mr [3]uint64, caps int, devBlocks, bufBlocks uint64) (request, Status) {
	r := request{label: label}
	if badge != client {
		return r, BadBadge
	}
	switch label {
	case LabelAttach:
		if caps != 1 || mr[0] == 0 || mr[0] > MaxBufferPages {
			return r, BadRequest
		}
		r.pages = mr[0]
		return r, OK
	case LabelInfo, LabelFlush, LabelDetach:
		if caps != 0 {
			return r, BadRequest
		}
		if label == LabelDetach && bufBlocks == 0 {
			return r, NotAttached
		}
		return r, OK
	case LabelRead, LabelWrite, LabelWriteFUA:
	default:
		return r, BadRequest
	}
	if caps != 0 {
		return r, BadRequest
	}
	if bufBlocks == 0 {
		return r, NotAttached
	}
	r.start, r.n, r.off = mr[0], mr[1], mr[2]
	if r.n == 0 || r.off >= bufBlocks || r.n > bufBlocks-r.off {
		return r, BadLength
	}
	if r.start >= devBlocks || r.n > devBlocks-r.start {
		return r, OutOfRange
	}
	return r, OK
}
