// Command skyaifsd is the filesystem task: it reaches the disk through blkd over the
// block protocol (skyaifs/blockproto), mounts SKYAIFS on it (formatting an empty
// disk), and serves files to client tasks over the file protocol (skyaifs/fileproto).
//
// Slots it is started with: abi.InitFirstFree, blkd's endpoint (Write and Grant,
// minted with the badge blkd serves); abi.InitFirstFree+1, the file endpoint (Read).
// Flags: -client BADGE[=DIR], repeatable: a client's badge on the file endpoint and
// the directory it sees as its root (default "/"; a confined fs.Dir, so nothing
// outside it can be named). -supervisor BADGE: the badge whose holder (the task that
// starts the clients and gets their end notifications) may tell skyaifsd that a
// client's task ended, releasing its locks. -vault: slot abi.InitFirstFree+2 holds a
// capability to the storage vault, badged to derive from its secret 0: the filesystem's
// key-encryption keys come from there (skyaifs/vaultkeys). -admin BADGE: the client
// that may register containers' views (fileproto.Client.AddView). -coordinator
// BADGE: the client that may run two-phase transactions (fileproto.Tx). -memory
// BYTES: skyaifsd's memory budget, from which it bounds what SKYAIFS keeps in memory
// (an eighth for file data written since the last commit, an eighth for cached
// metadata) and sets the Go runtime's soft memory limit (half of it), so a client that
// writes without ever calling fsync cannot run skyaifsd out of memory. -dirty-limit
// BYTES and -cache-limit BYTES set the two bounds themselves. Given its endpoint with
// Write, skyaifsd charges containers' views' reads and writes to the containers' I/O
// limits (ctr run --io-bytes, --io-ops), holding over-limit requests while it serves
// others.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/skyscope-os/skyscope/hal/amd64/usercall"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/skyaifs/blockproto"
	"github.com/skyscope-os/skyscope/skyaifs/fileproto"
	"github.com/skyscope-os/skyscope/skyaifs/fs"
	"github.com/skyscope-os/skyscope/skyaifs/fscmd"
	"github.com/skyscope-os/skyscope/skyaifs/vaultkeys"
	"golang.org/x/sys/unix"
)

// Slots of skyaifsd's capability space (256 slots).
const (
	slotBlock   = abi.InitFirstFree
	slotFiles   = abi.InitFirstFree + 1
	slotVault   = abi.InitFirstFree + 2
	slotReply   = abi.CPtr(16)
	slotRecv    = abi.CPtr(17)
	slotScratch = abi.CPtr(18)
	slotFree    = abi.CPtr(20)  // the block buffer's capability space and frames
	slotReplies = abi.CPtr(90)  // Reply objects parked with lock waiters, maxWaiters
	slotClients = abi.CPtr(100) // clients' buffer frames, maxClients×fileproto.MaxBufferPages
	slotCharges = abi.CPtr(240) // views' Container capabilities, maxClients
	slotTimer   = abi.CPtr(244) // its own endpoint with timerBadge: the wake-ups
	maxClients  = 4
	maxWaiters  = 8
	blockPages  = 64 // 256 KiB: one request moves up to 64 blocks
)

// timerBadge is the badge of skyaifsd's wake-ups to itself (fileproto.Config.Timer):
// not a client's (clients' badges are small numbers and the shell's views 0x100 + n).
const timerBadge = 0x7157_0000

// The block buffer at the frame window's start; clients' buffers after it.
const (
	blockWindow  = abi.FrameWindow
	clientWindow = abi.FrameWindow + 0x1000_0000
)

// fail reports why the filesystem cannot be served and answers every request with
// EIO, so that clients learn it instead of waiting.
func fail(format string, args ...any) {
	fmt.Printf("skyaifsd: "+format+"\n", args...)
	fileproto.ServeFailed(usercall.Env(), slotFiles, slotReply, unix.EIO)
	os.Exit(1)
}

// chargeViews sets c up to charge views' reads and writes to their containers' I/O
// limits, if skyaifsd may call its own endpoint (the starter granted it Write): it
// mints itself a capability with timerBadge, and each wake-up the server asks for is
// a goroutine (a thread of its own, with its own kernel interface) that sleeps and
// then calls the endpoint with it. Without Write, views' I/O is not charged.
func chargeViews(e *user.Env, c *fileproto.Config) {
	info, err := e.Inspect(abi.InitSlotCSpace, slotFiles)
	if err != nil || !info.Rights.Has(abi.RightWrite) {
		fmt.Println("skyaifsd: views' I/O is not charged to their containers (the file endpoint was granted without Write)")
		return
	}
	if err := e.Mint(abi.InitSlotCSpace, slotTimer, abi.InitSlotCSpace, slotFiles, abi.RightWrite, timerBadge); err != nil {
		fmt.Printf("skyaifsd: views' I/O is not charged: the timer capability: %v\n", err)
		return
	}
	start := time.Now()
	c.Charges, c.MaxCharged, c.Timer = slotCharges, maxClients, timerBadge
	c.Now = func() uint64 { return uint64(time.Since(start)) }
	c.Wake = func(ns uint64) {
		go func(t *user.Env) {
			time.Sleep(time.Duration(ns))
			t.Call(slotTimer, abi.NewMsgInfo(fileproto.LabelStatfs, 0, 0))
		}(usercall.Env())
	}
}

// limits returns the filesystem options bounding its memory: explicit limits win,
// else each is an eighth of the budget (0: fs's defaults). An eighth leaves room for
// the garbage of the last commit, the Go runtime, the binary and the buffers.
func limits(memory, dirty, cache uint64) fs.Options {
	var o fs.Options
	o.DirtyLimit, o.CacheLimit = dirty, cache
	if o.DirtyLimit == 0 {
		o.DirtyLimit = memory / 8
	}
	if o.CacheLimit == 0 {
		o.CacheLimit = memory / 8
	}
	return o
}

// clientFlags collects -client BADGE[=DIR].
type clientFlags []struct {
	badge abi.Badge
	dir   string
}

// String implements flag.Value.
func (c *clientFlags) String() string { return fmt.Sprint(*c) }

// Set implements flag.Value: one -client BADGE[=DIR].
func (c *clientFlags) Set(s string) error {
	b, dir, ok := strings.Cut(s, "=")
	if !ok {
		dir = "/"
	}
	n, err := strconv.ParseUint(b, 0, 64)
	if err != nil || n == 0 {
		return fmt.Errorf("badge %q: a number other than 0", b)
	}
	*c = append(*c, struct {
		badge abi.Badge
		dir   string
	}{abi.Badge(n), dir})
	return nil
}

func main() {
	var clients clientFlags
	flag.Var(&clients, "client", "BADGE[=DIR]: a client and the directory it sees as / (repeatable)")
	supervisor := flag.Uint64("supervisor", 0, "the badge that may report a client's end (0: none)")
	admin := flag.Uint64("admin", 0, "the client badge that may register containers' views (0: none)")
	coordinator := flag.Uint64("coordinator", 0, "the client badge that may run two-phase transactions (0: none)")
	memory := flag.Uint64("memory", 0, "the task's memory budget in bytes (0: unknown; SKYAIFS's defaults, 16 MiB of uncommitted data)")
	dirtyLimit := flag.Uint64("dirty-limit", 0, "commit when this many bytes of file data are uncommitted (0: an eighth of -memory)")
	cacheLimit := flag.Uint64("cache-limit", 0, "cache at most this many bytes of metadata (0: an eighth of -memory)")
	useVault := flag.Bool("vault", false, "take key-encryption keys from the storage vault (its capability at the third granted slot)")
	flag.Parse()
	if len(clients) == 0 || len(clients) > maxClients {
		fail("1 to %d -client flags are needed", maxClients)
	}
	e := usercall.Env()
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReply, 1); err != nil {
		fail("reply object: %v", err)
	}
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, slotReplies, maxWaiters); err != nil {
		fail("reply objects for lock waiters: %v", err)
	}
	slots := &user.Slots{Next: slotFree, Limit: slotReplies}
	r, err := e.NewRegion(slots, abi.InitSlotUntyped, abi.InitSlotCSpace, abi.InitSlotAddressSpace, blockWindow, 0, blockPages)
	if err != nil {
		fail("block buffer: %v", err)
	}
	dev, err := blockproto.Attach(e, slotBlock, r, abi.InitSlotCSpace, slotScratch)
	if err != nil {
		fail("attaching to blkd: %v", err)
	}
	opts := limits(*memory, *dirtyLimit, *cacheLimit)
	if *memory != 0 {
		// The collector keeps the heap well inside the budget: garbage of committed
		// transactions (their data blocks) is collected before the heap doubles.
		debug.SetMemoryLimit(int64(*memory / 2))
	}
	if *useVault {
		opts.Keys = &vaultkeys.Provider{E: e, EP: slotVault}
	}
	f, formatted, err := fscmd.MountOrFormat(dev, opts)
	if err != nil {
		fail("mount: %v", err)
	}
	if formatted {
		fmt.Printf("skyaifsd: the disk was empty; made a filesystem of %d blocks\n", dev.Blocks())
	}
	c := fileproto.Config{Endpoint: slotFiles, Reply: slotReply,
		CSpace: abi.InitSlotCSpace, AS: abi.InitSlotAddressSpace, Recv: slotRecv, Frames: slotClients,
		Window: clientWindow, WindowSize: abi.FrameWindow + abi.FrameWindowSize - clientWindow, MaxClients: maxClients,
		Replies: slotReplies, MaxWaiters: maxWaiters, Supervisor: abi.Badge(*supervisor), Admin: abi.Badge(*admin), Coordinator: abi.Badge(*coordinator)}
	chargeViews(e, &c)
	s := fileproto.NewServer(e, f, c)
	for _, c := range clients {
		d, err := f.Sub(c.dir)
		if err != nil {
			fail("client %#x: %v", c.badge, err)
		}
		if err := s.AddClient(c.badge, d); err != nil {
			fail("%v", err)
		}
	}
	fmt.Printf("skyaifsd: serving %d client(s)\n", len(clients))
	s.Serve()
}
