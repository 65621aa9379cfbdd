package vault

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"pgregory.net/rapid"
)

// TestCallerKeysDistinct (seed verification target 7, derivation): over random secrets,
// purposes and caller badges, the vault's derived keys are deterministic, and two
// derivations agree exactly when secret, purpose and badge all agree: a caller never
// gets another caller's key (badges identify callers, a container's tasks included),
// nor one purpose's key for another. Near misses are drawn on purpose: the same
// purpose with badges one bit apart, purposes that differ only at the end.
func TestCallerKeysDistinct(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		secrets := [][]byte{bytes.Repeat([]byte{7}, 64), bytes.Repeat([]byte{7}, 63), rapid.SliceOfN(rapid.Byte(), 1, 64).Draw(t, "secret")}
		purpose := rapid.SampledFrom([]string{"disk", "disk ", "disk\x00", "audit mac", "a"}).Draw(t, "purpose")
		badge := abi.Badge(rapid.Uint64().Draw(t, "badge"))
		type req struct {
			secret  int
			purpose string
			badge   abi.Badge
		}
		a := req{rapid.IntRange(0, 2).Draw(t, "s1"), purpose, badge}
		b := a
		switch rapid.IntRange(0, 4).Draw(t, "change") {
		case 0: // the same request again
		case 1:
			b.badge ^= 1 << rapid.IntRange(0, 63).Draw(t, "bit")
		case 2:
			b.purpose = rapid.SampledFrom([]string{"disk", "disk ", "disk\x00", "audit mac", "a"}).Draw(t, "purpose2")
		case 3:
			b.secret = rapid.IntRange(0, 2).Draw(t, "s2")
		case 4:
			b.badge = abi.Badge(rapid.Uint64().Draw(t, "badge2"))
		}
		n := rapid.IntRange(16, MaxKeyLen).Draw(t, "n")
		ka := callerKey(secrets[a.secret], a.purpose, a.badge, n)
		if again := callerKey(secrets[a.secret], a.purpose, a.badge, n); !bytes.Equal(ka, again) {
			t.Fatalf("%+v: two derivations differ", a)
		}
		kb := callerKey(secrets[b.secret], b.purpose, b.badge, n)
		same := a.purpose == b.purpose && a.badge == b.badge && bytes.Equal(secrets[a.secret], secrets[b.secret])
		if bytes.Equal(ka, kb) != same {
			t.Fatalf("%+v and %+v: keys equal %v, requests equal %v", a, b, !same, same)
		}
	})
}

// vaultSource parses the vault's non-test Go files.
func vaultSource(t *testing.T) []*ast.File {
	t.Helper()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		src, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, n, src, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatal("no vault source")
	}
	return files
}

// keyUses returns every use of the vault's private material (the Signing and Secrets
// fields of Keys) that is not one of the allowed forms: len(keys.X),
// keys.Signing[i].Sign(...), keys.Signing[i].Public(), and keys.Secrets[i] as the
// first argument of callerKey. Anything else — a key's Bytes, a secret stored,
// returned or copied into a message — is reported.
func keyUses(files []*ast.File) []string {
	var bad []string
	for _, f := range files {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			stack = append(stack, n)
			sel, ok := n.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Signing" && sel.Sel.Name != "Secrets") {
				return true
			}
			parent := func(i int) ast.Node { // i = 1: the parent of sel
				if len(stack)-1-i < 0 {
					return nil
				}
				return stack[len(stack)-1-i]
			}
			if c, ok := parent(1).(*ast.CallExpr); ok {
				if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "len" {
					return true
				}
			}
			ix, ok := parent(1).(*ast.IndexExpr)
			if ok && sel.Sel.Name == "Signing" {
				if m, ok := parent(2).(*ast.SelectorExpr); ok && (m.Sel.Name == "Sign" || m.Sel.Name == "Public") {
					if c, ok := parent(3).(*ast.CallExpr); ok && c.Fun == m {
						return true
					}
				}
			}
			if ok && sel.Sel.Name == "Secrets" {
				if c, ok := parent(2).(*ast.CallExpr); ok && len(c.Args) > 0 && c.Args[0] == ix {
					if id, ok := c.Fun.(*ast.Ident); ok && id.Name == "callerKey" {
						return true
					}
				}
			}
			var b strings.Builder
			ast.Fprint(&b, token.NewFileSet(), parent(1), nil)
			bad = append(bad, sel.Sel.Name+" used as "+strings.SplitN(b.String(), "\n", 2)[0])
			return true
		})
	}
	return bad
}

// TestNoMessageCarriesAKey (seed verification target 7, no export): the vault's
// protocol, enumerated from its source, has exactly the requests Sign, Derive and
// PublicKey (the Label constants and the cases of Serve's switch agree, and
// TestNoRequestExportsAKey sends each of them and many others), and its private
// material is used only to sign, to make a public key, and to derive a caller's key:
// no code path puts a private key or a secret into anything a reply carries.
func TestNoMessageCarriesAKey(t *testing.T) {
	files := vaultSource(t)
	var labels, cases []string
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				for _, id := range x.Names {
					if strings.HasPrefix(id.Name, "Label") {
						labels = append(labels, id.Name)
					}
				}
			case *ast.FuncDecl:
				if x.Name.Name != "Serve" {
					return true
				}
				ast.Inspect(x.Body, func(n ast.Node) bool {
					if cc, ok := n.(*ast.CaseClause); ok {
						for _, e := range cc.List {
							if id, ok := e.(*ast.Ident); ok {
								cases = append(cases, id.Name)
							}
						}
					}
					return true
				})
				return false
			}
			return true
		})
	}
	sort.Strings(labels)
	sort.Strings(cases)
	want := []string{"LabelDerive", "LabelPublicKey", "LabelSign"}
	if !slices.Equal(labels, want) || !slices.Equal(cases, want) {
		t.Fatalf("request labels %v, Serve handles %v; want exactly %v (a new request must be added to TestNoRequestExportsAKey and reviewed here)", labels, cases, want)
	}
	if bad := keyUses(files); len(bad) > 0 {
		t.Fatalf("private material used outside signing, public-key and caller-key derivation:\n%s", strings.Join(bad, "\n"))
	}
}

// TestKeyUsesSeesExports: the source check of TestNoMessageCarriesAKey reports the
// ways a key could leak, so that it cannot pass by seeing nothing.
func TestKeyUsesSeesExports(t *testing.T) {
	src := `package vault
func leak(e *Env, keys Keys, idx int) {
	e.SetPayload(keys.Signing[idx].Bytes())
	e.SetPayload(keys.Secrets[idx])
	k := keys.Signing
	_ = k
	_ = callerKey(nil, string(keys.Secrets[idx]), 0, 32)
	_ = len(keys.Secrets)
	_ = keys.Signing[idx].Public()
}
`
	f, err := parser.ParseFile(token.NewFileSet(), "leak.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	if bad := keyUses([]*ast.File{f}); len(bad) != 4 {
		t.Fatalf("found %d leaks, want 4:\n%s", len(bad), strings.Join(bad, "\n"))
	}
}
