package fileproto

import (
	"fmt"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
)

// Benchmarks of the file protocol on the simulated machine, each workload three ways:
// "ipc" (a client task through the file server, which reaches the disk through the
// block server), "blockipc" (the filesystem called directly inside the task that
// reaches the disk through the block server: the block protocol's share) and
// "direct" (the filesystem on the RAM disk in the test's own goroutine). Host wall
// time; docs/PERFORMANCE.md records the numbers and the command.

const (
	benchFileSize = 8 << 20
	benchCall     = 1 << 20
	benchBlocks   = 65536 // 256 MiB
)

// benchRun runs body with the filesystem reached the given way.
func benchRun(b *testing.B, how string, body func(b *testing.B, a api)) {
	mem := block.NewMem(benchBlocks)
	if err := skyfs.Mkfs(mem, skyfs.Options{Seed: 1, Inodes: 65536}); err != nil {
		b.Fatal(err)
	}
	switch how {
	case "direct":
		f, err := skyfs.Mount(mem, skyfs.Options{})
		if err != nil {
			b.Fatal(err)
		}
		body(b, direct{f.Root(), f})
	case "blockipc":
		w := &world{dev: mem, local: func(f *skyfs.FS) { body(b, direct{f.Root(), f}) }}
		w.run(b)
	case "ipc":
		w := &world{dev: mem, setup: func(f *skyfs.FS, s *Server) error { return s.AddClient(0x101, f.Root()) },
			clients: []clientSpec{{0x101, func(e *user.Env) {
				c, err := attach(e, MaxBufferPages)
				if err != nil {
					b.Error(err)
					return
				}
				body(b, remote{c})
			}}}}
		w.run(b)
	}
}

func benchEach(b *testing.B, body func(b *testing.B, a api)) {
	for _, how := range []string{"ipc", "blockipc", "direct"} {
		b.Run(how, func(b *testing.B) { benchRun(b, how, body) })
	}
}

func must(b *testing.B, err error) {
	if err != nil {
		b.Fatal(err)
	}
}

// writeFile writes an 8 MiB file in 1 MiB calls and fsyncs it.
func writeFile(b *testing.B, a api, name string) {
	f, err := a.Open(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	must(b, err)
	buf := make([]byte, benchCall)
	for off := 0; off < benchFileSize; off += len(buf) {
		_, err := f.WriteAt(buf, int64(off))
		must(b, err)
	}
	must(b, f.Sync())
	must(b, f.Close())
}

// BenchmarkIPCSeqWrite: an 8 MiB file written in 1 MiB pwrites and fsynced.
func BenchmarkIPCSeqWrite(b *testing.B) {
	benchEach(b, func(b *testing.B, a api) {
		b.SetBytes(benchFileSize)
		b.ResetTimer()
		for i := range b.N {
			writeFile(b, a, fmt.Sprintf("/f%d", i%2))
		}
		b.StopTimer()
	})
}

// BenchmarkIPCSeqRead: an 8 MiB file read in 1 MiB preads.
func BenchmarkIPCSeqRead(b *testing.B) {
	benchEach(b, func(b *testing.B, a api) {
		writeFile(b, a, "/data")
		f, err := a.Open("/data", os.O_RDONLY, 0)
		must(b, err)
		buf := make([]byte, benchCall)
		b.SetBytes(benchFileSize)
		b.ResetTimer()
		for range b.N {
			for off := 0; off < benchFileSize; off += len(buf) {
				_, err := f.ReadAt(buf, int64(off))
				must(b, err)
			}
		}
		b.StopTimer()
	})
}

// BenchmarkIPCCreate: a 1 KiB file created, written and closed (a new directory
// every 5000 files, a sync every 100); one op is one file.
func BenchmarkIPCCreate(b *testing.B) {
	benchEach(b, func(b *testing.B, a api) {
		if b.N > 40_000 {
			b.Fatalf("%d files do not fit the %d-block disk; run with -benchtime=5000x", b.N, benchBlocks)
		}
		buf := make([]byte, 1024)
		b.ResetTimer()
		for i := range b.N {
			if i%5000 == 0 {
				must(b, a.Mkdir(fmt.Sprintf("/d%d", i/5000), 0o755))
			}
			f, err := a.Open(fmt.Sprintf("/d%d/f%d", i/5000, i), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			must(b, err)
			_, err = f.WriteAt(buf, 0)
			must(b, err)
			must(b, f.Close())
			if i%100 == 99 {
				must(b, a.Sync())
			}
		}
		b.StopTimer()
	})
}
