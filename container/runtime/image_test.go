package runtime_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/container/runtime"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

const webdPC = 0x90_0000

// TestRunImage: a verified image becomes a container with the template's limits
// whose entry module runs inside it (pid 1 of its namespace); a tampered image or
// package, or an entry the loader cannot start, leaves no container behind.
func TestRunImage(t *testing.T) {
	runs := 0
	m, err := usersim.Boot(usersim.Config{Init: func(*user.Env) {}, Kernel: kernel.Config{Quiet: true},
		Programs: map[uint64]usersim.Program{webdPC: func(e *user.Env) { runs++ }}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	k := key(t)
	trust := map[pqc.KeyID]*pqc.PublicKey{k.ID(): k.Public()}
	pkg, err := modpkg.Pack(k, modpkg.Manifest{Name: "web", Version: modpkg.Version{Major: 1}, Entry: "webd", MemoryLimit: 1 << 20},
		bytes.Repeat([]byte("webd "), 100), compress.LevelFastest)
	if err != nil {
		t.Fatal(err)
	}
	store := image.MapStore{}
	store.Add(pkg)
	refs, err := image.Refs(pkg)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := desc("x", "", 4<<20, 8)
	tmpl.Image, tmpl.Entry = refs, []string{"web"}
	signed, err := image.Build(k, "web", modpkg.Version{Major: 1}, tmpl, "")
	if err != nil {
		t.Fatal(err)
	}
	loader := usersim.Loader{Entries: map[string]uint64{"webd": webdPC}}
	before := len(m.Containers())

	// Refused before any container exists.
	flipped := bytes.Clone(signed)
	flipped[len(flipped)-3] ^= 1
	badPkg := bytes.Clone(pkg)
	badPkg[len(badPkg)-3] ^= 1
	lying := image.MapStore{}
	for d := range store {
		lying[d] = badPkg // the right digest, the wrong bytes
	}
	for _, c := range []struct {
		what   string
		signed []byte
		store  image.Store
		loader kernel.Loader
		want   error
	}{
		{"a tampered image", flipped, store, loader, image.ErrSignature},
		{"a tampered package", signed, lying, loader, image.ErrPackageDigest},
		{"a package missing", signed, image.MapStore{}, loader, image.ErrMissingPackage},
		{"an entry the loader lacks", signed, store, usersim.Loader{}, nil},
	} {
		ctr, tasks, err := runtime.Run(m.Kernel, m.RootContainer(), c.signed, trust, c.store, c.loader)
		if err == nil || ctr != nil || tasks != nil || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: %v", c.what, err)
		}
		if n := len(m.Containers()); n != before {
			t.Errorf("%s: %d containers, want %d", c.what, n, before)
		}
	}
	m.Run(m.Now() + 10_000_000)
	if runs != 0 {
		t.Fatalf("a refused image's program ran")
	}

	ctr, tasks, err := runtime.Run(m.Kernel, m.RootContainer(), signed, trust, store, loader)
	if err != nil {
		t.Fatal(err)
	}
	want := abi.ContainerLimits{Memory: 4 << 20, MaxTasks: 8, CPUBudget: 20_000_000, CPUPeriod: 100_000_000, Priority: 100, OOM: abi.OOMKillLargestTask}
	if ctr.Name() != "web" || ctr.Limits() != want || len(tasks) != 1 || len(ctr.Tasks()) != 1 {
		t.Errorf("container %q %+v, %d tasks", ctr.Name(), ctr.Limits(), len(tasks))
	}
	m.Run(m.Now() + 10_000_000)
	if runs != 1 {
		t.Errorf("the entry module ran %d times", runs)
	}
	if err := m.DestroyContainer(ctr); err != nil {
		t.Fatal(err)
	}

	// Two entry modules, the second unknown to the loader: the first was started, and
	// goes with the container.
	pkg2, err := modpkg.Pack(k, modpkg.Manifest{Name: "tools", Version: modpkg.Version{Major: 1}, Entry: "nosuch", MemoryLimit: 1 << 20},
		[]byte("tools"), compress.LevelFastest)
	if err != nil {
		t.Fatal(err)
	}
	store.Add(pkg2)
	refs2, _ := image.Refs(pkg, pkg2)
	tmpl.Image, tmpl.Entry = refs2, []string{"web", "tools"}
	two, err := image.Build(k, "web", modpkg.Version{Major: 1}, tmpl, "")
	if err != nil {
		t.Fatal(err)
	}
	before = len(m.Containers())
	if c, _, err := runtime.Run(m.Kernel, m.RootContainer(), two, trust, store, loader); err == nil || c != nil ||
		!strings.Contains(err.Error(), "starting module tools (nosuch)") {
		t.Errorf("second entry missing: %v", err)
	}
	m.Run(m.Now() + 10_000_000)
	if n := len(m.Containers()); n != before || runs != 1 {
		t.Errorf("after a failed start: %d containers (want %d), entry ran %d times", n, before, runs)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}
