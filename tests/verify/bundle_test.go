package verify

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"testing"
)

// parseFunc returns the declaration of the function name in the file at rel (a path
// in the module); positions are in fset.
func parseFunc(t *testing.T, fset *token.FileSet, rel, name string) *ast.FuncDecl {
	t.Helper()
	f, err := parser.ParseFile(fset, filepath.Join(moduleRoot(t), rel), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == name {
			return fd
		}
	}
	t.Fatalf("%s: no function %s", rel, name)
	return nil
}

// isCall reports whether e calls recv.name (recv an identifier; "" for any).
func isCall(e ast.Expr, recv, name string) bool {
	c, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	return recv == "" || ok && id.Name == recv
}

// trusted follows the data flow of one function, syntactically: names assigned from
// a trusted expression, and the values of range loops over trusted names, are
// trusted.
type trusted map[string]bool

func (tr trusted) expr(e ast.Expr, source func(ast.Expr) bool) bool {
	if source(e) {
		return true
	}
	switch x := e.(type) {
	case *ast.Ident:
		return tr[x.Name]
	case *ast.SelectorExpr: // a field of a trusted value
		return tr.expr(x.X, source)
	case *ast.CallExpr: // a method of a trusted value, or readTar of one
		if sel, ok := x.Fun.(*ast.SelectorExpr); ok && tr.expr(sel.X, source) {
			return true
		}
		if id, ok := x.Fun.(*ast.Ident); ok && id.Name == "readTar" && len(x.Args) == 1 {
			return tr.expr(x.Args[0], source)
		}
	}
	return false
}

func (tr trusted) follow(body *ast.BlockStmt, source func(ast.Expr) bool) {
	for changed := true; changed; {
		changed = false
		ast.Inspect(body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.AssignStmt:
				if len(x.Rhs) == 1 && tr.expr(x.Rhs[0], source) {
					if id, ok := x.Lhs[0].(*ast.Ident); ok && !tr[id.Name] {
						tr[id.Name], changed = true, true
					}
				}
			case *ast.RangeStmt:
				if id, ok := x.Value.(*ast.Ident); ok && tr.expr(x.X, source) && !tr[id.Name] {
					tr[id.Name], changed = true, true
				}
			}
			return true
		})
	}
}

// TestBundleContentsComeFromTheVerifier (target 8) follows the boot path's data flow
// in the source: in bootbundle.Open every program and file put into the Contents comes
// from a package that VerifyPackage returned (its Binary, or the tar inside it); in the
// kernel's startBundle the loader's file tree is made of openBundle's Contents — which
// is bootbundle.Open's — plus the kernel's own module listing. A change that lets
// other bytes in fails here and must be reviewed.
func TestBundleContentsComeFromTheVerifier(t *testing.T) {
	fset := token.NewFileSet()
	open := parseFunc(t, fset, "pipeline/bootbundle/bootbundle.go", "Open")
	tr := trusted{}
	tr.follow(open.Body, func(e ast.Expr) bool { return isCall(e, "", "VerifyPackage") })
	writes := 0
	ast.Inspect(open.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok {
			return true
		}
		for i, l := range as.Lhs {
			ix, ok := l.(*ast.IndexExpr)
			if !ok {
				continue
			}
			sel, ok := ix.X.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Programs" && sel.Sel.Name != "Files") {
				continue
			}
			writes++
			if !tr.expr(as.Rhs[i], func(ast.Expr) bool { return false }) {
				t.Errorf("%v: bootbundle.Open puts into Contents.%s a value that does not come from VerifyPackage", fset.Position(sel.Pos()), sel.Sel.Name)
			}
		}
		return true
	})
	if writes < 2 {
		t.Fatalf("found %d writes to Contents.Programs/Files in bootbundle.Open; the check no longer sees them", writes)
	}

	ob := parseFunc(t, fset, "boot/kernel/main.go", "openBundle")
	calls := 0
	ast.Inspect(ob.Body, func(n ast.Node) bool {
		if e, ok := n.(ast.Expr); ok && isCall(e, "bootbundle", "Open") {
			calls++
		}
		return true
	})
	if calls != 1 {
		t.Errorf("openBundle calls bootbundle.Open %d times, want 1", calls)
	}

	sb := parseFunc(t, fset, "boot/kernel/main.go", "startBundle")
	tr = trusted{}
	tr.follow(sb.Body, func(e ast.Expr) bool {
		c, ok := e.(*ast.CallExpr)
		id, ok2 := func() (*ast.Ident, bool) {
			if !ok {
				return nil, false
			}
			id, ok := c.Fun.(*ast.Ident)
			return id, ok
		}()
		return ok && ok2 && id.Name == "openBundle"
	})
	trees := 0
	ast.Inspect(sb.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.AssignStmt:
			for i, l := range x.Lhs {
				ix, ok := l.(*ast.IndexExpr)
				if !ok {
					continue
				}
				if id, ok := ix.X.(*ast.Ident); !ok || id.Name != "files" {
					continue
				}
				if k, ok := ix.Index.(*ast.BasicLit); ok && k.Value == strconv.Quote("boot/modules") {
					continue // the kernel's own listing of what it verified: text, not a program
				}
				if !tr.expr(x.Rhs[i], func(ast.Expr) bool { return false }) {
					t.Errorf("%v: startBundle puts into the file tree a value that does not come from openBundle", fset.Position(ix.Pos()))
				}
			}
		case *ast.CallExpr:
			if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "NewFileTree" {
				trees++
				if len(x.Args) != 1 || !tr.expr(x.Args[0], func(ast.Expr) bool { return false }) {
					t.Errorf("startBundle makes the loader's file tree from something other than openBundle's contents")
				}
			}
		}
		return true
	})
	if trees != 1 || !tr["files"] || !tr["contents"] {
		t.Errorf("startBundle: %d file trees, files trusted %v, contents trusted %v; want 1, true, true", trees, tr["files"], tr["contents"])
	}
}
