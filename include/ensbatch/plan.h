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

struct plan_account;

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

struct plan_account;

/*
 * Check an approved plan file (plan --out) against this plan: the same
 * manifest and targets files (SHA-256), the same groups, batches,
 * targets and PlanTimes, no scheduled PlanTime now closer than
 * min_lead (unless now is RULES_NO_DEADLINES: a resumed run), and an
 * account it was approved for, read into *approved (free it with
 * plan_account_clear; zeroed on failure).  The file is read once.
 * Returns 0, or -1 with *cause saying which ("stale plan").
 */
int		 plan_verify(const struct plan *, const char *, int64_t,
		    struct plan_account *, char **);

/*
 * Store the plan as JSON (atomically), with the account it is approved
 * for (may be NULL: none known).  0, or -1 and *cause.
 */
int		 plan_save(const struct plan *, const struct plan_account *,
		    const char *, char **);

/*
 * The account a plan is approved for (plan --out) or a run uses (apply):
 * the endpoint URL calls go to and, when known, the access key id,
 * kept masked for people (creds_mask_key) and as the SHA-256 of the
 * full id for comparison, so that a ticket attachment does not carry
 * the id itself.
 */
enum plan_key {
	PLAN_KEY_NOT_ASKED,	/* plan without --out: credentials unread */
	PLAN_KEY_NONE,		/* no credentials when planned */
	PLAN_KEY_TEMPORARY,	/* STS credentials: a new id per session */
	PLAN_KEY_PINNED		/* key_masked and key_sha256 are set */
};

struct plan_account {
	char		*endpoint;	/* the URL, owned */
	enum plan_key	 key;
	char		 key_masked[32];
	char		 key_sha256[HASH_HEX_LEN];
};

/*
 * Fill an account: endpoint is copied; key_id (may be NULL unless key
 * is PLAN_KEY_PINNED) is masked and hashed, never kept.  Free with
 * plan_account_clear().
 */
void		 plan_account_set(struct plan_account *, const char *,
		    enum plan_key, const char *);
void		 plan_account_clear(struct plan_account *);

/*
 * Check the account an approved plan was made for (from plan_verify)
 * against the run's (see plan_account_diff).  Returns 0, *pinned set to
 * whether the plan pinned a key; or -1 with *cause ("stale plan: ...").
 */
int		 plan_check_account(const struct plan_account *,
		    const struct plan_account *, int *, char **);

/*
 * What a printed plan says besides the plan: where it is pinned and
 * where its target lists are attached.  Every member may be NULL.
 */
struct plan_context {
	const struct plan_account *account;
	const char	*out;		/* plan --out */
	const char	*targets_csv;	/* plan --targets-csv */
};

/* plan_print with a context (plan_print: none). */
int		 plan_print_context(const struct plan *, enum plan_format,
		    const struct plan_context *, FILE *);

/*
 * Store the targets as CSV (atomically): group, batch, event id,
 * instance id, PlanTime UTC (empty for immediate batches), with a
 * header line.  0, or -1 and *cause.
 */
int		 plan_save_targets_csv(const struct plan *, const char *,
		    char **);

/* Bounds of the Markdown plan (see plan_print_markdown). */
#define PLAN_MD_BUDGET	30000	/* bytes: under Jira's 32 KiB field */

#ifdef ENSBATCH_TESTING
/*
 * Whether a run may use an approved plan's account (pure).  The
 * endpoints must be equal (ignoring case); a plan that pins a key
 * requires that key; a plan that pins none (no credentials or temporary
 * ones when planned) accepts any key at its endpoint.  NULL when the
 * run may go on, else "planned for ENDPOINT (key ...) but running
 * against ENDPOINT (key ...)" (caller frees).
 */
char		*plan_account_diff(const struct plan_account *,
		    const struct plan_account *);
/*
 * Which of n items the Markdown plan shows at its level of detail
 * (0 = most): the first *head and the last *tail; all when they meet.
 */
void		 plan_md_shown(size_t, int, size_t *, size_t *);
#endif

#endif
