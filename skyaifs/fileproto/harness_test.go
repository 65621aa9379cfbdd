package fileproto

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"github.com/skyscope-os/skyscope/skyaifs/block"
	"github.com/skyscope-os/skyscope/skyaifs/blockproto"
	skyfs "github.com/skyscope-os/skyscope/skyaifs/fs"
	"golang.org/x/sys/unix"
)

// The hosted-simulation harness: a block server task ("blkd") serves a device of the
// test's; the filesystem task ("skyaifsd") attaches to it with a blockproto.Client,
// mounts SKYAIFS on that client and serves the file protocol; client tasks attach to
// skyaifsd. Every task is written against user.Env only, as on the machine.

const (
	pcBlkd = 0xa0_0000 + iota*0x1000
	pcSkyaifsd
	pcTicker
	pcClient0 // client i at pcClient0 + i*0x1000
)

// Slots in every task the harness starts (grants arrive at InitFirstFree, +1).
const (
	slotGrant0   = abi.InitFirstFree
	slotGrant1   = abi.InitFirstFree + 1
	slotReply    = 16
	slotRecv     = 17
	slotScratch  = 18
	slotFree     = 20  // first slot a task's own Slots allocator hands out
	slotBlkFrame = 64  // blkd: the block buffer's frames
	slotFSFrames = 100 // skyaifsd: clients' buffer frames, MaxClients×MaxBufferPages
	blkdBadge    = 0xb1
	blockPages   = 32
	maxClients   = 3
	slotReplies  = 90 // skyaifsd: Reply objects for lock waiters
	maxWaiters   = 4
	superBadge   = 0x5e
	coordBadge   = 0xc0 // the two-phase coordinator's badge
	adminBadge   = 0xad // the client that may register views
	timerBadge   = 0x71 // the ticker's wake-ups
	slotCharges  = 200  // skyaifsd: views' Container capabilities, maxClients
	tickIRQ      = 20   // the ticker's timer line
)

// clientSpec is a client task: its badge on the file endpoint and its program.
type clientSpec struct {
	badge abi.Badge
	run   func(e *user.Env)
}

// world is one simulated machine's configuration.
type world struct {
	dev block.Device
	// setup adds the clients to the server (after mount) with their namespaces.
	setup   func(f *skyfs.FS, s *Server) error
	clients []clientSpec
	// supervise, if set, runs in init after every task started, with the file
	// server's task id (to kill it).
	supervise func(e *user.Env, fsd uint64)
	// local, if set, runs in skyaifsd on the mounted filesystem instead of the file
	// server: the filesystem over the block protocol, without the file protocol.
	local func(f *skyfs.FS)
	// mountErr receives skyaifsd's mount error, if any.
	mountErr error
	// Set by run before supervise: the client tasks' ids, a notification the kernel
	// signals with bit i when client i ends, and a file endpoint capability with the
	// supervisor's badge (in init's capability space).
	clientIDs []uint64
	ended     abi.CPtr
	super     abi.CPtr
	fileEP    abi.CPtr // the file endpoint itself (all rights), to mint more clients
	// keys, if set, is the mounted filesystem's key provider.
	keys skyfs.KeyProvider
	// fsOpts are the options skyaifsd mounts with (besides keys).
	fsOpts skyfs.Options
	// charges, if set, makes skyaifsd charge views' I/O to their containers, with a
	// ticker task (a timer interrupt's) sending its wake-ups.
	charges bool
	m       *usersim.Machine
	server  *Server
	// prepare, if set, runs first in init (before any task starts), as the creator
	// of the clients would: e.g. making a container and asking the kernel its ids.
	prepare func(e *user.Env, slots *user.Slots) error
}

func blkd(dev block.Device) usersim.Program {
	return func(e *user.Env) {
		if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReply, 1); err != nil {
			panic(err)
		}
		blockproto.NewServer(e, dev, blockproto.Config{Endpoint: slotGrant0, Reply: slotReply, CSpace: abi.InitSlotCSpace,
			AS: abi.InitSlotAddressSpace, Recv: slotRecv, Frames: slotBlkFrame, Window: abi.FrameWindow,
			WindowSize: 0x100_0000, Client: blkdBadge}).Serve()
	}
}

// region makes a buffer of pages in the calling task at va.
func region(e *user.Env, slots *user.Slots, va, pages uint64) (*user.Region, error) {
	return e.NewRegion(slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace, va, 0, pages)
}

func (w *world) skyaifsd(e *user.Env) {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReply, 1); err != nil {
		panic(err)
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReplies, maxWaiters); err != nil {
		panic(err)
	}
	slots := &user.Slots{Next: slotFree, Limit: slotReplies}
	r, err := region(e, slots, abi.FrameWindow, blockPages)
	if err != nil {
		w.mountErr = err
		return
	}
	dev, err := blockproto.Attach(e, slotGrant0, r, abi.InitSlotCSpace, slotScratch)
	if err != nil {
		w.mountErr = err
		return
	}
	opts := w.fsOpts
	opts.Keys = w.keys
	f, err := skyfs.Mount(dev, opts)
	if err != nil {
		w.mountErr = err
		return
	}
	if w.local != nil {
		w.local(f)
		return
	}
	c := Config{Endpoint: slotGrant1, Reply: slotReply, CSpace: abi.InitSlotCSpace,
		AS: abi.InitSlotAddressSpace, Recv: slotRecv, Frames: slotFSFrames,
		Window: abi.FrameWindow + 0x1000_0000, WindowSize: 0x1000_0000, MaxClients: maxClients,
		Replies: slotReplies, MaxWaiters: maxWaiters, Supervisor: superBadge, Coordinator: coordBadge, Admin: adminBadge}
	if w.charges {
		c.Charges, c.MaxCharged, c.Timer = slotCharges, maxClients, timerBadge
		c.Now = func() uint64 { return uint64(w.m.Now()) }
		c.Wake = func(ns uint64) { w.m.Sim.RaiseIRQ(tickIRQ, w.m.Now()+hal.Time(ns)) }
	}
	s := NewServer(e, f, c)
	w.server = s
	if err := w.setup(f, s); err != nil {
		w.mountErr = err
		return
	}
	s.Serve()
}

// ticker sends the file server a request with the timer badge (its first grant)
// whenever its timer line (second grant; the line's notification third) fires: the
// server's wake-ups (Config.Wake).
func ticker(e *user.Env) {
	const tick, irq, ntfn = abi.InitFirstFree, abi.InitFirstFree + 1, abi.InitFirstFree + 2
	for {
		if _, err := e.Wait(ntfn); err != nil {
			return
		}
		e.IRQAck(irq)
		e.Call(tick, abi.NewMsgInfo(LabelStatfs, 0, 0))
	}
}

// attach makes a client's buffer of pages and attaches it to the file server.
func attach(e *user.Env, pages uint64) (*Client, error) {
	slots := &user.Slots{Next: slotFree, Limit: 256}
	r, err := region(e, slots, abi.FrameWindow, pages)
	if err != nil {
		return nil, err
	}
	return Attach(e, slotGrant0, r, abi.InitSlotCSpace, slotScratch)
}

// run boots the machine and runs it until every task is blocked or done.
func (w *world) run(t testing.TB) {
	t.Helper()
	progs := map[uint64]usersim.Program{pcBlkd: blkd(w.dev), pcSkyaifsd: w.skyaifsd, pcTicker: ticker}
	entries := map[string]uint64{"blkd": pcBlkd, "skyaifsd": pcSkyaifsd, "ticker": pcTicker}
	for i, c := range w.clients {
		pc := uint64(pcClient0 + i*0x1000)
		progs[pc] = c.run
		entries[fmt.Sprintf("client%d", i)] = pc
	}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Programs: progs, Init: func(e *user.Env) {
		const cs, ut = abi.InitSlotCSpace, abi.InitSlotUntyped
		slots := &user.Slots{Next: abi.InitFirstFree, Limit: 4096}
		take := func() abi.CPtr { c, _ := slots.Take(); return c }
		if w.prepare != nil {
			if err := w.prepare(e, slots); err != nil {
				t.Error(err)
				return
			}
		}
		blkEP, blkRecv, blkCli, fileEP, fileRecv := take(), take(), take(), take(), take()
		e.Retype(ut, abi.ObjEndpoint, 0, cs, blkEP, 1)
		e.Retype(ut, abi.ObjEndpoint, 0, cs, fileEP, 1)
		e.Copy(cs, blkRecv, cs, blkEP, abi.RightRead)
		e.Mint(cs, blkCli, cs, blkEP, abi.RightWrite|abi.RightGrant, blkdBadge)
		e.Copy(cs, fileRecv, cs, fileEP, abi.RightRead)
		if _, err := e.StartProgram(abi.InitSlotSystem, []string{"blkd"}, 4<<20, 0, 0, blkRecv); err != nil {
			t.Error(err)
			return
		}
		fsd, err := e.StartProgram(abi.InitSlotSystem, []string{"skyaifsd"}, 8<<20, 0, 0, blkCli, fileRecv)
		if err != nil {
			t.Error(err)
			return
		}
		if w.charges {
			// The ticker: the timer line's handler, its notification, and the file
			// endpoint with the timer badge.
			irq, ntfn, bound, tick, space := take(), take(), take(), take(), take()
			steps := []error{e.Retype(ut, abi.ObjNotification, 0, cs, ntfn, 1), e.Retype(ut, abi.ObjCSpace, 4, cs, space, 1),
				e.IRQHandler(abi.InitSlotIRQControl, tickIRQ, cs, irq), e.Mint(cs, bound, cs, ntfn, abi.RightWrite, 1),
				e.IRQSetNotification(irq, bound), e.Mint(cs, tick, cs, fileEP, abi.RightWrite, timerBadge),
				e.Copy(space, 1, cs, irq, abi.AllRights), e.Copy(space, 2, cs, ntfn, abi.RightRead)}
			for _, err := range steps {
				if err != nil {
					t.Error("ticker:", err)
					return
				}
			}
			if _, err := e.StartProgramWith(abi.InitSlotSystem, []string{"ticker"}, 1<<20, 0, 0, tick, space); err != nil {
				t.Error(err)
				return
			}
		}
		w.ended, w.super, w.fileEP = take(), take(), fileEP
		e.Retype(ut, abi.ObjNotification, 0, cs, w.ended, 1)
		e.Mint(cs, w.super, cs, fileEP, abi.RightWrite, superBadge)
		for i, c := range w.clients {
			cp, notify := take(), take()
			e.Mint(cs, cp, cs, fileEP, abi.RightWrite|abi.RightGrant, c.badge)
			e.Mint(cs, notify, cs, w.ended, abi.RightWrite, abi.Badge(1)<<i)
			id, err := e.StartProgram(abi.InitSlotSystem, []string{fmt.Sprintf("client%d", i)}, 4<<20, 0, notify, cp)
			if err != nil {
				t.Error(err)
			}
			w.clientIDs = append(w.clientIDs, id)
		}
		if w.supervise != nil {
			w.supervise(e, fsd)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	w.m = m
	m.SetLoader(usersim.Loader{Entries: entries, MaxMemory: 8 << 20})
	m.Run(600_000_000_000)
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if w.mountErr != nil {
		t.Fatal("skyaifsd:", w.mountErr)
	}
}

// api is what the workloads use: the file protocol's client and the filesystem
// called directly both provide it (direct adapts *fs.FS).
type api interface {
	Open(path string, flags int, perm uint32) (file, error)
	Stat(path string) (skyfs.Stat, error)
	Lstat(path string) (skyfs.Stat, error)
	ReadDir(path string) ([]skyfs.DirEntry, error)
	Mkdir(path string, perm uint32) error
	Remove(path string) error
	Rename(oldpath, newpath string) error
	Truncate(path string, size int64) error
	Symlink(target, path string) error
	Readlink(path string) (string, error)
	Statfs() (skyfs.Statfs, error)
	Sync() error
}

type file interface {
	ReadAt(b []byte, off int64) (int, error)
	WriteAt(b []byte, off int64) (int, error)
	Stat() (skyfs.Stat, error)
	Sync() error
	Truncate(size int64) error
	Close() error
}

// remote adapts *Client to api.
type remote struct{ *Client }

func (r remote) Open(path string, flags int, perm uint32) (file, error) {
	f, err := r.Client.Open(path, flags, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// direct adapts a Namespace of a filesystem (whose Statfs and Sync it uses) to api.
type direct struct {
	Namespace
	fs *skyfs.FS
}

func (d direct) Open(path string, flags int, perm uint32) (file, error) {
	f, err := d.OpenFile(path, flags, perm)
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (d direct) ReadDir(path string) ([]skyfs.DirEntry, error) { return d.Readdir(path) }

func (d direct) Remove(path string) error {
	err := d.Unlink(path)
	if errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EPERM) {
		err = d.Rmdir(path)
	}
	return err
}

func (d direct) Statfs() (skyfs.Statfs, error) { return d.fs.Statfs() }
func (d direct) Sync() error                   { return d.fs.Sync() }

// outcome names an error by its errno (or io.EOF), which is what the two sides must
// agree on; the messages differ in wording.
func outcome(err error) string {
	var en unix.Errno
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &en):
		return en.Error()
	case errors.Is(err, io.EOF):
		return "EOF"
	}
	return "other: " + err.Error()
}
