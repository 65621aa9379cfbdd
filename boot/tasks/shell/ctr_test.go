package main

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/kernel/usersim/demo"
)

// ctrSession runs command lines in a shell on a fresh machine whose boot bundle holds
// the demo images (hello, spin, memhog, pingpong), with the console granted to them
// and the machine's clock as uptime. A line "sleep D" lets D of machine time pass
// (the harness's timer: an interrupt raised at now+D). It returns the shell's output
// and the console.
func ctrSession(t *testing.T, lines ...string) (string, string) {
	t.Helper()
	var out bytes.Buffer
	const (
		exitSlot  = 20
		timerIRQ  = 5
		timerH    = 21
		timerN    = 22
		timerBadg = 23
	)
	var m *usersim.Machine
	programs := map[uint64]usersim.Program{}
	entries := demo.Install(programs, 0x100_0000)
	m, err := usersim.Boot(usersim.Config{
		Kernel:   kernel.Config{Quiet: true},
		Programs: programs,
		Init: func(e *user.Env) {
			must := func(err error) {
				if err != nil {
					t.Fatal(err)
				}
			}
			must(e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, exitSlot, 1))
			must(e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, timerN, 1))
			must(e.IRQHandler(abi.InitSlotIRQControl, timerIRQ, abi.InitSlotCSpace, timerH))
			must(e.Mint(abi.InitSlotCSpace, timerBadg, abi.InitSlotCSpace, timerN, abi.RightWrite, 1))
			must(e.IRQSetNotification(timerH, timerBadg))
			s := &shell{e: e, sys: abi.InitSlotSystem, exit: exitSlot, out: &out, console: abi.InitSlotConsole,
				uptime: func() time.Duration { return time.Duration(m.Now()) }}
			for _, l := range lines {
				fmt.Fprintf(&out, "sky> %s\n", l)
				if d, ok := strings.CutPrefix(l, "sleep "); ok {
					dur, err := time.ParseDuration(d)
					must(err)
					m.Sim.RaiseIRQ(timerIRQ, m.Now()+hal.Time(dur))
					_, err = e.Wait(timerN)
					must(err)
					must(e.IRQAck(timerH))
					continue
				}
				s.exec(l)
			}
			e.PowerOff(abi.InitSlotSystem, 0)
		},
	})
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
	return out.String(), m.Console.String()
}

// TestCtrLifecycle: run, ps, stats, exec, inspect, stop, kill, wait, rm on the
// simulated machine, with the limits enforced by the kernel: a CPU hog held to its
// share, a memory hog stopped at its limit.
func TestCtrLifecycle(t *testing.T) {
	out, console := ctrSession(t,
		"ctr run --cpu 20% --mem 1M --pids 4 spin",
		"ctr run hello",
		"ctr wait hello-2",
		"ctr run --mem 2M --name hog memhog",
		"ctr run pingpong",
		"sleep 1s",
		"ctr ps",
		"ctr stats",
		"ctr exec spin-1 hello",
		"ctr inspect hog",
		"ctr wait pingpong-4",
		"ctr stop spin-1",
		"ctr rm spin-1",
		"sleep 1s",
		"ctr ps",
		"ctr rm spin-1",
		"ctr kill hog",
		"ctr rm hog hello-2",
		"ctr logs pingpong-4",
		"ctr rm -f pingpong-4",
		"ctr ps",
	)
	for _, want := range []string{
		"sky> ctr run --cpu 20% --mem 1M --pids 4 spin\n1 spin-1\n",
		"sky> ctr wait hello-2\nhello-2: hello exited, status 0\n",
		"3 hog\n",
		"cpu 20% (20ms/100ms)",
		"spin-1: started hello as pid 2\n",
		"limits    cpu unlimited, priority ≤ 100, memory 2048K, tasks ≤ 32, oom kill-container",
		"ns        pid private, network none",
		"events    memory limit hits ",
		"ipc names none\n",
		"  pid 1  memhog  live",
		"pingpong-4: pingpong exited, status 0\n",
		"spin-1: stopping (killed after 1s)\n",
		"ctr: rm: spin-1 is stopping: stop it first, or rm -f\n",
		"hog: killed\n",
		"hog: removed\nhello-2: removed\n",
		fmt.Sprintf("sky> ctr logs pingpong-4\npingpong: %d round trips with pong (pid 2), checksum %d\nsky> ", demo.RoundTrips, demo.RoundTrips*(demo.RoundTrips+1)),
		"pingpong-4: removed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, want := range []string{
		"hello from Skyscope, inside a container\n",
		"memhog: took ",
		fmt.Sprintf("pingpong: %d round trips with pong (pid 2), checksum %d\n", demo.RoundTrips, demo.RoundTrips*(demo.RoundTrips+1)),
		"spin: asked to stop; exiting\n",
	} {
		if !strings.Contains(console, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	// The CPU hog got about its 20% share in the second it ran (the first stats
	// measures from its start).
	re := regexp.MustCompile(`(?m)^1 +spin-1 +([0-9.]+)%`)
	if mm := re.FindStringSubmatch(out); mm == nil {
		t.Errorf("stats shows no CPU share for spin-1")
	} else if pct, _ := strconv.ParseFloat(mm[1], 64); pct < 15 || pct > 22 {
		t.Errorf("spin-1 used %.1f%% of the CPU; its limit is 20%%", pct)
	}
	for _, re := range []string{`(?m)^1 +spin-1 +spin +running +1/4 `, `(?m)^3 +hog +memhog +running +1/32 `,
		`(?m)^2 +hello-2 +hello +exited 0 +0/32`, `(?m)^1 +spin-1 +spin +exited 0 +0/4`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("ps lacks %s", re)
		}
	}
	// After stop, spin ended on its own; the last ps lists nothing.
	last := out[strings.LastIndex(out, "sky> ctr ps\n"):]
	if strings.Count(last, "\n") != 2 {
		t.Errorf("containers left after rm:\n%s", last)
	}
	if !strings.Contains(out, "sky> ctr rm spin-1\nspin-1: removed\n") {
		t.Errorf("spin-1 not removed after it stopped")
	}
	if t.Failed() {
		t.Logf("output:\n%s\nconsole:\n%s", out, console)
	}
}

// TestCtrErrors: bad input gets a clear error and changes nothing.
func TestCtrErrors(t *testing.T) {
	out, _ := ctrSession(t,
		"ctr",
		"ctr bogus",
		"ctr run",
		"ctr run nonesuch",
		"ctr run --net host hello",
		"ctr run --cpu 0% hello",
		"ctr run --cpu 150% hello",
		"ctr run --mem lots hello",
		"ctr run --pids 0 hello",
		"ctr run --priority 300 hello",
		"ctr run --mem 4G hello",
		"ctr run --name Bad hello",
		"ctr stop nope",
		"ctr exec nope hello",
		"ctr link a b",
		"ctr unlink 7",
		"ctr ps",
		"ctr help",
	)
	for _, want := range []string{
		"ctr: want a subcommand; ctr help lists them\n",
		"ctr: bogus: unknown subcommand",
		"ctr: run: name a signed container image or a program of the boot bundle",
		"ctr: run: nonesuch: no such program in the boot bundle\n",
		"ctr: run: --net host: the NIC supervisor: ", // the simulated bundle has no netsup
		`ctr: run: --cpu "0%": want a share above 0% and at most 100%`,
		`ctr: run: --cpu "150%"`,
		`ctr: run: --mem: size "lots"`,
		"ctr: run: --pids 0: want at least 1",
		"ctr: run: --priority 300: want 0–255",
		"ctr: run: container hello-",
		"not enough memory for that limit",
		"ctr: run: container Bad: invalid argument",
		"ctr: stop: nope: no such container (see ctr ps)",
		"ctr: exec: nope: no such container",
		"ctr: link: a: no such container",
		"ctr: unlink: 7: no such link",
		"  ctr run [--cpu 20%] [--mem 16M]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Nothing was made: ps lists no container.
	ps := out[strings.Index(out, "sky> ctr ps\n"):strings.Index(out, "sky> ctr help")]
	if strings.Count(ps, "\n") != 2 {
		t.Errorf("refused runs left containers:\n%s", ps)
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}

// TestCtrLink: two containers linked and unlinked; a removed container's links go.
func TestCtrLink(t *testing.T) {
	out, _ := ctrSession(t,
		"mem",
		"ctr run --name web spin",
		"ctr run --name db spin",
		"ctr link web web",
		"ctr link web db",
		"ctr inspect db",
		"ctr unlink 1",
		"ctr link web db",
		"ctr rm -f db",
		"ctr inspect web",
		"ctr rm -f web",
		"mem",
	)
	for _, want := range []string{
		"ctr: link: a container cannot link to itself",
		"link 1: web (client end, Write) → db (server end, Read)",
		"link      1: web → db\n",
		"link 1 revoked\n",
		"link 2: web",
		"db: removed\n",
		"web: removed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	// Everything ctr made is freed again.
	mems := regexp.MustCompile(`(?m)^memory .*$`).FindAllString(out, -1)
	if len(mems) != 2 || mems[0] != mems[1] {
		t.Errorf("memory before and after: %q", mems)
	}
	if strings.Contains(out[strings.Index(out, "sky> ctr inspect web"):], "link      2") {
		t.Errorf("a removed container's link is still listed")
	}
	if t.Failed() {
		t.Logf("output:\n%s", out)
	}
}
