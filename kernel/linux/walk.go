package linux

import (
	"strings"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"golang.org/x/sys/unix"
)

// ".." as Linux takes it. A path's ".." names the parent of the directory the
// components before it lead to — after symbolic links: with a a link to b/c,
// "a/../target" is b/target, not target as cleaning the text would have it. So the
// personality resolves a path argument component by component (dotdot): every
// component that a later ".." goes back over is looked at first, and a link there is
// replaced by its target (relative to the link's directory, or from the tree's "/"
// for an absolute one) before the ".." applies; a file there is ENOTDIR and a missing
// name ENOENT, as Linux stops there. Components after the last ".." need no look:
// the path from there on holds no "..", so following its links later (follow, or
// SKYAIFS's own walk) gives what Linux gives. The working directory and a
// directory descriptor's path are already resolved, so they are taken as they are.
//
// The tree's "/" is the personality's: ".." at the top of /tmp leaves /tmp for the
// read-only tree, as it leaves a mount point on Linux, and an absolute link target
// starts from the personality's "/", whichever back end holds /tmp.
//
// In memory (the boot bundle's tree, the tmpfs) dotdot looks names up at once. A
// name in /tmp served by SKYAIFS is the server's to tell: dotdot stops with
// needLookup, the call's handler returns it unchanged, and the personality asks the
// server (Stat without following, then Readlink for a link), records the answer
// for the thread (thread.known) and runs the call's handler again from the start,
// which now gets further. Handlers only resolve paths before they change anything,
// so running one again is safe; the answers are kept until the call ends, so each
// name costs one lookup per call. Most paths have no "..": they cost nothing.

// needLookup is what a path resolution and its handler return when a /tmp name of
// SKYAIFS must be looked at first (the thread's need). No file call answers it.
var needLookup = errno(unix.ERESTART)

// nodeKind is what a tree name is, as dotdot needs to know it.
type nodeKind uint8

const (
	nodeDir nodeKind = iota
	nodeFile
	nodeLink
	nodeMissing
	nodeError // the lookup failed (errno in known.err)
)

// known is a looked-up name: its kind, a link's target, a failed lookup's errno.
type known struct {
	kind   nodeKind
	target string
	err    unix.Errno
}

// lookupName returns what the tree path name is: at once for the trees in memory,
// from the thread's answers for SKYAIFS (false: not known yet).
func (p *Process) lookupName(k *kernel.Kernel, t *kernel.TCB, name string) (known, bool) {
	if name == tmpRoot {
		return known{kind: nodeDir}, true // the mount point, whoever serves it
	}
	if p.remoteAt(k, t, name) != nil {
		th := p.threads[t]
		if th == nil {
			return known{kind: nodeError, err: unix.EIO}, true
		}
		kn, ok := th.known[name]
		if !ok {
			th.need = name
		}
		return kn, ok
	}
	if n := p.fs.tmp.nodes[name]; inTmp(name) && n != nil && n.link != "" {
		return known{kind: nodeLink, target: n.link}, true
	}
	isDir, ok := p.exists(name)
	switch {
	case !ok:
		return known{kind: nodeMissing}, true
	case isDir:
		return known{kind: nodeDir}, true
	}
	return known{kind: nodeFile}, true
}

// dotdot resolves the path argument name from base (a resolved tree path, "" for
// "/"; an absolute name starts from "/") into a clean tree path without "." or ".."
// components, as described above. It fails with ENOTDIR, ENOENT or ELOOP as Linux
// would, or needLookup.
func (p *Process) dotdot(k *kernel.Kernel, t *kernel.TCB, base, name string) (string, uint64) {
	return p.walk(k, t, base, name, false, false)
}

// physical resolves the tree path name (clean, as resolveLink gives it) with every
// link followed, the last one too, as Linux's chdir keeps the directory itself and
// not the names that led to it: a later ".." from it must be the directory's parent.
func (p *Process) physical(k *kernel.Kernel, t *kernel.TCB, name string) (string, uint64) {
	return p.walk(k, t, "", "/"+name, true, true)
}

// walk is dotdot, and with all set it looks at every component: links are followed
// everywhere but in the last component, which is followed if followLast (or if a
// slash follows it) — the personality's own resolution of a whole path, for the
// paths SKYAIFS's walk cannot finish (see remote: EREMOTE) and for chdir.
func (p *Process) walk(k *kernel.Kernel, t *kernel.TCB, base, name string, all, followLast bool) (string, uint64) {
	var cur []string
	if base != "" && !strings.HasPrefix(name, "/") {
		cur = strings.Split(base, "/")
	}
	todo := strings.Split(name, "/")
	hops := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		last := onlyDots(todo)
		if !all && !hasDotDot(todo) || all && last && !followLast && len(todo) == 0 {
			cur = append(cur, c)
			continue
		}
		full := strings.Join(cur, "/")
		if full != "" {
			full += "/"
		}
		full += c
		kn, ok := p.lookupName(k, t, full)
		if !ok {
			return "", needLookup
		}
		switch kn.kind {
		case nodeMissing:
			if all && last {
				break // a name to be made: the caller says what a missing one means
			}
			return "", errno(unix.ENOENT)
		case nodeFile:
			if all && last {
				break // the caller says what a file there means (a trailing slash: ENOTDIR)
			}
			return "", errno(unix.ENOTDIR)
		case nodeError:
			return "", errno(kn.err)
		case nodeLink:
			if hops++; hops > maxLinkHops {
				return "", errno(unix.ELOOP)
			}
			if strings.HasPrefix(kn.target, "/") {
				cur = cur[:0]
			}
			todo = append(strings.Split(kn.target, "/"), todo...)
			continue
		}
		cur = append(cur, c)
	}
	return strings.Join(cur, "/"), 0
}

// onlyDots reports whether path components comps name nothing more: each is "" or
// ".".
func onlyDots(comps []string) bool {
	for _, c := range comps {
		if c != "" && c != "." {
			return false
		}
	}
	return true
}

// hasDotDot reports whether path components comps hold "..".
func hasDotDot(comps []string) bool {
	for _, c := range comps {
		if c == ".." {
			return true
		}
	}
	return false
}

// lookupCall is the requests that tell what the /tmp name of SKYAIFS is; they end
// the call with needLookup, which runs its handler again (rerun).
func (p *Process) lookupCall(t *kernel.TCB, name string) *rcall {
	record := func(kn known) (*rcall, uint64) {
		if th := p.threads[t]; th != nil {
			if th.known == nil {
				th.known = map[string]known{}
			}
			th.known[name] = kn
		}
		return nil, needLookup
	}
	return statCall(name, false, func(r reply) (*rcall, uint64) {
		switch {
		case r.errno == unix.ENOENT:
			return record(known{kind: nodeMissing})
		case r.errno != 0:
			return record(known{kind: nodeError, err: r.errno})
		}
		switch recMode(r.statRecord()) & unix.S_IFMT {
		case unix.S_IFDIR:
			return record(known{kind: nodeDir})
		case unix.S_IFLNK:
		default:
			return record(known{kind: nodeFile})
		}
		return pathCall(fileproto.LabelReadlink, name, 0, 0, func(r reply) (*rcall, uint64) {
			if r.errno != 0 {
				return record(known{kind: nodeError, err: r.errno})
			}
			b := make([]byte, min(r.r1, fileproto.PathMax))
			r.s.buf.Read(0, b)
			return record(known{kind: nodeLink, target: string(b)})
		}), 0
	})
}

// run runs handler h for the system call of t with arguments a: when it needs a
// /tmp name of SKYAIFS looked at, the lookup's requests start (and the call is
// pending; CallDone runs h again when they are done).
func (p *Process) run(k *kernel.Kernel, t *kernel.TCB, h handler, a [6]uint64) uint64 {
	p.dirOnly = p.dirOnly[:0]
	th := p.threads[t]
	if th != nil {
		th.need = ""
	}
	res := h(p, k, t, a)
	if res != needLookup {
		return res
	}
	if th == nil || th.need == "" {
		return errno(unix.EIO) // cannot happen: only lookupName asks, and it names the need
	}
	s := p.remoteAt(k, t, th.need)
	if s == nil {
		return errno(unix.EIO)
	}
	p.dirOnly = p.dirOnly[:0] // the paths are read again when the call runs again
	return p.remote(k, t, s, p.lookupCall(t, th.need))
}

// rerun runs the call of op's thread again after its lookup: its registers are
// back to the call's, and it still has the session, so that a request it makes
// goes next. It returns the call's result, or pending.
func (p *Process) rerun(k *kernel.Kernel, t *kernel.TCB, op *fileOp) uint64 {
	*t.Regs() = op.saved
	if th := p.threads[t]; th != nil {
		th.op, th.wait = nil, waitNone
	}
	h, ok := handlers[op.saved.Num]
	if !ok {
		return errno(unix.ENOSYS)
	}
	return p.run(k, t, h, args(t))
}
