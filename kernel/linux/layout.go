package linux

import (
	"path"
	"strings"
)

// The standard root layout (boot/kernel/rootfs) gives one bundle program several
// names in the tree: /bin/ls and /usr/bin/pwd are the coreutils program. What the
// personality needs to know of it is here.

// Hostname is the node name uname gives processes; the root layout's /etc/hostname
// and /etc/hosts say the same.
const Hostname = "skyscope"

// shareKey returns the key under which the read-only pages of the program at tree
// path name are shared between the processes running it (kernel.TaskSpec.ShareKey),
// or "" if they are not. The key names the bundle program whose bytes the path
// holds, so every name of a multi-call program shares one copy of its code. Only the
// bundle's own programs are shared: a file elsewhere in the tree that happens to
// have a program's base name is not that program.
func (h *Host) shareKey(name string) string {
	prog := name
	if p, ok := h.Links[name]; ok {
		prog = p
	}
	if !h.Sharable[prog] {
		return ""
	}
	return "bundle:" + prog
}

// find returns the tree path and contents of the program a start by name (the
// System object's spawn, the kernel's run) names: the tree path itself, as always
// (the bundle's programs at the root, "bin/ls"), or, for a bare name the root does
// not hold, the first directory of the machine's PATH that does ("pwd" is
// /bin/pwd), as a shell would look it up.
func (h *Host) find(argv0 string) (string, []byte, bool) {
	name := strings.TrimPrefix(path.Clean("/"+argv0), "/")
	if b, ok := h.Files.File(name); ok || strings.Contains(argv0, "/") {
		return name, b, ok
	}
	for _, v := range h.Env {
		dirs, ok := strings.CutPrefix(v, "PATH=")
		if !ok {
			continue
		}
		for _, dir := range strings.Split(dirs, ":") {
			full := strings.TrimPrefix(path.Clean("/"+dir+"/"+name), "/")
			if b, ok := h.Files.File(full); ok {
				return full, b, true
			}
		}
	}
	return name, nil, false
}
