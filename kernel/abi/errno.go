package abi

// Errno is the error code a system call returns in Regs.Num. Zero is success. Every
// failing system call changes nothing: its arguments were checked before any state moved.
type Errno uint64

// The error codes.
const (
	OK               Errno = iota
	ErrInvalidSys          // the system call number is not a Skyscope system call
	ErrInvalidCap          // the capability pointer is out of range or names an empty slot
	ErrWrongType           // the capability names an object of the wrong type for the operation
	ErrNoRights            // the capability lacks a right the operation needs
	ErrInvalidArg          // an argument is malformed (bad MsgInfo, unknown method, misaligned address)
	ErrRange               // an argument is outside its allowed range
	ErrSlotFull            // the destination slot already holds a capability (or the IPC name is taken)
	ErrNoMemory            // the memory budget cannot cover the new objects
	ErrWouldBlock          // a non-blocking operation found no partner
	ErrCancelled           // the operation was aborted: the object went away or the thread was suspended
	ErrIllegal             // the operation is not allowed in the object's current state
	ErrNoIPCBuffer         // the message needs the IPC buffer but the thread has none
	ErrAlreadyMapped       // the virtual address is already mapped
	ErrNotMapped           // nothing is mapped at the virtual address
	ErrRevoked             // the capability has derived capabilities and the operation needs it to have none
	ErrNotFound            // the named task, program or entry does not exist
	ErrLimit               // a container's task limit or IPC name limit would be exceeded
	errnoEnd
)

var errnoText = [...]string{
	OK:               "success",
	ErrInvalidSys:    "invalid system call number",
	ErrInvalidCap:    "invalid capability (empty slot or out of range)",
	ErrWrongType:     "capability names the wrong type of object",
	ErrNoRights:      "capability lacks the required rights",
	ErrInvalidArg:    "invalid argument",
	ErrRange:         "argument out of range",
	ErrSlotFull:      "destination slot is not empty (or name taken)",
	ErrNoMemory:      "memory budget exhausted",
	ErrWouldBlock:    "operation would block",
	ErrCancelled:     "operation cancelled",
	ErrIllegal:       "operation not allowed in the current state",
	ErrNoIPCBuffer:   "thread has no IPC buffer",
	ErrAlreadyMapped: "address already mapped",
	ErrNotMapped:     "address not mapped",
	ErrRevoked:       "capability still has derived capabilities",
	ErrNotFound:      "no such task, program or entry",
	ErrLimit:         "container limit reached (tasks or IPC names)",
}

// Error returns the error's description; it lets an Errno be used as an error.
func (e Errno) Error() string {
	if e < errnoEnd {
		return errnoText[e]
	}
	return "unknown error " + hex(uint64(e))
}

// Err returns nil for OK and e otherwise, so that callers can write `if err := e.Err()`.
func (e Errno) Err() error {
	if e == OK {
		return nil
	}
	return e
}
