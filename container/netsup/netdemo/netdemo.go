// Package netdemo holds the network demo programs: a UDP echo server, a UDP client
// that measures round trips through the NIC supervisor, and a hostile program that
// tries to get frames across against policy or to reach the supervisor without a
// vNIC. The boot bundle's tasks (boot/tasks/udpecho, udpping, nethostile) and the
// simulation's programs (Programs) run the same code.
//
// They expect what ctr gives a program it starts in a container: the console at
// abi.InitFirstFree and, if the container has a vNIC, the vNIC's endpoint
// capability at abi.InitFirstFree+1.
package netdemo

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/skyscope-os/skyscope/container/netsup"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// Slots of a demo program's capability space.
const (
	SlotConsole = abi.InitFirstFree     // granted by ctr
	SlotNIC     = abi.InitFirstFree + 1 // granted by ctr with --net NAME
	slotNtfn    = abi.CPtr(16)          // the vNIC's receive notification
	slotProbe   = abi.CPtr(17)          // nethostile's scratch
)

// EchoPort is the port udpecho answers on and udpping sends to.
const EchoPort = 7

// Env is what the programs use of their platform.
type Env struct {
	E     *user.Env
	Print func(string)         // a line to the console
	Now   func() time.Duration // machine time
	Sleep func(time.Duration)  // let time pass
	Slots abi.CPtr             // the size of its capability space (0: 256, a simulated task's)
}

func (d Env) say(format string, args ...any) { d.Print(fmt.Sprintf(format, args...)) }

// Attach attaches to the vNIC ctr granted.
func (d Env) Attach() (*netsup.NICClient, error) {
	return netsup.AttachNIC(d.E, SlotNIC, slotNtfn, d.Sleep)
}

// Echo answers n UDP datagrams to EchoPort (0: forever) by sending each back to its
// sender.
func Echo(d Env, n int) error {
	nic, err := d.Attach()
	if err != nil {
		return err
	}
	d.say("udpecho: %v and %v port %d", nic.IPv4, nic.IPv6, EchoPort)
	// Each answer goes out with the wait for the next datagram (SendRecv): one call
	// to the supervisor per datagram.
	f, err := nic.Recv()
	for i := 0; err == nil && (n == 0 || i < n); i++ {
		u, from, ok := netsup.UDPOf(f)
		if !ok || u.DstPort != EchoPort {
			f, err = nic.Recv()
			continue
		}
		answer, berr := nic.UDPFrame(from, EchoPort, u.Data)
		if berr != nil {
			return berr
		}
		if n != 0 && i == n-1 {
			return nic.Send(answer)
		}
		f, err = nic.SendRecv(answer)
		var de netsup.DropError
		if errors.As(err, &de) {
			d.say("udpecho: answering %v: %v", from, err)
			f, err = nic.Recv()
		}
	}
	return err
}

// Result is what Ping measured.
type Result struct {
	Sent, Echoed  int
	Elapsed       time.Duration
	Min, Med, Max time.Duration
}

// Ping sends n datagrams of size bytes to dst and waits for each echo; it reports the
// round trips. A send the switch drops ends it with the DropError.
func Ping(d Env, dst netip.AddrPort, n, size int) (Result, error) {
	var r Result
	nic, err := d.Attach()
	if err != nil {
		return r, err
	}
	data := make([]byte, size)
	rtts := make([]time.Duration, 0, n)
	start := d.Now()
	for i := range n {
		data[0] = byte(i)
		t0 := d.Now()
		f, err := nic.UDPFrame(dst, 40000, data)
		if err != nil {
			return r, err
		}
		// The datagram and the wait for its echo in one call to the supervisor.
		if f, err = nic.SendRecv(f); err != nil {
			return r, fmt.Errorf("datagram %d to %v: %w", i, dst, err)
		}
		r.Sent++
		u, from, ok := netsup.UDPOf(f)
		if !ok {
			return r, fmt.Errorf("datagram %d: the answer is not UDP", i)
		}
		if from != dst || len(u.Data) != size || u.Data[0] != byte(i) {
			return r, fmt.Errorf("datagram %d: a wrong echo from %v (%d bytes)", i, from, len(u.Data))
		}
		rtts = append(rtts, d.Now()-t0)
		r.Echoed++
	}
	r.Elapsed = d.Now() - start
	slices.Sort(rtts)
	if len(rtts) > 0 {
		r.Min, r.Med, r.Max = rtts[0], rtts[len(rtts)/2], rtts[len(rtts)-1]
	}
	return r, nil
}

// String formats a result as udpping prints it.
func (r Result) String() string {
	rate := 0.0
	if r.Elapsed > 0 {
		rate = 2 * float64(r.Echoed) / r.Elapsed.Seconds()
	}
	return fmt.Sprintf("%d sent, %d echoed in %v (%.0f frames/s); round trip min %v, median %v, max %v",
		r.Sent, r.Echoed, r.Elapsed.Round(time.Microsecond), rate, r.Min, r.Med, r.Max)
}

// Hostile tries to get frames across against policy and to reach the supervisor
// other than through its own vNIC; it prints a BREACH line for every attempt that
// succeeds and returns the attempts and the breaches. With a vNIC (ctr run --net
// NAME) it sends: a frame with another vNIC's source IP, one with another MAC, one
// to each of deny (destinations its Allow list must not include), one to an
// address no vNIC has, a malformed frame; it tries to receive on its
// endpoint capability, to mint it with the controller's badge and to use it as the
// controller. Without a vNIC it calls every endpoint capability in its space as a
// vNIC would.
func Hostile(d Env, deny []netip.Addr) (attempts, breaches int) {
	refused := func(what string, ok bool, detail any) {
		attempts++
		if !ok {
			breaches++
			d.say("nethostile: BREACH: %s: %v", what, detail)
		}
	}
	e := d.E
	if ci, err := e.Inspect(abi.InitSlotCSpace, SlotNIC); err != nil || ci.Type != abi.ObjEndpoint {
		// No vNIC: nothing in the space may answer as the supervisor.
		last := d.Slots
		if last == 0 {
			last = 256
		}
		for s := abi.CPtr(0); s < last; s++ {
			ci, err := e.Inspect(abi.InitSlotCSpace, s)
			if err != nil || ci.Type != abi.ObjEndpoint {
				continue
			}
			e.SetRecvSlot(0, slotNtfn)
			_, err = e.Call(s, abi.NewMsgInfo(netsup.LabelAttach, 0, 0))
			refused(fmt.Sprintf("attach through slot %d", s), err != nil || netsup.Status(e.MR(0)) != netsup.OK, "answered")
		}
		attempts++ // the scan itself: no capability reaches a supervisor
		d.say("nethostile: no vNIC; %d attempts, %d breaches", attempts, breaches)
		return attempts, breaches
	}
	nic, err := d.Attach()
	if err != nil {
		d.say("nethostile: attach: %v", err)
		return attempts, breaches + 1
	}
	send := func(what string, f []byte, want netsup.Reason) {
		err := nic.Send(f)
		var de netsup.DropError
		refused(what, errors.As(err, &de) && de.Reason == want, err)
	}
	bcast := netsup.MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	peer := netip.AddrFrom4([4]byte{10, 88, 0, 2})
	if peer == nic.IPv4 {
		peer = netip.AddrFrom4([4]byte{10, 88, 0, 3})
	}
	f, _ := netsup.BuildUDP(nic.MAC, bcast, peer, peer, EchoPort, EchoPort, []byte("spoofed source address"))
	send("a spoofed source IP", f, netsup.DropSpoofed)
	other := nic.MAC
	other[5] ^= 0xff
	f, _ = netsup.BuildUDP(other, bcast, nic.IPv4, peer, EchoPort, EchoPort, []byte("spoofed MAC"))
	send("a spoofed source MAC", f, netsup.DropSpoofed)
	for _, a := range deny {
		src := nic.IPv4
		if a.Is6() {
			src = nic.IPv6
		}
		f, _ = netsup.BuildUDP(nic.MAC, bcast, src, a, 9, 9, []byte("outside the allow list"))
		send("a destination outside the allow list ("+a.String()+")", f, netsup.DropEgress)
	}
	f, _ = netsup.BuildUDP(nic.MAC, bcast, nic.IPv4, nic.IPv4, 9, 9, nil)
	f[netsup.EthHeader+10] ^= 0xff // break the IPv4 header checksum
	send("a malformed frame", f, netsup.DropMalformed)
	// The endpoint capability is Write only: it cannot receive what others send.
	_, _, err = e.NBRecv(SlotNIC, 0)
	refused("receiving on the vNIC's endpoint", err != nil, "received")
	// Minting it with another badge (the controller's) must fail or not help.
	e.Delete(abi.InitSlotCSpace, slotProbe)
	if e.Mint(abi.InitSlotCSpace, slotProbe, abi.InitSlotCSpace, SlotNIC, abi.RightWrite, netsup.ControlBadge) == nil {
		e.SetMR(0, 1)
		_, err := e.Call(slotProbe, abi.NewMsgInfo(netsup.LabelStats, 1, 0))
		refused("the controller's badge on a minted copy", err != nil || netsup.Status(e.MR(0)) != netsup.OK, "stats answered")
		e.Delete(abi.InitSlotCSpace, slotProbe)
	} else {
		attempts++
	}
	// Its own badge as the controller: the supervisor refuses control requests.
	e.SetMR(0, 1)
	_, err = e.Call(SlotNIC, abi.NewMsgInfo(netsup.LabelRemove, 1, 0))
	refused("removing a vNIC through its own capability", err != nil || netsup.Status(e.MR(0)) != netsup.OK, "removed")
	d.say("nethostile: %d attempts, %d breaches", attempts, breaches)
	return attempts, breaches
}

// Programs returns the simulation's network programs by name, with now as their
// clock: netsup (the supervisor), udpecho (echoes forever), udpping (100 round trips
// to 10.88.0.2) and nethostile (denied: 8.8.8.8 and 2001:db8::1).
func Programs(now func() time.Duration) map[string]usersim.Program {
	return programs(now, 100)
}

// programs returns the programs with udpping making pings round trips.
func programs(now func() time.Duration, pings int) map[string]usersim.Program {
	env := func(e *user.Env) Env {
		return Env{E: e, Now: now, Print: func(s string) { _ = e.Print(SlotConsole, s+"\n") },
			Sleep: func(d time.Duration) { e.Compute(int64(d)) }}
	}
	return map[string]usersim.Program{
		"netsup": func(e *user.Env) {
			if err := netsup.RunTask(e, now); err != nil {
				_ = e.Print(SlotConsole, err.Error()+"\n")
			}
		},
		"udpecho": func(e *user.Env) {
			d := env(e)
			if err := Echo(d, 0); err != nil {
				d.say("udpecho: %v", err)
			}
		},
		"udpping": func(e *user.Env) {
			d := env(e)
			r, err := Ping(d, netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 88, 0, 2}), EchoPort), pings, 64)
			if err != nil {
				d.say("udpping: %v", err)
				return
			}
			d.say("udpping: %v", r)
		},
		"nethostile": func(e *user.Env) {
			Hostile(env(e), []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("2001:db8::1")})
		},
	}
}

// Names lists the programs Programs returns, in a fixed order.
var Names = []string{"netsup", "udpecho", "udpping", "nethostile"}

// Install registers the programs in programs at entry addresses from base on (a page
// apart) and adds their names to entries.
func Install(programs map[uint64]usersim.Program, entries map[string]uint64, base uint64, now func() time.Duration) {
	install(programs, entries, base, Programs(now))
}

func install(programs map[uint64]usersim.Program, entries map[string]uint64, base uint64, ps map[string]usersim.Program) {
	for i, name := range Names {
		pc := base + uint64(i)*abi.PageSize
		programs[pc] = ps[name]
		entries[name] = pc
	}
}
