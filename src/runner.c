/*
 * Executing a plan (SPEC section 5).  A target's outcome is what
 * happened to the instance: after the API accepted a request, the
 * target is followed until its event is Executed and its instance
 * Running (then its health check runs), or until it fails or its
 * settle_timeout ends.  An immediate batch settles before the next one
 * is sent; a group `after` another starts only when that one finished
 * and soaked.  A reboot is requested again only when the events prove
 * the earlier request did not take effect, at most SETTLE_MAX_SENDS
 * times per event across runs.  Every call is in the journal before it
 * is made and its result right after; so is every settle outcome.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/buf.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/journal.h"
#include "ensbatch/msg.h"
#include "ensbatch/probe.h"
#include "ensbatch/runner.h"
#include "ensbatch/settle.h"
#include "ensbatch/testable.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define RUNNER_MAX_BATCH	64	/* batch_size is at most 50 */
#define RUNNER_POLL_MIN		2000	/* ms: first settle poll interval */
#define RUNNER_POLL_MAX		30000	/* ms: backoff ceiling */
#define RUNNER_RECONCILE_WINDOW	60000	/* ms: default --reconcile-window */
#define RUNNER_TICK		1000	/* ms: countdown refresh */
#define RUNNER_MAX_CHECKS	8	/* health checks running at once */
#define RUNNER_REBOOT_TYPES	ENS_REBOOT_EVENT

enum run_phase {
	RUN_IDLE,		/* not requested (yet) */
	RUN_REQUESTED,		/* in a call of the pipeline: its answer due */
	RUN_SETTLING,		/* accepted: waiting for the reboot */
	RUN_CHECKING,		/* settled: its health check runs */
	RUN_DONE		/* decided */
};

/* Why a resume leaves a target in doubt: what would settle it. */
enum run_doubt {
	RUN_DOUBT_ADOPTABLE,	/* rebooting, not proven: --adopt-status */
	RUN_DOUBT_UNREAD,	/* the events could not be read: later */
	RUN_DOUBT_MISSING,	/* the event is not listed */
	RUN_DOUBT_CUT,		/* the window was cut short: --resume */
	RUN_DOUBT_KINDS
};

struct run_group;

/* What happened to one target. */
struct run_target {
	const struct target	*tg;
	struct run_group		*rg;
	size_t				 batch;		/* 0-based */
	enum run_phase			 phase;
	enum report_outcome		 outcome;
	char				*type;
	char				*message;
	int				 fine;		/* skipped, not failed */
	int				 scheduled;	/* ops scheduled */
	int64_t				 plan_time;
	int64_t				 requested_at;	/* ms epoch */
	int64_t				 deadline;	/* settle_timeout end */
	int64_t				 executed_at;
	int64_t				 settled_at;
	int				 earlier;	/* an earlier run's */
	char				*request_id;
	int				 attempts;
	char				*event_status;
	char				*instance_status;
	struct buf			 notes;		/* system-out lines */
	struct probe			*probe;		/* RUN_CHECKING; NULL
							   while queued */
	char				*check_out;	/* its output */
};

struct run_group {
	const struct plan_group	*pg;
	struct run_target	*targets;
	char			*aborted;	/* why it stopped, or NULL */
	int64_t			 begun;		/* ms epoch, 0 = not begun */
	int64_t			 finished;	/* ms epoch, 0 = not yet */
	int64_t			 budget;
	size_t			 failed;
	int			 registered;	/* its calls were made */
};

struct run {
	const struct plan		*plan;
	const struct preflight		*pf;
	struct ens_client		*ens;
	const struct runner_opts	*opts;
	struct run_group		*groups;	/* [manifest index] */
	int				 reached;	/* the API answered */
	int				 env_error;
	int				 journal_error;
	size_t				 done;		/* targets decided */
	size_t				 failed;
	size_t				 decided[4];	/* by report_outcome */
	int				 observe;	/* status: read-only */
	size_t				 checks;	/* probes running */
	size_t				 unchecked;	/* status: settled, check
							   not run */
	size_t				 doubt[RUN_DOUBT_KINDS];
							/* left in doubt, by
							   what would settle
							   them */
	size_t				 adopted;	/* --adopt-status */
};

/* One call: a batch's items (or the resend of some of them). */
struct run_call {
	struct run_group	*rg;
	size_t			 k;		/* batch index */
	struct ens_item		 items[RUNNER_MAX_BATCH];
	struct run_target	*who[RUNNER_MAX_BATCH];
	const char		*before[RUNNER_MAX_BATCH]; /* status, NULL */
	size_t			 n;
	uint64_t		 seq;
	struct ens_reply	 rep;
	int64_t			 sent_at;	/* ms epoch */
	int			 resend;	/* a second attempt */
	size_t			 unknown[RUNNER_MAX_BATCH]; /* deferred */
	size_t			 nunknown;
};

static int
runner_stopping(const struct run *r)
{
	return (r->opts->stop != NULL && *r->opts->stop != 0);
}

/* Nothing more may be sent: a signal, no API, or no journal. */
static int
runner_halted(const struct run *r)
{
	return (runner_stopping(r) || r->env_error || r->journal_error);
}

/* Sleep, waking early when a stop is requested. */
static void
runner_sleep(const struct run *r, int64_t ms)
{
	timefmt_sleep(ms, r->opts->stop);
}

/* The live line, a plain line, an error: all through msg. */
#define msg_live(...)	msg_live(__VA_ARGS__)
#define msg_info(...)	msg_info(__VA_ARGS__)

static void
runner_error(const struct run *r, const char *what)
{
	(void)r;
	msg_error("%s", what);
}

static void
runner_note(struct run_target *t, const char *fmt, ...)
{
	va_list	ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		fatal("out of memory");
	va_end(ap);
	buf_adds(&t->notes, s);
	buf_addc(&t->notes, '\n');
	free(s);
}

static void
runner_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

static void
runner_decide(struct run *r, struct run_target *t,
    enum report_outcome outcome, const char *type, const char *message)
{
	if (t->phase == RUN_DONE)
		return;
	t->phase = RUN_DONE;
	t->outcome = outcome;
	runner_set(&t->type, type);
	runner_set(&t->message, message);
	r->done++;
	r->decided[outcome]++;
	if (outcome == REPORT_FAILURE || outcome == REPORT_ERROR) {
		r->failed++;
		t->rg->failed++;	/* earlier runs' too, on resume */
	}
}

/* The API accepted the request: follow the reboot from requested_at. */
static void
runner_accept(struct run_target *t, int64_t requested_at)
{
	const struct policy	*pol = t->rg->pg->group->policy;

	if (t->phase != RUN_IDLE && t->phase != RUN_REQUESTED)
		return;
	t->phase = RUN_SETTLING;
	t->requested_at = t->scheduled ? t->plan_time : requested_at;
	t->deadline = t->requested_at + pol->r_settle_timeout;
}

static void
runner_journal_failed(struct run *r, char *cause)
{
	if (cause == NULL)
		return;
	runner_error(r, cause);
	free(cause);
	r->journal_error = 1;
}

/*
 * Skip every target of a group not requested: those of calls in flight
 * are decided by their answers.
 */
static void
runner_skip_group(struct run *r, struct run_group *rg, const char *why)
{
	size_t	j;

	for (j = 0; j < rg->pg->group->ntargets; j++) {
		if (rg->targets[j].phase == RUN_IDLE)
			runner_decide(r, &rg->targets[j], REPORT_SKIPPED,
			    NULL, why);
	}
}

/* ------------------------------------------------------------------ */
/* Settling (SPEC section 5). */

static int
runner_event_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct ens_event *)a)->event,
	    ((const struct ens_event *)b)->event));
}

static int
runner_instance_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct ens_instance *)a)->instance,
	    ((const struct ens_instance *)b)->instance));
}

static const struct ens_event *
runner_find_event(const struct ens_event *ev, size_t n, const char *id)
{
	struct ens_event	key;

	memset(&key, 0, sizeof(key));
	key.event = (char *)(uintptr_t)id;
	return (bsearch(&key, ev, n, sizeof(*ev), runner_event_cmp));
}

static const struct ens_instance *
runner_find_instance(const struct ens_instance *in, size_t n,
    const char *id)
{
	struct ens_instance	key;

	memset(&key, 0, sizeof(key));
	key.instance = (char *)(uintptr_t)id;
	return (bsearch(&key, in, n, sizeof(*in), runner_instance_cmp));
}

/* Record a settle outcome in the journal and decide the target. */
static void
runner_settled(struct run *r, struct run_target *t, enum settle_verdict v,
    const char *why)
{
	enum journal_settle	 js;
	enum report_outcome	 ro;
	char			*cause = NULL, *msg;

	t->settled_at = timefmt_now();
	if (v == SETTLE_DONE && t->phase == RUN_SETTLING && !r->observe &&
	    t->rg->pg->group->policy->r_check != NULL) {
		t->phase = RUN_CHECKING;	/* queued for its check */
		return;
	}
	if (v == SETTLE_DONE && r->observe &&
	    t->rg->pg->group->policy->r_check != NULL) {
		/* Rebooted, but not proven healthy: still in progress. */
		runner_decide(r, t, REPORT_SKIPPED, NULL, "settled, but its "
		    "health check has not run: ensbatch apply --resume runs "
		    "it");
		t->fine = 1;
		r->unchecked++;
		return;
	}
	switch (v) {
	case SETTLE_DONE:
		js = JOURNAL_SETTLE_PASSED;
		ro = REPORT_PASSED;
		msg = NULL;
		break;
	case SETTLE_NOT_SETTLED:
		js = JOURNAL_SETTLE_ERROR;
		ro = REPORT_ERROR;
		msg = xasprintf("not settled within settle_timeout: event %s, "
		    "instance %s%s%s", t->event_status != NULL ?
		    t->event_status : "unknown", t->instance_status != NULL ?
		    t->instance_status : "unknown", why != NULL ? "; " : "",
		    why != NULL ? why : "");
		break;
	case SETTLE_NOT_RUNNING:
		js = JOURNAL_SETTLE_FAILED;
		ro = REPORT_FAILURE;
		msg = xasprintf("the event is Executed but the instance is "
		    "%s at the end of settle_timeout", t->instance_status);
		break;
	case SETTLE_REBOOT_FAILED:
		js = JOURNAL_SETTLE_FAILED;
		ro = REPORT_FAILURE;
		msg = xstrdup("the reboot failed: the event ended Failed");
		break;
	default:
		js = JOURNAL_SETTLE_FAILED;
		ro = REPORT_FAILURE;
		msg = xasprintf("the event ended %s: no reboot will happen",
		    t->event_status != NULL ? t->event_status : "unknown");
		break;
	}
	if (!r->observe && journal_settle(r->opts->journal, t->tg->event, js,
	    settle_type(v), msg, t->event_status, t->instance_status,
	    t->executed_at, &cause) != 0)
		runner_journal_failed(r, cause);
	runner_decide(r, t, ro, settle_type(v), msg);
	free(msg);
}

/*
 * Look once at due[0..n): their events, then the instances of those
 * Executed, and judge each.  Returns whether anything changed.
 */
static int
runner_poll(struct run *r, struct run_target **due, size_t n)
{
	struct ens_reply	 rep;
	struct ens_event	*ev = NULL;
	struct ens_instance	*in = NULL;
	const struct ens_event	*e;
	const struct ens_instance *ins;
	const char		**ids;
	size_t			 i, nev = 0, nin = 0, nids = 0;
	int64_t			 now;
	int			 changed = 0, evok, inok = 0;
	enum settle_verdict	 v;
	char			*why = NULL;

	memset(&rep, 0, sizeof(rep));
	ids = xcalloc(n + 1, sizeof(*ids));
	for (i = 0; i < n; i++)
		ids[i] = due[i]->tg->resource;
	evok = ens_describe_events(r->ens, ids, n, RUNNER_REBOOT_TYPES, &ev,
	    &nev, &rep) == 0;
	if (!evok)
		why = xasprintf("the events could not be read: %s",
		    rep.message != NULL ? rep.message : "no answer");
	else {
		qsort(ev, nev, sizeof(*ev), runner_event_cmp);
		for (i = 0; i < n; i++) {
			e = runner_find_event(ev, nev, due[i]->tg->event);
			if (e != NULL && strcmp(e->status, "Executed") == 0)
				ids[nids++] = due[i]->tg->resource;
		}
	}
	ens_reply_clear(&rep);
	if (nids > 0) {
		inok = ens_describe_instances(r->ens, ids, nids, &in, &nin,
		    &rep) == 0;
		if (inok)
			qsort(in, nin, sizeof(*in), runner_instance_cmp);
		else if (why == NULL)
			why = xasprintf("the instances could not be read: %s",
			    rep.message != NULL ? rep.message : "no answer");
		ens_reply_clear(&rep);
	}
	now = timefmt_now();
	for (i = 0; i < n; i++) {
		struct run_target	*t = due[i];
		const char		*es = NULL, *is = NULL;

		if (evok && (e = runner_find_event(ev, nev,
		    t->tg->event)) != NULL)
			es = e->status;
		if (inok && es != NULL && strcmp(es, "Executed") == 0 &&
		    (ins = runner_find_instance(in, nin,
		    t->tg->resource)) != NULL)
			is = ins->status;
		if (es != NULL && (t->event_status == NULL ||
		    strcmp(es, t->event_status) != 0)) {
			changed = 1;
			runner_set(&t->event_status, es);
			if (strcmp(es, "Executed") == 0 && t->executed_at == 0)
				t->executed_at = now;
		}
		if (is != NULL && (t->instance_status == NULL ||
		    strcmp(is, t->instance_status) != 0)) {
			changed = 1;
			runner_set(&t->instance_status, is);
		}
		v = settle_judge(es, is, now, t->deadline);
		if (v != SETTLE_WAIT) {
			changed = 1;
			runner_settled(r, t, v, evok ? NULL : why);
		}
	}
	free(why);
	free(ids);
	ens_events_free(ev, nev);
	ens_instances_free(in, nin);
	return (changed);
}

/* The end of a check: journal the settle outcome, decide. */
static void
runner_check_done(struct run *r, struct run_target *t, int passed,
    const char *why)
{
	const char	*type = passed ? NULL : "HealthCheck";
	char		*cause = NULL, *msg = NULL;

	/* why may be the probe's: use it before the probe is freed. */
	if (!passed)
		msg = xasprintf("the health check failed: %s", why);
	if (t->probe != NULL) {
		runner_set(&t->check_out, probe_output(t->probe));
		runner_note(t, "check %s after %d attempt%s", passed ?
		    "passed" : "failed", probe_attempts(t->probe),
		    probe_attempts(t->probe) == 1 ? "" : "s");
		probe_free(t->probe);
		t->probe = NULL;
		r->checks--;
	}
	t->settled_at = timefmt_now();
	if (journal_settle(r->opts->journal, t->tg->event, passed ?
	    JOURNAL_SETTLE_PASSED : JOURNAL_SETTLE_FAILED, type, msg,
	    t->event_status, t->instance_status, t->executed_at,
	    &cause) != 0)
		runner_journal_failed(r, cause);
	runner_decide(r, t, passed ? REPORT_PASSED : REPORT_FAILURE, type,
	    msg);
	free(msg);
}

/* Start a queued check when a slot is free. */
static void
runner_check_start(struct run *r, struct run_target *t)
{
	const struct manifest	*m = r->plan->manifest;
	const struct policy	*pol = t->rg->pg->group->policy;
	struct probe_spec	 spec;
	struct probe_env	 env;
	char			*cause = NULL;

	if (r->checks >= RUNNER_MAX_CHECKS)
		return;
	memset(&spec, 0, sizeof(spec));
	spec.command = pol->r_check;
	spec.timeout_ms = pol->r_check_timeout;
	spec.interval_ms = pol->r_check_interval;
	memset(&env, 0, sizeof(env));
	env.resource = t->tg->resource;
	env.event = t->tg->event;
	env.group = t->rg->pg->group->name;
	env.manifest = m->path;
	env.ticket = m->ticket.text;
	env.batch = t->batch + 1;
	if ((t->probe = probe_start(&spec, &env, &cause)) == NULL) {
		runner_check_done(r, t, 0, cause);
		free(cause);
		return;
	}
	r->checks++;
}

/*
 * Drive the health checks of ts[0..n): start queued ones, poll running
 * ones.  Returns when the next one needs attention (monotonic ms).
 */
static int64_t
runner_checks(struct run *r, struct run_target **ts, size_t n)
{
	enum probe_state	st;
	size_t			i;
	int64_t			next = INT64_MAX, at;

	for (i = 0; i < n; i++) {
		struct run_target	*t = ts[i];

		if (t->phase != RUN_CHECKING)
			continue;
		if (t->probe == NULL)
			runner_check_start(r, t);
		if (t->probe == NULL)
			continue;
		st = probe_poll(t->probe, timefmt_mono());
		if (st != PROBE_RUNNING) {
			runner_check_done(r, t, st == PROBE_PASSED,
			    probe_reason(t->probe));
			continue;
		}
		if ((at = probe_next(t->probe)) < next)
			next = at;
	}
	return (next);
}

/* Stop the checks of ts[0..n) (a signal): they run again on resume. */
static void
runner_checks_stop(struct run *r, struct run_target **ts, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (ts[i]->probe != NULL)
			probe_cancel(ts[i]->probe, timefmt_mono());
	}
	for (i = 0; i < n; i++) {
		if (ts[i]->probe != NULL) {
			probe_free(ts[i]->probe);
			ts[i]->probe = NULL;
			r->checks--;
		}
	}
}

/* "3/5 Executed, 1 Starting" for a live line. */
static void
runner_settle_counts(struct run_target *const *ts, size_t n, char *out,
    size_t len)
{
	size_t	i, executed = 0, starting = 0, done = 0, checking = 0;

	for (i = 0; i < n; i++) {
		if (ts[i]->phase == RUN_DONE)
			done++;
		if (ts[i]->phase == RUN_CHECKING)
			checking++;
		if (ts[i]->event_status != NULL &&
		    strcmp(ts[i]->event_status, "Executed") == 0)
			executed++;
		if (ts[i]->instance_status != NULL &&
		    strcmp(ts[i]->instance_status, "Starting") == 0 &&
		    ts[i]->phase != RUN_DONE)
			starting++;
	}
	snprintf(out, len, "%zu/%zu Executed, %zu Starting, %zu checking, "
	    "%zu final", executed, n, starting, checking, done);
}

/*
 * Follow ts[0..n) until every one is decided or the run stops: poll
 * the due ones (requested, PlanTime come) with backoff from 2 s to
 * 30 s while nothing changes, and at each target's deadline.
 */
static void
runner_settle(struct run *r, struct run_target **ts, size_t n,
    const char *label)
{
	struct run_target	**due;
	size_t			  i, ndue, active, waiting;
	int64_t			  interval = RUNNER_POLL_MIN, next = 0, now;
	int64_t			  wake, first, checks_at;
	char			  counts[96], left[TIMEFMT_LEN];

	due = xcalloc(n + 1, sizeof(*due));
	for (;;) {
		now = timefmt_now();
		first = INT64_MAX;
		checks_at = runner_checks(r, ts, n);
		for (i = 0, ndue = 0, active = 0, waiting = 0; i < n; i++) {
			if (ts[i]->phase == RUN_CHECKING)
				active++;
			if (ts[i]->phase != RUN_SETTLING)
				continue;
			active++;
			if (ts[i]->requested_at <= now) {
				due[ndue++] = ts[i];
				continue;
			}
			waiting++;
			if (ts[i]->requested_at < first)
				first = ts[i]->requested_at;
		}
		if (active == 0)
			break;
		if (runner_stopping(r) || r->journal_error) {
			runner_checks_stop(r, ts, n);
			break;
		}
		if (ndue > 0 && now >= next) {
			interval = runner_poll(r, due, ndue) ? RUNNER_POLL_MIN :
			    interval * 2 > RUNNER_POLL_MAX ? RUNNER_POLL_MAX :
			    interval * 2;
			next = timefmt_now() + interval;
			for (i = 0; i < ndue; i++) {
				if (due[i]->phase == RUN_SETTLING &&
				    due[i]->deadline < next)
					next = due[i]->deadline;
			}
			continue;
		}
		wake = ndue > 0 ? next : first;
		if (first < wake)
			wake = first;
		if (checks_at != INT64_MAX &&
		    checks_at - timefmt_mono() + now < wake)
			wake = checks_at - timefmt_mono() + now;
		runner_settle_counts(ts, n, counts, sizeof(counts));
		if (ndue == 0 && first != INT64_MAX) {
			timefmt_duration_str((first - now) / 1000 * 1000, left,
			    sizeof(left));
			msg_live("%s: %s, next PlanTime in %s", label,
			    msg_paint(MSG_NEUTRAL, "%zu scheduled", waiting),
			    msg_paint(MSG_DIM, "%s", left));
		} else
			msg_live("%s settling: %s", label, counts);
		runner_sleep(r, wake - now < RUNNER_TICK ? wake - now :
		    RUNNER_TICK);
	}
	free(due);
}

/* Follow the targets of batch k of a group that are settling. */
static void
runner_settle_batch(struct run *r, struct run_group *rg, size_t k)
{
	const struct plan_batch	*b = &rg->pg->batches[k];
	struct run_target	**ts;
	size_t			  j, n = 0;
	char			 *label;

	ts = xcalloc(b->count + 1, sizeof(*ts));
	for (j = b->first; j < b->first + b->count; j++)
		ts[n++] = &rg->targets[j];
	label = xasprintf("%s: batch %zu/%zu", rg->pg->group->name, k + 1,
	    rg->pg->nbatches);
	runner_settle(r, ts, n, label);
	free(label);
	free(ts);
}

/* Follow every settling target of a group. */
static void
runner_settle_group(struct run *r, struct run_group *rg)
{
	struct run_target	**ts;
	size_t			  j, n = 0;

	ts = xcalloc(rg->pg->group->ntargets + 1, sizeof(*ts));
	for (j = 0; j < rg->pg->group->ntargets; j++) {
		if (rg->targets[j].phase == RUN_SETTLING ||
		    rg->targets[j].phase == RUN_CHECKING)
			ts[n++] = &rg->targets[j];
	}
	if (n > 0)
		runner_settle(r, ts, n, rg->pg->group->name);
	free(ts);
}

/* ------------------------------------------------------------------ */
/* Reconciliation (SPEC section 5 step 6). */

/*
 * Ask DescribeHistoryEvents about items[0..n): evidence[i], and each
 * event's status (statuses[i], borrowed until *events is freed).  When
 * the events could not be read, *why says why (caller frees), else it
 * is NULL.
 */
static void
runner_reconcile_once(struct run *r, const struct ens_item *items,
    const char *const *before, size_t n, enum settle_evidence *evidence,
    const char **statuses, struct ens_event **events, size_t *nevents,
    char **why)
{
	struct ens_reply	  rep;
	const struct ens_event	 *e;
	const char		**res;
	size_t			  i;
	int			  ok;

	memset(&rep, 0, sizeof(rep));
	res = xcalloc(n + 1, sizeof(*res));
	for (i = 0; i < n; i++)
		res[i] = items[i].resource;
	*events = NULL;
	*nevents = 0;
	free(*why);
	*why = NULL;
	ok = ens_describe_events(r->ens, res, n, RUNNER_REBOOT_TYPES, events,
	    nevents, &rep) == 0;
	if (ok)
		qsort(*events, *nevents, sizeof(**events), runner_event_cmp);
	else
		*why = xstrdup(rep.message != NULL ? rep.message :
		    "no answer");
	for (i = 0; i < n; i++) {
		e = ok ? runner_find_event(*events, *nevents, items[i].event) :
		    NULL;
		statuses[i] = e != NULL ? e->status : NULL;
		evidence[i] = settle_reconcile(statuses[i], e != NULL ?
		    e->not_before : INT64_MIN, items[i].scheduled,
		    items[i].plan_time, before[i]);
	}
	ens_reply_clear(&rep);
	free(res);
}

/*
 * Reconcile, and while some requests look untouched, look again with
 * backoff until the reconciliation window ends: the API may show a
 * change late, and "untouched" is what allows sending once more.
 * Returns whether the window was watched in full (or nothing needed
 * it); 0 when a stop, or ensbatch status, cut it short.  *why as for
 * runner_reconcile_once.
 */
static int
runner_reconcile(struct run *r, const struct ens_item *items,
    const char *const *before, size_t n, enum settle_evidence *evidence,
    const char **statuses, struct ens_event **events, size_t *nevents,
    char **why)
{
	int64_t	window, end, wait = RUNNER_POLL_MIN;
	size_t	i;
	int	unchanged;

	window = r->opts->reconcile_ms > 0 ? r->opts->reconcile_ms :
	    RUNNER_RECONCILE_WINDOW;
	end = timefmt_mono() + window;
	for (;;) {
		runner_reconcile_once(r, items, before, n, evidence, statuses,
		    events, nevents, why);
		for (i = 0, unchanged = 0; i < n; i++)
			unchanged |= evidence[i] == SETTLE_UNCHANGED;
		if (!unchanged || timefmt_mono() >= end)
			return (1);
		if (runner_halted(r) || r->observe)
			return (0);
		ens_events_free(*events, *nevents);
		if (wait > end - timefmt_mono())
			wait = end - timefmt_mono();
		msg_live("outcome unknown: watching %zu event%s for a "
		    "change", n, n == 1 ? "" : "s");
		runner_sleep(r, wait);
		wait = wait * 2 > RUNNER_POLL_MAX ? RUNNER_POLL_MAX : wait * 2;
	}
}

/*
 * Why a target stays in doubt (the per-target message, caller frees),
 * and which kind of doubt it is for the recap's advice.  before: the
 * status from before the request; unread: why the events could not be
 * read, or NULL; earlier: the request was an earlier run's.
 */
static char *
runner_doubt_message(const struct run *r, enum settle_evidence v,
    const char *status, const char *before, const char *unread,
    int earlier, enum run_doubt *kind)
{
	const char	*may = earlier ? "outcome unknown: an earlier run's "
	    "request may have reached the API" : "outcome unknown: the "
	    "request may have reached the API";
	const char	*none = "not sent again";

	if (v == SETTLE_UNCHANGED) {
		*kind = RUN_DOUBT_CUT;
		return (xasprintf("%s; the event is %s, but the reconciliation "
		    "window was cut short, which proves nothing; %s: "
		    "--resume watches it again", may, status, none));
	}
	if (status != NULL) {
		*kind = RUN_DOUBT_ADOPTABLE;
		return (xasprintf("%s; the event is now %s, but %s, the events "
		    "cannot tell whether that request or the platform did it; "
		    "%s: %s", may, status, before == NULL ? "without its "
		    "status from before the request (no preflight)" : "as it "
		    "was rebooting before the request too", none,
		    r->opts->adopt ? "--adopt-status needs the preflight" :
		    "settle it with ensbatch apply --resume --adopt-status"));
	}
	if (unread != NULL) {
		*kind = RUN_DOUBT_UNREAD;
		return (xasprintf("%s, and the events could not be read: %s; "
		    "%s: resume again when DescribeHistoryEvents answers", may,
		    unread, none));
	}
	*kind = RUN_DOUBT_MISSING;
	return (xasprintf("%s, and DescribeHistoryEvents does not list the "
	    "event for its instance; %s", may, none));
}

/* ------------------------------------------------------------------ */
/* Calls. */

/*
 * Record the call in the journal; -1 stops the run before sending.
 * Durable at once unless the journal is held: a pipeline's commit then
 * makes it durable before the call is sent.
 */
static int
runner_call_begin(struct run *r, struct run_call *c)
{
	char	*cause = NULL;

	if (journal_call(r->opts->journal, &c->seq, c->rg->pg->group->name,
	    c->k, c->items, c->before, c->n, &cause) == 0)
		return (0);
	runner_journal_failed(r, cause);
	return (-1);
}

/* Make every record written so far durable; -1 stops the run. */
static int
runner_journal_sync(struct run *r)
{
	char	*cause = NULL;

	if (r->journal_error)
		return (-1);	/* said once already */
	if (journal_sync(r->opts->journal, &cause) == 0)
		return (0);
	runner_journal_failed(r, cause);
	return (-1);
}

static const char	*runner_halt_reason(const struct run *);

/*
 * The journal state of item i after the reply: only an answer that
 * accepted the item confirms it, only one that refused it readably
 * fails it; everything else is in doubt and goes to reconciliation.
 */
TESTABLE enum journal_state
runner_item_state(const struct ens_reply *rep, size_t i)
{
	switch (rep->outcome) {
	case ENS_OK:
		switch (rep->results[i].state) {
		case ENS_ITEM_ACCEPTED:
			return (JOURNAL_CONFIRMED);
		case ENS_ITEM_REFUSED:
			return (JOURNAL_FAILED);
		case ENS_ITEM_UNKNOWN:
			break;
		}
		return (JOURNAL_UNKNOWN);
	case ENS_API_ERROR:
		return (JOURNAL_FAILED);
	case ENS_NOT_SENT:
		return (JOURNAL_NOT_SENT);
	case ENS_UNKNOWN:
		break;
	}
	return (JOURNAL_UNKNOWN);
}

static const char *const runner_outcome_names[] = {
	"ok", "api_error", "not_sent", "unknown"
};

static void	runner_call_send(struct run *, struct run_call *);
static int	runner_over_budget(struct run *, struct run_group *);

/* Journal the result of a reconciliation; its state and status. */
static void
runner_journal_reconcile(struct run *r, const char *event,
    enum journal_state js, const char *status)
{
	char	*cause = NULL;

	if (!r->observe && journal_reconcile(r->opts->journal, event, js,
	    status, &cause) != 0)
		runner_journal_failed(r, cause);
}

/*
 * Settle the targets of an unknown outcome: confirmed ones settle like
 * accepted ones, those proven untouched through the window are sent
 * once more (not after a resend, not when stopping, not past the
 * per-event bound), the rest are errors that count against the budget.
 */
static void
runner_call_unknown(struct run *r, struct run_call *c, const size_t *which,
    size_t n)
{
	struct ens_event	*ev = NULL;
	struct ens_item		 items[RUNNER_MAX_BATCH];
	const char		*before[RUNNER_MAX_BATCH];
	const char		*st[RUNNER_MAX_BATCH];
	enum settle_evidence	 v[RUNNER_MAX_BATCH];
	const struct journal_event *je;
	struct run_call		*again;
	struct run_target	*t;
	enum run_doubt		 kind;
	size_t			 i, nev = 0;
	char			*msg, *why = NULL;
	const char		*held = NULL;

	for (i = 0; i < n; i++) {
		items[i] = c->items[which[i]];
		before[i] = c->before[which[i]];
		st[i] = NULL;
	}
	if (r->opts->stop != NULL && *r->opts->stop >= 2) {
		for (i = 0; i < n; i++)
			v[i] = SETTLE_UNREADABLE;	/* aborting: ask nothing */
	} else
		(void)runner_reconcile(r, items, before, n, v, st, &ev, &nev,
		    &why);
	free(why);
	again = xcalloc(1, sizeof(*again));
	again->rg = c->rg;
	again->k = c->k;
	again->resend = 1;
	for (i = 0; i < n; i++) {
		t = c->who[which[i]];
		je = journal_lookup(r->opts->journal, items[i].event);
		switch (v[i]) {
		case SETTLE_CONFIRMED:
			runner_journal_reconcile(r, items[i].event,
			    JOURNAL_CONFIRMED, st[i]);
			runner_note(t, "outcome was unknown; "
			    "DescribeHistoryEvents confirmed it (%s)", st[i]);
			runner_accept(t, c->sent_at);
			break;
		case SETTLE_UNCHANGED:
			if (!c->resend && !runner_halted(r) && je != NULL &&
			    settle_may_resend(je->sends)) {
				runner_journal_reconcile(r, items[i].event,
				    JOURNAL_NOT_SENT, st[i]);
				again->items[again->n] = items[i];
				again->before[again->n] = before[i];
				again->who[again->n++] = t;
				break;
			}
			/* FALLTHROUGH */
		case SETTLE_UNREADABLE:
			if (v[i] == SETTLE_UNREADABLE && st[i] != NULL) {
				/* Rebooting, not proven: say the way out. */
				msg = runner_doubt_message(r, v[i], st[i],
				    before[i], NULL, 0, &kind);
				r->doubt[kind]++;
			} else
				msg = xasprintf("outcome unknown: %s",
				    c->rep.message != NULL ? c->rep.message :
				    "no answer for this target");
			runner_decide(r, t, REPORT_ERROR, "OutcomeUnknown", msg);
			free(msg);
			break;
		case SETTLE_OTHER:
			msg = xasprintf("the event is now %s", st[i]);
			runner_journal_reconcile(r, items[i].event,
			    JOURNAL_FAILED, st[i]);
			runner_decide(r, t, REPORT_FAILURE, "EventStatus", msg);
			free(msg);
			break;
		}
	}
	ens_events_free(ev, nev);
	/*
	 * The budget first: a group over it (by earlier calls, or by this
	 * one's errors just now) sends nothing more, not even the targets
	 * proven untouched.  Their journal says not sent: a resume may.
	 * So does a run halted meanwhile (a signal, or a journal that
	 * failed on their records or on the resend's): held back too, not
	 * left undecided (a scheduled group's are requested, not idle).
	 */
	if (again->n > 0) {
		if (runner_over_budget(r, c->rg))
			held = c->rg->aborted;
		else if (runner_halted(r) || runner_call_begin(r, again) != 0)
			held = runner_halt_reason(r);
		else
			runner_call_send(r, again);
	}
	for (i = 0; held != NULL && i < again->n; i++)
		runner_decide(r, again->who[i], REPORT_SKIPPED, NULL, held);
	free(again);
}

/*
 * A resend that the API refused: the first request may have taken
 * effect after all (the event moved on).  Re-read before failing.
 */
static void
runner_call_refused(struct run *r, struct run_call *c, const size_t *which,
    size_t n)
{
	struct ens_event	*ev = NULL;
	struct ens_item		 items[RUNNER_MAX_BATCH];
	const char		*before[RUNNER_MAX_BATCH];
	const char		*st[RUNNER_MAX_BATCH];
	enum settle_evidence	 v[RUNNER_MAX_BATCH];
	struct run_target	*t;
	const struct ens_item_result *res;
	size_t			 i, nev = 0;
	char			*why = NULL;

	for (i = 0; i < n; i++) {
		items[i] = c->items[which[i]];
		before[i] = c->before[which[i]];
	}
	runner_reconcile_once(r, items, before, n, v, st, &ev, &nev, &why);
	free(why);
	for (i = 0; i < n; i++) {
		t = c->who[which[i]];
		if (v[i] == SETTLE_CONFIRMED) {
			runner_journal_reconcile(r, items[i].event,
			    JOURNAL_CONFIRMED, st[i]);
			runner_note(t, "the second request was refused: the "
			    "first had taken effect (%s)", st[i]);
			runner_accept(t, c->sent_at);
			continue;
		}
		res = c->rep.outcome == ENS_OK ? &c->rep.results[which[i]] :
		    NULL;
		runner_decide(r, t, res != NULL ? REPORT_FAILURE : REPORT_ERROR,
		    res != NULL ? res->code_text : c->rep.code, res != NULL ?
		    res->message : c->rep.message);
	}
	ens_events_free(ev, nev);
}

/* Journal a reply: one line per item. */
static void
runner_call_journal(struct run *r, struct run_call *c,
    const enum journal_state *st)
{
	struct journal_item	 ji[RUNNER_MAX_BATCH];
	struct journal_answer	 a;
	const struct ens_reply	*rep = &c->rep;
	size_t			 i;
	char			*cause = NULL;
	int			 own;

	for (i = 0; i < c->n; i++) {
		own = rep->outcome == ENS_OK && i < rep->nresults &&
		    rep->results[i].found;
		ji[i].event = c->items[i].event;
		ji[i].state = st[i];
		ji[i].code = own ? rep->results[i].code_text : rep->code;
		ji[i].message = own ? rep->results[i].message : rep->message;
	}
	a.outcome = runner_outcome_names[rep->outcome];
	a.request_id = rep->request_id;
	a.items = ji;
	a.n = c->n;
	if (journal_result(r->opts->journal, c->seq, &a, &cause) != 0)
		runner_journal_failed(r, cause);
}

/*
 * Record a reply: journal first, then the targets.  Accepted ones
 * settle; unknown outcomes go through reconciliation, or with defer
 * wait in c->unknown for it (while other calls are in flight).
 */
static void
runner_call_end(struct run *r, struct run_call *c, int defer)
{
	enum journal_state	 st[RUNNER_MAX_BATCH];
	size_t			 unknown[RUNNER_MAX_BATCH], nu = 0, i;
	size_t			 refused[RUNNER_MAX_BATCH], nr = 0;
	struct run_target	*t;

	if (c->rep.http_status != 0 || c->rep.outcome == ENS_UNKNOWN)
		r->reached = 1;
	for (i = 0; i < c->n; i++)
		st[i] = runner_item_state(&c->rep, i);
	runner_call_journal(r, c, st);
	for (i = 0; i < c->n; i++) {
		t = c->who[i];
		runner_set(&t->request_id, c->rep.request_id);
		t->attempts = c->rep.attempts;
		if (c->resend)
			runner_note(t, "sent a second time: the events showed "
			    "the first request had not taken effect");
		switch (st[i]) {
		case JOURNAL_CONFIRMED:
			runner_accept(t, c->sent_at);
			break;
		case JOURNAL_FAILED:
			if (c->resend) {
				refused[nr++] = i;
				break;
			}
			if (c->rep.outcome == ENS_OK)
				runner_decide(r, t, REPORT_FAILURE,
				    c->rep.results[i].code_text,
				    c->rep.results[i].message);
			else
				runner_decide(r, t, REPORT_ERROR, c->rep.code,
				    c->rep.message);
			break;
		case JOURNAL_NOT_SENT:
			if (runner_stopping(r))
				runner_decide(r, t, REPORT_SKIPPED, NULL,
				    "not attempted: interrupted");
			else if (c->rg->aborted != NULL)
				runner_decide(r, t, REPORT_SKIPPED, NULL,
				    c->rg->aborted);
			else if (runner_halted(r) && c->rep.code != NULL &&
			    strcmp(c->rep.code, "NotSent") == 0)
				/* Held back by the failure that halted it. */
				runner_decide(r, t, REPORT_SKIPPED, NULL,
				    runner_halt_reason(r));
			else
				runner_decide(r, t, REPORT_ERROR, c->rep.code,
				    c->rep.message);
			break;
		case JOURNAL_UNKNOWN:
		case JOURNAL_NONE:
			unknown[nu++] = i;
			break;
		}
	}
	if (nr > 0)
		runner_call_refused(r, c, refused, nr);
	if (defer) {
		memcpy(c->unknown, unknown, nu * sizeof(*unknown));
		c->nunknown = nu;
	} else if (nu > 0)
		runner_call_unknown(r, c, unknown, nu);
}

/*
 * An unreachable endpoint before anything reached the API: stop all.
 * Not for calls held back because the run was stopping or halted
 * already (a journal failure), nor said twice.
 */
static void
runner_check_env(struct run *r, const struct ens_reply *rep)
{
	char	*msg;

	if (r->reached || rep->outcome != ENS_NOT_SENT || runner_halted(r))
		return;
	r->env_error = 1;
	msg = xasprintf("cannot reach the API: %s", rep->message);
	runner_error(r, msg);
	free(msg);
}

/* Send one call on its own and record it. */
static void
runner_call_send(struct run *r, struct run_call *c)
{
	c->sent_at = timefmt_now();
	ens_batch_reboot(r->ens, c->items, c->n, &c->rep);
	runner_check_env(r, &c->rep);
	runner_call_end(r, c, 0);
	ens_reply_clear(&c->rep);
}

/*
 * Fill a call with the targets of batch k still to send; targets whose
 * event the preflight found final are skipped, and so are those whose
 * event was already requested as often as allowed.  Returns the count.
 */
static size_t
runner_call_fill(struct run *r, struct run_group *rg, size_t k,
    struct run_call *c)
{
	const struct plan_group		*pg = rg->pg;
	const struct plan_batch		*b = &pg->batches[k];
	const struct journal_event	*je;
	struct run_target		*t;
	size_t				 j;
	char				*why;
	int				 stale;

	memset(c, 0, sizeof(*c));
	c->rg = rg;
	c->k = k;
	stale = b->plan_time != PLAN_NO_TIME && b->plan_time <
	    timefmt_now() + pg->group->policy->r_min_lead;
	for (j = b->first; j < b->first + b->count; j++) {
		t = &rg->targets[j];
		if (t->phase != RUN_IDLE)
			continue;
		je = journal_lookup(r->opts->journal, t->tg->event);
		if (je != NULL && !settle_may_resend(je->sends)) {
			why = xasprintf("not sent again: requested %d times "
			    "without effect", je->sends);
			runner_decide(r, t, REPORT_ERROR, "OutcomeUnknown", why);
			free(why);
			continue;
		}
		if (stale) {
			/* Long earlier groups, or a late resume. */
			runner_decide(r, t, REPORT_ERROR, "StalePlanTime",
			    "not sent: the batch's PlanTime is now past or "
			    "closer than min_lead; make a new plan");
			continue;
		}
		if (r->pf != NULL &&
		    r->pf->targets[pg->index][j].verdict == PREFLIGHT_DONE) {
			why = xasprintf("not sent: %s",
			    r->pf->targets[pg->index][j].reason);
			runner_decide(r, t, REPORT_SKIPPED, NULL, why);
			t->fine = 1;
			free(why);
			continue;
		}
		c->items[c->n].event = t->tg->event;
		c->items[c->n].resource = t->tg->resource;
		c->items[c->n].scheduled = t->scheduled;
		c->items[c->n].plan_time = t->plan_time;
		c->before[c->n] = r->pf != NULL ?
		    r->pf->targets[pg->index][j].status : je != NULL ? je->before :
		    NULL;
		c->who[c->n++] = t;
	}
	return (c->n);
}

/* ------------------------------------------------------------------ */
/* Groups. */

/* One plain line per batch (the live line on a terminal). */
static void
runner_progress(struct run *r, const struct run_group *rg, size_t k)
{
	char	line[256];

	snprintf(line, sizeof(line), "%s: batch %zu/%zu done; %zu of %zu "
	    "final: %s", rg->pg->group->name, k + 1, rg->pg->nbatches,
	    r->done, r->plan->ntargets, msg_counts(r->decided, 0,
	    MSG_COUNTS_TERSE));
	if (msg_live_on())
		msg_live("%s", line);
	else
		msg_info("%s", line);
}

/* Wait until the epoch time until, with a countdown. */
static void
runner_countdown(struct run *r, int64_t until, const char *what)
{
	char	left[TIMEFMT_LEN];
	int64_t	now;

	while (!runner_stopping(r) && (now = timefmt_now()) < until) {
		timefmt_duration_str((until - now + 999) / 1000 * 1000, left,
		    sizeof(left));
		msg_live("%s: %s", what, msg_paint(MSG_DIM, "%s left", left));
		runner_sleep(r, until - now < RUNNER_TICK ? until - now :
		    RUNNER_TICK);
	}
}

/*
 * Mark a group stopped when over budget; returns 1 if it is.  Errors
 * count against max_failures too: then the message names both, in the
 * words of the recap.
 */
static int
runner_over_budget(struct run *r, struct run_group *rg)
{
	size_t	j, nerr = 0;

	if ((int64_t)rg->failed <= rg->budget || rg->aborted != NULL)
		return (rg->aborted != NULL);
	for (j = 0; j < rg->pg->group->ntargets; j++)
		nerr += rg->targets[j].phase == RUN_DONE &&
		    rg->targets[j].outcome == REPORT_ERROR;
	if (nerr == 0)
		rg->aborted = xasprintf("group %s stopped: %zu failed "
		    "target%s, more than max_failures %" PRId64,
		    rg->pg->group->name, rg->failed, rg->failed == 1 ? "" :
		    "s", rg->budget);
	else
		rg->aborted = xasprintf("group %s stopped: %zu failed, %zu "
		    "errors, more than max_failures %" PRId64,
		    rg->pg->group->name, rg->failed - nerr, nerr, rg->budget);
	runner_skip_group(r, rg, rg->aborted);
	msg_info("%s", rg->aborted);
	return (1);
}

/* Every target of the group is decided (and none is settling). */
static int
runner_group_final(const struct run_group *rg)
{
	size_t	j;

	for (j = 0; j < rg->pg->group->ntargets; j++) {
		if (rg->targets[j].phase != RUN_DONE)
			return (0);
	}
	return (1);
}

/* The group finished within its budget: journal it, its soak begins. */
static void
runner_group_finished(struct run *r, struct run_group *rg)
{
	char	*cause = NULL;
	int64_t	 earlier;

	if (rg->finished != 0 || rg->aborted != NULL ||
	    !runner_group_final(rg) || runner_over_budget(r, rg))
		return;
	earlier = journal_group_done(r->opts->journal, rg->pg->group->name);
	if (earlier != 0) {
		rg->finished = earlier;
		return;
	}
	rg->finished = timefmt_now();
	if (journal_group(r->opts->journal, rg->pg->group->name,
	    &cause) != 0)
		runner_journal_failed(r, cause);
}

/*
 * Immediate groups: one batch at a time, settled, then the pause.  A
 * batch an earlier run settled has had (part of) its pause already:
 * only what is left of it is waited.
 */
static void
runner_immediate(struct run *r, struct run_group *rg)
{
	const struct policy	*pol = rg->pg->group->policy;
	struct run_call		*c;
	char			*cause = NULL, *what;
	size_t			 k;
	int64_t			 settled;

	c = xcalloc(1, sizeof(*c));
	for (k = 0; k < rg->pg->nbatches && !runner_halted(r); k++) {
		/* A resume may find it over budget before any batch. */
		if (k == 0 && runner_over_budget(r, rg))
			break;
		if (runner_call_fill(r, rg, k, c) > 0 &&
		    runner_call_begin(r, c) == 0)
			runner_call_send(r, c);
		runner_settle_batch(r, rg, k);
		if (runner_stopping(r) || r->journal_error)
			break;
		runner_progress(r, rg, k);
		if (runner_over_budget(r, rg))
			break;
		settled = journal_batch_done(r->opts->journal,
		    rg->pg->group->name, k);
		if (settled == 0) {
			settled = timefmt_now();
			if (journal_batch(r->opts->journal,
			    rg->pg->group->name, k, &cause) != 0)
				runner_journal_failed(r, cause);
		}
		if (k + 1 < rg->pg->nbatches && pol->r_pause > 0) {
			what = xasprintf("%s: pause before batch %zu/%zu",
			    rg->pg->group->name, k + 2, rg->pg->nbatches);
			runner_countdown(r, settled + pol->r_pause, what);
			free(what);
		}
	}
	free(c);
	runner_group_finished(r, rg);
}

/* A scheduled group's pipeline of calls. */
struct runner_pipe {
	struct run		*r;
	struct run_group	*rg;
};

/*
 * Before a call is sent: journal it, unless the group stopped; its
 * targets are requested from now on (a budget stop leaves them to the
 * answer).
 */
static int
runner_pipe_start(void *arg, struct ens_call *ec)
{
	struct runner_pipe	*pp = arg;
	struct run_call		*c = ec->arg;
	size_t			 i;

	if (runner_halted(pp->r) || pp->rg->aborted != NULL ||
	    runner_call_begin(pp->r, c) != 0)
		return (-1);
	for (i = 0; i < c->n; i++)
		c->who[i]->phase = RUN_REQUESTED;
	c->sent_at = timefmt_now();
	return (0);
}

/*
 * Before the calls just started are sent: their records, durable.  The
 * retries of throttled calls come here too, without a start: none goes
 * out after a stop or once the group is over its budget.
 */
static int
runner_pipe_commit(void *arg)
{
	struct runner_pipe	*pp = arg;

	if (runner_journal_sync(pp->r) != 0 || runner_halted(pp->r) ||
	    pp->rg->aborted != NULL)
		return (-1);
	return (0);
}

/*
 * Before committed calls are sent: none goes after a stop, an
 * environment or journal failure, or once the group is over its budget
 * (the answers judged since their commit may have put it there).
 */
static int
runner_pipe_go(void *arg)
{
	struct runner_pipe	*pp = arg;

	return (runner_halted(pp->r) || pp->rg->aborted != NULL ? -1 : 0);
}

/* A call's reply is final: record it; the budget may stop the rest. */
static void
runner_pipe_done(void *arg, struct ens_call *ec)
{
	struct runner_pipe	*pp = arg;
	struct run_call		*c = ec->arg;

	c->rep = ec->reply;
	memset(&ec->reply, 0, sizeof(ec->reply));
	runner_check_env(pp->r, &c->rep);
	runner_call_end(pp->r, c, 1);
	runner_progress(pp->r, pp->rg, c->k);
	runner_over_budget(pp->r, pp->rg);
}

/*
 * Scheduled groups: the calls only register PlanTimes, so they form a
 * pipeline of up to --parallel calls in flight, each journaled on its
 * own; the budget is checked after each answer.  Unknown outcomes are
 * reconciled after the pipeline drained (their window must not hold up
 * calls in flight).  The targets settle from their PlanTime on,
 * followed only when a later group depends on the group or with wait.
 */
static void
runner_scheduled(struct run *r, struct run_group *rg)
{
	struct runner_pipe	 pp;
	struct ens_pipe		 hooks = { runner_pipe_start,
				    runner_pipe_commit, runner_pipe_go,
				    runner_pipe_done, &pp };
	struct run_call		*calls;
	struct ens_call		*ec;
	size_t			 k, n = 0, i;

	calls = xcalloc(rg->pg->nbatches + 1, sizeof(*calls));
	ec = xcalloc(rg->pg->nbatches + 1, sizeof(*ec));
	for (k = 0; k < rg->pg->nbatches; k++) {
		if (runner_call_fill(r, rg, k, &calls[n]) == 0)
			continue;
		ec[n].items = calls[n].items;
		ec[n].n = calls[n].n;
		ec[n].arg = &calls[n];
		n++;
	}
	pp.r = r;
	pp.rg = rg;
	/*
	 * Over budget before the first call: a resume's earlier failures
	 * and doubts, or the stale batches just decided.
	 */
	if (n > 0 && !runner_halted(r) && !runner_over_budget(r, rg)) {
		/* Group commit: one fsync for the calls starting together. */
		journal_hold(r->opts->journal, 1);
		ens_batch_reboot_many(r->ens, ec, n, r->opts->parallel > 0 ?
		    r->opts->parallel : 1, &hooks);
		journal_hold(r->opts->journal, 0);
		(void)runner_journal_sync(r);
	}
	for (i = 0; i < n; i++) {
		if (calls[i].nunknown > 0)
			runner_call_unknown(r, &calls[i], calls[i].unknown,
			    calls[i].nunknown);
		ens_reply_clear(&calls[i].rep);
		ens_reply_clear(&ec[i].reply);
	}
	runner_over_budget(r, rg);
	rg->registered = 1;
	free(calls);
	free(ec);
	runner_group_finished(r, rg);
}

/*
 * Wait for the groups g is after: settle scheduled ones, then let each
 * soak.  Returns why g must not start, or NULL.
 */
static char *
runner_gate(struct run *r, const struct manifest_group *g)
{
	const struct manifest	*m = r->plan->manifest;
	struct run_group	*dep;
	size_t			 i;
	char			*what;

	for (i = 0; i < g->r_nafter; i++) {
		dep = &r->groups[g->r_after[i]];
		if (dep->aborted == NULL && dep->finished == 0 &&
		    dep->registered) {
			runner_settle_group(r, dep);
			runner_group_finished(r, dep);
		}
		if (runner_halted(r))
			return (NULL);
		if (dep->aborted != NULL)
			return (xasprintf("not started: group %s did not "
			    "finish (%s)", m->groups[g->r_after[i]].name,
			    dep->aborted));
		if (dep->finished == 0)
			return (xasprintf("not started: group %s did not "
			    "finish", m->groups[g->r_after[i]].name));
	}
	for (i = 0; i < g->r_nafter; i++) {
		dep = &r->groups[g->r_after[i]];
		if (dep->pg->group->policy->r_soak <= 0)
			continue;
		what = xasprintf("%s: soak before %s", dep->pg->group->name,
		    g->name);
		runner_countdown(r, dep->finished +
		    dep->pg->group->policy->r_soak, what);
		free(what);
	}
	return (NULL);
}

/* ------------------------------------------------------------------ */
/* Resume. */

/* What an earlier run's journal says about one target. */
static int
runner_resume_target(struct run *r, struct run_target *t,
    const struct journal_event *je)
{
	enum report_outcome	ro;

	runner_set(&t->request_id, je->request_id);
	t->earlier = 1;
	if (je->state != JOURNAL_CONFIRMED)
		return (je->state == JOURNAL_UNKNOWN);
	t->requested_at = je->requested_at;
	t->executed_at = je->executed_at;
	switch (je->settle) {
	case JOURNAL_SETTLE_PASSED:
	case JOURNAL_SETTLE_FAILED:
		t->phase = RUN_SETTLING;
		t->settled_at = je->settled_at;
		runner_note(t, "settled in an earlier run (journal)");
		ro = je->settle == JOURNAL_SETTLE_PASSED ? REPORT_PASSED :
		    REPORT_FAILURE;
		runner_decide(r, t, ro, je->settle_type, je->settle_message);
		break;
	case JOURNAL_SETTLE_ERROR:
	case JOURNAL_SETTLE_NONE:
		/* Follow it again: the API knows more by now. */
		runner_note(t, je->adopted ? "adopted from its event's status "
		    "in an earlier run (--adopt-status; journal)" :
		    "accepted in an earlier run (journal)");
		runner_accept(t, je->requested_at);
		break;
	}
	return (0);
}

/*
 * Reconcile a chunk of targets an earlier run left in doubt, and decide
 * each one (settle_doubt).  Only a target proven untouched through the
 * whole window is left to be sent again with its batch.
 */
static void
runner_resume_reconcile(struct run *r, struct run_target **where,
    const struct ens_item *items, const char *const *before, size_t n)
{
	enum settle_evidence		 v[ENS_MAX_RESOURCES];
	const char			*st[ENS_MAX_RESOURCES];
	const struct journal_event	*je;
	struct ens_event		*ev;
	enum run_doubt			 kind;
	size_t				 x, nev;
	char				*unread = NULL, *msg, *cause = NULL;
	int				 watched;

	watched = runner_reconcile(r, items, before, n, v, st, &ev, &nev,
	    &unread);
	/* ensbatch status only reads: what it leaves is never sent. */
	watched |= r->observe;
	for (x = 0; x < n; x++) {
		je = journal_lookup(r->opts->journal, items[x].event);
		switch (settle_doubt(v[x], st[x], watched, r->opts->adopt,
		    r->pf != NULL)) {
		case SETTLE_DOUBT_FOLLOW:
			runner_journal_reconcile(r, items[x].event,
			    JOURNAL_CONFIRMED, st[x]);
			runner_note(where[x], "the outcome of an earlier run "
			    "was unknown; DescribeHistoryEvents confirmed it "
			    "(%s)", st[x]);
			runner_accept(where[x], je->requested_at);
			break;
		case SETTLE_DOUBT_ADOPT:
			if (!r->observe && journal_adopt(r->opts->journal,
			    items[x].event, st[x], &cause) != 0) {
				runner_journal_failed(r, cause);
				cause = NULL;
			}
			runner_note(where[x], "the outcome of an earlier run "
			    "was unknown and the events could not prove it; "
			    "adopted from the event's status (%s, "
			    "--adopt-status): followed, not sent", st[x]);
			r->adopted++;
			runner_accept(where[x], je->requested_at);
			break;
		case SETTLE_DOUBT_RESEND:
			/* Sent again with its batch, within the bound. */
			runner_journal_reconcile(r, items[x].event,
			    JOURNAL_NOT_SENT, st[x]);
			break;
		case SETTLE_DOUBT_FINAL:
			runner_journal_reconcile(r, items[x].event,
			    JOURNAL_FAILED, st[x]);
			runner_decide(r, where[x], REPORT_FAILURE,
			    "EventStatus", "the event went final without "
			    "this run");
			break;
		case SETTLE_DOUBT_STUCK:
			msg = runner_doubt_message(r, v[x], st[x], before[x],
			    unread, 1, &kind);
			r->doubt[kind]++;
			runner_decide(r, where[x], REPORT_ERROR,
			    "OutcomeUnknown", msg);
			free(msg);
			break;
		}
	}
	free(unread);
	ens_events_free(ev, nev);
}

/*
 * Resume: what the journal says before anything is sent.  Settled
 * targets keep their outcome, accepted ones are followed again, those
 * in doubt are reconciled in chunks.
 */
static void
runner_resume(struct run *r)
{
	const struct plan		*p = r->plan;
	const struct journal_event	*je;
	struct ens_item			 items[ENS_MAX_RESOURCES];
	const char			*before[ENS_MAX_RESOURCES];
	struct run_target		*where[ENS_MAX_RESOURCES];
	size_t				 i, j, n = 0;

	for (i = 0; i < p->ngroups; i++) {
		struct run_group	*rg = &r->groups[p->groups[i].index];

		for (j = 0; j < rg->pg->group->ntargets; j++) {
			struct run_target	*t = &rg->targets[j];

			if ((je = journal_lookup(r->opts->journal,
			    t->tg->event)) == NULL ||
			    !runner_resume_target(r, t, je))
				continue;
			items[n].event = t->tg->event;
			items[n].resource = t->tg->resource;
			items[n].scheduled = je->scheduled;
			items[n].plan_time = je->plan_time;
			before[n] = je->before;
			where[n++] = t;
			if (n == ENS_MAX_RESOURCES) {
				runner_resume_reconcile(r, where, items,
				    before, n);
				n = 0;
			}
		}
	}
	if (n > 0)
		runner_resume_reconcile(r, where, items, before, n);
}

/* ------------------------------------------------------------------ */
/* The report. */

/*
 * The last times formatted for the testcases' system-out: the targets
 * of a batch share their PlanTime and request time.
 */
#define RUNNER_TIMES	4
struct runner_times {
	int64_t	ms[RUNNER_TIMES];
	char	text[RUNNER_TIMES][TIMEFMT_LEN];
	size_t	next;			/* the slot to reuse */
};

static void
runner_time_line(struct buf *out, const char *what, int64_t ms,
    struct runner_times *tc)
{
	size_t	i;

	if (ms == 0 || ms == PLAN_NO_TIME)
		return;
	for (i = 0; i < RUNNER_TIMES && tc->ms[i] != ms; i++)
		;
	if (i == RUNNER_TIMES) {
		i = tc->next;
		tc->next = (tc->next + 1) % RUNNER_TIMES;
		tc->ms[i] = ms;
		timefmt_utc(ms, tc->text[i], sizeof(tc->text[i]));
	}
	buf_adds(out, what);
	buf_addc(out, ' ');
	buf_adds(out, tc->text[i]);
	buf_addc(out, '\n');
}

/*
 * The testcase's system-out: ids, batch, times, statuses, notes.  Every
 * target has one, also when it was never requested (then it says so,
 * with the time the run ended), so a reader finds the same lines for
 * every outcome.  Caller frees.
 */
static char *
runner_case_out(const struct run_target *t, int64_t end,
    struct runner_times *tc)
{
	struct buf	out;

	buf_init(&out);
	buf_adds(&out, "resource ");
	buf_adds(&out, t->tg->resource);
	buf_adds(&out, " event ");
	buf_adds(&out, t->tg->event);
	buf_addf(&out, "\nbatch %zu/%zu\n", t->batch + 1, t->rg->pg->nbatches);
	if (t->scheduled)
		runner_time_line(&out, "PlanTime", t->plan_time, tc);
	if (t->request_id != NULL) {
		buf_adds(&out, "RequestId ");
		buf_adds(&out, t->request_id);
		buf_addc(&out, '\n');
	}
	if (t->attempts > 0)
		buf_addf(&out, "attempts %d\n", t->attempts);
	if (t->requested_at == 0 && t->request_id == NULL)
		runner_time_line(&out, "not requested; the run ended at",
		    end, tc);
	runner_time_line(&out, "requested at", t->requested_at, tc);
	runner_time_line(&out, "executed at", t->executed_at, tc);
	runner_time_line(&out, "settled at", t->settled_at, tc);
	if (t->event_status != NULL || t->instance_status != NULL)
		buf_addf(&out, "event %s, instance %s\n", t->event_status !=
		    NULL ? t->event_status : "unknown", t->instance_status !=
		    NULL ? t->instance_status : "unknown");
	if (t->notes.len > 0)
		buf_add(&out, t->notes.data, t->notes.len);
	if (t->check_out != NULL && *t->check_out != '\0')
		buf_addf(&out, "check output:\n%s%s", t->check_out,
		    t->check_out[strlen(t->check_out) - 1] == '\n' ? "" : "\n");
	return (buf_detach(&out));
}

/* A testcase's own time: from its request (or PlanTime) to settled. */
static double
runner_case_time(const struct run_target *t)
{
	if (t->requested_at == 0 || t->settled_at < t->requested_at)
		return (0);
	return ((double)(t->settled_at - t->requested_at) / 1000);
}

/*
 * A suite's time: the group's wall time in this run, or its longest
 * case when that is longer (a resumed group's cases count from their
 * requests in an earlier run), so that no case takes longer than its
 * suite and a group done before a resume does not show 0.  0 for a
 * group this run did not start.
 */
static double
runner_suite_time(const struct run_group *rg, int64_t end)
{
	double	time, c;
	size_t	j;

	if (rg->begun == 0)
		return (0);
	time = (double)((rg->finished != 0 ? rg->finished : end) -
	    rg->begun) / 1000;
	for (j = 0; j < rg->pg->group->ntargets; j++)
		if ((c = runner_case_time(&rg->targets[j])) > time)
			time = c;
	return (time);
}

/*
 * A group an apply never started gets one failing "(not started)" case,
 * first, besides its skipped targets: all-skipped suites look passed in
 * junit-viewer (and green in most readers), and a group that was never
 * rebooted is not a success.  status only observes: it adds none.
 */
static void
runner_not_started_case(const struct run *r, const struct run_group *rg,
    struct report_suite *rs, const char *cls, int64_t end)
{
	const struct manifest_group	*g = rg->pg->group;
	char				*msg, *out, t[TIMEFMT_LEN];

	if (r->observe || rg->begun != 0)
		return;
	msg = xasprintf("%s %s", g->name, rg->aborted != NULL ?
	    rg->aborted : runner_halt_reason(r));
	timefmt_utc(end, t, sizeof(t));
	out = xasprintf("%zu target%s not requested; the run ended at %s\n",
	    g->ntargets, g->ntargets == 1 ? "" : "s", t);
	report_case_add(rs, cls, "(not started)", 0, REPORT_FAILURE,
	    "NotStarted", msg, out);
	free(out);
	free(msg);
}

static void
runner_fill_report(struct run *r, struct report *rep)
{
	const struct plan	*p = r->plan;
	const char		*mname = p->manifest->name.text;
	struct runner_times	 times;
	size_t			 i, j;
	char			*cls, *name, *out;
	int64_t			 end = timefmt_now();

	memset(&times, 0, sizeof(times));
	for (i = 0; i < p->ngroups; i++) {
		struct run_group		*rg = &r->groups[p->groups[i].index];
		const struct manifest_group	*g = rg->pg->group;
		struct report_suite		*rs;

		rs = report_suite_add(rep, g->name, rg->begun != 0 ?
		    rg->begun : end);
		plan_report_properties(rs, p, rg->pg, r->opts->endpoint,
		    r->observe ? "status" : "apply");
		cls = xasprintf("%s.%s", mname, g->name);
		runner_not_started_case(r, rg, rs, cls, end);
		for (j = 0; j < g->ntargets; j++) {
			struct run_target	*t = &rg->targets[j];

			name = xasprintf("%s %s", t->tg->resource,
			    t->tg->event);
			out = runner_case_out(t, end, &times);
			/* Undecided would be a bug: never let it pass. */
			report_case_add(rs, cls, name, runner_case_time(t),
			    t->phase == RUN_DONE ? t->outcome : REPORT_ERROR,
			    t->phase == RUN_DONE ? t->type : "Internal",
			    t->phase == RUN_DONE ? t->message : "no outcome "
			    "was recorded", out);
			free(out);
			free(name);
		}
		rs->time = runner_suite_time(rg, end);
		free(cls);
	}
	if (r->opts->resume)
		report_run_property(rep, "resumed", "yes: earlier runs' "
		    "outcomes are from the journal");
}

static const char *
runner_halt_reason(const struct run *r)
{
	if (r->env_error)
		return ("not attempted: the API could not be reached");
	if (r->journal_error)
		return ("not attempted: the journal could not be written");
	return ("not attempted: interrupted");
}

/*
 * Targets still settling when the run ends: scheduled ones not yet
 * due are "scheduled for TIME" (fine), the rest were cut short.
 */
static size_t
runner_leftovers(struct run *r, int64_t *first, int64_t *last)
{
	const struct plan	*p = r->plan;
	size_t			 i, j, n = 0;
	char			 t[TIMEFMT_LEN], *why;

	*first = INT64_MAX;
	*last = INT64_MIN;
	for (i = 0; i < p->ngroups; i++) {
		struct run_group	*rg = &r->groups[p->groups[i].index];

		for (j = 0; j < rg->pg->group->ntargets; j++) {
			struct run_target	*rt = &rg->targets[j];

			if (rt->phase != RUN_SETTLING &&
			    rt->phase != RUN_CHECKING)
				continue;
			if (runner_stopping(r) || !rt->scheduled ||
			    rt->phase == RUN_CHECKING) {
				runner_decide(r, rt, REPORT_SKIPPED, NULL,
				    "interrupted while settling: ensbatch "
				    "apply --resume follows it");
				continue;
			}
			timefmt_utc(rt->plan_time, t, sizeof(t));
			why = xasprintf("scheduled for %s: not executed yet",
			    t);
			runner_decide(r, rt, REPORT_SKIPPED, NULL, why);
			rt->fine = 1;
			free(why);
			n++;
			if (rt->plan_time < *first)
				*first = rt->plan_time;
			if (rt->plan_time > *last)
				*last = rt->plan_time;
		}
	}
	return (n);
}

#define RUNNER_RECAP_FAILURES	5	/* failed targets named in the recap */

/*
 * Targets with a final outcome: passed, failed, or skipped for a
 * reason of their own (already final, scheduled); not those skipped
 * only because the run stopped first.
 */
static size_t
runner_final_count(const struct run *r)
{
	const struct plan	*p = r->plan;
	size_t			 i, j, n = 0;

	for (i = 0; i < p->ngroups; i++) {
		const struct run_group	*rg = &r->groups[p->groups[i].index];

		for (j = 0; j < rg->pg->group->ntargets; j++) {
			const struct run_target	*t = &rg->targets[j];

			if (t->phase == RUN_DONE &&
			    (t->outcome != REPORT_SKIPPED || t->fine))
				n++;
		}
	}
	return (n);
}

/*
 * Why the run did not end as planned, or NULL: interrupted, a group
 * over its budget and the groups that never started, no API, no
 * journal.  Caller frees.
 */
static char *
runner_why_stopped(const struct run *r)
{
	const struct plan	*p = r->plan;
	struct buf		 b;
	size_t			 i, never = 0;

	buf_init(&b);
	if (runner_stopping(r))
		buf_addf(&b, "interrupted by a signal: %zu of %zu targets "
		    "final", runner_final_count(r), p->ntargets);
	else if (r->env_error)
		buf_adds(&b, "the API could not be reached");
	else if (r->journal_error)
		buf_adds(&b, "the journal could not be written");
	for (i = 0; i < p->ngroups; i++) {
		const struct run_group	*rg = &r->groups[p->groups[i].index];

		if (rg->aborted != NULL && rg->begun != 0)
			buf_addf(&b, "%s%s", b.len > 0 ? "; " : "",
			    rg->aborted);
	}
	for (i = 0; i < p->ngroups; i++) {
		const struct run_group	*rg = &r->groups[p->groups[i].index];

		if (rg->begun == 0 && b.len > 0)
			buf_addf(&b, "%s%s", never++ == 0 ?
			    "; not started: " : ", ", rg->pg->group->name);
	}
	if (b.len == 0) {
		buf_free(&b);
		return (NULL);
	}
	return (buf_detach(&b));
}

/*
 * The recap on stderr: one line per group, why the run stopped, the
 * first failed targets with their reason.  The counts use the words of
 * the summary line.
 */
static void
runner_recap(const struct run *r, const char *why)
{
	const struct plan	*p = r->plan;
	size_t			 i, j, n[4], sched, shown = 0, nfail = 0;

	for (i = 0; i < p->ngroups; i++) {
		const struct run_group	*rg = &r->groups[p->groups[i].index];

		memset(n, 0, sizeof(n));
		for (j = 0, sched = 0; j < rg->pg->group->ntargets; j++) {
			const struct run_target	*t = &rg->targets[j];

			/* Undecided is an error, as in the report. */
			n[t->phase == RUN_DONE ? t->outcome : REPORT_ERROR]++;
			/* Accepted, not due yet: runner_leftovers. */
			sched += t->outcome == REPORT_SKIPPED && t->fine &&
			    t->scheduled && t->requested_at != 0;
		}
		msg_info("%s: %s%s", rg->pg->group->name, msg_counts(n, sched,
		    0), rg->begun == 0 ? msg_paint(MSG_NEUTRAL,
		    " (not started)") : rg->aborted != NULL ?
		    msg_paint(MSG_BAD, " (stopped)") : "");
	}
	if (why != NULL)
		msg_info("%s %s", msg_paint(MSG_BAD, "stopped:"), why);
	for (i = 0; i < p->ngroups; i++) {
		const struct run_group	*rg = &r->groups[p->groups[i].index];

		for (j = 0; j < rg->pg->group->ntargets; j++) {
			const struct run_target	*t = &rg->targets[j];

			if (t->outcome != REPORT_FAILURE &&
			    t->outcome != REPORT_ERROR)
				continue;
			if (nfail++ < RUNNER_RECAP_FAILURES)
				msg_info("  %s %s: %s: %s", t->tg->resource,
				    t->tg->event, msg_paint(MSG_BAD, "%s",
				    t->type != NULL ? t->type : "error"),
				    t->message != NULL ? t->message : "");
			else
				shown++;
		}
	}
	if (shown > 0)
		msg_info("  and %zu more failed or errors: see the report",
		    shown);
}

/*
 * After the recap: the targets a resume left in doubt, why, and the
 * command that settles them, or that tries again when the events can
 * be read.  Another plain --resume would end the same way.
 */
static void
runner_doubt_advice(const struct run *r)
{
	const char	*args = r->opts->resume_args != NULL ?
	    r->opts->resume_args : "MANIFEST";
	const char	*adopt = r->opts->adopt ? " --adopt-status" : "";
	size_t		 n;

	if ((n = r->doubt[RUN_DOUBT_ADOPTABLE]) > 0) {
		msg_info("%zu target%s in doubt: %s now Executing or Executed, "
		    "but with no status from before the request (no preflight) "
		    "the events cannot tell whether the request did it; "
		    "none was sent again, and a plain --resume ends the same "
		    "way",
		    n, n == 1 ? "" : "s", n == 1 ? "its event is" :
		    "their events are");
		if (r->opts->adopt)
			msg_info("--adopt-status needs the preflight: resume "
			    "without --no-preflight");
		else
			msg_info("settle %s from %s event%s current status "
			    "(followed like accepted requests, never sent "
			    "again) with: ensbatch apply --resume "
			    "--adopt-status %s", n == 1 ? "it" : "them",
			    n == 1 ? "its" : "their", n == 1 ? "'s" : "s'",
			    args);
	}
	if ((n = r->doubt[RUN_DOUBT_UNREAD]) > 0)
		msg_info("%zu target%s in doubt: the events could not be read, "
		    "none was sent again; when DescribeHistoryEvents answers: "
		    "ensbatch apply --resume%s %s", n, n == 1 ? "" : "s", adopt,
		    args);
	if ((n = r->doubt[RUN_DOUBT_MISSING]) > 0)
		msg_info("%zu target%s in doubt: DescribeHistoryEvents does "
		    "not list %s event for %s instance; check the account and "
		    "endpoint, then: ensbatch apply --resume%s %s", n, n == 1 ?
		    "" : "s", n == 1 ? "its" : "their", n == 1 ? "its" :
		    "their", adopt, args);
	if ((n = r->adopted) > 0)
		msg_info("%zu target%s in doubt adopted from %s event%s status "
		    "(--adopt-status): followed, not sent", n, n == 1 ? "" :
		    "s", n == 1 ? "its" : "their", n == 1 ? "'s" : "s'");
}

/*
 * An interrupted or stopped run must not look green in a viewer: a
 * failing "(run)" case says why, in the first suite, which readers show
 * first and which carries the run's properties.
 */
static void
runner_run_case(struct report *rep, const struct run *r, const char *why)
{
	struct report_suite	*rs;
	char			*cls, *out, t[TIMEFMT_LEN];
	int64_t			 now = timefmt_now();

	if (why == NULL)
		return;
	rs = report_suite_add_first(rep, "(run)", now);
	cls = xasprintf("%s.(run)", r->plan->manifest->name.text);
	timefmt_utc(now, t, sizeof(t));
	/* An interruption's reason has the count already. */
	out = runner_stopping(r) ? xasprintf("the run ended at %s\n", t) :
	    xasprintf("the run ended at %s\n%zu of %zu targets final\n", t,
	    runner_final_count(r), r->plan->ntargets);
	report_case_add(rs, cls, "run", 0, REPORT_FAILURE, runner_stopping(r) ?
	    "Interrupted" : "Stopped", why, out);
	free(out);
	free(cls);
}

static void
runner_setup(struct run *r, const struct plan *p)
{
	const struct manifest	*m = p->manifest;
	size_t			 i, j, k;

	r->groups = xcalloc(m->ngroups + 1, sizeof(*r->groups));
	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group	*pg = &p->groups[i];
		struct run_group	*rg = &r->groups[pg->index];

		rg->pg = pg;
		rg->budget = plan_failure_budget(pg->group->policy,
		    pg->group->ntargets);
		rg->targets = xcalloc(pg->group->ntargets + 1,
		    sizeof(*rg->targets));
		for (j = 0; j < pg->group->ntargets; j++) {
			rg->targets[j].tg = &pg->group->targets[j];
			rg->targets[j].rg = rg;
			buf_init(&rg->targets[j].notes);
		}
		for (k = 0; k < pg->nbatches; k++) {
			const struct plan_batch	*b = &pg->batches[k];

			for (j = b->first; j < b->first + b->count; j++) {
				rg->targets[j].batch = k;
				rg->targets[j].scheduled = b->plan_time !=
				    PLAN_NO_TIME;
				rg->targets[j].plan_time = b->plan_time;
			}
		}
	}
}

/* Decide the exit code, then free the run. */
static int
runner_teardown(struct run *r)
{
	const struct plan	*p = r->plan;
	size_t			 i, j;
	int			 bad = 0, rc;

	for (i = 0; i < p->ngroups; i++) {
		struct run_group	*rg = &r->groups[p->groups[i].index];

		for (j = 0; j < rg->pg->group->ntargets; j++) {
			struct run_target	*t = &rg->targets[j];

			if (t->phase != RUN_DONE || (t->outcome !=
			    REPORT_PASSED && !t->fine))
				bad = 1;
			free(t->type);
			free(t->message);
			free(t->request_id);
			free(t->event_status);
			free(t->instance_status);
			free(t->check_out);
			probe_free(t->probe);
			buf_free(&t->notes);
		}
		free(rg->targets);
		free(rg->aborted);
	}
	free(r->groups);
	if (runner_stopping(r))
		rc = EXIT_INTERRUPTED;
	else if ((r->env_error || r->journal_error) && !r->reached)
		rc = EXIT_ENV;
	else
		rc = bad ? EXIT_FAILED : EXIT_OK;
	return (rc);
}

int
runner_run(const struct plan *p, const struct preflight *pf,
    struct ens_client *ens, const struct runner_opts *opts,
    struct report **out)
{
	struct run	 r;
	size_t		 i, nsched;
	char		*why, t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	int64_t		 first, last;

	memset(&r, 0, sizeof(r));
	r.plan = p;
	r.pf = pf;
	r.ens = ens;
	r.opts = opts;
	runner_setup(&r, p);
	if (opts->resume)
		runner_resume(&r);
	for (i = 0; i < p->ngroups; i++) {
		struct run_group		*rg = &r.groups[p->groups[i].index];
		const struct manifest_group	*g = rg->pg->group;

		if (!runner_halted(&r) && (why = runner_gate(&r, g)) != NULL) {
			rg->aborted = why;
			runner_skip_group(&r, rg, why);
			msg_info("%s: %s", g->name, why);
			continue;
		}
		if (runner_halted(&r)) {
			runner_skip_group(&r, rg, runner_halt_reason(&r));
			continue;
		}
		rg->begun = timefmt_now();
		if (g->policy->r_ops == OPS_IMMEDIATE)
			runner_immediate(&r, rg);
		else
			runner_scheduled(&r, rg);
		runner_skip_group(&r, rg, runner_halt_reason(&r));
	}
	for (i = 0; opts->wait && i < p->ngroups && !runner_halted(&r); i++) {
		struct run_group	*rg = &r.groups[p->groups[i].index];

		runner_settle_group(&r, rg);
		runner_group_finished(&r, rg);
	}
	nsched = runner_leftovers(&r, &first, &last);
	msg_live_end();
	if (nsched > 0) {
		timefmt_utc(first, t1, sizeof(t1));
		timefmt_utc(last, t2, sizeof(t2));
		msg_info("%s (first %s, last %s): follow with ensbatch "
		    "status", msg_paint(MSG_NEUTRAL, "%zu scheduled", nsched),
		    t1, t2);
	}
	why = runner_why_stopped(&r);
	if (!opts->quiet) {
		runner_recap(&r, why);
		runner_doubt_advice(&r);
	}
	*out = report_new(p->manifest->name.text);
	runner_fill_report(&r, *out);
	runner_run_case(*out, &r, why);
	free(why);
	return (runner_teardown(&r));
}

/* ------------------------------------------------------------------ */
/* ensbatch status: the true outcomes, read-only. */

/* Count one target into its group's tally. */
static void
runner_tally_add(struct runner_tally *ty, const struct run_target *t,
    const struct journal_event *je)
{
	if (je == NULL || je->state == JOURNAL_NONE ||
	    je->state == JOURNAL_NOT_SENT) {
		ty->not_requested++;
		return;
	}
	ty->requested++;
	if (t->phase == RUN_SETTLING) {
		if (t->requested_at > timefmt_now())
			ty->scheduled++;
		else
			ty->executing++;
	} else if (t->outcome == REPORT_PASSED)
		ty->settled++;
	else if (t->outcome == REPORT_FAILURE || t->outcome == REPORT_ERROR)
		ty->failed++;
	else
		ty->executing++;
}

/*
 * What the targets still followed become in a status report: not due
 * yet, or executing (in progress, not failed).
 */
static int
runner_status_leftovers(struct run *r)
{
	const struct plan	*p = r->plan;
	size_t			 i, j;
	char			 t[TIMEFMT_LEN], *why;
	int			 pending = 0;

	for (i = 0; i < p->ngroups; i++) {
		struct run_group	*rg = &r->groups[p->groups[i].index];

		for (j = 0; j < rg->pg->group->ntargets; j++) {
			struct run_target	*rt = &rg->targets[j];

			if (rt->phase == RUN_IDLE) {
				runner_decide(r, rt, REPORT_SKIPPED, NULL,
				    "never requested");
				rt->fine = 1;
				continue;
			}
			if (rt->phase != RUN_SETTLING)
				continue;
			pending = 1;
			timefmt_utc(rt->requested_at, t, sizeof(t));
			why = rt->requested_at > timefmt_now() ?
			    xasprintf("scheduled for %s: not executed yet", t) :
			    xasprintf("requested at %s: not settled yet "
			    "(event %s, instance %s)", t, rt->event_status !=
			    NULL ? rt->event_status : "unknown",
			    rt->instance_status != NULL ? rt->instance_status :
			    "unknown");
			/* Still settling for the tally; skipped in the report. */
			rt->outcome = REPORT_SKIPPED;
			runner_set(&rt->message, why);
			rt->fine = 1;
			free(why);
		}
	}
	return (pending);
}

int
runner_status(const struct plan *p, struct ens_client *ens,
    const struct runner_opts *opts, struct report **out,
    struct runner_tally **tally)
{
	struct run	 r;
	size_t		 i, j, failed = 0;
	int		 pending, rc;

	memset(&r, 0, sizeof(r));
	r.plan = p;
	r.ens = ens;
	r.opts = opts;
	r.observe = 1;
	runner_setup(&r, p);
	runner_resume(&r);
	/* Those in doubt that the events could not confirm. */
	for (i = 0; i < p->ngroups; i++) {
		struct run_group	*rg = &r.groups[p->groups[i].index];

		for (j = 0; j < rg->pg->group->ntargets; j++) {
			struct run_target		*t = &rg->targets[j];
			const struct journal_event	*je;

			je = journal_lookup(opts->journal, t->tg->event);
			if (t->phase == RUN_IDLE && je != NULL &&
			    (je->state == JOURNAL_UNKNOWN ||
			    je->state == JOURNAL_FAILED))
				runner_decide(&r, t, je->state ==
				    JOURNAL_FAILED ? REPORT_FAILURE :
				    REPORT_ERROR, je->state == JOURNAL_FAILED ?
				    "Refused" : "OutcomeUnknown", je->detail !=
				    NULL ? je->detail : "outcome unknown: the "
				    "events show no change");
		}
	}
	for (i = 0; i < p->ngroups && !runner_stopping(&r); i++) {
		struct run_group	*rg = &r.groups[p->groups[i].index];
		struct run_target	**ts;
		size_t			  n = 0, k;

		ts = xcalloc(rg->pg->group->ntargets + 1, sizeof(*ts));
		for (j = 0; j < rg->pg->group->ntargets; j++) {
			if (rg->targets[j].phase == RUN_SETTLING &&
			    rg->targets[j].requested_at <= timefmt_now())
				ts[n++] = &rg->targets[j];
		}
		/* One look per chunk; --wait follows them to the end. */
		for (k = 0; !opts->wait && k < n; k += ENS_MAX_RESOURCES)
			runner_poll(&r, ts + k, n - k < ENS_MAX_RESOURCES ?
			    n - k : ENS_MAX_RESOURCES);
		free(ts);
		if (opts->wait)
			runner_settle_group(&r, rg);
	}
	pending = runner_status_leftovers(&r) || r.unchecked > 0;
	*tally = xcalloc(p->ngroups + 1, sizeof(**tally));
	for (i = 0; i < p->ngroups; i++) {
		struct run_group	*rg = &r.groups[p->groups[i].index];

		(*tally)[i].group = rg->pg->group->name;
		for (j = 0; j < rg->pg->group->ntargets; j++) {
			runner_tally_add(&(*tally)[i], &rg->targets[j],
			    journal_lookup(opts->journal,
			    rg->targets[j].tg->event));
			if (rg->targets[j].phase == RUN_SETTLING)
				rg->targets[j].phase = RUN_DONE;
		}
		failed += (*tally)[i].failed;
	}
	*out = report_new(p->manifest->name.text);
	runner_fill_report(&r, *out);
	rc = runner_teardown(&r);
	if (rc != EXIT_INTERRUPTED)
		rc = failed > 0 ? EXIT_FAILED : pending ? EXIT_PENDING :
		    EXIT_OK;
	return (rc);
}
