package kernel_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
	"github.com/skyscope-os/skyscope/kernel/usersim"
)

const ctrTalkerPC = 0x8b_0000 // prints a first line, 70 KiB of numbered lines and a last line

// readLog reads container c's whole output log from offset 0.
func readLog(t *testing.T, e *user.Env, c abi.CPtr) (out string, dropped uint64) {
	t.Helper()
	b := make([]byte, user.MaxPayload)
	var sb strings.Builder
	for off := uint64(0); ; {
		n, next, d, err := e.ContainerLog(c, off, b)
		must(t, err)
		if n == 0 {
			return sb.String(), d
		}
		sb.Write(b[:n])
		off, dropped = next, d
	}
}

// TestContainerLog: what a container's tasks write to the console reaches the console
// and the container's log, only that container's; the log keeps the newest
// abi.ContainerLogBytes and counts what it dropped; Read is needed to read it, and it
// goes with the container.
func TestContainerLog(t *testing.T) {
	const first = "talker: first line\n"
	w := bootCtr(t, func(e *user.Env) {
		must(t, e.SetPriority(self, self, 50))
		slots := initSlots()
		c, _ := slots.Take()
		other, _ := slots.Take()
		wo, _ := slots.Take()
		ntfn := retype(e, slots, abi.ObjNotification, 0)
		_, err := e.CreateContainer(sys, "talk", lim(1<<20, 2), c)
		must(t, err)
		_, err = e.CreateContainer(sys, "quiet", lim(1<<20, 2), other)
		must(t, err)
		if out, d := readLog(t, e, c); out != "" || d != 0 {
			t.Errorf("a new container's log: %q, %d dropped", out, d)
		}
		_, err = e.StartInContainer(c, []string{"talker"}, 0, 0, 0, ntfn, console)
		must(t, err)
		must(t, e.Print(console, "init: outside every container\n"))
		e.Wait(ntfn)

		out, dropped := readLog(t, e, c)
		total := uint64(len(first)) + 70*1024 + uint64(len("talker: last line\n"))
		if uint64(len(out)) != abi.ContainerLogBytes || dropped != total-abi.ContainerLogBytes {
			t.Errorf("log of %d bytes, %d dropped; want %d and %d", len(out), dropped, abi.ContainerLogBytes, total-abi.ContainerLogBytes)
		}
		if !strings.HasSuffix(out, "line 0069 "+strings.Repeat("x", 1013)+"\ntalker: last line\n") || strings.Contains(out, first) {
			t.Errorf("log does not end with the newest output or still has the first line: ...%q", out[max(0, len(out)-80):])
		}
		if strings.Contains(out, "init:") {
			t.Errorf("init's output is in the container's log")
		}
		// An offset already overwritten reads from the oldest byte kept.
		b := make([]byte, 8)
		n, next, _, err := e.ContainerLog(c, 0, b)
		if must(t, err); n != 8 || next != dropped+8 || string(b) != out[:8] {
			t.Errorf("read at 0 after drops: %d bytes %q, next %d", n, b[:n], next)
		}
		if out, d := readLog(t, e, other); out != "" || d != 0 {
			t.Errorf("another container's log: %q, %d dropped", out, d)
		}
		must(t, e.Copy(cs, wo, cs, c, abi.RightWrite))
		_, _, _, err = e.ContainerLog(wo, 0, b)
		expectErrno(t, "log without Read", err, abi.ErrNoRights)
		_, _, _, err = e.ContainerLog(ntfn, 0, b)
		expectErrno(t, "log of a notification", err, abi.ErrWrongType)
		must(t, e.DestroyContainer(c))
		_, _, _, err = e.ContainerLog(c, 0, b)
		expectErrno(t, "log of a destroyed container", err, abi.ErrIllegal)
		must(t, e.DestroyContainer(other))
	}, nil, nil)
	w.Sim.AddProgram(ctrTalkerPC, usersim.Entry(func(e *user.Env) {
		cons := abi.InitFirstFree
		must(t, e.Print(cons, first))
		for i := range 70 {
			must(t, e.Print(cons, fmt.Sprintf("line %04d %s\n", i, strings.Repeat("x", 1013))))
		}
		must(t, e.Print(cons, "talker: last line\n"))
	}))
	w.SetLoader(usersim.Loader{Entries: map[string]uint64{"talker": ctrTalkerPC}})
	w.finish()
	if !strings.Contains(w.Console.String(), first) || !strings.Contains(w.Console.String(), "init: outside") {
		t.Errorf("the console lacks the container's or init's output")
	}
}
