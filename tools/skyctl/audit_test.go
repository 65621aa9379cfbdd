package main

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/pipeline/audit"
	"github.com/skyscope-os/skyscope/pqc"
)

// TestAuditVerify writes a log with pipeline/audit, verifies it with skyctl audit
// verify, then tampers with it and expects status 1 and the failing record named.
func TestAuditVerify(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "key", "gen", "-o", filepath.Join(dir, "audit"))
	mustRun(t, "key", "gen", "-o", filepath.Join(dir, "other"))
	key, err := pqc.LoadPrivateKey(filepath.Join(dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	pub, other := filepath.Join(dir, "audit.pub"), filepath.Join(dir, "other.pub")

	l, err := audit.NewLog(key, 4, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range []struct {
		kind            audit.Kind
		subject, detail string
	}{
		{audit.KindLoad, "hello", ""}, {audit.KindLoad, "shell", ""}, {audit.KindRefuse, "evil", "package signature does not verify"},
		{audit.KindUpdateStart, "hello", ""}, {audit.KindUpdateCommit, "hello", ""}, {audit.KindRollback, "shell", "init failed"},
		{audit.KindKeyUse, "dev", "signed index serial 7"},
	} {
		if _, err := l.Append(e.kind, e.subject, "1.0."+string(rune('0'+i)), e.detail); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Seal(); err != nil {
		t.Fatal(err)
	}
	logBytes := l.Bytes() // records 0-3 events, 4 seal, 5-7 events, 8 seal
	logFile := filepath.Join(dir, "pipeline.audit")
	if err := os.WriteFile(logFile, logBytes, 0o644); err != nil {
		t.Fatal(err)
	}

	out := mustRun(t, "audit", "verify", "--pub", other, "--pub", pub, "--strict", logFile)
	for _, want := range []string{"OK: 9 records (7 events, 2 seals); every record is sealed", "signer    " + key.ID().String(),
		"time      ", "kinds     load 2, refuse 1, update-start 1, update-commit 1, rollback 1, key-use 1, seal 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("audit verify output lacks %q:\n%s", want, out)
		}
	}

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Offsets of the records' length prefixes.
	var offs []int
	for off := audit.HeaderSize; off < len(logBytes); off += 4 + int(binary.BigEndian.Uint32(logBytes[off:])) {
		offs = append(offs, off)
	}

	// One byte of record 6's detail changed ("init failed" → "Init failed"): record 7 no
	// longer links to it.
	tampered := append([]byte(nil), logBytes...)
	i := bytes.Index(tampered, []byte("init failed"))
	if i < offs[6] || i > offs[7] {
		t.Fatalf("record 6's detail is at %d, not between %d and %d", i, offs[6], offs[7])
	}
	tampered[i] ^= 0x20
	code, out := skyctl(t, "audit", "verify", "--pub", pub, write("tampered.audit", tampered))
	if code != 1 || !strings.Contains(out, "record 7: previous-record digest does not match (record 6 was altered or removed)") {
		t.Errorf("tampered log: status %d\n%s", code, out)
	}
	// The last seal dropped: a warning, or with --strict a failure naming the first unsealed record.
	cut := write("cut.audit", logBytes[:offs[8]])
	if out := mustRun(t, "audit", "verify", "--pub", pub, cut); !strings.Contains(out, "warning: unsealed tail: 3 records after the last seal (record 4)") {
		t.Errorf("unsealed tail without --strict:\n%s", out)
	}
	if code, out := skyctl(t, "audit", "verify", "--pub", pub, "--strict", cut); code != 1 || !strings.Contains(out, "record 5: unsealed tail") {
		t.Errorf("unsealed tail with --strict: status %d\n%s", code, out)
	}
	// Cut mid-record.
	if code, out := skyctl(t, "audit", "verify", "--pub", pub, write("short.audit", logBytes[:offs[3]+10])); code != 1 ||
		!strings.Contains(out, "record 3: log truncated mid-record") {
		t.Errorf("truncated log: status %d\n%s", code, out)
	}
	// Sealed by a key the verifier does not trust.
	if code, out := skyctl(t, "audit", "verify", "--pub", other, logFile); code != 1 ||
		!strings.Contains(out, "seal at record 4 is signed by key "+key.ID().Short()) {
		t.Errorf("untrusted signer: status %d\n%s", code, out)
	}
	// Usage errors: status 2.
	if code, _ := skyctl(t, "audit", "verify", logFile); code != 2 {
		t.Errorf("no --pub: status %d", code)
	}
	if code, out := skyctl(t, "audit", "verify", "--help"); code != 0 || !strings.Contains(out, "-strict") {
		t.Errorf("--help: status %d\n%s", code, out)
	}
}
