// Package capability implements capability spaces: slots holding (object, rights,
// badge), the derivation tree that records where every capability came from, and the
// operations on them — insert, copy, mint, move, mutate, delete and revoke.
//
// # Design
//
// A Space is a fixed array of slots owned by one kernel object (a CSpace, or a TCB's
// private slots). Slots never move and never change owner, so a *Slot is a stable name.
//
// Every capability except the ones the kernel makes at boot or by retype is derived from
// another: Copy, Mint and Retype make the new capability a child of its source in the
// derivation tree, which spans all spaces (seL4 calls it the mapping database). Revoke
// deletes every descendant of a slot, wherever it lives. Delete removes one capability
// and hands its children to its parent, so a later revoke of an ancestor still reaches
// them.
//
// Each object counts the capabilities naming it. When the count reaches zero the object
// is finalized: it releases what it holds (queued threads, its own slots, its memory)
// and becomes unreachable. Finalization runs from a work list after the derivation tree
// is consistent again, never in the middle of an unlink, so an object whose finalizer
// deletes more slots (a CSpace holding the last capability to another CSpace) cannot
// corrupt a walk in progress and cannot recurse without bound.
//
// Operations check everything first and then act; a failing operation returns an
// abi.Errno and changes nothing.
//
// Rejected alternative: reference-counting objects through Go pointers alone. The
// derivation tree is what makes revoke possible, and explicit counts make "deleting the
// last capability destroys the object and returns its memory" an event the kernel sees.
package capability

import "github.com/skyscope-os/skyscope/kernel/abi"

// Object is a kernel object that capabilities can name. Only types embedding Header
// satisfy it.
type Object interface {
	hdr() *Header
	// Type returns the object's type.
	Type() abi.ObjectType
	// Finalize releases everything the object holds. The capability package calls it
	// exactly once, when the last capability naming the object has been deleted. It may
	// delete slots the object owns through t.DeleteLocked; it must not fail.
	Finalize(t *Tree)
}

// Header is the part of every kernel object that the capability package manages.
// Embed it in an object type to make that type an Object.
type Header struct {
	caps int    // slots naming the object; guarded by the kernel lock like all kernel state
	id   uint64 // assigned when the first capability is inserted; never reused
	dead bool   // finalized: no slot names the object any more
}

func (h *Header) hdr() *Header { return h }

// ID returns the object's identity (0 before its first capability exists). IDs are
// unique within one Tree and never reused.
func (h *Header) ID() uint64 { return h.id }

// Caps returns the number of capabilities naming the object.
func (h *Header) Caps() int { return h.caps }

// Dead reports whether the object has been finalized.
func (h *Header) Dead() bool { return h.dead }

// badgeable reports whether capabilities to objects of type t may carry a badge.
func badgeable(t abi.ObjectType) bool {
	return t == abi.ObjEndpoint || t == abi.ObjNotification
}
