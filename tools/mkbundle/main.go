// Command mkbundle writes a boot bundle: the tar archive of programs and files the
// kernel reads from its second boot module (tools/bundle). make kernel uses it to pack
// init, the shell and the demo programs into build/system.tar.
//
// Usage:
//
//	mkbundle -o OUT.tar FILE...
//
// Each FILE is stored under its base name, in the order given.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/skyscope-os/skyscope/tools/bundle"
)

func main() {
	out := flag.String("o", "", "write the bundle to `FILE` (required)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "Usage: mkbundle -o OUT.tar FILE...\n\nPacks FILEs (stored under their base names) into a boot bundle.\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	files := map[string][]byte{}
	var order []string
	for _, p := range flag.Args() {
		b, err := os.ReadFile(p)
		if err != nil {
			fail(err)
		}
		name := filepath.Base(p)
		if _, dup := files[name]; dup {
			fail(fmt.Errorf("%s: two files named %s", p, name))
		}
		files[name] = b
		order = append(order, name)
	}
	f, err := os.Create(*out + ".tmp")
	if err != nil {
		fail(err)
	}
	if err := bundle.Write(f, files, order); err != nil {
		f.Close()
		fail(err)
	}
	if err := f.Close(); err != nil {
		fail(err)
	}
	if err := os.Rename(*out+".tmp", *out); err != nil {
		fail(err)
	}
	fmt.Printf("built %s: %d files\n", *out, len(order))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "mkbundle:", err)
	os.Exit(1)
}
