package main

import (
	"runtime"
	"runtime/debug"
)

// heapTest checks the kernel runtime's memory against what Go's runtime assumes of
// Linux: pages it returned with madvise(MADV_DONTNEED) read as zero when reused (the
// runtime then skips clearing them). It fills large buffers, frees them, makes the
// runtime return the memory (debug.FreeOSMemory), allocates again and checks every
// byte; then it churns large and small allocations under the collector, which used to
// corrupt the heap when MADV_DONTNEED kept the old contents. It returns the exit status.
func heapTest() int {
	const chunk, chunks = 4 << 20, 8
	fill := func() {
		var bufs [][]byte
		for range chunks {
			b := make([]byte, chunk)
			for i := range b {
				b[i] = 0xab
			}
			bufs = append(bufs, b)
		}
		runtime.KeepAlive(bufs)
	}
	dirty := 0
	for round := range 3 {
		fill()
		runtime.GC()
		debug.FreeOSMemory()
		for range chunks {
			b := make([]byte, chunk)
			for _, c := range b {
				if c != 0 {
					dirty++
					break
				}
			}
		}
		logf("heaptest: round %d: %d of %d reused buffers not zero", round, dirty, chunks)
	}
	var keep [][]byte
	for i := range 40 {
		a, b := make([]byte, 3<<20), make([]byte, 8<<20)
		for j := 0; j < len(a); j += 512 {
			a[j] = byte(i)
		}
		for j := 0; j < len(b); j += 4096 {
			b[j] = byte(i)
		}
		if keep = append(keep, a); len(keep) > 3 {
			keep = keep[1:]
		}
		small := make([]*[64]byte, 0, 1000)
		for range 1000 {
			small = append(small, new([64]byte))
		}
		runtime.KeepAlive(small)
	}
	runtime.GC()
	if dirty > 0 {
		logf("heaptest: FAIL: reused memory was not zero")
		return 1
	}
	logf("heaptest: ok: reused memory is zero and the heap survived 440 MiB of churn")
	return 0
}
