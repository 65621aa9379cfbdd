package descriptor

import (
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
)

func notSubset(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrNotSubset, field, fmt.Sprintf(format, args...))
}

// SubsetOf reports the first way d asks for more than parent allows, naming the
// field: a nested container's limits and rights must be within its parent's. Both
// descriptors should have passed Check. The rules: a CPU budget/period ratio no larger
// than the parent's (none at all if the parent is limited and d is not); a priority
// ceiling, memory and task limit no larger than the parent's; I/O rates no larger
// than the parent's where the parent is limited; devices among the parent's; NICs only
// if the parent has network, each allowed destination within one the parent allows.
func (d *Descriptor) SubsetOf(parent *Descriptor) error {
	c, p := &d.Limits, &parent.Limits
	if p.CPUPeriod != 0 {
		// budget_c / period_c ≤ budget_p / period_p, in 128 bits.
		if c.CPUPeriod == 0 {
			return notSubset("limits.cpu", "unlimited; the parent has %d ns per %d ns", p.CPUBudget, p.CPUPeriod)
		}
		hiC, loC := bits.Mul64(c.CPUBudget, p.CPUPeriod)
		hiP, loP := bits.Mul64(p.CPUBudget, c.CPUPeriod)
		if hiC > hiP || hiC == hiP && loC > loP {
			return notSubset("limits.cpu", "%d ns per %d ns exceeds the parent's %d ns per %d ns", c.CPUBudget, c.CPUPeriod, p.CPUBudget, p.CPUPeriod)
		}
	}
	switch {
	case c.CPUPriority > p.CPUPriority:
		return notSubset("limits.cpu-priority", "%d exceeds the parent's %d", c.CPUPriority, p.CPUPriority)
	case c.Memory > p.Memory:
		return notSubset("limits.memory", "%d bytes exceeds the parent's %d", c.Memory, p.Memory)
	case c.MaxTasks > p.MaxTasks:
		return notSubset("limits.max-tasks", "%d exceeds the parent's %d", c.MaxTasks, p.MaxTasks)
	}
	if err := rateWithin("limits.io-bytes", c.IOBytesPerSec, p.IOBytesPerSec); err != nil {
		return err
	}
	if err := rateWithin("limits.io-ops", c.IOOpsPerSec, p.IOOpsPerSec); err != nil {
		return err
	}
	for i, dev := range c.Devices {
		if !slices.Contains(p.Devices, dev) {
			return notSubset(fmt.Sprintf("limits.devices[%d]", i), "device %s is not allowed to the parent", dev)
		}
	}

	if err := idsWithin("namespaces.users", d.Namespaces.Users, parent.Namespaces.Users); err != nil {
		return err
	}
	if err := idsWithin("namespaces.groups", d.Namespaces.Groups, parent.Namespaces.Groups); err != nil {
		return err
	}

	if len(d.Namespaces.Network) > 0 && len(parent.Namespaces.Network) == 0 {
		return notSubset("namespaces.network", "the parent has no network")
	}
	var allowed []netip.Prefix
	for _, nic := range parent.Namespaces.Network {
		for _, s := range nic.Allow {
			if q, err := netip.ParsePrefix(s); err == nil {
				allowed = append(allowed, q)
			}
		}
	}
	for i, nic := range d.Namespaces.Network {
		for j, s := range nic.Allow {
			q, err := netip.ParsePrefix(s)
			if err != nil || !slices.ContainsFunc(allowed, func(a netip.Prefix) bool { return within(q, a) }) {
				return notSubset(fmt.Sprintf("namespaces.network[%d].allow[%d]", i, j), "%s is not within a destination the parent allows", s)
			}
		}
	}
	return nil
}

// idsWithin checks that a nested container maps only ids its parent maps: each of
// its outside ranges (ids as the parent's tasks see them) lies within one inside
// range of the parent's, so that every id it maps has an identity outside the parent.
func idsWithin(field string, c, p []UIDMap) error {
	for i, m := range c {
		if !slices.ContainsFunc(p, func(q UIDMap) bool {
			return m.Outside >= q.Inside && uint64(m.Outside)+uint64(m.Count) <= uint64(q.Inside)+uint64(q.Count)
		}) {
			return notSubset(fmt.Sprintf("%s[%d]", field, i), "outside ids %d+%d are not within one range the parent maps", m.Outside, m.Count)
		}
	}
	return nil
}

// rateWithin checks a rate limit, 0 meaning unlimited.
func rateWithin(field string, c, p uint64) error {
	switch {
	case p == 0:
		return nil
	case c == 0:
		return notSubset(field, "unlimited; the parent has %d per second", p)
	case c > p:
		return notSubset(field, "%d per second exceeds the parent's %d", c, p)
	}
	return nil
}

// within reports whether every address of q is in a.
func within(q, a netip.Prefix) bool {
	return q.Addr().Is4() == a.Addr().Is4() && q.Bits() >= a.Bits() && a.Contains(q.Addr())
}
