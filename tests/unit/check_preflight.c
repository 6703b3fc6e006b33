/*
 * Tests for preflight: how its progress counts read on the live line.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>

#include "ensbatch/preflight.h"
#include "suites.h"

#define NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* n, room -> text: separators every three digits, cut to the room. */
static const struct {
	size_t		 n;
	size_t		 len;
	const char	*text;
} counts[] = {
	{ 0, 32, "0" },
	{ 7, 32, "7" },
	{ 999, 32, "999" },
	{ 1000, 32, "1,000" },
	{ 1200, 32, "1,200" },
	{ 2000, 32, "2,000" },
	{ 12345, 32, "12,345" },
	{ 100000, 32, "100,000" },
	{ 1234567, 32, "1,234,567" },
	{ 1200, 4, "1,2" },	/* never past the room */
	{ 1200, 1, "" },
};

START_TEST(test_thousands)
{
	char	out[32];

	memset(out, 'x', sizeof(out));
	preflight_thousands(counts[_i].n, out, counts[_i].len);
	ck_assert_str_eq(out, counts[_i].text);
}
END_TEST

Suite *
preflight_suite(void)
{
	Suite	*s = suite_create("preflight");
	TCase	*tc;

	tc = tcase_create("progress");
	tcase_add_loop_test(tc, test_thousands, 0, NITEMS(counts));
	suite_add_tcase(s, tc);
	return (s);
}
