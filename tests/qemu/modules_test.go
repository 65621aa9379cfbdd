package qemu_test

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/pipeline/audit"
	"github.com/skyscope-os/skyscope/pqc"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/tools/qemu"
)

// TestModules drives the module pipeline on the machine from the shell: the first
// module command starts the module manager, which starts the key vault, the
// compression service and the service registry as tasks of their own. A service module is loaded (verified,
// decompressed by the compression service, started from the kernel's image cache), a
// client calls it without pause, an update to a version whose self-test fails is
// rolled back with the old version serving, the update to a good version hands the
// count over, and the client finds no call lost or repeated across both. An update to
// an older version is refused. A second load of a module comes from the kernel's
// image cache without decompressing or verifying again, and the capability the policy
// does not allow is refused. The audit log verifies with the vault's key, in the
// guest and, saved to the disk (`audit save /`), on the host as `skyctl audit verify`
// checks it.
func TestModules(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	s := &script{in: pw, commands: []string{
		"load counter 1.0.0",
		"load counter-client",
		"update counter 2.1.0",
		"update counter 2.0.0",
		"update counter 1.0.0",
		"services",
		"load hello",
		"load hello",
		"run hello -sleep 20s", // the client's last 2,000 calls
		"audit",
		"audit save /",
		"modules",
		"shutdown",
	}}
	res := boot(t, qemu.Options{Input: pr, Output: s, Timeout: 4 * time.Minute, Disk: img})
	pw.Close()
	con := strings.ReplaceAll(res.Console, "\r", "")
	if res.Status != 0 {
		t.Errorf("exit status %d, want 0 (shutdown)", res.Status)
	}
	for _, want := range []string{
		"started the module manager as task 3",
		"modmgr: started vault as task 4",
		"modmgr: started compressd as task 5",
		"modmgr: started registry as task 6",
		"registry: service counter registered: task 7 serves",
		"loaded counter 1.0.0 as task 7 (verified and decompressed by the compression service",
		"endowed: svc-counter (-W--)",
		"counter-client: call 0 answered by version 1",
		"update counter 1.0.0 → 2.1.0: rolled back: the new version's self-test failed; counter 1.0.0 (task 7) serves",
		"updated counter 1.0.0 → 2.0.0: task ",
		", state handed over",
		"rollback refused: counter 1.0.0 is older than the installed 2.0.0",
		"refused by the policy: system",
		"(from the kernel's image cache, ",
		"hash chain and seals verify with the vault's key",
		"rollback      counter 2.1.0 rolled back: the new version's self-test failed",
		"update-commit counter 2.0.0 from 1.0.0",
		"powering off",
	} {
		if !strings.Contains(con, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if !regexp.MustCompile(`\ncounter\s+2\.0\.0\s+\d+\s+Serving\n`).MatchString(con) {
		t.Errorf("services does not show counter 2.0.0 serving")
	}
	client := regexp.MustCompile(`counter-client: (\d+) calls in [^,]+, none lost or repeated; versions \[1 2\]`).FindString(con)
	if client == "" {
		t.Errorf("the client did not finish with every call answered across the updates")
	}
	cold := regexp.MustCompile(`mean load: cold ([^,]+), cached (\S+)`).FindStringSubmatch(con)
	if cold == nil {
		t.Errorf("modules shows no cold and cached load times")
	} else {
		c, err1 := time.ParseDuration(cold[1])
		h, err2 := time.ParseDuration(cold[2])
		if err1 != nil || err2 != nil || c < 10*h {
			t.Errorf("cold load %s, cached %s: want the cached one at least 10× faster", cold[1], cold[2])
		}
		t.Logf("module load on the machine: cold %s, cached %s; %s", cold[1], cold[2], client)
	}
	// The saved log verifies on the host with the vault's key, as skyctl audit verify
	// checks it: every seal by that key, the whole log sealed.
	dev, err := block.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	f, err := skyfs.Mount(dev, skyfs.Options{})
	if err != nil {
		t.Fatalf("the disk after audit save: %v", err)
	}
	read := func(path string) []byte {
		r, err := f.Open(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer r.Close()
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key, err := pqc.DecodePublicKeyFile(read("/audit-key.pub"))
	if err != nil {
		t.Fatalf("the vault's key file: %v", err)
	}
	rep, err := audit.Verify(read("/audit.log"), audit.NewTrustRoot(key), audit.Strict())
	if err != nil || rep.Records < 8 || rep.Kinds[audit.KindRollback] != 1 || rep.Kinds[audit.KindUpdateCommit] != 1 {
		t.Errorf("the saved audit log: %v; %+v", err, rep)
	}
	if t.Failed() {
		t.Logf("console:\n%s", con)
	}
}
