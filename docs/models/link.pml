/*
 * link.pml — Promela model of the inter-container link protocol (seed verification
 * target 4; docs/VERIFICATION.md). The Go link service does not exist yet
 * (container/descriptor has the descriptors' link lists): this model is the design it
 * is to follow, and when the code lands the model moves next to it with a test that
 * compares its states with the code's. Checked by spin from tests/verify
 * (TestLinkModel).
 *
 * The design modelled
 *   Default deny. Container A asks the link service for a link to container B. The
 *   service allows it only if A's descriptor lists B, B's descriptor lists A, and the
 *   system policy allows the pair. It then asks the kernel for a connected endpoint
 *   pair, keeps the two original capabilities, and delivers to each side a copy
 *   derived from its original (Mint, rights restricted). Revoking the link — asked by
 *   either side or by the system — makes the service revoke both originals (which
 *   deletes every copy derived from them) and delete them. Each kernel operation is
 *   atomic; the service's steps between them are not, so requests, deliveries and
 *   revocations interleave arbitrarily.
 *
 * Processes and variables
 *   proctype Requester(c)  container c's task asking for the link (c = 0 or 1).
 *   proctype Service       the link service: one request at a time from chan req.
 *   proctype Revoker       a revocation at any moment: by a side or by the system.
 *   desc[c]                container c's descriptor lists the other (chosen at start).
 *   policy                 the system policy allows the pair (chosen at start).
 *   orig[e]                the service holds original end e (0 for A, 1 for B).
 *   held[c]                container c holds a live capability to its end.
 *   derived[c]             that capability is derived from orig[c] (revocable).
 *   state                  the link: NONE, LIVE, REVOKED.
 *
 * Properties (assertions and the safety ltl properties):
 *   allowed:   [] (held[0] || held[1] -> desc[0] && desc[1] && policy): no end is ever
 *              delivered unless both descriptors and the system policy allow it;
 *   no_stale:  [] (state == REVOKED -> !held[0] && !held[1]): after revoke no live end
 *              remains, whatever was in flight.
 *
 * Bounds: two containers, each asking once, one revocation, every descriptor and
 * policy choice: the whole state space.
 *
 * Seeded bugs (TestLinkModelSeededBugs): BUG_NO_POLICY skips the system policy;
 * BUG_ONE_SIDED checks only the requester's descriptor; BUG_REVOKE_ONE_END revokes
 * only the requester's end; BUG_MOVE_END delivers the original itself (moved, not
 * derived), which revoking the service's slot cannot reach.
 */

mtype:link = { NONE, LIVE, REVOKED };

bool desc[2];
bool policy;
bool orig[2];
bool held[2];
bool derived[2];
mtype:link state = NONE;

chan req = [2] of { byte };
chan ans[2] = [1] of { bool };

/* Deliver end c: a copy derived from the original, if the original is still there
 * (after a revoke the slot is empty and the copy fails). One kernel operation. */
inline deliver(c) {
	atomic {
		if
		:: orig[c] ->
			assert(desc[0] && desc[1] && policy);   /* allowed, at the moment of delivery */
			held[c] = true;
#ifdef BUG_MOVE_END
			derived[c] = false; orig[c] = false
#else
			derived[c] = true
#endif
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
		/* decode: every check before anything is made */
#ifdef BUG_NO_POLICY
		ok = desc[0] && desc[1];
#elif defined(BUG_ONE_SIDED)
		ok = desc[c] && policy;
#else
		ok = desc[0] && desc[1] && policy;
#endif
		if
		:: ok && state == NONE ->
			/* the kernel makes the connected pair: one operation */
			atomic { orig[0] = true; orig[1] = true; state = LIVE };
			deliver(0);
			deliver(1);
			ans[c]!true
		:: else ->
			ans[c]!false
		fi;
		c = 0; ok = false
	od
}

proctype Requester(byte c)
{
	bool got;
	req!c;
	ans[c]?got
}

/* Revoke the link: both originals revoked (deleting their derived copies), then
 * deleted; one kernel operation per end. */
proctype Revoker()
{
end_idle:
	(state == LIVE);    /* no link, nothing to revoke: waiting forever is fine */
	atomic {
		if
		:: derived[0] -> held[0] = false; derived[0] = false
		:: else
		fi;
		orig[0] = false
	};
#ifndef BUG_REVOKE_ONE_END
	atomic {
		if
		:: derived[1] -> held[1] = false; derived[1] = false
		:: else
		fi;
		orig[1] = false
	};
#endif
	state = REVOKED;
	assert(!held[0] && !held[1])
}

init
{
	atomic {
		if :: desc[0] = true :: desc[0] = false fi;
		if :: desc[1] = true :: desc[1] = false fi;
		if :: policy = true :: policy = false fi;
		run Service();
		run Requester(0);
		run Requester(1);
		run Revoker()
	}
}

ltl allowed { [] ((held[0] || held[1]) -> (desc[0] && desc[1] && policy)) }
ltl no_stale { [] ((state == REVOKED) -> (!held[0] && !held[1])) }
