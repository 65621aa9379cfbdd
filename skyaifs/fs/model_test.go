package fs

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// model is the reference file tree the crash harness and the property test
// hold the filesystem to: a map of nodes, each file identified by an id that
// survives renames and is shared by hard links.
type model struct {
	root   *mnode
	nextID int
}

type mnode struct {
	id      int
	typ     uint32 // disk.TypeFile, TypeDir, TypeLink
	data    []byte // file contents or link target
	entries map[string]*mnode
	parent  *mnode
	nlink   int
}

func newModel() *model {
	r := &mnode{id: 1, typ: disk.TypeDir, entries: map[string]*mnode{}, nlink: 2}
	r.parent = r
	return &model{root: r, nextID: 2}
}

// split returns the parent directory of path and the last name. No symlinks
// are followed inside the model (workloads do not walk through them).
func (m *model) split(path string) (*mnode, string, error) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	cur := m.root
	for _, p := range parts[:len(parts)-1] {
		n, ok := cur.entries[p]
		if !ok {
			return nil, "", unix.ENOENT
		}
		switch n.typ {
		case disk.TypeLink:
			return nil, "", unix.ENOENT // workloads' links dangle
		case disk.TypeFile:
			return nil, "", unix.ENOTDIR
		}
		cur = n
	}
	return cur, parts[len(parts)-1], nil
}

func (m *model) get(path string) (*mnode, error) {
	d, name, err := m.split(path)
	if err != nil {
		return nil, err
	}
	n, ok := d.entries[name]
	if !ok {
		return nil, unix.ENOENT
	}
	return n, nil
}

func (m *model) create(path string) error {
	d, name, err := m.split(path)
	if err != nil {
		return err
	}
	if n, ok := d.entries[name]; ok {
		switch n.typ {
		case disk.TypeDir:
			return unix.EISDIR
		case disk.TypeLink:
			return unix.ENOENT // O_CREAT follows the dangling link into a missing directory
		}
		return nil
	}
	d.entries[name] = &mnode{id: m.nextID, typ: disk.TypeFile, nlink: 1}
	m.nextID++
	return nil
}

func (m *model) mkdir(path string) error {
	d, name, err := m.split(path)
	if err != nil {
		return err
	}
	if _, ok := d.entries[name]; ok {
		return unix.EEXIST
	}
	d.entries[name] = &mnode{id: m.nextID, typ: disk.TypeDir, entries: map[string]*mnode{}, parent: d, nlink: 2}
	d.nlink++
	m.nextID++
	return nil
}

func (m *model) symlink(target, path string) error {
	d, name, err := m.split(path)
	if err != nil {
		return err
	}
	if _, ok := d.entries[name]; ok {
		return unix.EEXIST
	}
	d.entries[name] = &mnode{id: m.nextID, typ: disk.TypeLink, data: []byte(target), nlink: 1}
	m.nextID++
	return nil
}

func (m *model) file(path string) (*mnode, error) {
	n, err := m.get(path)
	if err != nil {
		return nil, err
	}
	switch n.typ {
	case disk.TypeDir:
		return nil, unix.EISDIR
	case disk.TypeLink:
		return nil, unix.ENOENT // workloads' links dangle; following fails
	}
	return n, nil
}

func (m *model) write(path string, off int, b []byte) error {
	n, err := m.file(path)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil // pwrite of nothing does not extend the file
	}
	if end := off + len(b); end > len(n.data) {
		n.data = append(n.data, make([]byte, end-len(n.data))...)
	}
	copy(n.data[off:], b)
	return nil
}

func (m *model) truncate(path string, size int) error {
	n, err := m.file(path)
	if err != nil {
		return err
	}
	if size <= len(n.data) {
		n.data = n.data[:size]
	} else {
		n.data = append(n.data, make([]byte, size-len(n.data))...)
	}
	return nil
}

func (m *model) unlink(path string) error {
	d, name, err := m.split(path)
	if err != nil {
		return err
	}
	n, ok := d.entries[name]
	if !ok {
		return unix.ENOENT
	}
	if n.typ == disk.TypeDir {
		return unix.EISDIR
	}
	delete(d.entries, name)
	n.nlink--
	return nil
}

func (m *model) rmdir(path string) error {
	d, name, err := m.split(path)
	if err != nil {
		return err
	}
	n, ok := d.entries[name]
	if !ok {
		return unix.ENOENT
	}
	if n.typ != disk.TypeDir {
		return unix.ENOTDIR
	}
	if len(n.entries) > 0 {
		return unix.ENOTEMPTY
	}
	delete(d.entries, name)
	d.nlink--
	return nil
}

func (m *model) link(oldpath, newpath string) error {
	n, err := m.get(oldpath)
	if err != nil {
		return err
	}
	if n.typ == disk.TypeDir {
		return unix.EPERM
	}
	d, name, err := m.split(newpath)
	if err != nil {
		return err
	}
	if _, ok := d.entries[name]; ok {
		return unix.EEXIST
	}
	d.entries[name] = n
	n.nlink++
	return nil
}

func (m *model) rename(oldpath, newpath string) error {
	sd, sname, err := m.split(oldpath)
	if err != nil {
		return err
	}
	n, ok := sd.entries[sname]
	if !ok {
		return unix.ENOENT
	}
	dd, dname, err := m.split(newpath)
	if err != nil {
		return err
	}
	old, exists := dd.entries[dname]
	if exists && old == n {
		return nil
	}
	if n.typ == disk.TypeDir {
		for a := dd; ; a = a.parent {
			if a == n {
				return unix.EINVAL
			}
			if a == m.root {
				break
			}
		}
	}
	if exists {
		switch {
		case n.typ == disk.TypeDir && old.typ != disk.TypeDir:
			return unix.ENOTDIR
		case n.typ != disk.TypeDir && old.typ == disk.TypeDir:
			return unix.EISDIR
		case old.typ == disk.TypeDir && len(old.entries) > 0:
			return unix.ENOTEMPTY
		}
		if old.typ == disk.TypeDir {
			dd.nlink--
		} else {
			old.nlink--
		}
	}
	delete(sd.entries, sname)
	dd.entries[dname] = n
	if n.typ == disk.TypeDir && sd != dd {
		sd.nlink--
		dd.nlink++
		n.parent = dd
	}
	return nil
}

// mstate is a snapshot of a tree: per path, its type, size, identity and
// contents, plus the link count.
type mstate map[string]mfile

type mfile struct {
	typ   uint32
	id    int // model identity (snapshots of the model) or inode number (of a filesystem)
	data  string
	nlink int
}

func (m *model) snapshot() mstate {
	s := mstate{}
	var walk func(prefix string, d *mnode)
	walk = func(prefix string, d *mnode) {
		for name, n := range d.entries {
			p := prefix + "/" + name
			s[p] = mfile{typ: n.typ, id: n.id, data: string(n.data), nlink: n.nlink}
			if n.typ == disk.TypeDir {
				walk(p, n)
			}
		}
	}
	walk("", m.root)
	return s
}

// fsState reads the filesystem's whole tree.
func fsState(f *FS) (mstate, error) {
	s := mstate{}
	seen := map[uint64]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		st, err := f.Stat(dir + "/")
		if err != nil {
			return err
		}
		if seen[st.Ino] {
			return fmt.Errorf("%s: directory %d reached twice", dir, st.Ino)
		}
		seen[st.Ino] = true
		es, err := f.Readdir(dir + "/")
		if err != nil {
			return err
		}
		for _, e := range es {
			p := dir + "/" + e.Name
			st, err := f.Lstat(p)
			if err != nil {
				return err
			}
			mf := mfile{typ: st.Mode & disk.TypeMask, id: int(st.Ino), nlink: int(st.Nlink)}
			switch mf.typ {
			case disk.TypeFile:
				b, err := f.ReadFile(p)
				if err != nil {
					return err
				}
				mf.data = string(b)
			case disk.TypeLink:
				t, err := f.Readlink(p)
				if err != nil {
					return err
				}
				mf.data = t
			case disk.TypeDir:
				if err := walk(p); err != nil {
					return err
				}
			}
			if mf.typ != e.Mode {
				return fmt.Errorf("%s: entry type %o, inode type %o", p, e.Mode, mf.typ)
			}
			s[p] = mf
		}
		return nil
	}
	return s, walk("")
}

// sameShape reports whether a filesystem state has the model state's paths,
// types, sizes, link counts and hard-link groups (contents aside).
func sameShape(model, got mstate) string {
	if len(model) != len(got) {
		return fmt.Sprintf("%d paths, model has %d: %v vs %v", len(got), len(model), slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(model)))
	}
	idMap := map[int]int{}
	for p, m := range model {
		g, ok := got[p]
		if !ok {
			return fmt.Sprintf("%s missing", p)
		}
		if g.typ != m.typ || len(g.data) != len(m.data) || g.nlink != m.nlink {
			return fmt.Sprintf("%s: type %o size %d nlink %d, model %o %d %d", p, g.typ, len(g.data), g.nlink, m.typ, len(m.data), m.nlink)
		}
		if m.typ == disk.TypeLink && g.data != m.data {
			return fmt.Sprintf("%s: symlink to %q, model %q", p, g.data, m.data)
		}
		if prev, ok := idMap[m.id]; ok && prev != g.id {
			return fmt.Sprintf("%s: hard links differ from the model", p)
		}
		idMap[m.id] = g.id
	}
	if len(idMap) != len(uniqueIDs(got)) {
		return "hard link groups differ from the model"
	}
	return ""
}

func uniqueIDs(s mstate) map[int]bool {
	ids := map[int]bool{}
	for _, f := range s {
		ids[f.id] = true
	}
	return ids
}
