package amd64

// Entry points in trap_amd64.s. They are never called from Go; their addresses go into
// the LSTAR MSR and the IDT.

func syscallEntry()
func intrErr()
func intrNoErr()
func intrCommon()
func fatalCommon()
func resume()
func idleLoop()
func vectors()

// vectorStubSize is the distance between two entry stubs in vectors (PCALIGN 32; a
// stub is 16 bytes: MOVQ $imm32 to memory and a JMP rel32).
const vectorStubSize = 32
