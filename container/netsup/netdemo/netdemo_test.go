package netdemo

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/container/netsup"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

// session runs ctr command lines in init on a fresh simulated machine whose programs
// are the network demos; ctr starts the supervisor (netsup) when a container first
// asks for a vNIC. "sleep D" lets D of machine time pass. It returns ctr's output and
// the console.
func session(t testing.TB, lines ...string) (string, string) {
	return sessionWith(t, 100, lines...)
}

// sessionWith is session with udpping making pings round trips.
func sessionWith(t testing.TB, pings int, lines ...string) (string, string) {
	t.Helper()
	var out bytes.Buffer
	const (
		timerIRQ  = 5
		timerH    = 21
		timerN    = 22
		timerBadg = 23
		netEP     = 60
		netRecv   = 61
		netCtl    = 62
	)
	var m *usersim.Machine
	now := func() time.Duration { return time.Duration(m.Now()) }
	progs := map[uint64]usersim.Program{}
	entries := map[string]uint64{}
	install(progs, entries, 0x200_0000, programs(now, pings))
	m, err := usersim.Boot(usersim.Config{
		Kernel:   kernel.Config{Quiet: true},
		Programs: progs,
		Init: func(e *user.Env) {
			must := func(err error) {
				if err != nil {
					t.Fatal(err)
				}
			}
			must(e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, timerN, 1))
			must(e.IRQHandler(abi.InitSlotIRQControl, timerIRQ, abi.InitSlotCSpace, timerH))
			must(e.Mint(abi.InitSlotCSpace, timerBadg, abi.InitSlotCSpace, timerN, abi.RightWrite, 1))
			must(e.IRQSetNotification(timerH, timerBadg))
			sleep := func(d time.Duration) {
				m.Sim.RaiseIRQ(timerIRQ, m.Now()+hal.Time(d))
				_, err := e.Wait(timerN)
				must(err)
				must(e.IRQAck(timerH))
			}
			var control *netsup.Control
			c := &ctr.Ctl{E: e, Sys: abi.InitSlotSystem, Untyped: abi.InitSlotUntyped, CSpace: abi.InitSlotCSpace,
				Console: abi.InitSlotConsole, Slots: [2]uint64{100, 250}, Out: &out, Now: now, Sleep: sleep,
				Net: func() (*netsup.Control, error) {
					if control == nil {
						_, ctl, err := netsup.Start(e, abi.InitSlotSystem, abi.InitSlotUntyped, abi.InitSlotCSpace, netEP, netRecv, netCtl, "netsup", 1<<20)
						if err != nil {
							return nil, err
						}
						control = ctl
					}
					return control, nil
				}}
			for _, l := range lines {
				fmt.Fprintf(&out, "sky> %s\n", l)
				if d, ok := strings.CutPrefix(l, "sleep "); ok {
					dur, err := time.ParseDuration(d)
					must(err)
					sleep(dur)
					continue
				}
				if err := c.Run(strings.Fields(l)[1:]); err != nil {
					fmt.Fprintf(&out, "ctr: %v\n", err)
				}
			}
			e.PowerOff(abi.InitSlotSystem, 0)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: entries})
	if r := m.Run(120_000_000_000); r != kernel.StopPowerOff {
		t.Errorf("the machine stopped with %v", r)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	return out.String(), m.Console.String()
}

func wantLines(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("missing %q", w)
		}
	}
}

// TestNetworkOnSimulation: two containers exchange UDP datagrams through the
// supervisor; containers whose policy (their own egress, the receiver's ingress)
// refuses it get nothing across; a hostile container with a vNIC gets no spoofed or
// denied frame across and cannot use its capability as the controller, one without a
// vNIC holds nothing that reaches the supervisor; a container over its I/O rate is
// delayed, not refused; ctr inspect and stats show the counters; rm ends the vNIC.
func TestNetworkOnSimulation(t *testing.T) {
	out, console := session(t,
		"ctr run --mem 2M --net eth0 --allow 10.88.0.3/32,10.88.0.5/32 --name echo udpecho",
		"ctr run --mem 2M --net eth0 --allow 10.88.0.2/32 --name ping udpping",
		"sleep 1s",
		"ctr run --mem 2M --net eth0 --allow 10.88.0.2/32 --name intruder udpping",
		"ctr run --mem 2M --net eth0 --allow 10.88.0.2/32 --io-ops 200 --name slow udpping",
		"ctr run --mem 2M --net eth0 --allow 10.88.0.3/32 --name fenced udpping",
		"ctr run --mem 2M --net eth0 --allow 10.88.0.0/16,fd88::/64 --name hostile nethostile",
		"ctr run --mem 2M --name nonet nethostile",
		"sleep 3s",
		"ctr inspect ping",
		"ctr inspect slow",
		"ctr inspect echo",
		"ctr stats",
		"ctr run --net none --allow 10.0.0.0/8 hello",
		"ctr run --mem 2M --net eth0 --allow 10.0.0.1/8 hello",
		"ctr run --net Eth0 hello",
		"ctr rm -f echo",
		"ctr run --mem 2M --net eth0 --allow 10.88.0.3/32 --name echo2 udpecho",
		"sleep 10ms",
		"ctr inspect echo2",
	)
	t.Log(out)
	t.Log(console)
	wantLines(t, out,
		"echo: eth0 10.88.0.2 fd88::2",
		"ping: eth0 10.88.0.3 fd88::3",
		"vnic      eth0: 10.88.0.3 fd88::3 mac 02:53:4b:00:00:03, allow 10.88.0.2/32",
		"net       tx 100 frames",
		"ingress-denied 0",
		"--allow needs --net NAME",
		"host bits are set (did you mean 10.0.0.0/8?)",
		"--net Eth0: want none or a vNIC name",
		"echo: removed",
		"echo2: eth0 10.88.0.2 fd88::2", // the address is free again
		"NET RX / TX",
	)
	wantLines(t, console,
		"udpecho: 10.88.0.2 and fd88::2 port 7",
		"udpping: 100 sent, 100 echoed",
		"udpping: datagram 0 to 10.88.0.2:7: netsup: frame dropped: ingress-denied",
		"udpping: datagram 0 to 10.88.0.2:7: netsup: frame dropped: egress-denied",
		"nethostile: 8 attempts, 0 breaches",
		"nethostile: no vNIC; 1 attempts, 0 breaches",
	)
	if strings.Contains(console, "BREACH") {
		t.Error("a hostile attempt got through")
	}
	// The slow container's 100 sends (each one operation charged to it) at 200
	// operations per second take at least 0.4 s beyond the 100 ms burst, and the
	// supervisor held most of them.
	inspectSlow := out[strings.Index(out, "sky> ctr inspect slow"):]
	held := regexp.MustCompile(`held (\d+) frames`).FindStringSubmatch(inspectSlow)
	if held == nil {
		t.Fatal("ctr inspect slow shows no held frames line")
	}
	if n, _ := strconv.Atoi(held[1]); n < 50 {
		t.Errorf("slow: %s frames held, want most of 100 (its rate is 200 ops/s with a 20-op burst)", held[1])
	}
	times := regexp.MustCompile(`udpping: 100 sent, 100 echoed in ([0-9.]+(?:µs|ms|s))`).FindAllStringSubmatch(console, -1)
	if len(times) != 2 {
		t.Fatalf("want two complete pings, got %v", times)
	}
	slow, _ := time.ParseDuration(times[1][1])
	if slow < 400*time.Millisecond {
		t.Errorf("the rate-limited ping took %v, want ≥ 400ms (100 frames at 200/s less the burst)", slow)
	}
	// After rm, the removed vNIC's capability in ping reaches nothing: its later
	// sends fail; the new echo2 got no frame of the old one's.
	if !strings.Contains(out[strings.Index(out, "sky> ctr inspect echo2"):], "rx 0 frames") {
		t.Error("echo2 received frames meant for the removed echo")
	}
}
