package ctr

import (
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// TestParse: CPU shares and sizes in the forms ctr run and skyctl take, and the
// forms they refuse.
func TestParse(t *testing.T) {
	for s, want := range map[string][2]uint64{"20%": {20_000_000, 100_000_000}, "100%": {100_000_000, 100_000_000},
		"2.5%": {2_500_000, 100_000_000}, "5ms/50ms": {5_000_000, 50_000_000}} {
		b, p, err := ParseCPU(s)
		if err != nil || b != want[0] || p != want[1] {
			t.Errorf("ParseCPU(%q) = %d, %d, %v", s, b, p, err)
		}
	}
	for _, s := range []string{"", "0%", "101%", "x%", "20", "5ms", "50ms/5ms", "0s/1s", "-1ms/2ms"} {
		if _, _, err := ParseCPU(s); err == nil {
			t.Errorf("ParseCPU(%q) accepted", s)
		}
	}
	for s, want := range map[string]uint64{"4096": 4096, "64K": 64 << 10, "16M": 16 << 20, "2g": 2 << 30} {
		if n, err := ParseSize(s); err != nil || n != want {
			t.Errorf("ParseSize(%q) = %d, %v", s, n, err)
		}
	}
	for _, s := range []string{"", "0", "M", "-1M", "1T", "300000G"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
	if m, err := ParseIDMap("0:100000:65536"); err != nil || m != (abi.IDMap{Inside: 0, Outside: 100000, Count: 65536}) {
		t.Errorf("ParseIDMap = %+v, %v", m, err)
	}
	for _, s := range []string{"", "0:1", "0:1:0", "a:1:2", "0:1:2:3", "0:4294967296:1", "-1:5:5"} {
		if _, err := ParseIDMap(s); err == nil {
			t.Errorf("ParseIDMap(%q) accepted", s)
		}
	}
}

// TestParseMount: SOURCE:TARGET[:ro|:rw] with absolute, clean paths; anything else is
// refused.
func TestParseMount(t *testing.T) {
	for in, want := range map[string]Mount{
		"/data:/":       {Source: "/data", Target: "/"},
		"/:/machine:ro": {Source: "/", Target: "/machine", ReadOnly: true},
		"/a/b:/c:rw":    {Source: "/a/b", Target: "/c"},
	} {
		got, err := ParseMount(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v, want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "/a", "a:/b", "/a:b", "/a/../b:/c", "/a:/b:rx", "/a:/b:ro:x", "/a/:/b"} {
		if _, err := ParseMount(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
