// Package spec turns a container descriptor into what the kernel's container calls
// take: its limits, the name the kernel keeps, its id maps. It is the part of
// container/runtime that needs neither the hosted kernel nor a kernel/user
// environment, so both the hosted runtime (container/runtime.Create) and the machine's
// ctr run (container/ctr, over kernel/user) make a descriptor's container the same way.
package spec

import (
	"math/bits"

	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Limits returns the kernel limits a descriptor asks for: its CPU budget, priority
// ceiling, memory, task limit, OOM policy and I/O rates, and a shared pid namespace
// if its namespaces say so.
func Limits(d *descriptor.Descriptor) abi.ContainerLimits {
	l := abi.ContainerLimits{
		Memory:    d.Limits.Memory,
		MaxTasks:  uint64(d.Limits.MaxTasks),
		CPUBudget: d.Limits.CPUBudget,
		CPUPeriod: d.Limits.CPUPeriod,
		Priority:  uint64(d.Limits.CPUPriority),
		OOM:       abi.OOMPolicy(d.Limits.OOM),
		IOBytes:   d.Limits.IOBytesPerSec,
		IOOps:     d.Limits.IOOpsPerSec,
	}
	if d.Namespaces.SharedPID {
		l.Flags |= abi.ContainerSharedPID
	}
	return l
}

// KernelName returns the name the kernel keeps for a container named name: the name
// cut to abi.ContainerNameBytes (a descriptor's name may be longer), still ending in
// a letter or digit.
func KernelName(name string) string {
	n := name
	if len(n) > abi.ContainerNameBytes {
		n = n[:abi.ContainerNameBytes]
	}
	if n != "" && n[len(n)-1] == '-' {
		n = n[:len(n)-1] + "x"
	}
	return n
}

// IDMaps returns a descriptor's user and group id mappings as the kernel takes them
// (abi.IDUser, abi.IDGroup order); an empty list means none mapped.
func IDMaps(d *descriptor.Descriptor) [2][]abi.IDMap {
	var out [2][]abi.IDMap
	for kind, maps := range [2][]descriptor.UIDMap{d.Namespaces.Users, d.Namespaces.Groups} {
		for _, m := range maps {
			out[kind] = append(out[kind], abi.IDMap{Inside: m.Inside, Outside: m.Outside, Count: m.Count})
		}
	}
	return out
}

// Tighten checks that want asks for no more than the template allows — memory, tasks,
// priority ceiling, CPU share and I/O rates each at most the template's (an unlimited
// CPU share or I/O rate, 0, only where the template's is unlimited) — and returns the
// first way it does not, or "" if it is within. The OOM policy and flags are the
// template's to decide and are not compared.
func Tighten(template, want abi.ContainerLimits) string {
	switch {
	case want.Memory > template.Memory:
		return "memory"
	case want.MaxTasks > template.MaxTasks:
		return "task limit"
	case want.Priority > template.Priority:
		return "priority ceiling"
	case template.CPUBudget != 0 && (want.CPUBudget == 0 || want.CPUPeriod == 0 ||
		// budget/period > template's, compared without division: b·P > B·p.
		mulGreater(want.CPUBudget, template.CPUPeriod, template.CPUBudget, want.CPUPeriod)):
		return "CPU share"
	case template.IOBytes != 0 && (want.IOBytes == 0 || want.IOBytes > template.IOBytes):
		return "I/O bytes per second"
	case template.IOOps != 0 && (want.IOOps == 0 || want.IOOps > template.IOOps):
		return "I/O operations per second"
	}
	return ""
}

// mulGreater reports a·b > c·d without overflow (128-bit products).
func mulGreater(a, b, c, d uint64) bool {
	ah, al := mul64(a, b)
	ch, cl := mul64(c, d)
	return ah > ch || ah == ch && al > cl
}

func mul64(x, y uint64) (hi, lo uint64) { return bits.Mul64(x, y) }
