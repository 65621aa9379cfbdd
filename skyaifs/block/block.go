// Package block is SKYAIFS's view of a disk: a numbered array of fixed-size
// blocks with the durability primitives a journaling filesystem needs.
//
// The contract (what the filesystem's crash-safety argument relies on):
//
//   - WriteBlocks makes the new contents visible to later reads at once, but
//     durable only after a later Flush returns: until then a power cut may keep
//     any subset of the writes issued since the last Flush (a volatile write
//     cache may reorder them). A single block write is atomic: after a cut the
//     block holds either its old or its new contents, never a mix.
//   - Flush returns once every write that completed before it was issued is
//     durable.
//   - WriteFUA ("force unit access") returns once its own blocks are durable;
//     it says nothing about other pending writes.
//
// Implementations: Mem (a RAM disk), File (a persistent image file), Recorder
// (logs every write and flush so a crash harness can rebuild the disk as of any
// moment) and CutAfter (a power cut after N block writes).
//
// Errors: every method returns an error wrapping ErrOutOfRange (block number
// past the end), ErrIO (the medium failed), ErrGone (the device went away,
// including after a power cut or Close) or ErrBadLength (a buffer that is not a
// whole number of blocks). Callers match them with errors.Is.
package block

import (
	"errors"
	"fmt"
)

// Size is the block size in bytes. SKYAIFS uses one block size everywhere; a
// device with another sector size is driven in multiples of it.
const Size = 4096

// Errors reported by devices; every device error wraps exactly one of them.
var (
	// ErrOutOfRange: a request touches a block at or past Blocks().
	ErrOutOfRange = errors.New("block: request out of range")
	// ErrIO: the medium reported a failure; the data in the affected blocks
	// is unknown.
	ErrIO = errors.New("block: I/O error")
	// ErrGone: the device is no longer there (removed, powered off, closed).
	// Every later request fails the same way.
	ErrGone = errors.New("block: device gone")
	// ErrBadLength: a buffer whose length is not a positive multiple of Size.
	ErrBadLength = errors.New("block: buffer is not a whole number of blocks")
)

// Device is a block device. Batched forms transfer len(buf)/Size consecutive
// blocks starting at start in one request (one IPC message, one device
// command queue entry). Implementations are safe for use by one goroutine at
// a time unless they say otherwise.
type Device interface {
	// Blocks returns the device's size in blocks; it never changes.
	Blocks() uint64
	// ReadBlocks fills buf (a multiple of Size) from blocks start, start+1, ...
	ReadBlocks(start uint64, buf []byte) error
	// WriteBlocks writes buf (a multiple of Size) to blocks start, start+1, ...;
	// durable only after a later Flush (see the package comment).
	WriteBlocks(start uint64, buf []byte) error
	// WriteFUA writes like WriteBlocks and returns once these blocks are durable.
	WriteFUA(start uint64, buf []byte) error
	// Flush makes every completed write durable.
	Flush() error
	// Close releases the device; later requests fail with ErrGone.
	Close() error
}

// check validates a request of len(buf) bytes at start against a device of n
// blocks.
func check(n, start uint64, buf []byte) error {
	if len(buf) == 0 || len(buf)%Size != 0 {
		return fmt.Errorf("%w: %d bytes", ErrBadLength, len(buf))
	}
	cnt := uint64(len(buf) / Size)
	if start >= n || cnt > n-start {
		return fmt.Errorf("%w: blocks %d..%d on a device of %d blocks", ErrOutOfRange, start, start+cnt-1, n)
	}
	return nil
}
