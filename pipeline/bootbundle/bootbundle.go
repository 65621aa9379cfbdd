// Package bootbundle is the boot bundle: the programs and files the kernel starts with,
// as a signed repository. It is a tar archive (POSIX ustar, uncompressed; the second
// boot module) holding a repository index (index.skyidx) and one module package
// (NAME-VERSION.skypkg) per program, all signed with the root key; the file tree
// programs may read travels as a package too (named "files", its binary a tar of the
// tree). The kernel holds the root public key and opens the bundle with Open, which
// accepts it only if every entry verifies: the index against the trust root, expiry
// and serial (pipeline/repo), every package against the index and its signatures
// (pipeline/modpkg). Nothing unsigned reaches a process.
package bootbundle

import (
	"bytes"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pipeline/repo"
	"github.com/skyscope-os/skyscope/pqc"
)

// Names inside the bundle.
const (
	IndexName  = "index.skyidx"
	packageExt = ".skypkg"
	// FilesPackage is the package holding the read-only file tree.
	FilesPackage = "files"
	// CwdFile, inside the file tree, holds the working directory of the program the
	// kernel runs (skyrun -C).
	CwdFile = ".skyscope-cwd"
)

// Program is a program to put in a bundle.
type Program struct {
	Entry   string // argv[0]: the name the kernel and the shell start it by
	Binary  []byte // a static Linux executable
	Caps    []string
	Memory  uint64 // memory budget (0: 64 MiB)
	Version modpkg.Version
	// Sharable: the program's read-only pages are mapped from one copy into every
	// process running it.
	Sharable bool
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9-]+`)

// PackageName turns a program's entry name (say "sort.test") into a module name
// ("sort-test").
func PackageName(entry string) string {
	n := strings.Trim(unsafeChars.ReplaceAllString(strings.ToLower(entry), "-"), "-")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "p-" + n
	}
	if len(n) > modpkg.MaxNameLen {
		n = n[:modpkg.MaxNameLen]
	}
	return strings.TrimRight(n, "-")
}

// Options tune Build.
type Options struct {
	Level   compress.Level // default: compress.LevelDefault
	Expires time.Duration  // how long the index is valid (default: 10 years)
	Serial  uint64         // index serial (default 1)
	Log     func(format string, args ...any)
}

// Build returns a bundle of programs and the file tree files (paths without a leading
// slash; nil for none) with working directory cwd, signed by key.
func Build(key *pqc.PrivateKey, programs []Program, files map[string][]byte, cwd string, o Options) ([]byte, error) {
	if o.Level == 0 {
		o.Level = compress.LevelDefault
	}
	if o.Expires == 0 {
		o.Expires = 10 * 365 * 24 * time.Hour
	}
	if o.Serial == 0 {
		o.Serial = 1
	}
	one := modpkg.Version{Major: 1}
	out := map[string][]byte{}
	var order []string
	var entries []repo.Entry
	add := func(m modpkg.Manifest, binary []byte) error {
		if m.Version == (modpkg.Version{}) {
			m.Version = one
		}
		if m.MemoryLimit == 0 {
			m.MemoryLimit = 64 << 20
		}
		pkg, err := modpkg.Pack(key, m, binary, o.Level)
		if err != nil {
			return fmt.Errorf("packing %s: %w", m.Entry, err)
		}
		name := m.Name + "-" + m.Version.String() + packageExt
		if _, dup := out[name]; dup {
			return fmt.Errorf("two programs make the package %s", name)
		}
		out[name] = pkg
		order = append(order, name)
		d := pqc.Sum512(pkg)
		entries = append(entries, repo.Entry{Name: m.Name, Version: m.Version, Digest: d[:]})
		if o.Log != nil {
			o.Log("packed %s (%d bytes → %d)", name, len(binary), len(pkg))
		}
		return nil
	}
	for _, p := range programs {
		m := modpkg.Manifest{Name: PackageName(p.Entry), Version: p.Version, Entry: p.Entry, Caps: p.Caps,
			MemoryLimit: p.Memory, Sharable: p.Sharable}
		if m.Name == FilesPackage {
			return nil, fmt.Errorf("a program may not be named %q", FilesPackage)
		}
		if err := add(m, p.Binary); err != nil {
			return nil, err
		}
	}
	if len(files) > 0 || cwd != "" {
		tree := map[string][]byte{}
		names := make([]string, 0, len(files)+1)
		for n, b := range files {
			tree[n] = b
			names = append(names, n)
		}
		sort.Strings(names)
		if cwd != "" {
			tree[CwdFile] = []byte(cwd)
			names = append(names, CwdFile)
		}
		var buf bytes.Buffer
		if err := writeTar(&buf, tree, names); err != nil {
			return nil, err
		}
		if err := add(modpkg.Manifest{Name: FilesPackage, Entry: FilesPackage, MemoryLimit: 1 << 20}, buf.Bytes()); err != nil {
			return nil, err
		}
	}
	idx, err := repo.Sign(key, o.Serial, time.Now().Add(o.Expires), entries)
	if err != nil {
		return nil, err
	}
	out[IndexName] = idx
	order = append([]string{IndexName}, order...)
	var b bytes.Buffer
	if err := writeTar(&b, out, order); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Contents is an opened, verified bundle.
type Contents struct {
	Programs map[string][]byte // entry name → verified binary
	Sharable map[string]bool   // entry names whose manifests allow sharing their code
	Files    map[string][]byte // the file tree (verified), paths without a leading slash
	Cwd      string
	Serial   uint64
	Modules  []string // "name version" of each verified package
	// Listing describes each verified module, a line each: name, version, entry,
	// binary size, sharable, and the package digest's first bytes.
	Listing string
}

// Open verifies a bundle against trust at time now and returns its programs and file
// tree. Any entry that is not the index or a package the index lists with its exact
// digest, any failing signature, an expired index, or a malformed archive refuses the
// whole bundle, with an error naming the entry and the failing check.
func Open(bundle []byte, trust *modpkg.TrustRoot, now time.Time) (*Contents, error) {
	entries, err := readTar(bundle)
	if err != nil {
		return nil, err
	}
	idx, ok := entries[IndexName]
	if !ok {
		return nil, fmt.Errorf("boot bundle: no %s: the bundle is not signed (build it with make bundle or skyctl)", IndexName)
	}
	c := repo.NewClient(trust)
	c.Now = func() time.Time { return now }
	index, err := c.LoadIndex(idx)
	if err != nil {
		return nil, fmt.Errorf("boot bundle: %s: %w", IndexName, err)
	}
	out := &Contents{Programs: map[string][]byte{}, Sharable: map[string]bool{}, Files: map[string][]byte{}, Serial: index.Serial}
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == IndexName {
			continue
		}
		if path.Ext(n) != packageExt || strings.Contains(n, "/") {
			return nil, fmt.Errorf("boot bundle: %s is not a signed package; nothing unsigned may boot", n)
		}
		v, err := c.VerifyPackage(entries[n])
		if err != nil {
			return nil, fmt.Errorf("boot bundle: %s: %w", n, err)
		}
		m := v.Manifest()
		if n != m.Name+"-"+m.Version.String()+packageExt {
			return nil, fmt.Errorf("boot bundle: %s holds %s %s", n, m.Name, m.Version)
		}
		out.Modules = append(out.Modules, m.Name+" "+m.Version.String())
		d := v.PackageDigest()
		out.Listing += fmt.Sprintf("%-12s %-8s %-12s %9d  %-8v %x\n", m.Name, m.Version, m.Entry, m.BinarySize, m.Sharable, d[:6])
		if m.Name == FilesPackage {
			tree, err := readTar(v.Binary())
			if err != nil {
				return nil, fmt.Errorf("boot bundle: %s: %w", n, err)
			}
			for p, b := range tree {
				out.Files[p] = b
			}
			out.Cwd = string(tree[CwdFile])
			delete(out.Files, CwdFile)
			continue
		}
		if _, dup := out.Programs[m.Entry]; dup {
			return nil, fmt.Errorf("boot bundle: two packages start the program %s", m.Entry)
		}
		out.Programs[m.Entry] = v.Binary()
		out.Sharable[m.Entry] = m.Sharable
	}
	return out, nil
}
