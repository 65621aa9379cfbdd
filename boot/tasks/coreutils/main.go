// Command coreutils is the boot bundle's small set of standard commands, one
// multi-call program: the kernel's root layout (boot/kernel/rootfs) makes every
// command name a file in /bin and /usr/bin holding this one program's bytes, and the
// program picks the command from argv[0]'s base name ("/bin/pwd" runs pwd), or, when
// started by its own name, from its first argument ("coreutils ls -l /etc").
//
// The commands follow GNU coreutils' behaviour for the cases programs and scripts
// rely on: the same options, messages in the same form ("ls: cannot access 'x': No
// such file or directory"), --help and --version, and GNU's exit statuses (1 for a
// failure, 2 for ls's serious trouble and bad usage, 125/126/127 for env). What they
// leave out is said in each command's help.
//
// Why one program: a Go binary is about a megabyte compressed; one per command would
// cost the boot bundle a megabyte each to store and verify at every boot, where one
// costs one, and the personality shares its code pages between every process running
// any of the names.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// env is what a command runs with: its arguments (without the command name), its
// standard streams and its environment. Commands are functions of an env returning
// the exit status, so the tests run them on the host without starting processes.
type env struct {
	name    string // the command's name, for messages
	args    []string
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	environ []string
}

// command is one entry of the dispatch table.
type command struct {
	run     func(e *env) int
	usage   string // the synopsis line(s) after "Usage: "
	help    string // what it does and its options
	failure int    // the exit status of bad usage (GNU: 1, ls 2, env 125)
}

// commands is the dispatch table: command name → implementation. Its names are the
// files the root layout makes (rootfs.Commands; a test keeps the two equal).
var commands map[string]*command

func init() {
	commands = map[string]*command{
		"cat":    cmdCat,
		"echo":   cmdEcho,
		"env":    cmdEnv,
		"false":  cmdFalse,
		"id":     cmdID,
		"ls":     cmdLs,
		"mkdir":  cmdMkdir,
		"pwd":    cmdPwd,
		"rm":     cmdRm,
		"sleep":  cmdSleep,
		"true":   cmdTrue,
		"uname":  cmdUname,
		"whoami": cmdWhoami,
	}
}

// version is what --version prints after the command's name.
const version = "(Skyscope coreutils) 1.0"

// self is the program's own name: started by it, the first argument names the command.
const self = "coreutils"

func main() {
	os.Exit(dispatch(os.Args, os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}

// dispatch runs the command argv names and returns its exit status.
func dispatch(argv []string, stdin io.Reader, stdout, stderr io.Writer, environ []string) int {
	name := self
	if len(argv) > 0 {
		name = filepath.Base(argv[0])
		argv = argv[1:]
	}
	if name == self {
		if len(argv) == 0 || argv[0] == "--help" {
			fmt.Fprint(stdout, multicallHelp())
			if len(argv) == 0 {
				return 1
			}
			return 0
		}
		if argv[0] == "--list" { // the command names, one a line
			fmt.Fprintln(stdout, strings.Join(names(), "\n"))
			return 0
		}
		if argv[0] == "--version" {
			fmt.Fprintln(stdout, self, version)
			return 0
		}
		name, argv = argv[0], argv[1:]
	}
	c := commands[name]
	if c == nil {
		fmt.Fprintf(stderr, "%s: unknown command %q (coreutils --list names the commands)\n", self, name)
		return 127 // as a shell reports a command it cannot find
	}
	return c.run(&env{name: name, args: argv, stdin: stdin, stdout: stdout, stderr: stderr, environ: environ})
}

// names returns the command names, sorted.
func names() []string {
	var n []string
	for name := range commands {
		n = append(n, name)
	}
	sort.Strings(n)
	return n
}

func multicallHelp() string {
	return "Usage: coreutils COMMAND [ARGUMENT]...\n" +
		"  or:  COMMAND [ARGUMENT]...   (started by a command's name, as /bin/COMMAND)\n" +
		"Runs one of the standard commands: " + strings.Join(names(), ", ") + ".\n" +
		"  --list     print the command names, one a line\n" +
		"  --help     print this help\n" +
		"  --version  print the version\n"
}

// errorf prints "NAME: message" on standard error.
func (e *env) errorf(format string, args ...any) {
	fmt.Fprintf(e.stderr, "%s: %s\n", e.name, fmt.Sprintf(format, args...))
}

// usageError reports bad usage the GNU way and returns c's failure status.
func (e *env) usageError(c *command, format string, args ...any) int {
	e.errorf(format, args...)
	fmt.Fprintf(e.stderr, "Try '%s --help' for more information.\n", e.name)
	return c.failure
}

// printHelp prints c's help on standard output.
func (e *env) printHelp(c *command) {
	fmt.Fprintf(e.stdout, "Usage: %s\n%s", strings.ReplaceAll(c.usage, "NAME", e.name), c.help)
	fmt.Fprint(e.stdout, "      --help     display this help and exit\n      --version  output version information and exit\n")
}

// getenv looks name up in the command's environment.
func (e *env) getenv(name string) (string, bool) {
	for i := len(e.environ) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(e.environ[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}
