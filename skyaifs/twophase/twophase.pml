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
 *   Cleanup: once END is logged, K never sends the decision again and tells S to
 *   FORGET (again after a timeout or a restart, until it hears FORGOT); a decided S
 *   removes its log (NONE) and answers FORGOT; an S that knows nothing answers FORGOT
 *   at once.
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
 *   sforgot, kheard   ghosts: S removed its log; K heard FORGOT.
 *
 * Properties (assertions): both sides commit or both abort — S commits only if K
 * decided COMMIT and aborts only if K did not; K decides COMMIT only while S holds a
 * durable PREPARED; and, under weak fairness once the crashes are spent, both sides
 * finish, and S's log is removed (ltl terminates). S forgets only after K's END is
 * durable, and a forgotten S is never sent a decision again (it would abort: the
 * assertions on its decisions catch a COMMIT reaching it). Recovery reaches the same
 * decision: every crash point is explored, and the same assertions hold after each.
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
 * model had that flaw); BUG_EARLY_FORGET has S forget on the ACK it sends, before END
 * (a resent COMMIT then reaches a forgotten S, which aborts: agreement breaks).
 */

#ifndef NCRASH
#define NCRASH 3
#endif

mtype:msg = { PREPARE, YES, NO, COMMIT, ABORT, ACK, INQUIRE, FORGET, FORGOT };
mtype:slog = { NONE, PREPARED, COMMITTED, ABORTED };

chan toK = [2] of { mtype:msg };
chan toS = [2] of { mtype:msg };

mtype:msg klog = 0;        /* 0, COMMIT or ABORT */
bool kbegun, kend;
mtype:slog slog = NONE;
mtype:msg kdec = 0;
bool k_crash, s_crash;
bool sforgot, kheard;

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
		/* phase two: the decision, until acknowledged (never again after END) */
		if
		:: !kend -> SEND(toS, klog)
		:: else
		fi;
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
		:: toK?FORGOT
		od;
		/* END is durable: S may forget, until it says it did */
		SEND(toS, FORGET);
		do
		:: timeout -> SEND(toS, FORGET)
		:: toK?FORGOT -> kheard = true; break
		:: toK?INQUIRE -> SEND(toS, ABORT)
		:: toK?ACK
		:: toK?YES
		:: toK?NO
		od;
		/* answer late inquiries from the log; after END, presumed abort */
end_serving:
		do
		:: toK?FORGOT
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
end_none:
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
			:: toS?FORGET -> SEND(toK, FORGOT); goto end_none
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
			:: toS?FORGET -> assert(false)         /* K forgets only what S acknowledged */
			:: timeout -> SEND(toK, INQUIRE)       /* no decision yet: ask */
			od
		:: else
		fi;
		assert(slog == COMMITTED || slog == ABORTED);
		assert(slog != COMMITTED || kdec == COMMIT);
		assert(slog != ABORTED || kdec != COMMIT);
		SEND(toK, ACK);
#ifdef BUG_EARLY_FORGET
		atomic { slog = NONE; sforgot = true }; goto end_none;
#endif
end_done:
		do
		:: toS?FORGET ->
			assert(kend);                             /* END is durable first */
			atomic { slog = NONE; sforgot = true }   /* the log's removal is one step */
			SEND(toK, FORGOT);
			goto end_none
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

ltl terminates { <> (kend && sforgot && kheard) }
