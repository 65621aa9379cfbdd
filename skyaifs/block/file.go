package block

import (
	"fmt"
	"os"
	"sync"
)

// File is a block device backed by an image file on the host. Flush and
// WriteFUA call fsync on the file, so "durable" means what the host
// filesystem's fsync gives. It is safe for concurrent use.
type File struct {
	mu sync.Mutex
	f  *os.File // nil after Close; protected by mu
	n  uint64   // immutable
}

// Create makes (or truncates) an image file of n blocks and opens it.
func Create(path string, n uint64) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(int64(n * Size)); err != nil {
		f.Close()
		return nil, err
	}
	return &File{f: f, n: n}, nil
}

// Open opens an existing image file, whose size must be a whole number of
// blocks.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.Size() == 0 || fi.Size()%Size != 0 {
		f.Close()
		return nil, fmt.Errorf("%s: %w: image of %d bytes", path, ErrBadLength, fi.Size())
	}
	return &File{f: f, n: uint64(fi.Size() / Size)}, nil
}

// Blocks implements Device.
func (d *File) Blocks() uint64 { return d.n }

// ReadBlocks implements Device.
func (d *File) ReadBlocks(start uint64, buf []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkLocked(start, buf); err != nil {
		return err
	}
	if _, err := d.f.ReadAt(buf, int64(start*Size)); err != nil {
		return fmt.Errorf("%w: read blocks at %d: %v", ErrIO, start, err)
	}
	return nil
}

// WriteBlocks implements Device.
func (d *File) WriteBlocks(start uint64, buf []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.checkLocked(start, buf); err != nil {
		return err
	}
	if _, err := d.f.WriteAt(buf, int64(start*Size)); err != nil {
		return fmt.Errorf("%w: write blocks at %d: %v", ErrIO, start, err)
	}
	return nil
}

// WriteFUA implements Device: write, then fsync.
func (d *File) WriteFUA(start uint64, buf []byte) error {
	if err := d.WriteBlocks(start, buf); err != nil {
		return err
	}
	return d.Flush()
}

// Flush implements Device.
func (d *File) Flush() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return ErrGone
	}
	if err := d.f.Sync(); err != nil {
		return fmt.Errorf("%w: fsync: %v", ErrIO, err)
	}
	return nil
}

// Close implements Device.
func (d *File) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}

func (d *File) checkLocked(start uint64, buf []byte) error {
	if d.f == nil {
		return ErrGone
	}
	return check(d.n, start, buf)
}
