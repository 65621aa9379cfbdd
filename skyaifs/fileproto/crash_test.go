package fileproto

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
)

// crashFiles is how many files the crash workload writes and fsyncs.
const crashFiles = 10

// crashContent is file i's contents in the crash workload.
func crashContent(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("file %d of the crash workload. ", i)), 300+200*i)
}

// crashClient writes files one after the other, each created, written in several
// requests, renamed into place and fsynced, and records in synced the ones whose fsync
// returned. It stops at the first error (the server or the disk went away).
func crashClient(synced *[]int) func(e *user.Env) {
	return func(e *user.Env) {
		c, err := attach(e, 4)
		if err != nil {
			return
		}
		for i := range crashFiles {
			tmp, name := fmt.Sprintf("/tmp%d", i), fmt.Sprintf("/file%d", i)
			f, err := c.Open(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return
			}
			if _, err := f.WriteAt(crashContent(i), 0); err != nil {
				return
			}
			if err := c.Rename(tmp, name); err != nil {
				return
			}
			if err := f.Sync(); err != nil {
				return
			}
			*synced = append(*synced, i)
			if err := f.Close(); err != nil {
				return
			}
		}
	}
}

// checkDurable mounts img (fsck must find it clean) and checks that every file whose
// fsync returned holds exactly its contents.
func checkDurable(t *testing.T, what string, img []byte, synced []int) {
	t.Helper()
	f := mountImage(t, img)
	for _, i := range synced {
		got, err := f.ReadFile(fmt.Sprintf("/file%d", i))
		if err != nil || !bytes.Equal(got, crashContent(i)) {
			t.Errorf("%s: file%d, fsynced, reads %d bytes, %v", what, i, len(got), err)
		}
	}
}

// TestKillServer: the file server task is killed in the middle of the workload (after
// k files were fsynced), with the disk keeping every write it was given, or losing
// every write since the last flush, or a random half of them (a power cut at the same
// moment). Each disk checks clean, mounts, and holds every fsynced file intact.
func TestKillServer(t *testing.T) {
	for _, k := range []int{0, 1, 4, 7} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			mem := formatted(t)
			base := mem.Image()
			rec := block.NewRecorder(mem)
			var synced []int
			killed := false
			w := &world{dev: rec,
				setup:   func(f *skyfs.FS, s *Server) error { return s.AddClient(0x101, f.Root()) },
				clients: []clientSpec{{0x101, crashClient(&synced)}},
				supervise: func(e *user.Env, fsd uint64) {
					for len(synced) < k {
						e.Yield()
						e.Compute(5_000)
					}
					e.Compute(int64(200_000 * (k + 1))) // into the next file's requests
					killed = e.Kill(abi.InitSlotSystem, fsd) == nil
				},
			}
			w.run(t)
			if !killed {
				t.Fatal("the file server was not killed")
			}
			if len(synced) < k || len(synced) == crashFiles {
				t.Fatalf("%d files fsynced; the kill came after %d and before the end", len(synced), k)
			}
			ops := rec.Ops()
			checkDurable(t, "every write kept", mem.Image(), synced)
			lost, err := block.CrashImage(base, ops, len(ops), func(int) bool { return false })
			if err != nil {
				t.Fatal(err)
			}
			checkDurable(t, "writes since the last flush lost", lost, synced)
			rng := rand.New(rand.NewPCG(uint64(k), 5))
			half, err := block.CrashImage(base, ops, len(ops), func(int) bool { return rng.IntN(2) == 0 })
			if err != nil {
				t.Fatal(err)
			}
			checkDurable(t, "half the writes since the last flush lost", half, synced)
		})
	}
}

// TestPowerCutUnderBlockServer: the power is cut under the block server (block.CutAfter)
// after n block writes, for n across the whole workload. The file server's commit
// fails, the client gets errors and stops; the disk checks clean, mounts, and holds
// every file whose fsync returned.
func TestPowerCutUnderBlockServer(t *testing.T) {
	// Count the workload's writes once, uncut.
	mem := formatted(t)
	rec := block.NewRecorder(mem)
	var all []int
	w := &world{dev: rec, setup: func(f *skyfs.FS, s *Server) error { return s.AddClient(0x101, f.Root()) },
		clients: []clientSpec{{0x101, crashClient(&all)}}}
	w.run(t)
	if len(all) != crashFiles {
		t.Fatalf("uncut run fsynced %d files, want %d", len(all), crashFiles)
	}
	writes := 0
	for _, op := range rec.Ops() {
		writes += op.Blocks()
	}
	partial := 0 // cuts that came after some fsyncs and before the last
	for _, n := range []int{1, writes / 7, writes / 3, writes / 2, writes - writes/5, writes - 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			mem := formatted(t)
			cut := block.NewCutAfter(mem, uint64(n))
			var synced []int
			w := &world{dev: cut, setup: func(f *skyfs.FS, s *Server) error { return s.AddClient(0x101, f.Root()) },
				clients: []clientSpec{{0x101, crashClient(&synced)}}}
			w.run(t)
			if !cut.Cut() {
				t.Fatalf("the power was not cut after %d of %d block writes", n, writes)
			}
			checkDurable(t, "after the cut", mem.Image(), synced)
			if len(synced) > 0 && len(synced) < crashFiles {
				partial++
			}
		})
	}
	if partial < 3 {
		t.Errorf("only %d cuts fell between two fsyncs; the cut points miss the workload", partial)
	}
}
