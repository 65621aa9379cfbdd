package qemu_test

import (
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/skyscope-os/skyscope/tools/qemu"
)

// TestNetworkOnMachine runs the network demo on the machine, from the shell, through
// the NIC supervisor task: an echo server and a client in two containers exchange
// 1,000 UDP datagrams through the switch; a client the server's policy does not
// accept (ingress) and one whose own policy does not reach the server (egress) get
// nothing across; a client over its I/O rate (--io-ops 200) is delayed, not refused;
// a hostile container with a vNIC gets no spoofed, denied or malformed frame across
// and cannot act as the controller, and one without a vNIC holds nothing that reaches
// the supervisor; ctr inspect and ctr stats show the counters; rm ends every vNIC.
func TestNetworkOnMachine(t *testing.T) {
	cmds := []string{
		"ctr run --mem 12M --net eth0 --allow 10.88.0.3/32,10.88.0.4/32 --name echo netdemo echo",
		"ctr run --mem 12M --net eth0 --allow 10.88.0.2/32 --name ping netdemo ping -n 1000",
		"ctr wait ping",
		"ctr run --mem 12M --net eth0 --allow 10.88.0.2/32 --io-ops 200 --name slow netdemo ping -n 200",
		"ctr wait slow",
		"ctr run --mem 12M --net eth0 --allow 10.88.0.2/32 --name intruder netdemo ping -n 1",
		"ctr wait intruder",
		"ctr rm intruder",
		"ctr run --mem 12M --net eth0 --allow 10.88.0.3/32 --name fenced netdemo ping -n 1",
		"ctr wait fenced",
		"ctr rm fenced",
		"ctr run --mem 12M --net eth0 --allow 10.88.0.0/16,fd88::/64 --name hostile netdemo hostile",
		"ctr wait hostile",
		"ctr run --mem 12M --name nonet netdemo hostile",
		"ctr wait nonet",
		"ctr inspect ping",
		"ctr inspect slow",
		"ctr inspect hostile",
		"ctr stats",
		"ctr rm -f echo ping slow hostile nonet",
		"ctr ps",
		"shutdown",
	}
	pr, pw := io.Pipe()
	s := &script{in: pw, commands: cmds}
	start := time.Now()
	res := boot(t, qemu.Options{Input: pr, Output: s, Timeout: 5 * time.Minute})
	pw.Close()
	t.Logf("booted, ran %d shell commands and powered off in %v", len(cmds), time.Since(start).Round(time.Second))
	con := strings.ReplaceAll(res.Console, "\r", "")
	if res.Status != 0 {
		t.Errorf("exit status %d, want 0 (shutdown)", res.Status)
	}
	for _, want := range []string{
		"started the NIC supervisor (task ",
		"echo: eth0 10.88.0.2 fd88::2",
		"udpecho: 10.88.0.2 and fd88::2 port 7",
		"udpping: 1000 sent, 1000 echoed",
		"udpping: datagram 0 to 10.88.0.2:7: netsup: frame dropped: ingress-denied",
		"udpping: 200 sent, 200 echoed",
		"udpping: datagram 0 to 10.88.0.2:7: netsup: frame dropped: egress-denied",
		"nethostile: 8 attempts, 0 breaches",
		"nethostile: no vNIC; 1 attempts, 0 breaches",
		"net       tx 1000 frames",
		"drops     malformed 1, spoofed 2, egress-denied 2, ingress-denied 0, no-route 0, queue-full 0",
		"NET RX / TX",
		"powering off",
	} {
		if !strings.Contains(con, want) {
			t.Errorf("console lacks %q", want)
		}
	}
	if i := strings.Index(con, "sky> ctr inspect slow"); i < 0 {
		t.Error("no ctr inspect slow")
	} else if m := regexp.MustCompile(`held (\d+) frames (\S+);`).FindStringSubmatch(con[i:]); m == nil || m[1] == "0" {
		t.Errorf("the rate-limited client's frames were not held: %v", m)
	} else {
		t.Logf("--io-ops 200: the supervisor held %s of its 200 frames, %s in all", m[1], m[2])
	}
	if strings.Contains(con, "BREACH") {
		t.Error("a hostile attempt got through")
	}
	if t.Failed() {
		t.Logf("console:\n%s", con)
	}
	pings := regexp.MustCompile(`udpping: (\d+) sent, \d+ echoed in (\S+) \((\d+) frames/s\); round trip min (\S+), median (\S+), max (\S+)`).FindAllStringSubmatch(con, -1)
	if len(pings) != 2 {
		t.Fatalf("want two complete pings, got %d", len(pings))
	}
	for _, p := range pings {
		t.Logf("netdemo ping -n %s: %s, %s frames/s through the supervisor; round trip min %s, median %s, max %s", p[1], p[2], p[3], p[4], p[5], p[6])
	}
	// 200 sends at 200 per second, less the 20-operation burst: at least 0.9 s.
	if d, err := time.ParseDuration(pings[1][2]); err != nil || d < 850*time.Millisecond {
		t.Errorf("the rate-limited ping took %s, want ≥ 0.9s (delayed, not refused)", pings[1][2])
	}
	if n := strings.Count(con, "sky> ctr ps\nID  NAME  IMAGE  STATE  TASKS  CPU  MEMORY  LIMITS\nsky> "); n != 1 {
		t.Errorf("ctr ps lists containers after ctr rm")
	}
}
