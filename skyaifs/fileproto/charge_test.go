package fileproto

import (
	"fmt"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/view"
)

// chargeRun is what runCharged measured.
type chargeRun struct {
	bytes [2]uint64 // read by the limited and the unlimited view's client in the stretch
	ops   [2]uint64
	stats ChargeStats
}

// runCharged runs skyaifsd charging two views' reads to their containers: view 0's
// container is limited to limit bytes/s (0: unlimited), view 1's unlimited. Each
// client reads 64 KiB requests (using 200 µs of CPU per request besides) for stretch
// of machine time after a 100 ms warm-up; a client in active[i] false does nothing.
func runCharged(t *testing.T, limit uint64, active [2]bool, stretch hal.Time) chargeRun {
	t.Helper()
	const warm = hal.Time(100_000_000)
	const reqSize = 64 << 10
	var out chargeRun
	var errs []error
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	var ctrs [2]abi.CPtr
	registered := false
	var w *world
	reader := func(i int) func(e *user.Env) {
		return func(e *user.Env) {
			if !active[i] {
				return
			}
			for !registered {
				e.Yield()
				e.Compute(10_000)
			}
			c, err := attach(e, reqSize/abi.PageSize)
			if err != nil {
				errf("client %d attach: %v", i, err)
				return
			}
			f, err := c.Open("/data", os.O_RDONLY, 0)
			if err != nil {
				errf("client %d open: %v", i, err)
				return
			}
			buf := make([]byte, reqSize)
			start, end := w.m.Now()+warm, w.m.Now()+warm+stretch
			for {
				now := w.m.Now()
				if now >= end {
					return
				}
				n, err := f.ReadAt(buf, 0)
				if err != nil || n != reqSize {
					errf("client %d read: %d, %v", i, n, err)
					return
				}
				if now >= start {
					out.bytes[i] += uint64(n)
					out.ops[i]++
				}
				e.Compute(200_000)
			}
		}
	}
	w = &world{dev: formatted(t), charges: true,
		prepare: func(e *user.Env, slots *user.Slots) error {
			for i, rate := range []uint64{limit, 0} {
				ctrs[i], _ = slots.Take()
				l := abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 2, IOBytes: rate}
				if _, err := e.CreateContainer(abi.InitSlotSystem, fmt.Sprintf("c%d", i), l, ctrs[i]); err != nil {
					return err
				}
				for _, k := range []abi.IDKind{abi.IDUser, abi.IDGroup} {
					if err := e.SetContainerIDMap(ctrs[i], k, []abi.IDMap{{Inside: 0, Outside: 100000, Count: 65536}}); err != nil {
						return err
					}
				}
			}
			return nil
		},
		setup: func(f *skyfs.FS, s *Server) error {
			if err := f.Mkdir("/box", 0o777); err != nil {
				return err
			}
			if err := f.WriteFile("/box/data", make([]byte, reqSize), 0o644); err != nil {
				return err
			}
			return s.AddClient(adminBadge, f.Root())
		},
		clients: []clientSpec{{0x77, reader(0)}, {0x78, reader(1)}}}
	w.supervise = func(e *user.Env, fsd uint64) {
		const cs = abi.InitSlotCSpace
		slots := &user.Slots{Next: 3000, Limit: 4096}
		admin, _ := slots.Take()
		scratch, _ := slots.Take()
		e.Mint(cs, admin, cs, w.fileEP, abi.RightWrite|abi.RightGrant, adminBadge)
		r, err := region(e, slots, abi.FrameWindow+0x800_0000, 2)
		if err != nil {
			errf("admin region: %v", err)
			return
		}
		c, err := Attach(e, admin, r, cs, scratch)
		if err != nil {
			errf("admin attach: %v", err)
			return
		}
		for i, b := range []abi.Badge{0x77, 0x78} {
			if err := c.AddView(ctrs[i], b, []view.Spec{{Source: "/box", Target: "/"}}); err != nil {
				errf("add view %d: %v", i, err)
			}
		}
		registered = true
	}
	w.run(t)
	for _, err := range errs {
		t.Error(err)
	}
	out.stats = w.server.Charged()
	return out
}

// TestFileIOCharged: skyaifsd charges a view's reads to its container. A client whose
// container is limited to 1 MiB/s reads 1 MiB/s (within 5%, plus the kernel bucket's
// 100 ms burst and one request), in machine time, while the server serves an
// unlimited neighbour meanwhile: the neighbour reads at least 95% of what it reads
// alone — a held request waits with its Reply object parked, not in the server. The
// server held requests (and never had to serve one unheld).
func TestFileIOCharged(t *testing.T) {
	const limit = 1 << 20
	const stretch = hal.Time(1_000_000_000)
	alone := runCharged(t, limit, [2]bool{false, true}, stretch)
	both := runCharged(t, limit, [2]bool{true, true}, stretch)
	secs := float64(stretch) / 1e9
	got := float64(both.bytes[0]) / secs
	t.Logf("limited to %d B/s: read %.0f B/s (%d requests; server charged %d bytes, held %.3f s, %d unheld); unlimited neighbour %.1f MB/s, alone %.1f MB/s",
		limit, got, both.ops[0], both.stats.Bytes, float64(both.stats.HeldNanos)/1e9, both.stats.Unheld,
		float64(both.bytes[1])/secs/1e6, float64(alone.bytes[1])/secs/1e6)
	if hi, lo := float64(limit)*(1+0.1/secs)+float64(64<<10)/secs, float64(limit)*0.95; got > hi || got < lo {
		t.Errorf("limited client read %.0f B/s, want %.0f–%.0f", got, lo, hi)
	}
	if both.bytes[1] < alone.bytes[1]*95/100 {
		t.Errorf("unlimited neighbour read %d bytes, %d alone: slowed by the limited one", both.bytes[1], alone.bytes[1])
	}
	if alone.bytes[1] < 10*limit*uint64(secs) {
		t.Errorf("an unlimited client alone read only %d bytes: the limit would not bind", alone.bytes[1])
	}
	if both.stats.HeldNanos == 0 || both.stats.Unheld != 0 {
		t.Errorf("held %d ns, %d unheld: want requests held, none unheld", both.stats.HeldNanos, both.stats.Unheld)
	}
}
