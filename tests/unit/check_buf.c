/*
 * Growable buffers: formatted appends that fit, that fit but for the
 * NUL, that need the buffer grown once or many times.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/buf.h"
#include "suites.h"

/* The buffer starts at 64 bytes: lengths on both sides of every edge. */
static const size_t buf_lengths[] = {
	0, 1, 62, 63, 64, 65, 127, 128, 129, 1000, 65535, 65536, 70000
};

START_TEST(test_addf_lengths)
{
	struct buf	 b;
	char		*want, *s;
	size_t		 n = buf_lengths[_i], pre, i;

	for (pre = 0; pre < 3; pre++) {
		buf_init(&b);
		want = malloc(pre + n + 8);
		ck_assert_ptr_nonnull(want);
		s = malloc(n + 1);
		ck_assert_ptr_nonnull(s);
		for (i = 0; i < n; i++)
			s[i] = (char)('a' + i % 26);
		s[n] = '\0';
		for (i = 0; i < pre; i++)
			buf_addc(&b, 'x');
		memset(want, 'x', pre);
		buf_addf(&b, "%s|%d", s, 7);
		memcpy(want + pre, s, n);
		memcpy(want + pre + n, "|7", 3);
		ck_assert_uint_eq(b.len, pre + n + 2);
		ck_assert_str_eq(b.data, want);
		ck_assert_uint_gt(b.cap, b.len);
		free(s);
		free(want);
		buf_free(&b);
	}
}
END_TEST

/* Many small appends: the text is their concatenation, in order. */
START_TEST(test_addf_many)
{
	struct buf	b;
	size_t		i;
	char		want[16];

	buf_init(&b);
	for (i = 0; i < 5000; i++)
		buf_addf(&b, "%zu,", i);
	ck_assert_uint_eq(strlen(b.data), b.len);
	ck_assert(strncmp(b.data, "0,1,2,3,", 8) == 0);
	snprintf(want, sizeof(want), "%d,", 4999);
	ck_assert_str_eq(b.data + b.len - strlen(want), want);
	buf_free(&b);
}
END_TEST

Suite *
buf_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("buf");
	tc = tcase_create("addf");
	tcase_add_loop_test(tc, test_addf_lengths, 0,
	    (int)(sizeof(buf_lengths) / sizeof(buf_lengths[0])));
	tcase_add_test(tc, test_addf_many);
	suite_add_tcase(s, tc);
	return (s);
}
