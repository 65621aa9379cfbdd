package spincheck

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCheckFindsAndPasses runs the helper on two tiny models: one whose assertion
// holds in every state and one whose assertion fails in one interleaving, so that the
// helper's pass and its counterexample both are what spin says.
func TestCheckFindsAndPasses(t *testing.T) {
	Require(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "race.pml")
	src := `
byte x, done;
active [2] proctype P() {
	byte t;
	t = x;
#ifdef ATOMIC
	x = x + 1;
#else
	x = t + 1;
#endif
	done++
}
active proctype Check() {
	(done == 2) -> assert(x == 2)
}
`
	// With ATOMIC each increment reads and writes x in one statement: no update is
	// lost. Without it the classic lost update is a counterexample. (done++ is one
	// statement too, so the count itself is never lost.)
	if err := os.WriteFile(model, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	ok := Verify(t, model, Options{Defines: []string{"ATOMIC"}})
	if ok.States == 0 {
		t.Fatalf("no states reported:\n%s", ok.Output)
	}
	bad := Refute(t, model, Options{}, "assertion violated")
	if bad.Trail == "" {
		t.Fatal("no counterexample trail")
	}
}

// TestCheckRefusesACutSearch: a search cut off by the depth bound is an error, never a
// pass.
func TestCheckRefusesACutSearch(t *testing.T) {
	Require(t)
	model := filepath.Join(t.TempDir(), "deep.pml")
	src := "byte n;\nactive proctype P() { do :: n < 200 -> n++ :: else -> break od }\n"
	if err := os.WriteFile(model, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Check(model, Options{MaxDepth: 50}); err == nil {
		t.Fatal("a search cut at depth 50 of about 400 passed")
	}
	Verify(t, model, Options{MaxDepth: 1000})
}
