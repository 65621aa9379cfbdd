package runtime_test

import (
	"errors"
	mathrand "math/rand/v2"
	"testing"

	"fmt"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/runtime"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

func key(t *testing.T) *pqc.PrivateKey {
	var s [32]byte
	s[0] = 7
	k, err := pqc.GenerateKey(mathrand.NewChaCha8(s))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func desc(name, parent string, mem uint64, tasks uint32) *descriptor.Descriptor {
	d := &descriptor.Descriptor{
		Format: descriptor.FormatVersion, Name: name, Parent: parent,
		Image: []descriptor.ModuleRef{{Module: "init", Version: modpkg.Version{Patch: 1}, Digest: make([]byte, 64)}},
		Entry: []string{"init"},
		Limits: descriptor.Limits{Memory: mem, MaxTasks: tasks, CPUPriority: 100, CPUBudget: 20_000_000, CPUPeriod: 100_000_000,
			OOM: descriptor.OOMKillLargestTask},
		Namespaces: descriptor.Namespaces{SharedPID: parent != ""},
	}
	if parent != "" {
		d.Limits.CPUBudget = 5_000_000
	}
	return d
}

func verified(t *testing.T, k *pqc.PrivateKey, d *descriptor.Descriptor) *descriptor.Verified {
	t.Helper()
	b, err := descriptor.Sign(k, d)
	if err != nil {
		t.Fatal(err)
	}
	v, err := descriptor.Verify(b, map[pqc.KeyID]*pqc.PublicKey{k.ID(): k.Public()})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCreateFromDescriptor: a verified descriptor becomes a kernel container with its
// limits; a nested one must name its parent and fit in it; a long name is cut.
func TestCreateFromDescriptor(t *testing.T) {
	m, err := usersim.Boot(usersim.Config{Init: func(*user.Env) {}, Kernel: kernel.Config{Quiet: true}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	k := key(t)
	tenant, err := runtime.Create(m.Kernel, m.RootContainer(), verified(t, k, desc("tenant-with-a-long-name", "", 8<<20, 16)))
	if err != nil {
		t.Fatal(err)
	}
	want := abi.ContainerLimits{Memory: 8 << 20, MaxTasks: 16, CPUBudget: 20_000_000, CPUPeriod: 100_000_000, Priority: 100,
		OOM: abi.OOMKillLargestTask}
	if tenant.Limits() != want || tenant.Name() != "tenant-with-a-lo" {
		t.Errorf("tenant: %q %+v", tenant.Name(), tenant.Limits())
	}
	web, err := runtime.Create(m.Kernel, tenant, verified(t, k, desc("web", "tenant-with-a-long-name", 2<<20, 4)))
	if err != nil {
		t.Fatal(err)
	}
	if web.Parent() != tenant || web.Limits().Flags != abi.ContainerSharedPID || web.Limits().CPUBudget != 5_000_000 {
		t.Errorf("web: %+v", web.Limits())
	}
	if _, err := runtime.Create(m.Kernel, tenant, verified(t, k, desc("db", "", 1<<20, 2))); !errors.Is(err, runtime.ErrParent) {
		t.Errorf("a top-level descriptor nested in tenant: %v", err)
	}
	if _, err := runtime.Create(m.Kernel, m.RootContainer(), verified(t, k, desc("db", "web", 1<<20, 2))); !errors.Is(err, runtime.ErrParent) {
		t.Errorf("a nested descriptor at the top: %v", err)
	}
	_, err = runtime.Create(m.Kernel, tenant, verified(t, k, desc("big", "tenant-with-a-long-name", 16<<20, 2)))
	if kernel.ErrnoOf(err, 0) != abi.ErrNoMemory {
		t.Errorf("a descriptor bigger than its parent: %v", err)
	}

	// User and group ids: a top-level mapping is set; a nested one the kernel refuses
	// (its parent maps nothing) leaves nothing made.
	users := desc("users", "", 1<<20, 2)
	users.Namespaces.Users = []descriptor.UIDMap{{Inside: 0, Outside: 100000, Count: 65536}}
	users.Namespaces.Groups = []descriptor.UIDMap{{Inside: 0, Outside: 200000, Count: 10}}
	cu, err := runtime.Create(m.Kernel, m.RootContainer(), verified(t, k, users))
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := cu.OutsideID(abi.IDUser, 5); u != 100005 || len(cu.IDMaps(abi.IDGroup)) != 1 {
		t.Errorf("users: uid 5 is the machine's %d; gid mapping %v", u, cu.IDMaps(abi.IDGroup))
	}
	nested := desc("nested", "tenant-with-a-long-name", 1<<20, 2)
	nested.Namespaces.Users = []descriptor.UIDMap{{Inside: 0, Outside: 5, Count: 1}}
	before := len(m.Containers())
	if _, err := runtime.Create(m.Kernel, tenant, verified(t, k, nested)); kernel.ErrnoOf(err, 0) != abi.ErrRange || len(m.Containers()) != before {
		t.Errorf("ids the parent does not map: %v; %d containers, were %d", err, len(m.Containers()), before)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestLinkFromDescriptors: a link is made only when both descriptors ask for it, with
// Grant only if both allow it.
func TestLinkFromDescriptors(t *testing.T) {
	m, err := usersim.Boot(usersim.Config{Init: func(*user.Env) {}, Kernel: kernel.Config{Quiet: true}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	k := key(t)
	web, db, other := desc("web", "", 1<<20, 2), desc("db", "", 1<<20, 2), desc("other", "", 1<<20, 2)
	web.Links = []descriptor.Link{{Peer: "db", Service: "db.sql", Rights: abi.RightRead | abi.RightWrite | abi.RightGrant, AllowGrant: true}}
	db.Links = []descriptor.Link{{Peer: "web", Service: "db.sql", Rights: abi.RightRead | abi.RightWrite}}
	vw, vd, vo := verified(t, k, web), verified(t, k, db), verified(t, k, other)
	cw, err := runtime.Create(m.Kernel, m.RootContainer(), vw)
	if err != nil {
		t.Fatal(err)
	}
	cd, err := runtime.Create(m.Kernel, m.RootContainer(), vd)
	if err != nil {
		t.Fatal(err)
	}
	co, err := runtime.Create(m.Kernel, m.RootContainer(), vo)
	if err != nil {
		t.Fatal(err)
	}
	space := m.Tasks()[0].CSpace() // init's: somewhere to put the ends
	l, err := runtime.Link(m.Kernel, cw, cd, vw, vd, "db.sql", space.At(100), space.At(101))
	if err != nil {
		t.Fatal(err)
	}
	if space.At(100).Rights() != abi.RightWrite || space.At(101).Rights() != abi.RightRead {
		t.Errorf("ends %v %v: Grant needs both sides", space.At(100).Rights(), space.At(101).Rights())
	}
	for _, c := range []struct {
		what    string
		a, b    *kernel.Container
		va, vb  *descriptor.Verified
		service string
	}{
		{"a service not asked for", cw, cd, vw, vd, "db.other"},
		{"a peer that offers nothing", cw, co, vw, vo, "db.sql"},
	} {
		if _, err := runtime.Link(m.Kernel, c.a, c.b, c.va, c.vb, c.service, space.At(102), space.At(103)); !errors.Is(err, runtime.ErrLinkNotAllowed) {
			t.Errorf("%s: %v", c.what, err)
		}
		if !space.At(102).Empty() || !space.At(103).Empty() {
			t.Errorf("%s: a refused link placed an end", c.what)
		}
	}
	if err := m.RevokeLink(cd, l.ID()); err != nil || !space.At(100).Empty() || !space.At(101).Empty() {
		t.Errorf("revoke: %v", err)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestDeviceNames: a descriptor's device names put the devices they describe on the
// container's allow-list (by PCI ids, PCI address or kind); a name that matches no
// device, or a device the parent lacks, refuses the descriptor and makes nothing.
func TestDeviceNames(t *testing.T) {
	devs := []hal.Device{
		{Bus: 0, Slot: 2, Vendor: 0x8086, ID: 0x10d3, Class: 0x02},
		{Bus: 0, Slot: 3, Vendor: 0x1af4, ID: 0x1042, Class: 0x01, Subclass: 0x00},
		{Bus: 0, Slot: 4, Vendor: 0x1af4, ID: 0x1042, Class: 0x01},
		{Bus: 0, Slot: 0x1f, Func: 2, Vendor: 0x8086, ID: 0x2922, Class: 0x01, Subclass: 0x06, ProgIF: 0x01},
	}
	for _, c := range []struct {
		name string
		want []int
	}{{"e1000e", []int{0}}, {"virtio-blk", []int{1, 2}}, {"1af4:1042", []int{1, 2}}, {"00:1f.2", []int{3}},
		{"ahci", []int{3}}, {"00:04.0", []int{2}}} {
		got, err := runtime.MatchDevices(devs, c.name)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: %v %v, want %v", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{"virtio-net", "nvme", "1234:5678", "00:09.0", "blk", "1af4:10420", "0:1f.2", "00:1f.9"} {
		if got, err := runtime.MatchDevices(devs, bad); err == nil {
			t.Errorf("%s matched %v", bad, got)
		}
	}
	m, err := usersim.Boot(usersim.Config{Init: func(*user.Env) {}, Kernel: kernel.Config{Quiet: true}, Sim: sim.Config{Devices: devs}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	k := key(t)
	d := desc("disks", "", 4<<20, 4)
	d.Limits.Devices = []string{"virtio-blk", "e1000e"}
	c, err := runtime.Create(m.Kernel, m.RootContainer(), verified(t, k, d))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.AllowedDevices(); fmt.Sprint(got) != "[1 2 0]" {
		t.Errorf("allow-list %v, want [1 2 0]", got)
	}
	before := len(m.Containers())
	missing := desc("nic", "", 1<<20, 2)
	missing.Limits.Devices = []string{"virtio-net"}
	if _, err := runtime.Create(m.Kernel, m.RootContainer(), verified(t, k, missing)); err == nil || len(m.Containers()) != before {
		t.Errorf("a device this machine lacks: %v; %d containers, were %d", err, len(m.Containers()), before)
	}
	nested := desc("inner", "disks", 1<<20, 2)
	nested.Limits.Devices = []string{"ahci"} // the parent has no AHCI controller on its list
	if _, err := runtime.Create(m.Kernel, c, verified(t, k, nested)); kernel.ErrnoOf(err, 0) != abi.ErrNoRights || len(m.Containers()) != before {
		t.Errorf("a device the parent lacks: %v; %d containers, were %d", err, len(m.Containers()), before)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// TestIPCAllowList: a descriptor's namespaces.ipc becomes the kernel container's IPC
// allow-list; a descriptor listing none gets an empty list (it may register nothing).
func TestIPCAllowList(t *testing.T) {
	m, err := usersim.Boot(usersim.Config{Init: func(*user.Env) {}, Kernel: kernel.Config{Quiet: true}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	k := key(t)
	d := desc("web", "", 2<<20, 4)
	d.Namespaces.IPC = []string{"web.http", "web.admin"}
	c, err := runtime.Create(m.Kernel, m.RootContainer(), verified(t, k, d))
	if err != nil {
		t.Fatal(err)
	}
	if names, listed := c.AllowedNames(); !listed || fmt.Sprint(names) != "[web.http web.admin]" {
		t.Errorf("allow-list %v (listed %v), want [web.http web.admin]", names, listed)
	}
	quiet, err := runtime.Create(m.Kernel, m.RootContainer(), verified(t, k, desc("quiet", "", 2<<20, 4)))
	if err != nil {
		t.Fatal(err)
	}
	if names, listed := quiet.AllowedNames(); !listed || len(names) != 0 {
		t.Errorf("no names in the descriptor: allow-list %v (listed %v), want an empty list", names, listed)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
