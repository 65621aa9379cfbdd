// Package ctr is the container command of the shell: docker/podman vocabulary (run,
// ps, exec, stop, kill, rm, inspect, logs, stats, link, wait) over the kernel's
// container system calls (kernel/user's wrappers). The ring-3 shell
// (boot/tasks/shell) and the hosted simulation (tools/skysim) both run it, so the
// same command lines work on the machine and in the simulation.
//
// An IMAGE is first looked up as a signed container image (container/image) through
// Ctl.Images — on the machine the boot bundle's /images — which ctr run verifies and
// makes the container of from its descriptor template (container/runtime/spec: flags
// may only tighten the template's limits), its entry modules loaded inside through
// Images.Load (the module manager, with the container's own System object). A name
// with no image is a program of the machine's program store (the boot bundle; the
// simulation's registered programs): ctr run makes a new container with the limits
// given and starts the program inside it as the container's pid 1.
//
// The Ctl holds, in its owner's capability space, a capability to each container it
// made and a notification its entry task signals when it ends; containers die with
// their creator's budget, so containers made by a shell end with that shell.
//
// A container has no network unless run --net NAME asks: then the Ctl has the NIC
// supervisor (container/netsup, through Ctl.Net) attach a vNIC reaching the --allow
// prefixes, keeps the vNIC's endpoint capability and grants it to every program it
// starts in the container (after the console); rm has the supervisor remove it.
package ctr

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/skyscope-os/skyscope/container/devname"
	"github.com/skyscope-os/skyscope/container/netsup"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Ctl runs ctr command lines for one owner (a shell). Its configuration fields are
// set before the first Run and not changed; the rest is its own state.
type Ctl struct {
	E       *user.Env            // the owner's kernel interface
	Sys     abi.CPtr             // the System object containers are made with
	Untyped abi.CPtr             // the budget the exit notifications are made from
	CSpace  abi.CPtr             // the owner's capability space (for Retype and Delete)
	Console abi.CPtr             // granted to programs started in containers (0: none)
	Slots   [2]uint64            // the owner's free slots [first, end) the Ctl may use
	Out     io.Writer            // where results and usage messages go
	Now     func() time.Duration // machine time, for CPU percentages (nil: no percentages)
	Sleep   func(time.Duration)  // lets machine time pass, for logs -f (nil: no -f)
	// Net returns the NIC supervisor's control client, starting the supervisor the
	// first time (nil: this machine has no network; run --net NAME is refused).
	Net func() (*netsup.Control, error)
	// Images, if set, makes ctr run IMAGE look for a signed container image of that
	// name first (and only there with --image); nil: IMAGE is always a program.
	Images Images
	// Mount, if set, registers a new container's file view with the file service (run
	// --mount): the Container capability (its id mappings already set) and the mounts;
	// it returns a capability, in the owner's space, that the container's tasks are
	// granted after the console. nil: --mount is refused.
	Mount func(ctr abi.CPtr, mounts []Mount) (abi.CPtr, error)
	// Unmount, if set, unregisters the view Mount registered (files is Mount's
	// result) once its container is destroyed (rm): the view's badge names nothing
	// afterwards, and the file service closes what the container's tasks left open.
	Unmount func(files abi.CPtr) error
	// Ended, if set, is asked for the end notification of a task started in a
	// container with a file view (files, Mount's result): it returns the notification
	// capability to start the task with, so that the file service learns of the
	// task's end (and releases its locks) before notify (0: none), the notification
	// the Ctl would have given the task, is signalled. cancel undoes it if the task
	// does not start.
	Ended func(files, notify abi.CPtr) (end abi.CPtr, cancel func(), err error)

	used       map[abi.CPtr]bool
	containers []*container // in creation order
	links      []*link
	seq        int // containers made, for default names
}

// container is one container the Ctl made.
type container struct {
	id      uint64 // kernel id
	name    string
	image   string          // the program it was started with
	argv    []string        // its arguments
	cap     abi.CPtr        // the Container capability
	exit    abi.CPtr        // notification the entry task signals when it ends
	entry   uint64          // container-local pid of the entry task
	net     string          // "none" or the vNIC's name
	nic     netsup.Attached // its vNIC (ID 0: none)
	nicCap  abi.CPtr        // the vNIC's endpoint capability, granted to its programs
	allow   []netip.Prefix  // what the vNIC may reach
	files   abi.CPtr        // the file service capability its tasks get (0: none)
	signed  string          // for a signed image's container: which image, its digest and signer
	modules []string        // for a signed image's container: the entry modules loaded, with their pids
	ipc     []string        // for a signed image's container: its template's IPC allow-list
	lastCPU uint64          // CPU ns at the last stats
	lastAt  time.Duration   // machine time of the last stats
}

// Mount is one --mount SOURCE:TARGET[:ro]: the directory SOURCE of the owner's file
// namespace shown at TARGET in the container's (a container descriptor's mount).
type Mount struct {
	Source, Target string
	ReadOnly       bool
}

// ParseMount parses SOURCE:TARGET[:ro|:rw]; both paths absolute and clean.
func ParseMount(v string) (Mount, error) {
	f := strings.Split(v, ":")
	var m Mount
	switch {
	case len(f) == 3 && (f[2] == "ro" || f[2] == "rw"):
		m.ReadOnly = f[2] == "ro"
	case len(f) != 2:
		return m, fmt.Errorf("--mount %q: want SOURCE:TARGET[:ro]", v)
	}
	m.Source, m.Target = f[0], f[1]
	for _, p := range []string{m.Source, m.Target} {
		if !strings.HasPrefix(p, "/") || path.Clean(p) != p {
			return m, fmt.Errorf("--mount %q: %q is not an absolute, clean path", v, p)
		}
	}
	return m, nil
}

// link is a link the Ctl made between two of its containers.
type link struct {
	id             uint64
	client, server *container
	clientEnd      abi.CPtr
	serverEnd      abi.CPtr
}

// Subcommands: name → synopsis, summary, implementation.
type subcommand struct {
	args, summary string
	run           func(c *Ctl, args []string) error
}

var subcommands map[string]subcommand

func init() {
	subcommands = map[string]subcommand{
		"run": {"[--cpu 20%] [--mem 16M] [--mem-on-demand] [--pids 32] [--net none|NAME [--allow CIDR,...]] [--device NAME] [--uidmap|--gidmap I:O:N] [--mount SRC:DST[:ro]] [--name NAME] [--image] [--wait] IMAGE [ARG...]",
			"make a container and start IMAGE in it: a signed container image (its template's limits, only tightened by flags; its modules loaded inside by the module manager), else a program of the boot bundle as pid 1 with these limits", (*Ctl).run},
		"ps":      {"", "list the containers: id, name, image, state, tasks, CPU, memory", (*Ctl).ps},
		"exec":    {"CONTAINER PROG [ARG...]", "start another program inside a running container", (*Ctl).exec},
		"stop":    {"[-t GRACE] CONTAINER...", "signal the container's tasks to stop; kill what is left after GRACE (default 1s)", (*Ctl).stop},
		"kill":    {"CONTAINER...", "kill every task of the container at once", (*Ctl).kill},
		"rm":      {"[-f] CONTAINER...", "destroy a container and free all it held (-f: even if it runs)", (*Ctl).rm},
		"inspect": {"CONTAINER", "show a container's limits, usage, events, IPC names, tasks and links", (*Ctl).inspect},
		"logs":    {"[-f] CONTAINER", "show what the container's tasks wrote to the console (its newest 64 KiB; -f: follow until it stops)", (*Ctl).logs},
		"stats":   {"", "show each container's CPU use since the last stats, memory and task counts", (*Ctl).stats},
		"link":    {"CLIENT SERVER", "link two containers: an endpoint pair, the client's end Write, the server's Read", (*Ctl).link},
		"unlink":  {"LINK", "revoke a link: both ends, wherever they went", (*Ctl).unlink},
		"wait":    {"CONTAINER", "wait until the container's first task ends and show how it ended", (*Ctl).wait},
		"help":    {"", "list the ctr subcommands", (*Ctl).help},
	}
}

// Run runs one ctr command line (the words after "ctr").
func (c *Ctl) Run(args []string) error {
	if len(args) == 0 {
		return errors.New("want a subcommand; ctr help lists them")
	}
	sc, ok := subcommands[args[0]]
	if !ok {
		return fmt.Errorf("%s: unknown subcommand; ctr help lists them", args[0])
	}
	if err := sc.run(c, args[1:]); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	return nil
}

func (c *Ctl) help([]string) error {
	names := make([]string, 0, len(subcommands))
	for n := range subcommands {
		names = append(names, n)
	}
	slices.Sort(names)
	w := tabwriter.NewWriter(c.Out, 0, 8, 2, ' ', 0)
	for _, n := range names {
		fmt.Fprintf(w, "  ctr %s %s\t%s\n", n, subcommands[n].args, subcommands[n].summary)
	}
	return w.Flush()
}

// takeSlot returns a free slot of the Ctl's range.
func (c *Ctl) takeSlot() (abi.CPtr, error) {
	if c.used == nil {
		c.used = map[abi.CPtr]bool{}
	}
	for s := abi.CPtr(c.Slots[0]); s < abi.CPtr(c.Slots[1]); s++ {
		if !c.used[s] {
			c.used[s] = true
			return s, nil
		}
	}
	return 0, errors.New("no free capability slot left for containers: rm some")
}

// freeSlot deletes what slot s holds and gives it back.
func (c *Ctl) freeSlot(s abi.CPtr) {
	_ = c.E.Delete(c.CSpace, s)
	delete(c.used, s)
}

// find returns the container named by an id or a name.
func (c *Ctl) find(ref string) (*container, error) {
	for _, x := range c.containers {
		if x.name == ref || strconv.FormatUint(x.id, 10) == ref {
			return x, nil
		}
	}
	return nil, fmt.Errorf("%s: no such container (see ctr ps)", ref)
}

// ParseCPU parses a CPU share: "PERCENT%" of every 100ms, or "BUDGET/PERIOD" (Go
// durations, 0 < budget ≤ period). It returns nanoseconds.
func ParseCPU(s string) (budget, period uint64, err error) {
	const per = 100 * time.Millisecond
	if p, ok := strings.CutSuffix(s, "%"); ok {
		n, err := strconv.ParseFloat(p, 64)
		if err != nil || !(n > 0 && n <= 100) {
			return 0, 0, fmt.Errorf("--cpu %q: want a share above 0%% and at most 100%%", s)
		}
		return uint64(float64(per) * n / 100), uint64(per), nil
	}
	b, p, ok := strings.Cut(s, "/")
	bd, err1 := time.ParseDuration(b)
	pd, err2 := time.ParseDuration(p)
	if !ok || err1 != nil || err2 != nil || bd <= 0 || bd > pd {
		return 0, 0, fmt.Errorf("--cpu %q: want PERCENT%% or BUDGET/PERIOD with 0 < budget ≤ period, e.g. 20ms/100ms", s)
	}
	return uint64(bd), uint64(pd), nil
}

// ParseIDMap parses an id mapping INSIDE:OUTSIDE:COUNT, as /proc/PID/uid_map lines
// read (with colons).
func ParseIDMap(s string) (abi.IDMap, error) {
	f := strings.Split(s, ":")
	var v [3]uint32
	ok := len(f) == 3
	for i := 0; ok && i < 3; i++ {
		n, err := strconv.ParseUint(f[i], 10, 32)
		v[i], ok = uint32(n), err == nil
	}
	if !ok || v[2] == 0 {
		return abi.IDMap{}, fmt.Errorf("%q: want INSIDE:OUTSIDE:COUNT, three 32-bit numbers with COUNT ≥ 1, e.g. 0:100000:65536", s)
	}
	return abi.IDMap{Inside: v[0], Outside: v[1], Count: v[2]}, nil
}

// ParseSize parses a byte count with an optional K, M or G suffix (binary units).
func ParseSize(s string) (uint64, error) {
	mult := uint64(1)
	n := s
	for suf, m := range map[string]uint64{"K": 1 << 10, "M": 1 << 20, "G": 1 << 30} {
		if t, ok := strings.CutSuffix(strings.ToUpper(s), suf); ok {
			n, mult = t, m
		}
	}
	v, err := strconv.ParseUint(n, 10, 64)
	if err != nil || v == 0 || v > (1<<48)/mult {
		return 0, fmt.Errorf("size %q: want a positive number of bytes, optionally with K, M or G", s)
	}
	return v * mult, nil
}

// flags returns a flag set whose messages go to the Ctl's output.
func (c *Ctl) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("ctr "+name, flag.ContinueOnError)
	fs.SetOutput(c.Out)
	fs.Usage = func() {
		fmt.Fprintf(c.Out, "usage: ctr %s %s\n", name, subcommands[name].args)
		fs.PrintDefaults()
	}
	return fs
}

func (c *Ctl) run(args []string) error {
	fs := c.flags("run")
	cpu := fs.String("cpu", "", "CPU share: PERCENT% of every 100ms or BUDGET/PERIOD (default: unlimited)")
	mem := fs.String("mem", "16M", "memory limit of the whole container")
	onDemand := fs.Bool("mem-on-demand", false, "charge the memory limit to the shell as it is used instead of reserving it at once: idle containers are cheap, but the limit is not guaranteed (see docs/CONTAINERS.md)")
	pids := fs.Uint("pids", 32, "most tasks at once")
	prio := fs.Uint("priority", 100, "priority ceiling of its tasks (0–255)")
	netw := fs.String("net", "none", "network: none, or a vNIC `NAME` (e.g. eth0) attached to the NIC supervisor's switch; its program gets the vNIC's endpoint after the console")
	fs.StringVar(netw, "network", "none", "the same as --net")
	var allow []netip.Prefix
	fs.Func("allow", "with --net NAME: destinations the vNIC may reach and peers it accepts, as canonical `CIDR` prefixes (comma-separated, repeatable; default: none)", func(v string) error {
		ps, err := netsup.ParseAllow(v)
		if err != nil {
			return err
		}
		allow = append(allow, ps...)
		return netsup.CheckAllow(allow)
	})
	ioBytes := fs.String("io-bytes", "", "I/O bytes per second the services serving it hold it to, e.g. 10M (default: unlimited)")
	ioOps := fs.Uint64("io-ops", 0, "I/O operations per second the services serving it hold it to (0: unlimited)")
	name := fs.String("name", "", "container name (a–z, 0–9, -; at most 16; default IMAGE-N)")
	var devices []string
	fs.Func("device", "allow the devices `NAME` describes, named as descriptors name them: VVVV:DDDD (PCI ids, hex), BB:SS.F (PCI address, hex) or a kind ("+strings.Join(devname.Aliases(), ", ")+"); repeatable; the container's System gives them as its devices 0, 1, …", func(v string) error {
		if _, err := devname.Matcher(v); err != nil {
			return err
		}
		devices = append(devices, v)
		return nil
	})
	var mounts []Mount
	fs.Func("mount", "show the disk's directory `SOURCE:TARGET[:ro]` in the container (repeatable); its tasks act as its root mapped by --uidmap/--gidmap", func(v string) error {
		m, err := ParseMount(v)
		if err != nil {
			return err
		}
		mounts = append(mounts, m)
		return nil
	})
	var idMaps [2][]abi.IDMap
	for _, kind := range []abi.IDKind{abi.IDUser, abi.IDGroup} {
		fs.Func(kind.String()+"map", "map `INSIDE:OUTSIDE:COUNT` "+kind.String()+"s of the container to the shell's (repeatable; root inside to ≥ 65536; default: none mapped, they are nobody outside)", func(v string) error {
			m, err := ParseIDMap(v)
			if err != nil {
				return err
			}
			idMaps[kind] = append(idMaps[kind], m)
			return nil
		})
	}
	fg := fs.Bool("wait", false, "stay in the foreground: wait until its first task ends, then show how it ended and how long create, start and exit took")
	imageOnly := fs.Bool("image", false, "IMAGE must be a signed container image (the boot bundle's /images/IMAGE.skyimg), never a program")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("name a signed container image or a program of the boot bundle: ctr run [flags] IMAGE [ARG...]")
	}
	l := abi.ContainerLimits{MaxTasks: uint64(*pids), Priority: uint64(*prio)}
	var err error
	if l.Memory, err = ParseSize(*mem); err != nil {
		return fmt.Errorf("--mem: %w", err)
	}
	if *cpu != "" {
		if l.CPUBudget, l.CPUPeriod, err = ParseCPU(*cpu); err != nil {
			return err
		}
	}
	if *ioBytes != "" {
		if l.IOBytes, err = ParseSize(*ioBytes); err != nil {
			return fmt.Errorf("--io-bytes: %w", err)
		}
	}
	l.IOOps = *ioOps
	if *onDemand {
		l.Flags |= abi.ContainerMemOnDemand
	}
	switch {
	case *pids == 0:
		return errors.New("--pids 0: want at least 1")
	case *prio > 255:
		return fmt.Errorf("--priority %d: want 0–255", *prio)
	case *netw == "none" && len(allow) > 0:
		return errors.New("--allow needs --net NAME: a container without a vNIC reaches nothing")
	case *netw != "none":
		if err := netsup.CheckName(*netw); err != nil {
			return fmt.Errorf("--net %s: want none or a vNIC name ([a-z][a-z0-9-]*, at most %d bytes)", *netw, netsup.NameBytes)
		}
		if c.Net == nil {
			return fmt.Errorf("--net %s: this machine has no NIC supervisor; only --net none", *netw)
		}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if fs.NArg() > 0 && (c.Images != nil || *imageOnly) {
		if c.Images == nil {
			return fmt.Errorf("--image %s: this machine has no container images", fs.Arg(0))
		}
		signed, where, err := c.Images.Find(fs.Arg(0))
		switch {
		case err == nil:
			c.seq++
			t0 := c.now()
			if err := c.runImage(fs, set, l, *name, fs.Arg(0), signed, where); err != nil || !*fg {
				return err
			}
			return c.waitNewest(t0)
		case !errors.Is(err, ErrNoImage) || *imageOnly:
			return fmt.Errorf("image %s: %w", fs.Arg(0), err)
		}
		// No image of that name: IMAGE is a program of the boot bundle.
	}
	argv := fs.Args()
	c.seq++
	t0 := c.now()
	if *name == "" {
		base := argv[0]
		if i := strings.LastIndexByte(base, '/'); i >= 0 {
			base = base[i+1:]
		}
		suffix := "-" + strconv.Itoa(c.seq)
		base = strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
				return r
			}
			return '-'
		}, strings.ToLower(base))
		if base == "" || base[0] < 'a' || base[0] > 'z' {
			base = "c" + base
		}
		*name = base[:min(len(base), abi.ContainerNameBytes-len(suffix))] + suffix
	}
	if _, err := c.find(*name); err == nil {
		return fmt.Errorf("--name %s: a container of that name exists", *name)
	}

	cs, ns, id, undo, err := c.create(*name, l, idMaps, devices, nil, creationFlags)
	if err != nil {
		return err
	}
	var files abi.CPtr
	if len(mounts) > 0 {
		if c.Mount == nil {
			undo()
			return errors.New("--mount: no file service here")
		}
		if files, err = c.Mount(cs, mounts); err != nil {
			undo()
			return fmt.Errorf("--mount: %w", err)
		}
	}
	x := &container{id: id, name: *name, image: argv[0], argv: argv[1:], cap: cs, exit: ns, net: *netw, allow: allow, files: files, lastAt: c.now()}
	unmount := func() {
		if files != 0 && c.Unmount != nil {
			c.Unmount(files)
		}
	}
	if *netw != "none" {
		if err := c.attachNIC(x); err != nil {
			unmount()
			undo()
			return fmt.Errorf("--net %s: %w", *netw, err)
		}
	}
	pid, err := c.start(x, argv, ns)
	if err != nil {
		c.detachNIC(x)
		unmount()
		undo()
		return err
	}
	x.entry = pid
	c.containers = append(c.containers, x)
	fmt.Fprintf(c.Out, "%d %s\n", id, *name)
	if x.nic.ID != 0 {
		fmt.Fprintf(c.Out, "%s: %s %v %v\n", *name, x.net, x.nic.IPv4, x.nic.IPv6)
	}
	if *fg {
		return c.waitNewest(t0)
	}
	return nil
}

// waitNewest waits for the newest container's first task to end (run --wait) and
// shows how it ended and the machine time since t0, when run began making it.
func (c *Ctl) waitNewest(t0 time.Duration) error {
	x := c.containers[len(c.containers)-1]
	if err := c.wait([]string{x.name}); err != nil {
		return err
	}
	if c.Now != nil {
		fmt.Fprintf(c.Out, "%s: created, started and ended in %v\n", x.name, (c.now() - t0).Round(time.Microsecond))
	}
	return nil
}

// attachNIC asks the NIC supervisor for x's vNIC; its endpoint capability goes to a
// slot of the Ctl's, to be granted to the programs started in x.
func (c *Ctl) attachNIC(x *container) error {
	ctl, err := c.Net()
	if err != nil {
		return fmt.Errorf("the NIC supervisor: %w", err)
	}
	scratch, err := c.takeSlot()
	if err != nil {
		return err
	}
	defer c.freeSlot(scratch)
	dst, err := c.takeSlot()
	if err != nil {
		return err
	}
	a, err := ctl.Add(x.cap, x.id, netsup.Spec{Name: x.net, Allow: x.allow}, scratch, dst)
	if err != nil {
		c.freeSlot(dst)
		return err
	}
	x.nic, x.nicCap = a, dst
	return nil
}

// detachNIC has the supervisor end x's vNIC (every copy of its capability is
// revoked) and frees its slot.
func (c *Ctl) detachNIC(x *container) {
	if x.nic.ID == 0 {
		return
	}
	if ctl, err := c.Net(); err == nil {
		_ = ctl.Remove(x.nic.ID)
	}
	c.freeSlot(x.nicCap)
	x.nic, x.nicCap = netsup.Attached{}, 0
}

// start starts argv inside x (notify: signalled when it ends; 0 none) with the
// console and the container's own System object (which sees only the container).
func (c *Ctl) start(x *container, argv []string, notify abi.CPtr) (uint64, error) {
	var grants []abi.CPtr
	if c.Console != 0 {
		grants = append(grants, c.Console)
	}
	if x.nicCap != 0 {
		grants = append(grants, x.nicCap)
	}
	if x.files != 0 {
		grants = append(grants, x.files)
	}
	if x.files != 0 && c.Ended != nil {
		end, cancel, err := c.Ended(x.files, notify)
		if err != nil {
			return 0, fmt.Errorf("watching %s's end for the file service: %w", argv[0], err)
		}
		pid, err := c.startGranted(x, argv, end, grants)
		if err != nil {
			cancel()
		}
		return pid, err
	}
	return c.startGranted(x, argv, notify, grants)
}

// startGranted starts argv inside x with grants (see start).
func (c *Ctl) startGranted(x *container, argv []string, notify abi.CPtr, grants []abi.CPtr) (uint64, error) {
	var pid uint64
	var err error
	if len(grants) <= 2 {
		pid, err = c.E.StartInContainer(x.cap, argv, 0, 0, abi.RightRead|abi.RightWrite, notify, grants...)
	} else {
		pid, err = c.startWithSpace(x, argv, notify, grants)
	}
	if errors.Is(err, abi.ErrNotFound) {
		return 0, fmt.Errorf("%s: no such program in the boot bundle", argv[0])
	}
	if err != nil {
		return 0, fmt.Errorf("%s in %s: %w", argv[0], x.name, explain(err))
	}
	return pid, nil
}

// startWithSpace starts argv in x with more than two grants: the first granted
// directly, the rest through a capability space made for the start and deleted after
// it (the task's copies stay: deleting a capability hands its children to its parent).
func (c *Ctl) startWithSpace(x *container, argv []string, notify abi.CPtr, grants []abi.CPtr) (uint64, error) {
	space, err := c.takeSlot()
	if err != nil {
		return 0, err
	}
	defer c.freeSlot(space) // deletes the space
	if err := c.E.Retype(c.Untyped, abi.ObjCSpace, 2, c.CSpace, space, 1); err != nil {
		return 0, fmt.Errorf("making the grant space: %w", explain(err))
	}
	for i, g := range grants[1:] {
		if err := c.E.Copy(space, abi.CPtr(i+1), c.CSpace, g, abi.AllRights); err != nil {
			return 0, fmt.Errorf("filling the grant space: %w", err)
		}
	}
	return c.E.StartInContainerWith(x.cap, argv, 0, 0, abi.RightRead|abi.RightWrite, notify, grants[0], space)
}

func (c *Ctl) now() time.Duration {
	if c.Now == nil {
		return 0
	}
	return c.Now()
}

// explain adds what to do to the kernel errors ctr meets most.
func explain(err error) error {
	switch {
	case errors.Is(err, abi.ErrNoMemory):
		return fmt.Errorf("%w: not enough memory for that limit (see mem; try a smaller --mem)", err)
	case errors.Is(err, abi.ErrLimit):
		return fmt.Errorf("%w: the container's task limit (--pids) is reached", err)
	case errors.Is(err, abi.ErrRange):
		return fmt.Errorf("%w: a limit is above what this shell's container allows", err)
	case errors.Is(err, abi.ErrIllegal):
		return fmt.Errorf("%w: not in this state (see ctr ps)", err)
	}
	return err
}

// info inspects x.
func (c *Ctl) info(x *container) (abi.ContainerInfo, error) {
	i, err := c.E.InspectContainer(x.cap)
	if err != nil {
		return i, fmt.Errorf("%s: %w", x.name, err)
	}
	return i, nil
}

// state describes x's state, with its entry task's end if it ended.
func (c *Ctl) state(x *container, i abi.ContainerInfo) string {
	s := i.State.String()
	if i.State != abi.ContainerStopped {
		return s
	}
	if t, ok := c.task(x, x.entry); ok && t.State != abi.TaskLive {
		return fmt.Sprintf("%s %d", t.State, t.Status)
	}
	return s
}

// task returns the task with container-local pid in x.
func (c *Ctl) task(x *container, pid uint64) (abi.TaskInfo, bool) {
	t, err := c.E.ContainerTaskInfo(x.cap, pid)
	return t, err == nil && t.ID == pid
}

func cpuLimit(l abi.ContainerLimits) string {
	if l.CPUPeriod == 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%.0f%% (%v/%v)", 100*float64(l.CPUBudget)/float64(l.CPUPeriod), time.Duration(l.CPUBudget), time.Duration(l.CPUPeriod))
}

func (c *Ctl) ps(args []string) error {
	if len(args) != 0 {
		return errors.New("usage: ctr ps")
	}
	w := tabwriter.NewWriter(c.Out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tIMAGE\tSTATE\tTASKS\tCPU\tMEMORY\tLIMITS")
	for _, x := range c.containers {
		i, err := c.info(x)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d/%d\t%v\t%s/%s\tcpu %s\n", x.id, x.name, x.image, c.state(x, i), i.Tasks, i.Limits.MaxTasks,
			time.Duration(i.CPUNanos).Round(time.Millisecond), Size(i.MemUsed), Size(i.Limits.Memory), cpuLimit(i.Limits))
	}
	return w.Flush()
}

func (c *Ctl) exec(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: ctr exec CONTAINER PROG [ARG...]")
	}
	x, err := c.find(args[0])
	if err != nil {
		return err
	}
	pid, err := c.start(x, args[1:], 0)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Out, "%s: started %s as pid %d\n", x.name, args[1], pid)
	return nil
}

func (c *Ctl) stop(args []string) error {
	fs := c.flags("stop")
	grace := fs.Duration("t", time.Second, "grace period before what is left is killed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 || *grace < 0 {
		return errors.New("usage: ctr stop [-t GRACE] CONTAINER...")
	}
	return c.each(fs.Args(), func(x *container) error {
		if err := c.E.StopContainer(x.cap, uint64(*grace)); err != nil {
			return fmt.Errorf("%s: %w", x.name, explain(err))
		}
		fmt.Fprintf(c.Out, "%s: stopping (killed after %v)\n", x.name, *grace)
		return nil
	})
}

func (c *Ctl) kill(args []string) error {
	if len(args) == 0 {
		return errors.New("usage: ctr kill CONTAINER...")
	}
	return c.each(args, func(x *container) error {
		if err := c.E.StopContainer(x.cap, 0); err != nil {
			return fmt.Errorf("%s: %w", x.name, explain(err))
		}
		fmt.Fprintf(c.Out, "%s: killed\n", x.name)
		return nil
	})
}

// each runs f on every container refs name, all found first.
func (c *Ctl) each(refs []string, f func(*container) error) error {
	var xs []*container
	for _, r := range refs {
		x, err := c.find(r)
		if err != nil {
			return err
		}
		xs = append(xs, x)
	}
	for _, x := range xs {
		if err := f(x); err != nil {
			return err
		}
	}
	return nil
}

func (c *Ctl) rm(args []string) error {
	fs := c.flags("rm")
	force := fs.Bool("f", false, "destroy the container even if it runs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return errors.New("usage: ctr rm [-f] CONTAINER...")
	}
	return c.each(fs.Args(), func(x *container) error {
		i, err := c.info(x)
		if err != nil {
			return err
		}
		if !*force && (i.State == abi.ContainerRunning || i.State == abi.ContainerStopping) {
			return fmt.Errorf("%s is %v: stop it first, or rm -f", x.name, i.State)
		}
		if err := c.E.DestroyContainer(x.cap); err != nil {
			return fmt.Errorf("%s: %w", x.name, explain(err))
		}
		c.links = slices.DeleteFunc(c.links, func(l *link) bool {
			if l.client == x || l.server == x { // the kernel revoked both ends
				c.freeSlot(l.clientEnd)
				c.freeSlot(l.serverEnd)
				return true
			}
			return false
		})
		c.detachNIC(x)
		if x.files != 0 && c.Unmount != nil {
			// After the destruction: no task of the container can use the view
			// while it goes.
			if err := c.Unmount(x.files); err != nil {
				fmt.Fprintf(c.Out, "%s: its file view stays registered: %v\n", x.name, err)
			}
			x.files = 0
		}
		c.freeSlot(x.cap)
		c.freeSlot(x.exit)
		c.containers = slices.DeleteFunc(c.containers, func(y *container) bool { return y == x })
		fmt.Fprintf(c.Out, "%s: removed\n", x.name)
		return nil
	})
}

func (c *Ctl) inspect(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: ctr inspect CONTAINER")
	}
	x, err := c.find(args[0])
	if err != nil {
		return err
	}
	i, err := c.info(x)
	if err != nil {
		return err
	}
	l := i.Limits
	fmt.Fprintf(c.Out, "id        %d (parent %d)\nname      %s\nimage     %s %s\nstate     %s\n", i.ID, i.Parent, x.name,
		x.image, strings.Join(x.argv, " "), c.state(x, i))
	memory := Size(l.Memory)
	if l.Flags&abi.ContainerMemOnDemand != 0 {
		memory += " on demand"
	}
	if x.signed != "" {
		ipc := "none (it may register no name)"
		if len(x.ipc) > 0 {
			ipc = strings.Join(x.ipc, " ")
		}
		fmt.Fprintf(c.Out, "signed    image %s\nmodules   %s\nipc allow %s\n", x.signed, strings.Join(x.modules, ", "), ipc)
	}
	fmt.Fprintf(c.Out, "limits    cpu %s, priority ≤ %d, memory %s, tasks ≤ %d, oom %s\n", cpuLimit(l), l.Priority, memory, l.MaxTasks, l.OOM)
	pidns := "private"
	if l.Flags&abi.ContainerSharedPID != 0 {
		pidns = "shared with the parent"
	}
	fmt.Fprintf(c.Out, "ns        pid %s, network %s\n", pidns, x.net)
	if err := c.inspectNIC(x); err != nil {
		return err
	}
	for _, kind := range []abi.IDKind{abi.IDUser, abi.IDGroup} {
		maps, err := c.E.ContainerIDMap(x.cap, kind)
		if err != nil {
			return err
		}
		var parts []string
		for _, m := range maps {
			parts = append(parts, fmt.Sprintf("%d:%d:%d", m.Inside, m.Outside, m.Count))
		}
		if len(parts) == 0 {
			parts = []string{"none (its " + kind.String() + "s are nobody outside)"}
		}
		fmt.Fprintf(c.Out, "%smap    %s\n", kind, strings.Join(parts, " "))
	}
	fmt.Fprintf(c.Out, "usage     cpu %v, memory %s, %d tasks\n", time.Duration(i.CPUNanos).Round(time.Millisecond), Size(i.MemUsed), i.Tasks)
	fmt.Fprintf(c.Out, "io        limits %s, %s; charged %s in %d operations, delayed %v\n", ioRate(l.IOBytes, Size(l.IOBytes)+"/s"),
		ioRate(l.IOOps, fmt.Sprintf("%d ops/s", l.IOOps)), Size(i.IOBytesCharged), i.IOOpsCharged, time.Duration(i.IODelayNanos).Round(time.Millisecond))
	fmt.Fprintf(c.Out, "events    memory limit hits %d, OOM kills %d, task limit hits %d\n", i.MemLimitHits, i.OOMKills, i.TaskLimitHits)
	names, err := c.E.ContainerNames(x.cap)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		names = []string{"none"}
	}
	fmt.Fprintf(c.Out, "ipc names %s\n", strings.Join(names, " "))
	ts, err := c.E.ContainerTasks(x.cap)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Out, "tasks")
	for _, t := range ts {
		st := t.State.String()
		if t.State != abi.TaskLive {
			st += " " + strconv.FormatInt(t.Status, 10)
		}
		fmt.Fprintf(c.Out, "  pid %d  %s  %s  memory %s  cpu %v\n", t.ID, t.Name, st, Size(t.MemUsed), time.Duration(t.CPUNanos).Round(time.Millisecond))
	}
	for _, lk := range c.links {
		if lk.client == x || lk.server == x {
			fmt.Fprintf(c.Out, "link      %d: %s → %s\n", lk.id, lk.client.name, lk.server.name)
		}
	}
	return nil
}

// inspectNIC shows x's vNIC: addresses, policy and the supervisor's counters.
func (c *Ctl) inspectNIC(x *container) error {
	if x.nic.ID == 0 {
		return nil
	}
	allow := "nothing"
	if len(x.allow) > 0 {
		var ps []string
		for _, p := range x.allow {
			ps = append(ps, p.String())
		}
		allow = strings.Join(ps, " ")
	}
	fmt.Fprintf(c.Out, "vnic      %s: %v %v mac %v, allow %s\n", x.net, x.nic.IPv4, x.nic.IPv6, x.nic.MAC, allow)
	n, queued, err := c.nicStats(x)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Out, "net       tx %d frames %s, rx %d frames %s, %d queued; held %d frames %v; refused while held %d\n",
		n.TxFrames, Size(n.TxBytes), n.RxFrames, Size(n.RxBytes), queued, n.HeldFrames, time.Duration(n.HeldNanos).Round(time.Microsecond), n.Refused)
	var drops []string
	for r := range netsup.NumReasons {
		drops = append(drops, fmt.Sprintf("%s %d", r, n.Drops[r]))
	}
	fmt.Fprintf(c.Out, "drops     %s\n", strings.Join(drops, ", "))
	return nil
}

// nicStats asks the supervisor for x's vNIC counters.
func (c *Ctl) nicStats(x *container) (netsup.Counters, int, error) {
	ctl, err := c.Net()
	if err != nil {
		return netsup.Counters{}, 0, err
	}
	n, q, err := ctl.Stats(x.nic.ID)
	if err != nil {
		return n, q, fmt.Errorf("%s: vNIC %s: %w", x.name, x.net, err)
	}
	return n, q, nil
}

func (c *Ctl) logs(args []string) error {
	fs := c.flags("logs")
	follow := fs.Bool("f", false, "follow: keep printing new output until the container stops")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: ctr logs [-f] CONTAINER")
	}
	if *follow && c.Sleep == nil {
		return errors.New("-f: this shell has no timer to wait with")
	}
	x, err := c.find(fs.Arg(0))
	if err != nil {
		return err
	}
	b := make([]byte, user.MaxPayload)
	off, last := uint64(0), !*follow
	for {
		n, next, _, err := c.E.ContainerLog(x.cap, off, b)
		if err != nil {
			return fmt.Errorf("%s: %w", x.name, explain(err))
		}
		if skipped := next - uint64(n) - off; skipped > 0 {
			fmt.Fprintf(c.Out, "[ctr logs: %d older bytes were dropped; the log keeps the newest %d KiB]\n", skipped, abi.ContainerLogBytes>>10)
		}
		c.Out.Write(b[:n])
		off = next
		if n > 0 {
			continue
		}
		if last {
			return nil
		}
		// Caught up: wait for more while the container can still write. Once it
		// cannot, one more pass reads what it wrote since the last read.
		i, err := c.info(x)
		if err != nil {
			return err
		}
		if i.State != abi.ContainerRunning && i.State != abi.ContainerStopping {
			last = true
			continue
		}
		c.Sleep(100 * time.Millisecond)
	}
}

func (c *Ctl) stats(args []string) error {
	if len(args) != 0 {
		return errors.New("usage: ctr stats")
	}
	now := c.now()
	w := tabwriter.NewWriter(c.Out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tNAME\tCPU %\tCPU LIMIT\tCPU TIME\tMEM USAGE / LIMIT\tMEM %\tTASKS\tMEM HITS\tOOM KILLS\tNET RX / TX\tNET DROPS")
	for _, x := range c.containers {
		i, err := c.info(x)
		if err != nil {
			return err
		}
		pct := "-"
		if dt := now - x.lastAt; dt > 0 && i.CPUNanos >= x.lastCPU {
			pct = fmt.Sprintf("%.1f%%", 100*float64(i.CPUNanos-x.lastCPU)/float64(dt))
		}
		x.lastCPU, x.lastAt = i.CPUNanos, now
		netIO, drops := "-", "-"
		if x.nic.ID != 0 {
			n, _, err := c.nicStats(x)
			if err != nil {
				return err
			}
			netIO = fmt.Sprintf("%s / %s", Size(n.RxBytes), Size(n.TxBytes))
			drops = strconv.FormatUint(n.Dropped(), 10)
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%v\t%s / %s\t%.1f%%\t%d/%d\t%d\t%d\t%s\t%s\n", x.id, x.name, pct, cpuLimit(i.Limits),
			time.Duration(i.CPUNanos).Round(time.Millisecond), Size(i.MemUsed), Size(i.Limits.Memory),
			100*float64(i.MemUsed)/float64(max(i.Limits.Memory, 1)), i.Tasks, i.Limits.MaxTasks, i.MemLimitHits, i.OOMKills, netIO, drops)
	}
	return w.Flush()
}

func (c *Ctl) link(args []string) error {
	if len(args) != 2 {
		return errors.New("usage: ctr link CLIENT SERVER")
	}
	a, err := c.find(args[0])
	if err != nil {
		return err
	}
	b, err := c.find(args[1])
	if err != nil {
		return err
	}
	if a == b {
		return errors.New("a container cannot link to itself")
	}
	ce, err := c.takeSlot()
	if err != nil {
		return err
	}
	se, err := c.takeSlot()
	if err != nil {
		c.freeSlot(ce)
		return err
	}
	id, err := c.E.LinkContainers(a.cap, b.cap, ce, se, false)
	if err != nil {
		c.freeSlot(ce)
		c.freeSlot(se)
		return fmt.Errorf("%s → %s: %w", a.name, b.name, explain(err))
	}
	c.links = append(c.links, &link{id: id, client: a, server: b, clientEnd: ce, serverEnd: se})
	fmt.Fprintf(c.Out, "link %d: %s (client end, Write) → %s (server end, Read); no capability grant across it\n", id, a.name, b.name)
	return nil
}

func (c *Ctl) unlink(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: ctr unlink LINK")
	}
	for i, l := range c.links {
		if strconv.FormatUint(l.id, 10) == args[0] {
			if err := c.E.UnlinkContainers(l.client.cap, l.id); err != nil {
				return fmt.Errorf("link %d: %w", l.id, err)
			}
			c.freeSlot(l.clientEnd)
			c.freeSlot(l.serverEnd)
			c.links = slices.Delete(c.links, i, i+1)
			fmt.Fprintf(c.Out, "link %d revoked\n", l.id)
			return nil
		}
	}
	return fmt.Errorf("%s: no such link (see ctr inspect)", args[0])
}

func (c *Ctl) wait(args []string) error {
	if len(args) != 1 {
		return errors.New("usage: ctr wait CONTAINER")
	}
	x, err := c.find(args[0])
	if err != nil {
		return err
	}
	if t, ok := c.task(x, x.entry); !ok || t.State == abi.TaskLive {
		if _, err := c.E.Wait(x.exit); err != nil {
			return err
		}
	}
	t, ok := c.task(x, x.entry)
	if !ok {
		return fmt.Errorf("%s: its first task is gone", x.name)
	}
	fmt.Fprintf(c.Out, "%s: %s %s, status %d\n", x.name, t.Name, t.State, t.Status)
	return nil
}

// ioRate returns s, or "unlimited" for a rate of 0.
func ioRate(rate uint64, s string) string {
	if rate == 0 {
		return "unlimited"
	}
	return s
}

// Size formats a byte count in binary units ("12M"), as ctr and the shell show memory.
func Size(b uint64) string {
	switch {
	case b >= 10<<30:
		return fmt.Sprintf("%dG", b>>30)
	case b >= 10<<20:
		return fmt.Sprintf("%dM", b>>20)
	case b >= 10<<10:
		return fmt.Sprintf("%dK", b>>10)
	}
	return fmt.Sprintf("%dB", b)
}

// maxDevices bounds the devices listing: a PCI machine has at most 256 buses of 32
// slots of 8 functions, far more than any System gives; the bound keeps a kernel
// that never answers ErrNotFound from looping.
const maxDevices = 1 << 16

// devices lists the devices c.Sys gives (the machine's, or a container's allow-list),
// as devname matches them, in their System's numbering. Each Device capability sits
// in slot scratch while it is read and is deleted at once.
func (c *Ctl) devices(scratch abi.CPtr) ([]hal.Device, error) {
	var out []hal.Device
	for i := uint64(0); i < maxDevices; i++ {
		info, err := c.E.Device(c.Sys, i, c.CSpace, scratch)
		if errors.Is(err, abi.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		_ = c.E.Delete(c.CSpace, scratch)
		d := hal.Device{Bus: info.Bus, Slot: info.Slot, Func: info.Func, Vendor: info.Vendor, ID: info.ID,
			Class: info.Class, Subclass: info.Subclass, ProgIF: info.ProgIF, IRQ: info.IRQ}
		for b, bar := range info.BARs {
			d.BARs[b] = hal.BAR{Addr: bar.Addr, Size: bar.Size, IO: bar.Flags&abi.BARIO != 0, Prefetch: bar.Flags&abi.BARPrefetch != 0}
		}
		out = append(out, d)
	}
	return out, nil
}
