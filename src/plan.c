/*
 * The plan: a pure function of the validated manifest and "now".  It is
 * what reviewers approve, so the text, JSON and Markdown forms all carry
 * the same facts, and the dry-run report is derived from it too.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <jansson.h>

#include "ensbatch/safefile.h"
#include "ensbatch/buf.h"
#include "ensbatch/creds.h"
#include "ensbatch/diag.h"
#include "ensbatch/hash.h"
#include "ensbatch/plan.h"
#include "ensbatch/rules.h"
#include "ensbatch/testable.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Estimates saturate here rather than overflow. */
#define PLAN_FOREVER	(INT64_MAX / 4)

/* a + b for non-negative estimates, saturating at PLAN_FOREVER. */
static int64_t
plan_add(int64_t a, int64_t b)
{
	return (a >= PLAN_FOREVER - b ? PLAN_FOREVER : a + b);
}

/* n * v for non-negative estimates, saturating at PLAN_FOREVER. */
static int64_t
plan_mul(size_t n, int64_t v)
{
	if (v != 0 && n > (size_t)(PLAN_FOREVER / v))
		return (PLAN_FOREVER);
	return ((int64_t)n * v);
}

/* The longest a reboot of this policy takes to count as done. */
static int64_t
plan_settle_bound(const struct policy *pol)
{
	return (plan_add(pol->r_settle_timeout, pol->r_check != NULL ?
	    pol->r_check_timeout : 0));
}

/*
 * Place one group on the run's timeline at *t (ms epoch): wait for the
 * groups it is after to settle and soak, then its calls; an immediate
 * group settles each batch and pauses, a scheduled one only registers
 * its PlanTimes (they settle later, by settled_by).  Advances *t.
 */
static void
plan_place(struct plan *p, struct plan_group *pg, struct plan_group **at,
    int64_t *t)
{
	const struct manifest_group	*g = pg->group;
	const struct policy		*pol = g->policy;
	const struct plan_group		*dep;
	int64_t				 ready = *t, r, last;
	size_t				 j;

	for (j = 0; j < g->r_nafter; j++) {
		if ((dep = at[g->r_after[j]]) == NULL || dep == pg)
			continue;	/* not placed yet: a cycle */
		r = plan_add(dep->settled_by, dep->group->policy != NULL &&
		    dep->group->policy->ok ? dep->group->policy->r_soak : 0);
		if (r > ready)
			ready = r;
	}
	pg->wait = ready - *t;
	pg->settled_by = ready;
	if (pg->nbatches == 0) {
		*t = ready;
		return;
	}
	if (pol->r_ops == OPS_IMMEDIATE) {
		pg->estimate = plan_add(plan_mul(pg->nbatches, plan_add(
		    PLAN_CALL_ESTIMATE, plan_settle_bound(pol))),
		    plan_mul(pg->nbatches - 1, pol->r_pause));
		pg->settled_by = plan_add(ready, pg->estimate);
		*t = pg->settled_by;
		return;
	}
	pg->estimate = plan_mul(pg->nbatches, PLAN_CALL_ESTIMATE);
	*t = plan_add(ready, pg->estimate);
	last = pg->batches[pg->nbatches - 1].plan_time;
	pg->settled_by = plan_add(last, plan_settle_bound(pol));
	if (pg->settled_by < *t)
		pg->settled_by = *t;
	if (p->last_plan_time == PLAN_NO_TIME || last > p->last_plan_time)
		p->last_plan_time = last;
}

struct plan *
plan_build(const struct manifest *m, int64_t now)
{
	struct plan		*p;
	struct plan_group	**at;
	size_t			 i, k, oi;
	int64_t			 t = now;

	p = xcalloc(1, sizeof(*p));
	p->manifest = m;
	p->now = now;
	p->last_plan_time = PLAN_NO_TIME;
	p->settled_by = now;
	p->groups = xcalloc(m->ngroups + 1, sizeof(*p->groups));
	at = xcalloc(m->ngroups + 1, sizeof(*at));
	for (oi = 0; oi < m->ngroups; oi++) {
		const struct manifest_group	*g;
		const struct policy	*pol;
		struct plan_group	*pg;
		size_t			 bs = 0;

		i = m->r_order != NULL ? m->r_order[oi] : oi;
		g = &m->groups[i];
		pol = g->policy;
		pg = &p->groups[p->ngroups++];
		pg->group = g;
		pg->index = i;
		at[i] = pg;
		if (pol != NULL && pol->ok && g->ntargets > 0) {
			bs = (size_t)pol->r_batch_size;
			pg->nbatches = (g->ntargets + bs - 1) / bs;
			pg->batches = xcalloc(pg->nbatches,
			    sizeof(*pg->batches));
		}
		/*
		 * rules_check bounds start and stagger so that no PlanTime
		 * passes TIMEFMT_MAX_TIME: this cannot overflow.
		 */
		for (k = 0; k < pg->nbatches; k++) {
			struct plan_batch	*b = &pg->batches[k];

			b->first = k * bs;
			b->count = g->ntargets - b->first < bs ?
			    g->ntargets - b->first : bs;
			b->plan_time = pol->r_ops == OPS_SCHEDULED ?
			    pol->r_start + (int64_t)k * pol->r_stagger :
			    PLAN_NO_TIME;
		}
		plan_place(p, pg, at, &t);
		if (pg->settled_by > p->settled_by)
			p->settled_by = pg->settled_by;
		p->ntargets += pg->nbatches > 0 ? g->ntargets : 0;
		p->nbatches += pg->nbatches;
	}
	p->estimate = t - now;
	free(at);
	return (p);
}

void
plan_free(struct plan *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ngroups; i++)
		free(p->groups[i].batches);
	free(p->groups);
	free(p);
}

int64_t
plan_failure_budget(const struct policy *pol, size_t ntargets)
{
	if (pol->r_max_fail_pct)
		return ((int64_t)ntargets * pol->r_max_failures / 100);
	return (pol->r_max_failures);
}

static const char *
plan_ops_name(enum ops ops)
{
	return (ops == OPS_SCHEDULED ? "scheduled" : "immediate");
}

/* One line describing a group's policy, shared by text and Markdown. */
static char *
plan_policy_line(const struct plan_group *pg)
{
	const struct policy	*pol = pg->group->policy;
	struct buf		 b;
	char			 d[TIMEFMT_LEN];

	buf_init(&b);
	buf_addf(&b, "%s, batch_size %d", plan_ops_name(pol->r_ops),
	    pol->r_batch_size);
	if (pol->r_ops == OPS_IMMEDIATE) {
		timefmt_duration_str(pol->r_pause, d, sizeof(d));
		buf_addf(&b, ", pause %s", d);
	} else {
		timefmt_duration_str(pol->r_stagger, d, sizeof(d));
		buf_addf(&b, ", stagger %s", d);
	}
	if (pol->r_max_fail_pct)
		buf_addf(&b, ", max_failures %" PRId64 "%% (%" PRId64 ")",
		    pol->r_max_failures, plan_failure_budget(pol,
		    pg->group->ntargets));
	else
		buf_addf(&b, ", max_failures %" PRId64, pol->r_max_failures);
	timefmt_duration_str(pol->r_settle_timeout, d, sizeof(d));
	buf_addf(&b, ", settle_timeout %s", d);
	if (pol->r_check != NULL) {
		timefmt_duration_str(pol->r_check_timeout, d, sizeof(d));
		buf_addf(&b, ", check timeout %s", d);
		timefmt_duration_str(pol->r_check_interval, d, sizeof(d));
		buf_addf(&b, " every %s", d);
	}
	if (pol->r_soak > 0) {
		timefmt_duration_str(pol->r_soak, d, sizeof(d));
		buf_addf(&b, ", soak %s", d);
	}
	return (buf_detach(&b));
}

/* A check command for a line of text: control characters as '?'. */
static char *
plan_check_text(const char *cmd)
{
	char	*s = xstrdup(cmd), *q;

	for (q = s; *q != '\0'; q++) {
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			*q = '?';
	}
	return (s);
}

/* "1 target", "2 targets": n and the noun in the right number. */
static const char *
plan_plural(size_t n, const char *one, const char *many)
{
	return (n == 1 ? one : many);
}

/*
 * The reboot window (first to last PlanTime, and whether immediate
 * batches run first), shared by text (prefix "") and Markdown ("- ").
 */
static void
plan_window_line(const struct plan *p, const char *prefix, FILE *f)
{
	const char	*zone = p->manifest->r_zone;
	char		 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	char		 t3[TIMEFMT_LEN], t4[TIMEFMT_LEN];
	int64_t		 first = PLAN_NO_TIME;
	size_t		 i, k, immediate = 0;

	for (i = 0; i < p->ngroups; i++) {
		for (k = 0; k < p->groups[i].nbatches; k++) {
			int64_t	pt = p->groups[i].batches[k].plan_time;

			if (pt == PLAN_NO_TIME)
				immediate++;
			else if (first == PLAN_NO_TIME || pt < first)
				first = pt;
		}
	}
	fprintf(f, "%sReboot window: ", prefix);
	if (immediate > 0)
		fprintf(f, "%zu immediate %s from the start of apply%s",
		    immediate, plan_plural(immediate, "batch", "batches"),
		    first == PLAN_NO_TIME ? "\n" : "; ");
	if (first == PLAN_NO_TIME)
		return;
	timefmt_local(first, zone, t1, sizeof(t1));
	timefmt_utc(first, t2, sizeof(t2));
	timefmt_local(p->last_plan_time, zone, t3, sizeof(t3));
	timefmt_utc(p->last_plan_time, t4, sizeof(t4));
	fprintf(f, "PlanTimes from %s (%s) to %s (%s)\n", t1, t2, t3, t4);
}

/*
 * The totals, the window, when the last scheduled reboot happens, when
 * every reboot has settled at the latest (settle timeouts, checks,
 * pauses and soaks counted), and how long apply itself runs; shared by
 * text (prefix "") and Markdown ("- ").
 */
static void
plan_totals(const struct plan *p, const char *prefix, FILE *f)
{
	const char	*zone = p->manifest->r_zone;
	char		 d[TIMEFMT_LEN], t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	int64_t		 end = plan_add(p->now, p->estimate);

	fprintf(f, "%sTotals: %zu %s, %zu %s, %zu %s\n", prefix, p->ngroups,
	    plan_plural(p->ngroups, "group", "groups"), p->nbatches,
	    plan_plural(p->nbatches, "batch", "batches"), p->ntargets,
	    plan_plural(p->ntargets, "target", "targets"));
	if (p->nbatches == 0)
		return;
	plan_window_line(p, prefix, f);
	if (p->last_plan_time != PLAN_NO_TIME) {
		timefmt_local(p->last_plan_time, zone, t1, sizeof(t1));
		timefmt_utc(p->last_plan_time, t2, sizeof(t2));
		fprintf(f, "%sLast scheduled reboot: PlanTime %s (%s)\n",
		    prefix, t1, t2);
	}
	timefmt_local(p->settled_by, zone, t1, sizeof(t1));
	timefmt_utc(p->settled_by, t2, sizeof(t2));
	timefmt_duration_str(p->settled_by - p->now, d, sizeof(d));
	fprintf(f, "%sEstimated end: every reboot settled by %s (%s) at the "
	    "latest, %s after now (an upper bound: every reboot counted at "
	    "its full settle_timeout and check timeout, with every pause "
	    "and soak)\n", prefix, t1, t2, d);
	timefmt_duration_str(p->estimate, d, sizeof(d));
	timefmt_local(end, zone, t1, sizeof(t1));
	fprintf(f, "%sEstimated duration of apply: at most %s, until %s%s\n",
	    prefix, d, t1, p->settled_by > end ? "; the scheduled reboots "
	    "settle after it returns (ensbatch status follows them)" : "");
}

/*
 * The account the plan is for: the endpoint and the access key as the
 * plan file pins it; shared by text (prefix "") and Markdown ("- ",
 * code spans).
 */
static void
plan_account_lines(const struct plan_context *ctx, const char *prefix,
    int md, FILE *f)
{
	const struct plan_account	*a = ctx != NULL ? ctx->account : NULL;
	const char			*q = md ? "`" : "";

	if (a == NULL)
		return;
	fprintf(f, "%sEndpoint: %s%s%s\n", prefix, q, a->endpoint, q);
	switch (a->key) {
	case PLAN_KEY_NOT_ASKED:
		break;
	case PLAN_KEY_NONE:
		fprintf(f, "%sAccess key: not pinned (no credentials when "
		    "planned): apply --plan checks the endpoint only\n",
		    prefix);
		break;
	case PLAN_KEY_TEMPORARY:
		fprintf(f, "%sAccess key: not pinned (temporary credentials "
		    "have a new id each session): apply --plan checks the "
		    "endpoint only\n", prefix);
		break;
	case PLAN_KEY_PINNED:
		fprintf(f, "%sAccess key: %s%s%s, pinned: apply --plan "
		    "refuses any other\n", prefix, q, a->key_masked, q);
		break;
	}
}

/*
 * How long a group waits before it starts, if at all: a line for text
 * (prefix "  ") and Markdown ("- ").
 */
static void
plan_wait_line(const struct plan_group *pg, const char *prefix, FILE *f)
{
	char	d[TIMEFMT_LEN];

	if (pg->wait <= 0)
		return;
	timefmt_duration_str(pg->wait, d, sizeof(d));
	fprintf(f, "%swaits up to %s for the groups it is after to settle and "
	    "soak\n", prefix, d);
}

/*
 * When a group's reboots settle and how long it takes itself, shared by
 * text (prefix "  ") and Markdown ("- ").
 */
static void
plan_group_lines(const struct plan *p, const struct plan_group *pg,
    const char *prefix, FILE *f)
{
	const struct policy	*pol = pg->group->policy;
	char			 d[TIMEFMT_LEN], t[TIMEFMT_LEN];

	if (pol->r_ops == OPS_SCHEDULED) {
		timefmt_local(pg->settled_by, p->manifest->r_zone, t,
		    sizeof(t));
		fprintf(f, "%sreboots settled by %s at the latest (last "
		    "PlanTime + settle_timeout%s)\n", prefix, t,
		    pol->r_check != NULL ? " + check timeout" : "");
		timefmt_duration_str(pg->estimate, d, sizeof(d));
		fprintf(f, "%sestimated duration %s (the calls)\n", prefix, d);
	} else {
		timefmt_duration_str(pg->estimate, d, sizeof(d));
		fprintf(f, "%sestimated duration at most %s (settle_timeout%s "
		    "and pauses)\n", prefix, d, pol->r_check != NULL ?
		    ", check timeout" : "");
	}
}

/* A group's after list, at most max names (0: all) and a count. */
static char *
plan_after_list(const struct manifest_group *g, size_t max)
{
	struct buf	b;
	size_t		i;

	buf_init(&b);
	for (i = 0; i < g->nafter && (max == 0 || i < max); i++)
		buf_addf(&b, "%s%s", i == 0 ? "" : ", ", g->after[i]);
	if (i < g->nafter)
		buf_addf(&b, " and %zu more", g->nafter - i);
	return (buf_detach(&b));
}

static void
plan_print_text(const struct plan *p, const struct plan_context *ctx,
    FILE *f)
{
	const struct manifest	*m = p->manifest;
	char			 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	char			 d[TIMEFMT_LEN], *line, *after;
	size_t			 i, k;

	fprintf(f, "Plan for %s", m->name.text);
	if (m->ticket.text != NULL)
		fprintf(f, " (ticket %s)", m->ticket.text);
	fprintf(f, "\nManifest: %s\n  sha256 %s\n", m->path, m->sha256);
	plan_account_lines(ctx, "", 0, f);
	timefmt_local(p->now, m->r_zone, t1, sizeof(t1));
	timefmt_utc(p->now, t2, sizeof(t2));
	fprintf(f, "Now: %s (%s)\n", t1, t2);
	plan_totals(p, "", f);
	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group	*pg = &p->groups[i];
		const struct manifest_group	*g = pg->group;
		const struct policy	*pol = g->policy;

		fprintf(f, "\nGroup %s", g->name);
		if (g->nafter > 0) {
			after = plan_after_list(g, 0);
			fprintf(f, " (after %s)", after);
			free(after);
		}
		if (pg->nbatches == 0) {
			fputs(": no targets\n", f);
			continue;
		}
		line = plan_policy_line(pg);
		fprintf(f, ": policy %s: %s\n", pol->name != NULL ?
		    pol->name : "(inline)", line);
		free(line);
		if (pol->r_check != NULL) {
			line = plan_check_text(pol->r_check);
			fprintf(f, "  check: %s\n", line);
			free(line);
		}
		plan_wait_line(pg, "  ", f);
		for (k = 0; k < pg->nbatches; k++) {
			const struct plan_batch	*b = &pg->batches[k];

			snprintf(d, sizeof(d), "%zu %s", b->count,
			    plan_plural(b->count, "target", "targets"));
			fprintf(f, "  batch %zu/%zu  %-10s  ", k + 1,
			    pg->nbatches, d);
			if (b->plan_time == PLAN_NO_TIME) {
				fputs("immediate", f);
				if (k + 1 < pg->nbatches && pol->r_pause > 0) {
					timefmt_duration_str(pol->r_pause, d,
					    sizeof(d));
					fprintf(f, ", then pause %s", d);
				}
				fputc('\n', f);
			} else {
				timefmt_local(b->plan_time, m->r_zone, t1,
				    sizeof(t1));
				timefmt_utc(b->plan_time, t2, sizeof(t2));
				fprintf(f, "PlanTime %s (%s)\n", t1, t2);
			}
		}
		plan_group_lines(p, pg, "  ", f);
	}
}

/*
 * Markdown text (a table cell or a line): every ASCII punctuation
 * character Markdown gives a meaning is escaped, so that a ticket,
 * path or name is shown as written (no emphasis, links, HTML, broken
 * tables); control characters become spaces.
 */
static void
plan_md_cell(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			fputc(' ', f);
		else if (strchr("\\`*_[]<>|~&", *s) != NULL) {
			fputc('\\', f);
			fputc(*s, f);
		} else
			fputc(*s, f);
	}
}

/*
 * A code span (never in a table): fenced by one backtick more than the
 * longest run inside, padded when it starts or ends with one; control
 * characters become spaces.
 */
static void
plan_md_code(FILE *f, const char *s)
{
	size_t	run = 0, longest = 0, i, len = strlen(s);
	int	pad;

	for (i = 0; i < len; i++) {
		run = s[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = len > 0 && (s[0] == '`' || s[len - 1] == '`');
	for (i = 0; i <= longest; i++)
		fputc('`', f);
	if (pad)
		fputc(' ', f);
	for (i = 0; i < len; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fputc(' ', f);
		else
			fputc(s[i], f);
	}
	if (pad)
		fputc(' ', f);
	for (i = 0; i <= longest; i++)
		fputc('`', f);
}

/* How many of a list each level of detail shows first and last. */
static const size_t plan_md_batches[] = { 10, 5, 2, 1 };
static const size_t plan_md_groups[] = { 20, 8, 3, 1 };
#define PLAN_MD_LEVELS	(sizeof(plan_md_batches) / sizeof(plan_md_batches[0]))

/* The first *head and last *tail of n items, at most h each. */
static void
plan_md_cut(size_t n, size_t h, size_t *head, size_t *tail)
{
	if (n <= 2 * h + 1) {
		*head = n;
		*tail = 0;
	} else {
		*head = h;
		*tail = h;
	}
}

/* See plan.h: the batches of a group. */
TESTABLE void
plan_md_shown(size_t n, int level, size_t *head, size_t *tail)
{
	plan_md_cut(n, plan_md_batches[level], head, tail);
}

/* Whether item i of n is shown, given head and tail. */
static int
plan_md_is_shown(size_t i, size_t n, size_t head, size_t tail)
{
	return (i < head || i >= n - tail);
}

/* Where the target lists are: the plan file and the CSV, if written. */
static void
plan_md_attachments(const struct plan_context *ctx, FILE *f)
{
	const char	*out = ctx != NULL ? ctx->out : NULL;
	const char	*csv = ctx != NULL ? ctx->targets_csv : NULL;

	fputs("- Target lists: ", f);
	if (out == NULL && csv == NULL) {
		fputs("summarised below; `ensbatch plan --out PLAN.json` or "
		    "`--targets-csv FILE` writes every target\n", f);
		return;
	}
	fputs("every target with its batch is in ", f);
	if (out != NULL) {
		plan_md_code(f, out);
		fputs(" (the plan file apply --plan runs)", f);
	}
	if (out != NULL && csv != NULL)
		fputs(" and ", f);
	if (csv != NULL) {
		plan_md_code(f, csv);
		fputs(" (CSV: group, batch, event, instance, plan_time_utc)",
		    f);
	}
	fputc('\n', f);
}

/* A group's failure budget as the plan shows it: "0", "10% (5)". */
static void
plan_md_budget(FILE *f, const struct plan_group *pg)
{
	const struct policy	*pol = pg->group->policy;

	if (pol->r_max_fail_pct)
		fprintf(f, "%" PRId64 "%% (%" PRId64 ")", pol->r_max_failures,
		    plan_failure_budget(pol, pg->group->ntargets));
	else
		fprintf(f, "%" PRId64, pol->r_max_failures);
}

/* One row of the stop conditions: what ends or holds back a group. */
static void
plan_md_stop_row(FILE *f, const struct plan_group *pg, int level)
{
	const struct manifest_group	*g = pg->group;
	const struct policy		*pol = g->policy;
	char				 d[TIMEFMT_LEN], *after;

	fputs("| ", f);
	plan_md_cell(f, g->name);
	fputs(" | ", f);
	after = plan_after_list(g, plan_md_batches[level]);
	plan_md_cell(f, g->nafter > 0 ? after : "-");
	free(after);
	if (pg->nbatches == 0 || pol == NULL || !pol->ok) {
		fputs(" | - | 0 | - | - | - | - |\n", f);
		return;
	}
	fprintf(f, " | %s | %zu | ", plan_ops_name(pol->r_ops),
	    g->ntargets);
	plan_md_budget(f, pg);
	timefmt_duration_str(pol->r_settle_timeout, d, sizeof(d));
	fprintf(f, " | %s | ", d);
	if (pol->r_check != NULL) {
		timefmt_duration_str(pol->r_check_timeout, d, sizeof(d));
		fprintf(f, "%s", d);
		timefmt_duration_str(pol->r_check_interval, d, sizeof(d));
		fprintf(f, ", every %s", d);
	} else
		fputs("-", f);
	timefmt_duration_str(pol->r_soak, d, sizeof(d));
	fprintf(f, " | %s |\n", pol->r_soak > 0 ? d : "-");
}

/* The stop conditions of every group shown, as one table. */
static void
plan_md_stops(const struct plan *p, int level, FILE *f)
{
	size_t	i, head, tail;

	plan_md_cut(p->ngroups, plan_md_groups[level], &head, &tail);
	fputs("\n### Stop conditions\n\n"
	    "A group stops when more of its targets fail than its "
	    "max_failures; the groups after it, directly or not, are then "
	    "not started. A reboot fails when it has not settled (event "
	    "Executed, instance Running, check passed) by its "
	    "settle_timeout (and check timeout). Soak: the wait after a "
	    "group finished before the groups after it start.\n\n"
	    "| Group | After | Ops | Targets | max_failures | settle_timeout "
	    "| Check | Soak |\n|---|---|---|---:|---|---|---|---|\n", f);
	for (i = 0; i < p->ngroups; i++) {
		if (plan_md_is_shown(i, p->ngroups, head, tail))
			plan_md_stop_row(f, &p->groups[i], level);
		else if (i == head)
			fprintf(f, "| ... %zu more %s ... | | | | | | | |\n",
			    p->ngroups - head - tail, plan_plural(
			    p->ngroups - head - tail, "group", "groups"));
	}
}

/* The first or last target of a group: "`i-...` (`e-...`)". */
static void
plan_md_target(FILE *f, const struct target *tg)
{
	plan_md_code(f, tg->resource);
	fputs(" (", f);
	plan_md_code(f, tg->event);
	fputc(')', f);
}

/* A row for batches [from, to) that are not shown one by one. */
static void
plan_md_elided(FILE *f, const struct plan *p, const struct plan_group *pg,
    size_t from, size_t to)
{
	const struct plan_batch	*a = &pg->batches[from];
	const struct plan_batch	*z = &pg->batches[to - 1];
	const char		*zone = p->manifest->r_zone;
	char			 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	char			 t3[TIMEFMT_LEN], t4[TIMEFMT_LEN];
	size_t			 n = z->first + z->count - a->first;

	fprintf(f, "| %zu-%zu | %zu | ", from + 1, to, n);
	if (a->plan_time == PLAN_NO_TIME) {
		fprintf(f, "... %zu more batches, as above ... |\n",
		    to - from);
		return;
	}
	timefmt_local(a->plan_time, zone, t1, sizeof(t1));
	timefmt_local(z->plan_time, zone, t2, sizeof(t2));
	timefmt_utc(a->plan_time, t3, sizeof(t3));
	timefmt_utc(z->plan_time, t4, sizeof(t4));
	fprintf(f, "%s to %s | %s to %s |\n", t1, t2, t3, t4);
}

/* A group's batch table: the first and last batches, a row between. */
static void
plan_md_batches_table(const struct plan *p, const struct plan_group *pg,
    int level, FILE *f)
{
	const struct policy	*pol = pg->group->policy;
	const char		*zone = p->manifest->r_zone;
	char			 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	size_t			 k, head, tail;

	plan_md_shown(pg->nbatches, level, &head, &tail);
	if (pol->r_ops == OPS_IMMEDIATE)
		fputs("| Batch | Targets | Then |\n|---:|---:|---|\n", f);
	else {
		fputs("| Batch | Targets | PlanTime (", f);
		plan_md_cell(f, zone);
		fputs(") | PlanTime (UTC) |\n|---:|---:|---|---|\n", f);
	}
	for (k = 0; k < pg->nbatches; k++) {
		const struct plan_batch	*b = &pg->batches[k];

		if (!plan_md_is_shown(k, pg->nbatches, head, tail)) {
			if (k == head)
				plan_md_elided(f, p, pg, head,
				    pg->nbatches - tail);
			continue;
		}
		fprintf(f, "| %zu | %zu | ", k + 1, b->count);
		if (b->plan_time == PLAN_NO_TIME) {
			if (k + 1 < pg->nbatches && pol->r_pause > 0) {
				timefmt_duration_str(pol->r_pause, t1,
				    sizeof(t1));
				fprintf(f, "settle, pause %s |\n", t1);
			} else
				fputs("settle |\n", f);
			continue;
		}
		timefmt_local(b->plan_time, zone, t1, sizeof(t1));
		timefmt_utc(b->plan_time, t2, sizeof(t2));
		fprintf(f, "%s | %s |\n", t1, t2);
	}
}

/* One group's section: its policy, targets summarised, its batches. */
static void
plan_md_group(const struct plan *p, const struct plan_group *pg,
    int level, FILE *f)
{
	const struct manifest_group	*g = pg->group;
	const struct policy		*pol = g->policy;
	char				*line;

	fputs("\n### Group ", f);
	plan_md_cell(f, g->name);
	fputs("\n\n", f);
	if (g->nafter > 0) {
		line = plan_after_list(g, plan_md_batches[level]);
		fputs("- After: ", f);
		plan_md_cell(f, line);
		fputc('\n', f);
		free(line);
	}
	if (pg->nbatches == 0) {
		fputs("- No targets.\n", f);
		return;
	}
	line = plan_policy_line(pg);
	fputs("- Policy ", f);
	plan_md_cell(f, pol->name != NULL ? pol->name : "(inline)");
	/* Our own words and numbers: nothing to escape. */
	fprintf(f, ": %s\n", line);
	free(line);
	if (pol->r_check != NULL) {
		fputs("- Check: ", f);
		plan_md_code(f, pol->r_check);
		fputc('\n', f);
	}
	fprintf(f, "- Targets: %zu in %zu %s, first ", g->ntargets,
	    pg->nbatches, plan_plural(pg->nbatches, "batch", "batches"));
	plan_md_target(f, &g->targets[0]);
	if (g->ntargets > 1) {
		fputs(", last ", f);
		plan_md_target(f, &g->targets[g->ntargets - 1]);
	}
	fputc('\n', f);
	plan_wait_line(pg, "- ", f);
	plan_group_lines(p, pg, "- ", f);
	fputc('\n', f);
	plan_md_batches_table(p, pg, level, f);
}

/* The Markdown plan at one level of detail (see plan_print_markdown). */
static void
plan_md_render(const struct plan *p, const struct plan_context *ctx,
    int level, FILE *f)
{
	const struct manifest	*m = p->manifest;
	char			 t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];
	size_t			 i, head, tail, n, t, b;

	fputs("## ensbatch plan: ", f);
	plan_md_cell(f, m->name.text);
	fputs("\n\n", f);
	if (m->ticket.text != NULL) {
		fputs("- Ticket: ", f);
		plan_md_cell(f, m->ticket.text);
		fputc('\n', f);
	}
	fputs("- Manifest: ", f);
	plan_md_code(f, m->path);
	fprintf(f, " (sha256 `%s`)\n", m->sha256);
	plan_account_lines(ctx, "- ", 1, f);
	timefmt_local(p->now, m->r_zone, t1, sizeof(t1));
	timefmt_utc(p->now, t2, sizeof(t2));
	fprintf(f, "- Planned at: %s (%s)\n", t1, t2);
	plan_totals(p, "- ", f);
	plan_md_attachments(ctx, f);
	plan_md_stops(p, level, f);
	plan_md_cut(p->ngroups, plan_md_groups[level], &head, &tail);
	for (i = 0; i < p->ngroups; i++) {
		if (plan_md_is_shown(i, p->ngroups, head, tail)) {
			plan_md_group(p, &p->groups[i], level, f);
			continue;
		}
		if (i != head)
			continue;
		for (n = i, t = 0, b = 0; n < p->ngroups - tail; n++) {
			t += p->groups[n].nbatches > 0 ?
			    p->groups[n].group->ntargets : 0;
			b += p->groups[n].nbatches;
		}
		fprintf(f, "\n### %zu more %s\n\nGroups %zu to %zu in run "
		    "order: %zu %s in %zu %s, not shown here; the target "
		    "lists have them.\n", n - i, plan_plural(n - i, "group",
		    "groups"), i + 1, n, t, plan_plural(t, "target",
		    "targets"), b, plan_plural(b, "batch", "batches"));
	}
}

/*
 * The Markdown plan for a ticket: rendered at the most detailed level
 * whose size stays within PLAN_MD_BUDGET (the number of batches and
 * groups shown one by one shrinks, the rest are summarised), so that
 * it never grows with the number of targets.
 */
static void
plan_print_markdown(const struct plan *p, const struct plan_context *ctx,
    FILE *f)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*mf;
	int	 level;

	for (level = 0; level < (int)PLAN_MD_LEVELS; level++) {
		if ((mf = open_memstream(&text, &len)) == NULL)
			fatal("open_memstream: %s", strerror(errno));
		plan_md_render(p, ctx, level, mf);
		if (fclose(mf) != 0)
			fatal("cannot render the Markdown plan");
		if (len <= PLAN_MD_BUDGET || level + 1 == (int)PLAN_MD_LEVELS)
			break;
		free(text);
		text = NULL;
	}
	fwrite(text, 1, len, f);
	free(text);
}

/* Set a key to a string; jansson rejects invalid UTF-8 with NULL. */
static void
plan_json_set_str(json_t *obj, const char *key, const char *value)
{
	json_t	*v;

	if (value == NULL)
		v = json_null();
	else if ((v = json_string(value)) == NULL)
		fatal("string for \"%s\" is not UTF-8", key);
	json_object_set_new(obj, key, v);
}

static void
plan_json_set_time(json_t *obj, const char *key, int64_t t, const char *zone)
{
	char	buf[TIMEFMT_LEN], *k;

	json_object_set_new(obj, key, json_integer(t));
	timefmt_utc(t, buf, sizeof(buf));
	k = xasprintf("%s_utc", key);
	plan_json_set_str(obj, k, buf);
	free(k);
	timefmt_local(t, zone, buf, sizeof(buf));
	k = xasprintf("%s_local", key);
	plan_json_set_str(obj, k, buf);
	free(k);
}

static json_t *
plan_group_json(const struct plan *p, const struct plan_group *pg)
{
	const struct manifest_group	*g = pg->group;
	const struct policy	*pol = g->policy;
	json_t			*jg, *arr, *jb, *targets, *jt, *jc;
	size_t			 k, j;
	char			 pct[32];

	jg = json_object();
	plan_json_set_str(jg, "name", g->name);
	arr = json_array();
	for (k = 0; k < g->nafter; k++)
		json_array_append_new(arr, json_string(g->after[k]));
	json_object_set_new(jg, "after", arr);
	plan_json_set_str(jg, "policy", pol != NULL ? pol->name : NULL);
	if (pol != NULL && pol->ok) {
		plan_json_set_str(jg, "ops", plan_ops_name(pol->r_ops));
		json_object_set_new(jg, "batch_size",
		    json_integer(pol->r_batch_size));
		json_object_set_new(jg, "pause_ms",
		    json_integer(pol->r_pause));
		json_object_set_new(jg, "stagger_ms",
		    json_integer(pol->r_stagger));
		if (pol->r_max_fail_pct) {
			snprintf(pct, sizeof(pct), "%" PRId64 "%%",
			    pol->r_max_failures);
			plan_json_set_str(jg, "max_failures", pct);
		} else
			json_object_set_new(jg, "max_failures",
			    json_integer(pol->r_max_failures));
		json_object_set_new(jg, "failure_budget", json_integer(
		    plan_failure_budget(pol, g->ntargets)));
		json_object_set_new(jg, "settle_timeout_ms",
		    json_integer(pol->r_settle_timeout));
		json_object_set_new(jg, "soak_ms", json_integer(pol->r_soak));
		if (pol->r_check == NULL)
			json_object_set_new(jg, "check", json_null());
		else {
			jc = json_object();
			plan_json_set_str(jc, "command", pol->r_check);
			json_object_set_new(jc, "timeout_ms",
			    json_integer(pol->r_check_timeout));
			json_object_set_new(jc, "interval_ms",
			    json_integer(pol->r_check_interval));
			json_object_set_new(jg, "check", jc);
		}
	}
	json_object_set_new(jg, "wait_ms", json_integer(pg->wait));
	json_object_set_new(jg, "estimate_ms", json_integer(pg->estimate));
	if (pg->nbatches > 0)
		plan_json_set_time(jg, "settled_by", pg->settled_by,
		    p->manifest->r_zone);
	arr = json_array();
	for (k = 0; k < pg->nbatches; k++) {
		const struct plan_batch	*b = &pg->batches[k];

		jb = json_object();
		json_object_set_new(jb, "batch", json_integer((json_int_t)k +
		    1));
		if (b->plan_time == PLAN_NO_TIME)
			json_object_set_new(jb, "plan_time", json_null());
		else
			plan_json_set_time(jb, "plan_time", b->plan_time,
			    p->manifest->r_zone);
		targets = json_array();
		for (j = b->first; j < b->first + b->count; j++) {
			jt = json_object();
			plan_json_set_str(jt, "event", g->targets[j].event);
			plan_json_set_str(jt, "resource", g->targets[j].resource);
			json_array_append_new(targets, jt);
		}
		json_object_set_new(jb, "targets", targets);
		json_array_append_new(arr, jb);
	}
	json_object_set_new(jg, "batches", arr);
	return (jg);
}

static json_t *
plan_json(const struct plan *p)
{
	const struct manifest	*m = p->manifest;
	json_t			*root, *jm, *arr, *jf;
	size_t			 i;

	root = json_object();
	json_object_set_new(root, "ensbatch_plan", json_integer(1));
	jm = json_object();
	plan_json_set_str(jm, "path", m->path);
	plan_json_set_str(jm, "name", m->name.text);
	plan_json_set_str(jm, "ticket", m->ticket.text);
	plan_json_set_str(jm, "sha256", m->sha256);
	plan_json_set_str(jm, "timezone", m->r_zone);
	arr = json_array();
	for (i = 0; i < m->nfiles; i++) {
		jf = json_object();
		plan_json_set_str(jf, "path", m->files[i].path);
		plan_json_set_str(jf, "sha256", m->files[i].sha256);
		json_array_append_new(arr, jf);
	}
	json_object_set_new(jm, "targets_files", arr);
	json_object_set_new(root, "manifest", jm);
	plan_json_set_time(root, "now", p->now, m->r_zone);
	json_object_set_new(root, "groups_total", json_integer(
	    (json_int_t)p->ngroups));
	json_object_set_new(root, "batches_total", json_integer(
	    (json_int_t)p->nbatches));
	json_object_set_new(root, "targets_total", json_integer(
	    (json_int_t)p->ntargets));
	json_object_set_new(root, "estimate_ms", json_integer(p->estimate));
	plan_json_set_time(root, "end", plan_add(p->now, p->estimate), m->r_zone);
	if (p->last_plan_time == PLAN_NO_TIME)
		json_object_set_new(root, "last_plan_time", json_null());
	else
		plan_json_set_time(root, "last_plan_time", p->last_plan_time,
		    m->r_zone);
	plan_json_set_time(root, "settled_by", p->settled_by, m->r_zone);
	arr = json_array();
	for (i = 0; i < p->ngroups; i++)
		json_array_append_new(arr, plan_group_json(p, &p->groups[i]));
	json_object_set_new(root, "groups", arr);
	return (root);
}

/* The names of enum plan_key in a plan file. */
static const char *const plan_key_names[] = {
	"not_asked", "none", "temporary", "pinned"
};

/* The account as a plan file stores it: no full access key id. */
static json_t *
plan_account_json(const struct plan_account *a)
{
	json_t	*ja = json_object();

	plan_json_set_str(ja, "endpoint", a->endpoint);
	plan_json_set_str(ja, "access_key", plan_key_names[a->key]);
	plan_json_set_str(ja, "access_key_id", a->key == PLAN_KEY_PINNED ?
	    a->key_masked : NULL);
	plan_json_set_str(ja, "access_key_id_sha256", a->key ==
	    PLAN_KEY_PINNED ? a->key_sha256 : NULL);
	return (ja);
}

/* jansson's dump callback: collect the text in one buffer. */
static int
plan_dump(const char *text, size_t len, void *arg)
{
	buf_add(arg, text, len);
	return (0);
}

/*
 * The plan's JSON text into b, without a final newline; the account
 * last, when a is not NULL.  jansson writes it into one buffer, which
 * goes out in one write (json_dumpf wrote token by token).
 */
static void
plan_json_text(const struct plan *p, const struct plan_account *a,
    struct buf *b)
{
	json_t	*root = plan_json(p);

	if (a != NULL)
		json_object_set_new(root, "account", plan_account_json(a));
	if (json_dump_callback(root, plan_dump, b, JSON_INDENT(2) |
	    JSON_PRESERVE_ORDER) != 0)
		fatal("cannot serialise the plan");
	json_decref(root);
}

int
plan_print_context(const struct plan *p, enum plan_format format,
    const struct plan_context *ctx, FILE *f)
{
	struct buf	b;
	int		rc = 0;

	switch (format) {
	case PLAN_TEXT:
		plan_print_text(p, ctx, f);
		break;
	case PLAN_MARKDOWN:
		plan_print_markdown(p, ctx, f);
		break;
	case PLAN_JSON:
		/* One buffer, one write: json_dumpf wrote token by token. */
		buf_init(&b);
		plan_json_text(p, ctx != NULL ? ctx->account : NULL, &b);
		rc = fwrite(b.data, 1, b.len, f) == b.len ? 0 : -1;
		buf_free(&b);
		/*
		 * The newline waits in stdio's buffer: when the write failed,
		 * main's flush of it fails too, and says why (errno).
		 */
		if (fputc('\n', f) == EOF)
			rc = -1;
		break;
	}
	return (rc == 0 && !ferror(f) ? 0 : -1);
}

int
plan_print(const struct plan *p, enum plan_format format, FILE *f)
{
	return (plan_print_context(p, format, NULL, f));
}

/* Write b to path atomically (safefile).  0, or -1 and *cause. */
static int
plan_write_file(const char *path, const struct buf *b, char **cause)
{
	struct safefile	a;

	*cause = NULL;
	if (safefile_open(&a, path, cause) != 0)
		return (-1);
	if (safefile_write_all(a.fd, b->data, b->len) != 0) {
		*cause = xasprintf("cannot write %s: %s", path,
		    strerror(errno));
		safefile_abort(&a);
		return (-1);
	}
	return (safefile_commit(&a, cause));
}

int
plan_save(const struct plan *p, const struct plan_account *acct,
    const char *path, char **cause)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b);
	plan_json_text(p, acct, &b);
	buf_addc(&b, '\n');
	rc = plan_write_file(path, &b, cause);
	buf_free(&b);
	return (rc);
}

int
plan_save_targets_csv(const struct plan *p, const char *path, char **cause)
{
	struct buf	 b;
	char		 t[TIMEFMT_LEN];
	size_t		 i, k, j;
	int		 rc;

	buf_init(&b);
	buf_adds(&b, "group,batch,event,instance,plan_time_utc\n");
	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group		*pg = &p->groups[i];
		const struct manifest_group	*g = pg->group;

		for (k = 0; k < pg->nbatches; k++) {
			const struct plan_batch	*bt = &pg->batches[k];

			t[0] = '\0';
			if (bt->plan_time != PLAN_NO_TIME)
				timefmt_utc(bt->plan_time, t, sizeof(t));
			/* Names and ids were validated: no CSV quoting. */
			for (j = bt->first; j < bt->first + bt->count; j++)
				buf_addf(&b, "%s,%zu,%s,%s,%s\n", g->name,
				    k + 1, g->targets[j].event,
				    g->targets[j].resource, t);
		}
	}
	rc = plan_write_file(path, &b, cause);
	buf_free(&b);
	return (rc);
}

/*
 * The run's properties, set on the report itself (written once, at the
 * top): what was run, from which manifest, by whom, with which
 * ensbatch.  Setting them again for each group changes nothing.
 */
static void
plan_report_run(struct report *r, const struct plan *p, const char *mode)
{
	const struct manifest	*m = p->manifest;
	char			 t[TIMEFMT_LEN], *who;

	if (m->ticket.text != NULL)
		report_run_property(r, "ticket", m->ticket.text);
	report_run_property(r, "manifest", m->path);
	report_run_property(r, "manifest_sha256", m->sha256);
	report_run_property(r, "mode", mode);
	who = report_operator();
	report_run_property(r, "operator", who);
	free(who);
	report_run_property(r, "ensbatch_version", PACKAGE_VERSION);
	timefmt_utc(p->now, t, sizeof(t));
	report_run_property(r, "now", t);
}

/*
 * The run's properties on the report (see plan_report_run, plus the
 * endpoint), and on the suite all that apply to its group: the run's
 * again, which the report writes only once, and the group's own
 * (policy, ops, the first and last PlanTime).
 */
void
plan_report_properties(struct report_suite *rs, const struct plan *p,
    const struct plan_group *pg, const char *endpoint, const char *mode)
{
	const struct manifest	*m = p->manifest;
	const struct policy	*pol = pg->group->policy;
	const struct report	*r = rs->report;
	char			 t[TIMEFMT_LEN], *v;
	size_t			 i;

	plan_report_run(rs->report, p, mode);
	report_run_property(rs->report, "endpoint", endpoint != NULL ?
	    endpoint : m->api.endpoint.text != NULL ? m->api.endpoint.text :
	    "ens.aliyuncs.com");
	for (i = 0; i < r->nprops; i++)
		report_property_add(rs, r->props[i].name, r->props[i].value);
	report_property_add(rs, "policy", pol == NULL ? "(none)" :
	    pol->name != NULL ? pol->name : "(inline)");
	if (pol != NULL && pol->ok)
		report_property_add(rs, "ops", plan_ops_name(pol->r_ops));
	if (pg->nbatches > 0 && pg->batches[0].plan_time != PLAN_NO_TIME) {
		timefmt_utc(pg->batches[0].plan_time, t, sizeof(t));
		v = xstrdup(t);
		timefmt_utc(pg->batches[pg->nbatches - 1].plan_time, t,
		    sizeof(t));
		report_property_add(rs, "plan_time_first", v);
		report_property_add(rs, "plan_time_last", t);
		free(v);
	}
}

/*
 * One failing test case that lists every diagnostic, so that errors not
 * tied to a target (a missing key, a bad policy) still fail the report.
 * It comes first, where a reader looks, and carries the run's
 * properties even when no group could be planned.  Group names cannot
 * contain parentheses: the suite name is free.
 */
static void
plan_report_validation(struct report *r, const struct plan *p,
    const struct diags *d)
{
	struct report_suite	*rs;
	char			*msg, *list, *cls;
	size_t			 errors = diags_count(d, DIAG_ERROR);

	plan_report_run(r, p, "dry-run");
	rs = report_suite_add_first(r, "(validation)", p->now);
	msg = xasprintf("the manifest has %zu error%s: nothing would be sent",
	    errors, errors == 1 ? "" : "s");
	list = diags_summary(d);
	cls = xasprintf("%s.validation", r->name);
	report_case_add(rs, cls, p->manifest->path, 0, REPORT_FAILURE,
	    "validation", msg, list);
	free(cls);
	free(list);
	free(msg);
}

/*
 * A target's testcase name, "RESOURCE EVENT".  An invalid target may
 * come from any text (a targets_file that is a credentials file):
 * secrets are masked as in diagnostics.  Caller frees.
 */
static char *
plan_case_name(const struct target *tg)
{
	char	*raw, *name;

	raw = xasprintf("%s %s", tg->resource, tg->event);
	name = diags_redact(raw, strlen(raw));
	free(raw);
	return (name);
}

struct report *
plan_report(const struct plan *p, const struct diags *d,
    const char *endpoint)
{
	const struct manifest	*m = p->manifest;
	struct report		*r;
	struct report_suite	*rs;
	const char		*mname, *msg;
	char			*cls, *name, *out, *skip;
	char			 t[TIMEFMT_LEN];
	size_t			 i, k, j, errors;

	errors = diags_count(d, DIAG_ERROR);
	mname = m->name.text != NULL ? m->name.text : "manifest";
	r = report_new(mname);
	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group	*pg = &p->groups[i];
		const struct manifest_group	*g = pg->group;
		const char		*gname;

		gname = g->name != NULL ? g->name : "(unnamed)";
		rs = report_suite_add(r, gname, p->now);
		plan_report_properties(rs, p, pg, endpoint, "dry-run");
		cls = xasprintf("%s.%s", mname, gname);
		for (j = 0; j < g->ntargets; j++) {
			const struct target	*tg = &g->targets[j];

			name = plan_case_name(tg);
			if (tg->diag != 0 || g->diag != 0) {
				uint32_t id = tg->diag != 0 ? tg->diag : g->diag;

				msg = diags_message(d, id);
				report_case_add(rs, cls, name, 0,
				    REPORT_FAILURE, diags_rule(d, id), msg,
				    NULL);
			} else if (errors > 0 || pg->nbatches == 0) {
				report_case_add(rs, cls, name, 0,
				    REPORT_SKIPPED, NULL, "dry-run: not "
				    "planned, the manifest has errors", NULL);
			}
			free(name);
		}
		/* Planned targets, batch by batch. */
		for (k = 0; k < pg->nbatches && errors == 0; k++) {
			const struct plan_batch	*b = &pg->batches[k];

			if (b->plan_time == PLAN_NO_TIME) {
				skip = xasprintf("dry-run: batch %zu/%zu, "
				    "immediate", k + 1, pg->nbatches);
				out = xasprintf("batch %zu/%zu\nops immediate\n",
				    k + 1, pg->nbatches);
			} else {
				timefmt_utc(b->plan_time, t, sizeof(t));
				skip = xasprintf("dry-run: batch %zu/%zu, "
				    "PlanTime %s", k + 1, pg->nbatches, t);
				out = xasprintf("batch %zu/%zu\nops scheduled\n"
				    "PlanTime %" PRId64 " (%s)\n", k + 1,
				    pg->nbatches, b->plan_time, t);
			}
			for (j = b->first; j < b->first + b->count; j++) {
				const struct target *tg = &g->targets[j];

				name = plan_case_name(tg);
				report_case_add(rs, cls, name, 0,
				    REPORT_SKIPPED, NULL, skip, out);
				free(name);
			}
			free(skip);
			free(out);
		}
		free(cls);
	}
	if (errors > 0)
		plan_report_validation(r, p, d);
	return (r);
}

/* The approved plan's group with this name, or NULL. */
static json_t *
plan_file_group(json_t *groups, const char *name)
{
	json_t	*g;
	size_t	 i;

	json_array_foreach(groups, i, g) {
		const char	*n = json_string_value(json_object_get(g,
		    "name"));

		if (n != NULL && strcmp(n, name) == 0)
			return (g);
	}
	return (NULL);
}

/* Compare one group's batches with the approved ones; NULL if equal. */
static char *
plan_group_diff(const struct plan_group *pg, json_t *jg)
{
	const struct manifest_group	*g = pg->group;
	json_t			*batches, *jb, *targets, *jt, *pt;
	size_t			 k, j;

	batches = json_object_get(jg, "batches");
	if (!json_is_array(batches) || json_array_size(batches) !=
	    pg->nbatches)
		return (xasprintf("group %s has %zu %s, the approved "
		    "plan %zu", g->name, pg->nbatches, plan_plural(
		    pg->nbatches, "batch", "batches"),
		    json_array_size(batches)));
	for (k = 0; k < pg->nbatches; k++) {
		const struct plan_batch	*b = &pg->batches[k];

		jb = json_array_get(batches, k);
		targets = json_object_get(jb, "targets");
		pt = json_object_get(jb, "plan_time");
		if (b->plan_time == PLAN_NO_TIME ? !json_is_null(pt) :
		    (!json_is_integer(pt) || json_integer_value(pt) !=
		    b->plan_time))
			return (xasprintf("group %s batch %zu has another "
			    "PlanTime in the approved plan", g->name, k + 1));
		if (!json_is_array(targets) || json_array_size(targets) !=
		    b->count)
			return (xasprintf("group %s batch %zu has other "
			    "targets in the approved plan", g->name, k + 1));
		for (j = 0; j < b->count; j++) {
			const char	*ev, *rs;

			jt = json_array_get(targets, j);
			ev = json_string_value(json_object_get(jt, "event"));
			rs = json_string_value(json_object_get(jt,
			    "resource"));
			if (ev == NULL || rs == NULL || strcmp(ev,
			    g->targets[b->first + j].event) != 0 ||
			    strcmp(rs, g->targets[b->first + j].resource) != 0)
				return (xasprintf("group %s batch %zu has "
				    "other targets in the approved plan",
				    g->name, k + 1));
		}
	}
	return (NULL);
}

/*
 * Read the account of a plan file into *a: 0, or -1 when it has none
 * or a malformed one.
 */
static int
plan_account_read(json_t *ja, struct plan_account *a)
{
	const char	*ep, *key, *masked, *sha;
	size_t		 k;

	ep = json_string_value(json_object_get(ja, "endpoint"));
	key = json_string_value(json_object_get(ja, "access_key"));
	masked = json_string_value(json_object_get(ja, "access_key_id"));
	sha = json_string_value(json_object_get(ja,
	    "access_key_id_sha256"));
	if (ep == NULL || key == NULL)
		return (-1);
	for (k = 0; k < NITEMS(plan_key_names); k++) {
		if (strcmp(key, plan_key_names[k]) == 0)
			break;
	}
	if (k == NITEMS(plan_key_names) || (k == PLAN_KEY_PINNED &&
	    (masked == NULL || sha == NULL || strlen(sha) !=
	    HASH_HEX_LEN - 1 || strlen(masked) >= sizeof(a->key_masked))))
		return (-1);
	plan_account_set(a, ep, PLAN_KEY_NOT_ASKED, NULL);
	a->key = (enum plan_key)k;
	if (k == PLAN_KEY_PINNED) {
		snprintf(a->key_masked, sizeof(a->key_masked), "%s", masked);
		snprintf(a->key_sha256, sizeof(a->key_sha256), "%s", sha);
	}
	return (0);
}

/*
 * See plan.h.  The stored plan is checked part by part in the order
 * "stale plan" reports the first difference; each part is short.
 */
int
plan_verify(const struct plan *p, const char *path, int64_t now,
    struct plan_account *approved, char **cause)
{
	const struct manifest	*m = p->manifest;
	json_t			*root = NULL, *jm, *files, *groups, *jg;
	json_error_t		 err;
	const char		*sha;
	char			*diff, t[TIMEFMT_LEN], d[TIMEFMT_LEN];
	size_t			 i, k;
	int			 rc = -1;

	*cause = NULL;
	memset(approved, 0, sizeof(*approved));
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || json_integer_value(json_object_get(root,
	    "ensbatch_plan")) != 1) {
		*cause = xasprintf("%s is not a plan written by ensbatch plan "
		    "--out%s%s", path, root == NULL ? ": " : "",
		    root == NULL ? err.text : "");
		goto out;
	}
	jm = json_object_get(root, "manifest");
	sha = json_string_value(json_object_get(jm, "sha256"));
	if (sha == NULL || strcmp(sha, m->sha256) != 0) {
		*cause = xasprintf("stale plan: %s changed since the plan was "
		    "approved (sha256 %.12s... in the plan, %.12s... now)",
		    m->path, sha != NULL ? sha : "?", m->sha256);
		goto out;
	}
	files = json_object_get(jm, "targets_files");
	if (!json_is_array(files) || json_array_size(files) != m->nfiles) {
		*cause = xasprintf("stale plan: the manifest's targets files "
		    "differ from the approved plan's");
		goto out;
	}
	for (i = 0; i < m->nfiles; i++) {
		sha = json_string_value(json_object_get(json_array_get(files,
		    i), "sha256"));
		if (sha == NULL || strcmp(sha, m->files[i].sha256) != 0) {
			*cause = xasprintf("stale plan: %s changed since the "
			    "plan was approved", m->files[i].path);
			goto out;
		}
	}
	groups = json_object_get(root, "groups");
	if (!json_is_array(groups) || json_array_size(groups) != p->ngroups) {
		*cause = xasprintf("stale plan: the groups differ from the "
		    "approved plan's");
		goto out;
	}
	for (i = 0; i < p->ngroups; i++) {
		const struct plan_group	*pg = &p->groups[i];
		const struct policy	*pol = pg->group->policy;

		jg = json_array_get(groups, i);
		if (plan_file_group(groups, pg->group->name) != jg) {
			*cause = xasprintf("stale plan: group %s is not where "
			    "the approved plan has it", pg->group->name);
			goto out;
		}
		if ((diff = plan_group_diff(pg, jg)) != NULL) {
			*cause = xasprintf("stale plan: %s", diff);
			free(diff);
			goto out;
		}
		for (k = 0; k < pg->nbatches; k++) {
			int64_t	pt = pg->batches[k].plan_time;

			if (pt == PLAN_NO_TIME || now == RULES_NO_DEADLINES ||
			    pt >= now + pol->r_min_lead)
				continue;
			timefmt_utc(pt, t, sizeof(t));
			timefmt_duration_str(pol->r_min_lead, d, sizeof(d));
			*cause = xasprintf("stale plan: group %s batch %zu has "
			    "PlanTime %s, now past or closer than min_lead "
			    "%s: make a new plan", pg->group->name, k + 1, t,
			    d);
			goto out;
		}
	}
	if (plan_account_read(json_object_get(root, "account"),
	    approved) != 0) {
		*cause = xasprintf("stale plan: %s does not say which "
		    "endpoint and account it was approved for (written by an "
		    "older ensbatch?): make a new plan", path);
		goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return (rc);
}

void
plan_account_set(struct plan_account *a, const char *endpoint,
    enum plan_key key, const char *key_id)
{
	memset(a, 0, sizeof(*a));
	a->endpoint = xstrdup(endpoint);
	a->key = key;
	if (key == PLAN_KEY_PINNED) {
		creds_mask_key(key_id, a->key_masked, sizeof(a->key_masked));
		hash_sha256_hex(key_id, strlen(key_id), a->key_sha256);
	}
}

void
plan_account_clear(struct plan_account *a)
{
	free(a->endpoint);
	memset(a, 0, sizeof(*a));
}

/* "ENDPOINT (key LTAI****abcd)", with a hash prefix when asked. */
static char *
plan_account_text(const struct plan_account *a, int hash)
{
	if (a->key != PLAN_KEY_PINNED)
		return (xasprintf("%s (no key pinned)", a->endpoint));
	if (hash)
		return (xasprintf("%s (key %s, sha256 %.12s...)", a->endpoint,
		    a->key_masked, a->key_sha256));
	return (xasprintf("%s (key %s)", a->endpoint, a->key_masked));
}

/* See plan.h. */
TESTABLE char *
plan_account_diff(const struct plan_account *planned,
    const struct plan_account *run)
{
	char	*a, *b, *msg;
	int	 hash;

	if (strcasecmp(planned->endpoint, run->endpoint) == 0 &&
	    (planned->key != PLAN_KEY_PINNED || (run->key ==
	    PLAN_KEY_PINNED && strcmp(planned->key_sha256,
	    run->key_sha256) == 0)))
		return (NULL);
	/* Two keys that only differ where they are masked. */
	hash = planned->key == PLAN_KEY_PINNED && run->key ==
	    PLAN_KEY_PINNED && strcmp(planned->key_masked,
	    run->key_masked) == 0 && strcmp(planned->key_sha256,
	    run->key_sha256) != 0;
	a = plan_account_text(planned, hash);
	b = plan_account_text(run, hash);
	msg = xasprintf("planned for %s but running against %s", a, b);
	free(a);
	free(b);
	return (msg);
}


int
plan_check_account(const struct plan_account *approved,
    const struct plan_account *run, int *pinned, char **cause)
{
	char	*diff;

	*cause = NULL;
	*pinned = 0;
	if ((diff = plan_account_diff(approved, run)) != NULL) {
		*cause = xasprintf("stale plan: %s", diff);
		free(diff);
		return (-1);
	}
	*pinned = approved->key == PLAN_KEY_PINNED;
	return (0);
}
