package abi

// FaultKind is the label of a fault message the kernel sends to a thread's fault
// endpoint on the thread's behalf. The faulting thread waits for the reply; any reply
// resumes it (a page fault retries the access).
type FaultKind uint64

// Fault kinds and their message words.
const (
	FaultNone           FaultKind = iota
	FaultPage                     // MR0 fault address, MR1 pc, MR2 access (FaultRead/FaultWrite/FaultExec)
	FaultUnknownSyscall           // MR0 system call number, MR1 pc
	FaultException                // MR0 exception code, MR1 pc (the thread cannot continue; a reply leaves it inactive)
	FaultCap                      // MR0 capability pointer, MR1 Errno (unused: capability errors are returned, not faulted)
)

var faultNames = [...]string{"None", "PageFault", "UnknownSyscall", "Exception", "CapFault"}

// String returns the fault kind's name.
func (f FaultKind) String() string {
	if int(f) < len(faultNames) {
		return faultNames[f]
	}
	return "Fault(" + hex(uint64(f)) + ")"
}

// Access kinds reported in a page fault's MR2.
const (
	FaultRead  = 1
	FaultWrite = 2
	FaultExec  = 4
)

// FaultMsgLen is the number of message words in a fault message.
const FaultMsgLen = 3
