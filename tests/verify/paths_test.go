package verify

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/skyscope-os/skyscope"

// A sink is a way into process creation, or into making the value that vouches for a
// verified image. Each is recognised syntactically, which over-approximates: any
// method called CreateTask counts, whatever its receiver.
const (
	sinkCreateTask    = "CreateTask"            // kernel.(*Kernel).CreateTask: a task from an image
	sinkKernelBoot    = "kernel.Boot"           // the init task from Config.InitImage
	sinkSimBoot       = "usersim.Boot"          // the simulation's kernel (programs are Go functions)
	sinkFileTree      = "linux.NewFileTree"     // the tree Host.Load takes program images from
	sinkVerify        = "modpkg.Verify"         // the signature chain: makes a *modpkg.Verified
	sinkVerifyPackage = "VerifyPackage"         // repo.Client.VerifyPackage: index + modpkg.Verify
	sinkVerifiedValue = "modpkg.Verified value" // a Verified made other than by Verify
	sinkPutImage      = "PutImage"              // user.Env.PutImage: an image into the kernel's image cache
)

// allowed lists every site (file: function) that may reach each sink, and why that
// path only runs verified code. A new site fails TestProcessCreationPaths: review it
// and add it here with its reason, or route it through the verifier.
var allowed = map[string]map[string]string{
	sinkCreateTask: {
		"kernel/linux/loader.go: (*Host).start":    "from Host.Load, with images from Host.Files, filled only from the verified boot bundle (see sinkFileTree), and from Host.LoadImage, with images from the kernel's image cache, each of which passed Config.VerifyImage (the root key's signature over the binary, checked by the kernel at SystemImagePut; see sinkPutImage)",
		"kernel/linux/process.go: sysExecve":       "images come from the process's FileTree files (readWhole refuses /tmp), the verified boot bundle's (see sinkFileTree)",
		"kernel/usersim/loader.go: (Loader).start": "the hosted simulation: a program is a Go function registered at an entry address, no image bytes run",
	},
	sinkKernelBoot: {
		"boot/kernel/main.go: startBundle": "init's image from Host.Program over the verified bundle (openBundle → bootbundle.Open)",
		"boot/kernel/main.go: userTest":    "the rawtask test programs embedded in the kernel image itself (trusted as the kernel is)",
		"kernel/usersim/usersim.go: Boot":  "the hosted simulation's kernel",
	},
	sinkSimBoot: {
		"kernel/selftest/selftest.go: machine": "the hosted self-test: Go functions as programs",
		"tools/skysim/main.go: main":           "the hosted simulation demo: Go functions as programs",
	},
	sinkFileTree: {
		"boot/kernel/main.go: startBundle":           "files and programs of bootbundle.Open's Contents: every entry passed VerifyPackage",
		"kernel/linux/files.go: (*Process).SetFiles": "a process's own file view; Host.Load reads programs from Host.Files only",
		"kernel/linux/linux.go: NewProcess":          "an empty tree (nil)",
	},
	sinkVerify: {
		"pipeline/repo/index.go: (*Client).VerifyPackage": "the repository client: the index's digest, then the full chain (VerifyWith, decompressing with Client.Decode)",
		"pipeline/modpkg/package.go: Verify":              "Verify is VerifyWith with compress.Decode in the caller's process",
		"tools/skyctl/commands.go: pkgVerify":             "the host tool's `pkg verify`: reports, starts nothing",
		"container/image/image.go: Verify":                "the container image verifier: each package the image pins, after its digest matched; runtime.Instantiate takes only the *image.Verified it returns",
	},
	sinkVerifyPackage: {
		"pipeline/bootbundle/bootbundle.go: Open":      "the boot bundle: every package verified before the kernel sees a byte",
		"pipeline/manager/manager.go: (*Manager).load": "the module manager's load",
		"pipeline/modsvc/modsvc.go: (*Server).prepare": "the module manager task's load: the index digest and the full chain, the binary decompressed by the compression service and checked after",
	},
	sinkVerifiedValue: {
		"pipeline/modpkg/package.go: VerifyWith": "the verifier itself, after every check",
	},
	sinkPutImage: {
		"pipeline/modsvc/modsvc.go: (*Server).prepare": "puts only the binary VerifyPackage returned, with its signature, which the kernel checks again against its own trust root",
	},
}

// site is a file and the function in it.
type site struct{ file, fn string }

func (s site) String() string { return s.file + ": " + s.fn }

// scanner finds sink sites in parsed files.
type scanner struct {
	found map[string]map[string]bool // sink → site → seen
}

// importName returns the local name under which file imports path, or "".
func importName(f *ast.File, path string) string {
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		if p != path {
			continue
		}
		if im.Name != nil {
			return im.Name.Name
		}
		return path[strings.LastIndex(path, "/")+1:]
	}
	return ""
}

func funcName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return d.Name.Name
	}
	var b strings.Builder
	var recv func(ast.Expr)
	recv = func(e ast.Expr) {
		switch x := e.(type) {
		case *ast.StarExpr:
			b.WriteString("*")
			recv(x.X)
		case *ast.Ident:
			b.WriteString(x.Name)
		case *ast.IndexExpr:
			recv(x.X)
		}
	}
	recv(d.Recv.List[0].Type)
	return "(" + b.String() + ")." + d.Name.Name
}

func (s *scanner) add(sink string, at site) {
	if s.found[sink] == nil {
		s.found[sink] = map[string]bool{}
	}
	s.found[sink][at.String()] = true
}

// file scans one parsed file of package pkgPath, at rel (its path in the module).
func (s *scanner) file(f *ast.File, pkgPath, rel string) {
	kernelName := importName(f, module+"/kernel")
	simName := importName(f, module+"/kernel/usersim")
	linuxName := importName(f, module+"/kernel/linux")
	modpkgName := importName(f, module+"/pipeline/modpkg")
	inModpkg := pkgPath == module+"/pipeline/modpkg"
	inLinux := pkgPath == module+"/kernel/linux"

	// isSel reports whether e is pkgName.name (or name itself inside that package).
	isSel := func(e ast.Expr, pkgName string, inPkg bool, name string) bool {
		switch x := e.(type) {
		case *ast.SelectorExpr:
			id, ok := x.X.(*ast.Ident)
			return ok && pkgName != "" && id.Name == pkgName && x.Sel.Name == name
		case *ast.Ident:
			return inPkg && x.Name == name
		}
		return false
	}
	isVerifiedType := func(e ast.Expr) bool { return isSel(e, modpkgName, inModpkg, "Verified") }

	for _, d := range f.Decls {
		at := site{rel, "package scope"}
		var body ast.Node = d
		if fd, ok := d.(*ast.FuncDecl); ok {
			at.fn = funcName(fd)
			if fd.Body == nil {
				continue
			}
		}
		ast.Inspect(body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.CallExpr:
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
					switch sel.Sel.Name {
					case "CreateTask":
						s.add(sinkCreateTask, at)
					case "VerifyPackage":
						s.add(sinkVerifyPackage, at)
					case "PutImage":
						s.add(sinkPutImage, at)
					}
				}
				switch {
				case isSel(x.Fun, kernelName, false, "Boot"):
					s.add(sinkKernelBoot, at)
				case isSel(x.Fun, simName, false, "Boot"):
					s.add(sinkSimBoot, at)
				case isSel(x.Fun, linuxName, inLinux, "NewFileTree"):
					s.add(sinkFileTree, at)
				case isSel(x.Fun, modpkgName, inModpkg, "Verify"), isSel(x.Fun, modpkgName, inModpkg, "VerifyWith"):
					s.add(sinkVerify, at)
				}
				// new(modpkg.Verified): a zero Verified that no check vouches for.
				if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "new" && len(x.Args) == 1 && isVerifiedType(x.Args[0]) {
					s.add(sinkVerifiedValue, at)
				}
			case *ast.CompositeLit:
				if isVerifiedType(x.Type) {
					s.add(sinkVerifiedValue, at)
				}
			case *ast.ValueSpec: // var v modpkg.Verified
				if isVerifiedType(x.Type) {
					s.add(sinkVerifiedValue, at)
				}
			case *ast.Field: // a parameter, result or struct field of type modpkg.Verified
				if isVerifiedType(x.Type) {
					s.add(sinkVerifiedValue, at)
				}
			}
			return true
		})
	}
}

// moduleRoot finds the folder holding go.mod, from the test's folder upwards.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found")
		}
		dir = parent
	}
}

// scanRepo parses every non-test Go file of the module.
func scanRepo(t *testing.T) (*scanner, int) {
	root := moduleRoot(t)
	s := &scanner{found: map[string]map[string]bool{}}
	fset := token.NewFileSet()
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case "testdata", "build", ".git":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		s.file(f, module+"/"+filepath.ToSlash(filepath.Dir(rel)), rel)
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, files
}

// TestProcessCreationPaths (seed verification target 8, signature chain with no
// bypass) enumerates from the source every call that creates a task from an image
// (CreateTask, kernel.Boot's init image, the simulation's boot), every source of the
// file tree the Linux loader takes programs from, every caller of the verifier, and
// every place a modpkg.Verified value is made (composite literal, new, or a variable,
// parameter or field of the non-pointer type), and compares them with the reviewed
// list above: a path into process creation that nobody reviewed fails the test.
func TestProcessCreationPaths(t *testing.T) {
	s, files := scanRepo(t)
	if files < 100 {
		t.Fatalf("scanned only %d files", files)
	}
	sinks := make([]string, 0, len(allowed))
	for k := range allowed {
		sinks = append(sinks, k)
	}
	sort.Strings(sinks)
	for _, sink := range sinks {
		var got []string
		for at := range s.found[sink] {
			got = append(got, at)
		}
		sort.Strings(got)
		for _, at := range got {
			if _, ok := allowed[sink][at]; !ok {
				t.Errorf("%s reaches %s: a path into process creation that is not in the reviewed list; route it through the verifier or add it to allowed with its reason", at, sink)
			}
		}
		for at := range allowed[sink] {
			if !slices.Contains(got, at) {
				t.Errorf("%s no longer reaches %s: remove it from allowed", at, sink)
			}
		}
		t.Logf("%s: %s", sink, strings.Join(got, "; "))
	}
}

// TestProcessCreationPathsScannerSeesBypasses feeds the scanner code that bypasses
// the verifier in each way it looks for, so that the enumeration cannot pass by
// finding nothing.
func TestProcessCreationPathsScannerSeesBypasses(t *testing.T) {
	src := `package evil

import (
	k "github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/linux"
	"github.com/skyscope-os/skyscope/pipeline/modpkg"
)

type holder struct{ v modpkg.Verified }

func spawn(kk *k.Kernel, img []byte) {
	kk.CreateTask(nil, k.TaskSpec{})
	k.Boot(nil, k.Config{})
	linux.NewFileTree(map[string][]byte{"x": img})
	_ = new(modpkg.Verified)
	_ = &modpkg.Verified{}
	var z modpkg.Verified
	_ = z
}
`
	f, err := parser.ParseFile(token.NewFileSet(), "evil.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &scanner{found: map[string]map[string]bool{}}
	s.file(f, module+"/evil", "evil/evil.go")
	for _, sink := range []string{sinkCreateTask, sinkKernelBoot, sinkFileTree, sinkVerifiedValue} {
		if !s.found[sink]["evil/evil.go: spawn"] {
			t.Errorf("the scanner missed %s in spawn: %v", sink, s.found)
		}
	}
	if !s.found[sinkVerifiedValue]["evil/evil.go: package scope"] {
		t.Errorf("the scanner missed the Verified struct field: %v", s.found[sinkVerifiedValue])
	}
}
