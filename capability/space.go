package capability

import "github.com/skyscope-os/skyscope/kernel/abi"

// Slot holds at most one capability: an object reference, rights and a badge, plus the
// slot's place in the derivation tree. The zero Slot is empty. Slots are created only
// by NewSpace and never change space.
type Slot struct {
	obj    Object
	rights abi.Rights
	badge  abi.Badge

	space *Space // immutable
	index uint32 // immutable

	// Derivation tree links; all nil when the slot is empty.
	parent     *Slot
	firstChild *Slot
	prev, next *Slot // siblings under the same parent
}

// Empty reports whether the slot holds no capability.
func (s *Slot) Empty() bool { return s.obj == nil }

// Object returns the object the slot names, or nil when empty.
func (s *Slot) Object() Object { return s.obj }

// Rights returns the capability's rights.
func (s *Slot) Rights() abi.Rights { return s.rights }

// Badge returns the capability's badge.
func (s *Slot) Badge() abi.Badge { return s.badge }

// Space returns the space that owns the slot.
func (s *Slot) Space() *Space { return s.space }

// Index returns the slot's index in its space.
func (s *Slot) Index() int { return int(s.index) }

// Parent returns the capability this one was derived from, or nil for an original.
func (s *Slot) Parent() *Slot { return s.parent }

// HasChildren reports whether capabilities were derived from this one.
func (s *Slot) HasChildren() bool { return s.firstChild != nil }

// Children calls f for each capability directly derived from this one.
func (s *Slot) Children(f func(*Slot)) {
	for c := s.firstChild; c != nil; c = c.next {
		f(c)
	}
}

// Space is a fixed-size array of slots. Slot 0 is reserved and always empty, so that a
// zero capability pointer never names anything.
type Space struct {
	slots []Slot
	// Owner is the kernel object that owns this space (a CSpace or a TCB); set once by
	// the owner at creation and used for diagnostics.
	Owner Object
}

// NewSpace returns a space with n slots (n ≥ 1), all empty.
func NewSpace(n int) *Space {
	sp := &Space{}
	sp.Init(n)
	return sp
}

// Init prepares a zero Space with n slots; for spaces embedded in other objects.
func (sp *Space) Init(n int) {
	if n < 1 {
		panic("capability: a space needs at least one slot")
	}
	sp.slots = make([]Slot, n)
	for i := range sp.slots {
		sp.slots[i].space = sp
		sp.slots[i].index = uint32(i)
	}
}

// Len returns the number of slots.
func (sp *Space) Len() int { return len(sp.slots) }

// At returns slot i, which may be empty. It panics if i is out of range: callers with
// untrusted indexes use Lookup or Dest.
func (sp *Space) At(i int) *Slot { return &sp.slots[i] }

// Lookup returns the non-empty slot that c names, or ErrInvalidCap if c is 0, out of
// range, or names an empty slot.
func (sp *Space) Lookup(c abi.CPtr) (*Slot, abi.Errno) {
	if c == 0 || c >= abi.CPtr(len(sp.slots)) {
		return nil, abi.ErrInvalidCap
	}
	s := &sp.slots[c]
	if s.obj == nil {
		return nil, abi.ErrInvalidCap
	}
	return s, abi.OK
}

// Dest returns the empty slot that c names, for use as a destination: ErrRange if c is
// 0 or out of range, ErrSlotFull if the slot holds a capability.
func (sp *Space) Dest(c abi.CPtr) (*Slot, abi.Errno) {
	if c == 0 || c >= abi.CPtr(len(sp.slots)) {
		return nil, abi.ErrRange
	}
	s := &sp.slots[c]
	if s.obj != nil {
		return nil, abi.ErrSlotFull
	}
	return s, abi.OK
}

// Each calls f for every non-empty slot in index order.
func (sp *Space) Each(f func(*Slot)) {
	for i := range sp.slots {
		if sp.slots[i].obj != nil {
			f(&sp.slots[i])
		}
	}
}
