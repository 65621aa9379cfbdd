package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// true and false: GNU's look only at a sole --help or --version and ignore every
// other argument; false exits 1 even then.

var cmdTrue = &command{usage: "NAME [ignored command line arguments]\n", failure: 1,
	help: "Exit with a status code indicating success.\n"}

var cmdFalse = &command{usage: "NAME [ignored command line arguments]\n", failure: 1,
	help: "Exit with a status code indicating failure.\n"}

func init() {
	cmdTrue.run = func(e *env) int { return trueFalse(e, cmdTrue, 0) }
	cmdFalse.run = func(e *env) int { return trueFalse(e, cmdFalse, 1) }
}

func trueFalse(e *env, c *command, status int) int {
	if len(e.args) == 1 {
		switch e.args[0] {
		case "--help":
			e.printHelp(c)
		case "--version":
			fmt.Fprintln(e.stdout, e.name, version)
		}
	}
	return status
}

var cmdEcho = &command{usage: "NAME [SHORT-OPTION]... [STRING]...\n", failure: 1,
	help: "Echo the STRING(s) to standard output.\n\n" +
		"  -n             do not output the trailing newline\n" +
		"  -e             enable interpretation of backslash escapes\n" +
		"  -E             disable interpretation of backslash escapes (default)\n" +
		"\nWith -e: \\\\ \\a \\b \\c (produce no further output) \\e \\f \\n \\r \\t \\v\n" +
		"\\0NNN (octal, up to three digits) \\xHH (hexadecimal, one or two digits).\n"}

func init() { cmdEcho.run = echo }

// echo, as GNU's: only arguments made of the letters n, e and E are options, they
// end at the first other argument, and a sole --help or --version is recognised.
func echo(e *env) int {
	args := e.args
	if len(args) == 1 && (args[0] == "--help" || args[0] == "--version") {
		return trueFalse(e, cmdEcho, 0)
	}
	newline, escapes := true, false
	for len(args) > 0 && isEchoOptions(args[0]) {
		for _, c := range args[0][1:] {
			switch c {
			case 'n':
				newline = false
			case 'e':
				escapes = true
			case 'E':
				escapes = false
			}
		}
		args = args[1:]
	}
	var out strings.Builder
	for i, a := range args {
		if i > 0 {
			out.WriteByte(' ')
		}
		if escapes {
			s, stop := unescape(a)
			out.WriteString(s)
			if stop {
				newline = false
				break
			}
		} else {
			out.WriteString(a)
		}
	}
	if newline {
		out.WriteByte('\n')
	}
	if _, err := fmt.Fprint(e.stdout, out.String()); err != nil {
		e.errorf("write error: %v", errText(err))
		return 1
	}
	return 0
}

func isEchoOptions(a string) bool {
	return len(a) > 1 && a[0] == '-' && strings.Trim(a[1:], "neE") == ""
}

// unescape decodes echo -e's backslash escapes in s; stop reports a \c (no further
// output). An unknown escape is kept as written, as GNU's echo does.
func unescape(s string) (out string, stop bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case '\\':
			b.WriteByte('\\')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'c':
			return b.String(), true
		case 'e':
			b.WriteByte(0x1b)
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'v':
			b.WriteByte('\v')
		case '0': // \0NNN: up to three octal digits after the 0
			v, j := 0, i+1
			for ; j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7'; j++ {
				v = v*8 + int(s[j]-'0')
			}
			b.WriteByte(byte(v))
			i = j - 1
		case 'x': // \xHH: one or two hex digits; none leaves "\x"
			v, j := 0, i+1
			for ; j < len(s) && j < i+3 && isHex(s[j]); j++ {
				v = v*16 + hexVal(s[j])
			}
			if j == i+1 {
				b.WriteString("\\x")
				continue
			}
			b.WriteByte(byte(v))
			i = j - 1
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), false
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) int {
	switch {
	case c >= 'a':
		return int(c-'a') + 10
	case c >= 'A':
		return int(c-'A') + 10
	}
	return int(c - '0')
}

var cmdPwd = &command{usage: "NAME [OPTION]...\n", failure: 1,
	help: "Print the full filename of the current working directory.\n\n" +
		"  -L, --logical   use PWD from environment, even if it contains symlinks\n" +
		"  -P, --physical  avoid all symlinks (the default)\n"}

func init() { cmdPwd.run = pwd }

func pwd(e *env) int {
	p, status, done := e.start(cmdPwd, []option{{short: 'L', long: "logical"}, {short: 'P', long: "physical"}}, false)
	if done {
		return status
	}
	if len(p.operands) > 0 {
		e.errorf("ignoring non-option arguments")
	}
	logical := false
	for _, o := range p.opts {
		logical = o.key == "logical"
	}
	if logical {
		// -L: $PWD if it is absolute, has no "." or ".." component and names the
		// working directory; otherwise the physical name, as GNU does.
		if dir, ok := e.getenv("PWD"); ok && cleanAbsolute(dir) && sameFile(dir, ".") {
			fmt.Fprintln(e.stdout, dir)
			return 0
		}
	}
	dir, err := syscall.Getwd()
	if err != nil {
		e.errorf("couldn't find directory entry in '..' with matching i-node: %v", errText(err))
		return 1
	}
	fmt.Fprintln(e.stdout, dir)
	return 0
}

func cleanAbsolute(dir string) bool {
	if !strings.HasPrefix(dir, "/") {
		return false
	}
	for _, c := range strings.Split(dir, "/") {
		if c == "." || c == ".." {
			return false
		}
	}
	return true
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

var cmdSleep = &command{usage: "NAME NUMBER[SUFFIX]...\n", failure: 1,
	help: "Pause for NUMBER seconds, or the sum of the NUMBERs given. SUFFIX may be 's' for\n" +
		"seconds (the default), 'm' for minutes, 'h' for hours or 'd' for days. NUMBER may be\n" +
		"a decimal fraction; 'inf' sleeps for ever.\n\n"}

func init() { cmdSleep.run = sleep }

func sleep(e *env) int {
	// sleep has no options but --help and --version: "sleep -1" is an invalid
	// option, as in GNU's.
	p, status, done := e.start(cmdSleep, nil, false)
	if done {
		return status
	}
	if len(p.operands) == 0 {
		return e.usageError(cmdSleep, "missing operand")
	}
	var total float64
	bad := false
	for _, a := range p.operands {
		s, err := parseInterval(a)
		if err != nil {
			e.errorf("invalid time interval '%s'", a)
			bad = true
			continue
		}
		total += s
	}
	if bad {
		fmt.Fprintf(e.stderr, "Try '%s --help' for more information.\n", e.name)
		return 1
	}
	d := time.Duration(math.MaxInt64)
	if total < float64(math.MaxInt64)/1e9 {
		d = time.Duration(total * 1e9)
	}
	time.Sleep(d)
	return 0
}

// parseInterval decodes one of sleep's operands: a non-negative decimal number (or
// "inf"/"infinity") with an optional unit suffix s, m, h or d, in seconds.
func parseInterval(a string) (float64, error) {
	mult := 1.0
	if a != "" {
		switch a[len(a)-1] {
		case 's':
			a = a[:len(a)-1]
		case 'm':
			mult, a = 60, a[:len(a)-1]
		case 'h':
			mult, a = 3600, a[:len(a)-1]
		case 'd':
			mult, a = 86400, a[:len(a)-1]
		}
	}
	// strtod's forms, as GNU's sleep takes them ("1.5", "2e3", "0x10", "inf"), but
	// no sign but a plus, no spaces and no Go-only underscores.
	if a == "" || strings.ContainsAny(a, "-_ \t\n") {
		return 0, errors.New("bad interval")
	}
	v, err := strconv.ParseFloat(a, 64)
	if err != nil && strings.HasPrefix(strings.ToLower(strings.TrimPrefix(a, "+")), "0x") {
		var n uint64 // strtod reads "0x10" as 16; Go wants a p exponent for a hex float
		n, err = strconv.ParseUint(strings.TrimPrefix(a, "+")[2:], 16, 64)
		v = float64(n)
	}
	if err != nil || math.IsNaN(v) || v < 0 {
		return 0, errors.New("bad interval")
	}
	return v * mult, nil
}

var cmdUname = &command{usage: "NAME [OPTION]...\n", failure: 1,
	help: "Print certain system information.  With no OPTION, same as -s.\n\n" +
		"  -a, --all                print all information, in the following order,\n" +
		"                             except omit -p and -i if unknown:\n" +
		"  -s, --kernel-name        print the kernel name\n" +
		"  -n, --nodename           print the network node hostname\n" +
		"  -r, --kernel-release     print the kernel release\n" +
		"  -v, --kernel-version     print the kernel version\n" +
		"  -m, --machine            print the machine hardware name\n" +
		"  -p, --processor          print the processor type (non-portable)\n" +
		"  -i, --hardware-platform  print the hardware platform (non-portable)\n" +
		"  -o, --operating-system   print the operating system\n"}

func init() { cmdUname.run = uname }

// osName is what uname -o prints: the system the Linux programs run on.
const osName = "Skyscope"

func uname(e *env) int {
	fields := []option{{short: 's', long: "kernel-name"}, {short: 'n', long: "nodename"},
		{short: 'r', long: "kernel-release"}, {short: 'v', long: "kernel-version"},
		{short: 'm', long: "machine"}, {short: 'p', long: "processor"},
		{short: 'i', long: "hardware-platform"}, {short: 'o', long: "operating-system"}}
	p, status, done := e.start(cmdUname, append([]option{{short: 'a', long: "all"}}, fields...), false)
	if done {
		return status
	}
	if len(p.operands) > 0 {
		return e.usageError(cmdUname, "extra operand '%s'", p.operands[0])
	}
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		e.errorf("cannot get system name: %v", errText(err))
		return 1
	}
	values := map[string]string{"kernel-name": cstr(u.Sysname[:]), "nodename": cstr(u.Nodename[:]),
		"kernel-release": cstr(u.Release[:]), "kernel-version": cstr(u.Version[:]),
		"machine": cstr(u.Machine[:]), "processor": "unknown", "hardware-platform": "unknown",
		"operating-system": osName}
	all := p.has("all")
	var out []string
	for _, f := range fields {
		v := values[f.long]
		switch {
		case all && v == "unknown": // -a leaves out what is not known
		case all || p.has(f.long):
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		out = []string{values["kernel-name"]}
	}
	fmt.Fprintln(e.stdout, strings.Join(out, " "))
	return 0
}

func cstr(b []int8) string {
	s := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

var cmdEnv = &command{usage: "NAME [OPTION]... [-] [NAME=VALUE]... [COMMAND [ARG]...]\n", failure: 125,
	help: "Set each NAME to VALUE in the environment and run COMMAND; without COMMAND, print\n" +
		"the resulting environment.\n\n" +
		"  -i, --ignore-environment  start with an empty environment\n" +
		"  -0, --null                end each output line with NUL, not newline\n" +
		"  -u, --unset=NAME          remove variable from the environment\n" +
		"  -C, --chdir=DIR           change working directory to DIR\n" +
		"\nExit status: 125 if env itself fails, 126 if COMMAND is found but cannot be\n" +
		"run, 127 if COMMAND cannot be found, otherwise COMMAND's exit status.\n"}

func init() { cmdEnv.run = envCmd }

func envCmd(e *env) int {
	p, status, done := e.start(cmdEnv, []option{{short: 'i', long: "ignore-environment"}, {short: '0', long: "null"},
		{short: 'u', long: "unset", arg: true}, {short: 'C', long: "chdir", arg: true}}, true)
	if done {
		return status
	}
	vars := p.operands
	if len(vars) > 0 && vars[0] == "-" { // "-" is the old spelling of -i
		p.opts = append(p.opts, given{key: "ignore-environment"})
		vars = vars[1:]
	}
	environ := append([]string(nil), e.environ...)
	if p.has("ignore-environment") {
		environ = nil
	}
	for _, o := range p.opts {
		if o.key != "unset" {
			continue
		}
		if o.value == "" || strings.Contains(o.value, "=") {
			e.errorf("cannot unset '%s': Invalid argument", o.value)
			return 125
		}
		environ = unset(environ, o.value)
	}
	for len(vars) > 0 && strings.Contains(vars[0], "=") && !strings.HasPrefix(vars[0], "=") {
		name, _, _ := strings.Cut(vars[0], "=")
		environ = append(unset(environ, name), vars[0])
		vars = vars[1:]
	}
	dir, chdir := p.last("chdir")
	if len(vars) == 0 {
		if chdir {
			return e.usageError(cmdEnv, "must specify command with --chdir (-C)")
		}
		end := "\n"
		if p.has("null") {
			end = "\x00"
		}
		for _, v := range environ {
			fmt.Fprint(e.stdout, v, end)
		}
		return 0
	}
	if p.has("null") {
		return e.usageError(cmdEnv, "cannot specify --null (-0) with command")
	}
	return e.runCommand(vars, environ, dir)
}

// runCommand runs argv with environ in dir (empty: this one) and returns its status
// the way env reports it. GNU's env replaces itself with the command (execvp); here
// it starts the command as a child and waits, which programs cannot tell apart but
// for the process id, because the personality runs execve only in a vfork child.
func (e *env) runCommand(argv, environ []string, dir string) int {
	path, err := lookPath(argv[0], environ)
	if err != nil {
		e.errorf("'%s': %s", argv[0], errText(err))
		if errors.Is(err, os.ErrNotExist) {
			return 127
		}
		return 126
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Env: environ, Dir: dir, Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr}
	if f, ok := e.stdin.(*os.File); ok {
		cmd.Stdin = f
	}
	err = cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	case dir != "" && errors.Is(err, os.ErrNotExist):
		e.errorf("cannot change directory to '%s': %s", dir, errText(err))
		return 125
	}
	e.errorf("'%s': %s", argv[0], errText(err))
	if errors.Is(err, os.ErrNotExist) {
		return 127
	}
	return 126
}

// lookPath finds name in the PATH of environ (not env's own: env PATH=/x cmd looks in
// /x, as GNU's does).
func lookPath(name string, environ []string) (string, error) {
	if strings.Contains(name, "/") {
		fi, err := os.Stat(name)
		if err != nil {
			return "", err
		}
		if fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", os.ErrPermission
		}
		return name, nil
	}
	path := "/bin:/usr/bin"
	for _, v := range environ {
		if strings.HasPrefix(v, "PATH=") {
			path = v[len("PATH="):]
		}
	}
	for _, dir := range strings.Split(path, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + name
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", os.ErrNotExist
}

func unset(environ []string, name string) []string {
	out := environ[:0:0]
	for _, v := range environ {
		if k, _, _ := strings.Cut(v, "="); k != name {
			out = append(out, v)
		}
	}
	return out
}

// errText is an error's message the way GNU prints it: the system's message for an
// errno ("No such file or directory"), with Go's "op path:" prefix gone.
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, os.ErrPermission):
		return "Permission denied"
	}
	return err.Error()
}
