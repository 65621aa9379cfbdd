package bootbundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
)

// Limits on what Open accepts: a bundle is untrusted input until it is signed.
const (
	MaxFiles    = 4096
	MaxFileSize = 256 << 20
)

// readTar returns the regular files of a tar archive by their cleaned path.
func readTar(b []byte) (map[string][]byte, error) {
	if b == nil {
		return nil, errors.New("boot bundle: no data")
	}
	files := map[string][]byte{}
	r := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := r.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("boot bundle: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		if len(files) == MaxFiles {
			return nil, fmt.Errorf("boot bundle: more than %d files", MaxFiles)
		}
		if h.Size < 0 || h.Size > MaxFileSize {
			return nil, fmt.Errorf("boot bundle: %s is %d bytes (limit %d)", h.Name, h.Size, MaxFileSize)
		}
		data := make([]byte, h.Size)
		if _, err := io.ReadFull(r, data); err != nil {
			return nil, fmt.Errorf("boot bundle: %s: %w", h.Name, err)
		}
		name := path.Clean("/" + h.Name)[1:]
		if _, dup := files[name]; dup {
			return nil, fmt.Errorf("boot bundle: %s appears twice", name)
		}
		files[name] = data
	}
}

// writeTar writes a tar archive (POSIX ustar) holding files in order to w.
func writeTar(w io.Writer, files map[string][]byte, order []string) error {
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
