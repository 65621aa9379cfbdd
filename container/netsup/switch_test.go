package netsup

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func udpFrom(t interface{ Fatal(...any) }, n *NIC, src, dst netip.Addr, tag uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], tag)
	f, err := BuildUDP(n.MAC, MAC{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, src, dst, 1, 7, b[:])
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func pfx(s ...string) []netip.Prefix {
	var ps []netip.Prefix
	for _, x := range s {
		ps = append(ps, netip.MustParsePrefix(x))
	}
	return ps
}

// TestSwitchPolicy: each check of Send with its drop reason, counted on the sender;
// held frames are receivable only when due; Wait refuses a sender with MaxHeld held
// frames; Remove frees the address and drops what the vNIC sent.
func TestSwitchPolicy(t *testing.T) {
	s := NewSwitch()
	a, err := s.Add("eth0", 1, pfx("10.88.0.3/32", "fd88::/64"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.Add("eth0", 2, pfx("10.88.0.2/32", "fd88::2/128"))
	c, _ := s.Add("eth0", 3, nil) // reaches nothing, reachable by nothing
	if a.IPv4.String() != "10.88.0.2" || b.IPv4.String() != "10.88.0.3" || c.IPv6.String() != "fd88::4" {
		t.Fatalf("addresses %v %v %v", a.IPv4, b.IPv4, c.IPv6)
	}
	send := func(n *NIC, f []byte, want Reason, delivered bool) {
		t.Helper()
		to, why, err := s.Send(n.ID, f, 0, 0)
		if err != nil || (to != nil) != delivered || (!delivered && why != want) {
			t.Errorf("send: to %v, reason %v, err %v; want delivered %v reason %v", to, why, err, delivered, want)
		}
	}
	send(a, udpFrom(t, a, a.IPv4, b.IPv4, 1), 0, true)
	send(a, udpFrom(t, a, a.IPv6, b.IPv6, 2), 0, true)
	send(a, udpFrom(t, a, b.IPv4, b.IPv4, 3), DropSpoofed, false)
	send(a, udpFrom(t, b, a.IPv4, b.IPv4, 4), DropSpoofed, false) // b's MAC
	send(a, udpFrom(t, a, a.IPv4, c.IPv4, 5), DropEgress, false)
	send(a, udpFrom(t, a, a.IPv6, c.IPv6, 6), DropIngress, false) // a may reach fd88::/64, c accepts nothing
	send(a, udpFrom(t, a, a.IPv6, netip.MustParseAddr("fd88::99"), 7), DropNoRoute, false)
	send(a, []byte("junk"), DropMalformed, false)
	send(c, udpFrom(t, c, c.IPv4, a.IPv4, 8), DropEgress, false)
	if a.C.TxFrames != 2 || a.C.Dropped() != 6 || a.C.Drops[DropSpoofed] != 2 || c.C.Drops[DropEgress] != 1 {
		t.Errorf("counters a %+v c %+v", a.C, c.C)
	}
	for range 2 {
		if f, _, _ := s.Receive(b.ID, 0); f == nil {
			t.Error("b lost a frame")
		}
	}
	if b.C.RxFrames != 2 {
		t.Errorf("b received %d", b.C.RxFrames)
	}
	// Held frames: due at now+delay; Wait refuses past MaxHeld.
	for i := range MaxHeld {
		if w := s.Wait(b.ID, 0); w != 0 {
			t.Fatalf("frame %d: wait %v", i, w)
		}
		if to, _, _ := s.Send(b.ID, udpFrom(t, b, b.IPv4, a.IPv4, uint64(i)), time.Duration(i+1)*time.Millisecond, 0); to != a {
			t.Fatal("held frame not queued")
		}
	}
	if w := s.Wait(b.ID, 0); w != time.Millisecond {
		t.Errorf("wait with %d held: %v, want 1ms", MaxHeld, w)
	}
	if f, wait, _ := s.Receive(a.ID, 0); f != nil || wait != time.Millisecond {
		t.Errorf("received a held frame early (wait %v)", wait)
	}
	if f, _, _ := s.Receive(a.ID, time.Millisecond); f == nil {
		t.Error("a due frame was not received")
	}
	if w := s.Wait(b.ID, time.Millisecond); w != 0 {
		t.Errorf("wait after one came due: %v", w)
	}
	// Remove: b's frames in a's queue go; its address is taken by the next vNIC.
	if err := s.Remove(b.ID); err != nil {
		t.Fatal(err)
	}
	if s.Queued(a.ID) != 0 {
		t.Errorf("%d frames of a removed vNIC still queued", s.Queued(a.ID))
	}
	if _, _, err := s.Send(b.ID, nil, 0, 0); !errors.Is(err, ErrNoSuchNIC) {
		t.Errorf("send from a removed vNIC: %v", err)
	}
	d, _ := s.Add("eth1", 4, nil)
	if d.IPv4 != b.IPv4 {
		t.Errorf("the freed address was not reused: %v", d.IPv4)
	}
	// Bad specs change nothing.
	for _, bad := range []struct {
		name  string
		allow []netip.Prefix
	}{{"Eth0", nil}, {"", nil}, {"eth0-with-a-long-name", nil}, {"eth0", pfx("10.0.0.0/8", "10.0.0.0/8")},
		{"eth0", []netip.Prefix{netip.PrefixFrom(netip.MustParseAddr("10.0.0.1"), 8)}}} {
		if _, err := s.Add(bad.name, 9, bad.allow); !errors.Is(err, ErrBadNIC) {
			t.Errorf("Add(%q, %v): %v", bad.name, bad.allow, err)
		}
	}
	if len(s.NICs()) != 3 {
		t.Errorf("%d vNICs after refused adds", len(s.NICs()))
	}
}

// TestSwitchNeverCrossesPolicy (rapid): over random sequences of attaching vNICs with
// random allow lists, detaching them, sending frames (honest, spoofed, to anyone or
// anywhere, malformed, held or not) and receiving, every frame a vNIC receives was
// sent by a vNIC still attached, from that sender's own addresses, to the receiver's
// address, within the sender's Allow prefixes and from within the receiver's, and
// no earlier than it was due; every send is counted once, as accepted or dropped.
func TestSwitchNeverCrossesPolicy(t *testing.T) {
	universe := pfx("10.88.0.0/16", "10.88.0.2/32", "10.88.0.3/32", "10.88.0.4/31", "fd88::/64", "fd88::3/128", "10.0.0.0/8", "8.8.8.0/24")
	others := []netip.Addr{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("fd88::77")}
	rapid.Check(t, func(rt *rapid.T) {
		s := NewSwitch()
		type sent struct {
			from     *NIC
			src, dst netip.Addr
			due      time.Duration
		}
		frames := map[uint64]sent{}
		var tag uint64
		var now time.Duration
		var sends, counted uint64
		var removed []*NIC
		live := func() []*NIC { return s.NICs() }
		rt.Repeat(map[string]func(*rapid.T){
			"add": func(rt *rapid.T) {
				allow := rapid.SliceOfNDistinct(rapid.SampledFrom(universe), 0, 4, func(p netip.Prefix) netip.Prefix { return p }).Draw(rt, "allow")
				if _, err := s.Add("eth0", 1, allow); err != nil && !errors.Is(err, ErrFull) {
					rt.Fatal(err)
				}
			},
			"remove": func(rt *rapid.T) {
				ns := live()
				if len(ns) == 0 {
					rt.Skip()
				}
				n := rapid.SampledFrom(ns).Draw(rt, "nic")
				counted += n.C.TxFrames + n.C.Dropped()
				removed = append(removed, n)
				if err := s.Remove(n.ID); err != nil {
					rt.Fatal(err)
				}
			},
			"send": func(rt *rapid.T) {
				ns := live()
				if len(ns) == 0 {
					rt.Skip()
				}
				n := rapid.SampledFrom(ns).Draw(rt, "from")
				var addrs []netip.Addr
				for _, o := range ns {
					addrs = append(addrs, o.IPv4, o.IPv6)
				}
				addrs = append(addrs, others...)
				dst := rapid.SampledFrom(addrs).Draw(rt, "dst")
				src := n.IPv4
				if dst.Is6() {
					src = n.IPv6
				}
				if rapid.Bool().Draw(rt, "spoof") {
					src = rapid.SampledFrom(addrs).Draw(rt, "src")
					if src.Is4() != dst.Is4() {
						rt.Skip()
					}
				}
				tag++
				f := udpFrom(rt, n, src, dst, tag)
				if rapid.IntRange(0, 9).Draw(rt, "corrupt") == 0 {
					// In the Ethernet or IP header: the switch checks those, not the
					// transport's bytes (it is no firewall of UDP checksums).
					hdr := EthHeader + ipv4Header
					if dst.Is6() {
						hdr = EthHeader + ipv6Header
					}
					f[rapid.IntRange(0, hdr-1).Draw(rt, "at")] ^= byte(rapid.IntRange(1, 255).Draw(rt, "bits"))
				}
				delay := time.Duration(rapid.IntRange(0, 3).Draw(rt, "delay")) * time.Millisecond
				if s.Wait(n.ID, now) != 0 {
					return
				}
				sends++
				to, _, err := s.Send(n.ID, f, delay, now)
				if err != nil {
					rt.Fatal(err)
				}
				if to != nil {
					frames[tag] = sent{from: n, src: src, dst: dst, due: now + delay}
				}
			},
			"tick": func(rt *rapid.T) {
				now += time.Duration(rapid.IntRange(0, 2).Draw(rt, "ms")) * time.Millisecond
			},
			"receive": func(rt *rapid.T) {
				ns := live()
				if len(ns) == 0 {
					rt.Skip()
				}
				r := rapid.SampledFrom(ns).Draw(rt, "to")
				f, _, err := s.Receive(r.ID, now)
				if err != nil || f == nil {
					return
				}
				h, err := ParseFrame(f)
				if err != nil {
					rt.Fatalf("received a malformed frame: %v", err)
				}
				u, err := ParseUDP(h)
				if err != nil {
					rt.Fatalf("received a frame whose UDP does not parse: %v", err)
				}
				x, ok := frames[binary.BigEndian.Uint64(u.Data)]
				if !ok {
					rt.Fatalf("received a frame the switch never accepted")
				}
				if _, ok := s.NIC(x.from.ID); !ok || x.from.ID == 0 {
					rt.Fatalf("received a frame of a detached vNIC")
				}
				for _, d := range removed {
					if d == x.from {
						rt.Fatalf("received a frame of a detached vNIC")
					}
				}
				switch {
				case h.SrcMAC != x.from.MAC || (h.Src != x.from.IPv4 && h.Src != x.from.IPv6):
					rt.Fatalf("spoofed frame crossed: %v from vNIC %v", h.Src, x.from.IPv4)
				case h.Dst != r.IPv4 && h.Dst != r.IPv6:
					rt.Fatalf("frame for %v delivered to %v", h.Dst, r.IPv4)
				case !allowed(x.from.Allow, h.Dst):
					rt.Fatalf("egress policy crossed: %v → %v, allow %v", h.Src, h.Dst, x.from.Allow)
				case !allowed(r.Allow, h.Src):
					rt.Fatalf("ingress policy crossed: %v → %v, receiver allows %v", h.Src, h.Dst, r.Allow)
				case x.due > now:
					rt.Fatalf("a held frame was received %v early", x.due-now)
				}
			},
		})
		for _, n := range live() {
			counted += n.C.TxFrames + n.C.Dropped()
		}
		if counted != sends {
			rt.Fatalf("%d sends, %d counted as accepted or dropped", sends, counted)
		}
	})
}

// BenchmarkSwitch: the switch's own work per frame, a Send (parse, anti-spoofing,
// egress and ingress prefix checks, queueing a copy) and a Receive.
func BenchmarkSwitch(b *testing.B) {
	s := NewSwitch()
	a, _ := s.Add("eth0", 1, pfx("10.88.0.0/24"))
	c, _ := s.Add("eth0", 2, pfx("10.88.0.0/24"))
	f := udpFrom(b, a, a.IPv4, c.IPv4, 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		if to, _, _ := s.Send(a.ID, f, 0, 0); to != c {
			b.Fatal("dropped")
		}
		if g, _, _ := s.Receive(c.ID, 0); g == nil {
			b.Fatal("lost")
		}
	}
}
