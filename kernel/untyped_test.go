package kernel_test

import (
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// usedOf returns the used bytes of the memory budget u names (^0 on error).
func usedOf(t *testing.T, e *user.Env, u abi.CPtr) uint64 {
	t.Helper()
	_, used, err := e.UntypedInfo(u)
	if err != nil {
		t.Errorf("UntypedInfo(%d): %v", u, err)
		return ^uint64(0)
	}
	return used
}

// A child Untyped is a budget: retypes charge exactly the abi sizes, a retype that does
// not fit fails with ErrNoMemory and makes nothing, deleting objects credits their bytes
// when their last capability goes, and revoking the child returns everything.
func TestUntypedBudgetAccounting(t *testing.T) {
	const size = 16 * 1024
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		root0 := usedOf(t, e, ut)
		frames0 := w.Sim.Memory().FreeFrames()
		child, _ := slots.Take()
		must(t, e.Retype(ut, abi.ObjUntyped, size, cs, child, 1))
		if got := usedOf(t, e, ut); got != root0+size {
			t.Errorf("root used %d after making a %d-byte child, want %d", got, size, root0+size)
		}
		if c, u, err := e.UntypedInfo(child); c != size || u != 0 || err != nil {
			t.Errorf("child info = %d, %d, %v; want %d, 0", c, u, err, size)
		}
		var used uint64
		first := slots.Next
		mk := func(what string, typ abi.ObjectType, sz uint64, count int, cost uint64, want abi.Errno) {
			t.Helper()
			dst := slots.Next
			frames := w.Sim.Memory().FreeFrames()
			err := e.Retype(child, typ, sz, cs, dst, count)
			if !expectErrno(t, what, err, want) {
				return
			}
			if want == abi.OK {
				slots.Next += abi.CPtr(count)
				used += cost * uint64(count)
				for i := range count {
					if ci, err := e.Inspect(cs, dst+abi.CPtr(i)); err != nil || ci.Type != typ || ci.Rights != abi.AllRights {
						t.Errorf("%s: slot %d holds %+v, %v", what, dst+abi.CPtr(i), ci, err)
					}
				}
			} else if occ := occupied(e, cs, int(dst)+count+1); len(occ) > 0 && occ[len(occ)-1] >= dst {
				t.Errorf("%s failed but filled slots %v", what, occ)
			}
			if got := usedOf(t, e, child); got != used {
				t.Errorf("%s: child used %d, want %d", what, got, used)
			}
			wantFrames := frames
			if want == abi.OK && typ == abi.ObjFrame {
				wantFrames -= count
			}
			if got := w.Sim.Memory().FreeFrames(); got != wantFrames {
				t.Errorf("%s: %d free frames, want %d", what, got, wantFrames)
			}
		}
		mk("TCB", abi.ObjTCB, 0, 1, abi.SizeTCB, abi.OK)
		mk("2 endpoints", abi.ObjEndpoint, 0, 2, abi.SizeEndpoint, abi.OK)
		mk("notification", abi.ObjNotification, 0, 1, abi.SizeNotification, abi.OK)
		mk("reply", abi.ObjReply, 0, 1, abi.SizeReply, abi.OK)
		mk("CSpace radix 4", abi.ObjCSpace, 4, 1, abi.SizeCSpaceSlot<<4, abi.OK)
		mk("frame", abi.ObjFrame, 0, 1, abi.SizeFrame, abi.OK)
		mk("address space", abi.ObjAddressSpace, 0, 1, abi.SizeAddressSpace, abi.OK)
		grandchild := slots.Next
		mk("untyped 4 KiB", abi.ObjUntyped, abi.PageSize, 1, abi.PageSize, abi.OK)
		// 16384 - 15616 = 768 bytes left.
		mk("TCB beyond the budget", abi.ObjTCB, 0, 1, 0, abi.ErrNoMemory)
		mk("13 endpoints beyond the budget", abi.ObjEndpoint, 0, 13, 0, abi.ErrNoMemory)
		mk("12 endpoints: exactly the rest", abi.ObjEndpoint, 0, 12, abi.SizeEndpoint, abi.OK)
		if used != size {
			t.Errorf("test arithmetic: used %d, want the whole %d", used, size)
		}
		mk("notification in a full budget", abi.ObjNotification, 0, 1, 0, abi.ErrNoMemory)
		mk("frame in a full budget", abi.ObjFrame, 0, 1, 0, abi.ErrNoMemory)

		// The grandchild is charged to the child in full; its own objects are not.
		gFrame, _ := slots.Take()
		must(t, e.Retype(grandchild, abi.ObjFrame, 0, cs, gFrame, 1))
		if g, c := usedOf(t, e, grandchild), usedOf(t, e, child); g != abi.PageSize || c != size {
			t.Errorf("after a frame from the grandchild: grandchild used %d, child %d; want %d, %d", g, c, abi.PageSize, size)
		}

		// Deleting the TCB (its only capability) gives its bytes back.
		must(t, e.Delete(cs, first))
		used -= abi.SizeTCB
		if got := usedOf(t, e, child); got != used {
			t.Errorf("after deleting the TCB: child used %d, want %d", got, used)
		}
		// An endpoint with a second capability lives until both are gone.
		ep := first + 1
		cp, _ := slots.Take()
		must(t, e.Copy(cs, cp, cs, ep, abi.AllRights))
		must(t, e.Delete(cs, ep))
		if got := usedOf(t, e, child); got != used {
			t.Errorf("after deleting one of two endpoint capabilities: child used %d, want %d", got, used)
		}
		must(t, e.Delete(cs, cp))
		used -= abi.SizeEndpoint
		if got := usedOf(t, e, child); got != used {
			t.Errorf("after deleting the last endpoint capability: child used %d, want %d", got, used)
		}
		// Deleting the grandchild's capability while its frame lives: the frame stays
		// charged until it dies, then the grandchild's bytes go back to the child.
		must(t, e.Delete(cs, grandchild))
		if got := usedOf(t, e, child); got != used {
			t.Errorf("after deleting the grandchild's capability: child used %d, want %d (its frame lives)", got, used)
		}
		must(t, e.Delete(cs, gFrame))
		used -= abi.PageSize
		if got := usedOf(t, e, child); got != used {
			t.Errorf("after deleting the grandchild's frame: child used %d, want %d", got, used)
		}

		// Revoking the child destroys everything made from it.
		must(t, e.Revoke(cs, child))
		if got := usedOf(t, e, child); got != 0 {
			t.Errorf("after revoking the child: used %d, want 0", got)
		}
		if occ := occupied(e, cs, int(slots.Next)); len(occ) == 0 || occ[len(occ)-1] != child {
			t.Errorf("after revoking the child, occupied slots %v; want none after %d", occ, child)
		}
		must(t, e.Delete(cs, child))
		if got := usedOf(t, e, ut); got != root0 {
			t.Errorf("root used %d after deleting the child, want %d", got, root0)
		}
		if got := w.Sim.Memory().FreeFrames(); got != frames0 {
			t.Errorf("%d free frames at the end, want %d", got, frames0)
		}
	}, nil)
	w.finish()
}

// A thousand cycles of making and destroying every kind of object leave the budget's
// used bytes and the machine's free frames where they started.
func TestCreateDestroyCyclesLeakNothing(t *testing.T) {
	const (
		cycles   = 1000
		waiterPC = 0x140_0000
	)
	var w *world
	var made, finalized uint64
	var woke []error
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		child, _ := slots.Take()
		base := slots.Next
		root0 := usedOf(t, e, ut)
		frames0 := w.Sim.Memory().FreeFrames()
		fin0 := w.Finalized()
		const (
			oTCB = iota
			oEP
			oNtfn
			oReply
			oCS
			oFrame
			oAS
			oUT
			nObj
		)
		types := [nObj]struct {
			typ  abi.ObjectType
			size uint64
		}{{abi.ObjTCB, 0}, {abi.ObjEndpoint, 0}, {abi.ObjNotification, 0}, {abi.ObjReply, 0},
			{abi.ObjCSpace, 2}, {abi.ObjFrame, 0}, {abi.ObjAddressSpace, 0}, {abi.ObjUntyped, abi.PageSize}}
		for i := range cycles {
			from := abi.CPtr(ut)
			if i%2 == 0 {
				// Even cycles: everything from a child budget, torn down by one revoke.
				if err := e.Retype(ut, abi.ObjUntyped, 64*1024, cs, child, 1); err != nil {
					t.Errorf("cycle %d: child: %v", i, err)
					return
				}
				from = child
			}
			for j, o := range types {
				if err := e.Retype(from, o.typ, o.size, cs, base+abi.CPtr(j), 1); err != nil {
					t.Errorf("cycle %d: retype %v: %v", i, o.typ, err)
					return
				}
				made++
			}
			// Tie the objects together: the frame mapped in the address space, the
			// thread bound to the CSpace, address space and frame; a badged copy.
			va := uint64(0x1000_0000)
			if err := e.Map(base+oFrame, base+oAS, va, 3); err != nil {
				t.Errorf("cycle %d: map: %v", i, err)
				return
			}
			if err := e.Configure(base+oTCB, base+oCS, base+oAS, base+oFrame, va); err != nil {
				t.Errorf("cycle %d: configure: %v", i, err)
				return
			}
			if err := e.Mint(cs, base+nObj, cs, base+oEP, abi.RightWrite, abi.Badge(i+1)); err != nil {
				t.Errorf("cycle %d: mint: %v", i, err)
				return
			}
			// Start the thread: it waits on the notification (copied into its CSpace)
			// and is destroyed while blocked.
			if err := e.Copy(base+oCS, 1, cs, base+oNtfn, abi.RightRead); err != nil {
				t.Errorf("cycle %d: copy: %v", i, err)
				return
			}
			if err := e.SetPriority(base+oTCB, self, 150); err != nil {
				t.Errorf("cycle %d: priority: %v", i, err)
				return
			}
			if err := e.WriteRegisters(base+oTCB, waiterPC, 0, va); err != nil {
				t.Errorf("cycle %d: registers: %v", i, err)
				return
			}
			if err := e.Resume(base + oTCB); err != nil {
				t.Errorf("cycle %d: resume: %v", i, err)
				return
			}
			if i%100 == 0 {
				expectState(t, e, fmt.Sprintf("cycle %d: thread", i), base+oTCB, kernel.BlockedOnNotification)
			}
			if i%2 == 0 {
				must(t, e.Revoke(cs, child))
				must(t, e.Delete(cs, child))
			} else {
				// Odd cycles: delete one by one, the CSpace and frame first (the TCB
				// still holds copies of them).
				for _, j := range []abi.CPtr{oCS, oFrame, oAS, nObj, oEP, oNtfn, oReply, oUT, oTCB} {
					if err := e.Delete(cs, base+j); err != nil {
						t.Errorf("cycle %d: delete %d: %v", i, j, err)
						return
					}
				}
			}
			if i%50 == 0 || i == cycles-1 {
				if occ := occupied(e, cs, int(base)+nObj+2); len(occ) > 0 && occ[len(occ)-1] >= child {
					t.Errorf("cycle %d: slots %v still occupied", i, occ)
					return
				}
			}
		}
		if got := usedOf(t, e, ut); got != root0 {
			t.Errorf("root used %d after %d cycles, want %d", got, cycles, root0)
		}
		if got := w.Sim.Memory().FreeFrames(); got != frames0 {
			t.Errorf("%d free frames after %d cycles, want %d", got, cycles, frames0)
		}
		finalized = w.Finalized() - fin0
	}, map[uint64]usersim.Program{waiterPC: func(e *user.Env) {
		_, err := e.Wait(1)
		woke = append(woke, err) // a destroyed thread never runs again
	}})
	w.finish()
	if len(woke) != 0 {
		t.Errorf("destroyed threads ran again: %v", woke)
	}
	// Every object made was destroyed, and every child budget too.
	if want := made + cycles/2; finalized != want {
		t.Errorf("%d objects finalized, want %d", finalized, want)
	}
}

// A retype that fails — a destination slot in the middle of the range already full, a
// range past the end of the CSpace, too little budget — creates nothing.
func TestFailedRetypeCreatesNothing(t *testing.T) {
	var w *world
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		small, _ := slots.Take()
		must(t, e.Retype(ut, abi.ObjUntyped, abi.PageSize, cs, small, 1))
		filler := retype(e, slots, abi.ObjEndpoint, 0)
		fillerInfo, _ := e.Inspect(cs, filler)
		first := slots.Next
		must(t, e.Copy(cs, first+2, cs, filler, abi.AllRights)) // the middle of first..first+4
		snapshot := func() string {
			_, r, _ := e.UntypedInfo(ut)
			_, s, _ := e.UntypedInfo(small)
			return fmt.Sprintf("root %d small %d frames %d fin %d slots %v", r, s,
				w.Sim.Memory().FreeFrames(), w.Finalized(), occupied(e, cs, int(first)+8))
		}
		cases := []struct {
			name string
			call func() error
			want abi.Errno
		}{
			{"slot full in the middle", func() error { return e.Retype(ut, abi.ObjNotification, 0, cs, first, 5) }, abi.ErrSlotFull},
			{"frames, slot full in the middle", func() error { return e.Retype(ut, abi.ObjFrame, 0, cs, first, 5) }, abi.ErrSlotFull},
			{"past the end of the CSpace", func() error { return e.Retype(ut, abi.ObjEndpoint, 0, cs, 4094, 3) }, abi.ErrRange},
			{"not enough budget for all", func() error { return e.Retype(small, abi.ObjTCB, 0, cs, first+3, 3) }, abi.ErrNoMemory},
			{"untyped larger than the budget", func() error { return e.Retype(small, abi.ObjUntyped, 2*abi.PageSize, cs, first, 1) }, abi.ErrNoMemory},
		}
		for _, c := range cases {
			before := snapshot()
			expectErrno(t, c.name, c.call(), c.want)
			if after := snapshot(); after != before {
				t.Errorf("%s changed the system:\n before %s\n after  %s", c.name, before, after)
			}
		}
		if ci, err := e.Inspect(cs, first+2); err != nil || ci != fillerInfo {
			t.Errorf("the occupied slot now holds %+v, %v; want %+v", ci, err, fillerInfo)
		}
		// The same retype succeeds once the slot is free.
		must(t, e.Delete(cs, first+2))
		expectErrno(t, "retype into a free range", e.Retype(ut, abi.ObjNotification, 0, cs, first, 5), abi.OK)
	}, nil)
	w.finish()
}
