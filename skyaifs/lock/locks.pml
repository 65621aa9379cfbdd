/*
 * locks.pml — Promela model of the ResourceLockManager (seed verification target 6;
 * docs/VERIFICATION.md), next to its Go code, package skyaifs/lock (lock.go). Checked by
 * spin from lock_test.go (TestLockModel, TestLockModelSeededBugs); TestLockModelDrift
 * fails when the model's mtypes and the code's enumerations part.
 *
 * Model → Go
 *   mtype:op { ACQUIRE, RELEASE, DIED }   lock.Op: Manager.Acquire, Release, Died
 *   mtype:ans { GRANTED, REFUSED }        lock.Answer Granted, Refused (the code's Queued
 *                                         is the model's "waiting[t] and no answer yet")
 *   mtype:mode { SHARED, EXCL }           lock.Mode Shared, Exclusive
 *   excl[r], shared[r]                    state.excl/hasExcl, state.shared
 *   waiting/wres/wmode/wseq               Manager.waiting and state.queue (arrival order)
 *   outOfOrder                            Manager.outOfOrder (plus "already waits")
 *   compatible, grantWaiters, drop        compatible, Manager.grantWaiters, Manager.drop
 *   DIED handling                         Manager.Died
 *
 * The design modelled
 *   The lock manager is a task that owns shared/exclusive locks on storage resources.
 *   A task asks for a lock on resource r in mode SHARED or EXCL; the manager grants it
 *   at once if compatible (EXCL: nobody else holds r; SHARED: no EXCL holder), else
 *   queues the request; queued requests on a resource are granted in arrival order as
 *   they become compatible. Deadlock is prevented by ordering: a task may ask for r only
 *   while it holds and waits for nothing on a resource >= r; other requests are refused
 *   (REFUSED). The lock a task holds is a capability to a lock object; when the task
 *   dies the kernel revokes its capabilities and notifies the manager (DIED), which
 *   releases every lock of the task and drops its queued request.
 *
 * Processes and variables
 *   proctype Manager      the lock manager task; excl[r] (holder+1, 0 none), shared[r]
 *                         (bit t: task t holds r shared), waiting/wres/wmode/wseq (a
 *                         task's queued request and its arrival number).
 *   proctype Task(t)      a client task: ITER rounds of locking one or two resources
 *                         (in order, or out of order to test the refusal), using them,
 *                         and releasing them. It may be killed at any step (Killer).
 *   proctype Killer       kills up to NKILLS tasks at any moment: the task's "unless"
 *                         escape is the kernel ending it and sending DIED.
 *   chan mgr              requests to the manager (ACQUIRE, RELEASE, DIED).
 *   chan rep[t]           the manager's answer to task t (GRANTED, REFUSED).
 *   in_excl[r], in_shared[r]  ghost counters: tasks using r now, by mode; each task
 *                         counts itself in after GRANTED and out before it releases.
 *
 * Properties: an exclusive holder excludes every other holder (assert when a task
 * starts using a resource); no deadlock (no invalid end state: every task finishes,
 * the manager waits at its end label) — checked with NKILLS=0, since a kill that is
 * still possible would end any circular wait and hide it; a dead task's locks are
 * released (assert after DIED; with NKILLS=1 the killer has spent its one kill when
 * the others wait, so a lock the dead task kept leaves them blocked: an invalid end
 * state).
 *
 * Bounds: NTASKS=2 tasks, NRES=2 resources, ITER=1 round each (every mode and order
 * of one or two locks), NKILLS 0 or 1. ITER=2 (23 million states) and NTASKS=3 (over
 * 34 million) need more than 1 GiB and are not run.
 *
 * Seeded bugs (TestLockModelSeededBugs): BUG_NO_EXCL_CHECK grants EXCL while shared
 * holders remain; BUG_NO_ORDER lets a task ask for locks out of order (a deadlock);
 * BUG_NO_DEATH_RELEASE ignores DIED.
 */

#ifndef NTASKS
#define NTASKS 2
#endif
#define NRES 2
#ifndef ITER
#define ITER 1
#endif
#ifndef NKILLS
#define NKILLS 1
#endif

mtype:op = { ACQUIRE, RELEASE, DIED };
mtype:ans = { GRANTED, REFUSED };
mtype:mode = { SHARED, EXCL };

chan mgr = [2 * NTASKS] of { mtype:op, byte, byte, mtype:mode };
chan rep[NTASKS] = [1] of { mtype:ans };

byte excl[NRES];
byte shared[NRES];
bool waiting[NTASKS];
byte wres[NTASKS];
mtype:mode wmode[NTASKS];
byte wseq[NTASKS];
byte seq;

byte in_excl[NRES];
byte in_shared[NRES];
bool killed[NTASKS];

#define HOLDS(t, r) (excl[r] == (t) + 1 || (shared[r] & (1 << (t))) != 0)

/* Does task t hold or wait for anything on a resource >= r? */
inline outOfOrder(t, r, res) {
	res = false;
	k = r;
	do
	:: k < NRES ->
		res = res || HOLDS(t, k) || (waiting[t] && wres[t] == k);
		k++
	:: else -> break
	od
}

inline compatible(t, ok) {
#ifdef BUG_NO_EXCL_CHECK
	ok = (excl[wres[t]] == 0)
#else
	ok = (excl[wres[t]] == 0 && (wmode[t] == SHARED || shared[wres[t]] == 0))
#endif
}

/* Grant queued requests, per resource in arrival order, while compatible. */
inline grantWaiters() {
	r = 0;
	do
	:: r < NRES ->
		do
		:: true ->
			/* the earliest waiter on r */
			best = NTASKS;
			k = 0;
			do
			:: k < NTASKS ->
				if
				:: waiting[k] && wres[k] == r && (best == NTASKS || wseq[k] < wseq[best]) -> best = k
				:: else
				fi;
				k++
			:: else -> break
			od;
			if
			:: best == NTASKS -> break
			:: else
			fi;
			compatible(best, ok);
			if
			:: !ok -> break
			:: else
			fi;
			if
			:: wmode[best] == EXCL -> excl[r] = best + 1
			:: else -> shared[r] = shared[r] | (1 << best)
			fi;
			waiting[best] = false;
			rep[best]!GRANTED
		od;
		r++
	:: else -> break
	od
}

inline drop(t, r) {
	if
	:: excl[r] == (t) + 1 -> excl[r] = 0
	:: else
	fi;
	shared[r] = shared[r] & ~(1 << (t))
}

proctype Manager()
{
	mtype:op op;
	byte t, r, k, best;
	mtype:mode m;
	bool ok, bad;
end:
	do
	:: mgr?op, t, r, m ->
		/* One request is handled in one step, as the manager task does between two
		 * receives; the locals are cleared so that they add no states. */
		d_step {
			if
			:: op == ACQUIRE ->
				outOfOrder(t, r, bad);
#ifdef BUG_NO_ORDER
				bad = HOLDS(t, r);
#endif
				if
				:: bad -> rep[t]!REFUSED
				:: else ->
					seq++;
					waiting[t] = true; wres[t] = r; wmode[t] = m; wseq[t] = seq
				fi
			:: op == RELEASE ->
				drop(t, r)
			:: op == DIED ->
#ifndef BUG_NO_DEATH_RELEASE
				k = 0;
				do
				:: k < NRES -> drop(t, k); k++
				:: else -> break
				od;
				waiting[t] = false;
				assert(!HOLDS(t, 0) && !HOLDS(t, 1) && !waiting[t]);
#endif
				skip
			fi;
			grantWaiters();
			op = 0; t = 0; r = 0; m = 0; k = 0; best = 0; ok = false; bad = false
		}
	od
}

/* Use resource r in mode m: the ghost counters, and mutual exclusion. */
inline enter(r, m, got) {
	atomic {
		got = true;
		if
		:: m == EXCL -> in_excl[r]++
		:: else -> in_shared[r]++
		fi;
		assert(in_excl[r] <= 1 && (in_excl[r] == 0 || in_shared[r] == 0))
	}
}

inline leave(r, m) {
	if
	:: m == EXCL -> in_excl[r]--
	:: else -> in_shared[r]--
	fi
}

proctype Task(byte t)
{
	byte i, r1, r2;
	mtype:mode m1, m2;
	mtype:ans a;
	bool got1, got2;
	{
		i = 0;
		do
		:: i < ITER ->
			i++;
			got1 = false; got2 = false;
			atomic {
				if :: r1 = 0 :: r1 = 1 fi;
				if :: m1 = SHARED :: m1 = EXCL fi;
				mgr!ACQUIRE, t, r1, m1
			};
			rep[t]?a;
			if
			:: a == GRANTED -> enter(r1, m1, got1)
			:: else
			fi;
			/* maybe a second lock: the other resource, in order or not */
			if
			:: skip
			:: got1 ->
				atomic {
					r2 = 1 - r1;
					if :: m2 = SHARED :: m2 = EXCL fi;
					mgr!ACQUIRE, t, r2, m2
				};
				rep[t]?a;
				assert(a == GRANTED || r2 < r1);   /* in order: never refused */
				if
				:: a == GRANTED -> enter(r2, m2, got2)
				:: else
				fi
			fi;
			atomic {
				if
				:: got2 -> leave(r2, m2); got2 = false; mgr!RELEASE, t, r2, m2
				:: else
				fi
			};
			atomic {
				if
				:: got1 -> leave(r1, m1); got1 = false; mgr!RELEASE, t, r1, m1
				:: else
				fi
			}
		:: else -> break
		od
	} unless {
		killed[t];
		/* the kernel ends the task: it uses nothing any more, and the manager is told */
		atomic {
			if
			:: got1 -> leave(r1, m1); got1 = false
			:: else
			fi;
			if
			:: got2 -> leave(r2, m2); got2 = false
			:: else
			fi;
			mgr!DIED, t, 0, SHARED
		}
	}
}

active proctype Killer()
{
	byte n = 0, t;
end:
	do
	:: n < NKILLS ->
		atomic {
			select(t : 0 .. NTASKS - 1);
			if
			:: !killed[t] -> killed[t] = true; n++
			:: else
			fi
		}
	:: else -> break
	od
}

init
{
	byte t;
	atomic {
		run Manager();
		for (t : 0 .. NTASKS - 1) {
			run Task(t)
		}
	}
}
