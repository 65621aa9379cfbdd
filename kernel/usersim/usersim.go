// Package usersim runs programs written against the user library on the simulated
// machine: it adapts a func(*user.Env) to a hal/sim program and boots a kernel with a
// set of such programs. Tests and tools/skysim use it.
package usersim

import (
	"bytes"
	"io"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Program is a user task's main function. Its thread starts with its IPC buffer's
// address as argument, which is where Env expects it.
type Program func(e *user.Env)

// Entry adapts p to a simulated program.
func Entry(p Program) sim.Entry {
	return func(port *sim.Port) { p(user.New(port, port.Arg())) }
}

// InitEntry is the address init is registered at.
const InitEntry = 0x40_0000

// Machine is a booted simulated machine.
type Machine struct {
	*kernel.Kernel
	Sim     *sim.Machine
	Console *bytes.Buffer // everything written to the console (also copied to Config.Console, if set)
}

// Config describes a machine to boot.
type Config struct {
	Init     Program            // the init task
	Programs map[uint64]Program // other programs, by entry address (not InitEntry)
	Kernel   kernel.Config      // InitEntry is filled in
	Sim      sim.Config         // Programs and Console are filled in
	Console  io.Writer          // also receives console output (optional)
}

// Boot builds and boots a simulated machine.
func Boot(cfg Config) (*Machine, error) {
	buf := &bytes.Buffer{}
	cfg.Sim.Console = buf
	if cfg.Console != nil {
		cfg.Sim.Console = io.MultiWriter(buf, cfg.Console)
	}
	cfg.Sim.Programs = map[uint64]sim.Entry{InitEntry: Entry(cfg.Init)}
	for pc, p := range cfg.Programs {
		cfg.Sim.Programs[pc] = Entry(p)
	}
	m := sim.New(cfg.Sim)
	cfg.Kernel.InitEntry = InitEntry
	k, err := kernel.Boot(m, cfg.Kernel)
	if err != nil {
		return nil, err
	}
	return &Machine{Kernel: k, Sim: m, Console: buf}, nil
}
