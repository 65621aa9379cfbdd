/*
 * link.pml — Promela model of inter-container link setup and revocation (seed
 * verification target 4; docs/VERIFICATION.md). Checked by spin from
 * TestLinkModel (link_model_test.go); TestLinkModelMatchesCode compares its link
 * states and transitions with kernel/link.go's LinkState and linkNext.
 *
 * What maps to what
 *
 *   proctype Requester(c)  a manager acting for container c asking for the link:
 *                          a call of container/runtime.Link (or of the ContainerLink
 *                          system call) with c's side first. c = 0 is the client
 *                          side (Link.a), c = 1 the server side (Link.b).
 *   proctype Service       the path one request takes, one at a time:
 *                            decode   runtime.Link's descriptor checks (find on
 *                                     both descriptors, Write asked for) and, on the
 *                                     system-call path, invContainerLink's
 *                                     capability checks (Write on both containers);
 *                            make     kernel.LinkContainers: linkable(a), linkable(b),
 *                                     then the endpoint, the kernel's original
 *                                     (Link.holder) and both ends copied from it into
 *                                     the caller's slots — one kernel operation,
 *                                     TRANS(None, Live);
 *                            deliver  each end copied on to a task of its side
 *                                     (StartInContainer's grants: capability.Tree
 *                                     Copy from the caller's slot), one kernel
 *                                     operation per end, racing revocation.
 *   proctype Revoker       kernel.RevokeLink by either side, at any moment while the
 *                          link is live: revokeLink, TRANS(Live, Revoked).
 *   proctype Destroyer     destroying either container at any moment (or neither):
 *                          destroyContainer, which revokes the container's links
 *                          (revokeLink) and makes it unlinkable from then on.
 *   desc[c]                container c's descriptor lists the link (runtime.Link's
 *                          find; for the client with Write among its rights).
 *   policy                 the system policy: the requester holds capabilities with
 *                          Write to both containers (the ContainerLink method's
 *                          rights on the invoked container, extraOf(0,
 *                          ObjContainer, RightWrite) on the peer). Skyscope's policy
 *                          is capability authority; runtime.Link's caller is the
 *                          holder of both containers.
 *   alive[c]               container c is not destroyed (linkable).
 *   orig                   the kernel holds the original (Link.holder non-empty).
 *   slot[c]                the caller's slot holds end c, derived from orig
 *                          (aEnd/bEnd of LinkContainers); slotd[c]: it is derived.
 *   held[c]                a task of container c holds a copy of end c;
 *                          heldd[c]: that copy is derived (reachable by Revoke).
 *   mtype:link state       Link.state (LinkState, link.go): None, Live, Revoked.
 *                          TRANS(a, b) is setState(b) in state a.
 *
 * Abstractions: one link per pair (a second request while one exists is refused
 * here; the Go code would make a second, independent link — another instance of
 * this model); the rights of the ends (Grant only if both descriptors list it) are
 * not modelled; each kernel operation is atomic (the kernel runs with interrupts off
 * on one CPU), the manager's steps between them are not.
 *
 * Properties (assertions, and the safety ltl properties):
 *   allowed:   [] (held[0] || held[1] || slot[0] || slot[1] -> desc[0] && desc[1] &&
 *              policy): no end exists unless both descriptors and the policy allow it;
 *   no_stale:  [] (state == Revoked -> no end anywhere): after revoke no live end
 *              remains, whatever was in flight;
 *   no_dead:   [] (!alive[0] || !alive[1] -> no end anywhere): a destroyed side
 *              leaves no end behind, on either side.
 *
 * Bounds: two containers, each asking once, one revocation and one destruction at any
 * moment, every descriptor and policy choice: the whole state space.
 *
 * Seeded bugs (TestLinkModelSeededBugs), each a mutation of a Go guard:
 *   BUG_NO_POLICY       invContainerLink takes a peer capability without Write;
 *   BUG_ONE_SIDED       runtime.Link checks only the requester's descriptor;
 *   BUG_NO_LINKABLE     LinkContainers does not check that both sides are live;
 *   BUG_REVOKE_ONE_END  revokeLink deletes only the requester's end instead of
 *                       revoking the original's whole derivation subtree;
 *   BUG_MOVE_END        an end is placed as an original of its own (Insert, not
 *                       Copy from Link.holder): revoking the holder cannot reach it.
 */

mtype:link = { None, Live, Revoked };

#define TRANS(from, to) assert(state == from); state = to

bool desc[2];
bool policy;
bool alive[2];
bool orig;
bool slot[2];
bool slotd[2];
bool held[2];
bool heldd[2];
byte asker = 2;    /* the side whose request made the link (2: none yet) */
mtype:link state = None;

chan req = [2] of { byte };
chan ans[2] = [1] of { bool };

#define ENDS (held[0] || held[1] || slot[0] || slot[1])

/* Revoke the original's derivation subtree and delete the original: every derived
 * end goes, wherever it was copied. One kernel operation (revokeLink). */
inline revoke(c) {
#ifdef BUG_REVOKE_ONE_END
	slot[c] = false; held[c] = false;
#else
	if :: slotd[0] -> slot[0] = false :: else fi;
	if :: slotd[1] -> slot[1] = false :: else fi;
	if :: heldd[0] -> held[0] = false :: else fi;
	if :: heldd[1] -> held[1] = false :: else fi;
#endif
	orig = false;
	TRANS(Live, Revoked)
}

/* Copy end c from the caller's slot to a task of side c (a grant): the copy is derived
 * from the slot's capability. Copying from an empty slot fails. */
inline deliver(c) {
	atomic {
		if
		:: slot[c] -> held[c] = true; heldd[c] = slotd[c]
		:: else
		fi
	}
}

proctype Service()
{
	byte c;
	bool ok;
end:
	do
	:: req?c ->
		/* decode: runtime.Link and the system call's capability checks */
#ifdef BUG_NO_POLICY
		ok = desc[0] && desc[1];
#elif defined(BUG_ONE_SIDED)
		ok = desc[c] && policy;
#else
		ok = desc[0] && desc[1] && policy;
#endif
		/* make: LinkContainers, one kernel operation */
		atomic {
#ifdef BUG_NO_LINKABLE
			ok = ok && state == None;
#else
			ok = ok && state == None && alive[0] && alive[1];
#endif
			if
			:: ok ->
				assert(desc[0] && desc[1] && policy);
				orig = true;
				slot[0] = true; slotd[0] = true;
				slot[1] = true;
#ifdef BUG_MOVE_END
				slotd[1] = false;
#else
				slotd[1] = true;
#endif
				asker = c;
				TRANS(None, Live)
			:: else
			fi
		};
		/* deliver: each end to a task of its side, racing revocation */
		if
		:: ok -> deliver(0); deliver(1)
		:: else
		fi;
		ans[c]!ok;
		c = 0; ok = false
	od
}

proctype Requester(byte c)
{
	bool got;
	req!c;
	ans[c]?got
}

/* RevokeLink by either side, while the link is live. */
proctype Revoker()
{
	byte c;
end_idle:
	atomic {
		state == Live ->
		if
		:: c = asker
		:: c = 1 - asker
		fi;
		revoke(c)
	};
	assert(!ENDS)
}

/* Destroy container 0 or 1 at any moment (or never): its links are revoked. */
proctype Destroyer()
{
	byte c;
	if
	:: c = 0
	:: c = 1
	:: goto done
	fi;
	atomic {
		alive[c] = false;
		if
		:: state == Live -> revoke(c)
		:: else
		fi
	};
	assert(!ENDS);
done:
	skip
}

init
{
	atomic {
		if :: desc[0] = true :: desc[0] = false fi;
		if :: desc[1] = true :: desc[1] = false fi;
		if :: policy = true :: policy = false fi;
		alive[0] = true; alive[1] = true;
		run Service();
		run Requester(0);
		run Requester(1);
		run Revoker();
		run Destroyer()
	}
}

ltl allowed { [] (ENDS -> (desc[0] && desc[1] && policy)) }
ltl no_stale { [] ((state == Revoked) -> !ENDS) }
ltl no_dead { [] ((!alive[0] || !alive[1]) -> !ENDS) }
