// Command vault is the key vault task (pqc/vault): it holds private keys and signs and
// derives keys for callers whose capability's badge allows it, never handing a key
// out. The module manager starts it with a receive-only capability to its endpoint and
// keeps the only capability to call it, badged to sign audit seals with key 0.
//
// Its signing key is generated at start from the machine's randomness (ML-DSA-87,
// NIST level 5) and lives only in this task's memory: its public key, which the
// manager fetches through the vault, verifies the audit log.
package main

import (
	"crypto/rand"
	"fmt"
	"os"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/pqc"
	"github.com/skyscope-os/skyscope/pqc/vault"
)

func main() {
	if len(os.Args) > 1 {
		fmt.Println("usage: vault (started by the module manager with its request endpoint)")
		return
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
