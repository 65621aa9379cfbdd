package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/pqc"
)

const vaultPC = 0x91_0000

// run boots a machine with a vault task holding keys and runs client as init with
// capabilities to the vault's endpoint minted with each of badges (at slots returned).
func run(t *testing.T, keys Keys, badges []abi.Badge, client func(e *user.Env, caps []abi.CPtr, slots *user.Slots)) {
	t.Helper()
	vault := func(e *user.Env) {
		const reply = 40
		e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, reply, 1)
		Serve(e, Config{Endpoint: abi.InitFirstFree, Reply: reply, CSpace: abi.InitSlotCSpace, AS: abi.InitSlotAddressSpace,
			Recv: 41, Frames: 64, Window: 0x5000_0000}, keys)
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: map[uint64]usersim.Program{vaultPC: vault},
		Init: func(e *user.Env) {
			const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
			slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
			ep, _ := slots.Take()
			recv, _ := slots.Take()
			e.Retype(ut, abi.ObjEndpoint, 0, cs, ep, 1)
			e.Copy(cs, recv, cs, ep, abi.RightRead)
			if _, err := e.StartProgram(abi.InitSlotSystem, []string{"vault"}, 0, 0, 0, recv); err != nil {
				t.Error(err)
				return
			}
			var caps []abi.CPtr
			for _, b := range badges {
				c, _ := slots.Take()
				if err := e.Mint(cs, c, cs, ep, abi.RightWrite|abi.RightGrant, b); err != nil {
					t.Error(err)
				}
				caps = append(caps, c)
			}
			client(e, caps, slots)
		}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: map[string]uint64{"vault": vaultPC}, MaxMemory: 4 << 20})
	m.Run(20_000_000_000)
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

func testKeys(t *testing.T) Keys {
	k0, err := pqc.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := pqc.GenerateKey(rand.Reader)
	return Keys{Signing: []*pqc.PrivateKey{k0, k1}, Secrets: [][]byte{bytes.Repeat([]byte{7}, 64)}}
}

// TestSignDeriveAndAuthority: a caller signs with the keys its badge names and with no
// other; signatures verify with the public key the vault hands out; derived keys are
// the same for the same caller and purpose and differ across purposes and callers.
func TestSignDeriveAndAuthority(t *testing.T) {
	keys := testKeys(t)
	const (
		signer  = abi.Badge(1 | 1<<32)    // key 0, secret 0
		other   = abi.Badge(1<<1 | 1<<32) // key 1, secret 0
		nothing = abi.Badge(1 << 48)      // no key, no secret
	)
	var errs []error
	var sig []byte
	var pub *pqc.PublicKey
	var d1, d2, d3, d4 []byte
	run(t, keys, []abi.Badge{signer, other, nothing}, func(e *user.Env, caps []abi.CPtr, slots *user.Slots) {
		r, err := e.NewRegion(slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace, 0x2000_0000, 1, 2)
		if err != nil {
			t.Error(err)
			return
		}
		sig, err = Sign(e, caps[0], r, 0, "skyscope/test/v1", []byte("a message to sign"))
		errs = append(errs, err)
		pub, err = PublicKey(e, caps[0], r, 0)
		errs = append(errs, err)
		_, err = Sign(e, caps[0], r, 1, "skyscope/test/v1", []byte("key 1 is not mine"))
		errs = append(errs, err)
		_, err = Sign(e, caps[2], r, 0, "skyscope/test/v1", []byte("no authority"))
		errs = append(errs, err)
		_, err = Sign(e, caps[0], r, 5, "skyscope/test/v1", []byte("no such key"))
		errs = append(errs, err)
		d1, _ = Derive(e, caps[0], 0, "disk encryption", 32)
		d2, _ = Derive(e, caps[0], 0, "disk encryption", 32)
		d3, _ = Derive(e, caps[0], 0, "audit mac", 32)
		d4, _ = Derive(e, caps[1], 0, "disk encryption", 32)
		_, err = Derive(e, caps[2], 0, "disk encryption", 32)
		errs = append(errs, err)
	})
	want := []error{nil, nil, NotAllowed, NotAllowed, NoSuchKey, NotAllowed}
	for i, w := range want {
		if !errors.Is(errs[i], w) && !(w == nil && errs[i] == nil) {
			t.Errorf("request %d: %v, want %v", i, errs[i], w)
		}
	}
	if pub == nil || !pub.Equal(keys.Signing[0].Public()) {
		t.Fatal("public key differs")
	}
	if err := pub.Verify("skyscope/test/v1", []byte("a message to sign"), sig); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if len(d1) != 32 || !bytes.Equal(d1, d2) || bytes.Equal(d1, d3) || bytes.Equal(d1, d4) {
		t.Fatalf("derived keys: %x %x %x %x", d1, d2, d3, d4)
	}
}

// TestNoRequestExportsAKey (seed verification target 7): whatever a fully authorised
// caller asks — every label from 0 to 0x10000 in steps, and the three real ones with
// odd arguments — nothing the vault answers contains a private key or a secret.
func TestNoRequestExportsAKey(t *testing.T) {
	keys := testKeys(t)
	var secrets [][]byte
	for _, k := range keys.Signing {
		// FIPS 204 skEncode: rho (public, also in the public key) ‖ K ‖ tr ‖ s1 ‖ s2 ‖ t0;
		// K and the start of s1 are secret.
		secrets = append(secrets, k.Bytes()[32:64], k.Bytes()[128:160])
	}
	secrets = append(secrets, keys.Secrets[0][:16])
	var leaks []string
	var unknownOK = true
	run(t, keys, []abi.Badge{^abi.Badge(0)}, func(e *user.Env, caps []abi.CPtr, slots *user.Slots) {
		r, _ := e.NewRegion(slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace, 0x2000_0000, 1, 4)
		check := func(what string) {
			var b []byte
			for i := 0; i < abi.MaxMsgWords; i++ {
				var w [8]byte
				binary.LittleEndian.PutUint64(w[:], e.MR(i))
				b = append(b, w[:]...)
			}
			out := make([]byte, 4*abi.PageSize)
			e.Load(r.OutputVA(), out)
			b = append(b, out...)
			for _, s := range secrets {
				if bytes.Contains(b, s) {
					leaks = append(leaks, what)
				}
			}
		}
		labels := []uint64{LabelSign, LabelDerive, LabelPublicKey}
		for l := uint64(0); l < 0x10000; l += 0x107 {
			labels = append(labels, l)
		}
		for _, l := range labels {
			for _, args := range [][3]uint64{{0, 16, 16}, {1, 1, 64}, {0, 255, 4000}, {0, 0, 0}} {
				for i, a := range args {
					e.SetMR(i, a)
				}
				e.SetCap(0, r.CSpace)
				e.Call(caps[0], abi.NewMsgInfo(l, abi.MaxMsgWords, 1))
				known := l == LabelSign || l == LabelDerive || l == LabelPublicKey
				if !known && Status(e.MR(0)) != BadRequest {
					unknownOK = false
				}
				check(fmt.Sprintf("label %#x args %v", l, args))
			}
		}
	})
	if len(leaks) > 0 {
		t.Fatalf("private material in %d replies, first: %v", len(leaks), leaks[:min(3, len(leaks))])
	}
	if !unknownOK {
		t.Fatal("an unknown request was not refused")
	}
}
