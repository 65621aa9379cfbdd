package fs

// Encryption at rest.
//
// A directory gets an encryption policy (SetEncryption: a key id, on an
// empty directory, as with fscrypt); every regular file and directory
// created in it inherits the policy. An encrypted file has its own random
// 256-bit data key, sealed with AES-256-GCM under the key-encryption key
// (KEK) that Options.Keys gives for the policy's key id; the sealed ("wrapped")
// key sits in the file's crypt extension block. Each data block is sealed
// with the data key under a fresh random 96-bit nonce, with the additional
// data (inode, generation, file block), so a block cannot be moved to another
// position or file. Nonce and tag live in the file's tag blocks.
//
// Why copy-on-write: a block and its tag must change together. Tag blocks
// are metadata (journaled, atomic with the transaction), data blocks are
// not; overwriting a committed block in place would, after a crash that
// loses the transaction, leave new ciphertext under the old tag (an
// authentication error, i.e. lost data). So a write to an encrypted block
// that the committed state points at goes to a freshly allocated block, and
// the old one is freed by the same transaction (and, as every freed block,
// stays unallocatable until the transaction commits). A block allocated by
// the running transaction is not referenced by anything committed, so it is
// rewritten in place (f.fresh). Random nonces, not counters: a counter kept
// in metadata would be rolled back by a crash and reused for different
// plaintext, because the lost transaction's data blocks remain on disk.
// With at most 2^32 seals per key (NIST SP 800-38D §8.3), random nonces are
// safe for 2^32 block writes per file.
//
// Rejected: XTS (fscrypt's choice) needs no tag space but does not detect
// tampering or block swaps; per-block tags inside the data block would make
// blocks 4080 usable bytes and break the block-aligned I/O of everything
// above.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/pqc"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"golang.org/x/sys/unix"
)

// KeyProvider gives the filesystem its key-encryption keys. On the machine it
// is to be the key vault: vault.Derive(secret, VaultPurpose(id), 32), which
// binds the key to the calling task's badge as well (not wired yet); on the
// host, DerivedKeys.
type KeyProvider interface {
	// KEK returns the 32-byte key-encryption key named id. An error means
	// the key is not available; the filesystem reports it as ErrNoKey.
	KEK(id disk.KeyID) ([]byte, error)
}

// KEKPurpose is the key-derivation purpose of SKYAIFS key-encryption keys.
const KEKPurpose = "skyaifs/kek"

// VaultPurpose is the purpose string to ask the key vault's Derive for the
// KEK named id: the vault's derivation has no separate context (it uses the
// caller's badge), so the key id goes into the purpose.
func VaultPurpose(id disk.KeyID) string { return fmt.Sprintf("%s/%x", KEKPurpose, id[:]) }

// DerivedKeys derives every KEK from one secret:
// pqc.DeriveKey(Secret, KEKPurpose, id, 32). It is the host-side provider
// (skyctl, tests). Its keys differ from the vault's (different secret, and
// the vault binds the caller), so an image is encrypted for one or the other.
type DerivedKeys struct {
	Secret []byte // immutable
}

// KEK implements KeyProvider.
func (k DerivedKeys) KEK(id disk.KeyID) ([]byte, error) {
	if len(k.Secret) == 0 {
		return nil, errors.New("no secret")
	}
	return pqc.DeriveKey(k.Secret, KEKPurpose, id[:], 32), nil
}

// Encryption errors. ErrNoKey and ErrKeyRejected are errnos (as Linux's
// fscrypt reports them) carried inside *fs.PathError; ErrAuth comes with
// EIO and disk.ErrCorrupt.
var (
	// ErrNoKey: the file or directory is encrypted and its key is not
	// available (no KeyProvider, or it does not hold the key id).
	ErrNoKey = unix.ENOKEY
	// ErrKeyRejected: the key provider's KEK does not open the file's
	// wrapped data key: a wrong key, or a wrapped key that was tampered with
	// or moved from another file.
	ErrKeyRejected = unix.EKEYREJECTED
	// ErrAuth: an encrypted data block, or its nonce or tag, was changed or
	// moved; its contents are never returned.
	ErrAuth = errors.New("skyaifs: encrypted block failed authentication")
)

// fileKey is a cached, unwrapped data key. It is valid for the inode while
// the inode's generation and wrapped key are the ones it was made from.
type fileKey struct {
	gen     uint32
	wrapped [disk.WrappedKeySize]byte
	aead    cipher.AEAD
}

func newGCM(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// wrapAAD binds a wrapped data key to its inode, generation and key id: a
// wrapped key copied into another file's extension is rejected. Not to the
// filesystem's UUID: an image copied or re-labelled must stay readable, and
// a whole-disk rollback is outside what a disk-resident format can detect.
func wrapAAD(ino uint64, gen uint32, id disk.KeyID) []byte {
	a := make([]byte, 0, 64)
	a = append(a, "skyaifs-wrap-v1"...)
	a = binary.LittleEndian.AppendUint64(a, ino)
	a = binary.LittleEndian.AppendUint32(a, gen)
	return append(a, id[:]...)
}

// dataAAD binds a data block to its file and position.
func dataAAD(n *inode, lb uint64) []byte {
	var a [20]byte
	binary.LittleEndian.PutUint64(a[:], n.Ino)
	binary.LittleEndian.PutUint32(a[8:], n.Generation)
	binary.LittleEndian.PutUint64(a[12:], lb)
	return a[:]
}

// kek asks the provider for key id.
func (f *FS) kek(id disk.KeyID) (cipher.AEAD, error) {
	if f.opts.Keys == nil {
		return nil, fmt.Errorf("%w: key %x: no key provider", ErrNoKey, id[:4])
	}
	k, err := f.opts.Keys.KEK(id)
	if err != nil {
		return nil, fmt.Errorf("%w: key %x: %v", ErrNoKey, id[:4], err)
	}
	if len(k) != 32 {
		return nil, fmt.Errorf("%w: key %x has %d bytes, want 32", ErrKeyRejected, id[:4], len(k))
	}
	return newGCM(k)
}

// aeadFor returns n's data cipher, unwrapping its data key on first use.
func (f *FS) aeadFor(n *inode) (cipher.AEAD, error) {
	x := n.crypt
	if k := f.keys[n.Ino]; k != nil && k.gen == n.Generation && k.wrapped == x.WrappedKey {
		return k.aead, nil
	}
	w, err := f.kek(x.KeyID)
	if err != nil {
		return nil, err
	}
	dk, err := w.Open(nil, x.WrapNonce[:], x.WrappedKey[:], wrapAAD(n.Ino, n.Generation, x.KeyID))
	if err != nil {
		return nil, fmt.Errorf("%w: key %x does not open the data key of inode %d (wrong key, or a tampered or moved wrapped key)",
			ErrKeyRejected, x.KeyID[:4], n.Ino)
	}
	a, err := newGCM(dk)
	if err != nil {
		return nil, err
	}
	f.keys[n.Ino] = &fileKey{gen: n.Generation, wrapped: x.WrappedKey, aead: a}
	return a, nil
}

// inherit gives n, just created in dir, dir's encryption policy: a
// directory copies it, a regular file gets a data key and a crypt
// extension. Symlinks stay plain (their targets are not encrypted).
func (f *FS) inherit(dir, n *inode) error {
	if dir.Flags&disk.FlagEncrypted == 0 {
		return nil
	}
	switch n.Type() {
	case disk.TypeDir:
		n.Flags |= disk.FlagEncrypted
		n.Policy = dir.Policy
	case disk.TypeFile:
		w, err := f.kek(dir.Policy)
		if err != nil {
			return err
		}
		x := &disk.CryptExt{Ino: n.Ino, Generation: n.Generation, Alg: disk.AlgAES256GCM, KeyID: dir.Policy}
		dk := make([]byte, disk.DataKeySize)
		if _, err := rand.Read(dk); err != nil {
			return err
		}
		if _, err := rand.Read(x.WrapNonce[:]); err != nil {
			return err
		}
		copy(x.WrappedKey[:], w.Seal(nil, x.WrapNonce[:], dk, wrapAAD(n.Ino, n.Generation, x.KeyID)))
		blk, _, err := f.allocRun(f.cursor, 1)
		if err != nil {
			return err
		}
		a, err := newGCM(dk)
		if err != nil {
			return err
		}
		n.Flags |= disk.FlagEncrypted
		n.Crypt, n.crypt = blk, x
		f.keys[n.Ino] = &fileKey{gen: n.Generation, wrapped: x.WrappedKey, aead: a}
	default:
		return nil
	}
	return f.putInode(n)
}

// allowedIn checks that n may get a name in dir: an encrypted directory only
// holds files and directories of its own policy (and symlinks), so that
// everything under it stays encrypted under its key (EXDEV, as fscrypt).
func allowedIn(dir, n *inode) error {
	if dir.Flags&disk.FlagEncrypted == 0 || n.Type() == disk.TypeLink || n.Type() == disk.TypeFifo {
		return nil
	}
	switch {
	case n.Type() == disk.TypeDir && n.Flags&disk.FlagEncrypted != 0 && n.Policy == dir.Policy:
		return nil
	case n.crypt != nil && n.crypt.KeyID == dir.Policy:
		return nil
	}
	return unix.EXDEV
}

// loadCrypt reads n's crypt extension and tag index blocks (n is an
// encrypted regular file).
func (f *FS) loadCrypt(n *inode) error {
	b, err := f.readMeta(n.Crypt)
	if err != nil {
		return err
	}
	x, err := disk.DecodeCryptExt(b, n.Ino, n.Generation, f.sb)
	if err != nil {
		return err
	}
	n.tagIdx = make([]*disk.TagIndex, len(x.Index))
	for i, p := range x.Index {
		if p == 0 {
			continue
		}
		b, err := f.readMeta(p)
		if err != nil {
			return err
		}
		if n.tagIdx[i], err = disk.DecodeTagIndex(b, n.Ino, n.Generation, uint32(i), f.sb); err != nil {
			return err
		}
	}
	n.crypt = x
	return nil
}

// tagPtr returns the disk block of n's tag block idx, 0 if it has none.
func (n *inode) tagPtr(idx uint32) uint64 {
	i := idx / disk.TagsPerIndex
	if int(i) >= len(n.tagIdx) || n.tagIdx[i] == nil {
		return 0
	}
	return n.tagIdx[i].Tags[idx%disk.TagsPerIndex]
}

// tagBlock returns tag block idx of n, nil if it has none.
func (f *FS) tagBlock(n *inode, idx uint32) (*disk.TagBlock, error) {
	p := n.tagPtr(idx)
	if p == 0 {
		return nil, nil
	}
	b, err := f.readMeta(p)
	if err != nil {
		return nil, err
	}
	return disk.DecodeTagBlock(b, n.Ino, n.Generation, idx)
}

// tagEdit collects one operation's changes to n's tag blocks, so each
// changed block is decoded and encoded once per operation.
type tagEdit struct {
	f        *FS
	n        *inode
	changed  map[uint32]*disk.TagBlock
	newIndex map[uint32]bool // index blocks changed (a tag block added)
}

func (f *FS) editTags(n *inode) *tagEdit {
	return &tagEdit{f: f, n: n, changed: map[uint32]*disk.TagBlock{}, newIndex: map[uint32]bool{}}
}

// set records the entry of file block lb, allocating its tag block (and
// index block) if needed.
func (t *tagEdit) set(lb uint64, e disk.TagEntry) error {
	idx := uint32(lb / disk.TagsPerBlock)
	tb := t.changed[idx]
	if tb == nil {
		var err error
		if tb, err = t.f.tagBlock(t.n, idx); err != nil {
			return err
		}
		if tb == nil {
			if err := t.addTagBlock(idx); err != nil {
				return err
			}
			tb = &disk.TagBlock{Ino: t.n.Ino, Generation: t.n.Generation, Index: idx}
		}
		t.changed[idx] = tb
	}
	tb.Entries[lb%disk.TagsPerBlock] = e
	return nil
}

// addTagBlock allocates tag block idx, and its index block if missing.
func (t *tagEdit) addTagBlock(idx uint32) error {
	n, x := t.n, t.n.crypt
	i := idx / disk.TagsPerIndex
	if i >= disk.MaxIndexBlocks {
		return unix.EFBIG
	}
	if int(i) >= len(n.tagIdx) || n.tagIdx[i] == nil {
		blk, _, err := t.f.allocRun(t.f.cursor, 1)
		if err != nil {
			return err
		}
		for len(x.Index) <= int(i) {
			x.Index = append(x.Index, 0)
			n.tagIdx = append(n.tagIdx, nil)
		}
		x.Index[i] = blk
		n.tagIdx[i] = &disk.TagIndex{Ino: n.Ino, Generation: n.Generation, Index: i}
	}
	blk, _, err := t.f.allocRun(t.f.cursor, 1)
	if err != nil {
		return err
	}
	n.tagIdx[i].Tags[idx%disk.TagsPerIndex] = blk
	t.newIndex[i] = true
	return nil
}

// flush writes the changed tag and index blocks (the extension is written
// by putInode).
func (t *tagEdit) flush() {
	for idx, tb := range t.changed {
		t.f.writeMeta(t.n.tagPtr(idx), tb.Encode())
	}
	for i := range t.newIndex {
		t.f.writeMeta(t.n.crypt.Index[i], t.n.tagIdx[i].Encode())
	}
	clear(t.changed)
	clear(t.newIndex)
}

// dropTags clears the entries of file blocks at or past keep and frees the
// tag blocks, and index blocks, left without entries in range. Tag blocks
// wholly past keep are freed without being read, so removing a file needs
// no key and reads only its index blocks.
func (f *FS) dropTags(n *inode, keep uint64) error {
	x := n.crypt
	done := false
	for i := len(x.Index) - 1; i >= 0 && !done; i-- {
		ti := n.tagIdx[i]
		if ti == nil {
			continue
		}
		changed := false
		for j := disk.TagsPerIndex - 1; j >= 0; j-- {
			idx := uint32(i*disk.TagsPerIndex + j)
			start := uint64(idx) * disk.TagsPerBlock
			p := ti.Tags[j]
			if start < keep {
				// The block holding keep: clear its tail. Every block
				// before it is wholly below keep.
				done = true
				if p == 0 || keep-start >= disk.TagsPerBlock {
					break
				}
				tb, err := f.tagBlock(n, idx)
				if err != nil {
					return err
				}
				for k := keep - start; k < disk.TagsPerBlock; k++ {
					tb.Entries[k] = disk.TagEntry{}
				}
				f.writeMeta(p, tb.Encode())
				break
			}
			if p != 0 {
				if err := f.freeBlock(p); err != nil {
					return err
				}
				ti.Tags[j] = 0
				changed = true
			}
		}
		switch {
		case ti.Empty():
			if err := f.freeBlock(x.Index[i]); err != nil {
				return err
			}
			x.Index[i], n.tagIdx[i] = 0, nil
		case changed:
			f.writeMeta(x.Index[i], ti.Encode())
		}
	}
	for len(x.Index) > 0 && x.Index[len(x.Index)-1] == 0 {
		x.Index = x.Index[:len(x.Index)-1]
		n.tagIdx = n.tagIdx[:len(n.tagIdx)-1]
	}
	return nil
}

// freeCrypt releases n's tag and tag index blocks and extension (n's data is already
// freed).
func (f *FS) freeCrypt(n *inode) error {
	if err := f.dropTags(n, 0); err != nil {
		return err
	}
	delete(f.keys, n.Ino)
	return f.freeBlock(n.Crypt)
}

// openInto decrypts ct (a block of ciphertext, with capacity for the tag
// after it), file block lb of n, with its tag entry e, appending the
// plaintext to dst (which may be ct[:0]).
func openInto(dst []byte, n *inode, a cipher.AEAD, lb uint64, ct []byte, e *disk.TagEntry) ([]byte, error) {
	if e.IsZero() {
		return nil, fmt.Errorf("%w: %w: inode %d: file block %d is mapped but has no tag", disk.ErrCorrupt, ErrAuth, n.Ino, lb)
	}
	sealed := append(ct[:block.Size], e[disk.NonceSize:]...)
	p, err := a.Open(dst, e[:disk.NonceSize], sealed, dataAAD(n, lb))
	if err != nil {
		return nil, fmt.Errorf("%w: %w: inode %d file block %d", disk.ErrCorrupt, ErrAuth, n.Ino, lb)
	}
	return p, nil
}

// plainBlock returns the plaintext of mapped file block lb at disk block p.
// Tags changed by the running operation (edit, may be nil) win over the
// tag blocks.
func (f *FS) plainBlock(n *inode, a cipher.AEAD, lb, p uint64, edit *tagEdit) ([]byte, error) {
	ct, err := f.readBlock(p)
	if err != nil {
		return nil, err
	}
	idx := uint32(lb / disk.TagsPerBlock)
	var tb *disk.TagBlock
	if edit != nil {
		tb = edit.changed[idx]
	}
	if tb == nil {
		if tb, err = f.tagBlock(n, idx); err != nil {
			return nil, err
		}
	}
	var e disk.TagEntry
	if tb != nil {
		e = tb.Entries[lb%disk.TagsPerBlock]
	}
	return openInto(ct[:0], n, a, lb, ct, &e)
}

// readDataCrypt is readData for an encrypted file: it reads runs of
// ciphertext and opens each block.
func (f *FS) readDataCrypt(n *inode, off uint64, buf []byte) error {
	a, err := f.aeadFor(n)
	if err != nil {
		return err
	}
	var tb *disk.TagBlock
	tbIdx := ^uint32(0)
	scratch := make([]byte, block.Size, block.Size+disk.TagSize)
	for len(buf) > 0 {
		lb := off / block.Size
		in := int(off % block.Size)
		p := n.lookupBlock(lb)
		if p == 0 {
			k := min(len(buf), block.Size-in)
			clear(buf[:k])
			buf, off = buf[k:], off+uint64(k)
			continue
		}
		run := 1
		if f.data[p] == nil {
			for uint64(run)*block.Size < uint64(in+len(buf)) && run < 256 {
				q := n.lookupBlock(lb + uint64(run))
				if q != p+uint64(run) || f.data[q] != nil {
					break
				}
				run++
			}
		}
		ct := make([]byte, run*block.Size)
		if d := f.data[p]; d != nil {
			copy(ct, d)
		} else if err := f.dev.ReadBlocks(p, ct); err != nil {
			return err
		}
		for i := range run {
			l := lb + uint64(i)
			if idx := uint32(l / disk.TagsPerBlock); idx != tbIdx {
				if tb, err = f.tagBlock(n, idx); err != nil {
					return err
				}
				tbIdx = idx
			}
			var e disk.TagEntry
			if tb != nil {
				e = tb.Entries[l%disk.TagsPerBlock]
			}
			// GCM wants ciphertext and tag contiguous: the block goes to
			// scratch with its tag, and opens straight into buf when buf
			// wants the whole block.
			copy(scratch, ct[i*block.Size:(i+1)*block.Size])
			dst := scratch[:0]
			if in == 0 && len(buf) >= block.Size {
				dst = buf[:0]
			}
			pt, err := openInto(dst, n, a, l, scratch, &e)
			if err != nil {
				return err
			}
			k := copy(buf, pt[in:])
			buf, off, in = buf[k:], off+uint64(k), 0
		}
	}
	return nil
}

// cow moves up to k file blocks from lb (at committed disk blocks p, p+1,
// ...) to fresh blocks and frees the old ones: committed ciphertext is never
// overwritten. It returns the first new block and how many moved. It changes
// nothing when the allocation fails (np is then 0).
func (f *FS) cow(n *inode, lb, p uint64, k int) (np uint64, got int, err error) {
	if len(n.Extents)+2 > n.MaxExtentCount() {
		return 0, 0, unix.EFBIG
	}
	goal := f.cursor
	if lb > 0 {
		if q := n.lookupBlock(lb - 1); q != 0 {
			goal = q + 1
		}
	}
	np, got, err = f.allocRun(goal, k)
	if err != nil {
		return 0, 0, err
	}
	f.cursor = np + uint64(got)
	for i := range uint64(got) {
		n.unmap(lb + i)
	}
	n.insertExtent(disk.Extent{Logical: uint32(lb), Length: uint32(got), Physical: np})
	return np, got, f.freeRun(p, uint64(got))
}

// unmap removes file block lb (mapped) from the extent list.
func (n *inode) unmap(lb uint64) {
	for i, e := range n.Extents {
		if uint64(e.Logical) > lb || e.End() <= lb {
			continue
		}
		var parts []disk.Extent
		if uint64(e.Logical) < lb {
			parts = append(parts, disk.Extent{Logical: e.Logical, Length: uint32(lb - uint64(e.Logical)), Physical: e.Physical})
		}
		if e.End() > lb+1 {
			d := lb + 1 - uint64(e.Logical)
			parts = append(parts, disk.Extent{Logical: uint32(lb + 1), Length: e.Length - uint32(d), Physical: e.Physical + d})
		}
		n.Extents = append(n.Extents[:i], append(parts, n.Extents[i+1:]...)...)
		return
	}
}

// writeAtCrypt is writeAt for an encrypted file. Like writeAt it may write a
// prefix of b (fragmented or full disk) and says how much.
func (f *FS) writeAtCrypt(n *inode, b []byte, off uint64) (int, error) {
	end := off + uint64(len(b))
	if end > disk.MaxCryptFileBlocks*block.Size {
		return 0, unix.EFBIG
	}
	a, err := f.aeadFor(n)
	if err != nil {
		return 0, err
	}
	first, last := off/block.Size, (end-1)/block.Size
	nonces := make([]byte, disk.NonceSize*int(last-first+1))
	if _, err := rand.Read(nonces); err != nil {
		return 0, err
	}
	tags := f.editTags(n)
	written := 0
	// seal encrypts plain as file block lb into disk block p.
	seal := func(lb, p uint64, plain []byte) error {
		var nonce []byte
		if lb >= first && lb <= last {
			nonce = nonces[disk.NonceSize*int(lb-first):][:disk.NonceSize]
		} else { // a neighbour re-encrypted by rewriteWindow
			nonce = make([]byte, disk.NonceSize)
			if _, err := rand.Read(nonce); err != nil {
				return err
			}
		}
		out := a.Seal(make([]byte, 0, block.Size+disk.TagSize), nonce, plain, dataAAD(n, lb))
		var e disk.TagEntry
		copy(e[:], nonce)
		copy(e[disk.NonceSize:], out[block.Size:])
		f.writeBlockData(p, out[:block.Size])
		return tags.set(lb, e)
	}
	// plainFor returns the plaintext of file block lb after the write:
	// straight from b when the write covers the whole block (no copy),
	// else old (zeros for a hole) with b's bytes placed in it.
	plainFor := func(lb uint64, old func() ([]byte, error)) ([]byte, error) {
		in := 0
		if lb == first {
			in = int(off % block.Size)
		}
		if in == 0 && len(b)-written >= block.Size {
			written += block.Size
			return b[written-block.Size : written], nil
		}
		plain := make([]byte, block.Size)
		if old != nil {
			var err error
			if plain, err = old(); err != nil {
				return nil, err
			}
		}
		written += copy(plain[in:], b[written:])
		return plain, nil
	}
loop:
	for lb := first; lb <= last; {
		if written > 0 && len(f.dirty)+opBudget/2 > f.capacity() {
			break // fragmented: let the caller commit before going on
		}
		p := n.lookupBlock(lb)
		if p == 0 {
			run := 1
			for lb+uint64(run) <= last && n.lookupBlock(lb+uint64(run)) == 0 && run < writeChunk {
				run++
			}
			got, err := f.mapBlocks(n, lb, run)
			if got == 0 {
				if written > 0 {
					break loop
				}
				return 0, err
			}
			for i := range uint64(got) {
				plain, _ := plainFor(lb+i, nil)
				if err := seal(lb+i, n.lookupBlock(lb+i), plain); err != nil {
					return 0, err
				}
			}
			lb += uint64(got)
			if got < run {
				break
			}
			continue
		}
		// Mapped: a run of committed blocks moves to fresh ones (one
		// allocation and one free for the run); a block this transaction
		// allocated is rewritten where it is.
		if !f.fresh[p] && len(n.Extents) > f.defragAbove(n) {
			k, err := f.rewriteWindow(n, a, tags, lb, last, plainFor, seal)
			if err != nil {
				return 0, err
			}
			if k > 0 {
				lb += uint64(k)
				continue
			}
		}
		np, got := p, 1
		if !f.fresh[p] {
			k := 1
			for lb+uint64(k) <= last && k < writeChunk && n.lookupBlock(lb+uint64(k)) == p+uint64(k) && !f.fresh[p+uint64(k)] {
				k++
			}
			np, got, err = f.cow(n, lb, p, k)
			if np == 0 {
				if written > 0 && (errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EFBIG)) {
					break
				}
				return 0, err
			}
			if err != nil {
				return 0, err
			}
		}
		for i := range uint64(got) {
			// The old ciphertext is still at p+i: freed blocks are not
			// reused before the commit.
			plain, err := plainFor(lb+i, func() ([]byte, error) { return f.plainBlock(n, a, lb+i, p+i, tags) })
			if err != nil {
				return 0, err
			}
			if err := seal(lb+i, np+i, plain); err != nil {
				return 0, err
			}
		}
		lb += uint64(got)
	}
	tags.flush()
	if e := off + uint64(written); e > n.Size {
		n.Size = e
	}
	now := f.opts.now().UnixNano()
	n.Mtime, n.Ctime = now, now
	return written, f.putInode(n)
}

// defragAbove is the extent count above which copy-on-write rewrites whole
// windows (rewriteWindow): half the most an inode can hold, so files that
// are not fragmented pay nothing, and fragmented ones stop growing extents.
func (f *FS) defragAbove(n *inode) int {
	if f.opts.defragExtents > 0 {
		return f.opts.defragExtents
	}
	return n.MaxExtentCount() / 2
}

// rewriteWindow is copy-on-write for a fragmented file. Moving single blocks
// splits an extent in three; random overwrites would soon hit the extent
// limit (EFBIG after about a thousand). Instead, the blocks mapped without a
// gap around lb, within lb's aligned window of writeChunk file blocks, all
// move to one fresh run (those the write does not cover
// are re-encrypted with fresh nonces), so the window becomes one extent.
// It returns how many blocks of the write, from lb on, it wrote; 0 (and no
// change) when there is nothing to merge or no free run that long, and the
// caller moves lb alone.
func (f *FS) rewriteWindow(n *inode, a cipher.AEAD, tags *tagEdit, lb, last uint64,
	plainFor func(uint64, func() ([]byte, error)) ([]byte, error), seal func(lb, p uint64, plain []byte) error) (int, error) {
	// Blocks this transaction allocated move too (their ciphertext is
	// buffered; freeing them wastes them only until the commit): a window
	// stops only at holes, so it always becomes one extent.
	mapped := func(x uint64) bool { return n.lookupBlock(x) != 0 }
	w0 := lb &^ (writeChunk - 1)
	s, e := lb, lb+1
	for s > w0 && mapped(s-1) {
		s--
	}
	for e < w0+writeChunk && mapped(e) {
		e++
	}
	if e-s < 2 || len(n.Extents)+2 > n.MaxExtentCount() {
		return 0, nil
	}
	goal := f.cursor
	if s > 0 {
		if q := n.lookupBlock(s - 1); q != 0 {
			goal = q + 1
		}
	}
	// allocRun takes the first free block after the goal, which on a disk
	// whose free space copy-on-write has fragmented is often a lone one:
	// look for a run that fits first.
	if r, ok := f.findFreeRun(goal, e-s); ok {
		goal = r
	}
	np, got, err := f.allocRun(goal, int(e-s))
	if err != nil {
		return 0, nil
	}
	if got < int(e-s) {
		// No run that long here: give it back (usable after the commit,
		// as every freed block) and move lb alone.
		return 0, f.freeRun(np, uint64(got))
	}
	f.cursor = np + uint64(got)
	old := make([]uint64, e-s)
	plain := make([][]byte, e-s)
	done := 0
	for i := range old {
		x := s + uint64(i)
		old[i] = n.lookupBlock(x)
		get := func() ([]byte, error) { return f.plainBlock(n, a, x, old[i], tags) }
		if x >= lb && x <= last {
			plain[i], err = plainFor(x, get)
			done++
		} else {
			plain[i], err = get()
		}
		if err != nil {
			return 0, err
		}
	}
	for i := range old {
		n.unmap(s + uint64(i))
	}
	for i := 0; i < len(old); {
		j := i + 1
		for j < len(old) && old[j] == old[j-1]+1 {
			j++
		}
		if err := f.freeRun(old[i], uint64(j-i)); err != nil {
			return 0, err
		}
		i = j
	}
	n.insertExtent(disk.Extent{Logical: uint32(s), Length: uint32(e - s), Physical: np})
	for i := range old {
		if err := seal(s+uint64(i), np+uint64(i), plain[i]); err != nil {
			return 0, err
		}
	}
	return done, nil
}

// truncateCrypt is the encrypted part of truncate to ns bytes (shrinking):
// tags past the end go, and a partial last block is rewritten with zeros
// after the end (copy-on-write, as every write).
func (f *FS) truncateCrypt(n *inode, ns uint64) error {
	if err := f.dropTags(n, (ns+block.Size-1)/block.Size); err != nil {
		return err
	}
	in := ns % block.Size
	lb := ns / block.Size
	p := n.lookupBlock(lb)
	if in == 0 || p == 0 {
		return nil
	}
	a, err := f.aeadFor(n)
	if err != nil {
		return err
	}
	plain, err := f.plainBlock(n, a, lb, p, nil)
	if err != nil {
		return err
	}
	clear(plain[in:])
	if !f.fresh[p] {
		if p, _, err = f.cow(n, lb, p, 1); err != nil {
			return err
		}
	}
	var nonce [disk.NonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return err
	}
	out := a.Seal(make([]byte, 0, block.Size+disk.TagSize), nonce[:], plain, dataAAD(n, lb))
	var e disk.TagEntry
	copy(e[:], nonce[:])
	copy(e[disk.NonceSize:], out[block.Size:])
	f.writeBlockData(p, out[:block.Size])
	tags := f.editTags(n)
	if err := tags.set(lb, e); err != nil {
		return err
	}
	tags.flush()
	return nil
}

// SetEncryption gives the empty directory path the encryption policy id:
// every file and directory created in it from now on is encrypted under a
// data key wrapped by the key id's KEK, and inherits the policy. The key must
// be available (ErrNoKey otherwise). Setting the same policy again does
// nothing; a different one gives EEXIST, a non-empty directory ENOTEMPTY.
// The first policy on a filesystem sets the superblock's encryption feature
// flag, after which older SKYAIFS code refuses to mount the disk instead of
// misreading it.
func (d *Dir) SetEncryption(path string, id disk.KeyID) error {
	f := d.fs
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.usable("setencryption"); err != nil {
		return err
	}
	if _, err := f.kek(id); err != nil {
		return wrap("setencryption", path, err)
	}
	if f.sb.Features&disk.FeatureEncryption == 0 {
		// Durable before any transaction holding an encrypted inode can
		// commit. If the policy then fails or a crash loses it, the flag
		// stays set with nothing encrypted, which is harmless.
		nsb := *f.sb
		nsb.Features |= disk.FeatureEncryption
		if err := f.dev.WriteFUA(0, nsb.Encode()); err != nil {
			return wrap("setencryption", path, err)
		}
		f.sb = &nsb
	}
	return wrap("setencryption", path, f.do(func() error {
		n, err := d.existing(path, true)
		if err != nil {
			return err
		}
		if n.Type() != disk.TypeDir {
			return unix.ENOTDIR
		}
		if !d.cred.owns(n) {
			return unix.EACCES // as fscrypt: only the directory's owner sets a policy
		}
		if n.Flags&disk.FlagEncrypted != 0 {
			if n.Policy == id {
				return nil
			}
			return unix.EEXIST
		}
		empty, err := f.isEmpty(n)
		if err != nil {
			return err
		}
		if !empty {
			return unix.ENOTEMPTY
		}
		n.Flags |= disk.FlagEncrypted
		n.Policy = id
		n.Ctime = f.opts.now().UnixNano()
		return f.putInode(n)
	}))
}

// SetEncryption sets an encryption policy on an empty directory
// (Dir.SetEncryption).
func (f *FS) SetEncryption(path string, id disk.KeyID) error { return f.Root().SetEncryption(path, id) }
