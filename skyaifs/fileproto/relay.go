package fileproto

import (
	"fmt"
	"math/bits"
	"sync"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// EndRelay carries the kernel's end notifications of client tasks to the file server,
// so that a dead lock holder's locks are released at once rather than when someone
// next asks for a lock. The kernel tells only a task's starter that the task ended
// (the notification given to StartProgram or StartInContainer); the starter (the
// shell, a container runtime) holds the server's supervisor badge, which no client
// has, so no client can end another's session.
//
// The starter gives each watched task its own bit of one notification: Watch reserves
// the bit, the starter mints the notification with badge 1<<bit and starts the task
// with it. A thread of the starter runs Once in a loop: it waits for the notification
// and, for every bit set, sends LabelEnded with the watched badge and then signals the
// notification the starter would have given the task otherwise (forward), so whoever
// waits for the task's end still learns of it, after the server.
//
// An EndRelay is safe for concurrent use: Watch and Cancel come from the starter's
// main thread, Once from the relay's thread (each with its own user.Env).
type EndRelay struct {
	notify abi.CPtr // the notification the watched tasks' ends signal (Read)
	super  abi.CPtr // the file endpoint with the supervisor's badge (Write)

	mu      sync.Mutex
	watches [MaxRelayed]endWatch
}

// MaxRelayed is how many task ends one EndRelay watches at once: one per bit of a
// notification word.
const MaxRelayed = 64

type endWatch struct {
	used    bool
	badge   abi.Badge
	forward abi.CPtr
}

// NewEndRelay returns a relay waiting on notify and reporting through super.
func NewEndRelay(notify, super abi.CPtr) *EndRelay {
	return &EndRelay{notify: notify, super: super}
}

// Watch reserves a bit for the end of a task holding a client capability with badge;
// forward (0: none) is signalled after the end was reported. The caller mints the
// relay's notification with badge 1<<bit and starts the task with it as its end
// notification (or calls Cancel if the task does not start).
func (r *EndRelay) Watch(badge abi.Badge, forward abi.CPtr) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.watches {
		if !r.watches[i].used {
			r.watches[i] = endWatch{used: true, badge: badge, forward: forward}
			return i, nil
		}
	}
	return 0, fmt.Errorf("fileproto: %d task ends are watched already, the most", MaxRelayed)
}

// Cancel forgets the watches of badge (its view was removed) and the one of bit (if
// bit ≥ 0): their ends are not reported and their forward notifications not
// signalled. When Cancel returns, the relay's thread does not touch those forward
// capabilities any more, so the caller may delete them.
func (r *EndRelay) Cancel(badge abi.Badge, bit int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range r.watches {
		if w := &r.watches[i]; w.used && (i == bit || (badge != 0 && w.badge == badge)) {
			*w = endWatch{}
		}
	}
}

// Watching reports how many task ends are watched.
func (r *EndRelay) Watching() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, w := range r.watches {
		if w.used {
			n++
		}
	}
	return n
}

// Once waits (on e, the relay thread's own Env) until watched tasks end, reports each
// end to the server (LabelEnded) and signals its forward notification, and frees its
// bit. It returns the badges it reported.
func (r *EndRelay) Once(e *user.Env) ([]abi.Badge, error) {
	word, err := e.Wait(r.notify)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []abi.Badge
	for word != 0 {
		i := bits.TrailingZeros64(word)
		word &^= 1 << i
		w := r.watches[i]
		if !w.used {
			continue // cancelled: its view is gone
		}
		r.watches[i] = endWatch{}
		// EBUSY (another live task of the badge holds the session) and ESRCH (the
		// badge names nothing any more) need nothing more from the relay.
		NotifyEnded(e, r.super, w.badge)
		out = append(out, w.badge)
		if w.forward != 0 {
			e.Signal(w.forward)
		}
	}
	return out, nil
}
