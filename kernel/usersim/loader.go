package usersim

import (
	"fmt"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Loader starts the machine's registered programs by name, as the boot bundle's loader
// starts ELF programs on bare metal: it implements kernel.Loader for SystemSpawn.
type Loader struct {
	// Entries maps a program name to the entry address it is registered at
	// (Config.Programs).
	Entries map[string]uint64
	// MaxMemory, when not zero, caps the budget a task is given.
	MaxMemory uint64
	// CSpaceRadix, when not zero, sizes the tasks' capability spaces (kernel
	// default: 8), as the machine's loader gives Linux processes 12.
	CSpaceRadix int
}

// Load implements kernel.Loader: a task with a small stack, started at once.
func (l Loader) Load(k *kernel.Kernel, budget *kernel.Untyped, argv []string, spec kernel.TaskSpec) (*kernel.Task, abi.Errno, error) {
	return l.start(k, budget, argv[0], spec)
}

// LoadImage implements kernel.ImageLoader. The simulation has no executables: an
// image's bytes are the name of a registered program (what a module package holds
// when it is packed for the simulation), and that program is started.
func (l Loader) LoadImage(k *kernel.Kernel, budget *kernel.Untyped, img *kernel.Image, argv []string, spec kernel.TaskSpec) (*kernel.Task, abi.Errno, error) {
	return l.start(k, budget, string(img.Bytes), spec)
}

func (l Loader) start(k *kernel.Kernel, budget *kernel.Untyped, program string, spec kernel.TaskSpec) (*kernel.Task, abi.Errno, error) {
	pc, ok := l.Entries[program]
	if !ok {
		return nil, abi.ErrNotFound, fmt.Errorf("no program %q", program)
	}
	spec.Entry, spec.StackPages = pc, 2
	if spec.CSpaceRadix == 0 {
		spec.CSpaceRadix = l.CSpaceRadix
	}
	if l.MaxMemory != 0 && spec.Memory > l.MaxMemory {
		spec.Memory = l.MaxMemory
	}
	task, err := k.CreateTask(budget, spec)
	if err != nil {
		return nil, kernel.ErrnoOf(err, abi.ErrNoMemory), err
	}
	k.StartTask(task)
	return task, abi.OK, nil
}
