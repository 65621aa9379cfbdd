// Package bundle is the boot bundle format: a tar archive (POSIX ustar, uncompressed)
// of the programs and files the kernel starts with. The host tools write it; the
// kernel reads it from the second boot module.
package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
)

// CwdFile names the bundle entry holding the working directory of the program the
// kernel runs (skyrun -C).
const CwdFile = ".skyscope-cwd"

// Limits on what Read accepts: a bundle is untrusted input until it is signed.
const (
	MaxFiles    = 4096
	MaxFileSize = 256 << 20
)

// Read returns the regular files of a bundle by their cleaned path.
func Read(b []byte) (map[string][]byte, error) {
	if b == nil {
		return nil, errors.New("bundle: no data")
	}
	files := map[string][]byte{}
	r := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := r.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("bundle: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if len(files) == MaxFiles {
			return nil, fmt.Errorf("bundle: more than %d files", MaxFiles)
		}
		if h.Size < 0 || h.Size > MaxFileSize {
			return nil, fmt.Errorf("bundle: %s is %d bytes (limit %d)", h.Name, h.Size, MaxFileSize)
		}
		data := make([]byte, h.Size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("bundle: %s: %w", h.Name, err)
		}
		files[path.Clean("/" + h.Name)[1:]] = data
	}
}

// Write writes a bundle holding files (path → contents) to w.
func Write(w io.Writer, files map[string][]byte, order []string) error {
	tw := tar.NewWriter(w)
	for _, name := range order {
		data := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return tw.Close()
}
