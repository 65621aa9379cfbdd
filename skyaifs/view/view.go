// Package view gives a container its own file namespace: a set of mounts,
// each showing a directory of some SKYAIFS filesystem (an fs.Dir) at a path,
// with rights. Nothing outside the mounted directories can be named.
//
// Resolution. A view path is resolved one component at a time, in view
// space: "." is skipped, ".." removes the last component (and stays at "/"),
// and a symbolic link is replaced by its target (an absolute target starts
// again at the view's "/"), so links may point across mounts, as in a Linux
// mount namespace. Each component is looked up in the mount that covers the
// path so far, through that mount's fs.Dir, which itself confines every
// lookup to its subtree. So even if the tree changes between two steps (a
// concurrent rename), the worst outcome is a different name inside the
// same mounted directory: confinement never depends on the view's own
// bookkeeping being current.
//
// Rights. Read allows stat, readdir, readlink and opening for reading;
// Write allows everything that changes the tree or a file. A missing Read
// right gives EACCES, a missing Write right EROFS. Rename and Link between
// different mounts give EXDEV; a mount point itself cannot be removed or
// renamed (EBUSY).
package view

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	pathpkg "path"
	"slices"
	"strings"

	"github.com/skyscope-os/skyscope/skyaifs/disk"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"golang.org/x/sys/unix"
)

// Rights of a mount.
type Rights uint8

const (
	// Read allows looking at names, attributes and contents.
	Read Rights = 1 << iota
	// Write allows creating, changing and removing files and names.
	Write
)

// Mount shows Dir at Path in a view.
type Mount struct {
	Path   string // absolute and clean ("/", "/data")
	Dir    *skyfs.Dir
	Rights Rights
}

// View is an immutable mount table. It is safe for concurrent use.
type View struct {
	mounts []Mount // longest Path first
}

// maxLinks bounds the symbolic links one resolution follows (ELOOP).
const maxLinks = 40

// New builds a view. Paths must be absolute, clean and distinct.
func New(mounts ...Mount) (*View, error) {
	v := &View{}
	seen := map[string]bool{}
	for _, m := range mounts {
		if !pathpkg.IsAbs(m.Path) || pathpkg.Clean(m.Path) != m.Path {
			return nil, fmt.Errorf("view: mount path %q is not absolute and clean", m.Path)
		}
		if seen[m.Path] {
			return nil, fmt.Errorf("view: two mounts at %q", m.Path)
		}
		if m.Dir == nil || m.Rights&^(Read|Write) != 0 {
			return nil, fmt.Errorf("view: mount at %q has no directory or unknown rights", m.Path)
		}
		seen[m.Path] = true
		v.mounts = append(v.mounts, m)
	}
	slices.SortFunc(v.mounts, func(a, b Mount) int { return len(b.Path) - len(a.Path) })
	return v, nil
}

// cover returns the mount covering clean absolute path p and p relative to
// the mount's directory ("/" for the mount point itself).
func (v *View) cover(p string) (*Mount, string, bool) {
	for i := range v.mounts {
		m := &v.mounts[i]
		switch {
		case m.Path == p:
			return m, "/", true
		case m.Path == "/":
			return m, p, true
		case strings.HasPrefix(p, m.Path+"/"):
			return m, p[len(m.Path):], true
		}
	}
	return nil, "", false
}

// resolve turns a view path into a mount and a path inside it that has no
// "..", no "." and no symbolic link except, when follow is false, the last
// component.
func (v *View) resolve(p string, follow bool) (*Mount, string, error) {
	var cur []string
	todo := strings.Split(p, "/")
	links := 0
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
		last := !slices.ContainsFunc(todo, func(s string) bool { return s != "" && s != "." })
		next := "/" + strings.Join(append(cur, c), "/")
		m, rel, ok := v.cover(next)
		if !ok {
			return nil, "", unix.ENOENT
		}
		if last && !follow {
			cur = append(cur, c)
			break
		}
		st, err := m.Dir.Lstat(rel)
		if err != nil {
			if last && os.IsNotExist(err) {
				cur = append(cur, c) // a name about to be created
				break
			}
			return nil, "", errnoOf(err)
		}
		if m.Rights&Read == 0 && !last {
			return nil, "", unix.EACCES
		}
		if st.Mode&disk.TypeMask == disk.TypeLink {
			if links++; links > maxLinks {
				return nil, "", unix.ELOOP
			}
			target, err := m.Dir.Readlink(rel)
			if err != nil {
				return nil, "", errnoOf(err)
			}
			if strings.HasPrefix(target, "/") {
				cur = cur[:0]
			}
			todo = append(strings.Split(target, "/"), todo...)
			continue
		}
		cur = append(cur, c)
	}
	if strings.HasSuffix(p, "/") && len(cur) > 0 {
		cur[len(cur)-1] += "/" // keep "must be a directory"
	}
	m, rel, ok := v.cover("/" + strings.Join(cur, "/"))
	if !ok {
		return nil, "", unix.ENOENT
	}
	return m, rel, nil
}

// errnoOf extracts the errno of an fs error (the error itself if it has
// none).
func errnoOf(err error) error {
	var pe *iofs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}

// at resolves p and checks the mount grants need.
func (v *View) at(op, p string, follow bool, need Rights) (*Mount, string, error) {
	m, rel, err := v.resolve(p, follow)
	if err == nil && m.Rights&need != need {
		err = unix.EROFS
		if need&Read != 0 && m.Rights&Read == 0 {
			err = unix.EACCES
		}
	}
	if err != nil {
		return nil, "", &iofs.PathError{Op: op, Path: p, Err: err}
	}
	return m, rel, nil
}

// isMountPoint reports whether rel is the mount's own directory.
func isMountPoint(rel string) bool { return strings.Trim(rel, "/") == "" }

// Stat describes path, following a final symbolic link.
func (v *View) Stat(p string) (skyfs.Stat, error) {
	m, rel, err := v.at("stat", p, true, Read)
	if err != nil {
		return skyfs.Stat{}, err
	}
	return m.Dir.Stat(rel)
}

// Lstat describes path without following a final symbolic link.
func (v *View) Lstat(p string) (skyfs.Stat, error) {
	m, rel, err := v.at("lstat", p, false, Read)
	if err != nil {
		return skyfs.Stat{}, err
	}
	return m.Dir.Lstat(rel)
}

// Readlink returns a symbolic link's target.
func (v *View) Readlink(p string) (string, error) {
	m, rel, err := v.at("readlink", p, false, Read)
	if err != nil {
		return "", err
	}
	return m.Dir.Readlink(rel)
}

// Readdir lists a directory, including the mount points directly below it.
func (v *View) Readdir(p string) ([]skyfs.DirEntry, error) {
	m, rel, err := v.at("readdir", p, true, Read)
	if err != nil {
		return nil, err
	}
	es, err := m.Dir.Readdir(rel)
	if err != nil {
		return nil, err
	}
	here := pathpkg.Clean(m.Path + "/" + rel)
	for _, mp := range v.mounts {
		if mp.Path != "/" && pathpkg.Dir(mp.Path) == here {
			name := pathpkg.Base(mp.Path)
			if !slices.ContainsFunc(es, func(e skyfs.DirEntry) bool { return e.Name == name }) {
				st, err := mp.Dir.Stat("/")
				if err != nil {
					return nil, err
				}
				es = append(es, skyfs.DirEntry{Name: name, Ino: st.Ino, Mode: disk.TypeDir})
			}
		}
	}
	slices.SortFunc(es, func(a, b skyfs.DirEntry) int { return strings.Compare(a.Name, b.Name) })
	return es, nil
}

// OpenFile opens a file with os-style flags; reading needs Read, writing,
// creating or truncating needs Write.
func (v *View) OpenFile(p string, flags int, perm uint32) (*skyfs.File, error) {
	need := Read
	switch flags & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_WRONLY:
		need = Write
	case os.O_RDWR:
		need = Read | Write
	}
	if flags&(os.O_CREATE|os.O_TRUNC|os.O_APPEND) != 0 {
		need |= Write
	}
	m, rel, err := v.at("open", p, true, need)
	if err != nil {
		return nil, err
	}
	return m.Dir.OpenFile(rel, flags, perm)
}

// Open opens a file for reading.
func (v *View) Open(p string) (*skyfs.File, error) { return v.OpenFile(p, os.O_RDONLY, 0) }

// ReadFile returns a file's contents.
func (v *View) ReadFile(p string) ([]byte, error) {
	m, rel, err := v.at("open", p, true, Read)
	if err != nil {
		return nil, err
	}
	return m.Dir.ReadFile(rel)
}

// WriteFile creates or truncates a file and writes data to it.
func (v *View) WriteFile(p string, data []byte, perm uint32) error {
	m, rel, err := v.at("open", p, true, Write)
	if err != nil {
		return err
	}
	return m.Dir.WriteFile(rel, data, perm)
}

// Mkdir creates a directory.
func (v *View) Mkdir(p string, perm uint32) error {
	m, rel, err := v.at("mkdir", p, false, Write)
	if err != nil {
		return err
	}
	return m.Dir.Mkdir(rel, perm)
}

// Mkfifo creates a named pipe (fs.Dir.Mkfifo).
func (v *View) Mkfifo(p string, perm uint32) error {
	m, rel, err := v.at("mkfifo", p, false, Write)
	if err != nil {
		return err
	}
	return m.Dir.Mkfifo(rel, perm)
}

// Symlink creates path as a symbolic link to target (resolved in the view
// when followed).
func (v *View) Symlink(target, p string) error {
	m, rel, err := v.at("symlink", p, false, Write)
	if err != nil {
		return err
	}
	return m.Dir.Symlink(target, rel)
}

// Truncate sets a file's size.
func (v *View) Truncate(p string, size int64) error {
	m, rel, err := v.at("truncate", p, true, Write)
	if err != nil {
		return err
	}
	return m.Dir.Truncate(rel, size)
}

// Chmod sets permission bits.
func (v *View) Chmod(p string, perm uint32) error {
	m, rel, err := v.at("chmod", p, true, Write)
	if err != nil {
		return err
	}
	return m.Dir.Chmod(rel, perm)
}

// Chown sets the owner and group (machine ids; fs.IDUnchanged leaves one),
// following a final symbolic link, with the mount's credentials' rights (fs.Dir.Chown).
func (v *View) Chown(p string, uid, gid uint32) error {
	m, rel, err := v.at("chown", p, true, Write)
	if err != nil {
		return err
	}
	return m.Dir.Chown(rel, uid, gid)
}

// Lchown is Chown of a final symbolic link itself.
func (v *View) Lchown(p string, uid, gid uint32) error {
	m, rel, err := v.at("lchown", p, false, Write)
	if err != nil {
		return err
	}
	return m.Dir.Lchown(rel, uid, gid)
}

// Unlink removes a non-directory name.
func (v *View) Unlink(p string) error {
	m, rel, err := v.at("unlink", p, false, Write)
	if err != nil {
		return err
	}
	if isMountPoint(rel) {
		return &iofs.PathError{Op: "unlink", Path: p, Err: unix.EBUSY}
	}
	return m.Dir.Unlink(rel)
}

// Rmdir removes an empty directory.
func (v *View) Rmdir(p string) error {
	m, rel, err := v.at("rmdir", p, false, Write)
	if err != nil {
		return err
	}
	if isMountPoint(rel) {
		return &iofs.PathError{Op: "rmdir", Path: p, Err: unix.EBUSY}
	}
	return m.Dir.Rmdir(rel)
}

// pair resolves both names of Rename or Link, which must lie in one mount.
func (v *View) pair(op, oldp, newp string) (*Mount, string, string, error) {
	m1, r1, err := v.at(op, oldp, false, Write)
	if err != nil {
		return nil, "", "", err
	}
	m2, r2, err := v.at(op, newp, false, Write)
	if err != nil {
		return nil, "", "", err
	}
	switch {
	case isMountPoint(r1) || isMountPoint(r2):
		err = unix.EBUSY
	case m1 != m2:
		err = unix.EXDEV
	}
	if err != nil {
		return nil, "", "", &os.LinkError{Op: op, Old: oldp, New: newp, Err: err}
	}
	return m1, r1, r2, nil
}

// Rename moves a name within one mount.
func (v *View) Rename(oldp, newp string) error {
	m, r1, r2, err := v.pair("rename", oldp, newp)
	if err != nil {
		return err
	}
	return m.Dir.Rename(r1, r2)
}

// Link adds a name for a file within one mount.
func (v *View) Link(oldp, newp string) error {
	m, r1, r2, err := v.pair("link", oldp, newp)
	if err != nil {
		return err
	}
	return m.Dir.Link(r1, r2)
}

// Spec is one mount as a container descriptor names it (descriptor.Mount): the
// directory Source of the creator's namespace shown at Target, read-only or not.
type Spec struct {
	Source, Target string
	ReadOnly       bool
}

// Build makes the view a container's descriptor asks for: each Spec's Source is
// resolved in root (the namespace of the container's creator, which cannot hand out
// more than it sees) and mounted at Target acting as cred (the container's ids
// mapped to the machine's: see fs.Dir.As), so the file permissions of the machine
// apply inside the view as well as the mounts' rights. An empty list is an error: a
// container without mounts has no file view and gets no file service.
func Build(root *skyfs.Dir, cred skyfs.Cred, specs []Spec) (*View, error) {
	if len(specs) == 0 {
		return nil, errors.New("view: no mounts")
	}
	mounts := make([]Mount, 0, len(specs))
	for _, s := range specs {
		if !pathpkg.IsAbs(s.Source) || pathpkg.Clean(s.Source) != s.Source {
			return nil, fmt.Errorf("view: mount source %q is not absolute and clean", s.Source)
		}
		d, err := root.Sub(s.Source)
		if err != nil {
			return nil, fmt.Errorf("view: mount source %q: %w", s.Source, err)
		}
		r := Read | Write
		if s.ReadOnly {
			r = Read
		}
		mounts = append(mounts, Mount{Path: s.Target, Dir: d.As(cred), Rights: r})
	}
	return New(mounts...)
}
