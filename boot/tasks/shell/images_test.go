package main

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/kernel/usersim/demo"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

// testImages are signed images over packages in memory; Load starts the module's
// program (its manifest's entry: a demo program) through the container's System
// object, as the module manager does from its image cache, and fails for a module
// named "broken".
type testImages struct {
	e      *user.Env
	trust  map[pqc.KeyID]*pqc.PublicKey
	store  image.MapStore
	images map[string][]byte
	loads  []string
}

func (t *testImages) Find(name string) ([]byte, string, error) {
	if b, ok := t.images[name]; ok {
		return b, "test:" + name, nil
	}
	return nil, "", fmt.Errorf("%w: %s", ctr.ErrNoImage, name)
}

func (t *testImages) Verify(signed []byte) (*image.Verified, error) {
	return image.Verify(signed, t.trust, t.store, compress.DefaultLimits)
}

func (t *testImages) Load(sys, notify abi.CPtr, ref descriptor.ModuleRef) (string, uint64, error) {
	if ref.Module == "broken" {
		return "", 0, errors.New("the module manager refused broken")
	}
	pid, err := t.e.StartProgram(sys, []string{ref.Module}, 0, 0, notify, abi.InitSlotConsole)
	if err != nil {
		return "", 0, err
	}
	t.loads = append(t.loads, ref.Module)
	return fmt.Sprintf("loaded %s %s into the container as pid %d\n", ref.Module, ref.Version, pid), pid, nil
}

// newTestImages signs: greeter (hello, the default template), limited (hello with a
// CPU share, 24M, 4 tasks, priority ≤ 60, uid and gid maps and IPC names), badload
// (hello, then broken), huge (2 GiB: more than the machine), tampered (greeter with
// a flipped signature byte) and foreign (signed by a key not trusted).
func newTestImages(t *testing.T) *testImages {
	key, err := pqc.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := pqc.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ti := &testImages{trust: map[pqc.KeyID]*pqc.PublicKey{key.ID(): key.Public()}, store: image.MapStore{}, images: map[string][]byte{}}
	pkgs := map[string][]byte{}
	for _, n := range []string{"hello", "broken"} {
		v, _ := modpkg.ParseVersion("1.0.0")
		p, err := modpkg.Pack(key, modpkg.Manifest{Name: n, Version: v, Entry: n, MemoryLimit: 4 << 20}, []byte("program "+n), compress.LevelDefault)
		if err != nil {
			t.Fatal(err)
		}
		ti.store.Add(p)
		pkgs[n] = p
	}
	build := func(k *pqc.PrivateKey, name string, l descriptor.Limits, ns descriptor.Namespaces, mods ...string) []byte {
		var ps [][]byte
		for _, m := range mods {
			ps = append(ps, pkgs[m])
		}
		refs, err := image.Refs(ps...)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := modpkg.ParseVersion("1.0.0")
		b, err := image.Build(k, name, v, &descriptor.Descriptor{Format: descriptor.FormatVersion, Name: name, Image: refs, Entry: mods,
			Namespaces: ns, Limits: l}, "test")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	def := descriptor.Limits{Memory: 16 << 20, MaxTasks: 8, CPUPriority: 100}
	ti.images["greeter"] = build(key, "greeter", def, descriptor.Namespaces{}, "hello")
	ti.images["limited"] = build(key, "limited", descriptor.Limits{Memory: 24 << 20, MaxTasks: 4, CPUPriority: 60, CPUBudget: 20e6, CPUPeriod: 100e6},
		descriptor.Namespaces{Users: []descriptor.UIDMap{{Inside: 0, Outside: 100000, Count: 65536}},
			Groups: []descriptor.UIDMap{{Inside: 0, Outside: 200000, Count: 10}}, IPC: []string{"limited-api"}}, "hello")
	ti.images["badload"] = build(key, "badload", def, descriptor.Namespaces{}, "hello", "broken")
	ti.images["huge"] = build(key, "huge", descriptor.Limits{Memory: 2 << 30, MaxTasks: 4, CPUPriority: 100}, descriptor.Namespaces{}, "hello")
	ti.images["foreign"] = build(other, "foreign", def, descriptor.Namespaces{}, "hello")
	tampered := append([]byte(nil), ti.images["greeter"]...)
	tampered[len(tampered)-9] ^= 1
	ti.images["tampered"] = tampered
	return ti
}

// imageSession runs command lines in a shell whose ctr has the test images.
func imageSession(t *testing.T, ti *testImages, lines ...string) string {
	t.Helper()
	var out bytes.Buffer
	programs := map[uint64]usersim.Program{}
	entries := demo.Install(programs, 0x100_0000)
	var m *usersim.Machine
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: programs,
		Init: func(e *user.Env) {
			if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, 20, 1); err != nil {
				t.Fatal(err)
			}
			ti.e = e
			s := &shell{e: e, sys: abi.InitSlotSystem, exit: 20, out: &out, console: abi.InitSlotConsole, images: ti,
				uptime: func() time.Duration { return time.Duration(m.Now()) }}
			for _, l := range lines {
				fmt.Fprintf(&out, "sky> %s\n", l)
				s.exec(l)
			}
			e.PowerOff(abi.InitSlotSystem, 0)
		}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: entries})
	if r := m.Run(60_000_000_000); r != kernel.StopPowerOff {
		t.Errorf("the machine stopped with %v", r)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestCtrRunImage: ctr run IMAGE makes the container a signed image's template
// describes — its limits, id maps and IPC allow-list — and loads its entry modules
// inside; flags may only tighten the template's limits; a bad signature, an untrusted
// signer, a loosening flag, a flag the template decides, arguments, a template asking
// more memory than the shell's container has, and a module that fails to load are
// refused and leave no container behind; a name with no image is a
// program; --image insists on an image.
func TestCtrRunImage(t *testing.T) {
	ti := newTestImages(t)
	out := imageSession(t, ti,
		"ctr run greeter",
		"ctr wait greeter-1",
		"ctr run --mem 8M --cpu 10% --name tight limited",
		"ctr inspect tight",
		"ctr run --mem 64M limited",
		"ctr run --cpu 50% limited",
		"ctr run --uidmap 0:100000:1 limited",
		"ctr run limited -sleep 1s",
		"ctr run tampered",
		"ctr run foreign",
		"ctr run badload",
		"ctr run huge",
		"ctr run --image hello",
		"ctr run hello",
		"ctr run --wait --name fg greeter",
		"ctr run --wait --mem 4M --name fgprog hello",
		"ctr ps",
	)
	for _, want := range []string{
		"1 greeter-1\ngreeter-1: loaded hello 1.0.0 into the container as pid 1\n",
		"greeter-1: hello exited, status 0",
		"tight: loaded hello 1.0.0 into the container as pid 1",
		"signed    image limited 1.0.0, digest ",
		"modules   hello 1.0.0 (pid 1)",
		"limits    cpu 10% (10ms/100ms), priority ≤ 60, memory 8192K, tasks ≤ 4",
		"ipc allow limited-api",
		"uidmap    0:100000:65536",
		"gidmap    0:200000:10",
		"ctr: run: image limited allows --mem 24M --pids 4 --priority 60 --cpu 20% (20ms/100ms); ctr run may only tighten an image's limits, not loosen its memory",
		"not loosen its CPU share",
		"ctr: run: --uidmap: image limited's descriptor decides its devices, id maps, network and mounts",
		"ctr: run: image limited: an image's entry modules take no arguments",
		"ctr: run: image tampered (test:tampered) refused: container image signature does not verify",
		"ctr: run: image foreign (test:foreign) refused: image signing key not in the trust root",
		"ctr: run: image badload: module broken 1.0.0: the module manager refused broken",
		"ctr: run: container huge-",
		"not enough memory for that limit",
		"ctr: run: image hello: no such container image",
		"hello-",
		"fg: hello exited, status 0\nfg: created, started and ended in ",
		"fgprog: hello exited, status 0\nfgprog: created, started and ended in ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	ps := out[strings.LastIndex(out, "sky> ctr ps"):]
	for _, gone := range []string{"badload", "tampered", "foreign", "limited-", "huge"} {
		if strings.Contains(ps, gone) {
			t.Errorf("a refused run left container %s:\n%s", gone, ps)
		}
	}
	if n := strings.Count(ps, "\n") - 2; n != 5 {
		t.Errorf("ctr ps lists %d containers, want greeter-1, tight, the hello program's, fg and fgprog:\n%s", n, ps)
	}
	if strings.Join(ti.loads, ",") != "hello,hello,hello,hello" {
		t.Errorf("modules loaded: %v (badload's hello, then its undo, included)", ti.loads)
	}
}

// TestBundleImages: the shell's images on a file tree like the bundle's: a name with
// no file (or not a name) is ErrNoImage; an image verifies against root.pub with the
// repository's packages, and again from memory for the same bytes; a package changed
// on disk is verified anew and refused.
func TestBundleImages(t *testing.T) {
	dir := t.TempDir()
	oldImages, oldRepo := imagesDir, repositoryDir
	imagesDir, repositoryDir = filepath.Join(dir, "images"), filepath.Join(dir, "modules")
	defer func() { imagesDir, repositoryDir = oldImages, oldRepo }()
	os.MkdirAll(imagesDir, 0o755)
	os.MkdirAll(repositoryDir, 0o755)
	key, err := pqc.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := pqc.EncodePublicKeyFile(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(repositoryDir, "root.pub"), pub, 0o644)
	v, _ := modpkg.ParseVersion("1.0.0")
	pkg, err := modpkg.Pack(key, modpkg.Manifest{Name: "hello", Version: v, Entry: "hello", MemoryLimit: 4 << 20}, []byte("program hello"), compress.LevelDefault)
	if err != nil {
		t.Fatal(err)
	}
	pkgPath := filepath.Join(repositoryDir, "hello-1.0.0.skypkg")
	os.WriteFile(pkgPath, pkg, 0o644)
	refs, _ := image.Refs(pkg)
	signed, err := image.Build(key, "greeter", v, &descriptor.Descriptor{Format: descriptor.FormatVersion, Name: "greeter", Image: refs,
		Entry: []string{"hello"}, Limits: descriptor.Limits{Memory: 16 << 20, MaxTasks: 4, CPUPriority: 100}}, "")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(imagesDir, "greeter.skyimg"), signed, 0o644)

	b := &bundleImages{}
	for _, name := range []string{"nonesuch", "../modules/root", "a.b", ""} {
		if _, _, err := b.Find(name); !errors.Is(err, ctr.ErrNoImage) {
			t.Errorf("Find(%q): %v, want ErrNoImage", name, err)
		}
	}
	got, where, err := b.Find("greeter")
	if err != nil || !bytes.Equal(got, signed) || where != filepath.Join(imagesDir, "greeter.skyimg") {
		t.Fatalf("Find(greeter): %d bytes at %q, %v", len(got), where, err)
	}
	v1, err := b.Verify(signed)
	if err != nil {
		t.Fatal(err)
	}
	if v2, err := b.Verify(signed); err != nil || v2 != v1 {
		t.Errorf("the same bytes again: %p %v, want the remembered %p", v2, err, v1)
	}
	bad := append([]byte(nil), pkg...)
	bad[len(bad)-30] ^= 1
	os.WriteFile(pkgPath, bad, 0o644)
	if _, err := b.Verify(signed); !errors.Is(err, image.ErrPackageDigest) && !errors.Is(err, image.ErrMissingPackage) {
		t.Errorf("a tampered package: %v, want it refused", err)
	}
	os.Remove(pkgPath)
	if _, err := b.Verify(signed); !errors.Is(err, image.ErrMissingPackage) {
		t.Errorf("a missing package: %v, want ErrMissingPackage", err)
	}
	tampered := append([]byte(nil), signed...)
	tampered[len(tampered)-9] ^= 1
	os.WriteFile(pkgPath, pkg, 0o644)
	if _, err := b.Verify(tampered); !errors.Is(err, image.ErrSignature) {
		t.Errorf("a tampered image: %v, want ErrSignature", err)
	}
}
