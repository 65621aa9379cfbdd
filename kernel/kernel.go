// Package kernel is the Skyscope microkernel core: kernel objects (TCBs, endpoints,
// notifications, replies, memory budgets, frames, address spaces, IRQ handlers), the
// system call decoder, IPC, faults and the scheduler. It runs unchanged on the
// simulated machine (hal/sim) and on bare metal; it sees the machine only through hal.
//
// # The event-driven kernel
//
// A thread is data (a TCB), not a goroutine. The kernel loop (Run) picks the thread to
// run, enters user mode through hal.CPU.Enter, and gets control back when the thread
// traps: a system call, a fault, an interrupt or the end of its time slice. It handles
// the trap to completion — every system call either finishes or leaves its thread
// blocked — and loops. The kernel never waits on a thread's behalf and never runs two
// things at once, so kernel state needs no locks: it is guarded by being touched only
// from the kernel loop (on hardware, with interrupts off).
//
// # Errors
//
// A system call decodes and checks everything (capabilities, rights, arguments) before
// it changes anything; a failure returns an abi.Errno and leaves the system as it was.
// Only a broken kernel invariant panics, with the invariant's words in the message.
package kernel

import (
	"fmt"

	"github.com/skyscope-os/skyscope/capability"
	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Segment is part of the init program's image: Data copied to Vaddr (page-aligned),
// zero-filled up to Memsz, mapped with Perm.
type Segment struct {
	Vaddr uint64
	Data  []byte
	Memsz uint64
	Perm  hal.Perm
}

// Config is what the kernel needs to know at boot.
type Config struct {
	InitEntry       uint64    // entry address of the init program
	InitImage       []Segment // the init program's image (the simulation registers programs instead)
	InitStackPages  int       // pages of stack mapped below abi.InitStackTop (0: none)
	InitStackImage  []byte    // placed at the top of init's stack; init starts with SP at its first byte
	InitPriority    uint8     // init's priority (default 100); its MCP is abi.MaxPriority
	InitCSpaceRadix int       // init's capability space has 2^radix slots (default 12)
	TimeSlice       hal.Time  // default time slice (default 5 ms)
	// ReserveFrames are kept back from tasks: frames a task's memory would take are
	// refused (ErrNoMemory, or its page fault fails) once only these are left, so that
	// what shares the machine's frames with tasks — on bare metal, the kernel's own Go
	// heap — never starves. 0 reserves nothing.
	ReserveFrames int
	Quiet         bool // suppress kernel log lines on the console
	// ImageCacheBytes limits the image cache (SystemImagePut); 0 means
	// DefaultImageCacheBytes.
	ImageCacheBytes uint64
	// VerifyImage checks an image's signature against the kernel's trust root before
	// SystemImagePut caches it (on the machine: ML-DSA-87 over the plain binary, by a
	// key the kernel trusts). Nil refuses every image.
	VerifyImage func(image, sig []byte) error
}

// Stats counts kernel events since boot.
type Stats struct {
	Syscalls, Invocations, Messages, ContextSwitches, Faults, Interrupts uint64
	ForeignSyscalls                                                      uint64 // served by a Personality
	FastIPC                                                              uint64 // Calls and ReplyRecvs served by the IPC fast path
}

// Kernel is one running kernel. Its methods other than Run are for tests and tools
// that inspect the machine between runs; none may be called while Run is running.
type Kernel struct {
	m     hal.Machine
	cpu   hal.CPU
	mem   hal.Memory
	cfg   Config
	tree  capability.Tree
	sched scheduler
	cur   *TCB // the thread on the CPU (Running), or nil when idle
	// renew is when the first thread schedule passed over for a spent budget, at
	// cur's priority or above, can run again: Run's deadline for cur, so that a
	// renewed budget preempts a lower-priority thread at once, not a slice later.
	renew hal.Time
	irqs  []*IRQHandler
	init  *TCB
	root  *Untyped
	// sleepers are the BlockedExternal threads with a deadline.
	sleepers []*TCB
	threads  []*TCB // every TCB not yet finalized, in creation order

	holder   *CSpace                 // the kernel's own capabilities: one budget per task (CreateTask)
	callBufs map[*CallBuffer]bool    // personalities' call buffers (NewCallBuffer), for the invariant checker
	tasks    []*Task                 // live and recently ended tasks, by id
	images   map[string]*SharedImage // shared read-only program images, by key
	nextTask uint64
	// reservedIDs are task ids ReserveTaskID handed out that no task has taken yet.
	reservedIDs map[uint64]bool
	initTask    *Task
	loader      Loader
	imgCache    imageCache // verified module images, by digest (images.go)
	ctrs        containers // the container tree (container.go)

	log         logRing // the newest kernel log lines, for SystemLog
	powerOff    bool    // a task asked for power off (SystemPowerOff)
	powerStatus int

	// Stats counts events since boot.
	Stats Stats
}

// Boot makes the kernel's first objects and the init thread, ready to Run: init's
// capability space holds the capabilities listed in abi (InitSlot…), its IPC buffer is
// mapped at abi.InitIPCBuffer, and the root memory budget covers all remaining memory.
func Boot(m hal.Machine, cfg Config) (*Kernel, error) {
	if cfg.InitPriority == 0 {
		cfg.InitPriority = 100
	}
	if cfg.InitCSpaceRadix == 0 {
		cfg.InitCSpaceRadix = 12
	}
	if cfg.InitCSpaceRadix < 4 || cfg.InitCSpaceRadix > abi.MaxCSpaceRadix {
		return nil, fmt.Errorf("kernel: init CSpace radix %d outside 4..%d", cfg.InitCSpaceRadix, abi.MaxCSpaceRadix)
	}
	if cfg.TimeSlice == 0 {
		cfg.TimeSlice = 5_000_000
	}
	if cfg.TimeSlice < minSlice || cfg.TimeSlice > maxSlice {
		return nil, fmt.Errorf("kernel: time slice %d ns outside %d..%d", cfg.TimeSlice, minSlice, maxSlice)
	}
	k := &Kernel{m: m, cpu: m.CPU(), mem: m.Memory(), cfg: cfg}
	k.irqs = make([]*IRQHandler, m.Interrupts().Lines())
	for i := range k.irqs {
		m.Interrupts().Mask(i)
	}
	if k.mem.FreeFrames() < 2 {
		return nil, fmt.Errorf("kernel: %d free frames; at least 2 are needed to boot", k.mem.FreeFrames())
	}

	cs := k.newCSpace(cfg.InitCSpaceRadix)
	t := k.newTCB()
	t.Name = "init"
	t.prio, t.mcp = cfg.InitPriority, abi.MaxPriority
	as := k.newAddressSpace()
	buf := k.newFrame()
	if e := buf.mapInto(as, abi.InitIPCBuffer, hal.PermRead|hal.PermWrite); e != abi.OK {
		return nil, fmt.Errorf("kernel: mapping init's IPC buffer: %v", e)
	}
	k.root = &Untyped{capacity: uint64(max(k.mem.FreeFrames()-cfg.ReserveFrames, 2)) * abi.PageSize}
	irqc, cons, sys := &IRQControl{}, &Console{}, &System{}
	objs := []struct {
		slot abi.CPtr
		obj  capability.Object
		base *objBase
	}{
		{abi.InitSlotCSpace, cs, &cs.objBase},
		{abi.InitSlotTCB, t, &t.objBase},
		{abi.InitSlotAddressSpace, as, &as.objBase},
		{abi.InitSlotUntyped, k.root, &k.root.objBase},
		{abi.InitSlotIRQControl, irqc, &irqc.objBase},
		{abi.InitSlotConsole, cons, &cons.objBase},
		{abi.InitSlotIPCBuffer, buf, &buf.objBase},
		{abi.InitSlotSystem, sys, &sys.objBase},
	}
	for _, o := range objs {
		o.base.k = k
		if e := k.tree.Insert(cs.At(int(o.slot)), o.obj, abi.AllRights, 0, nil); e != abi.OK {
			return nil, fmt.Errorf("kernel: placing boot capability %d: %v", o.slot, e)
		}
	}
	for _, b := range []struct {
		priv int
		from abi.CPtr
	}{{tcbSlotCSpace, abi.InitSlotCSpace}, {tcbSlotAddressSpace, abi.InitSlotAddressSpace}, {tcbSlotIPCBuffer, abi.InitSlotIPCBuffer}} {
		if e := k.tree.Copy(t.slots.At(b.priv), cs.At(int(b.from)), abi.AllRights); e != abi.OK {
			return nil, fmt.Errorf("kernel: binding init's thread: %v", e)
		}
	}
	sp, err := k.loadInit(as, cfg)
	if err != nil {
		return nil, err
	}
	t.ipcVA = abi.InitIPCBuffer
	t.ctx.SetEntry(cfg.InitEntry, sp, abi.InitIPCBuffer)
	k.init = t
	k.nextTask = 1
	k.initTask = &Task{id: 1, name: t.Name, thread: t, budget: k.root}
	t.task = k.initTask
	k.tasks = []*Task{k.initTask}
	k.makeReady(t, false)
	k.logf("booted: %d KiB in the root memory budget, init at %#x", k.root.capacity/1024, cfg.InitEntry)
	return k, nil
}

// loadInit maps init's image and stack into its address space as frames the kernel
// keeps (no capability names them: init's image lives as long as the machine). It
// returns the initial stack pointer.
func (k *Kernel) loadInit(as *AddressSpace, cfg Config) (uint64, error) {
	pages, err := checkImage(cfg.InitImage, cfg.InitStackPages, cfg.InitStackImage)
	if err != nil {
		return 0, fmt.Errorf("kernel: init: %v", err)
	}
	if uint64(k.usableFrames()) < pages+16 {
		return 0, fmt.Errorf("kernel: %d pages for init's image and stack, %d frames free", pages, k.usableFrames())
	}
	sp, err := k.placeImage(as, cfg.InitImage, cfg.InitStackPages, cfg.InitStackImage, k.newFrame)
	if err != nil {
		return 0, fmt.Errorf("kernel: init: %v", err)
	}
	return sp, nil
}

// checkImage validates a program image and stack and returns the pages they need.
func checkImage(image []Segment, stackPages int, stackImage []byte) (uint64, error) {
	var pages uint64
	for _, seg := range image {
		size := max(seg.Memsz, uint64(len(seg.Data)))
		if seg.Vaddr%abi.PageSize != 0 || seg.Vaddr >= uint64(hal.UserTop) || size > uint64(hal.UserTop)-seg.Vaddr {
			return 0, fmt.Errorf("segment at %#x (%d bytes) is outside the user half or misaligned", seg.Vaddr, size)
		}
		pages += (size + abi.PageSize - 1) / abi.PageSize
	}
	if stackPages < 0 || stackPages > maxStackPages {
		return 0, fmt.Errorf("%d stack pages; at most %d", stackPages, maxStackPages)
	}
	if uint64(len(stackImage)) > uint64(stackPages)*abi.PageSize {
		return 0, fmt.Errorf("stack image (%d bytes) exceeds its %d stack pages", len(stackImage), stackPages)
	}
	return pages + uint64(stackPages), nil
}

// maxStackPages bounds the stack mapped for a new program (64 MiB).
const maxStackPages = 1 << 14

// placeImage maps a program image, checked by checkImage, and a stack below
// abi.InitStackTop into as, in frames made by alloc. It returns the initial stack
// pointer (0 without a stack). On an error (overlapping segments) frames already
// placed stay mapped in as; the caller destroys as.
func (k *Kernel) placeImage(as *AddressSpace, image []Segment, stackPages int, stackImage []byte, alloc func() *Frame) (uint64, error) {
	place := func(va uint64, data []byte, perm hal.Perm) error {
		if _, busy := as.frames[hal.VirtAddr(va)]; busy {
			return fmt.Errorf("segments overlap at %#x", va)
		}
		f := alloc()
		copy(f.Bytes()[:], data)
		if e := f.mapInto(as, hal.VirtAddr(va), perm); e != abi.OK {
			return fmt.Errorf("mapping at %#x: %v", va, e)
		}
		return nil
	}
	for _, seg := range image {
		size := max(seg.Memsz, uint64(len(seg.Data)))
		for off := uint64(0); off < size; off += abi.PageSize {
			var chunk []byte
			if off < uint64(len(seg.Data)) {
				chunk = seg.Data[off:min(off+abi.PageSize, uint64(len(seg.Data)))]
			}
			if err := place(seg.Vaddr+off, chunk, seg.Perm); err != nil {
				return 0, err
			}
		}
	}
	if stackPages == 0 {
		return 0, nil
	}
	img := stackImage
	base := uint64(abi.InitStackTop) - uint64(len(img)) // where img[0] goes
	for i := 1; i <= stackPages; i++ {
		va := abi.InitStackTop - uint64(i)*abi.PageSize
		var data []byte
		if va+abi.PageSize > base { // this page holds part of the image
			lo := max(va, base)
			data = make([]byte, abi.PageSize)
			copy(data[lo-va:], img[lo-base:min(uint64(len(img)), va+abi.PageSize-base)])
		}
		if err := place(va, data, hal.PermRead|hal.PermWrite); err != nil {
			return 0, err
		}
	}
	return base, nil
}

// StopReason says why Run returned.
type StopReason uint8

const (
	// StopIdle: no thread can run and no event can ever make one runnable.
	StopIdle StopReason = iota
	// StopDeadline: the machine time reached the deadline given to Run.
	StopDeadline
	// StopPowerOff: a task invoked SystemPowerOff (see PowerOffRequested).
	StopPowerOff
)

func (r StopReason) String() string {
	switch r {
	case StopIdle:
		return "idle: every thread is blocked or finished and no event is pending"
	case StopPowerOff:
		return "power off requested"
	}
	return "deadline reached"
}

// Run runs the machine until no thread can ever run again or the machine time reaches
// until (hal.Forever for no limit).
func (k *Kernel) Run(until hal.Time) StopReason {
	for {
		now := k.cpu.Now()
		if k.powerOff {
			if k.cur != nil && k.cur.state != Running {
				k.cur = nil
			}
			return StopPowerOff
		}
		if now >= until {
			if k.cur != nil && k.cur.state != Running {
				k.cur = nil // its last trap blocked, suspended or ended it; nothing is on the CPU
			}
			return StopDeadline
		}
		timed := len(k.sleepers) > 0 || len(k.ctrs.stopping) > 0 // checked inline: this loop is the IPC path
		if timed {
			k.wakeSleepers(now)
		}
		k.schedule()
		t := k.cur
		if t == nil {
			// Idle until a budget renews or an interrupt comes. With nothing timed,
			// wait for an interrupt without a deadline, so that a machine that can
			// never wake again (only the simulation knows that) stops as idle.
			_, renew := k.sched.best(now)
			renew = min(renew, k.nextWake())
			deadline := hal.Forever
			if renew != hal.Forever {
				deadline = min(renew, until)
			}
			trap := k.cpu.Idle(deadline)
			switch trap.Kind {
			case hal.TrapNone:
				return StopIdle
			case hal.TrapIRQ:
				k.interrupt(trap.IRQ)
			}
			continue
		}
		deadline := min(now+t.sliceLeft, until)
		if timed {
			deadline = min(deadline, k.nextWake())
		}
		if t.cpu.limited() {
			deadline = min(deadline, now+t.cpu.remaining(now))
		}
		deadline = min(deadline, k.renew)
		if t.pcall && !k.callDone(t) {
			continue // CallDone made another call: t waits again
		}
		trap := k.cpu.Enter(t.ctx, t.pageTable(), deadline)
		elapsed := k.cpu.Now() - now
		t.sliceLeft -= elapsed
		t.cpuTime += elapsed
		if t.cpu.limited() {
			t.cpu.used += elapsed
		}
		k.handleTrap(t, trap)
	}
}

// handleTrap serves one trap of the running thread t.
func (k *Kernel) handleTrap(t *TCB, trap hal.Trap) {
	if t.ctr != nil {
		k.chargeGroups(t)
	} else {
		t.cpuCharged = t.cpuTime
	}
	switch trap.Kind {
	case hal.TrapSyscall:
		k.syscall(t)
	case hal.TrapPageFault:
		if t.Personality != nil && t.Personality.PageFault(k, t, trap.Addr, trap.Access) {
			return
		}
		k.raiseFault(t, abi.FaultPage, trap.Addr, t.ctx.PC(), uint64(trap.Access))
	case hal.TrapException:
		k.raiseFault(t, abi.FaultException, trap.Code, t.ctx.PC(), 0)
	case hal.TrapIRQ:
		k.interrupt(trap.IRQ)
	case hal.TrapExit:
		k.logf("thread %s exited", t.name())
		t.setState(Inactive)
		if task := t.task; task != nil && task.holder != nil && task.thread == t {
			k.ExitTask(task, TaskExited, 0) // a simulated program returned from its main
		}
	case hal.TrapTimer:
		// Slice and budget were charged by Run; schedule decides what happens next.
	default:
		panic(fmt.Sprintf("kernel: unexpected trap %v from thread %s", trap.Kind, t.name()))
	}
}

// raiseFault sends a fault message to t's fault endpoint as if t had called it; t waits
// for the reply. Without a fault endpoint t is suspended and the fault logged.
func (k *Kernel) raiseFault(t *TCB, kind abi.FaultKind, w0, w1, w2 uint64) {
	k.Stats.Faults++
	s := t.slots.At(tcbSlotFault)
	ep, ok := s.Object().(*Endpoint)
	if !ok {
		k.logf("thread %s: unhandled %v (%#x, pc %#x, %#x); suspended", t.name(), kind, w0, w1, w2)
		if kind == abi.FaultUnknownSyscall {
			t.ctx.Regs().Num = uint64(abi.ErrInvalidSys) // what the call returns if the thread is resumed
		}
		t.setState(Suspended)
		if task := t.task; task != nil && task.holder != nil {
			// A task's thread that faults with no handler ends its whole task, so the
			// rest of the machine carries on and gets its memory back.
			k.ExitTask(task, TaskFaulted, int(kind))
		}
		return
	}
	t.fault = faultMsg{kind: kind, words: [abi.FaultMsgLen]uint64{w0, w1, w2}}
	k.send(t, ep, s.Badge(), false, true, true)
}

func (t *TCB) name() string {
	if t.Name != "" {
		return t.Name
	}
	return fmt.Sprintf("tcb%d", t.ID())
}

// logf writes a kernel log line with the machine time.
func (k *Kernel) logf(format string, args ...any) {
	now := k.cpu.Now()
	line := fmt.Sprintf("[%4d.%06d] kernel: %s\n", now/1e9, now%1e9/1e3, fmt.Sprintf(format, args...))
	k.log.write([]byte(line))
	if !k.cfg.Quiet {
		k.m.Console().Write([]byte(line))
	}
}

// FreeMemory returns the bytes of free frames tasks may still take.
func (k *Kernel) FreeMemory() uint64 { return uint64(k.usableFrames()) * abi.PageSize }

// usableFrames returns the free frames tasks may still take (above the reserve).
func (k *Kernel) usableFrames() int { return max(k.mem.FreeFrames()-k.cfg.ReserveFrames, 0) }

// Now returns the machine time.
func (k *Kernel) Now() hal.Time { return k.cpu.Now() }

// RootUntyped returns the root memory budget given to init.
func (k *Kernel) RootUntyped() *Untyped { return k.root }

// Yield moves t, the running thread, to the back of its priority level (for
// personalities: Linux's sched_yield).
func (k *Kernel) Yield(t *TCB) {
	if t.state == Running {
		k.yield(t)
	}
}

// Threads returns every thread that exists, in creation order.
func (k *Kernel) Threads() []*TCB { return append([]*TCB(nil), k.threads...) }

// Init returns the init thread.
func (k *Kernel) Init() *TCB { return k.init }

// Finalized returns the number of objects destroyed since boot.
func (k *Kernel) Finalized() uint64 { return k.tree.Finalized }
