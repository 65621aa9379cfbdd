package kernel

import (
	"fmt"
	"strings"

	"github.com/skyscope-os/skyscope/kernel/abi"
)

// ABIMarkdown renders the system call table, the invocation method table and the error
// codes as Markdown, from the same tables the kernel dispatches with. ARCHITECTURE.md
// embeds its output; a test keeps the two identical.
func ABIMarkdown() string {
	var b strings.Builder
	b.WriteString("| number | call | what it does |\n|---|---|---|\n")
	for i, s := range syscalls {
		fmt.Fprintf(&b, "| %#x | %s | %s |\n", uint64(abi.SysBase)+uint64(i), s.name, s.summary)
	}
	b.WriteString("\n| label | method | object | rights | args | caps | what it does |\n|---|---|---|---|---|---|---|\n")
	for m := 1; m < abi.NumMethods; m++ {
		s := methods[m]
		fmt.Fprintf(&b, "| %d | %v | %v | %v | %d | %d | %s |\n", m, abi.Method(m), s.typ, s.rights, s.args, s.caps, s.summary)
	}
	b.WriteString("\n| code | error | meaning |\n|---|---|---|\n")
	for e := abi.OK; e.Error() != "unknown error "+fmt.Sprintf("%#x", uint64(e)); e++ {
		fmt.Fprintf(&b, "| %d | %s | %s |\n", e, errName(e), e.Error())
	}
	return b.String()
}

func errName(e abi.Errno) string {
	names := [...]string{"OK", "ErrInvalidSys", "ErrInvalidCap", "ErrWrongType", "ErrNoRights",
		"ErrInvalidArg", "ErrRange", "ErrSlotFull", "ErrNoMemory", "ErrWouldBlock", "ErrCancelled",
		"ErrIllegal", "ErrNoIPCBuffer", "ErrAlreadyMapped", "ErrNotMapped", "ErrRevoked", "ErrNotFound", "ErrLimit"}
	if int(e) < len(names) {
		return names[e]
	}
	return fmt.Sprintf("Errno(%d)", e)
}
