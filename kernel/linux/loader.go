package linux

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sync"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/elfexec"
	"golang.org/x/sys/unix"
)

// Program is a static Linux executable prepared for the kernel: its image as segments,
// entry point, and initial stack (argv, envp, auxv) placed to end at abi.InitStackTop.
type Program struct {
	Name       string
	Path       string // where in the file tree it was read (Host.Program), "" for a cached image
	Image      []kernel.Segment
	Entry      uint64
	StackPages int
	StackImage []byte
	Brk        uint64 // the end of the executable's data: where the program break starts
	// Areas are the segments' whole extents: Image places only their pages with
	// file data, and the process's page faults fill in the rest.
	Areas []Area
}

// Area is a range of a process's address space, page-aligned, with its permissions.
type Area struct {
	Start, End uint64
	Perm       hal.Perm
}

// StackPages is the stack mapped for a new process (1 MiB); Go programs run their
// goroutines on stacks they allocate, so the first thread's needs little.
const StackPages = 256

// LoadProgram parses a static ELF executable and builds its initial stack.
func LoadProgram(name string, image []byte, argv, envp []string, random [16]byte) (*Program, error) {
	exe, err := elfexec.Parse(image)
	if err != nil {
		return nil, err
	}
	_, stack, err := elfexec.BuildStack(abi.InitStackTop, argv, envp, random, exe, "x86_64")
	if err != nil {
		return nil, err
	}
	if len(stack) > StackPages*abi.PageSize/2 {
		return nil, fmt.Errorf("arguments and environment take %d bytes; at most %d fit", len(stack), StackPages*abi.PageSize/2)
	}
	p := &Program{Name: name, Entry: exe.Entry, StackPages: StackPages, StackImage: stack, Brk: exe.Brk}
	for _, seg := range exe.Segments {
		var perm hal.Perm = hal.PermRead
		if seg.Write {
			perm |= hal.PermWrite
		}
		if seg.Exec {
			perm |= hal.PermExec
		}
		start := seg.Vaddr &^ (abi.PageSize - 1)
		data := make([]byte, seg.Vaddr-start+seg.Filesz)
		copy(data[seg.Vaddr-start:], image[seg.Offset:seg.Offset+seg.Filesz])
		// The kernel places the pages that hold file data; the rest of the segment
		// (bss) is an area whose pages a first touch maps, zeroed. Go programs that
		// import crypto carry a 32 MiB bss array most never touch.
		end := (seg.Vaddr + seg.Memsz + abi.PageSize - 1) &^ (abi.PageSize - 1)
		placed := min((uint64(len(data))+abi.PageSize-1)&^(abi.PageSize-1), end-start)
		p.Image = append(p.Image, kernel.Segment{Vaddr: start, Data: data, Memsz: placed, Perm: perm})
		p.Areas = append(p.Areas, Area{Start: start, End: end, Perm: perm})
	}
	return p, nil
}

// Host is what the processes of one machine share: the read-only file tree (the boot
// bundle), the console and its input, the wall clock and the environment new programs
// get. It implements kernel.Loader, so that SystemSpawn starts programs from the tree.
type Host struct {
	Files   *FileTree
	Cwd     string // the working directory processes start in
	Console io.Writer
	Input   *Input // nil: reads of fd 0 see end of file
	Wall    func() int64
	Env     []string
	Random  func([]byte) // fills AT_RANDOM bytes
	// Sharable lists the programs whose read-only pages are shared between the
	// processes running them (kernel.SharedImage).
	Sharable map[string]bool
	// Links maps tree paths that hold a bundle program under another name (the
	// root layout's /bin/ls: "bin/ls" → "coreutils") to that program's name, so
	// that they share its pages (shareKey).
	Links map[string]string
}

// NewProcess makes the process that runs prog in thread t (the first thread of its
// task, not yet started): its memory areas, program break, files and console.
func (h *Host) NewProcess(k *kernel.Kernel, t *kernel.TCB, budget *kernel.Untyped, prog *Program) *Process {
	p := NewProcess(prog.Name, budget, h.Console, h.Wall)
	p.Attach(k, t)
	p.host = h
	for _, a := range prog.Areas {
		p.AddArea(a.Start, a.End, a.Perm)
	}
	p.AddArea(abi.InitStackTop-uint64(prog.StackPages)*abi.PageSize, abi.InitStackTop, hal.PermRead|hal.PermWrite)
	// The IPC buffer the kernel maps for every task: mmap must not hand it out.
	p.AddArea(abi.InitIPCBuffer, abi.InitIPCBuffer+abi.PageSize, hal.PermRead|hal.PermWrite)
	// abi.FrameWindow is not recorded as an area: with a 1 GiB PROT_NONE area there,
	// Go test binaries crashed at random in their first GC (a nil heap arena; see
	// docs/COMPATIBILITY.md). Top-down placement reaches the window only after about
	// 11 GiB of mappings, which nothing here makes yet.
	p.SetBrk(prog.Brk)
	p.SetTree(h.Files, h.Cwd)
	p.input = h.Input
	return p
}

// Program reads argv[0] from the file tree and prepares it to run with argv.
func (h *Host) Program(argv []string) (*Program, error) {
	name, image, ok := h.find(argv[0])
	if !ok {
		return nil, fmt.Errorf("%w: %q is not in the boot bundle", errNoProgram, argv[0])
	}
	var random [16]byte
	if h.Random != nil {
		h.Random(random[:])
	}
	p, err := LoadProgram(path.Base(name), image, argv, h.Env, random)
	if err != nil {
		return nil, err
	}
	p.Path = name
	return p, nil
}

var errNoProgram = errors.New("no such program")

// Load implements kernel.Loader: it starts argv[0] from the file tree as a Linux
// process in a new task with spec's budget, priority and capabilities.
func (h *Host) Load(k *kernel.Kernel, budget *kernel.Untyped, argv []string, spec kernel.TaskSpec) (*kernel.Task, abi.Errno, error) {
	prog, err := h.Program(argv)
	if err != nil {
		if errors.Is(err, errNoProgram) {
			return nil, abi.ErrNotFound, err
		}
		return nil, abi.ErrInvalidArg, err
	}
	spec.ShareKey = h.shareKey(prog.Path)
	return h.start(k, budget, prog, spec)
}

// LoadImage implements kernel.ImageLoader: it starts an image from the kernel's image
// cache (a static executable the module manager verified) as a Linux process.
func (h *Host) LoadImage(k *kernel.Kernel, budget *kernel.Untyped, img *kernel.Image, argv []string, spec kernel.TaskSpec) (*kernel.Task, abi.Errno, error) {
	var random [16]byte
	if h.Random != nil {
		h.Random(random[:])
	}
	prog, err := LoadProgram(img.Name, img.Bytes, argv, h.Env, random)
	if err != nil {
		return nil, abi.ErrInvalidArg, fmt.Errorf("image %s: %w", img.Name, err)
	}
	if img.Sharable {
		spec.ShareKey = fmt.Sprintf("image:%x", img.Digest)
	}
	return h.start(k, budget, prog, spec)
}

// start makes the task for prog with spec, its process, and starts it.
func (h *Host) start(k *kernel.Kernel, budget *kernel.Untyped, prog *Program, spec kernel.TaskSpec) (*kernel.Task, abi.Errno, error) {
	spec.Name, spec.Image, spec.Entry = prog.Name, prog.Image, prog.Entry
	spec.StackPages, spec.StackImage = prog.StackPages, prog.StackImage
	if spec.CSpaceRadix == 0 {
		// Room for servers that map a whole shared region (user.MaxRegionPages
		// frames) at once; 256 KiB of budget, small beside a Go process's heap.
		spec.CSpaceRadix = abi.ProcessCSpaceRadix
	}
	task, err := k.CreateTask(budget, spec)
	if err != nil {
		return nil, kernel.ErrnoOf(err, abi.ErrNoMemory), err
	}
	if spec.Parent != nil {
		// A program started by a task that holds a file service inherits it, as
		// execve's programs do: the same SKYAIFS behind its /tmp.
		if pt := spec.Parent.Thread(); pt != nil {
			if _, ok := k.EndpointBadge(pt, FileServiceSlot); ok {
				k.CopyCap(task.Thread(), FileServiceSlot, pt, FileServiceSlot)
			}
		}
	}
	h.NewProcess(k, task.Thread(), task.Budget(), prog)
	k.StartTask(task)
	return task, abi.OK, nil
}

// Input is the console input the processes of a machine share: a goroutine that reads
// the console hands bytes to Feed; Serve, in the kernel loop, gives them to the
// threads waiting in read(0), one read at a time, in the order they came.
type Input struct {
	mu      sync.Mutex
	pending []byte
	waiting []inputWait // kernel-loop only
}

type inputWait struct {
	p      *Process
	t      *kernel.TCB
	buf, n uint64
}

// maxPendingInput bounds what Feed keeps while nobody reads (typing ahead).
const maxPendingInput = 64 << 10

// Feed appends console bytes; safe from any goroutine. Bytes beyond maxPendingInput
// unread are dropped.
func (in *Input) Feed(b []byte) {
	in.mu.Lock()
	room := maxPendingInput - len(in.pending)
	in.pending = append(in.pending, b[:min(len(b), max(room, 0))]...)
	in.mu.Unlock()
}

// take removes up to n pending bytes.
func (in *Input) take(n uint64) []byte {
	in.mu.Lock()
	defer in.mu.Unlock()
	c := min(n, uint64(len(in.pending)))
	b := append([]byte(nil), in.pending[:c]...)
	in.pending = in.pending[c:]
	return b
}

// Serve completes the waiting reads for which input has arrived. The kernel loop calls
// it between runs.
func (in *Input) Serve(k *kernel.Kernel) {
	for len(in.waiting) > 0 {
		w := in.waiting[0]
		if w.t.State() != kernel.BlockedExternal || w.p.threads[w.t] == nil || w.p.threads[w.t].wait != waitInput {
			in.waiting = in.waiting[1:] // its task ended or the wait timed out
			continue
		}
		b := in.take(w.n)
		if len(b) == 0 {
			return
		}
		in.waiting = in.waiting[1:]
		res := uint64(len(b))
		if !k.CopyOut(w.t, w.buf, b) {
			res = errno(unix.EFAULT)
		}
		w.p.threads[w.t].wait = waitNone
		w.t.Regs().Num = res
		k.Wake(w.t)
	}
}

// readInput serves read(0): pending bytes at once, else the thread waits for Serve.
func (p *Process) readInput(k *kernel.Kernel, t *kernel.TCB, buf, n uint64) uint64 {
	if p.input == nil {
		return 0 // no console input: end of file
	}
	if n == 0 {
		return 0
	}
	n = min(n, 1<<16)
	if b := p.input.take(n); len(b) > 0 {
		if !k.CopyOut(t, buf, b) {
			return errno(unix.EFAULT)
		}
		return uint64(len(b))
	}
	p.input.waiting = append(p.input.waiting, inputWait{p: p, t: t, buf: buf, n: n})
	p.threads[t].wait = waitInput
	k.Block(t, hal.Forever)
	return 0 // replaced by Serve
}

// pid returns the process's id as the process sees it: its kernel task's id in its
// container's pid namespace (the kernel id outside every container).
func (p *Process) pid() uint64 {
	switch {
	case p.id != 0:
		return p.id
	case p.task == nil:
		return 1
	}
	return p.task.PID()
}

// logID returns the process's kernel task id, which the kernel log names it by.
func (p *Process) logID() uint64 {
	if p.task == nil {
		return 1
	}
	return p.task.ID()
}
