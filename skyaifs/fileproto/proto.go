// Package fileproto is SKYAIFS's file protocol: a filesystem task (skyaifsd) serves
// files to client tasks over kernel IPC. Each client sees its own namespace — the
// whole filesystem (an fs.Dir) or a container's view (skyaifs/view) — chosen by the
// server from the badge of the client's endpoint capability, which the client cannot
// forge.
//
// # Data path
//
// As in the block protocol (skyaifs/blockproto), a client attaches a shared buffer
// once: frames mapped in its own address space, granted to the server as a read-only
// capability to a capability space of writable frame capabilities. Paths, file data,
// stat records and directory pages move through the buffer; messages carry only
// words. The server maps each client's buffer in its own window.
//
// # Requests
//
// Every request is a Call; the label is the operation, MR0–MR2 its arguments. Paths
// lie in the buffer from offset 0 (a second path, for Rename and Symlink, right after
// the first), their lengths in message words. The reply's MR0 is an errno
// (golang.org/x/sys/unix values; 0 is success), MR1 and MR2 results:
//
//	LabelAttach   MR0 pages; cap0 the buffer's capability space; starts a new session:
//	              the client's earlier handles are closed and its earlier buffer released
//	              (a restarted client holds the same badge, but none of those)
//	LabelOpen     MR0 flags (Linux O_*), MR1 permissions, MR2 path length → MR1 handle
//	LabelClose    MR0 handle
//	LabelPread    MR0 handle, MR1 offset, MR2 length → MR1 bytes read (data at 0), MR2 1 at end of file
//	LabelPwrite   MR0 handle, MR1 offset, MR2 length (data at 0) → MR1 bytes written
//	LabelStat     MR0 path length, MR1 1 to follow a final symlink → stat record at 0
//	LabelFstat    MR0 handle → stat record at 0
//	LabelReaddir  MR0 path length, MR1 length of the name to list after (after the path)
//	              → MR1 entries (dirent records at 0), MR2 1 if more follow
//	LabelMkdir    MR0 path length, MR1 permissions
//	LabelRemove   MR0 path length, MR1 RemoveFile, RemoveDir or RemoveAny
//	LabelRename   MR0 old path length, MR1 new path length
//	LabelFsync    MR0 handle
//	LabelFtrunc   MR0 handle, MR1 size
//	LabelTruncate MR0 path length, MR1 size
//	LabelSymlink  MR0 target length, MR1 link path length
//	LabelReadlink MR0 path length → MR1 target length (target at 0)
//	LabelStatfs   → statfs record at 0
//	LabelSync     (the whole filesystem)
//	LabelDetach   closes the client's handles and unmaps its buffer
//	LabelLock     MR0 handle, MR1 LockShared or LockExclusive, MR2 0 or LockNoWait: locks
//	              the handle's file for the client (see Locks below)
//	LabelUnlock   MR0 handle: gives up the client's lock on the handle's file
//	LabelEnded    MR0 a client's badge; only from the supervisor's badge (Config):
//	              a task holding that badge ended, so the badge's session ends (see
//	              Locks) — unless its buffer is still alive, i.e. another live task of
//	              the badge attached since (EBUSY: that session stays)
//	LabelTxPrepare MR0 transaction id, MR1 size, MR2 path length → MR1 the vote (YES or
//	              NO, twophase.Msg): reserve a new file of size bytes at path, log
//	              PREPARED durably (only from the coordinator's badge, Config)
//	LabelTxDecide MR0 transaction id, MR1 COMMIT or ABORT → MR1 ACK: apply the decision
//	LabelTxInquire MR0 transaction id → MR1 the participant's logged state
//	              (twophase.State): what a recovering coordinator asks
//	LabelSetEncryption MR0 path length, MR1 key id length (1…16 bytes, after the path):
//	              gives the empty directory the encryption policy of that key id
//	LabelAddView  MR0 a new client badge, MR1 mounts length (at 0: EncodeMounts), cap0 a
//	              Container capability; only from Config.Admin's badge: the new badge's
//	              client sees those mounts of the admin's namespace, acting as the
//	              container's root mapped to the machine's ids (ContainerCred, view.Build)
//	LabelChmod    MR0 path length, MR1 permissions (follows a final symlink)
//	LabelUtimes   MR0 path length, MR1 access time, MR2 modification time (int64 Unix
//	              ns; UtimeOmit leaves one; follows a final symlink)
//	LabelLink     MR0 existing path length, MR1 new path length (a hard link)
//	LabelTxForget MR0 transaction id → MR1 FORGOT: the coordinator logged END, so the
//	              participant removes its log of the decided transaction (a prepared one
//	              is kept: EBUSY; one it does not know is FORGOT at once)
//	LabelRemoveView MR0 a view's badge; only from Config.Admin's badge, only for a view
//	              registered with LabelAddView: the view's session ends (its files
//	              closed, its locks released, a waiting lock request answered ENOTCONN)
//	              and the badge names nothing any more (EPERM to whoever still holds it)
//	LabelChown    MR0 path length, MR1 uid | gid<<32 (machine ids; IDUnchanged, all
//	              ones, leaves one), MR2 ChownNoFollow or 0: Linux's chown rules for
//	              the session's credentials (fs.Dir.Chown)
//	LabelChdir    MR0 path length: the session's relative paths (those not starting
//	              with "/") start from that directory from now on, as a process's
//	              working directory; a new Attach starts again at the namespace's root.
//	              Paths longer than PathMax are named from a deep enough directory.
//	LabelFence    MR0 path length: the session shows that directory as a mount point
//	              in a tree of its own, so ".." from it and absolute symbolic link
//	              targets are the client's to resolve: paths that meet one fail with
//	              EREMOTE (fs.Dir.Fence) from now on, until the next Attach.
//	LabelMkfifo   MR0 path length, MR1 permissions: a named pipe (fs.Dir.Mkfifo); it
//	              holds no data: opening it through LabelOpen is ENXIO, the clients
//	              that open it join their opens themselves (by device and inode).
//
// A namespace that cannot change modes, times or owners, make hard links or named
// pipes or keep a working directory or a fence answers LabelChmod, LabelUtimes,
// LabelChown, LabelLink, LabelMkfifo, LabelChdir or LabelFence with ENOSYS.
//
// # Locks
//
// Shared and exclusive locks on files (skyaifs/lock's ResourceLockManager: the state
// machine locks.pml models) are held by a client session and tied to the handle they
// were taken through: the lock is the handle's capability-like entry in the client's
// table, which no other client can name. Closing that handle, LabelUnlock, Detach, a
// new Attach (the badge's task restarted) and the end of the client's task release
// it. A request that must wait parks the caller's Reply object (the server takes a
// free one of Config.Replies for its next receive) and is answered when granted, so
// the server keeps serving everyone else meanwhile. Errors: EAGAIN (LockNoWait and
// not free), EDEADLK (the session holds or waits for a lock on a file whose inode
// number is not below this one's: lock in increasing inode order, so no cycle of
// waits can form; this includes locking a file twice), ENOLCK (every Reply object is
// parked with a waiter), ENOTCONN (the session ended while it waited).
//
// The kernel tells the server a task ended through whoever started the task: the end
// notification StartProgram signals goes to the starter (the shell, a container's
// runtime, the test's init), which holds the supervisor badge and sends LabelEnded.
// The server also notices on its own when a locked session's buffer frames died with
// its task (checked whenever a lock request would wait), so a waiter is not stuck
// behind a dead holder for as long as anyone makes a lock request.
//
// Handles are numbers the server gives out from one counter for all clients and
// looks up only in the calling client's table: a handle is useless to any other
// client (EBADF), whatever number it guesses.
//
// decode checks every word (label, capability count, lengths against the buffer,
// flags, offsets) and paths checks the path bytes before anything happens, so a
// malformed request gets its errno and changes nothing.
package fileproto

import (
	"encoding/binary"
	"os"
	"time"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/twophase"
	"golang.org/x/sys/unix"
)

// Request labels.
const (
	LabelAttach = 0xf11e_0001 + iota
	LabelOpen
	LabelClose
	LabelPread
	LabelPwrite
	LabelStat
	LabelFstat
	LabelReaddir
	LabelMkdir
	LabelRemove
	LabelRename
	LabelFsync
	LabelFtrunc
	LabelTruncate
	LabelSymlink
	LabelReadlink
	LabelStatfs
	LabelSync
	LabelDetach
	LabelLock
	LabelUnlock
	LabelEnded
	LabelTxPrepare
	LabelTxDecide
	LabelTxInquire
	LabelSetEncryption
	LabelAddView
	LabelChmod
	LabelUtimes
	LabelLink
	LabelRemoveView
	LabelTxForget
	LabelChown
	LabelChdir
	LabelFence
	LabelMkfifo
	labelEnd
)

// UtimeOmit, as a time of LabelUtimes, leaves that time unchanged.
const UtimeOmit = uint64(1) << 63

// MaxViewMounts bounds the mounts of one view (LabelAddView), as a container
// descriptor's list is bounded.
const MaxViewMounts = 64

// MaxBoundSize bounds the file a two-phase transaction reserves (LabelTxPrepare).
const MaxBoundSize = 1 << 24

// Lock modes (LabelLock's MR1) and flags (MR2).
const (
	LockShared    = 0
	LockExclusive = 1
	// LockNoWait answers EAGAIN instead of waiting when the lock is not free.
	LockNoWait = 1
)

// ChownNoFollow, as LabelChown's MR2, changes a final symbolic link itself (lchown).
const ChownNoFollow = 1

// IDUnchanged, as a uid or gid of LabelChown, leaves that id as it is.
const IDUnchanged = skyfs.IDUnchanged

// Remove kinds (LabelRemove's MR1).
const (
	RemoveFile = 0 // unlink
	RemoveDir  = 1 // rmdir
	RemoveAny  = 2 // unlink, or rmdir if the path is a directory (os.Remove)
)

// Limits.
const (
	// MaxBufferPages bounds a client's buffer: the server keeps a slot per page per
	// client.
	MaxBufferPages = 32
	// MinBufferPages is the smallest buffer: it holds two paths of PathMax bytes.
	MinBufferPages = 2
	// PathMax is the longest path in bytes (Linux's PATH_MAX less the NUL).
	PathMax = 4095
	// StatSize and StatfsSize are the sizes of the stat and statfs records.
	StatSize   = 80
	StatfsSize = 64
	// direntHeader is a directory entry record's size before its name.
	direntHeader = 8 + 4 + 2
	// maxOffset bounds file offsets and sizes (they are int64 in the filesystem).
	maxOffset = 1 << 62
)

// openFlags are the Linux open flags the protocol carries, with their os values.
var openFlags = []struct {
	wire uint64
	os   int
}{
	{unix.O_WRONLY, os.O_WRONLY}, {unix.O_RDWR, os.O_RDWR}, {unix.O_CREAT, os.O_CREATE},
	{unix.O_EXCL, os.O_EXCL}, {unix.O_TRUNC, os.O_TRUNC}, {unix.O_APPEND, os.O_APPEND},
}

// wireFlags turns os.O_* flags into the protocol's; ok is false for flags it does not
// carry.
func wireFlags(flags int) (uint64, bool) {
	var w uint64
	for _, f := range openFlags {
		if flags&f.os != 0 {
			w |= f.wire
			flags &^= f.os
		}
	}
	return w, flags == 0
}

// osFlags is the inverse of wireFlags.
func osFlags(w uint64) (int, bool) {
	var flags int
	for _, f := range openFlags {
		if w&f.wire != 0 {
			flags |= f.os
			w &^= f.wire
		}
	}
	if flags&os.O_WRONLY != 0 && flags&os.O_RDWR != 0 {
		return 0, false
	}
	return flags, w == 0
}

// request is a decoded request whose words have been checked.
type request struct {
	label    uint64
	handle   uint64
	off, n   uint64   // Pread, Pwrite: file offset and length; Ftrunc, Truncate: size in off
	flags    int      // Open: os flags
	perm     uint32   // Open, Mkdir
	pathLens []uint64 // lengths of the paths in the buffer, in order
	arg      uint64   // Stat: follow; Remove: kind
	pages    uint64   // Attach
	lockMode uint64   // Lock: LockShared or LockExclusive
	noWait   bool     // Lock: LockNoWait
	uid, gid uint32   // Chown (IDUnchanged: leave)
	atime    int64    // Utimes (math.MinInt64: omit)
	mtime    int64    // Utimes
}

// decode checks a request's label, words and capability count against a buffer of
// bufSize bytes (0: none attached). It does nothing but check.
func decode(label uint64, mr [3]uint64, caps int, bufSize uint64) (request, unix.Errno) {
	r := request{label: label}
	if label < LabelAttach || label >= labelEnd {
		return r, unix.ENOSYS
	}
	if label == LabelAttach {
		if caps != 1 || mr[0] < MinBufferPages || mr[0] > MaxBufferPages {
			return r, unix.EINVAL
		}
		r.pages = mr[0]
		return r, 0
	}
	if label == LabelAddView {
		switch {
		case caps != 1 || mr[0] == 0 || mr[1] == 0:
			return r, unix.EINVAL
		case bufSize == 0:
			return r, unix.ENOTCONN
		case mr[1] > bufSize:
			return r, unix.EINVAL
		}
		r.arg, r.n = mr[0], mr[1]
		return r, 0
	}
	if caps != 0 {
		return r, unix.EINVAL
	}
	if label == LabelEnded {
		// The supervisor has no buffer; the server checks its badge.
		if mr[0] == 0 {
			return r, unix.EINVAL
		}
		r.arg = mr[0]
		return r, 0
	}
	if bufSize == 0 {
		// Every other request needs an attached buffer, even one that does not use
		// it: the server serves only attached sessions.
		return r, unix.ENOTCONN
	}
	switch label {
	case LabelTxDecide:
		if mr[0] == 0 || (mr[1] != uint64(twophase.Commit) && mr[1] != uint64(twophase.Abort)) {
			return r, unix.EINVAL
		}
		r.handle, r.arg = mr[0], mr[1]
		return r, 0
	case LabelTxInquire, LabelTxForget:
		if mr[0] == 0 {
			return r, unix.EINVAL
		}
		r.handle = mr[0]
		return r, 0
	}
	paths := func(lens ...uint64) unix.Errno {
		total := uint64(0)
		for _, n := range lens {
			if n == 0 {
				return unix.ENOENT
			}
			if n > PathMax {
				return unix.ENAMETOOLONG
			}
			total += n
		}
		if total > bufSize {
			return unix.EINVAL
		}
		r.pathLens = lens
		return 0
	}
	switch label {
	case LabelOpen:
		flags, ok := osFlags(mr[0])
		if !ok || mr[1] > 0o7777 {
			return r, unix.EINVAL
		}
		r.flags, r.perm = flags, uint32(mr[1])
		return r, paths(mr[2])
	case LabelClose, LabelFstat, LabelFsync, LabelUnlock:
		r.handle = mr[0]
	case LabelTxPrepare:
		if mr[0] == 0 || mr[1] > MaxBoundSize {
			return r, unix.EINVAL
		}
		r.handle, r.off = mr[0], mr[1]
		return r, paths(mr[2])
	case LabelLock:
		if mr[1] > LockExclusive || mr[2]&^LockNoWait != 0 {
			return r, unix.EINVAL
		}
		r.handle, r.lockMode, r.noWait = mr[0], mr[1], mr[2] == LockNoWait
	case LabelPread, LabelPwrite:
		if mr[1] > maxOffset || mr[2] > bufSize {
			return r, unix.EINVAL
		}
		r.handle, r.off, r.n = mr[0], mr[1], mr[2]
	case LabelFtrunc:
		if mr[1] > maxOffset {
			return r, unix.EINVAL
		}
		r.handle, r.off = mr[0], mr[1]
	case LabelStat:
		if mr[1] > 1 {
			return r, unix.EINVAL
		}
		r.arg = mr[1]
		return r, paths(mr[0])
	case LabelReaddir:
		if mr[1] > 255 {
			return r, unix.EINVAL
		}
		if err := paths(mr[0]); err != 0 {
			return r, err
		}
		if mr[0]+mr[1] > bufSize {
			return r, unix.EINVAL
		}
		r.pathLens = []uint64{mr[0], mr[1]} // the second may be empty: list from the start
	case LabelMkdir, LabelMkfifo:
		if mr[1] > 0o7777 {
			return r, unix.EINVAL
		}
		r.perm = uint32(mr[1])
		return r, paths(mr[0])
	case LabelRemove:
		if mr[1] > RemoveAny {
			return r, unix.EINVAL
		}
		r.arg = mr[1]
		return r, paths(mr[0])
	case LabelRename, LabelSymlink, LabelLink:
		return r, paths(mr[0], mr[1])
	case LabelSetEncryption:
		if mr[1] == 0 || mr[1] > uint64(len(disk.KeyID{})) {
			return r, unix.EINVAL
		}
		if err := paths(mr[0]); err != 0 {
			return r, err
		}
		if mr[0]+mr[1] > bufSize {
			return r, unix.EINVAL
		}
		r.pathLens = []uint64{mr[0], mr[1]}
	case LabelTruncate:
		if mr[1] > maxOffset {
			return r, unix.EINVAL
		}
		r.off = mr[1]
		return r, paths(mr[0])
	case LabelReadlink:
		return r, paths(mr[0])
	case LabelChmod:
		if mr[1] > 0o7777 {
			return r, unix.EINVAL
		}
		r.perm = uint32(mr[1])
		return r, paths(mr[0])
	case LabelUtimes:
		r.atime, r.mtime = int64(mr[1]), int64(mr[2]) // every int64 is a time; UtimeOmit is MinInt64
		return r, paths(mr[0])
	case LabelRemoveView:
		if mr[0] == 0 {
			return r, unix.EINVAL
		}
		r.arg = mr[0]
	case LabelChown:
		if mr[2]&^ChownNoFollow != 0 {
			return r, unix.EINVAL
		}
		r.uid, r.gid, r.arg = uint32(mr[1]), uint32(mr[1]>>32), mr[2] // every id is one, all ones none
		return r, paths(mr[0])
	case LabelChdir, LabelFence:
		return r, paths(mr[0])
	case LabelStatfs, LabelSync, LabelDetach:
	}
	return r, 0
}

// splitPaths cuts the request's paths out of b (the first bytes of the buffer) and
// checks them: no NUL byte (the filesystem would take it for part of a name).
func splitPaths(r request, b []byte) ([]string, unix.Errno) {
	out := make([]string, 0, len(r.pathLens))
	for _, n := range r.pathLens {
		if uint64(len(b)) < n {
			return nil, unix.EINVAL
		}
		p := string(b[:n])
		for i := range len(p) {
			if p[i] == 0 {
				return nil, unix.EINVAL
			}
		}
		out = append(out, p)
		b = b[n:]
	}
	return out, 0
}

// touches is how many bytes from the start of a buffer of size bytes the request
// may read or write.
func (r request) touches(size uint64) uint64 {
	n := max(r.pathBytes(), r.n)
	switch r.label {
	case LabelStat, LabelFstat:
		n = max(n, StatSize)
	case LabelStatfs:
		n = max(n, StatfsSize)
	case LabelReadlink:
		n = max(n, PathMax)
	case LabelReaddir:
		n = size
	}
	return min(n, size)
}

// pathBytes is how many buffer bytes the request's paths take.
func (r request) pathBytes() uint64 {
	var n uint64
	for _, l := range r.pathLens {
		n += l
	}
	return n
}

// putStat encodes st as a stat record:
//
//	0 ino u64, 8 mode u32, 12 nlink u32, 16 uid u32, 20 gid u32, 24 size u64,
//	32 blocks u64, 40 generation u32, 44 zero u32, 48 atime, 56 mtime, 64 ctime,
//	72 btime (i64 ns since the Unix epoch)
func putStat(b []byte, st skyfs.Stat) {
	le := binary.LittleEndian
	le.PutUint64(b[0:], st.Ino)
	le.PutUint32(b[8:], st.Mode)
	le.PutUint32(b[12:], st.Nlink)
	le.PutUint32(b[16:], st.UID)
	le.PutUint32(b[20:], st.GID)
	le.PutUint64(b[24:], st.Size)
	le.PutUint64(b[32:], st.Blocks)
	le.PutUint32(b[40:], st.Generation)
	le.PutUint32(b[44:], 0)
	for i, t := range []time.Time{st.Atime, st.Mtime, st.Ctime, st.Btime} {
		le.PutUint64(b[48+8*i:], uint64(t.UnixNano()))
	}
}

// getStat decodes a stat record.
func getStat(b []byte) skyfs.Stat {
	le := binary.LittleEndian
	t := func(off int) time.Time { return time.Unix(0, int64(le.Uint64(b[off:]))) }
	return skyfs.Stat{Ino: le.Uint64(b[0:]), Mode: le.Uint32(b[8:]), Nlink: le.Uint32(b[12:]),
		UID: le.Uint32(b[16:]), GID: le.Uint32(b[20:]), Size: le.Uint64(b[24:]), Blocks: le.Uint64(b[32:]),
		Generation: le.Uint32(b[40:]), Atime: t(48), Mtime: t(56), Ctime: t(64), Btime: t(72)}
}

// putStatfs encodes a statfs record: eight u64 in Statfs's field order.
func putStatfs(b []byte, s skyfs.Statfs) {
	for i, v := range []uint64{s.BlockSize, s.Blocks, s.DataBlocks, s.FreeBlocks, s.Inodes, s.FreeInodes, s.MaxName, s.JournalSize} {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
}

// getStatfs decodes a statfs record.
func getStatfs(b []byte) skyfs.Statfs {
	v := func(i int) uint64 { return binary.LittleEndian.Uint64(b[8*i:]) }
	return skyfs.Statfs{BlockSize: v(0), Blocks: v(1), DataBlocks: v(2), FreeBlocks: v(3), Inodes: v(4),
		FreeInodes: v(5), MaxName: v(6), JournalSize: v(7)}
}

// appendDirent appends a directory entry record (ino u64, mode u32, name length u16,
// name) to b.
func appendDirent(b []byte, e skyfs.DirEntry) []byte {
	b = binary.LittleEndian.AppendUint64(b, e.Ino)
	b = binary.LittleEndian.AppendUint32(b, e.Mode)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e.Name)))
	return append(b, e.Name...)
}

// parseDirents decodes n directory entry records from b. It refuses records that
// run past b, empty names and names with '/' or NUL, and names not in strictly
// increasing order (the server sends them sorted and once), so a confused server
// cannot make the client loop or list a name twice.
func parseDirents(b []byte, n uint64) ([]skyfs.DirEntry, bool) {
	if n > uint64(len(b))/(direntHeader+1) {
		return nil, false
	}
	out := make([]skyfs.DirEntry, 0, n)
	for range n {
		if len(b) < direntHeader {
			return nil, false
		}
		e := skyfs.DirEntry{Ino: binary.LittleEndian.Uint64(b), Mode: binary.LittleEndian.Uint32(b[8:])}
		l := int(binary.LittleEndian.Uint16(b[12:]))
		b = b[direntHeader:]
		if l == 0 || l > 255 || l > len(b) {
			return nil, false
		}
		e.Name = string(b[:l])
		b = b[l:]
		for i := range len(e.Name) {
			if e.Name[i] == '/' || e.Name[i] == 0 {
				return nil, false
			}
		}
		if len(out) > 0 && out[len(out)-1].Name >= e.Name {
			return nil, false
		}
		out = append(out, e)
	}
	return out, true
}

// bufferVA is where client slot i's buffer is mapped in the server.
func bufferVA(window uint64, i int) uint64 {
	return window + uint64(i)*MaxBufferPages*abi.PageSize
}
