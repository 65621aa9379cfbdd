package fscmd

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"time"

	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
)

// FileIO is an open file the benchmark writes and reads.
type FileIO interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
	Close() error
}

// OpenFile implements Files.
func (l Local) OpenFile(path string, flags int) (FileIO, error) {
	return l.FS.OpenFile(path, flags, 0o644)
}

// OpenFile implements Files.
func (r Remote) OpenFile(path string, flags int) (FileIO, error) {
	f, err := r.C.Open(path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	return f, nil
}

var _ FileIO = (*fileproto.File)(nil)

// BenchResult is what one benchmark run measured.
type BenchResult struct {
	Bytes                      int64
	SeqWrite, SeqRead          time.Duration // the whole file, in 128 KiB requests; the write includes its fsync
	RandWrite, RandRead        time.Duration // randomOps 4 KiB requests at random block offsets; the writes' include one fsync
	Creates                    int
	Create                     time.Duration // small files: create, write 1 KiB, close; one sync at the end
	RandomOps, SmallFileLength int
}

// MBps returns n bytes over d in MB/s (10^6 bytes).
func MBps(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds() / 1e6
}

// String reports the result a line per measure.
func (r BenchResult) String() string {
	rnd := int64(r.RandomOps) * 4096
	return fmt.Sprintf("sequential write %.1f MB/s, read %.1f MB/s (%d KiB file)\n"+
		"random 4 KiB write %.1f MB/s, read %.1f MB/s (%d requests)\n"+
		"small files: %.0f creates/s (%d files of %d bytes)\n",
		MBps(r.Bytes, r.SeqWrite), MBps(r.Bytes, r.SeqRead), r.Bytes>>10,
		MBps(rnd, r.RandWrite), MBps(rnd, r.RandRead), r.RandomOps,
		float64(r.Creates)/r.Create.Seconds(), r.Creates, r.SmallFileLength)
}

// Bench measures f with a file of size bytes in directory dir (made, then removed):
// sequential write and read, random 4 KiB writes and reads, and small-file creates.
// now is the clock (time.Now).
func Bench(f Files, dir string, size int64, now func() time.Time) (BenchResult, error) {
	const chunk, block, ops, small, smallLen = 128 << 10, 4096, 256, 200, 1024
	r := BenchResult{Bytes: size, RandomOps: ops, Creates: small, SmallFileLength: smallLen}
	if err := f.Mkdir(dir); err != nil {
		return r, err
	}
	path := dir + "/seq"
	buf := make([]byte, chunk)
	for i := range buf {
		buf[i] = byte(i*7 + 1)
	}
	h, err := f.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		return r, err
	}
	defer h.Close()
	t := now()
	for off := int64(0); off < size; off += chunk {
		if _, err := h.WriteAt(buf[:min(chunk, size-off)], off); err != nil {
			return r, err
		}
	}
	if err := h.Sync(); err != nil {
		return r, err
	}
	r.SeqWrite = now().Sub(t)
	t = now()
	for off := int64(0); off < size; off += chunk {
		if n, err := h.ReadAt(buf[:min(chunk, size-off)], off); err != nil && !(err == io.EOF && int64(n) == size-off) {
			return r, err
		}
	}
	r.SeqRead = now().Sub(t)
	rng := rand.New(rand.NewPCG(1, 2))
	blocks := size / block
	t = now()
	for range ops {
		if _, err := h.WriteAt(buf[:block], rng.Int64N(blocks)*block); err != nil {
			return r, err
		}
	}
	if err := h.Sync(); err != nil {
		return r, err
	}
	r.RandWrite = now().Sub(t)
	t = now()
	for range ops {
		if _, err := h.ReadAt(buf[:block], rng.Int64N(blocks)*block); err != nil && err != io.EOF {
			return r, err
		}
	}
	r.RandRead = now().Sub(t)
	t = now()
	for i := range small {
		s, err := f.OpenFile(dir+"/f"+strconv.Itoa(i), os.O_WRONLY|os.O_CREATE|os.O_EXCL)
		if err != nil {
			return r, err
		}
		if _, err := s.WriteAt(buf[:smallLen], 0); err != nil {
			s.Close()
			return r, err
		}
		if err := s.Close(); err != nil {
			return r, err
		}
	}
	if err := f.Sync(); err != nil {
		return r, err
	}
	r.Create = now().Sub(t)
	for i := range small {
		f.Remove(dir + "/f" + strconv.Itoa(i))
	}
	h.Close()
	f.Remove(path)
	return r, f.Remove(dir)
}
