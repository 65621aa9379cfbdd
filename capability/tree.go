package capability

import "github.com/skyscope-os/skyscope/kernel/abi"

// Tree is one kernel's derivation tree: the operations that create, derive and delete
// capabilities, and the work list of objects waiting to be finalized. One Tree spans
// every space of one kernel. It is not safe for concurrent use; the kernel serialises
// all calls (it runs with interrupts off, one system call at a time).
type Tree struct {
	nextID    uint64
	zombies   []Object // objects whose last capability is gone, not yet finalized
	draining  bool
	Finalized uint64 // number of objects finalized so far (statistics)
}

// Insert places an original or retyped capability to obj in the empty slot dst, as a
// child of parent (nil for an original, such as the kernel's boot capabilities). obj
// must not have been finalized.
func (t *Tree) Insert(dst *Slot, obj Object, rights abi.Rights, badge abi.Badge, parent *Slot) abi.Errno {
	switch {
	case dst.index == 0:
		return abi.ErrRange
	case dst.obj != nil:
		return abi.ErrSlotFull
	case obj == nil || obj.hdr().dead:
		return abi.ErrInvalidArg
	case !rights.Valid():
		return abi.ErrInvalidArg
	case badge != 0 && !badgeable(obj.Type()):
		return abi.ErrInvalidArg
	case parent != nil && parent.obj == nil:
		return abi.ErrInvalidCap
	}
	h := obj.hdr()
	if h.id == 0 {
		t.nextID++
		h.id = t.nextID
	}
	t.fill(dst, obj, rights, badge)
	if parent != nil {
		link(dst, parent)
	}
	return abi.OK
}

// Copy derives a capability to the same object into the empty slot dst, with the rights
// of src masked by mask and the same badge.
func (t *Tree) Copy(dst, src *Slot, mask abi.Rights) abi.Errno {
	return t.Mint(dst, src, mask, 0)
}

// Mint derives a capability into the empty slot dst with the rights of src masked by
// mask and, if badge is non-zero, that badge. Only an unbadged endpoint or notification
// capability can be given a badge: a badge, once set, is fixed for all descendants.
func (t *Tree) Mint(dst, src *Slot, mask abi.Rights, badge abi.Badge) abi.Errno {
	if e := checkDerive(dst, src, mask, badge); e != abi.OK {
		return e
	}
	if badge == 0 {
		badge = src.badge
	}
	t.fill(dst, src.obj, src.rights&mask, badge)
	link(dst, src)
	return abi.OK
}

func checkDerive(dst, src *Slot, mask abi.Rights, badge abi.Badge) abi.Errno {
	switch {
	case src.obj == nil:
		return abi.ErrInvalidCap
	case dst.index == 0:
		return abi.ErrRange
	case dst.obj != nil:
		return abi.ErrSlotFull
	case !mask.Valid():
		return abi.ErrInvalidArg
	case badge != 0 && !badgeable(src.obj.Type()):
		return abi.ErrInvalidArg
	case badge != 0 && src.badge != 0:
		return abi.ErrIllegal
	}
	return abi.OK
}

// Move moves the capability in src to the empty slot dst, which takes src's place in the
// derivation tree. src becomes empty. Moving a slot onto itself is refused.
func (t *Tree) Move(dst, src *Slot) abi.Errno {
	switch {
	case src.obj == nil:
		return abi.ErrInvalidCap
	case dst.index == 0:
		return abi.ErrRange
	case dst == src || dst.obj != nil:
		return abi.ErrSlotFull
	}
	t.moveLocked(dst, src, src.rights, src.badge)
	return abi.OK
}

// Mutate moves the capability in src to the empty slot dst, masking its rights by mask
// and, if badge is non-zero, setting that badge (allowed only on an unbadged endpoint or
// notification capability). A capability that has derived children cannot change its
// rights or badge this way (ErrRevoked: revoke it first), because the children would
// otherwise hold rights or a badge their parent lacks.
func (t *Tree) Mutate(dst, src *Slot, mask abi.Rights, badge abi.Badge) abi.Errno {
	// checkDerive refuses dst == src: ErrInvalidCap if it is empty (as Move does),
	// ErrSlotFull otherwise.
	if e := checkDerive(dst, src, mask, badge); e != abi.OK {
		return e
	}
	rights := src.rights & mask
	if badge == 0 {
		badge = src.badge
	}
	if (rights != src.rights || badge != src.badge) && src.firstChild != nil {
		return abi.ErrRevoked
	}
	t.moveLocked(dst, src, rights, badge)
	return abi.OK
}

func (t *Tree) moveLocked(dst, src *Slot, rights abi.Rights, badge abi.Badge) {
	dst.obj, dst.rights, dst.badge = src.obj, rights, badge
	// dst takes src's exact position among its siblings and adopts its children.
	dst.parent, dst.prev, dst.next = src.parent, src.prev, src.next
	if dst.prev != nil {
		dst.prev.next = dst
	} else if dst.parent != nil {
		dst.parent.firstChild = dst
	}
	if dst.next != nil {
		dst.next.prev = dst
	}
	dst.firstChild = src.firstChild
	for c := dst.firstChild; c != nil; c = c.next {
		c.parent = dst
	}
	*src = Slot{space: src.space, index: src.index}
}

// Delete removes the capability in s. Its children are handed to its parent, so they
// stay reachable by a revoke of any ancestor. If s held the last capability to its
// object, the object is finalized before Delete returns. Deleting an empty slot is
// ErrInvalidCap.
func (t *Tree) Delete(s *Slot) abi.Errno {
	if s.obj == nil {
		return abi.ErrInvalidCap
	}
	t.DeleteLocked(s)
	t.drain()
	return abi.OK
}

// DeleteLocked removes the capability in s (if any) like Delete, but defers finalizing
// its object to the work list of the operation in progress. Finalizers use it to clear
// the slots their object owns.
func (t *Tree) DeleteLocked(s *Slot) {
	if s.obj == nil {
		return
	}
	// Hand the children to the parent, in place of s.
	for c := s.firstChild; c != nil; {
		next := c.next
		unlink(c)
		if s.parent != nil {
			link(c, s.parent)
		} else {
			c.parent = nil
		}
		c = next
	}
	unlink(s)
	obj := s.obj
	*s = Slot{space: s.space, index: s.index}
	h := obj.hdr()
	h.caps--
	if h.caps == 0 {
		h.dead = true
		t.zombies = append(t.zombies, obj)
	}
}

// Revoke deletes every capability derived from s, in every space, finalizing objects
// whose last capability goes. s itself stays. Revoking an empty slot is ErrInvalidCap.
func (t *Tree) Revoke(s *Slot) abi.Errno {
	if s.obj == nil {
		return abi.ErrInvalidCap
	}
	t.RevokeLocked(s)
	t.drain()
	return abi.OK
}

// RevokeLocked deletes every descendant of s like Revoke, deferring finalization to the
// work list of the operation in progress.
func (t *Tree) RevokeLocked(s *Slot) {
	// Delete leaves first: a leaf has no children to hand up, so the walk never
	// re-parents anything into the subtree it is clearing. Finalizers do not run
	// until drain, so nothing else changes the tree meanwhile.
	// Each search resumes at the deleted leaf's parent, so the walk is linear in the
	// size of the subtree.
	from := s
	for s.firstChild != nil {
		leaf := from
		for leaf.firstChild != nil {
			leaf = leaf.firstChild
		}
		from = leaf.parent
		t.DeleteLocked(leaf)
	}
}

// drain finalizes queued objects until none are left. Finalizers may queue more.
func (t *Tree) drain() {
	if t.draining {
		return // an outer drain on the stack will finish the list
	}
	t.draining = true
	for len(t.zombies) > 0 {
		obj := t.zombies[len(t.zombies)-1]
		t.zombies[len(t.zombies)-1] = nil
		t.zombies = t.zombies[:len(t.zombies)-1]
		t.Finalized++
		obj.Finalize(t)
	}
	t.draining = false
}

// Drain finalizes every object queued by DeleteLocked or RevokeLocked. Call it once the
// operation that queued them is complete.
func (t *Tree) Drain() { t.drain() }

// Live returns the number of objects that have had a capability and have not been
// finalized yet (objects waiting on the work list included).
func (t *Tree) Live() uint64 { return t.nextID - t.Finalized }

func (t *Tree) fill(dst *Slot, obj Object, rights abi.Rights, badge abi.Badge) {
	dst.obj, dst.rights, dst.badge = obj, rights, badge
	dst.parent, dst.firstChild, dst.prev, dst.next = nil, nil, nil, nil
	obj.hdr().caps++
}

// link makes c the first child of p.
func link(c, p *Slot) {
	c.parent = p
	c.prev = nil
	c.next = p.firstChild
	if c.next != nil {
		c.next.prev = c
	}
	p.firstChild = c
}

// unlink removes c from its parent's child list.
func unlink(c *Slot) {
	if c.prev != nil {
		c.prev.next = c.next
	} else if c.parent != nil {
		c.parent.firstChild = c.next
	}
	if c.next != nil {
		c.next.prev = c.prev
	}
	c.parent, c.prev, c.next = nil, nil, nil
}
