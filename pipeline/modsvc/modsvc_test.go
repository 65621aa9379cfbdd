package modsvc

import (
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	compsvc "github.com/skyscope-os/skyscope/compress/service"
	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/pipeline/manager"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/registry"
	"github.com/skyscope-os/skyscope/pipeline/repo"
	"github.com/skyscope-os/skyscope/pqc"
	"github.com/skyscope-os/skyscope/pqc/vault"
)

// Program entry points of the simulated machine. In the simulation an image's bytes
// are the name of the program to run (usersim.Loader.LoadImage).
const (
	pcVault = 0x90_0000 + iota*0x1000
	pcCompress
	pcManager
	pcCounterV1
	pcCounterV2
	pcCounterBad
	pcClient
	pcHello
	pcRegistry
)

// world is one simulated machine with the pipeline's packages in its store.
type world struct {
	root  *pqc.PrivateKey
	store manager.MapStore
	index []byte
}

func version(s string) modpkg.Version {
	v, err := modpkg.ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// newWorld packs the modules: a counting service in three versions (2.1.0 fails its
// self-test), a client of it, and hello, which asks for a capability the policy does
// not give.
func newWorld(t *testing.T) *world {
	t.Helper()
	root, err := pqc.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{root: root, store: manager.MapStore{}}
	var entries []repo.Entry
	for _, m := range []struct {
		name, version, binary string
		caps                  []string
	}{
		{"counter", "1.0.0", "counter-v1", []string{CapService}},
		{"counter", "2.0.0", "counter-v2", []string{CapService}},
		{"counter", "2.1.0", "counter-bad", []string{CapService}},
		{"client", "1.0.0", "client", []string{CapConsole, ServiceCap("counter")}},
		{"hello", "1.0.0", "hello", []string{CapConsole, "system"}},
		{"extra", "1.0.0", "hello", []string{CapConsole}},
	} {
		man := modpkg.Manifest{Name: m.name, Version: version(m.version), Entry: m.name, Caps: m.caps,
			MemoryLimit: 2 << 20, StateHandover: m.name == "counter", RollbackOnInitFailure: true}
		pkg, err := modpkg.Pack(root, man, []byte(m.binary), compress.LevelDefault)
		if err != nil {
			t.Fatal(err)
		}
		w.store[m.name+" "+m.version] = pkg
		d := pqc.Sum512(pkg)
		entries = append(entries, repo.Entry{Name: m.name, Version: man.Version, Digest: d[:]})
	}
	if w.index, err = repo.Sign(root, 1, time.Now().Add(time.Hour), entries); err != nil {
		t.Fatal(err)
	}
	return w
}

var policy = manager.Policy{
	Global:    map[string]abi.Rights{CapConsole: abi.RightWrite},
	PerModule: map[string]map[string]abi.Rights{"counter": {CapService: abi.AllRights}, "client": {ServiceCap("counter"): abi.RightWrite}},
}

// counter is a version of the counting service: each call returns the count so far
// and the version; the count is handed over in an update.
func counter(ver uint64, selftest bool) usersim.Program {
	return func(e *user.Env) {
		var n uint64
		registry.DefaultVersion.RunWithState(e, func() bool { return selftest }, func(uint64, []uint64) []uint64 {
			e.Compute(20_000)
			n++
			return []uint64{n - 1, ver}
		}, func() []byte { return binary.LittleEndian.AppendUint64(nil, n) },
			func(st []byte) {
				if len(st) == 8 {
					n = binary.LittleEndian.Uint64(st)
				}
			})
	}
}

// TestModuleManagerTask runs the module manager as a task with the key vault and the
// compression service as tasks of their own, and an administrator (init) driving it
// over IPC: a service is loaded and updated under load with state hand-over, a
// failing update rolls back, an older version and tampered packages are refused
// without starting anything, a second load of a module comes from the kernel's image
// cache, a capability without the administrator badge cannot load, a module loads
// into a container through the container's System object (intoContainer), and the
// audit log verifies with the vault's key and records the load into the container.
func TestModuleManagerTask(t *testing.T) {
	w := newWorld(t)
	var (
		mu      sync.Mutex
		replies [][2]uint64
		outs    = map[string]string{}
		errs    = map[string]error{}
		logs    []string
	)
	keys := vault.Keys{}
	sk, err := pqc.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys.Signing = append(keys.Signing, sk)
	const (
		mgrSlot    = abi.InitFirstFree
		clientSlot = abi.InitFirstFree + 1 // after the console, in name order
	)
	programs := map[uint64]usersim.Program{
		pcVault:    func(e *user.Env) { vault.RunTask(e, keys, 0x5000_0000) },
		pcCompress: func(e *user.Env) { compsvc.RunTask(e, 0x5000_0000) },
		pcManager: func(e *user.Env) {
			s, err := Start(e, Setup{Store: w.store, Index: w.index, Trust: modpkg.NewTrustRoot(w.root.Public()),
				Policy: policy, Vault: "vault", Compress: "compressd", Registry: "registry", RegionVA: 0x6000_0000,
				LoadMemory: 2 << 20, ServiceMemory: 2 << 20, VaultMemory: 8 << 20, CompressMemory: 8 << 20,
				RegistryMemory: 12 << 20,
				Log:            func(l string) { mu.Lock(); logs = append(logs, l); mu.Unlock() }})
			if err != nil {
				t.Errorf("manager: %v", err)
				return
			}
			s.Serve()
		},
		pcRegistry: func(e *user.Env) {
			registry.RunTask(e, 200, 100_000, func(l string) { mu.Lock(); logs = append(logs, l); mu.Unlock() })
		},
		pcCounterV1:  counter(1, true),
		pcCounterV2:  counter(2, true),
		pcCounterBad: counter(3, false),
		pcClient: func(e *user.Env) {
			for range 600 {
				info, err := e.Call(clientSlot, abi.NewMsgInfo(1, 0, 0))
				mu.Lock()
				if err != nil || info.Len() != 2 {
					replies = append(replies, [2]uint64{^uint64(0), 0})
				} else {
					replies = append(replies, [2]uint64{e.MR(0), e.MR(1)})
				}
				mu.Unlock()
				e.Compute(50_000)
			}
		},
		pcHello: func(e *user.Env) { e.Print(abi.InitFirstFree, "hello from a module\n") },
	}
	calls := func() int { mu.Lock(); defer mu.Unlock(); return len(replies) }
	verify := func(img, sig []byte) error { return w.root.Public().Verify(modpkg.DomainBinary, img, sig) }
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true, VerifyImage: verify}, Programs: programs,
		Sim: sim.Config{MemoryFrames: 1 << 16},
		Init: func(e *user.Env) {
			const cs = abi.InitSlotCSpace
			slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
			ep, _ := slots.Take()
			recv, _ := slots.Take()
			admin, _ := slots.Take()
			reader, _ := slots.Take()
			e.Retype(abi.InitSlotUntyped, abi.ObjEndpoint, 0, cs, ep, 1)
			e.Copy(cs, recv, cs, ep, abi.RightRead)
			e.Mint(cs, admin, cs, ep, abi.RightWrite, BadgeAdmin)
			e.Mint(cs, reader, cs, ep, abi.RightWrite, 2)
			if _, err := e.StartProgram(abi.InitSlotSystem, []string{"modmgr"}, 48<<20, 0, 0, abi.InitSlotSystem, recv); err != nil {
				t.Errorf("starting the manager: %v", err)
				return
			}
			run := func(key, line string) {
				out, err := Command(e, admin, line)
				mu.Lock()
				outs[key], errs[key] = out, err
				mu.Unlock()
			}
			run("load counter", "load counter 1.0.0")
			run("load client", "load client")
			if errs["load counter"] != nil || errs["load client"] != nil {
				return
			}
			for calls() < 100 {
				e.Yield()
				e.Compute(200_000)
			}
			run("update bad", "update counter 2.1.0")
			for calls() < 200 {
				e.Yield()
				e.Compute(200_000)
			}
			run("update good", "update counter 2.0.0")
			run("update older", "update counter 1.0.0")
			run("load hello", "load hello")
			run("load hello again", "load hello")
			intoContainer(t, e, slots, w, admin, ep, outs, errs, &mu)
			_, errs["reader load"] = Command(e, reader, "load hello")
			outs["reader modules"], errs["reader modules"] = Command(e, reader, "modules")
			run("services", "services")
			run("modules", "modules")
			// A package changed after the index was signed: refused, nothing starts.
			before, _ := e.Tasks(abi.InitSlotSystem)
			bad := append([]byte(nil), w.store["extra 1.0.0"]...)
			bad[len(bad)-40] ^= 1
			w.store["extra 1.0.0"] = bad
			_, errs["load tampered"] = Command(e, admin, "load extra")
			if after, _ := e.Tasks(abi.InitSlotSystem); len(after) != len(before) {
				t.Errorf("a refused load changed the tasks: %d before, %d after", len(before), len(after))
			}
			for calls() < 600 {
				e.Yield()
				e.Compute(1_000_000)
			}
			run("audit", "audit")
		}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{CSpaceRadix: 12, Entries: map[string]uint64{"vault": pcVault, "compressd": pcCompress,
		"modmgr": pcManager, "counter-v1": pcCounterV1, "counter-v2": pcCounterV2, "counter-bad": pcCounterBad,
		"client": pcClient, "hello": pcHello, "registry": pcRegistry}})
	m.Run(20_000_000_000)
	mu.Lock()
	defer mu.Unlock()
	trace := strings.Join(logs, "\n")
	for _, k := range []string{"load counter", "load client", "update good", "load hello", "load hello again", "services", "modules", "audit", "reader modules"} {
		if errs[k] != nil {
			t.Errorf("%s: %v\nmanager log:\n%s", k, errs[k], trace)
		}
	}
	for k, want := range map[string]string{"update bad": "self-test failed", "update older": "rollback refused",
		"reader load": "does not allow", "load tampered": "does not match the index"} {
		if errs[k] == nil || !strings.Contains(errs[k].Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", k, errs[k], want)
		}
	}
	if !strings.Contains(outs["load hello"], "refused by the policy: system") || !strings.Contains(outs["load hello"], "verified and decompressed") {
		t.Errorf("load hello:\n%s", outs["load hello"])
	}
	if !strings.Contains(outs["into"], "into the container as pid 1") || !strings.Contains(outs["into"], "from the kernel's image cache") ||
		!strings.Contains(outs["into"], "refused: system") {
		t.Errorf("load into a container:\n%s", outs["into"])
	}
	if !strings.Contains(outs["into log"], "hello from a module") {
		t.Errorf("the container's log %q lacks hello's line", outs["into log"])
	}
	for k, want := range map[string]string{"into wrong digest": "the image pins package", "into service": "crosses the container boundary",
		"into no grant": "", "into reader": "does not allow", "into unlisted": "not listed"} {
		if errs[k] == nil || !strings.Contains(errs[k].Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", k, errs[k], want)
		}
	}
	if !strings.Contains(outs["audit"], "into a container, its pid 1") {
		t.Errorf("the audit log lacks the load into the container:\n%s", outs["audit"])
	}
	if !strings.Contains(outs["load hello again"], "from the kernel's image cache") {
		t.Errorf("second load of hello:\n%s", outs["load hello again"])
	}
	if !strings.Contains(outs["update good"], "state handed over") {
		t.Errorf("update: %s", outs["update good"])
	}
	if !strings.Contains(outs["audit"], "verify with the vault's key") || !strings.Contains(outs["audit"], "rollback") {
		t.Errorf("audit:\n%s", outs["audit"])
	}
	if !strings.Contains(m.Console.String(), "hello from a module") {
		t.Errorf("hello's console line is missing:\n%s", m.Console.String())
	}
	if len(replies) != 600 {
		t.Fatalf("client: %d replies\nmanager log:\n%s", len(replies), trace)
	}
	switched := 0
	for i, r := range replies {
		if r[0] != uint64(i) {
			t.Fatalf("call %d answered count %d by version %d (lost, repeated, or state not handed over)\n%s", i, r[0], r[1], trace)
		}
		if r[1] == 2 && switched == 0 {
			switched = i
		}
		if r[1] != 1 && r[1] != 2 || switched != 0 && r[1] != 2 {
			t.Fatalf("call %d answered by version %d after the switch at %d", i, r[1], switched)
		}
	}
	if switched < 200 {
		t.Errorf("version 2 answered from call %d, before its update", switched)
	}
	live := 0
	for _, task := range m.Tasks() {
		if task.Name() == "counter" && task.State() == kernel.TaskLive {
			live++
		}
	}
	if live != 1 {
		t.Errorf("%d counter versions live after the updates, want 1", live)
	}
	t.Logf("modules:\n%s\nservices:\n%s\naudit:\n%s\nupdate: %s", outs["modules"], outs["services"], outs["audit"], outs["update good"])
}

// intoContainer loads hello into a new container through the container's System
// object (LabelLoadInto) and waits for it to end; refusals (a digest the index does not
// list for the version, an unlisted version, a service module, a capability without
// Grant or without the administrator badge) start nothing in the container.
func intoContainer(t *testing.T, e *user.Env, slots *user.Slots, w *world, admin, ep abi.CPtr, outs map[string]string, errs map[string]error, mu *sync.Mutex) {
	const cs = abi.InitSlotCSpace
	ctr, _ := slots.Take()
	sys, _ := slots.Take()
	note, _ := slots.Take()
	grant, _ := slots.Take()
	readerGrant, _ := slots.Take()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.CreateContainer(abi.InitSlotSystem, "img", abi.ContainerLimits{Memory: 8 << 20, MaxTasks: 4, Priority: 100}, ctr)
	must(err)
	must(e.ContainerSystem(ctr, abi.RightRead|abi.RightWrite, cs, sys))
	must(e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, cs, note, 1))
	must(e.Mint(cs, grant, cs, ep, abi.RightWrite|abi.RightGrant, BadgeAdmin))
	must(e.Mint(cs, readerGrant, cs, ep, abi.RightWrite|abi.RightGrant, 2))
	hello := pqc.Sum512(w.store["hello 1.0.0"])
	counter := pqc.Sum512(w.store["counter 2.0.0"])
	set := func(k string, out string, err error) {
		mu.Lock()
		outs[k], errs[k] = out, err
		mu.Unlock()
	}
	_, _, err = LoadInto(e, grant, sys, 0, "hello", version("1.0.0"), counter[:])
	set("into wrong digest", "", err)
	_, _, err = LoadInto(e, grant, sys, 0, "hello", version("1.0.1"), hello[:])
	set("into unlisted", "", err)
	_, _, err = LoadInto(e, grant, sys, 0, "counter", version("2.0.0"), counter[:])
	set("into service", "", err)
	_, _, err = LoadInto(e, admin, sys, 0, "hello", version("1.0.0"), hello[:])
	set("into no grant", "", err)
	_, _, err = LoadInto(e, readerGrant, sys, 0, "hello", version("1.0.0"), hello[:])
	set("into reader", "", err)
	if ts, _ := e.ContainerTasks(ctr); len(ts) != 0 {
		t.Errorf("refused loads left tasks in the container: %+v", ts)
	}
	out, pid, err := LoadInto(e, grant, sys, note, "hello", version("1.0.0"), hello[:])
	set("into", out, err)
	if err != nil {
		return
	}
	if pid != 1 {
		t.Errorf("hello's pid in the container is %d, want 1", pid)
	}
	if _, err := e.Wait(note); err != nil {
		t.Errorf("waiting for hello's end: %v", err)
	}
	b := make([]byte, 256)
	n, _, _, err := e.ContainerLog(ctr, 0, b)
	set("into log", string(b[:n]), err)
	must(e.DestroyContainer(ctr))
}
