// Command vault is the key vault task (pqc/vault): it holds private keys and signs and
// derives keys for callers whose capability's badge allows it, never handing a key
// out. The module manager starts it with a receive-only capability to its endpoint and
// keeps the only capability to call it, badged to sign audit seals with key 0.
//
// Its signing key is generated at start from the machine's randomness (ML-DSA-87,
// NIST level 5) and lives only in this task's memory: its public key, which the
// manager fetches through the vault, verifies the audit log.
//
// With -storage FILE it is the storage vault instead, which the shell starts for the
// filesystem: no signing key, and one derivation secret read from FILE (in the boot
// bundle), persistent across boots so that skyaifsd's key-encryption keys are too
// (docs/SKYAIFS.md, "Keys on the running system", says what protects it). Without the
// file it holds no secret, and every key request is refused (the filesystem reports
// ENOKEY for encrypted files) rather than answered with keys that die at power-off.
package main

import (
	"crypto/rand"
	"flag"
	"fmt"
	"os"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/pqc"
	"github.com/skyscope-os/skyscope/pqc/vault"
)

// minStorageSecret is the shortest storage secret accepted (256 bits).
const minStorageSecret = 32

func main() {
	storage := flag.String("storage", "", "be the storage vault, with the derivation secret in this file")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Println("usage: vault [-storage FILE] (started with its request endpoint)")
		return
	}
	if *storage != "" {
		var keys vault.Keys
		secret, err := os.ReadFile(*storage)
		switch {
		case err != nil:
			fmt.Printf("vault: no storage secret (%v): encrypted files cannot be opened\n", err)
		case len(secret) < minStorageSecret:
			fmt.Printf("vault: the storage secret %s is shorter than %d bytes: not used\n", *storage, minStorageSecret)
		default:
			keys.Secrets = [][]byte{secret}
		}
		err = vault.RunTask(usercall.Env(), keys, abi.FrameWindow)
		fmt.Fprintf(os.Stderr, "vault: %v\n", err)
		os.Exit(1)
	}
	key, err := pqc.GenerateKey(rand.Reader)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vault: generating the signing key: %v\n", err)
		os.Exit(1)
	}
	secret := make([]byte, 64)
	if _, err := rand.Read(secret); err != nil {
		fmt.Fprintf(os.Stderr, "vault: generating the derivation secret: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("vault: signing key %s (ML-DSA-87, NIST level 5) made at boot; it never leaves this task\n", key.ID().Short())
	err = vault.RunTask(usercall.Env(), vault.Keys{Signing: []*pqc.PrivateKey{key}, Secrets: [][]byte{secret}}, abi.FrameWindow)
	fmt.Fprintf(os.Stderr, "vault: %v\n", err)
	os.Exit(1)
}
