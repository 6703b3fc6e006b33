/*
 * Executing a plan.  Every target ends in exactly one state, and a
 * target is marked passed only when the API answered 200 for it.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ensbatch/buf.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/runner.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

/* What happened to one target. */
struct tstate {
	int			 decided;
	enum report_outcome	 outcome;
	char			*type;
	char			*message;
	char			*out;		/* system-out */
	double			 time;
	int			 preflight_skip;
};

struct run {
	const struct plan		*plan;
	const struct preflight		*pf;
	struct ens_client		*ens;
	const struct runner_opts	*opts;
	struct tstate			**ts;	/* [group index][target] */
	char				**aborted; /* [group]: why, or NULL */
	int64_t				*begun;	/* [group]: start, ms epoch */
	int				 reached; /* the API answered */
	int				 env_error;
	int				 interrupted;
	size_t				 done;	/* targets decided */
	size_t				 failed;
};

static int64_t
mono_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static int
stopping(const struct run *r)
{
	return (r->opts->stop != NULL && *r->opts->stop != 0);
}

/* Sleep, waking early when a stop is requested. */
static void
pause_ms(const struct run *r, int64_t ms)
{
	struct timespec	ts;
	int64_t		end = mono_ms() + ms, left;

	while (!stopping(r) && (left = end - mono_ms()) > 0) {
		if (left > 100)
			left = 100;
		ts.tv_sec = 0;
		ts.tv_nsec = left * 1000000;
		nanosleep(&ts, NULL);
	}
}

static void
decide(struct run *r, struct tstate *t, enum report_outcome outcome,
    const char *type, const char *message, char *out, double secs)
{
	if (t->decided) {
		free(out);
		return;
	}
	t->decided = 1;
	t->outcome = outcome;
	t->type = type != NULL ? xstrdup(type) : NULL;
	t->message = message != NULL ? xstrdup(message) : NULL;
	t->out = out;
	t->time = secs;
	r->done++;
	if (outcome == REPORT_FAILURE || outcome == REPORT_ERROR)
		r->failed++;
}

/* Skip every undecided target of a group from batch k on. */
static void
skip_rest(struct run *r, const struct plan_group *pg, size_t k,
    const char *why)
{
	size_t	j;

	for (; k < pg->nbatches; k++) {
		const struct plan_batch	*b = &pg->batches[k];

		for (j = b->first; j < b->first + b->count; j++)
			decide(r, &r->ts[pg->index][j], REPORT_SKIPPED, NULL,
			    why, NULL, 0);
	}
	/* Targets not in any batch (a group without a usable policy). */
	for (j = 0; j < pg->group->ntargets; j++)
		decide(r, &r->ts[pg->index][j], REPORT_SKIPPED, NULL, why,
		    NULL, 0);
}

static char *
batch_out(const struct plan_group *pg, size_t k, const struct ens_reply *rep)
{
	const struct plan_batch	*b = &pg->batches[k];
	struct buf		 out;
	char			 t[TIMEFMT_LEN];

	buf_init(&out);
	buf_addf(&out, "batch %zu/%zu\n", k + 1, pg->nbatches);
	if (b->plan_time != PLAN_NO_TIME) {
		timefmt_utc(b->plan_time, t, sizeof(t));
		buf_addf(&out, "PlanTime %" PRId64 " (%s)\n", b->plan_time, t);
	}
	if (rep->request_id != NULL)
		buf_addf(&out, "RequestId %s\n", rep->request_id);
	if (rep->http_status != 0)
		buf_addf(&out, "HTTP %ld\n", rep->http_status);
	buf_addf(&out, "attempts %d\n", rep->attempts);
	return (buf_detach(&out));
}

/*
 * Record one call's reply for the targets it carried (idx[i] is the
 * group target index of item i).  Returns the number of new failures.
 */
static size_t
apply_reply(struct run *r, const struct plan_group *pg, size_t k,
    const size_t *idx, size_t n, const struct ens_reply *rep, double secs)
{
	struct tstate	*ts = r->ts[pg->index];
	size_t		 i, before = r->failed;
	char		*msg;

	if (rep->http_status != 0 || rep->outcome == ENS_UNKNOWN)
		r->reached = 1;
	for (i = 0; i < n; i++) {
		struct tstate			*t = &ts[idx[i]];
		const struct ens_item_result	*res = &rep->results[i];
		char				*out = batch_out(pg, k, rep);

		switch (rep->outcome) {
		case ENS_OK:
			if (!res->found)
				decide(r, t, REPORT_ERROR, "OutcomeUnknown",
				    "outcome unknown: the answer did not "
				    "mention this target", out, secs);
			else if (res->code == 200)
				decide(r, t, REPORT_PASSED, NULL, NULL, out,
				    secs);
			else
				decide(r, t, REPORT_FAILURE, res->code_text,
				    res->message, out, secs);
			break;
		case ENS_UNKNOWN:
			msg = xasprintf("outcome unknown: %s", rep->message);
			decide(r, t, REPORT_ERROR, "OutcomeUnknown", msg, out,
			    secs);
			free(msg);
			break;
		case ENS_API_ERROR:
		case ENS_NOT_SENT:
			decide(r, t, REPORT_ERROR, rep->code, rep->message,
			    out, secs);
			break;
		}
	}
	return (r->failed - before);
}

/*
 * The items of batch k that preflight did not rule out; targets whose
 * event is already final are skipped here.  Returns the item count.
 */
static size_t
batch_items(struct run *r, const struct plan_group *pg, size_t k,
    struct ens_item *items, size_t *idx)
{
	const struct plan_batch	*b = &pg->batches[k];
	const struct group	*g = pg->group;
	size_t			 j, n = 0;

	for (j = b->first; j < b->first + b->count; j++) {
		if (r->pf != NULL &&
		    r->pf->verdicts[pg->index][j] == PREFLIGHT_DONE) {
			char	*why = xasprintf("not sent: %s",
			    r->pf->reasons[pg->index][j]);

			decide(r, &r->ts[pg->index][j], REPORT_SKIPPED, NULL,
			    why, NULL, 0);
			r->ts[pg->index][j].preflight_skip = 1;
			free(why);
			continue;
		}
		items[n].event = g->targets[j].event;
		items[n].resource = g->targets[j].resource;
		items[n].scheduled = b->plan_time != PLAN_NO_TIME;
		items[n].plan_time = b->plan_time;
		idx[n++] = j;
	}
	return (n);
}

/*
 * The time the rest of the plan should take: the plan's estimate for
 * the groups not started yet, and this group's remaining batches.
 */
static int64_t
eta_ms(const struct run *r, const struct plan_group *pg, size_t k)
{
	const struct plan	*p = r->plan;
	int64_t			 eta = 0, per;
	size_t			 i;

	per = pg->nbatches > 0 ? pg->estimate / (int64_t)pg->nbatches : 0;
	eta = per * (int64_t)(pg->nbatches - k - 1);
	for (i = (size_t)(pg - p->groups) + 1; i < p->ngroups; i++)
		eta += p->groups[i].estimate;
	return (eta);
}

static void
progress(struct run *r, const struct plan_group *pg, size_t k)
{
	char	eta[TIMEFMT_LEN];

	if (r->opts->quiet)
		return;
	timefmt_duration_str(eta_ms(r, pg, k) / 1000 * 1000, eta,
	    sizeof(eta));
	fprintf(stderr, "%s%s: batch %zu/%zu done; %zu of %zu targets "
	    "done, %zu failed; ETA %s%s", r->opts->live ? "\r\033[K" :
	    "ensbatch: ", pg->group->name, k + 1, pg->nbatches, r->done,
	    r->plan->ntargets, r->failed, eta, r->opts->live ? "" : "\n");
	fflush(stderr);
}

/* An unreachable endpoint before anything reached the API: stop all. */
static int
check_env(struct run *r, const struct ens_reply *rep)
{
	if (r->reached || rep->outcome != ENS_NOT_SENT)
		return (0);
	r->env_error = 1;
	if (!r->opts->quiet)
		fprintf(stderr, "%sensbatch: cannot reach the API: %s\n",
		    r->opts->live ? "\n" : "", rep->message);
	return (1);
}

static char *
budget_reason(const struct plan_group *pg, size_t failed, int64_t budget)
{
	return (xasprintf("group %s stopped: %zu failed target%s, more than "
	    "max_failures %" PRId64, pg->group->name, failed,
	    failed == 1 ? "" : "s", budget));
}

/* Immediate groups: one batch at a time, pausing between batches. */
static void
run_immediate(struct run *r, const struct plan_group *pg, int64_t budget)
{
	struct ens_item	 items[64];
	size_t		 idx[64], k, n, failed = 0;
	struct ens_reply rep;
	int64_t		 t0;

	for (k = 0; k < pg->nbatches; k++) {
		if (stopping(r) || r->env_error)
			return;
		n = batch_items(r, pg, k, items, idx);
		if (n > 0) {
			t0 = mono_ms();
			ens_batch_reboot(r->ens, items, n, &rep);
			if (check_env(r, &rep)) {
				ens_reply_clear(&rep);
				return;
			}
			failed += apply_reply(r, pg, k, idx, n, &rep,
			    (double)(mono_ms() - t0) / 1000);
			ens_reply_clear(&rep);
		}
		progress(r, pg, k);
		if ((int64_t)failed > budget) {
			r->aborted[pg->index] = budget_reason(pg, failed,
			    budget);
			skip_rest(r, pg, k + 1, r->aborted[pg->index]);
			return;
		}
		if (k + 1 < pg->nbatches && pg->group->policy->r_pause > 0)
			pause_ms(r, pg->group->policy->r_pause);
	}
}

/*
 * Scheduled groups: the calls only register PlanTimes, so up to
 * parallel of them are in flight at once; the budget is checked after
 * each wave.
 */
static void
run_scheduled(struct run *r, const struct plan_group *pg, int64_t budget)
{
	size_t			  wave = r->opts->parallel, k, w, n, i;
	size_t			  failed = 0;
	struct ens_item		**items;
	size_t			**idx, *counts;
	const struct ens_item	**citems;
	struct ens_reply	 *reps;
	int64_t			  t0;
	double			  secs;

	if (wave == 0)
		wave = 1;
	items = xcalloc(wave, sizeof(*items));
	idx = xcalloc(wave, sizeof(*idx));
	counts = xcalloc(wave, sizeof(*counts));
	citems = xcalloc(wave, sizeof(*citems));
	reps = xcalloc(wave, sizeof(*reps));
	for (i = 0; i < wave; i++) {
		items[i] = xcalloc(64, sizeof(**items));
		idx[i] = xcalloc(64, sizeof(**idx));
	}
	for (k = 0; k < pg->nbatches && !stopping(r) && !r->env_error;
	    k += wave) {
		n = pg->nbatches - k < wave ? pg->nbatches - k : wave;
		for (w = 0; w < n; w++) {
			counts[w] = batch_items(r, pg, k + w, items[w],
			    idx[w]);
			citems[w] = items[w];
		}
		t0 = mono_ms();
		ens_batch_reboot_many(r->ens, citems, counts, n,
		    r->opts->parallel, reps);
		secs = (double)(mono_ms() - t0) / 1000;
		for (w = 0; w < n; w++) {
			if (counts[w] > 0 && !check_env(r, &reps[w]))
				failed += apply_reply(r, pg, k + w, idx[w],
				    counts[w], &reps[w], secs);
			ens_reply_clear(&reps[w]);
			progress(r, pg, k + w);
		}
		if ((int64_t)failed > budget) {
			/* Even after the last wave: dependents must not run. */
			r->aborted[pg->index] = budget_reason(pg, failed,
			    budget);
			skip_rest(r, pg, k + n, r->aborted[pg->index]);
			break;
		}
	}
	for (i = 0; i < wave; i++) {
		free(items[i]);
		free(idx[i]);
	}
	free(items);
	free(idx);
	free(counts);
	free(citems);
	free(reps);
}

/* Why a group must not start: an aborted dependency, or NULL. */
static char *
blocked_by(const struct run *r, const struct group *g)
{
	const struct manifest	*m = r->plan->manifest;
	size_t			 i, a;

	for (i = 0; i < g->r_nafter; i++) {
		a = g->r_after[i];
		if (r->aborted[a] != NULL)
			return (xasprintf("not started: group %s did not "
			    "finish (%s)", m->groups[a].name,
			    r->aborted[a]));
	}
	return (NULL);
}

static void
fill_report(struct run *r, struct report *rep)
{
	const struct plan	*p = r->plan;
	const char		*mname = p->manifest->name.text;
	size_t			 i, j;
	char			*cls, *name;

	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group	*pg = &p->groups[i];
		const struct group	*g = pg->group;
		struct report_suite	*rs;

		rs = report_suite_add(rep, g->name, r->begun[pg->index] != 0 ?
		    r->begun[pg->index] : timefmt_now());
		plan_report_properties(rs, p, pg, r->opts->endpoint, "apply");
		cls = xasprintf("%s.%s", mname, g->name);
		for (j = 0; j < g->ntargets; j++) {
			struct tstate	*t = &r->ts[pg->index][j];

			name = xasprintf("%s %s", g->targets[j].resource,
			    g->targets[j].event);
			report_case_add(rs, cls, name, t->time, t->outcome,
			    t->type, t->message, t->out);
			free(name);
		}
		free(cls);
	}
}

int
runner_run(const struct plan *p, const struct preflight *pf,
    struct ens_client *ens, const struct runner_opts *opts,
    struct report **out)
{
	const struct manifest	*m = p->manifest;
	struct run		 r;
	size_t			 i, j;
	char			*why;
	int			 rc, bad = 0;

	memset(&r, 0, sizeof(r));
	r.plan = p;
	r.pf = pf;
	r.ens = ens;
	r.opts = opts;
	r.ts = xcalloc(m->ngroups + 1, sizeof(*r.ts));
	r.aborted = xcalloc(m->ngroups + 1, sizeof(*r.aborted));
	r.begun = xcalloc(m->ngroups + 1, sizeof(*r.begun));
	for (i = 0; i < m->ngroups; i++)
		r.ts[i] = xcalloc(m->groups[i].ntargets + 1, sizeof(**r.ts));

	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group	*pg = &p->groups[i];
		const struct policy	*pol = pg->group->policy;

		if (r.env_error) {
			skip_rest(&r, pg, 0, "not attempted: the API could "
			    "not be reached");
			continue;
		}
		if (stopping(&r)) {
			skip_rest(&r, pg, 0, "not attempted: interrupted");
			continue;
		}
		if ((why = blocked_by(&r, pg->group)) != NULL) {
			r.aborted[pg->index] = why;
			skip_rest(&r, pg, 0, why);
			continue;
		}
		r.begun[pg->index] = timefmt_now();
		if (pol->r_ops == OPS_IMMEDIATE)
			run_immediate(&r, pg, plan_failure_budget(pol,
			    pg->group->ntargets));
		else
			run_scheduled(&r, pg, plan_failure_budget(pol,
			    pg->group->ntargets));
		skip_rest(&r, pg, 0, r.env_error ? "not attempted: the API "
		    "could not be reached" : "not attempted: interrupted");
	}
	if (opts->live && !opts->quiet)
		fputc('\n', stderr);

	*out = report_new(m->name.text);
	fill_report(&r, *out);
	for (i = 0; i < m->ngroups; i++) {
		for (j = 0; j < m->groups[i].ntargets; j++) {
			struct tstate	*t = &r.ts[i][j];

			if (t->outcome != REPORT_PASSED && !t->preflight_skip)
				bad = 1;
			free(t->type);
			free(t->message);
			free(t->out);
		}
		free(r.ts[i]);
		free(r.aborted[i]);
	}
	free(r.ts);
	free(r.aborted);
	free(r.begun);
	if (stopping(&r))
		rc = EXIT_INTERRUPTED;
	else if (r.env_error && !r.reached)
		rc = EXIT_ENV;
	else
		rc = bad ? EXIT_FAILED : EXIT_OK;
	return (rc);
}
