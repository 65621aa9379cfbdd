package linux_test

import (
	"fmt"
	"strings"
	"testing"

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
