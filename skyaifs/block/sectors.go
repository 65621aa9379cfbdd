package block

import (
	"errors"
	"fmt"
	"sync"
)

// SectorDisk is a disk driver addressed in 512-byte sectors that moves at most
// MaxTransfer() bytes per request — what a hardware driver such as hal/virtio's
// Block offers.
type SectorDisk interface {
	Sectors() uint64
	Read(sector uint64, p []byte) error
	Write(sector uint64, p []byte) error
	Flush() error
}

// SectorSize is the unit a SectorDisk is addressed in.
const SectorSize = 512

// Sectors is a Device over a SectorDisk: each block is Size/SectorSize sectors, a
// batched request is split into transfers of at most max bytes, and WriteFUA is a
// write followed by a flush (devices without a FUA command make it so). Errors of the
// disk are reported as ErrIO. It is safe for concurrent use.
type Sectors struct {
	mu     sync.Mutex
	disk   SectorDisk
	max    int
	closed bool
}

// NewSectors returns a Device over disk, moving at most max bytes (a multiple of
// Size) per disk request.
func NewSectors(disk SectorDisk, max int) (*Sectors, error) {
	if max < Size || max%Size != 0 {
		return nil, fmt.Errorf("block: a transfer limit of %d bytes is not a whole number of blocks", max)
	}
	return &Sectors{disk: disk, max: max}, nil
}

// Blocks implements Device: the whole blocks the disk holds.
func (s *Sectors) Blocks() uint64 { return s.disk.Sectors() / (Size / SectorSize) }

func (s *Sectors) transfer(start uint64, buf []byte, op func(uint64, []byte) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrGone
	}
	if err := check(s.Blocks(), start, buf); err != nil {
		return err
	}
	sector := start * (Size / SectorSize)
	for len(buf) > 0 {
		n := min(len(buf), s.max)
		if err := op(sector, buf[:n]); err != nil {
			return fmt.Errorf("%w: sector %d: %v", ErrIO, sector, err)
		}
		buf, sector = buf[n:], sector+uint64(n/SectorSize)
	}
	return nil
}

// ReadBlocks implements Device.
func (s *Sectors) ReadBlocks(start uint64, buf []byte) error {
	return s.transfer(start, buf, s.disk.Read)
}

// WriteBlocks implements Device.
func (s *Sectors) WriteBlocks(start uint64, buf []byte) error {
	return s.transfer(start, buf, s.disk.Write)
}

// WriteFUA implements Device: the write, then a flush of the disk's cache.
func (s *Sectors) WriteFUA(start uint64, buf []byte) error {
	if err := s.WriteBlocks(start, buf); err != nil {
		return err
	}
	return s.Flush()
}

// Flush implements Device.
func (s *Sectors) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrGone
	}
	if err := s.disk.Flush(); err != nil {
		return errors.Join(ErrIO, err)
	}
	return nil
}

// Close implements Device; the disk itself stays the driver's.
func (s *Sectors) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}
