package fileproto

import (
	"fmt"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/twophase"
)

// BenchmarkLockUnlock: an uncontended exclusive lock and its unlock through the file
// server (two round trips), on the simulated machine; host wall time.
func BenchmarkLockUnlock(b *testing.B) {
	w := &world{dev: formatted(b), setup: func(f *skyfs.FS, s *Server) error { return s.AddClient(0x101, f.Root()) },
		clients: []clientSpec{{0x101, func(e *user.Env) {
			c, err := attach(e, 2)
			if err != nil {
				b.Error(err)
				return
			}
			f, err := c.Open("/f", os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				b.Error(err)
				return
			}
			b.ResetTimer()
			for range b.N {
				if err := f.Lock(true, true); err != nil {
					b.Error(err)
					return
				}
				if err := f.Unlock(); err != nil {
					b.Error(err)
					return
				}
			}
			b.StopTimer()
		}}}}
	w.run(b)
}

// BenchmarkBoundRegionTx: one whole two-phase transaction creating a 10,000-byte
// bound file (coordinator log writes, PREPARE with its fsynced reservation and log,
// COMMIT with its rename, ACK), through the file server; host wall time. It reports
// the block writes and flushes each transaction costs.
func BenchmarkBoundRegionTx(b *testing.B) {
	mem := block.NewMem(benchBlocks)
	if err := skyfs.Mkfs(mem, skyfs.Options{Seed: 1, Inodes: 65536}); err != nil {
		b.Fatal(err)
	}
	rec := block.NewRecorder(mem)
	w := &world{dev: rec, setup: func(f *skyfs.FS, s *Server) error { return s.AddClient(coordBadge, f.Root()) },
		clients: []clientSpec{{coordBadge, func(e *user.Env) {
			c, err := attach(e, 2)
			if err != nil {
				b.Error(err)
				return
			}
			before := len(rec.Ops())
			b.ResetTimer()
			for i := range b.N {
				tx := &Tx{C: c, ID: uint64(i + 1), Path: fmt.Sprintf("/r%d", i), Size: txSize}
				if d, err := tx.Run(); err != nil || d != twophase.Commit {
					b.Errorf("transaction %d: %v %v", i, d, err)
					return
				}
			}
			b.StopTimer()
			writes, flushes := 0, 0
			for _, op := range rec.Ops()[before:] {
				if op.Kind == block.OpFlush {
					flushes++
				} else {
					writes += op.Blocks()
				}
			}
			b.ReportMetric(float64(writes)/float64(b.N), "blockwrites/tx")
			b.ReportMetric(float64(flushes)/float64(b.N), "flushes/tx")
		}}}}
	w.run(b)
}
