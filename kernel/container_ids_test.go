package kernel_test

import (
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// TestContainerIDMapRules: every rule of an id mapping has its error, and a refused
// mapping changes nothing; a nested container maps only ids its parent maps and its
// root never becomes a low machine id; ids translate through every level and back.
func TestContainerIDMapRules(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	root := w.RootContainer()
	a, err := w.CreateContainer(root, "a", lim(4<<20, 4))
	must(t, err)
	m := func(in, out, n uint32) abi.IDMap { return abi.IDMap{Inside: in, Outside: out, Count: n} }
	nine := make([]abi.IDMap, abi.MaxIDMaps+1)
	for i := range nine {
		nine[i] = m(uint32(i)*10+1, 70000+uint32(i)*10, 1)
	}
	for _, c := range []struct {
		what string
		kind abi.IDKind
		maps []abi.IDMap
		want abi.Errno
	}{
		{"unknown kind", 2, []abi.IDMap{m(0, 100000, 1)}, abi.ErrInvalidArg},
		{"no ranges", abi.IDUser, nil, abi.ErrRange},
		{"too many ranges", abi.IDUser, nine, abi.ErrRange},
		{"a count of 0", abi.IDUser, []abi.IDMap{m(0, 100000, 0)}, abi.ErrInvalidArg},
		{"past the largest id", abi.IDUser, []abi.IDMap{m(1<<32-10, 100000, 11)}, abi.ErrRange},
		{"the machine's root", abi.IDUser, []abi.IDMap{m(5, 0, 1)}, abi.ErrRange},
		{"root to a low id", abi.IDGroup, []abi.IDMap{m(0, 1000, 10)}, abi.ErrRange},
		{"overlapping inside", abi.IDUser, []abi.IDMap{m(0, 100000, 10), m(5, 200000, 10)}, abi.ErrInvalidArg},
		{"overlapping outside", abi.IDUser, []abi.IDMap{m(0, 100000, 10), m(20, 100005, 10)}, abi.ErrInvalidArg},
	} {
		wantErrno(t, c.what, w.SetContainerIDMap(a, c.kind, c.maps), c.want)
		if a.IDMaps(abi.IDUser) != nil || a.IDMaps(abi.IDGroup) != nil {
			t.Fatalf("%s: a refused mapping was set", c.what)
		}
	}
	wantErrno(t, "the root container", w.SetContainerIDMap(root, abi.IDUser, []abi.IDMap{m(0, 100000, 1)}), abi.ErrIllegal)
	must(t, w.SetContainerIDMap(a, abi.IDUser, []abi.IDMap{m(0, 100000, 65536), m(70000, 1000, 10)}))
	wantErrno(t, "a second mapping", w.SetContainerIDMap(a, abi.IDUser, []abi.IDMap{m(0, 300000, 1)}), abi.ErrIllegal)

	b, err := w.CreateContainer(a, "b", lim(1<<20, 2))
	must(t, err)
	wantErrno(t, "a mapping after a nested container", w.SetContainerIDMap(a, abi.IDGroup, []abi.IDMap{m(0, 100000, 1)}), abi.ErrIllegal)
	wantErrno(t, "nested: ids the parent does not map", w.SetContainerIDMap(b, abi.IDUser, []abi.IDMap{m(0, 65000, 1000)}), abi.ErrRange)
	wantErrno(t, "nested: across two parent ranges", w.SetContainerIDMap(b, abi.IDUser, []abi.IDMap{m(0, 65530, 10)}), abi.ErrRange)
	wantErrno(t, "nested: root to the machine's 1000", w.SetContainerIDMap(b, abi.IDUser, []abi.IDMap{m(0, 70000, 1)}), abi.ErrRange)
	wantErrno(t, "nested: nothing mapped in the parent", w.SetContainerIDMap(b, abi.IDGroup, []abi.IDMap{m(0, 1000, 1)}), abi.ErrRange)
	must(t, w.SetContainerIDMap(b, abi.IDUser, []abi.IDMap{m(0, 1000, 1000), m(5000, 70003, 2)}))

	for _, c := range []struct {
		id, out uint32
		ok      bool
	}{{0, 101000, true}, {999, 101999, true}, {1000, abi.OverflowID, false}, {5001, 1004, true}} {
		if out, ok := b.OutsideID(abi.IDUser, c.id); out != c.out || ok != c.ok {
			t.Errorf("b's uid %d is the machine's %d (%v); want %d (%v)", c.id, out, ok, c.out, c.ok)
		}
		if c.ok {
			if in, ok := b.InsideID(abi.IDUser, c.out); in != c.id || !ok {
				t.Errorf("the machine's uid %d is b's %d (%v); want %d", c.out, in, ok, c.id)
			}
		}
	}
	if in, ok := b.InsideID(abi.IDUser, 0); in != abi.OverflowID || ok {
		t.Errorf("the machine's root inside b: %d (%v)", in, ok)
	}
	if out, ok := b.OutsideID(abi.IDGroup, 0); out != abi.OverflowID || ok {
		t.Errorf("b's gid 0, unmapped: %d (%v)", out, ok)
	}
	startIn(t, w, b, "wait", ctrWaitPC, 4, 100)
	wantErrno(t, "a mapping after the first task", w.SetContainerIDMap(b, abi.IDGroup, []abi.IDMap{m(0, 100000, 1)}), abi.ErrIllegal)
	must(t, w.DestroyContainer(a))
	w.run()
}

// TestContainerIDMapABI: the id mapping methods through the ABI, with their errors.
func TestContainerIDMapABI(t *testing.T) {
	w := bootCtr(t, func(e *user.Env) {
		slots := initSlots()
		c, _ := slots.Take()
		ro, _ := slots.Take()
		_, err := e.CreateContainer(sys, "ids", lim(1<<20, 2), c)
		must(t, err)
		must(t, e.Copy(cs, ro, cs, c, abi.RightRead))
		maps := []abi.IDMap{{Inside: 0, Outside: 200000, Count: 1000}}
		expectErrno(t, "set with Read", e.SetContainerIDMap(ro, abi.IDUser, maps), abi.ErrNoRights)
		e.SetMR(0, uint64(abi.IDUser))
		e.SetMR(1, abi.MaxIDMaps+1)
		expectErrno(t, "set too many", e.Invoke(c, abi.ContainerSetIDMap, 2, 0), abi.ErrRange)
		e.SetMR(1, 1)
		e.SetMR(2, 200000<<32)
		e.SetMR(3, 1<<32)
		expectErrno(t, "a count past 32 bits", e.Invoke(c, abi.ContainerSetIDMap, 4, 0), abi.ErrRange)
		expectErrno(t, "root to a low id", e.SetContainerIDMap(c, abi.IDUser, []abi.IDMap{{Inside: 0, Outside: 10, Count: 1}}), abi.ErrRange)
		must(t, e.SetContainerIDMap(c, abi.IDUser, maps))
		got, err := e.ContainerIDMap(ro, abi.IDUser)
		if err != nil || len(got) != 1 || got[0] != maps[0] {
			t.Errorf("the mapping read back: %+v %v", got, err)
		}
		if got, err := e.ContainerIDMap(ro, abi.IDGroup); err != nil || len(got) != 0 {
			t.Errorf("no group mapping: %+v %v", got, err)
		}
		_, err = e.ContainerIDMap(ro, 7)
		expectErrno(t, "read an unknown kind", err, abi.ErrInvalidArg)
		if out, ok, err := e.ContainerMapID(ro, abi.IDUser, 7); out != 200007 || !ok || err != nil {
			t.Errorf("uid 7 maps to %d (%v, %v)", out, ok, err)
		}
		if out, ok, err := e.ContainerMapID(ro, abi.IDUser, 1000); out != abi.OverflowID || ok || err != nil {
			t.Errorf("uid 1000 maps to %d (%v, %v)", out, ok, err)
		}
		_, _, err = e.ContainerMapID(ro, 2, 0)
		expectErrno(t, "map an unknown kind", err, abi.ErrInvalidArg)
		must(t, e.DestroyContainer(c))
		expectErrno(t, "set on a destroyed container", e.SetContainerIDMap(c, abi.IDGroup, maps), abi.ErrIllegal)
	}, nil, nil)
	w.finish()
}
