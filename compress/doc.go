// Package compress implements the system's "deep compression" format, SKYZ:
// one zstd frame behind a fixed 80-byte header that declares the plain size
// and carries the SHA3-512 digest of the plain data. Module binaries ship in
// this format.
//
// Encoded blobs come from outside (the network, removable media), so decoding
// treats them as hostile:
//
//   - it never panics on any input;
//   - it never allocates more than the declared plain size (itself capped by
//     [Limits]) plus a zstd window (capped by [Limits.MaxWindow]) and small
//     fixed overheads, and it refuses a blob whose declared size is
//     implausibly large for its compressed size ([Limits.MaxRatio]) before
//     allocating anything for it;
//   - it stops producing output one byte past the declared size, so a frame
//     that expands further than it says (a "compression bomb") costs at most
//     one zstd block of extra work;
//   - it returns data only after the frame decoded to exactly the declared
//     size, ended exactly at the end of the input, and hashed to the
//     declared digest.
//
// Every decoding failure wraps exactly one of the package's sentinel errors
// (ErrBadMagic, ErrVersion, ErrHeader, ErrTruncated, ErrCorrupt, ErrTooLarge,
// ErrSizeMismatch, ErrRatio, ErrDigest, ErrTrailingData, ErrShortBuffer), so
// callers test with errors.Is and log the message, which says what was found
// and what was allowed.
//
// The byte layout, the limits and the error list are documented in
// docs/COMPRESSION.md.
package compress
