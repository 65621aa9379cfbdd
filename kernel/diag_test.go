package kernel_test

import (
	"strings"
	"testing"

	"github.com/skyscope-os/skyscope/kernel"
	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// A machine whose only thread waits on a notification nobody signals makes no more
// progress, and the watchdog's dump names the thread, its state and the notification.
func TestDumpThreadsNamesTheWait(t *testing.T) {
	w := boot(t, func(e *user.Env) {
		slots := initSlots()
		n := retype(e, slots, abi.ObjNotification, 0)
		e.Wait(n) // nobody signals: the machine goes idle here
	}, nil)
	if r := w.Run(10_000_000_000); r != kernel.StopIdle {
		t.Fatalf("machine did not go idle: %v", r)
	}
	before := w.Progress()
	w.Run(w.Now() + 1_000_000_000)
	if after := w.Progress(); after != before {
		t.Errorf("Progress moved from %d to %d on a machine with nothing to do", before, after)
	}
	var b strings.Builder
	w.DumpThreads(&b)
	out := b.String()
	for _, want := range []string{"1 threads", "blocked-notification", "notification #", "pending false", "next wake never"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
}
