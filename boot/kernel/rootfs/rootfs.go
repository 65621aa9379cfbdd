// Package rootfs builds the standard root layout the kernel's Linux personality
// serves every program, over the boot bundle's verified files: /etc with the
// machine's identities and names, and /bin and /usr/bin holding the bundle's
// multi-call coreutils program under each of its command names.
//
// Linux programs expect that layout: Go's os/user reads /etc/passwd and /etc/group,
// its net package /etc/hosts and /etc/nsswitch.conf, and os/exec looks commands up
// in $PATH (PATH below). Nothing here is scaffolding for one program: the files are
// generated at boot from what the kernel knows, so they say what the system is.
//
// The /etc files are made, not carried in the bundle, because what they say belongs
// to the running kernel (its personality's host name and the ids it gives
// processes); a bundle that carries a file of the same name keeps its own (the
// signed file wins over the generated one). The command names are links in the
// sense that matters: every /bin and /usr/bin name maps to the one slice holding the
// verified program, so the tree holds one copy, and Links tells the personality that
// these are that program, so the processes running them share its code pages.
//
// Rejected: copying the program per name (a megabyte each, verified for nothing);
// symbolic links in the read-only tree (the tree has none, and readlink of /bin/ls
// would then show a file that is not a command); one bundle program per command
// (a Go binary each to store and verify at every boot).
package rootfs

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Multicall is the bundle program that provides the commands.
const Multicall = "coreutils"

// Commands are the names the coreutils program answers to (boot/tasks/coreutils; a
// test there keeps its table and this list equal), sorted.
var Commands = []string{"cat", "echo", "env", "false", "id", "ls", "mkdir", "pwd", "rm", "sleep", "true", "uname", "whoami"}

// BinDirs are where the commands appear (tree paths, without the leading slash).
var BinDirs = []string{"bin", "usr/bin"}

// Path is the search path programs the kernel starts get: the standard directories,
// then the root, where the bundle's own programs (init, the shell, the services, a
// program skyrun runs) stay.
const Path = "/bin:/usr/bin:/"

// Account is a user of the machine, with the group of the same name and id.
type Account struct {
	Name     string
	UID, GID uint32
	Gecos    string // the "real name" field
	Home     string
	Shell    string
}

// Identity is what the running system knows that /etc describes.
type Identity struct {
	Hostname string    // the node name uname gives processes
	Accounts []Account // the ids the personality gives processes
	Version  string    // the kernel's version, for os-release
}

// Accounts returns the machine's accounts, the ids the personality gives processes
// (kernel/linux, ids.go): root, uid and gid 0, which every task outside a container
// has, and a container's root inside it (mapped to an unprivileged machine id); and
// nobody, abi.OverflowID, what an id without a mapping reads as (a container sees the
// machine root's files owned by it). Root's home is /, the HOME programs get; its
// shell the bundle's interactive shell when the bundle has one.
func Accounts(programs map[string][]byte) []Account {
	shell := ""
	if _, ok := programs["shell"]; ok {
		shell = "/shell"
	}
	return []Account{
		{Name: "root", UID: 0, GID: 0, Gecos: "root", Home: "/", Shell: shell},
		{Name: "nobody", UID: abi.OverflowID, GID: abi.OverflowID, Gecos: "nobody", Home: "/nonexistent", Shell: "/bin/false"},
	}
}

// Layout is the root layout built for one boot.
type Layout struct {
	// Links maps each command's tree path ("bin/ls") to the bundle program whose
	// bytes it holds (Multicall), for the personality's sharing of code pages.
	Links map[string]string
	// Made lists the tree paths Add put in, sorted.
	Made []string
}

// Add puts the layout into files (the tree: clean paths without a leading slash →
// contents), whose bundle programs are programs (entry name → binary). A path the
// bundle already has keeps its contents. If the layout cannot be added — a file
// stands where it needs a directory ("etc" or "bin" a file), or a directory where
// it needs a file — it returns an error and changes nothing. Without the coreutils
// program the tree gets /etc only.
func Add(files map[string][]byte, programs map[string][]byte, id Identity) (*Layout, error) {
	if err := id.check(); err != nil {
		return nil, err
	}
	add := map[string][]byte{}
	for name, b := range etcFiles(id) {
		add["etc/"+name] = b
	}
	links := map[string]string{}
	if prog, ok := programs[Multicall]; ok {
		for _, dir := range BinDirs {
			for _, c := range Commands {
				add[dir+"/"+c] = prog // the one slice: no copy
				links[dir+"/"+c] = Multicall
			}
		}
	}
	// Check every addition against the tree before changing it.
	dirs := map[string]bool{}
	for name := range files {
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	l := &Layout{Links: map[string]string{}}
	for name := range add {
		if dirs[name] {
			return nil, fmt.Errorf("root layout: the boot bundle has a directory /%s where the layout puts a file", name)
		}
		for d := path.Dir(name); d != "."; d = path.Dir(d) {
			if _, isFile := files[d]; isFile {
				return nil, fmt.Errorf("root layout: the boot bundle has a file /%s where the layout needs a directory", d)
			}
		}
	}
	for name, b := range add {
		if _, ok := files[name]; ok {
			continue // the bundle's signed file wins
		}
		files[name] = b
		l.Made = append(l.Made, name)
		if p, ok := links[name]; ok {
			l.Links[name] = p
		}
	}
	sort.Strings(l.Made)
	return l, nil
}

// check refuses an identity whose fields would break the files' formats.
func (id Identity) check() error {
	if id.Hostname == "" || strings.ContainsAny(id.Hostname, " \t\n:/") {
		return fmt.Errorf("root layout: bad host name %q", id.Hostname)
	}
	if len(id.Accounts) == 0 {
		return fmt.Errorf("root layout: no accounts")
	}
	seen := map[string]bool{}
	for _, a := range id.Accounts {
		for _, f := range []string{a.Name, a.Gecos, a.Home, a.Shell} {
			if strings.ContainsAny(f, ":\n") {
				return fmt.Errorf("root layout: account field %q holds ':' or a newline", f)
			}
		}
		if a.Name == "" || seen[a.Name] || seen[fmt.Sprint(a.UID)] {
			return fmt.Errorf("root layout: account %q (uid %d) is empty or repeated", a.Name, a.UID)
		}
		seen[a.Name], seen[fmt.Sprint(a.UID)] = true, true
	}
	if strings.ContainsAny(id.Version, "\"\n\\$`") {
		return fmt.Errorf("root layout: version %q does not fit os-release", id.Version)
	}
	return nil
}

// etcFiles returns the /etc files for id (names within /etc → contents).
func etcFiles(id Identity) map[string][]byte {
	var passwd, group strings.Builder
	for _, a := range id.Accounts {
		// name:password:uid:gid:gecos:home:shell; "x": no password here (nothing
		// logs in: the console is the machine's).
		fmt.Fprintf(&passwd, "%s:x:%d:%d:%s:%s:%s\n", a.Name, a.UID, a.GID, a.Gecos, a.Home, a.Shell)
		// name:password:gid:members; each account's group has its name.
		fmt.Fprintf(&group, "%s:x:%d:\n", a.Name, a.GID)
	}
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t%s\n", id.Hostname)
	osRelease := fmt.Sprintf("NAME=\"Skyscope OS\"\nID=skyscope\nVERSION_ID=\"%s\"\nPRETTY_NAME=\"Skyscope OS %s\"\n"+
		"HOME_URL=\"https://github.com/skyscope-os/skyscope\"\n", id.Version, id.Version)
	return map[string][]byte{
		"passwd":   []byte(passwd.String()),
		"group":    []byte(group.String()),
		"hosts":    []byte(hosts),
		"hostname": []byte(id.Hostname + "\n"),
		// Go's net package reads the hosts order here; os/user (pure Go) always
		// reads the files.
		"nsswitch.conf": []byte("passwd: files\ngroup: files\nhosts: files dns\n"),
		"os-release":    []byte(osRelease),
	}
}
