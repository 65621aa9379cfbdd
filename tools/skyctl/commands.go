package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/repo"
	"github.com/skyscope-os/skyscope/pqc"
)

func keyGen(args []string, stdout io.Writer) error {
	fs := newFlags("key gen", "-o DIR/NAME", stdout)
	out := fs.String("o", "", "write `DIR/NAME`.key and DIR/NAME.pub (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return usageError{"want -o DIR/NAME and nothing else"}
	}
	key, err := pqc.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	dir, name := filepath.Split(*out)
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := pqc.WriteKeyPair(dir, name, key); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s.key and %s.pub: ML-DSA-87 (NIST level 5), key id %s\n", *out, *out, key.ID())
	return nil
}

func pkgPack(args []string, stdout io.Writer) error {
	fs := newFlags("pkg pack", "--key K --name N --version V [flags] -o OUT BINARY", stdout)
	keyPath := fs.String("key", "", "private key `FILE` to sign with (required)")
	name := fs.String("name", "", "module `name` (required)")
	version := fs.String("version", "", "module `version`, MAJOR.MINOR.PATCH (required)")
	entry := fs.String("entry", "", "program name (argv[0]); default: the module name")
	caps := fs.String("caps", "", "comma-separated capabilities the module requests")
	memory := fs.String("memory", "64M", "memory budget (bytes, or with K, M, G)")
	cpu := fs.String("cpu", "", "CPU budget as BUDGET/PERIOD, e.g. 10ms/100ms (default: unlimited)")
	sharable := fs.Bool("sharable", false, "share the module's code read-only between processes")
	rollback := fs.Bool("rollback-on-init-failure", false, "undo a live update to this module if the new version fails to start")
	handover := fs.Bool("state-handover", false, "in a live update, the serving version hands its state to the new one")
	minABI := fs.Uint("min-abi", 1, "lowest kernel ABI version the module runs on")
	level := fs.String("level", "best", "compression: fastest, default, better or best")
	out := fs.String("o", "", "write the package to `FILE` (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *keyPath == "" || *name == "" || *version == "" || *out == "" || fs.NArg() != 1 {
		return usageError{"want --key, --name, --version, -o and one BINARY"}
	}
	key, err := pqc.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	v, err := modpkg.ParseVersion(*version)
	if err != nil {
		return usageError{err.Error()}
	}
	mem, err := parseSize(*memory)
	if err != nil {
		return usageError{err.Error()}
	}
	m := modpkg.Manifest{Name: *name, Version: v, Entry: *entry, MemoryLimit: mem, Sharable: *sharable,
		RollbackOnInitFailure: *rollback, StateHandover: *handover, MinABI: uint32(*minABI)}
	if m.Entry == "" {
		m.Entry = *name
	}
	if *caps != "" {
		m.Caps = strings.Split(*caps, ",")
	}
	if *cpu != "" {
		b, p, ok := strings.Cut(*cpu, "/")
		bd, err1 := time.ParseDuration(b)
		pd, err2 := time.ParseDuration(p)
		if !ok || err1 != nil || err2 != nil {
			return usageError{fmt.Sprintf("--cpu %q: want BUDGET/PERIOD, e.g. 10ms/100ms", *cpu)}
		}
		m.CPUBudget, m.CPUPeriod = uint64(bd), uint64(pd)
	}
	lv, ok := map[string]compress.Level{"fastest": compress.LevelFastest, "default": compress.LevelDefault,
		"better": compress.LevelBetter, "best": compress.LevelBest}[*level]
	if !ok {
		return usageError{fmt.Sprintf("--level %q: want fastest, default, better or best", *level)}
	}
	bin, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	pkg, err := modpkg.Pack(key, m, bin, lv)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, pkg, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s %s, binary %d bytes compressed to %d, signed by %s\n",
		*out, m.Name, m.Version, len(bin), len(pkg), key.ID().Short())
	return nil
}

func pkgVerify(args []string, stdout io.Writer) error {
	fs := newFlags("pkg verify", "--pub P [--pub P2 ...] PKG", stdout)
	var pubs multi
	fs.Var(&pubs, "pub", "trusted public key `FILE` (repeatable; required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if len(pubs) == 0 || fs.NArg() != 1 {
		return usageError{"want at least one --pub and one PKG"}
	}
	trust, err := loadTrust(pubs)
	if err != nil {
		return err
	}
	pkg, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	v, err := modpkg.Verify(pkg, trust, compress.DefaultLimits)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	m := v.Manifest()
	d := v.PackageDigest()
	fmt.Fprintf(stdout, "%s: OK: %s %s; package, manifest and binary signatures verify; binary %d bytes, SHA3-512 %x…; package digest %x…\n",
		fs.Arg(0), m.Name, m.Version, m.BinarySize, m.BinaryDigest[:8], d[:8])
	return nil
}

func pkgInspect(args []string, stdout io.Writer) error {
	fs := newFlags("pkg inspect", "PKG", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want one PKG"}
	}
	pkg, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	m, h, err := modpkg.Inspect(pkg)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	d := pqc.Sum512(pkg)
	fmt.Fprintf(stdout, "package   %s (%d bytes, SHA3-512 %x…) — not verified; use skyctl pkg verify\n", fs.Arg(0), len(pkg), d[:8])
	fmt.Fprintf(stdout, "name      %s\nversion   %s\nentry     %s\n", m.Name, m.Version, m.Entry)
	fmt.Fprintf(stdout, "caps      %s\nmemory    %d bytes\n", strings.Join(m.Caps, ","), m.MemoryLimit)
	if m.CPUPeriod != 0 {
		fmt.Fprintf(stdout, "cpu       %v per %v\n", time.Duration(m.CPUBudget), time.Duration(m.CPUPeriod))
	}
	fmt.Fprintf(stdout, "sharable  %v\nrollback  %v\nhandover  %v\nmin ABI   %d\n", m.Sharable, m.RollbackOnInitFailure, m.StateHandover, m.MinABI)
	fmt.Fprintf(stdout, "signer    %x\nbinary    %d bytes (%d compressed), SHA3-512 %x…\n", m.Signer, m.BinarySize, len(pkg), m.BinaryDigest[:8])
	if h != nil {
		fmt.Fprintf(stdout, "format    compress v%d, plain size %d\n", h.Version, h.PlainSize)
	}
	return nil
}

// Repository layout: DIR/NAME-VERSION.skypkg for each package and DIR/index.skyidx.
const (
	pkgExt    = ".skypkg"
	indexFile = "index.skyidx"
)

func repoAdd(args []string, stdout io.Writer) error {
	fs := newFlags("repo add", "--repo DIR PKG...", stdout)
	dir := fs.String("repo", "", "repository `DIR` (created if missing; required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" || fs.NArg() == 0 {
		return usageError{"want --repo DIR and at least one PKG"}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	for _, p := range fs.Args() {
		pkg, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m, _, err := modpkg.Inspect(pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		dst := filepath.Join(*dir, m.Name+"-"+m.Version.String()+pkgExt)
		if old, err := os.ReadFile(dst); err == nil && string(old) != string(pkg) {
			return fmt.Errorf("%s: the repository already holds a different package for %s %s (%s); versions are immutable, pack a new version", p, m.Name, m.Version, dst)
		}
		if err := writeFileAtomic(dst, pkg, 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "added %s %s as %s\n", m.Name, m.Version, dst)
	}
	return nil
}

func repoIndex(args []string, stdout io.Writer) error {
	fs := newFlags("repo index", "--repo DIR --key K [--serial N] [--expires 720h]", stdout)
	dir := fs.String("repo", "", "repository `DIR` (required)")
	keyPath := fs.String("key", "", "private key `FILE` to sign the index with (required)")
	serial := fs.Uint64("serial", 0, "index serial number (default: one more than the current index's)")
	expires := fs.Duration("expires", 30*24*time.Hour, "how long the index stays valid")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *dir == "" || *keyPath == "" || fs.NArg() != 0 {
		return usageError{"want --repo DIR and --key K"}
	}
	key, err := pqc.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	if *serial == 0 {
		*serial = currentSerial(filepath.Join(*dir, indexFile)) + 1
	}
	names, err := filepath.Glob(filepath.Join(*dir, "*"+pkgExt))
	if err != nil {
		return err
	}
	sort.Strings(names)
	var es []repo.Entry
	for _, p := range names {
		pkg, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m, _, err := modpkg.Inspect(pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		d := pqc.Sum512(pkg)
		es = append(es, repo.Entry{Name: m.Name, Version: m.Version, Digest: d[:]})
	}
	exp := time.Now().Add(*expires)
	b, err := repo.Sign(key, *serial, exp, es)
	if err != nil {
		return err
	}
	out := filepath.Join(*dir, indexFile)
	if err := writeFileAtomic(out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: serial %d, %d packages, expires %s, signed by %s\n",
		out, *serial, len(es), exp.UTC().Format(time.RFC3339), key.ID().Short())
	return nil
}

// currentSerial reads the serial of an existing index without verifying it (the new
// index only has to be newer); 0 if there is none.
func currentSerial(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	var s struct {
		Index []byte `cbor:"1,keyasint"`
	}
	var idx struct {
		Serial uint64 `cbor:"2,keyasint"`
	}
	if cbor.Unmarshal(b, &s) != nil || cbor.Unmarshal(s.Index, &idx) != nil {
		return 0
	}
	return idx.Serial
}

func loadTrust(paths []string) (*modpkg.TrustRoot, error) {
	var keys []*pqc.PublicKey
	for _, p := range paths {
		k, err := pqc.LoadPublicKey(p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return modpkg.NewTrustRoot(keys...), nil
}

// parseSize parses "64M", "512K", "1G" or a byte count.
func parseSize(s string) (uint64, error) {
	mult := uint64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n == 0 || n > (1<<48)/mult {
		return 0, errors.New("size " + s + ": want a positive number of bytes, optionally with K, M or G")
	}
	return n * mult, nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
