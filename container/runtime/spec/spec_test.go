package spec

import (
	"testing"

	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// TestLimitsAndMaps: a descriptor's limits, shared pid namespace and id maps become
// the kernel's words field by field.
func TestLimitsAndMaps(t *testing.T) {
	d := &descriptor.Descriptor{Name: "svc", Limits: descriptor.Limits{CPUBudget: 20, CPUPeriod: 100, CPUPriority: 90,
		Memory: 64 << 20, MaxTasks: 8, IOBytesPerSec: 1 << 20, IOOpsPerSec: 50, OOM: descriptor.OOMKillLargestTask},
		Namespaces: descriptor.Namespaces{SharedPID: true, Users: []descriptor.UIDMap{{Inside: 0, Outside: 100000, Count: 1000}},
			Groups: []descriptor.UIDMap{{Inside: 0, Outside: 200000, Count: 10}, {Inside: 50, Outside: 300000, Count: 1}}}}
	want := abi.ContainerLimits{Memory: 64 << 20, MaxTasks: 8, CPUBudget: 20, CPUPeriod: 100, Priority: 90,
		OOM: abi.OOMPolicy(descriptor.OOMKillLargestTask), IOBytes: 1 << 20, IOOps: 50, Flags: abi.ContainerSharedPID}
	if got := Limits(d); got != want {
		t.Errorf("Limits = %+v, want %+v", got, want)
	}
	m := IDMaps(d)
	if len(m[abi.IDUser]) != 1 || m[abi.IDUser][0] != (abi.IDMap{Inside: 0, Outside: 100000, Count: 1000}) ||
		len(m[abi.IDGroup]) != 2 || m[abi.IDGroup][1] != (abi.IDMap{Inside: 50, Outside: 300000, Count: 1}) {
		t.Errorf("IDMaps = %+v", m)
	}
	for in, want := range map[string]string{"short": "short", "exactly-sixteen1": "exactly-sixteen1",
		"a-name-longer-than-sixteen": "a-name-longer-th", "abcdefghijklmno-xyz": "abcdefghijklmnox"} {
		if got := KernelName(in); got != want {
			t.Errorf("KernelName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTighten: a request within the template passes; each way of asking for more is
// named, an unlimited CPU share or I/O rate included.
func TestTighten(t *testing.T) {
	tmpl := abi.ContainerLimits{Memory: 32 << 20, MaxTasks: 8, Priority: 100, CPUBudget: 20, CPUPeriod: 100, IOBytes: 1000, IOOps: 10}
	ok := []abi.ContainerLimits{tmpl,
		{Memory: 16 << 20, MaxTasks: 1, Priority: 0, CPUBudget: 1, CPUPeriod: 10, IOBytes: 1, IOOps: 1},
		{Memory: 32 << 20, MaxTasks: 8, Priority: 100, CPUBudget: 40, CPUPeriod: 200, IOBytes: 1000, IOOps: 10}}
	for _, w := range ok {
		if why := Tighten(tmpl, w); why != "" {
			t.Errorf("Tighten(%+v) = %q, want within", w, why)
		}
	}
	bad := map[string]func(*abi.ContainerLimits){
		"memory":                    func(l *abi.ContainerLimits) { l.Memory++ },
		"task limit":                func(l *abi.ContainerLimits) { l.MaxTasks = 9 },
		"priority ceiling":          func(l *abi.ContainerLimits) { l.Priority = 101 },
		"CPU share":                 func(l *abi.ContainerLimits) { l.CPUBudget, l.CPUPeriod = 21, 100 },
		"I/O bytes per second":      func(l *abi.ContainerLimits) { l.IOBytes = 0 },
		"I/O operations per second": func(l *abi.ContainerLimits) { l.IOOps = 11 },
	}
	for want, f := range bad {
		w := tmpl
		f(&w)
		if got := Tighten(tmpl, w); got != want {
			t.Errorf("%s: Tighten = %q", want, got)
		}
	}
	w := tmpl
	w.CPUBudget, w.CPUPeriod = 0, 0
	if got := Tighten(tmpl, w); got != "CPU share" {
		t.Errorf("unlimited CPU under a limited template: %q", got)
	}
	if got := Tighten(abi.ContainerLimits{Memory: 1, MaxTasks: 1}, abi.ContainerLimits{Memory: 1, MaxTasks: 1, CPUBudget: 5, CPUPeriod: 10}); got != "" {
		t.Errorf("a CPU limit under an unlimited template: %q", got)
	}
	// Products past 64 bits compare right.
	big := abi.ContainerLimits{Memory: 1, MaxTasks: 1, CPUBudget: 1 << 40, CPUPeriod: 1<<41 + 1}
	if got := Tighten(big, abi.ContainerLimits{Memory: 1, MaxTasks: 1, CPUBudget: 1 << 40, CPUPeriod: 1 << 41}); got != "CPU share" {
		t.Errorf("large CPU share: %q", got)
	}
}
