/*
 * journal: records written, read back, damaged.
 */
#include "config.h"

#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/journal.h"
#include "ensbatch/xmalloc.h"
#include "fixture.h"
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

static char	*tpath;

/* The shared scratch directory (fixture.c), a journal path in it. */
static void
setup(void)
{
	fixture_dir_setup();
	tpath = xasprintf("%s/j.jsonl", fixture_dir);
}

static void
teardown(void)
{
	free(tpath);
	fixture_dir_teardown();
}

/* An answer: item 0 accepted, item 1 refused, item 2 not mentioned. */
static const struct journal_item answer_items[] = {
	{ E1, JOURNAL_CONFIRMED, "200", "success" },
	{ E2, JOURNAL_FAILED, "400", "IncorrectEventStatus: Executed" },
	{ E3, JOURNAL_UNKNOWN, NULL, NULL },
};
static const struct journal_answer answer = {
	"ok", "R-1", answer_items, 3
};

START_TEST(test_roundtrip)
{
	struct journal			*j;
	const struct journal_event	*e, **doubt;
	uint64_t			 seq;
	char				*cause = NULL;

	j = journal_create(tpath, SHA, "m", &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(journal_call(j, &seq, "g", 0, items, befores, 3, &cause), 0);
	ck_assert_uint_eq(seq, 1);
	ck_assert_int_eq(journal_result(j, seq, &answer, &cause), 0);
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
	ck_assert_str_eq(journal_lookup(j, E2)->request_id, "R-1");
	ck_assert_str_eq(journal_lookup(j, E1)->group, "g");
	ck_assert_uint_eq(journal_lookup(j, E1)->batch, 2);
	ck_assert_ptr_null(journal_lookup(j, "e-nothere"));
	journal_free(j);
}
END_TEST

/* A new journal with one call of items[0..n) and its answer a. */
static struct journal *
journal_test_call(const char *const *bef, size_t n,
    const struct journal_answer *a)
{
	struct journal	*j;
	uint64_t	 seq;
	char		*cause = NULL;

	j = journal_create(tpath, SHA, "m", &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(journal_call(j, &seq, "g", 0, items, bef, n,
	    &cause), 0);
	ck_assert_int_eq(journal_result(j, seq, a, &cause), 0);
	return (j);
}

/* Settle, batch and group records survive a resume. */
START_TEST(test_settle_records)
{
	struct journal			*j;
	const struct journal_event	*e;
	uint64_t			 seq;
	char				*cause = NULL;

	j = journal_test_call(befores, 3, &answer);
	ck_assert_int_eq(journal_settle(j, E1, JOURNAL_SETTLE_FAILED,
	    "InstanceNotRunning", "stopped", "Executed", "Stopped",
	    1796061600000LL, &cause), 0);
	ck_assert_int_eq(journal_batch(j, "g", 0, &cause), 0);
	ck_assert_int_eq(journal_group(j, "g", &cause), 0);
	ck_assert_int_gt(journal_batch_done(j, "g", 0), 0);
	journal_free(j);

	j = journal_resume(tpath, SHA, &cause);
	ck_assert_ptr_nonnull(j);
	e = journal_lookup(j, E1);
	ck_assert_int_eq(e->settle, JOURNAL_SETTLE_FAILED);
	ck_assert_str_eq(e->settle_type, "InstanceNotRunning");
	ck_assert_str_eq(e->settle_message, "stopped");
	ck_assert_int_eq(e->executed_at, 1796061600000LL);
	ck_assert_int_gt(e->requested_at, 0);
	ck_assert_int_ge(e->settled_at, e->requested_at);
	ck_assert_int_eq(journal_lookup(j, E2)->settle, JOURNAL_SETTLE_NONE);
	ck_assert_int_gt(journal_batch_done(j, "g", 0), 0);
	ck_assert_int_eq(journal_batch_done(j, "g", 1), 0);
	ck_assert_int_eq(journal_batch_done(j, "h", 0), 0);
	ck_assert_int_gt(journal_group_done(j, "g"), 0);
	ck_assert_int_eq(journal_group_done(j, "h"), 0);
	/* A new request of E1 forgets the old outcome. */
	ck_assert_int_eq(journal_call(j, &seq, "g", 1, items, NULL, 1,
	    &cause), 0);
	ck_assert_int_eq(journal_lookup(j, E1)->settle, JOURNAL_SETTLE_NONE);
	journal_free(j);
}
END_TEST

/*
 * A request that never reached the API does not count; one that the
 * events proved untouched does (issue: each --resume sent again).
 */
START_TEST(test_sends_bound)
{
	static const struct journal_item	 ns = { E1, JOURNAL_NOT_SENT,
	    NULL, NULL };
	static const struct journal_item	 un = { E1, JOURNAL_UNKNOWN,
	    NULL, NULL };
	struct journal_answer			 a = { "not_sent", NULL,
	    &ns, 1 };
	struct journal				*j;
	uint64_t				 seq;
	int					 run;
	char					*cause = NULL;

	j = journal_create(tpath, SHA, "m", &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(journal_call(j, &seq, "g", 0, items, NULL, 1,
	    &cause), 0);
	ck_assert_int_eq(journal_result(j, seq, &a, &cause), 0);
	ck_assert_int_eq(journal_lookup(j, E1)->sends, 0);
	a.outcome = "unknown";
	a.items = &un;
	for (run = 1; run <= 3; run++) {
		ck_assert_int_eq(journal_call(j, &seq, "g", 0, items, NULL, 1,
		    &cause), 0);
		ck_assert_int_eq(journal_result(j, seq, &a, &cause), 0);
		ck_assert_int_eq(journal_reconcile(j, E1, JOURNAL_NOT_SENT,
		    "Inquiring", &cause), 0);
		ck_assert_int_eq(journal_lookup(j, E1)->sends, run);
	}
	journal_free(j);
	j = journal_resume(tpath, SHA, &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(journal_lookup(j, E1)->sends, 3);
	ck_assert_int_eq(journal_lookup(j, E1)->state, JOURNAL_NOT_SENT);
	journal_free(j);
}
END_TEST

/*
 * --adopt-status: the adoption is a confirmed reconcile record that
 * says so; what is known right after writing it is what a further
 * resume reads back, and it is no longer in doubt.
 */
static void
check_adopted(const struct journal *j)
{
	const struct journal_event	 *e, **doubt;

	e = journal_lookup(j, E1);
	ck_assert_int_eq(e->state, JOURNAL_CONFIRMED);
	ck_assert_int_eq(e->adopted, 1);
	ck_assert_int_eq(e->sends, 1);
	ck_assert_str_eq(e->detail, "Executed");
	ck_assert_ptr_null(e->before);
	ck_assert_int_eq(journal_lookup(j, E2)->adopted, 0);
	ck_assert_int_eq(journal_lookup(j, E2)->state, JOURNAL_CONFIRMED);
	ck_assert_uint_eq(journal_in_doubt(j, &doubt), 0);
	free(doubt);
}

START_TEST(test_adopt)
{
	static const struct journal_item	 un[] = {
		{ E1, JOURNAL_UNKNOWN, "OutcomeUnknown", "aborted" },
		{ E2, JOURNAL_UNKNOWN, "OutcomeUnknown", "aborted" },
	};
	static const struct journal_answer	 a = { "unknown", NULL, un,
	    2 };
	struct journal				*j;
	uint64_t				 seq;
	char					*cause = NULL;

	j = journal_test_call(NULL, 2, &a);
	ck_assert_int_eq(journal_adopt(j, E1, "Executed", &cause), 0);
	ck_assert_int_eq(journal_reconcile(j, E2, JOURNAL_CONFIRMED,
	    "Executing", &cause), 0);
	check_adopted(j);
	journal_free(j);

	j = journal_resume(tpath, SHA, &cause);
	ck_assert_ptr_nonnull(j);
	check_adopted(j);
	/* Its settle record keeps it adopted; a new request does not. */
	ck_assert_int_eq(journal_settle(j, E1, JOURNAL_SETTLE_PASSED, NULL,
	    NULL, "Executed", "Running", 1796061600000LL, &cause), 0);
	journal_free(j);
	j = journal_resume(tpath, SHA, &cause);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(journal_lookup(j, E1)->adopted, 1);
	ck_assert_int_eq(journal_lookup(j, E1)->settle, JOURNAL_SETTLE_PASSED);
	ck_assert_int_eq(journal_call(j, &seq, "g", 0, items, NULL, 1,
	    &cause), 0);
	ck_assert_int_eq(journal_lookup(j, E1)->adopted, 0);
	ck_assert_int_eq(journal_lookup(j, E1)->sends, 2);
	journal_free(j);
}
END_TEST

/*
 * journal_apply_state and journal_apply_reconcile: what one record does
 * to an event (state, sends, adopted), whichever path applies it.
 */
static const struct {
	enum journal_state	 from;
	int			 sends;
	enum journal_state	 s;
	int			 result;	/* 1 result, 0 reconcile */
	int			 adopt;		/* reconcile only */
	enum journal_state	 want;
	int			 want_sends;
	int			 want_adopted;
} apply_rows[] = {
	/* A result: not_sent gives the request back, nothing else. */
	{ JOURNAL_UNKNOWN, 1, JOURNAL_NOT_SENT, 1, 0, JOURNAL_NOT_SENT, 0, 0 },
	{ JOURNAL_UNKNOWN, 0, JOURNAL_NOT_SENT, 1, 0, JOURNAL_NOT_SENT, 0, 0 },
	{ JOURNAL_UNKNOWN, 2, JOURNAL_CONFIRMED, 1, 0, JOURNAL_CONFIRMED, 2,
	    0 },
	{ JOURNAL_UNKNOWN, 1, JOURNAL_FAILED, 1, 0, JOURNAL_FAILED, 1, 0 },
	{ JOURNAL_UNKNOWN, 1, JOURNAL_UNKNOWN, 1, 0, JOURNAL_UNKNOWN, 1, 0 },
	/* A reconcile: the request reached the API, it always counts. */
	{ JOURNAL_UNKNOWN, 1, JOURNAL_NOT_SENT, 0, 0, JOURNAL_NOT_SENT, 1, 0 },
	{ JOURNAL_UNKNOWN, 3, JOURNAL_NOT_SENT, 0, 0, JOURNAL_NOT_SENT, 3, 0 },
	{ JOURNAL_UNKNOWN, 1, JOURNAL_CONFIRMED, 0, 0, JOURNAL_CONFIRMED, 1,
	    0 },
	{ JOURNAL_UNKNOWN, 1, JOURNAL_FAILED, 0, 0, JOURNAL_FAILED, 1, 0 },
	/* Adopted: confirmed, counted, and marked; never on another. */
	{ JOURNAL_UNKNOWN, 1, JOURNAL_CONFIRMED, 0, 1, JOURNAL_CONFIRMED, 1,
	    1 },
	{ JOURNAL_UNKNOWN, 2, JOURNAL_CONFIRMED, 0, 1, JOURNAL_CONFIRMED, 2,
	    1 },
	{ JOURNAL_UNKNOWN, 1, JOURNAL_NOT_SENT, 0, 1, JOURNAL_NOT_SENT, 1, 0 },
	{ JOURNAL_UNKNOWN, 1, JOURNAL_FAILED, 0, 1, JOURNAL_FAILED, 1, 0 },
};

START_TEST(test_apply_state)
{
	struct journal_event	e;

	memset(&e, 0, sizeof(e));
	e.state = apply_rows[_i].from;
	e.sends = apply_rows[_i].sends;
	e.adopted = !apply_rows[_i].adopt;	/* always overwritten */
	if (apply_rows[_i].result) {
		e.adopted = 0;
		journal_apply_state(&e, apply_rows[_i].s, 1);
	} else
		journal_apply_reconcile(&e, apply_rows[_i].s, "Executed",
		    apply_rows[_i].adopt);
	ck_assert_msg(e.state == apply_rows[_i].want, "row %d: state", _i);
	ck_assert_msg(e.sends == apply_rows[_i].want_sends, "row %d: sends",
	    _i);
	ck_assert_msg(e.adopted == apply_rows[_i].want_adopted,
	    "row %d: adopted", _i);
	if (!apply_rows[_i].result)
		ck_assert_str_eq(e.detail, "Executed");
	free(e.detail);
}
END_TEST

/* A FIFO or a device is refused at once, never read or waited on. */
START_TEST(test_not_regular)
{
	char	*fifo, *cause = NULL;

	fifo = xasprintf("%s/fifo", fixture_dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* No reader: opening it for writing fails at once (ENXIO). */
	ck_assert_ptr_null(journal_resume(fifo, SHA, &cause));
	ck_assert_ptr_nonnull(strstr(cause, fifo));
	free(cause);
	ck_assert_ptr_null(journal_read(fifo, &cause));
	ck_assert_ptr_nonnull(strstr(cause, "not a regular file"));
	free(cause);
	ck_assert_ptr_null(journal_read("/dev/zero", &cause));
	ck_assert_ptr_nonnull(strstr(cause, "not a regular file"));
	free(cause);
	unlink(fifo);
	free(fifo);
}
END_TEST

/* How many lines the file at path has. */
static size_t
journal_test_lines(const char *path)
{
	FILE	*f;
	size_t	 n = 0;
	int	 ch;

	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while ((ch = fgetc(f)) != EOF)
		if (ch == '\n')
			n++;
	fclose(f);
	return (n);
}

/*
 * Group commit: unheld, every record is fsync'd on its own; held, the
 * records are written at once (a reader sees them) and one
 * journal_sync makes them all durable; a sync with nothing new, or a
 * second one, costs no fsync; releasing the hold makes the next
 * record durable on its own again.
 */
START_TEST(test_group_commit)
{
	struct journal	*j;
	uint64_t	 seq, base;
	char		*cause = NULL;

	j = journal_create(tpath, SHA, "m", &cause);
	ck_assert_ptr_nonnull(j);
	base = journal_syncs(j);
	ck_assert_uint_ge(base, 1);
	ck_assert_int_eq(journal_call(j, &seq, "g", 0, items, NULL, 1,
	    &cause), 0);
	ck_assert_uint_eq(journal_syncs(j), base + 1);

	journal_hold(j, 1);
	ck_assert_int_eq(journal_result(j, seq, &answer, &cause), 0);
	ck_assert_int_eq(journal_call(j, &seq, "g", 1, items, NULL, 3,
	    &cause), 0);
	ck_assert_int_eq(journal_reconcile(j, E3, JOURNAL_NOT_SENT,
	    "Inquiring", &cause), 0);
	ck_assert_uint_eq(journal_syncs(j), base + 1);
	/* Written already: start, call, result, call, reconcile. */
	ck_assert_uint_eq(journal_test_lines(tpath), 5);
	ck_assert_int_eq(journal_sync(j, &cause), 0);
	ck_assert_uint_eq(journal_syncs(j), base + 2);
	ck_assert_int_eq(journal_sync(j, &cause), 0);
	ck_assert_uint_eq(journal_syncs(j), base + 2);

	journal_hold(j, 0);
	ck_assert_int_eq(journal_batch(j, "g", 0, &cause), 0);
	ck_assert_uint_eq(journal_syncs(j), base + 3);
	ck_assert_int_eq(journal_sync(j, &cause), 0);
	ck_assert_uint_eq(journal_syncs(j), base + 3);
	journal_free(j);
}
END_TEST

/* The descriptor this process has open on path, or -1. */
static int
journal_test_fd_of(const char *path)
{
	char	link[64], target[PATH_MAX], want[PATH_MAX];
	ssize_t	len;
	int	fd;

	if (realpath(path, want) == NULL)
		return (-1);
	for (fd = 0; fd < 1024; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if ((len = readlink(link, target, sizeof(target) - 1)) < 0)
			continue;
		target[len] = '\0';
		if (strcmp(target, want) == 0)
			return (fd);
	}
	return (-1);
}

/*
 * A failed fsync sticks: Linux reports a lost write-back once, and the
 * next fsync of the file returns 0 over records that never reached the
 * disk.  The journal's descriptor is a pipe for one journal_sync
 * (fsync: EINVAL), then the file again: journal_sync and every record
 * after it keep failing.
 */
START_TEST(test_sync_error_sticks)
{
	struct journal	*j;
	uint64_t	 seq;
	char		*cause = NULL;
	int		 jfd, saved, p[2];

	j = journal_create(tpath, SHA, "m", &cause);
	ck_assert_ptr_nonnull(j);
	jfd = journal_test_fd_of(tpath);
	ck_assert_int_ge(jfd, 0);
	saved = dup(jfd);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(pipe(p), 0);

	journal_hold(j, 1);
	ck_assert_int_eq(dup2(p[1], jfd), jfd);
	ck_assert_int_eq(journal_call(j, &seq, "g", 0, items, NULL, 1,
	    &cause), 0);
	ck_assert_int_eq(journal_sync(j, &cause), -1);
	ck_assert_ptr_nonnull(strstr(cause, "cannot write the journal"));
	free(cause);

	ck_assert_int_eq(dup2(saved, jfd), jfd);
	ck_assert_int_eq(journal_sync(j, &cause), -1);
	free(cause);
	journal_hold(j, 0);
	ck_assert_int_eq(journal_batch(j, "g", 0, &cause), -1);
	free(cause);
	journal_free(j);
	close(saved);
	close(p[0]);
	close(p[1]);
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
	/* Only a confirmed state can be adopted, and only by true. */
	{ 1, "{\"type\":\"reconcile\",\"event\":\"" E1 "\",\"state\":"
	    "\"not_sent\",\"status\":\"Inquiring\",\"adopted\":true}\n",
	    "j:3: damaged journal: a reconcile record's adopted" },
	{ 1, "{\"type\":\"reconcile\",\"event\":\"" E1 "\",\"state\":"
	    "\"confirmed\",\"status\":\"Executed\",\"adopted\":1}\n",
	    "j:3: damaged journal: a reconcile record's adopted" },
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
	tcase_add_unchecked_fixture(tc, fixture_base_setup,
	    fixture_base_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_group_commit);
	tcase_add_test(tc, test_sync_error_sticks);
	tcase_add_test(tc, test_other_manifest);
	tcase_add_test(tc, test_settle_records);
	tcase_add_test(tc, test_sends_bound);
	tcase_add_test(tc, test_not_regular);
	tcase_add_test(tc, test_adopt);
	suite_add_tcase(s, tc);
	tc = tcase_create("records");
	tcase_add_loop_test(tc, test_apply_state, 0,
	    (int)(sizeof(apply_rows) / sizeof(apply_rows[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_test(tc, test_torn_tail);
	tcase_add_loop_test(tc, test_damaged, 0,
	    (int)(sizeof(damaged) / sizeof(damaged[0])));
	suite_add_tcase(s, tc);
	return (s);
}
