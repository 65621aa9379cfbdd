// Package registry is the service registry task and its live-update protocol (the
// seeds' ServiceRegistry and dynamic update with rollback), written against the user
// library so that the same code runs as a task in the simulation and on the machine.
//
// A service has one stable endpoint that the registry owns; clients hold capabilities
// to call it and never change them. The running version receives on that endpoint. An
// update replaces the receiver without losing a call:
//
//  1. the registry starts V2 (through its System capability) with a receive-only
//     capability to the endpoint and a capability to report to the registry;
//  2. V2 initialises and runs its self-test, then reports Ready (or Failed);
//  3. the registry sends a Drain control message on the service endpoint: V1 receives
//     it after every call queued before it, answers those, and exits;
//  4. when V1 has exited, the registry tells V2 to start: V2 receives the calls that
//     queued meanwhile, in order. No call is lost or answered twice.
//
// If V2 fails before it starts serving — it crashes, reports Failed, or does not
// report within the timeout — the update is aborted: V2 is killed (the kernel
// reclaims everything it made), V1 keeps serving, or is started again if it had
// already drained, and the requester gets the reason. Only callers whose registry
// capability carries the update badge may update.
//
// The update is a state machine over Phase (phase.go); registry.pml is its Promela
// model, checked by spin (docs/VERIFICATION.md, target 10), and TestModelMatchesCode
// fails when the model's phases or transitions and phaseNext differ.
package registry

import (
	"errors"
	"fmt"

	"github.com/skyscope-os/skyscope/kernel/abi"
	"github.com/skyscope-os/skyscope/kernel/user"
)

// Message labels on the registry endpoint.
const (
	LabelReady  = 1 // from a new version: initialised, self-test passed
	LabelFailed = 2 // from a new version: initialisation or self-test failed
	LabelUpdate = 3 // from an updater: MR0.. the new version's program name (bytes from word NumRegMRs, length MR0)
	LabelState  = 4 // from a draining version: MR0 its state's length, the state from word NumRegMRs
	// LabelUpdateState is LabelUpdate with state hand-over: the draining version's
	// state goes to the new one.
	LabelUpdateState = 5
)

// MaxState bounds the state a version hands over (one message's payload).
const MaxState = user.MaxPayload

// Label of the control message the registry sends on a service endpoint.
const LabelDrain = 0xd7a1

// Badges on the registry endpoint capabilities the registry hands out.
const (
	BadgeUpdater abi.Badge = 1 << 40 // may request updates
	BadgeVersion abi.Badge = 1 << 41 // a version reporting; the low bits are its task id
	BadgeControl abi.Badge = 1 << 42 // the registry itself, on the service endpoint
)

// Update outcomes, the reply's MR0.
const (
	Updated    = 0
	NotAllowed = 1
	Crashed    = 2 // V2 ended before it reported
	SelfTest   = 3 // V2 reported a failed self-test
	TimedOut   = 4 // V2 did not report in time
	NoProgram  = 5 // V2 could not be started
)

// OutcomeText describes an update outcome.
func OutcomeText(o uint64) string {
	switch o {
	case Updated:
		return "updated"
	case NotAllowed:
		return "refused: the capability used does not allow updates"
	case Crashed:
		return "rolled back: the new version ended during initialisation"
	case SelfTest:
		return "rolled back: the new version's self-test failed"
	case TimedOut:
		return "rolled back: the new version did not report ready in time"
	case NoProgram:
		return "refused: the new version could not be started"
	}
	return fmt.Sprintf("outcome %d", o)
}

// Config is what the registry task holds, as slots of its capability space.
type Config struct {
	System   abi.CPtr // System object (Write): start and end versions
	Endpoint abi.CPtr // the registry's endpoint (all rights)
	Service  abi.CPtr // the service's endpoint (all rights)
	Reply    abi.CPtr // a Reply object
	Exit     abi.CPtr // a notification the kernel signals when a version ends
	CSpace   abi.CPtr // the registry's own capability space
	Free     abi.CPtr // first of 5 free slots (Free … Free+4)
	// Initial is the program of version 1; Timeout bounds V2's initialisation, in
	// polls, each a yield and PollNanos of CPU time.
	Initial   string
	Timeout   int
	PollNanos int64
	// Log receives one line per event, if set.
	Log func(string)
	// Start starts a version: program with the exit notification and the two
	// grants (the receive-only service endpoint, the badged report capability). Nil
	// starts program from the boot bundle (StartProgram with System); the module
	// manager starts verified module images instead.
	Start func(program string, exit, service, report abi.CPtr) (uint64, error)
	// AwaitFirst makes Start wait for version 1's report and start it, for a
	// registry whose owner calls Update but never Serve.
	AwaitFirst bool
}

// Registry is the running registry's state.
type Registry struct {
	e       *user.Env
	c       Config
	current uint64 // task id of the serving version
	program string // its program
	recvCap abi.CPtr
	repCap  abi.CPtr
	control abi.CPtr // the service endpoint, Write, with BadgeControl: for Drain
	phase   Phase    // where an update is; changed only by setPhase
	state   []byte   // what the draining version handed over, for the next one
}

// Current returns the serving version's task id and program.
func (r *Registry) Current() (uint64, string) { return r.current, r.program }

// errAbort carries an update outcome.
type errAbort uint64

func (e errAbort) Error() string { return OutcomeText(uint64(e)) }

// Start makes the capabilities versions get (a receive-only copy of the service
// endpoint, a badged send capability to the registry) and starts version 1.
func Start(e *user.Env, c Config) (*Registry, error) {
	r := &Registry{e: e, c: c, recvCap: c.Free, repCap: c.Free + 1, control: c.Free + 3}
	if err := e.Copy(c.CSpace, r.recvCap, c.CSpace, c.Service, abi.RightRead); err != nil {
		return nil, err
	}
	if err := e.Mint(c.CSpace, r.control, c.CSpace, c.Service, abi.RightWrite, BadgeControl); err != nil {
		return nil, err
	}
	id, err := r.startVersion(c.Initial)
	if err != nil {
		return nil, err
	}
	if c.AwaitFirst {
		// Nobody else answers the registry's endpoint (no Serve loop): wait for
		// version 1's report here and start it, or end it and fail.
		if out := r.awaitReady(id); out != Updated {
			e.Kill(c.System, id)
			e.TaskStatus(c.System, id)
			return nil, fmt.Errorf("%s: %w", c.Initial, errAbort(out))
		}
		e.SetMR(0, 0)
		e.SetMR(1, 0)
		if err := e.Reply(c.Free+2, abi.NewMsgInfo(0, 2, 0)); err != nil {
			return nil, err
		}
	}
	r.current, r.program = id, c.Initial
	r.log("started %s as task %d", c.Initial, id)
	return r, nil
}

func (r *Registry) log(format string, args ...any) {
	if r.c.Log != nil {
		r.c.Log(fmt.Sprintf(format, args...))
	}
}

// startVersion starts program with the service endpoint (receive only, its slot
// InitFirstFree) and a capability to report to the registry (InitFirstFree+1), minted
// with the version badge.
func (r *Registry) startVersion(program string) (uint64, error) {
	e, c := r.e, r.c
	e.Delete(c.CSpace, r.repCap) // the previous version's; may be empty
	if err := e.Mint(c.CSpace, r.repCap, c.CSpace, c.Endpoint, abi.RightWrite, BadgeVersion); err != nil {
		return 0, err
	}
	if c.Start != nil {
		return c.Start(program, c.Exit, r.recvCap, r.repCap)
	}
	return e.StartProgram(c.System, []string{program}, 0, 0, c.Exit, r.recvCap, r.repCap)
}

// Serve answers update requests forever.
func (r *Registry) Serve() {
	e, c := r.e, r.c
	badge, info, err := e.Recv(c.Endpoint, c.Reply)
	for {
		out := uint64(NotAllowed)
		switch {
		case err != nil:
		case (info.Label() == LabelUpdate || info.Label() == LabelUpdateState) && badge&BadgeUpdater != 0:
			out = r.Update(string(e.Payload(int(e.MR(0)))), info.Label() == LabelUpdateState)
		}
		e.SetMR(0, out)
		badge, info, err = e.ReplyRecv(c.Endpoint, c.Reply, abi.NewMsgInfo(0, 1, 0))
	}
}

// Update replaces the serving version with program and returns the outcome. With
// handover, the draining version is asked for its state (at most MaxState bytes),
// which the new version receives when it is started. Each phase change goes through
// setPhase, in the order registry.pml models.
func (r *Registry) Update(program string, handover bool) uint64 {
	e, c := r.e, r.c
	r.log("update %s → %s requested", r.program, program)
	r.setPhase(PhaseStarting)
	e.Poll(c.Exit) // forget earlier ends
	v2, err := r.startVersion(program)
	if err != nil {
		r.log("update: %s cannot start: %v", program, err)
		r.setPhase(PhaseServing)
		return NoProgram
	}
	r.setPhase(PhaseAwaitingReady)
	if out := r.awaitReady(v2); out != Updated {
		r.setPhase(PhaseAborting)
		e.Kill(c.System, v2) // may have ended already
		e.TaskStatus(c.System, v2)
		r.log("update to %s aborted (%s); task %d (%s) keeps serving", program, OutcomeText(out), r.current, r.program)
		r.setPhase(PhaseServing)
		return out
	}
	// V2 is ready and waits for Start. Drain V1: the control message queues behind
	// every call already sent; V1 answers those, then exits.
	r.setPhase(PhaseDraining)
	r.state = nil
	if r.alive(r.current) {
		e.SetMR(0, 0)
		if handover {
			e.SetMR(0, 1)
		}
		if err := e.Send(r.control, abi.NewMsgInfo(LabelDrain, 1, 0)); err != nil {
			r.log("update: drain: %v", err)
		}
	}
	r.awaitDrained(handover)
	old := r.program
	r.log("%s (task %d) drained and ended", old, r.current)
	// Start V2: reply to its Ready call.
	r.setPhase(PhaseSwitching)
	if !r.alive(v2) {
		return r.resume(old, Crashed)
	}
	e.SetMR(0, 0)
	e.SetMR(1, uint64(len(r.state)))
	words := e.SetPayload(r.state)
	if len(r.state) == 0 {
		words = 2
	}
	if err := e.Reply(c.Free+2, abi.NewMsgInfo(0, words, 0)); err != nil {
		return r.resume(old, Crashed)
	}
	if len(r.state) > 0 {
		r.log("%s received %d bytes of state from %s", program, len(r.state), old)
	}
	r.current, r.program = v2, program
	r.log("%s (task %d) serves", program, v2)
	r.setPhase(PhaseServing)
	return Updated
}

// awaitDrained waits until the serving version has ended; with handover it keeps the
// state the version sends before it exits (on a Reply object of its own, Free+4, since
// Free+2 holds the new version's waiting call).
func (r *Registry) awaitDrained(handover bool) {
	e, c := r.e, r.c
	stateReply := c.Free + 4
	if handover {
		e.Delete(c.CSpace, stateReply)
		if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, c.CSpace, stateReply, 1); err != nil {
			handover = false
		}
	}
	for r.alive(r.current) {
		if handover {
			if badge, info, err := e.NBRecv(c.Endpoint, stateReply); err == nil {
				if badge&BadgeVersion != 0 && info.Label() == LabelState && e.MR(0) <= MaxState {
					r.state = e.Payload(int(e.MR(0)))
				}
			}
		}
		e.Yield()
		e.Compute(c.PollNanos)
	}
}

// alive reports whether task id still runs (an ended task's record is read, and so
// forgotten).
func (r *Registry) alive(id uint64) bool {
	st, _, err := r.e.TaskStatus(r.c.System, id)
	return err == nil && st == abi.TaskLive
}

// resume starts the old version again after V2 failed once V1 had drained.
func (r *Registry) resume(old string, why uint64) uint64 {
	r.setPhase(PhaseResuming)
	defer r.setPhase(PhaseServing)
	id, err := r.startVersion(old)
	if err == nil {
		r.current, r.program = id, old
		r.log("%s resumed as task %d", old, id)
	}
	return why
}

// awaitReady waits for V2's report, its end, or the timeout. On Ready, V2's call is
// left waiting on a second Reply object (slot Free+2) until Start.
func (r *Registry) awaitReady(v2 uint64) uint64 {
	e, c := r.e, r.c
	replyV2 := c.Free + 2
	e.Delete(c.CSpace, replyV2)
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, c.CSpace, replyV2, 1); err != nil {
		return NoProgram
	}
	for i := 0; i < c.Timeout; i++ {
		badge, info, err := e.NBRecv(c.Endpoint, replyV2)
		if err == nil {
			switch {
			case badge&BadgeVersion != 0 && info.Label() == LabelReady:
				return Updated
			case badge&BadgeVersion != 0 && info.Label() == LabelFailed:
				e.SetMR(0, 0)
				e.Reply(replyV2, abi.NewMsgInfo(0, 1, 0))
				return SelfTest
			default: // an updater during an update: tell it to try later
				e.SetMR(0, NotAllowed)
				e.Reply(replyV2, abi.NewMsgInfo(0, 1, 0))
			}
		}
		if !r.alive(v2) {
			return Crashed
		}
		e.Yield() // let V2 (and everyone else) run
		e.Compute(c.PollNanos)
	}
	return TimedOut
}

// ErrDrained is returned by ServeVersion when the registry told the version to stop.
var ErrDrained = errors.New("drained")

// Version is the part of a service program that talks to the registry: slots as the
// registry grants them (the service endpoint at InitFirstFree, receive only; the
// registry at InitFirstFree+1), and a Reply object the version makes at reply.
type Version struct {
	Service, Registry, Reply abi.CPtr
}

// DefaultVersion is the slot layout the registry gives a version.
var DefaultVersion = Version{Service: abi.InitFirstFree, Registry: abi.InitFirstFree + 1, Reply: abi.InitFirstFree + 2}

// Run is a version's life: make a Reply object, run selftest, report, wait to be
// started, then answer calls with handle until the registry drains it. handle gets the
// request's label and words and returns the reply's words.
func (v Version) Run(e *user.Env, selftest func() bool, handle func(label uint64, words []uint64) []uint64) error {
	return v.RunWithState(e, selftest, handle, nil, nil)
}

// RunWithState is Run for a version with state to hand over: restore (if not nil)
// gets the state the previous version handed over, before the first call; save (if
// not nil) is asked for the state when the registry drains this version with
// hand-over, and what it returns (at most MaxState bytes) goes to the next version.
func (v Version) RunWithState(e *user.Env, selftest func() bool, handle func(label uint64, words []uint64) []uint64,
	save func() []byte, restore func([]byte)) error {
	if err := e.Retype(abi.InitSlotUntyped, abi.ObjReply, 0, abi.InitSlotCSpace, v.Reply, 1); err != nil {
		return err
	}
	label := uint64(LabelReady)
	if !selftest() {
		label = LabelFailed
	}
	if _, err := e.Call(v.Registry, abi.NewMsgInfo(label, 0, 0)); err != nil {
		return err
	}
	if label == LabelFailed {
		return errors.New("self-test failed")
	}
	if n := e.MR(1); n > 0 && n <= MaxState && restore != nil {
		restore(e.Payload(int(n)))
	}
	badge, info, err := e.Recv(v.Service, v.Reply)
	for err == nil {
		if info.Label() == LabelDrain && badge == BadgeControl {
			if info.Len() >= 1 && e.MR(0) == 1 && save != nil {
				st := save()
				if len(st) > MaxState {
					st = nil // too big to hand over: the next version starts afresh
				}
				e.SetMR(0, uint64(len(st)))
				words := e.SetPayload(st)
				e.Send(v.Registry, abi.NewMsgInfo(LabelState, words, 0))
			}
			return ErrDrained
		}
		in := make([]uint64, min(info.Len(), abi.NumRegMRs))
		for i := range in {
			in[i] = e.MR(i)
		}
		out := handle(info.Label(), in)
		for i, w := range out {
			e.SetMR(i, w)
		}
		badge, info, err = e.ReplyRecv(v.Service, v.Reply, abi.NewMsgInfo(0, len(out), 0))
	}
	return err
}

// RequestUpdate asks the registry (through a capability with the updater badge) to
// replace the service with program, and returns the outcome.
func RequestUpdate(e *user.Env, registry abi.CPtr, program string) (uint64, error) {
	return request(e, registry, program, LabelUpdate)
}

// RequestUpdateWithState is RequestUpdate with state hand-over from the serving
// version to the new one.
func RequestUpdateWithState(e *user.Env, registry abi.CPtr, program string) (uint64, error) {
	return request(e, registry, program, LabelUpdateState)
}

func request(e *user.Env, registry abi.CPtr, program string, label uint64) (uint64, error) {
	if len(program) > user.MaxPayload {
		return 0, errors.New("program name too long")
	}
	e.SetMR(0, uint64(len(program)))
	words := e.SetPayload([]byte(program))
	if _, err := e.Call(registry, abi.NewMsgInfo(label, words, 0)); err != nil {
		return 0, err
	}
	return e.MR(0), nil
}
