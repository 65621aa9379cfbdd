package lock

import (
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/skyscope-os/skyscope/internal/spincheck"
	"pgregory.net/rapid"
)

const modelFile = "locks.pml"

// TestLockModel (seed verification target 6) checks locks.pml with spin: exclusion and
// the release of a dead holder's locks with one kill at any moment, and no deadlock
// with no kill (a kill that is still possible would end a circular wait and hide it).
func TestLockModel(t *testing.T) {
	spincheck.Verify(t, modelFile, spincheck.Options{})
	spincheck.Verify(t, modelFile, spincheck.Options{Defines: []string{"NKILLS=0"}})
}

// TestLockModelSeededBugs: each guard of the lock manager removed from the model gives
// a counterexample, so the model does not pass whatever the protocol does.
func TestLockModelSeededBugs(t *testing.T) {
	for _, bug := range []struct {
		defines []string
		want    string
	}{
		{[]string{"BUG_NO_EXCL_CHECK"}, "assertion violated ((in_excl"},
		{[]string{"BUG_NO_ORDER", "NKILLS=0"}, "invalid end state"},
		{[]string{"BUG_NO_DEATH_RELEASE"}, "invalid end state"},
	} {
		t.Run(bug.defines[0], func(t *testing.T) {
			spincheck.Refute(t, modelFile, spincheck.Options{Defines: bug.defines}, bug.want)
		})
	}
}

// mtype returns the names of the model's mtype:name declaration.
func mtype(t *testing.T, src, name string) []string {
	names, err := spincheck.Mtype(src, name)
	if err != nil {
		t.Fatalf("%s: %v", modelFile, err)
	}
	return names
}

// TestLockModelDrift fails when the model's events, answers and modes and the Go
// code's enumerations part: a name added, removed or renamed on one side only.
func TestLockModelDrift(t *testing.T) {
	b, err := os.ReadFile(modelFile)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	check := func(what string, model, code []string) {
		if !slices.Equal(model, code) {
			t.Errorf("%s: model %v, code %v", what, model, code)
		}
	}
	check("ops", mtype(t, src, "op"), opNames[:])
	check("modes", mtype(t, src, "mode"), modeNames[:])
	check("answers", mtype(t, src, "ans"), answerNames[:Queued]) // Queued: a waiter with no answer yet
}

// waitsFor returns the holders h's queued request waits behind: the holders of its
// resource and the requests queued ahead of it.
func (m *Manager) waitsFor(h Holder) []Holder {
	r, ok := m.waiting[h]
	if !ok {
		return nil
	}
	s := m.res[r]
	var out []Holder
	if s.hasExcl {
		out = append(out, s.excl)
	}
	for o := range s.shared {
		out = append(out, o)
	}
	for _, q := range s.queue {
		if q.holder == h {
			break
		}
		out = append(out, q.holder)
	}
	return out
}

// cycle reports a cycle in the waits-for graph (a deadlock), or "".
func (m *Manager) cycle() string {
	const (
		unseen = iota
		active
		done
	)
	mark := map[Holder]int{}
	var visit func(h Holder, path []Holder) string
	visit = func(h Holder, path []Holder) string {
		switch mark[h] {
		case active:
			return fmt.Sprint(append(path, h))
		case done:
			return ""
		}
		mark[h] = active
		for _, o := range m.waitsFor(h) {
			if c := visit(o, append(path, h)); c != "" {
				return c
			}
		}
		mark[h] = done
		return ""
	}
	for h := range m.waiting {
		if c := visit(h, nil); c != "" {
			return c
		}
	}
	return ""
}

// TestLockManagerProperties drives the Go manager with random events from a few
// holders on a few resources and checks after each: the table's invariants
// (exclusion, consistent records, ordered waits), no cycle of waits (no deadlock),
// every grant reported went to a holder that waited and now holds, a refused request
// changed nothing, and a dead holder holds and waits for nothing.
func TestLockManagerProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		m := NewManager()
		const holders, resources = 4, 3
		for step := 0; step < 60; step++ {
			h := Holder(rapid.IntRange(0, holders-1).Draw(rt, "holder"))
			r := Resource(rapid.IntRange(0, resources-1).Draw(rt, "resource"))
			before := fmt.Sprint(m.held, m.waiting)
			var grants []Grant
			switch rapid.IntRange(0, 5).Draw(rt, "op") {
			case 0, 1, 2:
				mode := Mode(rapid.IntRange(0, 1).Draw(rt, "mode"))
				var ans Answer
				ans, grants = m.Acquire(h, r, mode)
				switch ans {
				case Granted:
					if got, ok := m.Holds(h, r); !ok || got != mode {
						rt.Fatalf("granted %v on %d to %d, which does not hold it", mode, r, h)
					}
				case Queued:
					if w, ok := m.Waiting(h); !ok || w != r {
						rt.Fatalf("%d queued for %d but does not wait for it", h, r)
					}
				case Refused:
					if after := fmt.Sprint(m.held, m.waiting); after != before {
						rt.Fatalf("a refused request changed the table: %s → %s", before, after)
					}
				}
			case 3, 4:
				grants = m.Release(h, r)
				if _, ok := m.Holds(h, r); ok {
					rt.Fatalf("%d still holds %d after releasing it", h, r)
				}
			case 5:
				grants = m.Died(h)
				if len(m.held[h]) > 0 {
					rt.Fatalf("dead holder %d still holds %v", h, m.held[h])
				}
				if _, ok := m.Waiting(h); ok {
					rt.Fatalf("dead holder %d still waits", h)
				}
			}
			for _, g := range grants {
				if got, ok := m.Holds(g.Holder, g.Resource); !ok || got != g.Mode {
					rt.Fatalf("grant %+v: the holder does not hold it", g)
				}
			}
			if err := m.Check(); err != nil {
				rt.Fatal(err)
			}
			if c := m.cycle(); c != "" {
				rt.Fatalf("deadlock: waits-for cycle %s", c)
			}
		}
	})
}

// TestLockManagerFIFO: queued requests are granted in arrival order, a shared request
// behind a queued exclusive one waits (no overtaking), and Died unblocks the queue.
func TestLockManagerFIFO(t *testing.T) {
	m := NewManager()
	if a, _ := m.Acquire(1, 7, Shared); a != Granted {
		t.Fatalf("first shared: %v", a)
	}
	if a, _ := m.Acquire(2, 7, Exclusive); a != Queued {
		t.Fatalf("exclusive behind a shared holder: %v", a)
	}
	if a, _ := m.Acquire(3, 7, Shared); a != Queued {
		t.Fatalf("shared behind a queued exclusive: %v (it would starve the writer)", a)
	}
	if a, _ := m.Acquire(1, 5, Shared); a != Refused {
		t.Fatalf("out of order (holds 7, asks 5): %v", a)
	}
	if a, _ := m.Acquire(2, 9, Shared); a != Refused {
		t.Fatalf("a second request while waiting: %v", a)
	}
	grants := m.Died(1)
	if len(grants) != 1 || grants[0] != (Grant{2, 7, Exclusive}) {
		t.Fatalf("after the shared holder died: %+v", grants)
	}
	grants = m.Release(2, 7)
	if len(grants) != 1 || grants[0] != (Grant{3, 7, Shared}) {
		t.Fatalf("after the writer released: %+v", grants)
	}
	if a, _ := m.Acquire(3, 8, Exclusive); a != Granted {
		t.Fatalf("in order (holds 7, asks 8): %v", a)
	}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
}

// TestGrantable: Grantable answers as Acquire would, without changing anything.
func TestGrantable(t *testing.T) {
	m := NewManager()
	cases := []struct {
		h    Holder
		r    Resource
		mode Mode
	}{{1, 5, Shared}, {2, 5, Shared}, {3, 5, Exclusive}, {4, 5, Shared}, {1, 3, Shared}, {5, 7, Exclusive}, {5, 9, Shared}, {6, 7, Shared}}
	for _, c := range cases {
		want := m.Grantable(c.h, c.r, c.mode)
		if m.Grantable(c.h, c.r, c.mode) != want {
			t.Fatal("Grantable changed its answer")
		}
		ans, _ := m.Acquire(c.h, c.r, c.mode)
		if (ans == Granted) != want {
			t.Errorf("%+v: Grantable %v, Acquire %v", c, want, ans)
		}
		if err := m.Check(); err != nil {
			t.Fatal(err)
		}
	}
	if m.Grantable(9, 1, Mode(7)) {
		t.Error("an unknown mode is grantable")
	}
}
