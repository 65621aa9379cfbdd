package fileproto

import (
	"bytes"
	"strings"
	"testing"
	"time"

	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/twophase"
	"golang.org/x/sys/unix"
)

// FuzzDecode: whatever words and path bytes a client sends, decode and splitPaths do
// not panic, and what they accept is safe to carry out: data lengths and paths lie
// inside the buffer, paths are 1…PathMax bytes without NUL, offsets fit an int64,
// open flags are ones the filesystem knows (and survive the trip back to the wire).
func FuzzDecode(f *testing.F) {
	f.Add(uint64(LabelOpen), uint64(unix.O_CREAT|unix.O_RDWR), uint64(0o644), uint64(6), 0, uint64(8192), []byte("/a.txt"))
	f.Add(uint64(LabelRename), uint64(2), uint64(2), uint64(0), 0, uint64(8192), []byte("/a/b"))
	f.Add(uint64(LabelReaddir), uint64(1), uint64(3), uint64(0), 0, uint64(8192), []byte("/abc"))
	f.Add(uint64(LabelPread), uint64(1), uint64(1<<62), uint64(8192), 0, uint64(8192), []byte(nil))
	f.Add(uint64(LabelAttach), uint64(2), uint64(0), uint64(0), 1, uint64(0), []byte(nil))
	f.Add(uint64(LabelMkdir), uint64(4), uint64(0o755), uint64(0), 0, uint64(8192), []byte("/x\x00y"))
	f.Add(uint64(LabelLock), uint64(3), uint64(LockExclusive), uint64(LockNoWait), 0, uint64(8192), []byte(nil))
	f.Add(uint64(LabelEnded), uint64(2), uint64(0), uint64(0), 0, uint64(0), []byte(nil))
	f.Add(uint64(LabelTxPrepare), uint64(7), uint64(10000), uint64(7), 0, uint64(8192), []byte("/region"))
	f.Add(uint64(LabelTxDecide), uint64(7), uint64(twophase.Commit), uint64(0), 0, uint64(8192), []byte(nil))
	f.Add(uint64(LabelAddView), uint64(0x77), uint64(12), uint64(0), 1, uint64(8192), []byte("/box\x00/\x00rw\x00"))
	f.Add(uint64(LabelLink), uint64(2), uint64(2), uint64(0), 0, uint64(8192), []byte("/a/b"))
	f.Add(uint64(LabelChmod), uint64(2), uint64(0o10000), uint64(0), 0, uint64(8192), []byte("/a"))
	f.Add(uint64(LabelUtimes), uint64(2), UtimeOmit, uint64(1e18), 0, uint64(8192), []byte("/a"))
	f.Add(uint64(LabelRemoveView), uint64(0x77), uint64(0), uint64(0), 0, uint64(8192), []byte(nil))
	f.Add(uint64(LabelTxForget), uint64(7), uint64(0), uint64(0), 0, uint64(8192), []byte(nil))
	f.Add(uint64(LabelChown), uint64(2), uint64(IDUnchanged)|5<<32, uint64(ChownNoFollow), 0, uint64(8192), []byte("/a"))
	f.Add(uint64(LabelChdir), uint64(1), uint64(0), uint64(0), 0, uint64(8192), []byte("a"))
	f.Add(uint64(LabelFence), uint64(4), uint64(0), uint64(0), 0, uint64(8192), []byte("/tmp"))
	f.Fuzz(func(t *testing.T, label, w0, w1, w2 uint64, caps int, bufSize uint64, buf []byte) {
		bufSize %= MaxBufferPages*4096 + 1
		if uint64(len(buf)) > bufSize {
			buf = buf[:bufSize]
		}
		r, errno := decode(label, [3]uint64{w0, w1, w2}, caps, bufSize)
		if errno != 0 {
			return
		}
		if r.label == LabelAttach {
			if caps != 1 || r.pages < MinBufferPages || r.pages > MaxBufferPages {
				t.Fatalf("accepted attach of %d pages, %d caps, buffer %d", r.pages, caps, bufSize)
			}
			return
		}
		if r.label == LabelEnded {
			if caps != 0 || r.arg == 0 || r.arg != w0 {
				t.Fatalf("accepted ended of badge %#x (word %#x) with %d caps", r.arg, w0, caps)
			}
			return
		}
		if r.label == LabelAddView {
			if caps != 1 || r.arg == 0 || r.n == 0 || r.n > bufSize {
				t.Fatalf("accepted add-view of badge %#x, %d bytes of mounts, %d caps, buffer %d", r.arg, r.n, caps, bufSize)
			}
			return
		}
		if r.label == LabelTxDecide || r.label == LabelTxInquire {
			if caps != 0 || bufSize == 0 || r.handle == 0 || (r.label == LabelTxDecide && r.arg != uint64(twophase.Commit) && r.arg != uint64(twophase.Abort)) {
				t.Fatalf("accepted %#x of transaction %d, decision %d, %d caps", label, r.handle, r.arg, caps)
			}
			return
		}
		if r.label == LabelTxPrepare && (r.handle == 0 || r.off > MaxBoundSize || len(r.pathLens) != 1) {
			t.Fatalf("accepted prepare of transaction %d, size %d", r.handle, r.off)
		}
		if r.label == LabelChown && (w2 > ChownNoFollow || r.arg != w2 || r.uid != uint32(w1) || r.gid != uint32(w1>>32) || len(r.pathLens) != 1) {
			t.Fatalf("accepted chown of %d:%d, flags %#x (words %#x %#x)", r.uid, r.gid, r.arg, w1, w2)
		}
		if (r.label == LabelChdir || r.label == LabelFence) && len(r.pathLens) != 1 {
			t.Fatalf("accepted chdir with %d paths", len(r.pathLens))
		}
		if r.label == LabelLock && (r.lockMode > LockExclusive || r.noWait != (w2 == LockNoWait) || w2 > LockNoWait) {
			t.Fatalf("accepted lock mode %d, flags %#x", r.lockMode, w2)
		}
		if caps != 0 || bufSize == 0 {
			t.Fatalf("accepted %#x with %d caps and buffer %d", label, caps, bufSize)
		}
		if r.n > bufSize || r.off > maxOffset || r.pathBytes() > bufSize {
			t.Fatalf("accepted %#x: length %d, offset %d, paths %d in a buffer of %d", label, r.n, r.off, r.pathBytes(), bufSize)
		}
		if r.label == LabelOpen {
			w, ok := wireFlags(r.flags)
			if !ok || w != w0 {
				t.Fatalf("open flags %#x decode to %#x, which encode to %#x %v", w0, r.flags, w, ok)
			}
		}
		if uint64(len(buf)) < r.pathBytes() {
			return // the server always has the whole buffer; the fuzzer's may be short
		}
		paths, errno := splitPaths(r, buf)
		if errno != 0 {
			return
		}
		for i, p := range paths {
			readdirAfter := r.label == LabelReaddir && i == 1
			if (len(p) == 0 && !readdirAfter) || len(p) > PathMax || strings.IndexByte(p, 0) >= 0 {
				t.Fatalf("accepted path %q for %#x", p, label)
			}
		}
	})
}

// FuzzParseDirents: the client's decoder of directory pages does not panic on any
// page, and what it accepts are valid names in strictly increasing order whose
// records, encoded again, are exactly the bytes it read.
func FuzzParseDirents(f *testing.F) {
	var page []byte
	for _, e := range []skyfs.DirEntry{{Name: "a", Ino: 2, Mode: 0o100000}, {Name: "bb", Ino: 3, Mode: 0o40000}} {
		page = appendDirent(page, e)
	}
	f.Add(page, uint64(2))
	f.Add(page, uint64(3))
	f.Add(append(appendDirent(nil, skyfs.DirEntry{Name: "b"}), appendDirent(nil, skyfs.DirEntry{Name: "a"})...), uint64(2))
	f.Add(appendDirent(nil, skyfs.DirEntry{Name: "x/y"}), uint64(1))
	f.Fuzz(func(t *testing.T, b []byte, n uint64) {
		es, ok := parseDirents(b, n)
		if !ok {
			return
		}
		if uint64(len(es)) != n {
			t.Fatalf("asked for %d entries, got %d", n, len(es))
		}
		var again []byte
		for i, e := range es {
			if e.Name == "" || strings.ContainsAny(e.Name, "/\x00") || (i > 0 && es[i-1].Name >= e.Name) {
				t.Fatalf("accepted entry %d %q", i, e.Name)
			}
			again = appendDirent(again, e)
		}
		if !bytes.HasPrefix(b, again) {
			t.Fatal("accepted entries do not re-encode to the page's bytes")
		}
	})
}

// TestRecordsRoundTrip: stat and statfs records carry every field.
func TestRecordsRoundTrip(t *testing.T) {
	st := skyfs.Stat{Ino: 1, Mode: 2, Nlink: 3, UID: 4, GID: 5, Size: 6, Blocks: 7, Generation: 8,
		Atime: time.Unix(9, 10), Mtime: time.Unix(11, 12), Ctime: time.Unix(13, 14), Btime: time.Unix(15, 16)}
	b := make([]byte, StatSize)
	putStat(b, st)
	got := getStat(b)
	if got.Ino != 1 || got.Mode != 2 || got.Nlink != 3 || got.UID != 4 || got.GID != 5 || got.Size != 6 ||
		got.Blocks != 7 || got.Generation != 8 || !got.Atime.Equal(st.Atime) || !got.Mtime.Equal(st.Mtime) ||
		!got.Ctime.Equal(st.Ctime) || !got.Btime.Equal(st.Btime) {
		t.Errorf("stat %+v came back as %+v", st, got)
	}
	sf := skyfs.Statfs{BlockSize: 1, Blocks: 2, DataBlocks: 3, FreeBlocks: 4, Inodes: 5, FreeInodes: 6, MaxName: 7, JournalSize: 8}
	b = make([]byte, StatfsSize)
	putStatfs(b, sf)
	if getStatfs(b) != sf {
		t.Errorf("statfs %+v came back as %+v", sf, getStatfs(b))
	}
}
