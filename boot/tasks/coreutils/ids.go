package main

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// id and whoami name ids through /etc/passwd and /etc/group, which os/user (pure Go)
// reads: the root layout generates them from the ids the kernel gives processes.

var cmdID = &command{usage: "NAME [OPTION]... [USER]\n", failure: 1,
	help: "Print user and group information for USER, or (when USER omitted) for the\n" +
		"current process.\n\n" +
		"  -g, --group   print only the effective group ID\n" +
		"  -G, --groups  print all group IDs\n" +
		"  -n, --name    print a name instead of a number, for -u, -g or -G\n" +
		"  -r, --real    print the real ID instead of the effective ID (they are the same here)\n" +
		"  -u, --user    print only the effective user ID\n"}

func init() { cmdID.run = id }

// who is the user id looks at: its ids and, where the files have them, names.
type who struct {
	uid, gid uint32
	groups   []uint32
}

func id(e *env) int {
	p, status, done := e.start(cmdID, []option{{short: 'g', long: "group"}, {short: 'G', long: "groups"},
		{short: 'n', long: "name"}, {short: 'r', long: "real"}, {short: 'u', long: "user"}}, false)
	if done {
		return status
	}
	if len(p.operands) > 1 {
		return e.usageError(cmdID, "extra operand '%s'", p.operands[1])
	}
	var w who
	if len(p.operands) == 1 {
		u, err := user.Lookup(p.operands[0])
		if err != nil {
			if u, err = user.LookupId(p.operands[0]); err != nil {
				e.errorf("'%s': no such user", p.operands[0])
				return 1
			}
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		w = who{uid: uint32(uid), gid: uint32(gid), groups: []uint32{uint32(gid)}}
	} else {
		w = who{uid: uint32(os.Geteuid()), gid: uint32(os.Getegid())}
		w.groups = []uint32{w.gid}
		if gs, err := os.Getgroups(); err == nil {
			for _, g := range gs {
				if uint32(g) != w.gid {
					w.groups = append(w.groups, uint32(g))
				}
			}
		}
	}
	only := 0
	for _, k := range []string{"user", "group", "groups"} {
		if p.has(k) {
			only++
		}
	}
	if only > 1 {
		e.errorf("cannot print \"only\" of more than one choice")
		return 1
	}
	names := p.has("name")
	if names && only == 0 {
		e.errorf("cannot print only names or real IDs in default format")
		return 1
	}
	status = 0
	show := func(kind byte, n uint32) string {
		name, ok := idName(kind, n)
		if !names {
			return strconv.FormatUint(uint64(n), 10)
		}
		if !ok {
			e.errorf("cannot find name for %s ID %d", map[byte]string{'u': "user", 'g': "group"}[kind], n)
			status = 1
		}
		return name
	}
	switch {
	case p.has("user"):
		fmt.Fprintln(e.stdout, show('u', w.uid))
	case p.has("group"):
		fmt.Fprintln(e.stdout, show('g', w.gid))
	case p.has("groups"):
		var out []string
		for _, g := range w.groups {
			out = append(out, show('g', g))
		}
		fmt.Fprintln(e.stdout, strings.Join(out, " "))
	default:
		var groups []string
		for _, g := range w.groups {
			groups = append(groups, withName('g', g))
		}
		fmt.Fprintf(e.stdout, "uid=%s gid=%s groups=%s\n", withName('u', w.uid), withName('g', w.gid), strings.Join(groups, ","))
	}
	return status
}

// idName names a user ('u') or group ('g') id; without a name it is the number.
func idName(kind byte, n uint32) (string, bool) {
	s := strconv.FormatUint(uint64(n), 10)
	if kind == 'u' {
		if u, err := user.LookupId(s); err == nil {
			return u.Username, true
		}
		return s, false
	}
	if g, err := user.LookupGroupId(s); err == nil {
		return g.Name, true
	}
	return s, false
}

// withName is id's "0(root)": the number, and the name if there is one.
func withName(kind byte, n uint32) string {
	if name, ok := idName(kind, n); ok {
		return fmt.Sprintf("%d(%s)", n, name)
	}
	return strconv.FormatUint(uint64(n), 10)
}

var cmdWhoami = &command{usage: "NAME [OPTION]...\n", failure: 1,
	help: "Print the user name associated with the current effective user ID.\n"}

func init() { cmdWhoami.run = whoami }

func whoami(e *env) int {
	p, status, done := e.start(cmdWhoami, nil, false)
	if done {
		return status
	}
	if len(p.operands) > 0 {
		return e.usageError(cmdWhoami, "extra operand '%s'", p.operands[0])
	}
	uid := uint32(os.Geteuid())
	name, ok := idName('u', uid)
	if !ok {
		e.errorf("cannot find name for user ID %d", uid)
		return 1
	}
	fmt.Fprintln(e.stdout, name)
	return 0
}
