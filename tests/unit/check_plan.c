/*
 * Tests for the plan: batch cutting, PlanTimes, group order, totals and
 * estimates; the text, JSON and Markdown forms (JSON read back with
 * jansson); plan_save; and the dry-run report derived from the plan.
 * Manifests are written into a fresh temporary directory, loaded and
 * validated with a pinned "now" before the plan is built.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ensbatch/buf.h"
#include "ensbatch/diag.h"
#include "ensbatch/hash.h"
#include "ensbatch/manifest.h"
#include "ensbatch/plan.h"
#include "ensbatch/report.h"
#include "ensbatch/rules.h"
#include "ensbatch/xmalloc.h"
#include "fixture.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* 2026-11-01T00:00:00Z */
#define NOW		INT64_C(1793491200000)
/* 2026-12-01 02:00 in Asia/Shanghai = 2026-11-30T18:00:00Z */
#define T_DEC1_SH	INT64_C(1796061600000)
#define MIN		INT64_C(60000)

/* ---------------------------------------------------------- fixture */

/* The shared fixture's diagnostics and manifest (fixture.h). */
#define td	fixture_diags
#define tm	fixture_manifest
#define put	fixture_put_text

static struct plan	*tp;

static void
setup(void)
{
	fixture_setup();
	tp = NULL;
}

static void
teardown(void)
{
	plan_free(tp);
	tp = NULL;
	fixture_teardown();
}

/* Event and resource ids of target k (k >= 1). */
static char *
ev(size_t k)
{
	return (xasprintf("e-%032zx", k));
}

static char *
rs(size_t k)
{
	return (xasprintf("i-res%05zu", k));
}

/* Targets first..first+n-1 as a block sequence under "targets:". */
static void
add_targets(struct buf *b, size_t first, size_t n)
{
	size_t	k;
	char	*e, *r;

	buf_adds(b, "    targets:\n");
	for (k = first; k < first + n; k++) {
		e = ev(k);
		r = rs(k);
		buf_addf(b, "      - {event: %s, resource: %s}\n", e, r);
		free(e);
		free(r);
	}
}

/*
 * Load fixture_dir/m.yaml, validate it with now, and build the plan.  Returns
 * the number of rules errors.
 */
static size_t
build(const char *yaml, int64_t now)
{
	size_t	 errors;

	ck_assert_ptr_nonnull(fixture_load(yaml, strlen(yaml)));
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 0);
	errors = rules_check(tm, now, td);
	tp = plan_build(tm, now);
	ck_assert_ptr_nonnull(tp);
	return (errors);
}

/*
 * The main example: group c (scheduled, 5 targets, batch_size 2, after
 * a), group a (immediate, 7 targets, batch_size 3, pause 10m), group b
 * (inline immediate policy, 1 target, after a).  Run order: a, c, b.
 * Targets are numbered 1-5 (c), 6-12 (a), 13 (b).
 */
static void
build_example(void)
{
	struct buf	 b;
	size_t		 errors;

	buf_init(&b);
	buf_adds(&b, "ensbatch: 1\n"
	    "name: plan-test\n"
	    "ticket: CHG-1\n"
	    "timezone: Asia/Shanghai\n"
	    "policies:\n"
	    "  fast: {ops: immediate, batch_size: 3, pause: 10m, "
	    "max_failures: 10%}\n"
	    "  night: {ops: scheduled, batch_size: 2, "
	    "start: \"2026-12-01 02:00\", stagger: 15m}\n"
	    "groups:\n"
	    "  - name: c\n"
	    "    policy: night\n"
	    "    after: [a]\n");
	add_targets(&b, 1, 5);
	buf_adds(&b, "  - name: a\n"
	    "    policy: fast\n");
	add_targets(&b, 6, 7);
	buf_adds(&b, "  - name: b\n"
	    "    policy: {ops: immediate}\n"
	    "    after: [a]\n");
	add_targets(&b, 13, 1);
	errors = build(b.data, NOW);
	buf_free(&b);
	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(diags_count(td, DIAG_WARNING), 0);
}

/*
 * A group of n targets in 50-target batches, stagger apart, from start
 * (an epoch in ms); returns the rules' error count.
 */
static size_t
build_staggered(size_t n, const char *stagger, int64_t start)
{
	struct buf	 b;
	size_t		 errors;

	buf_init(&b);
	buf_addf(&b, "ensbatch: 1\nname: far\npolicies:\n"
	    "  p: {ops: scheduled, batch_size: 50, stagger: %s, "
	    "start: %lld}\ngroups:\n  - name: g\n    policy: p\n",
	    stagger, (long long)start);
	add_targets(&b, 1, n);
	errors = build(b.data, NOW);
	buf_free(&b);
	return (errors);
}

/* Everything plan_print writes; caller frees. */
static char *
print_plan(enum plan_format format)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*f;

	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(plan_print(tp, format, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	return (out);
}

/* ---------------------------------------------------------- batches */

static const struct {
	size_t		 n;		/* targets */
	int		 batch_size;
	const char	*stagger;	/* NULL: immediate */
	int64_t		 stagger_ms;
	size_t		 nbatches;
	size_t		 counts[8];
} cut_cases[] = {
	{ 7, 3, NULL, 0, 3, { 3, 3, 1 } },
	{ 6, 3, NULL, 0, 2, { 3, 3 } },
	{ 1, 20, NULL, 0, 1, { 1 } },
	{ 5, 1, NULL, 0, 5, { 1, 1, 1, 1, 1 } },
	{ 50, 50, NULL, 0, 1, { 50 } },
	{ 51, 50, NULL, 0, 2, { 50, 1 } },
	{ 7, 3, "15m", 15 * MIN, 3, { 3, 3, 1 } },
	{ 101, 25, "1h30m", 90 * MIN, 5, { 25, 25, 25, 25, 1 } },
	{ 4, 2, "0s", 0, 2, { 2, 2 } },
	{ 3, 1, "250ms", 250, 3, { 1, 1, 1 } },
};

/* One group; its targets come from a CSV. */
START_TEST(test_cut)
{
	struct buf		 b;
	const struct plan_group	*pg;
	size_t			 k, first, i;
	char			*e, *r;

	buf_init(&b);
	buf_adds(&b, "event,resource\n");
	for (i = 1; i <= cut_cases[_i].n; i++) {
		e = ev(i);
		r = rs(i);
		buf_addf(&b, "%s,%s\n", e, r);
		free(e);
		free(r);
	}
	put("t.csv", b.data);
	buf_reset(&b);
	buf_addf(&b, "ensbatch: 1\nname: x\ngroups:\n"
	    "  - name: g\n    targets_file: t.csv\n");
	if (cut_cases[_i].stagger == NULL)
		buf_addf(&b, "    policy: {ops: immediate, batch_size: %d}\n",
		    cut_cases[_i].batch_size);
	else
		buf_addf(&b, "    policy: {ops: scheduled, batch_size: %d, "
		    "start: \"2026-12-01T02:00:00+08:00\", stagger: %s}\n",
		    cut_cases[_i].batch_size, cut_cases[_i].stagger);
	ck_assert_uint_eq(build(b.data, NOW), 0);
	buf_free(&b);

	ck_assert_uint_eq(tp->ngroups, 1);
	pg = &tp->groups[0];
	ck_assert_ptr_eq(pg->group, &tm->groups[0]);
	ck_assert_uint_eq(pg->nbatches, cut_cases[_i].nbatches);
	ck_assert_uint_eq(tp->nbatches, cut_cases[_i].nbatches);
	ck_assert_uint_eq(tp->ntargets, cut_cases[_i].n);
	first = 0;
	for (k = 0; k < pg->nbatches; k++) {
		ck_assert_uint_eq(pg->batches[k].first, first);
		ck_assert_uint_eq(pg->batches[k].count,
		    cut_cases[_i].counts[k]);
		first += pg->batches[k].count;
		if (cut_cases[_i].stagger == NULL)
			ck_assert_int_eq(pg->batches[k].plan_time,
			    PLAN_NO_TIME);
		else
			ck_assert_int_eq(pg->batches[k].plan_time,
			    T_DEC1_SH + (int64_t)k * cut_cases[_i].stagger_ms);
	}
	ck_assert_uint_eq(first, cut_cases[_i].n);
}
END_TEST

START_TEST(test_example_structure)
{
	const struct plan_group	*pg;
	size_t			 k;

	build_example();
	ck_assert_ptr_eq(tp->manifest, tm);
	ck_assert_int_eq(tp->now, NOW);
	ck_assert_uint_eq(tp->ngroups, 3);
	/* Run order a, c, b from r_order. */
	ck_assert_uint_eq(tp->groups[0].index, 1);
	ck_assert_uint_eq(tp->groups[1].index, 0);
	ck_assert_uint_eq(tp->groups[2].index, 2);
	for (k = 0; k < 3; k++)
		ck_assert_ptr_eq(tp->groups[k].group,
		    &tm->groups[tp->groups[k].index]);

	pg = &tp->groups[0];		/* a */
	ck_assert_uint_eq(pg->nbatches, 3);
	ck_assert_uint_eq(pg->batches[0].count, 3);
	ck_assert_uint_eq(pg->batches[1].count, 3);
	ck_assert_uint_eq(pg->batches[2].count, 1);
	ck_assert_uint_eq(pg->batches[2].first, 6);
	for (k = 0; k < 3; k++)
		ck_assert_int_eq(pg->batches[k].plan_time, PLAN_NO_TIME);

	pg = &tp->groups[1];		/* c */
	ck_assert_uint_eq(pg->nbatches, 3);
	ck_assert_uint_eq(pg->batches[0].count, 2);
	ck_assert_uint_eq(pg->batches[1].count, 2);
	ck_assert_uint_eq(pg->batches[2].count, 1);
	ck_assert_int_eq(pg->batches[0].plan_time, T_DEC1_SH);
	ck_assert_int_eq(pg->batches[1].plan_time, T_DEC1_SH + 15 * MIN);
	ck_assert_int_eq(pg->batches[2].plan_time, T_DEC1_SH + 30 * MIN);

	pg = &tp->groups[2];		/* b */
	ck_assert_uint_eq(pg->nbatches, 1);
	ck_assert_uint_eq(pg->batches[0].count, 1);
	ck_assert_int_eq(pg->batches[0].plan_time, PLAN_NO_TIME);
}
END_TEST

/* ---------------------------------------------------------- totals */

START_TEST(test_totals_estimate)
{
	const int64_t	settle = 30 * MIN;

	build_example();
	ck_assert_uint_eq(tp->ntargets, 13);
	ck_assert_uint_eq(tp->nbatches, 7);
	/* Immediate: each batch called and settled, pauses between. */
	ck_assert_int_eq(tp->groups[0].estimate,
	    3 * (PLAN_CALL_ESTIMATE + settle) + 2 * 10 * MIN);
	/* Scheduled: the calls; the reboots settle from their PlanTime. */
	ck_assert_int_eq(tp->groups[1].estimate, 3 * PLAN_CALL_ESTIMATE);
	ck_assert_int_eq(tp->groups[2].estimate, PLAN_CALL_ESTIMATE + settle);
	ck_assert_int_eq(tp->groups[0].wait, 0);
	ck_assert_int_eq(tp->groups[1].wait, 0);
	ck_assert_int_eq(tp->groups[2].wait, 0);
	ck_assert_int_eq(tp->estimate,
	    7 * PLAN_CALL_ESTIMATE + 4 * settle + 2 * 10 * MIN);
	ck_assert_int_eq(tp->groups[0].settled_by, NOW +
	    tp->groups[0].estimate);
	/* c: last PlanTime 2026-12-01 02:30 +08:00, then settle_timeout. */
	ck_assert_int_eq(tp->last_plan_time, T_DEC1_SH + 30 * MIN);
	ck_assert_int_eq(tp->groups[1].settled_by, T_DEC1_SH + 60 * MIN);
	ck_assert_int_eq(tp->settled_by, T_DEC1_SH + 60 * MIN);
}
END_TEST

/*
 * The run as a timeline: a group waits for the groups it is after to
 * settle (a scheduled one: its last PlanTime + settle_timeout + check
 * timeout) and soak; soaks and checks count only where they make a run
 * wait.
 */
static const struct {
	const char	*name;
	const char	*policies;	/* of groups x (targets 1, 2), y (3) */
	const char	*y_after;	/* "[x]" or "[]" */
	int64_t		 x_estimate, y_wait, y_estimate;
	int64_t		 settled_by;	/* - NOW, or 0 for now + estimate */
} timeline_cases[] = {
	{ "canary, check and soak",
	  "  x: {ops: immediate, batch_size: 1, settle_timeout: 10m, "
	  "check: {command: \"true\", timeout: 2m}, soak: 15m}\n"
	  "  y: {ops: immediate, settle_timeout: 5m}\n", "[x]",
	  2 * (PLAN_CALL_ESTIMATE + 12 * MIN), 15 * MIN,
	  PLAN_CALL_ESTIMATE + 5 * MIN, 0 },
	{ "soak without a dependent",
	  "  x: {ops: immediate, soak: 1h}\n"
	  "  y: {ops: immediate}\n", "[]",
	  PLAN_CALL_ESTIMATE + 30 * MIN, 0, PLAN_CALL_ESTIMATE + 30 * MIN, 0 },
	{ "after a scheduled group",
	  "  x: {ops: scheduled, batch_size: 1, stagger: 1h, "
	  "start: \"2026-12-01 02:00\", settle_timeout: 20m, soak: 5m}\n"
	  "  y: {ops: immediate, settle_timeout: 1m}\n", "[x]",
	  2 * PLAN_CALL_ESTIMATE,
	  T_DEC1_SH + 85 * MIN - NOW - 2 * PLAN_CALL_ESTIMATE,
	  PLAN_CALL_ESTIMATE + MIN, 0 },
	{ "scheduled, nothing after it",
	  "  x: {ops: scheduled, batch_size: 1, stagger: 1h, "
	  "start: \"2026-12-01 02:00\", check: probe}\n"
	  "  y: {ops: immediate}\n", "[]",
	  2 * PLAN_CALL_ESTIMATE, 0, PLAN_CALL_ESTIMATE + 30 * MIN,
	  T_DEC1_SH + 60 * MIN + 35 * MIN - NOW },
};

START_TEST(test_timeline)
{
	struct buf	b;

	buf_init(&b);
	buf_addf(&b, "ensbatch: 1\nname: t\ntimezone: Asia/Shanghai\n"
	    "policies:\n%sgroups:\n  - name: x\n    policy: x\n",
	    timeline_cases[_i].policies);
	add_targets(&b, 1, 2);
	buf_addf(&b, "  - name: y\n    policy: y\n    after: %s\n",
	    timeline_cases[_i].y_after);
	add_targets(&b, 3, 1);
	ck_assert_uint_eq(build(b.data, NOW), 0);
	buf_free(&b);
	ck_assert_int_eq(tp->groups[0].wait, 0);
	ck_assert_int_eq(tp->groups[0].estimate,
	    timeline_cases[_i].x_estimate);
	ck_assert_int_eq(tp->groups[1].wait, timeline_cases[_i].y_wait);
	ck_assert_int_eq(tp->groups[1].estimate,
	    timeline_cases[_i].y_estimate);
	ck_assert_int_eq(tp->estimate, timeline_cases[_i].x_estimate +
	    timeline_cases[_i].y_wait + timeline_cases[_i].y_estimate);
	ck_assert_int_eq(tp->settled_by, NOW + (timeline_cases[_i].settled_by
	    != 0 ? timeline_cases[_i].settled_by : tp->estimate));
}
END_TEST

/* The text shows the check, the outcome keys and the wait. */
START_TEST(test_print_text_outcome)
{
	struct buf	 b;
	char		*out;

	buf_init(&b);
	buf_addf(&b, "ensbatch: 1\nname: t\npolicies:\n%sgroups:\n"
	    "  - name: x\n    policy: x\n", timeline_cases[0].policies);
	add_targets(&b, 1, 2);
	buf_adds(&b, "  - name: y\n    policy: y\n    after: [x]\n");
	add_targets(&b, 3, 1);
	ck_assert_uint_eq(build(b.data, NOW), 0);
	buf_free(&b);
	out = print_plan(PLAN_TEXT);
	ck_assert_ptr_nonnull(strstr(out, "\nGroup x: policy x: immediate, "
	    "batch_size 1, pause 0s, max_failures 0, settle_timeout 10m, "
	    "check timeout 2m every 15s, soak 15m\n  check: true\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nGroup y (after x): policy y: "
	    "immediate, batch_size 20, pause 0s, max_failures 0, "
	    "settle_timeout 5m\n  waits up to 15m for the groups it is after "
	    "to settle and soak\n  batch 1/1"));
	ck_assert_ptr_null(strstr(out, "Last scheduled reboot"));
	free(out);
}
END_TEST

/* 400 scheduled batches: the calls alone; one settle_timeout after. */
START_TEST(test_estimate_scheduled_many)
{
	ck_assert_uint_eq(build_staggered(20000, "0s", T_DEC1_SH), 0);
	ck_assert_int_eq(tp->groups[0].estimate, 400 * PLAN_CALL_ESTIMATE);
	ck_assert_int_eq(tp->settled_by, T_DEC1_SH + 30 * MIN);
}
END_TEST

/* A group without targets plans no batches and adds nothing. */
START_TEST(test_empty_group)
{
	struct buf	b;
	char		*out;

	buf_init(&b);
	buf_adds(&b, "ensbatch: 1\nname: x\ngroups:\n"
	    "  - name: g\n    policy: {ops: immediate, pause: 1m}\n");
	add_targets(&b, 1, 2);
	buf_adds(&b, "  - name: none\n    policy: {ops: immediate}\n"
	    "    targets: []\n");
	ck_assert_uint_eq(build(b.data, NOW), 0);
	buf_free(&b);
	ck_assert_uint_eq(tp->ngroups, 2);
	ck_assert_uint_eq(tp->groups[1].nbatches, 0);
	ck_assert_int_eq(tp->groups[1].estimate, 0);
	ck_assert_uint_eq(tp->nbatches, 1);
	ck_assert_uint_eq(tp->ntargets, 2);
	ck_assert_int_eq(tp->estimate, PLAN_CALL_ESTIMATE + 30 * MIN);
	out = print_plan(PLAN_TEXT);
	ck_assert_ptr_nonnull(strstr(out, "\nGroup none: no targets\n"));
	free(out);
}
END_TEST

/* ---------------------------------------------------------- text */

START_TEST(test_print_text)
{
	char	*out, *want;

	build_example();
	out = print_plan(PLAN_TEXT);
	want = xasprintf(
	    "Plan for plan-test (ticket CHG-1)\n"
	    "Manifest: %s\n"
	    "  sha256 %s\n"
	    "Now: 2026-11-01 08:00:00 +08:00 (2026-11-01T00:00:00Z)\n"
	    "Totals: 3 groups, 7 batches, 13 targets\n"
	    "Reboot window: 4 immediate batches from the start of apply; "
	    "PlanTimes from 2026-12-01 02:00:00 +08:00 (2026-11-30T18:00:00Z) "
	    "to 2026-12-01 02:30:00 +08:00 (2026-11-30T18:30:00Z)\n"
	    "Last scheduled reboot: PlanTime 2026-12-01 02:30:00 +08:00 "
	    "(2026-11-30T18:30:00Z)\n"
	    /* item 11: the end counts the settling after the last PlanTime */
	    "Estimated end: every reboot settled by 2026-12-01 03:00:00 "
	    "+08:00 (2026-11-30T19:00:00Z) at the latest, 715h after now "
	    "(an upper bound: every reboot counted at its full "
	    "settle_timeout and check timeout, with every pause and soak)\n"
	    "Estimated duration of apply: at most 2h20m14s, until 2026-11-01 "
	    "10:20:14 +08:00; the scheduled reboots settle after it returns "
	    "(ensbatch status follows them)\n"
	    "\n"
	    "Group a: policy fast: immediate, batch_size 3, pause 10m, "
	    "max_failures 10%% (0), settle_timeout 30m\n"
	    /* the target count is padded to 10 columns */
	    "  batch 1/3  3 targets   immediate, then pause 10m\n"
	    "  batch 2/3  3 targets   immediate, then pause 10m\n"
	    "  batch 3/3  1 target    immediate\n"
	    "  estimated duration at most 1h50m6s (settle_timeout and "
	    "pauses)\n"
	    "\n"
	    "Group c (after a): policy night: scheduled, batch_size 2, "
	    "stagger 15m, max_failures 0, settle_timeout 30m\n"
	    "  batch 1/3  2 targets   PlanTime 2026-12-01 02:00:00 +08:00 "
	    "(2026-11-30T18:00:00Z)\n"
	    "  batch 2/3  2 targets   PlanTime 2026-12-01 02:15:00 +08:00 "
	    "(2026-11-30T18:15:00Z)\n"
	    "  batch 3/3  1 target    PlanTime 2026-12-01 02:30:00 +08:00 "
	    "(2026-11-30T18:30:00Z)\n"
	    "  reboots settled by 2026-12-01 03:00:00 +08:00 at the latest "
	    "(last PlanTime + settle_timeout)\n"
	    "  estimated duration 6s (the calls)\n"
	    "\n"
	    "Group b (after a): policy (inline): immediate, batch_size 20, "
	    "pause 0s, max_failures 0, settle_timeout 30m\n"
	    "  batch 1/1  1 target    immediate\n"
	    "  estimated duration at most 30m2s (settle_timeout and "
	    "pauses)\n", tm->path, tm->sha256);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);
}
END_TEST

/* ---------------------------------------------------------- JSON */

/* Check a parsed plan against tp, batch by batch and target by target. */
static void
json_matches_plan(json_t *root)
{
	json_t			*groups, *jg, *batches, *jb, *targets;
	json_t			*jt;
	const struct plan_group	*pg;
	const struct target	*t;
	size_t			 i, k, j;

	ck_assert_ptr_nonnull(root);
	ck_assert_int_eq(json_integer_value(json_object_get(root,
	    "ensbatch_plan")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(root, "now")),
	    NOW);
	ck_assert_str_eq(json_string_value(json_object_get(root, "now_utc")),
	    "2026-11-01T00:00:00Z");
	ck_assert_int_eq(json_integer_value(json_object_get(root,
	    "groups_total")), (json_int_t)tp->ngroups);
	ck_assert_int_eq(json_integer_value(json_object_get(root,
	    "batches_total")), (json_int_t)tp->nbatches);
	ck_assert_int_eq(json_integer_value(json_object_get(root,
	    "targets_total")), (json_int_t)tp->ntargets);
	ck_assert_int_eq(json_integer_value(json_object_get(root,
	    "estimate_ms")), tp->estimate);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    root, "manifest"), "sha256")), tm->sha256);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    root, "manifest"), "path")), tm->path);

	groups = json_object_get(root, "groups");
	ck_assert(json_is_array(groups));
	ck_assert_uint_eq(json_array_size(groups), tp->ngroups);
	for (i = 0; i < tp->ngroups; i++) {
		pg = &tp->groups[i];
		jg = json_array_get(groups, i);
		ck_assert_str_eq(json_string_value(json_object_get(jg,
		    "name")), pg->group->name);
		ck_assert_int_eq(json_integer_value(json_object_get(jg,
		    "estimate_ms")), pg->estimate);
		batches = json_object_get(jg, "batches");
		ck_assert(json_is_array(batches));
		ck_assert_uint_eq(json_array_size(batches), pg->nbatches);
		for (k = 0; k < pg->nbatches; k++) {
			jb = json_array_get(batches, k);
			ck_assert_int_eq(json_integer_value(json_object_get(jb,
			    "batch")), (json_int_t)k + 1);
			if (pg->batches[k].plan_time == PLAN_NO_TIME)
				ck_assert(json_is_null(json_object_get(jb,
				    "plan_time")));
			else
				ck_assert_int_eq(json_integer_value(
				    json_object_get(jb, "plan_time")),
				    pg->batches[k].plan_time);
			targets = json_object_get(jb, "targets");
			ck_assert_uint_eq(json_array_size(targets),
			    pg->batches[k].count);
			for (j = 0; j < pg->batches[k].count; j++) {
				t = &pg->group->targets[pg->batches[k].first +
				    j];
				jt = json_array_get(targets, j);
				ck_assert_str_eq(json_string_value(
				    json_object_get(jt, "event")), t->event);
				ck_assert_str_eq(json_string_value(
				    json_object_get(jt, "resource")),
				    t->resource);
			}
		}
	}
}

START_TEST(test_print_json)
{
	json_t		*root, *jg, *jb;
	json_error_t	 err;
	char		*out, *e;

	build_example();
	out = print_plan(PLAN_JSON);
	root = json_loads(out, 0, &err);
	ck_assert_msg(root != NULL, "JSON: %s at line %d", err.text,
	    err.line);
	free(out);
	json_matches_plan(root);

	/* Spot checks of the facts reviewers read. */
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    root, "manifest"), "timezone")), "Asia/Shanghai");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
	    root, "manifest"), "ticket")), "CHG-1");
	jg = json_array_get(json_object_get(root, "groups"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(jg, "name")), "a");
	ck_assert_str_eq(json_string_value(json_object_get(jg, "policy")),
	    "fast");
	ck_assert_str_eq(json_string_value(json_object_get(jg, "ops")),
	    "immediate");
	ck_assert_int_eq(json_integer_value(json_object_get(jg,
	    "pause_ms")), 10 * MIN);
	ck_assert_str_eq(json_string_value(json_object_get(jg,
	    "max_failures")), "10%");
	ck_assert_int_eq(json_integer_value(json_object_get(jg,
	    "failure_budget")), 0);
	jg = json_array_get(json_object_get(root, "groups"), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(jg,
	    "after"), 0)), "a");
	ck_assert_int_eq(json_integer_value(json_object_get(jg,
	    "stagger_ms")), 15 * MIN);
	jb = json_array_get(json_object_get(jg, "batches"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(jb,
	    "plan_time_utc")), "2026-11-30T18:15:00Z");
	ck_assert_str_eq(json_string_value(json_object_get(jb,
	    "plan_time_local")), "2026-12-01 02:15:00 +08:00");
	e = ev(3);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
	    json_object_get(jb, "targets"), 0), "event")), e);
	free(e);
	jg = json_array_get(json_object_get(root, "groups"), 2);
	ck_assert(json_is_null(json_object_get(jg, "policy")));
	json_decref(root);
}
END_TEST

/* ---------------------------------------------------------- Markdown */

START_TEST(test_print_markdown)
{
	char		*out, *row, *e, *r, *pa, *pc, *pb, *pstop;
	size_t		 k;
	static const char *const rows[] = {
		"| 1 | 3 | settle, pause 10m |\n",
		"| 2 | 3 | settle, pause 10m |\n",
		"| 3 | 1 | settle |\n",
		"| 1 | 2 | 2026-12-01 02:00:00 +08:00 | "
		"2026-11-30T18:00:00Z |\n",
		"| 2 | 2 | 2026-12-01 02:15:00 +08:00 | "
		"2026-11-30T18:15:00Z |\n",
		"| 3 | 1 | 2026-12-01 02:30:00 +08:00 | "
		"2026-11-30T18:30:00Z |\n",
		"| 1 | 1 | settle |\n",
	};
	static const char *const stops[] = {
		"| a | - | immediate | 7 | 10% (0) | 30m | - | - |\n",
		"| c | a | scheduled | 5 | 0 | 30m | - | - |\n",
		"| b | a | immediate | 1 | 0 | 30m | - | - |\n",
	};
	/* first and last target of a, c, b (b has one: no "last") */
	static const size_t ends[][2] = { { 6, 12 }, { 1, 5 }, { 13, 0 } };

	build_example();
	out = print_plan(PLAN_MARKDOWN);
	ck_assert_ptr_nonnull(strstr(out, "## ensbatch plan: plan-test\n"));
	ck_assert_ptr_nonnull(strstr(out, "- Totals: 3 groups, 7 batches, "
	    "13 targets\n- Reboot window: 4 immediate batches from the start "
	    "of apply; PlanTimes from 2026-12-01 02:00:00 +08:00 "
	    "(2026-11-30T18:00:00Z) to 2026-12-01 02:30:00 +08:00 "
	    "(2026-11-30T18:30:00Z)\n"));
	ck_assert_ptr_nonnull(strstr(out, "- Last scheduled reboot: PlanTime "
	    "2026-12-01 02:30:00 +08:00 (2026-11-30T18:30:00Z)\n"
	    "- Estimated end: every reboot settled by 2026-12-01 03:00:00 "
	    "+08:00 (2026-11-30T19:00:00Z) at the latest, 715h after now"));
	ck_assert_ptr_nonnull(strstr(out, "- Estimated duration of apply: at "
	    "most 2h20m14s, until 2026-11-01 10:20:14 +08:00; the scheduled"));
	ck_assert_ptr_nonnull(strstr(out, "- reboots settled by 2026-12-01 "
	    "03:00:00 +08:00 at the latest (last PlanTime + "
	    "settle_timeout)\n"));
	/* Without a context: no account, the lists are not attached. */
	ck_assert_ptr_null(strstr(out, "Endpoint"));
	ck_assert_ptr_nonnull(strstr(out, "- Target lists: summarised below; "
	    "`ensbatch plan --out PLAN.json` or `--targets-csv FILE` writes "
	    "every target\n"));
	pstop = strstr(out, "\n### Stop conditions\n");
	pa = strstr(out, "\n### Group a\n");
	pc = strstr(out, "\n### Group c\n");
	pb = strstr(out, "\n### Group b\n");
	ck_assert_ptr_nonnull(pstop);
	ck_assert_ptr_nonnull(pa);
	ck_assert_ptr_nonnull(pc);
	ck_assert_ptr_nonnull(pb);
	ck_assert(pstop < pa && pa < pc && pc < pb);
	for (k = 0; k < NITEMS(stops); k++) {
		row = strstr(out, stops[k]);
		ck_assert_msg(row != NULL && row > pstop && row < pa,
		    "no row %s", stops[k]);
	}
	/* One table row per batch, in its group's section. */
	for (k = 0; k < NITEMS(rows); k++) {
		row = strstr(k == 6 ? pb : out, rows[k]);
		ck_assert_msg(row != NULL, "no row %s", rows[k]);
		if (k < 3)
			ck_assert(row > pa && row < pc);
		else if (k < 6)
			ck_assert(row > pc && row < pb);
	}
	/* Targets summarised: first and last of each group, no others. */
	for (k = 0; k < NITEMS(ends); k++) {
		e = ev(ends[k][0]);
		r = rs(ends[k][0]);
		row = xasprintf("- Targets: %s, first `%s` (`%s`)%s",
		    k == 0 ? "7 in 3 batches" : k == 1 ? "5 in 3 batches" :
		    "1 in 1 batch", r, e, ends[k][1] == 0 ? "\n" : ", last `");
		ck_assert_msg(strstr(out, row) != NULL, "no %s", row);
		free(row);
		free(e);
		free(r);
	}
	e = ev(3);
	ck_assert_ptr_null(strstr(out, e));
	free(e);
	free(out);
}
END_TEST

/* Long groups show their first and last batches and one row between. */
START_TEST(test_print_markdown_long)
{
	struct buf	 b;
	char		*out, *row;
	size_t		 k;

	buf_init(&b);
	buf_adds(&b, "ensbatch: 1\nname: long\npolicies:\n"
	    "  p: {ops: scheduled, batch_size: 1, stagger: 1m, "
	    "start: \"2026-12-01T00:00:00Z\"}\ngroups:\n  - name: g\n"
	    "    policy: p\n");
	add_targets(&b, 1, 100);
	ck_assert_uint_eq(build(b.data, NOW), 0);
	buf_free(&b);
	out = print_plan(PLAN_MARKDOWN);
	ck_assert_uint_le(strlen(out), PLAN_MD_BUDGET);
	for (k = 1; k <= 100; k++) {
		row = xasprintf("\n| %zu | 1 | ", k);
		if (k <= 10 || k > 90)
			ck_assert_msg(strstr(out, row) != NULL, "no %s", row);
		else
			ck_assert_msg(strstr(out, row) == NULL, "%s", row);
		free(row);
	}
	ck_assert_ptr_nonnull(strstr(out, "\n| 11-90 | 80 | 2026-12-01 "
	    "00:10:00 +00:00 to 2026-12-01 01:29:00 +00:00 | "
	    "2026-12-01T00:10:00Z to 2026-12-01T01:29:00Z |\n| 91 | 1 | "));
	free(out);
}
END_TEST

static const struct {
	size_t	n;
	int	level;
	size_t	head, tail;
} shown_cases[] = {
	{ 0, 0, 0, 0 },
	{ 1, 0, 1, 0 },
	{ 21, 0, 21, 0 },	/* eliding one batch saves nothing */
	{ 22, 0, 10, 10 },
	{ 100000, 0, 10, 10 },
	{ 11, 1, 11, 0 },
	{ 12, 1, 5, 5 },
	{ 5, 2, 5, 0 },
	{ 6, 2, 2, 2 },
	{ 3, 3, 3, 0 },
	{ 4, 3, 1, 1 },
};

START_TEST(test_md_shown)
{
	size_t	head = 99, tail = 99;

	plan_md_shown(shown_cases[_i].n, shown_cases[_i].level, &head, &tail);
	ck_assert_uint_eq(head, shown_cases[_i].head);
	ck_assert_uint_eq(tail, shown_cases[_i].tail);
}
END_TEST

/* What the manifest says is shown as written, never as Markdown. */
START_TEST(test_print_markdown_escaped)
{
	const char	*yaml = "ensbatch: 1\nname: esc\n"
	    "ticket: \"CHG_1 *x* <b>|[l](u) ~y~ & \\\\\"\n"
	    "policies:\n  p: {ops: immediate, check: {command: "
	    "\"a `b` | c\"}}\ngroups:\n  - name: g\n    policy: p\n"
	    "    targets:\n      - {event: e-00000000000000000000000000000001,"
	    " resource: i-res00001}\n";
	char		*out;

	ck_assert_uint_eq(build(yaml, NOW), 0);
	out = print_plan(PLAN_MARKDOWN);
	ck_assert_ptr_nonnull(strstr(out, "- Ticket: CHG\\_1 \\*x\\* "
	    "\\<b\\>\\|\\[l\\](u) \\~y\\~ \\& \\\\\n"));
	/* A longer fence than the backticks inside. */
	ck_assert_ptr_nonnull(strstr(out, "- Check: ``a `b` | c``\n"));
	free(out);
}
END_TEST

/* A context: the account and where the target lists are. */
START_TEST(test_print_context)
{
	struct plan_account	 acct;
	struct plan_context	 ctx;
	char			*out = NULL;
	size_t			 len = 0;
	FILE			*f;
	json_t			*root, *ja;

	build_example();
	plan_account_set(&acct, "https://ens.aliyuncs.com/", PLAN_KEY_PINNED,
	    "LTAI5tFullKeyId0000abcd");
	ctx.account = &acct;
	ctx.out = "plan.json";
	ctx.targets_csv = "t.csv";
	f = open_memstream(&out, &len);
	ck_assert_int_eq(plan_print_context(tp, PLAN_MARKDOWN, &ctx, f), 0);
	ck_assert_int_eq(plan_print_context(tp, PLAN_TEXT, &ctx, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_ptr_nonnull(strstr(out, "- Endpoint: "
	    "`https://ens.aliyuncs.com/`\n- Access key: `LTAI****abcd`, "
	    "pinned: apply --plan refuses any other\n"));
	ck_assert_ptr_nonnull(strstr(out, "- Target lists: every target with "
	    "its batch is in `plan.json` (the plan file apply --plan runs) "
	    "and `t.csv` (CSV: group, batch, event, instance, "
	    "plan_time_utc)\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nEndpoint: https://ens.aliyuncs."
	    "com/\nAccess key: LTAI****abcd, pinned"));
	ck_assert_ptr_null(strstr(out, "LTAI5tFullKeyId0000abcd"));
	free(out);
	out = NULL;
	f = open_memstream(&out, &len);
	ck_assert_int_eq(plan_print_context(tp, PLAN_JSON, &ctx, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	root = json_loads(out, 0, NULL);
	ck_assert_ptr_nonnull(root);
	ja = json_object_get(root, "account");
	ck_assert_str_eq(json_string_value(json_object_get(ja,
	    "access_key_id")), "LTAI****abcd");
	ck_assert_str_eq(json_string_value(json_object_get(ja,
	    "access_key_id_sha256")), acct.key_sha256);
	json_decref(root);
	free(out);
	plan_account_clear(&acct);
}
END_TEST

/* ---------------------------------------------------------- save */

START_TEST(test_save)
{
	json_t		*root;
	json_error_t	 err;
	char		*path, *cause = (char *)"unset", *printed;
	json_t		*again;
	struct dirent	**ents;
	int		 n, i;

	build_example();
	path = xasprintf("%s/plan.json", fixture_dir);
	put("plan.json", "old contents\n");
	ck_assert_int_eq(plan_save(tp, NULL, path, &cause), 0);
	ck_assert_ptr_null(cause);
	root = json_load_file(path, 0, &err);
	ck_assert_msg(root != NULL, "JSON: %s at line %d", err.text,
	    err.line);
	json_matches_plan(root);
	/* The same document plan_print writes. */
	printed = print_plan(PLAN_JSON);
	again = json_loads(printed, 0, &err);
	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(json_equal(root, again), 1);
	json_decref(again);
	json_decref(root);
	free(printed);
	free(path);
	/* No temporary file is left behind. */
	n = scandir(fixture_dir, &ents, NULL, alphasort);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(ents[2]->d_name, "m.yaml");
	ck_assert_str_eq(ents[3]->d_name, "plan.json");
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}
END_TEST

/* ---------------------------------------------------------- account */

#define EP	"https://ens.aliyuncs.com/"
#define KEY_A	"LTAI5tAAAAAAAAAAAAAAabcd"
#define KEY_B	"LTAI5tBBBBBBBBBBBBBBwxyz"
#define KEY_A2	"LTAI5tZZZZZZZZZZZZZZabcd"	/* masked as KEY_A */

static const struct {
	const char	*plan_ep;
	enum plan_key	 plan_key;
	const char	*plan_id;
	const char	*run_ep;
	enum plan_key	 run_key;
	const char	*run_id;
	const char	*want;		/* NULL: the run may go on */
} account_cases[] = {
	{ EP, PLAN_KEY_PINNED, KEY_A, EP, PLAN_KEY_PINNED, KEY_A, NULL },
	/* Host names are case-insensitive. */
	{ "https://ENS.aliyuncs.com/", PLAN_KEY_PINNED, KEY_A, EP,
	  PLAN_KEY_PINNED, KEY_A, NULL },
	{ EP, PLAN_KEY_PINNED, KEY_A, EP, PLAN_KEY_PINNED, KEY_B,
	  "planned for " EP " (key LTAI****abcd) but running against " EP
	  " (key LTAI****wxyz)" },
	{ EP, PLAN_KEY_PINNED, KEY_A,
	  "https://ens.ap-southeast-1.aliyuncs.com/", PLAN_KEY_PINNED, KEY_A, "planned for " EP " (key LTAI****abcd) but "
	  "running against https://ens.ap-southeast-1.aliyuncs.com/ (key "
	  "LTAI****abcd)" },
	{ EP, PLAN_KEY_PINNED, KEY_A, "http://127.0.0.1:8080/",
	  PLAN_KEY_PINNED, KEY_B, "planned for " EP " (key LTAI****abcd) but "
	  "running against http://127.0.0.1:8080/ (key LTAI****wxyz)" },
	/* A plan that pins no key accepts any key at its endpoint... */
	{ EP, PLAN_KEY_NONE, NULL, EP, PLAN_KEY_PINNED, KEY_B, NULL },
	{ EP, PLAN_KEY_TEMPORARY, NULL, EP, PLAN_KEY_PINNED, KEY_B, NULL },
	{ EP, PLAN_KEY_NOT_ASKED, NULL, EP, PLAN_KEY_PINNED, KEY_A, NULL },
	/* ...but not another endpoint. */
	{ EP, PLAN_KEY_NONE, NULL, "https://b.example/", PLAN_KEY_PINNED,
	  KEY_A, "planned for " EP " (no key pinned) but running against "
	  "https://b.example/ (key LTAI****abcd)" },
	/* A pinned key needs a key. */
	{ EP, PLAN_KEY_PINNED, KEY_A, EP, PLAN_KEY_NONE, NULL,
	  "planned for " EP " (key LTAI****abcd) but running against " EP
	  " (no key pinned)" },
	/* Keys masked alike: the hashes tell them apart (below). */
	{ EP, PLAN_KEY_PINNED, KEY_A, EP, PLAN_KEY_PINNED, KEY_A2, "" },
};

START_TEST(test_account_diff)
{
	struct plan_account	 planned, run;
	char			*got, *want;
	char			 ha[HASH_HEX_LEN], hb[HASH_HEX_LEN];

	plan_account_set(&planned, account_cases[_i].plan_ep,
	    account_cases[_i].plan_key, account_cases[_i].plan_id);
	plan_account_set(&run, account_cases[_i].run_ep,
	    account_cases[_i].run_key, account_cases[_i].run_id);
	got = plan_account_diff(&planned, &run);
	if (account_cases[_i].want == NULL)
		ck_assert_msg(got == NULL, "refused: %s", got);
	else if (*account_cases[_i].want != '\0')
		ck_assert_str_eq(got, account_cases[_i].want);
	else {
		hash_sha256_hex(KEY_A, strlen(KEY_A), ha);
		hash_sha256_hex(KEY_A2, strlen(KEY_A2), hb);
		want = xasprintf("planned for " EP " (key LTAI****abcd, "
		    "sha256 %.12s...) but running against " EP " (key "
		    "LTAI****abcd, sha256 %.12s...)", ha, hb);
		ck_assert_str_eq(got, want);
		free(want);
	}
	free(got);
	plan_account_clear(&planned);
	plan_account_clear(&run);
}
END_TEST

/* What apply --plan does: verify the plan file, then its account. */
static int
verify_account(const char *path, const struct plan_account *run,
    int *pinned, char **cause)
{
	struct plan_account	approved;
	int			rc;

	if ((rc = plan_verify(tp, path, NOW, &approved, cause)) == 0)
		rc = plan_check_account(&approved, run, pinned, cause);
	plan_account_clear(&approved);
	return (rc);
}

/* The saved account, read back by apply: the full id is not in it. */
START_TEST(test_save_account)
{
	struct plan_account	 acct, run;
	char			*path, *cause = NULL, *text;
	size_t			 len;
	int			 pinned = -1;

	build_example();
	path = xasprintf("%s/plan.json", fixture_dir);
	plan_account_set(&acct, EP, PLAN_KEY_PINNED, KEY_A);
	ck_assert_int_eq(plan_save(tp, &acct, path, &cause), 0);
	ck_assert_int_eq(buf_read_file(path, 1 << 20, &text, &len, &cause), 0);
	ck_assert_ptr_null(strstr(text, KEY_A));
	ck_assert_ptr_nonnull(strstr(text, "\"access_key_id\": "
	    "\"LTAI****abcd\""));
	free(text);
	ck_assert_int_eq(verify_account(path, &acct, &pinned, &cause), 0);
	ck_assert_int_eq(pinned, 1);
	plan_account_set(&run, EP, PLAN_KEY_PINNED, KEY_A2);
	ck_assert_int_eq(verify_account(path, &run, &pinned, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "stale plan: planned for " EP
	    " (key LTAI****abcd, sha256 "));
	free(cause);
	/* An endpoint-only plan accepts the key, and says it pinned none. */
	plan_account_clear(&acct);
	plan_account_set(&acct, EP, PLAN_KEY_NONE, NULL);
	ck_assert_int_eq(plan_save(tp, &acct, path, &cause), 0);
	ck_assert_int_eq(verify_account(path, &run, &pinned, &cause), 0);
	ck_assert_int_eq(pinned, 0);
	/* A plan file without an account (or a broken one) is stale. */
	ck_assert_int_eq(plan_save(tp, NULL, path, &cause), 0);
	ck_assert_int_eq(verify_account(path, &run, &pinned, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "stale plan: "));
	ck_assert_ptr_nonnull(strstr(cause, "does not say which endpoint"));
	free(cause);
	put("plan.json", "{\"account\": {\"endpoint\": \"" EP "\", "
	    "\"access_key\": \"pinned\", \"access_key_id\": \"x\"}}\n");
	ck_assert_int_eq(verify_account(path, &run, &pinned, &cause), -1);
	free(cause);
	put("plan.json", "{\"account\": {\"endpoint\": \"" EP "\", "
	    "\"access_key\": \"whatever\"}}\n");
	ck_assert_int_eq(verify_account(path, &run, &pinned, &cause), -1);
	free(cause);
	plan_account_clear(&acct);
	plan_account_clear(&run);
	free(path);
}
END_TEST

/* A stale plan's message counts in the right number ("1 batch"). */
START_TEST(test_verify_batches_plural)
{
	struct plan_account	 approved;
	json_t			*root, *batches;
	char			*path, *cause = NULL;

	build_example();
	path = xasprintf("%s/plan.json", fixture_dir);
	plan_account_set(&approved, EP, PLAN_KEY_NONE, NULL);
	ck_assert_int_eq(plan_save(tp, &approved, path, &cause), 0);
	plan_account_clear(&approved);
	ck_assert_int_eq(plan_verify(tp, path, NOW, &approved, &cause), 0);
	ck_assert_str_eq(approved.endpoint, EP);
	plan_account_clear(&approved);
	root = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(root);
	/* Run order a, c, b: b has one batch; the file gets a second. */
	batches = json_object_get(json_array_get(json_object_get(root,
	    "groups"), 2), "batches");
	json_array_append(batches, json_array_get(batches, 0));
	ck_assert_int_eq(json_dump_file(root, path, 0), 0);
	json_decref(root);
	ck_assert_int_eq(plan_verify(tp, path, NOW, &approved, &cause), -1);
	ck_assert_str_eq(cause, "stale plan: group b has 1 batch, the "
	    "approved plan 2");
	free(cause);
	plan_account_clear(&approved);
	free(path);
}
END_TEST

START_TEST(test_save_targets_csv)
{
	static const struct {
		size_t		 target;
		const char	*before, *after;	/* the ids */
	} lines[] = {
		{ 6, "plan_time_utc\na,1,", ",\n" },
		{ 5, "\nc,3,", ",2026-11-30T18:30:00Z\nb,1," },
	};
	char	*path, *cause = NULL, *text, *line, *e, *r;
	size_t	 len, k;

	build_example();
	path = xasprintf("%s/t.csv", fixture_dir);
	ck_assert_int_eq(plan_save_targets_csv(tp, path, &cause), 0);
	ck_assert_int_eq(buf_read_file(path, 1 << 20, &text, &len, &cause), 0);
	ck_assert(strncmp(text, "group,batch,event,instance,"
	    "plan_time_utc\n", 41) == 0);
	/* Run order a, c, b: a's first, c's last (batch 3), b's one. */
	for (k = 0; k < NITEMS(lines); k++) {
		e = ev(lines[k].target);
		r = rs(lines[k].target);
		line = xasprintf("%s%s,%s%s", lines[k].before, e, r,
		    lines[k].after);
		ck_assert_msg(strstr(text, line) != NULL, "no %s", line);
		free(line);
		free(e);
		free(r);
	}
	len = 0;
	for (line = text; (line = strchr(line, '\n')) != NULL; line++)
		len++;
	ck_assert_uint_eq(len, 14);	/* the header and 13 targets */
	free(text);
	free(path);
}
END_TEST

/*
 * The saved plan is an ordinary file (0666 & ~umask), as a report is:
 * it is attached to tickets and read by whoever applies it.
 */
START_TEST(test_save_mode)
{
	struct stat	 st;
	char		*path, *cause = NULL;
	mode_t		 mask;
	int		 rc;

	build_example();
	path = xasprintf("%s/plan.json", fixture_dir);
	mask = umask(022);
	ck_assert_int_eq(plan_save(tp, NULL, path, &cause), 0);
	umask(mask);
	rc = stat(path, &st);
	free(path);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0644);
}
END_TEST

START_TEST(test_save_no_dir)
{
	char		*path, *cause = NULL, *want;
	struct dirent	**ents;
	int		 n, i;

	build_example();
	path = xasprintf("%s/nope/plan.json", fixture_dir);
	ck_assert_int_eq(plan_save(tp, NULL, path, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	want = xasprintf("cannot write %s: No such file or directory", path);
	ck_assert_str_eq(cause, want);
	free(want);
	free(cause);
	free(path);
	n = scandir(fixture_dir, &ents, NULL, alphasort);
	ck_assert_int_eq(n, 3);		/* ".", "..", "m.yaml" */
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
}
END_TEST

/* ---------------------------------------------------------- report */

/* The suite of the report called name. */
static const struct report_suite *
suite_named(const struct report *r, const char *name)
{
	size_t	i;

	for (i = 0; i < r->nsuites; i++) {
		if (strcmp(r->suites[i].name, name) == 0)
			return (&r->suites[i]);
	}
	ck_abort_msg("no suite %s", name);
	return (NULL);
}

static const char *
prop(const struct report_suite *rs, const char *name)
{
	size_t	i;

	for (i = 0; i < rs->nprops; i++) {
		if (strcmp(rs->props[i].name, name) == 0)
			return (rs->props[i].value);
	}
	return (NULL);
}

START_TEST(test_report_valid)
{
	struct report			*r;
	const struct report_suite	*rs;
	const struct report_case	*c;
	char				*name, *e, *want;
	size_t				 k;

	build_example();
	r = plan_report(tp, td, NULL);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->name, "plan-test");
	ck_assert_uint_eq(r->nsuites, 3);
	ck_assert_str_eq(r->suites[0].name, "a");
	ck_assert_str_eq(r->suites[1].name, "c");
	ck_assert_str_eq(r->suites[2].name, "b");

	rs = suite_named(r, "a");
	ck_assert_uint_eq(rs->ncases, 7);
	for (k = 0; k < 7; k++) {
		c = &rs->cases[k];
		e = ev(6 + k);
		name = xasprintf("i-res%05zu %s", 6 + k, e);
		ck_assert_str_eq(c->name, name);
		ck_assert_str_eq(c->classname, "plan-test.a");
		ck_assert_int_eq(c->outcome, REPORT_SKIPPED);
		want = xasprintf("dry-run: batch %zu/3, immediate", k / 3 + 1);
		ck_assert_str_eq(c->message, want);
		free(want);
		want = xasprintf("batch %zu/3\nops immediate\n", k / 3 + 1);
		ck_assert_str_eq(c->system_out, want);
		free(want);
		free(name);
		free(e);
	}
	ck_assert_str_eq(prop(rs, "mode"), "dry-run");
	ck_assert_str_eq(prop(rs, "policy"), "fast");
	ck_assert_str_eq(prop(rs, "ops"), "immediate");
	ck_assert_str_eq(prop(rs, "ticket"), "CHG-1");
	ck_assert_str_eq(prop(rs, "endpoint"), "ens.aliyuncs.com");
	ck_assert_str_eq(prop(rs, "manifest_sha256"), tm->sha256);

	rs = suite_named(r, "c");
	ck_assert_uint_eq(rs->ncases, 5);
	ck_assert_str_eq(rs->cases[0].message,
	    "dry-run: batch 1/3, PlanTime 2026-11-30T18:00:00Z");
	ck_assert_str_eq(rs->cases[3].message,
	    "dry-run: batch 2/3, PlanTime 2026-11-30T18:15:00Z");
	ck_assert_str_eq(rs->cases[4].message,
	    "dry-run: batch 3/3, PlanTime 2026-11-30T18:30:00Z");
	ck_assert_str_eq(rs->cases[4].system_out, "batch 3/3\n"
	    "ops scheduled\nPlanTime 1796063400000 (2026-11-30T18:30:00Z)\n");
	ck_assert_str_eq(prop(rs, "plan_time_first"), "2026-11-30T18:00:00Z");
	ck_assert_str_eq(prop(rs, "plan_time_last"), "2026-11-30T18:30:00Z");

	rs = suite_named(r, "b");
	ck_assert_uint_eq(rs->ncases, 1);
	ck_assert_str_eq(rs->cases[0].message,
	    "dry-run: batch 1/1, immediate");
	ck_assert_str_eq(prop(rs, "policy"), "(inline)");
	report_free(r);
}
END_TEST

START_TEST(test_report_endpoint)
{
	struct report	*r;

	build_example();
	r = plan_report(tp, td, "http://127.0.0.1:8080");
	ck_assert_str_eq(prop(&r->suites[0], "endpoint"),
	    "http://127.0.0.1:8080");
	report_free(r);
}
END_TEST

/*
 * With errors every target still gets exactly one testcase: a failure
 * for the target at fault, "not planned" for the others; the
 * "(validation)" suite lists every diagnostic.
 */
START_TEST(test_report_invalid)
{
	struct report			*r;
	const struct report_suite	*rs;
	struct buf			 b;
	size_t				 i, errors;
	char				*e;

	buf_init(&b);
	buf_adds(&b, "ensbatch: 1\nname: bad\ngroups:\n"
	    "  - name: g\n    policy: {ops: immediate, batch_size: 2}\n"
	    "    targets:\n"
	    "      - {event: e-NOT-AN-EVENT, resource: i-res00001}\n");
	for (i = 2; i <= 3; i++) {
		e = ev(i);
		buf_addf(&b, "      - {event: %s, resource: i-res%05zu}\n", e,
		    i);
		free(e);
	}
	buf_adds(&b, "  - name: h\n    policy: {ops: immediate}\n");
	add_targets(&b, 4, 1);
	errors = build(b.data, NOW);
	buf_free(&b);
	ck_assert_uint_eq(errors, 1);

	r = plan_report(tp, td, NULL);
	/* The two groups, and one failing case listing the diagnostics. */
	ck_assert_uint_eq(r->nsuites, 3);
	rs = suite_named(r, "(validation)");
	ck_assert_uint_eq(rs->ncases, 1);
	ck_assert_int_eq(rs->cases[0].outcome, REPORT_FAILURE);
	ck_assert_str_eq(rs->cases[0].type, "validation");
	ck_assert_ptr_nonnull(strstr(rs->cases[0].system_out, "[event-id]"));
	rs = suite_named(r, "g");
	ck_assert_uint_eq(rs->ncases, 3);
	ck_assert_str_eq(rs->cases[0].name, "i-res00001 e-NOT-AN-EVENT");
	ck_assert_int_eq(rs->cases[0].outcome, REPORT_FAILURE);
	ck_assert_str_eq(rs->cases[0].type, "event-id");
	ck_assert_str_eq(rs->cases[0].message, "\"e-NOT-AN-EVENT\" is not an "
	    "event id (e- and 32 lower-case hex digits)");
	for (i = 1; i < 3; i++) {
		ck_assert_int_eq(rs->cases[i].outcome, REPORT_SKIPPED);
		ck_assert_str_eq(rs->cases[i].message,
		    "dry-run: not planned, the manifest has errors");
	}
	rs = suite_named(r, "h");
	ck_assert_uint_eq(rs->ncases, 1);
	ck_assert_int_eq(rs->cases[0].outcome, REPORT_SKIPPED);
	ck_assert_str_eq(rs->cases[0].message,
	    "dry-run: not planned, the manifest has errors");
	report_free(r);
}
END_TEST

/* A group whose policy is broken fails all its targets. */
START_TEST(test_report_group_error)
{
	struct report			*r;
	const struct report_suite	*rs;
	struct buf			 b;
	size_t				 i;

	buf_init(&b);
	buf_adds(&b, "ensbatch: 1\nname: bad\ngroups:\n"
	    "  - name: g\n    policy: {ops: sometimes}\n");
	add_targets(&b, 1, 2);
	ck_assert_uint_eq(build(b.data, NOW), 1);
	buf_free(&b);
	ck_assert_uint_eq(tp->groups[0].nbatches, 0);
	r = plan_report(tp, td, NULL);
	rs = suite_named(r, "g");
	ck_assert_uint_eq(rs->ncases, 2);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(rs->cases[i].outcome, REPORT_FAILURE);
		ck_assert_str_eq(rs->cases[i].type, "ops");
	}
	report_free(r);
}
END_TEST

/*
 * The largest stagger (30 days) over 50-target batches up to the last
 * representable PlanTime: every PlanTime exact, no overflow (the
 * sanitizer build checks that); one batch more is a range error.
 */
START_TEST(test_huge_stagger)
{
	const int64_t	 day = 24 * 60 * MIN, stagger = 30 * day;
	const int64_t	 start = INT64_C(253402300799999) - 99 * stagger;
	const struct plan_group *pg;
	size_t		 k;

	ck_assert_uint_eq(build_staggered(100 * 50, "720h", start), 0);
	pg = &tp->groups[0];
	ck_assert_uint_eq(pg->nbatches, 100);
	for (k = 0; k < pg->nbatches; k++) {
		ck_assert_uint_eq(pg->batches[k].count, 50);
		ck_assert_int_eq(pg->batches[k].plan_time,
		    start + (int64_t)k * stagger);
	}
	ck_assert_int_eq(pg->batches[99].plan_time, INT64_C(253402300799999));
	ck_assert_int_ge(tp->estimate, 0);
	plan_free(tp);
	tp = NULL;
	manifest_free(tm);
	tm = NULL;
	diags_free(td);
	td = diags_new();
	ck_assert_uint_eq(build_staggered(100 * 50 + 1, "720h", start), 1);
	ck_assert_str_eq(diags_rule(td, 1), "range");
}
END_TEST

/* A stagger over 30 days never reaches the planner as a value. */
START_TEST(test_stagger_over_bound)
{
	ck_assert_uint_eq(build_staggered(100, "2562047788015h",
	    T_DEC1_SH), 1);
	ck_assert_str_eq(diags_rule(td, 1), "range");
	ck_assert_int_eq(tm->policies[0].ok, 0);
	ck_assert_uint_eq(tp->groups[0].nbatches, 0);
}
END_TEST

Suite *
plan_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("plan");

	tc = tcase_create("batches");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_cut, 0, NITEMS(cut_cases));
	tcase_add_test(tc, test_example_structure);
	suite_add_tcase(s, tc);

	tc = tcase_create("bounds");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_huge_stagger);
	tcase_add_test(tc, test_stagger_over_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("totals");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_totals_estimate);
	tcase_add_loop_test(tc, test_timeline, 0, NITEMS(timeline_cases));
	tcase_add_test(tc, test_estimate_scheduled_many);
	tcase_add_test(tc, test_print_text_outcome);
	tcase_add_test(tc, test_empty_group);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_print_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_print_json);
	suite_add_tcase(s, tc);

	tc = tcase_create("markdown");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_print_markdown);
	tcase_add_test(tc, test_print_markdown_long);
	tcase_add_test(tc, test_print_markdown_escaped);
	tcase_add_test(tc, test_print_context);
	tcase_add_loop_test(tc, test_md_shown, 0, NITEMS(shown_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("save");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_save);
	tcase_add_test(tc, test_save_mode);
	tcase_add_test(tc, test_save_no_dir);
	tcase_add_test(tc, test_save_account);
	tcase_add_test(tc, test_save_targets_csv);
	tcase_add_test(tc, test_verify_batches_plural);
	tcase_add_loop_test(tc, test_account_diff, 0, NITEMS(account_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("report");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_report_valid);
	tcase_add_test(tc, test_report_endpoint);
	tcase_add_test(tc, test_report_invalid);
	tcase_add_test(tc, test_report_group_error);
	suite_add_tcase(s, tc);

	return (s);
}
