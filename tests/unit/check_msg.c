/*
 * Tests for the colour of messages (msg.c, and options.c's choice):
 * the live line is cut to the width counting only what shows, never
 * inside an escape sequence, and always ends with a reset when it had
 * colour; words are painted only when colour is on; the counts use the
 * report's words; colour is off for NO_COLOR, --color never and
 * anything but a terminal.
 */
/* The prototypes of the TESTABLE functions (the test build's). */
#define ENSBATCH_TESTING 1

#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ensbatch/buf.h"
#include "ensbatch/msg.h"
#include "ensbatch/options.h"
#include "ensbatch/report.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

#define RED	"\033[1;31m"
#define GREEN	"\033[32m"
#define CYAN	"\033[36m"
#define DIM	"\033[2m"
#define RESET	"\033[0m"

/*
 * Columns s takes on a terminal, or -1 when it holds an escape
 * sequence that is not whole (ESC [ parameters final) or a control
 * character: what the live line must never contain.
 */
static long
msg_test_columns(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	long			 cols = 0;

	while (*p != '\0') {
		if (*p == 0x1b) {
			if (p[1] != '[')
				return (-1);
			for (p += 2; *p >= 0x20 && *p <= 0x3f; p++)
				/* parameters */;
			if (*p < 0x40 || *p > 0x7e)
				return (-1);
			p++;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			return (-1);
		if ((*p & 0xc0) != 0x80)
			cols++;
		p++;
	}
	return (cols);
}

/* Whether s ends with the reset. */
static int
msg_test_reset_last(const char *s)
{
	size_t	len = strlen(s);

	return (len >= strlen(RESET) &&
	    strcmp(s + len - strlen(RESET), RESET) == 0);
}

/* Cut coloured text: exact results. */
static const struct {
	const char	*in;
	size_t		 width;
	const char	*out;
} cut_cases[] = {
	/* Cut inside colour: the reset after the cut is added. */
	{ RED "failed" RESET, 3, RED "fai" RESET },
	{ "7 " GREEN "passed" RESET ", " RED "1 failed" RESET, 10,
	  "7 " GREEN "passed" RESET ", " RED RESET },
	/* Not cut, but the colour was left on: a reset ends it. */
	{ RED "red", 10, RED "red" RESET },
	/* Not cut and closed: no second reset. */
	{ DIM "3s left" RESET, 20, DIM "3s left" RESET },
	/* Width 0: the sequences cost nothing, the text is gone. */
	{ DIM "3s left" RESET, 0, DIM RESET },
	/* An unfinished sequence is dropped, not copied in half. */
	{ "ok\033[3", 10, "ok" },
	{ "ok\033[31;", 10, "ok" },
	{ "ok\033[", 10, "ok" },
	/* A tab is one space (it could take eight); controls take none. */
	{ "a\tb", 3, "a b" },
	{ "a\nb\rc\x7f" "d", 4, "abcd" },
	/* Multi-byte characters take one column, never cut in half. */
	{ GREEN "\xc3\xa9t\xc3\xa9" RESET " done", 2,
	  GREEN "\xc3\xa9t" RESET },
	/* Plain text stays plain: no reset. */
	{ "wave-1: batch 1/2 done", 6, "wave-1" },
	{ "hello", 10, "hello" },
	{ "hello", 5, "hello" },
	{ "hello", 0, "" },
	{ "\033[32mok\033[0m done", 4, "\033[32mok\033[0m d\033[0m" },
	{ "\033[32mok\033[0m", 2, "\033[32mok\033[0m" },
};

START_TEST(test_cut)
{
	struct buf	b;

	buf_init(&b);
	msg_truncate(cut_cases[_i].in, cut_cases[_i].width, &b);
	ck_assert_str_eq(b.data, cut_cases[_i].out);
	buf_free(&b);
}
END_TEST

/*
 * Every width of a few coloured lines: what is drawn never takes more
 * columns than the width, never holds half a sequence, shows all of
 * the text when it fits, and ends with a reset when it has colour.
 */
static const char *const every_cases[] = {
	"wave-1: batch 3/3 done; 8 of 8 final: " GREEN "7 passed" RESET
	    ", " RED "1 failed" RESET,
	"canary: soak before wave-1: " DIM "9m left" RESET,
	"night: " CYAN "3 scheduled" RESET ", next PlanTime in " DIM "2s"
	    RESET,
	RED GREEN CYAN "x" RESET RESET "y" DIM,
};

START_TEST(test_cut_every_width)
{
	const char	*in = every_cases[_i];
	struct buf	 b;
	long		 all, cols;
	size_t		 w;

	all = msg_test_columns(in);
	ck_assert_int_gt(all, 0);
	for (w = 0; w <= (size_t)all + 2; w++) {
		buf_init(&b);
		msg_truncate(in, w, &b);
		cols = msg_test_columns(b.data);
		ck_assert_msg(cols >= 0, "width %zu: a broken sequence", w);
		ck_assert_int_eq(cols, (long)w < all ? (long)w : all);
		ck_assert_msg(strchr(b.data, 0x1b) == NULL ||
		    msg_test_reset_last(b.data),
		    "width %zu: [%s] does not end with a reset", w, b.data);
		buf_free(&b);
	}
}
END_TEST

/* msg_paint colours only when colour is on. */
static const struct {
	int		 color;
	enum msg_tone	 tone;
	const char	*out;
} paint_cases[] = {
	{ 1, MSG_GOOD, GREEN "5 passed" RESET },
	{ 1, MSG_BAD, RED "5 passed" RESET },
	{ 1, MSG_NEUTRAL, CYAN "5 passed" RESET },
	{ 1, MSG_DIM, DIM "5 passed" RESET },
	{ 1, MSG_PLAIN, "5 passed" },
	{ 0, MSG_GOOD, "5 passed" },
	{ 0, MSG_BAD, "5 passed" },
	{ 0, MSG_DIM, "5 passed" },
};

START_TEST(test_paint)
{
	msg_setup(NULL, 0, paint_cases[_i].color);
	ck_assert_str_eq(msg_paint(paint_cases[_i].tone, "%d %s", 5,
	    "passed"), paint_cases[_i].out);
	msg_setup(NULL, 0, 0);
}
END_TEST

/* The strings of one message's arguments stay valid together. */
START_TEST(test_paint_ring)
{
	const char	*s[MSG_PAINTS];
	char		 want[16];
	size_t		 i;

	msg_setup(NULL, 0, 0);
	for (i = 0; i < MSG_PAINTS; i++)
		s[i] = msg_paint(MSG_BAD, "%zu", i);
	for (i = 0; i < MSG_PAINTS; i++) {
		snprintf(want, sizeof(want), "%zu", i);
		ck_assert_str_eq(s[i], want);
	}
}
END_TEST

/* The counts: the report's words, in their colours when not 0. */
static const struct {
	int		 color;
	size_t		 n[4];		/* by enum report_outcome */
	size_t		 scheduled;
	int		 flags;
	const char	*out;
} count_cases[] = {
	{ 0, { 1, 0, 0, 5 }, 0, 0, "1 passed, 0 failed, 0 errors, 5 skipped" },
	{ 0, { 7, 1, 2, 3 }, 0, 0, "7 passed, 1 failed, 2 errors, 3 skipped" },
	{ 0, { 0, 0, 0, 5 }, 5, 0,
	  "0 passed, 0 failed, 0 errors, 5 skipped (5 scheduled)" },
	{ 0, { 6, 0, 0, 0 }, 0, MSG_COUNTS_TERSE, "6 passed, 0 failed" },
	{ 0, { 6, 1, 2, 0 }, 0, MSG_COUNTS_TERSE,
	  "6 passed, 1 failed, 2 errors" },
	{ 0, { 0, 0, 0, 4 }, 0, MSG_COUNTS_TERSE,
	  "0 passed, 0 failed, 4 skipped" },
	{ 1, { 2, 1, 0, 0 }, 0, 0,
	  GREEN "2 passed" RESET ", " RED "1 failed" RESET
	  ", 0 errors, 0 skipped" },
	{ 1, { 0, 0, 3, 4 }, 4, 0,
	  "0 passed, 0 failed, " RED "3 errors" RESET ", " CYAN "4 skipped"
	  RESET " (" CYAN "4 scheduled" RESET ")" },
	/* Standard output: plain whatever the colour of stderr. */
	{ 1, { 2, 1, 0, 0 }, 0, MSG_COUNTS_PLAIN,
	  "2 passed, 1 failed, 0 errors, 0 skipped" },
};

START_TEST(test_counts)
{
	msg_setup(NULL, 0, count_cases[_i].color);
	ck_assert_str_eq(msg_counts(count_cases[_i].n,
	    count_cases[_i].scheduled, count_cases[_i].flags),
	    count_cases[_i].out);
	msg_setup(NULL, 0, 0);
}
END_TEST

/* The indices are the report's outcomes, whatever their values. */
START_TEST(test_counts_index)
{
	size_t	n[4] = { 0, 0, 0, 0 };

	msg_setup(NULL, 0, 0);
	n[REPORT_PASSED] = 1;
	n[REPORT_FAILURE] = 2;
	n[REPORT_ERROR] = 3;
	n[REPORT_SKIPPED] = 4;
	ck_assert_str_eq(msg_counts(n, 0, 0),
	    "1 passed, 2 failed, 3 errors, 4 skipped");
}
END_TEST

/* Where standard error goes in a case of use_cases. */
enum msg_test_dest {
	MSG_TEST_TTY,
	MSG_TEST_PIPE,
	MSG_TEST_FILE
};

/* --color and NO_COLOR (NULL: unset) on a terminal, a pipe, a file. */
static const struct {
	enum options_color	 mode;
	const char		*no_color;
	enum msg_test_dest	 dest;
	int			 color;
} use_cases[] = {
	{ OPTIONS_COLOR_AUTO, NULL, MSG_TEST_TTY, 1 },
	{ OPTIONS_COLOR_AUTO, "", MSG_TEST_TTY, 1 },
	{ OPTIONS_COLOR_AUTO, "1", MSG_TEST_TTY, 0 },
	{ OPTIONS_COLOR_AUTO, "no", MSG_TEST_TTY, 0 },
	{ OPTIONS_COLOR_AUTO, NULL, MSG_TEST_PIPE, 0 },
	{ OPTIONS_COLOR_AUTO, NULL, MSG_TEST_FILE, 0 },
	{ OPTIONS_COLOR_NEVER, NULL, MSG_TEST_TTY, 0 },
	{ OPTIONS_COLOR_NEVER, "1", MSG_TEST_TTY, 0 },
	{ OPTIONS_COLOR_ALWAYS, NULL, MSG_TEST_PIPE, 1 },
	{ OPTIONS_COLOR_ALWAYS, "1", MSG_TEST_FILE, 1 },
};

/* A stream of the kind asked for; *keep is a descriptor to close. */
static FILE *
msg_test_open(enum msg_test_dest dest, int *keep)
{
	int	fd = -1, fds[2];
	FILE	*f = NULL;

	*keep = -1;
	switch (dest) {
	case MSG_TEST_TTY:
		*keep = posix_openpt(O_RDWR | O_NOCTTY);
		ck_assert_int_ge(*keep, 0);
		ck_assert_int_eq(grantpt(*keep), 0);
		ck_assert_int_eq(unlockpt(*keep), 0);
		fd = open(ptsname(*keep), O_RDWR | O_NOCTTY);
		break;
	case MSG_TEST_PIPE:
		ck_assert_int_eq(pipe(fds), 0);
		*keep = fds[0];
		fd = fds[1];
		break;
	case MSG_TEST_FILE:
		f = tmpfile();
		break;
	}
	if (f == NULL) {
		ck_assert_int_ge(fd, 0);
		f = fdopen(fd, "w");
	}
	ck_assert_ptr_nonnull(f);
	return (f);
}

START_TEST(test_use_color)
{
	struct options	 o;
	FILE		*f;
	char		*saved = NULL;
	const char	*env;
	int		 keep;

	if ((env = getenv("NO_COLOR")) != NULL)
		saved = strdup(env);
	if (use_cases[_i].no_color != NULL)
		setenv("NO_COLOR", use_cases[_i].no_color, 1);
	else
		unsetenv("NO_COLOR");
	memset(&o, 0, sizeof(o));
	o.color = use_cases[_i].mode;
	f = msg_test_open(use_cases[_i].dest, &keep);
	ck_assert_int_eq(options_use_color(&o, f), use_cases[_i].color);
	fclose(f);
	if (keep != -1)
		close(keep);
	if (saved != NULL)
		setenv("NO_COLOR", saved, 1);
	else
		unsetenv("NO_COLOR");
	free(saved);
}
END_TEST

Suite *
msg_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("msg");

	tc = tcase_create("truncate");
	tcase_add_loop_test(tc, test_cut, 0, NITEMS(cut_cases));
	tcase_add_loop_test(tc, test_cut_every_width, 0,
	    NITEMS(every_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("paint");
	tcase_add_loop_test(tc, test_paint, 0, NITEMS(paint_cases));
	tcase_add_test(tc, test_paint_ring);
	tcase_add_loop_test(tc, test_counts, 0, NITEMS(count_cases));
	tcase_add_test(tc, test_counts_index);
	suite_add_tcase(s, tc);

	tc = tcase_create("color");
	tcase_add_loop_test(tc, test_use_color, 0, NITEMS(use_cases));
	suite_add_tcase(s, tc);

	return (s);
}
