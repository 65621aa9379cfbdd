package ctr

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/container/runtime/spec"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Images is where ctr run finds signed container images (container/image) and how it
// starts their modules: on the machine, the boot bundle's /images folder, the module
// repository as the package store, and the module manager.
type Images interface {
	// Find returns the signed image called name and where it was found; ErrNoImage
	// (wrapped) if there is none of that name, another error if there is one that
	// cannot be read.
	Find(name string) (signed []byte, where string, err error)
	// Verify checks a signed image (image.Verify: its signature, its template and
	// every package it pins, against the trusted keys and the module repository).
	Verify(signed []byte) (*image.Verified, error)
	// Load has module ref loaded inside the container whose System object (Read,
	// Write) is in slot sys of the owner's space, its task signalling notify (0:
	// none) when it ends. It returns what the loader said and the task's pid in the
	// container.
	Load(sys, notify abi.CPtr, ref descriptor.ModuleRef) (string, uint64, error)
}

// ErrNoImage is returned (wrapped) by Images.Find for a name no image has.
var ErrNoImage = errors.New("no such container image")

// imageFlags are the run flags an image's template leaves to the caller: the limits
// it may tighten, the name, and memory on demand (how the limit is charged, not how
// much).
var imageFlags = map[string]bool{"cpu": true, "mem": true, "pids": true, "priority": true, "io-bytes": true,
	"io-ops": true, "name": true, "mem-on-demand": true, "image": true, "wait": true}

// runImage makes the container a verified image's descriptor template describes and
// loads its entry modules inside it, the first signalling the exit notification.
// signed is the image Images.Find found for ref at where; it is verified first.
// The flags set (set) may only tighten the template's limits (l: the limits the
// flags give, with the unset ones at their defaults). Everything made is undone if a
// step fails.
func (c *Ctl) runImage(fs *flag.FlagSet, set map[string]bool, l abi.ContainerLimits, name, ref string, signed []byte, where string) error {
	if fs.NArg() > 1 {
		return fmt.Errorf("image %s: an image's entry modules take no arguments (%q)", ref, strings.Join(fs.Args()[1:], " "))
	}
	v, err := c.Images.Verify(signed)
	if err != nil {
		return fmt.Errorf("image %s (%s) refused: %w", ref, where, err)
	}
	d := v.Descriptor().Descriptor()
	for f := range set {
		if !imageFlags[f] {
			return fmt.Errorf("--%s: image %s's descriptor decides its devices, id maps, network and mounts; "+
				"with an image ctr run may only tighten the limits (--cpu, --mem, --pids, --priority, --io-bytes, --io-ops) and --name it", f, ref)
		}
	}
	switch {
	case d.Parent != "":
		return fmt.Errorf("image %s: its template nests in container %q; the shell makes top-level containers", ref, d.Parent)
	case len(d.Namespaces.Network) > 0:
		return fmt.Errorf("image %s: its template asks for %d vNIC(s); images with a network are not made on the machine yet (use a program with --net)", ref, len(d.Namespaces.Network))
	case len(d.Namespaces.Mounts) > 0:
		return fmt.Errorf("image %s: its template asks for %d mount(s); images with mounts are not made on the machine yet (use a program with --mount)", ref, len(d.Namespaces.Mounts))
	}
	tmpl := spec.Limits(d)
	want := tmpl
	for f, apply := range map[string]func(){
		"mem":      func() { want.Memory = l.Memory },
		"pids":     func() { want.MaxTasks = l.MaxTasks },
		"priority": func() { want.Priority = l.Priority },
		"cpu":      func() { want.CPUBudget, want.CPUPeriod = l.CPUBudget, l.CPUPeriod },
		"io-bytes": func() { want.IOBytes = l.IOBytes },
		"io-ops":   func() { want.IOOps = l.IOOps },
	} {
		if set[f] {
			apply()
		}
	}
	if why := spec.Tighten(tmpl, want); why != "" {
		return fmt.Errorf("image %s allows %s; ctr run may only tighten an image's limits, not loosen its %s", ref, limitsText(tmpl), why)
	}
	if set["mem-on-demand"] {
		want.Flags |= l.Flags & abi.ContainerMemOnDemand
	}
	if name == "" {
		name = spec.KernelName(fmt.Sprintf("%s-%d", d.Name, c.seq))
		if len(d.Name)+1+len(strconv.Itoa(c.seq)) > abi.ContainerNameBytes {
			suffix := "-" + strconv.Itoa(c.seq)
			name = spec.KernelName(d.Name[:abi.ContainerNameBytes-len(suffix)]) + suffix
		}
	}
	if _, err := c.find(name); err == nil {
		return fmt.Errorf("--name %s: a container of that name exists", name)
	}
	ipc := d.Namespaces.IPC
	if ipc == nil {
		ipc = []string{}
	}
	from := creation{device: "image " + ref + ": limits.devices", idmap: "image " + ref + ": namespaces.", ipc: "image " + ref + ": namespaces.ipc"}
	cs, ns, id, undo, err := c.create(name, want, spec.IDMaps(d), d.Limits.Devices, &ipc, from)
	if err != nil {
		return err
	}
	dg := v.Digest()
	x := &container{id: id, name: name, image: d.Name, cap: cs, exit: ns, net: "none", lastAt: c.now(), ipc: ipc,
		signed: fmt.Sprintf("%s %s, digest %x…, signed by %s (%s)", v.Name(), v.Version(), dg[:8], v.Signer().Short(), where)}
	// The container's own System object, for the module manager to start the entry
	// modules inside with; deleted when they are started (the tasks keep theirs).
	sys, err := c.takeSlot()
	if err != nil {
		undo()
		return err
	}
	defer c.freeSlot(sys)
	if err := c.E.ContainerSystem(cs, abi.RightRead|abi.RightWrite, c.CSpace, sys); err != nil {
		undo()
		return fmt.Errorf("image %s: the container's System: %w", ref, explain(err))
	}
	var out strings.Builder
	for i, m := range v.Entry() {
		mf := m.Manifest()
		var r descriptor.ModuleRef
		for _, pin := range d.Image {
			if pin.Module == mf.Name {
				r = pin
			}
		}
		notify := abi.CPtr(0)
		if i == 0 {
			notify = ns
		}
		said, pid, err := c.Images.Load(sys, notify, r)
		if err != nil {
			undo()
			return fmt.Errorf("image %s: module %s %s: %w", ref, r.Module, r.Version, err)
		}
		if i == 0 {
			x.entry = pid
		}
		x.modules = append(x.modules, fmt.Sprintf("%s %s (pid %d)", r.Module, r.Version, pid))
		out.WriteString(said)
	}
	c.containers = append(c.containers, x)
	fmt.Fprintf(c.Out, "%d %s\n", id, name)
	for _, line := range strings.SplitAfter(out.String(), "\n") {
		if line != "" {
			fmt.Fprintf(c.Out, "%s: %s", name, line)
		}
	}
	return nil
}

// limitsText shows limits as run's flags would set them.
func limitsText(l abi.ContainerLimits) string {
	t := fmt.Sprintf("--mem %s --pids %d --priority %d --cpu %s", Size(l.Memory), l.MaxTasks, l.Priority, cpuLimit(l))
	if l.IOBytes != 0 {
		t += " --io-bytes " + Size(l.IOBytes)
	}
	if l.IOOps != 0 {
		t += fmt.Sprintf(" --io-ops %d", l.IOOps)
	}
	return t
}
