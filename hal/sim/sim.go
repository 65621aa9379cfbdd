// Package sim is the simulated machine: a deterministic implementation of hal.Machine
// whose user tasks are goroutines.
//
// Exactly one goroutine runs at a time: either the kernel loop or the one user task the
// kernel has entered. A task runs until its next trap (system call, page fault, the end
// of its program) and then blocks until the kernel enters it again, so every run of the
// same program is the same run. Time is virtual: each trap costs TrapCost, Compute
// burns the time it is asked for, and the deadline timer preempts a task in the middle
// of a Compute exactly as a timer interrupt would.
//
// User programs are Go functions registered under an entry address ("program counter");
// a thread whose PC is that address runs that function. They reach the kernel only
// through their Port: system calls with registers, loads and stores through their own
// address space, and Compute. Nothing else is shared between tasks.
package sim

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sort"

	"github.com/skyscope-os/skyscope/hal"
)

// Entry is a simulated user program. It returns when the thread's code ends.
type Entry func(p *Port)

// Config describes a simulated machine.
type Config struct {
	MemoryFrames int              // physical memory in frames (default 16384: 64 MiB)
	Programs     map[uint64]Entry // user programs by entry address
	Console      io.Writer        // console output (default os.Stdout)
	Seed         uint64           // entropy seed (runs with the same seed are identical)
	IRQLines     int              // interrupt lines (default 32)
	TrapCost     hal.Time         // virtual time one trap costs (default 100 ns)
	// Devices are the machine's devices; BAR addresses are assigned by the machine
	// (only sizes are read here).
	Devices []hal.Device
}

// Machine is a simulated computer. Create it with New.
type Machine struct {
	cfg   Config
	cpu   CPU
	mem   memory
	irq   interrupts
	devs  devices
	cons  io.Writer
	rng   *rand.ChaCha8
	entry map[uint64]Entry
	live  map[*context]struct{} // contexts made by NewContext and not yet released
}

// New builds a simulated machine from cfg.
func New(cfg Config) *Machine {
	if cfg.MemoryFrames <= 0 {
		cfg.MemoryFrames = 16384
	}
	if cfg.IRQLines <= 0 {
		cfg.IRQLines = 32
	}
	if cfg.TrapCost <= 0 {
		cfg.TrapCost = 100
	}
	if cfg.Console == nil {
		cfg.Console = os.Stdout
	}
	var seed [32]byte
	for i := 0; i < 8; i++ {
		seed[i] = byte(cfg.Seed >> (8 * i))
	}
	m := &Machine{cfg: cfg, cons: cfg.Console, rng: rand.NewChaCha8(seed), entry: map[uint64]Entry{},
		live: map[*context]struct{}{}}
	for pc, e := range cfg.Programs {
		m.entry[pc] = e
	}
	m.cpu.m = m
	m.cpu.trapped = make(chan struct{})
	m.mem.init(cfg.MemoryFrames)
	m.irq.init(cfg.IRQLines)
	m.devs.init(&m.mem, cfg.Devices)
	return m
}

// AddProgram registers a user program at entry address pc.
func (m *Machine) AddProgram(pc uint64, e Entry) {
	if _, dup := m.entry[pc]; dup {
		panic(fmt.Sprintf("sim: program address %#x registered twice", pc))
	}
	m.entry[pc] = e
}

// Shutdown discards the program of every context not yet released, as Release does, so
// that a machine dropped while its threads are blocked or preempted leaves no goroutines
// behind. Call it only while the kernel is not running (after Run returns); the machine
// must not be used afterwards.
func (m *Machine) Shutdown() {
	for ctx := range m.live {
		ctx.Release()
	}
}

// CPU implements hal.Machine.
func (m *Machine) CPU() hal.CPU { return &m.cpu }

// Memory implements hal.Machine.
func (m *Machine) Memory() hal.Memory { return &m.mem }

// NewPageTable implements hal.Machine.
func (m *Machine) NewPageTable() (hal.PageTable, error) {
	return &pageTable{m: m, pages: map[hal.VirtAddr]pte{}}, nil
}

// Interrupts implements hal.Machine.
func (m *Machine) Interrupts() hal.Interrupts { return &m.irq }

// Console implements hal.Machine.
func (m *Machine) Console() hal.Console { return consoleWriter{m.cons} }

// Entropy implements hal.Machine.
func (m *Machine) Entropy() hal.Entropy { return m.rng }

// RaiseIRQ makes interrupt line fire at machine time at (or as soon as it is unmasked).
func (m *Machine) RaiseIRQ(line int, at hal.Time) {
	if line < 0 || line >= len(m.irq.masked) {
		panic(fmt.Sprintf("sim: no interrupt line %d", line))
	}
	m.irq.events = append(m.irq.events, irqEvent{at: at, line: line})
	sort.SliceStable(m.irq.events, func(i, j int) bool { return m.irq.events[i].at < m.irq.events[j].at })
}

type consoleWriter struct{ w io.Writer }

func (c consoleWriter) Write(p []byte) (int, error) { return c.w.Write(p) }

type irqEvent struct {
	at   hal.Time
	line int
}

type interrupts struct {
	masked []bool
	events []irqEvent // sorted by time
}

func (ic *interrupts) init(n int) { ic.masked = make([]bool, n) }

// Lines implements hal.Interrupts.
func (ic *interrupts) Lines() int { return len(ic.masked) }

// Claimable implements hal.Interrupts: every simulated line is a device's.
func (ic *interrupts) Claimable(line int) bool { return line >= 0 && line < len(ic.masked) }

// Mask implements hal.Interrupts.
func (ic *interrupts) Mask(line int) { ic.masked[line] = true }

// Unmask implements hal.Interrupts.
func (ic *interrupts) Unmask(line int) { ic.masked[line] = false }

// due returns the index of the first unmasked event at or before now, or -1.
func (ic *interrupts) due(now hal.Time) int {
	for i, e := range ic.events {
		if e.at > now {
			break
		}
		if !ic.masked[e.line] {
			return i
		}
	}
	return -1
}

// next returns the time of the earliest unmasked pending event (which may be in the past).
func (ic *interrupts) next() hal.Time {
	for _, e := range ic.events {
		if !ic.masked[e.line] {
			return e.at
		}
	}
	return hal.Forever
}

func (ic *interrupts) take(i int) int {
	line := ic.events[i].line
	ic.events = append(ic.events[:i], ic.events[i+1:]...)
	return line
}
