// Package runtime instantiates verified container descriptors as kernel containers:
// the bridge between the signed description (container/descriptor) and the kernel's
// container object (kernel.Container), which knows nothing of descriptors or
// signatures. Only a *descriptor.Verified reaches Create, so a descriptor whose
// signature or checks failed cannot become a container.
package runtime

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// ErrParent is returned by Create when the descriptor names a parent other than the
// container it is asked to nest in.
var ErrParent = errors.New("container descriptor names another parent")

// Limits returns the kernel limits a descriptor asks for: its CPU budget, priority
// ceiling, memory, task limit and OOM policy, and a shared pid namespace if its
// namespaces say so. (I/O rates and devices are enforced by the services that serve
// them, not by the kernel.)
func Limits(d *descriptor.Descriptor) abi.ContainerLimits {
	l := abi.ContainerLimits{
		Memory:    d.Limits.Memory,
		MaxTasks:  uint64(d.Limits.MaxTasks),
		CPUBudget: d.Limits.CPUBudget,
		CPUPeriod: d.Limits.CPUPeriod,
		Priority:  uint64(d.Limits.CPUPriority),
		OOM:       abi.OOMPolicy(d.Limits.OOM),
	}
	if d.Namespaces.SharedPID {
		l.Flags |= abi.ContainerSharedPID
	}
	return l
}

// KernelName returns the name the kernel keeps for a descriptor's container: its
// name cut to abi.ContainerNameBytes (a descriptor's name may be longer).
func KernelName(d *descriptor.Descriptor) string {
	n := d.Name
	if len(n) > abi.ContainerNameBytes {
		n = n[:abi.ContainerNameBytes]
	}
	if n[len(n)-1] == '-' { // a cut name still ends in a letter or digit
		n = n[:len(n)-1] + "x"
	}
	return n
}

// Create makes the container v describes, nested in parent (k.RootContainer() for a
// top-level one, whose descriptor names no parent). The descriptor's parent, if it
// names one, must be parent. The kernel checks the limits against parent's; on an
// error nothing was made.
func Create(k *kernel.Kernel, parent *kernel.Container, v *descriptor.Verified) (*kernel.Container, error) {
	d := v.Descriptor()
	want := ""
	if parent.Parent() != nil {
		want = parent.Name()
	}
	if d.Parent != want && !(len(d.Parent) > abi.ContainerNameBytes && KernelName(&descriptor.Descriptor{Name: d.Parent}) == want) {
		return nil, fmt.Errorf("%w: %q, asked to nest in %q", ErrParent, d.Parent, want)
	}
	return k.CreateContainer(parent, KernelName(d), Limits(d))
}
