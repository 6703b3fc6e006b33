/*
 * Preflight: one paged DescribeHistoryEvents pass over the targets'
 * resources, and, only for events not found that way, a pass over all
 * reboot events (the event may belong to another instance) and one over
 * other event types (the event may not be a reboot).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/msg.h"
#include "ensbatch/preflight.h"
#include "ensbatch/testable.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define REBOOT_TYPES	ENS_REBOOT_EVENT
#define OTHER_TYPES	"Instance:SystemFailure.Reboot," \
			"Instance:SystemMaintenance.Redeploy," \
			"Instance:SystemFailure.Redeploy," \
			"Instance:SystemMaintenance.Stop," \
			"Instance:SystemFailure.Delete"

static const char *const final_status[] = {
	"Executed", "Executing", "Canceled", "Avoided", "Failed"
};

#define PREFLIGHT_REDRAW_MS	250	/* at most 4 redraws a second */

struct lookup {
	struct ens_event	*events;
	size_t			 n;
};

/* The live line's progress: when it was last drawn. */
struct preflight_progress {
	int64_t			 drawn;		/* monotonic ms, or -1 */
};

/* n with thousands separators ("1,200") into out, cut to len. */
TESTABLE void
preflight_thousands(size_t n, char *out, size_t len)
{
	char	digits[32];
	size_t	nd, i, o = 0;

	nd = (size_t)snprintf(digits, sizeof(digits), "%zu", n);
	for (i = 0; i < nd && o + 1 < len; i++) {
		if (i > 0 && (nd - i) % 3 == 0 && o + 2 < len)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/*
 * "preflight: 1,200 of 2,000 events" on the live line as chunks come
 * back: the first and the last count always, others at most every
 * PREFLIGHT_REDRAW_MS.
 */
static void
preflight_progress_cb(void *arg, size_t done, size_t total)
{
	struct preflight_progress	*pp = arg;
	char				 d[32], t[32];
	int64_t				 now;

	if (!msg_live_on())
		return;
	now = timefmt_mono();
	if (pp->drawn >= 0 && done > 0 && done < total &&
	    now - pp->drawn < PREFLIGHT_REDRAW_MS)
		return;
	pp->drawn = now;
	preflight_thousands(done, d, sizeof(d));
	preflight_thousands(total, t, sizeof(t));
	msg_live("preflight: %s of %s event%s", d, t, total == 1 ? "" : "s");
}

static int
preflight_event_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct ens_event *)a)->event,
	    ((const struct ens_event *)b)->event));
}

/* Sorted by event id, for lookups in O(log n). */
static void
preflight_lookup_sort(struct lookup *l)
{
	if (l->n > 1)
		qsort(l->events, l->n, sizeof(*l->events), preflight_event_cmp);
}

static const struct ens_event *
preflight_lookup_find(const struct lookup *l, const char *event)
{
	struct ens_event	key;

	if (l->n == 0)
		return (NULL);
	memset(&key, 0, sizeof(key));
	key.event = (char *)(uintptr_t)event;
	return (bsearch(&key, l->events, l->n, sizeof(*l->events),
	    preflight_event_cmp));
}

/*
 * Resources of the plan's targets; with found, only of those whose
 * event is not in it.  *n is the count.
 */
static const char **
preflight_resources(const struct plan *p, const struct lookup *found, size_t *n)
{
	const char	**res;
	size_t		  i, j;

	res = xcalloc(p->ntargets + 1, sizeof(*res));
	*n = 0;
	for (i = 0; i < p->ngroups; i++) {
		const struct manifest_group	*g = p->groups[i].group;

		for (j = 0; j < g->ntargets; j++) {
			if (found != NULL &&
			    preflight_lookup_find(found, g->targets[j].event) != NULL)
				continue;
			res[(*n)++] = g->targets[j].resource;
		}
	}
	return (res);
}

static int
preflight_ask(struct ens_client *c, const char *const *res, size_t n,
    const char *types, struct lookup *l, struct ens_reply *reply,
    struct preflight_progress *pp)
{
	struct ens_event	*ev = NULL;
	size_t			 nev = 0, i;

	if (ens_describe_events_progress(c, res, n, types, &ev, &nev, reply,
	    pp != NULL ? preflight_progress_cb : NULL, pp) != 0)
		return (-1);
	l->events = xreallocarray(l->events, l->n + nev + 1,
	    sizeof(*l->events));
	for (i = 0; i < nev; i++)
		l->events[l->n++] = ev[i];
	free(ev);		/* the strings moved to l */
	preflight_lookup_sort(l);
	return (0);
}

static int
preflight_is_final(const char *status)
{
	size_t	i;

	for (i = 0; i < sizeof(final_status) / sizeof(final_status[0]); i++) {
		if (strcmp(status, final_status[i]) == 0)
			return (1);
	}
	return (0);
}

/* The earliest PlanTime a target gets, or PLAN_NO_TIME. */
static int64_t
preflight_target_plan_time(const struct plan_group *pg, size_t j)
{
	size_t	k;

	for (k = 0; k < pg->nbatches; k++) {
		if (j >= pg->batches[k].first &&
		    j < pg->batches[k].first + pg->batches[k].count)
			return (pg->batches[k].plan_time);
	}
	return (PLAN_NO_TIME);
}

/* Judge one target against what the API said about its event. */
static void
preflight_judge_target(struct preflight *pf, const struct plan_group *pg, size_t j,
    const struct lookup *mine, const struct lookup *all,
    const struct lookup *other, struct diags *d)
{
	const struct target	*t = &pg->group->targets[j];
	const struct ens_event	*e;
	struct preflight_target	*pft = &pf->targets[pg->index][j];
	enum preflight_verdict	*v = &pft->verdict;
	char			 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	int64_t			 pt;

	if ((e = preflight_lookup_find(mine, t->event)) == NULL &&
	    (e = preflight_lookup_find(all, t->event)) == NULL &&
	    (e = preflight_lookup_find(other, t->event)) == NULL) {
		diags_add(d, DIAG_ERROR, t->event_pos, "event-missing",
		    "event %s was not found for instance %s", t->event,
		    t->resource);
		*v = PREFLIGHT_BAD;
		pf->errors++;
		return;
	}
	pft->status = xstrdup(e->status);
	if (strcmp(e->resource, t->resource) != 0) {
		diags_add(d, DIAG_ERROR, t->resource_pos, "event-resource",
		    "event %s belongs to instance %s, not %s", t->event,
		    e->resource, t->resource);
		*v = PREFLIGHT_BAD;
		pf->errors++;
		return;
	}
	if (strstr(e->type, ENS_REBOOT_TYPE) == NULL) {
		diags_add(d, DIAG_ERROR, t->event_pos, "event-type",
		    "event %s is a %s event, not %s", t->event, e->type,
		    ENS_REBOOT_TYPE);
		*v = PREFLIGHT_BAD;
		pf->errors++;
		return;
	}
	if (preflight_is_final(e->status)) {
		diags_add(d, DIAG_WARNING, t->event_pos, "event-status",
		    "event %s is %s: nothing to do, it will be skipped",
		    t->event, e->status);
		*v = PREFLIGHT_DONE;
		pft->reason = xasprintf("event already %s",
		    e->status);
		pf->done++;
		return;
	}
	pt = preflight_target_plan_time(pg, j);
	if (pt != PLAN_NO_TIME && e->not_before == pt &&
	    strcmp(e->status, "Scheduled") == 0) {
		/* Scheduled for exactly this time already (an earlier run). */
		*v = PREFLIGHT_DONE;
		pft->reason = xstrdup("event already Scheduled "
		    "at this PlanTime");
		pf->done++;
		return;
	}
	if (pt != PLAN_NO_TIME && e->not_before >= 0 && pt >= e->not_before) {
		timefmt_utc(pt, t1, sizeof(t1));
		timefmt_utc(e->not_before, t2, sizeof(t2));
		diags_add(d, DIAG_ERROR, t->event_pos, "event-deadline",
		    "PlanTime %s is not before the event's NotBefore %s: the "
		    "platform would reboot %s first", t1, t2, t->resource);
		*v = PREFLIGHT_BAD;
		pf->errors++;
	}
}

struct preflight *
preflight_run(const struct plan *p, struct ens_client *c, struct diags *d,
    struct ens_reply *reply)
{
	struct preflight	*pf;
	struct lookup		 mine = { NULL, 0 }, all = { NULL, 0 };
	struct lookup		 other = { NULL, 0 };
	struct preflight_progress pp = { -1 };
	const struct manifest	*m = p->manifest;
	const char		**res = NULL;
	char			 count[32];
	size_t			 nres, i, j;
	int			 failed = 1;

	pf = xcalloc(1, sizeof(*pf));
	pf->ngroups = m->ngroups;
	pf->targets = xcalloc(m->ngroups + 1, sizeof(*pf->targets));
	pf->ntargets = xcalloc(m->ngroups + 1, sizeof(*pf->ntargets));
	for (i = 0; i < m->ngroups; i++) {
		pf->ntargets[i] = m->groups[i].ntargets;
		pf->targets[i] = xcalloc(m->groups[i].ntargets + 1,
		    sizeof(**pf->targets));
	}

	res = preflight_resources(p, NULL, &nres);
	if (nres > 0) {
		preflight_progress_cb(&pp, 0, nres);
		if (preflight_ask(c, res, nres, REBOOT_TYPES, &mine, reply,
		    &pp) != 0)
			goto out;
	}
	free(res);
	/* Events not found: maybe another instance's, or another type. */
	res = preflight_resources(p, &mine, &nres);
	if (nres > 0) {
		preflight_thousands(nres, count, sizeof(count));
		msg_live("preflight: looking for %s event%s not found", count,
		    nres == 1 ? "" : "s");
		if (preflight_ask(c, NULL, 0, REBOOT_TYPES, &all, reply,
		    NULL) != 0)
			goto out;
		if (preflight_ask(c, res, nres, OTHER_TYPES, &other, reply,
		    NULL) != 0)
			goto out;
	}
	for (i = 0; i < p->ngroups; i++) {
		for (j = 0; j < p->groups[i].group->ntargets; j++)
			preflight_judge_target(pf, &p->groups[i], j, &mine, &all, &other,
			    d);
	}
	failed = 0;
out:
	/* What comes next (findings, a question) starts on a clean line. */
	if (pp.drawn >= 0)
		msg_live_end();
	free(res);
	ens_events_free(mine.events, mine.n);
	ens_events_free(all.events, all.n);
	ens_events_free(other.events, other.n);
	if (failed) {
		preflight_free(pf);
		pf = NULL;
	}
	return (pf);
}

void
preflight_free(struct preflight *pf)
{
	size_t	i, j;

	if (pf == NULL)
		return;
	for (i = 0; i < pf->ngroups; i++) {
		for (j = 0; j < pf->ntargets[i]; j++) {
			free(pf->targets[i][j].reason);
			free(pf->targets[i][j].status);
		}
		free(pf->targets[i]);
	}
	free(pf->ntargets);
	free(pf->targets);
	free(pf);
}
