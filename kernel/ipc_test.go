package kernel_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const serverPC = 0x50_0000

// Slots the IPC tests agree on: init makes these before spawning the server.
const (
	slotEP    = abi.InitFirstFree
	slotReply = abi.InitFirstFree + 1
)

func TestCallBlocksUntilReplied(t *testing.T) {
	var log []string
	server := func(e *user.Env) {
		badge, info, err := e.Recv(slotEP, slotReply)
		for err == nil {
			log = append(log, fmt.Sprintf("server got label=%d mr0=%d badge=%d", info.Label(), e.MR(0), badge))
			e.Compute(1_000_000) // the caller must stay blocked meanwhile
			log = append(log, "server replies")
			e.SetMR(0, e.MR(0)*2)
			badge, info, err = e.ReplyRecv(slotEP, slotReply, abi.NewMsgInfo(0, 1, 0))
		}
	}
	w := boot(t, func(e *user.Env) {
		slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
		retype(e, slots, abi.ObjEndpoint, 0)
		retype(e, slots, abi.ObjReply, 0)
		if _, err := spawn(e, slots, serverPC, 100); err != nil {
			panic(err)
		}
		e.SetMR(0, 21)
		log = append(log, "client calls")
		info, err := e.Call(slotEP, abi.NewMsgInfo(7, 1, 0))
		log = append(log, fmt.Sprintf("client got %d len=%d err=%v", e.MR(0), info.Len(), err))
	}, map[uint64]usersim.Program{serverPC: server})
	w.run()
	want := []string{"client calls", "server got label=7 mr0=21 badge=0", "server replies", "client got 42 len=1 err=<nil>"}
	if fmt.Sprint(log) != fmt.Sprint(want) {
		t.Fatalf("log = %q\nwant %q\nconsole:\n%s", log, want, w.Console)
	}
}

func TestBadgesArrive(t *testing.T) {
	var got []abi.Badge
	w := boot(t, func(e *user.Env) {
		slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
		retype(e, slots, abi.ObjEndpoint, 0)
		retype(e, slots, abi.ObjReply, 0)
		if _, err := spawn(e, slots, serverPC, 150); err != nil {
			panic(err)
		}
		for _, b := range []abi.Badge{0xb1, 0xb2} {
			c, _ := slots.Take()
			must(t, e.Mint(cs, c, cs, slotEP, abi.RightWrite, b))
			if _, err := e.Call(c, 0); err != nil {
				panic(err)
			}
		}
		// A badged capability cannot be re-badged.
		c, _ := slots.Take()
		if err := e.Mint(cs, c, cs, slots.Next-2, abi.RightWrite, 0xb3); !errors.Is(err, abi.ErrIllegal) {
			panic(fmt.Sprintf("re-badge: %v", err))
		}
	}, map[uint64]usersim.Program{serverPC: func(e *user.Env) {
		b, _, err := e.Recv(slotEP, slotReply)
		for err == nil {
			got = append(got, b)
			b, _, err = e.ReplyRecv(slotEP, slotReply, 0)
			if err != nil {
				t.Logf("server: %v", err)
			}
		}
	}})
	w.run()
	if fmt.Sprint(got) != "[177 178]" {
		t.Fatalf("badges %v, want [177 178]\n%s", got, w.Console)
	}
}
