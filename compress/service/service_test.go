package service

import (
	"bytes"
	"errors"
	"testing"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const servicePC = 0x90_0000

// The service task's slots.
const (
	svcEndpoint = abi.InitFirstFree // granted: the request endpoint, receive only
	svcReply    = 40
	svcRecv     = 41
	svcFrames   = 64
	svcWindow   = 0x5000_0000
)

func service(e *user.Env) {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, svcReply, 1); err != nil {
		panic(err)
	}
	Serve(e, Config{Endpoint: svcEndpoint, Reply: svcReply, CSpace: abi.InitSlotCSpace, AS: abi.InitSlotAddressSpace,
		Recv: svcRecv, Frames: svcFrames, Window: svcWindow, Limits: compress.DefaultLimits})
}

// TestDecodeThroughSharedRegion: a client decodes through the service task with data
// only in frames it shares by capability; a corrupt blob, a too-small output region and
// an output region shared read-only are refused with their statuses, and the service
// keeps none of the client's capabilities afterwards.
func TestDecodeThroughSharedRegion(t *testing.T) {
	plain := bytes.Repeat([]byte("the deep-compression service decodes into shared frames. "), 700) // ~40 KiB
	blob, err := compress.Encode(plain, compress.LevelBest)
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	var errs []error
	var leftover int
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: map[uint64]usersim.Program{servicePC: service},
		Init: func(e *user.Env) {
			const cs, ut, as = abi.InitSlotCSpace, abi.InitSlotUntyped, abi.InitSlotAddressSpace
			slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
			ep, _ := slots.Take()
			recvOnly, _ := slots.Take()
			e.Retype(ut, abi.ObjEndpoint, 0, cs, ep, 1)
			e.Copy(cs, recvOnly, cs, ep, abi.RightRead)
			id, err := e.StartProgram(abi.InitSlotSystem, []string{"compressd"}, 0, 0, 0, recvOnly)
			if err != nil {
				t.Error(err)
				return
			}
			good, err := e.NewRegion(slots, ut, cs, as, 0x2000_0000, 2, 16)
			if err != nil {
				t.Error(err)
				return
			}
			got, err = Decode(e, ep, good, blob)
			errs = append(errs, err)
			bad := append([]byte(nil), blob...)
			bad[len(bad)/2] ^= 1
			_, err = Decode(e, ep, good, bad)
			errs = append(errs, err)
			small, _ := e.NewRegion(slots, ut, cs, as, 0x3000_0000, 2, 4)
			_, err = Decode(e, ep, small, blob)
			errs = append(errs, err)
			// An output region shared read-only: the service cannot map it writable.
			ro, _ := e.NewRegion(slots, ut, cs, as, 0x4000_0000, 2, 16)
			for i := uint64(2); i < 18; i++ {
				e.Delete(ro.CSpace, abi.CPtr(1+i))
				e.Copy(ro.CSpace, abi.CPtr(1+i), cs, ro.Frames+abi.CPtr(i), abi.RightRead)
			}
			_, err = Decode(e, ep, ro, blob)
			errs = append(errs, err)
			// A request without a region.
			e.SetMR(0, 10)
			e.SetMR(1, 1)
			e.SetMR(2, 1)
			e.Call(ep, abi.NewMsgInfo(LabelDecode, 3, 0))
			errs = append(errs, Status(e.MR(0)))
			for slot := uint64(svcReply + 1); ; slot++ {
				s, c, err := e.TaskCap(abi.InitSlotSystem, id, slot)
				if err != nil {
					break
				}
				leftover++
				t.Logf("service still holds slot %d: %v", s, c.Type)
				slot = s
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: map[string]uint64{"compressd": servicePC}, MaxMemory: 4 << 20})
	m.Run(10_000_000_000)
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Fatalf("decoded %d bytes, want %d", len(got), len(plain))
	}
	want := []Status{OK, Corrupt, TooSmall, NotWritable, BadRequest}
	for i, w := range want {
		var st Status
		if errs[i] == nil {
			st = OK
		} else if !errors.As(errs[i], &st) {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if st != w {
			t.Errorf("request %d: %v, want %v", i, st, w)
		}
	}
	if leftover != 0 {
		t.Errorf("the service kept %d of the client's capabilities", leftover)
	}
}
