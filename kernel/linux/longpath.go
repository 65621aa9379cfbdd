package linux

import (
	"strings"

	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"golang.org/x/sys/unix"
)

// Paths longer than a request carries. Linux bounds a path argument (PATH_MAX, 4,096
// bytes with its NUL), not the absolute path of a file: a process may work in a
// directory nested deeper than that and name files relative to it or to a directory
// descriptor. The personality keeps every path as an absolute tree path, of any
// length; the file protocol carries at most fileproto.PathMax bytes per path. So a
// longer path goes relative to the session's working directory on the server
// (fileproto.LabelChdir, fs.Dir.At): placePaths picks a directory on the path close
// enough to its end, moves the session's working directory there — from where it is
// if that is above, else from the root, at most PathMax bytes a step — and sends
// the rest. The working directory stays for the next request, so work in one deep
// directory costs one step once. It is the session's (shared by its processes, used
// one request at a time); a new session starts at the root, and a working directory
// that was removed (ESTALE) is left for the root and the request placed again.
//
// A view (a container's namespace) has no one directory to start from: there the
// server answers LabelChdir ENOSYS and such paths stay ENAMETOOLONG.

// placePaths returns the request to make for c in the session: c itself if its paths
// fit, a copy with its long paths relative to the session's working directory if
// that is where they need it, or a LabelChdir step towards such a directory that
// goes on with c. ENAMETOOLONG: c's long paths have no directory in common close
// enough to their ends.
func (s *session) placePaths(c *rcall) (*rcall, unix.Errno) {
	base, long := "", false
	for i, b := range c.put {
		if i >= len(c.lens) || c.lens[i] < 0 || len(b) <= fileproto.PathMax {
			continue
		}
		p := string(b)
		if !long {
			long = true
			base = s.wd
			if !fits(base, p) {
				if base = nearBase(p); base == "" {
					return nil, unix.ENAMETOOLONG
				}
			}
		} else if !fits(base, p) {
			return nil, unix.ENAMETOOLONG
		}
	}
	if !long {
		return c, 0
	}
	if base != s.wd {
		return s.chdirStep(base, c)
	}
	rel := *c
	rel.orig = c.original()
	rel.put = append([][]byte(nil), c.put...)
	for i, b := range c.put {
		if i < len(c.lens) && c.lens[i] >= 0 && len(b) > fileproto.PathMax {
			rel.put[i] = b[len(base)+1:]
			rel.mr[c.lens[i]] = uint64(len(rel.put[i]))
		}
	}
	return &rel, 0
}

// original returns the request as it was made (see rcall.orig).
func (c *rcall) original() *rcall {
	if c.orig != nil {
		return c.orig
	}
	return c
}

// fits reports whether path p lies under directory base ("" fits nothing) and is at
// most PathMax bytes from it.
func fits(base, p string) bool {
	return base != "" && strings.HasPrefix(p, base+"/") && len(p)-len(base)-1 <= fileproto.PathMax
}

// nearBase returns the directory of path p nearest its root from which the rest of
// p is at most PathMax bytes ("" if none: a name longer than that).
func nearBase(p string) string {
	for j := len(p) - fileproto.PathMax - 1; j < len(p); j++ {
		if j > 0 && p[j] == '/' {
			return p[:j]
		}
	}
	return ""
}

// chdirStep is the LabelChdir request that moves the session's working directory
// towards base — down from where it is if that is above base, else from the root —
// by at most PathMax bytes; then c is placed again.
func (s *session) chdirStep(base string, c *rcall) (*rcall, unix.Errno) {
	from, step := "", base
	if s.wd != "" && strings.HasPrefix(base, s.wd+"/") {
		from, step = s.wd, base[len(s.wd)+1:]
	}
	if len(step) > fileproto.PathMax {
		cut := strings.LastIndexByte(step[:fileproto.PathMax+1], '/')
		if cut <= 0 {
			return nil, unix.ENAMETOOLONG
		}
		step = step[:cut]
	}
	to := step
	if from != "" {
		to = from + "/" + step
	}
	return &rcall{label: fileproto.LabelChdir, mr: [3]uint64{uint64(len(step))}, put: [][]byte{[]byte(step)}, orig: c.original(),
		done: func(r reply) (*rcall, uint64) {
			switch {
			case r.errno == unix.ESTALE && from != "":
				s.wd = "" // the working directory was removed: start from the root
				return c, 0
			case r.errno == unix.ENOSYS:
				return nil, errno(unix.ENAMETOOLONG) // a namespace without working directories
			case r.errno != 0:
				return r.fail()
			}
			s.wd = to
			return c, 0
		}}, 0
}
