/*
 * ens: backoff, and parsing of answers, including broken ones: nothing
 * that is not a clear 200 for a target may read as success.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/ens.h"
#include "httpd.h"
#include "suites.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

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

/* DescribeInstances pages: usable ones and every way to be unusable. */
static const struct {
	const char	*body;
	int		 rc;
	size_t		 n;		/* instances read */
	int64_t		 total;
} inst_pages[] = {
	{ "{\"Code\":0,\"TotalCount\":2,\"Instances\":{\"Instance\":["
	    "{\"InstanceId\":\"i-1\",\"Status\":\"Running\"},"
	    "{\"InstanceId\":\"i-2\",\"Status\":\"Starting\"}]}}",
	    0, 2, 2 },
	{ "{\"Code\":0,\"TotalCount\":0,\"Instances\":{\"Instance\":[]}}",
	    0, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":7,\"PageNumber\":2,\"Instances\":"
	    "{\"Instance\":[{\"InstanceId\":\"i-1\",\"Status\":\"Stopped\","
	    "\"SpecName\":\"x\",\"HostName\":7}]}}", 0, 1, 7 },
	{ "", -1, 0, 0 },
	{ "not json", -1, 0, 0 },
	{ "[]", -1, 0, 0 },
	{ "{}", -1, 0, 0 },
	{ "{\"Code\":1,\"TotalCount\":0,\"Instances\":{\"Instance\":[]}}",
	    -1, 0, 0 },
	{ "{\"Code\":\"0\",\"TotalCount\":0,\"Instances\":"
	    "{\"Instance\":[]}}", -1, 0, 0 },
	{ "{\"Code\":0.0,\"TotalCount\":0,\"Instances\":{\"Instance\":[]}}",
	    -1, 0, 0 },
	{ "{\"TotalCount\":0,\"Instances\":{\"Instance\":[]}}", -1, 0, 0 },
	{ "{\"Code\":0,\"Instances\":{\"Instance\":[]}}", -1, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":-1,\"Instances\":{\"Instance\":[]}}",
	    -1, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":\"1\",\"Instances\":"
	    "{\"Instance\":[]}}", -1, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":1,\"Instances\":[]}", -1, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":1,\"Instances\":{\"Instance\":{}}}",
	    -1, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":1,\"Instances\":{\"Instance\":["
	    "{\"InstanceId\":\"i-1\"}]}}", -1, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":1,\"Instances\":{\"Instance\":["
	    "{\"Status\":\"Running\"}]}}", -1, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":2,\"Instances\":{\"Instance\":["
	    "{\"InstanceId\":\"i-1\",\"Status\":\"Running\"},7]}}",
	    -1, 0, 0 },
	{ "{\"Code\":0,\"TotalCount\":1,\"Instances\":{\"Instance\":["
	    "{\"InstanceId\":1,\"Status\":\"Running\"}]}}", -1, 0, 0 },
	{ "{\"Code\":0,\"Code\":0,\"TotalCount\":0,\"Instances\":"
	    "{\"Instance\":[]}}", -1, 0, 0 },
};

START_TEST(test_parse_instances)
{
	struct ens_instance	*in = NULL;
	size_t			 n = 0;
	int64_t			 total = -5;
	char			*cause = NULL;
	const char		*body = inst_pages[_i].body;

	ck_assert_int_eq(ens_parse_instances(body, strlen(body), &in, &n,
	    &total, &cause), inst_pages[_i].rc);
	ck_assert_uint_eq(n, inst_pages[_i].n);
	if (inst_pages[_i].rc == 0) {
		ck_assert_ptr_null(cause);
		ck_assert_int_eq(total, inst_pages[_i].total);
	} else {
		ck_assert_ptr_nonnull(cause);
		ck_assert_int_eq(total, -5);	/* untouched */
	}
	free(cause);
	ens_instances_free(in, n);
}
END_TEST

/* Fields, optional ones, and appending to what was read before. */
START_TEST(test_parse_instances_fields)
{
	struct ens_instance	*in = NULL;
	size_t			 n = 0;
	int64_t			 total;
	char			*cause = NULL;
	const char		*p1 = "{\"Code\":0,\"TotalCount\":2,"
	    "\"Instances\":{\"Instance\":[{\"InstanceId\":\"i-1\","
	    "\"Status\":\"Running\",\"InstanceName\":\"web\","
	    "\"EnsRegionId\":\"cn-hangzhou-44\"}]}}";
	const char		*p2 = "{\"Code\":0,\"TotalCount\":2,"
	    "\"Instances\":{\"Instance\":[{\"InstanceId\":\"i-2\","
	    "\"Status\":\"Starting\",\"InstanceName\":5}]}}";

	ck_assert_int_eq(ens_parse_instances(p1, strlen(p1), &in, &n, &total,
	    &cause), 0);
	ck_assert_int_eq(ens_parse_instances(p2, strlen(p2), &in, &n, &total,
	    &cause), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(in[0].instance, "i-1");
	ck_assert_str_eq(in[0].status, "Running");
	ck_assert_str_eq(in[0].name, "web");
	ck_assert_str_eq(in[0].region, "cn-hangzhou-44");
	ck_assert_str_eq(in[1].instance, "i-2");
	ck_assert_str_eq(in[1].status, "Starting");
	ck_assert_ptr_null(in[1].name);
	ck_assert_ptr_null(in[1].region);
	ens_instances_free(in, n);
}
END_TEST

/* A client of the scripted server, no retries delayed by a rate. */
static struct ens_client *
ens_test_client(const char *url, int retries)
{
	static char		id[] = "testid", secret[] = "testsecret";
	static struct creds	cr = { id, secret, NULL, NULL };
	struct ens_config	cfg;
	struct ens_client	*c;
	char			*cause = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = url;
	cfg.signature = SIGN_V3;
	cfg.creds = &cr;
	cfg.timeout_ms = 5000;
	cfg.retries = retries;
	c = ens_client_new(&cfg, &cause);
	ck_assert_ptr_nonnull(c);
	return (c);
}

#define INST(id, st)	"{\"InstanceId\":\"" id "\",\"Status\":\"" st "\"}"
#define PAGE(total, list) \
	"{\"RequestId\":\"R\",\"Code\":0,\"TotalCount\":" total \
	",\"Instances\":{\"Instance\":[" list "]}}"

/*
 * The real path: 101 ids make two chunks, the first in two pages, one
 * of them garbled once; InstanceIds travels as a JSON array.
 */
START_TEST(test_describe_instances)
{
	static const struct httpd_reply	replies[] = {
		{ 200, PAGE("3", INST("i-0", "Running") ","
		    INST("i-1", "Starting")), NULL },
		{ 200, "{\"Code\":0,\"TotalCount\":3", NULL },
		{ 200, PAGE("3", INST("i-2", "Stopped")), NULL },
		{ 200, PAGE("1", INST("i-100", "Running")), NULL },
	};
	struct httpd		*h;
	struct ens_client	*c;
	struct ens_reply	 r;
	struct ens_instance	*in = NULL;
	const char		*ids[101];
	char			 names[101][16], *req;
	size_t			 n = 0, i;

	for (i = 0; i < 101; i++) {
		snprintf(names[i], sizeof(names[i]), "i-%zu", i);
		ids[i] = names[i];
	}
	h = httpd_start(replies, NITEMS(replies));
	c = ens_test_client(httpd_url(h), 2);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_describe_instances(c, ids, 101, &in, &n, &r), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(in[0].instance, "i-0");
	ck_assert_str_eq(in[1].status, "Starting");
	ck_assert_str_eq(in[2].instance, "i-2");
	ck_assert_str_eq(in[3].instance, "i-100");
	ck_assert_uint_eq(httpd_count(h), 4);
	req = httpd_request(h, 0);
	ck_assert_ptr_nonnull(strstr(req,
	    "InstanceIds=%5B%22i-0%22%2C%22i-1%22%2C"));
	ck_assert_ptr_nonnull(strstr(req, "%22i-99%22%5D&"));
	ck_assert_ptr_nonnull(strstr(req, "PageNumber=1&PageSize=100"));
	ck_assert_ptr_nonnull(strstr(req, "x-acs-action: DescribeInstances"));
	free(req);
	req = httpd_request(h, 2);
	ck_assert_ptr_nonnull(strstr(req, "PageNumber=2&"));
	free(req);
	req = httpd_request(h, 3);
	ck_assert_ptr_nonnull(strstr(req, "InstanceIds=%5B%22i-100%22%5D&"));
	ck_assert_ptr_nonnull(strstr(req, "PageNumber=1&"));
	free(req);
	ens_instances_free(in, n);
	ens_reply_clear(&r);
	ens_client_free(c);
	httpd_stop(h);
}
END_TEST

/* A refusal is the reply's, and nothing is returned. */
START_TEST(test_describe_instances_error)
{
	static const struct httpd_reply	replies[] = {
		{ 200, PAGE("1", INST("i-0", "Running")), NULL },
		{ 403, "{\"RequestId\":\"R-9\",\"Code\":\"NoPermission\","
		    "\"Message\":\"no\"}", NULL },
	};
	struct httpd		*h;
	struct ens_client	*c;
	struct ens_reply	 r;
	struct ens_instance	*in = NULL;
	const char		*ids[120];
	size_t			 n = 7, i;

	for (i = 0; i < 120; i++)
		ids[i] = "i-0";
	h = httpd_start(replies, NITEMS(replies));
	c = ens_test_client(httpd_url(h), 2);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_describe_instances(c, ids, 120, &in, &n, &r), -1);
	ck_assert_ptr_null(in);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(r.outcome, ENS_API_ERROR);
	ck_assert_str_eq(r.code, "NoPermission");
	ck_assert_str_eq(r.request_id, "R-9");
	ck_assert_uint_eq(httpd_count(h), 2);
	ens_reply_clear(&r);
	ens_client_free(c);
	httpd_stop(h);
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
	tcase_add_loop_test(tc, test_parse_instances, 0, NITEMS(inst_pages));
	tcase_add_test(tc, test_parse_instances_fields);
	suite_add_tcase(s, tc);
	tc = tcase_create("describe");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_describe_instances);
	tcase_add_test(tc, test_describe_instances_error);
	suite_add_tcase(s, tc);
	return (s);
}
