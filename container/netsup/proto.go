package netsup

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Badges of the supervisor's endpoint capabilities. The controller's (ctr's) has
// ControlBadge; a vNIC's has BadgeNIC|id. Any other badge is refused.
const (
	ControlBadge abi.Badge = 1
	BadgeNIC     abi.Badge = 1 << 16
)

// Labels of the requests. Every request is a Call; the reply's MR0 is a Status.
//
// From the controller:
//
//	LabelAdd     MR0 container id, MR1 the spec's byte count; payload: the spec
//	             (name, then each allowed prefix, separated by newlines); cap0 the
//	             container's capability (Write: to charge its I/O)
//	             → MR1 vNIC id, MR2 host number; cap0 the vNIC's endpoint capability
//	             (Write, no Grant, badged for the vNIC)
//	LabelRemove  MR0 vNIC id: every capability to the vNIC is revoked, its queue dropped
//	LabelStats   MR0 vNIC id → MR1 host number, MR2 container id, MR3 frames queued;
//	             payload: StatsWords counter words (Counters, in field order)
//
// From a vNIC (its endpoint capability's badge names it):
//
//	LabelAttach  → MR1 host number (its addresses: Addrs), MR2 MTU; cap0 the vNIC's
//	             receive notification (Read), signalled when a frame is queued for it
//	LabelSend    MR0 the frame's byte count, MR1 1: then receive as LabelRecv with
//	             MR0 1 (else 0); payload: the frame
//	             → OK (with MR1 1: and a frame, as LabelRecv answers); Dropped with
//	             MR1 the Reason; Busy with MR1 the ns to wait (not sent)
//	LabelRecv    MR0 1: block (else 0)
//	             → OK with MR1 the frame's byte count, payload the frame; Empty with
//	             MR1 the ns until a held frame is due (0: nothing queued). A blocking
//	             receive with nothing queued is answered when a frame comes: the
//	             supervisor parks the caller on the vNIC's own Reply object; a later
//	             blocking receive on the same vNIC displaces it (it gets Empty)
const (
	LabelAdd    = 0x4e37_0001
	LabelRemove = 0x4e37_0002
	LabelStats  = 0x4e37_0003
	LabelAttach = 0x4e37_0010
	LabelSend   = 0x4e37_0011
	LabelRecv   = 0x4e37_0012
)

// StatsWords is the number of counter words LabelStats returns.
const StatsWords = 7 + int(NumReasons)

// Status is a request's outcome, the reply's MR0.
type Status uint64

// Statuses.
const (
	OK         Status = iota
	Dropped           // the frame was dropped; MR1 says why
	Busy              // too many of the vNIC's frames are held: wait MR1 ns and send again
	Empty             // nothing to receive yet
	BadRequest        // unknown label, malformed words or capabilities
	BadBadge          // the caller holds no capability of the supervisor's that allows this
	Gone              // the vNIC was removed
	Full              // the switch serves its most vNICs
	Invalid           // a bad vNIC spec (name, prefixes)
	NoMemory          // the supervisor could not make the vNIC's objects
)

var statusText = [...]string{"ok", "frame dropped", "busy: too many frames held", "nothing to receive",
	"malformed request", "caller may not do this", "vNIC removed", "the switch serves its most vNICs",
	"invalid vNIC spec", "the supervisor is out of memory"}

// Error describes the status; a Status is an error so that callers can match it with
// errors.Is.
func (s Status) Error() string {
	if int(s) < len(statusText) {
		return "netsup: " + statusText[s]
	}
	return fmt.Sprintf("netsup: status %d", uint64(s))
}

// DropError is a send the switch dropped, with the reason.
type DropError struct{ Reason Reason }

// Error implements error.
func (d DropError) Error() string { return "netsup: frame dropped: " + d.Reason.String() }

// Is makes errors.Is(err, Dropped) true for a DropError.
func (d DropError) Is(target error) bool { return target == Dropped }

// Spec is a vNIC to attach: a descriptor's NIC (container/descriptor.NIC) as the
// controller asks for it.
type Spec struct {
	Name  string
	Allow []netip.Prefix
}

// Encode returns the spec's bytes for LabelAdd.
func (s Spec) Encode() []byte {
	parts := []string{s.Name}
	for _, p := range s.Allow {
		parts = append(parts, p.String())
	}
	return []byte(strings.Join(parts, "\n"))
}

// DecodeSpec reads a spec from LabelAdd's payload and checks it (CheckName,
// CheckAllow; each prefix in the canonical text net/netip prints), so that one form
// of bytes stands for each spec.
func DecodeSpec(b []byte) (Spec, error) {
	var s Spec
	parts := strings.Split(string(b), "\n")
	s.Name = parts[0]
	if err := CheckName(s.Name); err != nil {
		return s, err
	}
	if len(parts)-1 > MaxAllow {
		return s, fmt.Errorf("%w: %d allowed prefixes, at most %d", ErrBadNIC, len(parts)-1, MaxAllow)
	}
	for _, t := range parts[1:] {
		p, err := netip.ParsePrefix(t)
		if err != nil || p.String() != t {
			return s, fmt.Errorf("%w: allow %q: want a prefix in canonical form, e.g. 10.88.0.0/16", ErrBadNIC, t)
		}
		s.Allow = append(s.Allow, p)
	}
	if err := CheckAllow(s.Allow); err != nil {
		return s, err
	}
	return s, nil
}

// ParseAllow parses a comma-separated list of canonical CIDR prefixes (as ctr's
// --allow takes them; "" is none).
func ParseAllow(s string) ([]netip.Prefix, error) {
	var ps []netip.Prefix
	if s == "" {
		return nil, nil
	}
	for _, t := range strings.Split(s, ",") {
		p, err := netip.ParsePrefix(t)
		if err != nil {
			return nil, fmt.Errorf("%w: allow %q: want CIDR prefixes such as 10.88.0.0/16", ErrBadNIC, t)
		}
		if p != p.Masked() {
			return nil, fmt.Errorf("%w: allow %q: host bits are set (did you mean %v?)", ErrBadNIC, t, p.Masked())
		}
		ps = append(ps, p)
	}
	return ps, CheckAllow(ps)
}

// SpecsOf returns the vNICs a container descriptor asks for (its namespaces.network
// list, in order), checked as the supervisor checks them: what a controller attaches
// for a container made from the descriptor. None: the container has no network.
func SpecsOf(d descriptor.Descriptor) ([]Spec, error) {
	var specs []Spec
	for _, n := range d.Namespaces.Network {
		s := Spec{Name: n.Name}
		for _, a := range n.Allow {
			p, err := netip.ParsePrefix(a)
			if err != nil || p.String() != a {
				return nil, fmt.Errorf("%w: NIC %s: allow %q is not a canonical prefix", ErrBadNIC, n.Name, a)
			}
			s.Allow = append(s.Allow, p)
		}
		if err := CheckName(s.Name); err != nil {
			return nil, err
		}
		if err := CheckAllow(s.Allow); err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return specs, nil
}
