package kernel

import (
	"crypto/sha3"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// The image cache: program images the module manager has verified and decompressed,
// held by the kernel and keyed by the SHA3-512 digest of their bytes, so that starting
// a module again skips fetching, decompressing and verifying it (seeds: the kernel-held
// module cache). The manager puts an image in with SystemImagePut, through the
// machine's System object, with the package's signature over the plain binary. The
// kernel checks that signature against its own trust root (Config.VerifyImage), so even
// a manager that went wrong cannot make a process of unsigned bytes, and it computes
// the digest itself and refuses the image if it differs from the one the manager
// names, so an entry can never be found under a digest its bytes do not have. SystemImageSpawn starts a task from a cached image as
// SystemSpawn does from the boot bundle. Entries are evicted least recently used first
// when a new one needs room; pinned ones never are.

// Image is a cached program image.
type Image struct {
	Digest   [abi.ImageDigestBytes]byte // SHA3-512 of Bytes
	Name     string                     // the name tasks started from it get
	Bytes    []byte                     // the executable, as the loader takes it
	Sharable bool                       // its read-only pages may be shared between tasks
	Pinned   bool                       // never evicted
	Spawns   uint64                     // tasks started from it
	lastUse  uint64
}

// ImageLoader is implemented by a Loader that can also start programs from images in
// the kernel's image cache (SystemImageSpawn). It behaves as Load, but takes the
// program from img rather than from the platform's store.
type ImageLoader interface {
	LoadImage(k *Kernel, budget *Untyped, img *Image, argv []string, spec TaskSpec) (*Task, abi.Errno, error)
}

// DefaultImageCacheBytes is the image cache's size limit when Config.ImageCacheBytes
// is zero.
const DefaultImageCacheBytes = 64 << 20

// imageCache is the kernel's cache of images.
type imageCache struct {
	entries   map[[abi.ImageDigestBytes]byte]*Image
	size      uint64
	clock     uint64 // advances on every use: the LRU order
	hits      uint64 // spawns from a cached image
	misses    uint64 // spawns that named an image not cached
	evictions uint64
}

func (c *imageCache) limit(k *Kernel) uint64 {
	if k.cfg.ImageCacheBytes != 0 {
		return k.cfg.ImageCacheBytes
	}
	return DefaultImageCacheBytes
}

// put adds img, evicting least recently used unpinned entries to make room. An image
// already cached keeps its bytes and takes the new flags. It reports false, and
// changes nothing, when the image cannot fit.
func (c *imageCache) put(k *Kernel, img *Image) bool {
	if c.entries == nil {
		c.entries = map[[abi.ImageDigestBytes]byte]*Image{}
	}
	c.clock++
	if old := c.entries[img.Digest]; old != nil {
		old.Sharable, old.Pinned, old.lastUse = img.Sharable, img.Pinned, c.clock
		if img.Name != "" {
			old.Name = img.Name
		}
		return true
	}
	limit, need := c.limit(k), uint64(len(img.Bytes))
	var evictable uint64
	for _, e := range c.entries {
		if !e.Pinned {
			evictable += uint64(len(e.Bytes))
		}
	}
	if need > limit || c.size-evictable+need > limit {
		return false
	}
	for c.size+need > limit {
		var victim *Image
		for _, e := range c.entries {
			if !e.Pinned && (victim == nil || e.lastUse < victim.lastUse) {
				victim = e
			}
		}
		delete(c.entries, victim.Digest)
		c.size -= uint64(len(victim.Bytes))
		c.evictions++
	}
	img.lastUse = c.clock
	c.entries[img.Digest] = img
	c.size += need
	return true
}

// get returns the image with digest d, marking it used.
func (c *imageCache) get(d [abi.ImageDigestBytes]byte) *Image {
	img := c.entries[d]
	if img != nil {
		c.clock++
		img.lastUse = c.clock
	}
	return img
}

// sorted returns the entries in digest order, the order SystemImageInfo lists them.
func (c *imageCache) sorted() []*Image {
	out := make([]*Image, 0, len(c.entries))
	for _, e := range c.entries {
		out = append(out, e)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && string(out[j].Digest[:]) < string(out[j-1].Digest[:]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// CachedImage returns the cached image with digest d (nil if none), for tests and
// tools between runs; it does not count as a use.
func (k *Kernel) CachedImage(d [abi.ImageDigestBytes]byte) *Image { return k.imgCache.entries[d] }

// payloadBytes returns the byte payload of an invocation: message words from NumRegMRs
// on, as far as the IPC buffer holds them.
func payloadBytes(buf *[abi.PageSize]byte) []byte {
	off := abi.IPCBufMR + 8*abi.NumRegMRs
	return buf[off : abi.IPCBufMR+8*abi.MaxMsgWords]
}

func invSystemImagePut(k *Kernel, inv *invocation) abi.Errno {
	va, n, flags, nameLen := inv.args[0], inv.args[1], inv.args[2], inv.args[3]
	switch {
	case sysOf(inv).ctr != nil:
		return abi.ErrNoRights // the cache serves the whole machine
	case n == 0 || n > abi.MaxImageBytes || flags&^(abi.ImageSharable|abi.ImagePinned) != 0:
		return abi.ErrRange
	case nameLen == 0 || nameLen > abi.TaskNameBytes:
		return abi.ErrRange
	case k.cfg.VerifyImage == nil:
		return abi.ErrNoRights // a kernel that trusts no signer caches nothing
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	p := payloadBytes(buf)
	sigAt := abi.ImageDigestBytes + nameLen
	sigVA, sigLen := binary.LittleEndian.Uint64(p[sigAt:]), binary.LittleEndian.Uint64(p[sigAt+8:])
	if sigLen == 0 || sigLen > abi.MaxImageSignature {
		return abi.ErrRange
	}
	img := &Image{Name: string(p[abi.ImageDigestBytes : abi.ImageDigestBytes+nameLen]),
		Sharable: flags&abi.ImageSharable != 0, Pinned: flags&abi.ImagePinned != 0}
	copy(img.Digest[:], p)
	if strings.ContainsAny(img.Name, "\x00/") {
		return abi.ErrInvalidArg
	}
	if old := k.imgCache.entries[img.Digest]; old != nil {
		k.imgCache.put(k, img) // the bytes are there already: only the flags change
		return abi.OK
	}
	if n > k.imgCache.limit(k) {
		return abi.ErrNoMemory
	}
	img.Bytes = make([]byte, n)
	if !k.CopyIn(inv.t, va, img.Bytes) {
		return abi.ErrInvalidArg
	}
	if sha3.Sum512(img.Bytes) != img.Digest {
		k.logf("image %q from task %d: its bytes do not have the digest it was put under", img.Name, callerID(inv))
		return abi.ErrInvalidArg
	}
	sig := make([]byte, sigLen)
	if !k.CopyIn(inv.t, sigVA, sig) {
		return abi.ErrInvalidArg
	}
	if err := k.cfg.VerifyImage(img.Bytes, sig); err != nil {
		k.logf("image %q from task %d refused: %v", img.Name, callerID(inv), err)
		return abi.ErrNoRights
	}
	if !k.imgCache.put(k, img) {
		return abi.ErrNoMemory
	}
	k.logf("image cache: %s %s… (%d bytes) put by task %d", img.Name, hex.EncodeToString(img.Digest[:6]), n, callerID(inv))
	return abi.OK
}

func invSystemImageSpawn(k *Kernel, inv *invocation) abi.Errno {
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	var d [abi.ImageDigestBytes]byte
	copy(d[:], payloadBytes(buf))
	if inv.args[0] > uint64(len(payloadBytes(buf))-abi.ImageDigestBytes) {
		return abi.ErrRange
	}
	img := k.imgCache.get(d)
	il, ok := k.loader.(ImageLoader)
	switch {
	case !ok:
		return abi.ErrNotFound
	case img == nil:
		k.imgCache.misses++
		return abi.ErrNotFound
	}
	argv := payloadBytes(buf)[abi.ImageDigestBytes : abi.ImageDigestBytes+inv.args[0]]
	e := k.spawn(inv, argv, func(budget *Untyped, argv []string, spec TaskSpec) (*Task, abi.Errno, error) {
		return il.LoadImage(k, budget, img, argv, spec)
	})
	if e == abi.OK {
		k.imgCache.hits++
		img.Spawns++
	}
	return e
}

func invSystemImageInfo(k *Kernel, inv *invocation) abi.Errno {
	if sysOf(inv).ctr != nil {
		return abi.ErrNoRights
	}
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	imgs := k.imgCache.sorted()
	if inv.args[0] >= uint64(len(imgs)) {
		return abi.ErrNotFound
	}
	img := imgs[inv.args[0]]
	var flags uint64
	if img.Sharable {
		flags |= abi.ImageSharable
	}
	if img.Pinned {
		flags |= abi.ImagePinned
	}
	p := payloadBytes(buf)
	copy(p, img.Digest[:])
	name := copy(p[abi.ImageDigestBytes:], img.Name)
	inv.result(uint64(len(img.Bytes)), flags, img.Spawns, uint64(name))
	inv.r.Info = uint64(abi.NewMsgInfo(0, abi.NumRegMRs+(abi.ImageDigestBytes+name+7)/8, 0))
	return abi.OK
}

func invSystemImageStats(k *Kernel, inv *invocation) abi.Errno {
	if sysOf(inv).ctr != nil {
		return abi.ErrNoRights
	}
	c := &k.imgCache
	buf := inv.t.ipcBuffer()
	if buf == nil {
		return abi.ErrNoIPCBuffer
	}
	w := []uint64{c.size, c.limit(k), uint64(len(c.entries)), c.hits, c.misses, c.evictions}
	for i := abi.NumRegMRs; i < len(w); i++ {
		binary.LittleEndian.PutUint64(buf[abi.IPCBufMR+8*i:], w[i])
	}
	inv.result(w[:abi.NumRegMRs]...)
	inv.r.Info = uint64(abi.NewMsgInfo(0, len(w), 0))
	return abi.OK
}

// callerID is the id of the invoking thread's task, for log lines (0: none).
func callerID(inv *invocation) uint64 {
	if inv.t.task == nil {
		return 0
	}
	return inv.t.task.id
}
