package main

import (
	mathrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

// TestMain lets the test binary run as skysim itself, so tests can pipe scripts
// through the real command (standard input, flags, exit status).
func TestMain(m *testing.M) {
	if os.Getenv("SKYSIM_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// skysim runs skysim with script on standard input and returns its output and exit
// status.
func skysim(t *testing.T, script string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SKYSIM_TEST_MAIN=1")
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// TestScriptedContainers pipes a container scenario through skysim: a CPU hog held
// to 20%, hello run to its end, stats, a graceful stop; skysim exits 0 at the end of
// input.
func TestScriptedContainers(t *testing.T) {
	out, code := skysim(t, `# a scripted scenario
ctr run --cpu 20% spin
ctr run hello
ctr wait hello-2
ctr run --mem 2M memhog
ctr run pingpong
sleep 2s
ctr stats
ctr stop spin-1
sleep 2s
ctr ps
ctr rm spin-1 hello-2
ctr run nonesuch
bogus
`)
	if code != 0 {
		t.Errorf("exit status %d", code)
	}
	for _, want := range []string{
		"sky> ctr run --cpu 20% spin\n1 spin-1\n",
		"hello from Skyscope, inside a container\n",
		"hello-2: hello exited, status 0\n",
		"memhog: took ",
		"pingpong: 1000 round trips",
		"spin: asked to stop; exiting\n",
		"spin-1: removed\nhello-2: removed\n",
		"ctr: run: nonesuch: no such program in the boot bundle\n",
		"bogus: unknown command",
		"skysim: stopped at ",
		"(power off requested)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "# a scripted") || strings.Contains(out, "init:     Skyscope simulated machine") {
		t.Errorf("the script's comment was echoed or the demo ran")
	}
	mm := regexp.MustCompile(`(?m)^1 +spin-1 +([0-9.]+)% +20% `).FindStringSubmatch(out)
	if mm == nil {
		t.Errorf("stats shows no CPU share for spin-1")
	} else if pct, _ := strconv.ParseFloat(mm[1], 64); pct < 18 || pct > 21 {
		t.Errorf("spin used %.1f%% of the CPU over 2 s; its limit is 20%%", pct)
	}
	if !regexp.MustCompile(`(?m)^1 +spin-1 +spin +exited 0 `).MatchString(out) {
		t.Errorf("spin did not end after stop")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestScriptedLogs: ctr logs shows what a container's tasks wrote (which still went to
// the console); -f follows a container until it stops.
func TestScriptedLogs(t *testing.T) {
	out, code := skysim(t, `ctr run hello
ctr wait hello-1
ctr logs hello-1
ctr run spin
ctr stop -t 5s spin-2
ctr logs -f spin-2
ctr ps
ctr logs nonesuch
`)
	if code != 0 {
		t.Errorf("exit status %d", code)
	}
	for _, want := range []string{
		"sky> ctr logs hello-1\nhello from Skyscope, inside a container\nsky> ",
		// The console's line, then the log's.
		"sky> ctr logs -f spin-2\nspin: asked to stop; exiting\nspin: asked to stop; exiting\nsky> ctr ps",
		"ctr: logs: nonesuch: no such container",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^2 +spin-2 +spin +exited 0 `).MatchString(out) {
		t.Errorf("spin did not end after stop")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestScriptedIDMaps: ctr run --uidmap/--gidmap map a container's ids; inspect shows
// the mappings; a mapping that makes the container's root a machine user is refused
// and leaves no container.
func TestScriptedIDMaps(t *testing.T) {
	out, code := skysim(t, `ctr run --uidmap 0:100000:65536 --gidmap 0:100000:65536 --name mapped hello
ctr inspect mapped
ctr run --uidmap 0:1000:10 --name privileged hello
ctr run --name plain hello
ctr inspect plain
ctr ps
`)
	if code != 0 {
		t.Errorf("exit status %d", code)
	}
	for _, want := range []string{
		"uidmap    0:100000:65536\ngidmap    0:100000:65536\n",
		"ctr: run: --uidmap: argument out of range",
		"uidmap    none (its uids are nobody outside)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "privileged  hello") {
		t.Errorf("a refused mapping left a container")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestScriptedIOLimits: ctr run --io-bytes/--io-ops set a container's I/O rate
// limits, which inspect shows with what was charged.
func TestScriptedIOLimits(t *testing.T) {
	out, code := skysim(t, `ctr run --io-bytes 10M --io-ops 100 --name limited hello
ctr inspect limited
ctr run --name free hello
ctr inspect free
`)
	if code != 0 {
		t.Errorf("exit status %d", code)
	}
	for _, want := range []string{
		"io        limits 10M/s, 100 ops/s; charged 0B in 0 operations, delayed 0s\n",
		"io        limits unlimited, unlimited; charged 0B in 0 operations, delayed 0s\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestScriptEmptyAndDemo: an empty script powers off at once with status 0; --demo
// runs the demo whatever standard input is.
func TestScriptEmptyAndDemo(t *testing.T) {
	out, code := skysim(t, "")
	if code != 0 || !strings.Contains(out, "(power off requested)") || strings.Contains(out, "sky>") {
		t.Errorf("empty script: status %d\n%s", code, out)
	}
	out, code = skysim(t, "ctr ps\n", "--demo", "--quiet")
	if code != 0 || !strings.Contains(out, "every task reported done") || strings.Contains(out, "sky> ctr ps") {
		t.Errorf("--demo: status %d\n%s", code, out)
	}
}

// TestImageFlag: --image verifies a signed container image and its package and runs
// it in a container (the package's manifest names the demo program hello); a tampered
// package is refused with status 1 before any container exists.
func TestImageFlag(t *testing.T) {
	dir := t.TempDir()
	var seed [32]byte
	key, err := pqc.GenerateKey(mathrand.NewChaCha8(seed))
	if err != nil {
		t.Fatal(err)
	}
	if err := pqc.WriteKeyPair(dir, "dev", key); err != nil {
		t.Fatal(err)
	}
	pkg, err := modpkg.Pack(key, modpkg.Manifest{Name: "greeter", Version: modpkg.Version{Major: 1}, Entry: "hello", MemoryLimit: 1 << 20},
		[]byte("the binary of hello; the simulation runs its Go function"), compress.LevelFastest)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := image.Refs(pkg)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &descriptor.Descriptor{Format: descriptor.FormatVersion, Image: refs, Entry: []string{"greeter"},
		Limits: descriptor.Limits{Memory: 4 << 20, MaxTasks: 4, CPUPriority: 100}}
	signed, err := image.Build(key, "greeter", modpkg.Version{Major: 1}, tmpl, "")
	if err != nil {
		t.Fatal(err)
	}
	img, pkgPath := filepath.Join(dir, "greeter.skyimg"), filepath.Join(dir, "greeter-1.0.0"+image.PackageExt)
	os.WriteFile(img, signed, 0o644)
	os.WriteFile(pkgPath, pkg, 0o644)
	pub := filepath.Join(dir, "dev.pub")

	out, code := skysim(t, "sleep 100ms\n", "--image", img, "--pub", pub)
	if code != 0 || !strings.Contains(out, "greeter.skyimg verified; container 1 (greeter) started: hello\n") ||
		!strings.Contains(out, "hello from Skyscope, inside a container\n") {
		t.Errorf("status %d\n%s", code, out)
	}
	pkg[len(pkg)-5] ^= 1
	os.WriteFile(pkgPath, pkg, 0o644)
	out, code = skysim(t, "sleep 100ms\n", "--image", img, "--pub", pub)
	if code != 1 || !strings.Contains(out, "referenced package not found") || strings.Contains(out, "started") ||
		strings.Contains(out, "hello from") {
		t.Errorf("a tampered package: status %d\n%s", code, out)
	}
	if out, code := skysim(t, "", "--image", img); code != 1 || !strings.Contains(out, "needs at least one --pub") {
		t.Errorf("no key: status %d\n%s", code, out)
	}
}

// TestScriptedNetwork pipes the network demo through skysim: ctr run --net starts the
// NIC supervisor; two containers exchange UDP datagrams through it; a container
// without a vNIC reaches nothing; ctr stats shows the network columns.
func TestScriptedNetwork(t *testing.T) {
	out, code := skysim(t, `ctr run --mem 2M --net eth0 --allow 10.88.0.3/32 --name echo udpecho
ctr run --mem 2M --net eth0 --allow 10.88.0.2/32 --name ping udpping
sleep 100ms
ctr run --mem 2M --name nonet nethostile
sleep 100ms
ctr stats
`)
	if code != 0 {
		t.Fatalf("exit status %d:\n%s", code, out)
	}
	for _, want := range []string{"echo: eth0 10.88.0.2 fd88::2", "udpping: 100 sent, 100 echoed",
		"nethostile: no vNIC; 1 attempts, 0 breaches", "NET RX / TX"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
