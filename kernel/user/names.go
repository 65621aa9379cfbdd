package user

import (
	"errors"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Wrappers for the IPC name registry: SystemRegister, SystemLookup, SystemUnregister
// (on the System object of the caller's own container, abi.ContainerSlotSystem inside
// a container) and ContainerNames.

// setName puts name in the payload; it refuses what the kernel would refuse for its
// length.
func (e *Env) setName(name string) error {
	if len(name) == 0 || len(name) > abi.IPCNameBytes {
		return abi.ErrRange
	}
	e.SetPayload([]byte(name))
	return nil
}

// RegisterName registers the endpoint capability ep under name in the IPC names of
// sys's container (the caller's own). The name lasts while ep stays in its slot.
func (e *Env) RegisterName(sys abi.CPtr, name string, ep abi.CPtr) error {
	if err := e.setName(name); err != nil {
		return err
	}
	return e.invoke(sys, abi.SystemRegister, []uint64{uint64(len(name))}, []abi.CPtr{ep})
}

// LookupName copies the capability registered under name in the IPC names of sys's
// container (the caller's own) into slot dst of CSpace cs (abi.ErrNotFound: no such
// name there).
func (e *Env) LookupName(sys abi.CPtr, name string, cs, dst abi.CPtr) error {
	if err := e.setName(name); err != nil {
		return err
	}
	return e.invoke(sys, abi.SystemLookup, []uint64{uint64(len(name)), uint64(dst)}, []abi.CPtr{cs})
}

// UnregisterName removes name from the IPC names of sys's container; ep is the
// capability it was registered with.
func (e *Env) UnregisterName(sys abi.CPtr, name string, ep abi.CPtr) error {
	if err := e.setName(name); err != nil {
		return err
	}
	return e.invoke(sys, abi.SystemUnregister, []uint64{uint64(len(name))}, []abi.CPtr{ep})
}

// ContainerNames lists the names registered in container c's IPC names.
func (e *Env) ContainerNames(c abi.CPtr) ([]string, error) {
	var names []string
	for i := uint64(0); ; i++ {
		err := e.invoke(c, abi.ContainerNames, []uint64{i}, nil)
		if errors.Is(err, abi.ErrNotFound) {
			return names, nil
		}
		if err != nil {
			return names, err
		}
		names = append(names, string(e.Payload(int(e.r.MR[0]))))
	}
}

// AllowName puts name on container c's IPC allow-list ("" only makes the list, so
// that the container may register nothing): once it has a list, its tasks can
// register only the names on it. Only before the container's first task.
func (e *Env) AllowName(c abi.CPtr, name string) error {
	if name == "" {
		return e.invoke(c, abi.ContainerAllowName, []uint64{0}, nil)
	}
	if err := e.setName(name); err != nil {
		return err
	}
	return e.invoke(c, abi.ContainerAllowName, []uint64{uint64(len(name))}, nil)
}
