// Package vaultkeys gives SKYAIFS its key-encryption keys from the key vault task
// (pqc/vault): on the running system skyaifsd asks the vault over IPC (Derive) for
// the KEK of each key id, with a capability whose badge allows deriving from one
// secret. The vault binds what it derives to that badge, so no other holder of a
// vault capability can derive the filesystem's keys, and the secret itself never
// leaves the vault task.
//
// What survives a reboot is the secret: a vault secret made at each boot would make
// last boot's files unreadable, so the storage vault is given a persistent secret
// (docs/SKYAIFS.md "Keys on the running system" says where it lives and what protects
// it). Offline computes the same keys from that secret and the badge, for host tools
// that open the machine's disk (skyctl fs … with the secret file).
package vaultkeys

import (
	"fmt"
	"sync"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/pqc/vault"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
)

// KEKSize is the size of a key-encryption key.
const KEKSize = 32

// SkyaifsdBadge is the badge of the machine's skyaifsd's capability to the storage
// vault (the shell mints it): derive from secret 0 (pqc/vault: bit 32+i allows secret
// i). Host tools need it to compute the same keys (Offline).
const SkyaifsdBadge abi.Badge = 1 << 32

// Provider is an fs.KeyProvider that asks the vault. It caches the keys it got:
// skyaifsd holds each KEK anyway while it unwraps data keys, and a cache avoids an
// IPC round trip per file opened. It is for the thread of E (the file server's).
type Provider struct {
	E      *user.Env
	EP     abi.CPtr // the vault's endpoint, badged to derive from Secret
	Secret int      // which of the vault's secrets
	mu     sync.Mutex
	cache  map[disk.KeyID][]byte
}

// KEK implements fs.KeyProvider.
func (p *Provider) KEK(id disk.KeyID) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k, ok := p.cache[id]; ok {
		return k, nil
	}
	k, err := vault.Derive(p.E, p.EP, p.Secret, skyfs.VaultPurpose(id), KEKSize)
	if err != nil {
		return nil, fmt.Errorf("vaultkeys: key %x: %w", id[:], err)
	}
	if p.cache == nil {
		p.cache = map[disk.KeyID][]byte{}
	}
	p.cache[id] = k
	return k, nil
}

// Offline is an fs.KeyProvider that computes, from the vault's secret itself, the
// keys the vault gives the holder of badge: for host tools, which hold the secret
// file rather than a vault capability.
type Offline struct {
	Secret []byte    // the vault's secret (immutable)
	Badge  abi.Badge // the badge of skyaifsd's vault capability
}

// KEK implements fs.KeyProvider.
func (o Offline) KEK(id disk.KeyID) ([]byte, error) {
	if len(o.Secret) == 0 {
		return nil, fmt.Errorf("vaultkeys: no secret")
	}
	return vault.CallerKey(o.Secret, skyfs.VaultPurpose(id), o.Badge, KEKSize), nil
}
