package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/skyscope-os/skyscope/compress"
	"github.com/skyscope-os/skyscope/container/ctr"
	"github.com/skyscope-os/skyscope/container/descriptor"
	"github.com/skyscope-os/skyscope/container/image"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/pipeline/modsvc"
	"github.com/skyscope-os/skyscope/pqc"
)

// Where the boot bundle's file tree keeps signed container images and the module
// repository their packages come from (with the root key both are signed by).
var (
	imagesDir     = "/images"
	repositoryDir = "/modules"
)

// ImageExt is the file name extension of signed container images.
const ImageExt = ".skyimg"

// bundleImages are the boot bundle's signed container images for ctr run: found in
// imagesDir, verified against the repository's root key with the repository as the
// package store, their modules loaded by the module manager into the container.
type bundleImages struct {
	s *shell
	// verified remembers verifications by a digest of everything Verify's result
	// depends on — the trusted key, the image's bytes and each package's bytes — so
	// that running an image again costs hashing its files, not decompressing and
	// verifying its packages again (a second of machine time under QEMU per module).
	// The same bytes always verify the same way; changed bytes make another key.
	verified map[[64]byte]*image.Verified
}

// maxVerified bounds bundleImages.verified: each entry holds its packages' verified
// manifests and plain binaries.
const maxVerified = 4

// Find implements ctr.Images: IMAGE names imagesDir/IMAGE.skyimg.
func (b *bundleImages) Find(name string) ([]byte, string, error) {
	if name == "" || strings.ContainsAny(name, "/.") {
		return nil, "", fmt.Errorf("%w: %q is not an image name", ctr.ErrNoImage, name)
	}
	p := filepath.Join(imagesDir, name+ImageExt)
	signed, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%w: no %s", ctr.ErrNoImage, p)
	}
	if err != nil {
		return nil, "", err
	}
	return signed, p, nil
}

// Verify implements ctr.Images: image.Verify against the repository's root key (the
// key the kernel trusts: make signs the bundle, the packages and the images with it)
// and the repository's packages, or the remembered result for the same bytes.
func (b *bundleImages) Verify(signed []byte) (*image.Verified, error) {
	root, err := pqc.LoadPublicKey(filepath.Join(repositoryDir, "root.pub"))
	if err != nil {
		return nil, fmt.Errorf("the trusted key: %w", err)
	}
	// The store holds the packages the image names, read by the repository's file
	// naming (NAME-VERSION.skypkg) instead of hashing every package there: the names
	// come from the unverified image, but Verify checks each package's digest, its
	// signatures and that it is the module and version pinned.
	store := image.MapStore{}
	id, sd := root.ID(), pqc.Sum512(signed)
	key := append(id[:], sd[:]...)
	if info, err := image.Inspect(signed); err == nil {
		for _, r := range info.Descriptor.Image {
			if p, err := os.ReadFile(filepath.Join(repositoryDir, r.Module+"-"+r.Version.String()+image.PackageExt)); err == nil {
				d := store.Add(p)
				key = append(key, d[:]...)
			}
		}
	}
	k := pqc.Sum512(key)
	if v := b.verified[k]; v != nil {
		return v, nil
	}
	v, err := image.Verify(signed, map[pqc.KeyID]*pqc.PublicKey{root.ID(): root}, store, compress.DefaultLimits)
	if err != nil {
		return nil, err
	}
	if b.verified == nil || len(b.verified) >= maxVerified {
		b.verified = map[[64]byte]*image.Verified{}
	}
	b.verified[k] = v
	return v, nil
}

// Load implements ctr.Images through the module manager (started if it is not
// running): it loads ref from the repository into the container whose System object
// is in slot sys, through the whole signature chain and the policy.
func (b *bundleImages) Load(sys, notify abi.CPtr, ref descriptor.ModuleRef) (string, uint64, error) {
	mgr, err := b.s.manager()
	if err != nil {
		return "", 0, err
	}
	return modsvc.LoadInto(b.s.e, mgr, sys, notify, ref.Module, ref.Version, ref.Digest)
}
