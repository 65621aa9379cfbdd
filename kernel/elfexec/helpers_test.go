package elfexec

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// ph is one program header of a hand-built test ELF.
type ph struct {
	typ, flags                       uint32
	off, vaddr, filesz, memsz, align uint64
}

// spec describes a hand-built ELF64 file; bytes() writes it. Fields hold raw header
// values so that tests can set any of them to nonsense.
type spec struct {
	ident             [16]byte
	typ, machine      uint16
	version           uint32
	entry, phoff      uint64
	ehsize, phentsize uint16
	phnum             int // written as e_phnum; set from len(phdrs) by the constructors
	phdrs             []ph
	size              int // file size; the program headers are written only where they fit
}

const (
	rx = pfR | pfX
	rw = pfR | pfW
	ro = pfR
)

func baseSpec() *spec {
	s := &spec{typ: etExec, machine: emX86_64, version: evCurrent, phoff: ehdrSize,
		ehsize: ehdrSize, phentsize: PhdrSize}
	copy(s.ident[:], "\x7fELF")
	s.ident[4], s.ident[5], s.ident[6] = elfClass64, elfData2LSB, evCurrent
	return s
}

// minimalSpec is the smallest sensible static executable: PT_PHDR, a text PT_LOAD that
// covers the headers and 16 bytes of code, a data PT_LOAD with bss, PT_GNU_STACK.
//
//	0x000 ELF header, 0x040 4 program headers, 0x120 code (entry), 0x130 data
func minimalSpec() *spec {
	s := baseSpec()
	s.phdrs = []ph{
		{typ: ptPhdr, flags: ro, off: 0x40, vaddr: 0x400040, filesz: 4 * PhdrSize, memsz: 4 * PhdrSize, align: 8},
		{typ: ptLoad, flags: rx, off: 0, vaddr: 0x400000, filesz: 0x130, memsz: 0x130, align: 0x1000},
		{typ: ptLoad, flags: rw, off: 0x130, vaddr: 0x401130, filesz: 0x10, memsz: 0x2000, align: 0x1000},
		{typ: ptGNUStack, flags: rw, align: 16},
	}
	s.phnum = len(s.phdrs)
	s.entry = 0x400120
	s.size = 0x140
	return s
}

// richSpec has everything Parse records: PT_PHDR, PT_NOTE, text, rodata and data
// PT_LOADs, PT_TLS inside the data segment, PT_GNU_STACK.
//
//	0x000 ELF header, 0x040 7 program headers, 0x1c8 note, 0x1d0 code (entry),
//	0x1e0 rodata, 0x200 data (TLS image at its start)
func richSpec() *spec {
	s := baseSpec()
	s.phdrs = []ph{
		{typ: ptPhdr, flags: ro, off: 0x40, vaddr: 0x400040, filesz: 7 * PhdrSize, memsz: 7 * PhdrSize, align: 8},
		{typ: 4 /* PT_NOTE */, flags: ro, off: 0x1c8, vaddr: 0x4001c8, filesz: 8, memsz: 8, align: 4},
		{typ: ptLoad, flags: rx, off: 0, vaddr: 0x400000, filesz: 0x1e0, memsz: 0x1e0, align: 0x1000},
		{typ: ptLoad, flags: ro, off: 0x1e0, vaddr: 0x4011e0, filesz: 0x20, memsz: 0x20, align: 0x1000},
		{typ: ptLoad, flags: rw, off: 0x200, vaddr: 0x402200, filesz: 0x20, memsz: 0x3000, align: 0x1000},
		{typ: ptTLS, flags: ro, off: 0x200, vaddr: 0x402200, filesz: 0x10, memsz: 0x40, align: 16},
		{typ: ptGNUStack, flags: rw, align: 16},
	}
	s.phnum = len(s.phdrs)
	s.entry = 0x4001d0
	s.size = 0x220
	return s
}

func (s *spec) bytes() []byte {
	b := make([]byte, s.size)
	for i := range b {
		b[i] = 0xcc // int3: "code"
	}
	if len(b) < ehdrSize {
		return b
	}
	le := binary.LittleEndian
	copy(b, s.ident[:])
	le.PutUint16(b[16:], s.typ)
	le.PutUint16(b[18:], s.machine)
	le.PutUint32(b[20:], s.version)
	le.PutUint64(b[24:], s.entry)
	le.PutUint64(b[32:], s.phoff)
	le.PutUint64(b[40:], 0) // e_shoff: no section headers
	le.PutUint32(b[48:], 0)
	le.PutUint16(b[52:], s.ehsize)
	le.PutUint16(b[54:], s.phentsize)
	le.PutUint16(b[56:], uint16(s.phnum))
	le.PutUint16(b[58:], 64)
	le.PutUint16(b[60:], 0)
	le.PutUint16(b[62:], 0)
	for i, p := range s.phdrs {
		rel := uint64(i) * PhdrSize
		if s.phoff > uint64(len(b)) || uint64(len(b))-s.phoff < rel+PhdrSize {
			continue // does not fit (and s.phoff+rel might wrap)
		}
		at := s.phoff + rel
		h := b[at : at+PhdrSize]
		le.PutUint32(h[0:], p.typ)
		le.PutUint32(h[4:], p.flags)
		le.PutUint64(h[8:], p.off)
		le.PutUint64(h[16:], p.vaddr)
		le.PutUint64(h[24:], p.vaddr) // p_paddr
		le.PutUint64(h[32:], p.filesz)
		le.PutUint64(h[40:], p.memsz)
		le.PutUint64(h[48:], p.align)
	}
	return b
}

// Real Go binaries, built once per test process.
var (
	goBinMu    sync.Mutex
	goBinCache = map[string][]byte{}
)

const helloSource = `package main

import (
	"fmt"
	"os"
)

func main() { fmt.Println(len(os.Args), os.Getenv("HOME")) }
`

// goBinary builds a tiny Go program for linux/amd64 without cgo, with the given extra
// go build flags, and returns the file's bytes.
func goBinary(t testing.TB, flags ...string) []byte {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not available:", err)
	}
	key := filepath.Join(flags...)
	goBinMu.Lock()
	defer goBinMu.Unlock()
	if b, ok := goBinCache[key]; ok {
		return b
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(helloSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "hello")
	args := append([]string{"build", "-o", out}, flags...)
	cmd := exec.Command(goTool, append(args, ".")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "GOFLAGS=-buildvcs=false", "GOWORK=off")
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", flags, err, msg)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	goBinCache[key] = b
	return b
}

// progIndex returns the index of the n-th (from 0) program header of type typ, using
// debug/elf as the oracle.
func progIndex(t testing.TB, image []byte, typ elf.ProgType, n int) int {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range f.Progs {
		if p.Type == typ {
			if n == 0 {
				return i
			}
			n--
		}
	}
	t.Fatalf("no program header %v #%d", typ, n)
	return -1
}

// patchPhdr rewrites field (byte offset within Elf64_Phdr) of program header i.
func patchPhdr(image []byte, i int, field int, v uint64, width int) {
	phoff := binary.LittleEndian.Uint64(image[32:])
	at := int(phoff) + i*PhdrSize + field
	if width == 4 {
		binary.LittleEndian.PutUint32(image[at:], uint32(v))
	} else {
		binary.LittleEndian.PutUint64(image[at:], v)
	}
}
