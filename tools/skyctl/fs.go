package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"strings"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
	"github.com/skyscope-os/skyscope/skyaifs/vaultkeys"
)

// SKYAIFS disk images (docs/SKYAIFS.md): make, check, list, read and fill
// them offline.

func fsMkfs(args []string, stdout io.Writer) error {
	fs := newFlags("fs mkfs", "[--inodes N] IMAGE SIZE", stdout)
	inodes := fs.Uint64("inodes", 0, "inode table size (default: one per 16 KiB)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"want IMAGE and SIZE (e.g. 64M)"}
	}
	size, err := parseSize(fs.Arg(1))
	if err != nil {
		return usageError{err.Error()}
	}
	if size%block.Size != 0 {
		return usageError{fmt.Sprintf("size %d is not a multiple of the %d-byte block", size, block.Size)}
	}
	dev, err := block.Create(fs.Arg(0), size/block.Size)
	if err != nil {
		return err
	}
	defer dev.Close()
	if err := skyfs.Mkfs(dev, skyfs.Options{Inodes: *inodes}); err != nil {
		return err
	}
	f, err := skyfs.Mount(dev, skyfs.Options{})
	if err != nil {
		return err
	}
	st, err := f.Statfs()
	if err != nil {
		return err
	}
	sb := f.Superblock()
	fmt.Fprintf(stdout, "wrote %s: SKYAIFS v%d, %d blocks of %d bytes, journal %d blocks, %d inodes, %d data blocks free, uuid %x\n",
		fs.Arg(0), disk.Version, st.Blocks, st.BlockSize, st.JournalSize, st.Inodes, st.FreeBlocks, sb.UUID)
	return f.Unmount()
}

func fsFsck(args []string, stdout io.Writer) error {
	fs := newFlags("fs fsck", "[--repair] IMAGE", stdout)
	repair := fs.Bool("repair", false, "fix what can be fixed (replays the journal first)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"want one IMAGE"}
	}
	dev, err := block.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer dev.Close()
	r, err := fsck.Check(dev, fsck.Options{Repair: *repair})
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(stdout, "note: %s\n", n)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(stdout, "problem: %s\n", p)
	}
	summary := fmt.Sprintf("%s, %s, %s, %d blocks in use",
		plural(r.Files, "file"), plural(r.Dirs, "directory"), plural(r.Symlinks, "symlink"), r.UsedBlocks)
	summary = strings.Replace(summary, "directorys", "directories", 1)
	switch {
	case r.Clean():
		fmt.Fprintf(stdout, "%s: clean: %s\n", fs.Arg(0), summary)
		return nil
	case r.Repaired:
		return fmt.Errorf("%s: %s found and repaired (run fsck again to confirm)", fs.Arg(0), plural(len(r.Problems), "problem"))
	default:
		return fmt.Errorf("%s: not clean: %s (run with --repair to fix)", fs.Arg(0), plural(len(r.Problems), "problem"))
	}
}

// keyFlags are the ways to give a command the keys of encrypted files: the host
// tools' own secret file (--secret: fs.DerivedKeys), or the machine's storage vault
// secret (--vault-secret: the keys the vault derived for skyaifsd, vaultkeys.Offline).
type keyFlags struct{ secret, vault *string }

// addKeyFlags registers --secret and --vault-secret on fs.
func addKeyFlags(fs *flag.FlagSet) keyFlags {
	return keyFlags{
		secret: fs.String("secret", "", "file holding the secret the keys of encrypted files derive from"),
		vault:  fs.String("vault-secret", "", "the machine's storage vault secret (build/keys/storage.secret): open what the running system encrypted"),
	}
}

// provider returns the key provider the flags name (nil: none).
func (k keyFlags) provider() (skyfs.KeyProvider, error) {
	if k.secret == nil || (*k.secret == "" && *k.vault == "") {
		return nil, nil
	}
	if *k.secret != "" && *k.vault != "" {
		return nil, usageError{"give --secret or --vault-secret, not both"}
	}
	file := *k.secret + *k.vault
	secret, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	if len(secret) < 16 {
		return nil, fmt.Errorf("%s: a secret of %d bytes; at least 16 wanted", file, len(secret))
	}
	if *k.vault != "" {
		return vaultkeys.Offline{Secret: secret, Badge: vaultkeys.SkyaifsdBadge}, nil
	}
	return skyfs.DerivedKeys{Secret: secret}, nil
}

// mountImage opens and mounts an image file, with the key provider keys name;
// done unmounts and closes it.
func mountImage(path string, keys keyFlags) (f *skyfs.FS, done func() error, err error) {
	var opts skyfs.Options
	if opts.Keys, err = keys.provider(); err != nil {
		return nil, nil, err
	}
	dev, err := block.Open(path)
	if err != nil {
		return nil, nil, err
	}
	f, err = skyfs.Mount(dev, opts)
	if err != nil {
		dev.Close()
		return nil, nil, fmt.Errorf("%s: %w (try skyctl fs fsck)", path, err)
	}
	return f, func() error {
		err := f.Unmount()
		if cerr := dev.Close(); err == nil {
			err = cerr
		}
		return err
	}, nil
}

func fsLs(args []string, stdout io.Writer) error {
	fs := newFlags("fs ls", "IMAGE PATH", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"want IMAGE and PATH"}
	}
	f, done, err := mountImage(fs.Arg(0), keyFlags{})
	if err != nil {
		return err
	}
	p := fs.Arg(1)
	st, err := f.Lstat(p)
	if err == nil {
		if st.IsDir() {
			var es []skyfs.DirEntry
			if es, err = f.Readdir(p); err == nil {
				for _, e := range es {
					full := strings.TrimSuffix(p, "/") + "/" + e.Name
					est, err := f.Lstat(full)
					if err != nil {
						done()
						return err
					}
					printStat(stdout, f, full, e.Name, est)
				}
			}
		} else {
			printStat(stdout, f, p, p, st)
		}
	}
	if derr := done(); err == nil {
		err = derr
	}
	return err
}

// printStat prints one ls -l style line.
func printStat(w io.Writer, f *skyfs.FS, path, name string, st skyfs.Stat) {
	kind := map[uint32]byte{disk.TypeFile: '-', disk.TypeDir: 'd', disk.TypeLink: 'l', disk.TypeFifo: 'p'}[st.Mode&disk.TypeMask]
	perm := iofs.FileMode(st.Mode & 0o777).String()[1:]
	suffix := ""
	if kind == 'l' {
		if t, err := f.Readlink(path); err == nil {
			suffix = " -> " + t
		}
	}
	fmt.Fprintf(w, "%c%s %3d %5d %5d %10d %s %s%s\n", kind, perm, st.Nlink, st.UID, st.GID, st.Size,
		st.Mtime.UTC().Format("2006-01-02 15:04"), name, suffix)
}

func fsCat(args []string, stdout io.Writer) error {
	fs := newFlags("fs cat", "[--secret FILE | --vault-secret FILE] IMAGE PATH", stdout)
	keys := addKeyFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"want IMAGE and PATH"}
	}
	f, done, err := mountImage(fs.Arg(0), keys)
	if err != nil {
		return err
	}
	h, err := f.Open(fs.Arg(1))
	if err == nil {
		buf := make([]byte, 1<<20)
		for off := int64(0); ; {
			n, rerr := h.ReadAt(buf, off)
			if _, werr := stdout.Write(buf[:n]); werr != nil {
				err = werr
				break
			}
			off += int64(n)
			if rerr != nil {
				if !errors.Is(rerr, io.EOF) {
					err = rerr
				}
				break
			}
		}
		h.Close()
	}
	if derr := done(); err == nil {
		err = derr
	}
	return err
}

func fsPut(args []string, stdout io.Writer) error {
	fs := newFlags("fs put", "[--mode 0644] [--secret FILE | --vault-secret FILE] IMAGE HOSTFILE PATH", stdout)
	mode := fs.Uint("mode", 0o644, "permissions of the new file")
	keys := addKeyFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 3 {
		return usageError{"want IMAGE, HOSTFILE and PATH"}
	}
	data, err := os.ReadFile(fs.Arg(1))
	if err != nil {
		return err
	}
	f, done, err := mountImage(fs.Arg(0), keys)
	if err != nil {
		return err
	}
	err = f.WriteFile(fs.Arg(2), data, uint32(*mode)&0o7777)
	if derr := done(); err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s:%s (%d bytes)\n", fs.Arg(0), fs.Arg(2), len(data))
	return nil
}

// fsEncrypt sets an encryption policy on an empty directory of an image. The
// key id is the name, up to 16 bytes (stored in the clear, so a name that
// says which secret to use); the KEK is derived from the secret file as the
// key vault derives it (fs.DerivedKeys).
func fsEncrypt(args []string, stdout io.Writer) error {
	fs := newFlags("fs encrypt", "--secret FILE|--vault-secret FILE --key-id NAME IMAGE DIR", stdout)
	keys := addKeyFlags(fs)
	name := fs.String("key-id", "", "name of the key, 1 to 16 bytes")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"want IMAGE and DIR"}
	}
	if *keys.secret == "" && *keys.vault == "" {
		return usageError{"--secret or --vault-secret is required"}
	}
	if len(*name) == 0 || len(*name) > len(disk.KeyID{}) {
		return usageError{"--key-id wants a name of 1 to 16 bytes"}
	}
	var id disk.KeyID
	copy(id[:], *name)
	f, done, err := mountImage(fs.Arg(0), keys)
	if err != nil {
		return err
	}
	err = f.SetEncryption(fs.Arg(1), id)
	if derr := done(); err == nil {
		err = derr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s:%s: encrypted under key %q\n", fs.Arg(0), fs.Arg(1), *name)
	return nil
}

func fsMkdir(args []string, stdout io.Writer) error {
	fs := newFlags("fs mkdir", "IMAGE PATH", stdout)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{"want IMAGE and PATH"}
	}
	f, done, err := mountImage(fs.Arg(0), keyFlags{})
	if err != nil {
		return err
	}
	err = f.Mkdir(fs.Arg(1), 0o755)
	if derr := done(); err == nil {
		err = derr
	}
	return err
}
