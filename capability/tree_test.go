package capability_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Test objects for the unit tests.

// uobj is a plain object; onFin, if set, runs inside Finalize.
type uobj struct {
	capability.Header
	typ   abi.ObjectType
	fins  int
	onFin func(t *capability.Tree)
}

func (o *uobj) Type() abi.ObjectType { return o.typ }

func (o *uobj) Finalize(t *capability.Tree) {
	o.fins++
	if o.onFin != nil {
		o.onFin(t)
	}
}

// ucspace owns a space and empties it when finalized, like a CSpace object.
type ucspace struct {
	capability.Header
	sp    *capability.Space
	fins  int
	depth int // stack depth (frames) when Finalize ran
}

func newUCSpace(n int) *ucspace {
	c := &ucspace{sp: capability.NewSpace(n)}
	c.sp.Owner = c
	return c
}

func (c *ucspace) Type() abi.ObjectType { return abi.ObjCSpace }

func (c *ucspace) Finalize(t *capability.Tree) {
	c.fins++
	var pcs [4096]uintptr
	c.depth = runtime.Callers(0, pcs[:])
	for i := 0; i < c.sp.Len(); i++ {
		t.DeleteLocked(c.sp.At(i))
	}
}

func ep() *uobj    { return &uobj{typ: abi.ObjEndpoint} }
func ntfn() *uobj  { return &uobj{typ: abi.ObjNotification} }
func frame() *uobj { return &uobj{typ: abi.ObjFrame} }

const (
	rR  = abi.RightRead
	rW  = abi.RightWrite
	rG  = abi.RightGrant
	rGR = abi.RightGrantReply
	rRW = abi.RightRead | abi.RightWrite
	all = abi.AllRights
)

// insert puts an original capability in sp[i] and fails the test on error.
func insert(t *testing.T, tr *capability.Tree, sp *capability.Space, i int, o capability.Object, r abi.Rights, b abi.Badge) *capability.Slot {
	t.Helper()
	s := sp.At(i)
	if e := tr.Insert(s, o, r, b, nil); e != abi.OK {
		t.Fatalf("Insert(sp[%d]) = %v", i, e)
	}
	return s
}

func mustOK(t *testing.T, op string, e abi.Errno) {
	t.Helper()
	if e != abi.OK {
		t.Fatalf("%s = %v, want success", op, e)
	}
}

// dump renders the full state of the given spaces and objects, so that a failing
// operation can be checked to have changed nothing.
func dump(spaces []*capability.Space, objs ...capability.Object) string {
	name := func(s *capability.Slot) string {
		if s == nil {
			return "-"
		}
		for si, sp := range spaces {
			if s.Space() == sp {
				return fmt.Sprintf("%d:%d", si, s.Index())
			}
		}
		return fmt.Sprintf("?%p", s)
	}
	var b strings.Builder
	for si, sp := range spaces {
		for i := 0; i < sp.Len(); i++ {
			s := sp.At(i)
			fmt.Fprintf(&b, "%d:%d obj=%p r=%v b=%d p=%s c=[", si, i, s.Object(), s.Rights(), s.Badge(), name(s.Parent()))
			s.Children(func(c *capability.Slot) { b.WriteString(name(c) + " ") })
			b.WriteString("]\n")
		}
	}
	for _, o := range objs {
		h := o.(interface {
			ID() uint64
			Caps() int
			Dead() bool
		})
		fmt.Fprintf(&b, "%p id=%d caps=%d dead=%v\n", o, h.ID(), h.Caps(), h.Dead())
	}
	return b.String()
}

// children returns s's children in list order.
func children(s *capability.Slot) []*capability.Slot {
	var out []*capability.Slot
	s.Children(func(c *capability.Slot) { out = append(out, c) })
	return out
}

func sameSlots(a, b []*capability.Slot) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// failing runs op, which must fail with want and change nothing in spaces or objs.
func failing(t *testing.T, name string, want abi.Errno, spaces []*capability.Space, objs []capability.Object, op func() abi.Errno) {
	t.Helper()
	before := dump(spaces, objs...)
	if got := op(); got != want {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
	if after := dump(spaces, objs...); after != before {
		t.Errorf("%s failed but changed state:\nbefore:\n%safter:\n%s", name, before, after)
	}
}

// Spaces.

func TestNewSpaceNeedsASlot(t *testing.T) {
	for _, n := range []int{0, -1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSpace(%d) did not panic", n)
				}
			}()
			capability.NewSpace(n)
		}()
	}
	defer func() {
		if recover() == nil {
			t.Errorf("Init(0) did not panic")
		}
	}()
	var sp capability.Space
	sp.Init(0)
}

func TestSpaceSlots(t *testing.T) {
	var embedded struct{ sp capability.Space }
	embedded.sp.Init(3)
	for _, sp := range []*capability.Space{capability.NewSpace(5), &embedded.sp} {
		for i := 0; i < sp.Len(); i++ {
			s := sp.At(i)
			if s.Space() != sp || s.Index() != i {
				t.Errorf("At(%d): Space()/Index() = %p/%d", i, s.Space(), s.Index())
			}
			if !s.Empty() || s.Object() != nil || s.Rights() != 0 || s.Badge() != 0 || s.Parent() != nil || s.HasChildren() {
				t.Errorf("At(%d) is not empty", i)
			}
		}
	}
	if n := capability.NewSpace(5).Len(); n != 5 {
		t.Errorf("Len() = %d", n)
	}
}

func TestLookup(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	s2 := insert(t, &tr, sp, 2, ep(), all, 0)
	for _, c := range []abi.CPtr{0, 1, 3, 4, 5, 1 << 32, 1 << 63, ^abi.CPtr(0)} {
		if s, e := sp.Lookup(c); e != abi.ErrInvalidCap || s != nil {
			t.Errorf("Lookup(%d) = %v, %v; want nil, ErrInvalidCap", c, s, e)
		}
	}
	if s, e := sp.Lookup(2); e != abi.OK || s != s2 {
		t.Errorf("Lookup(2) = %v, %v", s, e)
	}
}

func TestDest(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	insert(t, &tr, sp, 2, ep(), all, 0)
	for _, c := range []abi.CPtr{0, 4, 5, 1 << 32, 1 << 63, ^abi.CPtr(0)} {
		if s, e := sp.Dest(c); e != abi.ErrRange || s != nil {
			t.Errorf("Dest(%d) = %v, %v; want nil, ErrRange", c, s, e)
		}
	}
	if s, e := sp.Dest(2); e != abi.ErrSlotFull || s != nil {
		t.Errorf("Dest(2) = %v, %v; want nil, ErrSlotFull", s, e)
	}
	for _, c := range []abi.CPtr{1, 3} {
		if s, e := sp.Dest(c); e != abi.OK || s != sp.At(int(c)) {
			t.Errorf("Dest(%d) = %v, %v", c, s, e)
		}
	}
}

func TestEach(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(6)
	insert(t, &tr, sp, 4, ep(), all, 0)
	insert(t, &tr, sp, 1, ep(), all, 0)
	insert(t, &tr, sp, 5, ep(), all, 0)
	var got []int
	sp.Each(func(s *capability.Slot) { got = append(got, s.Index()) })
	if fmt.Sprint(got) != "[1 4 5]" {
		t.Errorf("Each visited %v, want [1 4 5]", got)
	}
}

// Insert.

func TestInsertErrors(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	held := ep()
	insert(t, &tr, sp, 1, held, all, 0)
	dead := ep()
	insert(t, &tr, sp, 3, dead, all, 0)
	mustOK(t, "Delete", tr.Delete(sp.At(3)))
	spaces := []*capability.Space{sp}

	cases := []struct {
		name   string
		dst    int
		obj    capability.Object
		rights abi.Rights
		badge  abi.Badge
		parent *capability.Slot
		want   abi.Errno
	}{
		{"full destination", 1, ep(), all, 0, nil, abi.ErrSlotFull},
		{"nil object", 2, nil, all, 0, nil, abi.ErrInvalidArg},
		{"finalized object", 2, dead, all, 0, nil, abi.ErrInvalidArg},
		{"undefined right bit", 2, ep(), 1 << 4, 0, nil, abi.ErrInvalidArg},
		{"all bits", 2, ep(), 0xff, 0, nil, abi.ErrInvalidArg},
		{"badge on a frame", 2, frame(), all, 7, nil, abi.ErrInvalidArg},
		{"badge on a TCB", 2, &uobj{typ: abi.ObjTCB}, all, 7, nil, abi.ErrInvalidArg},
		{"badge on a CSpace", 2, newUCSpace(2), all, 7, nil, abi.ErrInvalidArg},
		{"empty parent", 2, ep(), all, 0, sp.At(3), abi.ErrInvalidCap},
		{"reserved parent slot", 2, ep(), all, 0, sp.At(0), abi.ErrInvalidCap},
	}
	for _, c := range cases {
		objs := []capability.Object{held, dead}
		if c.obj != nil {
			objs = append(objs, c.obj)
		}
		failing(t, "Insert: "+c.name, c.want, spaces, objs, func() abi.Errno {
			return tr.Insert(sp.At(c.dst), c.obj, c.rights, c.badge, c.parent)
		})
		if c.obj != nil && c.obj != dead {
			h := c.obj.(interface {
				ID() uint64
				Caps() int
			})
			if h.ID() != 0 || h.Caps() != 0 {
				t.Errorf("Insert: %s: object got ID %d, Caps %d", c.name, h.ID(), h.Caps())
			}
		}
	}
	if dead.Caps() != 0 || !dead.Dead() || dead.fins != 1 {
		t.Errorf("finalized object changed: caps %d dead %v fins %d", dead.Caps(), dead.Dead(), dead.fins)
	}
}

func TestInsertBadges(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	for i, o := range []*uobj{ep(), ntfn()} {
		s := insert(t, &tr, sp, i+1, o, rW, 42)
		if s.Badge() != 42 || s.Rights() != rW || s.Object() != o || s.Parent() != nil {
			t.Errorf("%v: slot holds badge %d rights %v", o.typ, s.Badge(), s.Rights())
		}
	}
	insert(t, &tr, sp, 3, frame(), 0, 0) // no rights is a valid set of rights
}

func TestInsertIDs(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(8)
	a, b := ep(), frame()
	if a.ID() != 0 {
		t.Fatalf("ID before the first capability = %d", a.ID())
	}
	insert(t, &tr, sp, 1, a, all, 0)
	insert(t, &tr, sp, 2, b, all, 0)
	ida, idb := a.ID(), b.ID()
	if ida == 0 || idb == 0 || ida == idb {
		t.Fatalf("IDs %d, %d: want distinct non-zero", ida, idb)
	}
	insert(t, &tr, sp, 3, a, rR, 0) // a second original keeps the ID
	if a.ID() != ida || a.Caps() != 2 {
		t.Errorf("second Insert: ID %d (was %d), Caps %d", a.ID(), ida, a.Caps())
	}
	mustOK(t, "Delete", tr.Delete(sp.At(2)))
	c := ep()
	insert(t, &tr, sp, 2, c, all, 0)
	if c.ID() == idb || c.ID() == ida || c.ID() == 0 {
		t.Errorf("new object got ID %d; in use or finalized: %d, %d", c.ID(), ida, idb)
	}
	if b.ID() != idb {
		t.Errorf("finalized object's ID changed to %d", b.ID())
	}
}

func TestInsertUnderParent(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	untyped := insert(t, &tr, sp, 1, &uobj{typ: abi.ObjUntyped}, rW, 0)
	o := ep()
	mustOK(t, "Insert", tr.Insert(sp.At(2), o, all, 0, untyped))
	s := sp.At(2)
	if s.Parent() != untyped || !sameSlots(children(untyped), []*capability.Slot{s}) {
		t.Fatalf("retyped capability is not the child of its parent")
	}
	// Revoking the parent removes the new object's capability and finalizes it.
	mustOK(t, "Revoke", tr.Revoke(untyped))
	if !s.Empty() || o.fins != 1 || !o.Dead() {
		t.Errorf("after Revoke: slot empty %v, fins %d, dead %v", s.Empty(), o.fins, o.Dead())
	}
}

// Copy and Mint.

func TestCopyErrors(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	o, f := ep(), frame()
	src := insert(t, &tr, sp, 1, o, all, 0)
	full := insert(t, &tr, sp, 2, f, all, 0)
	spaces, objs := []*capability.Space{sp}, []capability.Object{o, f}
	failing(t, "Copy from an empty slot", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Copy(sp.At(3), sp.At(0), all) })
	failing(t, "Copy into a full slot", abi.ErrSlotFull, spaces, objs, func() abi.Errno { return tr.Copy(full, src, all) })
	failing(t, "Copy onto itself", abi.ErrSlotFull, spaces, objs, func() abi.Errno { return tr.Copy(src, src, all) })
	failing(t, "Copy with an undefined right bit", abi.ErrInvalidArg, spaces, objs, func() abi.Errno { return tr.Copy(sp.At(3), src, all|1<<5) })
}

func TestCopy(t *testing.T) {
	var tr capability.Tree
	a, b := capability.NewSpace(3), capability.NewSpace(3)
	o := ep()
	src := insert(t, &tr, a, 1, o, rRW|rG, 9)
	mustOK(t, "Copy", tr.Copy(b.At(1), src, rR|rGR))
	c := b.At(1)
	if c.Object() != o || c.Rights() != rR || c.Badge() != 9 || c.Parent() != src || o.Caps() != 2 {
		t.Errorf("copy: obj %v rights %v badge %d parent ok %v caps %d", c.Object() == o, c.Rights(), c.Badge(), c.Parent() == src, o.Caps())
	}
	// Rights never grow: copying the copy with every right keeps only Read.
	mustOK(t, "Copy", tr.Copy(b.At(2), c, all))
	if b.At(2).Rights() != rR || b.At(2).Parent() != c {
		t.Errorf("copy of copy: rights %v", b.At(2).Rights())
	}
}

func TestMintErrors(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(8)
	e, f := ep(), frame()
	unbadged := insert(t, &tr, sp, 1, e, all, 0)
	badged := insert(t, &tr, sp, 2, ntfn(), all, 5)
	fr := insert(t, &tr, sp, 3, f, all, 0)
	mustOK(t, "Copy", tr.Copy(sp.At(4), badged, all))
	badgedCopy := sp.At(4)
	spaces, objs := []*capability.Space{sp}, []capability.Object{e, f, badged.Object()}
	dst := sp.At(7)
	failing(t, "Mint from an empty slot", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Mint(dst, sp.At(6), all, 1) })
	failing(t, "Mint into a full slot", abi.ErrSlotFull, spaces, objs, func() abi.Errno { return tr.Mint(fr, unbadged, all, 1) })
	failing(t, "Mint with an undefined right bit", abi.ErrInvalidArg, spaces, objs, func() abi.Errno { return tr.Mint(dst, unbadged, 0x80, 1) })
	failing(t, "Mint a badge on a frame", abi.ErrInvalidArg, spaces, objs, func() abi.Errno { return tr.Mint(dst, fr, all, 1) })
	failing(t, "Mint a new badge on a badged capability", abi.ErrIllegal, spaces, objs, func() abi.Errno { return tr.Mint(dst, badged, all, 6) })
	failing(t, "Mint the same badge again", abi.ErrIllegal, spaces, objs, func() abi.Errno { return tr.Mint(dst, badged, all, 5) })
	failing(t, "Mint a badge on a copy of a badged capability", abi.ErrIllegal, spaces, objs, func() abi.Errno { return tr.Mint(dst, badgedCopy, all, 6) })
}

func TestMint(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(8)
	o := ep()
	src := insert(t, &tr, sp, 1, o, rRW, 0)
	mustOK(t, "Mint", tr.Mint(sp.At(2), src, all, 77))
	m := sp.At(2)
	if m.Badge() != 77 || m.Rights() != rRW || m.Parent() != src {
		t.Errorf("minted: badge %d rights %v", m.Badge(), m.Rights())
	}
	mustOK(t, "Mint with badge 0", tr.Mint(sp.At(3), m, rW, 0))
	if c := sp.At(3); c.Badge() != 77 || c.Rights() != rW || c.Parent() != m {
		t.Errorf("badge 0 mint: badge %d rights %v", c.Badge(), c.Rights())
	}
	// A frame capability may be minted without a badge: that is a copy.
	fs := insert(t, &tr, sp, 4, frame(), all, 0)
	mustOK(t, "Mint frame", tr.Mint(sp.At(5), fs, rR, 0))
	if c := sp.At(5); c.Badge() != 0 || c.Rights() != rR {
		t.Errorf("frame mint: badge %d rights %v", c.Badge(), c.Rights())
	}
}

// Move.

func TestMoveErrors(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	o, f := ep(), frame()
	src := insert(t, &tr, sp, 1, o, all, 0)
	full := insert(t, &tr, sp, 2, f, all, 0)
	spaces, objs := []*capability.Space{sp}, []capability.Object{o, f}
	failing(t, "Move from an empty slot", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Move(sp.At(3), sp.At(0)) })
	failing(t, "Move an empty slot onto itself", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Move(sp.At(3), sp.At(3)) })
	failing(t, "Move into a full slot", abi.ErrSlotFull, spaces, objs, func() abi.Errno { return tr.Move(full, src) })
	failing(t, "Move onto itself", abi.ErrSlotFull, spaces, objs, func() abi.Errno { return tr.Move(src, src) })
}

// family builds root → {a, b, c} (children list order c, b, a or whatever the package
// chooses) with b → {b1, b2}, spread over two spaces.
type family struct {
	tr            capability.Tree
	x, y          *capability.Space
	o             *uobj
	root, a, b, c *capability.Slot
	b1, b2        *capability.Slot
}

func newFamily(t *testing.T) *family {
	f := &family{x: capability.NewSpace(8), y: capability.NewSpace(8), o: ep()}
	f.root = insert(t, &f.tr, f.x, 1, f.o, all, 0)
	for i, p := range []**capability.Slot{&f.a, &f.b, &f.c} {
		*p = f.y.At(i + 1)
		mustOK(t, "Copy", f.tr.Copy(*p, f.root, all))
	}
	f.b1, f.b2 = f.x.At(2), f.x.At(3)
	mustOK(t, "Copy", f.tr.Copy(f.b1, f.b, rRW))
	mustOK(t, "Copy", f.tr.Copy(f.b2, f.b, rR))
	return f
}

func TestMovePreservesDerivation(t *testing.T) {
	for _, which := range []string{"first", "middle", "last", "root"} {
		t.Run(which, func(t *testing.T) {
			f := newFamily(t)
			sibs := children(f.root)
			if len(sibs) != 3 {
				t.Fatalf("root has %d children", len(sibs))
			}
			var src *capability.Slot
			switch which {
			case "first":
				src = sibs[0]
			case "middle":
				src = sibs[1]
			case "last":
				src = sibs[2]
			case "root":
				src = f.root
			}
			parent := src.Parent()
			kids := children(src)
			rights, badge := src.Rights(), src.Badge()
			dst := capability.NewSpace(3).At(2) // a third space
			mustOK(t, "Move", f.tr.Move(dst, src))
			if !src.Empty() || src.Parent() != nil || src.HasChildren() {
				t.Errorf("source not emptied")
			}
			if dst.Object() != f.o || dst.Rights() != rights || dst.Badge() != badge || dst.Parent() != parent {
				t.Errorf("destination: rights %v badge %d parent ok %v", dst.Rights(), dst.Badge(), dst.Parent() == parent)
			}
			if parent != nil {
				want := append([]*capability.Slot(nil), sibs...)
				for i := range want {
					if want[i] == src {
						want[i] = dst
					}
				}
				if !sameSlots(children(parent), want) {
					t.Errorf("siblings changed order or lost the moved slot")
				}
			}
			// Fatal: revoking a corrupt tree below could loop forever.
			if !sameSlots(children(dst), kids) {
				t.Fatalf("children not carried over")
			}
			for _, k := range kids {
				if k.Parent() != dst {
					t.Fatalf("child %d still points at the old slot", k.Index())
				}
			}
			if f.o.Caps() != 6 || f.o.fins != 0 {
				t.Errorf("Move changed the count: caps %d fins %d", f.o.Caps(), f.o.fins)
			}
			// The moved capability is still reached by a revoke of its old ancestors,
			// and its own revoke still reaches its old children.
			mustOK(t, "Revoke", f.tr.Revoke(dst))
			for _, k := range kids {
				if !k.Empty() {
					t.Errorf("revoke of the moved slot missed a child")
				}
			}
			if parent != nil {
				mustOK(t, "Revoke", f.tr.Revoke(parent))
				if !dst.Empty() {
					t.Errorf("revoke of the old parent missed the moved slot")
				}
			}
		})
	}
}

func TestMoveWithinSpace(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	o := ep()
	a := insert(t, &tr, sp, 1, o, rR, 3)
	mustOK(t, "Copy", tr.Copy(sp.At(2), a, all))
	mustOK(t, "Move", tr.Move(sp.At(3), a))
	if sp.At(2).Parent() != sp.At(3) || sp.At(3).Badge() != 3 || sp.At(3).Rights() != rR || !a.Empty() {
		t.Errorf("move within a space lost state")
	}
}

// Mutate.

func TestMutateErrors(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(10)
	e, f, n := ep(), frame(), ntfn()
	parent := insert(t, &tr, sp, 1, e, rRW, 0)
	mustOK(t, "Copy", tr.Copy(sp.At(2), parent, rR))
	fr := insert(t, &tr, sp, 3, f, all, 0)
	badged := insert(t, &tr, sp, 4, n, all, 8)
	spaces, objs := []*capability.Space{sp}, []capability.Object{e, f, n}
	dst := sp.At(9)
	failing(t, "Mutate onto itself", abi.ErrSlotFull, spaces, objs, func() abi.Errno { return tr.Mutate(fr, fr, all, 0) })
	failing(t, "Mutate an empty slot onto itself", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Mutate(dst, dst, all, 0) })
	failing(t, "Mutate from an empty slot", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Mutate(dst, sp.At(8), all, 0) })
	failing(t, "Mutate into a full slot", abi.ErrSlotFull, spaces, objs, func() abi.Errno { return tr.Mutate(badged, fr, all, 0) })
	failing(t, "Mutate with an undefined right bit", abi.ErrInvalidArg, spaces, objs, func() abi.Errno { return tr.Mutate(dst, fr, 0x10, 0) })
	failing(t, "Mutate a badge onto a frame", abi.ErrInvalidArg, spaces, objs, func() abi.Errno { return tr.Mutate(dst, fr, all, 1) })
	failing(t, "Mutate a new badge onto a badged capability", abi.ErrIllegal, spaces, objs, func() abi.Errno { return tr.Mutate(dst, badged, all, 9) })
	failing(t, "Mutate rights of a capability with children", abi.ErrRevoked, spaces, objs, func() abi.Errno { return tr.Mutate(dst, parent, rR, 0) })
	failing(t, "Mutate a badge onto a capability with children", abi.ErrRevoked, spaces, objs, func() abi.Errno { return tr.Mutate(dst, parent, all, 4) })
}

func TestMutate(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(10)
	o := ep()
	parent := insert(t, &tr, sp, 1, o, rRW, 0)
	mustOK(t, "Copy", tr.Copy(sp.At(2), parent, rR))
	child := sp.At(2)

	// With children, a mutate that keeps rights and badge is a move.
	mustOK(t, "Mutate", tr.Mutate(sp.At(3), parent, rRW|rG, 0))
	p := sp.At(3)
	if p.Rights() != rRW || child.Parent() != p || !parent.Empty() {
		t.Fatalf("mutate with unchanged rights: rights %v", p.Rights())
	}
	// Without children, rights shrink and a badge can be set.
	mustOK(t, "Mutate", tr.Mutate(sp.At(4), child, 0, 12))
	c := sp.At(4)
	if c.Rights() != 0 || c.Badge() != 12 || c.Parent() != p || !sameSlots(children(p), []*capability.Slot{c}) {
		t.Errorf("mutate: rights %v badge %d parent ok %v", c.Rights(), c.Badge(), c.Parent() == p)
	}
	// Badge 0 keeps the badge.
	mustOK(t, "Mutate", tr.Mutate(sp.At(5), c, all, 0))
	if sp.At(5).Badge() != 12 || sp.At(5).Rights() != 0 {
		t.Errorf("mutate with badge 0: badge %d", sp.At(5).Badge())
	}
	if o.Caps() != 2 || o.fins != 0 {
		t.Errorf("caps %d fins %d", o.Caps(), o.fins)
	}
}

// Delete.

func TestDeleteErrors(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(3)
	o := ep()
	insert(t, &tr, sp, 1, o, all, 0)
	spaces, objs := []*capability.Space{sp}, []capability.Object{o}
	failing(t, "Delete an empty slot", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Delete(sp.At(2)) })
	failing(t, "Delete the reserved slot", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Delete(sp.At(0)) })
	failing(t, "Revoke an empty slot", abi.ErrInvalidCap, spaces, objs, func() abi.Errno { return tr.Revoke(sp.At(2)) })
}

func TestDeleteHandsChildrenToParent(t *testing.T) {
	var tr capability.Tree
	a, b := capability.NewSpace(8), capability.NewSpace(8)
	o, other := ep(), frame()
	g := insert(t, &tr, a, 1, o, all, 0)
	p := b.At(1)
	mustOK(t, "Copy", tr.Copy(p, g, all))
	c1, c2, d := a.At(2), b.At(2), a.At(3)
	mustOK(t, "Copy", tr.Copy(c1, p, rRW))
	mustOK(t, "Copy", tr.Copy(c2, p, rR))
	mustOK(t, "Copy", tr.Copy(d, c1, rW))
	sib := b.At(3) // a sibling of p that must not be touched
	mustOK(t, "Copy", tr.Copy(sib, g, rR))
	keep := insert(t, &tr, b, 7, other, all, 0)

	mustOK(t, "Delete", tr.Delete(p))
	if !p.Empty() || p.Parent() != nil || p.HasChildren() {
		t.Fatalf("deleted slot keeps state")
	}
	if c1.Parent() != g || c2.Parent() != g || d.Parent() != c1 || sib.Parent() != g {
		t.Fatalf("children not handed to the grandparent")
	}
	if n := len(children(g)); n != 3 {
		t.Errorf("grandparent has %d children, want 3", n)
	}
	if c1.Rights() != rRW || c2.Rights() != rR || d.Rights() != rW {
		t.Errorf("rights changed")
	}
	if o.Caps() != 5 || o.fins != 0 {
		t.Errorf("caps %d fins %d", o.Caps(), o.fins)
	}
	// A later revoke of the grandparent still removes them.
	mustOK(t, "Revoke", tr.Revoke(g))
	for _, s := range []*capability.Slot{c1, c2, d, sib} {
		if !s.Empty() {
			t.Errorf("slot %d survived the revoke", s.Index())
		}
	}
	if g.Empty() || g.HasChildren() || o.Caps() != 1 || o.fins != 0 || keep.Empty() {
		t.Errorf("revoke removed too much: g empty %v caps %d", g.Empty(), o.Caps())
	}
}

func TestDeleteOriginalOrphansChildren(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(6)
	o := ep()
	root := insert(t, &tr, sp, 1, o, all, 0)
	mustOK(t, "Copy", tr.Copy(sp.At(2), root, rR))
	mustOK(t, "Copy", tr.Copy(sp.At(3), root, rW))
	mustOK(t, "Copy", tr.Copy(sp.At(4), sp.At(3), rW))
	mustOK(t, "Delete", tr.Delete(root))
	if sp.At(2).Parent() != nil || sp.At(3).Parent() != nil || sp.At(4).Parent() != sp.At(3) {
		t.Errorf("children of a deleted original must become originals")
	}
	if o.Caps() != 3 || o.Dead() || o.fins != 0 {
		t.Errorf("caps %d dead %v fins %d", o.Caps(), o.Dead(), o.fins)
	}
}

func TestDeleteLastCapabilityFinalizes(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	o := ep()
	a := insert(t, &tr, sp, 1, o, all, 0)
	mustOK(t, "Copy", tr.Copy(sp.At(2), a, all))
	mustOK(t, "Delete", tr.Delete(a))
	if o.fins != 0 || o.Dead() || o.Caps() != 1 || tr.Finalized != 0 {
		t.Fatalf("finalized too early: fins %d dead %v caps %d", o.fins, o.Dead(), o.Caps())
	}
	mustOK(t, "Delete", tr.Delete(sp.At(2)))
	if o.fins != 1 || !o.Dead() || o.Caps() != 0 || tr.Finalized != 1 {
		t.Fatalf("not finalized: fins %d dead %v caps %d", o.fins, o.Dead(), o.Caps())
	}
	if e := tr.Insert(sp.At(1), o, all, 0, nil); e != abi.ErrInvalidArg {
		t.Errorf("Insert of a finalized object = %v, want ErrInvalidArg", e)
	}
}

// Revoke.

func TestRevokeAcrossSpaces(t *testing.T) {
	var tr capability.Tree
	x, y, z := capability.NewSpace(8), capability.NewSpace(8), capability.NewSpace(8)
	o := ep()
	root := insert(t, &tr, x, 1, o, all, 0)
	mustOK(t, "Copy", tr.Copy(y.At(1), root, all))
	mustOK(t, "Mint", tr.Mint(z.At(1), y.At(1), rRW, 3))
	mustOK(t, "Copy", tr.Copy(x.At(2), z.At(1), rR))
	mustOK(t, "Copy", tr.Copy(y.At(2), root, rW))
	// An object retyped from a descendant: its only capability is in the subtree.
	retyped := frame()
	mustOK(t, "Insert", tr.Insert(z.At(2), retyped, all, 0, y.At(2)))
	mustOK(t, "Copy", tr.Copy(x.At(3), z.At(2), rR))
	// An unrelated original of the same object, and one of another object.
	other := insert(t, &tr, y, 5, o, rR, 0)
	keep := frame()
	insert(t, &tr, z, 5, keep, all, 0)

	mustOK(t, "Revoke", tr.Revoke(root))
	for _, s := range []*capability.Slot{y.At(1), z.At(1), x.At(2), y.At(2), z.At(2), x.At(3)} {
		if !s.Empty() {
			t.Errorf("descendant in slot %d survived", s.Index())
		}
	}
	if root.Empty() || root.HasChildren() || other.Empty() || other.Parent() != nil {
		t.Errorf("revoke removed the wrong slots")
	}
	if o.Caps() != 2 || o.fins != 0 {
		t.Errorf("revoked object: caps %d fins %d", o.Caps(), o.fins)
	}
	if retyped.fins != 1 || !retyped.Dead() || keep.fins != 0 || keep.Caps() != 1 {
		t.Errorf("finalization: retyped %d, unrelated %d", retyped.fins, keep.fins)
	}
	if tr.Finalized != 1 {
		t.Errorf("Tree.Finalized = %d, want 1", tr.Finalized)
	}
}

func TestRevokeSubtreeOnly(t *testing.T) {
	f := newFamily(t)
	mustOK(t, "Revoke", f.tr.Revoke(f.b))
	if f.b.Empty() || f.b.HasChildren() || !f.b1.Empty() || !f.b2.Empty() {
		t.Errorf("Revoke(b) did not clear exactly b's subtree")
	}
	if f.a.Empty() || f.c.Empty() || f.root.Empty() || len(children(f.root)) != 3 {
		t.Errorf("Revoke(b) touched siblings or the parent")
	}
	if f.o.Caps() != 4 {
		t.Errorf("caps %d, want 4", f.o.Caps())
	}
	// Revoking a leaf does nothing.
	before := dump([]*capability.Space{f.x, f.y}, f.o)
	mustOK(t, "Revoke", f.tr.Revoke(f.a))
	if dump([]*capability.Space{f.x, f.y}, f.o) != before {
		t.Errorf("revoke of a leaf changed state")
	}
}

// TestRevokeCascadeEmptiesRevokedSlot revokes a slot that lives in a container's space
// while the container's last capability is among the revoked descendants: the
// container is finalized and empties the revoked slot too.
func TestRevokeCascadeEmptiesRevokedSlot(t *testing.T) {
	var tr capability.Tree
	root := capability.NewSpace(4)
	untyped := &uobj{typ: abi.ObjUntyped}
	u := insert(t, &tr, root, 1, untyped, all, 0)
	c := newUCSpace(3)
	mustOK(t, "Insert", tr.Insert(root.At(2), c, all, 0, u)) // c retyped from u
	mustOK(t, "Move", tr.Move(c.sp.At(1), u))                // u now lives inside c
	s := c.sp.At(1)
	if root.At(2).Parent() != s {
		t.Fatalf("Move did not carry the child over") // revoking would loop forever
	}
	mustOK(t, "Revoke", tr.Revoke(s))
	if c.fins != 1 || untyped.fins != 1 || !s.Empty() || !root.At(2).Empty() {
		t.Errorf("cascade: container fins %d, untyped fins %d, slot empty %v", c.fins, untyped.fins, s.Empty())
	}
	if tr.Finalized != 2 {
		t.Errorf("Tree.Finalized = %d, want 2", tr.Finalized)
	}
}

func TestRevokeDeepDerivationChain(t *testing.T) {
	const n = 10000
	var tr capability.Tree
	spaces := make([]*capability.Space, 10)
	for i := range spaces {
		spaces[i] = capability.NewSpace(n/len(spaces) + 2)
	}
	o := ep()
	root := insert(t, &tr, spaces[0], 1, o, all, 0)
	prev := root
	for i := 1; i < n; i++ {
		s := spaces[i%len(spaces)].At(i/len(spaces) + 2)
		mustOK(t, "Copy", tr.Copy(s, prev, all))
		prev = s
	}
	if o.Caps() != n {
		t.Fatalf("caps %d", o.Caps())
	}
	// Delete a slot in the middle: its one child moves up.
	mid := spaces[5].At(n/2/len(spaces) + 2)
	midChild := children(mid)[0]
	midParent := mid.Parent()
	mustOK(t, "Delete", tr.Delete(mid))
	if midChild.Parent() != midParent {
		t.Fatalf("child of the deleted middle slot not re-parented")
	}
	mustOK(t, "Revoke", tr.Revoke(root))
	if o.Caps() != 1 || root.HasChildren() || o.fins != 0 {
		t.Errorf("after revoke: caps %d", o.Caps())
	}
	for _, sp := range spaces {
		sp.Each(func(s *capability.Slot) {
			if s != root {
				t.Fatalf("slot %d survived", s.Index())
			}
		})
	}
}

// Deferred finalization.

func TestDeleteLockedDefersFinalization(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	o := ep()
	s := insert(t, &tr, sp, 1, o, all, 0)
	tr.DeleteLocked(sp.At(2)) // empty: nothing happens
	tr.DeleteLocked(s)
	if !s.Empty() || o.Caps() != 0 || !o.Dead() {
		t.Fatalf("DeleteLocked did not delete")
	}
	if o.fins != 0 || tr.Finalized != 0 {
		t.Fatalf("DeleteLocked finalized before Drain")
	}
	if e := tr.Insert(sp.At(1), o, all, 0, nil); e != abi.ErrInvalidArg {
		t.Errorf("Insert of a dead, not yet finalized object = %v, want ErrInvalidArg", e)
	}
	tr.Drain()
	tr.Drain()
	if o.fins != 1 || tr.Finalized != 1 {
		t.Errorf("after Drain: fins %d, Finalized %d", o.fins, tr.Finalized)
	}
}

func TestRevokeLockedDefersFinalization(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(6)
	u := insert(t, &tr, sp, 1, &uobj{typ: abi.ObjUntyped}, all, 0)
	objs := []*uobj{ep(), frame(), ntfn()}
	for i, o := range objs {
		mustOK(t, "Insert", tr.Insert(sp.At(i+2), o, all, 0, u))
	}
	tr.RevokeLocked(sp.At(5)) // empty slot: nothing happens
	tr.RevokeLocked(u)
	for _, o := range objs {
		if !o.Dead() || o.fins != 0 {
			t.Fatalf("RevokeLocked: dead %v fins %d", o.Dead(), o.fins)
		}
	}
	tr.Drain()
	for _, o := range objs {
		if o.fins != 1 {
			t.Errorf("after Drain: fins %d", o.fins)
		}
	}
	if u.Empty() || u.HasChildren() {
		t.Errorf("RevokeLocked emptied its own slot or left children")
	}
}

// TestFinalizerCallsDelete checks that a finalizer may use the public Delete and Revoke:
// the nested drain does not recurse, and every object is finalized exactly once.
func TestFinalizerCallsDelete(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(8)
	a, b, c := ep(), ep(), frame()
	insert(t, &tr, sp, 1, a, all, 0)
	insert(t, &tr, sp, 2, b, all, 0)
	cs := insert(t, &tr, sp, 3, c, all, 0)
	mustOK(t, "Copy", tr.Copy(sp.At(4), cs, all))
	var nested []abi.Errno
	a.onFin = func(t *capability.Tree) {
		nested = append(nested, t.Delete(sp.At(2)), t.Revoke(cs), t.Delete(cs), t.Delete(sp.At(2)))
		if b.fins != 0 || c.fins != 0 {
			panic("finalizer ran inside a finalizer")
		}
	}
	mustOK(t, "Delete", tr.Delete(sp.At(1)))
	if fmt.Sprint(nested) != fmt.Sprint([]abi.Errno{abi.OK, abi.OK, abi.OK, abi.ErrInvalidCap}) {
		t.Errorf("nested results %v", nested)
	}
	if a.fins != 1 || b.fins != 1 || c.fins != 1 || tr.Finalized != 3 {
		t.Errorf("fins %d %d %d, Finalized %d", a.fins, b.fins, c.fins, tr.Finalized)
	}
	sp.Each(func(s *capability.Slot) { t.Errorf("slot %d not empty", s.Index()) })
}

// Finalization cascades through spaces owned by objects.

func TestFinalizeCascade(t *testing.T) {
	var tr capability.Tree
	root := capability.NewSpace(4)
	c1, c2 := newUCSpace(4), newUCSpace(4)
	shared, private := ep(), frame()
	insert(t, &tr, root, 1, c1, all, 0)
	s := insert(t, &tr, root, 2, shared, all, 0)
	insert(t, &tr, c1.sp, 1, c2, all, 0)
	mustOK(t, "Copy", tr.Copy(c1.sp.At(2), s, rR)) // shared is also held in root
	insert(t, &tr, c2.sp, 3, private, all, 0)
	// A derivation link from c2's space to root must be cut cleanly.
	mustOK(t, "Copy", tr.Copy(root.At(3), c2.sp.At(3), rR))

	mustOK(t, "Delete", tr.Delete(root.At(1)))
	if c1.fins != 1 || c2.fins != 1 {
		t.Fatalf("containers finalized %d, %d times", c1.fins, c2.fins)
	}
	if shared.fins != 0 || shared.Caps() != 1 || s.HasChildren() {
		t.Errorf("shared object: fins %d caps %d", shared.fins, shared.Caps())
	}
	if private.fins != 0 || private.Caps() != 1 || root.At(3).Parent() != nil {
		t.Errorf("object still held from root: fins %d caps %d", private.fins, private.Caps())
	}
	for _, sp := range []*capability.Space{c1.sp, c2.sp} {
		sp.Each(func(s *capability.Slot) { t.Errorf("slot %d of a finalized space not empty", s.Index()) })
	}
	mustOK(t, "Delete", tr.Delete(root.At(3)))
	if private.fins != 1 || tr.Finalized != 3 {
		t.Errorf("fins %d, Finalized %d", private.fins, tr.Finalized)
	}
}

// TestFinalizeCascadeChain deletes the head of a chain of 10,000 spaces, each holding
// the last capability to the next space's owner. Every owner must be finalized, once,
// and the finalizers must not nest: the stack depth at each Finalize call is bounded.
func TestFinalizeCascadeChain(t *testing.T) {
	const n = 10000
	var tr capability.Tree
	root := capability.NewSpace(2)
	chain := make([]*ucspace, n)
	for i := range chain {
		chain[i] = newUCSpace(3)
	}
	leaf := frame()
	insert(t, &tr, chain[n-1].sp, 2, leaf, all, 0)
	for i := n - 1; i > 0; i-- {
		insert(t, &tr, chain[i-1].sp, 1+i%2, chain[i], all, 0)
	}
	insert(t, &tr, root, 1, chain[0], all, 0)

	mustOK(t, "Delete", tr.Delete(root.At(1)))
	minDepth, maxDepth := 1<<30, 0
	for i, c := range chain {
		if c.fins != 1 || !c.Dead() || c.Caps() != 0 {
			t.Fatalf("space %d: fins %d dead %v caps %d", i, c.fins, c.Dead(), c.Caps())
		}
		minDepth, maxDepth = min(minDepth, c.depth), max(maxDepth, c.depth)
	}
	if leaf.fins != 1 || tr.Finalized != n+1 {
		t.Errorf("leaf fins %d, Finalized %d", leaf.fins, tr.Finalized)
	}
	if maxDepth > minDepth {
		t.Errorf("finalizers nest: stack depth grew from %d to %d frames", minDepth, maxDepth)
	}
}

// TestFinalizeCascadeWide finalizes a tree of spaces: each space holds the last
// capabilities to three child spaces, and each child but the last also has a copy of
// its capability in the next child's space, so some owners die only when a sibling's
// space is emptied.
func TestFinalizeCascadeWide(t *testing.T) {
	var tr capability.Tree
	root := capability.NewSpace(2)
	var owners []*ucspace
	var build func(depth int) *ucspace
	build = func(depth int) *ucspace {
		c := newUCSpace(5)
		owners = append(owners, c)
		if depth == 0 {
			return c
		}
		var prev *capability.Slot
		for i := 1; i <= 3; i++ {
			k := build(depth - 1)
			s := insert(t, &tr, c.sp, i, k, all, 0)
			if prev != nil {
				mustOK(t, "Copy", tr.Copy(k.sp.At(4), prev, rR))
			}
			prev = s
		}
		return c
	}
	top := build(5)
	insert(t, &tr, root, 1, top, all, 0)
	mustOK(t, "Delete", tr.Delete(root.At(1)))
	for i, c := range owners {
		if c.fins != 1 || c.Caps() != 0 {
			t.Fatalf("space %d finalized %d times, caps %d", i, c.fins, c.Caps())
		}
		c.sp.Each(func(s *capability.Slot) { t.Fatalf("space %d slot %d not empty", i, s.Index()) })
	}
	if tr.Finalized != uint64(len(owners)) {
		t.Errorf("Finalized = %d, want %d", tr.Finalized, len(owners))
	}
}

// Slot 0 is the null capability pointer: no operation may fill it, even when handed
// the slot directly.
func TestSlotZeroStaysEmpty(t *testing.T) {
	var tr capability.Tree
	sp := capability.NewSpace(4)
	o := &uobj{typ: abi.ObjEndpoint}
	if e := tr.Insert(sp.At(0), o, abi.AllRights, 0, nil); e != abi.ErrRange {
		t.Fatalf("Insert into slot 0: %v, want ErrRange", e)
	}
	if e := tr.Insert(sp.At(1), o, abi.AllRights, 0, nil); e != abi.OK {
		t.Fatal(e)
	}
	for name, e := range map[string]abi.Errno{
		"Copy":   tr.Copy(sp.At(0), sp.At(1), abi.AllRights),
		"Mint":   tr.Mint(sp.At(0), sp.At(1), abi.AllRights, 3),
		"Move":   tr.Move(sp.At(0), sp.At(1)),
		"Mutate": tr.Mutate(sp.At(0), sp.At(1), abi.RightRead, 0),
	} {
		if e != abi.ErrRange {
			t.Errorf("%s into slot 0: %v, want ErrRange", name, e)
		}
	}
	if !sp.At(0).Empty() || sp.At(1).Empty() {
		t.Fatal("a refused operation changed the space")
	}
}
