package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
	"github.com/skyscope-os/skyscope/pqc"
)

// Importing an OCI image layout (github.com/opencontainers/image-spec): index.json →
// the image manifest (through a nested index for linux/amd64 if need be) → the config
// (Entrypoint, Cmd, Env) and the layers, applied in order with their whiteouts. Every
// blob is checked against its digest and size before it is used. Each regular file
// with an execute bit that is a static x86-64 Linux ELF becomes a signed module
// package; the entry program becomes the image's entry module.

// Limits on what import-oci reads: an OCI layout is untrusted input.
const (
	maxOCIJSON      = 4 << 20 // index, manifest and config blobs
	maxOCILayerTree = 4 << 30 // bytes of all layers' files together, uncompressed
)

// ociFile is a file of the flattened layer tree.
type ociFile struct {
	mode os.FileMode
	data []byte // executables only: other files are not needed
	link string // symbolic link target
}

// ociImage is what import-oci takes from a layout.
type ociImage struct {
	manifestDigest digest.Digest
	config         ocispec.Image
	refName        string
	files          map[string]*ociFile // by clean absolute path
}

// readBlob reads blob d of layout dir, checking its size and digest.
func readBlob(dir string, d ocispec.Descriptor, max int64) ([]byte, error) {
	if err := d.Digest.Validate(); err != nil {
		return nil, fmt.Errorf("blob digest %q: %v", d.Digest, err)
	}
	if d.Size < 0 || d.Size > max {
		return nil, fmt.Errorf("blob %s: size %d; at most %d", d.Digest, d.Size, max)
	}
	p := filepath.Join(dir, ocispec.ImageBlobsDir, d.Digest.Algorithm().String(), d.Digest.Encoded())
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	if int64(len(b)) != d.Size {
		return nil, fmt.Errorf("blob %s: %d bytes; the descriptor says %d", d.Digest, len(b), d.Size)
	}
	if got := d.Digest.Algorithm().FromBytes(b); got != d.Digest {
		return nil, fmt.Errorf("blob %s: content has digest %s", d.Digest, got)
	}
	return b, nil
}

func readJSON(dir string, d ocispec.Descriptor, v any) error {
	b, err := readBlob(dir, d, maxOCIJSON)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("blob %s (%s): %v", d.Digest, d.MediaType, err)
	}
	return nil
}

// pickManifest chooses the image manifest of index: the one named ref (by its
// org.opencontainers.image.ref.name annotation) if ref is set, else the only one, or
// the linux/amd64 one; nested indexes are followed. It also returns the first ref
// name annotation on the way.
func pickManifest(dir string, idx ocispec.Index, ref string, depth int) (ocispec.Descriptor, string, error) {
	m, err := pickManifestIn(dir, idx, ref, depth)
	if err != nil {
		return m, "", err
	}
	name := m.Annotations[ocispec.AnnotationRefName]
	if m.MediaType == ocispec.MediaTypeImageIndex {
		var sub ocispec.Index
		if err := readJSON(dir, m, &sub); err != nil {
			return m, "", err
		}
		md, inner, err := pickManifest(dir, sub, "", depth+1)
		if name == "" {
			name = inner
		}
		return md, name, err
	}
	return m, name, nil
}

// pickManifestIn chooses one entry of idx (see pickManifest): an image manifest or a
// nested index.
func pickManifestIn(dir string, idx ocispec.Index, ref string, depth int) (ocispec.Descriptor, error) {
	if depth > 4 {
		return ocispec.Descriptor{}, errors.New("indexes nested more than 4 deep")
	}
	var cands []ocispec.Descriptor
	for _, m := range idx.Manifests {
		if ref != "" && depth == 0 && m.Annotations[ocispec.AnnotationRefName] != ref {
			continue
		}
		if m.Platform != nil && (m.Platform.OS != "linux" || m.Platform.Architecture != "amd64") {
			continue
		}
		cands = append(cands, m)
	}
	switch {
	case len(cands) == 0 && ref != "":
		return ocispec.Descriptor{}, fmt.Errorf("no manifest named %q in index.json", ref)
	case len(cands) == 0:
		return ocispec.Descriptor{}, errors.New("no linux/amd64 manifest in the index")
	case len(cands) > 1:
		return ocispec.Descriptor{}, fmt.Errorf("%d manifests in the index; choose one with --ref NAME", len(cands))
	}
	m := cands[0]
	if m.MediaType == ocispec.MediaTypeImageManifest || m.MediaType == ocispec.MediaTypeImageIndex {
		return m, nil
	}
	return m, fmt.Errorf("manifest %s has media type %q; want %s", m.Digest, m.MediaType, ocispec.MediaTypeImageManifest)
}

// readOCI reads the layout in dir.
func readOCI(dir, ref string) (*ociImage, error) {
	var lay ocispec.ImageLayout
	b, err := os.ReadFile(filepath.Join(dir, ocispec.ImageLayoutFile))
	if err != nil {
		return nil, fmt.Errorf("not an OCI image layout: %w", err)
	}
	if err := json.Unmarshal(b, &lay); err != nil || lay.Version != ocispec.ImageLayoutVersion {
		return nil, fmt.Errorf("%s: want imageLayoutVersion %s (%v)", ocispec.ImageLayoutFile, ocispec.ImageLayoutVersion, err)
	}
	var idx ocispec.Index
	b, err = os.ReadFile(filepath.Join(dir, ocispec.ImageIndexFile))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("%s: %v", ocispec.ImageIndexFile, err)
	}
	md, refName, err := pickManifest(dir, idx, ref, 0)
	if err != nil {
		return nil, err
	}
	var man ocispec.Manifest
	if err := readJSON(dir, md, &man); err != nil {
		return nil, err
	}
	if man.Config.MediaType != ocispec.MediaTypeImageConfig {
		return nil, fmt.Errorf("config media type %q; want %s", man.Config.MediaType, ocispec.MediaTypeImageConfig)
	}
	img := &ociImage{manifestDigest: md.Digest, refName: refName, files: map[string]*ociFile{}}
	if err := readJSON(dir, man.Config, &img.config); err != nil {
		return nil, err
	}
	if p := img.config.Platform; p.OS != "linux" || p.Architecture != "amd64" {
		return nil, fmt.Errorf("the image is for %s/%s; Skyscope runs linux/amd64 programs", p.OS, p.Architecture)
	}
	var total int64
	for i, l := range man.Layers {
		if err := img.applyLayer(dir, l, &total); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, l.Digest, err)
		}
	}
	return img, nil
}

// applyLayer reads layer l and applies it to the file tree: whiteouts delete, other
// entries replace. The blob is streamed, its digest computed on the way and checked
// at the end (a bad layer fails the import; nothing has been written by then).
func (img *ociImage) applyLayer(dir string, l ocispec.Descriptor, total *int64) error {
	if err := l.Digest.Validate(); err != nil {
		return fmt.Errorf("blob digest %q: %v", l.Digest, err)
	}
	f, err := os.Open(filepath.Join(dir, ocispec.ImageBlobsDir, l.Digest.Algorithm().String(), l.Digest.Encoded()))
	if err != nil {
		return fmt.Errorf("blob %s: %w", l.Digest, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || fi.Size() != l.Size {
		return fmt.Errorf("blob %s: not %d bytes as the descriptor says", l.Digest, l.Size)
	}
	ver := l.Digest.Verifier()
	if err := img.applyTar(io.TeeReader(f, ver), l.MediaType, total); err != nil {
		return err
	}
	if _, err := io.Copy(ver, f); err != nil { // whatever follows the tar's end
		return err
	}
	if !ver.Verified() {
		return fmt.Errorf("blob %s: content has another digest", l.Digest)
	}
	return nil
}

// applyTar applies the layer r of media type mt.
func (img *ociImage) applyTar(r io.Reader, mt string, total *int64) error {
	switch mt {
	case ocispec.MediaTypeImageLayer, ocispec.MediaTypeImageLayerNonDistributable:
	case ocispec.MediaTypeImageLayerGzip, ocispec.MediaTypeImageLayerNonDistributableGzip:
		zr, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	case ocispec.MediaTypeImageLayerZstd, ocispec.MediaTypeImageLayerNonDistributableZstd:
		zr, err := zstd.NewReader(r)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	default:
		return fmt.Errorf("layer media type %q: want an OCI tar, tar+gzip or tar+zstd layer", mt)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		p := path.Clean("/" + h.Name)
		d, base := path.Split(p)
		switch {
		case base == ".wh..wh..opq": // opaque directory: hide what lower layers put in it
			for f := range img.files {
				if strings.HasPrefix(f, d) {
					delete(img.files, f)
				}
			}
			continue
		case strings.HasPrefix(base, ".wh."):
			gone := path.Join(d, strings.TrimPrefix(base, ".wh."))
			for f := range img.files {
				if f == gone || strings.HasPrefix(f, gone+"/") {
					delete(img.files, f)
				}
			}
			continue
		}
		f := &ociFile{mode: h.FileInfo().Mode()}
		switch h.Typeflag {
		case tar.TypeReg:
			if f.mode&0o111 != 0 {
				*total += h.Size
				if h.Size > modpkg.MaxBinary || *total > maxOCILayerTree {
					return fmt.Errorf("%s: %d bytes; too large", p, h.Size)
				}
				if f.data, err = io.ReadAll(tr); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
			}
		case tar.TypeSymlink:
			f.link = h.Linkname
		case tar.TypeLink:
			t, ok := img.files[path.Clean("/"+h.Linkname)]
			if !ok {
				return fmt.Errorf("%s: hard link to %s, which is not in the image", p, h.Linkname)
			}
			c := *t
			f = &c
		}
		img.files[p] = f
	}
}

// resolve follows symbolic links from p to a file.
func (img *ociImage) resolve(p string) (string, *ociFile, error) {
	for range 16 {
		f, ok := img.files[p]
		if !ok {
			return p, nil, fmt.Errorf("%s is not in the image", p)
		}
		if f.link == "" {
			return p, f, nil
		}
		if path.IsAbs(f.link) {
			p = path.Clean(f.link)
		} else {
			p = path.Join(path.Dir(p), f.link)
		}
	}
	return p, nil, fmt.Errorf("%s: too many symbolic links", p)
}

// entryPath finds the program the config runs: Entrypoint[0], else Cmd[0], looked up
// on the config's PATH if it is not a path.
func (img *ociImage) entryPath() (string, []string, error) {
	argv := append(append([]string(nil), img.config.Config.Entrypoint...), img.config.Config.Cmd...)
	if len(argv) == 0 || argv[0] == "" {
		return "", nil, errNoEntry
	}
	if strings.Contains(argv[0], "/") {
		p, _, err := img.resolve(path.Clean("/" + argv[0]))
		return p, argv, err
	}
	search := "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	for _, e := range img.config.Config.Env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			search = v
		}
	}
	for _, d := range strings.Split(search, ":") {
		if p, f, err := img.resolve(path.Join("/", d, argv[0])); err == nil && f.mode.IsRegular() {
			return p, argv, nil
		}
	}
	return "", argv, fmt.Errorf("entry program %q is not on the image's PATH (%s)", argv[0], search)
}

// staticELF reports why b is not a static x86-64 Linux ELF executable ("" if it is).
func staticELF(b []byte) string {
	f, err := elf.NewFile(bytes.NewReader(b))
	if err != nil {
		return "not an ELF file"
	}
	switch {
	case f.Class != elf.ELFCLASS64 || f.Machine != elf.EM_X86_64:
		return fmt.Sprintf("an ELF for %v %v, not x86-64", f.Class, f.Machine)
	case f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN:
		return fmt.Sprintf("an ELF %v, not an executable", f.Type)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "dynamically linked (it names an interpreter)"
		}
	}
	return ""
}

// moduleName makes a module name from a file name: lower case, other characters as
// '-', starting with a letter.
func moduleName(file string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(file) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	n := strings.Trim(b.String(), "-")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "m-" + n
	}
	if len(n) > 48 {
		n = n[:48]
	}
	return strings.TrimRight(n, "-")
}

func imageImportOCI(args []string, stdout io.Writer) error {
	fs := newFlags("image import-oci", "--key K [--name N] [--version V] [--ref REF] [limits] -o OUTDIR DIR", stdout)
	keyPath := fs.String("key", "", "private key `FILE` to sign the packages and the image with (required)")
	name := fs.String("name", "", "image `name` (default: from the OCI ref name, else the layout folder's name)")
	version := fs.String("version", "1.0.0", "image and module `version`, MAJOR.MINOR.PATCH")
	ref := fs.String("ref", "", "choose the manifest whose org.opencontainers.image.ref.name is `REF`")
	lf := addLimitFlags(fs)
	out := fs.String("o", "", "write NAME.skyimg and the packages to `OUTDIR` (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *keyPath == "" || *out == "" || fs.NArg() != 1 {
		return usageError{"want --key, -o OUTDIR and one OCI layout DIR"}
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
	dir := fs.Arg(0)
	oci, err := readOCI(dir, *ref)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	entry, argv, err := oci.entryPath()
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	if *name == "" {
		*name = oci.refName
		if i := strings.LastIndexAny(*name, ":@"); i >= 0 {
			*name = (*name)[:i]
		}
		if *name == "" {
			*name = filepath.Base(filepath.Clean(dir))
		}
		*name = moduleName(path.Base(*name))
	}

	// Every static executable becomes a package, named after its file.
	paths := make([]string, 0, len(oci.files))
	for p, f := range oci.files {
		if f.mode.IsRegular() && f.mode&0o111 != 0 {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var pkgs [][]byte
	var files []string
	taken := map[string]string{}
	entryModule := ""
	for _, p := range paths {
		if why := staticELF(oci.files[p].data); why != "" {
			if p == entry {
				return fmt.Errorf("%s: entry program %s is %s; Skyscope runs static x86-64 Linux programs", dir, p, why)
			}
			fmt.Fprintf(stdout, "skipped %s: %s\n", p, why)
			continue
		}
		mod := moduleName(path.Base(p))
		for i := 2; taken[mod] != ""; i++ {
			mod = fmt.Sprintf("%s-%d", moduleName(path.Base(p)), i)
		}
		taken[mod] = p
		prog := path.Base(p)
		if len(prog) > 64 {
			prog = mod
		}
		m := modpkg.Manifest{Name: mod, Version: v, Entry: prog, MemoryLimit: lim.Memory, MinABI: 1,
			CPUBudget: lim.CPUBudget, CPUPeriod: lim.CPUPeriod}
		pkg, err := modpkg.Pack(key, m, oci.files[p].data, compress.LevelDefault)
		if err != nil {
			return fmt.Errorf("%s: packing %s: %w", dir, p, err)
		}
		pkgs = append(pkgs, pkg)
		files = append(files, filepath.Join(*out, mod+"-"+v.String()+image.PackageExt))
		if p == entry {
			entryModule = mod
		}
	}
	if entryModule == "" {
		return fmt.Errorf("%s: entry program %s is not a regular executable file", dir, entry)
	}
	refs, err := image.Refs(pkgs...)
	if err != nil {
		return err
	}
	tmpl := &descriptor.Descriptor{Format: descriptor.FormatVersion, Name: *name, Image: refs, Entry: []string{entryModule}, Limits: lim}
	signed, err := image.Build(key, *name, v, tmpl, "oci "+string(oci.manifestDigest))
	if err != nil {
		return err
	}
	// Everything is made; only now is anything written.
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	for i, f := range files {
		if err := writeFileAtomic(f, pkgs[i], 0o644); err != nil {
			return err
		}
	}
	imgPath := filepath.Join(*out, *name+imageExt)
	if err := writeFileAtomic(imgPath, signed, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: image %s %s from OCI manifest %s; %s; entry %s (module %s)\n",
		imgPath, *name, v, oci.manifestDigest, count(len(pkgs), "package"), entry, entryModule)
	if len(argv) > 1 {
		fmt.Fprintf(stdout, "note: the OCI arguments %q are not kept: Skyscope descriptors start entry modules without arguments\n", argv[1:])
	}
	return nil
}
