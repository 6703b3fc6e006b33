/*
 * Online preflight (SPEC section 3): asks DescribeHistoryEvents about
 * every target before anything is sent.  Errors (event-missing,
 * event-type, event-resource, event-deadline) and warnings
 * (event-status: nothing to do) go to diags at the target's position;
 * per-target verdicts are kept for the runner.
 */
#ifndef ENSBATCH_PREFLIGHT_H
#define ENSBATCH_PREFLIGHT_H

#include "ensbatch/diag.h"
#include "ensbatch/ens.h"
#include "ensbatch/plan.h"

enum preflight_verdict {
	PREFLIGHT_OK,
	PREFLIGHT_DONE,		/* event already final: skip, do not send */
	PREFLIGHT_BAD		/* an error was reported */
};

/* What the preflight found for one target. */
struct preflight_target {
	enum preflight_verdict	 verdict;
	char			*reason;	/* for DONE: why */
	char			*status;	/* the event's status, or NULL */
};

struct preflight {
	/* targets[manifest group index][target index] */
	struct preflight_target	**targets;
	size_t			 *ntargets;	/* per group */
	size_t			  ngroups;
	size_t			  errors;
	size_t			  done;
};

/*
 * Returns the preflight (free with preflight_free), or NULL when the API
 * could not be asked; then reply says why (caller clears it).  On a
 * terminal the live line shows the progress ("preflight: 1,200 of
 * 2,000 events"); it is cleared before returning.
 */
struct preflight	*preflight_run(const struct plan *, struct ens_client *,
			    struct diags *, struct ens_reply *);
void			 preflight_free(struct preflight *);

#ifdef ENSBATCH_TESTING
/* n with thousands separators ("1,200") into out[len]. */
void	preflight_thousands(size_t, char *, size_t);
#endif

#endif
