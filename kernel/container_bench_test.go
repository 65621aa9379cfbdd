package kernel_test

import (
	"runtime"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// BenchmarkContainerLifecycle measures one container's whole life through the
// system-call ABI on the simulated machine: SystemContainerCreate, ContainerStart of a
// program that returns at once, waiting for its exit notification, ContainerDestroy
// and deleting the capability.
func BenchmarkContainerLifecycle(b *testing.B) {
	var failed error
	m, err := usersim.Boot(usersim.Config{
		Kernel: kernel.Config{Quiet: true},
		Init: func(e *user.Env) {
			slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
			ntfn := retype(e, slots, abi.ObjNotification, 0)
			c, _ := slots.Take()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := e.CreateContainer(sys, "bench", lim(256<<10, 2), c); err != nil {
					failed = err
					return
				}
				if _, err := e.StartInContainer(c, []string{"exit"}, 0, 0, 0, ntfn); err != nil {
					failed = err
					return
				}
				e.Wait(ntfn)
				if err := e.DestroyContainer(c); err != nil {
					failed = err
					return
				}
				if err := e.Delete(cs, c); err != nil {
					failed = err
					return
				}
			}
			b.StopTimer()
		},
		Programs: map[uint64]usersim.Program{ctrExitPC: func(e *user.Env) {}},
	})
	if err != nil {
		b.Fatal(err)
	}
	m.SetLoader(ctrLoader)
	m.Run(1 << 62)
	if failed != nil {
		b.Fatal(failed)
	}
}

// BenchmarkTaskLifecycle is BenchmarkContainerLifecycle's baseline: the same program
// started as a plain task (SystemSpawn), waited for and its record reaped.
func BenchmarkTaskLifecycle(b *testing.B) {
	var failed error
	m, err := usersim.Boot(usersim.Config{
		Kernel: kernel.Config{Quiet: true},
		Init: func(e *user.Env) {
			slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
			ntfn := retype(e, slots, abi.ObjNotification, 0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				id, err := e.StartProgram(sys, []string{"exit"}, 256<<10, 0, ntfn)
				if err != nil {
					failed = err
					return
				}
				e.Wait(ntfn)
				if _, _, err := e.TaskStatus(sys, id); err != nil {
					failed = err
					return
				}
			}
			b.StopTimer()
		},
		Programs: map[uint64]usersim.Program{ctrExitPC: func(e *user.Env) {}},
	})
	if err != nil {
		b.Fatal(err)
	}
	m.SetLoader(ctrLoader)
	m.Run(1 << 62)
	if failed != nil {
		b.Fatal(failed)
	}
}

// BenchmarkContainerIdleOverhead measures making an idle container (nothing started)
// with the kernel's Go API, and what one costs besides the memory limit it reserves:
// the bytes charged to its parent's budget and the kernel's Go heap, per container,
// over batches of 500 (the simulated machine's 64 MiB hold about 900).
func BenchmarkContainerIdleOverhead(b *testing.B) {
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(e *user.Env) {}})
	if err != nil {
		b.Fatal(err)
	}
	m.Run(1_000_000)
	const (
		limit = 64 << 10
		batch = 500
	)
	var before, after runtime.MemStats
	var charged, heap float64
	measured := false
	used := m.RootUntyped().Used()
	cs := make([]*kernel.Container, 0, batch)
	flush := func() {
		b.StopTimer()
		if !measured && len(cs) == batch {
			runtime.GC()
			runtime.ReadMemStats(&after)
			charged = float64(m.RootUntyped().Used()-used)/batch - limit
			heap = float64(after.HeapAlloc-before.HeapAlloc) / batch
			measured = true
		}
		for _, c := range cs {
			if err := m.DestroyContainer(c); err != nil {
				b.Fatal(err)
			}
		}
		cs = cs[:0]
		b.StartTimer()
	}
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for range b.N {
		c, err := m.CreateContainer(m.RootContainer(), "idle", lim(limit, 1))
		if err != nil {
			b.Fatal(err)
		}
		if cs = append(cs, c); len(cs) == batch {
			flush()
		}
	}
	flush()
	if measured {
		b.ReportMetric(charged, "charged-B/container")
		b.ReportMetric(heap, "heap-B/container")
	}
}
