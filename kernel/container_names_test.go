package kernel_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const ctrNamerPC = 0x8c_0000 // exercises its container's IPC names, then waits to be stopped

// rawName invokes a name method with a name of n bytes, bypassing the library's checks.
func rawName(e *user.Env, sys abi.CPtr, m abi.Method, n int, c abi.CPtr) error {
	e.SetPayload([]byte(strings.Repeat("a", max(n, 1))))
	e.SetMR(0, uint64(n))
	e.SetMR(1, 200)
	e.SetCap(0, c)
	return e.Invoke(sys, m, 2, 1)
}

// inspect describes slot s of the caller's CSpace.
func inspect(t *testing.T, e *user.Env, s abi.CPtr) user.CapInfo {
	t.Helper()
	c, err := e.Inspect(abi.InitSlotCSpace, s)
	must(t, err)
	return c
}

// TestContainerNames: a container's tasks register endpoints under names and look
// them up; every refused call says why and changes nothing; a name ends with the
// capability it was registered with (delete, revoke) or the container; the machine's
// registry is another namespace; the container's holder sees the names.
func TestContainerNames(t *testing.T) {
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50))
		slots := initSlots()
		c, _ := slots.Take()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		must(t, e.RegisterName(sys, "svc.a", ep)) // the same name, in the machine's registry
		_, err := e.CreateContainer(sys, "named", lim(1<<20, 2), c)
		must(t, err)
		_, err = e.StartInContainer(c, []string{"namer"}, 0, 0, abi.RightRead|abi.RightWrite, ntfn)
		must(t, err)
		names, err := e.ContainerNames(c)
		if want := "svc.a n01 n02"; err != nil || len(names) != abi.MaxIPCNames || strings.Join(names[:3], " ") != want {
			t.Errorf("the container's names: %d %q… %v", len(names), names[:min(3, len(names))], err)
		}
		// The machine's registry still holds init's own svc.a, not the container's.
		got, _ := slots.Take()
		must(t, e.LookupName(sys, "svc.a", cs, got))
		if a, b := inspect(t, e, got), inspect(t, e, ep); a.Object != b.Object {
			t.Errorf("the machine's svc.a names object %d, want init's %d", a.Object, b.Object)
		}
		expectErrno(t, "look up a container's name outside", e.LookupName(sys, "n01", cs, 300), abi.ErrNotFound)
		must(t, e.StopContainer(c, 0))
		must(t, e.DestroyContainer(c))
		_, err = e.ContainerNames(c)
		if names, _ := e.ContainerNames(c); len(names) != 0 {
			t.Errorf("a destroyed container's names: %q %v", names, err)
		}
	}, nil, nil)
	w.Sim.AddProgram(ctrNamerPC, usersim.Entry(func(e *user.Env) {
		const sys, cs = abi.ContainerSlotSystem, abi.InitSlotCSpace
		const ep, copied, other, orig, derived, ntfn = 20, 21, 22, 23, 24, 25
		for _, s := range []abi.CPtr{ep, other, orig} {
			must(t, e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, cs, s, 1))
		}
		must(t, e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, cs, ntfn, 1))
		must(t, e.Copy(cs, derived, cs, orig, abi.AllRights))

		must(t, e.RegisterName(sys, "svc.a", ep))
		expectErrno(t, "register: empty name", rawName(e, sys, abi.SystemRegister, 0, ep), abi.ErrRange)
		expectErrno(t, "register: too long a name", rawName(e, sys, abi.SystemRegister, abi.IPCNameBytes+1, ep), abi.ErrRange)
		expectErrno(t, "register: bad characters", e.RegisterName(sys, "Svc", ep), abi.ErrInvalidArg)
		expectErrno(t, "register: starts with a digit", e.RegisterName(sys, "1svc", ep), abi.ErrInvalidArg)
		expectErrno(t, "register: taken", e.RegisterName(sys, "svc.a", other), abi.ErrSlotFull)
		expectErrno(t, "register: a notification", e.RegisterName(sys, "svc.n", ntfn), abi.ErrWrongType)
		expectErrno(t, "register: an empty slot", e.RegisterName(sys, "svc.e", 99), abi.ErrInvalidCap)

		must(t, e.LookupName(sys, "svc.a", cs, copied))
		if a, b := inspect(t, e, copied), inspect(t, e, ep); a.Object != b.Object || a.Type != abi.ObjEndpoint || a.Rights != b.Rights {
			t.Errorf("looked up %+v, registered %+v", a, b)
		}
		expectErrno(t, "lookup: into a full slot", e.LookupName(sys, "svc.a", cs, copied), abi.ErrSlotFull)
		expectErrno(t, "lookup: unknown name", e.LookupName(sys, "svc.x", cs, 30), abi.ErrNotFound)
		expectErrno(t, "lookup: not a CSpace", e.LookupName(sys, "svc.a", ep, 30), abi.ErrWrongType)
		expectErrno(t, "lookup: slot out of range", e.LookupName(sys, "svc.a", cs, 1<<20), abi.ErrRange)
		expectErrno(t, "unregister: not the registering capability", e.UnregisterName(sys, "svc.a", copied), abi.ErrNoRights)
		expectErrno(t, "unregister: unknown", e.UnregisterName(sys, "svc.x", ep), abi.ErrNotFound)
		must(t, e.UnregisterName(sys, "svc.a", ep))
		expectErrno(t, "lookup after unregister", e.LookupName(sys, "svc.a", cs, 30), abi.ErrNotFound)

		// A name ends with its capability: deleted, or revoked through an ancestor.
		must(t, e.RegisterName(sys, "svc.b", other))
		must(t, e.Delete(cs, other))
		expectErrno(t, "lookup after delete", e.LookupName(sys, "svc.b", cs, 30), abi.ErrNotFound)
		must(t, e.RegisterName(sys, "svc.c", derived))
		must(t, e.Revoke(cs, orig))
		expectErrno(t, "lookup after revoke", e.LookupName(sys, "svc.c", cs, 30), abi.ErrNotFound)

		// At most MaxIPCNames; names whose capability is gone do not count.
		must(t, e.RegisterName(sys, "svc.a", ep))
		for i := 1; i < abi.MaxIPCNames; i++ {
			must(t, e.RegisterName(sys, fmt.Sprintf("n%02d", i), ep))
		}
		expectErrno(t, "register past the limit", e.RegisterName(sys, "one.more", ep), abi.ErrLimit)
		e.Wait(abi.ContainerSlotStop)
	}))
	w.SetLoader(usersim.Loader{Entries: map[string]uint64{"namer": ctrNamerPC}})
	w.finish()
}

// TestContainerNamesLinkRevoke: a task registers the link end it was granted; the
// name works while the link lives, and when the link is revoked the name is gone —
// nothing of the other container stays reachable through it.
func TestContainerNamesLinkRevoke(t *testing.T) {
	var before, after error
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50))
		slots := initSlots()
		a, _ := slots.Take()
		b, _ := slots.Take()
		client, _ := slots.Take()
		server, _ := slots.Take()
		_, err := e.CreateContainer(sys, "a", lim(1<<20, 2), a)
		must(t, err)
		_, err = e.CreateContainer(sys, "b", lim(1<<20, 2), b)
		must(t, err)
		id, err := e.LinkContainers(a, b, client, server, false)
		must(t, err)
		pid, err := e.StartInContainer(a, []string{"registrar"}, 0, 0, abi.RightRead|abi.RightWrite, 0, client)
		must(t, err)
		if names, _ := e.ContainerNames(a); len(names) != 1 || names[0] != "peer.b" {
			t.Errorf("a's names with the link: %q", names)
		}
		must(t, e.UnlinkContainers(a, id))
		if names, _ := e.ContainerNames(a); len(names) != 0 {
			t.Errorf("a's names after the revoke: %q", names)
		}
		must(t, e.SignalInContainer(a, pid, 2)) // look the name up again
		must(t, e.DestroyContainer(a))
		must(t, e.DestroyContainer(b))
	}, nil, nil)
	w.Sim.AddProgram(0x8d_0000, usersim.Entry(func(e *user.Env) {
		const sys, cs = abi.ContainerSlotSystem, abi.InitSlotCSpace
		must(t, e.RegisterName(sys, "peer.b", abi.InitFirstFree))
		before = e.LookupName(sys, "peer.b", cs, 30)
		e.Wait(abi.ContainerSlotStop)
		after = e.LookupName(sys, "peer.b", cs, 31)
		e.Wait(abi.ContainerSlotStop)
	}))
	w.SetLoader(usersim.Loader{Entries: map[string]uint64{"registrar": 0x8d_0000}})
	w.finish()
	if before != nil {
		t.Errorf("lookup while the link lives: %v", before)
	}
	expectErrno(t, "lookup after the link was revoked", after, abi.ErrNotFound)
}

// TestContainerIPCAllowList: a container given an IPC allow-list (a descriptor's
// namespaces.ipc) registers only the names on it; every other registration fails
// with ErrNoRights and leaves the registry as it was; the list is set only by the
// container's holder with Write, only before the first task, and each bad name is
// refused without changing it. A container given no list registers any name.
func TestContainerIPCAllowList(t *testing.T) {
	var inside []error
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50))
		slots := initSlots()
		c, _ := slots.Take()
		readOnly, _ := slots.Take()
		empty, _ := slots.Take()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		_, err := e.CreateContainer(sys, "listed", lim(1<<20, 2), c)
		must(t, err)
		must(t, e.Copy(cs, readOnly, cs, c, abi.RightRead))
		expectErrno(t, "allow without Write", e.AllowName(readOnly, "svc.x"), abi.ErrNoRights)
		expectErrno(t, "allow: bad characters", e.AllowName(c, "Svc"), abi.ErrInvalidArg)
		expectErrno(t, "allow: too long", rawName(e, c, abi.ContainerAllowName, abi.IPCNameBytes+1, 0), abi.ErrRange)
		expectErrno(t, "allow on the machine's System", e.AllowName(sys, "svc.a"), abi.ErrWrongType)
		must(t, e.AllowName(c, "svc.a"))
		must(t, e.AllowName(c, "svc.b"))
		must(t, e.AllowName(c, "svc.a")) // listed already: nothing changes
		_, err = e.StartInContainer(c, []string{"listed"}, 0, 0, abi.RightRead|abi.RightWrite, ntfn)
		must(t, err)
		expectErrno(t, "allow after the first task", e.AllowName(c, "svc.c"), abi.ErrIllegal)
		if names, _ := e.ContainerNames(c); strings.Join(names, " ") != "svc.a" {
			t.Errorf("the listed container's names: %q, want svc.a", names)
		}
		must(t, e.StopContainer(c, 0))
		must(t, e.DestroyContainer(c))

		// An empty list: nothing may be registered.
		_, err = e.CreateContainer(sys, "unnamed", lim(1<<20, 2), empty)
		must(t, err)
		must(t, e.AllowName(empty, ""))
		_, err = e.StartInContainer(empty, []string{"listed"}, 0, 0, abi.RightRead|abi.RightWrite, ntfn)
		must(t, err)
		if names, _ := e.ContainerNames(empty); len(names) != 0 {
			t.Errorf("the container with an empty list registered %q", names)
		}
		must(t, e.StopContainer(empty, 0))
		must(t, e.DestroyContainer(empty))
	}, nil, nil)
	w.Sim.AddProgram(0x8e_0000, usersim.Entry(func(e *user.Env) {
		const sys, cs = abi.ContainerSlotSystem, abi.InitSlotCSpace
		const ep, got = 20, 21
		must(t, e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, cs, ep, 1))
		inside = append(inside, e.RegisterName(sys, "svc.a", ep), e.RegisterName(sys, "svc.c", ep),
			e.RegisterName(sys, "pingpong", ep), e.LookupName(sys, "svc.c", cs, got))
		e.Wait(abi.ContainerSlotStop)
	}))
	w.SetLoader(usersim.Loader{Entries: map[string]uint64{"listed": 0x8e_0000}})
	w.finish()
	if len(inside) != 8 {
		t.Fatalf("the tasks inside made %d calls, want 8", len(inside))
	}
	if inside[0] != nil {
		t.Errorf("register a listed name: %v", inside[0])
	}
	for i, what := range []string{"an unlisted name", "another unlisted name", "the name nobody registered"} {
		want := abi.ErrNoRights
		if i == 2 {
			want = abi.ErrNotFound // the refused svc.c never reached the registry
		}
		expectErrno(t, "listed: "+what, inside[1+i], want)
	}
	for i, what := range []string{"svc.a", "svc.c", "pingpong"} {
		expectErrno(t, "empty list: register "+what, inside[4+i], abi.ErrNoRights)
	}
	expectErrno(t, "empty list: lookup", inside[7], abi.ErrNotFound)
}
