// Package twophase is the two-phase commit between the kernel (the coordinator) and
// SKYAIFS (the participant) for operations that must happen on both sides or on
// neither — "create a kernel object bound to a new file" (seed 002, §2.1). It is
// presumed abort, as in R*: the coordinator durably logs BEGIN, asks the participant
// to PREPARE, and decides COMMIT only on a YES vote; the decision is logged before it
// is sent and resent until acknowledged. A participant that voted YES has logged
// PREPARED and never decides on its own: after a crash it asks (INQUIRE) until it
// learns the decision. A coordinator that crashed before deciding decides ABORT.
//
// Finished transactions are forgotten: once the coordinator has logged END (the
// participant acknowledged the decision), it will never send the decision again, so it
// tells the participant to FORGET, and the participant removes its log (saves NONE)
// and answers FORGOT; the coordinator sends FORGET again after a timeout or a restart
// until it hears FORGOT. A participant forgets only a decided transaction, and only
// when told: before END, a resent COMMIT could still reach it, and a participant
// that forgot a committed transaction would answer it by aborting.
//
// Both sides are event-driven state machines over a durable log (Store) and a way to
// send messages; they do no I/O of their own, so the service and the kernel each drive
// theirs from their event loops, and tests drive them through every crash point.
// twophase.pml models exactly this (seed verification target 5; TestTwoPhaseModel),
// and TestTwoPhaseModelDrift keeps the message and state names of the two equal.
package twophase

import "fmt"

// Msg is a protocol message (twophase.pml: mtype:msg). A coordinator's decision is
// COMMIT or ABORT.
type Msg uint8

// Messages. The zero Msg is "none" (no decision yet).
const (
	Prepare Msg = iota + 1
	Yes
	No
	Commit
	Abort
	Ack
	Inquire
	Forget
	Forgot
)

var msgNames = [...]string{"PREPARE", "YES", "NO", "COMMIT", "ABORT", "ACK", "INQUIRE", "FORGET", "FORGOT"}

// String returns the message's name.
func (m Msg) String() string {
	if m >= Prepare && int(m) <= len(msgNames) {
		return msgNames[m-1]
	}
	return fmt.Sprintf("Msg(%d)", uint8(m))
}

// State is what a participant's log records (twophase.pml: mtype:slog).
type State uint8

// Participant states.
const (
	None State = iota
	Prepared
	Committed
	Aborted
)

var stateNames = [...]string{"NONE", "PREPARED", "COMMITTED", "ABORTED"}

// String returns the state's name.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// CoordinatorLog is the coordinator's durable record of one transaction.
type CoordinatorLog struct {
	Begun    bool
	Decision Msg // 0, Commit or Abort
	End      bool
}

// Store keeps a side's log durably: Save returns once the record would survive a
// crash, and Load returns the last record saved (the zero record before any).
type Store[L any] interface {
	Load() L
	Save(L) error
}

// Coordinator is the kernel's side of one transaction.
type Coordinator struct {
	log  Store[CoordinatorLog]
	send func(Msg)
	rec  CoordinatorLog
	// forgotten: the participant answered FORGOT. Not logged: after a restart the
	// coordinator asks again, which a participant that forgot answers at once.
	forgotten bool
}

// NewCoordinator starts or recovers the coordinator from its log: a transaction not
// begun is begun (BEGIN logged, PREPARE sent); one begun without a decision is aborted
// (presumed abort); a decided one without END sends its decision again; an ended one
// tells the participant to forget it.
func NewCoordinator(log Store[CoordinatorLog], send func(Msg)) (*Coordinator, error) {
	c := &Coordinator{log: log, send: send, rec: log.Load()}
	switch {
	case !c.rec.Begun:
		c.rec.Begun = true
		if err := c.log.Save(c.rec); err != nil {
			return nil, err
		}
		send(Prepare)
	case c.rec.Decision == 0:
		return c, c.decide(Abort)
	case !c.rec.End:
		send(c.rec.Decision)
	default:
		send(Forget)
	}
	return c, nil
}

// decide logs d, then sends it.
func (c *Coordinator) decide(d Msg) error {
	c.rec.Decision = d
	if err := c.log.Save(c.rec); err != nil {
		return err
	}
	c.send(d)
	return nil
}

// Receive serves a message from the participant.
func (c *Coordinator) Receive(m Msg) error {
	switch {
	case c.rec.Decision == 0 && m == Yes:
		return c.decide(Commit)
	case c.rec.Decision == 0 && m == No:
		return c.decide(Abort)
	case c.rec.Decision == 0:
		return nil // ACK or INQUIRE before a vote: nothing to answer yet
	case m == Ack && !c.rec.End:
		c.rec.End = true
		if err := c.log.Save(c.rec); err != nil {
			return err
		}
		c.send(Forget) // END is durable: the decision is never sent again
	case m == Forgot && c.rec.End:
		c.forgotten = true
	case m == Inquire && c.rec.End:
		c.send(Abort) // forgotten after END: presumed abort (the participant acknowledged, so it knows)
	case m == Inquire:
		c.send(c.rec.Decision)
	}
	return nil
}

// Timeout is the coordinator's timer: no vote in time is ABORT; no acknowledgement in
// time sends the decision again; an ended transaction the participant has not
// forgotten yet is told to forget again.
func (c *Coordinator) Timeout() error {
	switch {
	case c.rec.Decision == 0:
		return c.decide(Abort)
	case !c.rec.End:
		c.send(c.rec.Decision)
	case !c.forgotten:
		c.send(Forget)
	}
	return nil
}

// Forgotten reports whether the participant answered FORGOT: nothing of the
// transaction is left on its side, and the coordinator's log is needed by nobody
// but the coordinator's own user.
func (c *Coordinator) Forgotten() bool { return c.forgotten }

// Decision returns the coordinator's decision (0 while it has none).
func (c *Coordinator) Decision() Msg { return c.rec.Decision }

// Done reports whether the participant acknowledged the decision.
func (c *Coordinator) Done() bool { return c.rec.End }

// Participant is SKYAIFS's side of one transaction. Vote does the local work of the
// prepare phase (reserve the file) and says whether it can commit; Apply makes the
// outcome take effect (keep or release the reservation) and must be idempotent, as it
// runs again after a crash between the log record and the acknowledgement.
type Participant struct {
	log   Store[State]
	send  func(Msg)
	vote  func() bool
	apply func(commit bool) error
	state State
}

// NewParticipant starts or recovers the participant from its log. A recovered
// participant that had decided applies its decision again (Apply is idempotent).
func NewParticipant(log Store[State], send func(Msg), vote func() bool, apply func(commit bool) error) (*Participant, error) {
	p := &Participant{log: log, send: send, vote: vote, apply: apply, state: log.Load()}
	if p.state == Committed || p.state == Aborted {
		return p, p.apply(p.state == Committed)
	}
	return p, nil
}

func (p *Participant) record(s State) error {
	if err := p.log.Save(s); err != nil {
		return err
	}
	p.state = s
	return nil
}

// finish logs the decision, applies it, and acknowledges.
func (p *Participant) finish(commit bool) error {
	s := Aborted
	if commit {
		s = Committed
	}
	if err := p.record(s); err != nil {
		return err
	}
	if err := p.apply(commit); err != nil {
		return err
	}
	p.send(Ack)
	return nil
}

// Receive serves a message from the coordinator.
func (p *Participant) Receive(m Msg) error {
	switch p.state {
	case None:
		switch m {
		case Prepare:
			if p.vote() {
				if err := p.record(Prepared); err != nil {
					return err
				}
				p.send(Yes)
				return nil
			}
			if err := p.record(Aborted); err != nil {
				return err
			}
			if err := p.apply(false); err != nil {
				return err
			}
			p.send(No)
		case Commit, Abort:
			// Nothing prepared (its PREPARE was lost, or it crashed before
			// logging): it can only abort, and the coordinator cannot have decided
			// COMMIT without its YES.
			return p.finish(false)
		case Forget:
			p.send(Forgot) // forgotten before (its FORGOT was lost), or never known
		}
	case Prepared:
		switch m {
		case Commit:
			return p.finish(true)
		case Abort:
			return p.finish(false)
		case Prepare:
			p.send(Yes) // its YES was lost
		case Forget:
			// Cannot come: the coordinator forgets only what was acknowledged, and
			// a prepared participant has acknowledged nothing. Kept, not forgotten.
		}
	default: // decided
		switch m {
		case Forget:
			// The coordinator logged END: it never sends the decision again.
			if err := p.record(None); err != nil {
				return err
			}
			p.send(Forgot)
		case Commit, Abort:
			p.send(Ack) // its ACK was lost
		case Prepare:
			if p.state == Committed {
				p.send(Yes)
			} else {
				p.send(No)
			}
		}
	}
	return nil
}

// Timeout is the participant's timer: a prepared participant with no decision asks.
func (p *Participant) Timeout() {
	if p.state == Prepared {
		p.send(Inquire)
	}
}

// State returns what the participant's log says.
func (p *Participant) State() State { return p.state }
