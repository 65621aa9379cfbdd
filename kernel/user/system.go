package user

import (
	"errors"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// Wrappers for the System object's methods: starting programs, listing and ending
// tasks, the kernel log and power (see abi.SystemSpawn and ARCHITECTURE.md).

// MaxPayload is the most bytes a System invocation carries (argv, a log chunk).
const MaxPayload = 8 * (abi.MaxMsgWords - abi.NumRegMRs)

// ErrArgvTooLong is returned by StartProgram when argv does not fit one invocation.
var ErrArgvTooLong = errors.New("program name and arguments exceed the IPC buffer's payload")

// StartProgram asks the System object sys to start program argv[0] with arguments
// argv[1:] as a new task with memory bytes of budget (0: half of the caller's free
// budget) at priority prio (0: 100). notify (0: none) is signalled when the task ends;
// grants (at most two) are copied into the new task's slots abi.InitFirstFree, ….
// It returns the new task's id.
func (e *Env) StartProgram(sys abi.CPtr, argv []string, memory uint64, prio uint8, notify abi.CPtr, grants ...abi.CPtr) (uint64, error) {
	if len(argv) == 0 || argv[0] == "" {
		return 0, abi.ErrInvalidArg
	}
	if len(grants) > 2 {
		return 0, abi.ErrRange
	}
	blob := strings.Join(argv, "\x00")
	if len(blob) > MaxPayload {
		return 0, ErrArgvTooLong
	}
	e.SetPayload([]byte(blob))
	caps := [3]abi.CPtr{notify}
	copy(caps[1:], grants)
	if err := e.invoke(sys, abi.SystemSpawn, []uint64{uint64(len(blob)), memory, uint64(prio)}, caps[:]); err != nil {
		return 0, err
	}
	return e.r.MR[0], nil
}

// TaskInfo returns the first task with id ≥ from (abi.ErrNotFound after the last).
func (e *Env) TaskInfo(sys abi.CPtr, from uint64) (abi.TaskInfo, error) {
	return e.taskInfo(sys, abi.SystemTaskInfo, from)
}

// taskInfo invokes a TaskInfo method (SystemTaskInfo, ContainerTaskInfo) on c.
func (e *Env) taskInfo(c abi.CPtr, m abi.Method, from uint64) (abi.TaskInfo, error) {
	if err := e.invoke(c, m, []uint64{from}, nil); err != nil {
		return abi.TaskInfo{}, err
	}
	var w [abi.TaskInfoWords]uint64
	for i := range w {
		w[i] = e.MR(i)
	}
	return abi.DecodeTaskInfo(w), nil
}

// Tasks lists every task the kernel knows of, live and recently ended.
func (e *Env) Tasks(sys abi.CPtr) ([]abi.TaskInfo, error) {
	return e.tasks(sys, abi.SystemTaskInfo)
}

// tasks lists what a TaskInfo method reports, by calling it from id 0 upwards.
func (e *Env) tasks(c abi.CPtr, m abi.Method) ([]abi.TaskInfo, error) {
	var ts []abi.TaskInfo
	for next := uint64(0); ; {
		t, err := e.taskInfo(c, m, next)
		if errors.Is(err, abi.ErrNotFound) {
			return ts, nil
		}
		if err != nil {
			return ts, err
		}
		ts = append(ts, t)
		next = t.ID + 1
	}
}

// TaskStatus returns a task's state and exit status; a task that has ended is then
// forgotten.
func (e *Env) TaskStatus(sys abi.CPtr, id uint64) (state abi.TaskState, status int64, err error) {
	if err := e.invoke(sys, abi.SystemTaskStatus, []uint64{id}, nil); err != nil {
		return 0, 0, err
	}
	return abi.TaskState(e.r.MR[0]), int64(e.r.MR[1]), nil
}

// Kill ends task id and frees everything it made.
func (e *Env) Kill(sys abi.CPtr, id uint64) error {
	return e.invoke(sys, abi.SystemKill, []uint64{id}, nil)
}

// TaskCap returns task id's first capability at a slot ≥ from, and that slot.
func (e *Env) TaskCap(sys abi.CPtr, id, from uint64) (uint64, CapInfo, error) {
	if err := e.invoke(sys, abi.SystemCaps, []uint64{id, from}, nil); err != nil {
		return 0, CapInfo{}, err
	}
	r := e.r
	return r.MR[0], CapInfo{abi.ObjectType(r.MR[1]), abi.Rights(r.MR[2]), abi.Badge(r.MR[3]), e.MR(abi.NumRegMRs)}, nil
}

// MemoryInfo describes the machine's memory.
type MemoryInfo struct {
	Total    uint64 // bytes in the root memory budget
	Free     uint64 // bytes of free frames
	RootUsed uint64 // bytes of the root budget charged (task budgets included)
	Tasks    uint64 // tasks the kernel keeps records of
	// Shared program images: how many, the frames they hold and how many times those
	// are mapped; Mappings − Frames frames are saved by sharing.
	SharedImages, SharedFrames, SharedMappings uint64
	// Runtime is the bytes of frames the kernel's own Go runtime holds (its heap and
	// stacks come from the same frames, taken and returned on the runtime's
	// schedule): Free + Runtime moves only with what tasks and kernel objects hold.
	// Zero inside a container and in the hosted simulation.
	Runtime uint64
}

// Memory returns the machine's memory figures.
func (e *Env) Memory(sys abi.CPtr) (MemoryInfo, error) {
	if err := e.invoke(sys, abi.SystemMemory, nil, nil); err != nil {
		return MemoryInfo{}, err
	}
	r := e.r
	return MemoryInfo{r.MR[0], r.MR[1], r.MR[2], r.MR[3], e.MR(4), e.MR(5), e.MR(6), e.MR(7)}, nil
}

// ReadLog copies kernel log bytes from offset off into b (at most MaxPayload) and
// returns the count and the next offset. Offsets count bytes since boot; bytes the
// kernel has since dropped are skipped.
func (e *Env) ReadLog(sys abi.CPtr, off uint64, b []byte) (int, uint64, error) {
	if err := e.invoke(sys, abi.SystemLog, []uint64{off}, nil); err != nil {
		return 0, off, err
	}
	got, next := int(e.r.MR[0]), e.r.MR[1]
	n := min(got, len(b), MaxPayload)
	e.t.Load(e.buf+payloadOffset, b[:n])
	return n, next - uint64(got-n), nil // what did not fit b is read next time
}

// PowerOff asks the kernel to power the machine off with exit status status.
func (e *Env) PowerOff(sys abi.CPtr, status int) error {
	return e.invoke(sys, abi.SystemPowerOff, []uint64{uint64(int64(status))}, nil)
}

// Console puts a capability to the console in slot dst of capability space cs,
// through the machine's System object sys.
func (e *Env) Console(sys, cs, dst abi.CPtr) error {
	return e.invoke(sys, abi.SystemConsole, []uint64{uint64(dst)}, []abi.CPtr{cs})
}

// StartProgramWith is StartProgram for a task that needs more than two capabilities:
// first (0: none) is granted at InitFirstFree, then the capabilities in slots 1, 2, …
// of the capability space grants (up to its first empty slot), in order, each with
// the rights it holds there.
func (e *Env) StartProgramWith(sys abi.CPtr, argv []string, memory uint64, prio uint8, notify, first, grants abi.CPtr) (uint64, error) {
	if len(argv) == 0 || argv[0] == "" {
		return 0, abi.ErrInvalidArg
	}
	blob := strings.Join(argv, "\x00")
	if len(blob) > MaxPayload {
		return 0, ErrArgvTooLong
	}
	e.SetPayload([]byte(blob))
	return e.spawnWith(sys, abi.SystemSpawn, uint64(len(blob)), memory, prio, notify, first, grants)
}

// spawnWith invokes a spawn method with a grant space.
func (e *Env) spawnWith(sys abi.CPtr, m abi.Method, n, memory uint64, prio uint8, notify, first, grants abi.CPtr) (uint64, error) {
	if err := e.invoke(sys, m, []uint64{n, memory, uint64(prio) | abi.SpawnGrantSpace}, []abi.CPtr{notify, first, grants}); err != nil {
		return 0, err
	}
	return e.r.MR[0], nil
}
