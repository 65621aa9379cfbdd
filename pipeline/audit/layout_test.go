package audit

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/pqc"
)

// cborHead is an independent encoder of a CBOR head in shortest form (RFC 8949
// §4.2.1), following docs/AUDIT.md rather than the package's codec.
func cborHead(major byte, n uint64) []byte {
	m := major << 5
	switch {
	case n < 24:
		return []byte{m | byte(n)}
	case n <= 0xff:
		return []byte{m | 24, byte(n)}
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16([]byte{m | 25}, uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32([]byte{m | 26}, uint32(n))
	default:
		return binary.BigEndian.AppendUint64([]byte{m | 27}, n)
	}
}

func cborInt(v int64) []byte {
	if v < 0 {
		return cborHead(1, uint64(-1-v))
	}
	return cborHead(0, uint64(v))
}

func cborText(s string) []byte  { return append(cborHead(3, uint64(len(s))), s...) }
func cborBytes(b []byte) []byte { return append(cborHead(2, uint64(len(b))), b...) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestFileLayout builds a log file by hand, as docs/AUDIT.md describes it, and checks
// that Log writes exactly the same bytes.
func TestFileLayout(t *testing.T) {
	a, _ := detSigners(t)
	t1 := epoch.Add(time.Millisecond).UnixNano()
	t2 := epoch.Add(2 * time.Millisecond).UnixNano()
	t3 := epoch.Add(3 * time.Millisecond).UnixNano()

	// Record 0: load hello 1.0.0, no detail.
	r0 := cat(cborHead(5, 6),
		cborInt(1), cborInt(0),
		cborInt(2), cborInt(t1),
		cborInt(3), cborInt(1),
		cborInt(4), cborText("hello"),
		cborInt(5), cborText("1.0.0"),
		cborInt(7), cborBytes(make([]byte, 64)))
	// Record 1: refuse evil, no version, a detail.
	d0 := pqc.Sum512(r0)
	r1 := cat(cborHead(5, 6),
		cborInt(1), cborInt(1),
		cborInt(2), cborInt(t2),
		cborInt(3), cborInt(2),
		cborInt(4), cborText("evil"),
		cborInt(6), cborText("package signature does not verify"),
		cborInt(7), cborBytes(d0[:]))
	// Record 2: the seal; its signature covers the seal without key 10.
	d1 := pqc.Sum512(r1)
	id := a.ID()
	sealFields := cat(
		cborInt(1), cborInt(2),
		cborInt(2), cborInt(t3),
		cborInt(3), cborInt(8),
		cborInt(7), cborBytes(d1[:]),
		cborInt(8), cborInt(2),
		cborInt(9), cborBytes(id[:]))
	msg := cat(cborHead(5, 6), sealFields)
	sig, err := a.Sign("skyscope/audit/v1", msg)
	if err != nil {
		t.Fatal(err)
	}
	r2 := cat(cborHead(5, 7), sealFields, cborInt(10), cborBytes(sig))

	want := []byte("SKYAUDIT\x00\x00\x00\x01")
	for _, r := range [][]byte{r0, r1, r2} {
		want = binary.BigEndian.AppendUint32(want, uint32(len(r)))
		want = append(want, r...)
	}

	l, err := NewLog(a, 0, clock())
	if err != nil {
		t.Fatal(err)
	}
	l.Append(KindLoad, "hello", "1.0.0", "")
	l.Append(KindRefuse, "evil", "", "package signature does not verify")
	l.Seal()
	got := l.Bytes()
	if !bytes.Equal(got, want) {
		t.Fatalf("Log wrote\n%x\nthe documented layout is\n%x", got, want)
	}
	// The sizes docs/AUDIT.md quotes.
	if len(r2) != 4750 || len(r2[:len(r2)-len(sig)-4]) != 119 || !bytes.Equal(r2[len(r2)-len(sig)-4:len(r2)-len(sig)], []byte{0x0a, 0x59, 0x12, 0x13}) {
		t.Errorf("seal of %d bytes: %x…", len(r2), r2[:140])
	}
	if _, err := Verify(got, NewTrustRoot(testKeyA(t).Public()), Strict()); err != nil {
		t.Fatal(err)
	}
}

func testKeyA(t testing.TB) *pqc.PrivateKey {
	a, _ := testKeys(t)
	return a
}
