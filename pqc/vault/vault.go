// Package vault is the key vault task: it holds private keys (ML-DSA-87 signing keys
// and key-derivation secrets, NIST level 5) and uses them for callers, over kernel IPC,
// without ever exporting them. It is written against the user library, so it runs in
// the simulation and on the machine.
//
// Authority is the badge of the caller's capability to the vault's endpoint, which the
// vault's owner mints: bit i of the low 32 bits lets the caller sign with signing key
// i; bit i of the next 32 lets it derive from secret i. A caller's derived keys depend
// on its badge as well as on the purpose it names, so two callers can never derive each
// other's keys.
//
// The protocol has exactly three requests — Sign, Derive, PublicKey — and no reply
// carries private material: Sign returns a signature, Derive a key derived for the
// caller, PublicKey a public key. TestNoRequestExportsAKey checks every label.
package vault

import (
	"encoding/binary"
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/pqc"
)

// Request labels.
const (
	// LabelSign: MR0 key index, MR1 domain length, MR2 message length; cap0 a region
	// whose input holds the domain then the message and whose output (at least 2
	// pages) receives the signature. Reply: MR0 Status, MR1 signature length.
	LabelSign = 0x5161
	// LabelDerive: MR0 secret index, MR1 purpose length, MR2 key length (1–64); the
	// purpose in message words from NumRegMRs. Reply: MR0 Status, the key in message
	// words from NumRegMRs.
	LabelDerive = 0xde71
	// LabelPublicKey: MR0 key index; cap0 a region with at least 1 page of output.
	// Reply: MR0 Status, MR1 key length.
	LabelPublicKey = 0x9b1c
)

// Limits of the protocol.
const (
	MaxPurpose = 8 * (abi.MaxMsgWords - abi.NumRegMRs)
	MaxKeyLen  = 64
	maxKeys    = 32
)

// Status is a request's outcome.
type Status uint64

// Statuses.
const (
	OK Status = iota
	BadRequest
	NotAllowed // the caller's badge does not allow this key or secret
	NoSuchKey
	Failed // the region could not be used
)

var statusText = [...]string{"ok", "malformed request", "not allowed by the capability used", "no such key", "region unusable"}

func (s Status) Error() string {
	if int(s) < len(statusText) {
		return "key vault: " + statusText[s]
	}
	return fmt.Sprintf("key vault: status %d", s)
}

// Keys are what the vault holds. They stay in the vault task's memory.
type Keys struct {
	Signing []*pqc.PrivateKey
	Secrets [][]byte
}

// Config is what the vault task holds, as slots of its capability space.
type Config struct {
	Endpoint abi.CPtr // requests (Read)
	Reply    abi.CPtr
	CSpace   abi.CPtr
	AS       abi.CPtr
	Recv     abi.CPtr // a free slot receiving the region's capability space
	Frames   abi.CPtr // first of user.MaxRegionPages free slots
	Window   uint64   // where regions are mapped
}

// Serve answers requests forever with keys.
func Serve(e *user.Env, c Config, keys Keys) {
	e.SetRecvSlot(0, c.Recv)
	badge, info, err := e.Recv(c.Endpoint, c.Reply)
	for {
		words := 2
		st, n := BadRequest, uint64(0)
		if err == nil {
			switch info.Label() {
			case LabelSign:
				st, n = sign(e, c, keys, badge, info)
			case LabelPublicKey:
				st, n = public(e, c, keys, badge, info)
			case LabelDerive:
				var key []byte
				st, key = derive(e, keys, badge, info)
				n = uint64(len(key))
				if len(key) > 0 {
					words = e.SetPayload(key)
				}
			}
		}
		e.Delete(c.CSpace, c.Recv)
		e.SetMR(0, uint64(st))
		e.SetMR(1, n)
		e.SetRecvSlot(0, c.Recv)
		badge, info, err = e.ReplyRecv(c.Endpoint, c.Reply, abi.NewMsgInfo(0, words, 0))
	}
}

func mayUse(badge abi.Badge, bit uint64) bool { return bit < 32 && uint64(badge)>>bit&1 != 0 }

func sign(e *user.Env, c Config, keys Keys, badge abi.Badge, info abi.MsgInfo) (Status, uint64) {
	idx, dlen, mlen := e.MR(0), e.MR(1), e.MR(2)
	switch {
	case info.ExtraCaps() != 1 || dlen == 0 || dlen > 255:
		return BadRequest, 0
	case idx >= uint64(len(keys.Signing)):
		return NoSuchKey, 0
	case !mayUse(badge, idx):
		return NotAllowed, 0
	}
	in := (dlen + mlen + abi.PageSize - 1) / abi.PageSize
	out := uint64((pqc.SignatureSize + abi.PageSize - 1) / abi.PageSize)
	if in == 0 || in+out > user.MaxRegionPages {
		return BadRequest, 0
	}
	m, err := e.MapRegion(c.Recv, c.CSpace, c.AS, c.Frames, c.Window, in, out)
	if err != nil {
		return Failed, 0
	}
	defer m.Release()
	buf := make([]byte, dlen+mlen)
	e.Load(m.InputVA(), buf)
	sig, err := keys.Signing[idx].Sign(string(buf[:dlen]), buf[dlen:])
	if err != nil {
		return BadRequest, 0
	}
	e.Store(m.OutputVA(), sig)
	return OK, uint64(len(sig))
}

func public(e *user.Env, c Config, keys Keys, badge abi.Badge, info abi.MsgInfo) (Status, uint64) {
	idx := e.MR(0)
	switch {
	case info.ExtraCaps() != 1:
		return BadRequest, 0
	case idx >= uint64(len(keys.Signing)):
		return NoSuchKey, 0
	}
	pub := keys.Signing[idx].Public().Bytes()
	out := uint64((len(pub) + abi.PageSize - 1) / abi.PageSize)
	m, err := e.MapRegion(c.Recv, c.CSpace, c.AS, c.Frames, c.Window, 1, out)
	if err != nil {
		return Failed, 0
	}
	defer m.Release()
	e.Store(m.OutputVA(), pub)
	return OK, uint64(len(pub))
}

// derive returns SHAKE256-derived key material bound to the secret, the purpose and
// the caller's badge.
func derive(e *user.Env, keys Keys, badge abi.Badge, info abi.MsgInfo) (Status, []byte) {
	idx, plen, klen := e.MR(0), e.MR(1), e.MR(2)
	switch {
	case plen == 0 || plen > MaxPurpose || klen == 0 || klen > MaxKeyLen || uint64(info.Len()) < abi.NumRegMRs+(plen+7)/8:
		return BadRequest, nil
	case idx >= uint64(len(keys.Secrets)):
		return NoSuchKey, nil
	case !mayUse(badge>>32, idx):
		return NotAllowed, nil
	}
	return OK, callerKey(keys.Secrets[idx], string(e.Payload(int(plen))), badge, int(klen))
}

// callerKey is the key a caller whose capability carries badge gets for purpose from
// secret: SHAKE256 (pqc.DeriveKey) over the purpose, with the badge as context. The
// same caller and purpose always get the same key; different callers (badges) or
// purposes get unrelated keys.
func callerKey(secret []byte, purpose string, badge abi.Badge, n int) []byte {
	return CallerKey(secret, purpose, badge, n)
}

// CallerKey is what Derive answers a caller with badge for purpose from secret,
// computed outside the vault by whoever holds the secret itself (host tools that
// open a disk the running system encrypted; see skyaifs/vaultkeys). It is the one
// definition of the derivation, so the two cannot drift.
func CallerKey(secret []byte, purpose string, badge abi.Badge, n int) []byte {
	var ctx [8]byte
	binary.LittleEndian.PutUint64(ctx[:], uint64(badge))
	return pqc.DeriveKey(secret, purpose, ctx[:], n)
}

// Sign asks the vault (through ep, which needs Write and Grant) to sign msg for domain
// with key idx, through the client's region r (input ≥ len(domain)+len(msg) bytes,
// output ≥ 2 pages).
func Sign(e *user.Env, ep abi.CPtr, r *user.Region, idx int, domain string, msg []byte) ([]byte, error) {
	if uint64(len(domain)+len(msg)) > r.InPages*abi.PageSize {
		return nil, fmt.Errorf("domain and message of %d bytes do not fit the region", len(domain)+len(msg))
	}
	e.Store(r.InputVA(), append([]byte(domain), msg...))
	e.SetMR(0, uint64(idx))
	e.SetMR(1, uint64(len(domain)))
	e.SetMR(2, uint64(len(msg)))
	e.SetCap(0, r.CSpace)
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelSign, 3, 1)); err != nil {
		return nil, err
	}
	if st := Status(e.MR(0)); st != OK {
		return nil, st
	}
	sig := make([]byte, e.MR(1))
	e.Load(r.OutputVA(), sig)
	return sig, nil
}

// PublicKey fetches public key idx through the client's region r.
func PublicKey(e *user.Env, ep abi.CPtr, r *user.Region, idx int) (*pqc.PublicKey, error) {
	e.SetMR(0, uint64(idx))
	e.SetCap(0, r.CSpace)
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelPublicKey, 1, 1)); err != nil {
		return nil, err
	}
	if st := Status(e.MR(0)); st != OK {
		return nil, st
	}
	b := make([]byte, e.MR(1))
	e.Load(r.OutputVA(), b)
	return pqc.ParsePublicKey(b)
}

// Derive asks for n bytes of key material for purpose from secret idx.
func Derive(e *user.Env, ep abi.CPtr, idx int, purpose string, n int) ([]byte, error) {
	if len(purpose) == 0 || len(purpose) > MaxPurpose || n <= 0 || n > MaxKeyLen {
		return nil, BadRequest
	}
	words := e.SetPayload([]byte(purpose))
	e.SetMR(0, uint64(idx))
	e.SetMR(1, uint64(len(purpose)))
	e.SetMR(2, uint64(n))
	if _, err := e.Call(ep, abi.NewMsgInfo(LabelDerive, words, 0)); err != nil {
		return nil, err
	}
	if st := Status(e.MR(0)); st != OK {
		return nil, st
	}
	return e.Payload(n), nil
}
