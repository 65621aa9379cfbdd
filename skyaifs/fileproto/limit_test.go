package fileproto

import (
	"bytes"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
)

// TestWriteEightTimesTheDirtyLimit: a client writes eight times skyaifsd's dirty
// limit through the protocol and never calls fsync. The server's filesystem must
// commit on its own whenever the limit is reached — its buffered data never
// exceeds the limit plus one write chunk — and, with the machine stopped
// mid-transaction (no sync, no unmount), a remount of the disk must show all but at
// most the last limit's worth of the file, byte for byte.
func TestWriteEightTimesTheDirtyLimit(t *testing.T) {
	const limit = 256 << 10
	const total = 8 * limit
	want := make([]byte, total)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range want {
		want[i] = byte(rng.Uint32())
	}
	mem := formatted(t)
	var server *skyfs.FS
	var peaks []uint64
	wrote := false
	w := &world{dev: mem, fsOpts: skyfs.Options{DirtyLimit: limit},
		setup: func(f *skyfs.FS, s *Server) error {
			server = f
			return s.AddClient(1, f.Root())
		},
		clients: []clientSpec{{badge: 1, run: func(e *user.Env) {
			c, err := attach(e, MaxBufferPages)
			if err != nil {
				t.Error(err)
				return
			}
			f, err := c.Open("/big", os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				t.Error(err)
				return
			}
			for off := 0; off < total; off += 100_000 {
				end := min(off+100_000, total)
				if n, err := f.WriteAt(want[off:end], int64(off)); err != nil || n != end-off {
					t.Errorf("write at %d: %d, %v", off, n, err)
					return
				}
				// The client and the server share the simulation's process: the
				// server's own accounting is read between requests.
				peaks = append(peaks, server.Usage().Data)
			}
			wrote = true
		}}}}
	w.run(t)
	if !wrote {
		t.Fatal("the client did not finish writing")
	}
	u := server.Usage()
	if u.PeakData > limit+64<<10 {
		t.Errorf("skyaifsd buffered up to %d bytes, over the limit %d plus a 64 KiB chunk", u.PeakData, limit)
	}
	if u.Commits < 7 {
		t.Errorf("%d commits while writing 8× the limit without fsync, want at least 7", u.Commits)
	}
	t.Logf("wrote %d bytes in 100 KB requests: %d commits, peak buffered %d bytes (limit %d), buffered after each request up to %d",
		total, u.Commits, u.PeakData, limit, slices.Max(peaks))
	// Power off: the running transaction is lost; everything committed before is on
	// the disk.
	img := block.Must(block.NewMemFrom(mem.Image()))
	g, err := skyfs.Mount(img, skyfs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.ReadFile("/big")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < total-limit-64<<10 || !bytes.Equal(got, want[:len(got)]) {
		t.Fatalf("after the power cut /big holds %d bytes (of %d written; %v the written prefix), want all but the last limit's worth",
			len(got), total, bytes.Equal(got, want[:min(len(got), total)]))
	}
}
