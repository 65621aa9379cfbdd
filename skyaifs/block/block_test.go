package block

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
)

func blk(c byte) []byte { return bytes.Repeat([]byte{c}, Size) }

// devices returns one of each persistent implementation of n blocks.
func devices(t *testing.T, n uint64) map[string]Device {
	f, err := Create(filepath.Join(t.TempDir(), "img"), n)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]Device{"mem": NewMem(n), "file": f}
}

func TestDeviceContract(t *testing.T) {
	for name, d := range devices(t, 8) {
		t.Run(name, func(t *testing.T) {
			if d.Blocks() != 8 {
				t.Fatalf("Blocks() = %d", d.Blocks())
			}
			if err := d.WriteBlocks(2, append(blk(1), blk(2)...)); err != nil {
				t.Fatal(err)
			}
			if err := d.WriteFUA(7, blk(9)); err != nil {
				t.Fatal(err)
			}
			if err := d.Flush(); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, 3*Size)
			if err := d.ReadBlocks(2, got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, append(append(blk(1), blk(2)...), make([]byte, Size)...)) {
				t.Fatal("batched read does not return what was written")
			}
			for _, c := range []struct {
				start uint64
				n     int
				want  error
			}{{8, Size, ErrOutOfRange}, {7, 2 * Size, ErrOutOfRange}, {0, 100, ErrBadLength}, {0, 0, ErrBadLength}, {^uint64(0), Size, ErrOutOfRange}} {
				if err := d.WriteBlocks(c.start, make([]byte, c.n)); !errors.Is(err, c.want) {
					t.Errorf("write %d bytes at %d: %v, want %v", c.n, c.start, err, c.want)
				}
				if err := d.ReadBlocks(c.start, make([]byte, c.n)); !errors.Is(err, c.want) {
					t.Errorf("read %d bytes at %d: %v, want %v", c.n, c.start, err, c.want)
				}
			}
			d.Close()
			if err := d.ReadBlocks(0, make([]byte, Size)); !errors.Is(err, ErrGone) {
				t.Errorf("read after close: %v", err)
			}
			if err := d.Flush(); !errors.Is(err, ErrGone) {
				t.Errorf("flush after close: %v", err)
			}
		})
	}
}

func TestFileReopen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "img")
	d, err := Create(p, 4)
	if err != nil {
		t.Fatal(err)
	}
	d.WriteFUA(3, blk(7))
	d.Close()
	d, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	b := make([]byte, Size)
	if err := d.ReadBlocks(3, b); err != nil || !bytes.Equal(b, blk(7)) {
		t.Fatalf("reopened image: %v", err)
	}
}

func TestRecorderCrashImage(t *testing.T) {
	base := make([]byte, 4*Size)
	r := NewRecorder(NewMem(4))
	r.WriteBlocks(0, blk(1))
	r.Flush()
	r.WriteBlocks(1, blk(2))
	r.WriteBlocks(2, blk(3))
	r.WriteFUA(3, blk(4))
	ops := r.Ops()
	if len(ops) != 5 || ops[1].Kind != OpFlush || ops[4].Kind != OpFUA {
		t.Fatalf("ops: %+v", ops)
	}
	img, _ := CrashImage(base, ops, 3, nil)
	if img[Size] != 2 || img[2*Size] != 0 {
		t.Fatal("prefix of 3 operations")
	}
	// Lost cache: writes after the flush may vanish, the one before may not.
	img, _ = CrashImage(base, ops, 4, func(i int) bool { return i == 3 })
	if img[0] != 1 || img[Size] != 0 || img[2*Size] != 3 {
		t.Fatalf("subset: %v %v %v", img[0], img[Size], img[2*Size])
	}
	// A FUA write is durable, but it does not make earlier writes durable.
	img, _ = CrashImage(base, ops, 5, func(i int) bool { return false })
	if img[Size] != 0 || img[2*Size] != 0 || img[3*Size] != 4 {
		t.Fatalf("FUA: %v %v %v", img[Size], img[2*Size], img[3*Size])
	}
	if _, err := CrashImage(base, ops, 6, nil); err == nil {
		t.Fatal("crash point past the log accepted")
	}
}

func TestCutAfter(t *testing.T) {
	m := NewMem(8)
	c := NewCutAfter(m, 3)
	if err := c.WriteBlocks(0, append(blk(1), blk(1)...)); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteBlocks(2, append(blk(2), blk(2)...)); !errors.Is(err, ErrGone) {
		t.Fatalf("write crossing the cut: %v", err)
	}
	if !c.Cut() {
		t.Fatal("not cut")
	}
	img := m.Image()
	if img[2*Size] != 2 || img[3*Size] != 0 {
		t.Fatal("the write crossing the cut should persist exactly its first block")
	}
	if err := c.Flush(); !errors.Is(err, ErrGone) {
		t.Fatalf("flush after the cut: %v", err)
	}
	if err := c.ReadBlocks(0, make([]byte, Size)); !errors.Is(err, ErrGone) {
		t.Fatalf("read after the cut: %v", err)
	}
}

func TestNewMemOwned(t *testing.T) {
	img := blk(7)
	m, err := NewMemOwned(img)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WriteBlocks(0, blk(9)); err != nil {
		t.Fatal(err)
	}
	if img[0] != 9 {
		t.Fatal("NewMemOwned copied the image instead of taking it over")
	}
	if _, err := NewMemOwned(make([]byte, Size+1)); !errors.Is(err, ErrBadLength) {
		t.Fatalf("bad length: %v", err)
	}
}
