// Package linux is Skyscope's Linux-ABI personality: it serves, in the kernel loop, the
// Linux system calls and page faults of threads running unmodified static Linux
// programs (GOOS=linux GOARCH=amd64 CGO_ENABLED=0 Go binaries). A Process implements
// kernel.Personality for all its threads.
//
// What a Go program needs is served for real: memory (mmap, munmap, mprotect, madvise,
// backed lazily by page faults and charged to the process's memory budget), threads
// (clone, exit), futexes with timeouts, nanosleep, sched_yield, clock_gettime, signal
// bookkeeping (rt_sigaction, rt_sigprocmask, sigaltstack; delivery is still to come),
// write to the console, getrandom, sched_getaffinity, uname, prlimit64. Anything else
// returns -ENOSYS and is logged once per process with its number.
//
// System call numbers, errno values and structure layouts come from
// golang.org/x/sys/unix.
package linux

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/linux/vm"
	"golang.org/x/sys/unix"
)

// Process is one Linux process: its threads share the address space, the memory
// budget and this state.
type Process struct {
	budget  *kernel.Untyped
	console io.Writer
	wall    func() int64 // wall-clock ns since 1970 at machine time 0
	name    string

	vm *vm.Map // the address space's areas, with Linux's semantics

	threads map[*kernel.TCB]*thread
	nextTID int
	waiters map[uint64][]*kernel.TCB // futex address → waiting threads, in order
	actions [65][4]uint64            // rt_sigaction: handler, flags, restorer, mask
	unknown map[uint64]bool
	files   map[int]*file
	pollers []poller
	fs      *FileTree // the read-only file tree
	cwd     string
	tooLong bool // the last path read was longer than PATH_MAX
	// dirOnly are the current call's paths that ended in a slash and are not yet
	// checked to be directories (resolveAt; remote checks SKYAIFS's).
	dirOnly []slashPath
	// slashEnd: the last path read ended in a slash (or "/.").
	slashEnd bool
	// lastDots: the last path read ended in "." (1) or ".." (2) (lastDots).
	lastDots int
	task     *kernel.Task // the kernel task the process is, once it has one
	input    *Input       // console input for fd 0 (nil: end of file)
	exited   bool
	status   int
	// oomReported: the process was told it ran out of memory (once).
	oomReported bool
	syscalls    uint64

	host    *Host        // the machine's shared state; nil for a process made without one
	exe     string       // the executable's path, for /proc/self/exe
	cloexec map[int]bool // descriptors execve closes
	// id is the pid of a process that has no task of its own (yet): a vfork child.
	id uint64
	// vfork is set while the process is a vfork child that has not exec'd or exited.
	vfork    *vforkState
	vforking []*Process // this process's vfork children
	parent   *Process   // the process that started this one, if a Linux process did
	children []*Process // started by this process and not yet reaped
	// childWaits are this process's threads waiting in wait4 or waitid.
	childWaits []childWait
	killedBy   int // the signal that ended the process, 0 if it exited
	// fileSession is the SKYAIFS session the process last used (see session).
	fileSession *session
	ended       bool // its task ended (or, for a vfork child, it exec'd or exited)
}

type thread struct {
	tid      int
	sigMask  uint64
	pending  uint64 // signals sent and not yet delivered (bit sig-1)
	altStack [3]uint64
	wait     waitKind
	op       *fileOp // the file request under way or waiting its turn (waitFile)
	// known are the /tmp names of SKYAIFS the current call's path resolution looked
	// up, need the one it waits for (walk.go).
	known map[string]known
	need  string
	// physical: the current call's paths are resolved by the personality, every
	// link (SKYAIFS answered EREMOTE: a path of it left /tmp).
	physical bool
	fifo     *file     // waitFifo: the FIFO end its open connects
	pipeWait *pipe     // waitPipe: the pipe it reads or writes
	fifoNext *fifoNext // a SKYAIFS FIFO its open joins once the Stat request ended
}

type waitKind uint8

const (
	waitNone waitKind = iota
	waitFutex
	waitSleep
	waitPoll
	waitPipe
	waitInput
	waitVfork // in clone until the vfork child execs or exits
	waitChild // in wait4 or waitid
	waitFile  // waiting for its turn to make a file request (SKYAIFS)
	waitFifo  // in an open of a FIFO until the other end opens
)

// Layout of the address space the personality manages.
const (
	pageSize = 4096
	mmapMin  = 0x10000 // the lowest address a mapping may have
)

// NewProcess makes a process whose memory comes from budget and whose standard output
// goes to console; wall gives the wall-clock offset for CLOCK_REALTIME.
func NewProcess(name string, budget *kernel.Untyped, console io.Writer, wall func() int64) *Process {
	p := &Process{name: name, exe: "/" + name, budget: budget, console: console, wall: wall, vm: vm.New(mmapMin, uint64(hal.UserTop)), fs: NewFileTree(nil),
		threads: map[*kernel.TCB]*thread{}, waiters: map[uint64][]*kernel.TCB{}, unknown: map[uint64]bool{}, nextTID: 1,
		files: map[int]*file{}, cloexec: map[int]bool{}}
	con := &file{kind: kindConsole, refs: 3} // standard input, output and error
	p.files[0], p.files[1], p.files[2] = con, con, con
	return p
}

// Attach makes t the process's first thread (the kernel's init, say); the process is
// then the kernel task t belongs to: its exit ends the task.
func (p *Process) Attach(k *kernel.Kernel, t *kernel.TCB) {
	p.task = k.TaskOf(t)
	p.threads[t] = &thread{tid: p.nextTID}
	p.nextTID++
	t.Personality = p
}

// AddArea records memory already mapped for the process (its image and stack).
func (p *Process) AddArea(start, end uint64, perm hal.Perm) {
	p.vm.Mmap(start, end-start, int(permToProt(perm)), unix.MAP_FIXED|unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, -1, 0)
}

// SetBrk sets the start of the program break (the end of the executable's bss).
func (p *Process) SetBrk(base uint64) { p.vm.SetBrkBase((base + pageSize - 1) &^ (pageSize - 1)) }

// Exited reports whether the process has ended, and its exit status.
func (p *Process) Exited() (bool, int) { return p.exited, p.status }

// Syscalls returns how many system calls the process made.
func (p *Process) Syscalls() uint64 { return p.syscalls }

func permToProt(perm hal.Perm) uint64 {
	var prot uint64
	if perm&hal.PermRead != 0 {
		prot |= unix.PROT_READ
	}
	if perm&hal.PermWrite != 0 {
		prot |= unix.PROT_WRITE
	}
	if perm&hal.PermExec != 0 {
		prot |= unix.PROT_EXEC
	}
	return prot
}

func protToPerm(prot uint64) hal.Perm {
	var perm hal.Perm
	if prot&(unix.PROT_READ|unix.PROT_WRITE|unix.PROT_EXEC) != 0 {
		perm |= hal.PermRead
	}
	if prot&unix.PROT_WRITE != 0 {
		perm |= hal.PermWrite
	}
	if prot&unix.PROT_EXEC != 0 {
		perm |= hal.PermExec
	}
	return perm
}

func errno(e unix.Errno) uint64 { return uint64(-int64(e)) }

// args returns the six Linux system call arguments (RDI, RSI, RDX, R10, R8, R9).
func args(t *kernel.TCB) [6]uint64 {
	r := t.Regs()
	return [6]uint64{r.Cap, r.Info, r.Cap2, r.MR[0], r.MR[1], r.MR[2]}
}

// Syscall implements kernel.Personality.
func (p *Process) Syscall(k *kernel.Kernel, t *kernel.TCB) {
	p.syscalls++
	r := t.Regs()
	n := r.Num
	if h, ok := handlers[n]; ok {
		if th := p.threads[t]; th != nil {
			th.known, th.physical = nil, false // a new call: names may have changed since the last one
		}
		res := p.run(k, t, h, args(t))
		if t.State() == kernel.Inactive {
			return // the call ended the task and destroyed the thread: no one gets a result
		}
		r.Num = res
		if th := p.threads[t]; th != nil && th.pending&^th.sigMask != 0 && t.State() == kernel.Running {
			p.deliverPending(k, t) // the handler's frame records the call's result
		}
		return
	}
	if !p.unknown[n] {
		p.unknown[n] = true
		k.Log("linux: %s (task %d, thread %d) made unserved system call %d; returning ENOSYS", p.name, p.logID(), p.threads[t].tid, n)
	}
	r.Num = errno(unix.ENOSYS)
}

// PageFault implements kernel.Personality: a touch of a mapped, permitted page backs it
// with a zeroed frame; any other fault becomes SIGSEGV for the program's handler.
func (p *Process) PageFault(k *kernel.Kernel, t *kernel.TCB, addr uint64, access uint8) bool {
	acc := vm.Read
	switch access {
	case 2: // abi.FaultWrite
		acc = vm.Write
	case 4: // abi.FaultExec
		acc = vm.Exec
	}
	a, res := p.vm.Fault(addr, acc)
	switch res {
	case vm.NoMapping:
		return p.deliver(k, t, uint64(unix.SIGSEGV), segvMapErr, addr)
	case vm.ProtectionFault:
		return p.deliver(k, t, uint64(unix.SIGSEGV), segvAccErr, addr)
	}
	switch k.MapAnon(t, p.budget, addr&^(pageSize-1), protToPerm(uint64(a.Prot))) {
	case abi.OK:
		return true
	case abi.ErrAlreadyMapped: // present with rights that do not allow this access
		return p.deliver(k, t, uint64(unix.SIGSEGV), segvAccErr, addr)
	}
	// Out of memory: the budget or the machine has no frame left. As Linux's OOM
	// killer would, end the whole process (status 128+SIGKILL) and say why where its
	// output goes; its memory goes back at once.
	msg := fmt.Sprintf("linux: %s (task %d): out of memory at %#x (budget %d of %d KiB in use, %d KiB of frames free); killed\n",
		p.name, p.logID(), addr, p.budget.Used()>>10, p.budget.Capacity()>>10, k.FreeMemory()>>10)
	p.console.Write([]byte(msg))
	k.ConsoleOutput(t, []byte(msg))
	k.Log("%s", msg[:len(msg)-1])
	p.killedBy = int(unix.SIGKILL)
	sysExitGroup(p, k, t, [6]uint64{128 + uint64(unix.SIGKILL)})
	return true // the thread is gone: nothing retries the access
}

// Timeout implements kernel.Personality.
func (p *Process) Timeout(k *kernel.Kernel, t *kernel.TCB) {
	th := p.threads[t]
	switch {
	case th != nil && th.wait == waitFutex:
		p.dropWaiter(t)
		t.Regs().Num = errno(unix.ETIMEDOUT)
	case th != nil && th.wait == waitPoll:
		p.dropPoller(t)
		t.Regs().Num = 0 // no events
	case th != nil && th.wait == waitInput:
		t.Regs().Num = errno(unix.EAGAIN)
	default:
		t.Regs().Num = 0
	}
	if th != nil {
		th.wait = waitNone
	}
}

// unmapPages frees the pages backed in [start, end).
func (p *Process) unmapPages(k *kernel.Kernel, t *kernel.TCB, start, end uint64) {
	for _, va := range k.AnonPages(t, start, end) {
		k.UnmapAnon(t, va)
	}
}

// release frees the pages backed in each range.
func (p *Process) release(k *kernel.Kernel, t *kernel.TCB, rs []vm.Range) {
	for _, r := range rs {
		p.unmapPages(k, t, r.Start, r.End)
	}
}

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
