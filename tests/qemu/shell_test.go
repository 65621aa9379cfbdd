package qemu_test

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/vaultkeys"
	"github.com/skyscope-os/skyscope/tools/qemu"
)

// script types one command at each shell prompt, in order, as a person at the serial
// console would; it records the console.
type script struct {
	mu       sync.Mutex
	seen     strings.Builder
	commands []string
	sent     int
	waits    int // waitFor entries passed
	in       *io.PipeWriter
}

const prompt = "sky> "

// waitFor, before a text in a script's commands, is not sent: the script waits until
// the console shows the text (output of a program running in the background), then
// goes on.
const waitFor = "\x00wait:"

func (s *script) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen.Write(p)
	for s.sent < len(s.commands) {
		cmd := s.commands[s.sent]
		if text, ok := strings.CutPrefix(cmd, waitFor); ok {
			if !strings.Contains(s.seen.String(), text) {
				break
			}
			s.sent++
			s.waits++
			continue
		}
		if strings.Count(s.seen.String(), prompt) > s.sent-s.waits {
			s.sent++
			go s.in.Write([]byte(cmd + "\r"))
		}
		break
	}
	return len(p), nil
}

// TestShell boots the system as make run does — the kernel starts init from the boot
// bundle, init starts the shell — and drives the shell at the sky> prompt: ps lists
// both tasks, a program runs and exits, a background one is listed and killed, caps
// shows the shell's capabilities, a crashing program ends alone with Go's panic trace,
// the line editor handles a backspace, two copies of a program share their code
// (mem), and shutdown powers the machine off.
func TestShell(t *testing.T) {
	pr, pw := io.Pipe()
	s := &script{in: pw, commands: []string{
		"ps",
		"devices",
		"peek 4 5 0x10", // q35's AHCI controller (00:1f.2): BAR5's version register (before any background program prints)
		"run hello -exit 3 one two",
		"run hello -sleep 1h &",
		"ps",
		"kill 4",
		"caps 2",
		"run hello -crash",
		"echo typo\x7f\x7fed",
		"run hello -sleep 1h &",
		"run hello -sleep 1h &",
		"mem",
		"modules",
		"ctr run --cpu 50% --mem 32M --pids 4 hello",
		"ctr wait hello-1",
		"ctr ps",
		"shutdown",
	}}
	res := boot(t, qemu.Options{Input: pr, Output: s, Timeout: 2 * time.Minute})
	pw.Close()
	con := strings.ReplaceAll(res.Console, "\r", "") // the serial console sends \n as \r\n
	if res.Status != 0 {
		t.Errorf("exit status %d, want 0 (shutdown)", res.Status)
	}
	for _, want := range []string{
		"Skyscope shell. Type help for the commands.",
		"sky> ps\n",
		"hello from task 3 (parent 2)",
		": one two\n",
		"[3] hello exited, status 3",
		"[4] hello",
		"kernel: task 4 (hello) killed",
		"task 4 killed",
		"System ", // the shell's System capability, in caps 2
		"panic: runtime error: invalid memory address or nil pointer dereference",
		"[signal SIGSEGV: segmentation violation",
		"[5] hello exited, status 2",
		"\ntyed\n",
		"memory ",
		"index serial 1, signed by the root key",
		"[6] hello",
		"[7] hello",
		" 0  00:00.0 8086:29c0 class 06.00.00",
		"hello from task 1 (parent 0)", // inside its container, hello is pid 1 of its own namespace
		"hello-1: hello exited, status 0",
		" 4  00:1f.2 8086:2922 class 01.06.01",
		"powering off",
		"kernel: power off requested by shell with status 0",
	} {
		if !strings.Contains(con, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	// peek reads AHCI 1.0 from the version register through an uncached mapping in
	// ring 3.
	if !strings.Contains(con, "sky> peek 4 5 0x10\n0x00010000\n") {
		t.Errorf("peek did not read AHCI version 0x00010000")
	}
	// Two hellos running: their code is mapped from one copy.
	if m := regexp.MustCompile(`shared code: (\d+) programs, (\d+) frames mapped (\d+) times \(sharing saves (\d+)K\)`).FindStringSubmatch(con); m == nil {
		t.Errorf("mem shows no shared code")
	} else if saved, _ := strconv.Atoi(m[4]); saved < 500 {
		t.Errorf("sharing saves only %d KiB: %s", saved, m[0])
	}
	// ps: a header, then init (task 1) and the shell (task 2, started by init).
	lines := strings.Split(con, "\n")
	var rows []string
	for i, l := range lines {
		if strings.Contains(l, "ID  PARENT  STATE") {
			rows = append(rows, lines[i+1], lines[i+2])
			break
		}
	}
	if len(rows) != 2 || !strings.HasSuffix(strings.TrimSpace(rows[0]), "init") ||
		!strings.HasPrefix(strings.TrimSpace(rows[0]), "1 ") || !strings.Contains(rows[0], " live ") ||
		!strings.HasSuffix(strings.TrimSpace(rows[1]), "shell") || !strings.HasPrefix(strings.TrimSpace(rows[1]), "2       1 ") {
		t.Errorf("ps rows %q", rows)
	}
	if t.Failed() {
		t.Logf("console:\n%s", con)
	}
}

// TestShellKeyboard drives the shell from the PS/2 keyboard, as on a PC without a
// serial port: typing, backspace, the up arrow recalling the last command from the
// history, and shutdown.
func TestShellKeyboard(t *testing.T) {
	keys := []string{"e", "c", "h", "o", "spc", "k", "b", "x", "backspace", "ret", "up", "ret"}
	for _, c := range "shutdown" {
		keys = append(keys, string(c))
	}
	keys = append(keys, "ret")
	res := boot(t, qemu.Options{Keys: keys, KeysAfter: prompt, Timeout: 2 * time.Minute})
	con := strings.ReplaceAll(res.Console, "\r", "")
	if res.Status != 0 || strings.Count(con, "\nkb\n") != 2 || !strings.Contains(con, "powering off") {
		t.Fatalf("status %d; console:\n%s", res.Status, con)
	}
}

// TestBootBundleRefused boots with a boot bundle in which one bit of the shell's
// package is flipped: the kernel must refuse the whole bundle, naming the package and
// the failing check, and start nothing.
func TestBootBundleRefused(t *testing.T) {
	root := build(t)
	b, err := os.ReadFile(filepath.Join(root, "build", "system.tar"))
	if err != nil {
		t.Fatal(err)
	}
	// Walk the tar headers (512-byte blocks: name at 0, octal size at 124).
	flipped := false
	for off := 0; off+512 <= len(b) && !flipped; {
		name := strings.TrimRight(string(b[off:off+100]), "\x00")
		if name == "" {
			break
		}
		size, err := strconv.ParseInt(strings.TrimRight(strings.TrimSpace(string(b[off+124:off+136])), "\x00"), 8, 64)
		if err != nil {
			t.Fatalf("tar header at %d: %v", off, err)
		}
		if name == "shell-1.0.0.skypkg" {
			b[off+512+int(size)/2] ^= 0x04
			flipped = true
		}
		off += 512 + int(size+511)/512*512
	}
	if !flipped {
		t.Fatal("no shell package in build/system.tar")
	}
	bad := filepath.Join(t.TempDir(), "tampered.tar")
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res := boot(t, qemu.Options{Bundle: bad, Timeout: time.Minute})
	con := res.Console
	if res.Status != 2 || !strings.Contains(con, "boot bundle: shell-1.0.0.skypkg: package does not match the index") ||
		!strings.Contains(con, "refusing to start anything from the boot bundle") || strings.Contains(con, "Skyscope shell") {
		t.Fatalf("status %d; console:\n%s", res.Status, con)
	}
}

// TestShellFiles: the shell's file commands on a disk image, through the storage
// tasks the first file command starts (blkd drives the disk with its interrupt line,
// skyaifsd serves files to the shell over the file protocol) — the first boot formats
// the empty disk, makes a directory, writes and lists files, renames and removes one;
// shutdown syncs; the second boot finds the file again.
func TestShellFiles(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	sessions := [][]string{
		{"mkdir /notes", "write /notes/a.txt survives a reboot", "write /notes/b.txt temporary", "mv /notes/b.txt /notes/c.txt",
			"rm /notes/c.txt", "ls /notes", "cat /notes/a.txt", "mkdir /sealed", "encrypt /sealed notes",
			"write /sealed/k.txt sealed by the storage vault", "mkdir /regions", "region /regions/r1 10000",
			"region /notes/a.txt 100", "df", "fsbench 1", "sync", "shutdown"},
		{"cat /notes/a.txt", "cat /notes/c.txt", "cat /sealed/k.txt", "region /regions/r1 10000", "stat /regions/r1", "shutdown"},
	}
	wants := [][]string{
		{"skyaifsd: the disk was empty; made a filesystem of 4096 blocks", "blkd: serving 4096 blocks of virtio-blk to badge 0x1",
			"started the storage vault (task 3), the disk driver (task 4) and the filesystem (task 5)", "sky> ls /notes\na.txt\nsky>", "sky> cat /notes/a.txt\nsurvives a reboot\n", "blocks of 4096 bytes free",
			// The two-phase commit on the machine: a new file with frames bound to it,
			// and a path that exists, which the participant votes NO on.
			"COMMIT; 10000 bytes bound to 3 frames", "region /notes/a.txt: transaction", "ABORT (the path exists"},
		{"started the storage vault (task 3), the disk driver (task 4) and the filesystem (task 5)\nsurvives a reboot\nsky> cat /notes/c.txt\n",
			"cat: open /notes/c.txt: no such file or directory",
			// Encrypted with a key the storage vault derived from the bundle's persistent
			// secret, in the first boot; the second boot's vault derives it again.
			"sky> cat /sealed/k.txt\nsealed by the storage vault\n",
			// The same transaction after the reboot: recovered from the logs, re-bound.
			"COMMIT; 10000 bytes bound to 3 frames", "/regions/r1: file mode 0600 uid 0 gid 0 size 10000"},
	}
	for i, cmds := range sessions {
		pr, pw := io.Pipe()
		s := &script{in: pw, commands: cmds}
		res := boot(t, qemu.Options{Input: pr, Output: s, Timeout: 2 * time.Minute, Disk: img})
		pw.Close()
		con := strings.ReplaceAll(res.Console, "\r", "")
		for _, want := range wants[i] {
			if !strings.Contains(con, want) {
				t.Errorf("boot %d: console lacks %q", i+1, want)
			}
		}
		if t.Failed() {
			t.Fatalf("console:\n%s", con)
		}
		for _, bad := range []string{"encrypt:", "vault: no storage secret"} {
			if strings.Contains(con, bad) {
				t.Errorf("boot %d: console has %q", i+1, bad)
			}
		}
		if m := regexp.MustCompile(`sequential write .*\n.*\n.*creates/s.*`).FindString(con); i == 0 {
			if m == "" {
				t.Errorf("fsbench printed no measurements")
			}
			t.Logf("fsbench on virtio-blk through skyaifsd and blkd:\n%s", m)
		}
	}
	// On the host, with the storage vault's secret and skyaifsd's badge, the file the
	// machine encrypted is encrypted on the disk and opens (vaultkeys.Offline derives
	// what the vault derived); the host tools' own derivation does not open it.
	secret, err := os.ReadFile(filepath.Join(build(t), "build/keys/storage.secret"))
	if err != nil {
		t.Fatal(err)
	}
	dev, err := block.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	f, err := skyfs.Mount(dev, skyfs.Options{Keys: vaultkeys.Offline{Secret: secret, Badge: vaultkeys.SkyaifsdBadge}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Unmount()
	if st, err := f.Stat("/sealed/k.txt"); err != nil || !st.Encrypted {
		t.Errorf("/sealed/k.txt on the disk: encrypted %v, %v", st.Encrypted, err)
	}
	if b, err := f.ReadFile("/sealed/k.txt"); err != nil || string(b) != "sealed by the storage vault\n" {
		t.Errorf("/sealed/k.txt with the vault's keys offline: %q, %v", b, err)
	}
}

// TestContainerFileView: ctr run --mount on the machine. The shell registers the
// container's view with skyaifsd (the Container capability and the mounts; skyaifsd
// asks the kernel for the container's ids) and grants the container's task the file
// endpoint with the view's badge. fsprobe, inside, creates a file owned by machine uid
// 100000 (its root mapped), reads the machine's public file through a read-only mount
// but cannot write there, cannot enter the machine root's 0700 directory, and names
// nothing outside its view through "..".
//
// Then two containers contend for a lock in the view: the holder is killed, and the
// shell relays its end to skyaifsd, which grants the waiter; ctr rm unregisters
// each view (no "stays registered" complaint).
func TestContainerFileView(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	if err := os.WriteFile(img, make([]byte, 16<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	probe := "fsprobe write:/mine stat:/mine read:/machine/notes.txt write:/machine/x read:/machine/private/secret " +
		"read:/../../notes.txt read:/../private/secret ls:/"
	cmds := []string{"mkdir /box 1777", "write /notes.txt machine notes", "mkdir /private 0700", "write /private/secret root only",
		"ctr run --mem 32M --uidmap 0:100000:65536 --gidmap 0:100000:65536 --mount /box:/ --mount /:/machine:ro --name probe " + probe,
		"ctr wait probe", "ctr logs probe", "stat /box/mine", "ctr rm probe",
		// Task ends reach skyaifsd: holder locks /box/l and stays; waiter asks for the
		// lock and waits; killing holder makes the shell's relay report its end
		// (LabelEnded), and waiter is granted with no other request. rm unregisters
		// the views.
		"ctr run --mem 20M --uidmap 0:100000:65536 --gidmap 0:100000:65536 --mount /box:/ --name holder fsprobe lock:/l hold",
		waitFor + "fsprobe: holding",
		"ctr run --mem 20M --uidmap 0:100000:65536 --gidmap 0:100000:65536 --mount /box:/ --name waiter fsprobe say:waiter-asks lock:/l",
		waitFor + "fsprobe: waiter-asks",
		"ctr kill holder", "ctr wait waiter", "ctr logs waiter", "ctr rm holder", "ctr rm waiter",
		// skyaifsd charges the view's writes to the container: 1 MiB at 256 KiB/s
		// takes about 4 s (the bucket's 100 ms burst aside).
		"ctr run --mem 20M --io-bytes 256K --uidmap 0:100000:65536 --gidmap 0:100000:65536 --mount /box:/ --name slow --wait fsprobe fill:/big",
		"shutdown"}
	wants := []string{
		"fsprobe: write /mine: ok",
		"fsprobe: stat /mine: ok mode 0644 uid 100000 gid 100000",
		`fsprobe: read /machine/notes.txt: ok "machine notes"`,
		"fsprobe: write /machine/x: read-only file system",
		"fsprobe: read /machine/private/secret: permission denied",
		"fsprobe: read /../../notes.txt: no such file or directory",
		"fsprobe: read /../private/secret: no such file or directory",
		"fsprobe: ls /: ok machine mine",
		"/box/mine: file mode 0644 uid 100000 gid 100000 size 5",
		"fsprobe: lock /l: ok\nfsprobe: holding",
		"waiter: fsprobe exited, status 0",
		"probe: removed", "holder: removed", "waiter: removed",
		"slow: fsprobe exited, status 0",
	}
	pr, pw := io.Pipe()
	s := &script{in: pw, commands: cmds}
	res := boot(t, qemu.Options{Input: pr, Output: s, Timeout: 3 * time.Minute, Disk: img})
	pw.Close()
	con := strings.ReplaceAll(res.Console, "\r", "")
	for _, want := range wants {
		if !strings.Contains(con, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if strings.Contains(con, "stays registered") {
		t.Errorf("a view stayed registered after ctr rm")
	}
	if m := regexp.MustCompile(`fsprobe: fill /big: ok 1048576 bytes in ([0-9.]+) s`).FindStringSubmatch(con); m == nil {
		t.Errorf("the charged container's fill did not finish")
	} else if secs, _ := strconv.ParseFloat(m[1], 64); secs < 3.5 {
		t.Errorf("1 MiB at 256 KiB/s took %s s: not held to the container's rate", m[1])
	} else {
		t.Logf("a container limited to 256 KiB/s wrote 1 MiB through skyaifsd in %s s", m[1])
	}
	// The holder's lock before the kill, the waiter's only after it.
	if k := strings.Index(con, "holder: killed"); k < 0 || strings.Count(con[:k], "fsprobe: lock /l: ok") != 1 ||
		!strings.Contains(con[k:], "fsprobe: lock /l: ok") {
		t.Errorf("the lock was not granted to the holder before the kill and to the waiter after it")
	}
	if t.Failed() {
		t.Fatalf("console:\n%s", con)
	}
}

// TestSKYAIFSBoundedMemory: skyaifsd, started by the shell with a 32 MiB budget, takes
// a 48 MiB sequential write (fsbench writes the whole file before its one fsync) and
// stays alive: it commits whenever the uncommitted data passes an eighth of its
// budget (-memory), so what a client writes between fsyncs no longer has to fit in
// the filesystem task's memory. ps afterwards shows what skyaifsd holds.
func TestSKYAIFSBoundedMemory(t *testing.T) {
	img := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(img)
	if err == nil {
		err = f.Truncate(128 << 20)
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	s := &script{in: pw, commands: []string{"fsbench 48", "ps", "shutdown"}}
	res := boot(t, qemu.Options{Input: pr, Output: s, Timeout: 6 * time.Minute, Disk: img})
	pw.Close()
	con := strings.ReplaceAll(res.Console, "\r", "")
	m := regexp.MustCompile(`sequential write [0-9.]+ MB/s, read [0-9.]+ MB/s \(49152 KiB file\)`).FindString(con)
	row := regexp.MustCompile(`(?m)^\s*\d+\s+\d+\s+(\S+)\s+\d+\s+\d+\s+(\S+)\s+(\S+)\s+\S+\s+skyaifsd`).FindStringSubmatch(con)
	if m == "" || row == nil || row[1] != "live" || row[3] != "32M" {
		t.Fatalf("fsbench %q, skyaifsd in ps %q; console:\n%s", m, row, con)
	}
	t.Logf("%s; skyaifsd afterwards: %s of its %s", m, row[2], row[3])
}
