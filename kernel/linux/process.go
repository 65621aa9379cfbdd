package linux

import (
	"encoding/binary"
	"path"

	"github.com/skyscope-os/skyscope/hal"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"golang.org/x/sys/unix"
)

// Processes: vfork, execve, wait4 and waitid, as Go's os/exec uses them.
//
// Go starts a program with clone(CLONE_VM|CLONE_VFORK): the child runs on the
// parent's stack, in the parent's memory, while the calling parent thread waits; it
// rearranges its descriptors (dup3, fcntl, close), changes directory and calls
// execve. Here the child is a second Process whose only thread is a kernel thread of
// the parent's task, sharing the parent's memory map and budget but with a copy of its
// descriptor table. execve makes the program a new kernel task — its own address space
// and a budget carved from the parent's, the descriptors that are not close-on-exec
// moved over — under the pid reserved at clone time, and lets the parent thread go on
// with that pid. A child that exits before execve (Go's child reports a failed execve
// through a pipe and exits 253) leaves a record its parent reaps like any other.
//
// fork without CLONE_VM (a copy of the address space) and execve outside a vfork child
// are not served: a Go program never needs them.

// vforkState is what a vfork child keeps of its parent until it execs or exits.
type vforkState struct {
	parent *Process
	thread *kernel.TCB // the parent's thread waiting in clone
}

// childWait is a thread of a parent blocked in wait4 or waitid.
type childWait struct {
	t       *kernel.TCB
	pid     int64 // -1: any child
	waitid  bool
	nowait  bool // waitid's WNOWAIT: report without reaping
	out     uint64
	rusage  uint64
	options uint64
}

// childBudgetShare is the part of its parent's free budget an exec'd child gets (one
// half): enough for a program like its parent, leaving the parent room to go on.
const childBudgetShare = 2

// Limits on execve's arguments, as Linux's (MAX_ARG_STRINGS is larger; a page of
// pointers is plenty for what runs here).
const (
	maxExecArgs  = 4096
	maxExecBytes = 256 << 10
)

// si_code values of SIGCHLD (asm-generic/siginfo.h; golang.org/x/sys/unix does not
// define them).
const (
	cldExited = 1 // CLD_EXITED
	cldKilled = 2 // CLD_KILLED
)

// wait status as wait4 reports it (Linux's encoding).
func (p *Process) waitStatus() uint32 {
	if p.killedBy != 0 {
		return uint32(p.killedBy) & 0x7f
	}
	return uint32(p.status&0xff) << 8
}

func sysVfork(p *Process, k *kernel.Kernel, t *kernel.TCB, flags, stack uint64) uint64 {
	const refused = unix.CLONE_THREAD | unix.CLONE_SIGHAND | unix.CLONE_PIDFD | unix.CLONE_NEWNS | unix.CLONE_NEWUSER |
		unix.CLONE_NEWPID | unix.CLONE_NEWNET | unix.CLONE_NEWIPC | unix.CLONE_NEWUTS | unix.CLONE_NEWCGROUP | unix.CLONE_SETTLS
	if flags&refused != 0 {
		return errno(unix.EINVAL)
	}
	if flags&(unix.CLONE_VM|unix.CLONE_VFORK) != unix.CLONE_VM|unix.CLONE_VFORK || p.host == nil {
		return errno(unix.ENOSYS) // fork copying the address space: not served
	}
	if p.vfork != nil {
		return errno(unix.EAGAIN) // a vfork child starts no children before it execs
	}
	c, e := k.CloneThread(t, p.budget)
	if e != 0 {
		return errno(unix.EAGAIN)
	}
	child := &Process{name: p.name, exe: p.exe, budget: p.budget, console: p.console, wall: p.wall, vm: p.vm,
		threads: map[*kernel.TCB]*thread{}, waiters: map[uint64][]*kernel.TCB{}, unknown: map[uint64]bool{}, nextTID: 2,
		files: map[int]*file{}, cloexec: map[int]bool{}, fs: p.fs, cwd: p.cwd, input: p.input, host: p.host,
		actions: p.actions, id: k.ReserveTaskID(), vfork: &vforkState{parent: p, thread: t}}
	for fd, f := range p.files {
		f.refs++
		child.files[fd] = f
		if p.cloexec[fd] {
			child.cloexec[fd] = true
		}
	}
	child.threads[c] = &thread{tid: 1, sigMask: p.threads[t].sigMask}
	c.Personality = child
	c.Regs().Num = 0 // the child's clone returns 0
	if stack != 0 {
		c.SetStack(stack)
	}
	k.StartThread(c)
	p.vforking = append(p.vforking, child)
	p.threads[t].wait = waitVfork
	t.Regs().Num = 0
	k.Block(t, hal.Forever)
	return 0 // the pid, set when the child execs or exits
}

// vforkDone lets the vfork parent's thread go on with the child's pid.
func (p *Process) vforkDone(k *kernel.Kernel, pid uint64) {
	v := p.vfork
	p.vfork = nil
	for i, c := range v.parent.vforking {
		if c == p {
			v.parent.vforking = append(v.parent.vforking[:i], v.parent.vforking[i+1:]...)
			break
		}
	}
	if th := v.parent.threads[v.thread]; th != nil && th.wait == waitVfork {
		th.wait = waitNone
		v.thread.Regs().Num = pid
		k.Wake(v.thread)
	}
}

// vforkExit ends a vfork child that did not exec: its thread goes, its descriptors
// close, and its parent gets a record to reap.
func (p *Process) vforkExit(k *kernel.Kernel, t *kernel.TCB, status int) {
	delete(p.threads, t)
	k.StopThread(t)
	p.exited, p.status, p.ended = true, status, true
	p.closeAll(k)
	parent := p.vfork.parent
	parent.children = append(parent.children, p)
	p.parent = parent
	p.vforkDone(k, p.id)
	parent.childEnded(k)
}

func sysExecve(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	if p.vfork == nil {
		if !p.unknown[unix.SYS_EXECVE] {
			p.unknown[unix.SYS_EXECVE] = true
			k.Log("linux: %s (task %d): execve outside a vfork child is not served; returning ENOSYS", p.name, p.pid())
		}
		return errno(unix.ENOSYS)
	}
	name, e := p.resolve(k, t, unix.AT_FDCWD, a[0])
	if e != 0 {
		return e
	}
	image, e := p.readWhole(name)
	if e != 0 {
		return e
	}
	argv, e := p.stringArray(k, t, a[1])
	if e != 0 {
		return e
	}
	envp, e := p.stringArray(k, t, a[2])
	if e != 0 {
		return e
	}
	var random [16]byte
	if p.host.Random != nil {
		p.host.Random(random[:])
	}
	prog, err := LoadProgram(path.Base(name), image, argv, envp, random)
	if err != nil {
		return errno(unix.ENOEXEC)
	}
	parent := p.vfork.parent
	spec := kernel.TaskSpec{ID: p.id, Name: prog.Name, Image: prog.Image, Entry: prog.Entry,
		StackPages: prog.StackPages, StackImage: prog.StackImage, Parent: parent.task,
		Memory:      (p.budget.Capacity() - p.budget.Used()) / childBudgetShare &^ (pageSize - 1),
		CSpaceRadix: abi.ProcessCSpaceRadix} // a process's space, with room for its file service
	if parent.task != nil {
		spec.Priority = parent.task.Thread().Priority()
	}
	if p.fs.files[name] != nil {
		spec.ShareKey = p.host.shareKey(name)
	}
	task, err := k.CreateTask(p.budget, spec)
	if err != nil {
		k.Log("linux: %s (task %d): execve %s: %v", p.name, p.pid(), name, err)
		return errno(unix.ENOMEM)
	}
	if _, ok := k.EndpointBadge(t, FileServiceSlot); ok { // the file service goes with the program
		k.CopyCap(task.Thread(), FileServiceSlot, t, FileServiceSlot)
	}
	np := p.host.NewProcess(k, task.Thread(), task.Budget(), prog)
	np.exe, np.cwd, np.parent = "/"+name, p.cwd, parent
	np.closeAll(k) // the new program's descriptors are the child's, less close-on-exec ones
	for fd, f := range p.files {
		if p.cloexec[fd] {
			p.closeFile(k, fd)
			continue
		}
		np.files[fd] = f
	}
	p.files, p.cloexec = map[int]*file{}, map[int]bool{}
	for sig, act := range p.actions { // handlers go back to the default; ignored stays ignored
		if act[0] == 1 {
			np.actions[sig] = act
		}
	}
	parent.children = append(parent.children, np)
	k.StartTask(task)
	delete(p.threads, t)
	k.StopThread(t)
	p.ended = true
	p.vforkDone(k, np.pid()) // in the parent's pid namespace, as the child sees itself
	return 0                 // t is gone: nobody gets a result
}

// readWhole returns the contents of a program in the tree, for execve. Only the boot
// bundle's files, which the kernel verified, run as new tasks: a file a program
// wrote to /tmp does not (EACCES), or it would be a way round the signature chain.
func (p *Process) readWhole(name string) ([]byte, uint64) {
	if n := p.fs.tmp.nodes[name]; n != nil {
		return nil, errno(unix.EACCES)
	}
	if b, ok := p.fs.files[name]; ok {
		return b, 0
	}
	if isDir, ok := p.exists(name); ok && isDir {
		return nil, errno(unix.EACCES)
	}
	return nil, errno(unix.ENOENT)
}

// stringArray reads a NULL-terminated array of C strings (argv, envp).
func (p *Process) stringArray(k *kernel.Kernel, t *kernel.TCB, va uint64) ([]string, uint64) {
	var out []string
	total := 0
	for i := 0; va != 0; i++ {
		if i >= maxExecArgs {
			return nil, errno(unix.E2BIG)
		}
		var b [8]byte
		if !k.CopyIn(t, va+uint64(i)*8, b[:]) {
			return nil, errno(unix.EFAULT)
		}
		ptr := binary.LittleEndian.Uint64(b[:])
		if ptr == 0 {
			break
		}
		s, ok := p.cstring(k, t, ptr)
		if !ok {
			return nil, errno(unix.EFAULT)
		}
		if total += len(s) + 1; total > maxExecBytes {
			return nil, errno(unix.E2BIG)
		}
		out = append(out, s)
	}
	return out, 0
}

// TaskEnded implements kernel.TaskEnder: however the task ended, its descriptors close
// (so readers of its pipes see end of file) and its parent learns of it.
func (p *Process) TaskEnded(k *kernel.Kernel, task *kernel.Task) {
	if p.ended {
		return
	}
	p.ended, p.exited = true, true
	p.abandon(k) // file requests under way or waiting: nobody is left to get their results
	switch task.State() {
	case kernel.TaskKilled:
		if p.killedBy == 0 {
			p.killedBy = int(unix.SIGKILL)
		}
	case kernel.TaskFaulted:
		p.killedBy = int(unix.SIGSEGV)
	default:
		p.status = task.Status()
	}
	p.closeAll(k)
	for _, c := range p.vforking { // their threads were the task's: gone with it
		c.ended, c.exited, c.killedBy, c.vfork = true, true, int(unix.SIGKILL), nil
		c.abandon(k) // a child's file request (a chdir in /tmp, say) must not keep the session
		c.closeAll(k)
	}
	p.vforking = nil
	if p.parent != nil && !p.parent.ended {
		p.parent.childEnded(k)
	}
}

// closeAll closes every descriptor.
func (p *Process) closeAll(k *kernel.Kernel) {
	for fd := range p.files {
		p.closeFile(k, fd)
	}
}

// findChild returns an ended child matching pid (-1: any), and whether any child
// matches at all.
func (p *Process) findChild(pid int64) (*Process, bool) {
	var found bool
	for _, c := range p.children {
		if pid != -1 && int64(c.pid()) != pid {
			continue
		}
		found = true
		if c.ended {
			return c, true
		}
	}
	return nil, found
}

// reap forgets an ended child, and the kernel its task's record.
func (p *Process) reap(k *kernel.Kernel, c *Process) {
	for i, x := range p.children {
		if x == c {
			p.children = append(p.children[:i], p.children[i+1:]...)
			break
		}
	}
	if c.task != nil {
		k.Reap(c.task)
	}
}

// report writes what wait4 or waitid tells about ended child c into w's memory.
func (p *Process) report(k *kernel.Kernel, w childWait, c *Process) uint64 {
	if w.waitid {
		var info [128]byte
		code, status := int32(cldExited), int32(c.status&0xff)
		if c.killedBy != 0 {
			code, status = cldKilled, int32(c.killedBy)
		}
		binary.LittleEndian.PutUint32(info[0:], uint32(unix.SIGCHLD))
		binary.LittleEndian.PutUint32(info[8:], uint32(code))
		binary.LittleEndian.PutUint32(info[16:], uint32(c.pid()))
		binary.LittleEndian.PutUint32(info[24:], uint32(status))
		if w.out != 0 && !k.CopyOut(w.t, w.out, info[:]) {
			return errno(unix.EFAULT)
		}
		if !w.nowait {
			p.reap(k, c)
		}
		return 0
	}
	if w.out != 0 {
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], c.waitStatus())
		if !k.CopyOut(w.t, w.out, b[:]) {
			return errno(unix.EFAULT)
		}
	}
	if w.rusage != 0 {
		var ru [144]byte // struct rusage: the CPU time of ended tasks is not kept per child
		if !k.CopyOut(w.t, w.rusage, ru[:]) {
			return errno(unix.EFAULT)
		}
	}
	p.reap(k, c)
	return c.pid()
}

// dropChildWait forgets t's wait4 or waitid (a signal interrupted it).
func (p *Process) dropChildWait(t *kernel.TCB) {
	for i, w := range p.childWaits {
		if w.t == t {
			p.childWaits = append(p.childWaits[:i], p.childWaits[i+1:]...)
			return
		}
	}
}

// childEnded completes the waits an ended child satisfies, in the order they began.
func (p *Process) childEnded(k *kernel.Kernel) {
	kept := p.childWaits[:0]
	for _, w := range p.childWaits {
		th := p.threads[w.t]
		if th == nil || th.wait != waitChild {
			continue // interrupted or gone
		}
		c, _ := p.findChild(w.pid)
		if c == nil {
			kept = append(kept, w)
			continue
		}
		th.wait = waitNone
		w.t.Regs().Num = p.report(k, w, c)
		k.Wake(w.t)
	}
	p.childWaits = kept
}

func (p *Process) waitChild(k *kernel.Kernel, t *kernel.TCB, w childWait) uint64 {
	w.t = t
	c, any := p.findChild(w.pid)
	switch {
	case !any:
		return errno(unix.ECHILD)
	case c != nil:
		return p.report(k, w, c)
	case w.options&unix.WNOHANG != 0:
		if w.waitid && w.out != 0 {
			var info [128]byte
			if !k.CopyOut(t, w.out, info[:]) {
				return errno(unix.EFAULT)
			}
		}
		return 0
	}
	p.childWaits = append(p.childWaits, w)
	p.threads[t].wait = waitChild
	t.Regs().Num = 0
	k.Block(t, hal.Forever)
	return 0 // set by childEnded
}

func sysWait4(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	pid, options := int64(int32(a[0])), a[2]
	if options&^uint64(unix.WNOHANG|unix.WUNTRACED|unix.WCONTINUED|unix.WALL|unix.WCLONE|unix.WNOTHREAD) != 0 {
		return errno(unix.EINVAL)
	}
	if pid == 0 || pid < -1 {
		pid = -1 // process groups: every child is in its parent's group
	}
	return p.waitChild(k, t, childWait{pid: pid, out: a[1], options: options, rusage: a[3]})
}

func sysWaitid(p *Process, k *kernel.Kernel, t *kernel.TCB, a [6]uint64) uint64 {
	idtype, id, options := a[0], int64(int32(a[1])), a[3]
	if options&unix.WEXITED == 0 || options&^uint64(unix.WEXITED|unix.WNOHANG|unix.WNOWAIT|unix.WSTOPPED|unix.WCONTINUED|unix.WALL|unix.WCLONE|unix.WNOTHREAD) != 0 {
		return errno(unix.EINVAL)
	}
	pid := int64(-1)
	switch idtype {
	case unix.P_ALL, unix.P_PGID:
	case unix.P_PID:
		pid = id
	default:
		return errno(unix.EINVAL) // P_PIDFD: no pidfds here
	}
	return p.waitChild(k, t, childWait{pid: pid, waitid: true, nowait: options&unix.WNOWAIT != 0, out: a[2], options: options})
}

// signalProcess sends sig to another process: one of the sender's children (a
// process may signal only itself and its children; any other pid is ESRCH).
func (p *Process) signalProcess(k *kernel.Kernel, pid int64, sig uint64) uint64 {
	if sig > 64 {
		return errno(unix.EINVAL)
	}
	var c *Process
	for _, x := range p.children {
		if int64(x.pid()) == pid {
			c = x
		}
	}
	if c == nil {
		// Other processes, here or in other containers, are not named: ESRCH says
		// nothing about whether they exist.
		return errno(unix.ESRCH)
	}
	if sig == 0 || c.ended {
		return 0 // a zombie takes signals and ignores them
	}
	if sig == uint64(unix.SIGKILL) {
		c.killedBy = int(unix.SIGKILL)
		k.ExitTask(c.task, kernel.TaskKilled, 128+int(sig))
		return 0
	}
	var to *kernel.TCB
	for tt, th := range c.threads {
		if to == nil || th.tid < c.threads[to].tid {
			to = tt
		}
	}
	if to == nil {
		return 0
	}
	return c.sendTo(k, nil, int64(c.threads[to].tid), sig)
}
