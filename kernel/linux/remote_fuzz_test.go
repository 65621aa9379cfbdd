package linux

import (
	"encoding/binary"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// direntPage encodes file protocol directory records for the seeds.
func direntPage(names ...string) []byte {
	var b []byte
	for i, n := range names {
		b = binary.LittleEndian.AppendUint64(b, uint64(100+i))
		b = binary.LittleEndian.AppendUint32(b, unix.S_IFREG|0o644)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(n)))
		b = append(b, n...)
	}
	return b
}

// FuzzLinuxDirents: whatever page a file server sends, linuxDirents does not panic,
// and what it accepts is a well-formed run of linux_dirent64 records within size:
// each record's length covers its NUL-terminated name, names are strictly increasing
// after the resume point and free of '/' and NUL, offsets count on from off, and the
// count and last name it reports are the records'.
func FuzzLinuxDirents(f *testing.F) {
	f.Add(direntPage("a", "b", "c"), uint64(3), "", int64(0), uint64(4096))
	f.Add(direntPage("a", "b", "c"), uint64(3), "a", int64(5), uint64(4096))
	f.Add(direntPage("b", "a"), uint64(2), "", int64(0), uint64(4096))
	f.Add(direntPage("long-name-entry", "z"), uint64(2), "", int64(0), uint64(32))
	f.Add(direntPage("x/y"), uint64(1), "", int64(0), uint64(4096))
	f.Add([]byte{1, 2, 3}, uint64(1), "", int64(0), uint64(4096))
	f.Fuzz(func(t *testing.T, page []byte, count uint64, after string, off int64, size uint64) {
		out, n, last, e := linuxDirents(page, count, after, off, size)
		if e != 0 {
			if out != nil || n != 0 {
				t.Fatalf("error %v with %d records", e, n)
			}
			return
		}
		if uint64(len(out)) > size || uint64(n) > count {
			t.Fatalf("%d bytes, %d records for size %d, count %d", len(out), n, size, count)
		}
		prev, got := after, 0
		for b := out; len(b) > 0; got++ {
			if len(b) < 20 {
				t.Fatalf("a record of %d bytes", len(b))
			}
			reclen := int(binary.LittleEndian.Uint16(b[16:]))
			if reclen < 20 || reclen > len(b) || reclen%8 != 0 {
				t.Fatalf("record length %d of %d bytes", reclen, len(b))
			}
			if d := binary.LittleEndian.Uint64(b[8:]); d != uint64(off)+uint64(got)+1 {
				t.Fatalf("record %d has offset %d, want %d", got, d, uint64(off)+uint64(got)+1)
			}
			name, _, ok := strings.Cut(string(b[19:reclen]), "\x00")
			if !ok || name == "" || name <= prev || strings.ContainsRune(name, '/') {
				t.Fatalf("record %d names %q after %q", got, name, prev)
			}
			prev, b = name, b[reclen:]
		}
		if got != n || prev != last {
			t.Fatalf("%d records ending at %q; reported %d ending at %q", got, prev, n, last)
		}
	})
}
