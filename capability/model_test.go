package capability_test

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// modelSteps counts the operations executed by TestCapabilityModel over all rapid runs
// (including the runs rapid makes while shrinking a failure).
var modelSteps int

// modelStats counts outcomes ("Mint: invalid argument", "finalization cascade", ...)
// over all runs; TestCapabilityModel logs them with -v and checks that the outcomes in
// wantOutcomes were all reached.
var modelStats = map[string]int{}

const (
	minModelSteps   = 10000 // TestCapabilityModel fails if it ran fewer steps than this
	fullModelSteps  = 40000 // steps run without -short
	maxStepsPerRun  = 400   // steps in one rapid run are drawn from [1, maxStepsPerRun]
	maxLiveSpaces   = 8     // root spaces plus spaces of live container objects
	maxCheckBatches = 200   // bound on rapid.Check calls made to reach minModelSteps
)

// TestCapabilityModel drives the capability package and an independent model of it
// (plain maps of slot → capability and per-object counts) with the same random
// operations, most of them with doubtful or invalid arguments, and after every step
// compares the two and checks the package's invariants. See modelWorld for the model.
//
// The invariants checked after every step (checkAll, opRevoke, opLocked):
//   - the implementation equals the model: every slot's object, rights, badge, parent;
//   - along a derivation of one object rights never grow and a set badge never changes;
//   - after Revoke or RevokeLocked the slot has no descendants anywhere;
//   - each object is finalized exactly once, exactly when its last capability goes
//     (also through cascades of owned spaces), never inside DeleteLocked/RevokeLocked,
//     and no slot names a finalized object; Caps() equals the number of slots naming it;
//   - every slot's Space() and Index() are where it was found, slot 0 stays empty,
//     Parent() and Children() agree and the derivation tree has no cycles;
//   - a failing operation changes nothing (full snapshot before and after).
func TestCapabilityModel(t *testing.T) {
	modelSteps = 0
	clear(modelStats)
	if f := flag.Lookup("rapid.seed"); f != nil && f.Value.String() != "0" {
		// Reproducing a run: the counts below do not apply.
		rapid.Check(t, runCapabilityModel)
		return
	}
	if f := flag.Lookup("rapid.failfile"); f != nil && f.Value.String() != "" {
		rapid.Check(t, runCapabilityModel)
		return
	}
	target := fullModelSteps
	if testing.Short() {
		target = minModelSteps
	}
	// rapid.Check runs the property -rapid.checks times (a fifth of that with -short);
	// call it again until enough steps have run, so that neither -short nor a small
	// -rapid.checks goes below the minimum.
	for i := 0; i < maxCheckBatches && modelSteps < target && !t.Failed(); i++ {
		rapid.Check(t, runCapabilityModel)
	}
	if t.Failed() {
		return
	}
	if modelSteps < minModelSteps {
		t.Fatalf("model test executed only %d steps, want at least %d", modelSteps, minModelSteps)
	}
	t.Logf("model test executed %d steps", modelSteps)
	keys := make([]string, 0, len(modelStats))
	for k := range modelStats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%8d  %s", modelStats[k], k)
	}
	for _, k := range wantOutcomes {
		if modelStats[k] == 0 {
			t.Errorf("no step reached outcome %q", k)
		}
	}
}

// wantOutcomes are outcomes every full run must reach; a generator change that stops
// exercising one of them fails the test instead of silently losing coverage.
var wantOutcomes = func() []string {
	var out []string
	add := func(op string, errs ...abi.Errno) {
		for _, e := range errs {
			out = append(out, op+": "+e.Error())
		}
	}
	add("Insert", abi.OK, abi.ErrInvalidCap, abi.ErrRange, abi.ErrSlotFull, abi.ErrInvalidArg)
	add("Copy", abi.OK, abi.ErrInvalidCap, abi.ErrRange, abi.ErrSlotFull, abi.ErrInvalidArg)
	add("Mint", abi.OK, abi.ErrInvalidCap, abi.ErrRange, abi.ErrSlotFull, abi.ErrInvalidArg, abi.ErrIllegal)
	add("Move", abi.OK, abi.ErrInvalidCap, abi.ErrRange, abi.ErrSlotFull)
	add("Mutate", abi.OK, abi.ErrInvalidCap, abi.ErrRange, abi.ErrSlotFull, abi.ErrInvalidArg, abi.ErrIllegal, abi.ErrRevoked)
	add("Delete", abi.OK, abi.ErrInvalidCap)
	add("Revoke", abi.OK, abi.ErrInvalidCap)
	// "Revoke emptied its own slot by a cascade" is rare here (about one in 15,000
	// steps); TestRevokeCascadeEmptiesRevokedSlot covers it.
	return append(out, "finalized", "finalization cascade")
}()

// Test objects.

// testObj is a plain kernel object of a chosen type; it records its finalization.
type testObj struct {
	capability.Header
	typ       abi.ObjectType
	w         *modelWorld
	name      int // index in modelWorld.objs, -1 until the object is added
	finalized int
}

func (o *testObj) Type() abi.ObjectType { return o.typ }

func (o *testObj) Finalize(t *capability.Tree) {
	o.w.onFinalize(t, o.name, &o.Header, o.finalized)
	o.finalized++
}

// containerObj owns a small space, like a CSpace; finalizing it deletes every
// capability in that space, which may finalize more objects.
type containerObj struct {
	capability.Header
	sp        *capability.Space
	w         *modelWorld
	name      int
	finalized int
}

func (o *containerObj) Type() abi.ObjectType { return abi.ObjCSpace }

func (o *containerObj) Finalize(t *capability.Tree) {
	o.w.onFinalize(t, o.name, &o.Header, o.finalized)
	o.finalized++
	for i := 0; i < o.sp.Len(); i++ {
		t.DeleteLocked(o.sp.At(i))
	}
}

// The model.

type slotKey struct{ sp, idx int }

func (k slotKey) String() string { return fmt.Sprintf("s%d[%d]", k.sp, k.idx) }

// mslot is the model of one non-empty slot.
type mslot struct {
	obj       int // index in modelWorld.objs
	rights    abi.Rights
	badge     abi.Badge
	parent    slotKey
	hasParent bool
}

// mobj is the model of one object, plus handles on the implementation's object.
type mobj struct {
	impl      capability.Object
	hdr       *capability.Header
	fin       *int // the implementation's finalize counter
	typ       abi.ObjectType
	space     int    // index in modelWorld.spaces of the owned space, or -1
	id        uint64 // Header.ID() recorded at the first successful Insert
	caps      int    // capabilities naming the object
	dead      bool   // the last capability is gone
	finalized bool   // the finalizer has run
}

type mspace struct {
	impl  *capability.Space
	owner int // index in modelWorld.objs of the owning container, or -1 for a root space
}

type modelWorld struct {
	tree     *capability.Tree
	spaces   []mspace
	spaceIdx map[*capability.Space]int
	objs     []*mobj
	objIdx   map[capability.Object]int
	ids      map[uint64]int
	slots    map[slotKey]mslot
	pending  []int // objects whose last capability is gone, not yet finalized (model)

	finCalls   int      // Finalize calls seen
	noFinalize bool     // set while only DeleteLocked/RevokeLocked run: no finalizer may run
	errs       []string // problems found inside Finalize calls
}

func (w *modelWorld) onFinalize(t *capability.Tree, name int, h *capability.Header, already int) {
	w.finCalls++
	switch {
	case t != w.tree:
		w.errs = append(w.errs, fmt.Sprintf("object %d finalized with a foreign tree", name))
	case name < 0:
		w.errs = append(w.errs, "finalized an object that never had a capability")
	case already != 0:
		w.errs = append(w.errs, fmt.Sprintf("object %d finalized twice", name))
	case h.Caps() != 0 || !h.Dead():
		w.errs = append(w.errs, fmt.Sprintf("object %d finalized with Caps()=%d Dead()=%v", name, h.Caps(), h.Dead()))
	case w.noFinalize:
		w.errs = append(w.errs, fmt.Sprintf("object %d finalized inside DeleteLocked/RevokeLocked", name))
	}
}

func newModelWorld(t *rapid.T) *modelWorld {
	w := &modelWorld{
		tree:     &capability.Tree{},
		spaceIdx: map[*capability.Space]int{},
		objIdx:   map[capability.Object]int{},
		ids:      map[uint64]int{},
		slots:    map[slotKey]mslot{},
	}
	roots := rapid.IntRange(1, 3).Draw(t, "rootSpaces")
	for i := 0; i < roots; i++ {
		w.addSpace(capability.NewSpace(rapid.IntRange(1, 10).Draw(t, "rootSpaceLen")), -1)
	}
	return w
}

func (w *modelWorld) addSpace(sp *capability.Space, owner int) int {
	w.spaces = append(w.spaces, mspace{impl: sp, owner: owner})
	w.spaceIdx[sp] = len(w.spaces) - 1
	return len(w.spaces) - 1
}

// spaceLive reports whether the space can still be reached: it is a root space or its
// owner has not been finalized.
func (w *modelWorld) spaceLive(si int) bool {
	o := w.spaces[si].owner
	return o < 0 || !w.objs[o].finalized
}

func (w *modelWorld) liveSpaces() []int {
	var out []int
	for si := range w.spaces {
		if w.spaceLive(si) {
			out = append(out, si)
		}
	}
	return out
}

// usedSlots lists the non-empty slots of live spaces in a deterministic order.
func (w *modelWorld) usedSlots() []slotKey {
	var out []slotKey
	for _, si := range w.liveSpaces() {
		for i := 0; i < w.spaces[si].impl.Len(); i++ {
			if _, ok := w.slots[slotKey{si, i}]; ok {
				out = append(out, slotKey{si, i})
			}
		}
	}
	return out
}

// freeSlots lists the empty slots (other than slot 0) of live spaces.
func (w *modelWorld) freeSlots() []slotKey {
	var out []slotKey
	for _, si := range w.liveSpaces() {
		for i := 1; i < w.spaces[si].impl.Len(); i++ {
			if _, ok := w.slots[slotKey{si, i}]; !ok {
				out = append(out, slotKey{si, i})
			}
		}
	}
	return out
}

func (w *modelWorld) hasChildren(k slotKey) bool {
	for _, s := range w.slots {
		if s.hasParent && s.parent == k {
			return true
		}
	}
	return false
}

// descendants returns every slot whose ancestor chain contains k.
func (w *modelWorld) descendants(k slotKey) []slotKey {
	var out []slotKey
	for k2 := range w.slots {
		for s := w.slots[k2]; s.hasParent; s = w.slots[s.parent] {
			if s.parent == k {
				out = append(out, k2)
				break
			}
		}
	}
	return out
}

// mDelete removes the capability in k (if any), handing its children to its parent;
// finalization is deferred to mDrain.
func (w *modelWorld) mDelete(k slotKey) {
	ms, ok := w.slots[k]
	if !ok {
		return
	}
	for k2, s2 := range w.slots {
		if s2.hasParent && s2.parent == k {
			s2.parent, s2.hasParent = ms.parent, ms.hasParent
			w.slots[k2] = s2
		}
	}
	delete(w.slots, k)
	o := w.objs[ms.obj]
	o.caps--
	if o.caps == 0 {
		o.dead = true
		w.pending = append(w.pending, ms.obj)
	}
}

func (w *modelWorld) mRevoke(k slotKey) {
	for _, d := range w.descendants(k) {
		w.mDelete(d)
	}
}

// mDrain finalizes pending objects; a container's finalizer empties its space.
func (w *modelWorld) mDrain() {
	for len(w.pending) > 0 {
		n := w.pending[len(w.pending)-1]
		w.pending = w.pending[:len(w.pending)-1]
		o := w.objs[n]
		o.finalized = true
		modelStats["finalized"]++
		if o.space >= 0 {
			queued := len(w.pending)
			for i := 0; i < w.spaces[o.space].impl.Len(); i++ {
				w.mDelete(slotKey{o.space, i})
			}
			if len(w.pending) > queued {
				modelStats["finalization cascade"]++
			}
		}
	}
}

// Slot references as a caller of the package would name them.

// ref names a slot: through Space.Lookup/Dest with a possibly bad CPtr, or (raw)
// directly with Space.At, so that the Tree's own checks are reached.
type ref struct {
	sp   int
	cptr abi.CPtr
	raw  bool
}

func (r ref) String() string {
	if r.raw {
		return fmt.Sprintf("At(s%d,%d)", r.sp, r.cptr)
	}
	return fmt.Sprintf("cptr(s%d,%d)", r.sp, r.cptr)
}

func (r ref) key() slotKey { return slotKey{r.sp, int(r.cptr)} }

func (w *modelWorld) drawSpace(t *rapid.T, label string) int {
	return rapid.SampledFrom(w.liveSpaces()).Draw(t, label)
}

// drawCPtr draws an arbitrary CPtr for space si: in range, 0, just out of range or huge.
func (w *modelWorld) drawCPtr(t *rapid.T, si int, label string) abi.CPtr {
	n := w.spaces[si].impl.Len()
	if rapid.IntRange(0, 19).Draw(t, label+"Huge") == 0 {
		return abi.CPtr(rapid.Uint64Range(uint64(n), 1<<63).Draw(t, label+"Big"))
	}
	return abi.CPtr(rapid.IntRange(0, n).Draw(t, label))
}

// drawSrc draws a source slot, usually one holding a capability.
func (w *modelWorld) drawSrc(t *rapid.T, label string) ref {
	used := w.usedSlots()
	p := rapid.IntRange(0, 99).Draw(t, label+"Mode")
	switch {
	case p < 70 && len(used) > 0:
		k := rapid.SampledFrom(used).Draw(t, label)
		return ref{sp: k.sp, cptr: abi.CPtr(k.idx), raw: rapid.IntRange(0, 4).Draw(t, label+"Raw") == 0}
	case p < 85:
		si := w.drawSpace(t, label+"Space")
		return ref{sp: si, cptr: w.drawCPtr(t, si, label)}
	default: // raw, any in-range index including slot 0: the Tree checks emptiness
		si := w.drawSpace(t, label+"Space")
		return ref{sp: si, cptr: abi.CPtr(rapid.IntRange(0, w.spaces[si].impl.Len()-1).Draw(t, label)), raw: true}
	}
}

// drawParentSrc draws a source slot, half the time one with derived capabilities.
func (w *modelWorld) drawParentSrc(t *rapid.T, label string) ref {
	var parents []slotKey
	for _, k := range w.usedSlots() {
		if w.hasChildren(k) {
			parents = append(parents, k)
		}
	}
	if len(parents) > 0 && rapid.Bool().Draw(t, label+"Parent") {
		k := rapid.SampledFrom(parents).Draw(t, label)
		return ref{sp: k.sp, cptr: abi.CPtr(k.idx), raw: rapid.IntRange(0, 4).Draw(t, label+"Raw") == 0}
	}
	return w.drawSrc(t, label)
}

// drawDst draws a destination slot, usually an empty one; sometimes src itself.
func (w *modelWorld) drawDst(t *rapid.T, src ref, label string) ref {
	free := w.freeSlots()
	var owned []slotKey // free slots in spaces owned by objects: sets up cascades
	for _, k := range free {
		if w.spaces[k.sp].owner >= 0 {
			owned = append(owned, k)
		}
	}
	p := rapid.IntRange(0, 99).Draw(t, label+"Mode")
	switch {
	case p < 25 && len(owned) > 0:
		k := rapid.SampledFrom(owned).Draw(t, label)
		return ref{sp: k.sp, cptr: abi.CPtr(k.idx)}
	case p < 70 && len(free) > 0:
		k := rapid.SampledFrom(free).Draw(t, label)
		return ref{sp: k.sp, cptr: abi.CPtr(k.idx), raw: rapid.IntRange(0, 4).Draw(t, label+"Raw") == 0}
	case p < 75 && src.cptr > 0 && int(src.cptr) < w.spaces[src.sp].impl.Len():
		return ref{sp: src.sp, cptr: src.cptr, raw: rapid.Bool().Draw(t, label+"Raw")}
	case p < 90:
		si := w.drawSpace(t, label+"Space")
		return ref{sp: si, cptr: w.drawCPtr(t, si, label)}
	default: // raw, any index except the reserved slot 0 (the Tree does not guard it)
		si := w.drawSpace(t, label+"Space")
		n := w.spaces[si].impl.Len()
		if n == 1 {
			return ref{sp: si, cptr: w.drawCPtr(t, si, label)}
		}
		return ref{sp: si, cptr: abi.CPtr(rapid.IntRange(1, n-1).Draw(t, label)), raw: true}
	}
}

// drawRawSlot draws any slot of a space whose owner has not been finalized.
func (w *modelWorld) drawRawSlot(t *rapid.T, label string) ref {
	used := w.usedSlots()
	if len(used) > 0 && rapid.IntRange(0, 3).Draw(t, label+"Mode") > 0 {
		k := rapid.SampledFrom(used).Draw(t, label)
		return ref{sp: k.sp, cptr: abi.CPtr(k.idx), raw: true}
	}
	si := w.drawSpace(t, label+"Space")
	return ref{sp: si, cptr: abi.CPtr(rapid.IntRange(0, w.spaces[si].impl.Len()-1).Draw(t, label)), raw: true}
}

func drawRights(t *rapid.T, label string) abi.Rights {
	if rapid.IntRange(0, 9).Draw(t, label+"Bad") == 0 {
		return abi.Rights(rapid.IntRange(16, 255).Draw(t, label)) // undefined bits set
	}
	return abi.Rights(rapid.IntRange(0, 15).Draw(t, label))
}

func drawMask(t *rapid.T, label string) abi.Rights {
	switch rapid.IntRange(0, 9).Draw(t, label+"Kind") {
	case 0, 1, 2, 3:
		return abi.AllRights
	case 4:
		return abi.Rights(rapid.IntRange(16, 255).Draw(t, label)) // undefined bits set
	default:
		return abi.Rights(rapid.IntRange(0, 15).Draw(t, label))
	}
}

func drawBadge(t *rapid.T, label string) abi.Badge {
	if rapid.IntRange(0, 9).Draw(t, label+"Zero") < 5 {
		return 0
	}
	return abi.Badge(rapid.Uint64Range(1, 1<<64-1).Draw(t, label))
}

func badgeable(typ abi.ObjectType) bool {
	return typ == abi.ObjEndpoint || typ == abi.ObjNotification
}

// Resolving references, in the model and in the implementation.

// mSrc predicts what Lookup returns for a source reference (raw references always
// resolve; the Tree checks them).
func (w *modelWorld) mSrc(r ref) abi.Errno {
	if r.raw {
		return abi.OK
	}
	if r.cptr == 0 || r.cptr >= abi.CPtr(w.spaces[r.sp].impl.Len()) {
		return abi.ErrInvalidCap
	}
	if _, ok := w.slots[r.key()]; !ok {
		return abi.ErrInvalidCap
	}
	return abi.OK
}

// mDst predicts what Dest returns for a destination reference.
func (w *modelWorld) mDst(r ref) abi.Errno {
	if r.raw {
		return abi.OK
	}
	if r.cptr == 0 || r.cptr >= abi.CPtr(w.spaces[r.sp].impl.Len()) {
		return abi.ErrRange
	}
	if _, ok := w.slots[r.key()]; ok {
		return abi.ErrSlotFull
	}
	return abi.OK
}

func (w *modelWorld) iSrc(t *rapid.T, r ref) (*capability.Slot, abi.Errno) {
	sp := w.spaces[r.sp].impl
	if r.raw {
		return sp.At(int(r.cptr)), abi.OK
	}
	s, e := sp.Lookup(r.cptr)
	w.checkResolved(t, "Lookup", r, s, e)
	return s, e
}

func (w *modelWorld) iDst(t *rapid.T, r ref) (*capability.Slot, abi.Errno) {
	sp := w.spaces[r.sp].impl
	if r.raw {
		return sp.At(int(r.cptr)), abi.OK
	}
	s, e := sp.Dest(r.cptr)
	w.checkResolved(t, "Dest", r, s, e)
	return s, e
}

func (w *modelWorld) checkResolved(t *rapid.T, op string, r ref, s *capability.Slot, e abi.Errno) {
	switch {
	case e != abi.OK && s != nil:
		t.Fatalf("%s(%v) returned a slot with error %v", op, r, e)
	case e == abi.OK && s != w.spaces[r.sp].impl.At(int(r.cptr)):
		t.Fatalf("%s(%v) returned the wrong slot", op, r)
	}
}

// predict2 and resolve2 resolve a source and then a destination, in the model and in
// the implementation: the first failure wins.
func (w *modelWorld) predict2(src, dst ref) abi.Errno {
	if e := w.mSrc(src); e != abi.OK {
		return e
	}
	return w.mDst(dst)
}

func (w *modelWorld) resolve2(t *rapid.T, src, dst ref) (s, d *capability.Slot, e abi.Errno) {
	if s, e = w.iSrc(t, src); e != abi.OK {
		return nil, nil, e
	}
	if d, e = w.iDst(t, dst); e != abi.OK {
		return nil, nil, e
	}
	return s, d, abi.OK
}

// Snapshots of the implementation, for "a failing operation changes nothing".

type slotState struct {
	obj      capability.Object
	rights   abi.Rights
	badge    abi.Badge
	parent   *capability.Slot
	children []*capability.Slot
}

type objState struct {
	id   uint64
	caps int
	dead bool
	fin  int
}

type snapshot struct {
	slots     []slotState
	objs      []objState
	finalized uint64
	finCalls  int
}

func (w *modelWorld) snapshot() snapshot {
	var sn snapshot
	for _, ms := range w.spaces {
		for i := 0; i < ms.impl.Len(); i++ {
			s := ms.impl.At(i)
			st := slotState{obj: s.Object(), rights: s.Rights(), badge: s.Badge(), parent: s.Parent()}
			st.children, _ = childList(s, 1<<20)
			sn.slots = append(sn.slots, st)
		}
	}
	for _, o := range w.objs {
		sn.objs = append(sn.objs, objState{id: o.hdr.ID(), caps: o.hdr.Caps(), dead: o.hdr.Dead(), fin: *o.fin})
	}
	sn.finalized = w.tree.Finalized
	sn.finCalls = w.finCalls
	return sn
}

func (a snapshot) diff(b snapshot) string {
	if len(a.slots) != len(b.slots) || len(a.objs) != len(b.objs) {
		return "world size changed"
	}
	for i := range a.slots {
		x, y := a.slots[i], b.slots[i]
		if x.obj != y.obj || x.rights != y.rights || x.badge != y.badge || x.parent != y.parent || len(x.children) != len(y.children) {
			return fmt.Sprintf("slot #%d changed: %+v -> %+v", i, x, y)
		}
		for j := range x.children {
			if x.children[j] != y.children[j] {
				return fmt.Sprintf("slot #%d children changed", i)
			}
		}
	}
	for i := range a.objs {
		if a.objs[i] != b.objs[i] {
			return fmt.Sprintf("object %d changed: %+v -> %+v", i, a.objs[i], b.objs[i])
		}
	}
	if a.finalized != b.finalized || a.finCalls != b.finCalls {
		return "finalization happened"
	}
	return ""
}

type stopIteration struct{}

// childList returns s's children, or ok=false if there are more than limit (a cycle).
func childList(s *capability.Slot, limit int) (out []*capability.Slot, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, stop := r.(stopIteration); !stop {
				panic(r)
			}
			ok = false
		}
	}()
	s.Children(func(c *capability.Slot) {
		if len(out) >= limit {
			panic(stopIteration{})
		}
		out = append(out, c)
	})
	return out, true
}

// Invariants.

// checkAll compares the implementation with the model and checks the invariants.
// settled is false only between DeleteLocked/RevokeLocked and Drain.
func (w *modelWorld) checkAll(t *rapid.T, settled bool) {
	if len(w.errs) > 0 {
		t.Fatalf("inside Finalize: %s", strings.Join(w.errs, "; "))
	}
	total := 0
	for _, ms := range w.spaces {
		total += ms.impl.Len()
	}
	counts := map[capability.Object]int{}
	linked := 0 // slots with a parent
	listed := 0 // entries in children lists
	for si, ms := range w.spaces {
		sp := ms.impl
		if sp.Owner != nil && (ms.owner < 0 || sp.Owner != w.objs[ms.owner].impl) {
			t.Fatalf("space %d has the wrong Owner", si)
		}
		for i := 0; i < sp.Len(); i++ {
			s := sp.At(i)
			k := slotKey{si, i}
			// (e) slots belong to exactly one space, at their own index.
			if s.Space() != sp || s.Index() != i {
				t.Fatalf("%v: Space()/Index() = %p/%d, want %p/%d", k, s.Space(), s.Index(), sp, i)
			}
			m, inModel := w.slots[k]
			if s.Empty() {
				if s.Object() != nil || s.Rights() != 0 || s.Badge() != 0 || s.Parent() != nil || s.HasChildren() {
					t.Fatalf("%v: empty slot keeps state: rights %v badge %d parent %v children %v",
						k, s.Rights(), s.Badge(), s.Parent() != nil, s.HasChildren())
				}
				if inModel {
					t.Fatalf("%v: empty, model has %+v", k, m)
				}
				continue
			}
			if i == 0 {
				t.Fatalf("%v: the reserved slot 0 holds a capability", k)
			}
			on, known := w.objIdx[s.Object()]
			if !known {
				t.Fatalf("%v: names an unknown object", k)
			}
			counts[s.Object()]++
			// (d) no slot names a finalized object.
			if *w.objs[on].fin != 0 || w.objs[on].finalized {
				t.Fatalf("%v: names finalized object %d", k, on)
			}
			// (e) derivation links are consistent.
			children, ok := childList(s, total)
			if !ok {
				t.Fatalf("%v: children list longer than the number of slots (cycle)", k)
			}
			if s.HasChildren() != (len(children) > 0) {
				t.Fatalf("%v: HasChildren() = %v with %d children", k, s.HasChildren(), len(children))
			}
			for _, c := range children {
				listed++
				if c.Parent() != s {
					t.Fatalf("%v: child %v has Parent() %v", k, w.keyOf(t, c), w.keyOf(t, c.Parent()))
				}
				if c.Empty() {
					t.Fatalf("%v: lists an empty child", k)
				}
			}
			var parentKey slotKey
			p := s.Parent()
			if p != nil {
				linked++
				parentKey = w.keyOf(t, p)
				if p.Empty() {
					t.Fatalf("%v: parent %v is empty", k, parentKey)
				}
				pc, _ := childList(p, total)
				found := false
				for _, c := range pc {
					found = found || c == s
				}
				if !found {
					t.Fatalf("%v: not among the children of its parent %v", k, parentKey)
				}
				// (b) rights never grow, and a badge is fixed, along a derivation of the
				// same object (Insert may place a new object's capability under any
				// capability, as retype does).
				if p.Object() == s.Object() {
					if s.Rights()&^p.Rights() != 0 {
						t.Fatalf("%v: rights %v exceed parent %v's rights %v", k, s.Rights(), parentKey, p.Rights())
					}
					if p.Badge() != 0 && s.Badge() != p.Badge() {
						t.Fatalf("%v: badge %d differs from parent %v's badge %d", k, s.Badge(), parentKey, p.Badge())
					}
				}
			}
			// (e) no cycles: the ancestor chain ends within total steps.
			n := 0
			for a := p; a != nil; a = a.Parent() {
				if n++; n > total {
					t.Fatalf("%v: ancestor chain has a cycle", k)
				}
			}
			// (a) exact agreement with the model.
			if !inModel {
				t.Fatalf("%v: holds a capability to object %d, model has none", k, on)
			}
			if m.obj != on || m.rights != s.Rights() || m.badge != s.Badge() || m.hasParent != (p != nil) || (p != nil && m.parent != parentKey) {
				t.Fatalf("%v: implementation {obj %d rights %v badge %d parent %v(%v)} model {obj %d rights %v badge %d parent %v(%v)}",
					k, on, s.Rights(), s.Badge(), parentKey, p != nil, m.obj, m.rights, m.badge, m.parent, m.hasParent)
			}
		}
	}
	if linked != listed {
		t.Fatalf("%d slots have a parent but children lists hold %d entries", linked, listed)
	}
	for k := range w.slots {
		if k.idx >= w.spaces[k.sp].impl.Len() || w.spaces[k.sp].impl.At(k.idx).Empty() {
			t.Fatalf("model has %v, implementation slot is empty", k)
		}
	}
	// (d) counts, liveness and finalization.
	finalized := 0
	for n, o := range w.objs {
		if o.hdr.Caps() != o.caps || counts[o.impl] != o.caps {
			t.Fatalf("object %d: Caps() = %d, slots naming it = %d, model = %d", n, o.hdr.Caps(), counts[o.impl], o.caps)
		}
		if o.hdr.Dead() != o.dead {
			t.Fatalf("object %d: Dead() = %v, model %v", n, o.hdr.Dead(), o.dead)
		}
		want := 0
		if o.finalized {
			want = 1
			finalized++
		}
		if *o.fin != want {
			t.Fatalf("object %d finalized %d times, want %d (model dead=%v)", n, *o.fin, want, o.dead)
		}
		if settled && o.dead != o.finalized {
			t.Fatalf("object %d: dead=%v but finalized=%v after the operation", n, o.dead, o.finalized)
		}
		if o.hdr.ID() != o.id {
			t.Fatalf("object %d: ID() changed from %d to %d", n, o.id, o.hdr.ID())
		}
	}
	if w.tree.Finalized != uint64(finalized) || w.finCalls != finalized {
		t.Fatalf("Tree.Finalized = %d, Finalize calls = %d, model = %d", w.tree.Finalized, w.finCalls, finalized)
	}
	if settled && len(w.pending) != 0 {
		t.Fatalf("model has %d objects pending finalization", len(w.pending))
	}
}

func (w *modelWorld) keyOf(t *rapid.T, s *capability.Slot) slotKey {
	if s == nil {
		return slotKey{-1, -1}
	}
	si, ok := w.spaceIdx[s.Space()]
	if !ok || s.Index() < 0 || s.Index() >= s.Space().Len() || s.Space().At(s.Index()) != s {
		t.Fatalf("slot %p is not in any known space", s)
	}
	return slotKey{si, s.Index()}
}

// expect compares an operation's result with the model's prediction; on error it also
// checks that nothing changed. It reports whether the operation succeeded.
func (w *modelWorld) expect(t *rapid.T, op string, got, want abi.Errno, before snapshot) bool {
	if got != want {
		t.Fatalf("%s = %v (%d), model predicts %v (%d)", op, got, got, want, want)
	}
	modelStats[op[:strings.IndexByte(op, '(')]+": "+got.Error()]++
	if got != abi.OK {
		if d := before.diff(w.snapshot()); d != "" {
			t.Fatalf("%s failed with %v but changed state: %s", op, got, d)
		}
		return false
	}
	return true
}

// Operations.

var objKinds = []abi.ObjectType{abi.ObjCSpace, abi.ObjEndpoint, abi.ObjNotification, abi.ObjFrame, abi.ObjTCB, abi.ObjCSpace}

// opCreate makes a new object (or reuses a live, dead or nil one) and inserts a
// capability to it, as an original or under a parent (as retype does).
func (w *modelWorld) opCreate(t *rapid.T) {
	var (
		obj    capability.Object
		name   = -1 // existing object index
		typ    abi.ObjectType
		fresh  bool
		newSp  *capability.Space
		create = rapid.IntRange(0, 19).Draw(t, "objChoice")
	)
	var dead, live []int
	for n, o := range w.objs {
		if o.dead {
			dead = append(dead, n)
		} else {
			live = append(live, n)
		}
	}
	switch {
	case create == 0 && len(dead) > 0:
		name = rapid.SampledFrom(dead).Draw(t, "deadObj")
	case create == 1 && len(live) > 0:
		name = rapid.SampledFrom(live).Draw(t, "liveObj")
	case create == 2:
		// nil object
	default:
		fresh = true
		typ = rapid.SampledFrom(objKinds).Draw(t, "type")
		if typ == abi.ObjCSpace && len(w.liveSpaces()) >= maxLiveSpaces {
			typ = abi.ObjEndpoint
		}
		if typ == abi.ObjCSpace {
			c := &containerObj{w: w, name: -1}
			newSp = capability.NewSpace(rapid.IntRange(1, 5).Draw(t, "containerLen"))
			newSp.Owner = c
			c.sp = newSp
			obj = c
		} else {
			obj = &testObj{typ: typ, w: w, name: -1}
		}
	}
	if name >= 0 {
		obj = w.objs[name].impl
		typ = w.objs[name].typ
	}
	rights := drawRights(t, "rights")
	badge := drawBadge(t, "badge")
	var parent ref
	withParent := fresh && rapid.IntRange(0, 2).Draw(t, "withParent") == 0
	if withParent {
		parent = w.drawSrc(t, "parent")
	}
	dst := w.drawDst(t, ref{}, "dst")

	// Prediction.
	want := abi.OK
	if withParent {
		want = w.mSrc(parent)
	}
	if want == abi.OK {
		want = w.mDst(dst)
	}
	if want == abi.OK {
		_, full := w.slots[dst.key()]
		_, parentFull := w.slots[parent.key()]
		switch {
		case full:
			want = abi.ErrSlotFull
		case obj == nil || (name >= 0 && w.objs[name].dead):
			want = abi.ErrInvalidArg
		case !rights.Valid():
			want = abi.ErrInvalidArg
		case badge != 0 && !badgeable(typ):
			want = abi.ErrInvalidArg
		case withParent && !parentFull:
			want = abi.ErrInvalidCap
		}
	}

	before := w.snapshot()
	var got abi.Errno
	var p, d *capability.Slot
	if withParent {
		p, got = w.iSrc(t, parent)
	}
	if got == abi.OK {
		d, got = w.iDst(t, dst)
	}
	if got == abi.OK {
		got = w.tree.Insert(d, obj, rights, badge, p)
	}
	op := fmt.Sprintf("Insert(%v, %v obj %d, %v, %d, parent %v=%v)", dst, typ, name, rights, badge, withParent, parent)
	if !w.expect(t, op, got, want, before) {
		if fresh {
			h := obj.(interface{ Caps() int })
			if obj.(interface{ ID() uint64 }).ID() != 0 || h.Caps() != 0 {
				t.Fatalf("%s failed but gave the object an ID or a capability", op)
			}
		}
		return
	}
	if fresh {
		name = len(w.objs)
		mo := &mobj{impl: obj, typ: typ, space: -1}
		switch o := obj.(type) {
		case *testObj:
			o.name, mo.hdr, mo.fin = name, &o.Header, &o.finalized
		case *containerObj:
			o.name, mo.hdr, mo.fin = name, &o.Header, &o.finalized
		}
		mo.id = mo.hdr.ID()
		if mo.id == 0 {
			t.Fatalf("%s: first Insert left ID() = 0", op)
		}
		if prev, dup := w.ids[mo.id]; dup {
			t.Fatalf("%s: ID %d already used by object %d", op, mo.id, prev)
		}
		w.ids[mo.id] = name
		w.objs = append(w.objs, mo)
		w.objIdx[obj] = name
		if newSp != nil {
			mo.space = w.addSpace(newSp, name)
		}
	}
	ms := mslot{obj: name, rights: rights, badge: badge}
	if withParent {
		ms.parent, ms.hasParent = parent.key(), true
	}
	w.slots[dst.key()] = ms
	w.objs[name].caps++
}

// opMint covers Copy (mint=false) and Mint.
func (w *modelWorld) opMint(t *rapid.T, mint bool) {
	src := w.drawSrc(t, "src")
	dst := w.drawDst(t, src, "dst")
	mask := drawMask(t, "mask")
	var badge abi.Badge
	if mint {
		badge = drawBadge(t, "badge")
	}

	want := w.predict2(src, dst)
	s, sOK := w.slots[src.key()]
	if want == abi.OK {
		_, full := w.slots[dst.key()]
		switch {
		case !sOK:
			want = abi.ErrInvalidCap
		case full:
			want = abi.ErrSlotFull
		case !mask.Valid():
			want = abi.ErrInvalidArg
		case badge != 0 && !badgeable(w.objs[s.obj].typ):
			want = abi.ErrInvalidArg
		case badge != 0 && s.badge != 0:
			want = abi.ErrIllegal
		}
	}

	before := w.snapshot()
	is, id, got := w.resolve2(t, src, dst)
	name := "Copy"
	if mint {
		name = "Mint"
	}
	if got == abi.OK {
		if mint {
			got = w.tree.Mint(id, is, mask, badge)
		} else {
			got = w.tree.Copy(id, is, mask)
		}
	}
	if !w.expect(t, fmt.Sprintf("%s(%v, %v, %v, %d)", name, dst, src, mask, badge), got, want, before) {
		return
	}
	if badge == 0 {
		badge = s.badge
	}
	w.slots[dst.key()] = mslot{obj: s.obj, rights: s.rights & mask, badge: badge, parent: src.key(), hasParent: true}
	w.objs[s.obj].caps++
}

// opMove covers Move (mutate=false) and Mutate.
func (w *modelWorld) opMove(t *rapid.T, mutate bool) {
	src := w.drawSrc(t, "src")
	dst := w.drawDst(t, src, "dst")
	var mask abi.Rights
	var badge abi.Badge
	if mutate {
		mask = drawMask(t, "mask")
		badge = drawBadge(t, "badge")
	}

	want := w.predict2(src, dst)
	s, sOK := w.slots[src.key()]
	rights := s.rights
	newBadge := s.badge
	if want == abi.OK {
		_, full := w.slots[dst.key()]
		switch {
		case !sOK:
			want = abi.ErrInvalidCap
		case full || dst.key() == src.key():
			want = abi.ErrSlotFull
		}
		if mutate && want == abi.OK {
			rights = s.rights & mask
			if badge != 0 {
				newBadge = badge
			}
			switch {
			case !mask.Valid():
				want = abi.ErrInvalidArg
			case badge != 0 && !badgeable(w.objs[s.obj].typ):
				want = abi.ErrInvalidArg
			case badge != 0 && s.badge != 0:
				want = abi.ErrIllegal
			case (rights != s.rights || newBadge != s.badge) && w.hasChildren(src.key()):
				want = abi.ErrRevoked
			}
		}
	}

	before := w.snapshot()
	is, id, got := w.resolve2(t, src, dst)
	name := "Move"
	if mutate {
		name = "Mutate"
	}
	if got == abi.OK {
		if mutate {
			got = w.tree.Mutate(id, is, mask, badge)
		} else {
			got = w.tree.Move(id, is)
		}
	}
	if !w.expect(t, fmt.Sprintf("%s(%v, %v, %v, %d)", name, dst, src, mask, badge), got, want, before) {
		return
	}
	delete(w.slots, src.key())
	s.rights, s.badge = rights, newBadge
	w.slots[dst.key()] = s
	for k, c := range w.slots {
		if c.hasParent && c.parent == src.key() {
			c.parent = dst.key()
			w.slots[k] = c
		}
	}
}

func (w *modelWorld) opDelete(t *rapid.T) {
	src := w.drawParentSrc(t, "slot")
	want := w.mSrc(src)
	if _, ok := w.slots[src.key()]; want == abi.OK && !ok {
		want = abi.ErrInvalidCap
	}
	before := w.snapshot()
	s, got := w.iSrc(t, src)
	if got == abi.OK {
		got = w.tree.Delete(s)
	}
	if !w.expect(t, fmt.Sprintf("Delete(%v)", src), got, want, before) {
		return
	}
	w.mDelete(src.key())
	w.mDrain()
}

func (w *modelWorld) opRevoke(t *rapid.T) {
	src := w.drawParentSrc(t, "slot")
	want := w.mSrc(src)
	if _, ok := w.slots[src.key()]; want == abi.OK && !ok {
		want = abi.ErrInvalidCap
	}
	before := w.snapshot()
	s, got := w.iSrc(t, src)
	if got == abi.OK {
		got = w.tree.Revoke(s)
	}
	if !w.expect(t, fmt.Sprintf("Revoke(%v)", src), got, want, before) {
		return
	}
	w.mRevoke(src.key())
	w.mDrain()
	if s.Empty() {
		modelStats["Revoke emptied its own slot by a cascade"]++
	}
	// (c) s has no descendants left, anywhere (a cascade may have emptied s itself).
	if s.HasChildren() {
		t.Fatalf("Revoke(%v) left children", src)
	}
	if len(w.descendants(src.key())) != 0 {
		t.Fatalf("Revoke(%v): model still has descendants", src)
	}
	for _, ms := range w.spaces {
		for i := 0; i < ms.impl.Len(); i++ {
			for a := ms.impl.At(i).Parent(); a != nil; a = a.Parent() {
				if a == s {
					t.Fatalf("Revoke(%v) left descendant %v", src, w.keyOf(t, ms.impl.At(i)))
				}
			}
		}
	}
}

// opLocked runs DeleteLocked/RevokeLocked on raw (possibly empty) slots, checks that no
// finalizer ran and the state matches the model without finalization, then Drains.
func (w *modelWorld) opLocked(t *rapid.T) {
	n := rapid.IntRange(1, 4).Draw(t, "lockedOps")
	w.noFinalize = true
	for i := 0; i < n; i++ {
		r := w.drawRawSlot(t, "lockedSlot")
		s := w.spaces[r.sp].impl.At(int(r.cptr))
		if rapid.IntRange(0, 3).Draw(t, "lockedRevoke") == 0 {
			w.tree.RevokeLocked(s)
			w.mRevoke(r.key())
			if s.HasChildren() {
				t.Fatalf("RevokeLocked(%v) left children", r)
			}
		} else {
			w.tree.DeleteLocked(s)
			w.mDelete(r.key())
		}
	}
	w.checkAll(t, false)
	w.noFinalize = false
	w.tree.Drain()
	w.mDrain()
}

var modelActions = []string{
	"create", "create", "create", "create",
	"copy", "copy", "copy",
	"mint", "mint", "mint",
	"move", "move",
	"mutate", "mutate", "mutate",
	"delete", "delete", "delete",
	"revoke", "revoke",
	"locked",
}

func runCapabilityModel(t *rapid.T) {
	w := newModelWorld(t)
	w.checkAll(t, true)
	steps := rapid.IntRange(1, maxStepsPerRun).Draw(t, "steps")
	for i := 0; i < steps; i++ {
		modelSteps++
		switch rapid.SampledFrom(modelActions).Draw(t, "action") {
		case "create":
			w.opCreate(t)
		case "copy":
			w.opMint(t, false)
		case "mint":
			w.opMint(t, true)
		case "move":
			w.opMove(t, false)
		case "mutate":
			w.opMove(t, true)
		case "delete":
			w.opDelete(t)
		case "revoke":
			w.opRevoke(t)
		case "locked":
			w.opLocked(t)
		}
		w.checkAll(t, true)
	}
}
