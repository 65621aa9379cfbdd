// Package manager is the module manager's logic: loading a module means finding it in
// the signed repository index, fetching its package, verifying it completely
// (pipeline/repo and pipeline/modpkg), keeping the verified image in a cache keyed by
// digest, and endowing the module with exactly the capabilities both its manifest
// requests and the system policy allows. A predictor learned from past load sequences
// prefetches what is likely to be loaded next.
//
// The module manager task (a user task on the machine) wraps this package; the kernel
// creates the process from a *modpkg.Verified only, so nothing unverified runs.
package manager

import (
	"sort"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Policy is the system's capability policy: for each capability name, the most rights
// any module may get, and per module, extra names it alone may get.
type Policy struct {
	// Global lists the capabilities every module may be endowed with, and their
	// rights.
	Global map[string]abi.Rights
	// PerModule lists, per module name, capabilities only that module may get; its
	// rights add to the global ones for that name.
	PerModule map[string]map[string]abi.Rights
}

// Grant is one capability endowed to a module.
type Grant struct {
	Name   string
	Rights abi.Rights
}

// Endow returns what a module named module that requests caps gets: exactly the
// requested names the policy allows it, each with the rights the policy allows (never
// more), in name order. Requested names the policy does not allow are returned as
// refused.
func (p Policy) Endow(module string, caps []string) (granted []Grant, refused []string) {
	seen := map[string]bool{}
	for _, c := range caps {
		if seen[c] {
			continue
		}
		seen[c] = true
		r, ok := p.allowed(module, c)
		if !ok || r == 0 {
			refused = append(refused, c)
			continue
		}
		granted = append(granted, Grant{Name: c, Rights: r})
	}
	sort.Slice(granted, func(i, j int) bool { return granted[i].Name < granted[j].Name })
	sort.Strings(refused)
	return granted, refused
}

func (p Policy) allowed(module, name string) (abi.Rights, bool) {
	r, ok := p.Global[name]
	if m, ok2 := p.PerModule[module]; ok2 {
		if mr, ok3 := m[name]; ok3 {
			r |= mr
			ok = true
		}
	}
	return r & abi.AllRights, ok
}
