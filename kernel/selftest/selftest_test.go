package selftest

import (
	"bytes"
	"strings"
	"testing"
)

func TestSelftestPasses(t *testing.T) {
	var out bytes.Buffer
	r := Run(&out)
	if r.Failed != 0 || r.Passed != len(scenarios) {
		t.Fatalf("%d passed, %d failed:\n%s", r.Passed, r.Failed, out.String())
	}
	if !strings.Contains(out.String(), "selftest: 7 passed, 0 failed") {
		t.Fatalf("summary line missing:\n%s", out.String())
	}
}
