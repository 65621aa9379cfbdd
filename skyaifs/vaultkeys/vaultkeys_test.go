package vaultkeys

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/pqc/vault"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"golang.org/x/sys/unix"
)

const (
	vaultPC    = 0x91_0000
	fsBadge    = abi.Badge(1) << 32 // derive from secret 0
	otherBadge = abi.Badge(1)<<32 | 0x55
)

var keyID = disk.KeyID{'d', 'a', 't', 'a'}

// boot runs one simulated boot: a vault task holding secret, and init using the
// filesystem on dev with a Provider whose vault capability carries badge.
func boot(t *testing.T, secret []byte, badge abi.Badge, use func(e *user.Env, keys *Provider)) {
	t.Helper()
	v := func(e *user.Env) {
		vault.RunTask(e, vault.Keys{Secrets: [][]byte{secret}}, 0x5000_0000)
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: map[uint64]usersim.Program{vaultPC: v},
		Init: func(e *user.Env) {
			const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
			ep, recv, client := abi.CPtr(100), abi.CPtr(101), abi.CPtr(102)
			e.Retype(ut, abi.ObjEndpoint, 0, cs, ep, 1)
			e.Copy(cs, recv, cs, ep, abi.RightRead)
			if _, err := e.StartProgram(abi.InitSlotSystem, []string{"vault"}, 0, 0, 0, recv); err != nil {
				t.Error(err)
				return
			}
			e.Mint(cs, client, cs, ep, abi.RightWrite|abi.RightGrant, badge)
			use(e, &Provider{E: e, EP: client})
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

// TestVaultKeysSurviveReboot: files encrypted with keys from the vault task are
// readable after a reboot whose vault holds the same persistent secret, and by a
// host tool holding that secret (Offline, with skyaifsd's badge); a vault with
// another secret, or a capability with another badge, or one without the right to
// derive, opens nothing.
func TestVaultKeysSurviveReboot(t *testing.T) {
	secret := bytes.Repeat([]byte{0x5c}, 64)
	dev := block.NewMem(1024)
	data := []byte("encrypted with a key the vault derived")
	var errs []error
	errf := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	boot(t, secret, fsBadge, func(e *user.Env, keys *Provider) {
		if err := skyfs.Mkfs(dev, skyfs.Options{Seed: 3}); err != nil {
			errf("mkfs: %v", err)
			return
		}
		f, err := skyfs.Mount(dev, skyfs.Options{Keys: keys})
		if err != nil {
			errf("mount: %v", err)
			return
		}
		if err := f.Mkdir("/s", 0o700); err != nil {
			errf("mkdir: %v", err)
		}
		if err := f.SetEncryption("/s", keyID); err != nil {
			errf("set encryption: %v", err)
		}
		if err := f.WriteFile("/s/file", data, 0o600); err != nil {
			errf("write: %v", err)
		}
		if err := f.Unmount(); err != nil {
			errf("unmount: %v", err)
		}
	})
	read := func(keys skyfs.KeyProvider) ([]byte, error) {
		f, err := skyfs.Mount(dev, skyfs.Options{Keys: keys})
		if err != nil {
			return nil, err
		}
		defer f.Unmount()
		return f.ReadFile("/s/file")
	}
	checks := 0
	check := func(what string, got []byte, err error, want error) {
		t.Helper()
		checks++
		if want == nil && (err != nil || !bytes.Equal(got, data)) {
			t.Errorf("%s: %q, %v", what, got, err)
		}
		if want != nil && !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", what, err, want)
		}
	}
	boot(t, secret, fsBadge, func(e *user.Env, keys *Provider) {
		b, err := read(keys)
		check("after a reboot with the same secret", b, err, nil)
	})
	boot(t, bytes.Repeat([]byte{0x33}, 64), fsBadge, func(e *user.Env, keys *Provider) {
		b, err := read(keys)
		check("a vault with another secret", b, err, skyfs.ErrKeyRejected)
	})
	boot(t, secret, otherBadge, func(e *user.Env, keys *Provider) {
		b, err := read(keys)
		check("another badge", b, err, skyfs.ErrKeyRejected)
	})
	boot(t, secret, 0x7, func(e *user.Env, keys *Provider) {
		b, err := read(keys)
		check("a capability without the right to derive", b, err, unix.ENOKEY)
	})
	b, err := read(Offline{Secret: secret, Badge: fsBadge})
	check("host tool with the secret and skyaifsd's badge", b, err, nil)
	b, err = read(Offline{Secret: secret, Badge: otherBadge})
	check("host tool with another badge", b, err, skyfs.ErrKeyRejected)
	b, err = read(skyfs.DerivedKeys{Secret: secret})
	check("the host's own derivation", b, err, skyfs.ErrKeyRejected)
	for _, err := range errs {
		t.Error(err)
	}
	if checks != 7 {
		t.Errorf("%d of 7 checks ran", checks)
	}
}
