package qemu_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRootLayout: an unmodified Go program, run with `run`, finds the standard layout
// the kernel builds at boot (boot/kernel/rootfs): os/exec looks pwd up in PATH and
// runs /bin/pwd in a directory it names, os/user (pure Go) finds the current user
// and group in /etc/passwd and /etc/group, /usr/bin lists the coreutils commands, and
// the commands behave (ls, uname, id, whoami, env, cat, mkdir, rm, false, a missing
// command).
func TestRootLayout(t *testing.T) {
	dir := t.TempDir()
	src := `package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"reflect"
	"strings"
)

func check(what string, ok bool, detail ...any) {
	if !ok {
		fmt.Printf("FAIL %s: %v\n", what, detail)
		os.Exit(1)
	}
}

func output(dir string, argv ...string) string {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	out, err := cmd.Output()
	check(strings.Join(argv, " "), err == nil, err, string(out))
	return string(out)
}

func main() {
	path, err := exec.LookPath("pwd")
	check("LookPath pwd", err == nil && path == "/bin/pwd", path, err)
	check("pwd in /usr/bin", output("/usr/bin", "pwd") == "/usr/bin\n")
	tmp, err := os.MkdirTemp("", "wd")
	check("MkdirTemp", err == nil, err)
	check("pwd in "+tmp, output(tmp, "/bin/pwd") == tmp+"\n", output(tmp, "/bin/pwd"))
	check("pwd relative to its dir", output("/usr/bin", "./pwd") == "/usr/bin\n")

	u, err := user.Current()
	check("user.Current", err == nil && u.Username == "root" && u.Uid == "0" && u.HomeDir == "/", u, err)
	g, err := user.LookupGroupId(u.Gid)
	check("user.LookupGroupId", err == nil && g.Name == "root", g, err)
	n, err := user.LookupId("65534")
	check("nobody", err == nil && n.Username == "nobody", n, err)

	entries, err := os.ReadDir("/usr/bin")
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"cat", "echo", "env", "false", "id", "ls", "mkdir", "pwd", "rm", "sleep", "true", "uname", "whoami"}
	check("/usr/bin", err == nil && reflect.DeepEqual(names, want), names, err)
	check("ls /usr/bin", output("/", "ls", "/usr/bin") == strings.Join(want, "\n")+"\n")
	host, err := os.Hostname()
	check("uname -n", output("/", "uname", "-n") == host+"\n", host, err)
	check("id", output("/", "id") == "uid=0(root) gid=0(root) groups=0(root)\n", output("/", "id"))
	check("whoami", output("/", "whoami") == "root\n")
	check("id nobody", output("/", "id", "-un", "65534") == "nobody\n")
	check("env", strings.Contains(output("/", "env"), "PATH=/bin:/usr/bin:/\n"))
	check("cat /etc/hosts", strings.Contains(output("/etc", "cat", "hosts"), "localhost"))
	check("mkdir and rm", output(tmp, "mkdir", "-pv", "a/b") != "" && output(tmp, "rm", "-r", "a") == "")
	var ee *exec.ExitError
	err = exec.Command("false").Run()
	check("false", errors.As(err, &ee) && ee.ExitCode() == 1, err)
	err = exec.Command("ls", "/no/such").Run()
	check("ls of a missing file", errors.As(err, &ee) && ee.ExitCode() == 2, err)
	_, err = exec.LookPath("no-such-command")
	check("a missing command", errors.Is(err, exec.ErrNotFound), err)
	fmt.Println("rootfs: all checks passed")
}
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module layout\ngo 1.26\n"), 0o644)
	prog := goBuild(t, filepath.Join(dir, "layout"), false, dir)
	res := runProgram(t, []string{prog}, "", nil, 3*time.Minute)
	if !strings.Contains(res.Console, "rootfs: all checks passed") || res.Status != 0 {
		t.Fatalf("status %d; console:\n%s", res.Status, res.Console)
	}
}
