package fscmd

import (
	"io"
	"os"

	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
)

// Remote is Files over the filesystem task, through a file protocol client.
type Remote struct{ C *fileproto.Client }

// WriteFile implements Files.
func (r Remote) WriteFile(path string, data []byte, appendTo bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if appendTo {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	f, err := r.C.Open(path, flags, 0o644)
	if err != nil {
		return err
	}
	off := int64(0)
	if appendTo {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		off = int64(st.Size)
	}
	if _, err := f.WriteAt(data, off); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadFile implements Files.
func (r Remote) ReadFile(path string, out io.Writer) error {
	f, err := r.C.Open(path, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for off := int64(0); ; {
		n, err := f.ReadAt(buf, off)
		if _, werr := out.Write(buf[:n]); werr != nil {
			return werr
		}
		off += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// Names implements Files.
func (r Remote) Names(path string) ([]string, error) {
	ents, err := r.C.ReadDir(path)
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name
	}
	return names, err
}

// Mkdir implements Files.
func (r Remote) Mkdir(path string) error { return r.C.Mkdir(path, 0o755) }

// MkdirMode implements ModeMaker.
func (r Remote) MkdirMode(path string, perm uint32) error { return r.C.Mkdir(path, perm) }

// Lstat implements Stater.
func (r Remote) Lstat(path string) (fs.Stat, error) { return r.C.Lstat(path) }

// Remove implements Files.
func (r Remote) Remove(path string) error { return r.C.Remove(path) }

// Rename implements Files.
func (r Remote) Rename(from, to string) error { return r.C.Rename(from, to) }

// Sync implements Files.
func (r Remote) Sync() error { return r.C.Sync() }

// Statfs implements Files.
func (r Remote) Statfs() (fs.Statfs, error) { return r.C.Statfs() }

// SetEncryption implements Encrypter.
func (r Remote) SetEncryption(dir, keyID string) error { return r.C.SetEncryption(dir, keyID) }
