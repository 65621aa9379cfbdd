// Command modmgr is the module manager task (pipeline/modsvc). The shell starts it on
// the first module command with the machine's System object and a receive-only
// capability to its request endpoint. It starts the key vault and the compression
// service as tasks of their own, then serves the shell's commands: modules, load NAME
// [VERSION], update NAME VERSION, services, audit. Services run under the registry
// task, which it starts too.
//
// Its repository is the folder /modules of the boot bundle's file tree: a signed
// index, packages, and the root public key it trusts. The kernel verified the bundle
// as a whole at boot; the manager verifies every package again, by the load protocol,
// because the repository is untrusted input to it like any other store.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/pipeline/manager"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/modsvc"
	"github.com/skyscope-os/skyscope/pqc"
)

// Repository is where the manager finds the module repository.
const Repository = "/modules"

// policy is the system's capability policy: the console for anyone; the counter
// service may run as a service and only counter-client may call it.
var policy = manager.Policy{
	Global: map[string]abi.Rights{modsvc.CapConsole: abi.RightWrite},
	PerModule: map[string]map[string]abi.Rights{
		"counter":        {modsvc.CapService: abi.AllRights},
		"counter-client": {modsvc.ServiceCap("counter"): abi.RightWrite},
	},
}

func main() {
	if len(os.Args) > 1 {
		fmt.Println("usage: modmgr (started by the shell with the System object and its request endpoint)")
		return
	}
	index, err := os.ReadFile(filepath.Join(Repository, "index.skyidx"))
	if err != nil {
		fatal(fmt.Errorf("reading the repository index: %w", err))
	}
	root, err := pqc.LoadPublicKey(filepath.Join(Repository, "root.pub"))
	if err != nil {
		fatal(fmt.Errorf("reading the trusted key: %w", err))
	}
	s, err := modsvc.Start(usercall.Env(), modsvc.Setup{Store: manager.DirStore(Repository), Index: index,
		Trust: modpkg.NewTrustRoot(root), Policy: policy, Vault: "vault", Compress: "compressd", Registry: "registry",
		RegionVA: abi.FrameWindow, LoadMemory: 12 << 20, ServiceMemory: 12 << 20, VaultMemory: 8 << 20,
		CompressMemory: 16 << 20, RegistryMemory: 40 << 20, Log: func(l string) { fmt.Println("modmgr: " + l) }})
	if err != nil {
		fmt.Fprintf(os.Stderr, "modmgr: %v\n", err)
		modsvc.ServeFailed(usercall.Env(), err)
	}
	s.Serve()
}

// fatal reports why the manager cannot work, and answers every request with it.
func fatal(err error) {
	fmt.Fprintf(os.Stderr, "modmgr: %v\n", err)
	modsvc.ServeFailed(usercall.Env(), err)
}
