/*
 * The runner executes a plan through the ENS client: groups in order,
 * batches with pauses (immediate) or in parallel (scheduled), failure
 * budgets, dependencies, and one report test case per target.
 */
#ifndef ENSBATCH_RUNNER_H
#define ENSBATCH_RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "ensbatch/ens.h"
#include "ensbatch/plan.h"
#include "ensbatch/preflight.h"
#include "ensbatch/report.h"

struct journal;

struct runner_opts {
	size_t			 parallel;	/* scheduled calls in flight */
	struct journal		*journal;	/* records every call */
	int			 resume;	/* journal holds an earlier run */
	int			 quiet;		/* no progress */
	int			 live;		/* progress on a terminal */
	const char		*endpoint;	/* for the report */
	volatile sig_atomic_t	*stop;		/* 1: drain, 2: abort */
};

/*
 * Run the plan.  preflight may be NULL (--no-preflight).  With resume,
 * targets the journal confirms are reported passed without a call and
 * those in doubt are reconciled first.  Fills a new report (*out,
 * caller frees) and returns an enum exit_code: EXIT_OK, EXIT_FAILED,
 * EXIT_ENV (nothing reached the API) or EXIT_INTERRUPTED.
 */
int	runner_run(const struct plan *, const struct preflight *,
	    struct ens_client *, const struct runner_opts *,
	    struct report **);

#endif
