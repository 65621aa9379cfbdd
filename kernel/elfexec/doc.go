// Package elfexec parses the static Linux executables that Skyscope runs as ring-3 user
// tasks and builds their initial process stacks. It is pure Go, needs nothing from the
// machine, and treats every input byte as hostile.
//
// # What Parse accepts
//
// Parse accepts exactly one shape of file: an ELF64, little-endian, x86-64 ET_EXEC
// (static, not position independent) executable, such as the Go toolchain makes with
// GOOS=linux GOARCH=amd64 CGO_ENABLED=0. The format is the one defined by the System V
// ABI, generic part (gABI, edition 4.1, and the later drafts published by SCO):
// chapter 4 "Object Files", sections "ELF Header" (e_ident, e_type, e_machine, e_version)
// and chapter 5 "Program Loading and Dynamic Linking", sections "Program Header"
// (p_type, p_offset, p_vaddr, p_filesz, p_memsz, p_flags, p_align; the rule that
// loadable segments appear in ascending p_vaddr order, that PT_PHDR precedes them, and
// that p_vaddr ≡ p_offset modulo p_align), "Segment Permissions" and "Program Loading".
// The x86-64 specifics (EM_X86_64 = 62, the 4 KiB page, the lower-half user address
// space) come from the System V Application Binary Interface, AMD64 Architecture
// Processor Supplement (psABI), chapter 4 "Object Files" and chapter 5 "Program Loading
// and Dynamic Linking".
//
// Everything else is refused with an *Error whose Reason says why: dynamic executables
// (ET_DYN, PT_INTERP, PT_DYNAMIC), program header tables out of the file or of more than
// MaxPhdrs entries, segments outside the file or outside [MinVaddr, UserLimit), segments
// whose pages overlap, writable and executable segments, executable stacks, images that
// map more than MaxImageSize bytes, and entry points outside the executable code.
// Parse allocates a bounded amount of memory whatever the file claims: at most three
// small objects on success (the Executable, its Segments array of at most MaxPhdrs
// entries, the TLS segment) and one on failure (the *Error).
//
// # The initial stack
//
// BuildStack lays out the stack a Linux process sees at its entry point, as described
// in the psABI section 3.4 "Process Initialization" (subsections "Initial Stack and
// Register State" and "Auxiliary Vector"): argc at the stack pointer, the argv and envp
// pointer arrays each ended by a null pointer, the auxiliary vector ended by AT_NULL, and
// above them the information block (strings and the 16 AT_RANDOM bytes). The stack
// pointer is 16-byte aligned. The auxiliary vector carries what the Go runtime reads at
// start (AT_PAGESZ, AT_RANDOM; no AT_SYSINFO_EHDR, since there is no vDSO) and what
// static C runtimes read (AT_PHDR, AT_PHENT, AT_PHNUM, AT_ENTRY, the ids, AT_SECURE).
package elfexec
