package kernel_test

import (
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// BenchmarkIPCRoundTrip measures one Call from a client to a server and the server's
// ReplyRecv answering it: two system calls, two message transfers and two thread
// switches on the simulated machine, with two message words each way.
func BenchmarkIPCRoundTrip(b *testing.B) {
	server := func(e *user.Env) {
		_, _, err := e.Recv(slotEP, slotReply)
		for err == nil {
			e.SetMR(0, e.MR(0)+1)
			_, _, err = e.ReplyRecv(slotEP, slotReply, abi.NewMsgInfo(0, 2, 0))
		}
	}
	var failed error
	m, err := usersim.Boot(usersim.Config{
		Kernel: kernel.Config{Quiet: true},
		Init: func(e *user.Env) {
			slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
			retype(e, slots, abi.ObjEndpoint, 0)
			retype(e, slots, abi.ObjReply, 0)
			if _, err := spawn(e, slots, serverPC, 100); err != nil {
				failed = err
				return
			}
			e.Call(slotEP, abi.NewMsgInfo(1, 2, 0)) // warm up: the server is now waiting
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.SetMR(0, uint64(i))
				if _, err := e.Call(slotEP, abi.NewMsgInfo(1, 2, 0)); err != nil || e.MR(0) != uint64(i)+1 {
					failed = err
					return
				}
			}
			b.StopTimer()
		},
		Programs: map[uint64]usersim.Program{serverPC: server},
	})
	if err != nil {
		b.Fatal(err)
	}
	m.Run(1 << 62)
	if failed != nil {
		b.Fatal(failed)
	}
}
