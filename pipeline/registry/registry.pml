/*
 * registry.pml — Promela model of the service registry's live update with rollback
 * (pipeline/registry, seed verification target 10; docs/VERIFICATION.md). Checked by
 * spin from TestRegistryModel (model_test.go).
 *
 * What maps to what
 *
 *   proctype Registry   Registry.update (registry.go) and awaitReady/resume: up to
 *                       NUPDATES update requests in a row, the next only after the
 *                       previous one rolled back (V1 serves again).
 *   mtype:phase phase   Registry.phase (Phase, phase.go). TRANS(a, b) is setPhase(b)
 *                       called in phase a; TestModelMatchesCode compares the mtype
 *                       names with Phase.String and the TRANS pairs with phaseNext.
 *   proctype V1         a version serving: Version.Run's receive loop (V1, and V1
 *                       again after Resuming). It exits on the Drain control message.
 *   proctype V2         the new version: initialisation and self-test, its Ready or
 *                       Failed call to the registry, the wait for Start, then the same
 *                       receive loop. It may crash before reporting, report Failed,
 *                       hang (never report), report Ready and crash before Start, or
 *                       report Ready and serve — every failure point of Version.Run
 *                       before it serves.
 *   proctype Client     a task calling the service NCALLS times (TestLiveUpdate's
 *                       client); NCLIENTS of them, calling throughout the update.
 *   chan svc            the service endpoint: its queue of blocked senders, in order
 *                       (a client has at most one call outstanding, so NCLIENTS+1
 *                       places hold every caller plus the registry's Drain).
 *   chan reply[i]       the reply to client i's call; the byte says who answered
 *                       (SERVED_V1, SERVED_V2).
 *   chan reg            V2's Ready/Failed call on the registry endpoint (NBRecv in
 *                       awaitReady).
 *   chan start          the registry's reply to V2's call (the Reply object at
 *                       Free+2): it starts V2 serving, or answers Failed.
 *   v1_live, v2_alive   Registry.alive(task) (TaskStatus == TaskLive); v1_live counts
 *                       V1 tasks, so that a second one (a bug) is seen.
 *   v2_killed           Kill(System, v2); V2's "unless" escape is the kernel ending it
 *                       and cancelling its queued call.
 *   current             Registry.current: which version the registry thinks serves.
 *   outcome             update's result (Updated, Crashed, SelfTest, TimedOut,
 *                       NoProgram).
 *
 * Abstractions: the timeout is a nondeterministic choice at any point of the wait (an
 * over-approximation of Timeout polls); starting V1 again in Resuming always succeeds
 * (memory is not modelled); V2 does not crash after it started serving (that is an
 * ordinary service crash, not an update); the updater badge check is not modelled.
 *
 * Properties (safety mode: assertions plus invalid end states, which catch a call that
 * is never answered because its client stays blocked):
 *   - no client call is received by a V2 that did not report Ready, and never while
 *     V1 still receives (assert in V2 and V1; ltl one_receiver);
 *   - the registry switches only to a V2 that reported Ready and is alive;
 *   - no call is lost or answered twice: every client gets exactly NCALLS replies;
 *   - rollback restores V1: after an aborted update V1 is alive and current.
 * Liveness (ltl completes, weak fairness): every client gets all its answers.
 *
 * Seeded bugs (each must give a counterexample, TestRegistryModelSeededBugs):
 *   BUG_NO_READY_CHECK  awaitReady takes a Failed report for Ready;
 *   BUG_NO_DRAIN_WAIT   Switching starts V2 without waiting for V1 to end;
 *   BUG_NO_RESUME       a V2 that died after V1 drained is not replaced by V1.
 */

#ifndef NCLIENTS
#define NCLIENTS 2
#endif
#ifndef NCALLS
#define NCALLS 2
#endif
#ifndef NUPDATES
#define NUPDATES 2
#endif

#define SERVED_V1 1
#define SERVED_V2 2

/* Outcomes, as registry.go's constants. */
#define UPDATED    0
#define CRASHED    2
#define SELF_TEST  3
#define TIMED_OUT  4
#define NO_PROGRAM 5

mtype:phase = { Serving, Starting, AwaitingReady, Aborting, Draining, Switching, Resuming };
mtype:msg = { CALL, DRAIN, READY, FAILED, GO };

mtype:phase phase = Serving;

chan svc = [NCLIENTS + 1] of { mtype:msg, byte };
chan reply[NCLIENTS] = [1] of { byte };
chan reg = [1] of { mtype:msg };
chan start = [1] of { mtype:msg };

byte v1_live;      /* live V1 tasks: 1, or 0 once drained */
bool v2_alive;     /* the V2 task is live */
bool v2_killed;    /* the registry killed V2 */
bool v2_ready;     /* V2 reported Ready */
bool v2_serving;   /* V2 receives on the service endpoint */
byte current;      /* SERVED_V1 or SERVED_V2: the version the registry records */
byte outcome;
byte answered;     /* clients that got all their answers */

/* setPhase(to) in phase from. */
#define TRANS(from, to) assert(phase == from); phase = to

/* A version's receive loop: answer calls until Drain. */
proctype V1()
{
	byte c;
end_serving:
	do
	:: svc?CALL, c ->
		assert(!v2_serving);             /* one receiver at a time */
		reply[c]!SERVED_V1
	:: svc?DRAIN, _ ->
		break
	od;
	v1_live--
}

/* When V2 ends (a crash or Kill) the kernel removes its queued call from the registry
 * endpoint and drops the reply to it: nothing it sent or was sent reaches a later V2.
 * A crash sets v2_alive in the same step, as the kernel ends a faulting task at once:
 * Registry.alive sees it from then on. */
#define CANCEL \
	atomic { \
		do \
		:: reg?_ \
		:: start?_ \
		:: empty(reg) && empty(start) -> break \
		od \
	}


proctype V2()
{
	byte c;
	{
		if
		:: v2_alive = false                      /* crashes during initialisation */
		:: reg!FAILED; start?GO                  /* self-test fails: reports, is answered, ends */
		:: skip; false                           /* hangs: never reports */
		:: reg!READY;                            /* Ready: waits for Start (its call's reply) */
			if
			:: atomic { empty(start) -> CANCEL; v2_alive = false }  /* crashes before Start */
			:: start?GO ->
				assert(v2_ready);
				v2_serving = true;
end_serving:
				do
				:: svc?CALL, c ->
					assert(v2_ready && !v2_killed);
					reply[c]!SERVED_V2
				:: svc?DRAIN, _ -> break
				od
			fi
		fi
	} unless {
		v2_killed;          /* the kernel ends it: CANCEL, then it is gone */
		CANCEL
	};
	atomic { v2_alive = false; v2_serving = false }
}

proctype Client(byte id)
{
	byte who, n = 0;
	do
	:: n < NCALLS ->
		svc!CALL, id;
		reply[id]?who;
		assert(empty(reply[id]));               /* answered once */
		n++
	:: n == NCALLS -> break
	od;
	answered++
}

proctype Registry()
{
	byte u = 0;
	do
	:: u < NUPDATES && current == SERVED_V1 ->
		u++;
		v2_killed = false; v2_ready = false;
		TRANS(Serving, Starting);
		if
		:: TRANS(Starting, Serving);            /* startVersion failed */
			outcome = NO_PROGRAM;
			goto next
		:: atomic { v2_alive = true; run V2() };
			TRANS(Starting, AwaitingReady)
		fi;
		/* awaitReady: the report, V2's end, or the timeout */
		do
		:: reg?READY -> v2_ready = true; outcome = UPDATED; break
		:: reg?FAILED ->
#ifdef BUG_NO_READY_CHECK
			outcome = UPDATED; break
#else
			start!GO; outcome = SELF_TEST; break
#endif
		:: atomic { empty(reg) && !v2_alive } -> outcome = CRASHED; break
		:: outcome = TIMED_OUT; break
		od;
		if
		:: outcome != UPDATED ->
			TRANS(AwaitingReady, Aborting);
			v2_killed = true;
			(!v2_alive);                          /* Kill, TaskStatus: reclaimed */
			TRANS(Aborting, Serving);
			assert(current == SERVED_V1 && v1_live == 1);   /* rollback: V1 serves */
			goto next
		:: else
		fi;
		TRANS(AwaitingReady, Draining);
		if
		:: v1_live > 0 -> svc!DRAIN, 0
		:: else
		fi;
#ifndef BUG_NO_DRAIN_WAIT
		(v1_live == 0);
#endif
		TRANS(Draining, Switching);
		if
		:: atomic { v2_alive -> start!GO; current = SERVED_V2 };
			assert(v2_ready);
			TRANS(Switching, Serving)
		:: atomic { !v2_alive -> outcome = CRASHED };
			TRANS(Switching, Resuming);
#ifndef BUG_NO_RESUME
			atomic { v1_live++; run V1() };
#endif
			current = SERVED_V1;
			TRANS(Resuming, Serving);
			assert(current == SERVED_V1 && v1_live == 1)
		fi;
next:
		skip
	:: u == NUPDATES || current == SERVED_V2 -> break
	od
}

init
{
	byte i;
	atomic {
		current = SERVED_V1;
		v1_live = 1;
		run V1();
		run Registry();
		for (i : 0 .. NCLIENTS - 1) {
			run Client(i)
		}
	}
}

ltl one_receiver { [] !(v1_live > 0 && v2_serving) }
ltl completes { <> (answered == NCLIENTS) }
