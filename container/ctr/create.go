package ctr

import (
	"fmt"
	"slices"

	"github.com/skyscope-os/skyscope/container/devname"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// creation names where a container's settings came from, for the messages of
// create: run's flags or an image's descriptor template.
type creation struct {
	device, idmap, ipc string // "--device", "--uidmap"/"--gidmap" (IDKind appended), …
}

// creationFlags is the creation of a run with flags.
var creationFlags = creation{device: "--device", idmap: "--", ipc: "ipc"}

// create makes container name with limits l, id maps (abi.IDUser, abi.IDGroup
// order), the devices the names in devices match on its allow-list and, if ipc is
// not nil, an IPC allow-list of exactly *ipc (empty: it may register nothing); then
// the notification its entry task will signal. It returns the Container capability's
// slot, the notification's, the kernel id, and undo, which destroys the container and
// frees both slots. On an error nothing is left.
func (c *Ctl) create(name string, l abi.ContainerLimits, idMaps [2][]abi.IDMap, devices []string, ipc *[]string,
	from creation) (cs, ns abi.CPtr, id uint64, undo func(), err error) {
	if cs, err = c.takeSlot(); err != nil {
		return 0, 0, 0, nil, err
	}
	if ns, err = c.takeSlot(); err != nil {
		c.freeSlot(cs)
		return 0, 0, 0, nil, err
	}
	free := func() {
		c.freeSlot(cs)
		c.freeSlot(ns)
	}
	// The device names first: a name this machine lacks refuses the command before
	// anything is made, as it refuses a descriptor.
	var allowDev []uint64
	if len(devices) > 0 {
		devs, err := c.devices(ns)
		if err != nil {
			free()
			return 0, 0, 0, nil, fmt.Errorf("%s: listing the devices: %w", from.device, explain(err))
		}
		for _, name := range devices {
			idx, err := devname.Match(devs, name)
			if err != nil {
				free()
				return 0, 0, 0, nil, fmt.Errorf("%s %s: %w (the shell's devices command lists them)", from.device, name, err)
			}
			for _, i := range idx {
				if !slices.Contains(allowDev, uint64(i)) {
					allowDev = append(allowDev, uint64(i))
				}
			}
		}
	}
	if id, err = c.E.CreateContainer(c.Sys, name, l, cs); err != nil {
		free()
		return 0, 0, 0, nil, fmt.Errorf("container %s: %w", name, explain(err))
	}
	undo = func() {
		_ = c.E.DestroyContainer(cs)
		free()
	}
	fail := func(e error) (abi.CPtr, abi.CPtr, uint64, func(), error) {
		undo()
		return 0, 0, 0, nil, e
	}
	for kind, maps := range idMaps {
		if len(maps) == 0 {
			continue
		}
		if err := c.E.SetContainerIDMap(cs, abi.IDKind(kind), maps); err != nil {
			return fail(fmt.Errorf("%s%smap: %w (inside root maps to an id ≥ 65536, never to 0; at most %d ranges, not overlapping)", from.idmap, abi.IDKind(kind), err, abi.MaxIDMaps))
		}
	}
	for _, d := range allowDev {
		// The notification's slot holds each Device capability while it is allowed.
		if _, err := c.E.Device(c.Sys, d, c.CSpace, ns); err != nil {
			return fail(fmt.Errorf("%s: device %d: %w", from.device, d, explain(err)))
		}
		err := c.E.AllowDevice(cs, ns)
		_ = c.E.Delete(c.CSpace, ns)
		if err != nil {
			return fail(fmt.Errorf("%s: device %d: %w", from.device, d, explain(err)))
		}
	}
	if ipc != nil {
		// The list is made even when empty: then the container may register nothing.
		if err := c.E.AllowName(cs, ""); err != nil {
			return fail(fmt.Errorf("%s: %w", from.ipc, explain(err)))
		}
		for _, n := range *ipc {
			if err := c.E.AllowName(cs, n); err != nil {
				return fail(fmt.Errorf("%s %s: %w", from.ipc, n, explain(err)))
			}
		}
	}
	if err := c.E.Retype(c.Untyped, abi.ObjNotification, 0, c.CSpace, ns, 1); err != nil {
		return fail(fmt.Errorf("making the exit notification: %w", err))
	}
	return cs, ns, id, undo, nil
}
