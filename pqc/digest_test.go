package pqc

import (
	"bytes"
	"encoding/hex"
	"testing"
)

func TestSum512(t *testing.T) {
	tests := []struct{ in, want string }{
		// FIPS 202 / NIST example values.
		{"", "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26"},
		{"abc", "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e9192af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0"},
	}
	for _, tt := range tests {
		got := Sum512([]byte(tt.in))
		if hex.EncodeToString(got[:]) != tt.want {
			t.Errorf("Sum512(%q) = %x, want %s", tt.in, got, tt.want)
		}
	}
}

func TestNewHash512MatchesSum512(t *testing.T) {
	data := bytes.Repeat([]byte("skyscope"), 10000)
	h := NewHash512()
	for i := 0; i < len(data); i += 777 {
		h.Write(data[i:min(i+777, len(data))])
	}
	want := Sum512(data)
	if got := h.Sum(nil); !bytes.Equal(got, want[:]) || h.Size() != 64 {
		t.Fatalf("streaming SHA3-512 = %x, want %x", got, want)
	}
}
