package kernel

import (
	"fmt"
	"slices"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Link is a channel between two containers, the only way a capability crosses from
// one to another: an endpoint whose original capability the kernel keeps, and two
// derived ends with restricted rights — the client end (Write, plus Grant only if
// allowed) for the first container's side, the server end (Read, plus GrantReply
// only if allowed) for the peer's. Revoking the link revokes the original, so both
// ends and anything derived from them disappear wherever they were passed; a task
// blocked on the endpoint gets ErrCancelled. Destroying either container revokes its
// links.
type Link struct {
	id     uint64           // immutable; unique since boot
	a, b   *Container       // immutable; the client side and the server side
	ep     *Endpoint        // immutable
	holder *capability.Slot // the kernel's original capability to ep
	state  LinkState        // changed only by setState
}

// LinkState is where a link is in its life. link.pml (next to this file) models the
// same states (its mtype:link) and transitions (its TRANS(from, to) steps);
// TestLinkModelMatchesCode fails when they drift apart.
type LinkState uint8

const (
	// LinkNone: the request is being checked (runtime.Link's descriptors, the
	// caller's capabilities, linkable); nothing exists yet. Leaves for LinkLive when
	// LinkContainers makes the endpoint and places both ends, all in one kernel
	// operation.
	LinkNone LinkState = iota
	// LinkLive: the endpoint exists, the kernel holds its original capability, and
	// both ends (and whatever was copied from them) derive from it. Leaves for
	// LinkRevoked when a side revokes it (RevokeLink) or a side is destroyed.
	LinkLive
	// LinkRevoked: the original's derivation subtree was revoked and the original
	// deleted: no end remains anywhere. Final.
	LinkRevoked

	numLinkStates = iota
)

var linkStateNames = [numLinkStates]string{"None", "Live", "Revoked"}

// String returns the state's name, as link.pml spells it.
func (s LinkState) String() string {
	if s < numLinkStates {
		return linkStateNames[s]
	}
	return fmt.Sprintf("LinkState(%d)", uint8(s))
}

// linkNext lists the legal transitions out of each link state.
var linkNext = [numLinkStates][]LinkState{
	LinkNone:    {LinkLive},
	LinkLive:    {LinkRevoked},
	LinkRevoked: nil,
}

// setState moves l to state s; a transition linkNext does not list is a kernel bug.
func (l *Link) setState(s LinkState) {
	if !slices.Contains(linkNext[l.state], s) {
		panic(fmt.Sprintf("kernel: illegal link transition %v → %v", l.state, s))
	}
	l.state = s
}

// State returns where the link is in its life: LinkLive until revoked.
func (l *Link) State() LinkState { return l.state }

// ID returns the link's id, unique since boot.
func (l *Link) ID() uint64 { return l.id }

// Sides returns the containers the link joins: the client side and the server side.
func (l *Link) Sides() (*Container, *Container) { return l.a, l.b }

// Links returns c's live links.
func (c *Container) Links() []*Link { return append([]*Link(nil), c.links...) }

// linkable reports why c cannot take part in a new link, or nil.
func linkable(c *Container) error {
	if c.parent == nil || c.state == abi.ContainerDestroyed {
		return ctrErr(abi.ErrIllegal, "container %s cannot be linked (%v)", c.name, c.state)
	}
	return nil
}

// LinkContainers makes a link from a (client) to b (server) and places its ends in
// the empty slots aEnd and bEnd (as children of the kernel's original: no one else
// can revoke them, and revoking the link reaches them wherever they went). grant
// allows capabilities to travel over it. On an error nothing changed.
func (k *Kernel) LinkContainers(a, b *Container, aEnd, bEnd *capability.Slot, grant bool) (*Link, error) {
	if err := linkable(a); err != nil {
		return nil, err
	}
	if err := linkable(b); err != nil {
		return nil, err
	}
	switch {
	case a == b:
		return nil, ctrErr(abi.ErrInvalidArg, "a container cannot be linked to itself")
	case aEnd == bEnd:
		return nil, ctrErr(abi.ErrInvalidArg, "both ends would go to one slot")
	case !aEnd.Empty() || !bEnd.Empty():
		return nil, ctrErr(abi.ErrSlotFull, "a destination slot is not empty")
	case a.budget.free() < abi.SizeEndpoint:
		a.budget.refuse(abi.SizeEndpoint)
		return nil, ctrErr(abi.ErrNoMemory, "container %s has no room for the link's endpoint", a.name)
	}
	holder, err := k.holderSlot()
	if err != nil {
		return nil, err
	}
	ep := &Endpoint{}
	ep.k, ep.objBase.budget, ep.cost = k, a.budget, abi.SizeEndpoint
	a.budget.charge(abi.SizeEndpoint)
	k.mustInsert(holder, ep, nil)
	client, server := abi.RightWrite, abi.RightRead
	if grant {
		client, server = client|abi.RightGrant, server|abi.RightGrantReply
	}
	if e := k.tree.Copy(aEnd, holder, client); e != abi.OK {
		panic("kernel: link end copy failed after checks: " + e.Error())
	}
	if e := k.tree.Copy(bEnd, holder, server); e != abi.OK {
		panic("kernel: link end copy failed after checks: " + e.Error())
	}
	k.ctrs.nextLink++
	l := &Link{id: k.ctrs.nextLink, a: a, b: b, ep: ep, holder: holder}
	l.setState(LinkLive)
	a.links = append(a.links, l)
	b.links = append(b.links, l)
	if k.ctrs.linkEPs == nil {
		k.ctrs.linkEPs = map[*Endpoint]*Link{}
	}
	k.ctrs.linkEPs[ep] = l
	k.logf("link %d: container %s → %s", l.id, a.name, b.name)
	return l, nil
}

// RevokeLink revokes link id of container c (either side): both ends and everything
// derived from them are deleted and the endpoint is freed.
func (k *Kernel) RevokeLink(c *Container, id uint64) error {
	for _, l := range c.links {
		if l.id == id {
			k.revokeLink(l)
			return nil
		}
	}
	return ctrErr(abi.ErrNotFound, "container %s has no link %d", c.name, id)
}

func (k *Kernel) revokeLink(l *Link) {
	for _, c := range []*Container{l.a, l.b} {
		for i, x := range c.links {
			if x == l {
				c.links = append(c.links[:i], c.links[i+1:]...)
				break
			}
		}
	}
	delete(k.ctrs.linkEPs, l.ep)
	k.tree.Revoke(l.holder)
	k.tree.Delete(l.holder)
	l.setState(LinkRevoked)
	k.logf("link %d revoked", l.id)
}
