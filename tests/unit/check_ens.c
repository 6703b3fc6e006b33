/*
 * ens: backoff, and parsing of answers, including broken ones: nothing
 * that is not a clear 200 for a target may read as success.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "ensbatch/ens.h"
#include "suites.h"

static const struct ens_item items[] = {
	{ "e-00000000000000000000000000000001", "i-aaaaaaaa", 0, 0 },
	{ "e-00000000000000000000000000000002", "i-bbbbbbbb", 0, 0 },
	{ "e-00000000000000000000000000000003", "i-cccccccc", 1,
	    1796061600000LL },
};

/* Full jitter stays within the doubling ceiling, capped at 30 s. */
START_TEST(test_backoff_bounds)
{
	static const int64_t	ceil[] = { 1000, 2000, 4000, 8000, 16000,
	    30000, 30000, 30000 };
	int			attempt;
	uint64_t		rnd;

	for (attempt = 1; attempt <= 8; attempt++) {
		for (rnd = 0; rnd < 200000; rnd += 997) {
			int64_t	b = ens_backoff(attempt, -1, rnd * 7919);

			ck_assert_int_ge(b, 0);
			ck_assert_int_le(b, ceil[attempt - 1]);
		}
		/* The ceiling itself is reachable. */
		ck_assert_int_eq(ens_backoff(attempt, -1,
		    (uint64_t)ceil[attempt - 1]), ceil[attempt - 1]);
	}
}
END_TEST

START_TEST(test_backoff_retry_after)
{
	ck_assert_int_eq(ens_backoff(1, 2500, 12345), 2500);
	ck_assert_int_eq(ens_backoff(3, 0, 12345), 0);
	ck_assert_int_eq(ens_backoff(1, 3600000, 1), 60000);
}
END_TEST

START_TEST(test_parse_ok)
{
	struct ens_reply	r;
	const char		*body = "{\"RequestId\":\"R-1\",\"Results\":["
	    "{\"Code\":200,\"EventId\":\"e-00000000000000000000000000000003\","
	    "\"ResourceId\":\"i-cccccccc\",\"Message\":\"success\"},"
	    "{\"Code\":\"400\",\"EventId\":\"e-00000000000000000000000000000001\","
	    "\"Message\":\"IncorrectEventStatus: event is Executed\"}]}";

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_parse_reboot(body, strlen(body), items, 3, &r),
	    0);
	ck_assert_str_eq(r.request_id, "R-1");
	ck_assert_uint_eq(r.nresults, 3);
	/* Matched by EventId, not by position. */
	ck_assert_int_eq(r.results[0].found, 1);
	ck_assert_int_eq(r.results[0].code, 400);
	ck_assert_str_eq(r.results[0].code_text, "400");
	ck_assert_str_eq(r.results[0].message,
	    "IncorrectEventStatus: event is Executed");
	ck_assert_int_eq(r.results[1].found, 0);
	ck_assert_int_eq(r.results[2].found, 1);
	ck_assert_int_eq(r.results[2].code, 200);
	ens_reply_clear(&r);
}
END_TEST

/* Bodies that must never yield a success. */
static const char *const bad_bodies[] = {
	"",
	"not json",
	"<html>502 Bad Gateway</html>",
	"[]",
	"{}",
	"{\"RequestId\":\"R\"}",
	"{\"Results\":{}}",
	"{\"Results\":\"200\"}",
	"{\"Results\":[{\"Code\":200}]}",
	"{\"Results\":[{\"Code\":200,\"EventId\":7}]}",
	"{\"Results\":[{\"Code\":200,\"EventId\":\"e-other\"}]}",
	"{\"Results\":[{\"EventId\":\"e-00000000000000000000000000000001\"}]}",
	"{\"Results\":[{\"Code\":\"OK\",\"EventId\":"
	    "\"e-00000000000000000000000000000001\"}]}",
	"{\"Results\":[], \"Results\":[]}",
	"{\"Results\":[{\"Code\":200,\"EventId\":"
	    "\"e-00000000000000000000000000000001\"}",
};

START_TEST(test_parse_bad)
{
	struct ens_reply	r;
	size_t			i;

	memset(&r, 0, sizeof(r));
	(void)ens_parse_reboot(bad_bodies[_i], strlen(bad_bodies[_i]), items,
	    3, &r);
	ck_assert_uint_eq(r.nresults, 3);
	for (i = 0; i < 3; i++)
		ck_assert(!(r.results[i].found && r.results[i].code == 200));
	ens_reply_clear(&r);
}
END_TEST

START_TEST(test_parse_events)
{
	struct ens_event	*ev = NULL;
	size_t			 n = 0;
	int64_t			 total = 0;
	char			*cause = NULL;
	const char		*page = "{\"TotalCount\":3,\"PageNumber\":1,"
	    "\"Events\":[{\"EventId\":\"e-1\",\"EventType\":"
	    "\"SystemMaintenance.Reboot\",\"EventStatus\":\"Inquiring\","
	    "\"ResourceId\":\"i-1\",\"NotBefore\":1796061600000},"
	    "{\"EventId\":\"e-2\",\"NotBefore\":\"1796061600001\"},7]}";

	ck_assert_int_eq(ens_parse_events(page, strlen(page), &ev, &n, &total,
	    &cause), 0);
	ck_assert_ptr_null(cause);
	ck_assert_int_eq(total, 3);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ev[0].status, "Inquiring");
	ck_assert_int_eq(ev[0].not_before, 1796061600000LL);
	ck_assert_int_eq(ev[1].not_before, 1796061600001LL);
	ck_assert_str_eq(ev[1].resource, "");
	ck_assert_int_eq(ev[1].publish_time, -1);
	ens_events_free(ev, n);

	ev = NULL;
	n = 0;
	ck_assert_int_eq(ens_parse_events("{\"Events\":[]}", 13, &ev, &n,
	    &total, &cause), -1);
	ck_assert_ptr_nonnull(cause);
	free(cause);
	ens_events_free(ev, n);
}
END_TEST

Suite *
ens_suite(void)
{
	Suite	*s = suite_create("ens");
	TCase	*tc;

	tc = tcase_create("backoff");
	tcase_add_test(tc, test_backoff_bounds);
	tcase_add_test(tc, test_backoff_retry_after);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse_ok);
	tcase_add_loop_test(tc, test_parse_bad, 0,
	    (int)(sizeof(bad_bodies) / sizeof(bad_bodies[0])));
	tcase_add_test(tc, test_parse_events);
	suite_add_tcase(s, tc);
	return (s);
}
