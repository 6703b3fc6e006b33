/*
 * Executing a plan.  Every target ends in exactly one state; a target
 * is passed only when the API answered 200 for it or DescribeHistory-
 * Events confirmed it; a reboot is requested again only when the events
 * prove the earlier request did not take effect.  Every call is in the
 * journal before it is made and its result right after.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ensbatch/buf.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/journal.h"
#include "ensbatch/runner.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define MAX_BATCH	64	/* batch_size is at most 50 */
#define RECONCILE_POLLS	2	/* looks again before "untouched" */
#define RECONCILE_WAIT	1500	/* ms between looks */
#define MAX_SENDS	3	/* requests per event, proven untouched */
#define REBOOT_TYPES	"Instance:" ENS_REBOOT_TYPE

/* What happened to one target. */
struct tstate {
	int			 decided;
	enum report_outcome	 outcome;
	char			*type;
	char			*message;
	char			*out;		/* system-out */
	double			 time;
	int			 fine;		/* skipped, but not a failure */
	size_t			 group;		/* manifest group index */
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
	int				 journal_error;
	size_t				 done;	/* targets decided */
	size_t				 failed;
	size_t				*gfailed; /* [group]: failed targets */
};

/* One call: a batch's items (or the resend of some of them). */
struct call {
	const struct plan_group	*pg;
	size_t			 k;		/* batch index */
	struct ens_item		 items[MAX_BATCH];
	size_t			 idx[MAX_BATCH]; /* group target index */
	const char		*before[MAX_BATCH]; /* status, or NULL */
	size_t			 n;
	uint64_t		 seq;
	struct ens_reply	 rep;
	double			 secs;
	int			 resend;	/* a second attempt */
};

/* What the events say about a request whose outcome is unknown. */
enum verdict {
	CONFIRMED,		/* it took effect */
	UNCHANGED,		/* it did not: may be sent once more */
	OTHER,			/* the event went final some other way */
	UNREADABLE		/* the events could not be read */
};

static int
stopping(const struct run *r)
{
	return (r->opts->stop != NULL && *r->opts->stop != 0);
}

/* Nothing more may be sent: a signal, no API, or no journal. */
static int
halted(const struct run *r)
{
	return (stopping(r) || r->env_error || r->journal_error);
}

/* Sleep, waking early when a stop is requested. */
static void
pause_ms(const struct run *r, int64_t ms)
{
	struct timespec	ts;
	int64_t		end = timefmt_mono() + ms, left;

	while (!stopping(r) && (left = end - timefmt_mono()) > 0) {
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
	if (outcome == REPORT_FAILURE || outcome == REPORT_ERROR) {
		r->failed++;
		r->gfailed[t->group]++;	/* earlier runs' too, on resume */
	}
}

/* Skip every undecided target of a group. */
static void
skip_group(struct run *r, const struct plan_group *pg, const char *why)
{
	size_t	j;

	for (j = 0; j < pg->group->ntargets; j++)
		decide(r, &r->ts[pg->index][j], REPORT_SKIPPED, NULL, why,
		    NULL, 0);
}

static char *
call_out(const struct call *c, const char *extra)
{
	const struct plan_batch	*b = &c->pg->batches[c->k];
	struct buf		 out;
	char			 t[TIMEFMT_LEN];

	buf_init(&out);
	buf_addf(&out, "batch %zu/%zu\n", c->k + 1, c->pg->nbatches);
	if (b->plan_time != PLAN_NO_TIME) {
		timefmt_utc(b->plan_time, t, sizeof(t));
		buf_addf(&out, "PlanTime %" PRId64 " (%s)\n", b->plan_time, t);
	}
	if (c->rep.request_id != NULL)
		buf_addf(&out, "RequestId %s\n", c->rep.request_id);
	if (c->rep.http_status != 0)
		buf_addf(&out, "HTTP %ld\n", c->rep.http_status);
	buf_addf(&out, "attempts %d\n", c->rep.attempts);
	if (c->resend)
		buf_adds(&out, "sent a second time: the events showed the "
		    "first request had not taken effect\n");
	if (extra != NULL)
		buf_addf(&out, "%s\n", extra);
	return (buf_detach(&out));
}

/* ------------------------------------------------------------------ */
/* Reconciliation (SPEC section 5 step 6). */

static int
rebooting(const char *status)
{
	return (status != NULL && (strcmp(status, "Executing") == 0 ||
	    strcmp(status, "Executed") == 0));
}

/*
 * Only a change proves the request took effect: Executing or Executed
 * when it was neither before, or NotBefore moved to the requested
 * PlanTime.  Without the status before (no preflight), a rebooting
 * event proves nothing: the platform may have done it.
 */
static enum verdict
judge_event(const struct ens_event *e, int scheduled, int64_t plan_time,
    const char *before)
{
	if (e == NULL)
		return (UNREADABLE);
	if (scheduled && e->not_before == plan_time)
		return (CONFIRMED);
	if (rebooting(e->status))
		return (before != NULL && !rebooting(before) ? CONFIRMED :
		    UNREADABLE);
	if (strcmp(e->status, "Inquiring") == 0 ||
	    strcmp(e->status, "Scheduled") == 0)
		return (UNCHANGED);
	return (OTHER);
}

/*
 * Ask DescribeHistoryEvents about items[0..n); verdicts[i] and, for the
 * caller's messages, statuses[i] (borrowed until events are freed).
 */
static void
reconcile(struct run *r, const struct ens_item *items,
    const char *const *before, size_t n, enum verdict *verdicts,
    struct ens_event **events, size_t *nevents)
{
	struct ens_reply	  rep;
	const char		**res;
	size_t			  i, k;

	memset(&rep, 0, sizeof(rep));
	res = xcalloc(n + 1, sizeof(*res));
	for (i = 0; i < n; i++)
		res[i] = items[i].resource;
	*events = NULL;
	*nevents = 0;
	if (ens_describe_events(r->ens, res, n, REBOOT_TYPES, events, nevents,
	    &rep) != 0) {
		for (i = 0; i < n; i++)
			verdicts[i] = UNREADABLE;
	} else {
		for (i = 0; i < n; i++) {
			const struct ens_event	*e = NULL;

			for (k = 0; k < *nevents; k++) {
				if (strcmp((*events)[k].event,
				    items[i].event) == 0)
					e = &(*events)[k];
			}
			verdicts[i] = judge_event(e, items[i].scheduled,
			    items[i].plan_time, before[i]);
		}
	}
	ens_reply_clear(&rep);
	free(res);
}

/*
 * Reconcile, and when some requests look untouched, look again a few
 * times: the API may show a change with a delay, and "untouched" is
 * what allows sending once more.
 */
static void
reconcile_settled(struct run *r, const struct ens_item *items,
    const char *const *before, size_t n, enum verdict *verdicts,
    struct ens_event **events, size_t *nevents)
{
	size_t	i, poll;
	int	unchanged;

	for (poll = 0;; poll++) {
		reconcile(r, items, before, n, verdicts, events, nevents);
		for (i = 0, unchanged = 0; i < n; i++)
			unchanged |= verdicts[i] == UNCHANGED;
		if (!unchanged || poll == RECONCILE_POLLS || halted(r))
			break;
		ens_events_free(*events, *nevents);
		pause_ms(r, RECONCILE_WAIT);
	}
}

static const char *
event_status(const struct ens_event *ev, size_t n, const char *event)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(ev[i].event, event) == 0)
			return (ev[i].status);
	}
	return ("?");
}

/* ------------------------------------------------------------------ */
/* Calls. */

/* Record the call in the journal; -1 stops the run before sending. */
static int
call_begin(struct run *r, struct call *c)
{
	char	*cause = NULL;

	if (journal_call(r->opts->journal, &c->seq, c->pg->group->name, c->k,
	    c->items, c->before, c->n, &cause) == 0)
		return (0);
	fprintf(stderr, "%sensbatch: %s\n", r->opts->live ? "\n" : "", cause);
	free(cause);
	r->journal_error = 1;
	return (-1);
}

/* The journal state of item i after the reply. */
static enum journal_state
item_state(const struct ens_reply *rep, size_t i)
{
	switch (rep->outcome) {
	case ENS_OK:
		if (!rep->results[i].found)
			return (JOURNAL_UNKNOWN);
		return (rep->results[i].code == 200 ? JOURNAL_CONFIRMED :
		    JOURNAL_FAILED);
	case ENS_API_ERROR:
		return (JOURNAL_FAILED);
	case ENS_NOT_SENT:
		return (JOURNAL_NOT_SENT);
	case ENS_UNKNOWN:
		break;
	}
	return (JOURNAL_UNKNOWN);
}

static void	call_send(struct run *, struct call *);

/*
 * Settle the targets of an unknown outcome: confirmed ones pass, those
 * proven untouched are sent once more (not after a resend, and not
 * when stopping), the rest are errors that count against the budget.
 */
static void
call_unknown(struct run *r, struct call *c, const size_t *which, size_t n)
{
	struct ens_event	*ev = NULL;
	struct ens_item		 items[MAX_BATCH];
	const char		*before[MAX_BATCH];
	enum verdict		 v[MAX_BATCH];
	struct call		*again;
	size_t			 i, nev = 0, w;
	char			*cause = NULL, *msg;
	struct tstate		*t;

	for (i = 0; i < n; i++) {
		items[i] = c->items[which[i]];
		before[i] = c->before[which[i]];
	}
	if (r->opts->stop != NULL && *r->opts->stop >= 2) {
		for (i = 0; i < n; i++)
			v[i] = UNREADABLE;	/* aborting: ask nothing */
	} else
		reconcile_settled(r, items, before, n, v, &ev, &nev);
	again = xcalloc(1, sizeof(*again));
	again->pg = c->pg;
	again->k = c->k;
	again->resend = 1;
	for (i = 0; i < n; i++) {
		w = which[i];
		t = &r->ts[c->pg->index][c->idx[w]];
		switch (v[i]) {
		case CONFIRMED:
			if (journal_reconcile(r->opts->journal,
			    items[i].event, JOURNAL_CONFIRMED,
			    event_status(ev, nev, items[i].event), &cause) != 0)
				r->journal_error = 1;
			decide(r, t, REPORT_PASSED, NULL, NULL, call_out(c,
			    "outcome was unknown; DescribeHistoryEvents "
			    "confirmed it"), c->secs);
			break;
		case UNCHANGED:
			if (!c->resend && !halted(r) && journal_reconcile(
			    r->opts->journal, items[i].event,
			    JOURNAL_NOT_SENT, event_status(ev, nev,
			    items[i].event), &cause) == 0) {
				again->items[again->n] = items[i];
				again->before[again->n] = before[i];
				again->idx[again->n++] = c->idx[w];
				break;
			}
			/* FALLTHROUGH */
		case UNREADABLE:
			msg = xasprintf("outcome unknown: %s", c->rep.message !=
			    NULL ? c->rep.message : "no answer for this target");
			decide(r, t, REPORT_ERROR, "OutcomeUnknown", msg,
			    call_out(c, NULL), c->secs);
			free(msg);
			break;
		case OTHER:
			msg = xasprintf("the event is now %s",
			    event_status(ev, nev, items[i].event));
			if (journal_reconcile(r->opts->journal,
			    items[i].event, JOURNAL_FAILED, event_status(ev,
			    nev, items[i].event), &cause) != 0)
				r->journal_error = 1;
			decide(r, t, REPORT_FAILURE, "EventStatus", msg,
			    call_out(c, NULL), c->secs);
			free(msg);
			break;
		}
		if (cause != NULL) {
			fprintf(stderr, "ensbatch: %s\n", cause);
			free(cause);
			cause = NULL;
		}
	}
	ens_events_free(ev, nev);
	if (again->n > 0 && call_begin(r, again) == 0)
		call_send(r, again);
	free(again);
}

/*
 * Record a reply: journal first, then the targets' outcomes.  Unknown
 * outcomes go through reconciliation.
 */
static void
call_end(struct run *r, struct call *c)
{
	enum journal_state	 st[MAX_BATCH];
	size_t			 unknown[MAX_BATCH], nu = 0, i;
	char			*cause = NULL;
	struct tstate		*t;

	if (c->rep.http_status != 0 || c->rep.outcome == ENS_UNKNOWN)
		r->reached = 1;
	for (i = 0; i < c->n; i++)
		st[i] = item_state(&c->rep, i);
	if (journal_result(r->opts->journal, c->seq, &c->rep, c->items, c->n,
	    st, &cause) != 0) {
		fprintf(stderr, "ensbatch: %s\n", cause);
		free(cause);
		r->journal_error = 1;
	}
	for (i = 0; i < c->n; i++) {
		t = &r->ts[c->pg->index][c->idx[i]];
		switch (st[i]) {
		case JOURNAL_CONFIRMED:
			decide(r, t, REPORT_PASSED, NULL, NULL,
			    call_out(c, NULL), c->secs);
			break;
		case JOURNAL_FAILED:
			if (c->rep.outcome == ENS_OK)
				decide(r, t, REPORT_FAILURE,
				    c->rep.results[i].code_text,
				    c->rep.results[i].message,
				    call_out(c, NULL), c->secs);
			else
				decide(r, t, REPORT_ERROR, c->rep.code,
				    c->rep.message, call_out(c, NULL),
				    c->secs);
			break;
		case JOURNAL_NOT_SENT:
			if (stopping(r))
				decide(r, t, REPORT_SKIPPED, NULL,
				    "not attempted: interrupted", NULL, 0);
			else
				decide(r, t, REPORT_ERROR, c->rep.code,
				    c->rep.message, call_out(c, NULL),
				    c->secs);
			break;
		case JOURNAL_UNKNOWN:
		case JOURNAL_NONE:
			unknown[nu++] = i;
			break;
		}
	}
	if (nu > 0)
		call_unknown(r, c, unknown, nu);
}

/* Send one call on its own and settle it. */
static void
call_send(struct run *r, struct call *c)
{
	int64_t	t0 = timefmt_mono();

	ens_batch_reboot(r->ens, c->items, c->n, &c->rep);
	c->secs = (double)(timefmt_mono() - t0) / 1000;
	call_end(r, c);
	ens_reply_clear(&c->rep);
}

/*
 * Fill a call with the undecided targets of batch k; targets whose
 * event the preflight found final are skipped here.  Returns the count.
 */
static size_t
call_fill(struct run *r, const struct plan_group *pg, size_t k,
    struct call *c)
{
	const struct plan_batch	*b = &pg->batches[k];
	const struct manifest_group	*g = pg->group;
	struct tstate		*t;
	size_t			 j;
	char			*why;
	int			 stale;

	memset(c, 0, sizeof(*c));
	c->pg = pg;
	c->k = k;
	stale = b->plan_time != PLAN_NO_TIME && b->plan_time <
	    timefmt_now() + g->policy->r_min_lead;
	for (j = b->first; j < b->first + b->count; j++) {
		t = &r->ts[pg->index][j];
		if (t->decided)
			continue;
		if (stale) {
			/* Long earlier groups, or a late resume. */
			decide(r, t, REPORT_ERROR, "StalePlanTime",
			    "not sent: the batch's PlanTime is now past or "
			    "closer than min_lead; make a new plan", NULL, 0);
			continue;
		}
		if (r->pf != NULL &&
		    r->pf->verdicts[pg->index][j] == PREFLIGHT_DONE) {
			why = xasprintf("not sent: %s",
			    r->pf->reasons[pg->index][j]);
			decide(r, t, REPORT_SKIPPED, NULL, why, NULL, 0);
			t->fine = 1;
			free(why);
			continue;
		}
		c->items[c->n].event = g->targets[j].event;
		c->items[c->n].resource = g->targets[j].resource;
		c->items[c->n].scheduled = b->plan_time != PLAN_NO_TIME;
		c->items[c->n].plan_time = b->plan_time;
		c->before[c->n] = r->pf != NULL ?
		    r->pf->statuses[pg->index][j] : NULL;
		c->idx[c->n++] = j;
	}
	return (c->n);
}

/* ------------------------------------------------------------------ */
/* Groups. */

/*
 * The time the rest of the plan should take: this group's remaining
 * batches and the plan's estimate for the groups after it.
 */
static int64_t
eta_ms(const struct run *r, const struct plan_group *pg, size_t k)
{
	const struct plan	*p = r->plan;
	int64_t			 eta, per;
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
static void
check_env(struct run *r, const struct ens_reply *rep)
{
	if (r->reached || rep->outcome != ENS_NOT_SENT || stopping(r))
		return;
	r->env_error = 1;
	if (!r->opts->quiet)
		fprintf(stderr, "%sensbatch: cannot reach the API: %s\n",
		    r->opts->live ? "\n" : "", rep->message);
}

/* Mark a group stopped when over budget; returns 1 if it is. */
static int
over_budget(struct run *r, const struct plan_group *pg, size_t failed,
    int64_t budget)
{
	if ((int64_t)failed <= budget)
		return (0);
	r->aborted[pg->index] = xasprintf("group %s stopped: %zu failed "
	    "target%s, more than max_failures %" PRId64, pg->group->name,
	    failed, failed == 1 ? "" : "s", budget);
	skip_group(r, pg, r->aborted[pg->index]);
	return (1);
}

/* Immediate groups: one batch at a time, pausing between batches. */
static void
run_immediate(struct run *r, const struct plan_group *pg, int64_t budget)
{
	struct call	*c;
	size_t		 k;

	c = xcalloc(1, sizeof(*c));
	for (k = 0; k < pg->nbatches && !halted(r); k++) {
		if (call_fill(r, pg, k, c) > 0 && call_begin(r, c) == 0) {
			int64_t	t0 = timefmt_mono();

			ens_batch_reboot(r->ens, c->items, c->n, &c->rep);
			c->secs = (double)(timefmt_mono() - t0) / 1000;
			check_env(r, &c->rep);
			call_end(r, c);
			ens_reply_clear(&c->rep);
		}
		progress(r, pg, k);
		if (over_budget(r, pg, r->gfailed[pg->index], budget))
			break;
		if (k + 1 < pg->nbatches && pg->group->policy->r_pause > 0)
			pause_ms(r, pg->group->policy->r_pause);
	}
	free(c);
}

/*
 * Scheduled groups: the calls only register PlanTimes, so up to
 * parallel of them are in flight at once; the budget is checked after
 * each wave.
 */
static void
run_scheduled(struct run *r, const struct plan_group *pg, int64_t budget)
{
	size_t			  wave = r->opts->parallel, k, w, n, m, i;
	struct call		 *calls;
	struct ens_call		 *ecalls;
	size_t			 *which;
	int64_t			  t0;

	if (wave == 0)
		wave = 1;
	calls = xcalloc(wave, sizeof(*calls));
	ecalls = xcalloc(wave, sizeof(*ecalls));
	which = xcalloc(wave, sizeof(*which));
	for (k = 0; k < pg->nbatches && !halted(r); k += wave) {
		n = pg->nbatches - k < wave ? pg->nbatches - k : wave;
		for (w = 0, m = 0; w < n && !halted(r); w++) {
			if (call_fill(r, pg, k + w, &calls[w]) == 0 ||
			    call_begin(r, &calls[w]) != 0)
				continue;
			ecalls[m].items = calls[w].items;
			ecalls[m].n = calls[w].n;
			which[m++] = w;
		}
		t0 = timefmt_mono();
		if (m > 0)
			ens_batch_reboot_many(r->ens, ecalls, m,
			    r->opts->parallel, NULL, NULL, NULL);
		for (i = 0; i < m; i++) {
			struct call	*c = &calls[which[i]];

			c->rep = ecalls[i].reply;
			c->secs = (double)(timefmt_mono() - t0) / 1000;
			check_env(r, &c->rep);
			call_end(r, c);
			ens_reply_clear(&c->rep);
		}
		for (w = 0; w < n; w++)
			progress(r, pg, k + w);
		/* Even after the last wave: dependents must not run. */
		if (over_budget(r, pg, r->gfailed[pg->index], budget))
			break;
	}
	free(calls);
	free(ecalls);
	free(which);
}

/* Why a group must not start: an aborted dependency, or NULL. */
static char *
blocked_by(const struct run *r, const struct manifest_group *g)
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

/*
 * Reconcile a chunk of targets an earlier run left in doubt: confirmed
 * ones pass, untouched ones are sent again with their batch, the rest
 * are failures or errors (never resent).
 */
static void
resume_reconcile(struct run *r, const struct ens_item *items,
    const char *const *before, const int *sends, struct tstate *const *where,
    size_t n)
{
	enum verdict		 v[ENS_MAX_RESOURCES];
	enum journal_state	 js;
	struct ens_event	*ev;
	size_t			 x, nev;
	char			*cause = NULL, *out;

	reconcile_settled(r, items, before, n, v, &ev, &nev);
	for (x = 0; x < n; x++) {
		js = JOURNAL_UNKNOWN;
		switch (v[x]) {
		case CONFIRMED:
			js = JOURNAL_CONFIRMED;
			out = xasprintf("the outcome of an earlier run was "
			    "unknown; DescribeHistoryEvents confirmed it "
			    "(%s)\n", event_status(ev, nev, items[x].event));
			decide(r, where[x], REPORT_PASSED, NULL, NULL, out, 0);
			break;
		case UNCHANGED:
			if (sends[x] >= MAX_SENDS) {
				decide(r, where[x], REPORT_ERROR,
				    "OutcomeUnknown", "not sent again: "
				    "requested several times without effect",
				    NULL, 0);
				break;
			}
			js = JOURNAL_NOT_SENT;	/* sent with its batch */
			break;
		case OTHER:
			js = JOURNAL_FAILED;
			decide(r, where[x], REPORT_FAILURE, "EventStatus",
			    "the event went final without this run", NULL, 0);
			break;
		case UNREADABLE:
			decide(r, where[x], REPORT_ERROR, "OutcomeUnknown",
			    "outcome unknown: an earlier run's request could "
			    "not be confirmed", NULL, 0);
			break;
		}
		if (js != JOURNAL_UNKNOWN && journal_reconcile(r->opts->journal,
		    items[x].event, js, event_status(ev, nev, items[x].event),
		    &cause) != 0) {
			fprintf(stderr, "ensbatch: %s\n", cause);
			free(cause);
			cause = NULL;
			r->journal_error = 1;
		}
	}
	ens_events_free(ev, nev);
}

/*
 * Resume: what the journal says before anything is sent.  Confirmed
 * targets pass without a call; those in doubt are reconciled in chunks.
 */
static void
resume_prepass(struct run *r)
{
	const struct plan		*p = r->plan;
	const struct journal_event	*je;
	struct ens_item			 items[ENS_MAX_RESOURCES];
	const char			*before[ENS_MAX_RESOURCES];
	int				 sends[ENS_MAX_RESOURCES];
	struct tstate			*where[ENS_MAX_RESOURCES];
	size_t				 i, j, n = 0;

	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group	*pg = &p->groups[i];

		for (j = 0; j < pg->group->ntargets; j++) {
			const struct target	*tg = &pg->group->targets[j];
			struct tstate		*t = &r->ts[pg->index][j];

			if ((je = journal_lookup(r->opts->journal,
			    tg->event)) == NULL)
				continue;
			if (je->state == JOURNAL_CONFIRMED)
				decide(r, t, REPORT_PASSED, NULL, NULL,
				    xstrdup("confirmed in an earlier run "
				    "(journal)\n"), 0);
			if (je->state != JOURNAL_UNKNOWN)
				continue;
			items[n].event = tg->event;
			items[n].resource = tg->resource;
			items[n].scheduled = je->scheduled;
			items[n].plan_time = je->plan_time;
			before[n] = je->before;
			sends[n] = je->sends;
			where[n++] = t;
			if (n == ENS_MAX_RESOURCES) {
				resume_reconcile(r, items, before, sends, where,
				    n);
				n = 0;
			}
		}
	}
	if (n > 0)
		resume_reconcile(r, items, before, sends, where, n);
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
		const struct manifest_group	*g = pg->group;
		struct report_suite	*rs;

		rs = report_suite_add(rep, g->name, r->begun[pg->index] != 0 ?
		    r->begun[pg->index] : timefmt_now());
		plan_report_properties(rs, p, pg, r->opts->endpoint, "apply");
		cls = xasprintf("%s.%s", mname, g->name);
		for (j = 0; j < g->ntargets; j++) {
			struct tstate	*t = &r->ts[pg->index][j];

			name = xasprintf("%s %s", g->targets[j].resource,
			    g->targets[j].event);
			/* Undecided would be a bug: never let it pass. */
			report_case_add(rs, cls, name, t->time, t->decided ?
			    t->outcome : REPORT_ERROR, t->decided ? t->type :
			    "Internal", t->decided ? t->message : "no outcome "
			    "was recorded", t->out);
			free(name);
		}
		free(cls);
	}
}

static const char *
halt_reason(const struct run *r)
{
	if (r->env_error)
		return ("not attempted: the API could not be reached");
	if (r->journal_error)
		return ("not attempted: the journal could not be written");
	return ("not attempted: interrupted");
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
	r.gfailed = xcalloc(m->ngroups + 1, sizeof(*r.gfailed));
	for (i = 0; i < m->ngroups; i++) {
		r.ts[i] = xcalloc(m->groups[i].ntargets + 1, sizeof(**r.ts));
		for (j = 0; j < m->groups[i].ntargets; j++)
			r.ts[i][j].group = i;
	}

	if (opts->resume)
		resume_prepass(&r);
	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group	*pg = &p->groups[i];
		const struct policy	*pol = pg->group->policy;

		if (halted(&r)) {
			skip_group(&r, pg, halt_reason(&r));
			continue;
		}
		if ((why = blocked_by(&r, pg->group)) != NULL) {
			r.aborted[pg->index] = why;
			skip_group(&r, pg, why);
			continue;
		}
		r.begun[pg->index] = timefmt_now();
		if (pol->r_ops == OPS_IMMEDIATE)
			run_immediate(&r, pg, plan_failure_budget(pol,
			    pg->group->ntargets));
		else
			run_scheduled(&r, pg, plan_failure_budget(pol,
			    pg->group->ntargets));
		skip_group(&r, pg, halt_reason(&r));
	}
	if (opts->live && !opts->quiet)
		fputc('\n', stderr);

	*out = report_new(m->name.text);
	fill_report(&r, *out);
	for (i = 0; i < m->ngroups; i++) {
		for (j = 0; j < m->groups[i].ntargets; j++) {
			struct tstate	*t = &r.ts[i][j];

			if (!t->decided || (t->outcome != REPORT_PASSED &&
			    !t->fine))
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
	free(r.gfailed);
	if (stopping(&r))
		rc = EXIT_INTERRUPTED;
	else if ((r.env_error || r.journal_error) && !r.reached)
		rc = EXIT_ENV;
	else
		rc = bad ? EXIT_FAILED : EXIT_OK;
	return (rc);
}
