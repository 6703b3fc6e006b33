/*
 * Tests for the plan's JSON text: plan_print writes it directly rather
 * than through a jansson tree, and must give byte for byte what
 * json_dumps gives for the same document (JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER): escapes, empty arrays and objects, nulls,
 * nesting.  The stored plan (plan --out) is jansson's, and reviewers
 * diff the two.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ensbatch/diag.h"
#include "ensbatch/manifest.h"
#include "ensbatch/plan.h"
#include "ensbatch/rules.h"
#include "ensbatch/xmalloc.h"
#include "fixture.h"
#include "suites.h"

/* 2026-11-01T00:00:00Z */
#define NOW	INT64_C(1793491200000)

#define EV(x)	"e-0000000000000000000000000000000" x
#define RS(x)	"i-res0000" x

/*
 * The JSON plan_print_context writes for the manifest yaml, with the
 * account a (may be NULL).  Caller frees.
 */
static char *
plan_json_with(const char *yaml, const struct plan_account *a)
{
	struct plan_context	 ctx;
	struct plan		*p;
	char			*out = NULL;
	size_t			 len = 0;
	FILE			*f;

	ck_assert_ptr_nonnull(fixture_load(yaml, strlen(yaml)));
	ck_assert_uint_eq(rules_check(fixture_manifest, NOW, fixture_diags),
	    0);
	p = plan_build(fixture_manifest, NOW);
	f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	memset(&ctx, 0, sizeof(ctx));
	ctx.account = a;
	ck_assert_int_eq(plan_print_context(p, PLAN_JSON, &ctx, f), 0);
	ck_assert_int_eq(fclose(f), 0);
	plan_free(p);
	return (out);
}

static char *
plan_json_of(const char *yaml)
{
	return (plan_json_with(yaml, NULL));
}

/* What jansson writes for the same document, with plan_print's newline. */
static char *
plan_json_canonical(const char *text)
{
	json_t		*root;
	json_error_t	 err;
	char		*dump, *out;

	root = json_loads(text, 0, &err);
	ck_assert_msg(root != NULL, "not JSON: %s", err.text);
	dump = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	ck_assert_ptr_nonnull(dump);
	out = xasprintf("%s\n", dump);
	free(dump);
	json_decref(root);
	return (out);
}

static const char *const plan_json_yamls[] = {
	/* Escapes, a check, a percentage, after, scheduled and immediate. */
	"ensbatch: 1\n"
	"name: esc\n"
	"ticket: \"CHG \\\"1\\\" a\\\\b \\t \\x01 \\x1f \\u00e9 \\u2713\"\n"
	"timezone: Asia/Shanghai\n"
	"policies:\n"
	"  now:\n"
	"    ops: immediate\n"
	"    batch_size: 2\n"
	"    max_failures: 50%\n"
	"    check: \"test -f \\\"/x\\\"\\n\\r\\b\\f\"\n"
	"  night:\n"
	"    ops: scheduled\n"
	"    batch_size: 1\n"
	"    start: 2026-12-01T02:00:00Z\n"
	"    stagger: 5m\n"
	"groups:\n"
	"  - name: a\n"
	"    policy: now\n"
	"    targets:\n"
	"      - {event: " EV("1") ", resource: " RS("1") "}\n"
	"      - {event: " EV("2") ", resource: " RS("2") "}\n"
	"      - {event: " EV("3") ", resource: " RS("3") "}\n"
	"  - name: b\n"
	"    policy: night\n"
	"    after: [a]\n"
	"    targets:\n"
	"      - {event: " EV("4") ", resource: " RS("4") "}\n"
	"      - {event: " EV("5") ", resource: " RS("5") "}\n",
	/* No ticket (null), a check mapping, a group without targets. */
	"ensbatch: 1\n"
	"name: bare\n"
	"policies:\n"
	"  p:\n"
	"    ops: immediate\n"
	"    batch_size: 5\n"
	"    check: {command: \"true\", timeout: 1m, interval: 5s}\n"
	"groups:\n"
	"  - name: empty\n"
	"    policy: p\n"
	"    targets: []\n"
	"  - name: one\n"
	"    policy: p\n"
	"    after: [empty]\n"
	"    targets:\n"
	"      - {event: " EV("6") ", resource: " RS("6") "}\n",
};

START_TEST(test_plan_json_as_jansson)
{
	char	*text, *want;

	text = plan_json_of(plan_json_yamls[_i]);
	want = plan_json_canonical(text);
	ck_assert_str_eq(text, want);
	free(want);
	free(text);
}
END_TEST

/* The escapes really are in the text (the table above exercises them). */
START_TEST(test_plan_json_escapes)
{
	char	*text;

	text = plan_json_of(plan_json_yamls[0]);
	ck_assert_ptr_nonnull(strstr(text, "\"ticket\": \"CHG \\\"1\\\" "
	    "a\\\\b \\t \\u0001 \\u001F \u00e9 \u2713\""));
	ck_assert_ptr_nonnull(strstr(text, "\"command\": \"test -f "
	    "\\\"/x\\\"\\n\\r\\b\\f\""));
	ck_assert_ptr_nonnull(strstr(text, "\"max_failures\": \"50%\""));
	free(text);
	text = plan_json_of(plan_json_yamls[1]);
	ck_assert_ptr_nonnull(strstr(text, "\"ticket\": null"));
	ck_assert_ptr_nonnull(strstr(text, "\"after\": [],"));
	ck_assert_ptr_nonnull(strstr(text, "\"batches\": []\n"));
	free(text);
}
END_TEST

/* The account goes last, as the stored plan has it. */
START_TEST(test_plan_json_account)
{
	struct plan_account	 a;
	char			*text, *want;

	plan_account_set(&a, "https://ens.example/\"x\"", PLAN_KEY_PINNED,
	    "LTAI5tExampleKeyId0001");
	text = plan_json_with(plan_json_yamls[1], &a);
	want = plan_json_canonical(text);
	ck_assert_str_eq(text, want);
	ck_assert_ptr_nonnull(strstr(text, "  ],\n  \"account\": {\n"
	    "    \"endpoint\": \"https://ens.example/\\\"x\\\"\",\n"
	    "    \"access_key\": \"pinned\",\n"));
	free(want);
	free(text);
	plan_account_clear(&a);
	plan_account_set(&a, "ens.aliyuncs.com", PLAN_KEY_NOT_ASKED, NULL);
	text = plan_json_with(plan_json_yamls[1], &a);
	want = plan_json_canonical(text);
	ck_assert_str_eq(text, want);
	ck_assert_ptr_nonnull(strstr(text, "\"access_key_id\": null,\n"));
	free(want);
	free(text);
	plan_account_clear(&a);
}
END_TEST

Suite *
plan_json_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("plan_json");
	tc = tcase_create("as_jansson");
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, fixture_setup, fixture_teardown);
	tcase_add_loop_test(tc, test_plan_json_as_jansson, 0,
	    (int)(sizeof(plan_json_yamls) / sizeof(plan_json_yamls[0])));
	tcase_add_test(tc, test_plan_json_escapes);
	tcase_add_test(tc, test_plan_json_account);
	suite_add_tcase(s, tc);
	return (s);
}
