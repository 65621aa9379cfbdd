package canon

import (
	"errors"
	"testing"
)

type rec struct {
	A int    `cbor:"1,keyasint"`
	B string `cbor:"2,keyasint"`
}

func TestStrictCanonical(t *testing.T) {
	c := New(Limits{MaxNesting: 4, MaxArray: 16, MaxMapPairs: 16})
	good, err := Marshal(&rec{A: 1, B: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var r rec
	if err := c.Unmarshal(good, &r); err != nil || r.A != 1 || r.B != "x" {
		t.Fatalf("round trip: %+v %v", r, err)
	}
	for name, b := range map[string][]byte{
		"keys out of order":         {0xa2, 0x02, 0x61, 'x', 0x01, 0x01},
		"non-shortest integer":      {0xa2, 0x01, 0x18, 0x01, 0x02, 0x61, 'x'},
		"duplicate key":             {0xa2, 0x01, 0x01, 0x01, 0x02},
		"unknown key":               {0xa3, 0x01, 0x01, 0x02, 0x61, 'x', 0x03, 0x00},
		"indefinite-length map":     {0xbf, 0x01, 0x01, 0x02, 0x61, 'x', 0xff},
		"tagged value":              {0xc1, 0xa2, 0x01, 0x01, 0x02, 0x61, 'x'},
		"trailing byte":             append(append([]byte(nil), good...), 0),
		"truncated":                 good[:len(good)-1],
		"empty":                     {},
		"map where a record is due": {0x80},
	} {
		var r rec
		if err := c.Unmarshal(b, &r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var r2 rec
	if err := c.Unmarshal([]byte{0xa2, 0x02, 0x61, 'x', 0x01, 0x01}, &r2); !errors.Is(err, ErrNotCanonical) {
		t.Errorf("keys out of order: %v, want ErrNotCanonical", err)
	}
}
