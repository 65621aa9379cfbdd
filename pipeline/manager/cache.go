package manager

import (
	"container/list"
	"fmt"

	"github.com/skyscope-os/skyscope/pipeline/modpkg"
)

// Digest identifies a package: SHA3-512 of its bytes, as the repository index lists.
type Digest [64]byte

// Cache holds verified, decompressed module images keyed by package digest, up to a
// byte limit, evicting the least recently used unpinned image first. A hit returns the
// image without fetching, hashing, decompressing or verifying anything: the digest
// came from a verified index, and the image was verified when it entered.
type Cache struct {
	limit   uint64
	size    uint64
	order   *list.List // front: most recently used
	entries map[Digest]*list.Element
	stats   CacheStats
}

type cacheEntry struct {
	digest Digest
	image  *modpkg.Verified
	size   uint64
	pinned bool
}

// CacheStats counts what the cache did.
type CacheStats struct {
	Hits, Misses, Inserts, Evictions uint64
}

// NewCache returns a cache of at most limit bytes of images.
func NewCache(limit uint64) *Cache {
	return &Cache{limit: limit, order: list.New(), entries: map[Digest]*list.Element{}}
}

// Get returns the image with digest d, if cached, and marks it recently used.
func (c *Cache) Get(d Digest) (*modpkg.Verified, bool) {
	e, ok := c.entries[d]
	if !ok {
		c.stats.Misses++
		return nil, false
	}
	c.stats.Hits++
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).image, true
}

// Contains reports whether d is cached, without counting a hit or miss.
func (c *Cache) Contains(d Digest) bool { _, ok := c.entries[d]; return ok }

// Put caches a verified image under its package digest, evicting unpinned images as
// needed. It refuses an image larger than the whole cache, or one that does not fit
// because pinned images hold the space.
func (c *Cache) Put(v *modpkg.Verified) error {
	d := Digest(v.PackageDigest())
	if _, ok := c.entries[d]; ok {
		return nil
	}
	size := uint64(len(v.Binary()))
	if size > c.limit {
		return fmt.Errorf("image of %d bytes exceeds the cache's %d", size, c.limit)
	}
	for c.size+size > c.limit {
		if !c.evictOne() {
			return fmt.Errorf("image of %d bytes does not fit: pinned images hold %d of %d bytes", size, c.size, c.limit)
		}
	}
	c.entries[d] = c.order.PushFront(&cacheEntry{digest: d, image: v, size: size})
	c.size += size
	c.stats.Inserts++
	return nil
}

func (c *Cache) evictOne() bool {
	for e := c.order.Back(); e != nil; e = e.Prev() {
		ce := e.Value.(*cacheEntry)
		if ce.pinned {
			continue
		}
		c.order.Remove(e)
		delete(c.entries, ce.digest)
		c.size -= ce.size
		c.stats.Evictions++
		return true
	}
	return false
}

// Pin keeps the image with digest d from eviction (false if it is not cached).
func (c *Cache) Pin(d Digest, pinned bool) bool {
	e, ok := c.entries[d]
	if ok {
		e.Value.(*cacheEntry).pinned = pinned
	}
	return ok
}

// Size returns the bytes of images cached.
func (c *Cache) Size() uint64 { return c.size }

// Len returns the number of images cached.
func (c *Cache) Len() int { return len(c.entries) }

// Stats returns the cache's counters.
func (c *Cache) Stats() CacheStats { return c.stats }
