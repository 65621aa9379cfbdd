package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/skyscope-os/skyscope/pipeline/bootbundle"
	"github.com/skyscope-os/skyscope/pqc"
)

func bundleBuild(args []string, stdout io.Writer) error {
	fs := newFlags("bundle build", "--key K [--files DIR] -o OUT PROGRAM...", stdout)
	keyPath := fs.String("key", "", "root private key `FILE` the kernel trusts (required)")
	out := fs.String("o", "", "write the bundle to `FILE` (required)")
	filesDir := fs.String("files", "", "add the tree under `DIR` to the bundle's file tree (paths relative to DIR)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *keyPath == "" || *out == "" || fs.NArg() == 0 {
		return usageError{"want --key, -o and at least one PROGRAM"}
	}
	key, err := pqc.LoadPrivateKey(*keyPath)
	if err != nil {
		return err
	}
	var progs []bootbundle.Program
	for _, p := range fs.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		progs = append(progs, bootbundle.Program{Entry: filepath.Base(p), Binary: b, Sharable: true})
	}
	var files map[string][]byte
	if *filesDir != "" {
		if files, err = readTree(*filesDir); err != nil {
			return err
		}
	}
	b, err := bootbundle.Build(key, progs, files, "", bootbundle.Options{
		Log: func(format string, args ...any) { fmt.Fprintf(stdout, "  "+format+"\n", args...) }})
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d programs and %d files, signed by %s\n", *out, len(progs), len(files), key.ID().Short())
	return nil
}

// readTree reads every regular file under dir, keyed by its slash-separated path
// relative to dir.
func readTree(dir string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file; the file tree holds files and folders only", p)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	return files, err
}
