package netsup

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"

	"github.com/skyscope-os/skyscope/container/descriptor"
)

var (
	macA = MAC{0x02, 0x53, 0x4b, 0, 0, 2}
	macB = MAC{0x02, 0x53, 0x4b, 0, 0, 3}
)

// TestUDPRoundTrip: BuildUDP's frames parse back to what was built, over IPv4 and
// IPv6, with checksums that verify.
func TestUDPRoundTrip(t *testing.T) {
	for _, c := range []struct{ src, dst string }{{"10.88.0.2", "10.88.0.3"}, {"fd88::2", "fd88::3"}} {
		src, dst := netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst)
		data := []byte("hello through the switch")
		f, err := BuildUDP(macA, macB, src, dst, 1234, 7, data)
		if err != nil {
			t.Fatal(err)
		}
		h, err := ParseFrame(f)
		if err != nil {
			t.Fatal(err)
		}
		if h.SrcMAC != macA || h.DstMAC != macB || h.Src != src || h.Dst != dst || h.Proto != ProtoUDP {
			t.Errorf("%v: parsed %+v", c, h)
		}
		u, err := ParseUDP(h)
		if err != nil {
			t.Fatal(err)
		}
		if u.SrcPort != 1234 || u.DstPort != 7 || !bytes.Equal(u.Data, data) {
			t.Errorf("%v: UDP %+v", c, u)
		}
		// Every single-bit flip in the IP or UDP header is refused by a check
		// (length, version, checksum) or changes what parses; none panics.
		for i := EthHeader; i < len(f); i++ {
			g := bytes.Clone(f)
			g[i] ^= 0x10
			if h2, err := ParseFrame(g); err == nil {
				_, _ = ParseUDP(h2)
			}
		}
	}
}

// TestParseFrameRefuses: each malformed frame gets ErrMalformed.
func TestParseFrameRefuses(t *testing.T) {
	good, _ := BuildUDP(macA, macB, netip.MustParseAddr("10.88.0.2"), netip.MustParseAddr("10.88.0.3"), 1, 2, []byte("x"))
	good6, _ := BuildUDP(macA, macB, netip.MustParseAddr("fd88::2"), netip.MustParseAddr("fd88::3"), 1, 2, []byte("x"))
	mod := func(b []byte, f func([]byte)) []byte { c := bytes.Clone(b); f(c); return c }
	cases := map[string][]byte{
		"short":           good[:MinFrame-1],
		"long":            make([]byte, MaxFrame+1),
		"arp":             mod(good, func(b []byte) { b[12], b[13] = 0x08, 0x06 }),
		"vlan":            mod(good, func(b []byte) { b[12], b[13] = 0x81, 0x00 }),
		"v4 version":      mod(good, func(b []byte) { b[14] = 0x65 }),
		"v4 ihl":          mod(good, func(b []byte) { b[14] = 0x44 }),
		"v4 ihl past":     mod(good, func(b []byte) { b[14] = 0x4f }),
		"v4 total past":   mod(good, func(b []byte) { b[16], b[17] = 0x7f, 0xff }),
		"v4 checksum":     mod(good, func(b []byte) { b[24] ^= 1 }),
		"v6 version":      mod(good6, func(b []byte) { b[14] = 0x40 }),
		"v6 payload past": mod(good6, func(b []byte) { b[18], b[19] = 0x7f, 0xff }),
		"v6 short":        good6[:EthHeader+ipv6Header-1],
	}
	for name, f := range cases {
		if _, err := ParseFrame(f); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
	h, _ := ParseFrame(good)
	h.Payload = bytes.Clone(h.Payload)
	h.Payload[len(h.Payload)-1] ^= 1
	if _, err := ParseUDP(h); !errors.Is(err, ErrMalformed) {
		t.Errorf("a UDP checksum that does not verify: %v", err)
	}
	if _, err := BuildUDP(macA, macB, netip.MustParseAddr("10.88.0.2"), netip.MustParseAddr("fd88::3"), 1, 2, nil); err == nil {
		t.Error("BuildUDP took mixed IP versions")
	}
	if _, err := BuildUDP(macA, macB, netip.MustParseAddr("10.88.0.2"), netip.MustParseAddr("10.88.0.3"), 1, 2, make([]byte, MTU)); err == nil {
		t.Error("BuildUDP took data past the MTU")
	}
}

// TestSpecsOf: a descriptor's NICs become the specs the supervisor attaches, which
// encode and decode to themselves; a descriptor without NICs has no network.
func TestSpecsOf(t *testing.T) {
	var d descriptor.Descriptor
	if specs, err := SpecsOf(d); err != nil || specs != nil {
		t.Fatalf("no NICs: %v %v", specs, err)
	}
	d.Namespaces.Network = []descriptor.NIC{{Name: "eth0", Allow: []string{"10.88.0.0/16", "fd88::/64"}}, {Name: "eth1"}}
	specs, err := SpecsOf(d)
	if err != nil || len(specs) != 2 || len(specs[0].Allow) != 2 || specs[1].Allow != nil {
		t.Fatalf("%v %v", specs, err)
	}
	for _, s := range specs {
		back, err := DecodeSpec(s.Encode())
		if err != nil || back.Name != s.Name || len(back.Allow) != len(s.Allow) {
			t.Errorf("%v → %v, %v", s, back, err)
		}
	}
	d.Namespaces.Network[1].Allow = []string{"10.0.0.1/8"}
	if _, err := SpecsOf(d); !errors.Is(err, ErrBadNIC) {
		t.Errorf("a prefix with host bits: %v", err)
	}
}
