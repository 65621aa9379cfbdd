// Package spincheck runs the spin model checker on a Promela model from a Go test: the
// machine check behind the seeds' protocol verification targets (docs/VERIFICATION.md).
//
// Check copies the model into a fresh temporary folder, generates the verifier with
// `spin -a` (passing the model's -D defines to its preprocessor), compiles pan.c with
// gcc, runs ./pan, and parses its report. A run counts as a pass only when pan reports
// "errors: 0" and its search was exhaustive: a search cut off by the depth bound is a
// failure, so that a bound too small never passes silently. On an error the
// counterexample is replayed with `spin -t -p` and returned.
//
// Require makes a test fail, not skip, when spin or gcc is missing and the environment
// variable CI is "true": CI must never pass by not checking.
package spincheck

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Mode is the kind of search pan makes.
type Mode int

const (
	// Safety checks assertions and invalid end states (deadlocks, lost messages that
	// leave a process blocked): pan.c compiled with -DSAFETY and -DNOCLAIM. With
	// Options.LTL it checks that (safety) property's never claim instead; spin then
	// does not check end states.
	Safety Mode = iota
	// Liveness checks an LTL property (Options.LTL) for acceptance cycles under weak
	// fairness: pan -a -f, compiled with -DNFAIR=4.
	Liveness
)

// Options configure one check.
type Options struct {
	// Defines are preprocessor symbols for the model, without the -D ("BUG_X" or
	// "N=3"); a seeded-bug variant is the model with one such define.
	Defines []string
	// Mode is Safety or Liveness.
	Mode Mode
	// LTL names the model's ltl property to check (pan -N). With Safety mode it must
	// be a safety property (its never claim has no acceptance cycles that matter).
	LTL string
	// MaxDepth bounds the search depth (pan -m); 0 means 10,000. A search that
	// reaches it fails the check.
	MaxDepth int
	// MemoryMB bounds pan's memory (-DMEMLIM); 0 means 1024. A search that runs out
	// fails the check: the machine is shared, and an exhaustive search that does not
	// fit is not exhaustive.
	MemoryMB int
}

// Result is what pan reported.
type Result struct {
	Errors      int           // pan's "errors: N"
	States      int64         // states stored
	Transitions int64         // transitions explored
	Depth       int           // greatest depth reached
	Elapsed     time.Duration // generating, compiling and searching
	Output      string        // pan's report
	Trail       string        // the counterexample (spin -t -p), when Errors > 0
}

// Require skips t when spin or gcc is missing, or fails it when CI=true.
func Require(t testing.TB) {
	t.Helper()
	for _, tool := range []string{"spin", "gcc"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := fmt.Sprintf("%s is not installed: the Promela models cannot be checked (Debian: apt-get install spin gcc; or make deps)", tool)
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
}

var (
	errorsRE      = regexp.MustCompile(`errors: (\d+)`)
	statesRE      = regexp.MustCompile(`(\d+) states, stored`)
	transitionsRE = regexp.MustCompile(`(\d+) transitions \(= (?:stored|visited)\+matched\)`)
	depthRE       = regexp.MustCompile(`depth reached (\d+)`)
)

// Check runs spin on the model at path with opt. The error reports a failure to run
// the tools or a search that was not exhaustive; a counterexample is not an error but
// Result.Errors > 0 (with Result.Trail).
func Check(path string, opt Options) (*Result, error) {
	start := time.Now()
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "spincheck-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	model := filepath.Base(path)
	if err := os.WriteFile(filepath.Join(dir, model), src, 0o644); err != nil {
		return nil, err
	}
	var defs []string
	for _, d := range opt.Defines {
		defs = append(defs, "-D"+d)
	}
	run := func(name string, args ...string) (string, error) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			return string(out), fmt.Errorf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out), nil
	}
	if _, err := run("spin", append(append(defs, "-a"), model)...); err != nil {
		return nil, err
	}
	// -DCOLLAPSE compresses stored states losslessly: the search stays exhaustive. -O1
	// compiles in half the time of -O2 and searches about as fast.
	mem := opt.MemoryMB
	if mem == 0 {
		mem = 1024
	}
	cc := []string{"-O1", "-w", "-o", "pan", "pan.c", "-DVECTORSZ=4096", "-DCOLLAPSE", "-DMEMLIM=" + strconv.Itoa(mem)}
	pan := []string{}
	depth := opt.MaxDepth
	if depth == 0 {
		depth = 10_000
	}
	pan = append(pan, "-m"+strconv.Itoa(depth), "-b") // -b: exceeding the depth is an error
	switch opt.Mode {
	case Safety:
		cc = append(cc, "-DSAFETY")
		if opt.LTL == "" {
			// Assertions and invalid end states only: a never claim would switch
			// off the end-state check.
			cc = append(cc, "-DNOCLAIM")
		}
	case Liveness:
		cc = append(cc, "-DNFAIR=4")
		pan = append(pan, "-a", "-f")
	}
	if opt.LTL != "" {
		pan = append(pan, "-N", opt.LTL)
	}
	if _, err := run("gcc", cc...); err != nil {
		return nil, err
	}
	// pan exits non-zero on some errors; its report is what counts.
	cmd := exec.Command("./pan", pan...)
	cmd.Dir = dir
	outb, runErr := cmd.CombinedOutput()
	out := string(outb)
	r := &Result{Output: out}
	m := errorsRE.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("pan printed no error count (%v):\n%s", runErr, out)
	}
	r.Errors, _ = strconv.Atoi(m[1])
	if m := statesRE.FindStringSubmatch(out); m != nil {
		r.States, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := transitionsRE.FindStringSubmatch(out); m != nil {
		r.Transitions, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := depthRE.FindStringSubmatch(out); m != nil {
		r.Depth, _ = strconv.Atoi(m[1])
	}
	if r.Errors > 0 {
		trail := append(append(defs, "-t", "-p", "-g", "-l"), model)
		if opt.LTL != "" {
			trail = append([]string{"-N", opt.LTL}, trail...)
		}
		r.Trail, _ = run("spin", trail...)
	}
	r.Elapsed = time.Since(start)
	low := strings.ToLower(out)
	if strings.Contains(low, "max search depth too small") || r.Errors == 0 && strings.Contains(low, "search not completed") {
		return r, errors.New("the search was not exhaustive (depth or memory bound reached); raise MaxDepth or MemoryMB, or shrink the model:\n" + out)
	}
	return r, nil
}

// Verify checks the model at path and fails t on a counterexample or an incomplete
// search, printing the trail. It logs the states explored and the time taken.
func Verify(t testing.TB, path string, opt Options) *Result {
	t.Helper()
	Require(t)
	r, err := Check(path, opt)
	if err != nil {
		t.Fatalf("spin %s %v: %v", path, opt.Defines, err)
	}
	if r.Errors > 0 {
		t.Fatalf("spin found %d error(s) in %s %v (property %q):\n%s\ncounterexample:\n%s", r.Errors, path, opt.Defines, opt.LTL, r.Output, r.Trail)
	}
	t.Logf("spin %s %v %s: exhaustive, %d states, %d transitions, depth %d, %v", path, opt.Defines, opt.LTL,
		r.States, r.Transitions, r.Depth, r.Elapsed.Round(time.Millisecond))
	return r
}

// Refute checks that the model at path with a seeded bug (opt.Defines) has a
// counterexample, so that the model does not pass vacuously; it fails t otherwise and
// returns the trail. want, if not empty, must appear in pan's report or the trail
// (the assertion or property that fails).
func Refute(t testing.TB, path string, opt Options, want string) *Result {
	t.Helper()
	Require(t)
	r, err := Check(path, opt)
	if err != nil {
		t.Fatalf("spin %s %v: %v", path, opt.Defines, err)
	}
	if r.Errors == 0 {
		t.Fatalf("seeded bug %v in %s: spin found no counterexample; the model does not catch it:\n%s", opt.Defines, path, r.Output)
	}
	if want != "" && !strings.Contains(r.Output+r.Trail, want) {
		t.Fatalf("seeded bug %v in %s: the counterexample does not mention %q:\n%s\n%s", opt.Defines, path, want, r.Output, r.Trail)
	}
	t.Logf("seeded bug %v in %s: counterexample found (%v)", opt.Defines, path, r.Elapsed.Round(time.Millisecond))
	return r
}
