package fs

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// The same workloads through the os package on the host filesystem that
// holds the test's temporary directory (ext4 on the development machine), to
// put the SKYAIFS numbers next to a production filesystem on the same
// hardware. Reads come from the host's page cache, as SKYAIFS's "file"
// reads do.

func BenchmarkHostSeqWrite(b *testing.B) {
	dir := b.TempDir()
	buf := make([]byte, 1<<20)
	b.SetBytes(benchFile)
	for i := 0; b.Loop(); i++ {
		h, err := os.Create(filepath.Join(dir, fmt.Sprintf("f%d", i%2)))
		must(b, err)
		for off := 0; off < benchFile; off += len(buf) {
			_, err := h.WriteAt(buf, int64(off))
			must(b, err)
		}
		must(b, h.Sync())
		must(b, h.Close())
	}
}

func hostFilled(b *testing.B) *os.File {
	h, err := os.Create(filepath.Join(b.TempDir(), "data"))
	must(b, err)
	b.Cleanup(func() { h.Close() })
	buf := make([]byte, 1<<20)
	for off := 0; off < benchFile; off += len(buf) {
		_, err := h.WriteAt(buf, int64(off))
		must(b, err)
	}
	must(b, h.Sync())
	return h
}

func BenchmarkHostSeqRead(b *testing.B) {
	h := hostFilled(b)
	buf := make([]byte, 1<<20)
	b.SetBytes(benchFile)
	for b.Loop() {
		for off := 0; off < benchFile; off += len(buf) {
			_, err := h.ReadAt(buf, int64(off))
			must(b, err)
		}
	}
}

func BenchmarkHostRandWriteFsync(b *testing.B) {
	h := hostFilled(b)
	r := rand.New(rand.NewPCG(1, 1))
	buf := make([]byte, 4096)
	b.SetBytes(4096)
	for b.Loop() {
		_, err := h.WriteAt(buf, int64(r.IntN(benchFile/4096))*4096)
		must(b, err)
		must(b, h.Sync())
	}
}

func BenchmarkHostCreate(b *testing.B) {
	dir := b.TempDir()
	buf := make([]byte, 1024)
	for i := 0; b.Loop(); i++ {
		if i%5000 == 0 {
			must(b, os.Mkdir(filepath.Join(dir, fmt.Sprintf("d%d", i/5000)), 0o755))
		}
		must(b, os.WriteFile(filepath.Join(dir, fmt.Sprintf("d%d/file%d", i/5000, i)), buf, 0o644))
		if i%100 == 99 {
			d, err := os.Open(filepath.Join(dir, fmt.Sprintf("d%d", i/5000)))
			must(b, err)
			must(b, d.Sync())
			d.Close()
		}
	}
}
