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
	fs := newFlags("bundle build", "--key K -o OUT PROGRAM...", stdout)
	keyPath := fs.String("key", "", "root private key `FILE` the kernel trusts (required)")
	out := fs.String("o", "", "write the bundle to `FILE` (required)")
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
	b, err := bootbundle.Build(key, progs, nil, "", bootbundle.Options{
		Log: func(format string, args ...any) { fmt.Fprintf(stdout, "  "+format+"\n", args...) }})
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d programs, signed by %s\n", *out, len(progs), key.ID().Short())
	return nil
}
