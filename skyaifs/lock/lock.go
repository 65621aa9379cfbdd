// Package lock is SKYAIFS's ResourceLockManager (seed 002, §2.1): shared and exclusive
// locks on storage resources, granted in arrival order, with deadlock prevented by
// ordering and every lock of a holder that dies released.
//
// The protocol is the one locks.pml models and spin checks (seed verification target
// 6; TestLockModel): a holder asks for resource r in mode Shared or Exclusive; the
// manager grants at once if compatible (Exclusive: nobody else holds r; Shared: no
// exclusive holder) and nobody is queued ahead, else queues the request; queued
// requests on a resource are granted in arrival order as they become compatible,
// stopping at the first that is not (no overtaking, so no starvation). A holder may
// ask for r only while it holds and waits for nothing on a resource ≥ r, so no cycle
// of waits can form; any other request is Refused. A holder waits for one request at
// a time. When a holder dies (the service learns it from the kernel: its task's end
// notification), Died releases its locks and drops its queued request.
//
// In the filesystem service a held lock is a capability the service minted for the
// holder; the manager is the state machine behind it, driven one event at a time.
package lock

import "fmt"

// Holder names who holds or asks (in the service: the badge of the caller's lock
// capability).
type Holder uint64

// Resource names what is locked (in the service: an inode number).
type Resource uint64

// Mode is how a resource is held.
type Mode uint8

// Modes. Their names are the model's (locks.pml: mtype:mode).
const (
	Shared Mode = iota
	Exclusive
)

var modeNames = [...]string{"SHARED", "EXCL"}

// String returns the mode's name.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", m)
}

// Op is an event the manager serves (locks.pml: mtype:op).
type Op uint8

// Ops.
const (
	Acquire Op = iota
	Release
	Died
)

var opNames = [...]string{"ACQUIRE", "RELEASE", "DIED"}

// String returns the op's name.
func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", o)
}

// Answer is what a holder is told about its request (locks.pml: mtype:ans), or, for
// Queued, what it waits for.
type Answer uint8

// Answers. Queued is not sent: the holder waits, and gets Granted later.
const (
	Granted Answer = iota
	Refused
	Queued
)

var answerNames = [...]string{"GRANTED", "REFUSED", "QUEUED"}

// String returns the answer's name.
func (a Answer) String() string {
	if int(a) < len(answerNames) {
		return answerNames[a]
	}
	return fmt.Sprintf("Answer(%d)", a)
}

// Grant is a queued request the manager granted while serving an event: the holder
// waiting for it is to be woken.
type Grant struct {
	Holder   Holder
	Resource Resource
	Mode     Mode
}

type request struct {
	holder Holder
	mode   Mode
	seq    uint64
}

type state struct {
	excl    Holder // valid when hasExcl
	hasExcl bool
	shared  map[Holder]bool
	queue   []request // arrival order
}

// Manager is the lock table. It is not safe for concurrent use: the service serves one
// event at a time.
type Manager struct {
	res     map[Resource]*state
	held    map[Holder]map[Resource]Mode
	waiting map[Holder]Resource // the one request each holder waits for
	seq     uint64
}

// NewManager returns an empty lock table.
func NewManager() *Manager {
	return &Manager{res: map[Resource]*state{}, held: map[Holder]map[Resource]Mode{}, waiting: map[Holder]Resource{}}
}

func (m *Manager) state(r Resource) *state {
	s := m.res[r]
	if s == nil {
		s = &state{shared: map[Holder]bool{}}
		m.res[r] = s
	}
	return s
}

// outOfOrder reports whether h holds or waits for anything on a resource ≥ r.
func (m *Manager) outOfOrder(h Holder, r Resource) bool {
	for held := range m.held[h] {
		if held >= r {
			return true
		}
	}
	w, ok := m.waiting[h]
	return ok && w >= r
}

func compatible(s *state, mode Mode) bool {
	return !s.hasExcl && (mode == Shared || len(s.shared) == 0)
}

// Acquire asks for r in mode on behalf of h. Granted: h holds it now. Queued: h waits
// (a later event's Grants name it). Refused: the request breaks the ordering rule (h
// holds or waits for something on a resource ≥ r, or waits already); nothing changed.
func (m *Manager) Acquire(h Holder, r Resource, mode Mode) (Answer, []Grant) {
	if mode != Shared && mode != Exclusive {
		return Refused, nil
	}
	if _, waits := m.waiting[h]; waits || m.outOfOrder(h, r) {
		return Refused, nil
	}
	m.seq++
	s := m.state(r)
	s.queue = append(s.queue, request{h, mode, m.seq})
	m.waiting[h] = r
	grants := m.grantWaiters(r)
	for i, g := range grants {
		if g.Holder == h {
			return Granted, append(grants[:i], grants[i+1:]...)
		}
	}
	return Queued, grants
}

// Release gives up h's lock on r (nothing if it holds none) and returns the requests
// that became grantable.
func (m *Manager) Release(h Holder, r Resource) []Grant {
	m.drop(h, r)
	return m.grantWaiters(r)
}

// Died releases every lock of holder h and drops its queued request; it returns the
// requests that became grantable.
func (m *Manager) Died(h Holder) []Grant {
	touched := map[Resource]bool{}
	for r := range m.held[h] {
		m.drop(h, r)
		touched[r] = true
	}
	if r, ok := m.waiting[h]; ok {
		s := m.res[r]
		for i, q := range s.queue {
			if q.holder == h {
				s.queue = append(s.queue[:i], s.queue[i+1:]...)
				break
			}
		}
		delete(m.waiting, h)
		touched[r] = true // the dropped request may have been at the head
	}
	var grants []Grant
	for r := range touched {
		grants = append(grants, m.grantWaiters(r)...)
	}
	return grants
}

func (m *Manager) drop(h Holder, r Resource) {
	if _, ok := m.held[h][r]; !ok {
		return
	}
	delete(m.held[h], r)
	if len(m.held[h]) == 0 {
		delete(m.held, h)
	}
	s := m.res[r]
	if s.hasExcl && s.excl == h {
		s.hasExcl = false
	}
	delete(s.shared, h)
	m.forget(r)
}

// forget removes the record of a resource nobody holds or waits for.
func (m *Manager) forget(r Resource) {
	if s := m.res[r]; s != nil && !s.hasExcl && len(s.shared) == 0 && len(s.queue) == 0 {
		delete(m.res, r)
	}
}

// grantWaiters grants r's queued requests in arrival order while compatible.
func (m *Manager) grantWaiters(r Resource) []Grant {
	s := m.res[r]
	if s == nil {
		return nil
	}
	var grants []Grant
	for len(s.queue) > 0 && compatible(s, s.queue[0].mode) {
		q := s.queue[0]
		s.queue = s.queue[1:]
		if q.mode == Exclusive {
			s.excl, s.hasExcl = q.holder, true
		} else {
			s.shared[q.holder] = true
		}
		if m.held[q.holder] == nil {
			m.held[q.holder] = map[Resource]Mode{}
		}
		m.held[q.holder][r] = q.mode
		delete(m.waiting, q.holder)
		grants = append(grants, Grant{q.holder, r, q.mode})
	}
	m.forget(r)
	return grants
}

// Holds returns the mode in which h holds r, if it does.
func (m *Manager) Holds(h Holder, r Resource) (Mode, bool) {
	mode, ok := m.held[h][r]
	return mode, ok
}

// Waiting returns the resource h waits for, if any.
func (m *Manager) Waiting(h Holder) (Resource, bool) {
	r, ok := m.waiting[h]
	return r, ok
}

// Check verifies the table's invariants: an exclusive holder is the only holder, the
// holders' and resources' records agree, and a holder waits at most once, for a
// resource above everything it holds.
func (m *Manager) Check() error {
	for r, s := range m.res {
		if s.hasExcl && len(s.shared) > 0 {
			return fmt.Errorf("lock: resource %d held exclusively by %d and shared by %d holders", r, s.excl, len(s.shared))
		}
		if s.hasExcl && m.held[s.excl][r] != Exclusive {
			return fmt.Errorf("lock: resource %d's exclusive holder %d does not record it", r, s.excl)
		}
		for h := range s.shared {
			if mode, ok := m.held[h][r]; !ok || mode != Shared {
				return fmt.Errorf("lock: resource %d's shared holder %d does not record it", r, h)
			}
		}
		for _, q := range s.queue {
			if w, ok := m.waiting[q.holder]; !ok || w != r {
				return fmt.Errorf("lock: holder %d queued on %d does not wait for it", q.holder, r)
			}
		}
	}
	for h, rs := range m.held {
		for r, mode := range rs {
			s := m.res[r]
			if s == nil || (mode == Exclusive && (!s.hasExcl || s.excl != h)) || (mode == Shared && !s.shared[h]) {
				return fmt.Errorf("lock: holder %d records %v on %d, the resource does not", h, mode, r)
			}
			if w, ok := m.waiting[h]; ok && w <= r {
				return fmt.Errorf("lock: holder %d waits for %d while holding %d", h, w, r)
			}
		}
	}
	return nil
}

// Grantable reports whether Acquire(h, r, mode) would answer Granted now. It only
// looks: a service uses it for try-locks (answer "would block" instead of queueing),
// which the model does not need because a try-lock that is not grantable changes
// nothing.
func (m *Manager) Grantable(h Holder, r Resource, mode Mode) bool {
	if mode != Shared && mode != Exclusive {
		return false
	}
	if _, waits := m.waiting[h]; waits || m.outOfOrder(h, r) {
		return false
	}
	s := m.res[r]
	return s == nil || (len(s.queue) == 0 && compatible(s, mode))
}
