package user

import (
	"encoding/binary"
	"errors"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Digest is an image's key in the kernel's image cache: the SHA3-512 digest of its
// bytes.
type Digest [abi.ImageDigestBytes]byte

// ImageInfo describes a cached image (SystemImageInfo).
type ImageInfo struct {
	Digest   Digest
	Name     string
	Size     uint64
	Sharable bool
	Pinned   bool
	Spawns   uint64 // tasks started from it
}

// ImageCacheStats are the image cache's figures (SystemImageStats).
type ImageCacheStats struct {
	Bytes, Limit, Images, Hits, Misses, Evictions uint64
}

// ErrImageName is returned for an image name that is empty, too long or holds a NUL
// or a slash.
var ErrImageName = errors.New("image name: 1 to 32 bytes, no NUL or slash")

// PutImage asks the kernel (through the machine's System object sys) to cache the n
// bytes at va in the caller's memory as the image with digest d and name; the sigLen
// bytes at sigVA are the signature over the image, which the kernel checks against its
// trust root (abi.ErrNoRights when it does not verify). The kernel checks the digest
// itself. Putting a digest already cached changes only its flags, which is how an
// image is pinned or unpinned.
func (e *Env) PutImage(sys abi.CPtr, va, n uint64, d Digest, name string, sharable, pinned bool, sigVA, sigLen uint64) error {
	if name == "" || len(name) > abi.TaskNameBytes || strings.ContainsAny(name, "\x00/") {
		return ErrImageName
	}
	var flags uint64
	if sharable {
		flags |= abi.ImageSharable
	}
	if pinned {
		flags |= abi.ImagePinned
	}
	p := append(d[:], name...)
	p = binary.LittleEndian.AppendUint64(p, sigVA)
	p = binary.LittleEndian.AppendUint64(p, sigLen)
	e.SetPayload(p)
	return e.invoke(sys, abi.SystemImagePut, []uint64{va, n, flags, uint64(len(name))}, nil)
}

// StartImage starts the cached image with digest d as a task, as StartProgram starts
// a program of the boot bundle: argv (argv[0] its name), memory bytes of budget (0:
// half the caller's free budget), priority prio (0: 100), notify signalled at its end,
// at most two grants. abi.ErrNotFound means the image is not (or no longer) cached.
func (e *Env) StartImage(sys abi.CPtr, d Digest, argv []string, memory uint64, prio uint8, notify abi.CPtr, grants ...abi.CPtr) (uint64, error) {
	if len(argv) == 0 || argv[0] == "" {
		return 0, abi.ErrInvalidArg
	}
	if len(grants) > 2 {
		return 0, abi.ErrRange
	}
	blob := strings.Join(argv, "\x00")
	if abi.ImageDigestBytes+len(blob) > MaxPayload {
		return 0, ErrArgvTooLong
	}
	e.SetPayload(append(d[:], blob...))
	caps := [3]abi.CPtr{notify}
	copy(caps[1:], grants)
	if err := e.invoke(sys, abi.SystemImageSpawn, []uint64{uint64(len(blob)), memory, uint64(prio)}, caps[:]); err != nil {
		return 0, err
	}
	return e.r.MR[0], nil
}

// Images lists the kernel's cached images, in digest order.
func (e *Env) Images(sys abi.CPtr) ([]ImageInfo, error) {
	var out []ImageInfo
	for i := uint64(0); ; i++ {
		err := e.invoke(sys, abi.SystemImageInfo, []uint64{i}, nil)
		if errors.Is(err, abi.ErrNotFound) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		r := e.r
		info := ImageInfo{Size: r.MR[0], Sharable: r.MR[1]&abi.ImageSharable != 0, Pinned: r.MR[1]&abi.ImagePinned != 0, Spawns: r.MR[2]}
		p := e.Payload(abi.ImageDigestBytes + int(r.MR[3]))
		copy(info.Digest[:], p)
		info.Name = string(p[abi.ImageDigestBytes:])
		out = append(out, info)
	}
}

// ImageStats returns the image cache's figures.
func (e *Env) ImageStats(sys abi.CPtr) (ImageCacheStats, error) {
	if err := e.invoke(sys, abi.SystemImageStats, nil, nil); err != nil {
		return ImageCacheStats{}, err
	}
	r := e.r
	return ImageCacheStats{r.MR[0], r.MR[1], r.MR[2], r.MR[3], e.MR(4), e.MR(5)}, nil
}
