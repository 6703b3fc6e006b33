/*
 * The runner executes a plan through the ENS client: groups in order,
 * each gated on the groups it is after (finished, settled, soaked);
 * immediate batches one at a time, each settled before its pause and
 * the next; scheduled batches in parallel, followed from their PlanTime
 * when something depends on them or with wait; failure budgets that
 * count settle outcomes; one report test case per target.
 */
#ifndef ENSBATCH_RUNNER_H
#define ENSBATCH_RUNNER_H

#include <signal.h>
#include <stddef.h>

#include "ensbatch/ens.h"
#include "ensbatch/journal.h"
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
	int			 wait;		/* follow scheduled groups to
						   the end (apply --wait) */
	int64_t			 reconcile_ms;	/* how long an unknown outcome
						   is watched for a change
						   before one resend; 0 = 60 s */
	int			 adopt;		/* --adopt-status: on resume,
						   targets in doubt whose event
						   is past the request are
						   followed as accepted (see
						   settle_doubt) */
	const char		*resume_args;	/* what locates this run in a
						   resume command ("--journal
						   J ... MANIFEST"), or NULL */
};

/*
 * Run the plan.  preflight may be NULL (--no-preflight).  With resume,
 * targets the journal shows settled keep their outcome without a call,
 * accepted ones are followed again and those in doubt are reconciled
 * first (settle_doubt); those still in doubt are errors, and the recap
 * says how to settle them.  Fills a new report (*out,
 * caller frees) and returns an enum exit_code: EXIT_OK, EXIT_FAILED,
 * EXIT_ENV (nothing reached the API) or EXIT_INTERRUPTED.
 */
int	runner_run(const struct plan *, const struct preflight *,
	    struct ens_client *, const struct runner_opts *,
	    struct report **);

/* Per group, what ensbatch status found. */
struct runner_tally {
	const char	*group;		/* borrowed from the manifest */
	size_t		 requested;
	size_t		 scheduled;	/* registered, PlanTime to come */
	size_t		 executing;	/* due, not final yet */
	size_t		 settled;
	size_t		 failed;	/* failures and errors */
	size_t		 not_requested;
};

/*
 * ensbatch status: read-only.  opts->journal (journal_read) says what
 * was requested; the API says what happened since.  With opts->wait,
 * follows every requested target until it is final.  Fills a report of
 * the true outcomes (*out) and a tally per plan group (*tally, in plan
 * order); caller frees both.  Returns EXIT_OK (all settled), EXIT_FAILED
 * (any failed or overdue), EXIT_PENDING (some not final yet) or
 * EXIT_INTERRUPTED.
 */
int	runner_status(const struct plan *, struct ens_client *,
	    const struct runner_opts *, struct report **,
	    struct runner_tally **);

#ifdef ENSBATCH_TESTING
enum journal_state runner_item_state(const struct ens_reply *, size_t);
#endif

#endif
