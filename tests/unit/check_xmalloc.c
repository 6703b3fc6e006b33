/*
 * Huge-page blocks (xhugealloc, xhugetrim, xhugefree): aligned, every
 * byte usable, and a trim gives the tail back for good while keeping
 * what comes before it.
 */
#include "config.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ensbatch/manifest.h"
#include "ensbatch/xmalloc.h"
#include "suites.h"

/* How many of the pages of p[from..to) are resident. */
static size_t
xmalloc_resident(const unsigned char *p, size_t from, size_t to)
{
	size_t		 page = (size_t)sysconf(_SC_PAGESIZE), n, i, k = 0;
	unsigned char	*vec;

	from &= ~(page - 1);
	n = (to - from + page - 1) / page;
	vec = calloc(n, 1);
	ck_assert_ptr_nonnull(vec);
	ck_assert_int_eq(mincore((void *)(uintptr_t)(p + from), to - from,
	    vec), 0);
	for (i = 0; i < n; i++)
		k += vec[i] & 1;
	free(vec);
	return (k);
}

/*
 * The loader's large targets arrays: a block of 1, 2 or 3 huge pages
 * whose capacity is counted in targets (so it falls short of the block
 * by less than a target), trimmed after 1,000 of them: the tail is not
 * resident and reads as zeros; the bytes before it are kept.
 */
START_TEST(test_trim_tail)
{
	size_t		 bytes = XHUGE_SIZE * (size_t)(_i + 1), page;
	size_t		 cap = bytes / sizeof(struct target);
	size_t		 used = 1000 * sizeof(struct target), i;
	unsigned char	*p;

	page = (size_t)sysconf(_SC_PAGESIZE);
	p = xhugealloc(bytes);
	ck_assert_uint_eq((uintptr_t)p % XHUGE_SIZE, 0);
	memset(p, 0xa5, bytes);
	xhugetrim(p, used, cap * sizeof(struct target));
	for (i = 0; i < used; i++)
		ck_assert_uint_eq(p[i], 0xa5);
	ck_assert_uint_eq(xmalloc_resident(p, (used + page - 1) &
	    ~(page - 1), bytes), 0);
	ck_assert_uint_eq(p[bytes - 1], 0);
	xhugefree(p, cap * sizeof(struct target));
}
END_TEST

/*
 * The tail stays given back: khugepaged collapses a huge-page range of
 * an MADV_HUGEPAGE mapping that still has some pages, zero-filling the
 * rest, within a second here; the trim must take the range out of
 * that.  Watched for 1.5 s.
 */
START_TEST(test_trim_stays)
{
	size_t		 bytes = 2 * XHUGE_SIZE, page, from, i;
	size_t		 used = XHUGE_SIZE + 1000 * sizeof(struct target);
	struct timespec	 ts = { 0, 100 * 1000 * 1000 };
	unsigned char	*p;

	page = (size_t)sysconf(_SC_PAGESIZE);
	from = (used + page - 1) & ~(page - 1);
	p = xhugealloc(bytes);
	memset(p, 0xa5, bytes);
	xhugetrim(p, used, bytes);
	for (i = 0; i < 15; i++) {
		ck_assert_uint_eq(xmalloc_resident(p, from, bytes), 0);
		nanosleep(&ts, NULL);
	}
	xhugefree(p, bytes);
}
END_TEST

static const size_t xmalloc_sizes[] = {
	1, 4095, 4096, 4097, XHUGE_SIZE - 1, XHUGE_SIZE, XHUGE_SIZE + 1,
	3 * XHUGE_SIZE + 5
};

/* Odd sizes: aligned, writable, a trim at any point keeps what is before. */
START_TEST(test_odd_sizes)
{
	size_t		 size = xmalloc_sizes[_i], used, i;
	unsigned char	*p;

	for (used = 0; used <= size; used += size / 3 + 1) {
		p = xhugealloc(size);
		ck_assert_uint_eq((uintptr_t)p % XHUGE_SIZE, 0);
		memset(p, 0x5a, size);
		xhugetrim(p, used, size);
		for (i = 0; i < used && i < size; i++)
			ck_assert_uint_eq(p[i], 0x5a);
		xhugefree(p, size);
	}
}
END_TEST

Suite *
xmalloc_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("xmalloc");
	tc = tcase_create("huge");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_trim_tail, 0, 3);
	tcase_add_test(tc, test_trim_stays);
	tcase_add_loop_test(tc, test_odd_sizes, 0,
	    (int)(sizeof(xmalloc_sizes) / sizeof(xmalloc_sizes[0])));
	suite_add_tcase(s, tc);
	return (s);
}
