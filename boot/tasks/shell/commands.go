package main

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/container/netsup"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
)

// shell runs commands against the kernel through its System capability.
type shell struct {
	e          *user.Env
	sys        abi.CPtr // the System object
	exit       abi.CPtr // a notification signalled when a foreground program ends
	out        io.Writer
	uptime     func() time.Duration
	logNext    uint64              // how far `log` has shown the kernel log
	quit       bool                // `exit` was run
	console    abi.CPtr            // granted to programs ctr starts in containers (0: none)
	ctl        *ctr.Ctl            // the containers ctr made (made by the first ctr command)
	files      *fileproto.Client   // the filesystem task's client, made by the first file command
	views      [maxViews]bool      // containers' file views registered (mountView), by index
	relay      *fileproto.EndRelay // reports ends of tasks holding views to skyaifsd (nil: none)
	newEnv     func() *user.Env    // a kernel interface for a new thread (nil: no threads, no relay)
	irqControl abi.CPtr            // the IRQ control init grants (0: none): for the disk driver's line
	mgrTask    uint64              // the module manager's task id (0: not started)
	netCtl     *netsup.Control     // the NIC supervisor's control client (nil: not started)
	images     ctr.Images          // ctr run's signed images (nil: the boot bundle's, bundleImages)
}

// command is one shell command.
type command struct {
	args    string // argument synopsis
	summary string
	run     func(s *shell, args []string) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"help":     {"", "list the commands", (*shell).help},
		"ps":       {"", "list tasks: id, parent, state, threads, priority, memory, CPU time, name", (*shell).ps},
		"kill":     {"ID...", "end tasks and free everything they made", (*shell).kill},
		"run":      {"NAME [ARG...] [&]", "start a program from the boot bundle; wait for it unless the last word is &", (*shell).run},
		"mem":      {"", "show the machine's memory and what tasks use", (*shell).mem},
		"caps":     {"ID", "list a task's capabilities", (*shell).caps},
		"uptime":   {"", "show the time since boot", (*shell).showUptime},
		"log":      {"[-a]", "show the kernel log written since the last `log` (-a: all of it)", (*shell).log},
		"shutdown": {"", "power the machine off", (*shell).shutdown},
		"echo":     {"[WORD...]", "print the words", (*shell).echo},
		"modules":  {"", "list the signed modules the kernel verified in the boot bundle, and the module repository", (*shell).modules},
		"load":     {"NAME [VERSION]", "load a module from the repository (verified, decompressed by the compression service) and start it", moduleCommand("load")},
		"update":   {"NAME VERSION", "live-update a service module; rolled back if the new version fails to start", moduleCommand("update")},
		"services": {"", "list the services the module manager runs and their versions", moduleCommand("services")},
		"audit":    {"[save DIR]", "show and verify the module manager's audit log (sealed by the key vault); save writes it and the vault's key to the disk", (*shell).audit},
		"devices":  {"", "list the machine's devices: number, PCI address, vendor:device, class, interrupt line, register regions", (*shell).devices},
		"ls":       {"[PATH]", "list a directory of the disk (SKYAIFS)", fileCommand("ls")},
		"cat":      {"PATH", "print a file of the disk", fileCommand("cat")},
		"write":    {"PATH TEXT...", "write a line to a file of the disk (replacing it) and fsync it", fileCommand("write")},
		"mkdir":    {"PATH [MODE]", "make a directory on the disk (MODE octal, default 755)", fileCommand("mkdir")},
		"stat":     {"PATH", "show a name's kind, mode, owner and size on the disk", fileCommand("stat")},
		"region":   {"PATH SIZE", "make a file and bind memory frames to it with the two-phase commit (again: finish or re-bind it)", (*shell).region},
		"rm":       {"PATH", "remove a file or empty directory of the disk (a region's file: its record too)", (*shell).rm},
		"mv":       {"FROM TO", "rename on the disk (atomically, replacing TO)", fileCommand("mv")},
		"encrypt":  {"DIR KEYID", "encrypt what is created in the empty directory DIR with keys the storage vault derives for KEYID", fileCommand("encrypt")},
		"df":       {"", "show the disk's free space", fileCommand("df")},
		"sync":     {"", "make everything written to the disk durable", fileCommand("sync")},
		"fsbench":  {"[MiB]", "measure the disk through the filesystem task: sequential and random read/write, small-file creates", fileCommand("bench")},
		"peek":     {"DEVICE BAR OFFSET", "read a 32-bit register of a device (numbered as devices lists them) through a mapping of its page", (*shell).peek},
		"ctr":      {"SUBCOMMAND [ARG...]", "containers, docker-style: run, ps, exec, stop, kill, rm, inspect, logs, stats, link, wait (ctr help)", (*shell).ctr},
		"exit":     {"", "end this shell (init starts a new one)", func(s *shell, _ []string) error { s.quit = true; return nil }},
	}
}

// exec runs one command line and reports errors on the output.
func (s *shell) exec(line string) {
	words := strings.Fields(line)
	if len(words) == 0 || strings.HasPrefix(words[0], "#") {
		return
	}
	c, ok := commands[words[0]]
	if !ok {
		fmt.Fprintf(s.out, "%s: unknown command; type help for the list\n", words[0])
		return
	}
	if err := c.run(s, words[1:]); err != nil {
		fmt.Fprintf(s.out, "%s: %v\n", words[0], err)
	}
}

func (s *shell) help(args []string) error {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	w := tabwriter.NewWriter(s.out, 0, 8, 2, ' ', 0)
	for _, n := range names {
		c := commands[n]
		fmt.Fprintf(w, "  %s %s\t%s\n", n, c.args, c.summary)
	}
	return w.Flush()
}

func (s *shell) ps(args []string) error {
	ts, err := s.e.Tasks(s.sys)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(s.out, 0, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "ID\tPARENT\tSTATE\tTHREADS\tPRIO\tMEMORY\tLIMIT\tCPU\t NAME\t")
	for _, t := range ts {
		state := t.State.String()
		if t.State != abi.TaskLive {
			state += " " + strconv.FormatInt(t.Status, 10)
		}
		fmt.Fprintf(w, "%d\t%d\t%s\t%d\t%d\t%s\t%s\t%s\t %s\t\n", t.ID, t.Parent, state, t.Threads, t.Priority,
			ctr.Size(t.MemUsed), ctr.Size(t.MemLimit), time.Duration(t.CPUNanos).Round(time.Millisecond), t.Name)
	}
	return w.Flush()
}

func (s *shell) kill(args []string) error {
	if len(args) == 0 {
		return errors.New("name the tasks to end: kill ID...")
	}
	for _, a := range args {
		id, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a task id (see ps)", a)
		}
		if err := s.e.Kill(s.sys, id); err != nil {
			return fmt.Errorf("task %d: %w", id, explain(err))
		}
		s.e.TaskStatus(s.sys, id) // forget its record: the shell reported the end
		fmt.Fprintf(s.out, "task %d killed\n", id)
	}
	return nil
}

func (s *shell) run(args []string) error {
	if len(args) == 0 {
		return errors.New("name a program from the boot bundle: run NAME [ARG...] [&]")
	}
	background := args[len(args)-1] == "&"
	if background {
		args = args[:len(args)-1]
	}
	notify := s.exit
	if background {
		notify = 0
	}
	id, err := s.e.StartProgram(s.sys, args, 0, 0, notify)
	if err != nil {
		if errors.Is(err, abi.ErrNotFound) {
			return fmt.Errorf("%s: no such program in the boot bundle", args[0])
		}
		return fmt.Errorf("%s: %w (the kernel log says more: log)", args[0], err)
	}
	if background {
		fmt.Fprintf(s.out, "[%d] %s\n", id, args[0])
		return nil
	}
	if _, err := s.e.Wait(s.exit); err != nil {
		return err
	}
	state, status, err := s.e.TaskStatus(s.sys, id)
	if err != nil {
		return err
	}
	if state != abi.TaskExited || status != 0 {
		fmt.Fprintf(s.out, "[%d] %s %v, status %d\n", id, args[0], state, status)
	}
	return nil
}

func (s *shell) mem(args []string) error {
	m, err := s.e.Memory(s.sys)
	if err != nil {
		return err
	}
	ts, err := s.e.Tasks(s.sys)
	if err != nil {
		return err
	}
	var used uint64
	for _, t := range ts {
		if t.State == abi.TaskLive && t.ID != 1 {
			used += t.MemUsed
		}
	}
	fmt.Fprintf(s.out, "memory %s, free frames %s; task budgets hold %s of which tasks use %s\n",
		ctr.Size(m.Total), ctr.Size(m.Free), ctr.Size(m.RootUsed), ctr.Size(used))
	if m.Runtime > 0 {
		// Free frames rise and fall with the kernel's heap; say how much it holds so a
		// reader can tell that apart from what tasks take.
		fmt.Fprintf(s.out, "kernel runtime holds %s (free frames without it: %.1fM)\n", ctr.Size(m.Runtime), float64(m.Free+m.Runtime)/(1<<20))
	}
	if m.SharedImages > 0 {
		fmt.Fprintf(s.out, "shared code: %d programs, %d frames mapped %d times (sharing saves %s)\n",
			m.SharedImages, m.SharedFrames, m.SharedMappings, ctr.Size((m.SharedMappings-m.SharedFrames)*abi.PageSize))
	}
	return nil
}

func (s *shell) caps(args []string) error {
	if len(args) != 1 {
		return errors.New("name one task: caps ID")
	}
	id, err := strconv.ParseUint(args[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%q is not a task id (see ps)", args[0])
	}
	w := tabwriter.NewWriter(s.out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "SLOT\tTYPE\tRIGHTS\tBADGE\tOBJECT")
	n := 0
	for slot := uint64(0); ; slot++ {
		got, c, err := s.e.TaskCap(s.sys, id, slot)
		if errors.Is(err, abi.ErrNotFound) {
			break
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%d\t%v\t%v\t%#x\t%d\n", got, c.Type, c.Rights, uint64(c.Badge), c.Object)
		slot = got
		n++
	}
	if n == 0 {
		return fmt.Errorf("task %d: no such live task (see ps)", id)
	}
	return w.Flush()
}

func (s *shell) showUptime(args []string) error {
	m, err := s.e.Memory(s.sys)
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "up %v, %d tasks\n", s.uptime().Round(time.Millisecond), m.Tasks)
	return nil
}

func (s *shell) log(args []string) error {
	off := s.logNext
	if len(args) == 1 && args[0] == "-a" {
		off = 0
	} else if len(args) > 0 {
		return errors.New("usage: log [-a]")
	}
	b := make([]byte, user.MaxPayload)
	for {
		n, next, err := s.e.ReadLog(s.sys, off, b)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		s.out.Write(b[:n])
		off = next
	}
	s.logNext = off
	return nil
}

func (s *shell) shutdown(args []string) error {
	if err := s.unmountFiles(); err != nil {
		fmt.Fprintf(s.out, "shutdown: %v\n", err)
	}
	fmt.Fprintln(s.out, "powering off")
	return s.e.PowerOff(s.sys, 0)
}

// modulesFile is where the kernel lists the boot bundle's verified modules.
var modulesFile = "/boot/modules"

func (s *shell) echo(args []string) error {
	fmt.Fprintln(s.out, strings.Join(args, " "))
	return nil
}

// explain adds what to do next to the kernel's errors the shell meets most.
func explain(err error) error {
	switch {
	case errors.Is(err, abi.ErrNotFound):
		return errors.New("no such task (see ps)")
	case errors.Is(err, abi.ErrIllegal):
		return errors.New("init, the shell itself and ended tasks cannot be killed")
	}
	return err
}

// scratchSlot is where devices puts each Device capability while it reads the
// device's description; the capability is deleted again at once.
const scratchSlot abi.CPtr = 200

func (s *shell) devices(args []string) error {
	for i := uint64(0); ; i++ {
		d, err := s.e.Device(s.sys, i, abi.InitSlotCSpace, scratchSlot)
		if errors.Is(err, abi.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		s.e.Delete(abi.InitSlotCSpace, scratchSlot)
		fmt.Fprintf(s.out, "%2d  %02x:%02x.%d %04x:%04x class %02x.%02x.%02x", i, d.Bus, d.Slot, d.Func, d.Vendor, d.ID, d.Class, d.Subclass, d.ProgIF)
		if d.IRQ != 0xff && d.IRQ != 0 {
			fmt.Fprintf(s.out, " irq %d", d.IRQ)
		}
		for j, b := range d.BARs {
			switch {
			case b.Size == 0:
			case b.Flags&abi.BARIO != 0:
				fmt.Fprintf(s.out, " bar%d io %#x+%d", j, b.Addr, b.Size)
			default:
				fmt.Fprintf(s.out, " bar%d mem %#x %s", j, b.Addr, ctr.Size(b.Size))
			}
		}
		fmt.Fprintln(s.out)
	}
}

// peekFrame is the slot of the frame peek maps, next to scratchSlot.
const peekFrame = scratchSlot + 1

func (s *shell) peek(args []string) error {
	if len(args) != 3 {
		return errors.New("usage: peek DEVICE BAR OFFSET (see devices)")
	}
	var n [3]uint64
	for i, a := range args {
		v, err := strconv.ParseUint(a, 0, 64)
		if err != nil {
			return fmt.Errorf("%q is not a number", a)
		}
		n[i] = v
	}
	dev, bar, off := n[0], n[1], n[2]
	if off%4 != 0 {
		return fmt.Errorf("offset %#x is not a multiple of 4", off)
	}
	cs := abi.InitSlotCSpace
	if _, err := s.e.Device(s.sys, dev, cs, scratchSlot); err != nil {
		return fmt.Errorf("device %d: %w", dev, err)
	}
	defer s.e.Delete(cs, scratchSlot)
	if err := s.e.DeviceFrame(scratchSlot, bar, off/abi.PageSize, cs, peekFrame); err != nil {
		return fmt.Errorf("device %d BAR %d at %#x: %w", dev, bar, off, err)
	}
	defer s.e.Delete(cs, peekFrame)
	va := uint64(abi.FrameWindow)
	if err := s.e.Map(peekFrame, abi.InitSlotAddressSpace, va, user.PermRead); err != nil {
		return err
	}
	defer s.e.Unmap(peekFrame, abi.InitSlotAddressSpace, va)
	var b [4]byte
	s.e.Load(va+off%abi.PageSize, b[:])
	fmt.Fprintf(s.out, "0x%08x\n", uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24)
	return nil
}
