package abi

// The image cache (SystemImagePut, SystemImageSpawn, SystemImageInfo).
const (
	// ImageDigestBytes is the size of an image's key: the SHA3-512 digest of its bytes.
	ImageDigestBytes = 64
	// MaxImageBytes is the largest image SystemImagePut takes.
	MaxImageBytes = 256 << 20
	// ImageSharable marks an image whose read-only pages tasks started from it share.
	ImageSharable = 1
	// ImagePinned marks an image the cache never evicts. Putting a cached digest again
	// changes only these flags: that is how an image is pinned and unpinned.
	ImagePinned = 2
)
