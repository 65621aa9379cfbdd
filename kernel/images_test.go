package kernel_test

import (
	"crypto/sha3"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const (
	imgVA    = 0x4000_0000 // where init keeps the image bytes it puts
	ctrImgPC = 0x74_0000   // inside a container: tries the image methods on its System
)

// putBytes maps a fresh frame at imgVA and writes b there (b fits a page).
func putBytes(e *user.Env, slots *user.Slots, b []byte) {
	f := retype(e, slots, abi.ObjFrame, 0)
	if err := e.Map(f, as, imgVA, user.PermRead|user.PermWrite); err != nil {
		panic(err)
	}
	e.Store(imgVA, b)
}

// TestImageCache: an image put under its digest is listed and starts tasks; one put
// under another digest is refused and nothing is cached; an unknown digest starts
// nothing; the least recently used unpinned image is evicted for a new one, a pinned
// one never, and a put that cannot fit changes nothing. A container's System may
// start cached images but not put, list or count them.
func TestImageCache(t *testing.T) {
	var (
		mu     sync.Mutex
		ctrErr []error
	)
	sleeper := []byte("sleeper")
	exit := []byte("exit")
	wild := []byte("wild")
	dSleeper, dExit, dWild := user.Digest(sha3.Sum512(sleeper)), user.Digest(sha3.Sum512(exit)), user.Digest(sha3.Sum512(wild))
	programs := systemPrograms()
	programs[ctrImgPC] = func(e *user.Env) {
		s := abi.ContainerSlotSystem
		err1 := e.PutImage(s, imgVA, 4, dExit, "exit", false, false, imgVA+0x200, 11)
		_, err2 := e.Images(s)
		_, err3 := e.ImageStats(s)
		_, err4 := e.StartImage(s, dWild, []string{"wild-in-ctr"}, 0, 0, 0)
		mu.Lock()
		ctrErr = append(ctrErr, err1, err2, err3, err4)
		mu.Unlock()
	}
	m, err := usersim.Boot(usersim.Config{Programs: programs,
		// Room for two of the three images: the third evicts one. An image's
		// "signature" here is "signed:" and its bytes.
		Kernel: kernel.Config{Quiet: true, ImageCacheBytes: 12, VerifyImage: func(img, sig []byte) error {
			if string(sig) != "signed:"+string(img) {
				return errors.New("signature does not verify")
			}
			return nil
		}},
		Init: func(e *user.Env) {
			slots := initSlots()
			ntfn := retype(e, slots, abi.ObjNotification, 0)
			putBytes(e, slots, append(append(append([]byte{}, sleeper...), exit...), wild...))
			vaSleeper, vaExit, vaWild := uint64(imgVA), uint64(imgVA+7), uint64(imgVA+11)
			sigs := []struct {
				va   uint64
				text string
			}{{imgVA + 0x100, "signed:sleeper"}, {imgVA + 0x200, "signed:exit"}, {imgVA + 0x300, "signed:wild"}}
			for _, s := range sigs {
				e.Store(s.va, []byte(s.text))
			}
			sigSleeper, sigExit, sigWild := [2]uint64{imgVA + 0x100, 14}, [2]uint64{imgVA + 0x200, 11}, [2]uint64{imgVA + 0x300, 11}
			put := func(va, n uint64, d user.Digest, name string, sharable, pinned bool, sig [2]uint64) error {
				return e.PutImage(sys, va, n, d, name, sharable, pinned, sig[0], sig[1])
			}

			if err := put(vaSleeper, 7, dExit, "sleeper", false, false, sigSleeper); !errors.Is(err, abi.ErrInvalidArg) {
				t.Errorf("put under the wrong digest: %v, want ErrInvalidArg", err)
			}
			if err := put(vaSleeper, 7, dSleeper, "sleeper", false, false, sigExit); !errors.Is(err, abi.ErrNoRights) {
				t.Errorf("put with another image's signature: %v, want ErrNoRights", err)
			}
			if imgs, _ := e.Images(sys); len(imgs) != 0 {
				t.Errorf("a refused put cached %+v", imgs)
			}
			for _, bad := range []struct {
				va, n uint64
				name  string
			}{{vaSleeper, 0, "x"}, {0x7000_0000, 7, "x"}, {vaSleeper, abi.MaxImageBytes + 1, "x"}} {
				if err := put(bad.va, bad.n, dSleeper, bad.name, false, false, sigSleeper); err == nil {
					t.Errorf("put %+v accepted", bad)
				}
			}
			if err := put(vaSleeper, 7, dSleeper, "sleeper", false, true, sigSleeper); err != nil {
				t.Fatalf("put sleeper: %v", err)
			}
			if _, err := e.StartImage(sys, dExit, []string{"exit"}, 0, 0, 0); !errors.Is(err, abi.ErrNotFound) {
				t.Errorf("start of an image not cached: %v, want ErrNotFound", err)
			}
			id, err := e.StartImage(sys, dSleeper, []string{"sl", "-v"}, 1<<20, 0, ntfn, ntfn)
			if err != nil {
				t.Fatalf("start sleeper image: %v", err)
			}
			info, err := e.TaskInfo(sys, id)
			if err != nil || info.ID != id || info.Name != "sl" {
				t.Errorf("task from the image: %+v, %v", info, err)
			}
			must(t, put(vaExit, 4, dExit, "exit", false, false, sigExit))
			// The cache is full (11 of 12 bytes); wild needs 4: exit, the only
			// unpinned image, goes.
			must(t, put(vaWild, 4, dWild, "wild", true, false, sigWild))
			imgs, err := e.Images(sys)
			must(t, err)
			names := map[string]user.ImageInfo{}
			for _, i := range imgs {
				names[i.Name] = i
			}
			if len(imgs) != 2 || names["sleeper"].Spawns != 1 || !names["sleeper"].Pinned || !names["wild"].Sharable || names["wild"].Size != 4 {
				t.Errorf("images after eviction: %+v", imgs)
			}
			// Pin wild too; nothing can make room for exit now.
			must(t, put(vaWild, 4, dWild, "wild", true, true, sigWild))
			if err := put(vaExit, 4, dExit, "exit", false, false, sigExit); !errors.Is(err, abi.ErrNoMemory) {
				t.Errorf("put with every image pinned: %v, want ErrNoMemory", err)
			}
			st, err := e.ImageStats(sys)
			must(t, err)
			if st != (user.ImageCacheStats{Bytes: 11, Limit: 12, Images: 2, Hits: 1, Misses: 1, Evictions: 1}) {
				t.Errorf("stats %+v", st)
			}
			// Unpin wild so that a container's task may start from it.
			must(t, put(vaWild, 4, dWild, "wild", true, false, sigWild))
			c := retype(e, slots, abi.ObjNotification, 0) // a free slot for the container
			must(t, e.Delete(cs, c))
			if _, err := e.CreateContainer(sys, "img", lim(1<<20, 4), c); err != nil {
				t.Fatal(err)
			}
			if _, err := e.StartInContainer(c, []string{"ctr-img"}, 0, 0, abi.AllRights, 0); err != nil {
				t.Fatal(err)
			}
			// The container's System, given to a task outside (ContainerSystem), starts
			// a cached image inside the container, with its budget and pid namespace.
			csys, _ := slots.Take()
			if err := e.ContainerSystem(c, abi.AllRights, cs, csys); !errors.Is(err, abi.ErrInvalidArg) {
				t.Errorf("ContainerSystem with Grant rights: %v, want ErrInvalidArg", err)
			}
			ro, _ := slots.Take()
			must(t, e.Copy(cs, ro, cs, c, abi.RightRead))
			if err := e.ContainerSystem(ro, abi.RightRead, cs, csys); !errors.Is(err, abi.ErrNoRights) {
				t.Errorf("ContainerSystem through a read-only Container capability: %v, want ErrNoRights", err)
			}
			must(t, e.ContainerSystem(c, abi.RightRead|abi.RightWrite, cs, csys))
			if err := e.ContainerSystem(c, abi.RightRead, cs, csys); !errors.Is(err, abi.ErrSlotFull) {
				t.Errorf("ContainerSystem into a full slot: %v, want ErrSlotFull", err)
			}
			pid, err := e.StartImage(csys, dWild, []string{"wild-outside-in"}, 0, 0, 0)
			if err != nil {
				t.Fatalf("starting a cached image through the container's System: %v", err)
			}
			if pid != 2 {
				t.Errorf("the image's task has pid %d in the container, want 2", pid)
			}
			if ts, err := e.ContainerTasks(c); err != nil || len(ts) != 2 {
				t.Errorf("container tasks %+v (%v), want the two started", ts, err)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: map[string]uint64{"sleeper": sleeperPC, "exit": exitPC, "wild": wildPC, "ctr-img": ctrImgPC}})
	w := &world{Machine: m, t: t}
	w.run()
	mu.Lock()
	defer mu.Unlock()
	if len(ctrErr) != 4 {
		t.Fatalf("the container's task reported %v", ctrErr)
	}
	for i, want := range []abi.Errno{abi.ErrNoRights, abi.ErrNoRights, abi.ErrNoRights, abi.OK} {
		if got := errnoOf(ctrErr[i]); got != want {
			t.Errorf("container image call %d: %v, want %v", i, ctrErr[i], want)
		}
	}
}

// TestSystemConsole: the machine's System object gives a console capability that
// writes to the console; a container's System gives none.
func TestSystemConsole(t *testing.T) {
	var ctrErr error
	programs := systemPrograms()
	programs[ctrImgPC] = func(e *user.Env) {
		ctrErr = e.Console(abi.ContainerSlotSystem, abi.InitSlotCSpace, 40)
	}
	m, err := usersim.Boot(usersim.Config{Programs: programs, Kernel: kernel.Config{Quiet: true},
		Init: func(e *user.Env) {
			slots := initSlots()
			c, _ := slots.Take()
			must(t, e.Console(sys, cs, c))
			must(t, e.Print(c, "through the System's console\n"))
			if err := e.PutImage(sys, abi.InitIPCBuffer, 8, user.Digest{}, "x", false, false, abi.InitIPCBuffer, 8); !errors.Is(err, abi.ErrNoRights) {
				t.Errorf("a kernel without a trust root cached an image: %v", err)
			}
			if err := e.Console(sys, cs, c); !errors.Is(err, abi.ErrSlotFull) {
				t.Errorf("console into a full slot: %v", err)
			}
			x, _ := slots.Take()
			if _, err := e.CreateContainer(sys, "c", lim(1<<20, 2), x); err != nil {
				t.Fatal(err)
			}
			if _, err := e.StartInContainer(x, []string{"ctr-img"}, 0, 0, abi.AllRights, 0); err != nil {
				t.Fatal(err)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	m.SetLoader(usersim.Loader{Entries: map[string]uint64{"ctr-img": ctrImgPC}})
	w := &world{Machine: m, t: t}
	w.run()
	if !errors.Is(ctrErr, abi.ErrNoRights) {
		t.Errorf("a container's System gave a console: %v", ctrErr)
	}
	if !strings.Contains(w.Console.String(), "through the System's console") {
		t.Errorf("console: %q", w.Console.String())
	}
}

// TestSpawnGrantSpace: a task started with a grant space gets the first capability and
// then every capability of the space's slots 1, 2, … up to the first empty one, with
// the rights they hold there; a grant space that is no capability space is refused
// and starts nothing.
func TestSpawnGrantSpace(t *testing.T) {
	w := bootSystem(t, func(e *user.Env) {
		slots := initSlots()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		ep := retype(e, slots, abi.ObjEndpoint, 0)
		space := retype(e, slots, abi.ObjCSpace, 4)
		must(t, e.Copy(space, 1, cs, ep, abi.RightWrite))
		must(t, e.Copy(space, 2, cs, ntfn, abi.RightRead))
		must(t, e.Copy(space, 3, cs, ep, abi.RightRead))
		must(t, e.Copy(space, 5, cs, ep, abi.AllRights)) // after the empty slot 4: not granted
		before, _ := e.Tasks(sys)
		if _, err := e.StartProgramWith(sys, []string{"sleeper"}, 1<<20, 0, 0, ntfn, ep); !errors.Is(err, abi.ErrWrongType) {
			t.Errorf("grant space that is an endpoint: %v", err)
		}
		if after, _ := e.Tasks(sys); len(after) != len(before) {
			t.Errorf("a refused start made a task")
		}
		id, err := e.StartProgramWith(sys, []string{"sleeper"}, 1<<20, 0, 0, ntfn, space)
		must(t, err)
		want := []struct {
			typ    abi.ObjectType
			rights abi.Rights
		}{{abi.ObjNotification, abi.AllRights}, {abi.ObjEndpoint, abi.RightWrite}, {abi.ObjNotification, abi.RightRead}, {abi.ObjEndpoint, abi.RightRead}}
		for i, wnt := range want {
			slot, info, err := e.TaskCap(sys, id, uint64(abi.InitFirstFree)+uint64(i))
			if err != nil || slot != uint64(abi.InitFirstFree)+uint64(i) || info.Type != wnt.typ || info.Rights != wnt.rights {
				t.Errorf("grant %d: slot %d %+v %v, want %v %v", i, slot, info, err, wnt.typ, wnt.rights)
			}
		}
		if slot, _, err := e.TaskCap(sys, id, uint64(abi.InitFirstFree)+4); err == nil && slot < 256 {
			t.Errorf("a capability after the grant space's first empty slot was granted (slot %d)", slot)
		}
		must(t, e.Kill(sys, id))

		// The same for a task started inside a container (ContainerStart).
		c, _ := slots.Take()
		if _, err := e.CreateContainer(sys, "grants", abi.ContainerLimits{Memory: 8 << 20, MaxTasks: 4, Priority: 255}, c); err != nil {
			t.Fatal(err)
		}
		if _, err := e.StartInContainerWith(c, []string{"sleeper"}, 0, 0, 0, 0, ntfn, ep); !errors.Is(err, abi.ErrWrongType) {
			t.Errorf("container start, grant space that is an endpoint: %v", err)
		}
		if tasks, _ := e.ContainerTasks(c); len(tasks) != 0 {
			t.Errorf("a refused container start made a task: %+v", tasks)
		}
		if _, err := e.StartInContainerWith(c, []string{"sleeper"}, 0, 0, 0, 0, ntfn, space); err != nil {
			t.Fatal(err)
		}
		tasks, err := e.ContainerTasks(c)
		if err != nil || len(tasks) != 1 {
			t.Fatalf("container tasks: %+v %v", tasks, err)
		}
		all, _ := e.Tasks(sys)
		var inside uint64
		for _, ti := range all {
			if ti.Name == "sleeper" && ti.State == abi.TaskLive && ti.ID != id {
				inside = ti.ID
			}
		}
		for i, wnt := range want {
			slot, info, err := e.TaskCap(sys, inside, uint64(abi.InitFirstFree)+uint64(i))
			if err != nil || slot != uint64(abi.InitFirstFree)+uint64(i) || info.Type != wnt.typ || info.Rights != wnt.rights {
				t.Errorf("container grant %d: slot %d %+v %v, want %v %v", i, slot, info, err, wnt.typ, wnt.rights)
			}
		}
		must(t, e.DestroyContainer(c))
	})
	w.run()
}
