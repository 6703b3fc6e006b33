/*
 * ens: backoff, and parsing of answers, including broken ones: nothing
 * that is not a clear 200 for a target may read as success.
 */
#include "config.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ensbatch/ens.h"
#include "ensbatch/xmalloc.h"
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
	    "{\"Code\":400,\"EventId\":\"e-00000000000000000000000000000001\","
	    "\"ResourceId\":\"i-aaaaaaaa\","
	    "\"Message\":\"IncorrectEventStatus: event is Executed\"}]}";

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_parse_reboot(body, strlen(body), items, 3, &r),
	    0);
	ck_assert_str_eq(r.request_id, "R-1");
	ck_assert_uint_eq(r.nresults, 3);
	/* Matched by EventId, not by position. */
	ck_assert_int_eq(r.results[0].found, 1);
	ck_assert_int_eq(r.results[0].state, ENS_ITEM_REFUSED);
	ck_assert_int_eq(r.results[0].code, 400);
	ck_assert_str_eq(r.results[0].code_text, "400");
	ck_assert_str_eq(r.results[0].message,
	    "IncorrectEventStatus: event is Executed");
	ck_assert_int_eq(r.results[1].found, 0);
	ck_assert_int_eq(r.results[1].state, ENS_ITEM_UNKNOWN);
	ck_assert_int_eq(r.results[2].found, 1);
	ck_assert_int_eq(r.results[2].state, ENS_ITEM_ACCEPTED);
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

/* The stop flag of every test client: 0 unless a test sets it. */
static volatile sig_atomic_t	test_stop;

/* A client of the scripted server, no retries delayed by a rate. */
static struct ens_client *
ens_test_client_as(const char *url, int retries, long read_deadline_ms,
    struct creds *creds)
{
	static char		id[] = "testid", secret[] = "testsecret";
	static struct creds	cr = { id, secret, NULL, NULL, 0, 0,
	    NULL };
	struct ens_config	cfg;
	struct ens_client	*c;
	char			*cause = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = url;
	cfg.signature = SIGN_V3;
	cfg.creds = creds != NULL ? creds : &cr;
	cfg.timeout_ms = 5000;
	cfg.retries = retries;
	cfg.read_deadline_ms = read_deadline_ms;
	/* Scripted answers come in order: one read at a time. */
	cfg.parallel = 1;
	cfg.stop = &test_stop;
	c = ens_client_new(&cfg, &cause);
	ck_assert_ptr_nonnull(c);
	return (c);
}

static struct ens_client *
ens_test_client(const char *url, int retries, long read_deadline_ms)
{
	return (ens_test_client_as(url, retries, read_deadline_ms, NULL));
}

#define INST(id, st)	"{\"InstanceId\":\"" id "\",\"Status\":\"" st "\"}"
#define PAGE(total, list) \
	"{\"RequestId\":\"R\",\"Code\":0,\"TotalCount\":" total \
	",\"Instances\":{\"Instance\":[" list "]}}"

/*
 * The real path: 101 ids make two chunks, the first in two pages;
 * InstanceIds travels as a JSON array.
 */
START_TEST(test_describe_instances)
{
	static const struct httpd_reply	replies[] = {
		{ 200, PAGE("3", INST("i-0", "Running") ","
		    INST("i-1", "Starting")), NULL },
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
	c = ens_test_client(httpd_url(h), 2, 0);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_describe_instances(c, ids, 101, &in, &n, &r), 0);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(in[0].instance, "i-0");
	ck_assert_str_eq(in[1].status, "Starting");
	ck_assert_str_eq(in[2].instance, "i-2");
	ck_assert_str_eq(in[3].instance, "i-100");
	ck_assert_uint_eq(httpd_count(h), 3);
	req = httpd_request(h, 0);
	ck_assert_ptr_nonnull(strstr(req,
	    "InstanceIds=%5B%22i-0%22%2C%22i-1%22%2C"));
	ck_assert_ptr_nonnull(strstr(req, "%22i-99%22%5D&"));
	ck_assert_ptr_nonnull(strstr(req, "PageNumber=1&PageSize=100"));
	ck_assert_ptr_nonnull(strstr(req, "x-acs-action: DescribeInstances"));
	/* libcurl's default Content-Type of a POST is not sent. */
	for (i = 0; req[i] != '\0'; i++)
		req[i] = (char)tolower((unsigned char)req[i]);
	ck_assert_ptr_null(strstr(req, "content-type"));
	free(req);
	req = httpd_request(h, 1);
	ck_assert_ptr_nonnull(strstr(req, "PageNumber=2&"));
	free(req);
	req = httpd_request(h, 2);
	ck_assert_ptr_nonnull(strstr(req, "InstanceIds=%5B%22i-100%22%5D&"));
	ck_assert_ptr_nonnull(strstr(req, "PageNumber=1&"));
	free(req);
	ens_instances_free(in, n);
	ens_reply_clear(&r);
	ens_client_free(c);
	httpd_stop(h);
}
END_TEST

/* A garbled page is read again; a Code that is not 0 is garbled. */
START_TEST(test_describe_instances_garbled)
{
	static const struct httpd_reply	replies[] = {
		{ 200, "{\"Code\":0,\"TotalCount\":3", NULL },
		{ 200, "{\"Code\":1,\"TotalCount\":1,\"Instances\":"
		    "{\"Instance\":[]}}", NULL },
		{ 200, PAGE("1", INST("i-0", "Running")), NULL },
	};
	struct httpd		*h;
	struct ens_client	*c;
	struct ens_reply	 r;
	struct ens_instance	*in = NULL;
	const char		*ids[] = { "i-0" };
	size_t			 n = 0;

	h = httpd_start(replies, NITEMS(replies));
	c = ens_test_client(httpd_url(h), 2, 0);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_describe_instances(c, ids, 1, &in, &n, &r), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(in[0].status, "Running");
	ck_assert_uint_eq(httpd_count(h), 3);
	ens_instances_free(in, n);
	ens_reply_clear(&r);
	ens_client_free(c);
	httpd_stop(h);
}
END_TEST

/* Chunks read in parallel: each once, every entry kept. */
START_TEST(test_describe_parallel)
{
	static const struct httpd_reply	replies[] = {
		{ 200, "{\"TotalCount\":1,\"Events\":[{\"EventId\":"
		    "\"e-@N@\"}]}", NULL },
	};
	static char		 id[] = "testid", secret[] = "testsecret";
	static struct creds	 cr = { id, secret, NULL, NULL, 0, 0,
	    NULL };
	struct ens_config	 cfg;
	struct ens_client	*c;
	struct ens_reply	 r;
	struct ens_event	*ev = NULL;
	struct httpd		*h;
	const char		*res[7 * ENS_MAX_RESOURCES];
	char			*cause = NULL;
	size_t			 n = 0, i, k;
	int			 seen[7] = { 0 };

	for (i = 0; i < NITEMS(res); i++)
		res[i] = "i-1";
	h = httpd_start(replies, NITEMS(replies));
	memset(&cfg, 0, sizeof(cfg));
	cfg.endpoint = httpd_url(h);
	cfg.creds = &cr;
	cfg.timeout_ms = 5000;
	cfg.parallel = 3;
	c = ens_client_new(&cfg, &cause);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_describe_events(c, res, NITEMS(res), "x", &ev,
	    &n, &r), 0);
	ck_assert_uint_eq(httpd_count(h), 7);
	ck_assert_uint_eq(n, 7);
	for (i = 0; i < n; i++) {
		k = strtoul(ev[i].event + 2, NULL, 10);
		ck_assert_uint_lt(k, 7);
		seen[k]++;
	}
	for (k = 0; k < 7; k++)
		ck_assert_int_eq(seen[k], 1);
	ens_events_free(ev, n);
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
	c = ens_test_client(httpd_url(h), 2, 0);
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

/*
 * A pipeline's bookkeeping: which calls started and ended, in order,
 * and what the server had seen at each commit and go.
 */
struct pipe_log {
	size_t	started[16], nstarted;
	size_t	done[16], ndone;
	size_t	refuse;			/* start() says no to this call */
	size_t	fail_commit;		/* this commit (1-based) fails */
	size_t	ncommits;
	size_t	committed;		/* calls started before a good commit */
	size_t	done_at_commit;		/* ndone at the last commit */
	size_t	refuse_go;		/* this go (1-based) says no */
	size_t	ngos;
	size_t	stop_at_done;		/* a first stop with this done */
	char	trail[64];		/* S(tart) C(ommit) G(o) D(one) */
	size_t	ntrail;
	size_t	served;			/* requests the server answered */
	struct httpd	*h;
	struct ens_call *calls;
};

static void
pipe_trail(struct pipe_log *l, char what)
{
	if (l->ntrail + 1 < sizeof(l->trail))
		l->trail[l->ntrail++] = what;
}

static int
pipe_start(void *arg, struct ens_call *call)
{
	struct pipe_log	*l = arg;
	size_t		 i = (size_t)(call - l->calls);

	l->started[l->nstarted++] = i;
	pipe_trail(l, 'S');
	return (i == l->refuse ? -1 : 0);
}

/*
 * Nothing started since the last commit may have reached the server:
 * it may only have seen calls whose records an earlier commit made
 * durable.
 */
static int
pipe_commit(void *arg)
{
	struct pipe_log	*l = arg;

	l->ncommits++;
	pipe_trail(l, 'C');
	l->done_at_commit = l->ndone;
	ck_assert_uint_le(httpd_count(l->h), l->committed);
	if (l->ncommits == l->fail_commit)
		return (-1);
	l->committed = l->nstarted - (l->refuse < l->nstarted ? 1 : 0);
	return (0);
}

/* Committed calls are about to go: none uncommitted has gone. */
static int
pipe_go(void *arg)
{
	struct pipe_log	*l = arg;

	pipe_trail(l, 'G');
	ck_assert_uint_le(httpd_count(l->h), l->committed);
	return (++l->ngos == l->refuse_go ? -1 : 0);
}

static void
pipe_done(void *arg, struct ens_call *call)
{
	struct pipe_log	*l = arg;

	l->done[l->ndone++] = (size_t)(call - l->calls);
	pipe_trail(l, 'D');
	ck_assert_uint_eq(call->reply.nresults, call->n);
	if (l->ndone == l->stop_at_done)
		test_stop = 1;
}

/* n calls of one item each, and a fresh log for them. */
static void
pipe_setup(struct ens_call *calls, size_t n, struct pipe_log *l)
{
	size_t	i;

	memset(calls, 0, n * sizeof(*calls));
	memset(l, 0, sizeof(*l));
	for (i = 0; i < n; i++) {
		calls[i].items = &items[0];
		calls[i].n = 1;
	}
	l->calls = calls;
	l->refuse = SIZE_MAX;
	test_stop = 0;
}

/*
 * Every call accepted once, but call not_sent done as not sent and
 * call refused never sent nor done; the replies cleared.
 */
static void
pipe_check(struct ens_call *calls, size_t n, size_t not_sent,
    size_t refused)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (i == refused)
			ck_assert_ptr_null(calls[i].reply.results);
		else if (i == not_sent) {
			ck_assert_int_eq(calls[i].reply.outcome,
			    ENS_NOT_SENT);
			ck_assert_str_eq(calls[i].reply.code, "NotSent");
			ck_assert_int_eq(calls[i].reply.attempts, 0);
		} else {
			ck_assert_int_eq(calls[i].reply.outcome, ENS_OK);
			ck_assert_int_eq(calls[i].reply.attempts, 1);
		}
		ens_reply_clear(&calls[i].reply);
	}
}

#define REBOOT_OK(ev, res) \
	"{\"RequestId\":\"R\",\"Results\":[{\"Code\":200,\"EventId\":\"" \
	ev "\",\"ResourceId\":\"" res "\",\"Message\":\"success\"}]}"

/* Every call of the pipeline tests is accepted. */
static const struct httpd_reply	pipe_replies[] = {
	{ 200, REBOOT_OK("e-00000000000000000000000000000001",
	    "i-aaaaaaaa"), NULL },
};

/*
 * Run the pipeline of calls[0..n) with hooks against a server that
 * accepts every call; l->served gets the requests it answered.
 */
static void
pipe_run(struct ens_call *calls, size_t n, size_t parallel,
    struct pipe_log *l, const struct ens_pipe *hooks)
{
	struct httpd		*h;
	struct ens_client	*c;

	h = httpd_start(pipe_replies, NITEMS(pipe_replies));
	l->h = h;
	c = ens_test_client(httpd_url(h), 2, 0);
	ens_batch_reboot_many(c, calls, n, parallel, hooks);
	test_stop = 0;
	l->served = httpd_count(h);
	l->h = NULL;
	ens_client_free(c);
	httpd_stop(h);
}

/*
 * Five calls, three in flight: each call starts in order, before it is
 * sent; a call its start() refuses is never sent nor done; every other
 * call is done once with its own results.  The calls the free slots
 * take are committed and sent first, then one more is committed ahead
 * (its fsync after the sends), before any answer is judged.
 */
START_TEST(test_pipeline)
{
	struct ens_call		 calls[5];
	struct pipe_log		 l;
	struct ens_pipe		 hooks = { pipe_start, pipe_commit, pipe_go,
				    pipe_done, &l };
	size_t			 i;

	pipe_setup(calls, 5, &l);
	l.refuse = 2;
	pipe_run(calls, 5, 3, &l, &hooks);
	ck_assert_uint_eq(l.nstarted, 5);
	/* 0, 1, 2 (refused), 3 start together: one commit; 4 ahead. */
	ck_assert_msg(strncmp(l.trail, "SSSSCGSC", 8) == 0, "trail %s",
	    l.trail);
	/* 4 goes after an answer, without a commit of its own first. */
	ck_assert_msg(strstr(l.trail, "DG") != NULL, "trail %s", l.trail);
	/* The last answers are committed too. */
	ck_assert_int_eq(l.trail[l.ntrail - 1], 'C');
	ck_assert_uint_eq(l.done_at_commit, 4);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(l.started[i], i);
	ck_assert_uint_eq(l.ndone, 4);
	ck_assert_uint_eq(l.served, 4);
	ck_assert_int_eq(calls[4].reply.results[0].state, ENS_ITEM_ACCEPTED);
	pipe_check(calls, 5, SIZE_MAX, 2);
}
END_TEST

/*
 * A commit that fails readies none of the calls started before it;
 * each is done as not sent at once, and the pipeline goes on with the
 * next.  One call in flight, one committed ahead: the second commit is
 * call 1's, while call 0 is in flight.
 */
START_TEST(test_pipeline_commit_fails)
{
	struct ens_call		 calls[4];
	struct pipe_log		 l;
	struct ens_pipe		 hooks = { pipe_start, pipe_commit, pipe_go,
				    pipe_done, &l };

	pipe_setup(calls, 4, &l);
	l.fail_commit = 2;
	pipe_run(calls, 4, 1, &l, &hooks);
	ck_assert_uint_eq(l.nstarted, 4);
	ck_assert_uint_eq(l.served, 3);
	ck_assert_uint_eq(l.ndone, 4);
	ck_assert_msg(strncmp(l.trail, "SCGSCD", 6) == 0, "trail %s",
	    l.trail);
	ck_assert_uint_eq(l.done[0], 1);
	ck_assert_uint_eq(l.done[1], 0);
	ck_assert_uint_eq(l.done[2], 2);
	ck_assert_uint_eq(l.done[3], 3);
	pipe_check(calls, 4, 1, SIZE_MAX);
}
END_TEST

/*
 * A go that says no (the budget or a stop came after their commit):
 * the committed calls waiting for a slot are not sent, each is done as
 * not sent, and the pipeline goes on when go says yes again.
 */
START_TEST(test_pipeline_go_refuses)
{
	struct ens_call		 calls[4];
	struct pipe_log		 l;
	struct ens_pipe		 hooks = { pipe_start, pipe_commit, pipe_go,
				    pipe_done, &l };

	pipe_setup(calls, 4, &l);
	l.refuse_go = 2;		/* call 1's, after call 0's answer */
	pipe_run(calls, 4, 1, &l, &hooks);
	ck_assert_uint_eq(l.nstarted, 4);
	ck_assert_uint_eq(l.served, 3);
	ck_assert_uint_eq(l.ndone, 4);
	ck_assert_msg(strncmp(l.trail, "SCGSCDGD", 8) == 0, "trail %s",
	    l.trail);
	ck_assert_uint_eq(l.done[0], 0);
	ck_assert_uint_eq(l.done[1], 1);
	pipe_check(calls, 4, 1, SIZE_MAX);
}
END_TEST

/* A first stop that comes during the first commit. */
static int
pipe_commit_stop(void *arg)
{
	struct pipe_log	*l = arg;

	if (++l->ncommits == 1)
		test_stop = 1;
	return (0);
}

/*
 * First signal: no new calls, also none of those whose records the
 * commit running when it came was making durable; each is done as not
 * sent.  Plain HTTP, so that the four start together.
 */
START_TEST(test_pipeline_stop_in_commit)
{
	struct ens_call		 calls[4];
	struct pipe_log		 l;
	struct ens_pipe		 hooks = { pipe_start, pipe_commit_stop,
				    pipe_go, pipe_done, &l };
	size_t			 i;

	pipe_setup(calls, 4, &l);
	pipe_run(calls, 4, 4, &l, &hooks);
	ck_assert_uint_eq(l.nstarted, 4);
	ck_assert_uint_eq(l.served, 0);
	ck_assert_uint_eq(l.ndone, 4);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(calls[i].reply.outcome, ENS_NOT_SENT);
		ens_reply_clear(&calls[i].reply);
	}
}
END_TEST

/*
 * First signal while a call is committed and waits for its slot: it is
 * not sent but done as not sent; a call not yet started gets neither
 * start nor done.
 */
START_TEST(test_pipeline_stop_ready)
{
	struct ens_call		 calls[3];
	struct pipe_log		 l;
	struct ens_pipe		 hooks = { pipe_start, pipe_commit, pipe_go,
				    pipe_done, &l };

	pipe_setup(calls, 3, &l);
	l.stop_at_done = 1;
	pipe_run(calls, 3, 1, &l, &hooks);
	ck_assert_uint_eq(l.served, 1);
	ck_assert_uint_eq(l.nstarted, 2);
	ck_assert_uint_eq(l.ndone, 2);
	ck_assert_int_eq(calls[0].reply.outcome, ENS_OK);
	ck_assert_int_eq(calls[1].reply.outcome, ENS_NOT_SENT);
	ck_assert_ptr_null(calls[2].reply.results);
	ens_reply_clear(&calls[0].reply);
	ens_reply_clear(&calls[1].reply);
}
END_TEST

/* A first signal that comes while go runs (the go-th one): go says yes. */
static int
pipe_go_stop(void *arg)
{
	struct pipe_log	*l = arg;

	pipe_trail(l, 'G');
	if (++l->ngos == l->refuse_go)
		test_stop = 1;
	return (0);
}

/* A commit that always succeeds (the requests count retries too). */
static int
pipe_commit_ok(void *arg)
{
	struct pipe_log	*l = arg;

	l->ncommits++;
	pipe_trail(l, 'C');
	return (0);
}

/* A throttled first answer: the rate then holds the calls ready. */
static const struct httpd_reply	pipe_throttled[] = {
	{ 400, "{\"Code\":\"Throttling.User\",\"Message\":\"slow\"}",
	    "x-acs-retry-after: 0\r\n" },
	{ 200, REBOOT_OK("e-00000000000000000000000000000001",
	    "i-aaaaaaaa"), NULL },
};

/*
 * Whichever go a first stop comes with, every call started is done
 * (sent and answered, or not sent): none committed is left without its
 * done, while the rate holds it back with nothing in flight.
 */
START_TEST(test_pipeline_stop_any_go)
{
	struct ens_call		 calls[3];
	struct pipe_log		 l;
	struct ens_pipe		 hooks = { pipe_start, pipe_commit_ok,
				    pipe_go_stop, pipe_done, &l };
	struct httpd		*h;
	struct ens_client	*c;
	size_t			 i;

	pipe_setup(calls, 3, &l);
	l.refuse_go = (size_t)_i + 1;
	h = httpd_start(pipe_throttled, NITEMS(pipe_throttled));
	l.h = h;
	c = ens_test_client(httpd_url(h), 2, 0);
	ens_batch_reboot_many(c, calls, 3, 1, &hooks);
	test_stop = 0;
	l.h = NULL;
	ck_assert_msg(l.ndone == l.nstarted, "stop at go %zu: %zu started, "
	    "%zu done (trail %s)", l.refuse_go, l.nstarted, l.ndone, l.trail);
	for (i = 0; i < 3; i++)
		ens_reply_clear(&calls[i].reply);
	ens_client_free(c);
	httpd_stop(h);
}
END_TEST

/* The whole path of one reboot call over answers of every kind. */
static const struct {
	const char		*name;
	struct httpd_reply	 replies[3];
	size_t			 nreplies;
	enum ens_outcome	 outcome;
	size_t			 requests;	/* sent */
	const char		*code;
} reboot_paths[] = {
	{ "accepted", { { 200, REBOOT_OK("e-00000000000000000000000000000001",
	    "i-aaaaaaaa"), NULL } }, 1, ENS_OK, 1, NULL },
	{ "throttled, then accepted", {
	    { 400, "{\"Code\":\"Throttling.User\",\"Message\":\"slow\"}",
	    "x-acs-retry-after: 5\r\n" },
	    { 200, REBOOT_OK("e-00000000000000000000000000000001",
	    "i-aaaaaaaa"), NULL } }, 2, ENS_OK, 2, NULL },
	{ "503 ServiceUnavailable, then accepted", {
	    { 503, "{\"Code\":\"ServiceUnavailable\"}", "Retry-After: 0\r\n" },
	    { 200, REBOOT_OK("e-00000000000000000000000000000001",
	    "i-aaaaaaaa"), NULL } }, 2, ENS_OK, 2, NULL },
	{ "nonce used is not a refusal", {
	    { 400, "{\"Code\":\"SignatureNonceUsed\",\"Message\":\"x\"}",
	    NULL } }, 1, ENS_UNKNOWN, 1, "SignatureNonceUsed" },
	{ "500 may have been done", {
	    { 500, "{\"Code\":\"InternalError\"}", NULL } }, 1,
	    ENS_UNKNOWN, 1, "InternalError" },
	{ "a proxy's 502 page", { { 502, "<html>bad gateway</html>", NULL } },
	    1, ENS_UNKNOWN, 1, "HTTPError" },
	{ "a 4xx that is not the API's", { { 404, "<html>no</html>", NULL } },
	    1, ENS_UNKNOWN, 1, "HTTPError" },
	{ "the API's refusal", {
	    { 403, "{\"Code\":\"NoPermission\",\"RequestId\":\"R-1\"}",
	    NULL } }, 1, ENS_API_ERROR, 1, "NoPermission" },
	{ "dropped after the request", { { 0, "", NULL } }, 1, ENS_UNKNOWN, 1,
	    "OutcomeUnknown" },
	{ "garbled 200", { { 200, "{\"Results\":", NULL } }, 1, ENS_UNKNOWN, 1,
	    "BadAnswer" },
};

START_TEST(test_reboot_path)
{
	struct httpd		*h;
	struct ens_client	*c;
	struct ens_reply	 r;

	h = httpd_start(reboot_paths[_i].replies, reboot_paths[_i].nreplies);
	c = ens_test_client(httpd_url(h), 3, 0);
	ens_batch_reboot(c, &items[0], 1, &r);
	ck_assert_msg(r.outcome == reboot_paths[_i].outcome, "%s: outcome %d",
	    reboot_paths[_i].name, (int)r.outcome);
	ck_assert_uint_eq(httpd_count(h), reboot_paths[_i].requests);
	ck_assert_int_eq(r.attempts, (int)reboot_paths[_i].requests);
	ck_assert_uint_eq(r.nresults, 1);
	if (reboot_paths[_i].code != NULL)
		ck_assert_str_eq(r.code, reboot_paths[_i].code);
	ens_reply_clear(&r);
	ens_client_free(c);
	httpd_stop(h);
}
END_TEST

/* Nothing listens: not sent, retried, and said so. */
START_TEST(test_reboot_not_sent)
{
	struct ens_client	*c;
	struct ens_reply	 r;
	struct httpd		*h;
	char			 url[64];

	/* A port that was free a moment ago. */
	h = httpd_start(reboot_paths[0].replies, 1);
	snprintf(url, sizeof(url), "%s", httpd_url(h));
	httpd_stop(h);
	c = ens_test_client(url, 0, 0);
	ens_batch_reboot(c, &items[0], 1, &r);
	ck_assert_int_eq(r.outcome, ENS_NOT_SENT);
	ck_assert_str_eq(r.code, "ConnectionError");
	ck_assert_int_eq(r.attempts, 1);
	ens_reply_clear(&r);
	ens_client_free(c);
}
END_TEST

/* An HTTP answer -> what the call may do next. */
static const struct {
	long			 status;
	int			 api;		/* the API's own JSON error */
	const char		*code;
	int			 readonly;
	enum ens_verdict	 v;
} answers[] = {
	{ 200, 0, NULL, 0, ENS_V_OK },
	{ 200, 0, NULL, 1, ENS_V_OK },
	/* Throttled or unavailable: provably not processed. */
	{ 400, 1, "Throttling", 0, ENS_V_RETRY },
	{ 400, 1, "Throttling.User", 0, ENS_V_RETRY },
	{ 400, 1, "Throttling.Api", 0, ENS_V_RETRY },
	{ 429, 1, "Throttling.User", 0, ENS_V_RETRY },
	{ 400, 1, "Throttling.User", 1, ENS_V_RETRY },
	{ 503, 1, "ServiceUnavailable", 0, ENS_V_RETRY },
	{ 503, 1, "ServiceUnavailable", 1, ENS_V_RETRY },
	{ 500, 1, "ServiceUnavailable", 0, ENS_V_UNKNOWN },
	{ 400, 1, "throttling", 0, ENS_V_FINAL },
	{ 400, 0, "Throttling", 0, ENS_V_UNKNOWN },
	/* A copy of this very request may have got there first. */
	{ 400, 1, "SignatureNonceUsed", 0, ENS_V_UNKNOWN },
	{ 403, 1, "SignatureNonceUsed", 0, ENS_V_UNKNOWN },
	{ 400, 1, "SignatureNonceUsed", 1, ENS_V_RETRY },
	/* The API's own refusals are final. */
	{ 400, 1, "InvalidParameter", 0, ENS_V_FINAL },
	{ 400, 1, "InvalidParameter", 1, ENS_V_FINAL },
	{ 400, 1, "MissingParameter", 0, ENS_V_FINAL },
	{ 400, 1, "InvalidTimeStamp.Expired", 0, ENS_V_FINAL },
	{ 403, 1, "NoPermission", 0, ENS_V_FINAL },
	{ 404, 1, "InvalidAccessKeyId.NotFound", 0, ENS_V_FINAL },
	{ 400, 1, "SignatureDoesNotMatch", 1, ENS_V_FINAL },
	{ 499, 1, "Whatever", 0, ENS_V_FINAL },
	/* Not the API's: a proxy's page, a redirect, an empty body. */
	{ 400, 0, NULL, 0, ENS_V_UNKNOWN },
	{ 404, 0, NULL, 0, ENS_V_UNKNOWN },
	{ 404, 0, NULL, 1, ENS_V_RETRY },
	{ 301, 0, NULL, 0, ENS_V_UNKNOWN },
	{ 302, 0, NULL, 1, ENS_V_RETRY },
	{ 204, 0, NULL, 0, ENS_V_UNKNOWN },
	{ 400, 1, NULL, 0, ENS_V_UNKNOWN },
	/* 5xx: maybe processed; a read may try again. */
	{ 500, 1, "InternalError", 0, ENS_V_UNKNOWN },
	{ 500, 1, "InternalError", 1, ENS_V_RETRY },
	{ 502, 0, NULL, 0, ENS_V_UNKNOWN },
	{ 502, 0, NULL, 1, ENS_V_RETRY },
	{ 503, 0, NULL, 0, ENS_V_UNKNOWN },
	{ 503, 1, "InternalError", 0, ENS_V_UNKNOWN },
	{ 504, 0, NULL, 0, ENS_V_UNKNOWN },
	{ 504, 1, "GatewayTimeout", 1, ENS_V_RETRY },
};

START_TEST(test_judge_answer)
{
	ck_assert_msg(ens_judge_answer(answers[_i].status, answers[_i].api,
	    answers[_i].code, answers[_i].readonly) == answers[_i].v,
	    "row %d: HTTP %ld %s%s", _i, answers[_i].status,
	    answers[_i].code != NULL ? answers[_i].code : "(no code)",
	    answers[_i].readonly ? " (read)" : "");
}
END_TEST

#define E1	"\"EventId\":\"e-00000000000000000000000000000001\""
#define R1	"\"ResourceId\":\"i-aaaaaaaa\""

/* One Results[] entry -> accepted / refused / unknown, for items[0]. */
static const struct {
	const char		*entry;
	enum ens_item_state	 state;
	int			 code;
} entries[] = {
	{ "{\"Code\":200," E1 "," R1 "}", ENS_ITEM_ACCEPTED, 200 },
	{ "{" R1 ",\"Message\":\"ok\",\"Code\":200," E1 "}",
	    ENS_ITEM_ACCEPTED, 200 },
	{ "{\"Code\":400," E1 "," R1 "}", ENS_ITEM_REFUSED, 400 },
	{ "{\"Code\":404," E1 "," R1 "}", ENS_ITEM_REFUSED, 404 },
	{ "{\"Code\":499," E1 "," R1 "}", ENS_ITEM_REFUSED, 499 },
	/* An unreadable Code is an unknown outcome, never a refusal. */
	{ "{\"Code\":200.0," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":2e2," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":true," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":null," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{" E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":\"200\"," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":\" 200 \"," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":\"400\"," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":[200]," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":{}," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":4294967496," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":4294967696," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":-200," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":0," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":201," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":399," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":500," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":503," E1 "," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	/* Only the ids we asked about answer for the item. */
	{ "{\"Code\":200," E1 ",\"ResourceId\":\"i-bbbbbbbb\"}",
	    ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":400," E1 ",\"ResourceId\":\"i-bbbbbbbb\"}",
	    ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":200," E1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":200," E1 ",\"ResourceId\":7}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":200," E1 ",\"ResourceId\":\"i-aaaaaaaa \"}",
	    ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":200," E1 ",\"ResourceId\":\"I-AAAAAAAA\"}",
	    ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":200,\"EventId\":\"e-00000000000000000000000000000002\","
	    R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "{\"Code\":200," R1 "}", ENS_ITEM_UNKNOWN, -1 },
	{ "[200]", ENS_ITEM_UNKNOWN, -1 },
	{ "\"200\"", ENS_ITEM_UNKNOWN, -1 },
	{ "200", ENS_ITEM_UNKNOWN, -1 },
};

START_TEST(test_judge_item)
{
	json_t	*v;
	int	 code = 12345;

	v = json_loads(entries[_i].entry, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(v);
	ck_assert_msg(ens_judge_item(v, &items[0], &code) ==
	    entries[_i].state, "row %d: %s", _i, entries[_i].entry);
	ck_assert_int_eq(code, entries[_i].code);
	json_decref(v);
}
END_TEST

/* An item named twice (200, then 400) is not known to be either. */
START_TEST(test_parse_named_twice)
{
	struct ens_reply	 r;
	const char		*body = "{\"Results\":["
	    "{\"Code\":200," E1 "," R1 "},{\"Code\":400," E1 "," R1 "}]}";

	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_parse_reboot(body, strlen(body), items, 3, &r),
	    0);
	ck_assert_int_eq(r.results[0].state, ENS_ITEM_UNKNOWN);
	ck_assert_int_eq(r.results[0].found, 0);
	ck_assert_int_ne(r.results[0].code, 200);
	ens_reply_clear(&r);
}
END_TEST

static char	 san_secret[] = "S3cr3tS3cr3t";
static char	 san_token[] = "CAIS+tok/en=";
static char	 san_id[] = "LTAIid";
static char	 san_stars[] = "***";
static const struct creds san_creds = { san_id, san_secret, san_token,
    NULL, 0, 0, NULL };
static const struct creds san_star_creds = { san_id, san_stars, NULL, NULL,
    0, 0, NULL };

/* API strings -> text fit for a terminal, a journal and a report. */
static const struct {
	const char		*in;
	const struct creds	*creds;
	const char		*out;
} sanitize[] = {
	{ "plain text", NULL, "plain text" },
	{ "", NULL, "" },
	{ "caf\xc3\xa9 \xe4\xb8\xad", NULL, "caf\xc3\xa9 \xe4\xb8\xad" },
	{ "a\nb\rc\td", NULL, "a b c d" },
	{ "bell\a back\b\x7f del", NULL, "bell back del" },
	{ "\x01\x02\x1f", NULL, "" },
	{ "red \x1b[31mX\x1b[0m", NULL, "red X" },
	{ "\x1b[2J\x1b[1;1Hforged", NULL, "forged" },
	{ "title \x1b]0;pwned\x07 end", NULL, "title  end" },
	{ "link \x1b]8;;http://x\x1b\\y\x1b]8;;\x1b\\ z", NULL, "link y z" },
	{ "esc \x1b" "c reset", NULL, "esc  reset" },
	{ "cut \x1b", NULL, "cut " },
	{ "c1 \xc2\x9b" "31mred", NULL, "c1 red" },
	{ "c1 \xc2\x85 nel", NULL, "c1  nel" },
	{ "osc \xc2\x9d" "0;t\xc2\x9c ok", NULL, "osc  ok" },
	{ "bidi \xe2\x80\xae" "txt.exe", NULL, "bidi txt.exe" },
	{ "iso \xe2\x81\xa6x\xe2\x81\xa9", NULL, "iso x" },
	/* Secrets, wherever they appear. */
	{ "key S3cr3tS3cr3t here", &san_creds, "key *** here" },
	{ "S3cr3tS3cr3tS3cr3tS3cr3t", &san_creds, "******" },
	{ "tok CAIS+tok/en= x", &san_creds, "tok *** x" },
	{ "enc CAIS%2Btok%2Fen%3D x", &san_creds, "enc *** x" },
	{ "split S3cr3t\x1b[0mS3cr3t", &san_creds, "split ***" },
	{ "split S3cr\n3tS3cr3t", &san_creds, "split S3cr 3tS3cr3t" },
	{ "LTAIid is not secret", &san_creds, "LTAIid is not secret" },
	{ "sign string to sign: GET&CAIS", &san_creds, "sign " },
	{ "stars *** and ****", &san_star_creds, "stars *** and ****" },
	{ "no creds S3cr3tS3cr3t", NULL, "no creds S3cr3tS3cr3t" },
};

START_TEST(test_sanitize)
{
	char	*out;

	out = ens_sanitize(sanitize[_i].in, sanitize[_i].creds);
	ck_assert_msg(strcmp(out, sanitize[_i].out) == 0,
	    "row %d: \"%s\", expected \"%s\"", _i, out, sanitize[_i].out);
	free(out);
}
END_TEST

/* rate, ceiling, successes so far, throttled -> rate, successes. */
static const struct {
	int	rate, ceiling, wins, throttled;
	int	next, wins_after;
} rates[] = {
	{ 10, 10, 0, 0, 10, 0 },
	{ 10, 10, 0, 1, 5, 0 },
	{ 5, 10, 3, 1, 2, 0 },
	{ 3, 10, 0, 1, 1, 0 },
	{ 1, 10, 0, 1, 1, 0 },
	{ 5, 10, 0, 0, 5, 1 },
	{ 5, 10, 8, 0, 5, 9 },
	{ 5, 10, 9, 0, 6, 0 },
	{ 9, 10, 9, 0, 10, 0 },
	{ 0, 0, 0, 0, 0, 0 },
	{ 0, 0, 0, 1, 16, 0 },
	{ 16, 0, 9, 0, 17, 0 },
	{ 99, 0, 9, 0, 0, 0 },
	{ 100, 100, 4, 1, 50, 0 },
};

START_TEST(test_rate_adapt)
{
	int	wins = rates[_i].wins;

	ck_assert_int_eq(ens_rate_adapt(rates[_i].rate, rates[_i].ceiling,
	    &wins, rates[_i].throttled), rates[_i].next);
	ck_assert_int_eq(wins, rates[_i].wins_after);
}
END_TEST

/* The last starts (oldest first), rate -> earliest next start. */
static const struct {
	int64_t	starts[16];
	size_t	n;
	int	rate;
	int64_t	due;
} rate_dues[] = {
	{ { 5 }, 1, 0, 0 },			/* no limit */
	{ { 0 }, 0, 10, 0 },			/* nothing started yet */
	{ { 1000 }, 1, 10, 1100 },		/* one per 100 ms */
	{ { 1000, 1050 }, 2, 10, 1150 },	/* after the last one */
	{ { 1000 }, 1, 3, 1334 },		/* 1/3 s, rounded up */
	{ { 1000 }, 1, 19, 1053 },		/* below 20/s: one at a time */
	{ { 1000 }, 1, 20, 0 },			/* 2 per 100 ms */
	{ { 1000, 1001 }, 2, 20, 1100 },
	{ { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008 }, 9,
	    100, 0 },				/* 10 per 100 ms */
	{ { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009 },
	    10, 100, 1100 },
	{ { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009,
	    1010, 1011, 1012, 1013, 1014 }, 15, 1000, 0 },
	{ { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009,
	    1010, 1011, 1012, 1013, 1014, 1015 }, 16, 1000, 1017 },
	{ { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009,
	    1010, 1011, 1012, 1013, 1014, 1015 }, 16, 170, 1100 },
};

START_TEST(test_rate_due)
{
	ck_assert_int_eq(ens_rate_due(rate_dues[_i].starts, rate_dues[_i].n,
	    rate_dues[_i].rate), rate_dues[_i].due);
}
END_TEST

/* The last starts (oldest first), rate, now -> how many may start. */
static const struct {
	int64_t	starts[16];
	size_t	n;
	int	rate;
	int64_t	now;
	size_t	limit, room;
	int64_t	next;			/* -1: not set */
} rate_rooms[] = {
	{ { 0 }, 0, 0, 5, 16, 16, -1 },		/* no limit */
	{ { 0 }, 0, 5, 5, 16, 1, 205 },		/* one per 200 ms */
	{ { 1000 }, 1, 5, 1100, 16, 0, 1200 },	/* not yet */
	{ { 1000 }, 1, 5, 1200, 16, 1, 1400 },
	{ { 1000 }, 1, 20, 1000, 16, 1, 1100 },	/* 2 per 100 ms */
	{ { 0 }, 0, 1000, 7, 32, 16, 24 },	/* the burst, whatever limit */
	{ { 0 }, 0, 1000, 7, 3, 3, -1 },	/* the limit */
	{ { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007 }, 8, 1000,
	    1010, 16, 8, 1017 },		/* 8 of 16 in the window */
	{ { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009,
	    1010, 1011, 1012, 1013, 1014, 1015 }, 16, 1000, 1017, 16, 1,
	    1018 },
	{ { 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009,
	    1010, 1011, 1012, 1013, 1014, 1015 }, 16, 1000, 1040, 16, 16,
	    -1 },
};

START_TEST(test_rate_room)
{
	int64_t	next = -1;

	ck_assert_uint_eq(ens_rate_room(rate_rooms[_i].starts,
	    rate_rooms[_i].n, rate_rooms[_i].rate, rate_rooms[_i].now,
	    rate_rooms[_i].limit, &next), rate_rooms[_i].room);
	if (rate_rooms[_i].next >= 0)
		ck_assert_int_eq(next, rate_rooms[_i].next);
}
END_TEST

/*
 * Starting as early as the rate allows for 3 s: no 1 s window holds
 * more than rate starts, and the rate is used (at least 90% of it).
 */
static const int rate_ceilings[] = { 1, 3, 10, 19, 20, 55, 100, 170, 1000 };

START_TEST(test_rate_ceiling)
{
	int64_t	 last[16], *all, t = 0;
	size_t	 n = 0, nall = 0, i, k;
	int	 rate = rate_ceilings[_i];

	all = xcalloc((size_t)rate * 3 + 16, sizeof(*all));
	while (nall < (size_t)rate * 3) {
		t = ens_rate_due(last, n, rate);
		if (nall > 0 && t < all[nall - 1])
			t = all[nall - 1];
		all[nall++] = t;
		if (n == 16) {
			memmove(last, last + 1, 15 * sizeof(*last));
			n--;
		}
		last[n++] = t;
	}
	for (i = 0; i < nall; i++) {
		for (k = i; k < nall && all[k] < all[i] + 1000; k++)
			;
		ck_assert_int_le(k - i, rate);
	}
	ck_assert_int_le(all[nall - 1], 3000 * 10 / 9);
	free(all);
}
END_TEST

/* NotBefore as the API may send it: never silently "none". */
static const struct {
	const char	*event;
	int64_t		 not_before;
} not_befores[] = {
	{ "{\"EventId\":\"e\",\"NotBefore\":1796061600000}", 1796061600000LL },
	{ "{\"EventId\":\"e\",\"NotBefore\":\"1796061600000\"}",
	    1796061600000LL },
	{ "{\"EventId\":\"e\",\"NotBefore\":\"2026-12-01T10:00:00Z\"}",
	    1796119200000LL },
	{ "{\"EventId\":\"e\",\"NotBefore\":\"2026-12-01T18:00:00+08:00\"}",
	    1796119200000LL },
	{ "{\"EventId\":\"e\",\"NotBeforeUtcTime\":\"2026-12-01T10:00:00Z\"}",
	    1796119200000LL },
	{ "{\"EventId\":\"e\",\"NotBefore\":null,"
	    "\"NotBeforeUtcTime\":\"2026-12-01T10:00:00Z\"}",
	    1796119200000LL },
	{ "{\"EventId\":\"e\"}", -1 },
	{ "{\"EventId\":\"e\",\"NotBefore\":\"soon\"}", -1 },
	{ "{\"EventId\":\"e\",\"NotBefore\":true}", -1 },
};

START_TEST(test_not_before)
{
	struct ens_event	*ev = NULL;
	size_t			 n = 0;
	int64_t			 total;
	char			*cause = NULL, *page;

	page = xasprintf("{\"TotalCount\":1,\"Events\":[%s]}",
	    not_befores[_i].event);
	ck_assert_int_eq(ens_parse_events(page, strlen(page), &ev, &n, &total,
	    &cause), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ev[0].not_before, not_befores[_i].not_before);
	ens_events_free(ev, n);
	free(page);
}
END_TEST

/* Strings taken from events are sanitised too. */
START_TEST(test_events_sanitised)
{
	struct ens_event	*ev = NULL;
	size_t			 n = 0;
	int64_t			 total;
	char			*cause = NULL;
	const char		*page = "{\"TotalCount\":1,\"Events\":[{"
	    "\"EventId\":\"e-\\u001b[2J1\",\"EventStatus\":\"Inq\\nuiring\","
	    "\"Reason\":\"\\u009b31mx\"}]}";

	ck_assert_int_eq(ens_parse_events(page, strlen(page), &ev, &n, &total,
	    &cause), 0);
	ck_assert_str_eq(ev[0].event, "e-1");
	ck_assert_str_eq(ev[0].status, "Inq uiring");
	ck_assert_str_eq(ev[0].reason, "x");
	ens_events_free(ev, n);
}
END_TEST

/* A server whose TotalCount keeps growing is not paged forever. */
START_TEST(test_paging_deadline)
{
	static const struct httpd_reply	replies[] = {
		{ 200, "{\"TotalCount\":1@N@000,\"Events\":[{\"EventId\":"
		    "\"e-@N@\"}]}", NULL },
	};
	struct httpd		*h;
	struct ens_client	*c;
	struct ens_reply	 r;
	struct ens_event	*ev = NULL;
	size_t			 n = 0;

	h = httpd_start(replies, NITEMS(replies));
	c = ens_test_client(httpd_url(h), 2, 300);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(ens_describe_events(c, NULL, 0, "x", &ev, &n, &r),
	    -1);
	ck_assert_ptr_null(ev);
	ck_assert_str_eq(r.code, "PagingDeadline");
	ck_assert_ptr_nonnull(strstr(r.message, "TotalCount"));
	ck_assert_uint_gt(httpd_count(h), 2);
	ens_reply_clear(&r);
	ens_client_free(c);
	httpd_stop(h);
}
END_TEST

/*
 * An endpoint that echoes the STS token and the secret, with escape
 * sequences, in every string: none of it leaves ens.c.
 */
START_TEST(test_echoed_secrets)
{
	static const struct httpd_reply	replies[] = {
		{ 200, "{\"RequestId\":\"R-CAIStok\\u001b[2J\",\"Results\":["
		    "{\"Code\":200," E1 "," R1 ",\"Message\":\"ok CAIStok "
		    "S3cr3tS3cr3t\"}]}", NULL },
		{ 400, "{\"RequestId\":\"CAIStok\",\"Code\":"
		    "\"Bad\\u001b]0;x\\u0007CAIStok\",\"Message\":\"token CAIStok secret S3cr3tS3cr3t"
		    "\\r\\nensbatch: forged\"}", NULL },
	};
	static char		 id[] = "LTAIid", secret[] = "S3cr3tS3cr3t",
				 token[] = "CAIStok";
	static struct creds cr = { id, secret, token, NULL, 0, 0,
	    NULL };
	struct httpd		*h;
	struct ens_client	*c;
	struct ens_reply	 r;

	h = httpd_start(replies, NITEMS(replies));
	c = ens_test_client_as(httpd_url(h), 0, 0, &cr);
	ens_batch_reboot(c, &items[0], 1, &r);
	ck_assert_int_eq(r.outcome, ENS_OK);
	ck_assert_str_eq(r.request_id, "R-***");
	ck_assert_str_eq(r.results[0].message, "ok *** ***");
	ens_reply_clear(&r);
	ens_batch_reboot(c, &items[0], 1, &r);
	ck_assert_int_eq(r.outcome, ENS_API_ERROR);
	ck_assert_str_eq(r.request_id, "***");
	ck_assert_str_eq(r.code, "Bad***");
	ck_assert_str_eq(r.message, "token *** secret ***  ensbatch: forged");
	ens_reply_clear(&r);
	ens_client_free(c);
	httpd_stop(h);
}
END_TEST

/*
 * After a first signal no reboot call starts, but a read (to reconcile)
 * still does, once; after a second one nothing starts.
 */
START_TEST(test_stopping)
{
	static const struct httpd_reply	replies[] = {
		{ 200, "{\"TotalCount\":1,\"Events\":[{\"EventId\":\"e-1\"}]}",
		    NULL },
	};
	struct httpd		*h;
	struct ens_client	*c;
	struct ens_reply	 r;
	struct ens_event	*ev = NULL;
	size_t			 n = 0;

	h = httpd_start(replies, NITEMS(replies));
	c = ens_test_client(httpd_url(h), 2, 0);
	test_stop = 1;
	ens_batch_reboot(c, &items[0], 1, &r);
	ck_assert_int_eq(r.outcome, ENS_NOT_SENT);
	ck_assert_uint_eq(r.nresults, 1);
	ck_assert_uint_eq(httpd_count(h), 0);
	ens_reply_clear(&r);
	ck_assert_int_eq(ens_describe_events(c, NULL, 0, "x", &ev, &n, &r),
	    0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(httpd_count(h), 1);
	ens_events_free(ev, n);
	test_stop = 2;
	ck_assert_int_eq(ens_describe_events(c, NULL, 0, "x", &ev, &n, &r),
	    -1);
	ck_assert_int_eq(r.outcome, ENS_NOT_SENT);
	ck_assert_uint_eq(httpd_count(h), 1);
	test_stop = 0;
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
	tcase_add_test(tc, test_describe_instances_garbled);
	tcase_add_test(tc, test_describe_parallel);
	tcase_add_test(tc, test_paging_deadline);
	suite_add_tcase(s, tc);
	tc = tcase_create("judge");
	tcase_add_loop_test(tc, test_judge_answer, 0, NITEMS(answers));
	tcase_add_loop_test(tc, test_judge_item, 0, NITEMS(entries));
	tcase_add_test(tc, test_parse_named_twice);
	tcase_add_loop_test(tc, test_rate_adapt, 0, NITEMS(rates));
	tcase_add_loop_test(tc, test_rate_due, 0, NITEMS(rate_dues));
	tcase_add_loop_test(tc, test_rate_room, 0, NITEMS(rate_rooms));
	tcase_add_loop_test(tc, test_rate_ceiling, 0, NITEMS(rate_ceilings));
	suite_add_tcase(s, tc);
	tc = tcase_create("sanitize");
	tcase_add_loop_test(tc, test_sanitize, 0, NITEMS(sanitize));
	tcase_add_loop_test(tc, test_not_before, 0, NITEMS(not_befores));
	tcase_add_test(tc, test_events_sanitised);
	suite_add_tcase(s, tc);
	tc = tcase_create("reboot");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pipeline);
	tcase_add_test(tc, test_pipeline_commit_fails);
	tcase_add_test(tc, test_pipeline_go_refuses);
	tcase_add_test(tc, test_pipeline_stop_in_commit);
	tcase_add_test(tc, test_pipeline_stop_ready);
	tcase_add_loop_test(tc, test_pipeline_stop_any_go, 0, 8);
	tcase_add_loop_test(tc, test_reboot_path, 0, NITEMS(reboot_paths));
	tcase_add_test(tc, test_reboot_not_sent);
	tcase_add_test(tc, test_echoed_secrets);
	tcase_add_test(tc, test_stopping);
	suite_add_tcase(s, tc);
	return (s);
}
