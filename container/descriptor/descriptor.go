// Package descriptor is the container descriptor: a signed, canonical description of
// an OS-level container — the module images it runs, the namespaces it gets, the
// resources it may use and the links it asks for. The kernel's container object is
// created from a verified descriptor. docs/CONTAINERS.md describes the encoding field
// by field.
//
// The only way to get a usable descriptor out of signed bytes is Verify, whose result
// (Verified) has unexported fields: code that creates containers takes a *Verified, so
// a descriptor whose checks did not all pass cannot reach container creation.
package descriptor

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
)

// FormatVersion is the version of the descriptor and envelope encodings this package
// writes and reads.
const FormatVersion = 1

// Descriptor describes a container. Its canonical encoding (deterministic CBOR,
// integer keys) is what the envelope signature covers. Empty lists are omitted from
// the encoding, so a nil and an empty list are the same descriptor with one byte form.
type Descriptor struct {
	// Format is the encoding version, FormatVersion.
	Format int `cbor:"1,keyasint"`
	// Name is the container's name: [a-z][a-z0-9-]*, at most MaxNameLen bytes.
	Name string `cbor:"2,keyasint"`
	// Image lists the modules the container's file system holds, each pinned to one
	// package by digest. At least one; module names distinct.
	Image []ModuleRef `cbor:"3,keyasint,omitempty"`
	// Entry names the modules started when the container starts; each must be in
	// Image. At least one; distinct.
	Entry []string `cbor:"4,keyasint,omitempty"`
	// Namespaces are the container's views of pids, files, network, IPC and users.
	Namespaces Namespaces `cbor:"5,keyasint"`
	// Limits bound the resources the container's tasks together may use.
	Limits Limits `cbor:"6,keyasint"`
	// Links are the container's side of inter-container link requests: the peer must
	// ask for the matching link too before either side gets a capability.
	Links []Link `cbor:"7,keyasint,omitempty"`
	// Parent is the name of the container this one nests in; empty for a top-level
	// container. A nested container's limits must be within its parent's (SubsetOf).
	Parent string `cbor:"8,keyasint,omitempty"`
}

// ModuleRef pins one module of a container image to one package.
type ModuleRef struct {
	// Module is the module's name, as in its manifest.
	Module string `cbor:"1,keyasint"`
	// Version is the module's version, not 0.0.0.
	Version modpkg.Version `cbor:"2,keyasint"`
	// Digest is SHA3-512 of the module's package bytes (64 bytes), as a repository
	// index lists it and modpkg.Verified.PackageDigest returns it.
	Digest []byte `cbor:"3,keyasint"`
}

// Namespaces are the container's views of the system.
type Namespaces struct {
	// SharedPID makes the container's tasks live in its parent's pid namespace. The
	// default (false) is a private pid namespace, in which the container's first task
	// is pid 1 and no task outside it is visible.
	SharedPID bool `cbor:"1,keyasint,omitempty"`
	// Mounts are the file system views the container sees; nothing else of SKYAIFS
	// is visible to it.
	Mounts []Mount `cbor:"2,keyasint,omitempty"`
	// Network lists the container's virtual NICs; none means no network at all.
	Network []NIC `cbor:"3,keyasint,omitempty"`
	// IPC lists the service names the container may register; it may register no
	// others.
	IPC []string `cbor:"4,keyasint,omitempty"`
	// Users maps user ids inside the container to user ids outside it; an inside uid
	// not covered has no identity outside (it maps to the overflow uid).
	Users []UIDMap `cbor:"5,keyasint,omitempty"`
	// Groups maps group ids the same way (the same rules; an inside gid not covered
	// maps to the overflow gid).
	Groups []UIDMap `cbor:"6,keyasint,omitempty"`
}

// Mount makes Source of the SKYAIFS view visible at Target inside the container.
type Mount struct {
	// Source is an absolute, clean path in the SKYAIFS view the container's creator
	// has.
	Source string `cbor:"1,keyasint"`
	// Target is an absolute, clean path inside the container; targets are distinct.
	Target string `cbor:"2,keyasint"`
	// ReadOnly makes the mount read-only whatever the file permissions say.
	ReadOnly bool `cbor:"3,keyasint,omitempty"`
}

// NIC is a virtual network interface.
type NIC struct {
	// Name is the interface's name inside the container: [a-z][a-z0-9-]*, at most
	// MaxNICNameLen bytes; distinct.
	Name string `cbor:"1,keyasint"`
	// Allow lists the destinations the interface may reach, as canonical CIDR
	// prefixes ("10.0.0.0/8", "2001:db8::/32"; host bits zero); none means the
	// interface reaches nothing.
	Allow []string `cbor:"2,keyasint,omitempty"`
}

// UIDMap maps Count user (or group) ids from Inside (in the container) to Outside
// (in the parent), like a line of /proc/PID/uid_map.
type UIDMap struct {
	Inside  uint32 `cbor:"1,keyasint"`
	Outside uint32 `cbor:"2,keyasint"`
	Count   uint32 `cbor:"3,keyasint"`
}

// Limits bound the resources of the container's tasks together.
type Limits struct {
	// CPUBudget and CPUPeriod (nanoseconds) give the container CPUBudget of CPU time
	// in every CPUPeriod; both 0 for unlimited, else 0 < budget ≤ period.
	CPUBudget uint64 `cbor:"1,keyasint"`
	CPUPeriod uint64 `cbor:"2,keyasint"`
	// CPUPriority is the highest scheduling priority (0–255) any of its tasks may
	// have.
	CPUPriority uint32 `cbor:"3,keyasint"`
	// Memory is the container's memory budget in bytes: > 0, at most MaxMemory.
	Memory uint64 `cbor:"4,keyasint"`
	// MaxTasks is how many tasks the container may have at once, > 0.
	MaxTasks uint32 `cbor:"5,keyasint"`
	// IOBytesPerSec and IOOpsPerSec bound its storage I/O rate; 0 for unlimited.
	IOBytesPerSec uint64 `cbor:"6,keyasint"`
	IOOpsPerSec   uint64 `cbor:"7,keyasint"`
	// OOM is what happens when the memory budget is exhausted.
	OOM OOMPolicy `cbor:"8,keyasint"`
	// Devices lists the devices the container may open, by name ([a-z0-9:.-]+);
	// none means no device access.
	Devices []string `cbor:"9,keyasint,omitempty"`
}

// OOMPolicy is what the kernel does when a container's memory budget is exhausted.
type OOMPolicy uint8

// The out-of-memory policies.
const (
	// OOMKillContainer stops every task of the container (the default).
	OOMKillContainer OOMPolicy = 0
	// OOMKillLargestTask stops the container's task using the most memory.
	OOMKillLargestTask OOMPolicy = 1
)

// String returns the policy's name as docs/CONTAINERS.md spells it.
func (p OOMPolicy) String() string {
	switch p {
	case OOMKillContainer:
		return "kill-container"
	case OOMKillLargestTask:
		return "kill-largest-task"
	}
	return fmt.Sprintf("OOMPolicy(%d)", uint8(p))
}

// Link is the container's side of an inter-container link: the right to use Service
// registered by the container Peer.
type Link struct {
	// Peer is the other container's name; not this container.
	Peer string `cbor:"1,keyasint"`
	// Service is the peer's service name.
	Service string `cbor:"2,keyasint"`
	// Rights are the rights the capability to the service carries: a non-empty
	// combination of Read, Write and Grant.
	Rights abi.Rights `cbor:"3,keyasint"`
	// AllowGrant must be set for Rights to include Grant, so that passing capabilities
	// across containers is never asked for by accident.
	AllowGrant bool `cbor:"4,keyasint,omitempty"`
}

// LinkRights are the rights a link may carry.
const LinkRights = abi.RightRead | abi.RightWrite | abi.RightGrant

// Limits on descriptors: a descriptor is untrusted input until its signature verifies.
const (
	MaxNameLen    = 64
	MaxNICNameLen = 15
	MaxPathLen    = 1024
	MaxMemory     = 1 << 48
	MaxPriority   = 255
	MinOutsideUID = 65536 // inside root maps only to an outside uid at least this
	MaxList       = 64    // entries of any one list
	digestLength  = 64
)

var (
	nameRE    = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)
	serviceRE = regexp.MustCompile(`^[a-z][a-z0-9.-]*$`)
	deviceRE  = regexp.MustCompile(`^[a-z0-9:.-]+$`)
)

// Errors, one per kind of failure; the messages wrapping them name the field or check
// that failed. Match with errors.Is.
var (
	ErrMalformed    = errors.New("malformed container descriptor")
	ErrInvalid      = errors.New("invalid container descriptor")
	ErrUntrustedKey = errors.New("signing key not in the trust root")
	ErrSignature    = errors.New("container descriptor signature does not verify")
	ErrNotSubset    = errors.New("container exceeds its parent")
)

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalid, field, fmt.Sprintf(format, args...))
}

func validName(s string, max int) bool { return len(s) > 0 && len(s) <= max && nameRE.MatchString(s) }

// checkList refuses lists longer than MaxList.
func checkList(field string, n int) error {
	if n > MaxList {
		return invalid(field, "%d entries; at most %d", n, MaxList)
	}
	return nil
}

// Check reports the first way d is not a well-formed descriptor, naming the field.
func (d *Descriptor) Check() error {
	if d.Format != FormatVersion {
		return invalid("format", "%d; this build reads format %d", d.Format, FormatVersion)
	}
	if !validName(d.Name, MaxNameLen) {
		return invalid("name", "%q: want 1–%d characters of a–z, 0–9 and -, starting with a letter", d.Name, MaxNameLen)
	}
	for _, c := range []func() error{d.checkImage, func() error { return d.Namespaces.check(d.Parent == "") }, d.Limits.check, d.checkLinks} {
		if err := c(); err != nil {
			return err
		}
	}
	if d.Parent != "" && !validName(d.Parent, MaxNameLen) {
		return invalid("parent", "%q: want a container name", d.Parent)
	}
	if d.Parent == d.Name {
		return invalid("parent", "container %s cannot nest in itself", d.Name)
	}
	return nil
}

func (d *Descriptor) checkImage() error {
	if len(d.Image) == 0 {
		return invalid("image", "no modules")
	}
	if err := checkList("image", len(d.Image)); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, m := range d.Image {
		f := fmt.Sprintf("image[%d]", i)
		switch {
		case !validName(m.Module, modpkg.MaxNameLen):
			return invalid(f+".module", "%q: want a module name", m.Module)
		case seen[m.Module]:
			return invalid(f+".module", "module %s listed twice", m.Module)
		case m.Version == (modpkg.Version{}):
			return invalid(f+".version", "module %s has version 0.0.0", m.Module)
		case len(m.Digest) != digestLength:
			return invalid(f+".digest", "%d bytes; want %d (SHA3-512 of the package)", len(m.Digest), digestLength)
		}
		seen[m.Module] = true
	}
	if len(d.Entry) == 0 {
		return invalid("entry", "no module to start")
	}
	if err := checkList("entry", len(d.Entry)); err != nil {
		return err
	}
	started := map[string]bool{}
	for i, e := range d.Entry {
		switch {
		case !seen[e]:
			return invalid(fmt.Sprintf("entry[%d]", i), "module %q is not in the image", e)
		case started[e]:
			return invalid(fmt.Sprintf("entry[%d]", i), "module %s listed twice", e)
		}
		started[e] = true
	}
	return nil
}

// checkPath refuses paths that are not absolute and clean, or contain "..".
func checkPath(field, p string) error {
	switch {
	case len(p) == 0 || len(p) > MaxPathLen || strings.ContainsRune(p, 0):
		return invalid(field, "%q: want 1–%d bytes without NUL", p, MaxPathLen)
	case !path.IsAbs(p):
		return invalid(field, "%q is not absolute", p)
	case slices.Contains(strings.Split(p, "/"), ".."):
		return invalid(field, "%q contains ..", p)
	case path.Clean(p) != p:
		return invalid(field, "%q is not clean (want %q)", p, path.Clean(p))
	}
	return nil
}

// check checks the namespaces; topLevel says the container nests in no other (its
// outside ids are the machine's).
func (n *Namespaces) check(topLevel bool) error {
	if err := checkList("namespaces.mounts", len(n.Mounts)); err != nil {
		return err
	}
	targets := map[string]bool{}
	for i, m := range n.Mounts {
		f := fmt.Sprintf("namespaces.mounts[%d]", i)
		if err := checkPath(f+".source", m.Source); err != nil {
			return err
		}
		if err := checkPath(f+".target", m.Target); err != nil {
			return err
		}
		if targets[m.Target] {
			return invalid(f+".target", "%q mounted twice", m.Target)
		}
		targets[m.Target] = true
	}

	if err := checkList("namespaces.network", len(n.Network)); err != nil {
		return err
	}
	nics := map[string]bool{}
	for i, nic := range n.Network {
		f := fmt.Sprintf("namespaces.network[%d]", i)
		switch {
		case !validName(nic.Name, MaxNICNameLen):
			return invalid(f+".name", "%q: want 1–%d characters of a–z, 0–9 and -, starting with a letter", nic.Name, MaxNICNameLen)
		case nics[nic.Name]:
			return invalid(f+".name", "NIC %s listed twice", nic.Name)
		}
		nics[nic.Name] = true
		if err := checkList(f+".allow", len(nic.Allow)); err != nil {
			return err
		}
		dests := map[string]bool{}
		for j, s := range nic.Allow {
			g := fmt.Sprintf("%s.allow[%d]", f, j)
			p, err := netip.ParsePrefix(s)
			switch {
			case err != nil:
				return invalid(g, "%q is not a CIDR prefix: %v", s, err)
			case p.Masked() != p || p.String() != s:
				return invalid(g, "%q is not in canonical form (want %q)", s, p.Masked().String())
			case dests[s]:
				return invalid(g, "%s listed twice", s)
			}
			dests[s] = true
		}
	}

	if err := checkList("namespaces.ipc", len(n.IPC)); err != nil {
		return err
	}
	services := map[string]bool{}
	for i, s := range n.IPC {
		f := fmt.Sprintf("namespaces.ipc[%d]", i)
		switch {
		case len(s) == 0 || len(s) > MaxNameLen || !serviceRE.MatchString(s):
			return invalid(f, "%q: want a service name of 1–%d characters of a–z, 0–9, . and -, starting with a letter", s, MaxNameLen)
		case services[s]:
			return invalid(f, "service %s listed twice", s)
		}
		services[s] = true
	}

	if err := checkIDMaps("namespaces.users", n.Users, topLevel); err != nil {
		return err
	}
	return checkIDMaps("namespaces.groups", n.Groups, topLevel)
}

// checkIDMaps checks a list of uid or gid mappings: at most abi.MaxIDMaps (what the
// kernel keeps), each non-empty and within 32 bits, not overlapping on either side,
// never mapping outside id 0, and, for a top-level container (whose outside ids are
// the machine's), mapping inside id 0 only to an unprivileged id. A nested
// container's outside ids are its parent's ids: SubsetOf checks that the parent maps
// them, and the kernel that its root still lands on an unprivileged machine id.
func checkIDMaps(field string, maps []UIDMap, topLevel bool) error {
	if len(maps) > abi.MaxIDMaps {
		return invalid(field, "%d mappings; at most %d", len(maps), abi.MaxIDMaps)
	}
	for i, u := range maps {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case u.Count == 0:
			return invalid(f+".count", "0; want at least 1")
		case uint64(u.Inside)+uint64(u.Count) > 1<<32:
			return invalid(f+".inside", "range %d+%d passes the largest id", u.Inside, u.Count)
		case uint64(u.Outside)+uint64(u.Count) > 1<<32:
			return invalid(f+".outside", "range %d+%d passes the largest id", u.Outside, u.Count)
		case u.Outside == 0:
			return invalid(f+".outside", "outside id 0 (root) cannot be mapped")
		case topLevel && u.Inside == 0 && u.Outside < MinOutsideUID:
			return invalid(f+".outside", "inside root maps to outside id %d; want an unprivileged id ≥ %d", u.Outside, MinOutsideUID)
		}
		for j, v := range maps[:i] {
			if overlap(u.Inside, u.Count, v.Inside, v.Count) {
				return invalid(f+".inside", "range %d+%d overlaps %s[%d]", u.Inside, u.Count, field, j)
			}
			if overlap(u.Outside, u.Count, v.Outside, v.Count) {
				return invalid(f+".outside", "range %d+%d overlaps %s[%d]", u.Outside, u.Count, field, j)
			}
		}
	}
	return nil
}

func overlap(a, n, b, m uint32) bool {
	return uint64(a) < uint64(b)+uint64(m) && uint64(b) < uint64(a)+uint64(n)
}

func (l *Limits) check() error {
	switch {
	case (l.CPUBudget == 0) != (l.CPUPeriod == 0) || l.CPUBudget > l.CPUPeriod:
		return invalid("limits.cpu", "budget %d ns per %d ns: want both 0, or 0 < budget ≤ period", l.CPUBudget, l.CPUPeriod)
	case l.CPUPriority > MaxPriority:
		return invalid("limits.cpu-priority", "%d; want 0–%d", l.CPUPriority, MaxPriority)
	case l.Memory == 0 || l.Memory > MaxMemory:
		return invalid("limits.memory", "%d bytes; want 1–%d", l.Memory, uint64(MaxMemory))
	case l.MaxTasks == 0:
		return invalid("limits.max-tasks", "0; want at least 1")
	case l.OOM != OOMKillContainer && l.OOM != OOMKillLargestTask:
		return invalid("limits.oom", "unknown policy %d", uint8(l.OOM))
	}
	if err := checkList("limits.devices", len(l.Devices)); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, dev := range l.Devices {
		f := fmt.Sprintf("limits.devices[%d]", i)
		switch {
		case len(dev) > MaxNameLen || !deviceRE.MatchString(dev):
			return invalid(f, "%q: want 1–%d characters of a–z, 0–9, :, . and -", dev, MaxNameLen)
		case seen[dev]:
			return invalid(f, "device %s listed twice", dev)
		}
		seen[dev] = true
	}
	return nil
}

func (d *Descriptor) checkLinks() error {
	if err := checkList("links", len(d.Links)); err != nil {
		return err
	}
	type key struct{ peer, service string }
	seen := map[key]bool{}
	for i, l := range d.Links {
		f := fmt.Sprintf("links[%d]", i)
		switch {
		case !validName(l.Peer, MaxNameLen):
			return invalid(f+".peer", "%q: want a container name", l.Peer)
		case l.Peer == d.Name:
			return invalid(f+".peer", "container %s cannot link to itself", l.Peer)
		case len(l.Service) == 0 || len(l.Service) > MaxNameLen || !serviceRE.MatchString(l.Service):
			return invalid(f+".service", "%q: want a service name", l.Service)
		case seen[key{l.Peer, l.Service}]:
			return invalid(f+".service", "link to %s/%s listed twice", l.Peer, l.Service)
		case l.Rights == 0 || l.Rights&^LinkRights != 0:
			return invalid(f+".rights", "%s: want a non-empty combination of R, W and G", l.Rights)
		case l.Rights.Has(abi.RightGrant) && !l.AllowGrant:
			return invalid(f+".rights", "%s includes Grant without allow-grant", l.Rights)
		}
		seen[key{l.Peer, l.Service}] = true
	}
	return nil
}

// clone returns a deep copy of d.
func (d *Descriptor) clone() *Descriptor {
	c := *d
	c.Image = slices.Clone(d.Image)
	for i := range c.Image {
		c.Image[i].Digest = slices.Clone(c.Image[i].Digest)
	}
	c.Entry = slices.Clone(d.Entry)
	c.Namespaces.Mounts = slices.Clone(d.Namespaces.Mounts)
	c.Namespaces.Network = slices.Clone(d.Namespaces.Network)
	for i := range c.Namespaces.Network {
		c.Namespaces.Network[i].Allow = slices.Clone(c.Namespaces.Network[i].Allow)
	}
	c.Namespaces.IPC = slices.Clone(d.Namespaces.IPC)
	c.Namespaces.Users = slices.Clone(d.Namespaces.Users)
	c.Namespaces.Groups = slices.Clone(d.Namespaces.Groups)
	c.Limits.Devices = slices.Clone(d.Limits.Devices)
	c.Links = slices.Clone(d.Links)
	return &c
}
