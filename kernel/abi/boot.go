package abi

// The initial capability space of the init task: the kernel places these capabilities
// at boot (see kernel.Boot). Slots from InitFirstFree up are empty.
const (
	InitSlotCSpace       CPtr = 1 // init's own capability space (all rights)
	InitSlotTCB          CPtr = 2 // init's own thread
	InitSlotAddressSpace CPtr = 3 // init's address space
	InitSlotUntyped      CPtr = 4 // the root memory budget: all memory not used by the kernel
	InitSlotIRQControl   CPtr = 5 // the authority to claim interrupt lines
	InitSlotConsole      CPtr = 6 // the kernel console
	InitSlotIPCBuffer    CPtr = 7 // the frame holding init's IPC buffer
	InitSlotSystem       CPtr = 8 // the authority over tasks and the machine
	InitFirstFree        CPtr = 9 // first empty slot (tasks made by SystemSpawn find their granted capabilities here)
)

// InitIPCBuffer is the user address of init's IPC buffer. Init starts with its first
// argument register holding this address too.
const InitIPCBuffer = 0x7fff_0000_0000

// InitStackTop is the top of init's stack when the kernel maps one
// (kernel.Config.InitStackPages); init starts with its stack pointer here.
const InitStackTop = 0x7ffe_0000_0000

// FrameWindow is where a Go task maps frames it holds capabilities to — shared
// regions, device registers — with FrameMap. It lies below the initial stack, where
// the Linux personality's top-down mmap placement arrives only after about 11 GiB of
// mappings above it. It is not yet reserved (see kernel/linux's NewProcess).
const (
	FrameWindow     = 0x7ffd_0000_0000
	FrameWindowSize = 1 << 30
)
