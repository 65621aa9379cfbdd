package kernel_test

import (
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"pgregory.net/rapid"
)

// TestTokenBucketRate: whatever the requests, what a bucket lets through (each
// request at the time Throttle says it may be served) in any stretch of time is at
// most the rate times its length plus the burst — or one request, if that is larger;
// service times never go backwards; and traffic within the rate is never delayed.
func TestTokenBucketRate(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		rate := rapid.Uint64Range(1, 1<<30).Draw(rt, "rate")
		b := kernel.TokenBucket{Rate: rate, Burst: rapid.Uint64Range(1, max(rate, 2)).Draw(rt, "burst")}
		type served struct {
			at hal.Time
			n  uint64
		}
		var log []served
		now, biggest := hal.Time(0), b.Burst
		for range rapid.IntRange(1, 200).Draw(rt, "requests") {
			now += hal.Time(rapid.Uint64Range(0, 2_000_000_000).Draw(rt, "gap"))
			n := rapid.Uint64Range(1, 4*max(b.Burst, 1)).Draw(rt, "n")
			d := b.Throttle(now, n)
			if d < 0 {
				rt.Fatalf("negative delay %d", d)
			}
			if len(log) > 0 && now+d < log[len(log)-1].at {
				rt.Fatalf("served at %d, before the previous request at %d", now+d, log[len(log)-1].at)
			}
			log = append(log, served{now + d, n})
			biggest = max(biggest, n)
		}
		// Every window from one service time (or the start) to another.
		for j := -1; j < len(log); j++ {
			from := hal.Time(0)
			if j >= 0 {
				from = log[j].at
			}
			sum := 0.0
			for k := max(j, 0); k < len(log); k++ {
				sum += float64(log[k].n)
				if limit := float64(rate)*float64(log[k].at-from)/1e9 + float64(biggest) + 1; sum > limit {
					rt.Fatalf("%.0f tokens served in [%d, %d] ns at %d/s with burst %d: more than %.0f", sum, from, log[k].at, rate, b.Burst, limit)
				}
			}
		}
	})
	rapid.Check(t, func(rt *rapid.T) {
		rate := rapid.Uint64Range(1, 1<<30).Draw(rt, "rate")
		b := kernel.TokenBucket{Rate: rate, Burst: rapid.Uint64Range(1, max(rate, 2)).Draw(rt, "burst")}
		now := hal.Time(0)
		for range rapid.IntRange(1, 100).Draw(rt, "requests") {
			n := rapid.Uint64Range(1, b.Burst).Draw(rt, "n")
			if d := b.Throttle(now, n); d != 0 {
				rt.Fatalf("a request of %d within the rate %d/s was delayed %d ns", n, rate, d)
			}
			// The next request comes once these tokens have accrued again (rounded up).
			now += hal.Time((n*1_000_000_000+rate-1)/rate) + hal.Time(rapid.Uint64Range(0, 1_000_000).Draw(rt, "slack"))
		}
	})
	if d := (&kernel.TokenBucket{}).Throttle(5, 1<<40); d != 0 {
		t.Errorf("an unlimited bucket delayed %d ns", d)
	}
}

// TestContainerIORates: I/O rates nest like CPU shares; a charge within the burst
// is not delayed, one past it waits for the slowest limit of the container and its
// ancestors; charges are counted; bad charges and limits are refused.
func TestContainerIORates(t *testing.T) {
	w := bootCtr(t, nil, nil, nil)
	w.run()
	root := w.RootContainer()
	pl := lim(4<<20, 4)
	pl.IOBytes, pl.IOOps = 1<<20, 100
	p, err := w.CreateContainer(root, "p", pl)
	must(t, err)
	cl := lim(1<<20, 2)
	_, err = w.CreateContainer(p, "c", cl)
	wantErrno(t, "a child without I/O limits", err, abi.ErrRange)
	cl.IOBytes, cl.IOOps = 2<<20, 50
	_, err = w.CreateContainer(p, "c", cl)
	wantErrno(t, "a child above the parent's bytes", err, abi.ErrRange)
	cl.IOBytes = 512 << 10
	big := cl
	big.IOBytes = abi.MaxIORate + 1
	_, err = w.CreateContainer(root, "big", big)
	wantErrno(t, "a rate above 2^40", err, abi.ErrRange)
	c, err := w.CreateContainer(p, "c", cl)
	must(t, err)
	lower := pl
	lower.IOOps = 10
	wantErrno(t, "a parent below its child's rate", w.SetContainerLimits(p, lower), abi.ErrRange)

	burst := uint64(512<<10) / 10
	if d, err := w.ChargeIO(c, burst, 1); err != nil || d != 0 {
		t.Errorf("a charge within the burst: %d ns, %v", d, err)
	}
	// A second's worth more: the child's 512 KiB/s makes it wait a second; the
	// parent's 1 MiB/s alone would make it wait less.
	d, err := w.ChargeIO(c, 512<<10, 1)
	if must(t, err); d < 999_000_000 || d > 1_001_000_000 {
		t.Errorf("a second's worth past the burst waits %v ns", d)
	}
	ci, pi := c.Info(), p.Info()
	if ci.IOBytesCharged != burst+512<<10 || ci.IOOpsCharged != 2 || pi.IOBytesCharged != ci.IOBytesCharged || ci.IODelayNanos != uint64(d) {
		t.Errorf("counters: child %+v, parent %+v", ci, pi)
	}
	// Operations: the parent's 100/s lets a burst of 10 through at once.
	if d, _ := w.ChargeIO(p, 0, 8); d != 0 {
		t.Errorf("8 operations at 100/s with 2 taken: %d ns", d)
	}
	if d, _ := w.ChargeIO(p, 0, 100); d < 900_000_000 {
		t.Errorf("100 more operations at 100/s: %d ns", d)
	}
	_, err = w.ChargeIO(c, abi.MaxIOCharge+1, 0)
	wantErrno(t, "a charge above 2^40", err, abi.ErrRange)
	must(t, w.DestroyContainer(p))
	_, err = w.ChargeIO(c, 1, 1)
	wantErrno(t, "a charge to a destroyed container", err, abi.ErrIllegal)
}

// TestContainerChargeIOABI: the I/O limits travel through SystemContainerCreate and
// ContainerInspect; ContainerChargeIO needs Write.
func TestContainerChargeIOABI(t *testing.T) {
	w := bootCtr(t, func(e *user.Env) {
		slots := initSlots()
		c, _ := slots.Take()
		ro, _ := slots.Take()
		l := lim(1<<20, 2)
		l.IOBytes, l.IOOps = 1<<20, 1000
		_, err := e.CreateContainer(sys, "io", l, c)
		must(t, err)
		must(t, e.Copy(cs, ro, cs, c, abi.RightRead))
		if info, err := e.InspectContainer(ro); err != nil || info.Limits != l {
			t.Errorf("limits read back: %+v %v", info.Limits, err)
		}
		_, err = e.ChargeIO(ro, 1, 1)
		expectErrno(t, "charge with Read", err, abi.ErrNoRights)
		_, err = e.ChargeIO(c, 1<<41, 1)
		expectErrno(t, "charge too much at once", err, abi.ErrRange)
		if d, err := e.ChargeIO(c, 4096, 1); d != 0 || err != nil {
			t.Errorf("a small charge: %d ns, %v", d, err)
		}
		if d, err := e.ChargeIO(c, 1<<20, 1); d < 900_000_000 || err != nil {
			t.Errorf("a second's worth: %d ns, %v", d, err)
		}
		if info, _ := e.InspectContainer(ro); info.IOBytesCharged != 4096+1<<20 || info.IOOpsCharged != 2 || info.IODelayNanos == 0 {
			t.Errorf("counters: %+v", info)
		}
		must(t, e.DestroyContainer(c))
	}, nil, nil)
	w.finish()
}
