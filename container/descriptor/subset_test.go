package descriptor

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

var allDevices = []string{"null", "zero", "random", "tty:0", "tty:1", "gpu.0", "net-tap"}

// genParent draws a valid descriptor with limits that can always be widened.
func genParent(t *rapid.T) *Descriptor {
	d := minimal()
	d.Name = "parent"
	l := &d.Limits
	if rapid.Bool().Draw(t, "cpu-limited") {
		l.CPUPeriod = rapid.Uint64Range(1, 10_000_000_000).Draw(t, "period")
		l.CPUBudget = rapid.Uint64Range(1, l.CPUPeriod).Draw(t, "budget")
	}
	l.CPUPriority = rapid.Uint32Range(0, MaxPriority-1).Draw(t, "priority")
	l.Memory = rapid.Uint64Range(1, MaxMemory-1).Draw(t, "memory")
	l.MaxTasks = rapid.Uint32Range(1, 1<<20).Draw(t, "tasks")
	l.IOBytesPerSec = rapid.Uint64Range(0, 1<<40).Draw(t, "io-bytes")
	l.IOOpsPerSec = rapid.Uint64Range(0, 1<<20).Draw(t, "io-ops")
	l.Devices = rapid.SliceOfNDistinct(rapid.SampledFrom(allDevices[:5]), 0, 5, rapid.ID[string]).Draw(t, "devices")
	if rapid.Bool().Draw(t, "network") {
		d.Namespaces.Network = []NIC{
			{Name: "eth0", Allow: []string{"10.0.0.0/8", "192.168.1.0/24"}},
			{Name: "eth1", Allow: []string{"2001:db8::/32"}},
		}
	}
	if err := d.Check(); err != nil {
		t.Fatalf("generated an invalid parent: %v", err)
	}
	return d
}

// narrow draws a valid descriptor within p.
func narrow(t *rapid.T, p *Descriptor) *Descriptor {
	c := minimal()
	c.Name, c.Parent = "child", p.Name
	l, pl := &c.Limits, &p.Limits
	if pl.CPUPeriod != 0 {
		k := rapid.Uint64Range(1, 4).Draw(t, "period-factor")
		l.CPUPeriod = pl.CPUPeriod * k
		l.CPUBudget = rapid.Uint64Range(1, pl.CPUBudget*k).Draw(t, "child-budget")
	} else if rapid.Bool().Draw(t, "child-cpu-limited") {
		l.CPUPeriod = rapid.Uint64Range(1, 1<<40).Draw(t, "child-period")
		l.CPUBudget = rapid.Uint64Range(1, l.CPUPeriod).Draw(t, "child-budget")
	}
	l.CPUPriority = rapid.Uint32Range(0, pl.CPUPriority).Draw(t, "child-priority")
	l.Memory = rapid.Uint64Range(1, pl.Memory).Draw(t, "child-memory")
	l.MaxTasks = rapid.Uint32Range(1, pl.MaxTasks).Draw(t, "child-tasks")
	rate := func(p uint64, label string) uint64 {
		if p == 0 {
			return rapid.Uint64Range(0, 1<<50).Draw(t, label)
		}
		return rapid.Uint64Range(1, p).Draw(t, label)
	}
	l.IOBytesPerSec = rate(pl.IOBytesPerSec, "child-io-bytes")
	l.IOOpsPerSec = rate(pl.IOOpsPerSec, "child-io-ops")
	for _, dev := range pl.Devices {
		if rapid.Bool().Draw(t, "keep-"+dev) {
			l.Devices = append(l.Devices, dev)
		}
	}
	for i, nic := range p.Namespaces.Network {
		if !rapid.Bool().Draw(t, "keep-"+nic.Name) {
			continue
		}
		n := NIC{Name: fmt.Sprintf("veth%d", i)}
		for _, a := range nic.Allow {
			switch rapid.IntRange(0, 2).Draw(t, "allow-"+a) {
			case 1:
				n.Allow = append(n.Allow, a)
			case 2: // a narrower prefix inside a
				n.Allow = append(n.Allow, map[string]string{
					"10.0.0.0/8": "10.20.0.0/16", "192.168.1.0/24": "192.168.1.128/25", "2001:db8::/32": "2001:db8:42::/48",
				}[a])
			}
		}
		c.Namespaces.Network = append(c.Namespaces.Network, n)
	}
	if err := c.Check(); err != nil {
		t.Fatalf("generated an invalid child: %v", err)
	}
	return c
}

// widen returns a copy of p with one limit beyond p's, and the field it widened.
func widen(t *rapid.T, p *Descriptor) (*Descriptor, string) {
	c := p.clone()
	l := &c.Limits
	var ways []string
	if l.CPUPeriod != 0 {
		ways = append(ways, "cpu-unlimited")
		if l.CPUBudget < l.CPUPeriod {
			ways = append(ways, "cpu-budget", "cpu-period")
		}
	}
	ways = append(ways, "priority", "memory", "tasks", "device")
	if l.IOBytesPerSec != 0 {
		ways = append(ways, "io-bytes", "io-bytes-unlimited")
	}
	if l.IOOpsPerSec != 0 {
		ways = append(ways, "io-ops", "io-ops-unlimited")
	}
	if len(c.Namespaces.Network) == 0 {
		ways = append(ways, "network")
	} else {
		ways = append(ways, "allow")
	}
	switch way := rapid.SampledFrom(ways).Draw(t, "widen"); way {
	case "cpu-unlimited":
		l.CPUBudget, l.CPUPeriod = 0, 0
		return c, "limits.cpu"
	case "cpu-budget":
		l.CPUBudget++
		return c, "limits.cpu"
	case "cpu-period":
		l.CPUPeriod-- // still ≥ budget
		return c, "limits.cpu"
	case "priority":
		l.CPUPriority++
		return c, "limits.cpu-priority"
	case "memory":
		l.Memory++
		return c, "limits.memory"
	case "tasks":
		l.MaxTasks++
		return c, "limits.max-tasks"
	case "device":
		l.Devices = append(l.Devices, rapid.SampledFrom(allDevices[5:]).Draw(t, "new-device"))
		return c, fmt.Sprintf("limits.devices[%d]", len(l.Devices)-1)
	case "io-bytes":
		l.IOBytesPerSec++
		return c, "limits.io-bytes"
	case "io-bytes-unlimited":
		l.IOBytesPerSec = 0
		return c, "limits.io-bytes"
	case "io-ops":
		l.IOOpsPerSec++
		return c, "limits.io-ops"
	case "io-ops-unlimited":
		l.IOOpsPerSec = 0
		return c, "limits.io-ops"
	case "network":
		c.Namespaces.Network = []NIC{{Name: "eth0"}}
		return c, "namespaces.network"
	case "allow":
		n := &c.Namespaces.Network[0]
		n.Allow = append(n.Allow, "172.16.0.0/12")
		return c, fmt.Sprintf("namespaces.network[0].allow[%d]", len(n.Allow)-1)
	default:
		panic(way)
	}
}

func TestSubsetOfProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genParent(t)
		if err := p.SubsetOf(p); err != nil {
			t.Fatalf("not a subset of itself: %v", err)
		}
		if c := narrow(t, p); c.SubsetOf(p) != nil {
			t.Fatalf("narrowing refused: %v", c.SubsetOf(p))
		}
		c, field := widen(t, p)
		if err := c.Check(); err != nil {
			t.Fatalf("widened descriptor is invalid: %v", err)
		}
		err := c.SubsetOf(p)
		if !errors.Is(err, ErrNotSubset) || !strings.Contains(err.Error(), ": "+field+": ") {
			t.Fatalf("widening %s: got %v", field, err)
		}
	})
}

func TestSubsetOfExamples(t *testing.T) {
	p := valid()
	c := valid()
	c.Limits.CPUBudget, c.Limits.CPUPeriod = 50_000_000, 200_000_000 // the same ratio
	c.Limits.Devices = slices.Clone(p.Limits.Devices[:1])
	// The child maps only ids the parent maps: its root to the parent's uid 1.
	c.Namespaces.Users = []UIDMap{{Inside: 0, Outside: 1, Count: 999}, {Inside: 5000, Outside: 1000, Count: 10}}
	c.Namespaces.Groups = nil
	if err := c.SubsetOf(p); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]UIDMap{
		{{Inside: 0, Outside: 1, Count: 1000}},   // passes the end of the parent's range
		{{Inside: 0, Outside: 995, Count: 10}},   // across two of the parent's ranges
		{{Inside: 0, Outside: 100000, Count: 1}}, // the parent's outside ids, not its own
	} {
		d := *c
		d.Namespaces.Users = bad
		if err := d.SubsetOf(p); !errors.Is(err, ErrNotSubset) || !strings.Contains(err.Error(), "namespaces.users[0]") {
			t.Errorf("child users %v: got %v", bad, err)
		}
	}
	c.Namespaces.Groups = []UIDMap{{Inside: 0, Outside: 70000, Count: 1}}
	if err := c.SubsetOf(p); !errors.Is(err, ErrNotSubset) || !strings.Contains(err.Error(), "namespaces.groups[0]") {
		t.Errorf("child groups where the parent maps none: got %v", err)
	}
	c.Namespaces.Groups = nil
	c.Limits.CPUBudget++
	if err := c.SubsetOf(p); !errors.Is(err, ErrNotSubset) || !strings.Contains(err.Error(), "limits.cpu") {
		t.Fatalf("got %v", err)
	}
	// Huge values do not overflow the ratio comparison.
	p.Limits.CPUBudget, p.Limits.CPUPeriod = 1<<63, 1<<64-1
	c.Limits.CPUBudget, c.Limits.CPUPeriod = 1<<63+1, 1<<64-1
	if err := c.SubsetOf(p); !errors.Is(err, ErrNotSubset) {
		t.Fatalf("got %v", err)
	}
}
