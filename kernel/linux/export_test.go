package linux

import "github.com/skyscope-os/skyscope/kernel"

// Signal sends sig to thread tid of p as another thread of it would: the simulated
// machine's test programs are single-threaded, so a test sends it between runs.
func Signal(p *Process, k *kernel.Kernel, tid int64, sig uint64) uint64 {
	return p.sendTo(k, nil, tid, sig)
}
