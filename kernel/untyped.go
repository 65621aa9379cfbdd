package kernel

import (
	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Untyped is a memory budget: the only way user requests make kernel memory grow.
// Retype makes objects from it and charges their size; an object's death credits the
// bytes back. Capabilities to objects made by Retype are children of the Untyped's
// capability in the derivation tree, so revoking that capability destroys every object
// made from it and returns the budget to empty. A container's memory limit is the size
// of the Untyped it is given.
//
// seL4's Untyped is a physical address range carved by a watermark; this one is a quota
// over kernel and frame memory, which lets freed memory be reused at once without
// revoking every sibling first.
//
// A pooled Untyped (a task's budget inside a container) reserves nothing: it is a cap
// on what one task may use of its container's budget, its pool. Every charge to it is
// also a charge to the pool, so the container's limit bounds all its tasks together
// and memory one task frees is at once available to the others (cgroup semantics);
// a plain child Untyped instead reserves its whole capacity in its parent at once.
type Untyped struct {
	objBase
	capacity uint64     // changes only by resize (a container's new memory limit)
	used     uint64     // bytes charged by live objects (including child Untypeds and pooled budgets)
	pool     *Untyped   // immutable; the container budget every charge also goes to, or nil
	ctr      *Container // immutable; the container whose budget this is (its own or pooled), or nil
	released bool       // its cost went back to its parent budget (see settle)
}

// Capacity returns the budget's size in bytes.
func (u *Untyped) Capacity() uint64 { return u.capacity }

// Used returns the bytes charged by live objects.
func (u *Untyped) Used() uint64 { return u.used }

// Type implements capability.Object.
func (u *Untyped) Type() abi.ObjectType { return abi.ObjUntyped }

// Finalize implements capability.Object. Objects made from the budget may outlive its
// last capability; the bytes go back to the parent budget only when they are all gone.
func (u *Untyped) Finalize(*capability.Tree) {
	u.settle()
}

// parentCharge returns what u costs the budget it was carved from or pools in: its
// reservation, or for a pooled budget (a task's, an on-demand container's) what it
// uses now.
func (u *Untyped) parentCharge() uint64 {
	if u.pool != nil {
		return u.cost + u.used
	}
	return u.cost
}

// settle returns a dead budget's own cost to its parent once nothing charges it any
// more. It runs from Finalize and from credit, whichever comes last — an Untyped is
// dead (its last capability gone) before its finalizer runs, and credits can reach
// it in between — so it must release exactly once.
func (u *Untyped) settle() {
	if u.used == 0 && u.Dead() && !u.released {
		u.released = true
		u.release()
	}
}

func (u *Untyped) credit(n uint64) {
	for x := u; x != nil; x = x.pool {
		if n > x.used {
			panic("kernel: Untyped credited more than it charged")
		}
		x.used -= n
		x.settle()
	}
}

// charge records n more bytes in use; the caller checked free.
func (u *Untyped) charge(n uint64) {
	for x := u; x != nil; x = x.pool {
		x.used += n
	}
}

// free returns the bytes that can still be charged to u: its own room, and its pool's.
func (u *Untyped) free() uint64 {
	f := u.capacity - u.used
	for x := u.pool; x != nil; x = x.pool {
		f = min(f, x.capacity-x.used)
	}
	return f
}

// refuse records an allocation of n bytes that u cannot cover, in the counters of
// the containers whose budgets ran out (memory.events "max"), and returns the
// container whose out-of-memory policy applies: the innermost container whose budget
// is in u's chain, if it or anything it draws from is short (nil if the shortage is
// only u's own cap, or outside any container). For a container whose memory is on
// demand (pooled in its parent's budget) a shortage of the parent is thus met by the
// policy of the container that asked for more, never a neighbour's.
func (u *Untyped) refuse(n uint64) *Container {
	var hit, policy *Container
	for x := u; x != nil; x = x.pool {
		isCtr := x.ctr != nil && x == x.ctr.budget
		if isCtr && policy == nil {
			policy = x.ctr
		}
		if x.capacity-x.used < n {
			if isCtr {
				x.ctr.events.MemLimitHits++
			}
			if policy != nil {
				hit = policy
			}
		}
	}
	return hit
}

// retypeArgs is a decoded, fully checked Retype.
type retypeArgs struct {
	src   *capability.Slot // the Untyped's capability
	ut    *Untyped
	typ   abi.ObjectType
	size  uint64
	cost  uint64
	dests []*capability.Slot
}

// maxRetypeCount bounds one Retype so that a single system call does bounded work.
const maxRetypeCount = 256

// decodeRetype checks a Retype request completely; it changes nothing.
func (k *Kernel) decodeRetype(src *capability.Slot, typ abi.ObjectType, size uint64,
	dstSpace *capability.Space, first, count uint64, dests []*capability.Slot) (retypeArgs, abi.Errno) {
	ut := src.Object().(*Untyped)
	if !typ.Retypable() {
		return retypeArgs{}, abi.ErrInvalidArg
	}
	if count == 0 || count > maxRetypeCount {
		return retypeArgs{}, abi.ErrRange
	}
	cost, e := objectCost(typ, size)
	if e != abi.OK {
		return retypeArgs{}, e
	}
	if first == 0 || first >= uint64(dstSpace.Len()) || count > uint64(dstSpace.Len())-first {
		return retypeArgs{}, abi.ErrRange
	}
	dests = dests[:0]
	for i := range count {
		d, e := dstSpace.Dest(abi.CPtr(first + i))
		if e != abi.OK {
			return retypeArgs{}, e
		}
		dests = append(dests, d)
	}
	total := cost * count // cost ≤ 2^48 and count ≤ 256: no overflow
	if total > ut.free() {
		ut.refuse(total)
		return retypeArgs{}, abi.ErrNoMemory
	}
	if typ == abi.ObjFrame && uint64(k.usableFrames()) < count {
		return retypeArgs{}, abi.ErrNoMemory
	}
	if typ == abi.ObjAddressSpace && uint64(k.usableFrames()) < count {
		return retypeArgs{}, abi.ErrNoMemory
	}
	return retypeArgs{src: src, ut: ut, typ: typ, size: size, cost: cost, dests: dests}, abi.OK
}

// invokeRetype makes the objects of a decoded Retype; it cannot fail.
func (k *Kernel) invokeRetype(a retypeArgs) {
	for _, d := range a.dests {
		obj := k.newObject(a.typ, a.size)
		if t, ok := obj.(*TCB); ok {
			t.bindThread(a.ut.container()) // a thread made inside a container stays in it
		}
		b := obj.(interface{ base() *objBase }).base()
		b.budget, b.cost = a.ut, a.cost
		a.ut.charge(a.cost)
		if e := k.tree.Insert(d, obj, abi.AllRights, 0, a.src); e != abi.OK {
			panic("kernel: Retype insert failed after decode: " + e.Error())
		}
	}
}

func (o *objBase) base() *objBase { return o }

// newObject makes one object of type t. Resources it needs were checked by decode.
func (k *Kernel) newObject(t abi.ObjectType, size uint64) capability.Object {
	switch t {
	case abi.ObjUntyped:
		u := &Untyped{capacity: size}
		u.k = k
		return u
	case abi.ObjTCB:
		return k.newTCB()
	case abi.ObjEndpoint:
		e := &Endpoint{}
		e.k = k
		return e
	case abi.ObjNotification:
		n := &Notification{}
		n.k = k
		return n
	case abi.ObjReply:
		r := &Reply{}
		r.k = k
		return r
	case abi.ObjCSpace:
		return k.newCSpace(int(size))
	case abi.ObjFrame:
		return k.newFrame()
	case abi.ObjAddressSpace:
		return k.newAddressSpace()
	}
	panic("kernel: newObject of non-retypable type " + t.String())
}
