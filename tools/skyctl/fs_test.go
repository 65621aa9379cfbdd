package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/vaultkeys"
)

// TestFsCommands makes an image, fills it, reads it back, lists it, checks
// it, damages it, and repairs it, through the command line.
func TestFsCommands(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	if out := mustRun(t, "fs", "mkfs", img, "8M"); !strings.Contains(out, "2048 blocks") {
		t.Errorf("mkfs: %s", out)
	}
	if fi, err := os.Stat(img); err != nil || fi.Size() != 8<<20 {
		t.Fatalf("image: %v %v", fi, err)
	}
	host := filepath.Join(dir, "hello.txt")
	data := bytes.Repeat([]byte("SKYAIFS says hello\n"), 5000)
	os.WriteFile(host, data, 0o644)
	mustRun(t, "fs", "put", img, host, "/hello.txt")
	if code, out := skyctl(t, "fs", "put", img, host, "/no/such/dir/x"); code != 1 || !strings.Contains(out, "no such file") {
		t.Errorf("put into a missing directory: %d %s", code, out)
	}
	if out := mustRun(t, "fs", "cat", img, "/hello.txt"); out != string(data) {
		t.Errorf("cat returned %d bytes, want %d", len(out), len(data))
	}
	out := mustRun(t, "fs", "ls", img, "/")
	if !strings.Contains(out, "-rw-r--r--") || !strings.Contains(out, "95000 ") || !strings.Contains(out, "hello.txt") {
		t.Errorf("ls: %s", out)
	}
	if code, out := skyctl(t, "fs", "cat", img, "/missing"); code != 1 || !strings.Contains(out, "no such file") {
		t.Errorf("cat missing: %d %s", code, out)
	}
	if out := mustRun(t, "fs", "fsck", img); !strings.Contains(out, "clean: 1 file, 1 directory") {
		t.Errorf("fsck: %s", out)
	}

	// Damage the root directory's bucket: fsck fails, --repair fixes, and
	// the file is still there.
	dev, err := block.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, block.Size)
	dev.ReadBlocks(0, b)
	sb, err := disk.DecodeSuperblock(b)
	if err != nil {
		t.Fatal(err)
	}
	dev.ReadBlocks(sb.DataStart, b)
	b[200] ^= 0x40
	dev.WriteBlocks(sb.DataStart, b)
	dev.Close()
	if code, out := skyctl(t, "fs", "fsck", img); code != 1 || !strings.Contains(out, "checksum") || !strings.Contains(out, "not clean") {
		t.Errorf("fsck of a damaged image: %d %s", code, out)
	}
	if code, out := skyctl(t, "fs", "fsck", "--repair", img); code != 1 || !strings.Contains(out, "repaired") {
		t.Errorf("fsck --repair: %d %s", code, out)
	}
	if out := mustRun(t, "fs", "fsck", img); !strings.Contains(out, "clean") {
		t.Errorf("fsck after repair: %s", out)
	}
	if out := mustRun(t, "fs", "ls", img, "/"); !strings.Contains(out, "lost+found.") {
		t.Errorf("the orphaned file should be in lost+found: %s", out)
	}

	// Usage errors and help.
	for _, cmd := range []string{"mkfs", "fsck", "ls", "cat", "put"} {
		if code, out := skyctl(t, "fs", cmd, "--help"); code != 0 || !strings.Contains(out, "Usage: skyctl fs "+cmd) {
			t.Errorf("fs %s --help: %d %s", cmd, code, out)
		}
		if code, _ := skyctl(t, "fs", cmd); code != 2 {
			t.Errorf("fs %s without arguments: status %d, want 2", cmd, code)
		}
	}
	if code, _ := skyctl(t, "fs", "mkfs", filepath.Join(dir, "x.img"), "12Q"); code != 2 {
		t.Errorf("bad size: status %d", code)
	}
	if code, out := skyctl(t, "fs", "mkfs", filepath.Join(dir, "x.img"), "64K"); code != 1 || !strings.Contains(out, "at least") {
		t.Errorf("tiny image: %d %s", code, out)
	}
	if code, out := skyctl(t, "fs", "fsck", host); code != 1 || !strings.Contains(out, "whole number of blocks") {
		t.Errorf("fsck of a non-image: %d %s", code, out)
	}
}

// TestFsEncrypt makes an encrypted directory with a key file, writes a file
// into it and reads it back; without the secret, or with another, the read
// fails and the plaintext is nowhere in the image.
func TestFsEncrypt(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	secret := filepath.Join(dir, "secret")
	other := filepath.Join(dir, "other")
	os.WriteFile(secret, []byte("0123456789abcdef-the-secret"), 0o600)
	os.WriteFile(other, []byte("0123456789abcdef-not-the-one"), 0o600)
	host := filepath.Join(dir, "plain.txt")
	data := bytes.Repeat([]byte("top secret line\n"), 1000)
	os.WriteFile(host, data, 0o644)
	mustRun(t, "fs", "mkfs", img, "8M")
	mustRun(t, "fs", "mkdir", img, "/vault")
	if code, out := skyctl(t, "fs", "encrypt", "--key-id", "k1", img, "/vault"); code != 2 || !strings.Contains(out, "--secret") {
		t.Errorf("encrypt without --secret: %d %s", code, out)
	}
	if out := mustRun(t, "fs", "encrypt", "--secret", secret, "--key-id", "k1", img, "/vault"); !strings.Contains(out, "encrypted") {
		t.Errorf("encrypt: %s", out)
	}
	mustRun(t, "fs", "put", "--secret", secret, img, host, "/vault/s.txt")
	if code, out := skyctl(t, "fs", "put", img, host, "/vault/t.txt"); code != 1 || !strings.Contains(out, "key") {
		t.Errorf("put without the secret: %d %s", code, out)
	}
	if out := mustRun(t, "fs", "cat", "--secret", secret, img, "/vault/s.txt"); out != string(data) {
		t.Errorf("cat returned %d bytes, want %d", len(out), len(data))
	}
	if code, out := skyctl(t, "fs", "cat", img, "/vault/s.txt"); code != 1 || !strings.Contains(out, "key") {
		t.Errorf("cat without the secret: %d %s", code, out)
	}
	if code, out := skyctl(t, "fs", "cat", "--secret", other, img, "/vault/s.txt"); code != 1 || !strings.Contains(out, "rejected") {
		t.Errorf("cat with another secret: %d %s", code, out)
	}
	raw, _ := os.ReadFile(img)
	if bytes.Contains(raw, []byte("top secret line")) {
		t.Error("plaintext found in the image")
	}
	if out := mustRun(t, "fs", "fsck", img); !strings.Contains(out, "clean") {
		t.Errorf("fsck: %s", out)
	}
}

// TestFsVaultSecret: --vault-secret opens what the running system encrypted with the
// storage vault's keys (here: a directory encrypted with vaultkeys.Offline, the keys
// the vault derives for skyaifsd); --secret with the same file derives other keys and
// is rejected; both at once is a usage error.
func TestFsVaultSecret(t *testing.T) {
	dir := t.TempDir()
	img := filepath.Join(dir, "disk.img")
	secret := filepath.Join(dir, "storage.secret")
	os.WriteFile(secret, bytes.Repeat([]byte{0x42}, 64), 0o600)
	host := filepath.Join(dir, "plain.txt")
	os.WriteFile(host, []byte("written by the machine\n"), 0o644)
	mustRun(t, "fs", "mkfs", img, "8M")
	mustRun(t, "fs", "mkdir", img, "/sealed")
	mustRun(t, "fs", "encrypt", "--vault-secret", secret, "--key-id", "notes", img, "/sealed")
	mustRun(t, "fs", "put", "--vault-secret", secret, img, host, "/sealed/k.txt")
	if out := mustRun(t, "fs", "cat", "--vault-secret", secret, img, "/sealed/k.txt"); out != "written by the machine\n" {
		t.Errorf("cat --vault-secret: %q", out)
	}
	if code, out := skyctl(t, "fs", "cat", "--secret", secret, img, "/sealed/k.txt"); code != 1 || !strings.Contains(out, "rejected") {
		t.Errorf("cat --secret with the vault's secret: %d %s", code, out)
	}
	if code, out := skyctl(t, "fs", "cat", "--secret", secret, "--vault-secret", secret, img, "/sealed/k.txt"); code != 2 || !strings.Contains(out, "not both") {
		t.Errorf("both flags: %d %s", code, out)
	}
	// The same keys as the vault task's: a directory encrypted offline opens with
	// vaultkeys.Offline directly.
	dev, err := block.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	f, err := skyfs.Mount(dev, skyfs.Options{Keys: vaultkeys.Offline{Secret: bytes.Repeat([]byte{0x42}, 64), Badge: vaultkeys.SkyaifsdBadge}})
	if err != nil {
		t.Fatal(err)
	}
	if b, err := f.ReadFile("/sealed/k.txt"); err != nil || string(b) != "written by the machine\n" {
		t.Errorf("Offline: %q %v", b, err)
	}
	f.Unmount()
	dev.Close()
}
