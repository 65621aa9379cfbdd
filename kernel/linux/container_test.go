package linux_test

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/linux"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"golang.org/x/sys/unix"
)

// TestContainerOOMThroughPageFaults: two Linux processes in one container touch
// memory; the container's budget runs out inside a page fault and its OOM policy
// applies — kill-largest-task ends the hog and the small process finishes; kill-
// container ends both. getpid answers in the container's namespace.
func TestContainerOOMThroughPageFaults(t *testing.T) {
	for _, policy := range []abi.OOMPolicy{abi.OOMKillLargestTask, abi.OOMKillContainer} {
		t.Run(fmt.Sprint(policy), func(t *testing.T) {
			m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(*user.Env) {}})
			if err != nil {
				t.Fatal(err)
			}
			m.Run(1_000_000)
			c, err := m.CreateContainer(m.RootContainer(), "oom", abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 2, Priority: 100, OOM: policy})
			if err != nil {
				t.Fatal(err)
			}
			touch := func(l linuxProg, pages int) {
				addr := l.call(unix.SYS_MMAP, 0, uint64(pages)*4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
				for i := range pages {
					l.p.Store(addr+uint64(i)*4096, []byte{1})
				}
			}
			var pids []uint64
			const hogPC, smallPC = 0x60_0000, 0x61_0000
			m.Sim.AddProgram(hogPC, func(p *sim.Port) {
				l := linuxProg{p}
				pids = append(pids, l.call(unix.SYS_GETPID))
				touch(l, 4096) // far past the limit
				l.call(unix.SYS_EXIT_GROUP, 1)
			})
			m.Sim.AddProgram(smallPC, func(p *sim.Port) {
				l := linuxProg{p}
				pids = append(pids, l.call(unix.SYS_GETPID))
				l.call(unix.SYS_SCHED_YIELD) // let the hog fill the container
				touch(l, 16)
				l.call(unix.SYS_EXIT_GROUP, 0)
			})
			var tasks []*kernel.Task
			for _, pc := range []uint64{smallPC, hogPC} {
				task, err := m.CreateTask(c.Budget(), kernel.TaskSpec{Name: "p", Entry: pc, StackPages: 2, Container: c})
				if err != nil {
					t.Fatal(err)
				}
				proc := linux.NewProcess("p", task.Budget(), m.Console, func() int64 { return 0 })
				proc.Attach(m.Kernel, task.Thread())
				m.StartTask(task)
				tasks = append(tasks, task)
			}
			if r := m.Run(m.Now() + 10_000_000_000); r != kernel.StopIdle {
				t.Fatalf("run: %v\n%s", r, m.Console)
			}
			small, hog := tasks[0], tasks[1]
			info := c.Info()
			switch policy {
			case abi.OOMKillLargestTask:
				if hog.State() != kernel.TaskKilled || small.State() != kernel.TaskExited || small.Status() != 0 || info.OOMKills != 1 {
					t.Errorf("hog %v, small %v (%d); %+v\n%s", hog.State(), small.State(), small.Status(), info, m.Console)
				}
			case abi.OOMKillContainer:
				if hog.State() != kernel.TaskKilled || info.OOMKills == 0 || info.State != abi.ContainerStopped {
					t.Errorf("hog %v, small %v; %+v\n%s", hog.State(), small.State(), info, m.Console)
				}
			}
			if len(pids) != 2 || pids[0] != 1 || pids[1] != 2 {
				t.Errorf("getpid inside the container: %v", pids)
			}
			if info.MemUsed > 1<<20 || info.MemLimitHits == 0 {
				t.Errorf("container after the run: %+v", info)
			}
			if err := m.CheckInvariants(); err != nil {
				t.Fatal(err)
			}
			if err := m.DestroyContainer(c); err != nil {
				t.Fatal(err)
			}
			if used := m.RootUntyped().Used(); used != 0 {
				t.Errorf("root budget has %d bytes used after destroying the container", used)
			}
		})
	}
}

// TestContainerOutputLog: a Linux process's writes to standard output and error go to
// the console and, inside a container, to the container's output log; a process
// outside every container adds nothing to it.
func TestContainerOutputLog(t *testing.T) {
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(*user.Env) {}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	c, err := m.CreateContainer(m.RootContainer(), "out", abi.ContainerLimits{Memory: 1 << 20, MaxTasks: 2, Priority: 100})
	if err != nil {
		t.Fatal(err)
	}
	const insidePC, outsidePC = 0x62_0000, 0x63_0000
	write := func(p *sim.Port, fd uint64, s string) {
		l := linuxProg{p}
		addr := l.call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
		p.Store(addr, []byte(s))
		if n := l.call(unix.SYS_WRITE, fd, addr, uint64(len(s))); n != uint64(len(s)) {
			t.Errorf("write %q to fd %d: %#x", s, fd, n)
		}
	}
	m.Sim.AddProgram(insidePC, func(p *sim.Port) {
		write(p, 1, "inside: stdout\n")
		write(p, 2, "inside: stderr\n")
		linuxProg{p}.call(unix.SYS_EXIT_GROUP, 0)
	})
	m.Sim.AddProgram(outsidePC, func(p *sim.Port) {
		write(p, 1, "outside: stdout\n")
		linuxProg{p}.call(unix.SYS_EXIT_GROUP, 0)
	})
	for _, x := range []struct {
		pc uint64
		c  *kernel.Container
	}{{insidePC, c}, {outsidePC, nil}} {
		budget := m.RootUntyped()
		if x.c != nil {
			budget = x.c.Budget()
		}
		task, err := m.CreateTask(budget, kernel.TaskSpec{Name: "p", Entry: x.pc, StackPages: 2, Container: x.c, Memory: 1 << 19})
		if err != nil {
			t.Fatal(err)
		}
		proc := linux.NewProcess("p", task.Budget(), m.Console, func() int64 { return 0 })
		proc.Attach(m.Kernel, task.Thread())
		m.StartTask(task)
	}
	if r := m.Run(m.Now() + 10_000_000_000); r != kernel.StopIdle {
		t.Fatalf("run: %v\n%s", r, m.Console)
	}
	b := make([]byte, 256)
	n, next, dropped := c.ReadOutput(0, b)
	if got := string(b[:n]); got != "inside: stdout\ninside: stderr\n" || next != uint64(n) || dropped != 0 {
		t.Errorf("container log %q, next %d, dropped %d", got, next, dropped)
	}
	for _, want := range []string{"inside: stdout\n", "inside: stderr\n", "outside: stdout\n"} {
		if !strings.Contains(m.Console.String(), want) {
			t.Errorf("console lacks %q:\n%s", want, m.Console)
		}
	}
}

// TestContainerRootHasNoAuthorityOutside: a container maps its ids 0–65535 to the
// machine's 100000–165535. Its root process answers getuid and getgid with 0 (its
// inside ids) and is the machine's 100000; it sees the machine root's files as owned
// by "nobody" and cannot change them, while the machine's root can change its files
// and sees them owned by 100000. A task started with inside uid 1000 is 1000 inside
// and 101000 outside.
func TestContainerRootHasNoAuthorityOutside(t *testing.T) {
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(*user.Env) {}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	c, err := m.CreateContainer(m.RootContainer(), "users", abi.ContainerLimits{Memory: 2 << 20, MaxTasks: 3, Priority: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []abi.IDKind{abi.IDUser, abi.IDGroup} {
		if err := m.SetContainerIDMap(c, kind, []abi.IDMap{{Inside: 0, Outside: 100000, Count: 65536}}); err != nil {
			t.Fatal(err)
		}
	}
	if out, ok := c.OutsideID(abi.IDUser, 0); out != 100000 || !ok {
		t.Errorf("the container's root is the machine's %d (%v)", out, ok)
	}
	tree := linux.NewFileTree(map[string][]byte{"bin/x": {1}})
	// Each program gets a page with a path at 0 and a struct stat at 2048.
	type path struct{ addr uint64 }
	prep := func(l linuxProg, name string) path {
		addr := l.call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
		l.p.Store(addr, append([]byte(name), 0))
		return path{addr}
	}
	fdcwd := int64(unix.AT_FDCWD)
	at := uint64(fdcwd)
	owner := func(l linuxProg, p path) (uint32, uint32, uint64) {
		r := l.call(unix.SYS_NEWFSTATAT, at, p.addr, p.addr+2048, 0)
		var st unix.Stat_t
		b := make([]byte, unsafe.Sizeof(st))
		l.p.Load(p.addr+2048, b)
		st = *(*unix.Stat_t)(unsafe.Pointer(&b[0]))
		return st.Uid, st.Gid, r
	}
	type result struct{ uid, euid, gid, egid, rootOwner, rootGroup, chmodRoot, chmodOwn, ownOwner, bundleOwner uint64 }
	var inside, user1000 result
	var ownSeenOutside uint32
	var chmodByMachineRoot uint64
	const rootPC, insidePC, userPC, checkPC = 0x64_0000, 0x65_0000, 0x66_0000, 0x67_0000
	m.Sim.AddProgram(rootPC, func(p *sim.Port) { // the machine's root makes /tmp/rootfile
		l := linuxProg{p}
		f := prep(l, "/tmp/rootfile")
		if fd := l.call(unix.SYS_OPENAT, at, f.addr, unix.O_CREAT|unix.O_WRONLY, 0o644); int64(fd) < 0 {
			t.Errorf("machine root's create: %d", int64(fd))
		}
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	probe := func(r *result) func(p *sim.Port) {
		return func(p *sim.Port) {
			l := linuxProg{p}
			r.uid, r.euid, r.gid, r.egid = l.call(unix.SYS_GETUID), l.call(unix.SYS_GETEUID), l.call(unix.SYS_GETGID), l.call(unix.SYS_GETEGID)
			f := prep(l, "/tmp/rootfile")
			u, g, _ := owner(l, f)
			r.rootOwner, r.rootGroup = uint64(u), uint64(g)
			r.chmodRoot = l.call(unix.SYS_FCHMODAT, at, f.addr, 0o666, 0)
			own := prep(l, fmt.Sprintf("/tmp/own%d", r.uid))
			if fd := l.call(unix.SYS_OPENAT, at, own.addr, unix.O_CREAT|unix.O_WRONLY, 0o600); int64(fd) < 0 {
				t.Errorf("create inside: %d", int64(fd))
			}
			r.chmodOwn = l.call(unix.SYS_FCHMODAT, at, own.addr, 0o644, 0)
			u, _, _ = owner(l, own)
			r.ownOwner = uint64(u)
			u, _, _ = owner(l, prep(l, "/bin/x"))
			r.bundleOwner = uint64(u)
			l.call(unix.SYS_EXIT_GROUP, 0)
		}
	}
	m.Sim.AddProgram(insidePC, probe(&inside))
	m.Sim.AddProgram(userPC, probe(&user1000))
	m.Sim.AddProgram(checkPC, func(p *sim.Port) { // the machine's root looks at the container root's file
		l := linuxProg{p}
		f := prep(l, "/tmp/own0")
		u, _, _ := owner(l, f)
		ownSeenOutside = u
		chmodByMachineRoot = l.call(unix.SYS_FCHMODAT, at, f.addr, 0o600, 0)
		l.call(unix.SYS_EXIT_GROUP, 0)
	})
	run := func(pc uint64, ctr *kernel.Container, ids *kernel.IDs) *kernel.Task {
		budget := m.RootUntyped()
		if ctr != nil {
			budget = ctr.Budget()
		}
		task, err := m.CreateTask(budget, kernel.TaskSpec{Name: "p", Entry: pc, StackPages: 2, Container: ctr, Memory: 1 << 19, IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		proc := linux.NewProcess("p", task.Budget(), m.Console, func() int64 { return 0 })
		proc.Attach(m.Kernel, task.Thread())
		proc.SetTree(tree, "/")
		m.StartTask(task)
		if r := m.Run(m.Now() + 10_000_000_000); r != kernel.StopIdle {
			t.Fatalf("run: %v\n%s", r, m.Console)
		}
		return task
	}
	run(rootPC, nil, nil)
	run(insidePC, c, nil)
	u := run(userPC, c, &kernel.IDs{UID: 1000, GID: 1000})
	run(checkPC, nil, nil)

	eperm := errno(unix.EPERM)
	if want := (result{0, 0, 0, 0, abi.OverflowID, abi.OverflowID, eperm, 0, 0, abi.OverflowID}); inside != want {
		t.Errorf("the container's root: %+v\nwant %+v", inside, want)
	}
	if want := (result{1000, 1000, 1000, 1000, abi.OverflowID, abi.OverflowID, eperm, 0, 1000, abi.OverflowID}); user1000 != want {
		t.Errorf("uid 1000 inside: %+v\nwant %+v", user1000, want)
	}
	if ids, uok, gok := u.OutsideIDs(); ids != (kernel.IDs{UID: 101000, GID: 101000}) || !uok || !gok {
		t.Errorf("uid 1000 inside is the machine's %+v (%v %v)", ids, uok, gok)
	}
	if ownSeenOutside != 100000 || chmodByMachineRoot != 0 {
		t.Errorf("outside, the container root's file is owned by %d; the machine root's chmod: %#x", ownSeenOutside, chmodByMachineRoot)
	}
}

// TestChownInContainer: a process of a container (uid 1000 inside, the machine's
// 101000) changes its own file's group to its own group; giving it away, a group it
// is not in, the machine root's file are EPERM, and an id the container does not map
// is EINVAL — and none of those changes anything. The machine's root gives the file
// to another of the container's ids, which the process then sees by its inside id.
func TestChownInContainer(t *testing.T) {
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(*user.Env) {}})
	if err != nil {
		t.Fatal(err)
	}
	m.Run(1_000_000)
	c, err := m.CreateContainer(m.RootContainer(), "users", abi.ContainerLimits{Memory: 2 << 20, MaxTasks: 3, Priority: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []abi.IDKind{abi.IDUser, abi.IDGroup} {
		if err := m.SetContainerIDMap(c, kind, []abi.IDMap{{Inside: 0, Outside: 100000, Count: 65536}}); err != nil {
			t.Fatal(err)
		}
	}
	tree := linux.NewFileTree(map[string][]byte{"bin/x": {1}})
	at := uint64(0xffffff9c)
	var inside, outside []string
	prog := func(log *[]string, body func(l linuxProg, str func(string) uint64, note func(string, uint64), owner func(string) string)) func(p *sim.Port) {
		return func(p *sim.Port) {
			l := linuxProg{p}
			addr := l.call(unix.SYS_MMAP, 0, 4096, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
			str := func(s string) uint64 { l.p.Store(addr, append([]byte(s), 0)); return addr }
			note := func(what string, r uint64) { *log = append(*log, fmt.Sprintf("%s=%d", what, int64(r))) }
			owner := func(name string) string {
				l.call(unix.SYS_NEWFSTATAT, at, str(name), addr+2048, 0)
				var st unix.Stat_t
				b := make([]byte, unsafe.Sizeof(st))
				l.p.Load(addr+2048, b)
				st = *(*unix.Stat_t)(unsafe.Pointer(&b[0]))
				return fmt.Sprintf("%d:%d", st.Uid, st.Gid)
			}
			body(l, str, note, owner)
			l.call(unix.SYS_EXIT_GROUP, 0)
		}
	}
	const rootPC, userPC, checkPC, againPC = 0x64_0000, 0x66_0000, 0x67_0000, 0x68_0000
	m.Sim.AddProgram(rootPC, prog(&outside, func(l linuxProg, str func(string) uint64, note func(string, uint64), owner func(string) string) {
		l.call(unix.SYS_CLOSE, l.call(unix.SYS_OPENAT, at, str("/tmp/rootfile"), unix.O_CREAT|unix.O_WRONLY, 0o644))
	}))
	m.Sim.AddProgram(userPC, prog(&inside, func(l linuxProg, str func(string) uint64, note func(string, uint64), owner func(string) string) {
		l.call(unix.SYS_CLOSE, l.call(unix.SYS_OPENAT, at, str("/tmp/mine"), unix.O_CREAT|unix.O_WRONLY, 0o644))
		note("own group", l.call(unix.SYS_FCHOWNAT, at, str("/tmp/mine"), ^uint64(0), 1000, 0))
		note("own uid", l.call(unix.SYS_FCHOWNAT, at, str("/tmp/mine"), 1000, ^uint64(0), 0))
		note("give away", l.call(unix.SYS_FCHOWNAT, at, str("/tmp/mine"), 0, ^uint64(0), 0))
		note("another group", l.call(unix.SYS_FCHOWNAT, at, str("/tmp/mine"), ^uint64(0), 2000, 0))
		note("unmapped id", l.call(unix.SYS_FCHOWNAT, at, str("/tmp/mine"), ^uint64(0), 70000, 0))
		note("machine root's file", l.call(unix.SYS_FCHOWNAT, at, str("/tmp/rootfile"), ^uint64(0), 1000, 0))
		note("read-only tree", l.call(unix.SYS_FCHOWNAT, at, str("/bin/x"), ^uint64(0), 1000, 0))
		inside = append(inside, "mine="+owner("/tmp/mine"), "rootfile="+owner("/tmp/rootfile"))
	}))
	m.Sim.AddProgram(checkPC, prog(&outside, func(l linuxProg, str func(string) uint64, note func(string, uint64), owner func(string) string) {
		outside = append(outside, "seen outside="+owner("/tmp/mine"))
		note("root gives", l.call(unix.SYS_FCHOWNAT, at, str("/tmp/mine"), 102000, 102000, 0))
	}))
	m.Sim.AddProgram(againPC, prog(&inside, func(l linuxProg, str func(string) uint64, note func(string, uint64), owner func(string) string) {
		inside = append(inside, "given="+owner("/tmp/mine"))
	}))
	run := func(pc uint64, ctr *kernel.Container, ids *kernel.IDs) {
		budget := m.RootUntyped()
		if ctr != nil {
			budget = ctr.Budget()
		}
		task, err := m.CreateTask(budget, kernel.TaskSpec{Name: "p", Entry: pc, StackPages: 2, Container: ctr, Memory: 1 << 19, IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		proc := linux.NewProcess("p", task.Budget(), m.Console, func() int64 { return 0 })
		proc.Attach(m.Kernel, task.Thread())
		proc.SetTree(tree, "/")
		m.StartTask(task)
		if r := m.Run(m.Now() + 10_000_000_000); r != kernel.StopIdle {
			t.Fatalf("run: %v\n%s", r, m.Console)
		}
	}
	run(rootPC, nil, nil)
	run(userPC, c, &kernel.IDs{UID: 1000, GID: 1000})
	run(checkPC, nil, nil)
	run(againPC, c, &kernel.IDs{UID: 1000, GID: 1000})
	want := "own group=0 own uid=0 give away=-1 another group=-1 unmapped id=-22 machine root's file=-1 read-only tree=-30 " +
		"mine=1000:1000 rootfile=65534:65534 given=2000:2000"
	if got := strings.Join(inside, " "); got != want {
		t.Errorf("inside:  %s\nwant     %s", got, want)
	}
	if got, want := strings.Join(outside, " "), "seen outside=101000:101000 root gives=0"; got != want {
		t.Errorf("outside: %s\nwant     %s", got, want)
	}
}
