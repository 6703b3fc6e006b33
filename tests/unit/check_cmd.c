/*
 * Tests for the command table and its parser (cmd.c) and for the
 * message module (msg.c): the table is well formed, options parse to
 * the values the commands read, bad values and counts are usage
 * errors; the live line is cut to the width without counting escapes.
 */
/* The prototypes of the TESTABLE functions (the test build's). */
#define ENSBATCH_TESTING 1

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/cmd.h"
#include "ensbatch/creds.h"
#include "ensbatch/ens.h"
#include "ensbatch/exitcode.h"
#include "ensbatch/msg.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* Usage errors go to stderr: keep the test log readable. */
static FILE *
quiet_stderr(void)
{
	FILE	*saved = stderr;

	stderr = fopen("/dev/null", "w");
	ck_assert_ptr_nonnull(stderr);
	return (saved);
}

static void
restore_stderr(FILE *saved)
{
	fclose(stderr);
	stderr = saved;
}

/* Every option of every command has a help line and a usable spec. */
START_TEST(test_table_well_formed)
{
	const struct cmd_entry	*const *e;
	const struct cmd_option	*o;
	size_t			 i;

	for (e = cmd_table; *e != NULL; e++) {
		ck_assert_ptr_nonnull((*e)->summary);
		ck_assert_ptr_nonnull((*e)->args);
		ck_assert_int_ge((*e)->lower, 0);
		for (i = 0; i < CMD_FRAGMENTS && (*e)->options[i] != NULL;
		    i++) {
			for (o = (*e)->options[i]; o->long_name != NULL; o++) {
				ck_assert_int_gt(o->id, OPT_NONE);
				ck_assert_int_lt(o->id, OPT_COUNT);
				ck_assert_ptr_nonnull(o->help);
				ck_assert(o->kind == CMD_FLAG ||
				    o->metavar != NULL);
				ck_assert(o->kind != CMD_NUMBER ||
				    o->min <= o->max);
			}
		}
	}
}
END_TEST

static const struct {
	const char	*choices;
	const char	*value;
	int		 index;
} choice_cases[] = {
	{ "text|json|markdown", "text", 0 },
	{ "text|json|markdown", "json", 1 },
	{ "text|json|markdown", "markdown", 2 },
	{ "text|json|markdown", "mark", -1 },
	{ "text|json|markdown", "jsonx", -1 },
	{ "text|json|markdown", "", -1 },
	{ "text|json|markdown", "TEXT", -1 },
	{ "v3|v1", "v1", 1 },
	{ "auto|always|never", "never", 2 },
};

START_TEST(test_choice_index)
{
	ck_assert_int_eq(cmd_choice_index(choice_cases[_i].choices,
	    choice_cases[_i].value), choice_cases[_i].index);
}
END_TEST

START_TEST(test_choices_text)
{
	char	*s;

	s = cmd_choices("text|json|markdown");
	ck_assert_str_eq(s, "text, json or markdown");
	free(s);
	s = cmd_choices("v3|v1");
	ck_assert_str_eq(s, "v3 or v1");
	free(s);
	s = cmd_choices("one");
	ck_assert_str_eq(s, "one");
	free(s);
}
END_TEST

/* One parse of "CMD ARGS..." (split at spaces). */
static const struct {
	const char	*line;
	int		 rc;		/* of cmd_parse */
	int		 id;		/* an option to look at, or OPT_NONE */
	long		 number;	/* its number or choice index */
	int		 argc;		/* positional arguments, when rc -1 */
} parse_cases[] = {
	{ "plan m.yaml", -1, OPT_FORMAT, 0, 1 },
	{ "plan --format json m.yaml", -1, OPT_FORMAT, 1, 1 },
	{ "plan --format=markdown m.yaml", -1, OPT_FORMAT, 2, 1 },
	{ "plan m.yaml --format markdown", -1, OPT_FORMAT, 2, 1 },
	{ "plan --format yaml m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "plan -v m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "plan m.yaml m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "plan", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "plan m.yaml --now", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "apply --parallel 64 m.yaml", -1, OPT_PARALLEL, 64, 1 },
	{ "apply --parallel 1 m.yaml", -1, OPT_PARALLEL, 1, 1 },
	{ "apply --parallel 0 m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "apply --parallel 65 m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "apply --parallel 4x m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "apply --retries 20 m.yaml", -1, OPT_RETRIES, 20, 1 },
	{ "apply --retries 21 m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "apply --rate 0 m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "apply -qv m.yaml", -1, OPT_VERBOSE, 0, 1 },
	{ "apply --timeout 0s m.yaml", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "apply --endpoint http://example.com m.yaml", EXIT_USAGE,
	  OPT_NONE, 0, 0 },
	{ "validate a.yaml b.yaml c.yaml", -1, OPT_NONE, 0, 3 },
	{ "validate", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "events", -1, OPT_NONE, 0, 0 },
	{ "events -q", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "events --color never", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "events x", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "version x", EXIT_USAGE, OPT_NONE, 0, 0 },
	{ "version --bogus", EXIT_USAGE, OPT_NONE, 0, 0 },
};

START_TEST(test_parse)
{
	const struct cmd_entry	*const *e;
	struct cmd_args		 a;
	char			*line, *argv[16], *p;
	int			 argc = 0, rc;
	FILE			*saved;

	line = strdup(parse_cases[_i].line);
	for (p = line; p != NULL && argc < 15; ) {
		argv[argc++] = p;
		if ((p = strchr(p, ' ')) != NULL)
			*p++ = '\0';
	}
	argv[argc] = NULL;
	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, argv[0]) == 0)
			break;
	}
	ck_assert_ptr_nonnull(*e);
	memset(&a, 0, sizeof(a));
	a.entry = *e;
	saved = quiet_stderr();
	rc = cmd_parse(&a, argc, argv);
	restore_stderr(saved);
	ck_assert_int_eq(rc, parse_cases[_i].rc);
	if (rc == -1) {
		ck_assert_int_eq(a.argc, parse_cases[_i].argc);
		if (parse_cases[_i].id == OPT_FORMAT)
			ck_assert_int_eq(cmd_choice(&a, OPT_FORMAT, 0),
			    parse_cases[_i].number);
		else if (parse_cases[_i].id == OPT_VERBOSE)
			ck_assert(a.o.verbose && a.o.quiet);
		else if (parse_cases[_i].id != OPT_NONE)
			ck_assert_int_eq(cmd_number(&a, parse_cases[_i].id,
			    -1), parse_cases[_i].number);
	}
	free(line);
}
END_TEST

/* An API failure's exit code: rejected 1, not asked or unreadable 3. */
static const struct {
	enum ens_outcome	outcome;
	int			rc;
} failure_cases[] = {
	{ ENS_API_ERROR, EXIT_FAILED },
	{ ENS_NOT_SENT, EXIT_ENV },
	{ ENS_UNKNOWN, EXIT_ENV },
	{ ENS_OK, EXIT_ENV },
};

START_TEST(test_api_failure)
{
	struct ens_reply	 r;
	FILE			*saved;
	int			 rc;

	memset(&r, 0, sizeof(r));
	r.outcome = failure_cases[_i].outcome;
	r.code = (char *)"Code";
	r.message = (char *)"message";
	saved = quiet_stderr();
	rc = msg_api_failure(&r, "%s failed", "Action");
	restore_stderr(saved);
	ck_assert_int_eq(rc, failure_cases[_i].rc);
}
END_TEST

/* The confirmation shows only the first and last 4 of a key id. */
static const struct {
	const char	*id;
	const char	*shown;
} mask_cases[] = {
	{ "LTAI5tAbCdEfGhIjKlMnOpQr", "LTAI****OpQr" },
	{ "123456789", "1234****6789" },
	{ "12345678", "********" },
	{ "abc", "********" },
	{ "", "********" },
};

START_TEST(test_mask_key)
{
	char	out[64];

	creds_mask_key(mask_cases[_i].id, out, sizeof(out));
	ck_assert_str_eq(out, mask_cases[_i].shown);
}
END_TEST

/* Paths apply checks before the question (as any user: no chmod). */
static const struct {
	const char	*path;
	int		 rc;
	const char	*cause;
} writable_cases[] = {
	{ "/tmp/ensbatch-cmd-test.xml", 0, NULL },
	{ "relative.xml", 0, NULL },
	{ "/no/such/dir/r.xml", -1,
	  "the directory /no/such/dir does not exist" },
	{ "/tmp", -1, "/tmp is a directory" },
	{ "/dev/null/x.xml", -1, "the directory /dev/null does not exist" },
};

START_TEST(test_writable)
{
	char	*cause = NULL;

	ck_assert_int_eq(apply_writable(writable_cases[_i].path, &cause),
	    writable_cases[_i].rc);
	if (writable_cases[_i].cause == NULL)
		ck_assert_ptr_null(cause);
	else
		ck_assert_str_eq(cause, writable_cases[_i].cause);
	free(cause);
}
END_TEST

Suite *
cmd_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("cmd");

	tc = tcase_create("table");
	tcase_add_test(tc, test_table_well_formed);
	suite_add_tcase(s, tc);

	tc = tcase_create("choices");
	tcase_add_loop_test(tc, test_choice_index, 0, NITEMS(choice_cases));
	tcase_add_test(tc, test_choices_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse, 0, NITEMS(parse_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("apply");
	tcase_add_loop_test(tc, test_mask_key, 0, NITEMS(mask_cases));
	tcase_add_loop_test(tc, test_writable, 0, NITEMS(writable_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("msg");
	tcase_add_loop_test(tc, test_api_failure, 0, NITEMS(failure_cases));
	suite_add_tcase(s, tc);

	return (s);
}
