package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/skyscope-os/skyscope/container/image"
)

// tinyELF returns a minimal x86-64 ELF executable (header and one PT_LOAD) padded
// with text; with interp it also names an interpreter, as dynamic programs do.
func tinyELF(t *testing.T, text string, interp bool) []byte {
	t.Helper()
	var b bytes.Buffer
	nprog := 1
	if interp {
		nprog = 2
	}
	h := elf.Header64{Type: uint16(elf.ET_EXEC), Machine: uint16(elf.EM_X86_64), Version: 1, Entry: 0x401000,
		Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: uint16(nprog)}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS], h.Ident[elf.EI_DATA], h.Ident[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1
	binary.Write(&b, binary.LittleEndian, &h)
	binary.Write(&b, binary.LittleEndian, &elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Vaddr: 0x400000, Paddr: 0x400000, Filesz: 4096, Memsz: 4096, Align: 4096})
	if interp {
		binary.Write(&b, binary.LittleEndian, &elf.Prog64{Type: uint32(elf.PT_INTERP), Off: 200, Filesz: 28, Memsz: 28, Align: 1})
	}
	b.WriteString(strings.Repeat(text, 200))
	return b.Bytes()
}

type tarEntry struct {
	name string
	mode int64
	data []byte
	link string // symlink target
}

func tarLayer(t *testing.T, gz bool, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = tar.NewWriter(zw)
	} else {
		w = tar.NewWriter(&buf)
	}
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Size: int64(len(e.data)), Typeflag: tar.TypeReg}
		if e.link != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.link, 0
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	w.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

// ociLayout writes an OCI image layout to dir: a config with entrypoint and cmd, and
// the layers given (media type by gz), and returns dir.
func ociLayout(t *testing.T, dir string, entrypoint, cmd []string, layers ...[]byte) string {
	t.Helper()
	os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755)
	blob := func(mediaType string, b []byte) ocispec.Descriptor {
		d := digest.FromBytes(b)
		if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", d.Encoded()), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(b))}
	}
	js := func(v any) []byte {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cfg := ocispec.Image{Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		Config: ocispec.ImageConfig{Entrypoint: entrypoint, Cmd: cmd, Env: []string{"PATH=/usr/bin:/bin"}}}
	man := ocispec.Manifest{MediaType: ocispec.MediaTypeImageManifest, Config: blob(ocispec.MediaTypeImageConfig, js(cfg))}
	man.SchemaVersion = 2
	for _, l := range layers {
		mt := ocispec.MediaTypeImageLayer
		if len(l) > 2 && l[0] == 0x1f && l[1] == 0x8b {
			mt = ocispec.MediaTypeImageLayerGzip
		}
		man.Layers = append(man.Layers, blob(mt, l))
	}
	md := blob(ocispec.MediaTypeImageManifest, js(man))
	md.Annotations = map[string]string{ocispec.AnnotationRefName: "docker.io/library/webapp:latest"}
	idx := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}}
	idx.SchemaVersion = 2
	os.WriteFile(filepath.Join(dir, ocispec.ImageIndexFile), js(idx), 0o644)
	os.WriteFile(filepath.Join(dir, ocispec.ImageLayoutFile), js(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion}), 0o644)
	return dir
}

// TestImageBuildVerifyInspect: image build pins packages, verify checks everything
// (and names the failing check, status 1), inspect shows the template.
func TestImageBuildVerifyInspect(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "key", "gen", "-o", filepath.Join(dir, "dev"))
	mustRun(t, "key", "gen", "-o", filepath.Join(dir, "other"))
	key, pub := filepath.Join(dir, "dev.key"), filepath.Join(dir, "dev.pub")
	store := filepath.Join(dir, "store")
	os.MkdirAll(store, 0o755)
	for _, n := range []string{"web", "tools"} {
		bin := filepath.Join(dir, n)
		os.WriteFile(bin, tinyELF(t, n, false), 0o755)
		mustRun(t, "pkg", "pack", "--key", key, "--name", n, "--version", "1.0.0", "-o", filepath.Join(store, n+"-1.0.0.skypkg"), bin)
	}
	img := filepath.Join(store, "web.skyimg")
	out := mustRun(t, "image", "build", "--key", key, "--name", "web", "--version", "2.0.0", "--cpu", "20%", "--mem", "32M",
		"--pids", "8", "--uidmap", "0:100000:65536", "--gidmap", "0:200000:10", "--ipc", "web-api", "--ipc", "web-admin", "-o", img, filepath.Join(store, "web-1.0.0.skypkg"), filepath.Join(store, "tools-1.0.0.skypkg"))
	if !strings.Contains(out, "image web 2.0.0, 2 modules (entry web)") {
		t.Errorf("build: %s", out)
	}
	if out := mustRun(t, "image", "verify", "--pub", pub, img); !strings.Contains(out, "OK: image web 2.0.0") || !strings.Contains(out, "2 packages present") {
		t.Errorf("verify: %s", out)
	}
	out = mustRun(t, "image", "inspect", img)
	for _, want := range []string{"name      web", "cpu 20ms per 100ms (20%)", "memory 33554432 bytes, tasks ≤ 8", "  web ", "  tools ",
		"uidmap    0:100000:65536", "gidmap    0:200000:10", "ipc names web-api web-admin"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
	if code, out := skyctl(t, "image", "verify", "--help"); code != 0 || !strings.Contains(out, "--store") {
		t.Errorf("--help: %d %s", code, out)
	}
	if code, out := skyctl(t, "image", "--help"); code != 0 || !strings.Contains(out, "image import-oci") {
		t.Errorf("image --help: %d %s", code, out)
	}

	// Failures: status 1 and the failing check named; usage errors status 2.
	tampered := filepath.Join(dir, "tampered")
	os.MkdirAll(tampered, 0o755)
	b, _ := os.ReadFile(filepath.Join(store, "web-1.0.0.skypkg"))
	b[len(b)-20] ^= 1
	os.WriteFile(filepath.Join(tampered, "web-1.0.0.skypkg"), b, 0o644)
	b, _ = os.ReadFile(filepath.Join(store, "tools-1.0.0.skypkg"))
	os.WriteFile(filepath.Join(tampered, "tools-1.0.0.skypkg"), b, 0o644)
	ib, _ := os.ReadFile(img)
	ib[len(ib)-7] ^= 1
	flipped := filepath.Join(dir, "flipped.skyimg")
	os.WriteFile(flipped, ib, 0o644)
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"image", "verify", "--pub", filepath.Join(dir, "other.pub"), img}, 1, "image signing key not in the trust root"},
		{[]string{"image", "verify", "--pub", pub, "--store", tampered, img}, 1, "module web 1.0.0: referenced package not found"},
		{[]string{"image", "verify", "--pub", pub, "--store", store, flipped}, 1, "container image signature does not verify"},
		{[]string{"image", "verify", "--pub", pub, "--store", dir, img}, 1, "referenced package not found"},
		{[]string{"image", "inspect", filepath.Join(store, "web-1.0.0.skypkg")}, 1, "malformed container image"},
		{[]string{"image", "build", "--key", key, "--name", "web", "--entry", "nope", "-o", filepath.Join(dir, "x.skyimg"), filepath.Join(store, "web-1.0.0.skypkg")}, 1, `entry[0]: module "nope" is not in the image`},
		{[]string{"image", "build", "--key", key, "--name", "web", "--cpu", "120%", "-o", filepath.Join(dir, "x.skyimg"), filepath.Join(store, "web-1.0.0.skypkg")}, 2, "--cpu"},
		{[]string{"image", "verify", img}, 2, "want at least one --pub"},
		{[]string{"image", "build", "--key", key, "--name", "web", "--uidmap", "0:0:1", "-o", filepath.Join(dir, "x.skyimg"), filepath.Join(store, "web-1.0.0.skypkg")}, 1, "namespaces.users[0].outside"},
		{[]string{"image", "build", "--key", key, "--name", "web", "--uidmap", "zero", "-o", filepath.Join(dir, "x.skyimg"), filepath.Join(store, "web-1.0.0.skypkg")}, 2, "--uidmap zero"},
	} {
		code, out := skyctl(t, c.args...)
		if code != c.code || !strings.Contains(out, c.says) {
			t.Errorf("skyctl %s: status %d, want %d, output lacks %q:\n%s", strings.Join(c.args, " "), code, c.code, c.says, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.skyimg")); err == nil {
		t.Errorf("a refused build wrote its output")
	}
}

// TestImportOCI: an OCI layout of static programs (two layers, gzip, a symlink, a
// whiteout, a script and a dynamic program that are skipped) becomes an image whose
// entry is the config's Entrypoint, and which verifies.
func TestImportOCI(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "key", "gen", "-o", filepath.Join(dir, "dev"))
	key, pub := filepath.Join(dir, "dev.key"), filepath.Join(dir, "dev.pub")
	base := tarLayer(t, false,
		tarEntry{name: "bin/busybox", mode: 0o755, data: tinyELF(t, "busybox", false)},
		tarEntry{name: "usr/bin/old", mode: 0o755, data: tinyELF(t, "old", false)},
		tarEntry{name: "etc/motd", mode: 0o644, data: []byte("hello")},
	)
	app := tarLayer(t, true,
		tarEntry{name: "usr/bin/web_App", mode: 0o755, data: tinyELF(t, "webapp", false)},
		tarEntry{name: "usr/bin/serve", link: "web_App"},
		tarEntry{name: "usr/bin/.wh.old"},
		tarEntry{name: "usr/bin/run.sh", mode: 0o755, data: []byte("#!/bin/sh\nexec serve\n")},
		tarEntry{name: "usr/bin/dyn", mode: 0o755, data: tinyELF(t, "dyn", true)},
	)
	layout := ociLayout(t, filepath.Join(dir, "webapp-oci"), []string{"serve"}, []string{"--port", "80"}, base, app)
	out := filepath.Join(dir, "out")
	res := mustRun(t, "image", "import-oci", "--key", key, "--cpu", "50%", "-o", out, layout)
	for _, want := range []string{
		"skipped /usr/bin/dyn: dynamically linked",
		"skipped /usr/bin/run.sh: not an ELF file",
		"image webapp 1.0.0 from OCI manifest sha256:",
		"2 packages; entry /usr/bin/web_App (module web-app)",
		`note: the OCI arguments ["--port" "80"] are not kept`,
	} {
		if !strings.Contains(res, want) {
			t.Errorf("import-oci output lacks %q:\n%s", want, res)
		}
	}
	if v := mustRun(t, "image", "verify", "--pub", pub, filepath.Join(out, "webapp.skyimg")); !strings.Contains(v, "(web-app, busybox)") &&
		!strings.Contains(v, "(busybox, web-app)") {
		t.Errorf("verify: %s", v)
	}
	signed, _ := os.ReadFile(filepath.Join(out, "webapp.skyimg"))
	info, err := image.Inspect(signed)
	if err != nil || info.Descriptor.Entry[0] != "web-app" || info.Descriptor.Limits.CPUBudget != 50_000_000 ||
		!strings.HasPrefix(info.Image.Source, "oci sha256:") {
		t.Errorf("imported image: %+v %v", info, err)
	}

	// Refused layouts change nothing on disk.
	for _, c := range []struct {
		what   string
		layout func(string) string
		says   string
	}{
		{"no entry", func(d string) string { return ociLayout(t, d, nil, nil, base) }, "neither Entrypoint nor Cmd"},
		{"entry not on PATH", func(d string) string { return ociLayout(t, d, []string{"nginx"}, nil, base) }, `entry program "nginx" is not on the image's PATH`},
		{"a dynamic entry", func(d string) string { return ociLayout(t, d, []string{"/usr/bin/dyn"}, nil, app) }, "dynamically linked"},
		{"a corrupted blob", func(d string) string {
			l := ociLayout(t, d, []string{"serve"}, nil, base, app)
			p := filepath.Join(l, "blobs", "sha256", digest.FromBytes(app).Encoded())
			b, _ := os.ReadFile(p)
			b[len(b)-1] ^= 1
			os.WriteFile(p, b, 0o644)
			return l
		}, "content has another digest"},
		{"a truncated layer", func(d string) string {
			l := ociLayout(t, d, []string{"serve"}, nil, base, app)
			os.Truncate(filepath.Join(l, "blobs", "sha256", digest.FromBytes(base).Encoded()), 100)
			return l
		}, "bytes as the descriptor says"},
		{"a corrupted manifest", func(d string) string {
			l := ociLayout(t, d, []string{"serve"}, nil, base)
			var idx ocispec.Index
			b, _ := os.ReadFile(filepath.Join(l, "index.json"))
			json.Unmarshal(b, &idx)
			p := filepath.Join(l, "blobs", "sha256", idx.Manifests[0].Digest.Encoded())
			b, _ = os.ReadFile(p)
			b[10] ^= 1
			os.WriteFile(p, b, 0o644)
			return l
		}, "content has digest"},
		{"not a layout", func(d string) string { os.MkdirAll(d, 0o755); return d }, "not an OCI image layout"},
	} {
		o := filepath.Join(dir, "refused")
		code, msg := skyctl(t, "image", "import-oci", "--key", key, "-o", o, c.layout(filepath.Join(dir, strings.ReplaceAll(c.what, " ", "-"))))
		if code != 1 || !strings.Contains(msg, c.says) {
			t.Errorf("%s: status %d, output lacks %q:\n%s", c.what, code, c.says, msg)
		}
		if _, err := os.Stat(o); err == nil {
			t.Errorf("%s: output written", c.what)
		}
	}
}

// TestImportOCINested: a zstd layer, a nested index with several platforms (the
// linux/amd64 one is taken), --ref choosing among tagged manifests, and a manifest for
// another platform refused.
func TestImportOCINested(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "key", "gen", "-o", filepath.Join(dir, "dev"))
	key, pub := filepath.Join(dir, "dev.key"), filepath.Join(dir, "dev.pub")
	var zbuf bytes.Buffer
	zw, err := zstd.NewWriter(&zbuf)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(tarLayer(t, false, tarEntry{name: "app", mode: 0o755, data: tinyELF(t, "app", false)}))
	zw.Close()
	layout := ociLayout(t, filepath.Join(dir, "oci"), []string{"/app"}, nil, zbuf.Bytes())
	// ociLayout typed the zstd layer as plain tar: fix the media type by rewriting the
	// manifest, then wrap it in a nested index next to an arm64 entry, and tag both.
	var idx ocispec.Index
	b, _ := os.ReadFile(filepath.Join(layout, "index.json"))
	json.Unmarshal(b, &idx)
	var man ocispec.Manifest
	mb, _ := os.ReadFile(filepath.Join(layout, "blobs", "sha256", idx.Manifests[0].Digest.Encoded()))
	json.Unmarshal(mb, &man)
	man.Layers[0].MediaType = ocispec.MediaTypeImageLayerZstd
	write := func(v any, mt string) ocispec.Descriptor {
		b, _ := json.Marshal(v)
		d := digest.FromBytes(b)
		os.WriteFile(filepath.Join(layout, "blobs", "sha256", d.Encoded()), b, 0o644)
		return ocispec.Descriptor{MediaType: mt, Digest: d, Size: int64(len(b))}
	}
	md := write(man, ocispec.MediaTypeImageManifest)
	arm := md
	arm.Platform = &ocispec.Platform{OS: "linux", Architecture: "arm64"}
	md.Platform = &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	nested := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{arm, md}}
	nested.SchemaVersion = 2
	nd := write(nested, ocispec.MediaTypeImageIndex)
	nd.Annotations = map[string]string{ocispec.AnnotationRefName: "app:1"}
	other := md
	other.Annotations = map[string]string{ocispec.AnnotationRefName: "other:2"}
	top := ocispec.Index{MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{nd, other}}
	top.SchemaVersion = 2
	tb, _ := json.Marshal(top)
	os.WriteFile(filepath.Join(layout, "index.json"), tb, 0o644)

	if code, out := skyctl(t, "image", "import-oci", "--key", key, "-o", filepath.Join(dir, "x"), layout); code != 1 ||
		!strings.Contains(out, "2 manifests in the index; choose one with --ref NAME") {
		t.Errorf("ambiguous: %d %s", code, out)
	}
	out := mustRun(t, "image", "import-oci", "--key", key, "--ref", "app:1", "-o", filepath.Join(dir, "out"), layout)
	if !strings.Contains(out, "image app 1.0.0") || !strings.Contains(out, "entry /app (module app)") {
		t.Errorf("import: %s", out)
	}
	mustRun(t, "image", "verify", "--pub", pub, filepath.Join(dir, "out", "app.skyimg"))
	if code, out := skyctl(t, "image", "import-oci", "--key", key, "--ref", "nope", "-o", filepath.Join(dir, "y"), layout); code != 1 ||
		!strings.Contains(out, `no manifest named "nope"`) {
		t.Errorf("unknown ref: %d %s", code, out)
	}
}
