package fs

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
)

// Benchmarks: throughput of sequential and random I/O and the small-file
// create rate, on a RAM disk ("mem") and on an image file ("file", whose
// flushes are fsyncs of the host filesystem). docs/PERFORMANCE.md records
// the numbers and the command.

const benchFile = 32 << 20 // bytes

func benchDevices(b *testing.B, run func(b *testing.B, dev block.Device)) {
	b.Run("mem", func(b *testing.B) { run(b, block.NewMem(65536)) })
	b.Run("file", func(b *testing.B) {
		dev, err := block.Create(filepath.Join(b.TempDir(), "bench.img"), 65536)
		if err != nil {
			b.Fatal(err)
		}
		defer dev.Close()
		run(b, dev)
	})
}

func benchMount(b *testing.B, dev block.Device) *FS {
	b.Helper()
	must(b, Mkfs(dev, Options{Seed: 1, Inodes: 65536}))
	f, err := Mount(dev, Options{})
	must(b, err)
	return f
}

// filled returns an FS holding /data of benchFile bytes, synced.
func filled(b *testing.B, dev block.Device) (*FS, *File) {
	f := benchMount(b, dev)
	h, err := f.Create("/data", 0o644)
	must(b, err)
	buf := make([]byte, 1<<20)
	for off := 0; off < benchFile; off += len(buf) {
		_, err := h.WriteAt(buf, int64(off))
		must(b, err)
	}
	must(b, f.Sync())
	return f, h
}

func BenchmarkSeqWrite(b *testing.B) {
	benchDevices(b, func(b *testing.B, dev block.Device) {
		f := benchMount(b, dev)
		buf := make([]byte, 1<<20)
		b.SetBytes(benchFile)
		for i := 0; b.Loop(); i++ {
			h, err := f.Create(fmt.Sprintf("/f%d", i%2), 0o644)
			must(b, err)
			for off := 0; off < benchFile; off += len(buf) {
				_, err := h.WriteAt(buf, int64(off))
				must(b, err)
			}
			must(b, h.Sync())
			must(b, h.Close())
		}
	})
}

func BenchmarkSeqRead(b *testing.B) {
	benchDevices(b, func(b *testing.B, dev block.Device) {
		_, h := filled(b, dev)
		buf := make([]byte, 1<<20)
		b.SetBytes(benchFile)
		for b.Loop() {
			for off := 0; off < benchFile; off += len(buf) {
				_, err := h.ReadAt(buf, int64(off))
				must(b, err)
			}
		}
	})
}

// BenchmarkRandWrite: 4 KiB overwrites at random block-aligned offsets of a
// 32 MiB file, with an fsync every 256 writes (1 MiB).
func BenchmarkRandWrite(b *testing.B) {
	benchDevices(b, func(b *testing.B, dev block.Device) {
		_, h := filled(b, dev)
		r := rand.New(rand.NewPCG(1, 1))
		buf := make([]byte, 4096)
		b.SetBytes(4096)
		for i := 0; b.Loop(); i++ {
			_, err := h.WriteAt(buf, int64(r.IntN(benchFile/4096))*4096)
			must(b, err)
			if i%256 == 255 {
				must(b, h.Sync())
			}
		}
	})
}

// BenchmarkRandWriteFsync: a 4 KiB overwrite followed by fsync, the
// latency-bound case (a database commit).
func BenchmarkRandWriteFsync(b *testing.B) {
	benchDevices(b, func(b *testing.B, dev block.Device) {
		_, h := filled(b, dev)
		r := rand.New(rand.NewPCG(1, 1))
		buf := make([]byte, 4096)
		b.SetBytes(4096)
		for b.Loop() {
			_, err := h.WriteAt(buf, int64(r.IntN(benchFile/4096))*4096)
			must(b, err)
			must(b, h.Sync())
		}
	})
}

func BenchmarkRandRead(b *testing.B) {
	benchDevices(b, func(b *testing.B, dev block.Device) {
		_, h := filled(b, dev)
		r := rand.New(rand.NewPCG(1, 1))
		buf := make([]byte, 4096)
		b.SetBytes(4096)
		for b.Loop() {
			_, err := h.ReadAt(buf, int64(r.IntN(benchFile/4096))*4096)
			must(b, err)
		}
	})
}

// BenchmarkCreate: create a 1 KiB file in one directory (new directory every
// 5000 files), sync every 100 files; one op is one file.
func BenchmarkCreate(b *testing.B) {
	benchDevices(b, func(b *testing.B, dev block.Device) {
		f := benchMount(b, dev)
		buf := make([]byte, 1024)
		for i := 0; b.Loop(); i++ {
			if i%5000 == 0 {
				must(b, f.Mkdir(fmt.Sprintf("/d%d", i/5000), 0o755))
			}
			h, err := f.Create(fmt.Sprintf("/d%d/file%d", i/5000, i), 0o644)
			if err != nil {
				b.Fatalf("file %d: %v", i, err)
			}
			_, err = h.WriteAt(buf, 0)
			must(b, err)
			must(b, h.Close())
			if i%100 == 99 {
				must(b, f.Sync())
			}
		}
	})
}

// BenchmarkCryptSeq compares encrypted with plain files on a RAM disk (so
// the cipher's and copy-on-write's cost is not hidden behind the device):
// write (a new 32 MiB file, fsync), overwrite (the same file written again:
// copy-on-write for the encrypted one, in place for the plain one) and read,
// all in 1 MiB calls.
func BenchmarkCryptSeq(b *testing.B) {
	for _, enc := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "encrypted"}[enc]
		setup := func(b *testing.B) *FS {
			dev := block.NewMem(65536)
			must(b, Mkfs(dev, Options{Seed: 1, Inodes: 65536}))
			f, err := Mount(dev, Options{Keys: testKeys})
			must(b, err)
			must(b, f.Mkdir("/d", 0o755))
			if enc {
				must(b, f.SetEncryption("/d", testKeyID))
			}
			return f
		}
		buf := make([]byte, 1<<20)
		writeAll := func(b *testing.B, h *File) {
			for off := 0; off < benchFile; off += len(buf) {
				_, err := h.WriteAt(buf, int64(off))
				must(b, err)
			}
			must(b, h.Sync())
		}
		b.Run("write/"+name, func(b *testing.B) {
			f := setup(b)
			b.SetBytes(benchFile)
			for i := 0; b.Loop(); i++ {
				h, err := f.Create(fmt.Sprintf("/d/f%d", i%2), 0o644)
				must(b, err)
				writeAll(b, h)
				must(b, h.Close())
			}
		})
		b.Run("overwrite/"+name, func(b *testing.B) {
			f := setup(b)
			h, err := f.Create("/d/f", 0o644)
			must(b, err)
			writeAll(b, h)
			b.SetBytes(benchFile)
			for b.Loop() {
				writeAll(b, h)
			}
		})
		b.Run("read/"+name, func(b *testing.B) {
			f := setup(b)
			h, err := f.Create("/d/f", 0o644)
			must(b, err)
			writeAll(b, h)
			b.SetBytes(benchFile)
			for b.Loop() {
				for off := 0; off < benchFile; off += len(buf) {
					_, err := h.ReadAt(buf, int64(off))
					must(b, err)
				}
			}
		})
	}
}
