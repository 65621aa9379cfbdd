package kernel

import (
	"math/bits"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// # I/O rate limits
//
// A container may be limited in I/O bytes and operations per second
// (abi.ContainerLimits.IOBytes, IOOps). The kernel does no I/O itself; the services
// that do — the filesystem, a block driver — charge each request to the container it
// is for (ContainerChargeIO, Kernel.ChargeIO) and get back how long to hold it before
// serving it. Requests are delayed, never refused: a burst is served at once, what
// exceeds the rate waits its turn.
//
// Each limit is a TokenBucket: tokens accrue at the rate up to a burst of
// IOBurst's worth; a request takes its tokens, going into debt if there are not
// enough, and must wait until the debt would be repaid. A nested container's
// requests are charged to every enclosing container's buckets too, and wait for the
// longest of them, so a parent's limit holds whatever its children do.
//
// Rejected: refusing requests over the limit (programs treat I/O errors as fatal; a
// quota should slow a container, not break it); a queue of pending requests in the
// kernel (the services already queue; the kernel answers one question in constant
// time and keeps two words per limit).

// IOBurst is how much of its rate a bucket lets through at once: 100 ms worth.
const IOBurst hal.Time = 100_000_000

// TokenBucket is a token-bucket rate limiter kept as one timestamp (the generic cell
// rate algorithm): full is the time at which the bucket would be full again if
// nothing more were taken. The zero value with a rate is full.
type TokenBucket struct {
	Rate  uint64   // tokens per second; 0: unlimited
	Burst uint64   // the most tokens the bucket holds (at least 1 when limited)
	full  hal.Time // when the bucket is full again; before now: it is full
}

// cost returns the time n tokens take to accrue, rounded up so that rounding never
// lets more through than the rate.
func (b *TokenBucket) cost(n uint64) hal.Time {
	hi, lo := bits.Mul64(n, 1_000_000_000)
	if hi >= b.Rate {
		return hal.Forever // n/rate seconds does not fit: more than 584 years
	}
	q, r := bits.Div64(hi, lo, b.Rate)
	if r != 0 {
		q++
	}
	if q > uint64(hal.Forever) {
		return hal.Forever
	}
	return hal.Time(q)
}

// Throttle takes n tokens at time now and returns how long the request they pay for
// must wait before it is served: 0 while the bucket has them, else until the debt is
// repaid. Over any stretch of time, what is served is at most the rate times its
// length plus the burst (or, if larger, one request). An unlimited bucket returns 0.
func (b *TokenBucket) Throttle(now hal.Time, n uint64) hal.Time {
	if b.Rate == 0 {
		return 0
	}
	c, tau := b.cost(n), b.cost(max(b.Burst, 1))
	full := max(b.full, now)
	if c >= hal.Forever-full {
		full = hal.Forever
	} else {
		full += c
	}
	b.full = full
	// The bucket holds tau's worth: the request may go once it would not be emptied.
	if wait := full - tau; wait > now {
		return wait - now
	}
	return 0
}

// ioBurst returns the burst of a bucket with rate per second: IOBurst's worth, at
// least 1.
func ioBurst(rate uint64) uint64 {
	return max(rate/uint64(1_000_000_000/IOBurst), 1)
}

// setIORates sets c's I/O buckets' rates from limits l; what they owe stays owed.
func (c *Container) setIORates(l abi.ContainerLimits) {
	for i, rate := range [2]uint64{l.IOBytes, l.IOOps} {
		c.io[i].Rate, c.io[i].Burst = rate, ioBurst(rate)
	}
}

// ChargeIO charges an I/O request of bytes bytes and ops operations, made for a task
// of c, to c and every enclosing container, and returns how long the service serving
// it must hold it: the longest wait any of their limits imposes (0 within them). A
// count of 0 leaves that limit alone.
func (k *Kernel) ChargeIO(c *Container, bytes, ops uint64) (hal.Time, error) {
	switch {
	case c.state == abi.ContainerDestroyed:
		return 0, ctrErr(abi.ErrIllegal, "container %s is destroyed", c.name)
	case bytes > abi.MaxIOCharge || ops > abi.MaxIOCharge:
		return 0, ctrErr(abi.ErrRange, "a charge of %d bytes and %d operations: at most 2^40 each", bytes, ops)
	}
	now, delay := k.cpu.Now(), hal.Time(0)
	for x := c; x.parent != nil; x = x.parent {
		for i, n := range [2]uint64{bytes, ops} {
			if n != 0 {
				delay = max(delay, x.io[i].Throttle(now, n))
			}
		}
		x.ioBytes += bytes
		x.ioOps += ops
	}
	for x := c; x.parent != nil; x = x.parent {
		x.ioDelay += uint64(delay)
	}
	return delay, nil
}

func invContainerChargeIO(k *Kernel, inv *invocation) abi.Errno {
	c := inv.slot.Object().(*Container)
	delay, err := k.ChargeIO(c, inv.args[0], inv.args[1])
	if err != nil {
		return errnoOf(err, abi.ErrInvalidArg)
	}
	inv.result(uint64(delay))
	return abi.OK
}
