package kernel_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const (
	sharedReaderPC = 0x74_0000
	sharedWriterPC = 0x75_0000
	roBase         = 0x60_0000 // two read-only pages of "code"
	rwBase         = 0x70_0000 // one writable page of data
)

var roData = bytes.Repeat([]byte("shared read-only program text "), 250) // about 7 KiB: two pages

// sharedLoader starts programs with an image whose read-only pages are shared.
type sharedLoader map[string]uint64

func (l sharedLoader) Load(k *kernel.Kernel, budget *kernel.Untyped, argv []string, spec kernel.TaskSpec) (*kernel.Task, abi.Errno, error) {
	pc, ok := l[argv[0]]
	if !ok {
		return nil, abi.ErrNotFound, fmt.Errorf("no program %q", argv[0])
	}
	spec.Entry, spec.StackPages, spec.ShareKey = pc, 1, "demo-image"
	spec.Image = []kernel.Segment{
		{Vaddr: roBase, Data: roData, Perm: hal.PermRead | hal.PermExec},
		{Vaddr: rwBase, Data: []byte("private data"), Memsz: abi.PageSize, Perm: hal.PermRead | hal.PermWrite},
	}
	task, err := k.CreateTask(budget, spec)
	if err != nil {
		return nil, abi.ErrNoMemory, err
	}
	k.StartTask(task)
	return task, abi.OK, nil
}

// TestSharedImages (seed verification target 11): tasks running the same program map
// its read-only pages from one set of frames — read-only in every address space, which
// CheckInvariants walks — while each has its own writable pages; a task writing to a
// shared page faults alone; the frames go back when the last user ends.
func TestSharedImages(t *testing.T) {
	var seen [3]string
	var stats [3]kernel.SharedStats
	var w *world
	readerSays := func(i int) usersim.Program {
		return func(e *user.Env) {
			var b [8]byte
			binaryLoad(e, roBase+abi.PageSize, b[:])
			e.Store64(rwBase, uint64(i)) // private: does not disturb the other reader
			seen[i] = fmt.Sprintf("%s|%d", b[:], e.Load64(rwBase))
			e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, abi.InitFirstFree, 1)
			e.Wait(abi.InitFirstFree) // stays alive until killed
		}
	}
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		before, _ := e.Memory(sys)
		a, err := e.StartProgram(sys, []string{"reader"}, 1<<20, 0, ntfn)
		must(t, err)
		b, err := e.StartProgram(sys, []string{"reader2"}, 1<<20, 0, ntfn)
		must(t, err)
		e.Yield()
		stats[0] = w.SharedStats()
		if err := w.CheckInvariants(); err != nil {
			t.Errorf("invariants with two sharers: %v", err)
		}
		wr, err := e.StartProgram(sys, []string{"writer"}, 1<<20, 0, ntfn)
		must(t, err)
		e.Wait(ntfn) // the writer faults and ends
		if st, _, _ := e.TaskStatus(sys, wr); st != kernel.TaskFaulted {
			t.Errorf("writer: %v", st)
		}
		stats[1] = w.SharedStats()
		must(t, e.Kill(sys, a))
		must(t, e.Kill(sys, b))
		stats[2] = w.SharedStats()
		after, _ := e.Memory(sys)
		if after.Free != before.Free {
			t.Errorf("free frames %d → %d: the shared image leaked", before.Free, after.Free)
		}
	}, map[uint64]usersim.Program{
		sharedReaderPC:     readerSays(0),
		sharedReaderPC + 8: readerSays(1),
		sharedWriterPC:     func(e *user.Env) { e.Store64(roBase, 1) },
	})
	w.SetLoader(sharedLoader{"reader": sharedReaderPC, "reader2": sharedReaderPC + 8, "writer": sharedWriterPC})
	w.run()
	if want := string(roData[abi.PageSize : abi.PageSize+8]); seen[0] != want+"|0" || seen[1] != want+"|1" {
		t.Errorf("readers saw %q and %q", seen[0], seen[1])
	}
	if s := stats[0]; s.Images != 1 || s.Frames != 2 || s.Mappings != 4 || s.Saved != 2 {
		t.Errorf("two readers: %+v", s)
	}
	if s := stats[1]; s.Frames != 2 || s.Mappings != 4 {
		t.Errorf("after the writer's fault: %+v", s)
	}
	if s := stats[2]; s != (kernel.SharedStats{}) {
		t.Errorf("after both ended: %+v", s)
	}
}

// TestSharedWalkSeesBrokenMappings: the shared-image walk of CheckInvariants (target
// 11) is not vacuous: with two tasks sharing an image, a shared page made writable in
// one page table, or a mapping the shared frame does not record, is reported; undone,
// the invariants hold again.
func TestSharedWalkSeesBrokenMappings(t *testing.T) {
	var w *world
	var errs []string
	readerWaits := func(e *user.Env) {
		e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, abi.InitFirstFree, 1)
		e.Wait(abi.InitFirstFree)
	}
	w = boot(t, func(e *user.Env) {
		slots := initSlots()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		a, err := e.StartProgram(sys, []string{"reader"}, 1<<20, 0, ntfn)
		must(t, err)
		b, err := e.StartProgram(sys, []string{"reader2"}, 1<<20, 0, ntfn)
		must(t, err)
		e.Yield()
		if err := w.CheckInvariants(); err != nil {
			t.Errorf("before: %v", err)
		}
		for _, how := range []string{"writable", "unrecorded"} {
			undo := kernel.BreakSharedMapping(w.Kernel, how)
			if undo == nil {
				t.Errorf("%s: no shared mapping to break", how)
				continue
			}
			err := w.CheckInvariants()
			errs = append(errs, fmt.Sprint(err))
			if err == nil {
				t.Errorf("%s: a broken shared mapping passed CheckInvariants", how)
			}
			undo()
			if err := w.CheckInvariants(); err != nil {
				t.Errorf("after undoing %s: %v", how, err)
			}
		}
		must(t, e.Kill(sys, a))
		must(t, e.Kill(sys, b))
	}, map[uint64]usersim.Program{sharedReaderPC: readerWaits, sharedReaderPC + 8: readerWaits})
	w.SetLoader(sharedLoader{"reader": sharedReaderPC, "reader2": sharedReaderPC + 8})
	w.run()
	t.Logf("reported: %q", errs)
}

func binaryLoad(e *user.Env, va uint64, b []byte) {
	for i := range b {
		b[i] = byte(e.Load64(va+uint64(i)) & 0xff)
	}
}
