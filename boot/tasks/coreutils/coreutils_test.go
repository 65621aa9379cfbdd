package main

import (
	"bytes"
	"os"
	"os/user"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/boot/kernel/rootfs"
)

// TestMain lets the test binary stand in for the program: env's tests run it as the
// command env starts (CU_CHILD names the command it plays).
func TestMain(m *testing.M) {
	if name := os.Getenv("CU_CHILD"); name != "" {
		os.Exit(dispatch(append([]string{name}, os.Args[1:]...), os.Stdin, os.Stdout, os.Stderr, os.Environ()))
	}
	os.Exit(m.Run())
}

// run runs argv through the dispatcher and returns its status and output.
func run(t *testing.T, stdin string, argv ...string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	status = dispatch(argv, strings.NewReader(stdin), &out, &errb, []string{"PATH=/bin:/usr/bin", "HOME=/"})
	return status, out.String(), errb.String()
}

func TestCommandsAreTheLayoutsNames(t *testing.T) {
	if got := names(); !reflect.DeepEqual(got, rootfs.Commands) {
		t.Fatalf("coreutils answers to %v; the root layout makes %v", got, rootfs.Commands)
	}
	if rootfs.Multicall != self {
		t.Fatalf("the layout's program is %q, this one %q", rootfs.Multicall, self)
	}
}

func TestDispatch(t *testing.T) {
	for _, argv := range [][]string{{"/bin/echo", "hi"}, {"echo", "hi"}, {"/usr/bin/coreutils", "echo", "hi"}, {"coreutils", "echo", "hi"}} {
		if st, out, _ := run(t, "", argv...); st != 0 || out != "hi\n" {
			t.Errorf("%q: status %d, output %q", argv, st, out)
		}
	}
	if st, _, errs := run(t, "", "/bin/frobnicate"); st != 127 || !strings.Contains(errs, `unknown command "frobnicate"`) {
		t.Errorf("unknown name: status %d, %q", st, errs)
	}
	if st, out, _ := run(t, "", "coreutils", "--list"); st != 0 || out != strings.Join(names(), "\n")+"\n" {
		t.Errorf("--list: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "coreutils"); st != 1 || !strings.HasPrefix(out, "Usage: coreutils COMMAND") {
		t.Errorf("no command: %d %q", st, out)
	}
}

// TestHelpVersionAndBadUsage: every command answers --help and --version on standard
// output with status 0 (false: 1, as GNU's), and an unknown option with GNU's message
// and the command's usage status.
func TestHelpVersionAndBadUsage(t *testing.T) {
	for _, name := range names() {
		st, out, _ := run(t, "", name, "--help")
		want := 0
		if name == "false" {
			want = 1
		}
		if st != want || !strings.HasPrefix(out, "Usage: "+name+" ") || !strings.Contains(out, "--help") {
			t.Errorf("%s --help: status %d, %q", name, st, out)
		}
		if st, out, _ := run(t, "", name, "--version"); st != want || out != name+" "+version+"\n" {
			t.Errorf("%s --version: status %d, %q", name, st, out)
		}
		if name == "true" || name == "false" || name == "echo" {
			continue // they take no options but their own
		}
		st, _, errs := run(t, "", name, "--no-such-option")
		if want := commands[name].failure; st != want ||
			errs != name+": unrecognized option '--no-such-option'\nTry '"+name+" --help' for more information.\n" {
			t.Errorf("%s --no-such-option: status %d (want %d), %q", name, st, want, errs)
		}
	}
	if st, _, _ := run(t, "", "true", "--no-such-option", "x"); st != 0 {
		t.Errorf("true with arguments: %d", st)
	}
	if st, _, _ := run(t, "", "false", "anything"); st != 1 {
		t.Errorf("false: %d", st)
	}
	if st, _, errs := run(t, "", "ls", "-Z"); st != 2 || !strings.HasPrefix(errs, "ls: invalid option -- 'Z'\n") {
		t.Errorf("ls -Z: %d %q", st, errs)
	}
	if st, _, errs := run(t, "", "mkdir", "-m"); st != 1 || !strings.HasPrefix(errs, "mkdir: option requires an argument -- 'm'\n") {
		t.Errorf("mkdir -m: %d %q", st, errs)
	}
	if st, _, errs := run(t, "", "env", "--u"); st != 125 || !strings.Contains(errs, "ambiguous") && !strings.Contains(errs, "requires an argument") {
		t.Errorf("env --u: %d %q", st, errs)
	}
}

func TestEcho(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "\n"},
		{[]string{"a", "b"}, "a b\n"},
		{[]string{"-n", "a"}, "a"},
		{[]string{"-nE", "a\\tb"}, "a\\tb"},
		{[]string{"-e", `a\tb\x41\0101\n`}, "a\tbAA\n\n"},
		{[]string{"-e", `x\cy`, "z"}, "x"},
		{[]string{"-e", `\q\x`}, "\\q\\x\n"},
		{[]string{"-n", "-x", "a"}, "-x a"}, // -x is not an echo option: it and what follows are operands
		{[]string{"--", "a"}, "-- a\n"},
		{[]string{"--help", "a"}, "--help a\n"},
	} {
		if st, out, _ := run(t, "", append([]string{"echo"}, c.args...)...); st != 0 || out != c.want {
			t.Errorf("echo %q: %d %q, want %q", c.args, st, out, c.want)
		}
	}
}

func TestPwd(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if st, out, _ := run(t, "", "pwd"); st != 0 || out != dir+"\n" {
		t.Fatalf("pwd in %s: %d %q", dir, st, out)
	}
	os.Symlink(dir, dir+"/self")
	t.Chdir(dir + "/self")
	var out bytes.Buffer
	env := []string{"PWD=" + dir + "/self"}
	if st := dispatch([]string{"pwd", "-L"}, nil, &out, &out, env); st != 0 || out.String() != dir+"/self\n" {
		t.Fatalf("pwd -L: %d %q", st, out.String())
	}
	out.Reset()
	if st := dispatch([]string{"pwd", "-L", "-P"}, nil, &out, &out, env); st != 0 || out.String() != dir+"\n" {
		t.Fatalf("pwd -L -P: %d %q", st, out.String())
	}
	out.Reset()
	if st := dispatch([]string{"pwd", "-L"}, nil, &out, &out, []string{"PWD=" + dir + "/self/.."}); st != 0 || out.String() != dir+"\n" {
		t.Fatalf("pwd -L with a PWD holding '..': %d %q", st, out.String())
	}
}

// TestFiles runs mkdir, cat, ls and rm on a scratch tree, with their failures.
func TestFiles(t *testing.T) {
	t.Chdir(t.TempDir())
	if st, out, _ := run(t, "", "mkdir", "-pv", "d/e/f"); st != 0 || out != "mkdir: created directory 'd'\nmkdir: created directory 'd/e'\nmkdir: created directory 'd/e/f'\n" {
		t.Fatalf("mkdir -pv: %d %q", st, out)
	}
	if st, _, errs := run(t, "", "mkdir", "d"); st != 1 || errs != "mkdir: cannot create directory 'd': File exists\n" {
		t.Fatalf("mkdir of an existing directory: %d %q", st, errs)
	}
	if st, _, _ := run(t, "", "mkdir", "-p", "d"); st != 0 {
		t.Fatalf("mkdir -p of an existing directory: %d", st)
	}
	if st, _, errs := run(t, "", "mkdir", "-m", "9", "x"); st != 1 || errs != "mkdir: invalid mode '9'\n" {
		t.Fatalf("mkdir -m 9: %d %q", st, errs)
	}
	if st, _, _ := run(t, "", "mkdir", "-m", "700", "m"); st != 0 {
		t.Fatal("mkdir -m 700")
	}
	if fi, err := os.Stat("m"); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("mkdir -m 700 made %v (%v)", fi.Mode(), err)
	}
	os.WriteFile("d/a", []byte("one\n\n\n\ttwo\nthree"), 0o644)
	os.WriteFile("d/.hidden", nil, 0o644)
	if st, out, _ := run(t, "", "cat", "d/a"); st != 0 || out != "one\n\n\n\ttwo\nthree" {
		t.Fatalf("cat: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "cat", "-nsTE", "d/a"); st != 0 || out != "     1\tone$\n     2\t$\n     3\t^Itwo$\n     4\tthree" {
		t.Fatalf("cat -nsTE: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "cat", "-b", "d/a"); st != 0 || out != "     1\tone\n\n\n     2\t\ttwo\n     3\tthree" {
		t.Fatalf("cat -b: %d %q", st, out)
	}
	if st, out, errs := run(t, "in\n", "cat", "d/missing", "-", "d"); st != 1 || out != "in\n" ||
		errs != "cat: d/missing: No such file or directory\ncat: d: Is a directory\n" {
		t.Fatalf("cat with failures: %d %q %q", st, out, errs)
	}
	if st, out, _ := run(t, "", "ls", "d"); st != 0 || out != "a\ne\n" {
		t.Fatalf("ls d: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "ls", "-a", "d"); st != 0 || out != ".\n..\n.hidden\na\ne\n" {
		t.Fatalf("ls -a d: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "ls", "-AF", "d"); st != 0 || out != ".hidden\na\ne/\n" {
		t.Fatalf("ls -AF d: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "ls", "-R", "d"); st != 0 || out != "d:\na\ne\n\nd/e:\nf\n\nd/e/f:\n" {
		t.Fatalf("ls -R d: %d %q", st, out)
	}
	if st, out, errs := run(t, "", "ls", "d/a", "nope", "d/e"); st != 2 || out != "d/a\n\nd/e:\nf\n" ||
		errs != "ls: cannot access 'nope': No such file or directory\n" {
		t.Fatalf("ls with a missing operand: %d %q %q", st, out, errs)
	}
	st, out, _ := run(t, "", "ls", "-ln", "d")
	long := regexp.MustCompile(`^total \d+\n-rw-r--r-- 1 \d+ \d+ +16 [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d a\n` +
		`drwx[-rwx]{6} 3 \d+ \d+ +\d+ [A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d e\n$`)
	if st != 0 || !long.MatchString(out) {
		t.Fatalf("ls -ln d: %d %q", st, out)
	}
	if st, _, errs := run(t, "", "rm", "d"); st != 1 || errs != "rm: cannot remove 'd': Is a directory\n" {
		t.Fatalf("rm of a directory: %d %q", st, errs)
	}
	if st, _, errs := run(t, "", "rm", "-d", "d"); st != 1 || errs != "rm: cannot remove 'd': Directory not empty\n" {
		t.Fatalf("rm -d of a full directory: %d %q", st, errs)
	}
	if st, _, errs := run(t, "", "rm", "-r", "d/.", "/"); st != 1 ||
		errs != "rm: refusing to remove '.' or '..' directory: skipping 'd/.'\nrm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n" {
		t.Fatalf("rm -r of . and /: %d %q", st, errs)
	}
	if st, _, errs := run(t, "", "rm", "nope"); st != 1 || errs != "rm: cannot remove 'nope': No such file or directory\n" {
		t.Fatalf("rm of a missing file: %d %q", st, errs)
	}
	if st, _, errs := run(t, "", "rm", "-f", "nope"); st != 0 || errs != "" {
		t.Fatalf("rm -f of a missing file: %d %q", st, errs)
	}
	if st, out, _ := run(t, "", "rm", "-rv", "d"); st != 0 ||
		out != "removed 'd/.hidden'\nremoved 'd/a'\nremoved directory 'd/e/f'\nremoved directory 'd/e'\nremoved directory 'd'\n" {
		t.Fatalf("rm -rv: %d %q", st, out)
	}
	if _, err := os.Stat("d"); !os.IsNotExist(err) {
		t.Fatalf("d is still there: %v", err)
	}
	if st, _, errs := run(t, "", "rm"); st != 1 || !strings.HasPrefix(errs, "rm: missing operand\n") {
		t.Fatalf("rm without operands: %d %q", st, errs)
	}
}

func TestSleep(t *testing.T) {
	for in, want := range map[string]float64{"1": 1, "0.5": 0.5, "2m": 120, "1.5h": 5400, "1d": 86400, "3s": 3, "0x10": 16, "+2": 2, "1e1": 10} {
		if got, err := parseInterval(in); err != nil || got != want {
			t.Errorf("parseInterval(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "s", "-1", "x", "1x", "nan", "1_0", " 1", "1ss"} {
		if got, err := parseInterval(in); err == nil {
			t.Errorf("parseInterval(%q) = %v, want an error", in, got)
		}
	}
	if st, _, errs := run(t, "", "sleep"); st != 1 || !strings.HasPrefix(errs, "sleep: missing operand\n") {
		t.Errorf("sleep: %d %q", st, errs)
	}
	if st, _, errs := run(t, "", "sleep", "1", "soon"); st != 1 || !strings.HasPrefix(errs, "sleep: invalid time interval 'soon'\n") {
		t.Errorf("sleep soon: %d %q", st, errs)
	}
	if st, _, _ := run(t, "", "sleep", "0.01", "0.01s"); st != 0 {
		t.Errorf("sleep 0.01 0.01s: %d", st)
	}
}

func TestUname(t *testing.T) {
	st, out, _ := run(t, "", "uname")
	if st != 0 || out != "Linux\n" {
		t.Fatalf("uname: %d %q", st, out)
	}
	st, out, _ = run(t, "", "uname", "-snmo")
	if f := strings.Fields(out); st != 0 || len(f) != 4 || f[0] != "Linux" || f[3] != osName {
		t.Fatalf("uname -snmo: %d %q", st, out)
	}
	if st, _, errs := run(t, "", "uname", "x"); st != 1 || !strings.HasPrefix(errs, "uname: extra operand 'x'\n") {
		t.Fatalf("uname x: %d %q", st, errs)
	}
}

func TestEnv(t *testing.T) {
	var out bytes.Buffer
	if st := dispatch([]string{"env", "-u", "B", "C=3", "A=9"}, nil, &out, &out, []string{"A=1", "B=2"}); st != 0 || out.String() != "C=3\nA=9\n" {
		t.Fatalf("env -u B C=3 A=9: %d %q", st, out.String())
	}
	out.Reset()
	if st := dispatch([]string{"env", "-i", "-0", "X=1"}, nil, &out, &out, []string{"A=1"}); st != 0 || out.String() != "X=1\x00" {
		t.Fatalf("env -i -0 X=1: %d %q", st, out.String())
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The test binary plays the command (TestMain): env runs it with the environment
	// env built and reports its status.
	if st, out, _ := run(t, "", "env", "-i", "CU_CHILD=echo", self, "from", "child"); st != 0 || out != "from child\n" {
		t.Fatalf("env running echo: %d %q", st, out)
	}
	if st, _, _ := run(t, "", "env", "CU_CHILD=false", self); st != 1 {
		t.Fatalf("env running false: %d", st)
	}
	dir := t.TempDir()
	if st, out, _ := run(t, "", "env", "-C", dir, "CU_CHILD=pwd", self); st != 0 || !strings.HasSuffix(out, filepath.Base(dir)+"\n") {
		t.Fatalf("env -C: %d %q", st, out)
	}
	if st, _, errs := run(t, "", "env", "no-such-command"); st != 127 || errs != "env: 'no-such-command': No such file or directory\n" {
		t.Fatalf("env of a missing command: %d %q", st, errs)
	}
	if st, _, errs := run(t, "", "env", dir); st != 126 || errs != "env: '"+dir+"': Permission denied\n" {
		t.Fatalf("env of a directory: %d %q", st, errs)
	}
	if st, _, _ := run(t, "", "env", "-u", "A=B"); st != 125 {
		t.Fatalf("env -u A=B: %d", st)
	}
}

func TestParseArgs(t *testing.T) {
	opts := []option{{short: 'a', long: "all"}, {short: 'm', long: "mode", arg: true}, {short: 'v', long: "verbose"}, {long: "verify"}}
	p, err := parseArgs([]string{"x", "-am", "7", "--al", "--mode=8", "-m9", "-", "--", "-v"}, opts, false)
	if err != nil {
		t.Fatal(err)
	}
	want := &parsed{opts: []given{{"all", ""}, {"mode", "7"}, {"all", ""}, {"mode", "8"}, {"mode", "9"}}, operands: []string{"x", "-", "-v"}}
	if !reflect.DeepEqual(p, want) {
		t.Fatalf("got %+v, want %+v", p, want)
	}
	for args, msg := range map[string]string{
		"--ver":      "option '--ver' is ambiguous; possibilities: '--version' '--verbose' '--verify'",
		"--all=1":    "option '--all' doesn't allow an argument",
		"--mode":     "option '--mode' requires an argument",
		"-q":         "invalid option -- 'q'",
		"-am":        "option requires an argument -- 'm'",
		"--nonesuch": "unrecognized option '--nonesuch'",
	} {
		if _, err := parseArgs(strings.Fields(args), opts, false); err == nil || err.Error() != msg {
			t.Errorf("%s: %v, want %q", args, err, msg)
		}
	}
	if p, _ := parseArgs([]string{"-a", "cmd", "-v"}, opts, true); !reflect.DeepEqual(p.operands, []string{"cmd", "-v"}) {
		t.Errorf("in order: %+v", p)
	}
}

// The decoders of command-line text are fuzzed: none may panic, and each keeps its
// invariants on any input.

func FuzzParseArgs(f *testing.F) {
	f.Add("-la\x00--mode=7\x00x\x00--\x00-v", false)
	f.Add("--ver\x00-m", true)
	opts := []option{{short: 'l'}, {short: 'a', long: "all"}, {short: 'm', long: "mode", arg: true}, {short: 'v', long: "verbose"}}
	f.Fuzz(func(t *testing.T, joined string, inOrder bool) {
		args := strings.Split(joined, "\x00")
		p, err := parseArgs(args, opts, inOrder)
		if err != nil {
			return
		}
		if len(p.operands) > len(args) {
			t.Fatalf("%q: more operands than arguments: %q", args, p.operands)
		}
		for _, o := range p.opts {
			if o.key != "l" && o.key != "all" && o.key != "mode" && o.key != "verbose" {
				t.Fatalf("%q: an option no one declared: %+v", args, o)
			}
		}
	})
}

func FuzzUnescape(f *testing.F) {
	f.Add(`a\tb\x41\0101\c`)
	f.Add(`\x\0\`)
	f.Fuzz(func(t *testing.T, s string) {
		out, stop := unescape(s)
		if !strings.Contains(s, `\`) && (out != s || stop) {
			t.Fatalf("%q without escapes became %q (stop %v)", s, out, stop)
		}
		if stop && !strings.Contains(s, `\c`) {
			t.Fatalf("%q stopped without \\c", s)
		}
	})
}

func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"1", "0.5m", "inf", "0x10", "-1", "1e308d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if v, err := parseInterval(s); err == nil && !(v >= 0) {
			t.Fatalf("%q: %v", s, v)
		}
	})
}

// TestIDs: id and whoami name the process's ids through the password and group files
// (here the host's; on Skyscope the root layout's).
func TestIDs(t *testing.T) {
	me, err := user.Current()
	if err != nil {
		t.Skipf("the host has no name for this user: %v", err)
	}
	if st, out, _ := run(t, "", "id", "-u"); st != 0 || out != strconv.Itoa(os.Geteuid())+"\n" {
		t.Errorf("id -u: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "id", "-un"); st != 0 || out != me.Username+"\n" {
		t.Errorf("id -un: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "whoami"); st != 0 || out != me.Username+"\n" {
		t.Errorf("whoami: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "id"); st != 0 || !strings.HasPrefix(out, "uid="+me.Uid+"("+me.Username+") gid="+me.Gid) {
		t.Errorf("id: %d %q", st, out)
	}
	if st, out, _ := run(t, "", "id", "-u", me.Username); st != 0 || out != me.Uid+"\n" {
		t.Errorf("id -u %s: %d %q", me.Username, st, out)
	}
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"id", "no-such-user-here"}, "id: 'no-such-user-here': no such user\n"},
		{[]string{"id", "-u", "-g"}, "id: cannot print \"only\" of more than one choice\n"},
		{[]string{"id", "-n"}, "id: cannot print only names or real IDs in default format\n"},
		{[]string{"whoami", "x"}, "whoami: extra operand 'x'\nTry 'whoami --help' for more information.\n"},
	} {
		if st, _, errs := run(t, "", c.args...); st != 1 || errs != c.msg {
			t.Errorf("%q: %d %q", c.args, st, errs)
		}
	}
}
