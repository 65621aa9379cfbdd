package fs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/disk"
	"github.com/skyscope-os/skyscope/skyaifs/fsck"
	"golang.org/x/sys/unix"
)

// The crash-consistency harness (CrashMonkey-style). A workload runs on a
// Recorder over a copy of a base image, next to the model. Then, for every
// crash point (every prefix of the recorded writes, and variants in which
// the device's cache lost some writes issued since the last flush), the
// crashed disk is rebuilt and must:
//
//   - check clean with fsck, before and after mount (mount replays the
//     journal and frees orphans);
//   - mount, and show exactly the tree shape (paths, types, sizes, link
//     counts, hard-link groups) of the model after some operation between
//     the last completed fsync/sync and the last operation begun: every
//     operation is atomic, and nothing fsync'd is lost;
//   - hold, in every file whose contents no operation after that fsync/sync
//     touched, exactly those contents;
//   - hold in every file only zeros and data written to that same file
//     (every write is tagged with the writing file's model identity).
//
// The encrypted variants run the same workloads on an image whose root
// directory has an encryption policy (so every file and directory is
// encrypted), mounted with the key: every read decrypts and authenticates,
// so a block whose tag did not change with it (or the reverse) fails the
// check.

// wop is one workload operation, applied to both the filesystem and the
// model; the two must agree on success or the errno.
type wop struct {
	name    string
	durable bool // a successful call makes everything before it durable
	apply   func(f *FS, m *model, tag uint32) (fsErr, modelErr error)
}

// tagged returns n bytes (n a multiple of 8) of 8-byte words naming write
// tag and model file id.
func tagged(n int, tag uint32, id int) []byte {
	b := make([]byte, n)
	for i := 0; i < n; i += 8 {
		binary.LittleEndian.PutUint32(b[i:], tag)
		binary.LittleEndian.PutUint32(b[i+4:], uint32(id))
	}
	return b
}

func opCreate(p string) wop {
	return wop{name: "creat " + p, apply: func(f *FS, m *model, _ uint32) (error, error) {
		me := m.create(p)
		h, err := f.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err == nil {
			err = h.Close()
		}
		return err, me
	}}
}

func opWrite(p string, off, n int) wop {
	return wop{name: fmt.Sprintf("write %s %d+%d", p, off, n), apply: func(f *FS, m *model, tag uint32) (error, error) {
		node, me := m.file(p)
		id := 0
		if me == nil {
			id = node.id
			me = m.write(p, off, tagged(n, tag, id))
		}
		h, err := f.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			return err, me
		}
		_, err = h.WriteAt(tagged(n, tag, id), int64(off))
		h.Close()
		return err, me
	}}
}

func opFsync(p string) wop {
	return wop{name: "fsync " + p, durable: true, apply: func(f *FS, m *model, _ uint32) (error, error) {
		n, me := m.get(p)
		if me == nil && n.typ == disk.TypeLink {
			me = unix.ENOENT
		}
		h, err := f.Open(p)
		if err != nil {
			return err, me
		}
		err = h.Sync()
		h.Close()
		return err, me
	}}
}

var opSync = wop{name: "sync", durable: true, apply: func(f *FS, m *model, _ uint32) (error, error) { return f.Sync(), nil }}

func opRename(a, b string) wop {
	return wop{name: "rename " + a + " " + b, apply: func(f *FS, m *model, _ uint32) (error, error) {
		return f.Rename(a, b), m.rename(a, b)
	}}
}

func opUnlink(p string) wop {
	return wop{name: "unlink " + p, apply: func(f *FS, m *model, _ uint32) (error, error) { return f.Unlink(p), m.unlink(p) }}
}

func opTruncate(p string, n int) wop {
	return wop{name: fmt.Sprintf("truncate %s %d", p, n), apply: func(f *FS, m *model, _ uint32) (error, error) {
		return f.Truncate(p, int64(n)), m.truncate(p, n)
	}}
}

func opMkdir(p string) wop {
	return wop{name: "mkdir " + p, apply: func(f *FS, m *model, _ uint32) (error, error) { return f.Mkdir(p, 0o755), m.mkdir(p) }}
}

func opRmdir(p string) wop {
	return wop{name: "rmdir " + p, apply: func(f *FS, m *model, _ uint32) (error, error) { return f.Rmdir(p), m.rmdir(p) }}
}

func opLink(a, b string) wop {
	return wop{name: "link " + a + " " + b, apply: func(f *FS, m *model, _ uint32) (error, error) { return f.Link(a, b), m.link(a, b) }}
}

// aceOps is the operation alphabet of the ACE-style workloads, over the base
// image's files /foo, /bar, /A/baz and directory /A, plus names they create.
var aceOps = []wop{
	opCreate("/new"), opCreate("/A/new"),
	opWrite("/foo", 0, 8192), opWrite("/foo", 12288, 8192), opWrite("/bar", 4096, 4096),
	opWrite("/new", 0, 4096), opWrite("/A/baz", 800, 64),
	opFsync("/foo"), opFsync("/bar"), opFsync("/new"), opFsync("/A"), opSync,
	opRename("/foo", "/bar"), opRename("/bar", "/A/bar"), opRename("/A", "/B"), opRename("/new", "/foo"),
	opUnlink("/foo"), opUnlink("/bar"),
	opTruncate("/foo", 1000), opTruncate("/bar", 20000),
	opMkdir("/B"), opMkdir("/A/C"), opRmdir("/A/C"),
	opLink("/foo", "/A/foolink"), opLink("/bar", "/new"),
}

// crashBase is the starting image of every workload, and the model of it;
// with opts.Keys set, the root directory is encrypted under testKeyID first.
func crashBase(t testing.TB, opts Options) ([]byte, func() *model) {
	t.Helper()
	setup := []wop{opCreate("/foo"), opWrite("/foo", 0, 16384), opCreate("/bar"), opWrite("/bar", 0, 4096),
		opMkdir("/A"), opCreate("/A/baz"), opWrite("/A/baz", 0, 8192)}
	mk := func() *model {
		m := newModel()
		for i, op := range setup {
			op.apply(nilFS, m, uint32(1000+i))
		}
		return m
	}
	dev := block.NewMem(512)
	must(t, Mkfs(dev, Options{Seed: 99}))
	f, err := Mount(dev, opts)
	must(t, err)
	if opts.Keys != nil {
		must(t, f.SetEncryption("/", testKeyID))
	}
	m := newModel()
	for i, op := range setup {
		if fe, me := op.apply(f, m, uint32(1000+i)); fe != nil || me != nil {
			t.Fatalf("setup %s: %v %v", op.name, fe, me)
		}
	}
	must(t, f.Unmount())
	return dev.Image(), mk
}

// nilFS stands in when only the model side of an operation matters: every
// FS method fails on an unmounted FS without touching anything.
var nilFS = &FS{closed: true}

type crashStats struct{ workloads, points int }

// runCrash runs one workload and checks every crash point.
func runCrash(t *testing.T, opts Options, base []byte, mk func() *model, ops []wop, rng *rand.Rand, st *crashStats) {
	t.Helper()
	dev := block.Must(block.NewMemFrom(base))
	rec := block.NewRecorder(dev)
	f, err := Mount(rec, opts)
	must(t, err)
	m := mk()
	snaps := []mstate{m.snapshot()}
	var starts []int     // log length when op i began
	var durable [][2]int // (log length, snapshot index) after each completed fsync/sync
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = op.name
		starts = append(starts, len(rec.Ops()))
		fe, me := op.apply(f, m, uint32(i+1))
		if (fe == nil) != (me == nil) || (fe != nil && !sameErrno(fe, me)) {
			t.Fatalf("%v: op %s: filesystem says %v, model says %v", names, op.name, fe, me)
		}
		snaps = append(snaps, m.snapshot())
		if op.durable && fe == nil {
			durable = append(durable, [2]int{len(rec.Ops()), i + 1})
		}
	}
	must(t, f.Unmount())
	log := rec.Ops()
	durable = append(durable, [2]int{len(log), len(ops)})

	check := func(n int, keep func(int) bool) {
		st.points++
		img, err := block.CrashImage(base, log, n, keep)
		must(t, err)
		lo := 0
		for _, d := range durable {
			if d[0] <= n {
				lo = d[1]
			}
		}
		hi := 0
		for i, s := range starts {
			if s < n {
				hi = i + 1
			}
		}
		if n == len(log) {
			hi = len(ops)
		}
		hi = max(hi, lo) // a durable op that wrote nothing still completed
		where := fmt.Sprintf("workload %q, crash after %d of %d device operations (keep=%v)", names, n, len(log), keep != nil)
		cdev := block.Must(block.NewMemOwned(img))
		if r, err := fsck.Check(cdev, fsck.Options{}); err != nil || !r.Clean() {
			t.Fatalf("%s: fsck before mount: %v %q", where, err, problems(r))
		}
		g, err := Mount(cdev, opts)
		if err != nil {
			t.Fatalf("%s: mount: %v", err, where)
		}
		got, err := fsState(g)
		if err != nil {
			t.Fatalf("%s: reading the tree: %v", where, err)
		}
		j := -1
		for k := lo; k <= hi; k++ {
			if sameShape(snaps[k], got) == "" {
				j = k
				break
			}
		}
		if j < 0 {
			t.Fatalf("%s: the tree matches no state between op %d (last durable) and op %d: against op %d: %s",
				where, lo, hi, hi, sameShape(snaps[hi], got))
		}
		for p, g := range got {
			if g.typ != disk.TypeFile {
				continue
			}
			id := snaps[j][p].id
			for i := 0; i+8 <= len(g.data); i += 8 {
				w := g.data[i : i+8]
				if w != "\x00\x00\x00\x00\x00\x00\x00\x00" && int(binary.LittleEndian.Uint32([]byte(w[4:]))) != id {
					t.Fatalf("%s: %s holds at offset %d data written to model file %d, not its own (%d)", where, p, i, binary.LittleEndian.Uint32([]byte(w[4:])), id)
				}
			}
			untouched := true
			for k := lo; k <= hi && untouched; k++ {
				untouched = snaps[k][p] == snaps[lo][p]
			}
			if untouched && g.data != snaps[lo][p].data {
				t.Fatalf("%s: %s was durable with %d bytes and untouched since, but holds other contents (%d bytes)", where, p, len(snaps[lo][p].data), len(g.data))
			}
		}
		must(t, g.Unmount())
		if r, err := fsck.Check(cdev, fsck.Options{}); err != nil || !r.Clean() {
			t.Fatalf("%s: fsck after mount: %v %q", where, err, problems(r))
		}
	}
	for n := 0; n <= len(log); n++ {
		check(n, nil)
		// The same moment on a device whose cache lost some of the writes
		// issued since the last flush.
		if n > 0 && log[n-1].Kind != block.OpFlush && rng.IntN(2) == 0 {
			seed := rng.Uint64()
			check(n, func(i int) bool { return (seed>>(i%64))&1 == 1 })
		}
	}
	st.workloads++
}

func problems(r *fsck.Report) []string {
	if r == nil {
		return nil
	}
	return r.Problems
}

func sameErrno(a, b error) bool {
	var ea, eb unix.Errno
	return errors.As(a, &ea) && errors.As(b, &eb) && ea == eb
}

func TestCrashACE(t *testing.T) {
	t.Parallel()
	base, mk := crashBase(t, Options{})
	rng := rand.New(rand.NewPCG(7, 7))
	var st crashStats
	t.Run("seq1", func(t *testing.T) {
		for _, a := range aceOps {
			runCrash(t, Options{}, base, mk, []wop{a}, rng, &st)
		}
	})
	t.Run("seq2", func(t *testing.T) {
		for _, a := range aceOps {
			for _, b := range aceOps {
				if testing.Short() && rng.IntN(4) != 0 {
					continue
				}
				runCrash(t, Options{}, base, mk, []wop{a, b}, rng, &st)
			}
		}
	})
	t.Run("seq3", func(t *testing.T) {
		full := os.Getenv("SKYAIFS_ACE3") == "full"
		samples := 300
		if testing.Short() {
			samples = 50
		}
		for _, a := range aceOps {
			for _, b := range aceOps {
				for _, c := range aceOps {
					if !full && rng.IntN(len(aceOps)*len(aceOps)*len(aceOps)) >= samples {
						continue
					}
					runCrash(t, Options{}, base, mk, []wop{a, b, c}, rng, &st)
				}
			}
		}
	})
	t.Logf("%d workloads, %d crash points checked", st.workloads, st.points)
}

// TestCrashRandom is a long random workload (several hundred operations
// over a larger name set), crash-checked at every flush point and at random
// points between.
func TestCrashRandom(t *testing.T) {
	t.Run("plain", func(t *testing.T) { crashRandom(t, Options{}) })
	t.Run("encrypted", func(t *testing.T) { crashRandom(t, Options{Keys: testKeys}) })
	// Every overwrite of a file with more than one extent rewrites its
	// window (rewriteWindow), which normally needs a fragmented file.
	t.Run("encrypted-windows", func(t *testing.T) { crashRandom(t, Options{Keys: testKeys, defragExtents: 1}) })
}

func crashRandom(t *testing.T, opts Options) {
	base, mk := crashBase(t, opts)
	rng := rand.New(rand.NewPCG(11, 13))
	n := 400
	if testing.Short() {
		n = 100
	}
	files := []string{"/foo", "/bar", "/A/baz", "/A/x", "/B/y", "/z"}
	dirs := []string{"/A", "/B", "/A/D"}
	var ops []wop
	for range n {
		p := files[rng.IntN(len(files))]
		switch rng.IntN(12) {
		case 0:
			ops = append(ops, opCreate(p))
		case 1, 2, 3:
			ops = append(ops, opWrite(p, 8*rng.IntN(4096), 8*(1+rng.IntN(1500))))
		case 4:
			ops = append(ops, opFsync(p))
		case 5:
			ops = append(ops, opRename(p, files[rng.IntN(len(files))]))
		case 6:
			ops = append(ops, opUnlink(p))
		case 7:
			ops = append(ops, opTruncate(p, 8*rng.IntN(5000)))
		case 8:
			ops = append(ops, opMkdir(dirs[rng.IntN(len(dirs))]))
		case 9:
			ops = append(ops, opRmdir(dirs[rng.IntN(len(dirs))]))
		case 10:
			ops = append(ops, opLink(p, files[rng.IntN(len(files))]))
		case 11:
			ops = append(ops, opSync)
		}
	}
	var st crashStats
	runCrash(t, opts, base, mk, ops, rng, &st)
	t.Logf("%d operations, %d crash points checked", len(ops), st.points)
}

// TestCrashACEEncrypted runs every one- and two-operation ACE workload on an
// encrypted tree, and a sample of 50 three-operation ones (write, fsync,
// overwrite is where copy-on-write meets a committed block).
func TestCrashACEEncrypted(t *testing.T) {
	t.Parallel()
	opts := Options{Keys: testKeys}
	base, mk := crashBase(t, opts)
	rng := rand.New(rand.NewPCG(8, 8))
	var st crashStats
	t.Run("seq1", func(t *testing.T) {
		for _, a := range aceOps {
			runCrash(t, opts, base, mk, []wop{a}, rng, &st)
		}
	})
	t.Run("seq2", func(t *testing.T) {
		for _, a := range aceOps {
			for _, b := range aceOps {
				if testing.Short() && rng.IntN(4) != 0 {
					continue
				}
				runCrash(t, opts, base, mk, []wop{a, b}, rng, &st)
			}
		}
	})
	t.Run("seq3", func(t *testing.T) {
		samples := 50
		if testing.Short() {
			samples = 10
		}
		n := len(aceOps)
		for i := range samples {
			k := rng.IntN(n * n * n)
			if i == 0 {
				k = 2*n*n + 7*n + 2 // write /foo 0+8192, fsync /foo, the same write again
			}
			runCrash(t, opts, base, mk, []wop{aceOps[k/(n*n)], aceOps[k/n%n], aceOps[k%n]}, rng, &st)
		}
	})
	t.Logf("%d workloads, %d crash points checked", st.workloads, st.points)
}
