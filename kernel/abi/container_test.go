package abi_test

import (
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"pgregory.net/rapid"
)

// TestIDMapRoundTrip: an IDMap decodes to what was encoded; a count word past 32
// bits is refused.
func TestIDMapRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		m := abi.IDMap{Inside: rapid.Uint32().Draw(t, "in"), Outside: rapid.Uint32().Draw(t, "out"), Count: rapid.Uint32().Draw(t, "n")}
		if got, ok := abi.DecodeIDMap(m.Words()); got != m || !ok {
			t.Fatalf("%+v → %+v %v", m, got, ok)
		}
	})
	if _, ok := abi.DecodeIDMap([2]uint64{0, 1 << 32}); ok {
		t.Error("a count past 32 bits decoded")
	}
}

// TestContainerRecordsRoundTrip: ContainerLimits and ContainerInfo decode to what was
// encoded (names cut to ContainerNameBytes and ending at the first zero byte).
func TestContainerRecordsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		w := rapid.Uint64()
		l := abi.ContainerLimits{Memory: w.Draw(t, "mem"), MaxTasks: w.Draw(t, "tasks"), CPUBudget: w.Draw(t, "b"),
			CPUPeriod: w.Draw(t, "p"), Priority: w.Draw(t, "prio"), OOM: abi.OOMPolicy(w.Draw(t, "oom")), Flags: w.Draw(t, "flags"),
			IOBytes: w.Draw(t, "iob"), IOOps: w.Draw(t, "ioo")}
		if got := abi.DecodeContainerLimits(l.Words()); got != l {
			t.Fatalf("limits %+v → %+v", l, got)
		}
		name := rapid.StringMatching(`[a-z0-9-]{0,20}`).Draw(t, "name")
		info := abi.ContainerInfo{ID: w.Draw(t, "id"), Parent: w.Draw(t, "parent"), State: abi.ContainerState(w.Draw(t, "state")),
			Limits: l, MemUsed: w.Draw(t, "used"), Tasks: w.Draw(t, "n"), CPUNanos: w.Draw(t, "cpu"),
			MemLimitHits: w.Draw(t, "mh"), OOMKills: w.Draw(t, "ok"), TaskLimitHits: w.Draw(t, "th"),
			IOBytesCharged: w.Draw(t, "ib"), IOOpsCharged: w.Draw(t, "io"), IODelayNanos: w.Draw(t, "id"), Name: name}
		got := abi.DecodeContainerInfo(info.Words())
		if len(name) > abi.ContainerNameBytes {
			info.Name = name[:abi.ContainerNameBytes]
		}
		if got != info {
			t.Fatalf("info %+v → %+v", info, got)
		}
	})
}

func TestContainerStateNames(t *testing.T) {
	for s, want := range map[abi.ContainerState]string{abi.ContainerCreated: "created", abi.ContainerStopping: "stopping",
		abi.ContainerDestroyed: "destroyed", 9: "ContainerState(0x9)"} {
		if s.String() != want {
			t.Errorf("%d: %q, want %q", uint64(s), s.String(), want)
		}
	}
}
