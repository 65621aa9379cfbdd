// Package runtime instantiates verified container descriptors as kernel containers:
// the bridge between the signed description (container/descriptor) and the kernel's
// container object (kernel.Container), which knows nothing of descriptors or
// signatures. Only a *descriptor.Verified reaches Create, so a descriptor whose
// signature or checks failed cannot become a container.
package runtime

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/runtime/spec"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// ErrParent is returned by Create when the descriptor names a parent other than the
// container it is asked to nest in.
var ErrParent = errors.New("container descriptor names another parent")

// Limits returns the kernel limits a descriptor asks for (spec.Limits): its CPU
// budget, priority ceiling, memory, task limit, OOM policy and I/O rates, and a shared
// pid namespace if its namespaces say so. (The kernel keeps the I/O rate limits; the
// services that do the I/O charge requests to them. Create puts the descriptor's
// devices on the container's allow-list.)
func Limits(d *descriptor.Descriptor) abi.ContainerLimits { return spec.Limits(d) }

// KernelName returns the name the kernel keeps for a descriptor's container: its
// name cut to abi.ContainerNameBytes (a descriptor's name may be longer).
func KernelName(d *descriptor.Descriptor) string { return spec.KernelName(d.Name) }

// Create makes the container v describes, nested in parent (k.RootContainer() for a
// top-level one, whose descriptor names no parent), with its limits, its user and
// group id mappings, the devices its descriptor names on its allow-list
// (MatchDevices) and its IPC allow-list (namespaces.ipc: the only names its tasks may
// register; none listed, none). The descriptor's parent, if it names one, must be parent. The
// kernel checks the limits and mappings against parent's; on an error nothing was
// made.
func Create(k *kernel.Kernel, parent *kernel.Container, v *descriptor.Verified) (*kernel.Container, error) {
	d := v.Descriptor()
	want := ""
	if parent.Parent() != nil {
		want = parent.Name()
	}
	if d.Parent != want && !(len(d.Parent) > abi.ContainerNameBytes && KernelName(&descriptor.Descriptor{Name: d.Parent}) == want) {
		return nil, fmt.Errorf("%w: %q, asked to nest in %q", ErrParent, d.Parent, want)
	}
	// The devices first: a name this machine lacks refuses the descriptor before
	// anything is made.
	var devices []int
	for _, name := range d.Limits.Devices {
		idx, err := MatchDevices(k.Devices(), name)
		if err != nil {
			return nil, fmt.Errorf("container %s: %w", d.Name, err)
		}
		devices = append(devices, idx...)
	}
	c, err := k.CreateContainer(parent, KernelName(d), Limits(d))
	if err != nil {
		return nil, err
	}
	for _, i := range devices {
		if err := k.AllowDevice(c, i); err != nil {
			_ = k.DestroyContainer(c)
			return nil, fmt.Errorf("container %s: %w", d.Name, err)
		}
	}
	for kind, maps := range spec.IDMaps(d) {
		if len(maps) == 0 {
			continue // nothing mapped: the container's ids have no identity outside
		}
		if err := k.SetContainerIDMap(c, abi.IDKind(kind), maps); err != nil {
			_ = k.DestroyContainer(c)
			return nil, fmt.Errorf("container %s: %w", d.Name, err)
		}
	}
	// Every descriptor has an IPC allow-list, an empty one included: its tasks may
	// register only the names it lists. The kernel enforces it, being the registry.
	if err := k.AllowName(c, ""); err != nil {
		_ = k.DestroyContainer(c)
		return nil, fmt.Errorf("container %s: %w", d.Name, err)
	}
	for _, name := range d.Namespaces.IPC {
		if err := k.AllowName(c, name); err != nil {
			_ = k.DestroyContainer(c)
			return nil, fmt.Errorf("container %s: namespaces.ipc: %w", d.Name, err)
		}
	}
	return c, nil
}

// ErrLinkNotAllowed is returned by Link when the two descriptors do not both ask for
// the link: links are denied by default.
var ErrLinkNotAllowed = errors.New("link not asked for by both containers' descriptors")

// Link connects client to server for service, as both descriptors allow: the
// client's descriptor must list {Peer: server's name, Service: service} with Write
// among its rights, and the server's {Peer: client's name, Service: service}. The
// link carries capabilities only if both list Grant. The ends go to the empty slots
// clientEnd and serverEnd (see kernel.LinkContainers), for the caller to grant to the
// tasks of each side. cd and sd must be the descriptors client and server were made
// from. (The descriptors say that two containers may be linked for a service, not
// which one serves it: the caller, which starts the server, decides.) kernel/link.pml
// models this check as the decode step of its Service (desc[c]; seeded bug
// BUG_ONE_SIDED is this function checking only the client's descriptor).
func Link(k *kernel.Kernel, client, server *kernel.Container, cd, sd *descriptor.Verified, service string,
	clientEnd, serverEnd *capability.Slot) (*kernel.Link, error) {
	c, s := cd.Descriptor(), sd.Descriptor()
	if KernelName(c) != client.Name() || KernelName(s) != server.Name() {
		return nil, fmt.Errorf("descriptors %q and %q are not those of containers %q and %q", c.Name, s.Name, client.Name(), server.Name())
	}
	find := func(d *descriptor.Descriptor, peer string) (descriptor.Link, bool) {
		for _, l := range d.Links {
			if l.Peer == peer && l.Service == service {
				return l, true
			}
		}
		return descriptor.Link{}, false
	}
	cl, ok1 := find(c, s.Name)
	sl, ok2 := find(s, c.Name)
	switch {
	case !ok1:
		return nil, fmt.Errorf("%w: %s does not ask for %s/%s", ErrLinkNotAllowed, c.Name, s.Name, service)
	case !ok2:
		return nil, fmt.Errorf("%w: %s does not offer %s to %s", ErrLinkNotAllowed, s.Name, service, c.Name)
	case !cl.Rights.Has(abi.RightWrite):
		return nil, fmt.Errorf("%w: %s asks for %s/%s without Write", ErrLinkNotAllowed, c.Name, s.Name, service)
	}
	grant := cl.Rights.Has(abi.RightGrant) && sl.Rights.Has(abi.RightGrant)
	return k.LinkContainers(client, server, clientEnd, serverEnd, grant)
}
