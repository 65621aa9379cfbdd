package registry

import (
	"fmt"
	"slices"
)

// Phase is where the registry is in a live update. registry.pml models the same
// phases (its mtype:phase) and transitions (its TRANS(from, to) steps);
// TestModelMatchesCode fails when they drift apart. update changes the phase only
// through setPhase, which refuses a transition phaseNext does not list.
type Phase int

// The phases of an update, in the order an update that succeeds passes them.
const (
	// PhaseServing: one version receives on the service endpoint and no update runs.
	// Leaves for Starting when an update is requested.
	PhaseServing Phase = iota
	// PhaseStarting: V2's task is being created. Leaves for AwaitingReady, or back to
	// Serving (outcome NoProgram) when it cannot be started.
	PhaseStarting
	// PhaseAwaitingReady: V2 initialises; the registry waits for its Ready or Failed
	// report, its end, or the timeout. V1 serves meanwhile. Leaves for Draining on
	// Ready, for Aborting otherwise.
	PhaseAwaitingReady
	// PhaseAborting: V2 failed before V1 drained; V2 is killed and reclaimed while V1
	// keeps serving. Leaves for Serving (V1).
	PhaseAborting
	// PhaseDraining: V1 was sent Drain; it answers the calls queued before it and
	// exits. Calls sent later stay queued on the endpoint. Leaves for Switching when
	// V1 has ended.
	PhaseDraining
	// PhaseSwitching: the registry replies to V2's Ready call, which starts it
	// receiving. Leaves for Serving (V2), or for Resuming when V2 ended meanwhile.
	PhaseSwitching
	// PhaseResuming: V2 died after V1 drained; V1 is started again and receives the
	// queued calls. Leaves for Serving (V1).
	PhaseResuming

	numPhases = iota
)

var phaseNames = [numPhases]string{"Serving", "Starting", "AwaitingReady", "Aborting", "Draining", "Switching", "Resuming"}

// String returns the phase's name, as registry.pml spells it.
func (p Phase) String() string {
	if p >= 0 && p < numPhases {
		return phaseNames[p]
	}
	return fmt.Sprintf("Phase(%d)", int(p))
}

// phaseNext lists the legal transitions out of each phase.
var phaseNext = [numPhases][]Phase{
	PhaseServing:       {PhaseStarting},
	PhaseStarting:      {PhaseAwaitingReady, PhaseServing},
	PhaseAwaitingReady: {PhaseDraining, PhaseAborting},
	PhaseAborting:      {PhaseServing},
	PhaseDraining:      {PhaseSwitching},
	PhaseSwitching:     {PhaseServing, PhaseResuming},
	PhaseResuming:      {PhaseServing},
}

// setPhase moves the update to phase p. An illegal transition is a bug in update,
// never caused by input: it panics with the transition.
// Phase returns where the registry is in an update (PhaseServing between updates).
func (r *Registry) Phase() Phase { return r.phase }

func (r *Registry) setPhase(p Phase) {
	if !slices.Contains(phaseNext[r.phase], p) {
		panic(fmt.Sprintf("registry: illegal update phase transition %v → %v", r.phase, p))
	}
	r.phase = p
}
