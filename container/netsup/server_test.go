package netsup

import (
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Slots of the server tests' init.
const (
	tEP, tRecv, tCtl, tScratch = 40, 41, 42, 43
	tCtrA, tCtrB, tNICA, tNICB = 44, 45, 46, 47
	tProbe                     = 48
)

// serverWorld boots a machine whose init starts the supervisor, makes two containers
// with a vNIC each (A allows B, B allows A) and runs body in init with the
// controller's client and the vNICs' ids; programs named in progs can be started
// in the containers with the vNIC's capability granted at abi.InitFirstFree.
func serverWorld(t *testing.T, progs map[string]usersim.Program, body func(e *user.Env, ctl *Control, a, b Attached)) {
	t.Helper()
	var m *usersim.Machine
	now := func() time.Duration { return time.Duration(m.Now()) }
	programs := map[uint64]usersim.Program{0x300_0000: func(e *user.Env) { RunTask(e, now) }}
	entries := map[string]uint64{"netsup": 0x300_0000}
	pc := uint64(0x300_1000)
	for name, p := range progs {
		programs[pc], entries[name] = p, pc
		pc += abi.PageSize
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: programs, Init: func(e *user.Env) {
		defer e.PowerOff(abi.InitSlotSystem, 0)
		const cs = abi.InitSlotCSpace
		_, ctl, err := Start(e, abi.InitSlotSystem, abi.InitSlotUntyped, cs, tEP, tRecv, tCtl, "netsup", 1<<20)
		if err != nil {
			t.Error(err)
			return
		}
		l := abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 4, Priority: 100}
		ida, err1 := e.CreateContainer(abi.InitSlotSystem, "a", l, tCtrA)
		idb, err2 := e.CreateContainer(abi.InitSlotSystem, "b", l, tCtrB)
		if err1 != nil || err2 != nil {
			t.Error(err1, err2)
			return
		}
		a, err1 := ctl.Add(tCtrA, ida, Spec{Name: "eth0", Allow: pfx("10.88.0.3/32")}, tScratch, tNICA)
		b, err2 := ctl.Add(tCtrB, idb, Spec{Name: "eth0", Allow: pfx("10.88.0.2/32")}, tScratch, tNICB)
		if err1 != nil || err2 != nil {
			t.Error(err1, err2)
			return
		}
		body(e, ctl, a, b)
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: entries})
	if r := m.Run(60_000_000_000); r != kernel.StopPowerOff {
		t.Errorf("the machine stopped with %v", r)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestServerRefuses: bad requests from the controller and from vNICs get their
// statuses and change nothing: a bad spec, no container capability, a control
// request through a vNIC's capability, unknown vNICs, oversized frames, capabilities
// sent by a vNIC.
func TestServerRefuses(t *testing.T) {
	serverWorld(t, nil, func(e *user.Env, ctl *Control, a, b Attached) {
		const cs = abi.InitSlotCSpace
		check := func(what string, err, want error) {
			t.Helper()
			if !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", what, err, want)
			}
		}
		// A spec the supervisor refuses (bypassing Spec.Encode's caller checks).
		e.Copy(cs, tScratch, cs, tCtrA, abi.RightWrite)
		bad := []byte("Eth0\n10.0.0.1/8")
		e.SetMR(0, 1)
		e.SetMR(1, uint64(len(bad)))
		n := e.SetPayload(bad)
		e.SetCap(0, tScratch)
		e.SetRecvSlot(0, tProbe)
		e.Call(tCtl, abi.NewMsgInfo(LabelAdd, n, 1))
		check("a bad spec", Status(e.MR(0)), Invalid)
		e.Delete(cs, tScratch)
		// No container capability: the endpoint in its place.
		e.SetMR(0, 1)
		e.SetMR(1, 4)
		n = e.SetPayload([]byte("eth0"))
		e.SetCap(0, tCtl)
		e.Call(tCtl, abi.NewMsgInfo(LabelAdd, n, 1))
		check("LabelAdd without a container", Status(e.MR(0)), BadRequest)
		// Control requests through a vNIC's capability.
		e.SetMR(0, uint64(a.ID))
		e.Call(tNICA, abi.NewMsgInfo(LabelRemove, 1, 0))
		check("remove through a vNIC", Status(e.MR(0)), BadRequest)
		e.SetMR(0, uint64(a.ID))
		e.Call(tNICA, abi.NewMsgInfo(LabelStats, 1, 0))
		check("stats through a vNIC", Status(e.MR(0)), BadRequest)
		// Unknown vNICs.
		_, _, err := ctl.Stats(39)
		check("stats of an unknown vNIC", err, Gone)
		check("remove of an unknown vNIC", ctl.Remove(39), Gone)
		e.SetMR(0, MaxNICs+1)
		e.Call(tCtl, abi.NewMsgInfo(LabelRemove, 1, 0))
		check("remove past MaxNICs", Status(e.MR(0)), BadRequest)
		// A frame past MaxFrame, a length past the message, a capability sent by a
		// vNIC, an unknown label, a bad receive flag.
		e.SetMR(0, MaxFrame+1)
		e.SetMR(1, 0)
		e.Call(tNICA, abi.NewMsgInfo(LabelSend, abi.MaxMsgWords, 0))
		check("an oversized frame", Status(e.MR(0)), BadRequest)
		e.SetMR(0, 200)
		e.SetMR(1, 0)
		e.Call(tNICA, abi.NewMsgInfo(LabelSend, abi.NumRegMRs+2, 0))
		check("a length past the message", Status(e.MR(0)), BadRequest)
		// A vNIC's capability has no Grant: the kernel carries no capability on it,
		// so the supervisor never holds one a container sent.
		e.SetMR(0, 0)
		e.SetCap(0, tCtrA)
		_, err = e.Call(tNICA, abi.NewMsgInfo(LabelRecv, 1, 1))
		if err == nil && Status(e.MR(0)) != Empty {
			t.Errorf("a receive with a capability from a vNIC: %v, %v", err, Status(e.MR(0)))
		}
		e.Call(tNICA, abi.NewMsgInfo(0x4e37_0099, 0, 0))
		check("an unknown label", Status(e.MR(0)), BadRequest)
		e.SetMR(0, 2)
		e.Call(tNICA, abi.NewMsgInfo(LabelRecv, 1, 0))
		check("a bad receive flag", Status(e.MR(0)), BadRequest)
		// Nothing changed: both vNICs are there with empty counters.
		for _, x := range []Attached{a, b} {
			c, q, err := ctl.Stats(x.ID)
			if err != nil || c != (Counters{}) || q != 0 {
				t.Errorf("vNIC %d after refusals: %+v, %d queued, %v", x.ID, c, q, err)
			}
		}
	})
}

// TestServerParkAndRemove: a blocking receive waits in the supervisor and gets the
// frame sent later; removing a vNIC while its receiver is parked fails that
// receiver's call (ErrCancelled) and revokes its capability (the next call fails),
// frames to its address find no route, a second remove is Gone, and its address is
// free again.
func TestServerParkAndRemove(t *testing.T) {
	var got []string
	waiter := func(e *user.Env) {
		c, err := AttachNIC(e, abi.InitFirstFree, 20, func(time.Duration) {})
		if err != nil {
			got = append(got, "attach: "+err.Error())
			return
		}
		u, from, err := c.RecvUDP()
		if err != nil {
			got = append(got, "recv: "+err.Error())
			return
		}
		got = append(got, from.String()+" "+string(u.Data))
		// Park again; the vNIC is removed under it.
		_, err = c.Recv()
		got = append(got, "after remove: "+cause(err))
		// Its capability is gone with the vNIC.
		_, _, err = c.TryRecv()
		got = append(got, "then: "+cause(err))
	}
	serverWorld(t, map[string]usersim.Program{"waiter": waiter}, func(e *user.Env, ctl *Control, a, b Attached) {
		if _, err := e.StartInContainer(tCtrB, []string{"waiter"}, 0, 0, 0, 0, tNICB); err != nil {
			t.Error(err)
			return
		}
		e.Compute(1_000_000) // the waiter parks
		e.Yield()
		sender, err := AttachNIC(e, tNICA, 21, func(time.Duration) {})
		if err != nil {
			t.Error(err)
			return
		}
		if err := sender.SendUDP(netip.AddrPortFrom(b.IPv4, 7), 9, []byte("to the parked one")); err != nil {
			t.Error(err)
		}
		e.Compute(1_000_000)
		e.Yield()
		if err := ctl.Remove(b.ID); err != nil {
			t.Error(err)
		}
		e.Compute(1_000_000)
		e.Yield()
		if err := ctl.Remove(b.ID); !errors.Is(err, Gone) {
			t.Errorf("removing twice: %v", err)
		}
		if err := sender.SendUDP(netip.AddrPortFrom(b.IPv4, 7), 9, []byte("x")); !errors.Is(err, Dropped) {
			t.Errorf("a frame to the removed vNIC's address: %v", err)
		}
		e.Copy(abi.InitSlotCSpace, tScratch, abi.InitSlotCSpace, tCtrB, abi.RightWrite)
		c, err := ctl.Add(tCtrB, 2, Spec{Name: "eth1"}, tProbe, tNICB)
		if err != nil || c.IPv4 != b.IPv4 {
			t.Errorf("re-adding: %v %v", c.IPv4, err)
		}
	})
	want := []string{"10.88.0.2:9 to the parked one", "after remove: " + abi.ErrCancelled.Error()}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] == "then: <nil>" {
		t.Errorf("the waiter saw %q, want %q then a failed call", got, want)
	}
	t.Log(got)
}

// cause is the kernel error a client error wraps ("<nil>" for none).
func cause(err error) string {
	if u := errors.Unwrap(err); u != nil {
		return u.Error()
	}
	if err != nil {
		return err.Error()
	}
	return "<nil>"
}
