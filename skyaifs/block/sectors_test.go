package block

import (
	"bytes"
	"errors"
	"testing"
)

// sectorRAM is a SectorDisk in memory that counts requests and refuses larger ones
// than max, as a driver with one DMA page does.
type sectorRAM struct {
	data     []byte
	max      int
	requests int
	flushes  int
	fail     bool
}

func (d *sectorRAM) Sectors() uint64 { return uint64(len(d.data) / SectorSize) }
func (d *sectorRAM) Read(s uint64, p []byte) error {
	return d.do(s, p, func(at []byte) { copy(p, at) })
}
func (d *sectorRAM) Write(s uint64, p []byte) error {
	return d.do(s, p, func(at []byte) { copy(at, p) })
}
func (d *sectorRAM) Flush() error { d.flushes++; return nil }

func (d *sectorRAM) do(s uint64, p []byte, f func([]byte)) error {
	d.requests++
	if d.fail {
		return errors.New("medium error")
	}
	if len(p) > d.max || len(p)%SectorSize != 0 || int(s)*SectorSize+len(p) > len(d.data) {
		return errors.New("bad request")
	}
	f(d.data[int(s)*SectorSize:])
	return nil
}

func TestSectors(t *testing.T) {
	disk := &sectorRAM{data: make([]byte, 10*Size+SectorSize), max: Size}
	dev, err := NewSectors(disk, Size)
	if err != nil {
		t.Fatal(err)
	}
	if dev.Blocks() != 10 {
		t.Fatalf("%d blocks, want 10 (the odd sector is not a block)", dev.Blocks())
	}
	buf := bytes.Repeat([]byte("skyaifs."), 3*Size/8)
	if err := dev.WriteBlocks(2, buf); err != nil {
		t.Fatal(err)
	}
	if disk.requests != 3 || !bytes.Equal(disk.data[2*Size:5*Size], buf) {
		t.Fatalf("%d requests; data placed wrong", disk.requests)
	}
	got := make([]byte, 3*Size)
	if err := dev.ReadBlocks(2, got); err != nil || !bytes.Equal(got, buf) {
		t.Fatalf("read back: %v", err)
	}
	if err := dev.WriteFUA(0, buf[:Size]); err != nil || disk.flushes != 1 {
		t.Fatalf("FUA: %v, %d flushes", err, disk.flushes)
	}
	if err := dev.ReadBlocks(9, got[:2*Size]); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("past the end: %v", err)
	}
	if err := dev.ReadBlocks(0, got[:100]); !errors.Is(err, ErrBadLength) {
		t.Errorf("partial block: %v", err)
	}
	disk.fail = true
	if err := dev.ReadBlocks(0, got[:Size]); !errors.Is(err, ErrIO) {
		t.Errorf("medium error: %v", err)
	}
	dev.Close()
	if err := dev.Flush(); !errors.Is(err, ErrGone) {
		t.Errorf("after Close: %v", err)
	}
	if _, err := NewSectors(disk, 1000); err == nil {
		t.Error("a transfer limit that is not whole blocks was accepted")
	}
}
