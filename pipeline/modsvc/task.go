package modsvc

import (
	"fmt"
	"time"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/pipeline/manager"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/registry"
)

// Task slots: what the manager task is started with (by init).
const (
	TaskSlotSystem   = abi.InitFirstFree     // the machine's System object
	TaskSlotEndpoint = abi.InitFirstFree + 1 // requests, receive only
)

// Setup is what the manager task's program supplies: where the repository is and
// what the system allows.
type Setup struct {
	Store  manager.Store
	Index  []byte
	Trust  *modpkg.TrustRoot
	Policy manager.Policy
	// Vault, Compress and Registry are the programs of the key vault, the compression
	// service and the service registry, which the manager starts as tasks of their own.
	Vault, Compress, Registry string
	// RegionVA is where the manager maps its shared regions
	// (MaxRegionPages+4 pages).
	RegionVA uint64
	// LoadMemory and ServiceMemory cap the budgets of the modules it starts (a
	// manifest may ask for less).
	LoadMemory, ServiceMemory uint64
	// VaultMemory, CompressMemory and RegistryMemory are the budgets of the key vault,
	// the compression service and the registry (whose budget holds the services' too).
	VaultMemory, CompressMemory, RegistryMemory uint64
	Now                                         func() time.Time
	Log                                         func(string)
}

// Start prepares the manager task: it makes its Reply object, starts the key vault and
// the compression service with receive-only capabilities to endpoints it makes, keeps
// a capability to the vault whose badge allows signing with key 0 only, and returns
// the server (then call Serve).
func Start(e *user.Env, st Setup) (*Server, error) {
	slots := &user.Slots{Next: abi.InitFirstFree + 2, Limit: 1 << 12}
	take := func() abi.CPtr {
		c, err := slots.Take()
		if err != nil {
			panic(err) // 4096 slots: not reached by this fixed set
		}
		return c
	}
	const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
	reply, vaultEP, vaultRecv, vaultUse, compEP, compRecv, compUse := take(), take(), take(), take(), take(), take(), take()
	regEP, regRecv, regUse := take(), take(), take()
	for _, o := range []struct {
		slot abi.CPtr
		typ  abi.ObjectType
	}{{reply, abi.ObjReply}, {vaultEP, abi.ObjEndpoint}, {compEP, abi.ObjEndpoint}, {regEP, abi.ObjEndpoint}} {
		if err := e.Retype(ut, o.typ, 0, cs, o.slot, 1); err != nil {
			return nil, fmt.Errorf("making the manager's objects: %w", err)
		}
	}
	if err := e.Copy(cs, vaultRecv, cs, vaultEP, abi.RightRead); err != nil {
		return nil, err
	}
	if err := e.Copy(cs, compRecv, cs, compEP, abi.RightRead); err != nil {
		return nil, err
	}
	// Badge bit 0: sign with the vault's key 0. Grant: the request carries a region.
	if err := e.Mint(cs, vaultUse, cs, vaultEP, abi.RightWrite|abi.RightGrant, 1); err != nil {
		return nil, err
	}
	if err := e.Mint(cs, compUse, cs, compEP, abi.RightWrite|abi.RightGrant, 1); err != nil {
		return nil, err
	}
	// The registry answers a registration with a capability to the service: its
	// receive capability needs GrantReply. The manager's is badged to update.
	if err := e.Copy(cs, regRecv, cs, regEP, abi.RightRead|abi.RightGrantReply); err != nil {
		return nil, err
	}
	if err := e.Mint(cs, regUse, cs, regEP, abi.RightWrite, registry.BadgeUpdater); err != nil {
		return nil, err
	}
	var helpers []uint64
	stop := func() { // a failed start leaves no helper behind
		for _, id := range helpers {
			e.Kill(TaskSlotSystem, id)
			e.TaskStatus(TaskSlotSystem, id)
		}
	}
	for _, p := range []struct {
		name string
		recv abi.CPtr
		mem  uint64
		sys  bool
	}{{st.Vault, vaultRecv, st.VaultMemory, false}, {st.Compress, compRecv, st.CompressMemory, false},
		{st.Registry, regRecv, st.RegistryMemory, true}} {
		grants := []abi.CPtr{p.recv}
		if p.sys { // the registry starts versions: System first, then its endpoint
			grants = []abi.CPtr{TaskSlotSystem, p.recv}
		}
		id, err := e.StartProgram(TaskSlotSystem, []string{p.name}, p.mem, 0, 0, grants...)
		if err != nil {
			stop()
			return nil, fmt.Errorf("starting %s: %w", p.name, err)
		}
		helpers = append(helpers, id)
		if st.Log != nil {
			st.Log(fmt.Sprintf("started %s as task %d", p.name, id))
		}
	}
	s, err := New(e, Config{System: TaskSlotSystem, Endpoint: TaskSlotEndpoint, Reply: reply, CSpace: cs,
		AS: abi.InitSlotAddressSpace, Untyped: ut, Slots: slots, RegionVA: st.RegionVA, Compress: compUse,
		Vault: vaultUse, VaultKey: 0, Store: st.Store, Index: st.Index, Trust: st.Trust, Policy: st.Policy,
		Registry: regUse, Now: st.Now, Log: st.Log, ConsoleFromSystem: true, LoadMemory: st.LoadMemory, ServiceMemory: st.ServiceMemory})
	if err != nil {
		stop()
		return nil, err
	}
	return s, nil
}

// ServeFailed answers every request on the manager's endpoint with why the manager
// could not start, so that a caller learns it instead of waiting for a receiver that
// never comes. It never returns.
func ServeFailed(e *user.Env, why error) {
	const reply = abi.InitFirstFree + 2
	e.Delete(abi.InitSlotCSpace, reply)
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, reply, 1); err != nil {
		return
	}
	msg := []byte("the module manager could not start: " + why.Error() + "\n")
	if len(msg) > user.MaxPayload {
		msg = msg[:user.MaxPayload]
	}
	e.Recv(TaskSlotEndpoint, reply)
	for {
		e.SetMR(0, StatusFailed)
		e.SetMR(1, uint64(len(msg)))
		e.SetMR(2, uint64(len(msg)))
		words := e.SetPayload(msg)
		e.ReplyRecv(TaskSlotEndpoint, reply, abi.NewMsgInfo(0, max(words, 3), 0))
	}
}
