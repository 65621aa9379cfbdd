package linux

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
