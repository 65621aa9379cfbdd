package rootfs_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/boot/kernel/rootfs"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/linux"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"golang.org/x/sys/unix"
)

func identity(programs map[string][]byte) rootfs.Identity {
	return rootfs.Identity{Hostname: linux.Hostname, Accounts: rootfs.Accounts(programs), Version: "v1.2-3-gabc"}
}

// TestAddMakesTheLayout: /etc from the identity, every command under /bin and
// /usr/bin holding the one program slice, links for sharing, and nothing else.
func TestAddMakesTheLayout(t *testing.T) {
	prog := []byte("\x7fELF the coreutils program")
	programs := map[string][]byte{"coreutils": prog, "shell": []byte("sh"), "init": []byte("init")}
	files := map[string][]byte{"coreutils": prog, "shell": programs["shell"], "modules/index": []byte("i")}
	l, err := rootfs.Add(files, programs, identity(programs))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"etc/group", "etc/hostname", "etc/hosts", "etc/nsswitch.conf", "etc/os-release", "etc/passwd"}
	for _, d := range rootfs.BinDirs {
		for _, c := range rootfs.Commands {
			want = append(want, d+"/"+c)
			if &files[d+"/"+c][0] != &prog[0] {
				t.Errorf("%s/%s is a copy, not the bundle's program", d, c)
			}
			if l.Links[d+"/"+c] != "coreutils" {
				t.Errorf("%s/%s links to %q", d, c, l.Links[d+"/"+c])
			}
		}
	}
	sort.Strings(want)
	if !reflect.DeepEqual(l.Made, want) || len(l.Links) != 2*len(rootfs.Commands) || len(files) != 3+len(want) {
		t.Fatalf("made %v (want %v), %d links, %d files", l.Made, want, len(l.Links), len(files))
	}
	if got := string(files["etc/passwd"]); got != "root:x:0:0:root:/:/shell\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n" {
		t.Errorf("passwd %q", got)
	}
	if got := string(files["etc/group"]); got != "root:x:0:\nnobody:x:65534:\n" {
		t.Errorf("group %q", got)
	}
	if got := string(files["etc/hosts"]); !strings.Contains(got, "127.0.0.1\tlocalhost\n") || !strings.Contains(got, "\t"+linux.Hostname+"\n") {
		t.Errorf("hosts %q", got)
	}
	if got := string(files["etc/os-release"]); !strings.Contains(got, "ID=skyscope\n") || !strings.Contains(got, `VERSION_ID="v1.2-3-gabc"`) {
		t.Errorf("os-release %q", got)
	}
}

// TestAddKeepsTheBundlesFiles: a file the signed bundle carries wins over the
// generated one; without coreutils only /etc is made.
func TestAddKeepsTheBundlesFiles(t *testing.T) {
	files := map[string][]byte{"etc/hosts": []byte("10.0.0.1 db\n")}
	l, err := rootfs.Add(files, nil, identity(nil))
	if err != nil {
		t.Fatal(err)
	}
	if string(files["etc/hosts"]) != "10.0.0.1 db\n" || len(l.Links) != 0 || len(l.Made) != 5 {
		t.Fatalf("hosts %q, links %v, made %v", files["etc/hosts"], l.Links, l.Made)
	}
	if !strings.HasSuffix(string(files["etc/passwd"]), "root:x:0:0:root:/:\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n") {
		t.Fatalf("passwd without a shell program: %q", files["etc/passwd"])
	}
}

// TestAddRefusesAndChangesNothing: a tree the layout does not fit, or an identity
// the files cannot hold, is an error and the tree stays as it was.
func TestAddRefusesAndChangesNothing(t *testing.T) {
	programs := map[string][]byte{"coreutils": []byte("x")}
	bad := identity(programs)
	bad.Accounts = append(bad.Accounts, rootfs.Account{Name: "ev:il", UID: 5})
	for name, c := range map[string]struct {
		files map[string][]byte
		id    rootfs.Identity
	}{
		"etc is a file":          {map[string][]byte{"etc": []byte("x")}, identity(programs)},
		"usr is a file":          {map[string][]byte{"usr": []byte("x"), "a": nil}, identity(programs)},
		"passwd is a directory":  {map[string][]byte{"etc/passwd/x": []byte("x")}, identity(programs)},
		"bin/ls is a directory":  {map[string][]byte{"bin/ls/y": []byte("x")}, identity(programs)},
		"a colon in an account":  {map[string][]byte{"a": nil}, bad},
		"a space in a host name": {map[string][]byte{"a": nil}, rootfs.Identity{Hostname: "a b", Accounts: bad.Accounts[:1]}},
		"no accounts":            {map[string][]byte{"a": nil}, rootfs.Identity{Hostname: "h"}},
		"a repeated uid":         {map[string][]byte{"a": nil}, rootfs.Identity{Hostname: "h", Accounts: []rootfs.Account{{Name: "a"}, {Name: "b"}}}},
		"a quote in the version": {map[string][]byte{"a": nil}, rootfs.Identity{Hostname: "h", Accounts: bad.Accounts[:1], Version: `1"`}},
	} {
		before := len(c.files)
		if l, err := rootfs.Add(c.files, programs, c.id); err == nil || l != nil || len(c.files) != before {
			t.Errorf("%s: layout %v, error %v, %d files (had %d)", name, l, err, len(c.files), before)
		}
	}
}

// tinyELF returns a static x86_64 executable with one read+execute segment at vaddr
// holding text, its entry just past the headers. The simulated machine never
// executes it: a Go function registered at the entry runs instead.
func tinyELF(vaddr uint64, text []byte) []byte {
	const ehsize, phsize = 64, 56
	var b bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&b, le, elf.Header64{
		Ident: [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)},
		Type:  uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: uint32(elf.EV_CURRENT),
		Entry: vaddr + ehsize + phsize, Phoff: ehsize, Ehsize: ehsize, Phentsize: phsize, Phnum: 1, Shentsize: 64,
	})
	size := uint64(ehsize + phsize + len(text))
	binary.Write(&b, le, elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Vaddr: vaddr, Paddr: vaddr, Filesz: size, Memsz: size, Align: 0x1000})
	b.Write(text)
	return b.Bytes()
}

// proc makes raw Linux system calls through the simulated machine's registers, with
// its IPC buffer page as scratch memory for paths and data.
type proc struct{ p *sim.Port }

const scratch = uint64(abi.InitIPCBuffer)

func (l proc) call(n uint64, args ...uint64) uint64 {
	r := l.p.Regs()
	r.Num = n
	var a [6]uint64
	copy(a[:], args)
	r.Cap, r.Info, r.Cap2, r.MR[0], r.MR[1], r.MR[2] = a[0], a[1], a[2], a[3], a[4], a[5]
	l.p.Syscall()
	return r.Num
}

// path stores a C string at the scratch page's start and returns its address.
func (l proc) path(s string) uint64 {
	l.p.Store(scratch, append([]byte(s), 0))
	return scratch
}

// readFile reads a whole (small) file of the tree, or returns nil.
func (l proc) readFile(name string) []byte {
	fd := l.call(unix.SYS_OPENAT, uint64(0xffffff9c), l.path(name), unix.O_RDONLY)
	if int64(fd) < 0 {
		return nil
	}
	defer l.call(unix.SYS_CLOSE, fd)
	var out []byte
	for {
		n := l.call(unix.SYS_READ, fd, scratch+1024, 2048)
		if int64(n) <= 0 {
			return out
		}
		b := make([]byte, n)
		l.p.Load(scratch+1024, b)
		out = append(out, b...)
	}
}

// dirNames lists a directory with getdents64.
func (l proc) dirNames(name string) []string {
	fd := l.call(unix.SYS_OPENAT, uint64(0xffffff9c), l.path(name), unix.O_RDONLY|unix.O_DIRECTORY)
	if int64(fd) < 0 {
		return nil
	}
	defer l.call(unix.SYS_CLOSE, fd)
	var names []string
	for {
		n := l.call(unix.SYS_GETDENTS64, fd, scratch+1024, 2048)
		if int64(n) <= 0 {
			return names
		}
		b := make([]byte, n)
		l.p.Load(scratch+1024, b)
		for off := 0; off < len(b); {
			reclen := int(binary.LittleEndian.Uint16(b[off+16:]))
			names = append(names, string(bytes.TrimRight(b[off+19:off+reclen], "\x00")))
			off += reclen
		}
	}
}

// lookPath is exec.LookPath's walk over PATH: the first directory holding an
// executable regular file of that name.
func (l proc) lookPath(path, name string) string {
	for _, dir := range strings.Split(path, ":") {
		full := strings.TrimSuffix(dir, "/") + "/" + name
		if l.call(unix.SYS_FACCESSAT, uint64(0xffffff9c), l.path(full), unix.X_OK) != 0 {
			continue
		}
		st := scratch + 2048
		if l.call(unix.SYS_NEWFSTATAT, uint64(0xffffff9c), l.path(full), st, 0) != 0 {
			continue
		}
		b := make([]byte, 4)
		l.p.Load(st+24, b) // st_mode in x86_64's struct stat
		if mode := binary.LittleEndian.Uint32(b); mode&unix.S_IFMT == unix.S_IFREG && mode&0o111 != 0 {
			return full
		}
	}
	return ""
}

// seen is what one process found in the tree.
type seen struct {
	user, group string
	usrBin      []string
	pwd, cwd    string
}

// TestProcessesSeeTheLayout boots the simulated kernel with a bundle whose tree has
// the layout, and starts pwd (found in PATH: /bin/pwd) and /usr/bin/ls (the one
// coreutils program) from init: each finds its own user in /etc/passwd and group in /etc/group, the command
// names in /usr/bin, pwd on PATH, and can work in /usr/bin; the two share one copy
// of the program's code pages.
func TestProcessesSeeTheLayout(t *testing.T) {
	const base = 0x40_0000
	prog := tinyELF(base, bytes.Repeat([]byte{0xf4}, 3*4096)) // four pages of "code"
	programs := map[string][]byte{"coreutils": prog, "init": nil}
	files := map[string][]byte{"coreutils": prog}
	layout, err := rootfs.Add(files, programs, identity(programs))
	if err != nil {
		t.Fatal(err)
	}
	results := map[uint64]seen{}
	var stats kernel.SharedStats
	var m *usersim.Machine
	m, err = usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(e *user.Env) {
		ntfn := abi.InitFirstFree
		if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, ntfn, 1); err != nil {
			t.Error(err)
			return
		}
		// A start by bare name looks in PATH, as the shell's run does: "pwd" is /bin/pwd.
		for _, name := range []string{"pwd", "usr/bin/ls"} {
			if _, err := e.StartProgram(abi.InitSlotSystem, []string{name}, 4<<20, 0, ntfn); err != nil {
				t.Errorf("start %s: %v", name, err)
				return
			}
		}
		stats = m.Kernel.SharedStats() // both exist, neither has run
		e.Wait(ntfn)
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.Sim.AddProgram(base+64+56, func(p *sim.Port) {
		l := proc{p}
		var s seen
		uid, gid := l.call(unix.SYS_GETUID), l.call(unix.SYS_GETGID)
		for _, line := range strings.Split(string(l.readFile("/etc/passwd")), "\n") {
			if f := strings.Split(line, ":"); len(f) == 7 && f[2] == strconv.FormatUint(uid, 10) {
				s.user = f[0]
			}
		}
		for _, line := range strings.Split(string(l.readFile("/etc/group")), "\n") {
			if f := strings.Split(line, ":"); len(f) == 4 && f[2] == strconv.FormatUint(gid, 10) {
				s.group = f[0]
			}
		}
		s.usrBin = l.dirNames("/usr/bin")
		s.pwd = l.lookPath(rootfs.Path, "pwd")
		if l.call(unix.SYS_CHDIR, l.path("/usr/bin")) == 0 {
			n := l.call(unix.SYS_GETCWD, scratch, 256)
			if int64(n) > 0 {
				b := make([]byte, n-1)
				l.p.Load(scratch, b)
				s.cwd = string(b)
			}
		}
		results[l.call(unix.SYS_GETPID)] = s
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	host := &linux.Host{Files: linux.NewFileTree(files), Console: m.Console, Wall: func() int64 { return 0 },
		Env: []string{"HOME=/", "PATH=" + rootfs.Path}, Sharable: map[string]bool{"coreutils": true}, Links: layout.Links}
	m.SetLoader(host)
	if r := m.Run(10_000_000_000); r != kernel.StopIdle {
		t.Fatalf("run: %v\n%s", r, m.Console)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 {
		t.Fatalf("%d processes reported: %v\n%s", len(results), results, m.Console)
	}
	for pid, s := range results {
		if s.user != "root" || s.group != "root" || !reflect.DeepEqual(s.usrBin, rootfs.Commands) ||
			s.pwd != "/bin/pwd" || s.cwd != "/usr/bin" {
			t.Errorf("process %d saw %+v", pid, s)
		}
	}
	if stats.Images != 1 || stats.Mappings != 2*stats.Frames || stats.Frames == 0 {
		t.Errorf("shared images %+v: want one image mapped twice", stats)
	}
}

// TestContainerRootSeesTheLayout: inside a container that maps its ids 0–65535 to
// the machine's 100000–165535, a process is root by its inside ids and finds "root"
// for them in /etc/passwd and /etc/group; the layout's files belong to the machine's
// root, which the container cannot map, so stat shows them owned by 65534, which
// /etc/passwd names "nobody" — the names ls -l prints there.
func TestContainerRootSeesTheLayout(t *testing.T) {
	files := map[string][]byte{}
	if _, err := rootfs.Add(files, nil, identity(nil)); err != nil {
		t.Fatal(err)
	}
	tree := linux.NewFileTree(files)
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(*user.Env) {}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	c, err := m.CreateContainer(m.RootContainer(), "users", abi.ContainerLimits{Memory: 2 << 20, MaxTasks: 2, Priority: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []abi.IDKind{abi.IDUser, abi.IDGroup} {
		if err := m.SetContainerIDMap(c, kind, []abi.IDMap{{Inside: 0, Outside: 100000, Count: 65536}}); err != nil {
			t.Fatal(err)
		}
	}
	var userName, groupName, ownerName string
	var ownerUID uint32
	const pc = 0x64_0000
	m.Sim.AddProgram(pc, func(p *sim.Port) {
		l := proc{p}
		uid, gid := l.call(unix.SYS_GETUID), l.call(unix.SYS_GETGID)
		passwd := string(l.readFile("/etc/passwd"))
		userName = field(passwd, 2, strconv.FormatUint(uid, 10))
		groupName = field(string(l.readFile("/etc/group")), 2, strconv.FormatUint(gid, 10))
		st := scratch + 2048
		if l.call(unix.SYS_NEWFSTATAT, uint64(0xffffff9c), l.path("/etc/passwd"), st, 0) == 0 {
			b := make([]byte, 4)
			l.p.Load(st+28, b) // st_uid in x86_64's struct stat
			ownerUID = binary.LittleEndian.Uint32(b)
			ownerName = field(passwd, 2, strconv.FormatUint(uint64(ownerUID), 10))
		}
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	task, err := m.CreateTask(c.Budget(), kernel.TaskSpec{Name: "p", Entry: pc, StackPages: 2, Container: c, Memory: 1 << 19})
	if err != nil {
		t.Fatal(err)
	}
	pr := linux.NewProcess("p", task.Budget(), m.Console, func() int64 { return 0 })
	pr.Attach(m.Kernel, task.Thread())
	pr.SetTree(tree, "/")
	m.StartTask(task)
	if r := m.Run(m.Now() + 10_000_000_000); r != kernel.StopIdle {
		t.Fatalf("run: %v\n%s", r, m.Console)
	}
	if userName != "root" || groupName != "root" || ownerUID != abi.OverflowID || ownerName != "nobody" {
		t.Fatalf("inside the container: user %q, group %q, /etc/passwd owned by %d (%q)", userName, groupName, ownerUID, ownerName)
	}
}

// field returns the first field of the colon-separated line of text whose field i
// is value, or "".
func field(text string, i int, value string) string {
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Split(line, ":"); len(f) > i && f[i] == value {
			return f[0]
		}
	}
	return ""
}
