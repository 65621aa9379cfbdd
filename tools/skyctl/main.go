// Command skyctl is Skyscope's host tool for keys, module packages, repositories,
// SKYAIFS disk images and container images.
//
// Usage:
//
//	skyctl key gen -o DIR/NAME                 write NAME.key (0600) and NAME.pub
//	skyctl pkg pack --key K --name N --version V [flags] -o OUT BINARY
//	skyctl pkg verify --pub P [--pub P2 ...] PKG
//	skyctl pkg inspect PKG
//	skyctl repo add --repo DIR PKG...
//	skyctl repo index --repo DIR --key K [--serial N] [--expires 720h]
//	skyctl bundle build --key K -o OUT PROGRAM...
//	skyctl audit verify --pub P [--strict] LOG
//	skyctl fs mkfs IMAGE SIZE | fs fsck [--repair] IMAGE
//	skyctl fs ls|cat IMAGE PATH | fs put IMAGE HOSTFILE PATH   (cat, put: [--secret FILE])
//	skyctl fs mkdir IMAGE PATH | fs encrypt --secret FILE --key-id NAME IMAGE DIR
//	skyctl image build --key K --name N [limits] -o OUT.skyimg PKG...
//	skyctl image verify --pub P [--store DIR] IMAGE
//	skyctl image inspect IMAGE
//	skyctl image import-oci --key K [--name N] [limits] -o OUTDIR OCI-LAYOUT-DIR
//
// Signatures are ML-DSA-87 (FIPS 204, NIST level 5); digests SHA3-512. Every command
// exits with status 0 on success, 1 when a check or operation fails (the message names
// the failing check), and 2 on a usage error. Run any command with --help for its flags.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

const usage = `Usage: skyctl COMMAND SUBCOMMAND [flags] [args]

Keys (ML-DSA-87, NIST level 5):
  key gen -o DIR/NAME          make a key pair: NAME.key (private, mode 0600) and NAME.pub

Module packages (manifest + zstd-compressed binary, three signatures):
  pkg pack --key K --name N --version V -o OUT BINARY
                               build and sign a package of BINARY
  pkg verify --pub P PKG       check every signature and the binary against the manifest
  pkg inspect PKG              show what a package claims, without trusting it

Repositories (a folder of packages and a signed index):
  repo add --repo DIR PKG...   copy packages into the repository
  repo index --repo DIR --key K
                               sign an index of the repository's packages

Boot bundles (the signed repository the kernel starts from):
  bundle build --key K -o OUT PROGRAM...
                               pack and sign programs (and a file tree) into a bundle
  audit verify --pub P LOGFILE check a pipeline audit log's chain and seals (--strict: all sealed)

SKYAIFS disk images (journaling filesystem; docs/SKYAIFS.md):
  fs mkfs IMAGE SIZE           make an empty filesystem image of SIZE (e.g. 64M)
  fs fsck [--repair] IMAGE     check every invariant; --repair fixes (status 1 if not clean)
  fs ls IMAGE PATH             list a directory (or describe a file)
  fs cat IMAGE PATH            write a file's contents to stdout
  fs put IMAGE HOSTFILE PATH   copy a host file into the image
  fs mkdir IMAGE PATH          make a directory
  fs encrypt --secret FILE --key-id NAME IMAGE DIR
                               give an empty directory an encryption policy: what is
                               created in it is encrypted under a key derived from FILE
                               (cat and put take --secret FILE for encrypted files)

Container images (a signed descriptor template pinning packages by SHA3-512):
  image build --key K --name N [--cpu 20%] [--mem 64M] [--pids 32] -o OUT.skyimg PKG...
                               sign an image of the packages (keep them next to it)
  image verify --pub P [--store DIR] IMAGE
                               check the image, its descriptor and every package it pins
  image inspect IMAGE          show what an image claims, without trusting it
  image import-oci --key K -o OUTDIR DIR
                               turn an OCI image layout of static Linux programs into an image

Run "skyctl COMMAND SUBCOMMAND --help" for the flags of one command.
`

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if len(args) == 1 && strings.Contains(args[0], " ") {
		args = strings.Fields(args[0]) // "key gen" given as one word
	} else if len(args) >= 1 && strings.Contains(args[0], " ") {
		args = append(strings.Fields(args[0]), args[1:]...)
	}
	if len(args) < 2 {
		fmt.Fprintf(stderr, "skyctl: %s needs a subcommand\n\n%s", args[0], usage)
		return 2
	}
	cmds := map[string]func(args []string, stdout io.Writer) error{
		"key gen":          keyGen,
		"pkg pack":         pkgPack,
		"pkg verify":       pkgVerify,
		"pkg inspect":      pkgInspect,
		"repo add":         repoAdd,
		"repo index":       repoIndex,
		"bundle build":     bundleBuild,
		"audit verify":     auditVerify,
		"fs mkfs":          fsMkfs,
		"fs fsck":          fsFsck,
		"fs ls":            fsLs,
		"fs cat":           fsCat,
		"fs put":           fsPut,
		"fs encrypt":       fsEncrypt,
		"fs mkdir":         fsMkdir,
		"image build":      imageBuild,
		"image verify":     imageVerify,
		"image inspect":    imageInspect,
		"image import-oci": imageImportOCI,
	}
	if args[1] == "-h" || args[1] == "--help" || args[1] == "help" { // "skyctl image --help"
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[args[0]+" "+args[1]]
	if !ok {
		fmt.Fprintf(stderr, "skyctl: unknown command %q\n\n%s", args[0]+" "+args[1], usage)
		return 2
	}
	err := cmd(args[2:], stdout)
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "skyctl %s %s: %v\n", args[0], args[1], err)
		return 2
	default:
		fmt.Fprintf(stderr, "skyctl %s %s: %v\n", args[0], args[1], err)
		return 1
	}
}

// newFlags returns a flag set whose errors and help go to stdout and come back as
// errors (usage errors are status 2, --help is status 0).
func newFlags(name, synopsis string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: skyctl %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, turning flag errors into usage errors.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

// multi is a repeatable string flag.
type multi []string

func (m *multi) String() string     { return fmt.Sprint(*m) }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }
