package modsvc

import (
	"encoding/hex"
	"strings"
	"testing"
)

// FuzzParseLoadInto: a LabelLoadInto line either parses to a name, a version and a
// 64-byte digest that print back to the same fields, or is refused; it never panics.
func FuzzParseLoadInto(f *testing.F) {
	f.Add("hello 1.0.0 " + strings.Repeat("ab", 64))
	f.Add("hello 1.0.0")
	f.Add("hello 1.0 " + strings.Repeat("00", 64))
	f.Add("hello 1.0.0 " + strings.Repeat("zz", 64))
	f.Add("  a\t2.3.4\n" + strings.Repeat("0", 128) + " ")
	f.Fuzz(func(t *testing.T, line string) {
		name, v, d, err := parseLoadInto(line)
		if err != nil {
			return
		}
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != name || v.String() == "" {
			t.Fatalf("%q parsed to %q %s", line, name, v)
		}
		if b, err := hex.DecodeString(f[2]); err != nil || string(b) != string(d[:]) {
			t.Fatalf("%q: digest %x", line, d)
		}
	})
}
