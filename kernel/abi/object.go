package abi

// ObjectType names a kind of kernel object.
type ObjectType uint64

// The kernel object types. Types up to ObjAddressSpace can be made by Untyped Retype.
const (
	ObjNull         ObjectType = iota // an empty slot
	ObjUntyped                        // a memory budget from which objects are made
	ObjTCB                            // a thread control block
	ObjEndpoint                       // a synchronous IPC rendezvous
	ObjNotification                   // an asynchronous signal word
	ObjReply                          // the one-shot right to answer a Call
	ObjCSpace                         // a capability space of 2^radix slots
	ObjFrame                          // one page of memory
	ObjAddressSpace                   // a virtual address space (page-table root)
	ObjIRQControl                     // the authority to create IRQ handlers
	ObjIRQHandler                     // the authority to receive and acknowledge one interrupt line
	ObjConsole                        // the kernel console
	ObjContainer                      // a container: a memory budget, CPU and task limits, a pid namespace, its tasks
	ObjSystem                         // the authority over tasks and the machine: start, list, kill, log, power off
	ObjDevice                         // a device the machine found (a PCI function): its configuration space and register pages
	objTypeEnd
)

// NumObjectTypes is the number of object types.
const NumObjectTypes = int(objTypeEnd)

var objNames = [...]string{"Null", "Untyped", "TCB", "Endpoint", "Notification", "Reply",
	"CSpace", "Frame", "AddressSpace", "IRQControl", "IRQHandler", "Console", "Container", "System", "Device"}

// String returns the type's name.
func (t ObjectType) String() string {
	if t < objTypeEnd {
		return objNames[t]
	}
	return "ObjectType(" + hex(uint64(t)) + ")"
}

// Retypable reports whether Untyped Retype can make objects of type t.
func (t ObjectType) Retypable() bool { return t >= ObjUntyped && t <= ObjAddressSpace }

// PageSize is the size of a frame and the granularity of mappings.
const PageSize = 4096

// Object sizes charged to a memory budget. They bound the kernel memory a task can cause;
// each is at least the size of the kernel's own structure.
const (
	SizeTCB          = 2048
	SizeEndpoint     = 64
	SizeNotification = 64
	SizeReply        = 64
	SizeCSpaceSlot   = 64 // per slot; a CSpace of radix r costs SizeCSpaceSlot << r
	SizeFrame        = PageSize
	SizeAddressSpace = PageSize
	SizeContainer    = 1024 + ContainerLogBytes + MaxIPCNames*(SizeIPCName+IPCNameBytes) // the container object, its output log, IPC names and IPC allow-list, charged to its parent's budget
	SizeIPCName      = 128                                                               // an IPC name registry entry
	MinUntypedSize   = PageSize
	MaxCSpaceRadix   = 16
)

// Method is the label of a SysInvoke message: which operation of the object to run.
type Method uint64

// Invocation methods. Arguments are message words (MR) and extra capabilities (cap)
// passed as capability pointers in the IPC buffer; results come back as message words.
// ARCHITECTURE.md lists each method's arguments, rights and errors.
const (
	MethodNone Method = iota

	// Untyped (RightWrite)
	UntypedRetype // MR0 type, MR1 size (radix for CSpace, bytes for Untyped), MR2 first dest slot, MR3 count; cap0 dest CSpace (Write)
	UntypedInfo   // → MR0 capacity bytes, MR1 used bytes

	// CSpace (RightWrite on the destination CSpace; RightRead on the source CSpace)
	CSpaceCopy    // MR0 dest slot, MR1 src slot, MR2 rights mask; cap0 src CSpace
	CSpaceMint    // MR0 dest slot, MR1 src slot, MR2 rights mask, MR3 badge; cap0 src CSpace
	CSpaceMove    // MR0 dest slot, MR1 src slot; cap0 src CSpace
	CSpaceMutate  // MR0 dest slot, MR1 src slot, MR2 rights mask, MR3 badge; cap0 src CSpace
	CSpaceDelete  // MR0 slot
	CSpaceRevoke  // MR0 slot
	CSpaceInspect // MR0 slot → MR0 type, MR1 rights, MR2 badge, MR3 object id (RightRead)

	// TCB (RightWrite unless noted)
	TCBConfigure       // MR0 IPC buffer address; cap0 CSpace, cap1 AddressSpace, cap2 IPC buffer Frame (each optional)
	TCBWriteRegisters  // MR0 pc, MR1 sp, MR2 arg
	TCBReadRegisters   // → MR0 pc, MR1 sp, MR2 state (RightRead)
	TCBResume          //
	TCBSuspend         //
	TCBSetPriority     // MR0 priority; cap0 authority TCB whose MCP bounds it
	TCBSetMCPriority   // MR0 maximum controlled priority; cap0 authority TCB
	TCBSetTimeSlice    // MR0 time slice in nanoseconds
	TCBSetFaultHandler // cap0 fault endpoint (Write; copied into the TCB), or none to clear
	TCBSetCPUBudget    // MR0 budget ns, MR1 period ns (both 0 = unlimited)

	// Frame
	FrameMap   // MR0 vaddr, MR1 rights (Read/Write); cap0 AddressSpace (Write)
	FrameUnmap // MR0 vaddr; cap0 AddressSpace (Write)

	// IRQ
	IRQControlGet       // MR0 irq line, MR1 dest slot; cap0 dest CSpace (Write)
	IRQHandlerSetNotify // cap0 notification (Write); its badge is the one signalled
	IRQHandlerAck       // re-enable the line after handling
	IRQHandlerClear     // unbind the notification

	// Console (RightWrite)
	ConsoleWrite // MR0 byte count; bytes from the IPC buffer starting at message word NumRegMRs

	// System (RightWrite for those that change something, RightRead for the others)
	SystemSpawn      // MR0 argv byte count (NUL-separated, from word NumRegMRs), MR1 memory bytes (0: half the caller's free budget), MR2 priority (0: 100); cap0 exit notification, cap1–2 granted → MR0 task id
	SystemTaskInfo   // MR0 lowest task id to report → words 0..TaskInfoWords-1: the first task with id ≥ MR0 (RightRead)
	SystemTaskStatus // MR0 task id → MR0 TaskState, MR1 exit status; an ended task's record is then forgotten (RightRead)
	SystemKill       // MR0 task id
	SystemCaps       // MR0 task id, MR1 lowest slot → MR0 slot, MR1 type, MR2 rights, MR3 badge, MR4 object id (RightRead)
	SystemMemory     // → MR0 machine bytes, MR1 free frame bytes, MR2 root budget used bytes, MR3 tasks, MR4 shared images, MR5 their frames, MR6 their mappings (RightRead)
	SystemLog        // MR0 offset in the kernel log → MR0 byte count, MR1 next offset; bytes from word NumRegMRs (RightRead)
	SystemPowerOff   // MR0 exit status: the machine powers off

	// Containers. SystemContainerCreate makes a child of the System object's container;
	// the Container methods act on the container a capability names.
	SystemContainerCreate // words 0–8 ContainerLimits, word 9 dest slot, words 10–11 name → MR0 container id
	ContainerStart        // MR0 argv byte count (from word NumRegMRs), MR1 memory cap (0: the container's), MR2 priority (bit 8: SpawnGrantSpace), MR3 rights of the task's container System; cap0 exit notification, cap1–2 granted → MR0 container-local pid
	ContainerStop         // MR0 grace period ns: signal the stop notification, kill what is left at the deadline
	ContainerDestroy      // kill everything, free every frame, object and capability it held
	ContainerInspect      // → words 0..ContainerInfoWords-1 (RightRead)
	ContainerSetLimits    // words 0–8 ContainerLimits: new limits, within the parent's
	ContainerKill         // MR0 container-local pid: end that task
	ContainerTaskInfo     // MR0 lowest container-local pid → TaskInfo words, ids container-local (RightRead)
	ContainerLink         // cap0 peer Container; MR0 our end's slot, MR1 the peer end's slot, MR2 1 to allow Grant → MR0 link id
	ContainerUnlink       // MR0 link id: revoke both ends
	ContainerSignal       // MR0 container-local pid, MR1 signal bits (not ContainerStopBadge): OR them into that task's stop notification

	// Devices. SystemDevice gives a Device capability (not a container's System);
	// a Device's frames map its memory BARs uncached, for a driver task.
	SystemDevice      // MR0 device index (a container's System: index in its allow-list), MR1 dest slot; cap0 dest CSpace (Write) → words 0..DeviceInfoWords-1 (RightWrite)
	DeviceConfigRead  // MR0 offset, MR1 width (1, 2, 4) → MR0 value (RightRead)
	DeviceConfigWrite // MR0 offset, MR1 width, MR2 value; BARs, the ROM address and the identity are refused (RightWrite)
	DeviceFrame       // MR0 BAR, MR1 page in the BAR, MR2 dest slot; cap0 dest CSpace (Write): a Frame for that register page (RightWrite)
	FrameAddress      // → MR0 the frame's physical address, for DMA (RightWrite)

	// ContainerAllowDevice adds a device to a container's allow-list: its System
	// object's SystemDevice then gives that device (and only the listed ones, in the
	// order allowed). A nested container's list is a subset of its parent's.
	ContainerAllowDevice // cap0 the Device (Write) (RightWrite)

	// The image cache: program images the module manager verified, kept by the kernel
	// under the SHA3-512 digest of their bytes (the machine's System object only,
	// except SystemImageSpawn).
	SystemImagePut   // MR0 address, MR1 length of the image in the caller's memory, MR2 flags (ImageSharable, ImagePinned), MR3 name length; words from NumRegMRs: the 64-byte digest, the name, then the signature's address and length (8 bytes each): the kernel checks the signature over the image against its trust root (RightWrite)
	SystemImageSpawn // MR0 argv byte count, MR1 memory, MR2 priority; words from NumRegMRs: the 64-byte digest, then argv; cap0 exit notification, cap1–2 granted → MR0 task id (RightWrite)
	SystemImageInfo  // MR0 index → MR0 bytes, MR1 flags, MR2 tasks started from it, MR3 name length; words from NumRegMRs: digest, then name (RightRead)
	SystemImageStats // → MR0 bytes cached, MR1 limit, MR2 images, MR3 hits, MR4 misses, MR5 evictions (RightRead)

	// SystemConsole puts a capability to the console (Write) in slot MR0 of CSpace
	// cap0 (the machine's System only; RightWrite).
	SystemConsole

	// ContainerLog reads the container's output log: what its tasks wrote to the
	// console, the newest ContainerLogBytes of it, by offset like SystemLog.
	ContainerLog // MR0 offset in the container's output → MR0 byte count, MR1 next offset, MR2 bytes dropped so far; bytes from word NumRegMRs (RightRead)

	// IPC names: a System object's container's registry of endpoint capabilities by
	// name, usable only by threads of that container (the machine's System: the
	// root's). The name is MR0 bytes from word NumRegMRs.
	SystemRegister   // MR0 name length; cap0 the Endpoint to register: the name lasts while that capability stays in its slot (RightWrite)
	SystemLookup     // MR0 name length, MR1 dest slot; cap0 dest CSpace (Write): a copy of the registered capability (RightRead)
	SystemUnregister // MR0 name length; cap0 the capability it was registered with (RightWrite)
	ContainerNames   // MR0 index → MR0 byte count of the index-th registered name (from word NumRegMRs), MR1 next index (RightRead)

	// User and group ids: a container maps its tasks' ids to its parent's, like
	// /proc/PID/uid_map, set once per kind before its first task.
	ContainerSetIDMap // MR0 IDKind, MR1 count (1–MaxIDMaps), words 2.. the IDMaps, two words each (RightWrite)
	ContainerIDMap    // MR0 IDKind → MR0 count, words 1.. the IDMaps, two words each (RightRead)
	ContainerMapID    // MR0 IDKind, MR1 id inside → MR0 the machine's id, MR1 1 if mapped (else MR0 is OverflowID) (RightRead)

	// ContainerChargeIO charges an I/O request made for a task of the container to
	// its I/O rate limits (and every enclosing container's): the service serving it
	// holds it for the delay returned. Requests are delayed, never refused.
	ContainerChargeIO // MR0 bytes, MR1 operations (each ≤ MaxIOCharge) → MR0 delay ns (RightWrite)

	// ContainerAllowName puts a name on the container's IPC allow-list (a
	// descriptor's namespaces.ipc): once it has a list, SystemRegister in its
	// registry takes only names on it. Only before its first task.
	ContainerAllowName // MR0 name length (0: only make the list, empty, so nothing may be registered); name from word NumRegMRs (RightWrite)

	// ContainerSystem gives the holder of a Container capability (Write) a copy of
	// the container's own System object, as ContainerStart gives one to each task it
	// starts: so that a service outside (the module manager) can start tasks inside
	// it, from the kernel's image cache, without being inside it itself.
	ContainerSystem // MR0 dest slot, MR1 rights (Read, Write); cap0 dest CSpace (Write) (RightWrite)

	methodEnd
)

var methodNames = [...]string{"None", "UntypedRetype", "UntypedInfo", "CSpaceCopy", "CSpaceMint",
	"CSpaceMove", "CSpaceMutate", "CSpaceDelete", "CSpaceRevoke", "CSpaceInspect", "TCBConfigure",
	"TCBWriteRegisters", "TCBReadRegisters", "TCBResume", "TCBSuspend", "TCBSetPriority",
	"TCBSetMCPriority", "TCBSetTimeSlice", "TCBSetFaultHandler", "TCBSetCPUBudget", "FrameMap",
	"FrameUnmap", "IRQControlGet", "IRQHandlerSetNotify", "IRQHandlerAck", "IRQHandlerClear",
	"ConsoleWrite", "SystemSpawn", "SystemTaskInfo", "SystemTaskStatus", "SystemKill", "SystemCaps",
	"SystemMemory", "SystemLog", "SystemPowerOff", "SystemContainerCreate", "ContainerStart",
	"ContainerStop", "ContainerDestroy", "ContainerInspect", "ContainerSetLimits", "ContainerKill",
	"ContainerTaskInfo", "ContainerLink", "ContainerUnlink", "ContainerSignal", "SystemDevice",
	"DeviceConfigRead", "DeviceConfigWrite", "DeviceFrame", "FrameAddress", "ContainerAllowDevice",
	"SystemImagePut", "SystemImageSpawn", "SystemImageInfo", "SystemImageStats", "SystemConsole",
	"ContainerLog", "SystemRegister", "SystemLookup", "SystemUnregister", "ContainerNames",
	"ContainerSetIDMap", "ContainerIDMap", "ContainerMapID", "ContainerChargeIO",
	"ContainerAllowName", "ContainerSystem"}

// String returns the method's name.
func (m Method) String() string {
	if m < methodEnd {
		return methodNames[m]
	}
	return "Method(" + hex(uint64(m)) + ")"
}

// NumMethods is the number of invocation methods (including MethodNone).
const NumMethods = int(methodEnd)

// MaxPriority is the highest scheduling priority; 0 is the lowest.
const MaxPriority = 255

// TaskInfo is one task as SystemTaskInfo reports it, in message words 0..TaskInfoWords-1.
type TaskInfo struct {
	ID, Parent  uint64
	State       TaskState
	Status      int64  // exit status of an ended task
	Priority    uint64 // of its first thread
	Threads     uint64 // live threads
	ThreadState uint64 // the first thread's state (the kernel's ThreadState)
	MemUsed     uint64 // bytes charged to its budget, less the budgets of tasks it started
	MemLimit    uint64 // its budget's size
	CPUNanos    uint64 // CPU time used
	Name        string // at most TaskNameBytes bytes
}

// TaskNameBytes is the longest task name SystemTaskInfo reports.
const TaskNameBytes = 32

// TaskInfoWords is the number of message words of a TaskInfo.
const TaskInfoWords = 10 + TaskNameBytes/8

// Words encodes the record as message words.
func (t *TaskInfo) Words() [TaskInfoWords]uint64 {
	w := [TaskInfoWords]uint64{t.ID, t.Parent, uint64(t.State), uint64(t.Status), t.Priority, t.Threads,
		t.ThreadState, t.MemUsed, t.MemLimit, t.CPUNanos}
	name := t.Name
	if len(name) > TaskNameBytes {
		name = name[:TaskNameBytes]
	}
	for i := 0; i < len(name); i++ {
		w[10+i/8] |= uint64(name[i]) << (8 * (i % 8))
	}
	return w
}

// DecodeTaskInfo decodes message words made by Words.
func DecodeTaskInfo(w [TaskInfoWords]uint64) TaskInfo {
	var name []byte
	for i := range TaskNameBytes {
		c := byte(w[10+i/8] >> (8 * (i % 8)))
		if c == 0 {
			break
		}
		name = append(name, c)
	}
	return TaskInfo{ID: w[0], Parent: w[1], State: TaskState(w[2]), Status: int64(w[3]), Priority: w[4], Threads: w[5],
		ThreadState: w[6], MemUsed: w[7], MemLimit: w[8], CPUNanos: w[9], Name: string(name)}
}

// TaskState says whether a task runs and, if it ended, how (TaskInfo.State,
// SystemTaskStatus).
type TaskState uint64

// Task states.
const (
	TaskLive    TaskState = iota // running or waiting
	TaskExited                   // ended by its own exit; the status is its exit status
	TaskKilled                   // ended by SystemKill
	TaskFaulted                  // ended by a fault nothing handled
)

var taskStateNames = [...]string{"live", "exited", "killed", "faulted"}

// String returns the state's name.
func (s TaskState) String() string {
	if s < TaskState(len(taskStateNames)) {
		return taskStateNames[s]
	}
	return "TaskState(" + hex(uint64(s)) + ")"
}
