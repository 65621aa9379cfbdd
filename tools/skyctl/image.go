package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

// Container images (container/image): a signed descriptor template pinning module
// packages by SHA3-512. Images are kept next to their packages: DIR/NAME.skyimg and
// DIR/MODULE-VERSION.skypkg, so that a folder is a store Verify can use.

// imageExt is the file name extension of container images.
const imageExt = ".skyimg"

// limitFlags are the resource flags image build and image import-oci share; their
// names and forms are ctr run's (--cpu 20% --mem 64M --pids 32).
type limitFlags struct {
	cpu, mem *string
	pids     *uint
	priority *uint
	oom      *string
}

func addLimitFlags(fs *flag.FlagSet) *limitFlags {
	return &limitFlags{
		cpu:      fs.String("cpu", "", "CPU share: PERCENT% of every 100ms, or BUDGET/PERIOD (e.g. 20ms/100ms); default unlimited"),
		mem:      fs.String("mem", "64M", "memory limit of the whole container (bytes, or with K, M, G)"),
		pids:     fs.Uint("pids", 32, "most tasks the container may have at once"),
		priority: fs.Uint("priority", 100, "priority ceiling of the container's tasks (0–255)"),
		oom:      fs.String("oom", "kill-container", "out-of-memory policy: kill-container or kill-largest-task"),
	}
}

// limits turns the flags into descriptor limits.
func (f *limitFlags) limits() (descriptor.Limits, error) {
	var l descriptor.Limits
	mem, err := parseSize(*f.mem)
	if err != nil {
		return l, usageError{"--mem: " + err.Error()}
	}
	l.Memory = mem
	if *f.pids == 0 || *f.pids > 1<<20 {
		return l, usageError{fmt.Sprintf("--pids %d: want 1–%d", *f.pids, 1<<20)}
	}
	l.MaxTasks = uint32(*f.pids)
	if *f.priority > descriptor.MaxPriority {
		return l, usageError{fmt.Sprintf("--priority %d: want 0–%d", *f.priority, descriptor.MaxPriority)}
	}
	l.CPUPriority = uint32(*f.priority)
	if *f.cpu != "" { // else unlimited
		if l.CPUBudget, l.CPUPeriod, err = ctr.ParseCPU(*f.cpu); err != nil {
			return l, usageError{err.Error()}
		}
	}
	switch *f.oom {
	case "kill-container":
		l.OOM = descriptor.OOMKillContainer
	case "kill-largest-task":
		l.OOM = descriptor.OOMKillLargestTask
	default:
		return l, usageError{fmt.Sprintf("--oom %q: want kill-container or kill-largest-task", *f.oom)}
	}
	return l, nil
}

func imageBuild(args []string, stdout io.Writer) error {
	fs := newFlags("image build", "--key K --name N [--version V] [--entry MODULE ...] [limits] [--uidmap|--gidmap I:O:N ...] [--ipc NAME ...] -o OUT.skyimg PKG...", stdout)
	keyPath := fs.String("key", "", "private key `FILE` to sign the image and its descriptor with (required)")
	name := fs.String("name", "", "image and container `name` (required)")
	version := fs.String("version", "1.0.0", "image `version`, MAJOR.MINOR.PATCH")
	var entries multi
	fs.Var(&entries, "entry", "`module` started with the container (repeatable; default: the first package's)")
	source := fs.String("source", "", "where the image comes from (free text, recorded in the image)")
	lf := addLimitFlags(fs)
	var uidmaps, gidmaps, ipc multi
	fs.Var(&uidmaps, "uidmap", "map `INSIDE:OUTSIDE:COUNT` user ids of the container to its parent's (repeatable; default: none mapped)")
	fs.Var(&gidmaps, "gidmap", "map `INSIDE:OUTSIDE:COUNT` group ids the same way (repeatable)")
	fs.Var(&ipc, "ipc", "an IPC `NAME` the container may register (repeatable; default: none)")
	out := fs.String("o", "", "write the image to `FILE` (required; keep the packages in the same folder)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *keyPath == "" || *name == "" || *out == "" || fs.NArg() == 0 {
		return usageError{"want --key, --name, -o and at least one PKG"}
	}
	v, err := modpkg.ParseVersion(*version)
	if err != nil {
		return usageError{err.Error()}
	}
	lim, err := lf.limits()
	if err != nil {
		return err
	}
	key, err := pqc.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	var pkgs [][]byte
	for _, p := range fs.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		pkgs = append(pkgs, b)
	}
	refs, err := image.Refs(pkgs...)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		entries = multi{refs[0].Module}
	}
	tmpl := &descriptor.Descriptor{Format: descriptor.FormatVersion, Name: *name, Image: refs, Entry: entries, Limits: lim,
		Namespaces: descriptor.Namespaces{IPC: ipc}}
	for _, m := range []struct {
		flag string
		in   multi
		out  *[]descriptor.UIDMap
	}{{"--uidmap", uidmaps, &tmpl.Namespaces.Users}, {"--gidmap", gidmaps, &tmpl.Namespaces.Groups}} {
		for _, v := range m.in {
			im, err := ctr.ParseIDMap(v)
			if err != nil {
				return usageError{fmt.Sprintf("%s %s: %v", m.flag, v, err)}
			}
			*m.out = append(*m.out, descriptor.UIDMap{Inside: im.Inside, Outside: im.Outside, Count: im.Count})
		}
	}
	signed, err := image.Build(key, *name, v, tmpl, *source)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: image %s %s, %s (entry %s), signed by %s\n",
		*out, *name, v, count(len(refs), "module"), strings.Join(entries, ","), key.ID().Short())
	return nil
}

func imageVerify(args []string, stdout io.Writer) error {
	fs := newFlags("image verify", "--pub P [--pub P2 ...] [--store DIR] IMAGE", stdout)
	var pubs multi
	fs.Var(&pubs, "pub", "trusted public key `FILE` (repeatable; required)")
	store := fs.String("store", "", "folder holding the image's packages as *.skypkg (default: the image's folder)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(pubs) == 0 || fs.NArg() != 1 {
		return usageError{"want at least one --pub and one IMAGE"}
	}
	trust := map[pqc.KeyID]*pqc.PublicKey{}
	for _, p := range pubs {
		k, err := pqc.LoadPublicKey(p)
		if err != nil {
			return err
		}
		trust[k.ID()] = k
	}
	path := fs.Arg(0)
	if *store == "" {
		*store = filepath.Dir(path)
	}
	signed, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s, err := image.OpenDir(*store)
	if err != nil {
		return err
	}
	v, err := image.Verify(signed, trust, s, compress.DefaultLimits)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	d := v.Digest()
	fmt.Fprintf(stdout, "%s: OK: image %s %s signed by %s; descriptor verifies; %s present, matching their digests and verifying (%s); digest %x…\n",
		path, v.Name(), v.Version(), v.Signer().Short(), count(len(v.Modules()), "package"), strings.Join(v.Modules(), ", "), d[:8])
	return nil
}

func imageInspect(args []string, stdout io.Writer) error {
	fs := newFlags("image inspect", "IMAGE", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want one IMAGE"}
	}
	signed, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	info, err := image.Inspect(signed)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	d, l := info.Descriptor, info.Descriptor.Limits
	fmt.Fprintf(stdout, "image     %s (%d bytes, SHA3-512 %x…) — not verified; use skyctl image verify\n", fs.Arg(0), len(signed), info.Digest[:8])
	fmt.Fprintf(stdout, "name      %s\nversion   %s\nsigner    %s\n", info.Image.Name, info.Image.Version, info.Signer)
	if info.Image.Source != "" {
		fmt.Fprintf(stdout, "source    %s\n", info.Image.Source)
	}
	fmt.Fprintf(stdout, "entry     %s\n", strings.Join(d.Entry, ", "))
	cpu := "unlimited"
	if l.CPUPeriod != 0 {
		cpu = fmt.Sprintf("%v per %v (%.0f%%)", time.Duration(l.CPUBudget), time.Duration(l.CPUPeriod), 100*float64(l.CPUBudget)/float64(l.CPUPeriod))
	}
	fmt.Fprintf(stdout, "limits    cpu %s, priority ≤ %d, memory %d bytes, tasks ≤ %d, oom %s\n", cpu, l.CPUPriority, l.Memory, l.MaxTasks, l.OOM)
	fmt.Fprintf(stdout, "network   %d NICs\n", len(d.Namespaces.Network))
	for _, m := range []struct {
		kind string
		maps []descriptor.UIDMap
	}{{"uidmap", d.Namespaces.Users}, {"gidmap", d.Namespaces.Groups}} {
		parts := []string{"none"}
		if len(m.maps) > 0 {
			parts = parts[:0]
		}
		for _, x := range m.maps {
			parts = append(parts, fmt.Sprintf("%d:%d:%d", x.Inside, x.Outside, x.Count))
		}
		fmt.Fprintf(stdout, "%s    %s\n", m.kind, strings.Join(parts, " "))
	}
	ipc := "none"
	if len(d.Namespaces.IPC) > 0 {
		ipc = strings.Join(d.Namespaces.IPC, " ")
	}
	fmt.Fprintf(stdout, "ipc names %s\n", ipc)
	fmt.Fprintln(stdout, "modules")
	for _, r := range d.Image {
		fmt.Fprintf(stdout, "  %-16s %-8s SHA3-512 %x\n", r.Module, r.Version, r.Digest)
	}
	return nil
}

// count returns "1 thing" or "n things".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

// errNoEntry is returned by import-oci when the OCI config names no program to run.
var errNoEntry = errors.New("the OCI config has neither Entrypoint nor Cmd")
