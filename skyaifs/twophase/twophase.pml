/*
 * twophase.pml — Promela model of two-phase commit between the kernel and SKYAIFS
 * (seed verification target 5; docs/VERIFICATION.md), next to its Go code, package
 * skyaifs/twophase (twophase.go; presumed abort, as in R*). Checked by spin from
 * twophase_test.go (TestTwoPhaseModel, TestTwoPhaseModelSeededBugs);
 * TestTwoPhaseModelDrift keeps the mtypes and the Go enumerations equal.
 *
 * Model → Go
 *   proctype K                 Coordinator: NewCoordinator (start and recovery, the
 *                              top of K's loop), Receive, Timeout
 *   proctype S                 Participant: NewParticipant (recovery), Receive, Timeout
 *   mtype:msg                  Msg (Prepare … Inquire)
 *   mtype:slog                 State (None, Prepared, Committed, Aborted): Store[State]
 *   kbegun, klog, kend         CoordinatorLog.Begun, Decision, End: Store[CoordinatorLog]
 *   toK, toS, Crasher          the test harness's channels and crashes (TestTwoPhaseCrashes)
 *
 * The design modelled
 *   The kernel (K) coordinates one transaction with SKYAIFS (S). K durably logs BEGIN,
 *   sends PREPARE; S either durably logs PREPARED and votes YES, or logs ABORTED and
 *   votes NO. K decides COMMIT only on YES, ABORT on NO or on a timeout, and logs the
 *   decision durably before sending it; it resends it until S acknowledges, then logs
 *   END. S logs the decision before acknowledging. Either side may crash at any step:
 *   its volatile state and the messages on their way to it are lost, its log survives.
 *   On restart K with BEGIN but no decision decides ABORT (presumed abort); S with
 *   PREPARED but no decision keeps asking K (INQUIRE) and K answers from its log. A
 *   PREPARED S never decides on its own.
 *
 * Processes and variables
 *   proctype K, S     the kernel's and SKYAIFS's side; each restarts after a crash
 *                     ("unless" escape, then the recovery code at the top).
 *   proctype Crasher  up to NCRASH crashes of either side, at any moment.
 *   klog, kbegun, kend  K's durable log: the decision, BEGIN, END.
 *   slog              S's durable log: NONE, PREPARED, COMMITTED, ABORTED.
 *   toK, toS          the messages in flight to each side (lost when it crashes; a
 *                     send to a full channel is a lost message too).
 *   timeout           Promela's "nothing else can happen": a retransmission timer.
 *                     K resends its decision and a PREPARED S asks again only then.
 *   kdec              ghost: K's decision, never forgotten (END makes K forget it).
 *
 * Properties (assertions): both sides commit or both abort — S commits only if K
 * decided COMMIT and aborts only if K did not; K decides COMMIT only while S holds a
 * durable PREPARED; and, under weak fairness once the crashes are spent, both sides
 * finish (ltl terminates). Recovery reaches the same decision: every crash point is
 * explored, and the same assertions hold after each.
 *
 * Bounds: one transaction, channels of 2, NCRASH = 3 crashes (of either side, at any
 * step; 4 in the test's larger run): exhaustive. A crash that is still possible keeps
 * the ltl property from being checked before the crashes are spent, which is what a
 * bound on crashes means: termination once the system stays up.
 *
 * Seeded bugs (TestTwoPhaseModelSeededBugs): BUG_COMMIT_ON_TIMEOUT commits without a
 * vote; BUG_NO_PREPARE_LOG votes YES without logging PREPARED; BUG_PRESUME_COMMIT
 * decides COMMIT on recovery without a decision (these three break agreement);
 * BUG_IGNORE_INQUIRY leaves a recovered S's inquiry unanswered while K waits for its
 * ACK (each waits for the other: ltl terminates fails — the first version of this
 * model had that flaw).
 */

#ifndef NCRASH
#define NCRASH 3
#endif

mtype:msg = { PREPARE, YES, NO, COMMIT, ABORT, ACK, INQUIRE };
mtype:slog = { NONE, PREPARED, COMMITTED, ABORTED };

chan toK = [2] of { mtype:msg };
chan toS = [2] of { mtype:msg };

mtype:msg klog = 0;        /* 0, COMMIT or ABORT */
bool kbegun, kend;
mtype:slog slog = NONE;
mtype:msg kdec = 0;
bool k_crash, s_crash;

#define SEND(ch, m) if :: nfull(ch) -> ch!m :: else fi

inline decide(d) {
	atomic {
		klog = d; kdec = d;
		assert(d != COMMIT || slog == PREPARED)   /* commit only on a durable YES */
	}
}

inline flush(ch) {
	do
	:: ch?_
	:: empty(ch) -> break
	od
}

proctype K()
{
	do
	:: {
		/* start or recover */
		if
		:: !kbegun ->
			kbegun = true;
			SEND(toS, PREPARE);
			if
			:: toK?YES -> decide(COMMIT)
			:: toK?NO -> decide(ABORT)
			:: skip -> decide(ABORT)                 /* the vote does not come in time */
#ifdef BUG_COMMIT_ON_TIMEOUT
			:: skip -> decide(COMMIT)
#endif
			fi
		:: kbegun && klog == 0 ->
#ifdef BUG_PRESUME_COMMIT
			decide(COMMIT)
#else
			decide(ABORT)                           /* presumed abort */
#endif
		:: else
		fi;
		/* phase two: the decision, until acknowledged */
		SEND(toS, klog);
		do
		:: kend -> break
		:: timeout -> SEND(toS, klog)            /* no answer: resend */
		:: toK?ACK -> kend = true; break
#ifdef BUG_IGNORE_INQUIRY
		:: toK?INQUIRE
#else
		:: toK?INQUIRE -> SEND(toS, klog)        /* S lost it (crashed): answer */
#endif
		:: toK?YES
		:: toK?NO
		od;
		/* answer late inquiries from the log; after END, presumed abort */
end_serving:
		do
		:: toK?INQUIRE ->
			if
			:: kend -> SEND(toS, ABORT)
			:: else -> SEND(toS, klog)
			fi
		:: toK?ACK
		:: toK?YES
		:: toK?NO
		od
	} unless { k_crash };
		atomic { flush(toK); k_crash = false }
	od
}

proctype S()
{
	do
	:: {
		if
		:: slog == NONE ->
			/* wait for PREPARE, or an ABORT of a transaction it never prepared */
			if
			:: toS?PREPARE ->
				if
				::
#ifndef BUG_NO_PREPARE_LOG
					slog = PREPARED;
#endif
					SEND(toK, YES);
					goto prepared
				:: slog = ABORTED; SEND(toK, NO)
				fi
			:: toS?ABORT -> slog = ABORTED
			:: toS?COMMIT ->
				/* nothing prepared: it cannot commit, only abort */
				slog = ABORTED;
				assert(kdec != COMMIT)
			fi
		:: else
		fi;
		if
		:: slog == PREPARED ->
prepared:
			do
			:: toS?COMMIT -> slog = COMMITTED; assert(kdec == COMMIT); break
			:: toS?ABORT -> slog = ABORTED; assert(kdec != COMMIT); break
			:: toS?PREPARE -> SEND(toK, YES)
			:: timeout -> SEND(toK, INQUIRE)       /* no decision yet: ask */
			od
		:: else
		fi;
		assert(slog == COMMITTED || slog == ABORTED);
		assert(slog != COMMITTED || kdec == COMMIT);
		assert(slog != ABORTED || kdec != COMMIT);
		SEND(toK, ACK);
end_done:
		do
		:: toS?COMMIT -> SEND(toK, ACK)
		:: toS?ABORT -> SEND(toK, ACK)
		:: toS?PREPARE ->
			if
			:: slog == COMMITTED -> SEND(toK, YES)
			:: else -> SEND(toK, NO)
			fi
		od
	} unless { s_crash };
		atomic { flush(toS); s_crash = false }
	od
}

active proctype Crasher()
{
	byte n = 0;
end:
	do
	:: n < NCRASH ->
		atomic {
			if
			:: !k_crash -> k_crash = true
			:: !s_crash -> s_crash = true
			fi;
			n++
		}
	:: else -> break
	od
}

init
{
	atomic { run K(); run S() }
}

ltl terminates { <> (kend && (slog == COMMITTED || slog == ABORTED)) }
