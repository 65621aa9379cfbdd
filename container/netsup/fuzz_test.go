package netsup

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzParseFrame: ParseFrame and ParseUDP never panic or read past the frame, and a
// frame they accept keeps its addresses in the bytes they came from; DecodeSpec
// accepts only specs that encode back to the same bytes. Seeds in testdata/fuzz.
func FuzzParseFrame(f *testing.F) {
	for _, c := range []struct{ src, dst string }{{"10.88.0.2", "10.88.0.3"}, {"fd88::2", "fd88::3"}} {
		b, _ := BuildUDP(macA, macB, netip.MustParseAddr(c.src), netip.MustParseAddr(c.dst), 1, 7, []byte("seed"))
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseFrame(b)
		if err != nil {
			return
		}
		if !bytes.Equal(h.SrcMAC[:], b[6:12]) || !h.Src.IsValid() || !h.Dst.IsValid() {
			t.Fatalf("parsed %+v from %x", h, b)
		}
		if u, err := ParseUDP(h); err == nil && len(u.Data) > len(h.Payload) {
			t.Fatalf("UDP data %d bytes from a payload of %d", len(u.Data), len(h.Payload))
		}
	})
}

// FuzzDecodeSpec: a spec DecodeSpec accepts encodes to the bytes it came from.
func FuzzDecodeSpec(f *testing.F) {
	f.Add([]byte("eth0\n10.88.0.0/16\nfd88::/64"))
	f.Add([]byte("eth0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSpec(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Encode(), b) {
			t.Fatalf("%q decodes to %+v, which encodes to %q", b, s, s.Encode())
		}
	})
}
