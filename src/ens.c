/*
 * ENS API actions.  The one rule that matters most lives here: a reboot
 * call is sent again only when the answer proves the first one was not
 * processed (throttled, 503, or it never left this machine).  Anything
 * else that is not a clear answer is ENS_UNKNOWN, for the runner to
 * reconcile.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "ensbatch/buf.h"
#include "ensbatch/ens.h"
#include "ensbatch/http.h"
#include "ensbatch/timefmt.h"
#include "ensbatch/xmalloc.h"

#define BACKOFF_BASE	1000
#define BACKOFF_CAP	30000
#define RETRY_AFTER_CAP	60000
#define MAX_PAGES	10000

struct ens_client {
	struct ens_config	 cfg;
	char			*url;
	char			*host;		/* Host header value */
	struct http_client	*http;
	int64_t			 next_slot;	/* monotonic ms */
};

/* What one attempt's answer means for the call. */
enum verdict {
	V_DONE,			/* final answer (success or API error) */
	V_RETRY,		/* provably not processed: may resend */
	V_UNKNOWN		/* may have taken effect */
};

static int
stopping(const struct ens_client *c)
{
	return (c->cfg.stop != NULL && *c->cfg.stop != 0);
}

/* Sleep in short steps so that a stop request is noticed. */
static void
sleep_ms(const struct ens_client *c, int64_t ms)
{
	struct timespec	ts;
	int64_t		step;

	while (ms > 0 && !stopping(c)) {
		step = ms < 100 ? ms : 100;
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static uint64_t
random64(void)
{
	uint64_t	v;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		fatal("RAND_bytes failed");
	return (v);
}

int64_t
ens_backoff(int attempt, int64_t retry_after, uint64_t rnd)
{
	int64_t	ceiling = BACKOFF_BASE;
	int	i;

	if (retry_after >= 0)
		return (retry_after < RETRY_AFTER_CAP ? retry_after :
		    RETRY_AFTER_CAP);
	for (i = 1; i < attempt && ceiling < BACKOFF_CAP; i++)
		ceiling *= 2;
	if (ceiling > BACKOFF_CAP)
		ceiling = BACKOFF_CAP;
	return ((int64_t)(rnd % (uint64_t)(ceiling + 1)));
}

/*
 * Split an endpoint (host, host:port or URL) into the URL we post to and
 * the Host header.  The endpoint was checked by rules/options.
 */
struct ens_client *
ens_client_new(const struct ens_config *cfg, char **cause)
{
	struct ens_client	*c;
	struct http_config	 hc;
	const char		*e, *host;
	size_t			 len;

	*cause = NULL;
	e = cfg->endpoint != NULL ? cfg->endpoint : ENS_DEFAULT_ENDPOINT;
	if (strncmp(e, "https://", 8) == 0)
		host = e + 8;
	else if (strncmp(e, "http://", 7) == 0)
		host = e + 7;
	else
		host = e;
	len = strcspn(host, "/?#");
	if (len == 0) {
		*cause = xasprintf("endpoint \"%s\" has no host", e);
		return (NULL);
	}
	c = xcalloc(1, sizeof(*c));
	c->cfg = *cfg;
	c->host = xstrndup(host, len);
	if (host == e)
		c->url = xasprintf("https://%s/", c->host);
	else
		c->url = xasprintf("%.*s/", (int)((size_t)(host - e) + len), e);
	memset(&hc, 0, sizeof(hc));
	hc.cacert = cfg->cacert;
	hc.stop = cfg->stop;
	hc.timeout_ms = cfg->timeout_ms;
	hc.connect_timeout_ms = cfg->timeout_ms < 10000 ? cfg->timeout_ms :
	    10000;
	c->http = http_client_new(&hc);
	return (c);
}

void
ens_client_free(struct ens_client *c)
{
	if (c == NULL)
		return;
	http_client_free(c->http);
	free(c->url);
	free(c->host);
	free(c);
}

const char *
ens_client_url(const struct ens_client *c)
{
	return (c->url);
}

void
ens_reply_clear(struct ens_reply *r)
{
	size_t	i;

	for (i = 0; i < r->nresults; i++) {
		free(r->results[i].code_text);
		free(r->results[i].message);
	}
	free(r->results);
	free(r->request_id);
	free(r->code);
	free(r->message);
	memset(r, 0, sizeof(*r));
}

/* Replace a string field. */
static void
set_str(char **field, char *value)
{
	free(*field);
	*field = value;
}

/* Space requests at least 1/rate seconds apart. */
static void
rate_wait(struct ens_client *c)
{
	int64_t	now, interval;

	if (c->cfg.rate <= 0)
		return;
	interval = 1000 / c->cfg.rate;
	now = timefmt_mono();
	if (c->next_slot > now)
		sleep_ms(c, c->next_slot - now);
	now = timefmt_mono();
	c->next_slot = (c->next_slot > now ? c->next_slot : now) + interval;
}

/* Sign one call; the request owns nothing (free with sign_out_free). */
static char *
sign_call(struct ens_client *c, const char *action,
    const struct sign_param *params, size_t n, struct sign_out *out)
{
	struct sign_creds	 sc;
	char			 date[32], *nonce;
	time_t			 t;
	struct tm		 tm;

	sc.access_key_id = c->cfg.creds->access_key_id;
	sc.access_key_secret = c->cfg.creds->access_key_secret;
	sc.security_token = c->cfg.creds->security_token;
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	nonce = sign_nonce();
	sign_request(c->cfg.signature, &sc, "POST", c->host, action,
	    ENS_API_VERSION, params, n, date, nonce, out);
	free(nonce);
	return (xasprintf("%s?%s", c->url, out->query));
}

/*
 * A copy of an API message without our secrets: an answer to a
 * mismatched V1 signature may quote the string it signed, which holds
 * the STS token.  Everything from "string to sign" on is cut, and any
 * occurrence of the secret or the token (plain or encoded) is masked.
 */
static char *
redact(const struct ens_client *c, const char *msg)
{
	const char	*secrets[4];
	char		*out, *p, *enc = NULL;
	size_t		 i, n = 0, len;

	out = xstrdup(msg);
	if ((p = strstr(out, "string to sign")) != NULL)
		*p = '\0';
	if (c->cfg.creds->access_key_secret != NULL &&
	    *c->cfg.creds->access_key_secret != '\0')
		secrets[n++] = c->cfg.creds->access_key_secret;
	if (c->cfg.creds->security_token != NULL &&
	    *c->cfg.creds->security_token != '\0') {
		secrets[n++] = c->cfg.creds->security_token;
		enc = sign_encode(c->cfg.creds->security_token);
		secrets[n++] = enc;
	}
	for (i = 0; i < n; i++) {
		len = strlen(secrets[i]);
		while ((p = strstr(out, secrets[i])) != NULL)
			memset(p, '*', len);
	}
	free(enc);
	return (out);
}

/*
 * The Code, Message and RequestId of an error body.  Returns 1 when it
 * is the API's error JSON (it has a Code), 0 for anything else.
 */
static int
parse_error_body(const struct ens_client *c, const struct http_response *h,
    struct ens_reply *r)
{
	json_t		*root;
	json_error_t	 err;
	const char	*code = NULL, *msg = NULL, *rid = NULL;
	int		 api;

	root = json_loadb(h->body, h->len, JSON_REJECT_DUPLICATES, &err);
	if (root != NULL && json_is_object(root)) {
		code = json_string_value(json_object_get(root, "Code"));
		msg = json_string_value(json_object_get(root, "Message"));
		rid = json_string_value(json_object_get(root, "RequestId"));
	}
	api = code != NULL;
	set_str(&r->code, xstrdup(code != NULL ? code : "HTTPError"));
	set_str(&r->message, msg != NULL ? redact(c, msg) :
	    xasprintf("HTTP %ld with an unreadable body", h->status));
	if (rid != NULL)
		set_str(&r->request_id, xstrdup(rid));
	json_decref(root);
	return (api);
}

/*
 * Judge one attempt.  readonly calls may repeat anything transient;
 * a reboot call only what provably was not processed.
 */
static enum verdict
judge(const struct ens_client *c, const struct http_response *h,
    int readonly, struct ens_reply *r)
{
	int	api;

	/* Nothing of an earlier attempt may leak into this one's verdict. */
	set_str(&r->code, NULL);
	set_str(&r->message, NULL);
	set_str(&r->request_id, NULL);
	r->http_status = h->status;
	r->tls = h->tls;
	switch (h->result) {
	case HTTP_NOT_SENT:
		r->outcome = ENS_NOT_SENT;
		set_str(&r->code, xstrdup(h->tls ? "TLSError" :
		    "ConnectionError"));
		set_str(&r->message, xstrdup(h->error));
		/* A certificate that fails verification will not heal. */
		if (h->tls && strstr(h->error, "certificate") != NULL)
			return (V_DONE);
		return (V_RETRY);
	case HTTP_UNKNOWN:
		r->outcome = ENS_UNKNOWN;
		set_str(&r->code, xstrdup("OutcomeUnknown"));
		set_str(&r->message, xasprintf("no complete answer: %s",
		    h->error));
		return (readonly ? V_RETRY : V_UNKNOWN);
	case HTTP_DONE:
		break;
	}
	if (h->status == 200) {
		r->outcome = ENS_OK;
		return (V_DONE);
	}
	api = parse_error_body(c, h, r);
	r->outcome = ENS_API_ERROR;
	/* Answers that prove nothing was done: throttled, unavailable. */
	if (api && (strncmp(r->code, "Throttling", 10) == 0 ||
	    (h->status == 503 && strcmp(r->code, "ServiceUnavailable") == 0)))
		return (V_RETRY);
	if (readonly)
		return (h->status >= 500 || !api ||
		    strcmp(r->code, "SignatureNonceUsed") == 0 ? V_RETRY :
		    V_DONE);
	/*
	 * A reboot call is final only on the API's own 4xx error.  Any
	 * other answer (a 5xx, a proxy's page) may follow a processed
	 * request; so may "nonce used", if a copy of this very request
	 * got there first.
	 */
	if (api && h->status >= 400 && h->status < 500 &&
	    strcmp(r->code, "SignatureNonceUsed") != 0)
		return (V_DONE);
	r->outcome = ENS_UNKNOWN;
	return (V_UNKNOWN);
}

static void
verbose_line(const struct ens_client *c, const char *action,
    const struct ens_reply *r, int64_t ms)
{
	if (!c->cfg.verbose)
		return;
	fprintf(stderr, "ensbatch: %s attempt %d: ", action, r->attempts);
	if (r->http_status != 0)
		fprintf(stderr, "HTTP %ld", r->http_status);
	else
		fputs("no answer", stderr);
	if (r->code != NULL)
		fprintf(stderr, " %s", r->code);
	if (r->request_id != NULL)
		fprintf(stderr, " RequestId %s", r->request_id);
	fprintf(stderr, " (%" PRId64 " ms)\n", ms);
}

/*
 * One call with retries.  On ENS_OK the body is left in *h for the
 * caller to parse (caller clears it).
 */
static void
call(struct ens_client *c, const char *action,
    const struct sign_param *params, size_t n, int readonly,
    struct http_response *h, struct ens_reply *r)
{
	struct sign_out		 so;
	struct http_request	 req;
	enum verdict		 v;
	char			*url;
	int64_t			 start;

	memset(h, 0, sizeof(*h));
	for (r->attempts = 1;; r->attempts++) {
		url = sign_call(c, action, params, n, &so);
		req.url = url;
		req.headers = so.headers;
		req.nheaders = so.nheaders;
		req.fresh = !readonly;
		rate_wait(c);
		start = timefmt_mono();
		http_response_clear(h);
		http_post(c->http, &req, h);
		sign_out_free(&so);
		free(url);
		v = judge(c, h, readonly, r);
		verbose_line(c, action, r, timefmt_mono() - start);
		if (v != V_RETRY || r->attempts > c->cfg.retries ||
		    stopping(c))
			break;
		sleep_ms(c, ens_backoff(r->attempts, h->retry_after,
		    random64()));
		if (stopping(c))
			break;
	}
}

/* EventInfos: ONE query parameter holding a compact JSON array. */
static char *
event_infos(const struct ens_item *items, size_t n)
{
	json_t	*arr, *o;
	char	*s;
	size_t	 i;

	arr = json_array();
	for (i = 0; i < n; i++) {
		o = json_object();
		json_object_set_new(o, "EventId", json_string(items[i].event));
		json_object_set_new(o, "OpsType", json_string(
		    items[i].scheduled ? "scheduled" : "immediate"));
		if (items[i].scheduled)
			json_object_set_new(o, "PlanTime",
			    json_integer(items[i].plan_time));
		json_object_set_new(o, "ResourceId",
		    json_string(items[i].resource));
		json_array_append_new(arr, o);
	}
	if ((s = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		fatal("cannot serialise EventInfos");
	json_decref(arr);
	return (s);
}

/* A Code that may be an integer or a numeric string. */
static int
result_code(json_t *v, char **text)
{
	char		*end;
	long		 n;
	const char	*s;

	if (json_is_integer(v)) {
		*text = xasprintf("%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		/* Not a status code: never let it wrap around to 200. */
		if (json_integer_value(v) < 0 || json_integer_value(v) > 999)
			return (-1);
		return ((int)json_integer_value(v));
	}
	if ((s = json_string_value(v)) == NULL) {
		*text = xstrdup("(none)");
		return (-1);
	}
	*text = xstrdup(s);
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || n < 0 || n > 999)
		return (-1);
	return ((int)n);
}

int
ens_parse_reboot(const char *body, size_t len, const struct ens_item *items,
    size_t n, struct ens_reply *r)
{
	json_t		*root, *results, *it;
	json_error_t	 err;
	const char	*ev, *rid;
	size_t		 i, k;
	int		 rc = -1;

	r->results = xcalloc(n + 1, sizeof(*r->results));
	r->nresults = n;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || !json_is_object(root)) {
		set_str(&r->message, xasprintf("the answer is not a JSON "
		    "object"));
		goto out;
	}
	if ((rid = json_string_value(json_object_get(root, "RequestId")))
	    != NULL)
		set_str(&r->request_id, xstrdup(rid));
	results = json_object_get(root, "Results");
	if (!json_is_array(results)) {
		set_str(&r->message, xstrdup("the answer has no Results"));
		goto out;
	}
	json_array_foreach(results, i, it) {
		if (!json_is_object(it) || (ev = json_string_value(
		    json_object_get(it, "EventId"))) == NULL)
			continue;
		/* Match by EventId, not by position. */
		for (k = 0; k < n; k++) {
			if (!r->results[k].found &&
			    strcmp(items[k].event, ev) == 0)
				break;
		}
		if (k == n)
			continue;
		r->results[k].found = 1;
		r->results[k].code = result_code(json_object_get(it, "Code"),
		    &r->results[k].code_text);
		r->results[k].message = xstrdup(json_string_value(
		    json_object_get(it, "Message")) != NULL ?
		    json_string_value(json_object_get(it, "Message")) : "");
	}
	rc = 0;
out:
	json_decref(root);
	return (rc);
}

/*
 * Settle the reply of a reboot call from its final attempt: parse the
 * results of an OK answer (an unreadable one makes the outcome unknown)
 * and make sure results always has n entries.
 */
static void
reboot_settle(struct http_response *h, const struct ens_item *items,
    size_t n, struct ens_reply *r)
{
	if (r->outcome == ENS_OK && ens_parse_reboot(h->body, h->len, items,
	    n, r) != 0) {
		r->outcome = ENS_UNKNOWN;
		set_str(&r->code, xstrdup("BadAnswer"));
	}
	if (r->results == NULL) {
		r->results = xcalloc(n + 1, sizeof(*r->results));
		r->nresults = n;
	}
	http_response_clear(h);
}

void
ens_batch_reboot(struct ens_client *c, const struct ens_item *items,
    size_t n, struct ens_reply *r)
{
	struct http_response	 h;
	struct sign_param	 p;
	char			*infos;

	memset(r, 0, sizeof(*r));
	infos = event_infos(items, n);
	p.key = "EventInfos";
	p.value = infos;
	call(c, "BatchEventRebootInstance", &p, 1, 0, &h, r);
	reboot_settle(&h, items, n, r);
	free(infos);
}

void
ens_batch_reboot_many(struct ens_client *c,
    const struct ens_item *const *batches, const size_t *counts, size_t n,
    size_t parallel, struct ens_reply *replies)
{
	struct http_request	*reqs;
	struct http_response	*resp;
	struct sign_out		*so;
	struct sign_param	 p;
	char			**infos, **urls;
	size_t			*queue, nqueue, i, k, next;
	int64_t			 wait;
	enum verdict		 v;

	reqs = xcalloc(n + 1, sizeof(*reqs));
	resp = xcalloc(n + 1, sizeof(*resp));
	so = xcalloc(n + 1, sizeof(*so));
	infos = xcalloc(n + 1, sizeof(*infos));
	urls = xcalloc(n + 1, sizeof(*urls));
	queue = xcalloc(n + 1, sizeof(*queue));
	for (i = 0; i < n; i++) {
		memset(&replies[i], 0, sizeof(replies[i]));
		infos[i] = event_infos(batches[i], counts[i]);
		queue[i] = i;
	}
	nqueue = n;
	/* Rounds: everything pending in parallel, then the retryable. */
	while (nqueue > 0) {
		for (k = 0; k < nqueue; k++) {
			i = queue[k];
			p.key = "EventInfos";
			p.value = infos[i];
			urls[k] = sign_call(c, "BatchEventRebootInstance", &p,
			    1, &so[k]);
			reqs[k].url = urls[k];
			reqs[k].headers = so[k].headers;
			reqs[k].nheaders = so[k].nheaders;
			reqs[k].fresh = 1;
		}
		rate_wait(c);
		http_post_many(c->http, reqs, nqueue, parallel, c->cfg.rate > 0 ?
		    1000 / c->cfg.rate : 0, resp);
		wait = 0;
		for (k = 0, next = 0; k < nqueue; k++) {
			i = queue[k];
			sign_out_free(&so[k]);
			free(urls[k]);
			replies[i].attempts++;
			v = judge(c, &resp[k], 0, &replies[i]);
			verbose_line(c, "BatchEventRebootInstance",
			    &replies[i], 0);
			if (v == V_RETRY && replies[i].attempts <=
			    c->cfg.retries && !stopping(c)) {
				int64_t	b = ens_backoff(replies[i].attempts,
				    resp[k].retry_after, random64());

				if (b > wait)
					wait = b;
				http_response_clear(&resp[k]);
				queue[next++] = i;
				continue;
			}
			reboot_settle(&resp[k], batches[i], counts[i],
			    &replies[i]);
		}
		nqueue = next;
		sleep_ms(c, nqueue > 0 ? wait : 0);
	}
	for (i = 0; i < n; i++)
		free(infos[i]);
	free(infos);
	free(urls);
	free(so);
	free(reqs);
	free(resp);
	free(queue);
}

void
ens_events_free(struct ens_event *ev, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(ev[i].event);
		free(ev[i].type);
		free(ev[i].status);
		free(ev[i].level);
		free(ev[i].resource);
		free(ev[i].reason);
	}
	free(ev);
}

/* A string member, or "" when absent or not a string. */
static char *
member_str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (xstrdup(s != NULL ? s : ""));
}

/* A millisecond time sent as a number or a numeric string; -1 if none. */
static int64_t
member_ms(json_t *o, const char *key)
{
	json_t		*v = json_object_get(o, key);
	const char	*s;
	char		*end;
	long long	 n;

	if (json_is_integer(v))
		return (json_integer_value(v));
	if ((s = json_string_value(v)) != NULL) {
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno == 0 && end != s && *end == '\0')
			return (n);
	}
	return (-1);
}

int
ens_parse_events(const char *body, size_t len, struct ens_event **events,
    size_t *nevents, int64_t *total, char **cause)
{
	json_t		*root, *arr, *it, *tc;
	json_error_t	 err;
	struct ens_event *e;
	size_t		 i;
	int		 rc = -1;

	*cause = NULL;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || !json_is_object(root)) {
		*cause = xstrdup("the answer is not a JSON object");
		goto out;
	}
	arr = json_object_get(root, "Events");
	tc = json_object_get(root, "TotalCount");
	if (!json_is_array(arr) || !json_is_integer(tc)) {
		*cause = xstrdup("the answer lacks Events or TotalCount");
		goto out;
	}
	*total = json_integer_value(tc);
	*events = xreallocarray(*events, *nevents + json_array_size(arr) + 1,
	    sizeof(**events));
	json_array_foreach(arr, i, it) {
		if (!json_is_object(it))
			continue;
		e = &(*events)[(*nevents)++];
		e->event = member_str(it, "EventId");
		e->type = member_str(it, "EventType");
		e->status = member_str(it, "EventStatus");
		e->level = member_str(it, "EventLevel");
		e->resource = member_str(it, "ResourceId");
		e->reason = member_str(it, "Reason");
		e->not_before = member_ms(it, "NotBefore");
		e->publish_time = member_ms(it, "PublishTime");
	}
	rc = 0;
out:
	json_decref(root);
	return (rc);
}

/*
 * A paged read: the action and its parameters besides PageNumber and
 * PageSize, and how to parse a page into what was read so far.
 */
struct ens_pager {
	const char		*action;
	struct sign_param	 params[3];
	size_t			 nparams;
	const char		*page_size;
	/* Append one page; *total = TotalCount; -1 with *cause. */
	int			(*parse)(void *, const char *, size_t, int64_t *,
				    char **);
	void			*arg;
	/* What was read so far: *list of *n entries, each an id first. */
	char *const *const	*list;
	const size_t		*n;
	size_t			 size;
};

/* The id of entry i read so far (every entry starts with its id). */
static const char *
ens_pager_id(const struct ens_pager *pg, size_t i)
{
	return (*(char *const *)(void *)((const char *)*pg->list +
	    i * pg->size));
}

/*
 * Every page of a read.  A garbled page is read again (a read may be
 * repeated); a server that ignores PageNumber (it repeats its first
 * page) or sends an empty page ends the read.  Returns 0, or -1 with
 * the reply describing the failure.
 */
static int
ens_read_pages(struct ens_client *c, const struct ens_pager *pg,
    struct ens_reply *r)
{
	struct http_response	 h;
	struct sign_param	 p[5];
	char			 page[32], *cause = NULL;
	size_t			 np, i, before, got = 0, first;
	int64_t			 total = 0;
	int			 pageno, tries, rc = -1;

	first = *pg->n;
	for (pageno = 1; pageno <= MAX_PAGES; pageno++) {
		for (np = 0, i = 0; i < pg->nparams; i++)
			p[np++] = pg->params[i];
		snprintf(page, sizeof(page), "%d", pageno);
		p[np].key = "PageNumber";
		p[np++].value = page;
		p[np].key = "PageSize";
		p[np++].value = pg->page_size;
		/* A read may be repeated: also when its answer is garbled. */
		for (tries = 0;; tries++) {
			ens_reply_clear(r);
			call(c, pg->action, p, np, 1, &h, r);
			if (r->outcome != ENS_OK) {
				http_response_clear(&h);
				goto out;
			}
			before = *pg->n;
			if (pg->parse(pg->arg, h.body, h.len, &total,
			    &cause) == 0)
				break;
			http_response_clear(&h);
			if (tries >= c->cfg.retries || stopping(c)) {
				r->outcome = ENS_UNKNOWN;
				set_str(&r->code, xstrdup("BadAnswer"));
				set_str(&r->message, cause);
				goto out;
			}
			free(cause);
			cause = NULL;
			sleep_ms(c, ens_backoff(tries + 1, -1, random64()));
		}
		http_response_clear(&h);
		got += *pg->n - before;
		if (*pg->n == before || (int64_t)got >= total)
			break;
		/* A server that ignores PageNumber repeats its first page. */
		if (before > first && *pg->n - before ==
		    before - first && strcmp(ens_pager_id(pg, before),
		    ens_pager_id(pg, first)) == 0)
			break;
		first = before;
	}
	rc = 0;
out:
	return (rc);
}

/* What a read of events appends to. */
struct ens_events_out {
	struct ens_event	**events;
	size_t			 *n;
};

static int
ens_events_parse(void *arg, const char *body, size_t len, int64_t *total,
    char **cause)
{
	struct ens_events_out	*o = arg;

	return (ens_parse_events(body, len, o->events, o->n, total, cause));
}

/* One chunk of resources (or all events when nres is 0), every page. */
static int
describe_chunk(struct ens_client *c, const char *const *res, size_t nres,
    const char *types, struct ens_event **events, size_t *nevents,
    struct ens_reply *r)
{
	struct ens_pager	 pg;
	struct ens_events_out	 o;
	struct buf		 b;
	char			*ids = NULL;
	size_t			 i;
	int			 rc;

	memset(&pg, 0, sizeof(pg));
	pg.action = "DescribeHistoryEvents";
	pg.params[pg.nparams].key = "EventTypes";
	pg.params[pg.nparams++].value = types;
	if (nres > 0) {
		buf_init(&b);
		for (i = 0; i < nres; i++)
			buf_addf(&b, "%s%s", i == 0 ? "" : ",", res[i]);
		ids = buf_detach(&b);
		pg.params[pg.nparams].key = "ResourceIds";
		pg.params[pg.nparams++].value = ids;
	}
	pg.page_size = "50";
	pg.parse = ens_events_parse;
	o.events = events;
	o.n = nevents;
	pg.arg = &o;
	pg.list = (char *const *const *)(void *)events;
	pg.n = nevents;
	pg.size = sizeof(**events);
	rc = ens_read_pages(c, &pg, r);
	free(ids);
	return (rc);
}

int
ens_describe_events(struct ens_client *c, const char *const *res,
    size_t nres, const char *types, struct ens_event **events,
    size_t *nevents, struct ens_reply *r)
{
	size_t	i = 0, chunk;

	ens_reply_clear(r);	/* callers may reuse one reply */
	*events = NULL;
	*nevents = 0;
	/* No resources means every event of those types. */
	do {
		chunk = nres - i < ENS_MAX_RESOURCES ? nres - i :
		    ENS_MAX_RESOURCES;
		if (describe_chunk(c, res != NULL ? res + i : NULL, chunk,
		    types, events, nevents,
		    r) != 0) {
			ens_events_free(*events, *nevents);
			*events = NULL;
			*nevents = 0;
			return (-1);
		}
		i += chunk;
	} while (i < nres);
	return (0);
}

void
ens_instances_free(struct ens_instance *in, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(in[i].instance);
		free(in[i].status);
		free(in[i].name);
		free(in[i].region);
	}
	free(in);
}

/* A string member, or NULL when absent or not a string. */
static char *
ens_member_opt(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return (s != NULL ? xstrdup(s) : NULL);
}

int
ens_parse_instances(const char *body, size_t len,
    struct ens_instance **instances, size_t *ninstances, int64_t *total,
    char **cause)
{
	json_t			*root, *code, *arr, *it, *tc;
	json_error_t		 err;
	struct ens_instance	*in;
	size_t			 i;
	int			 rc = -1;

	*cause = NULL;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL || !json_is_object(root)) {
		*cause = xstrdup("the answer is not a JSON object");
		goto out;
	}
	code = json_object_get(root, "Code");
	if (!json_is_integer(code) || json_integer_value(code) != 0) {
		*cause = xstrdup("the answer's Code is not 0");
		goto out;
	}
	arr = json_object_get(json_object_get(root, "Instances"), "Instance");
	tc = json_object_get(root, "TotalCount");
	if (!json_is_array(arr) || !json_is_integer(tc) ||
	    json_integer_value(tc) < 0) {
		*cause = xstrdup("the answer lacks Instances.Instance or "
		    "TotalCount");
		goto out;
	}
	/* All or nothing: a page is read again when any entry is bad. */
	json_array_foreach(arr, i, it) {
		if (!json_is_string(json_object_get(it, "InstanceId")) ||
		    !json_is_string(json_object_get(it, "Status"))) {
			*cause = xasprintf("instance %zu of the answer lacks "
			    "InstanceId or Status", i + 1);
			goto out;
		}
	}
	*total = json_integer_value(tc);
	*instances = xreallocarray(*instances, *ninstances +
	    json_array_size(arr) + 1, sizeof(**instances));
	json_array_foreach(arr, i, it) {
		in = &(*instances)[(*ninstances)++];
		in->instance = ens_member_opt(it, "InstanceId");
		in->status = ens_member_opt(it, "Status");
		in->name = ens_member_opt(it, "InstanceName");
		in->region = ens_member_opt(it, "EnsRegionId");
	}
	rc = 0;
out:
	json_decref(root);
	return (rc);
}

/* What a read of instances appends to. */
struct ens_instances_out {
	struct ens_instance	**instances;
	size_t			 *n;
};

static int
ens_instances_parse(void *arg, const char *body, size_t len,
    int64_t *total, char **cause)
{
	struct ens_instances_out	*o = arg;

	return (ens_parse_instances(body, len, o->instances, o->n, total,
	    cause));
}

/* InstanceIds: ONE parameter holding a compact JSON array of strings. */
static char *
ens_instance_ids(const char *const *ids, size_t n)
{
	json_t	*arr;
	char	*s;
	size_t	 i;

	arr = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(ids[i]));
	if ((s = json_dumps(arr, JSON_COMPACT)) == NULL)
		fatal("cannot serialise InstanceIds");
	json_decref(arr);
	return (s);
}

int
ens_describe_instances(struct ens_client *c, const char *const *ids,
    size_t n, struct ens_instance **instances, size_t *ninstances,
    struct ens_reply *r)
{
	struct ens_pager		 pg;
	struct ens_instances_out	 o;
	char				*arr;
	size_t				 i, chunk;
	int				 rc = 0;

	ens_reply_clear(r);
	*instances = NULL;
	*ninstances = 0;
	o.instances = instances;
	o.n = ninstances;
	/* An empty InstanceIds matches nothing: there is nothing to ask. */
	for (i = 0; i < n && rc == 0; i += chunk) {
		chunk = n - i < ENS_MAX_INSTANCES ? n - i : ENS_MAX_INSTANCES;
		arr = ens_instance_ids(ids + i, chunk);
		memset(&pg, 0, sizeof(pg));
		pg.action = "DescribeInstances";
		pg.params[0].key = "InstanceIds";
		pg.params[0].value = arr;
		pg.nparams = 1;
		pg.page_size = "100";
		pg.parse = ens_instances_parse;
		pg.arg = &o;
		pg.list = (char *const *const *)(void *)instances;
		pg.n = ninstances;
		pg.size = sizeof(**instances);
		rc = ens_read_pages(c, &pg, r);
		free(arr);
	}
	if (rc != 0) {
		ens_instances_free(*instances, *ninstances);
		*instances = NULL;
		*ninstances = 0;
	}
	return (rc);
}
