/*
 * Tests for rules_check: every offline rule of SPEC section 3 fires at
 * its position on a small manifest and stays silent on the valid
 * variant next to it; resolved values; the group order (Kahn, ties in
 * file order) and cycle reports; the id checkers.
 *
 * Diagnostics are compared as their printed header lines, with the
 * temporary directory stripped ("m.yaml:3:5: error: ... [rule]").
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/buf.h"
#include "ensbatch/diag.h"
#include "ensbatch/manifest.h"
#include "ensbatch/rules.h"
#include "ensbatch/xmalloc.h"
#include "fixture.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

#define EV(x)	"e-0000000000000000000000000000000" x
#define RS(x)	"i-res0000" x

/* 2026-11-01T00:00:00Z */
#define NOW		INT64_C(1793491200000)
/* 2026-12-01 02:00 in Asia/Shanghai = 2026-11-30T18:00:00Z */
#define T_DEC1_SH	INT64_C(1796061600000)
#define MIN		INT64_C(60000)
#define HOUR		(60 * MIN)

/* ---------------------------------------------------------- fixture */

/* The shared fixture's diagnostics and manifest (fixture.h). */
#define td	fixture_diags
#define tm	fixture_manifest
#define put	fixture_put_text
#define reset	fixture_reset

/*
 * Load fixture_dir/m.yaml (the loader must be happy) and run the rules.
 * Returns rules_check's error count in *errors.
 */
static struct manifest *
check_at(const char *yaml, int64_t now, size_t *errors)
{
	size_t	 n;

	ck_assert_ptr_nonnull(fixture_load(yaml, strlen(yaml)));
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 0);
	n = rules_check(tm, now, td);
	ck_assert_uint_eq(n, diags_count(td, DIAG_ERROR));
	if (errors != NULL)
		*errors = n;
	return (tm);
}

static struct manifest *
check(const char *yaml)
{
	return (check_at(yaml, NOW, NULL));
}

/* How many diagnostics carry rule. */
static size_t
count_rule(const char *rule)
{
	const char	*r;
	uint32_t	 id;
	size_t		 n = 0;

	for (id = 1; diags_message(td, id) != NULL; id++) {
		r = diags_rule(td, id);
		if (r != NULL && strcmp(r, rule) == 0)
			n++;
	}
	return (n);
}

/* ---------------------------------------------------------- pairs */

/*
 * Lines 1-3 header, 4-5 one policy "p" (its keys start in column 7),
 * 6-9 one group "g", 10-11 two targets (event column 17, resource 63).
 */
#define HEAD_(name)	"ensbatch: 1\nname: " name "\n" \
			"timezone: Asia/Shanghai\n"
#define HEAD		HEAD_("x")
#define POL(b)		"policies:\n  p: {" b "}\n"
#define GRP_(pol)	"groups:\n  - name: g\n    policy: " pol "\n" \
			"    targets:\n"
#define GRP		GRP_("p")
#define TGT(e, r)	"      - {event: " e ", resource: " r "}\n"
#define T1		TGT(EV("1"), RS("1"))
#define T2		TGT(EV("2"), RS("2"))
#define STD(b)		HEAD POL(b) GRP T1 T2
#define IMM		"ops: immediate"
#define SCHED		"ops: scheduled, start: \"2026-12-01 02:00\""

static const struct {
	const char	*name;
	const char	*bad;
	const char	*expect;	/* diagnostics of bad */
	const char	*good;		/* no diagnostics at all */
} pairs[] = {
	{ "name",
	  HEAD_("-x") POL(IMM) GRP T1 T2,
	  "m.yaml:2:7: error: name must match "
	  "[A-Za-z0-9][A-Za-z0-9._-]{0,63}, found \"-x\" [name]\n",
	  HEAD_("x-1.a_b") POL(IMM) GRP T1 T2 },
	{ "group name",
	  HEAD POL(IMM) "groups:\n  - name: g/h\n    policy: p\n"
	  "    targets:\n" T1 T2,
	  "m.yaml:7:11: error: group name must match [A-Za-z0-9._-]{1,64}, "
	  "found \"g/h\" [name]\n",
	  HEAD POL(IMM) "groups:\n  - name: _g.h-1\n    policy: p\n"
	  "    targets:\n" T1 T2 },
	{ "timezone",
	  "ensbatch: 1\nname: x\ntimezone: Mars/Olympus\n" POL(IMM) GRP
	  T1 T2,
	  "m.yaml:3:11: error: unknown time zone \"Mars/Olympus\" "
	  "[timezone]\n",
	  "ensbatch: 1\nname: x\ntimezone: Europe/Berlin\n" POL(IMM) GRP
	  T1 T2 },
	{ "event-id",
	  HEAD POL(IMM) GRP TGT("e-0123456789ABCDEF0123456789abcdef",
	  RS("1")) T2,
	  "m.yaml:10:17: error: \"e-0123456789ABCDEF0123456789abcdef\" is "
	  "not an event id (e- and 32 lower-case hex digits) [event-id]\n",
	  HEAD POL(IMM) GRP TGT("e-0123456789abcdef0123456789abcdef",
	  RS("1")) T2 },
	{ "resource-id",
	  HEAD POL(IMM) GRP T1 TGT(EV("2"), "i-short"),
	  "m.yaml:11:63: error: \"i-short\" is not an instance id (i- or "
	  "n- and 8 to 64 of [0-9a-z]) [resource-id]\n",
	  HEAD POL(IMM) GRP T1 TGT(EV("2"), "n-short123") },
	{ "duplicate-target",
	  HEAD POL(IMM) GRP T1 TGT(EV("1"), RS("2")),
	  "m.yaml:11:17: error: event " EV("1") " is listed twice "
	  "[duplicate-target]\n"
	  "m.yaml:10:17: note: first listed here\n",
	  HEAD POL(IMM) GRP T1 TGT(EV("3"), RS("2")) },
	{ "policy-ref suggestion",
	  HEAD "policies:\n  night: {" IMM "}\n" GRP_("nigth") T1 T2,
	  "m.yaml:8:13: error: unknown policy \"nigth\"; did you mean "
	  "\"night\"? [policy-ref]\n",
	  HEAD "policies:\n  night: {" IMM "}\n" GRP_("night") T1 T2 },
	{ "policy-ref",
	  HEAD POL(IMM) GRP_("weekend") T1 T2,
	  "m.yaml:8:13: error: unknown policy \"weekend\" [policy-ref]\n",
	  HEAD POL(IMM) GRP_("{" IMM "}") T1 T2 },
	{ "ops",
	  STD("ops: immedate"),
	  "m.yaml:5:12: error: ops must be immediate or scheduled, found "
	  "\"immedate\"; did you mean \"immediate\"? [ops]\n",
	  STD("ops: immediate") },
	{ "ops far",
	  STD("ops: later"),
	  "m.yaml:5:12: error: ops must be immediate or scheduled, found "
	  "\"later\" [ops]\n",
	  STD(SCHED) },
	{ "scheduled-start",
	  STD("ops: scheduled, stagger: 1m"),
	  "m.yaml:5:12: error: a scheduled policy needs \"start\": the API "
	  "requires a PlanTime [scheduled-start]\n",
	  STD(SCHED ", stagger: 1m") },
	{ "immediate-time",
	  STD(IMM ", start: \"2026-12-01 02:00\", stagger: 1m, "
	  "window_end: \"2026-12-02 02:00\""),
	  "m.yaml:5:30: error: start applies to scheduled policies only; "
	  "this one is immediate [immediate-time]\n"
	  "m.yaml:5:59: error: stagger applies to scheduled policies only; "
	  "this one is immediate [immediate-time]\n"
	  "m.yaml:5:75: error: window_end applies to scheduled policies "
	  "only; this one is immediate [immediate-time]\n",
	  STD(IMM ", pause: 1m, min_lead: 1m") },
	{ "range batch_size 0",
	  STD(IMM ", batch_size: 0"),
	  "m.yaml:5:35: error: batch_size must be between 1 and 50, found 0 "
	  "[range]\n",
	  STD(IMM ", batch_size: 1") },
	{ "range batch_size 51",
	  STD(IMM ", batch_size: 51"),
	  "m.yaml:5:35: error: batch_size must be between 1 and 50, found "
	  "51 [range]\n",
	  STD(IMM ", batch_size: 50") },
	{ "range negative pause",
	  STD(IMM ", pause: -1m"),
	  "m.yaml:5:30: error: pause must not be negative [range]\n",
	  STD(IMM ", pause: 0s") },
	{ "range negative stagger",
	  STD(SCHED ", stagger: -15m"),
	  "m.yaml:5:59: error: stagger must not be negative [range]\n",
	  STD(SCHED ", stagger: 15m") },
	{ "range max_failures",
	  STD(IMM ", max_failures: 3"),
	  "m.yaml:5:37: error: max_failures 3 is more than the 2 targets of "
	  "group \"g\" [range]\n",
	  STD(IMM ", max_failures: 2") },
	{ "range max_failures negative",
	  STD(IMM ", max_failures: -1"),
	  "m.yaml:5:37: error: max_failures must be between 0 and "
	  "2147483647, found -1 [range]\n",
	  STD(IMM ", max_failures: 0") },
	{ "range max_failures percent",
	  STD(IMM ", max_failures: 101%"),
	  "m.yaml:5:37: error: max_failures must be between 0% and 100%, "
	  "found 101% [range]\n",
	  STD(IMM ", max_failures: 100%") },
	{ "type max_failures percent",
	  STD(IMM ", max_failures: x%"),
	  "m.yaml:5:37: error: max_failures must be an integer or a "
	  "percentage like \"10%\", found \"x%\" [type]\n",
	  STD(IMM ", max_failures: 0%") },
	{ "type batch_size",
	  STD(IMM ", batch_size: ten"),
	  "m.yaml:5:35: error: batch_size must be an integer, found \"ten\" "
	  "[type]\n",
	  STD(IMM ", batch_size: 10") },
	{ "type batch_size quoted",
	  STD(IMM ", batch_size: \"10\""),
	  "m.yaml:5:35: error: batch_size must be an integer, found the "
	  "string \"10\" [type]\n",
	  STD(IMM ", batch_size: 10") },
	{ "duration",
	  STD(IMM ", pause: 10"),
	  "m.yaml:5:30: error: pause: \"10\" has no unit (use 10s, 10m or "
	  "10h) [duration]\n",
	  STD(IMM ", pause: 10s") },
	{ "duration min_lead",
	  STD(SCHED ", min_lead: 5 minutes"),
	  "m.yaml:5:60: error: min_lead: invalid duration \"5 minutes\": "
	  "unknown unit \" minutes\" (use h, m, s or ms) [duration]\n",
	  STD(SCHED ", min_lead: 5m") },
	{ "time",
	  STD("ops: scheduled, start: tomorrow"),
	  "m.yaml:5:30: error: start: cannot parse time \"tomorrow\": use "
	  "RFC 3339 (2026-12-01T02:00:00+08:00 or 2026-11-30T18:00:00Z), a "
	  "local YYYY-MM-DD HH:MM[:SS] or epoch milliseconds [time]\n",
	  STD("ops: scheduled, start: 2026-12-01T02:00:00+08:00") },
	{ "time window_end",
	  STD(SCHED ", window_end: \"2026-13-01 00:00\""),
	  "m.yaml:5:62: error: window_end: invalid time \"2026-13-01 00:00\": "
	  "month must be 01 to 12 [time]\n",
	  STD(SCHED ", window_end: \"2026-12-02 00:00\"") },
	{ "range ticket",
	  "ensbatch: 1\nname: x\nticket: T-"
	  "1234567890123456789012345678901234567890123456789012345678901234"
	  "5678901234567890123456789012345678901234567890123456789012345678"
	  "\n" POL(IMM) GRP T1 T2,
	  "m.yaml:3:9: error: ticket is longer than 128 characters "
	  "[range]\n",
	  "ensbatch: 1\nname: x\nticket: T-"
	  "1234567890123456789012345678901234567890123456789012345678901234"
	  "56789012345678901234567890123456789012345678901234567890123456"
	  "\n" POL(IMM) GRP T1 T2 },
	{ "api http",
	  HEAD "api: {endpoint: \"http://ens.example.com:8080\"}\n" POL(IMM)
	  GRP_("p") T1 T2,
	  "m.yaml:4:17: error: plain http:// is allowed only for loopback "
	  "addresses; use https:// [api]\n",
	  HEAD "api: {endpoint: \"http://127.0.0.1:8080\"}\n" POL(IMM)
	  GRP_("p") T1 T2 },
	{ "api http localhost lookalike",
	  HEAD "api: {endpoint: \"http://localhost.example.com/\"}\n"
	  POL(IMM) GRP_("p") T1 T2,
	  "m.yaml:4:17: error: plain http:// is allowed only for loopback "
	  "addresses; use https:// [api]\n",
	  HEAD "api: {endpoint: \"http://localhost:9000/\"}\n" POL(IMM)
	  GRP_("p") T1 T2 },
	{ "api scheme",
	  HEAD "api: {endpoint: \"ftp://ens.aliyuncs.com\"}\n" POL(IMM)
	  GRP_("p") T1 T2,
	  "m.yaml:4:17: error: endpoint must be a host name or an https:// "
	  "URL [api]\n",
	  HEAD "api: {endpoint: \"https://ens.aliyuncs.com\"}\n" POL(IMM)
	  GRP_("p") T1 T2 },
	{ "api signature",
	  HEAD "api: {signature: v2}\n" POL(IMM) GRP_("p") T1 T2,
	  "m.yaml:4:18: error: signature must be v3 or v1, found \"v2\" "
	  "[api]\n",
	  HEAD "api: {signature: v1}\n" POL(IMM) GRP_("p") T1 T2 },
	{ "api timeout",
	  HEAD "api: {timeout: 0s}\n" POL(IMM) GRP_("p") T1 T2,
	  "m.yaml:4:16: error: timeout must be greater than zero [range]\n",
	  HEAD "api: {timeout: 1s}\n" POL(IMM) GRP_("p") T1 T2 },
	{ "api retries",
	  HEAD "api: {retries: 21, rate: 0}\n" POL(IMM) GRP_("p") T1 T2,
	  "m.yaml:4:16: error: retries must be between 0 and 20, found 21 "
	  "[range]\n"
	  "m.yaml:4:26: error: rate must be between 1 and 1000, found 0 "
	  "[range]\n",
	  HEAD "api: {retries: 20, rate: 1000}\n" POL(IMM) GRP_("p") T1 T2 },
	{ "after-ref",
	  HEAD POL(IMM) GRP T1 "  - name: canary\n    policy: p\n"
	  "    after: [canray, g]\n    targets:\n" TGT(EV("2"), RS("2")),
	  "m.yaml:13:13: error: unknown group \"canray\"; did you mean "
	  "\"canary\"? [after-ref]\n",
	  HEAD POL(IMM) GRP T1 "  - name: canary\n    policy: p\n"
	  "    after: [g]\n    targets:\n" TGT(EV("2"), RS("2")) },
	{ "duplicate-group",
	  HEAD POL(IMM) GRP T1 "  - name: g\n    policy: p\n"
	  "    targets:\n" T2,
	  "m.yaml:11:11: error: group \"g\" is defined twice "
	  "[duplicate-group]\n"
	  "m.yaml:7:11: note: first defined here\n",
	  HEAD POL(IMM) GRP T1 "  - name: h\n    policy: p\n"
	  "    targets:\n" T2 },
	{ "range settle_timeout zero",
	  STD(IMM ", settle_timeout: 0s"),
	  "m.yaml:5:39: error: settle_timeout must be greater than zero "
	  "[range]\n",
	  STD(IMM ", settle_timeout: 1s") },
	{ "range settle_timeout negative",
	  STD(IMM ", settle_timeout: -5m"),
	  "m.yaml:5:39: error: settle_timeout must not be negative "
	  "[range]\n",
	  STD(IMM ", settle_timeout: 5m") },
	{ "duration settle_timeout",
	  STD(IMM ", settle_timeout: 30"),
	  "m.yaml:5:39: error: settle_timeout: \"30\" has no unit (use 30s, "
	  "30m or 30h) [duration]\n",
	  STD(IMM ", settle_timeout: 30m") },
	{ "range soak over 30 days",
	  STD(IMM ", soak: 720h1s"),
	  "m.yaml:5:29: error: soak must be at most 30 days (720h), found "
	  "720h1s [range]\n",
	  STD(IMM ", soak: 720h") },
	{ "range pause over 30 days",
	  STD(IMM ", pause: 721h"),
	  "m.yaml:5:30: error: pause must be at most 30 days (720h), found "
	  "721h [range]\n",
	  STD(IMM ", pause: 0s") },
	{ "range stagger over 30 days",
	  STD(SCHED ", stagger: 99999999999h"),
	  "m.yaml:5:59: error: stagger must be at most 30 days (720h), found "
	  "99999999999h [range]\n",
	  STD(SCHED ", stagger: 720h") },
	{ "range min_lead over 30 days",
	  STD(SCHED ", min_lead: 1000h"),
	  "m.yaml:5:60: error: min_lead must be at most 30 days (720h), "
	  "found 1000h [range]\n",
	  STD(SCHED ", min_lead: 0s") },
	{ "range check timeout zero",
	  STD(IMM ", check: {command: probe, timeout: 0s}"),
	  "m.yaml:5:56: error: check timeout must be greater than zero "
	  "[range]\n",
	  STD(IMM ", check: {command: probe, timeout: 1s}") },
	{ "range check interval",
	  STD(IMM ", check: {command: probe, interval: 0ms}"),
	  "m.yaml:5:57: error: check interval must be greater than zero "
	  "[range]\n",
	  STD(IMM ", check: {command: probe, interval: 1ms}") },
	{ "duration check timeout",
	  STD(IMM ", check: {command: probe, timeout: 5 min}"),
	  "m.yaml:5:56: error: check timeout: invalid duration \"5 min\": "
	  "unknown unit \" min\" (use h, m, s or ms) [duration]\n",
	  STD(IMM ", check: {command: probe, timeout: 5m}") },
	{ "type check empty",
	  STD(IMM ", check: \" \""),
	  "m.yaml:5:30: error: check command is empty [type]\n",
	  STD(IMM ", check: \"true\"") },
	{ "after-time",
	  HEAD "policies:\n  p: {" SCHED ", stagger: 10m, batch_size: 1, "
	  "settle_timeout: 1h}\n" GRP T1 T2
	  "  - name: h\n    policy: {ops: scheduled, "
	  "start: \"2026-12-01 03:10\"}\n"
	  "    after: [g]\n    targets:\n" TGT(EV("3"), RS("3")),
	  "m.yaml:14:13: error: group \"h\" is after scheduled group \"g\" "
	  "but starts at 2026-12-01 03:10:00 +08:00, not later than "
	  "2026-12-01 03:10:00 +08:00 (its last PlanTime + settle_timeout "
	  "1h): it could never wait for it [after-time]\n"
	  "m.yaml:13:37: note: \"h\" starts here\n",
	  HEAD "policies:\n  p: {" SCHED ", stagger: 10m, batch_size: 1, "
	  "settle_timeout: 1h}\n" GRP T1 T2
	  "  - name: h\n    policy: {ops: scheduled, "
	  "start: \"2026-12-01 03:10:01\"}\n"
	  "    after: [g]\n    targets:\n" TGT(EV("3"), RS("3")) },
	{ "empty manifest",
	  HEAD POL(IMM) "groups: []\n",
	  "m.yaml:6:9: error: the manifest has no targets [empty]\n",
	  HEAD POL(IMM) "groups: [{name: g, policy: p, targets: [{event: "
	  EV("1") ", resource: " RS("1") "}]}]\n" },
};

START_TEST(test_pair)
{
	size_t	errors;

	check(pairs[_i].bad);
	ck_assert_diags(pairs[_i].expect);
	reset();
	check_at(pairs[_i].good, NOW, &errors);
	ck_assert_diags("");
	ck_assert_uint_eq(errors, 0);
}
END_TEST

/* A resource under two events is a warning: it does not fail. */
START_TEST(test_duplicate_resource_warning)
{
	size_t	errors;

	check_at(HEAD POL(IMM) GRP T1 TGT(EV("2"), RS("1")), NOW, &errors);
	ck_assert_uint_eq(errors, 0);
	ck_assert_uint_eq(diags_count(td, DIAG_WARNING), 1);
	ck_assert_diags("m.yaml:11:63: warning: instance " RS("1") " is also "
	    "the target of event " EV("1") ": it would be rebooted twice "
	    "[duplicate-target]\n"
	    "m.yaml:10:63: note: first listed here\n");
	/* A warning does not mark the target as failed. */
	ck_assert_uint_eq(tm->groups[0].targets[1].diag, 0);
}
END_TEST

/* Duplicates are found across groups too. */
START_TEST(test_duplicate_across_groups)
{
	size_t	errors;

	check_at(HEAD POL(IMM) GRP T1 "  - name: h\n    policy: p\n"
	    "    targets:\n" T1, NOW, &errors);
	ck_assert_uint_eq(errors, 1);
	ck_assert_diags("m.yaml:14:17: error: event " EV("1") " is listed "
	    "twice [duplicate-target]\n"
	    "m.yaml:10:17: note: first listed here\n");
	ck_assert_uint_eq(tm->groups[0].targets[0].diag, 0);
	ck_assert_str_eq(diags_rule(td, tm->groups[1].targets[0].diag),
	    "duplicate-target");
}
END_TEST

/*
 * A resource under two events is reported even when one of those
 * targets also repeats an event: R2 is under E1 (line 11) and E3
 * (line 12).
 */
START_TEST(test_duplicate_resource_after_duplicate_event)
{
	check(HEAD POL(IMM) GRP T1 TGT(EV("1"), RS("2"))
	    TGT(EV("3"), RS("2")));
	ck_assert_uint_eq(count_rule("duplicate-target"), 2);
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 1);
	ck_assert_uint_eq(diags_count(td, DIAG_WARNING), 1);
}
END_TEST

START_TEST(test_empty_group_warning)
{
	size_t	errors;

	check_at(HEAD POL(IMM) GRP T1 "  - name: h\n    policy: p\n"
	    "    targets: []\n", NOW, &errors);
	ck_assert_uint_eq(errors, 0);
	ck_assert_diags("m.yaml:11:11: warning: group \"h\" has no targets "
	    "[empty]\n");
}
END_TEST

/* The first error about a target, a group, a policy is remembered. */
START_TEST(test_first_error_ids)
{
	size_t	 errors;
	uint32_t id;

	check_at(HEAD POL("ops: scheduled, batch_size: 0") GRP
	    TGT("e-1", "i-1") T2, NOW, &errors);
	ck_assert_uint_eq(errors, 4);
	id = tm->groups[0].targets[0].diag;
	ck_assert_str_eq(diags_rule(td, id), "event-id");
	ck_assert_uint_eq(tm->groups[0].targets[1].diag, 0);
	id = tm->policies[0].diag;
	ck_assert_str_eq(diags_rule(td, id), "range");
	ck_assert_int_eq(tm->policies[0].ok, 0);
	/* A group with a broken policy carries the policy's error. */
	ck_assert_uint_eq(tm->groups[0].diag, id);
}
END_TEST

/*
 * Plain http:// is for loopback only: a URL whose userinfo looks like a
 * loopback address still sends to the host after the '@'.
 */
static const struct {
	const char	*endpoint;
	const char	*message;
} http_remote[] = {
	{ "http://127.0.0.1:80@evil.example.com/",
	    "endpoint must not carry user information (\"@\")" },
	{ "http://localhost:x@evil.example.com",
	    "endpoint must not carry user information (\"@\")" },
	{ "http://127.0.0.1@evil.example.com",
	    "endpoint must not carry user information (\"@\")" },
	{ "http://ens.example.com",
	    "plain http:// is allowed only for loopback addresses; "
	    "use https://" },
};

START_TEST(test_api_http_remote)
{
	char	*yaml, *want;

	yaml = xasprintf(HEAD "api: {endpoint: \"%s\"}\n" POL(IMM) GRP
	    T1 T2, http_remote[_i].endpoint);
	check(yaml);
	free(yaml);
	want = xasprintf("m.yaml:4:17: error: %s [api]\n",
	    http_remote[_i].message);
	ck_assert_diags(want);
	free(want);
}
END_TEST

/* Endpoints that name no usable host or port. */
static const char *const endpoint_bad[] = {
	"",
	"ens aliyuncs.com",
	"ftp://ens.aliyuncs.com",
	"https://",
	"http://",
	"http://127.0.0.1:99999",
};

START_TEST(test_api_endpoint_bad)
{
	char	*yaml;

	yaml = xasprintf(HEAD "api: {endpoint: \"%s\"}\n" POL(IMM) GRP
	    T1 T2, endpoint_bad[_i]);
	check(yaml);
	free(yaml);
	ck_assert_uint_eq(count_rule("api"), 1);
	ck_assert_uint_eq(diags_count(td, DIAG_ERROR), 1);
}
END_TEST

static const char *const endpoint_good[] = {
	"ens.aliyuncs.com",
	"ens.cn-hangzhou.aliyuncs.com",
	"https://ens.aliyuncs.com",
	"https://ens.aliyuncs.com:443/",
	"http://127.0.0.1:8080",
	"http://localhost:8080/",
	"http://[::1]:8080",
	"127.0.0.1:8443",
};

START_TEST(test_api_endpoint_good)
{
	char	*yaml;

	yaml = xasprintf(HEAD "api: {endpoint: \"%s\"}\n" POL(IMM) GRP
	    T1 T2, endpoint_good[_i]);
	check(yaml);
	free(yaml);
	ck_assert_diags("");
}
END_TEST

/* The ticket limit counts characters (SPEC: <= 128 chars), not bytes. */
START_TEST(test_ticket_characters)
{
	struct buf	b;
	int		i;

	buf_init(&b);
	buf_adds(&b, "ensbatch: 1\nname: x\nticket: ");
	for (i = 0; i < 100; i++)
		buf_adds(&b, "\xe5\x8f\x98");	/* U+53D8, 3 bytes */
	buf_adds(&b, "\n" POL(IMM) GRP T1 T2);
	check(b.data);
	buf_free(&b);
	ck_assert_diags("");
}
END_TEST

/* ---------------------------------------------------------- resolved */

START_TEST(test_resolved_defaults)
{
	struct policy	*p;

	check(STD(IMM));
	ck_assert_diags("");
	p = &tm->policies[0];
	ck_assert_ptr_eq(tm->groups[0].policy, p);
	ck_assert_int_eq(p->ok, 1);
	ck_assert_uint_eq(p->diag, 0);
	ck_assert_int_eq(p->r_ops, OPS_IMMEDIATE);
	ck_assert_int_eq(p->r_batch_size, 20);
	ck_assert_int_eq(p->r_pause, 0);
	ck_assert_int_eq(p->r_max_fail_pct, 0);
	ck_assert_int_eq(p->r_max_failures, 0);
	ck_assert_int_eq(p->r_stagger, 0);
	ck_assert_int_eq(p->r_min_lead, 5 * MIN);
	ck_assert_int_eq(p->r_has_window_end, 0);
	ck_assert_str_eq(tm->r_zone, "Asia/Shanghai");
	ck_assert_uint_eq(tm->r_ntargets, 2);
}
END_TEST

START_TEST(test_resolved_outcome)
{
	struct policy	*p;

	check(STD(IMM));
	p = &tm->policies[0];
	ck_assert_int_eq(p->r_settle_timeout, 30 * MIN);
	ck_assert_int_eq(p->r_soak, 0);
	ck_assert_ptr_null(p->r_check);
	ck_assert_int_eq(p->r_check_timeout, 5 * MIN);
	ck_assert_int_eq(p->r_check_interval, 15000);
	reset();
	check(STD(IMM ", settle_timeout: 2h, soak: 10m, check: {command: "
	    "\"test -n x\", timeout: 90s, interval: 2s}"));
	ck_assert_diags("");
	p = &tm->policies[0];
	ck_assert_int_eq(p->ok, 1);
	ck_assert_int_eq(p->r_settle_timeout, 2 * HOUR);
	ck_assert_int_eq(p->r_soak, 10 * MIN);
	ck_assert_str_eq(p->r_check, "test -n x");
	ck_assert_ptr_eq(p->r_check, p->check_command.text);
	ck_assert_int_eq(p->r_check_timeout, 90000);
	ck_assert_int_eq(p->r_check_interval, 2000);
	reset();
	check(STD(IMM ", check: probe"));
	p = &tm->policies[0];
	ck_assert_str_eq(p->r_check, "probe");
	ck_assert_int_eq(p->r_check_timeout, 5 * MIN);
	reset();
	check(STD(IMM ", settle_timeout: 0s"));
	ck_assert_int_eq(tm->policies[0].ok, 0);
}
END_TEST

/*
 * after-time applies only between two scheduled groups: an immediate
 * group on either side has no PlanTime to compare.
 */
static const struct {
	const char	*first;		/* policy of g */
	const char	*second;	/* policy of h, after g */
	size_t		 errors;
} after_time_cases[] = {
	{ SCHED, "{ops: scheduled, start: \"2026-12-01 02:30:01\"}", 0 },
	{ SCHED, "{ops: scheduled, start: \"2026-12-01 02:30\"}", 1 },
	{ SCHED ", settle_timeout: 30m1s",
	  "{ops: scheduled, start: \"2026-12-01 02:30\"}", 1 },
	{ SCHED, "{ops: scheduled, start: \"2026-12-01 02:00\"}", 1 },
	{ SCHED, "{ops: scheduled, start: \"2026-12-01 01:00\"}", 1 },
	{ IMM, "{ops: scheduled, start: \"2026-12-01 01:00\"}", 0 },
	{ SCHED, "{ops: immediate}", 0 },
	{ SCHED ", stagger: 1h, batch_size: 1",
	  "{ops: scheduled, start: \"2026-12-01 03:30\"}", 1 },
	{ SCHED ", stagger: 1h, batch_size: 1",
	  "{ops: scheduled, start: \"2026-12-01 03:31\"}", 0 },
};

START_TEST(test_after_time)
{
	char	*yaml;
	size_t	 errors;

	/* g's two targets; settle_timeout defaults to 30m. */
	yaml = xasprintf(HEAD POL("%s") GRP T1 T2
	    "  - name: h\n    policy: %s\n    after: [g]\n    targets:\n"
	    TGT(EV("3"), RS("3")), after_time_cases[_i].first,
	    after_time_cases[_i].second);
	check_at(yaml, NOW, &errors);
	free(yaml);
	ck_assert_uint_eq(errors, after_time_cases[_i].errors);
	ck_assert_uint_eq(count_rule("after-time"), errors);
	if (errors > 0)
		ck_assert_uint_ne(tm->groups[1].diag, 0);
}
END_TEST

START_TEST(test_resolved_immediate)
{
	struct policy	*p;

	check(STD(IMM ", batch_size: 7, pause: 1h30m, max_failures: 10%"));
	ck_assert_diags("");
	p = &tm->policies[0];
	ck_assert_int_eq(p->ok, 1);
	ck_assert_int_eq(p->r_batch_size, 7);
	ck_assert_int_eq(p->r_pause, 90 * MIN);
	ck_assert_int_eq(p->r_max_fail_pct, 1);
	ck_assert_int_eq(p->r_max_failures, 10);
}
END_TEST

START_TEST(test_resolved_scheduled_local)
{
	struct policy	*p;

	check(STD(SCHED ", stagger: 15m, window_end: \"2026-12-01 05:00\", "
	    "min_lead: 1h, max_failures: 1"));
	ck_assert_diags("");
	p = &tm->policies[0];
	ck_assert_int_eq(p->ok, 1);
	ck_assert_int_eq(p->r_ops, OPS_SCHEDULED);
	ck_assert_int_eq(p->r_start, T_DEC1_SH);
	ck_assert_int_eq(p->r_stagger, 15 * MIN);
	ck_assert_int_eq(p->r_has_window_end, 1);
	ck_assert_int_eq(p->r_window_end, T_DEC1_SH + 3 * HOUR);
	ck_assert_int_eq(p->r_min_lead, HOUR);
	ck_assert_int_eq(p->r_max_fail_pct, 0);
	ck_assert_int_eq(p->r_max_failures, 1);
}
END_TEST

/* Without timezone local times are UTC; RFC 3339 ignores the zone. */
START_TEST(test_resolved_zone)
{
	check("ensbatch: 1\nname: x\n"
	    "policies:\n"
	    "  a: {ops: scheduled, start: \"2026-12-01 02:00\"}\n"
	    "  b: {ops: scheduled, start: \"2026-12-01T02:00:00+08:00\"}\n"
	    "  c: {ops: scheduled, start: 1796061600000}\n"
	    "groups:\n"
	    "  - {name: g, policy: a, targets: [{event: " EV("1")
	    ", resource: " RS("1") "}]}\n");
	ck_assert_diags("");
	ck_assert_str_eq(tm->r_zone, "UTC");
	ck_assert_int_eq(tm->policies[0].r_start, T_DEC1_SH + 8 * HOUR);
	ck_assert_int_eq(tm->policies[1].r_start, T_DEC1_SH);
	ck_assert_int_eq(tm->policies[2].r_start, T_DEC1_SH);
}
END_TEST

START_TEST(test_resolved_inline)
{
	check(HEAD GRP_("{ops: immediate, batch_size: 3}") T1 T2);
	ck_assert_diags("");
	ck_assert_ptr_nonnull(tm->groups[0].inline_policy);
	ck_assert_ptr_eq(tm->groups[0].policy, tm->groups[0].inline_policy);
	ck_assert_int_eq(tm->groups[0].policy->ok, 1);
	ck_assert_int_eq(tm->groups[0].policy->r_batch_size, 3);
}
END_TEST

/* ---------------------------------------------------------- schedule */

/* 4 targets, batch_size 1: PlanTimes at start + 0..3 * stagger. */
#define WIN(stagger, end)	HEAD POL("ops: scheduled, batch_size: 1, " \
	"start: \"2026-12-01 02:00\", stagger: " stagger ", window_end: " \
	end) GRP T1 T2 TGT(EV("3"), RS("3")) TGT(EV("4"), RS("4"))

START_TEST(test_window)
{
	size_t	errors;

	/* The last PlanTime is exactly window_end: at or after is out. */
	check_at(WIN("1h", "\"2026-12-01 05:00\""), NOW, &errors);
	ck_assert_uint_eq(errors, 1);
	ck_assert_diags("m.yaml:5:90: error: group \"g\": 1 of 4 batches get "
	    "a PlanTime at or after window_end (the last at 2026-12-01 "
	    "05:00:00 +08:00); a stagger of at most 59m59s or a batch_size "
	    "of at least 2 would fit [window]\n");
	ck_assert_str_eq(diags_rule(td, tm->groups[0].diag), "window");
}
END_TEST

START_TEST(test_window_fits)
{
	size_t	errors;

	check_at(WIN("59m", "\"2026-12-01 05:00\""), NOW, &errors);
	ck_assert_uint_eq(errors, 0);
	ck_assert_diags("");
	reset();
	/* The suggested stagger really fits. */
	check_at(WIN("59m59s", "\"2026-12-01 05:00\""), NOW, &errors);
	ck_assert_uint_eq(errors, 0);
}
END_TEST

START_TEST(test_window_start_not_before)
{
	check(WIN("1m", "\"2026-12-01 02:00\""));
	ck_assert_diags("m.yaml:5:90: error: group \"g\": start is not "
	    "before window_end [window]\n");
}
END_TEST

/* Too many batches for any batch_size: only a stagger is suggested. */
START_TEST(test_window_stagger_only)
{
	struct buf	 b;
	int		 i;

	buf_init(&b);
	buf_adds(&b, "event,resource\n");
	for (i = 0; i < 60; i++)
		buf_addf(&b, "e-%032x,i-res%05d\n", i + 1, i + 1);
	put("t.csv", b.data);
	buf_free(&b);
	check(HEAD POL("ops: scheduled, batch_size: 1, start: \"2026-12-01 "
	    "02:00\", stagger: 1h, window_end: \"2026-12-01 02:30\"")
	    "groups:\n  - {name: g, policy: p, targets_file: t.csv}\n");
	ck_assert_uint_eq(tm->groups[0].ntargets, 60);
	ck_assert_diags("m.yaml:5:90: error: group \"g\": 59 of 60 batches "
	    "get a PlanTime at or after window_end (the last at 2026-12-03 "
	    "13:00:00 +08:00); a stagger of at most 30s would fit "
	    "[window]\n");
}
END_TEST

START_TEST(test_plan_time_past)
{
	size_t	errors;

	/* now = start - 10m; min_lead 15m puts the earliest at 02:05. */
	check_at(STD(SCHED ", min_lead: 15m"), T_DEC1_SH - 10 * MIN, &errors);
	ck_assert_uint_eq(errors, 1);
	ck_assert_diags("m.yaml:5:30: error: group \"g\": PlanTime 2026-12-01 "
	    "02:00:00 +08:00 is before now + min_lead (2026-12-01 02:05:00 "
	    "+08:00, min_lead 15m) [plan-time-past]\n");
}
END_TEST

START_TEST(test_plan_time_past_ok)
{
	size_t	errors;

	/* The default min_lead (5m) leaves 10m enough. */
	check_at(STD(SCHED), T_DEC1_SH - 10 * MIN, &errors);
	ck_assert_uint_eq(errors, 0);
	reset();
	/* Exactly now + min_lead is fine. */
	check_at(STD(SCHED ", min_lead: 10m"), T_DEC1_SH - 10 * MIN,
	    &errors);
	ck_assert_uint_eq(errors, 0);
	reset();
	/* min_lead 0: start == now is fine. */
	check_at(STD(SCHED ", min_lead: 0s"), T_DEC1_SH, &errors);
	ck_assert_uint_eq(errors, 0);
	reset();
	/* The default min_lead applies: 4m59.999s is too close. */
	check_at(STD(SCHED), T_DEC1_SH - 5 * MIN + 1, &errors);
	ck_assert_uint_eq(errors, 1);
	ck_assert_uint_eq(count_rule("plan-time-past"), 1);
	reset();
	/* Immediate policies have no PlanTime to be late. */
	check_at(STD(IMM), T_DEC1_SH, &errors);
	ck_assert_uint_eq(errors, 0);
}
END_TEST

/* ---------------------------------------------------------- order */

static const struct {
	const char	*groups[6];	/* "name" or "name:after,after" */
	size_t		 order[6];
	size_t		 n;
} order_cases[] = {
	{ { "a", "b", "c" }, { 0, 1, 2 }, 3 },
	{ { "c:a", "a", "b:a" }, { 1, 0, 2 }, 3 },
	{ { "d:b", "b", "a:b", "c" }, { 1, 0, 2, 3 }, 4 },
	{ { "a:b", "b:c", "c" }, { 2, 1, 0 }, 3 },
	{ { "d:b,c", "c:a", "b:a", "a" }, { 3, 1, 2, 0 }, 4 },
	{ { "e:a", "d", "c:d", "b", "a" }, { 1, 2, 3, 4, 0 }, 5 },
	{ { "a", "b:a", "c", "d:c" }, { 0, 1, 2, 3 }, 4 },
	{ { "z:y,x", "y:x", "x" }, { 2, 1, 0 }, 3 },
};

/*
 * A manifest with one group per spec entry, one line each (line 6 +
 * index; the first "after" entry is in column 34 for one-letter names),
 * each with its own target.
 */
static char *
order_yaml(const char *const *groups, size_t n)
{
	struct buf	 b;
	const char	*colon;
	size_t		 i;

	buf_init(&b);
	buf_adds(&b, "ensbatch: 1\nname: x\npolicies:\n"
	    "  p: {ops: immediate}\ngroups:\n");
	for (i = 0; i < n; i++) {
		colon = strchr(groups[i], ':');
		if (colon == NULL)
			buf_addf(&b, "  - {name: %s, policy: p, after: [], "
			    "targets: [{event: e-%032zx, resource: "
			    "i-res%05zu}]}\n", groups[i], i + 1, i + 1);
		else
			buf_addf(&b, "  - {name: %.*s, policy: p, "
			    "after: [%s], targets: [{event: e-%032zx, "
			    "resource: i-res%05zu}]}\n",
			    (int)(colon - groups[i]), groups[i], colon + 1,
			    i + 1, i + 1);
	}
	return (buf_detach(&b));
}

START_TEST(test_order)
{
	char	*yaml;
	size_t	 i, errors;

	yaml = order_yaml(order_cases[_i].groups, order_cases[_i].n);
	check_at(yaml, NOW, &errors);
	free(yaml);
	ck_assert_diags("");
	ck_assert_ptr_nonnull(tm->r_order);
	for (i = 0; i < order_cases[_i].n; i++)
		ck_assert_msg(tm->r_order[i] == order_cases[_i].order[i],
		    "r_order[%zu] is %zu, expected %zu", i, tm->r_order[i],
		    order_cases[_i].order[i]);
}
END_TEST

START_TEST(test_after_resolved)
{
	char		*yaml;
	const char	*groups[] = { "c:a,b", "a", "b:a" };

	yaml = order_yaml(groups, 3);
	check(yaml);
	free(yaml);
	ck_assert_uint_eq(tm->groups[0].r_nafter, 2);
	ck_assert_uint_eq(tm->groups[0].r_after[0], 1);
	ck_assert_uint_eq(tm->groups[0].r_after[1], 2);
	ck_assert_uint_eq(tm->groups[1].r_nafter, 0);
	ck_assert_uint_eq(tm->groups[2].r_nafter, 1);
	ck_assert_uint_eq(tm->groups[2].r_after[0], 1);
}
END_TEST

static const struct {
	const char	*groups[6];
	size_t		 n;
	const char	*expect;
} cycle_cases[] = {
	{ { "a:a" }, 1,
	  "m.yaml:6:34: error: groups wait for each other (-> means after): "
	  "a -> a [after-cycle]\n" },
	{ { "a:b", "b:a" }, 2,
	  "m.yaml:7:34: error: groups wait for each other (-> means after): "
	  "a -> b -> a [after-cycle]\n" },
	{ { "a:c", "b:a", "c:b" }, 3,
	  "m.yaml:7:34: error: groups wait for each other (-> means after): "
	  "a -> c -> b -> a [after-cycle]\n" },
	/* x waits behind the cycle, y behind x: one report. */
	{ { "x:a", "a:b", "b:a", "y:x" }, 4,
	  "m.yaml:8:34: error: groups wait for each other (-> means after): "
	  "a -> b -> a [after-cycle]\n" },
	/* A cycle entered from the middle of a group's after list. */
	{ { "s", "a:s,b", "b:a" }, 3,
	  "m.yaml:8:34: error: groups wait for each other (-> means after): "
	  "a -> b -> a [after-cycle]\n" },
	/* Two separate cycles: two reports. */
	{ { "a:b", "b:a", "c:d", "d:c" }, 4,
	  "m.yaml:7:34: error: groups wait for each other (-> means after): "
	  "a -> b -> a [after-cycle]\n"
	  "m.yaml:9:34: error: groups wait for each other (-> means after): "
	  "c -> d -> c [after-cycle]\n" },
};

START_TEST(test_cycle)
{
	char	*yaml;
	size_t	 i, errors;

	yaml = order_yaml(cycle_cases[_i].groups, cycle_cases[_i].n);
	check_at(yaml, NOW, &errors);
	free(yaml);
	ck_assert_diags(cycle_cases[_i].expect);
	ck_assert_uint_eq(errors, count_rule("after-cycle"));
	/* Every group still appears once in r_order (file order). */
	ck_assert_ptr_nonnull(tm->r_order);
	for (i = 0; i < cycle_cases[_i].n; i++)
		ck_assert_uint_eq(tm->r_order[i], i);
}
END_TEST

/*
 * A cycle that a walk from another group passes through on its way into
 * a different cycle must still be reported: n and m wait for each
 * other, and n also waits for the cycle a <-> b.
 */
START_TEST(test_cycle_behind_other_cycle)
{
	const char	*groups[] = { "n:a,m", "m:n", "a:b", "b:a" };
	const char	*sum;
	char		*yaml;

	yaml = order_yaml(groups, 4);
	check(yaml);
	free(yaml);
	sum = fixture_summary();
	ck_assert_msg(strstr(sum, "a -> b -> a") != NULL ||
	    strstr(sum, "b -> a -> b") != NULL, "a/b cycle missing:\n%s",
	    sum);
	ck_assert_msg(strstr(sum, "n -> m -> n") != NULL ||
	    strstr(sum, "m -> n -> m") != NULL, "n/m cycle missing:\n%s",
	    sum);
	ck_assert_uint_eq(count_rule("after-cycle"), 2);
}
END_TEST

/* ---------------------------------------------------------- ids */

static const struct {
	const char	*id;
	int		 ok;
} event_ids[] = {
	{ "e-4452cec5a8f8eb9b2879a054207687d6", 1 },
	{ "e-00000000000000000000000000000000", 1 },
	{ "e-ffffffffffffffffffffffffffffffff", 1 },
	{ "e-4452CEC5A8F8EB9B2879A054207687D6", 0 },
	{ "e-4452cec5a8f8eb9b2879a054207687dg", 0 },
	{ "e-4452cec5a8f8eb9b2879a054207687d", 0 },
	{ "e-4452cec5a8f8eb9b2879a054207687d6a", 0 },
	{ "E-4452cec5a8f8eb9b2879a054207687d6", 0 },
	{ "i-4452cec5a8f8eb9b2879a054207687d6", 0 },
	{ "e_4452cec5a8f8eb9b2879a054207687d6", 0 },
	{ " e-4452cec5a8f8eb9b2879a054207687d", 0 },
	{ "e-4452cec5a8f8eb9b2879a054207687d ", 0 },
	{ "e-4452cec5a8f8eb9b-879a054207687d6", 0 },
	/* Next to the ranges, in each word of the 32 digits. */
	{ "e-/452cec5a8f8eb9b2879a054207687d6", 0 },
	{ "e-4452cec5a:f8eb9b2879a054207687d6", 0 },
	{ "e-4452cec5a8f8eb9b`879a054207687d6", 0 },
	{ "e-4452cec5a8f8eb9b2879a054207687dg", 0 },
	{ "e-4452cec5a8f8eb9b2879a054207687\xc3\xa9", 0 },
	{ "e-", 0 },
	{ "", 0 },
};

START_TEST(test_event_id)
{
	ck_assert_int_eq(rules_event_id_ok(event_ids[_i].id),
	    event_ids[_i].ok);
}
END_TEST

static const struct {
	const char	*id;
	int		 ok;
} resource_ids[] = {
	{ "i-55qi8m11rr53c4i964md8a00l", 1 },
	{ "i-12345678", 1 },
	{ "n-abcdefgh", 1 },
	{ "i-0123456789abcdefghijklmnopqrstuvwxyz"
	  "0123456789abcdefghijklmnopqr", 1 },		/* 64 */
	{ "n-0123456789abcdefghijklmnopqrstuvwxyz"
	  "0123456789abcdefghijklmnopqrs", 0 },		/* 65 */
	{ "i-1234567", 0 },
	{ "i-ABCDEFGH", 0 },
	{ "i-abcd_efgh", 0 },
	{ "i-abcd-efgh", 0 },
	/* Next to the ranges, in the first word and in the rest. */
	{ "i-abc/efgh9", 0 },
	{ "i-abc:efgh9", 0 },
	{ "i-abc`efgh9", 0 },
	{ "i-abc{efgh9", 0 },
	{ "i-abcdefgh/", 0 },
	{ "i-abcdefgh:", 0 },
	{ "i-abcdefgh`", 0 },
	{ "i-abcdefgh{", 0 },
	{ "i-abcdefgh\xc3\xa9", 0 },
	{ "i-0123456789", 1 },
	{ "i-zzzzzzzzaz", 1 },
	{ "x-12345678", 0 },
	{ "I-12345678", 0 },
	{ "i_12345678", 0 },
	{ "in12345678", 0 },
	{ "i-", 0 },
	{ "", 0 },
};

START_TEST(test_resource_id)
{
	ck_assert_int_eq(rules_resource_id_ok(resource_ids[_i].id),
	    resource_ids[_i].ok);
}
END_TEST

static const struct {
	const char	*name;
	int		 alnum_first;
	int		 ok;
} names[] = {
	{ "a", 1, 1 },
	{ "edge-maint-2026-12", 1, 1 },
	{ "A.b_c-9", 1, 1 },
	{ "-a", 1, 0 },
	{ "-a", 0, 1 },
	{ ".hidden", 1, 0 },
	{ "._-", 0, 1 },
	{ "", 0, 0 },
	{ "", 1, 0 },
	{ "a b", 0, 0 },
	{ "a/b", 0, 0 },
	{ "a:b", 0, 0 },
	{ "caf\xc3\xa9", 0, 0 },
	{ "0123456789012345678901234567890123456789012345678901234567890123",
	  1, 1 },
	{ "01234567890123456789012345678901234567890123456789012345678901234",
	  1, 0 },
	{ "01234567890123456789012345678901234567890123456789012345678901234",
	  0, 0 },
};

START_TEST(test_name)
{
	ck_assert_int_eq(rules_name_ok(names[_i].name, names[_i].alnum_first),
	    names[_i].ok);
}
END_TEST

static const struct {
	const char	*host;
	size_t		 len;
	int		 ok;
} hosts[] = {
#define H(s, ok)	{ s, sizeof(s) - 1, ok }
	H("localhost", 1),
	H("127.0.0.1", 1),
	H("127.1.2.3", 1),
	H("[::1]", 1),
	{ "localhost:8080", 9, 1 },
	{ "127.0.0.1/path", 9, 1 },
	H("localhost.example.com", 0),
	H("localhost:8080", 0),
	H("LOCALHOST", 1),	/* host names are case-insensitive */
	H("128.0.0.1", 0),
	H("127.0.0.1.nip.io", 0),
	H("127.0.0.1@evil.example", 0),
	H("::1", 0),
	H("[::2]", 0),
	H("10.0.0.1", 0),
	H("", 0),
#undef H
};

START_TEST(test_loopback)
{
	ck_assert_int_eq(rules_loopback_host(hosts[_i].host, hosts[_i].len),
	    hosts[_i].ok);
}
END_TEST

Suite *
rules_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("rules");

	tc = tcase_create("pairs");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_loop_test(tc, test_pair, 0, NITEMS(pairs));
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_loop_test(tc, test_api_http_remote, 0, NITEMS(http_remote));
	tcase_add_loop_test(tc, test_api_endpoint_bad, 0,
	    NITEMS(endpoint_bad));
	tcase_add_loop_test(tc, test_api_endpoint_good, 0,
	    NITEMS(endpoint_good));
	suite_add_tcase(s, tc);

	tc = tcase_create("ticket");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_ticket_characters);
	suite_add_tcase(s, tc);

	tc = tcase_create("duplicates");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_duplicate_resource_warning);
	tcase_add_test(tc, test_duplicate_across_groups);
	tcase_add_test(tc, test_duplicate_resource_after_duplicate_event);
	suite_add_tcase(s, tc);

	tc = tcase_create("empty");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_empty_group_warning);
	suite_add_tcase(s, tc);

	tc = tcase_create("first_error");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_first_error_ids);
	suite_add_tcase(s, tc);

	tc = tcase_create("resolved");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_resolved_defaults);
	tcase_add_test(tc, test_resolved_immediate);
	tcase_add_test(tc, test_resolved_outcome);
	tcase_add_loop_test(tc, test_after_time, 0, NITEMS(after_time_cases));
	tcase_add_test(tc, test_resolved_scheduled_local);
	tcase_add_test(tc, test_resolved_zone);
	tcase_add_test(tc, test_resolved_inline);
	suite_add_tcase(s, tc);

	tc = tcase_create("window");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_window);
	tcase_add_test(tc, test_window_fits);
	tcase_add_test(tc, test_window_start_not_before);
	tcase_add_test(tc, test_window_stagger_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("plan_time_past");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_test(tc, test_plan_time_past);
	tcase_add_test(tc, test_plan_time_past_ok);
	suite_add_tcase(s, tc);

	tc = tcase_create("order");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_loop_test(tc, test_order, 0, NITEMS(order_cases));
	tcase_add_test(tc, test_after_resolved);
	suite_add_tcase(s, tc);

	tc = tcase_create("cycle");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_loop_test(tc, test_cycle, 0, NITEMS(cycle_cases));
	tcase_add_test(tc, test_cycle_behind_other_cycle);
	suite_add_tcase(s, tc);

	tc = tcase_create("ids");
	tcase_add_loop_test(tc, test_event_id, 0, NITEMS(event_ids));
	tcase_add_loop_test(tc, test_resource_id, 0, NITEMS(resource_ids));
	tcase_add_loop_test(tc, test_name, 0, NITEMS(names));
	tcase_add_loop_test(tc, test_loopback, 0, NITEMS(hosts));
	suite_add_tcase(s, tc);

	return (s);
}
