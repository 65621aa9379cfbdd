package linux_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/linux"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/blockproto"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/fscmd"
	"golang.org/x/sys/unix"
)

// The hosted simulation of SKYAIFS behind /tmp: a block server task ("blkd") serves
// a memory disk, the filesystem task ("skyaifsd") mounts it over the block protocol
// and serves the file protocol, and Linux processes (sim programs making raw Linux
// system calls, with the personality) hold a file service capability at
// linux.FileServiceSlot. Every server is the real protocol code over kernel IPC.

const (
	fsPCBlkd = 0xb0_0000 + iota*0x1000
	fsPCSkyaifsd
	fsPCLinux0 // Linux process i at fsPCLinux0 + i*0x1000
)

const (
	fsSlotGrant0  = abi.InitFirstFree
	fsSlotGrant1  = abi.InitFirstFree + 1
	fsSlotReply   = 16
	fsSlotRecv    = 17
	fsSlotScratch = 18
	fsSlotFree    = 20
	fsSlotFrames  = 100
	fsBlkdBadge   = 0xb1
	fsLinuxBadge  = 0x11
)

// fsWorld is a machine with blkd, skyaifsd and Linux processes.
type fsWorld struct {
	t     *testing.T
	progs []func(l linuxProg)
	// supervise, if set, runs in init after the Linux processes started, with
	// skyaifsd's task id.
	supervise func(e *user.Env, fsd uint64)
	procs     []*linux.Process
	tree      *linux.FileTree
	m         *usersim.Machine
	mountErr  error
	// files is the read-only tree's contents (none if nil); inMemory keeps /tmp in
	// memory (no UseFileService) to compare with SKYAIFS.
	files    map[string][]byte
	inMemory bool
}

// fsLoader starts the sim programs; "linuxN" become Linux processes with the file
// service init holds at fileSlot.
type fsLoader struct {
	usersim.Loader
	w        *fsWorld
	fileSlot *abi.CPtr // init's capability, made when init runs
}

func (l fsLoader) Load(k *kernel.Kernel, budget *kernel.Untyped, argv []string, spec kernel.TaskSpec) (*kernel.Task, abi.Errno, error) {
	if !strings.HasPrefix(argv[0], "linux") {
		return l.Loader.Load(k, budget, argv, spec)
	}
	spec.CSpaceRadix = abi.ProcessCSpaceRadix
	task, e, err := l.Loader.Load(k, budget, argv, spec)
	if err != nil {
		return task, e, err
	}
	p := linux.NewProcess(argv[0], task.Budget(), l.w.m.Console, func() int64 { return 1_700_000_000e9 })
	p.Attach(k, task.Thread())
	p.SetTree(l.w.tree, "/")
	if e := k.CopyCap(task.Thread(), linux.FileServiceSlot, k.Init(), *l.fileSlot); e != abi.OK {
		l.w.t.Errorf("file service for %s: %v", argv[0], e)
	}
	l.w.procs = append(l.w.procs, p)
	return task, abi.OK, nil
}

func (w *fsWorld) skyaifsd(e *user.Env) {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, fsSlotReply, 1); err != nil {
		panic(err)
	}
	slots := &user.Slots{Next: fsSlotFree, Limit: fsSlotFrames}
	r, err := e.NewRegion(slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace, abi.FrameWindow, 0, 32)
	if err != nil {
		w.mountErr = err
		return
	}
	dev, err := blockproto.Attach(e, fsSlotGrant0, r, abi.InitSlotCSpace, fsSlotScratch)
	if err != nil {
		w.mountErr = err
		return
	}
	f, _, err := fscmd.MountOrFormat(dev, skyfs.Options{})
	if err != nil {
		w.mountErr = err
		return
	}
	s := fileproto.NewServer(e, f, fileproto.Config{Endpoint: fsSlotGrant1, Reply: fsSlotReply, CSpace: abi.InitSlotCSpace,
		AS: abi.InitSlotAddressSpace, Recv: fsSlotRecv, Frames: fsSlotFrames,
		Window: abi.FrameWindow + 0x1000_0000, WindowSize: 0x1000_0000, MaxClients: 2})
	if err := s.AddClient(fsLinuxBadge, f.Root()); err != nil {
		w.mountErr = err
		return
	}
	s.Serve()
}

// run boots the machine and runs it until every task is blocked or done.
func (w *fsWorld) run() {
	t := w.t
	t.Helper()
	dev := block.NewMem(8192)
	progs := map[uint64]usersim.Program{
		fsPCBlkd: func(e *user.Env) {
			if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, fsSlotReply, 1); err != nil {
				panic(err)
			}
			blockproto.NewServer(e, dev, blockproto.Config{Endpoint: fsSlotGrant0, Reply: fsSlotReply, CSpace: abi.InitSlotCSpace,
				AS: abi.InitSlotAddressSpace, Recv: fsSlotRecv, Frames: 64, Window: abi.FrameWindow,
				WindowSize: 0x100_0000, Client: fsBlkdBadge}).Serve()
		},
		fsPCSkyaifsd: w.skyaifsd,
	}
	entries := map[string]uint64{"blkd": fsPCBlkd, "skyaifsd": fsPCSkyaifsd}
	var fileCli abi.CPtr
	for i := range w.progs {
		pc := uint64(fsPCLinux0 + i*0x1000)
		entries[fmt.Sprintf("linux%d", i)] = pc
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: progs, Init: func(e *user.Env) {
		const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
		slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
		take := func() abi.CPtr { c, _ := slots.Take(); return c }
		blkEP, blkRecv, blkCli, fileEP, fileRecv := take(), take(), take(), take(), take()
		fileCli = take()
		e.Retype(ut, abi.ObjEndpoint, 0, cs, blkEP, 1)
		e.Retype(ut, abi.ObjEndpoint, 0, cs, fileEP, 1)
		e.Copy(cs, blkRecv, cs, blkEP, abi.RightRead)
		e.Mint(cs, blkCli, cs, blkEP, abi.RightWrite|abi.RightGrant, fsBlkdBadge)
		e.Copy(cs, fileRecv, cs, fileEP, abi.RightRead)
		e.Mint(cs, fileCli, cs, fileEP, abi.RightWrite|abi.RightGrant, fsLinuxBadge)
		if _, err := e.StartProgram(abi.InitSlotSystem, []string{"blkd"}, 4<<20, 0, 0, blkRecv); err != nil {
			t.Error(err)
			return
		}
		fsd, err := e.StartProgram(abi.InitSlotSystem, []string{"skyaifsd"}, 16<<20, 0, 0, blkCli, fileRecv)
		if err != nil {
			t.Error(err)
			return
		}
		for i := range w.progs {
			if _, err := e.StartProgram(abi.InitSlotSystem, []string{fmt.Sprintf("linux%d", i)}, 8<<20, 0, 0); err != nil {
				t.Error(err)
			}
		}
		if w.supervise != nil {
			w.supervise(e, fsd)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	w.m = m
	for i, prog := range w.progs {
		m.Sim.AddProgram(uint64(fsPCLinux0+i*0x1000), func(p *sim.Port) { prog(linuxProg{p}) })
	}
	w.tree = linux.NewFileTree(w.files)
	if !w.inMemory {
		w.tree.UseFileService(m.RootUntyped())
	}
	m.SetLoader(fsLoader{Loader: usersim.Loader{Entries: entries, MaxMemory: 16 << 20}, w: w, fileSlot: &fileCli})
	m.Run(600_000_000_000)
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if w.mountErr != nil {
		t.Fatal("skyaifsd:", w.mountErr)
	}
}

// mem is a Linux program's scratch memory with helpers for strings and results.
type mem struct {
	l    linuxProg
	base uint64
	log  *[]string
}

func newMem(l linuxProg, log *[]string) *mem {
	base := l.call(unix.SYS_MMAP, 0, 1<<20, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uint64(0), 0)
	return &mem{l: l, base: base, log: log}
}

func (m *mem) str(off uint64, s string) uint64 {
	m.l.p.Store(m.base+off, append([]byte(s), 0))
	return m.base + off
}

func (m *mem) note(what string, r uint64) { *m.log = append(*m.log, what+"="+itoa(int64(r))) }

const atcwd = uint64(0xffffff9c) // AT_FDCWD as the kernel reads an int

// TestSKYAIFSBehindTmp: a Linux process's file system calls in /tmp reach SKYAIFS
// through the file protocol — mkdir, create (O_EXCL), a write of 200 KiB (more than a
// request carries), pread, fstat, O_APPEND, lseek SEEK_END, rename, fsync, getdents64
// in pages, symlink and readlink, ftruncate, unlink, rmdir — while a second process
// works in the same session at once; the files are on the disk skyaifsd mounted.
func TestSKYAIFSBehindTmp(t *testing.T) {
	var log, log2 []string
	data := bytes.Repeat([]byte("0123456789abcdef"), 200<<10/16)
	w := &fsWorld{t: t}
	w.progs = []func(l linuxProg){func(l linuxProg) {
		m := newMem(l, &log)
		m.note("mkdir", l.call(unix.SYS_MKDIRAT, atcwd, m.str(0, "/tmp/d"), 0o700))
		m.note("mkdir again", l.call(unix.SYS_MKDIRAT, atcwd, m.str(0, "/tmp/d"), 0o700))
		fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/d/f"), unix.O_CREAT|unix.O_RDWR|unix.O_EXCL|unix.O_CLOEXEC, 0o600)
		m.note("open", fd)
		l.p.Store(m.base+4096, data)
		m.note("write", l.call(unix.SYS_WRITE, fd, m.base+4096, uint64(len(data))))
		m.note("pread", l.call(unix.SYS_PREAD64, fd, m.base+512<<10, 5, 150_001))
		b := make([]byte, 5)
		l.p.Load(m.base+512<<10, b)
		*m.log = append(*m.log, "read="+string(b))
		m.note("fstat", l.call(unix.SYS_FSTAT, fd, m.base+1024))
		var st [144]byte
		l.p.Load(m.base+1024, st[:])
		m.note("size", binary.LittleEndian.Uint64(st[48:]))
		m.note("mode", uint64(binary.LittleEndian.Uint32(st[24:])))
		m.note("excl", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/d/f"), unix.O_CREAT|unix.O_RDWR|unix.O_EXCL, 0o600))
		m.note("close", l.call(unix.SYS_CLOSE, fd))
		afd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/d/f"), unix.O_WRONLY|unix.O_APPEND, 0)
		l.p.Store(m.base+4096, []byte("END"))
		m.note("append", l.call(unix.SYS_WRITE, afd, m.base+4096, 3))
		m.note("seek end", l.call(unix.SYS_LSEEK, afd, 0, unix.SEEK_END))
		m.note("fsync", l.call(unix.SYS_FSYNC, afd))
		m.note("rename", l.call(unix.SYS_RENAMEAT, atcwd, m.str(0, "/tmp/d/f"), atcwd, m.str(100, "/tmp/d/g")))
		m.note("ftruncate", l.call(unix.SYS_FTRUNCATE, afd, 3))
		m.note("stat g", l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "/tmp/d/g"), m.base+1024, 0))
		l.p.Load(m.base+1024, st[:])
		m.note("size g", binary.LittleEndian.Uint64(st[48:]))
		m.note("stat f", l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "/tmp/d/f"), m.base+1024, 0))
		m.note("symlink", l.call(unix.SYS_SYMLINKAT, m.str(200, "g"), atcwd, m.str(0, "/tmp/d/l")))
		n := l.call(unix.SYS_READLINKAT, atcwd, m.str(0, "/tmp/d/l"), m.base+1024, 100)
		l.p.Load(m.base+1024, b[:1])
		*m.log = append(*m.log, "readlink="+itoa(int64(n))+string(b[:1]))
		m.note("nofollow", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/d/l"), unix.O_RDONLY|unix.O_NOFOLLOW, 0))
		m.note("chmod link nofollow", l.call(unix.SYS_FCHMODAT2, atcwd, m.str(0, "/tmp/d/l"), 0o600, unix.AT_SYMLINK_NOFOLLOW))
		m.note("chmod nofollow", l.call(unix.SYS_FCHMODAT2, atcwd, m.str(0, "/tmp/d/g"), 0o640, unix.AT_SYMLINK_NOFOLLOW))
		m.note("chmod missing", l.call(unix.SYS_FCHMODAT2, atcwd, m.str(0, "/tmp/d/none"), 0o640, unix.AT_SYMLINK_NOFOLLOW))
		m.note("file slash", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/d/g/"), unix.O_RDONLY, 0))
		m.note("file slash dot", l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "/tmp/d/g/."), m.base+1024, 0))
		m.note("dir slash", l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "/tmp/d/"), m.base+1024, 0))
		m.note("lstat link slash", l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "/tmp/d/l/"), m.base+1024, unix.AT_SYMLINK_NOFOLLOW))
		m.note("create slash", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/d/new/"), unix.O_CREAT|unix.O_WRONLY, 0o600))
		m.note("rmdir file slash", l.call(unix.SYS_UNLINKAT, atcwd, m.str(0, "/tmp/d/g/"), unix.AT_REMOVEDIR))
		m.note("readlink link slash", l.call(unix.SYS_READLINKAT, atcwd, m.str(0, "/tmp/d/l/"), m.base+2048, 100))
		m.note("link to slash", l.call(unix.SYS_LINKAT, atcwd, m.str(0, "/tmp/d/g"), atcwd, m.str(100, "/tmp/d/nl/"), 0))
		m.note("link from link slash", l.call(unix.SYS_LINKAT, atcwd, m.str(0, "/tmp/d/l/"), atcwd, m.str(100, "/tmp/d/nl"), 0))
		m.note("symlink to slash", l.call(unix.SYS_SYMLINKAT, m.str(200, "g"), atcwd, m.str(0, "/tmp/d/l/")))
		m.note("mkdir file slash", l.call(unix.SYS_MKDIRAT, atcwd, m.str(0, "/tmp/d/g/"), 0o700))
		m.note("unlink file slash", l.call(unix.SYS_UNLINKAT, atcwd, m.str(0, "/tmp/d/g/"), 0))
		m.note("rename file slash", l.call(unix.SYS_RENAMEAT, atcwd, m.str(0, "/tmp/d/g/"), atcwd, m.str(100, "/tmp/d/g2")))
		for i := range 40 {
			m.note("", l.call(unix.SYS_MKDIRAT, atcwd, m.str(0, fmt.Sprintf("/tmp/d/sub%02d", i)), 0o700)&^0)
		}
		dfd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/d"), unix.O_RDONLY|unix.O_DIRECTORY, 0)
		var names []string
		for {
			n := l.call(unix.SYS_GETDENTS64, dfd, m.base+8192, 256) // a few records a call
			if int64(n) <= 0 {
				m.note("getdents end", n)
				break
			}
			d := make([]byte, n)
			l.p.Load(m.base+8192, d)
			for len(d) > 0 {
				reclen := binary.LittleEndian.Uint16(d[16:])
				names = append(names, strings.TrimRight(string(d[19:reclen]), "\x00"))
				d = d[reclen:]
			}
		}
		*m.log = append(*m.log, fmt.Sprintf("listed=%d first=%s last=%s", len(names), names[0], names[len(names)-1]))
		m.note("rewind", l.call(unix.SYS_LSEEK, dfd, 0, unix.SEEK_SET))
		m.note("again", min(l.call(unix.SYS_GETDENTS64, dfd, m.base+8192, 4096), 1))
		m.note("rmdir busy", l.call(unix.SYS_UNLINKAT, atcwd, m.str(0, "/tmp/d"), unix.AT_REMOVEDIR))
		m.note("unlink relative", l.call(unix.SYS_UNLINKAT, dfd, m.str(0, "g"), 0))
		m.note("unlink dir", l.call(unix.SYS_UNLINKAT, atcwd, m.str(0, "/tmp/d/sub00"), 0))
		m.note("chdir", l.call(unix.SYS_CHDIR, m.str(0, "/tmp/d")))
		m.note("relative stat", l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "sub01"), m.base+1024, 0))
		m.note("missing", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/nope/x"), unix.O_RDONLY, 0))
		m.note("chmod", l.call(unix.SYS_FCHMODAT, atcwd, m.str(0, "sub01"), 0o751))
		l.call(unix.SYS_CLOSE, l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/d/h1"), unix.O_CREAT|unix.O_WRONLY, 0o600))
		m.note("link", l.call(unix.SYS_LINKAT, atcwd, m.str(0, "/tmp/d/h1"), atcwd, m.str(100, "/tmp/d/h2"), 0))
		l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "/tmp/d/h2"), m.base+1024, 0)
		l.p.Load(m.base+1024, st[:])
		m.note("nlink", binary.LittleEndian.Uint64(st[16:]))
		var ts [32]byte
		binary.LittleEndian.PutUint64(ts[8:], unix.UTIME_OMIT)
		binary.LittleEndian.PutUint64(ts[16:], 1_600_000_000)
		binary.LittleEndian.PutUint64(ts[24:], 5)
		l.p.Store(m.base+2048, ts[:])
		m.note("utimensat", l.call(unix.SYS_UTIMENSAT, atcwd, m.str(0, "sub01"), m.base+2048, 0))
		l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "sub01"), m.base+1024, 0)
		l.p.Load(m.base+1024, st[:])
		m.note("mode now", uint64(binary.LittleEndian.Uint32(st[24:])&0o7777))
		m.note("mtime", binary.LittleEndian.Uint64(st[88:])*1e9+binary.LittleEndian.Uint64(st[96:]))
		l.call(unix.SYS_EXIT_GROUP, 0)
	}, func(l linuxProg) {
		m := newMem(l, &log2)
		for i := range 20 {
			fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, fmt.Sprintf("/tmp/p2-%d", i)), unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, 0o644)
			l.p.Store(m.base+4096, []byte(fmt.Sprintf("file %d", i)))
			w := l.call(unix.SYS_WRITE, fd, m.base+4096, uint64(len(fmt.Sprintf("file %d", i))))
			c := l.call(unix.SYS_CLOSE, fd)
			if int64(fd) < 0 || int64(w) <= 0 || c != 0 {
				m.note("fail", fd)
			}
		}
		fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/p2-17"), unix.O_RDONLY, 0)
		n := l.call(unix.SYS_READ, fd, m.base+4096, 100)
		b := make([]byte, max(int64(n), 0))
		l.p.Load(m.base+4096, b)
		log2 = append(log2, "read="+string(b))
		m.note("eof", l.call(unix.SYS_READ, fd, m.base+4096, 100))
		l.call(unix.SYS_EXIT_GROUP, 0)
	}}
	w.run()
	want := "mkdir=0 mkdir again=-17 open=3 write=204800 pread=5 read=12345 fstat=0 size=204800 mode=33152 excl=-17 close=0 " +
		"append=3 seek end=204803 fsync=0 rename=0 ftruncate=0 stat g=0 size g=3 stat f=-2 symlink=0 readlink=1g nofollow=-40 " +
		"chmod link nofollow=-95 chmod nofollow=0 chmod missing=-2 " +
		"file slash=-20 file slash dot=-20 dir slash=0 lstat link slash=-20 create slash=-21 rmdir file slash=-20 readlink link slash=-20 link to slash=-2 link from link slash=-20 symlink to slash=-17 mkdir file slash=-17 unlink file slash=-20 rename file slash=-20 " +
		strings.Repeat("=0 ", 40) + "getdents end=0 listed=42 first=g last=sub39 rewind=0 again=1 rmdir busy=-39 unlink relative=0 " +
		"unlink dir=-21 chdir=0 relative stat=0 missing=-2 chmod=0 link=0 nlink=2 utimensat=0 mode now=489 mtime=1600000000000000005"
	if got := strings.Join(log, " "); got != want {
		t.Fatalf("got  %s\nwant %s\nconsole:\n%s", got, want, w.m.Console)
	}
	if got := strings.Join(log2, " "); got != "read=file 17 eof=0" {
		t.Fatalf("second process: %s", got)
	}
	for _, p := range w.procs {
		if done, st := p.Exited(); !done || st != 0 {
			t.Fatalf("a process did not exit cleanly: %v %d", done, st)
		}
	}
	if w.tree.FileCalls() < 100 {
		t.Fatalf("only %d file requests reached the server", w.tree.FileCalls())
	}
}

// TestSKYAIFSServerGone: a Linux process whose file server is killed gets EIO from
// its file calls, not a hung thread: a request under way when the server dies ends
// with the server's Reply object, and once the supervisor revokes the dead server's
// endpoint, new requests fail at once.
func TestSKYAIFSServerGone(t *testing.T) {
	var log []string
	var ready bool
	w := &fsWorld{t: t}
	w.progs = []func(l linuxProg){func(l linuxProg) {
		m := newMem(l, &log)
		m.note("mkdir", l.call(unix.SYS_MKDIRAT, atcwd, m.str(0, "/tmp/x"), 0o700))
		ready = true
		var ts [16]byte
		binary.LittleEndian.PutUint64(ts[8:], 50_000_000) // 50 ms: init kills skyaifsd meanwhile
		l.p.Store(m.base+512, ts[:])
		l.call(unix.SYS_NANOSLEEP, m.base+512, 0)
		m.note("after", l.call(unix.SYS_MKDIRAT, atcwd, m.str(0, "/tmp/y"), 0o700))
		m.note("open", l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/x"), unix.O_RDONLY, 0))
		l.call(unix.SYS_EXIT_GROUP, 0)
	}}
	w.supervise = func(e *user.Env, fsd uint64) {
		for !ready {
			e.Compute(1_000_000)
			e.Yield()
		}
		if err := e.Kill(abi.InitSlotSystem, fsd); err != nil {
			t.Error(err)
		}
		// The endpoint's original is in init's slot InitFirstFree+3 (fsWorld.run).
		if err := e.Revoke(abi.InitSlotCSpace, abi.InitFirstFree+3); err != nil {
			t.Error(err)
		}
	}
	w.run()
	if got := strings.Join(log, " "); got != "mkdir=0 after=-5 open=-5" {
		t.Fatalf("got %s", got)
	}
}

// TestSKYAIFSKilledMidRequest: a process killed while its file requests keep the
// session busy (a stream of 1 MiB writes, eight requests each) leaves the session to the others: the
// second process's calls, queued behind the killed one's, complete, after the fence
// that waits out the abandoned request.
func TestSKYAIFSKilledMidRequest(t *testing.T) {
	var log []string
	var writes int
	var started, killed bool
	w := &fsWorld{t: t}
	w.progs = []func(l linuxProg){func(l linuxProg) {
		m := newMem(l, &log)
		fd := l.call(unix.SYS_OPENAT, atcwd, m.str(0, "/tmp/stream"), unix.O_CREAT|unix.O_WRONLY, 0o600)
		started = true
		for {
			writes++ // counted as it starts: the kill comes in the middle of one
			// 1 MiB: eight requests in a row, the session busy with this thread all along
			l.call(unix.SYS_PWRITE64, fd, m.base, 1<<20, 0)
		}
	}, func(l linuxProg) {
		m := newMem(l, &log)
		var ts [16]byte
		binary.LittleEndian.PutUint64(ts[8:], 1_000_000)
		l.p.Store(m.base+512, ts[:])
		for !killed { // the calls come after the kill
			l.call(unix.SYS_NANOSLEEP, m.base+512, 0)
		}
		for i := range 30 {
			r := l.call(unix.SYS_MKDIRAT, atcwd, m.str(0, fmt.Sprintf("/tmp/m%d", i)), 0o700)
			if r != 0 {
				m.note("mkdir", r)
			}
		}
		m.note("stat", l.call(unix.SYS_NEWFSTATAT, atcwd, m.str(0, "/tmp/m29"), m.base+1024, 0))
		l.call(unix.SYS_EXIT_GROUP, 0)
	}}
	w.supervise = func(e *user.Env, fsd uint64) {
		for !started {
			e.Compute(1_000_000)
			e.Yield()
		}
		e.Compute(5_000_000)
		// The first Linux process is task fsd+1 (init starts them in order).
		if err := e.Kill(abi.InitSlotSystem, fsd+1); err != nil {
			t.Error(err)
		}
		killed = true
	}
	w.run()
	if got := strings.Join(log, " "); got != "stat=0" || writes == 0 {
		t.Fatalf("got %q after %d writes begun by the killed process", got, writes)
	}
	if done, _ := w.procs[0].Exited(); !done {
		t.Fatal("the killed process did not end")
	}
}
