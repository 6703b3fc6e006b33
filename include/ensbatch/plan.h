/*
 * The plan: groups in run order, each cut into batches with their
 * PlanTimes.  Built from a manifest that passed rules_check().
 */
#ifndef ENSBATCH_PLAN_H
#define ENSBATCH_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "ensbatch/manifest.h"
#include "ensbatch/report.h"

#define PLAN_NO_TIME	INT64_MIN	/* immediate batches */
#define PLAN_CALL_ESTIMATE	2000	/* ms assumed per API call */

struct plan_batch {
	size_t		 first;		/* index into the group's targets */
	size_t		 count;
	int64_t		 plan_time;	/* ms epoch or PLAN_NO_TIME */
};

/*
 * Estimates are upper bounds for the reboots: every reboot is counted
 * at its full settle_timeout (and check timeout, with a check), every
 * call at PLAN_CALL_ESTIMATE.  A run is a timeline: groups in run order,
 * each starting when the one before it ended and the groups it is after
 * have settled and soaked.
 */
struct plan_group {
	const struct manifest_group *group;	/* borrowed from the manifest */
	size_t		 index;		/* in manifest->groups */
	struct plan_batch *batches;
	size_t		 nbatches;
	int64_t		 wait;		/* ms waiting for after groups */
	int64_t		 estimate;	/* ms of its own: calls, settling,
					   pauses (not the wait) */
	int64_t		 settled_by;	/* ms epoch: its reboots settled */
};

struct plan {
	const struct manifest *manifest;/* borrowed */
	int64_t		 now;
	struct plan_group *groups;	/* in run order */
	size_t		 ngroups;
	size_t		 ntargets;
	size_t		 nbatches;
	int64_t		 estimate;	/* ms: every wait and estimate */
	int64_t		 last_plan_time; /* or PLAN_NO_TIME */
	int64_t		 settled_by;	/* ms epoch: every reboot settled */
};

enum plan_format {
	PLAN_TEXT,
	PLAN_JSON,
	PLAN_MARKDOWN
};

/* Caller frees with plan_free().  The manifest must outlive the plan. */
struct plan	*plan_build(const struct manifest *, int64_t);
void		 plan_free(struct plan *);

int		 plan_print(const struct plan *, enum plan_format, FILE *);

/*
 * The dry-run report: every planned target <skipped>, every target with
 * a validation error <failure> (diags gives the message).  endpoint may
 * be NULL.  Caller frees with report_free().
 */
struct report	*plan_report(const struct plan *, const struct diags *,
		    const char *);

/*
 * A group's suite's properties: the run's on the report (ticket,
 * manifest and its hash, mode, operator, ensbatch_version, now,
 * endpoint), which report_write puts once at the top, and on the suite
 * the run's again with the group's own (policy, ops, plan times).
 * endpoint may be NULL (the manifest's, or the default).
 */
void		 plan_report_properties(struct report_suite *,
		    const struct plan *, const struct plan_group *,
		    const char *, const char *);

/* Failed targets a group tolerates: max_failures, or its percentage. */
int64_t		 plan_failure_budget(const struct policy *, size_t);

/*
 * Check an approved plan file (plan --out) against this plan: the same
 * manifest and targets files (SHA-256), the same groups, batches,
 * targets and PlanTimes, and no scheduled PlanTime now closer than
 * min_lead (unless now is RULES_NO_DEADLINES: a resumed run).  Returns
 * 0, or -1 with *cause saying which ("stale plan").
 */
int		 plan_verify(const struct plan *, const char *, int64_t,
		    char **);

/* Store the plan as JSON (atomically).  0, or -1 and *cause. */
int		 plan_save(const struct plan *, const char *, char **);

#endif
