package abi

// The image cache (SystemImagePut, SystemImageSpawn, SystemImageInfo).
const (
	// ImageDigestBytes is the size of an image's key: the SHA3-512 digest of its bytes.
	ImageDigestBytes = 64
	// MaxImageBytes is the largest image SystemImagePut takes.
	MaxImageBytes = 256 << 20
	// MaxImageSignature bounds the signature SystemImagePut takes with an image.
	MaxImageSignature = 16 << 10
	// ImageSharable marks an image whose read-only pages tasks started from it share.
	ImageSharable = 1
	// ImagePinned marks an image the cache never evicts. Putting a cached digest again
	// changes only these flags: that is how an image is pinned and unpinned.
	ImagePinned = 2
)

// SystemSpawn and SystemImageSpawn: flags above the priority's 8 bits in MR2.
const (
	// SpawnGrantSpace: cap2 is not granted itself but is a capability space (Read)
	// whose slots 1, 2, … up to the first empty one are granted, in order, after cap1:
	// how a task is started with more than two capabilities.
	SpawnGrantSpace = 1 << 8
	// MaxSpawnGrants bounds the capabilities one start grants.
	MaxSpawnGrants = 64
)

// ProcessCSpaceRadix sizes the capability space of the Linux processes the machine's
// loader starts: 4,096 slots, room for a server that maps a whole shared region.
const ProcessCSpaceRadix = 12

// ProcessSlotFiles is the slot of a Linux process's capability space where the
// Linux-ABI personality looks for its file service: an endpoint capability (Write and
// Grant) to a SKYAIFS file server, which then serves the process's /tmp. It is the
// space's last slot, reserved for this; programs the process starts inherit it.
const ProcessSlotFiles CPtr = 1<<ProcessCSpaceRadix - 1
