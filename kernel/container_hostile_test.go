package kernel_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const (
	ctrProberPC = 0x86_0000 // the hostile program: tries every way out of its container

	jailTasks = 4       // the prober's container's task limit
	jailMem   = 1 << 20 // and memory limit
)

// prober returns the hostile program. It runs as the second task of container "jail"
// (after a waiting task), with the container's System object (Read and Write) at
// abi.ContainerSlotSystem, while a task of another container and init run outside.
// Every attempt to reach outside must fail cleanly.
func prober(t *testing.T) usersim.Program {
	return func(e *user.Env) {
		const sys = abi.ContainerSlotSystem
		// Its namespace holds the jail's tasks only, from 1; its parent (init) is
		// invisible.
		ts, err := e.Tasks(sys)
		if err != nil || len(ts) != 2 || ts[0].ID != 1 || ts[1].ID != 2 || ts[0].Name != "wait" || ts[1].Name != "prober" || ts[1].Parent != 0 {
			t.Errorf("the jail's task list: %+v, %v", ts, err)
		}
		// Outside ids do not exist: name, signal, read status or capabilities.
		for id := uint64(3); id < 64; id++ {
			if _, err := e.TaskInfo(sys, id); !errors.Is(err, abi.ErrNotFound) {
				t.Errorf("TaskInfo(%d) from inside: %v", id, err)
			}
			expectErrno(t, fmt.Sprintf("kill %d from inside", id), e.Kill(sys, id), abi.ErrNotFound)
			_, _, err := e.TaskStatus(sys, id)
			expectErrno(t, fmt.Sprintf("status of %d from inside", id), err, abi.ErrNotFound)
			_, _, err = e.TaskCap(sys, id, 0)
			expectErrno(t, fmt.Sprintf("capabilities of %d from inside", id), err, abi.ErrNotFound)
		}
		expectErrno(t, "kill itself", e.Kill(sys, 2), abi.ErrIllegal)
		expectErrno(t, "read the kernel log", func() error { _, _, err := e.ReadLog(sys, 0, make([]byte, 64)); return err }(), abi.ErrNoRights)
		expectErrno(t, "power off", e.PowerOff(sys, 1), abi.ErrNoRights)

		// Probe every slot number: only its own objects are there, and only its System
		// answers a System method.
		var found []string
		for slot := abi.CPtr(0); slot < 1<<taskRadixCtr+8; slot++ {
			c, err := e.Inspect(abi.InitSlotCSpace, slot)
			if err == nil {
				found = append(found, fmt.Sprintf("%d:%v", slot, c.Type))
			}
			if _, err := e.TaskInfo(slot, 0); err == nil && slot != sys {
				t.Errorf("slot %d answers TaskInfo", slot)
			}
			if err := e.Signal(slot); err == nil {
				t.Errorf("slot %d can be signalled", slot)
			}
		}
		if got := strings.Join(found, " "); got != "1:CSpace 2:TCB 3:AddressSpace 4:Untyped 5:Notification 7:Frame 8:System" {
			t.Errorf("the prober's capabilities: %s", got)
		}
		_, err = e.Call(40, abi.NewMsgInfo(0, 0, 0))
		expectErrno(t, "call an endpoint it has no capability to", err, abi.ErrInvalidCap)

		// IPC names resolve in its own container only: init's name does not exist
		// here, and what it registers does not exist outside (init checks).
		expectErrno(t, "look up a name registered outside", e.LookupName(sys, "init.service", abi.InitSlotCSpace, 250), abi.ErrNotFound)
		for slot := abi.CPtr(1); slot < 16; slot++ {
			if err := e.LookupName(slot, "init.service", abi.InitSlotCSpace, 250); err == nil {
				t.Errorf("slot %d resolves a name registered outside", slot)
			}
		}
		must(t, e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, abi.InitSlotCSpace, 251, 1))
		must(t, e.RegisterName(sys, "jail.leak", 251))
		// Its IPC allow-list (jail.leak only) holds: another name is refused, and no
		// slot it holds lets it widen the list.
		expectErrno(t, "register a name off the allow-list", e.RegisterName(sys, "init.service", 251), abi.ErrNoRights)
		for slot := abi.CPtr(1); slot < 16; slot++ {
			if err := e.AllowName(slot, "init.service"); err == nil {
				t.Errorf("slot %d widened the jail's IPC allow-list", slot)
			}
		}
		expectErrno(t, "register after trying to widen the list", e.RegisterName(sys, "init.service", 251), abi.ErrNoRights)

		// No escape from the priority ceiling, the memory limit or the task limit.
		expectErrno(t, "raise its priority above the ceiling", e.SetPriority(abi.InitSlotTCB, abi.InitSlotTCB, 120), abi.ErrRange)
		_, err = e.StartProgram(sys, []string{"wait"}, 0, 200, 0)
		expectErrno(t, "start a task above the ceiling", err, abi.ErrRange)
		_, err = e.CreateContainer(sys, "bigger", abi.ContainerLimits{Memory: 2 * jailMem, MaxTasks: 1, Priority: 50}, 20)
		expectErrno(t, "nest a container bigger than the jail", err, abi.ErrNoMemory)
		_, err = e.CreateContainer(sys, "louder", abi.ContainerLimits{Memory: 128 << 10, MaxTasks: 1, Priority: 200}, 20)
		expectErrno(t, "nest a container above the ceiling", err, abi.ErrRange)
		started := 0
		for range 10 {
			if _, err := e.StartProgram(sys, []string{"wait"}, 0, 0, 0); err != nil {
				expectErrno(t, "start past the task limit", err, abi.ErrLimit)
				break
			}
			started++
		}
		if started != jailTasks-2 {
			t.Errorf("started %d tasks in a jail of %d with 2 running", started, jailTasks)
		}
		frames := 0
		for slot := abi.CPtr(16); slot < 1<<taskRadixCtr; slot++ {
			if err := e.Retype(abi.InitSlotUntyped, abi.ObjFrame, 0, abi.InitSlotCSpace, slot, 1); err != nil {
				expectErrno(t, "allocate past the limit", err, abi.ErrNoMemory)
				break
			}
			frames++
		}
		m, err := e.Memory(sys)
		if err != nil || m.Total != jailMem || m.RootUsed > jailMem || m.Free >= abi.PageSize || frames < 150 {
			t.Errorf("the jail's memory after %d frames: %+v %v", frames, m, err)
		}
		e.Wait(abi.ContainerSlotStop)
	}
}

// taskRadixCtr is the capability space radix of tasks the usersim loader starts.
const taskRadixCtr = 8

// TestContainerHostile: a task inside a container tries every way out — outside
// pids, every capability slot, endpoints it was not given, the priority ceiling, the
// memory and task limits, bigger nested containers, names off its IPC allow-list —
// and each attempt fails cleanly;
// the task outside and the neighbour container are untouched.
func TestContainerHostile(t *testing.T) {
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50)) // what it starts runs until it blocks
		slots := initSlots()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		jail, _ := slots.Take()
		nb, _ := slots.Take()
		svc := retype(e, slots, abi.ObjEndpoint, 0)
		must(t, e.RegisterName(sys, "init.service", svc))
		_, err := e.CreateContainer(sys, "jail", abi.ContainerLimits{Memory: jailMem, MaxTasks: jailTasks, Priority: 100}, jail)
		must(t, err)
		must(t, e.AllowName(jail, "jail.leak"))
		_, err = e.CreateContainer(sys, "neighbour", lim(1<<20, 2), nb)
		must(t, err)
		victim, err := e.StartInContainer(nb, []string{"victim"}, 0, 0, 0, 0)
		if err != nil || victim != 1 {
			t.Errorf("victim: pid %d, %v", victim, err)
		}
		if pid, err := e.StartInContainer(jail, []string{"wait"}, 0, 0, 0, 0); err != nil || pid != 1 {
			t.Errorf("first jail task: pid %d, %v", pid, err)
		}
		if pid, err := e.StartInContainer(jail, []string{"prober"}, 0, 0, abi.RightRead|abi.RightWrite, ntfn); err != nil || pid != 2 {
			t.Errorf("prober: pid %d, %v", pid, err)
		}
		e.Yield()
		info, err := e.InspectContainer(jail)
		must(t, err)
		if info.Tasks != jailTasks || info.TaskLimitHits != 1 || info.MemLimitHits == 0 || info.MemUsed > jailMem || info.Name != "jail" {
			t.Errorf("jail after the probe: %+v", info)
		}
		leak, _ := slots.Take()
		expectErrno(t, "look up the jail's name outside", e.LookupName(sys, "jail.leak", cs, leak), abi.ErrNotFound)
		if names, err := e.ContainerNames(jail); err != nil || len(names) != 1 || names[0] != "jail.leak" {
			t.Errorf("the jail's names seen by its holder: %q %v", names, err)
		}
		if ni, _ := e.InspectContainer(nb); ni.Tasks != 1 || ni.State != abi.ContainerRunning {
			t.Errorf("the neighbour after the probe: %+v", ni)
		}
		ts, err := e.ContainerTasks(jail)
		if err != nil || len(ts) != jailTasks || ts[1].Name != "prober" || ts[1].ID != 2 {
			t.Errorf("the jail's tasks seen from outside: %+v %v", ts, err)
		}
		must(t, e.StopContainer(jail, 1_000_000))
		if _, err := e.Wait(ntfn); err != nil {
			t.Errorf("prober's exit notification: %v", err)
		}
		must(t, e.DestroyContainer(jail))
		must(t, e.DestroyContainer(nb))
	}, nil, nil)
	w.finish()
	if t.Failed() {
		t.Logf("console:\n%s", w.Console)
	}
}

// TestContainerLinks: two containers talk only over a link; revoking it (or
// destroying a side) takes both ends away wherever they are, and the client's next
// call fails cleanly.
func TestContainerLinks(t *testing.T) {
	var calls, afterRevoke []error
	progs := map[uint64]usersim.Program{
		0x87_0000: func(e *user.Env) { // server: the server end at InitFirstFree, a Reply made from its budget
			must(t, e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, 20, 1))
			_, _, err := e.Recv(abi.InitFirstFree, 20)
			for err == nil {
				e.SetMR(0, e.MR(0)*2)
				_, _, err = e.ReplyRecv(abi.InitFirstFree, 20, abi.NewMsgInfo(0, 1, 0))
			}
		},
		0x87_1000: func(e *user.Env) { // client: the client end at InitFirstFree
			e.SetMR(0, 21)
			_, err := e.Call(abi.InitFirstFree, abi.NewMsgInfo(0, 1, 0))
			if err == nil && e.MR(0) != 42 {
				err = fmt.Errorf("reply %d", e.MR(0))
			}
			calls = append(calls, err)
			e.Wait(abi.ContainerSlotStop)
			_, err = e.Call(abi.InitFirstFree, abi.NewMsgInfo(0, 1, 0))
			afterRevoke = append(afterRevoke, err)
			e.Wait(abi.ContainerSlotStop)
		},
	}
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50)) // what it starts runs until it blocks
		slots := initSlots()
		a, _ := slots.Take()
		b, _ := slots.Take()
		client, _ := slots.Take()
		server, _ := slots.Take()
		_, err := e.CreateContainer(sys, "a", lim(1<<20, 2), a)
		must(t, err)
		_, err = e.CreateContainer(sys, "b", lim(1<<20, 2), b)
		must(t, err)
		_, err = e.LinkContainers(a, a, client, server, false)
		expectErrno(t, "link to itself", err, abi.ErrInvalidArg)
		_, err = e.LinkContainers(a, b, client, client, false)
		expectErrno(t, "both ends in one slot", err, abi.ErrInvalidArg)
		id, err := e.LinkContainers(a, b, client, server, false)
		must(t, err)
		if c, _ := e.Inspect(cs, client); c.Rights != abi.RightWrite {
			t.Errorf("client end rights %v", c.Rights)
		}
		if c, _ := e.Inspect(cs, server); c.Rights != abi.RightRead {
			t.Errorf("server end rights %v", c.Rights)
		}
		_, err = e.StartInContainer(b, []string{"server"}, 0, 0, 0, 0, server)
		must(t, err)
		_, err = e.StartInContainer(a, []string{"client"}, 0, 0, 0, 0, client)
		must(t, err)
		e.Yield()
		expectErrno(t, "unlink an unknown link", e.UnlinkContainers(a, id+1), abi.ErrNotFound)
		must(t, e.UnlinkContainers(b, id))
		expectErrno(t, "unlink twice", e.UnlinkContainers(a, id), abi.ErrNotFound)
		if _, err := e.Inspect(cs, client); !errors.Is(err, abi.ErrInvalidCap) {
			t.Errorf("init's client end after revoke: %v", err)
		}
		must(t, e.StopContainer(a, 10_000_000)) // wakes the client for its second call
		e.Yield()
	}, nil, nil)
	w.Sim.AddProgram(0x87_0000, usersim.Entry(progs[0x87_0000]))
	w.Sim.AddProgram(0x87_1000, usersim.Entry(progs[0x87_1000]))
	w.SetLoader(usersim.Loader{Entries: map[string]uint64{"server": 0x87_0000, "client": 0x87_1000}})
	w.finish()
	if t.Failed() {
		t.Logf("console:\n%s", w.Console)
	}
	if len(calls) != 1 || calls[0] != nil {
		t.Errorf("call over the link: %v", calls)
	}
	if len(afterRevoke) != 1 || !errors.Is(afterRevoke[0], abi.ErrInvalidCap) {
		t.Errorf("call after revoke: %v", afterRevoke)
	}
}

// TestContainerAncestorCannotBridge: even init, holding capabilities into two sibling
// containers, cannot move a capability, make objects, map memory or bind a thread
// across them; it can still grant its own objects down into either.
func TestContainerAncestorCannotBridge(t *testing.T) {
	const donorPC = 0x8c_0000 // sends its CSpace, address space and budget (or TCB) to init
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50))
		slots := initSlots()
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		reply := retype(e, slots, abi.ObjReply, 0)
		a, _ := slots.Take()
		b, _ := slots.Take()
		_, err := e.CreateContainer(sys, "a", lim(1<<20, 2), a)
		must(t, err)
		_, err = e.CreateContainer(sys, "b", lim(1<<20, 2), b)
		must(t, err)
		got := map[string][3]abi.CPtr{}
		for _, side := range []abi.CPtr{a, b} {
			_, err = e.StartInContainer(side, []string{"donor"}, 0, 0, 0, 0, ep)
			must(t, err)
			var recv [3]abi.CPtr
			for i := range recv {
				recv[i], _ = slots.Take()
				e.SetRecvSlot(i, recv[i])
			}
			_, info, err := e.Recv(ep, reply)
			if err != nil || info.ExtraCaps() != 3 {
				t.Fatalf("donor's capabilities: %v, %v", info, err)
			}
			e.Reply(reply, abi.NewMsgInfo(0, 0, 0))
			got[map[abi.CPtr]string{a: "a", b: "b"}[side]] = recv
		}
		aCS, aAS, aUT := got["a"][0], got["a"][1], got["a"][2]
		bCS, bAS := got["b"][0], got["b"][1]
		expectErrno(t, "copy a's budget into b", e.Copy(bCS, 50, aCS, abi.InitSlotUntyped, abi.AllRights), abi.ErrNoRights)
		expectErrno(t, "retype from a's budget into b", e.Retype(aUT, abi.ObjFrame, 0, bCS, 50, 1), abi.ErrNoRights)
		frame, _ := slots.Take()
		must(t, e.Retype(aUT, abi.ObjFrame, 0, cs, frame, 1)) // init may hold a's objects
		expectErrno(t, "map a's frame into b", e.Map(frame, bAS, 0x5000_0000, 1), abi.ErrNoRights)
		must(t, e.Map(frame, aAS, 0x5000_0000, 1))
		tcb, _ := slots.Take()
		must(t, e.Retype(aUT, abi.ObjTCB, 0, cs, tcb, 1))
		expectErrno(t, "bind a's thread to b's spaces", e.Configure(tcb, bCS, bAS, 0, 0), abi.ErrNoRights)
		must(t, e.Copy(bCS, 50, cs, console, abi.RightWrite)) // grants down are fine
		must(t, e.DestroyContainer(a))
		must(t, e.DestroyContainer(b))
	}, nil, nil)
	w.Sim.AddProgram(donorPC, usersim.Entry(func(e *user.Env) {
		for i, c := range []abi.CPtr{abi.InitSlotCSpace, abi.InitSlotAddressSpace, abi.InitSlotUntyped} {
			e.SetCap(i, c)
		}
		e.Call(abi.InitFirstFree, abi.NewMsgInfo(0, 0, 3))
		e.Wait(abi.ContainerSlotStop)
	}))
	w.SetLoader(usersim.Loader{Entries: map[string]uint64{"donor": donorPC}})
	w.finish()
}
