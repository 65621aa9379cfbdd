package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/repo"
	"github.com/skyscope-os/skyscope/pqc"
)

func skyctl(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String() + errb.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out := skyctl(t, args...)
	if code != 0 {
		t.Fatalf("skyctl %s: status %d\n%s", strings.Join(args, " "), code, out)
	}
	return out
}

// TestScriptedForms runs the forms scripts rely on: key gen, pkg pack, pkg verify, pkg
// inspect, repo add and repo index, and the failures they must report.
func TestScriptedForms(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "hello")
	os.WriteFile(bin, bytes.Repeat([]byte("a static Go program, or close enough 0123456789\n"), 500), 0o755)
	mustRun(t, "key gen", "-o", filepath.Join(dir, "dev"))
	mustRun(t, "key", "gen", "-o", filepath.Join(dir, "other"))
	if fi, err := os.Stat(filepath.Join(dir, "dev.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("dev.key: %v %v", fi.Mode(), err)
	}
	pkg := filepath.Join(dir, "hello.skypkg")
	out := mustRun(t, "pkg", "pack", "--key", filepath.Join(dir, "dev.key"), "--name", "hello", "--version", "1.2.0",
		"--caps", "console", "--memory", "32M", "--cpu", "10ms/100ms", "-o", pkg, bin)
	if !strings.Contains(out, "hello 1.2.0") {
		t.Errorf("pack: %s", out)
	}
	if out := mustRun(t, "pkg", "verify", "--pub", filepath.Join(dir, "dev.pub"), pkg); !strings.Contains(out, "OK: hello 1.2.0") {
		t.Errorf("verify: %s", out)
	}
	if out := mustRun(t, "pkg", "inspect", pkg); !strings.Contains(out, "version   1.2.0") || !strings.Contains(out, "cpu       10ms per 100ms") {
		t.Errorf("inspect: %s", out)
	}

	// Failures: exit status 1 and the failing check named.
	other, _ := pqc.LoadPublicKey(filepath.Join(dir, "dev.pub"))
	code, out := skyctl(t, "pkg", "verify", "--pub", filepath.Join(dir, "other.pub"), pkg)
	if code != 1 || !strings.Contains(out, "not in the trust root") || !strings.Contains(out, other.ID().Short()) {
		t.Errorf("verify with the wrong key: %d %s", code, out)
	}
	b, _ := os.ReadFile(pkg)
	b[len(b)-100] ^= 1
	bad := filepath.Join(dir, "bad.skypkg")
	os.WriteFile(bad, b, 0o644)
	if code, out := skyctl(t, "pkg", "verify", "--pub", filepath.Join(dir, "dev.pub"), bad); code != 1 || !strings.Contains(out, "package signature does not verify with key") {
		t.Errorf("verify tampered: %d %s", code, out)
	}
	os.Chmod(filepath.Join(dir, "dev.key"), 0o644)
	if code, out := skyctl(t, "pkg", "pack", "--key", filepath.Join(dir, "dev.key"), "--name", "x", "--version", "1.0.0", "-o", bad, bin); code != 1 || !strings.Contains(out, "chmod 600") {
		t.Errorf("pack with a readable key: %d %s", code, out)
	}
	os.Chmod(filepath.Join(dir, "dev.key"), 0o600)
	if code, _ := skyctl(t, "pkg", "pack", "--name", "x"); code != 2 {
		t.Errorf("usage error: status %d", code)
	}
	if code, out := skyctl(t, "pkg", "pack", "--help"); code != 0 || !strings.Contains(out, "-version") {
		t.Errorf("--help: %d %s", code, out)
	}
	if code, _ := skyctl(t, "frob", "nicate"); code != 2 {
		t.Errorf("unknown command: status %d", code)
	}

	// A repository: add, index, and a client that trusts the key accepts the package.
	rdir := filepath.Join(dir, "repo")
	mustRun(t, "repo", "add", "--repo", rdir, pkg)
	if out := mustRun(t, "repo", "index", "--repo", rdir, "--key", filepath.Join(dir, "dev.key")); !strings.Contains(out, "serial 1, 1 packages") {
		t.Errorf("index: %s", out)
	}
	if out := mustRun(t, "repo", "index", "--repo", rdir, "--key", filepath.Join(dir, "dev.key")); !strings.Contains(out, "serial 2") {
		t.Errorf("second index: %s", out)
	}
	c := repo.NewClient(modpkg.NewTrustRoot(other))
	c.Now = func() time.Time { return time.Now() }
	idx, _ := os.ReadFile(filepath.Join(rdir, "index.skyidx"))
	if _, err := c.LoadIndex(idx); err != nil {
		t.Fatal(err)
	}
	p, _ := os.ReadFile(filepath.Join(rdir, "hello-1.2.0.skypkg"))
	if _, err := c.VerifyPackage(p); err != nil {
		t.Fatal(err)
	}
}
