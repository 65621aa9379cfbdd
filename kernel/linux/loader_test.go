package linux_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"

	"github.com/skyscope-os/skyscope/hal/sim"
	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/linux"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
	"golang.org/x/sys/unix"
)

// tinyELF returns a static x86_64 executable with one read+execute segment of text at
// vaddr and its entry there. On the simulated machine the code is never executed: a
// Go function registered at the entry address runs instead.
func tinyELF(vaddr uint64, text []byte) []byte {
	const ehsize, phsize = 64, 56
	var b bytes.Buffer
	le := binary.LittleEndian
	hdr := elf.Header64{
		Ident:     [elf.EI_NIDENT]byte{0x7f, 'E', 'L', 'F', byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), byte(elf.EV_CURRENT)},
		Type:      uint16(elf.ET_EXEC),
		Machine:   uint16(elf.EM_X86_64),
		Version:   uint32(elf.EV_CURRENT),
		Entry:     vaddr + ehsize + phsize,
		Phoff:     ehsize,
		Ehsize:    ehsize,
		Phentsize: phsize,
		Phnum:     1,
		Shentsize: 64,
	}
	binary.Write(&b, le, hdr)
	size := uint64(ehsize + phsize + len(text))
	binary.Write(&b, le, elf.Prog64{Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Vaddr: vaddr, Paddr: vaddr, Filesz: size, Memsz: size, Align: 0x1000})
	b.Write(text)
	return b.Bytes()
}

// TestHostStartsProcesses: init starts a Linux program from the file tree through its
// System capability; the program sees its pid, its parent, its arguments' count on the
// reads console input that arrives while it waits, and its exit ends its task:
// init is notified, reads the status, and the memory is back.
func TestHostStartsProcesses(t *testing.T) {
	const base = 0x40_0000
	entry := uint64(base + 64 + 56)
	var pid, ppid, got uint64
	var line []byte
	var status int64
	var leaked bool
	input := &linux.Input{}
	m, err := usersim.Boot(usersim.Config{Kernel: kernel.Config{Quiet: true}, Init: func(e *user.Env) {
		ntfn := abi.InitFirstFree
		if err := e.Retype(abi.InitSlotUntyped, abi.ObjNotification, 0, abi.InitSlotCSpace, ntfn, 1); err != nil {
			t.Error(err)
			return
		}
		before, _ := e.Memory(abi.InitSlotSystem)
		id, err := e.StartProgram(abi.InitSlotSystem, []string{"bin/echo", "one", "two"}, 4<<20, 0, ntfn)
		if err != nil {
			t.Errorf("start: %v", err)
			return
		}
		e.Wait(ntfn)
		var st abi.TaskState
		st, status, err = e.TaskStatus(abi.InitSlotSystem, id)
		if err != nil || st != kernel.TaskExited {
			t.Errorf("status: %v %v", st, err)
		}
		after, _ := e.Memory(abi.InitSlotSystem)
		leaked = after.Free != before.Free || after.RootUsed != before.RootUsed
	}})
	if err != nil {
		t.Fatal(err)
	}
	m.Sim.AddProgram(entry, func(p *sim.Port) {
		l := linuxProg{p}
		pid, ppid = l.call(unix.SYS_GETPID), l.call(unix.SYS_GETPPID)
		buf := uint64(0x7fff_0000_0000) // the IPC buffer page: mapped and writable
		got = l.call(unix.SYS_READ, 0, buf, 64)
		line = make([]byte, got)
		p.Load(buf, line)
		l.call(unix.SYS_EXIT_GROUP, 7)
	})
	host := &linux.Host{Files: linux.NewFileTree(map[string][]byte{"bin/echo": tinyELF(base, []byte{0xf4})}),
		Console: m.Console, Input: input, Wall: func() int64 { return 0 }}
	m.SetLoader(host)
	m.Run(m.Now() + 50_000_000) // the program now waits in read(0)
	input.Serve(m.Kernel)
	if got != 0 {
		t.Fatalf("read returned %d before any input", got)
	}
	input.Feed([]byte("hello\n"))
	input.Serve(m.Kernel)
	if r := m.Run(10_000_000_000); r != kernel.StopIdle {
		t.Fatalf("run: %v\n%s", r, m.Console)
	}
	if err := m.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
	if pid != 2 || ppid != 1 || string(line) != "hello\n" || status != 7 || leaked {
		t.Fatalf("pid %d ppid %d read %q status %d leaked %v", pid, ppid, line, status, leaked)
	}
}
