package fscmd

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
)

// hostFiles is Files over a folder of the host's filesystem (ext4 here), for the
// comparison in BenchmarkWorkload.
type hostFiles string

func (h hostFiles) p(path string) string { return filepath.Join(string(h), path) }

func (h hostFiles) WriteFile(path string, data []byte, appendTo bool) error {
	return os.WriteFile(h.p(path), data, 0o644)
}
func (h hostFiles) ReadFile(path string, out io.Writer) error {
	b, err := os.ReadFile(h.p(path))
	out.Write(b)
	return err
}
func (h hostFiles) Names(path string) ([]string, error) { return nil, nil }
func (h hostFiles) Mkdir(path string) error             { return os.Mkdir(h.p(path), 0o755) }
func (h hostFiles) Remove(path string) error            { return os.Remove(h.p(path)) }
func (h hostFiles) Rename(from, to string) error        { return os.Rename(h.p(from), h.p(to)) }
func (h hostFiles) Statfs() (fs.Statfs, error)          { return fs.Statfs{}, nil }
func (h hostFiles) Sync() error {
	d, err := os.Open(string(h))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync() // what a create needs to be durable: its directory's entry
}
func (h hostFiles) OpenFile(path string, flags int) (FileIO, error) {
	return os.OpenFile(h.p(path), flags, 0o644)
}

// BenchmarkWorkload runs the fsbench workload (an 8 MiB file: sequential and random
// 4 KiB read/write with fsync, 200 small-file creates and a sync) on SKYAIFS over a
// file-backed block device and on the host's own filesystem in the same folder, and
// reports MB/s and creates/s.
func BenchmarkWorkload(b *testing.B) {
	report := func(b *testing.B, r BenchResult) {
		rnd := int64(r.RandomOps) * 4096
		b.ReportMetric(MBps(r.Bytes, r.SeqWrite), "seqwrite-MB/s")
		b.ReportMetric(MBps(r.Bytes, r.SeqRead), "seqread-MB/s")
		b.ReportMetric(MBps(rnd, r.RandWrite), "randwrite-MB/s")
		b.ReportMetric(MBps(rnd, r.RandRead), "randread-MB/s")
		b.ReportMetric(float64(r.Creates)/r.Create.Seconds(), "creates/s")
	}
	b.Run("skyaifs-on-file", func(b *testing.B) {
		for range b.N {
			img := filepath.Join(b.TempDir(), "disk.img")
			dev, err := block.Create(img, 16384)
			if err != nil {
				b.Fatal(err)
			}
			if err := fs.Mkfs(dev, fs.Options{}); err != nil {
				b.Fatal(err)
			}
			f, err := fs.Mount(dev, fs.Options{})
			if err != nil {
				b.Fatal(err)
			}
			r, err := Bench(Local{FS: f}, "/.bench", 8<<20, time.Now)
			if err != nil {
				b.Fatal(err)
			}
			report(b, r)
			f.Unmount()
			dev.Close()
		}
	})
	b.Run("host-fs", func(b *testing.B) {
		for range b.N {
			r, err := Bench(hostFiles(b.TempDir()), ".bench", 8<<20, time.Now)
			if err != nil {
				b.Fatal(err)
			}
			report(b, r)
		}
	})
}
