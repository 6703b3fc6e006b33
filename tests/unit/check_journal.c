/*
 * journal: records written, read back, damaged.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/journal.h"
#include "ensbatch/xmalloc.h"
#include "suites.h"

#define SHA	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"
#define E1	"e-00000000000000000000000000000001"
#define E2	"e-00000000000000000000000000000002"
#define E3	"e-00000000000000000000000000000003"

static const struct ens_item items[] = {
	{ E1, "i-aaaaaaaa", 0, 0 },
	{ E2, "i-bbbbbbbb", 0, 0 },
	{ E3, "i-cccccccc", 1, 1796061600000LL },
};

static const char *const befores[] = { "Inquiring", NULL, "Inquiring" };

static char	tdir[64];
static char	*tpath;

static void
setup(void)
{
	snprintf(tdir, sizeof(tdir), "/tmp/check_journal.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	tpath = xasprintf("%s/j.jsonl", tdir);
}

static void
teardown(void)
{
	unlink(tpath);
	rmdir(tdir);
	free(tpath);
}

/* A reply: item 0 passed, item 1 refused, item 2 not mentioned. */
static void
reply(struct ens_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->outcome = ENS_OK;
	r->request_id = xstrdup("R-1");
	r->nresults = 3;
	r->results = xcalloc(3, sizeof(*r->results));
	r->results[0].found = 1;
	r->results[0].code = 200;
	r->results[0].code_text = xstrdup("200");
	r->results[0].message = xstrdup("success");
	r->results[1].found = 1;
	r->results[1].code = 400;
	r->results[1].code_text = xstrdup("400");
	r->results[1].message = xstrdup("IncorrectEventStatus: Executed");
}

START_TEST(test_roundtrip)
{
	struct journal			*j;
	struct ens_reply		 r;
	const struct journal_event	*e, **doubt;
	enum journal_state		 st[3] = { JOURNAL_CONFIRMED,
	    JOURNAL_FAILED, JOURNAL_UNKNOWN };
	uint64_t			 seq;
	char				*cause = NULL;

	j = journal_create(tpath, SHA, "m", &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(journal_call(j, &seq, "g", 0, items, befores, 3, &cause), 0);
	ck_assert_uint_eq(seq, 1);
	reply(&r);
	ck_assert_int_eq(journal_result(j, seq, &r, items, 3, st, &cause), 0);
	ens_reply_clear(&r);
	journal_free(j);

	/* A second create on the same path is refused. */
	ck_assert_ptr_null(journal_create(tpath, SHA, "m", &cause));
	ck_assert_ptr_nonnull(strstr(cause, "--resume"));
	free(cause);

	j = journal_resume(tpath, SHA, &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(journal_sha256(j), SHA);
	e = journal_lookup(j, E1);
	ck_assert_int_eq(e->state, JOURNAL_CONFIRMED);
	e = journal_lookup(j, E2);
	ck_assert_int_eq(e->state, JOURNAL_FAILED);
	ck_assert_str_eq(e->detail, "400: IncorrectEventStatus: Executed");
	e = journal_lookup(j, E3);
	ck_assert_int_eq(e->state, JOURNAL_UNKNOWN);
	ck_assert_int_eq(e->scheduled, 1);
	ck_assert_int_eq(e->plan_time, 1796061600000LL);
	ck_assert_str_eq(e->before, "Inquiring");
	ck_assert_ptr_null(journal_lookup(j, E2)->before);
	ck_assert_uint_eq(journal_in_doubt(j, &doubt), 1);
	ck_assert_str_eq(doubt[0]->event, E3);
	free(doubt);
	/* Reconciliation settles it, and a new call gets the next seq. */
	ck_assert_int_eq(journal_reconcile(j, E3, JOURNAL_CONFIRMED,
	    "Scheduled", &cause), 0);
	ck_assert_int_eq(journal_call(j, &seq, "g", 1, items, NULL, 1, &cause), 0);
	ck_assert_uint_eq(seq, 2);
	journal_free(j);

	j = journal_resume(tpath, SHA, &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(journal_lookup(j, E3)->state, JOURNAL_CONFIRMED);
	/* The call without a result leaves E1 in doubt again. */
	ck_assert_int_eq(journal_lookup(j, E1)->state, JOURNAL_UNKNOWN);
	ck_assert_int_eq(journal_lookup(j, E1)->sends, 2);
	ck_assert_ptr_null(journal_lookup(j, "e-nothere"));
	journal_free(j);
}
END_TEST

START_TEST(test_other_manifest)
{
	struct journal	*j;
	char		*cause = NULL;

	j = journal_create(tpath, SHA, "m", &cause);
	journal_free(j);
	ck_assert_ptr_null(journal_resume(tpath, "ff" SHA, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "another manifest"));
	free(cause);
}
END_TEST

static const char good[] =
    "{\"type\":\"start\",\"version\":1,\"name\":\"m\",\"manifest_sha256\":"
    "\"" SHA "\"}\n"
    "{\"type\":\"call\",\"seq\":1,\"group\":\"g\",\"batch\":1,\"items\":"
    "[{\"event\":\"" E1 "\",\"resource\":\"i-aaaaaaaa\",\"ops\":"
    "\"immediate\",\"plan_time\":null}]}\n";

START_TEST(test_torn_tail)
{
	struct journal	*j;
	char		*text, *cause = NULL;

	/* A crash mid-write leaves half a record: tolerated. */
	text = xasprintf("%s{\"type\":\"result\",\"seq\":1,\"ite", good);
	j = journal_parse(text, strlen(text), "j", &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(journal_lookup(j, E1)->state, JOURNAL_UNKNOWN);
	journal_free(j);
	free(text);
}
END_TEST

/* Damage other than a torn tail is an error naming the line. */
static const struct {
	int		 after_good;	/* appended to the good journal */
	const char	*text;
	const char	*want;
} damaged[] = {
	{ 0, "", "empty journal" },
	{ 0, "not json\n", "j:1:" },
	{ 0, "{\"type\":\"call\",\"seq\":1,\"items\":[]}\n", "j:1:" },
	{ 1, " garbage\n", "j:3:" },
	{ 1, "{\"type\":\"result\",\"seq\":9,\"items\":[]}\n", "j:3:" },
	{ 1, "{\"type\":\"bogus\"}\n", "j:3: damaged journal: unknown" },
	{ 1, "{\"type\":\"result\",\"seq\":1,\"items\":[{\"event\":\"" E2
	    "\",\"state\":\"confirmed\"}]}\n", "j:3:" },
	{ 1, "{\"type\":\"result\",\"seq\":1,\"items\":[{\"event\":\"" E1
	    "\",\"state\":\"great\"}]}\n", "j:3:" },
	{ 1, "\n{\"type\":\"resume\"}\n", "j:3:" },
};

START_TEST(test_damaged)
{
	struct journal	*j;
	char		*text, *cause = NULL;

	text = xasprintf("%s%s", damaged[_i].after_good ? good : "",
	    damaged[_i].text);
	j = journal_parse(text, strlen(text), "j", &cause);
	ck_assert_ptr_null(j);
	ck_assert_ptr_nonnull(cause);
	ck_assert_msg(strstr(cause, damaged[_i].want) != NULL, "%s", cause);
	free(cause);
	free(text);
}
END_TEST

Suite *
journal_suite(void)
{
	Suite	*s = suite_create("journal");
	TCase	*tc;

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_other_manifest);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_test(tc, test_torn_tail);
	tcase_add_loop_test(tc, test_damaged, 0,
	    (int)(sizeof(damaged) / sizeof(damaged[0])));
	suite_add_tcase(s, tc);
	return (s);
}
